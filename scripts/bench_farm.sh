#!/usr/bin/env bash
# Benchmark of farm chunking (not a test; needs root for the Slurm daemons).
# A 100-frame 1080p `retake remove` (bigbuckbunny upscaled, a moving mask of
# 5% of the frame) rendered as 4 Slurm array chunks on a private one-node
# cluster on this machine (scripts/slurm_cluster.sh) against one whole
# render of the same job. Prints wall time, total CPU time (user + system
# of every process) and the cost of the handles: the frames each chunk
# decodes beyond its own (temporal context), and their share of all decoded.
# Usage: sudo bash scripts/bench_farm.sh [CHUNKS]   (default 4)
chunks=${1:-4}
source "$(dirname "${BASH_SOURCE[0]}")/bench_lib.sh"
frames=100
size=$(( (frames + chunks - 1) / chunks ))

ff -stream_loop -1 -i samples/bigbuckbunny.mp4 -vf "scale=1920:1080:flags=bicubic" -frames:v $frames \
  -c:v libx264 -crf 16 -pix_fmt yuv420p "$work/shot.mp4"
ff -f lavfi -i "color=c=black:size=1920x1080:rate=24[bg];color=c=white:size=480x216:rate=24[box];[bg][box]overlay=x=100+6*n:y=H/2-108,format=gray[out0]" \
  -frames:v $frames -c:v ffv1 "$work/mask.mkv"
cat > "$work/job.toml" <<JOB
operation = "remove"
[io]
input = "shot.mp4"
output = "out/clean.####.exr"
codec = "exr-half"
frames = "0-$((frames - 1))"
[remove]
mask = "mask.mkv"
JOB

# Busy CPU seconds of the whole machine (user, nice, system, irq, softirq
# in USER_HZ = 100): the chunks run under slurmd, outside this script's
# process tree, so both runs are measured the same machine-wide way. Run on
# an otherwise idle machine.
busy() { awk '/^cpu /{printf "%.2f", ($2 + $3 + $4 + $7 + $8) / 100}' /proc/stat; }

echo "== farm: $frames frames of 1080p remove, whole vs $chunks Slurm chunks of $size ($(nproc) cores)"
t0=$(now); c0=$(busy)
"$retake" run "$work/job.toml" -o "$work/whole/clean.####.exr" -q
whole_wall=$(echo "$(now) - $t0" | bc -l); whole_cpu=$(echo "$(busy) - $c0" | bc -l)

cluster="$work/cluster"
# The cluster's daemons run as other users (munge, slurm): they must be able
# to pass through the benchmark's private temporary folder.
chmod 755 "$work"
bash scripts/slurm_cluster.sh start "$cluster"
trap 'bash scripts/slurm_cluster.sh stop "$cluster"; rm -rf "$work"' EXIT
export SLURM_CONF="$cluster/slurm.conf"
t0=$(now); c0=$(busy)
"$retake" farm slurm "$work/job.toml" --chunk-size $size -o "$work/slurm" --submit --wait -q
farm_wall=$(echo "$(now) - $t0" | bc -l); farm_cpu=$(echo "$(busy) - $c0" | bc -l)

# Handles: frames each chunk decodes beyond its own: remove reads --window
# frames on each side (the job's value, from the provenance), cut at the
# clip's ends.
window=$(sed -n 's/.*"window": *\([0-9]*\).*/\1/p' "$work/whole/clean.####.exr.retake.json" | head -n1)
window=${window:-12}
extra=0
for ((c = 0; c < chunks; c++)); do
  first=$(( c * size )); last=$(( first + size - 1 )); [ $last -ge $frames ] && last=$((frames - 1))
  lo=$(( first - window < 0 ? 0 : first - window )); hi=$(( last + window >= frames ? frames - 1 : last + window ))
  extra=$(( extra + (first - lo) + (hi - last) ))
done

same=yes
for f in "$work"/whole/clean.*.exr; do cmp -s "$f" "$work/out/$(basename "$f")" || same=no; done
printf '%-22s %10s %12s\n' "" "wall s" "CPU s"
printf '%-22s %10.1f %12.1f\n' "whole render" "$whole_wall" "$whole_cpu"
printf '%-22s %10.1f %12.1f\n' "$chunks Slurm chunks" "$farm_wall" "$farm_cpu"
printf 'handles: %d extra frames decoded over %d chunks (window %d), %.1f%% of %d\n' \
  "$extra" "$chunks" "$window" "$(echo "100 * $extra / ($frames + $extra)" | bc -l)" "$((frames + extra))"
printf 'chunked frames identical to the whole render: %s\n' "$same"
