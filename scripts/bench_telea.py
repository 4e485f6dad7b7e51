"""Baseline for the removal benchmark (not a test): OpenCV's Telea inpainting
run on every frame on its own, with the decode and encode a user of it pays:
frames decoded by OpenCV, inpainted with the mask's frame (white = remove,
grown by the same 4 px `retake remove` dilates by default), encoded by the
`ffmpeg` tool with the codec given. Prints frames and seconds; time it from
outside (`/usr/bin/time -v`) for CPU seconds.

Usage: .deps/eval-venv/bin/python scripts/bench_telea.py CLIP MASK OUT [--codec ffv1]
(the venv is the one scripts/eval_remove.sh makes: opencv-python-headless, numpy)
"""

import argparse
import subprocess
import sys
import time

import cv2
import numpy as np


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("clip")
    ap.add_argument("mask")
    ap.add_argument("out")
    ap.add_argument("--codec", default="ffv1")
    ap.add_argument("--radius", type=int, default=3, help="Telea's inpaint radius")
    ap.add_argument("--dilate", type=int, default=4)
    a = ap.parse_args()
    clip, mask = cv2.VideoCapture(a.clip), cv2.VideoCapture(a.mask)
    if not clip.isOpened() or not mask.isOpened():
        sys.exit(f"bench_telea: cannot open {a.clip if not clip.isOpened() else a.mask}")
    w, h = int(clip.get(cv2.CAP_PROP_FRAME_WIDTH)), int(clip.get(cv2.CAP_PROP_FRAME_HEIGHT))
    fps = clip.get(cv2.CAP_PROP_FPS) or 24
    enc = subprocess.Popen(
        ["ffmpeg", "-loglevel", "error", "-y", "-f", "rawvideo", "-pix_fmt", "bgr24", "-s", f"{w}x{h}",
         "-r", str(fps), "-i", "-", "-c:v", a.codec, "-threads", "0", a.out],
        stdin=subprocess.PIPE)
    grow = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * a.dilate + 1, 2 * a.dilate + 1))
    start, n = time.time(), 0
    while True:
        ok, frame = clip.read()
        ok_m, m = mask.read()
        if not ok or not ok_m:
            break
        hole = (m.max(axis=2) > 127).astype(np.uint8) * 255
        if a.dilate:
            hole = cv2.dilate(hole, grow)
        enc.stdin.write(cv2.inpaint(frame, hole, a.radius, cv2.INPAINT_TELEA).tobytes())
        n += 1
    enc.stdin.close()
    if enc.wait() != 0:
        sys.exit("bench_telea: ffmpeg failed")
    s = time.time() - start
    print(f"telea: {n} frames in {s:.1f} s, {n / s:.2f} fps")


if __name__ == "__main__":
    main()
