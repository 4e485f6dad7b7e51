#!/usr/bin/env bash
# Quality protocol for `retake remove`: our fill against OpenCV's Telea and
# Navier-Stokes inpainting (per frame), FFmpeg's removelogo (static mask)
# and MI-GAN's published fills (images), all on the same holed frames,
# scored by `retake eval` (PSNR, SSIM whole and in the hole, warping error).
# Writes everything under out/eval/ and the tables to out/eval/remove.md.
#
# Usage: scripts/eval_remove.sh [--sets davis,places] [--methods ours,ours-smooth,ours-patchmatch,telea,ns,removelogo,migan]
#                               [--frames N] [--images N] [--remove-args "--dilate 0 --feather 0"]
# Data: $RETAKE_EVAL_DATA (default ../shared/eval): davis-sttn/, places2-512/.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
data=${RETAKE_EVAL_DATA:-../shared/eval}
out=out/eval

for d in "$data/davis-sttn" "$data/places2-512"; do
  [ -d "$d" ] || { echo "eval_remove: $d is missing; set RETAKE_EVAL_DATA to the evaluation data folder" >&2; exit 3; }
done
command -v ffmpeg >/dev/null || { echo "eval_remove: ffmpeg is missing; run scripts/setup.sh" >&2; exit 1; }

# OpenCV is only for the baselines.
source scripts/eval_venv.sh

cargo build --release -q -p retake-cli
mkdir -p "$out"
"$venv/bin/python" scripts/eval/protocol.py --data "$data" --out "$out" \
  --retake "$PWD/target/release/retake" "$@"
"$venv/bin/python" scripts/eval/report.py "$out/results.json" "$out/remove.md"
"$venv/bin/python" scripts/eval/sheets.py "$out"
echo "eval_remove: tables in $out/remove.md, contact sheets in $out/sheets/" >&2
