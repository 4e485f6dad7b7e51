#!/usr/bin/env bash
# Benchmark of `retake reangle` (not a test). Baseline measured in the same
# run: `retake convert` of the same clip to the same codec, so "reangle
# ms/frame" is what reangle adds to decode and encode.
#   1. 1080p (bigbuckbunny upscaled), 100 frames, built-in geometry (ground
#      plane and backdrop): an orbit with the default fill (PatchMatch for
#      what no frame saw), with the smooth fill, and with the automatic
#      subject matte (u2netp) standing the subject on the ground;
#   2. peak RSS for 100 and 500 frames (must not grow with clip length).
# Usage: scripts/bench_reangle.sh [--quick]   (--quick skips the 500-frame run)
quick=${1:-}
source "$(dirname "${BASH_SOURCE[0]}")/bench_lib.sh"
clip 1920 1080 100 c100
echo "== reangle at 1080p, 100 frames ($(nproc) cores; output ffv1)"
printf '%-34s %10s %12s %16s %10s %8s %9s\n' variant "convert s" "reangle s" "reangle ms/frame" fps CPU-s "RSS MiB"
c=$(timed "$retake" convert "$work/c100.mp4" -o "$work/conv.mkv" --codec ffv1 -q -y)
for variant in "--move orbit" "--move orbit --fill smooth" "--move orbit --mask auto"; do
  r=$(timed "$retake" reangle "$work/c100.mp4" -o "$work/re.mkv" --codec ffv1 -q -y $variant)
  [ "$variant" = "--move orbit" ] && r100=$(cat "$work/rss")
  printf '%-34s %10.1f %12.1f %16.0f %10.2f %8.1f %9d\n' "$variant" "$c" "$r" "$(echo "1000 * ($r - $c) / 100" | bc -l)" \
    "$(echo "100 / $r" | bc -l)" "$(cat "$work/cpu")" $(($(cat "$work/rss") / 1024))
done
echo
echo "== reangle: peak RSS against clip length (1080p, --move orbit)"
if [ "$quick" != "--quick" ]; then
  clip 1920 1080 500 c500
  timed "$retake" reangle "$work/c500.mp4" -o "$work/re.mkv" --codec ffv1 -q -y --move orbit >/dev/null
  r500=$(cat "$work/rss")
  printf 'reangle: 100 frames %6d MiB, 500 frames %6d MiB, ratio %.2f\n' $((r100/1024)) $((r500/1024)) "$(echo "$r500 / $r100" | bc -l)"
else
  printf 'reangle: 100 frames %6d MiB (500-frame run skipped with --quick)\n' $((r100/1024))
fi
