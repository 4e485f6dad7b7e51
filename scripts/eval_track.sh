#!/usr/bin/env bash
# Quality of `retake track`: region similarity J (IoU with the true mask,
# mean over the frames not given as keyframes) on DAVIS clips with true
# per-frame masks, (a) from the first frame's mask alone and (b) with a
# keyframe every 10 frames, beside the baselines "hold the first mask
# still" and "hold the latest keyframe's mask", computed in the same run.
# Masks go to a temporary folder (deleted); the table to out/eval/track.md.
#
# Usage: scripts/eval_track.sh [--clips dogs_jump,schoolgirls] [--every 10]
# Data: $RETAKE_EVAL_DATA (default ../shared/eval): davis-sttn/CLIP_orig.mp4
# and davis-sttn/CLIP/NNNNN.png (true masks, anything not black = object).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
data=${RETAKE_EVAL_DATA:-../shared/eval}
out=out/eval
venv=.deps/eval-venv

[ -d "$data/davis-sttn" ] || { echo "eval_track: $data/davis-sttn is missing; set RETAKE_EVAL_DATA to the evaluation data folder" >&2; exit 3; }
command -v ffmpeg >/dev/null || { echo "eval_track: ffmpeg is missing; run scripts/setup.sh" >&2; exit 1; }

# The same venv as eval_remove.sh (OpenCV and numpy for reading masks).
if ! "$venv/bin/python" -c 'import cv2, numpy' 2>/dev/null; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check opencv-python-headless numpy
fi

cargo build --release -q -p retake-cli
mkdir -p "$out"
"$venv/bin/python" scripts/eval/track.py --data "$data/davis-sttn" --out "$out" \
  --retake "$PWD/target/release/retake" "$@"
echo "eval_track: table in $out/track.md" >&2
