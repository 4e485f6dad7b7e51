"""Region similarity J of `retake track` on DAVIS clips; called by
scripts/eval_track.sh (which sets up the venv and builds retake).

For each clip: the true masks of the keyframes are written as PNGs, the
tracker runs on the original frames, and J (intersection over union, 1
when both masks are empty) is averaged over the frames that were not
keyframes. Baselines on the same frames: the first mask held still, and
the latest keyframe's mask held still until the next one.
"""

import argparse
import os
import subprocess
import sys
import tempfile
import time

import cv2
import numpy as np


def log(msg):
    print(f"eval_track: {msg}", file=sys.stderr, flush=True)


def truth_masks(folder):
    names = sorted(n for n in os.listdir(folder) if n.endswith(".png"))
    masks = []
    for n in names:
        img = cv2.imread(os.path.join(folder, n), cv2.IMREAD_COLOR)
        if img is None:
            raise RuntimeError(f"cannot read {os.path.join(folder, n)}")
        masks.append(img.max(axis=2) > 0)
    return masks


def iou(a, b):
    union = np.logical_or(a, b).sum()
    if union == 0:
        return 1.0
    return float(np.logical_and(a, b).sum()) / float(union)


def track(retake, clip, keys, truth, work, name):
    """Run retake track with the true masks at `keys`; the masks it wrote."""
    items = []
    for k in keys:
        path = os.path.join(work, f"{name}_key{k:05d}.png")
        cv2.imwrite(path, truth[k].astype(np.uint8) * 255)
        items.append(f"{k}={path}")
    out_dir = os.path.join(work, name)
    os.makedirs(out_dir, exist_ok=True)
    pattern = os.path.join(out_dir, "m.%05d.png")
    cmd = [retake, "-q", "track", clip, "--keyframes", ",".join(items), "-o", pattern, "-y"]
    start = time.time()
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} exited {r.returncode}: {r.stderr.strip()[-2000:]}")
    seconds = time.time() - start
    got = []
    for i in range(len(truth)):
        img = cv2.imread(pattern % i, cv2.IMREAD_UNCHANGED)
        if img is None:
            raise RuntimeError(f"retake track wrote no frame {i} ({pattern % i})")
        if img.ndim == 3:
            img = img[:, :, 0]
        scale = 65535 if img.dtype == np.uint16 else 255
        got.append(img.astype(np.float32) / scale >= 0.5)
    return got, seconds


def mean_j(pred, truth, keys):
    scores = [iou(p, t) for i, (p, t) in enumerate(zip(pred, truth)) if i not in keys]
    return float(np.mean(scores)) if scores else float("nan")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--retake", required=True)
    ap.add_argument("--clips", default="dogs_jump,schoolgirls")
    ap.add_argument("--every", type=int, default=10)
    ap.add_argument("--keep", help="keep the masks retake track wrote in this folder (for overlays)")
    a = ap.parse_args()
    rows = []
    with tempfile.TemporaryDirectory(prefix="eval-track-") as scratch:
        work = a.keep or scratch
        os.makedirs(work, exist_ok=True)
        for clip in a.clips.split(","):
            video = os.path.join(a.data, f"{clip}_orig.mp4")
            truth = truth_masks(os.path.join(a.data, clip))
            n = len(truth)
            for setting, keys in [("first mask", [0]), (f"every {a.every}", list(range(0, n, a.every)))]:
                log(f"{clip}: {setting} ({len(keys)} keyframes, {n} frames)")
                pred, secs = track(a.retake, video, keys, truth, work, f"{clip}_{len(keys)}")
                held_first = [truth[0]] * n
                held_key = [truth[max(k for k in keys if k <= i)] for i in range(n)]
                rows.append({
                    "clip": clip,
                    "setting": setting,
                    "keys": len(keys),
                    "frames": n,
                    "scored": n - len(keys),
                    "hold_first": mean_j(held_first, truth, set(keys)),
                    "hold_key": mean_j(held_key, truth, set(keys)),
                    "ours": mean_j(pred, truth, set(keys)),
                    "fps": n / secs,
                })
    lines = [
        "# retake track: region similarity J (mean IoU on frames not given)",
        "",
        "| clip | keyframes | frames scored | hold first mask | hold latest keyframe | retake track | frames/s (this machine) |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['clip']} | {r['setting']} ({r['keys']}) | {r['scored']} | {r['hold_first']:.3f} | "
            f"{r['hold_key']:.3f} | **{r['ours']:.3f}** | {r['fps']:.1f} |"
        )
    for setting in sorted({r["setting"] for r in rows}, key=lambda s: s != "first mask"):
        sel = [r for r in rows if r["setting"] == setting]
        lines.append(
            f"| **mean** | {setting} | | {np.mean([r['hold_first'] for r in sel]):.3f} | "
            f"{np.mean([r['hold_key'] for r in sel]):.3f} | **{np.mean([r['ours'] for r in sel]):.3f}** | |"
        )
    text = "\n".join(lines) + "\n"
    with open(os.path.join(a.out, "track.md"), "w") as f:
        f.write(text)
    print(text)


if __name__ == "__main__":
    main()
