#!/usr/bin/env bash
# Benchmark of `retake remove` (not a test). Baselines measured in the same
# run: `retake convert` of the same clip to the same codec (the pipeline's
# own decode -> float -> encode cost), so "fill ms/frame" is what removal adds.
#   1. 1080p (bigbuckbunny upscaled), 100 frames, a moving mask of 5% of the
#      frame: frames per second;
#   2. the same mask (same pixel size) on 720p, 1080p and 2160p frames: the
#      fill's cost follows the mask's area, not the frame's;
#   3. peak RSS for 100 and 500 frames (must not grow with clip length).
# Usage: scripts/bench_remove.sh [--quick]   (--quick skips the 500-frame run)
quick=${1:-}
source "$(dirname "${BASH_SOURCE[0]}")/bench_lib.sh"

echo "== remove: fill cost against the pipeline alone ($(nproc) cores; output ffv1)"
printf '%-6s %6s %10s %12s %12s %14s %12s\n' res frames "mask/frame" "convert s" "remove s" "fill ms/frame" "remove fps"
for spec in "1280 720 30" "1920 1080 30" "3840 2160 30" "1920 1080 100"; do
  set -- $spec
  name=c$2_$3
  clip "$1" "$2" "$3" "$name"; box "$1" "$2" "$3" "m$name"
  c=$(timed "$retake" convert "$work/$name.mp4" -o "$work/conv.mkv" --codec ffv1 -q -y)
  r=$(timed "$retake" remove "$work/$name.mp4" --mask "$work/m$name.mkv" -o "$work/rem.mkv" --codec ffv1 -q -y)
  printf '%-6s %6d %9.1f%% %12.1f %12.1f %14.0f %12.2f\n' "${2}p" "$3" "$(echo "100 * 480 * 216 / ($1 * $2)" | bc -l)" \
    "$c" "$r" "$(echo "1000 * ($r - $c) / $3" | bc -l)" "$(echo "$3 / $r" | bc -l)"
  [ "$2 $3" = "1080 100" ] && r100=$(cat "$work/rss")
done

echo
echo "== remove: peak RSS against clip length (1080p)"
if [ "$quick" != "--quick" ]; then
  clip 1920 1080 500 c1080_500; box 1920 1080 500 m1080_500
  timed "$retake" remove "$work/c1080_500.mp4" --mask "$work/m1080_500.mkv" -o "$work/rem.mkv" --codec ffv1 -q -y >/dev/null
  r500=$(cat "$work/rss")
  printf 'remove: 100 frames %6d MiB, 500 frames %6d MiB, ratio %.2f\n' $((r100/1024)) $((r500/1024)) "$(echo "$r500 / $r100" | bc -l)"
else
  printf 'remove: 100 frames %6d MiB (500-frame run skipped with --quick)\n' $((r100/1024))
fi
