#!/usr/bin/env bash
# Sets up, builds, and runs the main job on a sample clip: subject masks for
# samples/bikes.mp4, written as a matte (ProRes 422 HQ) and as a preview with
# the background dimmed (H.264) that any player shows.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/setup.sh
cargo build --release -p retake-cli
mkdir -p out
retake=target/release/retake
$retake doctor
$retake probe samples/bikes.mp4
$retake mask samples/bikes.mp4 -o out/bikes_matte.mov --overwrite
$retake mask samples/bikes.mp4 -o out/bikes_preview.mp4 --mode overlay --overwrite
echo
echo "demo: watch out/bikes_preview.mp4 (subject kept, background dimmed);"
echo "      out/bikes_matte.mov is the matte itself (white = subject)."
