"""Per-frame OpenCV inpainting baselines (Telea 2004, Navier-Stokes), run
on the same holed frames and masks as `retake remove`, so the two can be
compared in one run.

Usage: baselines.py {telea,ns} INPUT MASK OUTPUT [--radius 5]
INPUT/OUTPUT are a folder of PNG frames or one PNG; MASK is a folder with a
frame per input frame, or one PNG for every frame (white = hole).
"""

import argparse
import os
import sys

import cv2
import numpy as np

METHODS = {"telea": cv2.INPAINT_TELEA, "ns": cv2.INPAINT_NS}


def frames(path):
    if os.path.isdir(path):
        return [os.path.join(path, n) for n in sorted(os.listdir(path)) if n.endswith(".png")]
    return [path]


def read(path, flags):
    img = cv2.imread(path, flags)
    if img is None:
        sys.exit(f"baselines: cannot read {path}")
    return img


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("method", choices=sorted(METHODS))
    p.add_argument("input")
    p.add_argument("mask")
    p.add_argument("output")
    p.add_argument("--radius", type=float, default=5.0)
    a = p.parse_args()
    inputs = frames(a.input)
    masks = frames(a.mask)
    if len(masks) not in (1, len(inputs)):
        sys.exit(f"baselines: {len(masks)} masks for {len(inputs)} frames")
    single = not os.path.isdir(a.input)
    if not single:
        os.makedirs(a.output, exist_ok=True)
    still = read(masks[0], cv2.IMREAD_GRAYSCALE) if len(masks) == 1 else None
    for i, src in enumerate(inputs):
        img = read(src, cv2.IMREAD_COLOR)
        mask = still if still is not None else read(masks[i], cv2.IMREAD_GRAYSCALE)
        hole = (mask > 127).astype(np.uint8) * 255
        out = cv2.inpaint(img, hole, a.radius, METHODS[a.method])
        dst = a.output if single else os.path.join(a.output, os.path.basename(src))
        if not cv2.imwrite(dst, out):
            sys.exit(f"baselines: cannot write {dst}")


if __name__ == "__main__":
    main()
