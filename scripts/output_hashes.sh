#!/usr/bin/env bash
# Renders every operation on a few frames of the sample clips, with its
# defaults and a few non-default settings, and prints one sha256 per output
# frame. A refactor that must not change behaviour keeps this list
# byte-identical: run it before and after and `diff` the two lists.
#
#   bash scripts/output_hashes.sh [RETAKE_BINARY] > hashes.txt
set -euo pipefail
cd "$(dirname "$0")/.."
retake=${1:-target/release/retake}
retake=$(realpath "$retake")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export ORT_DYLIB_PATH=${ORT_DYLIB_PATH:-$PWD/.deps/onnxruntime/libonnxruntime.so.1.31.1}
bikes=samples/bikes.mp4
bunny=samples/bigbuckbunny.mp4
key=samples/passerby_key.png

render() { # NAME ARGS...: run one command writing $work/NAME/f.####.exr
  local name=$1; shift
  mkdir -p "$work/$name"
  "$@" -q --threads 2 -o "$work/$name/f.####.exr" --codec exr-float \
    || { echo "$name: command failed" >&2; exit 1; }
}

render mask-default    "$retake" mask $bikes --frames 0-5
render mask-alpha      "$retake" mask $bikes --frames 0-5 --mode alpha --threshold 0.4 --edge-radius 4
render track-key       "$retake" track $bikes --frames 187-192 --keyframes 187=$key
render track-box       "$retake" track $bikes --frames 0-5 --keyframes 0=box:200,60,80,120
render remove-default  "$retake" remove $bikes --frames 187-194 --mask 187=$key
render remove-pm       "$retake" remove $bikes --frames 187-192 --mask 187=$key --fill patchmatch --dilate 6 --feather 3 --window 4
render remove-w0       "$retake" remove $bikes --frames 187-190 --mask 187=$key --window 0
render relight-default "$retake" relight $bikes --frames 0-3
render relight-golden  "$retake" relight $bikes --frames 0-3 --preset golden-hour --mask auto
render relight-point   "$retake" relight $bikes --frames 0-3 --light point --colour 1,0.8,0.6 --azimuth 40 --elevation 20
render reangle-orbit   "$retake" reangle $bikes --frames 0-5 --move orbit
render reangle-yaw     "$retake" reangle $bunny --frames 0-3 --yaw 4 --dolly 0.2 --mask auto
render convert         "$retake" convert $bunny --frames 0-2

(cd "$work" && find . -type f ! -name '*.json' ! -name '*.c2pa' | sort | xargs sha256sum)
