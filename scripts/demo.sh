#!/usr/bin/env bash
# Sets up, builds, and shows what Retake is for, on one shot of the sample
# clip samples/bikes.mp4 (frames 187-216: a passer-by walks past a parked
# bike): the passer-by removed, tracked from keyframe masks on the shot's
# frames 0, 10 and 20 (samples/passerby_key*.png); the shot relit
# (golden hour) and seen from a new angle (an orbit); all side by side in
# one preview video, out/demo/preview.mp4 (original | removed / relit | new
# angle). Each mask is computed once and reused from its file: the tracked
# mask by remove, the subject model's mask by relight and reangle.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/setup.sh
cargo build --release -p retake-cli
retake=target/release/retake
out=out/demo
mkdir -p "$out"
$retake doctor
# The shot, cut losslessly (16-bit FFV1) from the sample: 30 frames, so the
# whole demo takes a few minutes on two cores.
$retake convert samples/bikes.mp4 --frames 187-216 -o "$out/shot.mkv" --codec ffv1 -y
# Masks, once each: the passer-by tracked from the keyframe through the
# shot; the subject (the model, u2netp) for relight's and reangle's geometry.
$retake track "$out/shot.mkv" --keyframes 0=samples/passerby_key.png,10=samples/passerby_key_10.png,20=samples/passerby_key_20.png \
  -o "$out/passerby_mask.####.png" -y
$retake mask "$out/shot.mkv" -o "$out/subject_mask.####.png" -y
# The three operations.
$retake remove "$out/shot.mkv" --mask "$out/passerby_mask.####.png" \
  -o "$out/removed.mkv" --codec ffv1 -y
$retake relight "$out/shot.mkv" --preset golden-hour --mask "$out/subject_mask.####.png" \
  -o "$out/relit.mkv" --codec ffv1 -y
$retake reangle "$out/shot.mkv" --move orbit --mask "$out/subject_mask.####.png" \
  -o "$out/angle.mkv" --codec ffv1 -y
# One preview a person watches: a 2x2 grid, each picture labelled.
label() { echo "drawtext=text='$1':x=10:y=10:fontsize=22:fontcolor=white:box=1:boxcolor=black@0.6:boxborderw=6"; }
ffmpeg -loglevel error -y -i "$out/shot.mkv" -i "$out/removed.mkv" -i "$out/relit.mkv" -i "$out/angle.mkv" \
  -filter_complex "[0]$(label original)[a];[1]$(label 'passer-by removed')[b];[2]$(label 'relit (golden hour)')[c];[3]$(label 'new angle (orbit)')[d];[a][b][c][d]xstack=inputs=4:layout=0_0|w0_0|0_h0|w0_h0,scale=out_color_matrix=bt709:out_range=tv,format=yuv420p" \
  -c:v libx264 -crf 18 -colorspace bt709 -color_primaries bt709 -color_trc bt709 "$out/preview.mp4"
echo
echo "demo: watch $out/preview.mp4 (original | passer-by removed / relit | new angle);"
echo "      the tracked mask is $out/passerby_mask.####.png, the subject mask $out/subject_mask.####.png."
