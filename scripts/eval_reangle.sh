#!/usr/bin/env bash
# Quality protocol for `retake reangle` on real footage with known camera
# motion: predict frame t+K of a shot from frame t by the camera change
# between them (fitted to the optical flow through reangle's own depth and
# pinhole) and score PSNR/SSIM on the pixels both frames see, against the
# baseline of shifting frame t by the median image motion (and, for
# reference, frame t unchanged). Segments without cuts: bikes 187-241 (a
# fence and a street, static, the camera moves), bikes 0-29 (pavement from
# above, the camera moves), DAVIS dogs-jump (dogs move, the camera pans).
# Writes out/eval/reangle.md and a contact sheet per segment under
# out/eval/reangle/ (frame t, frame t+K, shift, reangle, |error| x4, fill).
#
# Usage: scripts/eval_reangle.sh [K]   (default K = 3)
# Data: samples/ (scripts/setup.sh) and $RETAKE_EVAL_DATA (default ../shared/eval).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
k=${1:-3}
data=${RETAKE_EVAL_DATA:-../shared/eval}
out=out/eval
[ -f samples/bikes.mp4 ] || { echo "eval_reangle: samples/bikes.mp4 is missing; run scripts/setup.sh" >&2; exit 3; }
cargo build --release -q -p retake-cli --example reangle_predict
bin=${CARGO_TARGET_DIR:-target}/release/examples/reangle_predict
mkdir -p "$out/reangle"
segments=("samples/bikes.mp4 187 241 bikes-street" "samples/bikes.mp4 0 29 bikes-pavement")
[ -f "$data/davis-sttn/dogs_jump_orig.mp4" ] && segments+=("$data/davis-sttn/dogs_jump_orig.mp4 0 65 dogs-jump")
{
  echo "# Reangle: predicting frame t+$k from frame t on real footage"
  echo
  echo "Built-in geometry (ground plane and backdrop, no matte), fov 50, depth range 10, PatchMatch fill."
  echo "PSNR (dB) and SSIM on display-encoded sRGB, on the pixels both frames see (the same pixels for every method)."
  echo "\`frame t\` = no change; \`shift\` = frame t moved by the median optical flow; \`reangle\` = reprojected by the fitted camera change."
  echo
  echo "| clip | frames | K | compared | filled | PSNR frame t | PSNR shift | PSNR reangle | SSIM frame t | SSIM shift | SSIM reangle | median fitted change |"
  echo "|---|---|---|---|---|---|---|---|---|---|---|---|"
  for s in "${segments[@]}"; do
    set -- $s
    "$bin" "$1" "$2" "$3" "$k" "$out/reangle/$4-k$k.png"
  done
} > "$out/reangle.md"
cat "$out/reangle.md"
