"""Quality protocol for `retake remove`: prepares the evaluation data, runs
our fill and the baselines on the same holed frames, scores every result
with `retake eval`, and writes the results for report.py.

Called by scripts/eval_remove.sh (which sets up the venv and builds retake);
run that rather than this.

Video completion (as STTN/E2FGVI evaluate, where no ground truth exists for
removing a real object): each DAVIS clip's object masks are laid over the
other clip's frames (the first min(frames) frames of both); the original
frames are the ground truth. A second variant holds the other clip's first
mask still for every frame (a logo or rig), where FFmpeg's removelogo also
applies. Every method gets the same input: the frames with the hole blacked
out, and the same mask, so no method can see the ground truth in the hole.
Still images (Places2 with free-form holes) test the spatial fill alone,
with MI-GAN's published fills as a reference row.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import time

import cv2
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
VIDEO_METHODS = ["ours", "ours-smooth", "ours-patchmatch", "telea", "ns"]
STATIC_METHODS = ["ours", "ours-smooth", "ours-patchmatch", "telea", "ns", "removelogo"]
IMAGE_METHODS = ["ours", "ours-smooth", "ours-patchmatch", "telea", "ns", "migan"]
OURS_FILLS = {"ours": [], "ours-smooth": ["--fill", "smooth"], "ours-patchmatch": ["--fill", "patchmatch"]}


def log(msg):
    print(f"eval: {msg}", file=sys.stderr, flush=True)


def run(cmd, **kw):
    r = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if r.returncode != 0:
        raise RuntimeError(f"{' '.join(map(str, cmd))} exited {r.returncode}: {r.stderr.strip()[-2000:]}")
    return r


def imread(path, flags=cv2.IMREAD_COLOR):
    img = cv2.imread(path, flags)
    if img is None:
        raise RuntimeError(f"cannot read {path}")
    return img


def imwrite(path, img):
    if not cv2.imwrite(path, img):
        raise RuntimeError(f"cannot write {path}")


def pngs(folder):
    return sorted(n for n in os.listdir(folder) if n.endswith(".png"))


def fresh_dir(path):
    shutil.rmtree(path, ignore_errors=True)
    os.makedirs(path)
    return path


def hole_of(annotation, size):
    """A binary hole (255 = hole) from a DAVIS annotation (palette colours,
    anything not black is an object), resized nearest-neighbour."""
    img = imread(annotation, cv2.IMREAD_COLOR)
    hole = (img.max(axis=2) > 0).astype(np.uint8) * 255
    if (hole.shape[1], hole.shape[0]) != size:
        hole = cv2.resize(hole, size, interpolation=cv2.INTER_NEAREST)
    return hole


def blank(frame, hole):
    out = frame.copy()
    out[hole > 127] = 0
    return out


# ---------------------------------------------------------------- data


def prepare_davis(data, work, limit):
    """Ground-truth frames of both clips, and per task (frames of one clip,
    masks of the other) the holed inputs and masks, moving and static."""
    src = os.path.join(data, "davis-sttn")
    clips = sorted(n[: -len("_orig.mp4")] for n in os.listdir(src) if n.endswith("_orig.mp4"))
    if len(clips) < 2:
        raise RuntimeError(f"{src}: need two clips NAME_orig.mp4 with masks NAME/*.png")
    counts = {c: len(pngs(os.path.join(src, c))) for c in clips}
    n = min(counts.values())
    if limit:
        n = min(n, limit)
    root = os.path.join(work, "data", "davis")
    stamp = os.path.join(root, "prepared.json")
    want = {"clips": clips, "frames": n}
    if os.path.exists(stamp) and json.load(open(stamp)) == want:
        return tasks_of(root, clips), n
    shutil.rmtree(root, ignore_errors=True)
    for c in clips:
        gt = fresh_dir(os.path.join(root, c, "gt"))
        run(["ffmpeg", "-loglevel", "error", "-y", "-i", os.path.join(src, f"{c}_orig.mp4"),
             "-frames:v", str(n), "-start_number", "0", "-pix_fmt", "rgb24",
             os.path.join(gt, "%05d.png")])
        if len(pngs(gt)) != n:
            raise RuntimeError(f"{c}_orig.mp4 gave {len(pngs(gt))} frames, expected {n}")
    for frames_clip, masks_clip in pairs(clips):
        gt = os.path.join(root, frames_clip, "gt")
        t = os.path.join(root, f"{frames_clip}+{masks_clip}")
        names = pngs(gt)
        first = imread(os.path.join(gt, names[0]))
        size = (first.shape[1], first.shape[0])
        ann = sorted(pngs(os.path.join(src, masks_clip)))[:n]
        moving_in = fresh_dir(os.path.join(t, "moving", "input"))
        moving_mask = fresh_dir(os.path.join(t, "moving", "mask"))
        static_in = fresh_dir(os.path.join(t, "static", "input"))
        still = hole_of(os.path.join(src, masks_clip, ann[0]), size)
        imwrite(os.path.join(t, "static", "mask.png"), still)
        for name, a in zip(names, ann):
            frame = imread(os.path.join(gt, name))
            hole = hole_of(os.path.join(src, masks_clip, a), size)
            imwrite(os.path.join(moving_mask, name), hole)
            imwrite(os.path.join(moving_in, name), blank(frame, hole))
            imwrite(os.path.join(static_in, name), blank(frame, still))
    json.dump(want, open(stamp, "w"))
    return tasks_of(root, clips), n


def pairs(clips):
    """(frames of, masks of): each clip's masks over the next clip's frames."""
    return [(clips[(i + 1) % len(clips)], c) for i, c in enumerate(clips)]


def tasks_of(root, clips):
    return [
        {"name": f"{f}+{m}", "frames_clip": f, "masks_clip": m, "dir": os.path.join(root, f"{f}+{m}"),
         "gt": os.path.join(root, f, "gt")}
        for f, m in pairs(clips)
    ]


def prepare_places(data, work, limit):
    """PNG ground truth (the JPEGs decoded once), holes with white = hole
    (the set's masks are white = keep), holed inputs."""
    src = os.path.join(data, "places2-512")
    names = sorted(os.path.splitext(n)[0] for n in os.listdir(os.path.join(src, "images")))
    if limit:
        names = names[:limit]
    root = os.path.join(work, "data", "places")
    stamp = os.path.join(root, "prepared.json")
    if os.path.exists(stamp) and json.load(open(stamp)) == names:
        return root, names
    for sub in ("gt", "hole", "input"):
        fresh_dir(os.path.join(root, sub))
    for name in names:
        image = [f for f in os.listdir(os.path.join(src, "images")) if os.path.splitext(f)[0] == name][0]
        img = imread(os.path.join(src, "images", image))
        keep = imread(os.path.join(src, "masks", f"{name}.png"), cv2.IMREAD_GRAYSCALE)
        if keep.shape != img.shape[:2]:
            raise RuntimeError(f"mask of {name} is {keep.shape[::-1]}, image is {img.shape[1::-1]}")
        hole = (keep < 128).astype(np.uint8) * 255
        imwrite(os.path.join(root, "gt", f"{name}.png"), img)
        imwrite(os.path.join(root, "hole", f"{name}.png"), hole)
        imwrite(os.path.join(root, "input", f"{name}.png"), blank(img, hole))
    json.dump(names, open(stamp, "w"))
    return root, names


# ---------------------------------------------------------------- methods


class Methods:
    def __init__(self, retake, remove_args):
        self.retake = retake
        self.remove_args = remove_args
        r = subprocess.run([retake, "remove", "--help"], capture_output=True, text=True)
        self.ours_missing = None if r.returncode == 0 else (
            f"`retake remove --help` failed ({r.returncode}): {(r.stderr or r.stdout).strip()[:200]}")
        if self.ours_missing:
            log(f"skipping ours: {self.ours_missing}")

    def ours(self, method, inp, mask, out):
        # `ours` is the default fill (`auto`: without a learned model, the
        # membrane); the others name the fill for what no frame shows.
        extra = OURS_FILLS[method]
        run([self.retake, "-q", "remove", inp, "--mask", mask, "-o", out, "--codec", "png8", "-y",
             *self.remove_args, *extra])

    def opencv(self, method, inp, mask, out):
        run([sys.executable, os.path.join(HERE, "baselines.py"), method, inp, mask, out, "--radius", "5"])

    def removelogo(self, inp, mask, out):
        # The filter works in 4:2:0; outside the hole its output is replaced
        # by the input afterwards (untimed), so only the fill is compared.
        run(["ffmpeg", "-loglevel", "error", "-y", "-start_number", "0", "-i", inp,
             "-vf", f"removelogo=f={mask}", "-start_number", "0", "-pix_fmt", "rgb24", out])


def composite_outside(out_dir, in_dir, mask_path):
    hole = imread(mask_path, cv2.IMREAD_GRAYSCALE) > 127
    for name in pngs(out_dir):
        out = imread(os.path.join(out_dir, name))
        keep = imread(os.path.join(in_dir, name))
        out[~hole] = keep[~hole]
        imwrite(os.path.join(out_dir, name), out)


def score(retake, output, gt, mask, save, flow_cache=None):
    """`retake eval`'s JSON (kept at `save`, with the per-frame arrays)."""
    cmd = [retake, "-q", "eval", output, gt, "--mask", mask, "--json"]
    if flow_cache:
        cmd += ["--flow-cache", flow_cache]
    text = run(cmd).stdout
    os.makedirs(os.path.dirname(save), exist_ok=True)
    with open(save, "w") as f:
        f.write(text)
    return json.loads(text)


def num(v):
    """retake eval writes infinite PSNR as "inf" and undefined as null."""
    if isinstance(v, str):
        return float(v)
    return float("nan") if v is None else v


def video_row(task, variant, method, j, seconds):
    return {
        "set": "davis", "variant": variant, "clip": task["name"], "method": method, "status": "ok",
        "frames": j["frames"], "psnr": num(j["psnr"]), "ssim": num(j["ssim"]),
        "psnr_mask": num(j["psnr_mask"]), "ssim_mask": num(j["ssim_mask"]),
        "mask_fraction": num(j["mask_fraction"]), "ewarp": num(j["warping_error"]), "seconds": seconds,
    }


def run_davis(args, m, rows):
    tasks, n = prepare_davis(args.data, args.out, args.frames)
    log(f"davis: {len(tasks)} tasks, {n} frames each")
    for task in tasks:
        gt = os.path.join(task["gt"], "%05d.png")
        cache = os.path.join(args.out, "flows", task["frames_clip"])
        for variant, methods in (("moving", VIDEO_METHODS), ("static", STATIC_METHODS)):
            vdir = os.path.join(task["dir"], variant)
            inp_dir = os.path.join(vdir, "input")
            inp = os.path.join(inp_dir, "%05d.png")
            mask = (os.path.join(vdir, "mask", "%05d.png") if variant == "moving"
                    else os.path.join(vdir, "mask.png"))
            mask_dir = os.path.join(vdir, "mask") if variant == "moving" else mask
            # The ground truth itself: the warping error's floor (flow noise).
            saved = os.path.join(args.out, "scores", "davis", task["name"], variant)
            j = score(args.retake, gt, gt, mask, os.path.join(saved, "ground-truth.json"), cache)
            rows.append(video_row(task, variant, "ground truth", j, None))
            for method in methods:
                if method not in args.methods:
                    continue
                if method.startswith("ours") and m.ours_missing:
                    rows.append({"set": "davis", "variant": variant, "clip": task["name"], "method": method,
                                 "status": "skipped: " + m.ours_missing})
                    continue
                out_dir = fresh_dir(os.path.join(args.out, "results", "davis", task["name"], variant, method))
                out = os.path.join(out_dir, "%05d.png")
                log(f"davis {task['name']} {variant}: {method}")
                t0 = time.perf_counter()
                try:
                    if method.startswith("ours"):
                        m.ours(method, inp, mask, out)
                    elif method == "removelogo":
                        m.removelogo(inp, mask, out)
                    else:
                        m.opencv(method, inp_dir, mask_dir, out_dir)
                    seconds = time.perf_counter() - t0
                    if method == "removelogo":
                        composite_outside(out_dir, inp_dir, mask)
                    j = score(args.retake, out, gt, mask, os.path.join(saved, f"{method}.json"), cache)
                except RuntimeError as e:
                    log(f"  failed: {e}")
                    rows.append({"set": "davis", "variant": variant, "clip": task["name"], "method": method,
                                 "status": f"failed: {e}"[:300]})
                    continue
                rows.append(video_row(task, variant, method, j, seconds))
                log(f"  PSNR {j['psnr']} SSIM {j['ssim']} in mask {j['psnr_mask']} / {j['ssim_mask']}, "
                    f"Ewarp {j['warping_error']}, {seconds:.1f}s")


def run_places(args, m, rows):
    root, names = prepare_places(args.data, args.out, args.images)
    log(f"places: {len(names)} images")
    migan = os.path.join(args.data, "places2-512", "results", "migan")
    for method in IMAGE_METHODS:
        if method not in args.methods:
            continue
        if method.startswith("ours") and m.ours_missing:
            rows.append({"set": "places", "variant": "image", "clip": "places2", "method": method,
                         "status": "skipped: " + m.ours_missing})
            continue
        out_dir = fresh_dir(os.path.join(args.out, "results", "places", method))
        log(f"places: {method}")
        scores, seconds, failed = [], 0.0, None
        t0 = time.perf_counter()
        try:
            if method in ("telea", "ns"):
                # One process over the folder, as a user would run it.
                m.opencv(method, os.path.join(root, "input"), os.path.join(root, "hole"), out_dir)
            elif method.startswith("ours"):
                for name in names:
                    m.ours(method, os.path.join(root, "input", f"{name}.png"), os.path.join(root, "hole", f"{name}.png"),
                           os.path.join(out_dir, f"{name}.png"))
            seconds = time.perf_counter() - t0
            for name in names:
                out = (os.path.join(migan, f"{name}.png") if method == "migan"
                       else os.path.join(out_dir, f"{name}.png"))
                scores.append(score(args.retake, out, os.path.join(root, "gt", f"{name}.png"),
                                    os.path.join(root, "hole", f"{name}.png"),
                                    os.path.join(args.out, "scores", "places", method, f"{name}.json")))
        except RuntimeError as e:
            failed = str(e)
        if failed:
            log(f"  failed: {failed}")
            rows.append({"set": "places", "variant": "image", "clip": "places2", "method": method,
                         "status": f"failed: {failed}"[:300]})
            continue
        mean = lambda k: float(np.mean([num(s[k]) for s in scores]))  # noqa: E731
        rows.append({
            "set": "places", "variant": "image", "clip": "places2", "method": method, "status": "ok",
            "frames": len(scores), "psnr": mean("psnr"), "ssim": mean("ssim"),
            "psnr_mask": mean("psnr_mask"), "ssim_mask": mean("ssim_mask"),
            "mask_fraction": mean("mask_fraction"), "ewarp": float("nan"),
            "seconds": None if method == "migan" else seconds,
        })
        log(f"  PSNR {rows[-1]['psnr']:.2f} SSIM {rows[-1]['ssim']:.4f} in hole "
            f"{rows[-1]['psnr_mask']:.2f} / {rows[-1]['ssim_mask']:.4f}")


def main():
    p = argparse.ArgumentParser(description="Quality protocol for retake remove.")
    p.add_argument("--data", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--retake", required=True)
    p.add_argument("--sets", default="davis,places", help="comma list of davis, places")
    p.add_argument("--methods", default="ours,ours-smooth,ours-patchmatch,telea,ns,removelogo,migan")
    p.add_argument("--frames", type=int, default=0, help="use at most this many frames per clip (0 = all)")
    p.add_argument("--images", type=int, default=0, help="use at most this many images (0 = all)")
    p.add_argument("--remove-args", default="--dilate 0 --feather 0",
                   help="extra flags for retake remove (same hole for every method by default)")
    args = p.parse_args()
    args.methods = set(args.methods.split(","))
    sets = args.sets.split(",")
    os.makedirs(args.out, exist_ok=True)
    m = Methods(args.retake, args.remove_args.split())
    rows = []
    if "davis" in sets:
        run_davis(args, m, rows)
    if "places" in sets:
        run_places(args, m, rows)
    version = subprocess.run([args.retake, "--version"], capture_output=True, text=True).stdout.strip()
    meta = {"retake": version, "remove_args": args.remove_args, "data": os.path.abspath(args.data),
            "frames_limit": args.frames, "images_limit": args.images}
    with open(os.path.join(args.out, "results.json"), "w") as f:
        json.dump({"meta": meta, "rows": rows}, f, indent=1, allow_nan=True)


if __name__ == "__main__":
    main()
