"""Markdown tables from protocol.py's results.json: method x clip, with
whole-frame and in-mask PSNR/SSIM, the warping error and wall time.

Usage: report.py RESULTS_JSON OUTPUT_MD   (also prints the tables)
"""

import json
import math
import sys

NAMES = {
    "ours": "retake remove (default fill)",
    "ours-smooth": "retake remove --fill smooth",
    "ours-patchmatch": "retake remove --fill patchmatch",
    "telea": "OpenCV Telea (per frame)",
    "ns": "OpenCV Navier-Stokes (per frame)",
    "removelogo": "FFmpeg removelogo",
    "migan": "MI-GAN (published fills, reference)",
    "ground truth": "ground truth (floor)",
}
ORDER = ["ground truth", "ours", "ours-smooth", "ours-patchmatch", "telea", "ns", "removelogo", "migan"]


def fmt(v, digits):
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "-"
    if math.isinf(v):
        return "inf"
    return f"{v:.{digits}f}"


def mean(rows, key):
    vals = [r[key] for r in rows if r.get(key) is not None and not math.isnan(r[key])]
    return sum(vals) / len(vals) if vals else float("nan")


def video_table(rows, variant):
    rows = [r for r in rows if r["set"] == "davis" and r["variant"] == variant]
    if not rows:
        return []
    out = [
        "| method | frames of (masks of) | PSNR | SSIM | PSNR in mask | SSIM in mask | Ewarp x1000 | time s | s/frame |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    clips = sorted({r["clip"] for r in rows})
    for method in sorted({r["method"] for r in rows}, key=ORDER.index):
        mine = [r for r in rows if r["method"] == method]
        for clip in clips:
            for r in (r for r in mine if r["clip"] == clip):
                label = clip.replace("+", " (") + ")"
                if r["status"] != "ok":
                    out.append(f"| {NAMES[method]} | {label} | {r['status']} | | | | | | |")
                    continue
                out.append(row_cells(NAMES[method], label, r))
        ok = [r for r in mine if r["status"] == "ok"]
        if len(ok) > 1:
            m = {k: mean(ok, k) for k in ("psnr", "ssim", "psnr_mask", "ssim_mask", "ewarp")}
            secs = [r["seconds"] for r in ok if r["seconds"] is not None]
            m["seconds"] = sum(secs) if secs else None
            m["frames"] = sum(r["frames"] for r in ok)
            out.append(row_cells(f"**{NAMES[method]}**", "**mean**", m))
    return out


def row_cells(name, label, r):
    secs = r.get("seconds")
    per = secs / r["frames"] if secs is not None and r.get("frames") else None
    ewarp = r["ewarp"] * 1000 if r.get("ewarp") is not None else None
    return (f"| {name} | {label} | {fmt(r['psnr'], 2)} | {fmt(r['ssim'], 4)} | {fmt(r['psnr_mask'], 2)} | "
            f"{fmt(r['ssim_mask'], 4)} | {fmt(ewarp, 3)} | {fmt(secs, 1)} | {fmt(per, 3)} |")


def image_table(rows):
    rows = [r for r in rows if r["set"] == "places"]
    if not rows:
        return []
    out = [
        "| method | images | PSNR | SSIM | PSNR in hole | SSIM in hole | hole % | time s | s/image |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in sorted(rows, key=lambda r: ORDER.index(r["method"])):
        if r["status"] != "ok":
            out.append(f"| {NAMES[r['method']]} | {r['status']} | | | | | | | |")
            continue
        secs = r.get("seconds")
        per = secs / r["frames"] if secs is not None else None
        out.append(f"| {NAMES[r['method']]} | {r['frames']} | {fmt(r['psnr'], 2)} | {fmt(r['ssim'], 4)} | "
                   f"{fmt(r['psnr_mask'], 2)} | {fmt(r['ssim_mask'], 4)} | {fmt(100 * r['mask_fraction'], 1)} | "
                   f"{fmt(secs, 1)} | {fmt(per, 3)} |")
    return out


def main():
    results, md = sys.argv[1], sys.argv[2]
    data = json.load(open(results))
    meta, rows = data["meta"], data["rows"]
    frames = sorted({r["frames"] for r in rows if r["set"] == "davis" and r.get("frames")})
    lines = [
        "# retake remove: quality protocol",
        "",
        f"{meta['retake']}, `retake remove {meta['remove_args']}`; data {meta['data']}.",
        "Figures from `retake eval` on 8-bit code values: PSNR (dB, peak 1) and SSIM (Wang et al. 2004) per frame,",
        "averaged; Ewarp = flow warping error (Lai et al. 2018, mean squared, x1000), flow from the ground truth.",
        "Every method gets the same frames with the hole blacked out and the same mask. Times are wall-clock",
        "seconds of the whole command (decode, fill, encode) on this machine.",
        "",
        "## Video completion, moving masks",
        "",
        "Each DAVIS clip's object masks laid over the other clip's frames"
        + (f" ({', '.join(map(str, frames))} frames, 432x240)." if frames else "."),
        "",
        *video_table(rows, "moving"),
        "",
        "## Video completion, static mask",
        "",
        "The other clip's first mask held still for every frame (a logo or rig). removelogo's output is",
        "put back over the input outside the hole (it works in 4:2:0), so only its fill is compared.",
        "",
        *video_table(rows, "static"),
        "",
        "## Image fill (Places2, free-form holes)",
        "",
        "Spatial fill alone on single images; MI-GAN's published fills (a learned model) as a reference.",
        "",
        *image_table(rows),
        "",
        "Published video-completion figures for context (deep models on GPUs, 50+ sequences, other masks):",
        "STTN 30.67 / 0.9560, FuseFormer 32.54 / 0.9700, E2FGVI 33.01 / 0.9721 (DAVIS whole-frame PSNR / SSIM).",
        "",
    ]
    text = "\n".join(lines)
    with open(md, "w") as f:
        f.write(text)
    print(text)


if __name__ == "__main__":
    main()
