#!/usr/bin/env bash
# Flicker of `retake relight` on real footage (not a test): the flicker
# index (mean frame-to-frame change of the relit picture minus that of the
# source, display-referred luma; examples/relight_flicker.rs) of the same
# frames relit three ways in one run:
#   independent   every frame on its own (--temporal-radius 0), the
#                 per-frame baseline;
#   pixel         the default: geometry blended with 2 frames each side,
#                 same pixel, weighted by how alike it looks
#                 (--temporal-align pixel);
#   flow          neighbours' geometry moved along the optical flow first
#                 (--temporal-align flow).
# Clips: samples/bikes.mp4 and samples/bigbuckbunny.mp4 (first 100 frames,
# the latter at 960x540), and the DAVIS clips in $RETAKE_EVAL_DATA
# (default ../shared/eval/davis-sttn) when present. Look: --preset key with
# the automatic subject matte (the geometry that can flicker).
# Writes out/eval/relight.md.
# Usage: scripts/eval_relight.sh ["extra relight args"]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
extra=${1:-}
data=${RETAKE_EVAL_DATA:-../shared/eval}
bash scripts/setup.sh >/dev/null
cargo build --release -q -p retake-cli --bins --example relight_flicker
retake=$PWD/target/release/retake
flicker=$PWD/target/release/examples/relight_flicker
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
ff() { ffmpeg -loglevel error -y "$@"; }
mkdir -p out/eval
report=out/eval/relight.md

ff -i samples/bikes.mp4 -frames:v 100 -c:v ffv1 "$work/bikes.mkv"
ff -i samples/bigbuckbunny.mp4 -vf scale=960:540 -frames:v 100 -c:v ffv1 "$work/bigbuckbunny.mkv"
for c in dogs_jump schoolgirls; do
  [ -f "$data/davis-sttn/${c}_orig.mp4" ] && ff -i "$data/davis-sttn/${c}_orig.mp4" -c:v ffv1 "$work/$c.mkv"
done

{
  echo "# Relight flicker ($(date -u +%F), $(nproc) cores)"
  echo
  echo "Flicker index = mean |relit(t) - relit(t-1)| - mean |source(t) - source(t-1)|, display luma 0..1; lower is steadier."
  echo "Every row: \`retake relight CLIP --preset key --mask auto $extra\` with the variant's flags; s = wall seconds of that render."
  echo
  echo "| clip | frames | source change | independent (radius 0) | pixel (radius 2, default) | flow (radius 2) | pixel vs independent | s independent / pixel / flow |"
  echo "|---|---|---|---|---|---|---|---|"
} > "$report"

for clip in "$work"/*.mkv; do
  name=$(basename "$clip" .mkv)
  case $name in *_r*) continue ;; esac
  secs=()
  for variant in "r0:--temporal-radius 0" "pixel:--temporal-align pixel" "flow:--temporal-align flow"; do
    tag=${variant%%:*}; flags=${variant#*:}
    t0=$(date +%s.%N)
    "$retake" relight "$clip" -o "$work/${name}_r$tag.mkv" --codec ffv1 -q -y --preset key --mask auto $flags $extra
    secs+=("$(printf '%.0f' "$(echo "$(date +%s.%N) - $t0" | bc -l)")")
  done
  out=$("$flicker" "$clip" "$work/${name}_rr0.mkv" "$work/${name}_rpixel.mkv" "$work/${name}_rflow.mkv")
  echo "$out" >&2
  frames=$(echo "$out" | awk '/^source:/ {print $(NF-1) + 1}')
  src=$(echo "$out" | awk '/^source:/ {print $5}')
  idx=($(echo "$out" | awk 'NR > 2 {print $NF}'))
  ratio=$(echo "${idx[1]} / ${idx[0]}" | bc -l)
  printf '| %s | %s | %s | %s | %s | %s | %.2f | %s / %s / %s |\n' "$name" "${frames:-?}" "$src" "${idx[0]}" "${idx[1]}" "${idx[2]}" "$ratio" "${secs[@]}" >> "$report"
done
cat "$report"
