//! `retake track` end to end on a synthetic shot whose true masks are
//! known: a textured square moving over a textured background (96x64, 12
//! frames, written as PNGs here). Checks that tracking from one keyframe
//! follows the square where holding the mask still fails, backwards as
//! well as forwards, from a box, identically for any thread count and any
//! chunking, through `remove --mask KEYFRAMES`; and that bad keyframes
//! fail with the documented exit code, naming the argument or file, and
//! leave nothing behind.

mod common;

use std::path::{Path, PathBuf};

use common::{listing, read_mask, retake, stderr};

const W: usize = 96;
const H: usize = 64;
const FRAMES: usize = 12;
const SIDE: usize = 20;

/// Top-left corner of the square in frame `t`: 3 px right and 1 px down
/// per frame, so by frame 6 it has left its first place entirely.
fn square_at(t: usize) -> (usize, usize) {
    (10 + 3 * t, 16 + t)
}

fn truth(t: usize) -> Vec<bool> {
    let (sx, sy) = square_at(t);
    (0..W * H)
        .map(|i| {
            let (x, y) = (i % W, i / W);
            x >= sx && x < sx + SIDE && y >= sy && y < sy + SIDE
        })
        .collect()
}

fn write_png(path: &Path, data: &[u8], colour: png::ColorType) {
    let file = std::fs::File::create(path).unwrap();
    let mut enc = png::Encoder::new(std::io::BufWriter::new(file), W as u32, H as u32);
    enc.set_color(colour);
    enc.set_depth(png::BitDepth::Eight);
    enc.write_header().unwrap().write_image_data(data).unwrap();
}

/// The shot as `shot.%04d.png` (frames 0..FRAMES): a smooth green-blue
/// background texture and a reddish checkered square.
fn shot(dir: &Path) -> String {
    for t in 0..FRAMES {
        let (sx, sy) = square_at(t);
        let mut rgb = Vec::with_capacity(W * H * 3);
        for y in 0..H {
            for x in 0..W {
                let (xf, yf) = (x as f32, y as f32);
                let px = if x >= sx && x < sx + SIDE && y >= sy && y < sy + SIDE {
                    let check = ((x - sx) / 4 + (y - sy) / 4) % 2 == 0;
                    if check {
                        [220.0, 60.0, 40.0]
                    } else {
                        [160.0, 30.0, 60.0]
                    }
                } else {
                    let v = 0.5
                        + 0.25 * (0.31 * xf).sin() * (0.23 * yf).cos()
                        + 0.15 * (0.11 * xf + 0.17 * yf).sin();
                    [40.0 * v, 200.0 * v, 150.0 * v + 30.0]
                };
                rgb.extend(px.iter().map(|c| c.round().clamp(0.0, 255.0) as u8));
            }
        }
        write_png(
            &dir.join(format!("shot.{t:04}.png")),
            &rgb,
            png::ColorType::Rgb,
        );
    }
    dir.join("shot.%04d.png").to_string_lossy().into_owned()
}

/// Frame `t`'s true mask as a PNG keyframe file.
fn key(dir: &Path, t: usize) -> String {
    let data: Vec<u8> = truth(t).iter().map(|m| if *m { 255 } else { 0 }).collect();
    let p = dir.join(format!("key{t}.png"));
    write_png(&p, &data, png::ColorType::Grayscale);
    p.to_string_lossy().into_owned()
}

fn iou(a: &[bool], b: &[bool]) -> f32 {
    let inter = a.iter().zip(b).filter(|(x, y)| **x && **y).count();
    let union = a.iter().zip(b).filter(|(x, y)| **x || **y).count();
    if union == 0 {
        1.0
    } else {
        inter as f32 / union as f32
    }
}

fn track(shot: &str, keys: &str, out: &Path, extra: &[&str]) {
    let mut args = vec![
        "track",
        shot,
        "--keyframes",
        keys,
        "-o",
        out.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    let o = retake(&args);
    assert!(o.status.success(), "track {keys}: {}", stderr(&o));
}

fn frame_path(pattern: &Path, t: usize) -> PathBuf {
    PathBuf::from(
        pattern
            .to_str()
            .unwrap()
            .replace("%04d", &format!("{t:04}")),
    )
}

/// Mean IoU of the written masks against the truth over `frames`, and
/// the same for holding keyframe `held`'s mask still.
fn scores(pattern: &Path, frames: impl Iterator<Item = usize> + Clone, held: usize) -> (f32, f32) {
    let n = frames.clone().count() as f32;
    let ours: f32 = frames
        .clone()
        .map(|t| iou(&read_mask(&frame_path(pattern, t)), &truth(t)))
        .sum();
    let still: f32 = frames.map(|t| iou(&truth(held), &truth(t))).sum();
    (ours / n, still / n)
}

#[test]
fn follows_a_moving_square_forwards_from_one_keyframe() {
    let dir = tempfile::tempdir().unwrap();
    let shot = shot(dir.path());
    let out = dir.path().join("m.%04d.png");
    track(&shot, &format!("0={}", key(dir.path(), 0)), &out, &[]);
    let (ours, still) = scores(&out, 1..FRAMES, 0);
    assert!(still < 0.4, "holding the mask scores {still}");
    assert!(ours > 0.8, "tracking scores {ours} (holding: {still})");
    // The keyframe itself is the given mask.
    assert_eq!(read_mask(&frame_path(&out, 0)), truth(0));
    // Provenance names the operation and the keyframe file.
    let p: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("m.%04d.png.retake.json")).unwrap())
            .unwrap();
    assert_eq!(p["operation"], "track");
    let text = p.to_string();
    assert!(
        text.contains("keyframe 0") && text.contains("key0.png"),
        "{text}"
    );
}

#[test]
fn follows_it_backwards_from_the_last_frame() {
    let dir = tempfile::tempdir().unwrap();
    let shot = shot(dir.path());
    let out = dir.path().join("m.%04d.png");
    let last = FRAMES - 1;
    track(
        &shot,
        &format!("{last}={}", key(dir.path(), last)),
        &out,
        &[],
    );
    let (ours, still) = scores(&out, 0..last, last);
    assert!(still < 0.4, "holding the mask scores {still}");
    assert!(ours > 0.8, "tracking backwards scores {ours}");
}

#[test]
fn finds_the_object_in_a_box_and_tracks_it() {
    let dir = tempfile::tempdir().unwrap();
    let shot = shot(dir.path());
    let out = dir.path().join("m.%04d.png");
    let (sx, sy) = square_at(0);
    let keys = format!("0=box:{},{},{},{}", sx - 4, sy - 5, SIDE + 9, SIDE + 8);
    track(&shot, &keys, &out, &[]);
    let key_iou = iou(&read_mask(&frame_path(&out, 0)), &truth(0));
    assert!(key_iou > 0.85, "the box's mask scores {key_iou}");
    let (ours, still) = scores(&out, 1..FRAMES, 0);
    assert!(
        ours > 0.75 && still < 0.4,
        "box tracking {ours}, holding {still}"
    );
}

#[test]
fn same_masks_for_any_thread_count_and_chunking() {
    let dir = tempfile::tempdir().unwrap();
    let shot = shot(dir.path());
    let keys = format!(
        "0={},6=box:{},{},{},{},11={}",
        key(dir.path(), 0),
        square_at(6).0 - 3,
        square_at(6).1 - 3,
        SIDE + 6,
        SIDE + 6,
        key(dir.path(), 11)
    );
    let one = dir.path().join("one.%04d.png");
    let two = dir.path().join("two.%04d.png");
    track(&shot, &keys, &one, &["--threads", "1"]);
    track(&shot, &keys, &two, &["--threads", "2"]);
    // Chunks that start and end inside stretches between keyframes.
    let chunks = dir.path().join("chunk.%04d.png");
    for range in ["0-3", "4-8", "9-11"] {
        track(&shot, &keys, &chunks, &["--frames", range]);
    }
    for t in 0..FRAMES {
        let a = std::fs::read(frame_path(&one, t)).unwrap();
        assert_eq!(
            a,
            std::fs::read(frame_path(&two, t)).unwrap(),
            "threads, frame {t}"
        );
        assert_eq!(
            a,
            std::fs::read(frame_path(&chunks, t)).unwrap(),
            "chunks, frame {t}"
        );
    }
    let (ours, _) = scores(&one, (1..6).chain(7..11), 0);
    assert!(ours > 0.85, "three keyframes score {ours}");
}

#[test]
fn remove_takes_keyframes_and_tracks_the_mask_once_in_the_run() {
    let dir = tempfile::tempdir().unwrap();
    let shot = shot(dir.path());
    let keys = format!("0={}", key(dir.path(), 0));
    // The masks as a float sequence, then removal with them and with the
    // keyframes directly: the same pictures.
    let masks = dir.path().join("m.%04d.exr");
    track(&shot, &keys, &masks, &["--codec", "exr-float"]);
    let a = dir.path().join("a.%04d.png");
    let b = dir.path().join("b.%04d.png");
    for (mask, out) in [(masks.to_str().unwrap(), &a), (keys.as_str(), &b)] {
        let o = retake(&[
            "remove",
            &shot,
            "--mask",
            mask,
            "-o",
            out.to_str().unwrap(),
            "--window",
            "3",
        ]);
        assert!(o.status.success(), "remove --mask {mask}: {}", stderr(&o));
    }
    for t in 0..FRAMES {
        assert_eq!(
            std::fs::read(frame_path(&a, t)).unwrap(),
            std::fs::read(frame_path(&b, t)).unwrap(),
            "frame {t}"
        );
    }
    let p = std::fs::read_to_string(dir.path().join("b.%04d.png.retake.json")).unwrap();
    assert!(p.contains("keyframe 0"), "{p}");
}

#[test]
fn bad_keyframes_fail_clearly_and_leave_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let shot = shot(dir.path());
    let good = key(dir.path(), 0);
    let wrong_size = dir.path().join("wide.png");
    {
        let file = std::fs::File::create(&wrong_size).unwrap();
        let mut enc = png::Encoder::new(std::io::BufWriter::new(file), 8, 8);
        enc.set_color(png::ColorType::Grayscale);
        enc.write_header()
            .unwrap()
            .write_image_data(&[255u8; 64])
            .unwrap();
    }
    let missing = dir.path().join("nothere.png");
    let broken = dir.path().join("broken.png");
    std::fs::write(&broken, b"not a png at all").unwrap();
    let before = listing(dir.path());
    let out = dir.path().join("out.%04d.png");
    let cases: Vec<(String, i32, String)> = vec![
        ("dog.png".into(), 2, "keyframes".into()),
        ("0=box:1,2,3".into(), 2, "keyframes".into()),
        (format!("0={good},0={good}"), 2, "given twice".into()),
        (
            "0=box:500,500,10,10".into(),
            2,
            "outside the 96x64 picture".into(),
        ),
        (
            format!("0={}", missing.display()),
            3,
            missing.display().to_string(),
        ),
        (
            format!("0={}", broken.display()),
            3,
            broken.display().to_string(),
        ),
        (
            format!("0={}", wrong_size.display()),
            3,
            wrong_size.display().to_string(),
        ),
        (format!("40={good}"), 3, "keyframe 40".into()),
    ];
    for (keys, code, needle) in &cases {
        let o = retake(&[
            "track",
            &shot,
            "--keyframes",
            keys,
            "-o",
            out.to_str().unwrap(),
        ]);
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(*code), "{keys}: {err}");
        assert!(err.contains(needle.as_str()), "{keys}: {err}");
        assert!(!err.contains("panicked"), "{keys}: {err}");
        assert_eq!(listing(dir.path()), before, "{keys} left files behind");
    }
    // A keyframe outside the clip names the clip too; `remove` names --mask.
    let o = retake(&[
        "track",
        &shot,
        "--keyframes",
        &format!("40={good}"),
        "-o",
        out.to_str().unwrap(),
    ]);
    assert!(stderr(&o).contains("shot.%04d.png"), "{}", stderr(&o));
    let o = retake(&[
        "remove",
        &shot,
        "--mask",
        "3=box:1,2",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    // The CLI names the parameter by its flag.
    assert!(stderr(&o).contains("`--mask`"), "{}", stderr(&o));
    // An existing output is kept, byte for byte, when a keyframe is bad.
    std::fs::write(dir.path().join("out.0000.png"), b"keep me").unwrap();
    let o = retake(&[
        "track",
        &shot,
        "--keyframes",
        &format!("0={}", missing.display()),
        "-o",
        out.to_str().unwrap(),
        "-y",
    ]);
    assert_eq!(o.status.code(), Some(3));
    assert_eq!(
        std::fs::read(dir.path().join("out.0000.png")).unwrap(),
        b"keep me"
    );
}

#[test]
fn a_job_file_takes_keyframes_relative_to_itself() {
    let dir = tempfile::tempdir().unwrap();
    let shots = dir.path().join("shots");
    std::fs::create_dir(&shots).unwrap();
    shot(&shots);
    key(&shots, 0);
    let job = shots.join("job.toml");
    std::fs::write(
        &job,
        "operation = \"remove\"\n[io]\ninput = \"shot.%04d.png\"\noutput = \"clean.%04d.png\"\n\
         [remove]\nmask = \"0=key0.png,6=box:25,18,26,26\"\nwindow = 3\n",
    )
    .unwrap();
    // Run from elsewhere: the paths must come from the job file's folder.
    let o = retake(&["run", job.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(shots.join(format!("clean.{:04}.png", FRAMES - 1)).is_file());
}
