//! `retake remove` end to end: mask sources (sequence, video, still,
//! `auto`), job files, and bad masks (wrong size, too few frames, covering
//! the whole frame), which must fail with a message naming the mask and
//! leave nothing behind. Clips are made with the `ffmpeg` tool.

mod common;

use std::path::{Path, PathBuf};

use common::{ffmpeg, listing, retake, stderr};

/// A moving test pattern, 160x90, `frames` long.
fn clip(dir: &Path, frames: u32) -> PathBuf {
    let p = dir.join("shot.mp4");
    ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        "testsrc2=size=160x90:rate=24",
        "-frames:v",
        &frames.to_string(),
        "-pix_fmt",
        "yuv420p",
        p.to_str().unwrap(),
    ]);
    p
}

/// A white box moving right over black, as a PNG sequence `m.%04d.png`
/// numbered from 0 (or any single-file output).
fn mask(dir: &Path, name: &str, size: &str, frames: u32, colour: &str) -> String {
    let p = dir.join(name);
    ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        &format!(
            "color=c={colour}:size={size}:rate=24[bg];color=c=white:size=24x20:rate=24[box];\
             [bg][box]overlay=x=30+4*n:y=30,format=gray[out0]"
        ),
        "-frames:v",
        &frames.to_string(),
        "-start_number",
        "0",
        p.to_str().unwrap(),
    ]);
    p.to_string_lossy().into_owned()
}

fn frames_of(path: &Path) -> u64 {
    let o = retake(&["probe", "--json", path.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let j: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    j["frames"].as_u64().unwrap()
}

#[test]
fn removes_with_a_sequence_a_video_and_a_still_mask() {
    let dir = tempfile::tempdir().unwrap();
    let shot = clip(dir.path(), 10);
    let shot = shot.to_str().unwrap();
    let seq = mask(dir.path(), "m.%04d.png", "160x90", 10, "black");
    let video = mask(dir.path(), "m.mkv", "160x90", 10, "black");
    let still = mask(dir.path(), "still.png", "160x90", 1, "black");
    for (i, m) in [seq, video, still].iter().enumerate() {
        let out = dir.path().join(format!("out{i}.mkv"));
        let o = retake(&[
            "remove",
            shot,
            "--mask",
            m,
            "-o",
            out.to_str().unwrap(),
            "--codec",
            "ffv1",
            "--window",
            "3",
        ]);
        assert!(o.status.success(), "mask {m}: {}", stderr(&o));
        assert_eq!(frames_of(&out), 10);
        let prov = std::fs::read_to_string(format!("{}.retake.json", out.display())).unwrap();
        assert!(
            prov.contains("\"remove\"") && prov.contains("\"window\": 3"),
            "{prov}"
        );
    }
    // The fill changed the picture inside the mask and left the rest alone:
    // compare with the input, whole frame and inside the mask.
    let o = retake(&[
        "eval",
        dir.path().join("out0.mkv").to_str().unwrap(),
        shot,
        "--mask",
        &dir.path().join("m.%04d.png").to_string_lossy(),
        "--json",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let j: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let text = j.to_string();
    assert!(text.contains("psnr"), "{text}");
}

#[test]
fn a_mask_of_the_wrong_size_is_refused_and_nothing_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let shot = clip(dir.path(), 6);
    let m = mask(dir.path(), "m.%04d.png", "120x90", 6, "black");
    let before = listing(dir.path());
    let out = dir.path().join("out.mkv");
    let o = retake(&[
        "remove",
        shot.to_str().unwrap(),
        "--mask",
        &m,
        "-o",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    let e = stderr(&o);
    assert!(e.contains("m.%04d.png") && e.contains("120x90"), "{e}");
    assert_eq!(listing(dir.path()), before);
}

#[test]
fn a_mask_with_fewer_frames_than_the_shot_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let shot = clip(dir.path(), 8);
    let m = mask(dir.path(), "m.%04d.png", "160x90", 5, "black");
    let before = listing(dir.path());
    let o = retake(&[
        "remove",
        shot.to_str().unwrap(),
        "--mask",
        &m,
        "-o",
        dir.path().join("out.mkv").to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    let e = stderr(&o);
    assert!(e.contains("m.%04d.png") && e.contains("5 frames"), "{e}");
    assert_eq!(listing(dir.path()), before);
}

#[test]
fn a_mask_covering_the_whole_frame_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let shot = clip(dir.path(), 4);
    let m = mask(dir.path(), "white.png", "160x90", 1, "white");
    let before = listing(dir.path());
    let o = retake(&[
        "remove",
        shot.to_str().unwrap(),
        "--mask",
        &m,
        "-o",
        dir.path().join("out.mkv").to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    let e = stderr(&o);
    assert!(e.contains("white.png") && e.contains("whole frame"), "{e}");
    assert_eq!(listing(dir.path()), before);
}

#[test]
fn bad_parameters_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let shot = clip(dir.path(), 2);
    let shot = shot.to_str().unwrap();
    let out = dir.path().join("o.mkv");
    let out = out.to_str().unwrap();
    // No mask at all: clap's usage error.
    let o = retake(&["remove", shot, "-o", out]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--mask"));
    let o = retake(&[
        "remove", shot, "--mask", "auto", "-o", out, "--window", "99",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("window"), "{}", stderr(&o));
    let o = retake(&[
        "remove",
        shot,
        "--mask",
        "auto",
        "-o",
        out,
        "--fill",
        "no-such-model",
    ]);
    assert_ne!(o.status.code(), Some(0));
    assert!(stderr(&o).contains("no-such-model"), "{}", stderr(&o));
    let o = retake(&["remove", shot, "--mask", "missing.%04d.png", "-o", out]);
    assert_eq!(o.status.code(), Some(3));
    assert!(stderr(&o).contains("missing"), "{}", stderr(&o));
}

#[test]
fn auto_mask_and_job_files() {
    let dir = tempfile::tempdir().unwrap();
    let shot = clip(dir.path(), 4);
    let out = dir.path().join("auto.mkv");
    let o = retake(&[
        "remove",
        shot.to_str().unwrap(),
        "--mask",
        "auto",
        "-o",
        out.to_str().unwrap(),
        "--codec",
        "ffv1",
        "--window",
        "2",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(frames_of(&out), 4);
    let prov = std::fs::read_to_string(format!("{}.retake.json", out.display())).unwrap();
    assert!(prov.contains("u2netp"), "{prov}");

    // The same through a job file, paths relative to it, a frame range.
    mask(dir.path(), "m.%04d.png", "160x90", 4, "black");
    let job = dir.path().join("job.toml");
    std::fs::write(
        &job,
        "operation = \"remove\"\n[io]\ninput = \"shot.mp4\"\noutput = \"job.####.png\"\nframes = \"1-2\"\n[remove]\nmask = \"m.%04d.png\"\nwindow = 2\ndilate = 2\n",
    )
    .unwrap();
    let o = retake(&["run", job.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let files = listing(dir.path());
    assert!(
        files.contains(&"job.0001.png".to_string()) && files.contains(&"job.0002.png".to_string())
    );
    assert!(!files.contains(&"job.0000.png".to_string()), "{files:?}");
    // A [remove] table needs a mask.
    std::fs::write(
        &job,
        "operation = \"remove\"\n[io]\ninput = \"shot.mp4\"\noutput = \"x.mkv\"\n",
    )
    .unwrap();
    let o = retake(&["run", job.to_str().unwrap()]);
    assert_ne!(o.status.code(), Some(0));
    assert!(stderr(&o).contains("[remove]"), "{}", stderr(&o));
}

/// The shot as a PNG sequence `shot.%04d.png` from 0, so a frame of it is
/// also a clean reference picture in the same colour.
fn png_shot(dir: &Path, frames: u32) -> String {
    let p = dir.join("shot.%04d.png");
    ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        "testsrc2=size=160x90:rate=24",
        "-frames:v",
        &frames.to_string(),
        "-start_number",
        "0",
        p.to_str().unwrap(),
    ]);
    p.to_string_lossy().into_owned()
}

/// PSNR inside the mask of `out` against `truth` (one PNG each).
fn psnr_in_mask(out: &Path, truth: &Path, mask: &Path) -> f64 {
    let o = retake(&[
        "eval",
        out.to_str().unwrap(),
        truth.to_str().unwrap(),
        "--mask",
        mask.to_str().unwrap(),
        "--json",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let j: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    match &j["psnr_mask"] {
        serde_json::Value::String(s) => s.parse().unwrap(),
        v => v.as_f64().unwrap(),
    }
}

#[test]
fn a_reference_frame_is_used_as_painted_and_bad_ones_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let shot = png_shot(d, 8);
    let m = mask(d, "m.%04d.png", "160x90", 8, "black");
    std::fs::copy(d.join("shot.0003.png"), d.join("clean.png")).unwrap();
    let run = |out: &str, extra: &[&str]| {
        let mut args = vec!["remove", &shot, "--mask", &m, "-o", out, "--window", "2"];
        args.extend_from_slice(extra);
        retake(&args)
    };
    let plain = d.join("plain.%04d.png").to_string_lossy().into_owned();
    let o = run(&plain, &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    let refd = d.join("ref.%04d.png").to_string_lossy().into_owned();
    let clean = d.join("clean.png").to_string_lossy().into_owned();
    let o = run(&refd, &["--reference", &format!("3={clean}")]);
    assert!(o.status.success(), "{}", stderr(&o));
    let prov = std::fs::read_to_string(d.join("ref.%04d.png.retake.json")).unwrap();
    assert!(
        prov.contains("\"reference\"") && prov.contains("clean.png"),
        "{prov}"
    );
    let truth = d.join("shot.0003.png");
    let mask3 = d.join("m.0003.png");
    let with = psnr_in_mask(&d.join("ref.0003.png"), &truth, &mask3);
    let without = psnr_in_mask(&d.join("plain.0003.png"), &truth, &mask3);
    eprintln!("frame 3 in the mask: PSNR {with} with its reference, {without} without");
    assert!(with > 45.0 && with > without + 10.0, "{with} vs {without}");

    // Bad references: a clear message naming the file or flag, the
    // documented exit code, nothing written.
    ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        "color=c=gray:size=80x40",
        "-frames:v",
        "1",
        d.join("small.png").to_str().unwrap(),
    ]);
    std::fs::write(d.join("broken.png"), b"not a picture at all").unwrap();
    let path = |n: &str| d.join(n).to_string_lossy().into_owned();
    let cases: [(String, i32, &str); 6] = [
        (format!("3={}", path("missing.png")), 3, "missing.png"),
        (format!("3={}", path("small.png")), 3, "80x40"),
        (format!("3={}", path("broken.png")), 3, "broken.png"),
        ("clean.png".to_string(), 2, "reference"),
        (format!("x={clean}"), 2, "reference"),
        (format!("99={clean}"), 2, "frame 99"),
    ];
    let before = listing(d);
    for (reference, code, needle) in cases {
        let out = path("bad.%04d.png");
        let o = run(&out, &["--reference", &reference]);
        let e = stderr(&o);
        assert_eq!(o.status.code(), Some(code), "{reference}: {e}");
        assert!(e.contains(needle), "{reference}: {e}");
        assert_eq!(listing(d), before, "{reference} left files");
    }

    // Job files take `reference` too, paths relative to the job file.
    let job = d.join("job.toml");
    std::fs::write(
        &job,
        "operation = \"remove\"\n[io]\ninput = \"shot.%04d.png\"\noutput = \"job.####.png\"\nframes = \"3\"\n\
         [remove]\nmask = \"m.%04d.png\"\nwindow = 2\nreference = [\"3=clean.png\"]\n",
    )
    .unwrap();
    let o = retake(&["run", job.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        std::fs::read(d.join("job.0003.png")).unwrap(),
        std::fs::read(d.join("ref.0003.png")).unwrap()
    );
}

/// `retake remove` with `TMPDIR` pointed at `tmp`.
fn remove_in(tmp: &Path, args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_retake"))
        .arg("remove")
        .args(args)
        .env("TMPDIR", tmp)
        .output()
        .expect("run retake")
}

#[test]
fn long_range_chunks_match_the_whole_render_and_leave_no_cache_behind() {
    let dir = tempfile::tempdir().unwrap();
    let shot = clip(dir.path(), 16);
    let shot = shot.to_str().unwrap();
    // A box moving 4 px a frame: most of what it hides shows again more
    // than the window of 2 frames away.
    let m = mask(dir.path(), "m.%04d.png", "160x90", 16, "black");
    let tmp = dir.path().join("tmp");
    std::fs::create_dir(&tmp).unwrap();
    let out = |name: &str| dir.path().join(name).to_string_lossy().into_owned();
    let render = |output: &str, extra: &[&str]| {
        let mut args = vec![shot, "--mask", &m, "-o", output, "--window", "2", "-q"];
        args.extend_from_slice(extra);
        let o = remove_in(&tmp, &args);
        assert!(o.status.success(), "{extra:?}: {}", stderr(&o));
        assert!(listing(&tmp).is_empty(), "left behind: {:?}", listing(&tmp));
    };
    render(&out("whole.%04d.png"), &["--reach", "12"]);
    render(&out("part.%04d.png"), &["--reach", "12", "--frames", "5-9"]);
    render(&out("near.%04d.png"), &["--reach", "0"]);
    let read = |name: String| std::fs::read(dir.path().join(name)).unwrap();
    for t in 5..=9 {
        assert_eq!(
            read(format!("part.{t:04}.png")),
            read(format!("whole.{t:04}.png")),
            "frame {t}: the chunk differs from the whole render"
        );
    }
    let changed = (0..16)
        .filter(|t| read(format!("near.{t:04}.png")) != read(format!("whole.{t:04}.png")))
        .count();
    assert!(changed > 0, "--reach changed no frame");
}
