#!/usr/bin/env bash
# Benchmark of `retake relight` (not a test). Baseline measured in the same
# run: `retake convert` of the same clip to the same codec, so "relight
# ms/frame" is what relighting adds to decode and encode.
#   1. 1080p (bigbuckbunny upscaled), 100 frames, built-in geometry: a key
#      light (pixel-aligned stabilisation, the default), the same with
#      flow-aligned stabilisation, with --shadows, with the
#      automatic subject matte (u2netp; the model alone is `retake models
#      bench u2netp`), and the learned-depth path run with the FIXTURE depth
#      model (Depth Anything V2's contract and input size; its graph is a
#      few blurs, so this measures Retake's side of the path: 518x518
#      tensor in, normalisation, normals, stabilisation; a real model adds
#      its own inference time, `retake models bench NAME`);
#   2. peak RSS for 100 and 500 frames (must not grow with clip length).
# Usage: scripts/bench_relight.sh [--quick]   (--quick skips the 500-frame run)
quick=${1:-}
source "$(dirname "${BASH_SOURCE[0]}")/bench_lib.sh"
clip 1920 1080 100 c100
echo "== relight at 1080p, 100 frames ($(nproc) cores; output ffv1)"
echo "CPU s = user + sys (meaningful on a busy machine, unlike wall s); media share = convert CPU / relight CPU"
printf '%-40s %10s %12s %16s %10s %14s %12s\n' variant "convert s" "relight s" "relight ms/frame" fps "CPU s/frame" "media share"
c=$(timed "$retake" convert "$work/c100.mp4" -o "$work/conv.mkv" --codec ffv1 -q -y)
cc=$(cat "$work/cpu")
fixture=tests/fixtures/models/fixture-depth-anything.toml
for variant in "key" "key --temporal-align flow" "key --shadows" "key --mask auto" "key --depth-model $fixture"; do
  r=$(timed "$retake" relight "$work/c100.mp4" -o "$work/lit.mkv" --codec ffv1 -q -y --preset $variant)
  rc=$(cat "$work/cpu")
  [ "$variant" = key ] && r100=$(cat "$work/rss")
  printf '%-40s %10.1f %12.1f %16.0f %10.2f %14.3f %11.0f%%\n' "--preset ${variant/$fixture/fixture-depth-anything}" "$c" "$r" "$(echo "1000 * ($r - $c) / 100" | bc -l)" "$(echo "100 / $r" | bc -l)" \
    "$(echo "$rc / 100" | bc -l)" "$(echo "100 * $cc / $rc" | bc -l)"
done
echo
echo "== relight: peak RSS against clip length (1080p, --preset key)"
if [ "$quick" != "--quick" ]; then
  clip 1920 1080 500 c500
  timed "$retake" relight "$work/c500.mp4" -o "$work/lit.mkv" --codec ffv1 -q -y --preset key >/dev/null
  r500=$(cat "$work/rss")
  printf 'relight: 100 frames %6d MiB, 500 frames %6d MiB, ratio %.2f\n' $((r100/1024)) $((r500/1024)) "$(echo "$r500 / $r100" | bc -l)"
else
  printf 'relight: 100 frames %6d MiB (500-frame run skipped with --quick)\n' $((r100/1024))
fi
