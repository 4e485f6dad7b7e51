"""Contact sheets of the removal protocol, to look at what the numbers
hide (blobs, seams, smears, flicker between the rows' frames): per DAVIS
task and variant, three frames in rows, the methods in columns, each cell
a crop around the hole enlarged 2x; for Places2, the first images with
every method side by side. Reads what protocol.py left under OUT.

Usage: sheets.py OUT   (writes OUT/sheets/*.png)
"""

import os
import sys

import cv2
import numpy as np

COLUMNS = ["input", "ground truth", "ours", "ours-smooth", "ours-patchmatch", "telea", "ns", "removelogo"]
IMAGE_COLUMNS = ["input", "ground truth", "ours", "ours-smooth", "ours-patchmatch", "telea", "ns", "migan"]


def read(path):
    img = cv2.imread(path, cv2.IMREAD_COLOR)
    if img is None:
        raise RuntimeError(f"cannot read {path}")
    return img


def label(img, text):
    out = img.copy()
    cv2.rectangle(out, (0, 0), (out.shape[1], 18), (0, 0, 0), -1)
    cv2.putText(out, text, (4, 13), cv2.FONT_HERSHEY_SIMPLEX, 0.45, (255, 255, 255), 1, cv2.LINE_AA)
    return out


def hole_box(masks, shape, pad=24):
    """One box around the hole of every given mask (so cells line up)."""
    union = np.zeros(shape[:2], bool)
    for m in masks:
        union |= m > 127
    ys, xs = np.nonzero(union)
    if len(xs) == 0:
        return 0, 0, shape[1], shape[0]
    x0, x1 = max(xs.min() - pad, 0), min(xs.max() + pad + 1, shape[1])
    y0, y1 = max(ys.min() - pad, 0), min(ys.max() + pad + 1, shape[0])
    return x0, y0, x1, y1


def davis_sheets(out):
    data = os.path.join(out, "data", "davis")
    results = os.path.join(out, "results", "davis")
    if not os.path.isdir(results):
        return []
    written = []
    for task in sorted(os.listdir(results)):
        frames_clip = task.split("+")[0]
        gt_dir = os.path.join(data, frames_clip, "gt")
        for variant in ("moving", "static"):
            vdir = os.path.join(data, task, variant)
            rdir = os.path.join(results, task, variant)
            if not os.path.isdir(rdir):
                continue
            names = sorted(n for n in os.listdir(gt_dir) if n.endswith(".png"))
            picks = [names[len(names) // 6], names[len(names) // 2], names[5 * len(names) // 6]]
            mask_of = (lambda n: os.path.join(vdir, "mask", n)) if variant == "moving" else (
                lambda n: os.path.join(vdir, "mask.png"))
            masks = [cv2.imread(mask_of(n), cv2.IMREAD_GRAYSCALE) for n in picks]
            first = read(os.path.join(gt_dir, picks[0]))
            x0, y0, x1, y1 = hole_box(masks, first.shape)
            # Only methods with every picked frame (a failed run has none).
            columns = [c for c in COLUMNS if c in ("input", "ground truth")
                       or all(os.path.exists(os.path.join(rdir, c, n)) for n in picks)]
            rows = []
            for n in picks:
                cells = []
                for col in columns:
                    path = {"input": os.path.join(vdir, "input", n), "ground truth": os.path.join(gt_dir, n)}.get(
                        col, os.path.join(rdir, col, n))
                    crop = read(path)[y0:y1, x0:x1]
                    crop = cv2.resize(crop, None, fx=2, fy=2, interpolation=cv2.INTER_NEAREST)
                    cells.append(label(crop, f"{col} {n[:-4]}"))
                rows.append(np.hstack(cells))
            sheet = os.path.join(out, "sheets", f"davis_{task}_{variant}.png")
            cv2.imwrite(sheet, np.vstack(rows))
            written.append(sheet)
    return written


def places_sheet(out, count=6):
    data = os.path.join(out, "data", "places")
    results = os.path.join(out, "results", "places")
    if not os.path.isdir(results):
        return []
    migan = None
    names = sorted(os.listdir(os.path.join(data, "gt")))[:count]
    rows = []
    for n in names:
        cells = []
        for col in IMAGE_COLUMNS:
            path = {"input": os.path.join(data, "input", n), "ground truth": os.path.join(data, "gt", n)}.get(
                col, os.path.join(results, col, n))
            if col == "migan":
                migan = migan or find_migan(out)
                path = os.path.join(migan, n) if migan else ""
            if not os.path.exists(path):
                continue
            img = cv2.resize(read(path), (256, 256), interpolation=cv2.INTER_AREA)
            cells.append(label(img, col))
        rows.append(np.hstack(cells))
    width = max(r.shape[1] for r in rows)
    rows = [np.pad(r, ((0, 0), (0, width - r.shape[1]), (0, 0))) for r in rows]
    sheet = os.path.join(out, "sheets", "places.png")
    cv2.imwrite(sheet, np.vstack(rows))
    return [sheet]


def find_migan(out):
    """MI-GAN's published fills, from the data folder results.json names."""
    import json

    try:
        meta = json.load(open(os.path.join(out, "results.json")))["meta"]
    except (OSError, KeyError, ValueError):
        return None
    path = os.path.join(meta["data"], "places2-512", "results", "migan")
    return path if os.path.isdir(path) else None


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    out = sys.argv[1]
    os.makedirs(os.path.join(out, "sheets"), exist_ok=True)
    for sheet in davis_sheets(out) + places_sheet(out):
        print(f"eval: contact sheet {sheet}", file=sys.stderr)


if __name__ == "__main__":
    main()
