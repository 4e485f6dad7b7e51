"""The removal benchmark's baseline: OpenCV's Telea inpainting on every
frame of a video on its own (decode, inpaint, encode), as a per-frame
classical fill would be run in a pipeline. Decoding and encoding go through
the `ffmpeg` tool (raw frames over pipes), so the codec work is FFmpeg's as
in `retake`; the output is FFV1, as in the benchmark's `retake remove` run.

Usage: telea_video.py INPUT MASK_VIDEO OUTPUT.mkv WIDTH HEIGHT [--radius 5]
"""

import argparse
import subprocess
import sys

import cv2
import numpy as np


def decoder(path, pix_fmt):
    return subprocess.Popen(
        ["ffmpeg", "-loglevel", "error", "-i", path, "-f", "rawvideo", "-pix_fmt", pix_fmt, "-"],
        stdout=subprocess.PIPE,
    )


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("input")
    p.add_argument("mask")
    p.add_argument("output")
    p.add_argument("width", type=int)
    p.add_argument("height", type=int)
    p.add_argument("--radius", type=float, default=5.0)
    a = p.parse_args()
    w, h = a.width, a.height
    frames = decoder(a.input, "bgr24")
    masks = decoder(a.mask, "gray")
    encoder = subprocess.Popen(
        ["ffmpeg", "-loglevel", "error", "-y", "-f", "rawvideo", "-pix_fmt", "bgr24",
         "-s", f"{w}x{h}", "-r", "24", "-i", "-", "-c:v", "ffv1", "-pix_fmt", "bgr0", a.output],
        stdin=subprocess.PIPE,
    )
    count = 0
    while True:
        raw = frames.stdout.read(w * h * 3)
        hole = masks.stdout.read(w * h)
        if len(raw) < w * h * 3:
            break
        if len(hole) < w * h:
            sys.exit(f"telea_video: {a.mask} has fewer frames than {a.input}")
        img = np.frombuffer(raw, np.uint8).reshape(h, w, 3)
        m = (np.frombuffer(hole, np.uint8).reshape(h, w) > 127).astype(np.uint8) * 255
        encoder.stdin.write(cv2.inpaint(img, m, a.radius, cv2.INPAINT_TELEA).tobytes())
        count += 1
    encoder.stdin.close()
    if encoder.wait() != 0 or frames.wait() != 0:
        sys.exit("telea_video: ffmpeg failed")
    masks.kill()
    print(count)


if __name__ == "__main__":
    main()
