//! Hostile input: files made to break a decoder (bomb headers, truncated
//! and random files, odd sizes, odd pixel formats, NaN), outputs that
//! already exist in awkward states, and odd names, run through every
//! command. Nothing may crash, leave a partial file or an empty folder,
//! or replace an existing output unless asked; every refusal names the
//! file and uses the documented exit code.

mod common;
#[path = "hostile/files.rs"]
mod files;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::{listing, stderr};

/// Run `retake` with `args` and extra environment.
fn retake_env(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_retake"));
    c.args(args);
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().expect("run retake")
}

fn retake(args: &[&str]) -> Output {
    retake_env(args, &[])
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// No Rust panic text, no abort, no signal: a crash in any form.
fn crashed(o: &Output) -> bool {
    let err = stderr(o);
    o.status
        .code()
        .is_none_or(|c| c == 101 || c == 134 || c == 70)
        || err.contains("panicked")
        || err.contains("memory allocation of")
}

fn assert_clean_error(o: &Output, code: i32, names: &str) {
    let err = stderr(o);
    assert!(!crashed(o), "crash: {err}");
    assert_eq!(o.status.code(), Some(code), "{err}");
    assert!(err.contains(names), "message should name {names}: {err}");
}

// ---- item 1 and 4: existing outputs are never replaced unless asked ----

#[test]
fn a_sequence_with_gaps_or_unreadable_frames_is_not_overwritten() {
    let dir = tempfile::tempdir().unwrap();
    let clip = files::clip(&dir.path().join("shot.mkv"), "48x32", 12, &["-c:v", "ffv1"]);
    let out = dir.path().join("o.####.png");
    // Frames 0, 1, 2 and 10 exist (a gap); their bytes must survive.
    for f in [0, 1, 2, 10] {
        std::fs::write(
            dir.path().join(format!("o.{f:04}.png")),
            format!("frame {f}"),
        )
        .unwrap();
    }
    let before = listing(dir.path());
    let o = retake(&["convert", s(&clip), "-o", s(&out)]);
    assert_clean_error(&o, 4, "o.0000.png");
    assert!(stderr(&o).contains("--overwrite"), "{}", stderr(&o));
    assert_eq!(listing(dir.path()), before);
    assert_eq!(
        std::fs::read_to_string(dir.path().join("o.0010.png")).unwrap(),
        "frame 10"
    );

    // One existing frame of random bytes inside the range.
    let exr = dir.path().join("e.####.exr");
    files::random_bytes(&dir.path().join("e.0003.exr"), 100, 7);
    let o = retake(&["convert", s(&clip), "-o", s(&exr)]);
    assert_clean_error(&o, 4, "e.0003.exr");
    assert_eq!(
        std::fs::read(dir.path().join("e.0003.exr")).unwrap().len(),
        100
    );

    // Farm chunks: frames outside the range are not touched and need no -y.
    let o = retake(&["convert", s(&clip), "-o", s(&exr), "--frames", "4-11"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        std::fs::read(dir.path().join("e.0003.exr")).unwrap().len(),
        100
    );
    assert!(dir.path().join("e.0011.exr").is_file());
    // ... and a range holding an existing frame is refused.
    let o = retake(&["convert", s(&clip), "-o", s(&exr), "--frames", "0-3"]);
    assert_clean_error(&o, 4, "e.0003.exr");
    // --resume renders only what is missing; -y replaces.
    let o = retake(&["convert", s(&clip), "-o", s(&exr), "--resume"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        std::fs::read(dir.path().join("e.0003.exr")).unwrap().len(),
        100
    );
    assert!(dir.path().join("e.0000.exr").is_file());
    let o = retake(&["convert", s(&clip), "-o", s(&exr), "-y", "--frames", "3"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_ne!(
        std::fs::read(dir.path().join("e.0003.exr")).unwrap().len(),
        100
    );
    assert!(files::partials(dir.path()).is_empty());
}

#[test]
fn farm_chunks_write_passes_beside_each_other() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let clip = files::clip(&d.join("shot.mkv"), "48x32", 4, &["-c:v", "ffv1"]);
    let passes = d.join("p.####.exr");
    for (chunk, out) in [("0-1", "a.####.exr"), ("2-3", "b.####.exr")] {
        let o = retake(&[
            "relight",
            s(&clip),
            "-o",
            s(&d.join(out)),
            "--passes",
            s(&passes),
            "--frames",
            chunk,
        ]);
        assert!(o.status.success(), "chunk {chunk}: {}", stderr(&o));
    }
    assert!((0..4).all(|f| d.join(format!("p.{f:04}.exr")).is_file()));
    // A chunk over frames whose passes exist is refused before writing.
    let before = listing(d);
    let o = retake(&[
        "relight",
        s(&clip),
        "-o",
        s(&d.join("c.####.exr")),
        "--passes",
        s(&passes),
        "--frames",
        "1-2",
    ]);
    assert_clean_error(&o, 4, "p.0001.exr");
    assert_eq!(listing(d), before);
}

#[test]
fn a_single_image_output_of_many_frames_leaves_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let clip = files::clip(&dir.path().join("shot.mkv"), "48x32", 3, &["-c:v", "ffv1"]);
    let before = listing(dir.path());
    let out = dir.path().join("o.png");
    let o = retake(&["convert", s(&clip), "-o", s(&out)]);
    assert_clean_error(&o, 4, "o.png");
    assert_eq!(listing(dir.path()), before, "no frame 0 left as o.png");
    // One frame chosen: one image.
    let o = retake(&["convert", s(&clip), "-o", s(&out), "--frames", "1"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(out.is_file());
}

// ---- item 2: limits checked from headers ----

#[test]
fn bomb_headers_are_refused_before_allocating() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let clip = files::clip(&d.join("shot.mkv"), "48x32", 3, &["-c:v", "ffv1"]);
    files::png_bomb(&d.join("bomb.png"), 100_000, 100_000);
    files::exr_bomb(&d.join("bomb.exr"), 60_000);
    files::tiff_bomb(&d.join("bomb.tif"), 100_000, 100_000);
    assert!(std::fs::metadata(d.join("bomb.png")).unwrap().len() < 100);
    for (bomb, claim) in [
        ("bomb.png", "100000x100000"),
        ("bomb.exr", "60000x60000"),
        ("bomb.tif", "100000x100000"),
    ] {
        let bomb = d.join(bomb);
        for args in [
            vec!["probe", s(&bomb)],
            vec![
                "convert",
                s(&bomb),
                "-o",
                "/nonexistent-never-written/o.exr",
            ],
            vec![
                "remove",
                s(&clip),
                "--mask",
                s(&bomb),
                "-o",
                s(&d.join("r.mkv")),
            ],
            vec![
                "relight",
                s(&clip),
                "--depth",
                s(&bomb),
                "-o",
                s(&d.join("l.mkv")),
            ],
        ] {
            let o = retake(&args);
            assert_clean_error(&o, 3, s(&bomb));
            assert!(stderr(&o).contains(claim), "{}", stderr(&o));
        }
    }
    // The limit is the user's to raise or lower.
    let o = retake_env(&["probe", s(&clip)], &[("RETAKE_MAX_PIXELS", "100")]);
    assert_clean_error(&o, 3, "48x32");
    let o = retake_env(&["probe", s(&clip)], &[("RETAKE_MAX_SIDE", "many")]);
    assert_clean_error(&o, 2, "RETAKE_MAX_SIDE");
    assert!(!d.join("r.mkv").exists() && !d.join("l.mkv").exists());
}

// ---- item 3: no panic reaches the user ----

#[test]
fn non_ascii_frame_ranges_and_panics_are_clean() {
    let dir = tempfile::tempdir().unwrap();
    let clip = files::clip(&dir.path().join("shot.mkv"), "48x32", 3, &["-c:v", "ffv1"]);
    for range in ["é", "1-é", "—5", "5—7"] {
        let o = retake(&[
            "convert",
            s(&clip),
            "-o",
            s(&dir.path().join("o.mkv")),
            "--frames",
            range,
        ]);
        assert_clean_error(&o, 2, "frames");
    }
    // Whatever panics inside a command is one line and exit 70.
    let o = retake_env(&["probe", s(&clip)], &[("RETAKE_TEST_PANIC", "1")]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(70), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with("retake: internal error:") && !err.contains("panicked"),
        "{err}"
    );
}

/// A low process limit makes thread creation fail: that is an error that
/// says what to do, not a panic. The limit only binds an unprivileged
/// user, so the run drops to `nobody` when the test runs as root.
#[test]
fn refused_threads_are_an_error() {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 || !Path::new("/usr/bin/setpriv").exists() {
        eprintln!("skipped: needs root and setpriv to run as nobody under a process limit");
        return;
    }
    let dir = tempfile::Builder::new()
        .prefix("retake-threads")
        .tempdir_in("/tmp")
        .unwrap();
    let clip = files::clip(&dir.path().join("shot.mkv"), "48x32", 3, &["-c:v", "ffv1"]);
    let out = dir.path().join("o.mkv");
    let _ = Command::new("chmod").args(["777", s(dir.path())]).status();
    let _ = Command::new("chmod").args(["644", s(&clip)]).status();
    let o = Command::new("prlimit")
        .args([
            "--nproc=6",
            "--",
            "setpriv",
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
        ])
        .arg(env!("CARGO_BIN_EXE_retake"))
        .args(["--threads", "64", "convert", s(&clip), "-o", s(&out)])
        .output()
        .expect("prlimit (util-linux)");
    let err = stderr(&o);
    if err.contains("Permission denied") && !err.contains("retake:") {
        eprintln!("skipped: nobody cannot run the test binary here: {err}");
        return;
    }
    assert!(!crashed(&o), "{err}");
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("--threads"), "{err}");
    assert!(!out.exists() && files::partials(dir.path()).is_empty());
}

// ---- item 4: doctor tells the truth ----

#[test]
fn doctor_reports_a_corrupt_model_and_a_missing_runtime_library() {
    let dir = tempfile::tempdir().unwrap();
    let models = dir.path().join("models");
    std::fs::create_dir(&models).unwrap();
    let checkout = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../models");
    std::fs::copy(checkout.join("u2netp.toml"), models.join("u2netp.toml")).unwrap();
    std::fs::write(models.join("u2netp.onnx"), b"not the model").unwrap();
    let m = s(&models);
    let o = retake_env(&["doctor"], &[("RETAKE_MODELS", m)]);
    let out = String::from_utf8_lossy(&o.stdout).into_owned();
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(
        out.contains("sha256") && out.contains("u2netp.onnx"),
        "{out}"
    );
    assert!(!out.contains("everything needed is in place"), "{out}");

    let clip = files::clip(&dir.path().join("shot.mkv"), "48x32", 2, &["-c:v", "ffv1"]);
    let missing = "/nonexistent/libonnxruntime.so";
    let o = retake_env(&["doctor"], &[("ORT_DYLIB_PATH", missing)]);
    let out = String::from_utf8_lossy(&o.stdout).into_owned();
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(
        out.contains("ORT_DYLIB_PATH") && out.contains(missing),
        "{out}"
    );
    let o = retake_env(
        &["mask", s(&clip), "-o", s(&dir.path().join("m.mkv"))],
        &[("ORT_DYLIB_PATH", missing)],
    );
    assert_clean_error(&o, 5, missing);
}

// ---- item 5: leftovers, long names, links, devices, preview ----

#[test]
fn failed_runs_leave_no_folders_and_odd_outputs_are_handled() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let clip = files::clip(&d.join("shot.mkv"), "48x32", 3, &["-c:v", "ffv1"]);
    let odd = files::clip(
        &d.join("odd.mkv"),
        "48x32",
        3,
        &["-vf", "scale=33:17", "-pix_fmt", "bgr0", "-c:v", "ffv1"],
    );
    let before = listing(d);
    let o = retake(&[
        "convert",
        s(&clip),
        "-o",
        s(&d.join("new/o.mov")),
        "--codec",
        "png16",
    ]);
    assert_clean_error(&o, 2, "codec");
    let o = retake(&["convert", s(&odd), "-o", s(&d.join("new2/deeper/o.mp4"))]);
    assert!(!crashed(&o), "{}", stderr(&o));
    if !o.status.success() {
        assert!(stderr(&o).contains("o.mp4"), "{}", stderr(&o));
        assert_eq!(listing(d), before, "no empty output folder");
    }
    let _ = std::fs::remove_dir_all(d.join("new2"));
    let o = retake_env(
        &["models", "fetch", "migan", "--dir", s(&d.join("fetched"))],
        &[(
            "RETAKE_MODEL_MIRROR",
            &format!("file://{}", s(&d.join("no-mirror"))),
        )],
    );
    assert!(!o.status.success() && !crashed(&o), "{}", stderr(&o));
    assert_eq!(listing(d), before, "a failed fetch leaves no --dir");

    // The longest legal name works (the temporary is shortened).
    let long = d.join("l".repeat(251) + ".mkv");
    let o = retake(&["convert", s(&clip), "-o", s(&long)]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(long.is_file());
    let sidecars: Vec<String> = listing(d)
        .into_iter()
        .filter(|n| n.ends_with(".retake.json"))
        .collect();
    assert_eq!(
        sidecars.len(),
        1,
        "the provenance is there, its name shortened: {sidecars:?}"
    );

    // -y through a symbolic link writes the file it points to.
    let target = d.join("target.mkv");
    std::fs::write(&target, b"old").unwrap();
    let link = d.join("link.mkv");
    std::os::unix::fs::symlink("target.mkv", &link).unwrap();
    let o = retake(&["convert", s(&clip), "-o", s(&link), "-y"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(link.symlink_metadata().unwrap().file_type().is_symlink());
    assert!(std::fs::metadata(&target).unwrap().len() > 3);

    // A pipe (or device) is never replaced by a regular file.
    let fifo = d.join("pipe.mkv");
    assert!(Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap()
        .success());
    let o = retake(&["convert", s(&clip), "-o", s(&fifo), "-y"]);
    assert_clean_error(&o, 4, "not a regular file");
    assert!(fifo.symlink_metadata().unwrap().file_type().is_fifo_like());
    let o = retake(&[
        "convert",
        s(&clip),
        "-o",
        "/dev/null",
        "-y",
        "--codec",
        "ffv1",
    ]);
    assert_clean_error(&o, 4, "/dev/null");

    // relight --preview: one picture with provenance; a movie name is refused.
    let o = retake(&[
        "relight",
        s(&clip),
        "--preview",
        "-o",
        s(&d.join("sheet.mov")),
    ]);
    assert_clean_error(&o, 2, "sheet.mov");
    let sheet = d.join("sheet.png");
    let o = retake(&["relight", s(&clip), "--preview", "-o", s(&sheet)]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(sheet.is_file() && d.join("sheet.png.retake.json").is_file());
    assert!(files::partials(d).is_empty());
}

trait FifoLike {
    fn is_fifo_like(&self) -> bool;
}

impl FifoLike for std::fs::FileType {
    fn is_fifo_like(&self) -> bool {
        use std::os::unix::fs::FileTypeExt;
        self.is_fifo()
    }
}

// ---- item 6: FFmpeg's own log stays quiet ----

#[test]
fn only_retakes_message_shows_for_a_broken_movie() {
    let dir = tempfile::tempdir().unwrap();
    let good = files::clip(
        &dir.path().join("good.mp4"),
        "48x32",
        6,
        &["-pix_fmt", "yuv420p"],
    );
    let bad = dir.path().join("bad.mp4");
    files::truncated(&good, &bad, 400);
    let o = retake(&["probe", s(&bad)]);
    assert_clean_error(&o, 3, "bad.mp4");
    let err = stderr(&o);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(!err.contains("[mov,mp4"), "{err}");
    // ... and FFmpeg's lines are there when asked for.
    let o = retake_env(&["probe", s(&bad)], &[("RETAKE_FFMPEG_LOG", "error")]);
    assert!(stderr(&o).contains("[mov,mp4"), "{}", stderr(&o));
}

// ---- item 7: NaN and Inf ----

#[test]
fn nan_and_inf_are_cleaned_and_never_made() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    for f in 0..4 {
        files::exr_rgb(
            &d.join(format!("nan.{f:04}.exr")),
            48,
            32,
            |x, y, c| match (x + 3 * y + c + f) % 17 {
                0 => f32::NAN,
                1 => f32::INFINITY,
                2 => f32::NEG_INFINITY,
                _ => (x as f32 / 48.0) * (1.0 + c as f32) + y as f32 / 64.0,
            },
        );
    }
    let input = d.join("nan.####.exr");
    let mask = files::mask_sequence(d, "mask", "48x32", 0, 4);
    let runs: [(&str, Vec<&str>); 4] = [
        ("convert", vec![]),
        ("relight", vec!["--preset", "golden-hour", "--shadows"]),
        ("remove", vec!["--mask", &mask, "--window", "2"]),
        (
            "reangle",
            vec!["--yaw", "2", "--window", "2", "--fill", "smooth"],
        ),
    ];
    for (command, extra) in runs {
        let out = d.join(format!("{command}.####.exr"));
        let mut args = vec![command, s(&input), "-o", s(&out), "--codec", "exr-float"];
        args.extend(extra);
        let o = retake(&args);
        let err = stderr(&o);
        assert!(o.status.success(), "{command}: {err}");
        assert!(
            err.contains("nan.0000.exr") && err.contains("NaN"),
            "{command}: {err}"
        );
        for f in 0..4 {
            let v = files::exr_samples(&d.join(format!("{command}.{f:04}.exr")));
            assert!(
                v.iter().all(|x| x.is_finite()),
                "{command} frame {f} has non-finite values"
            );
        }
    }
    // Huge finite values stay finite in half-float output.
    files::exr_rgb(&d.join("huge.exr"), 8, 8, |_, _, _| 1.0e6);
    let o = retake(&[
        "convert",
        s(&d.join("huge.exr")),
        "-o",
        s(&d.join("huge_half.exr")),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(files::exr_samples(&d.join("huge_half.exr"))
        .iter()
        .all(|x| x.is_finite()));
}

// ---- item 8: the standing adversarial suite ----

/// What a case must end with.
#[derive(Clone, Copy, Debug)]
enum Expect {
    /// Success, with the output in place.
    Ok,
    /// This exit code, the message naming the given text.
    Fail(i32),
    /// Either (a damaged file FFmpeg may partly read): never a crash.
    Either,
}

struct Case {
    label: String,
    args: Vec<String>,
    expect: Expect,
    /// What the message must name when the case fails.
    names: String,
}

#[derive(Default, Debug)]
struct Tally {
    cases: usize,
    clean_errors: usize,
    successes: usize,
    crashes: Vec<String>,
    unclear: Vec<String>,
    wrong_code: Vec<String>,
    leftovers: Vec<String>,
    overwrites: Vec<String>,
}

/// Inputs, each with what every command should do with it.
struct Input {
    path: PathBuf,
    expect: Expect,
}

#[test]
fn every_command_survives_hostile_files() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let inp = d.join("in");
    std::fs::create_dir(&inp).unwrap();
    let good = files::clip(&inp.join("good.mkv"), "48x32", 5, &["-c:v", "ffv1"]);
    let mp4 = files::clip(&inp.join("good.mp4"), "48x32", 5, &["-pix_fmt", "yuv420p"]);
    let still = files::mask_sequence(&inp, "box", "48x32", 0, 5);
    let still_one = inp.join("box.0000.png");
    let png_one = inp.join("one.png");
    std::fs::copy(&still_one, &png_one).unwrap();
    files::exr_rgb(&inp.join("one.exr"), 48, 32, |x, y, c| {
        (x + y + c) as f32 / 90.0
    });

    let mut inputs: Vec<Input> = Vec::new();
    let mut add = |name: &str, expect: Expect| {
        inputs.push(Input {
            path: inp.join(name),
            expect,
        });
    };
    // Damaged files.
    files::truncated(&mp4, &inp.join("truncated.mp4"), 400);
    add("truncated.mp4", Expect::Fail(3));
    files::truncated(&good, &inp.join("truncated.mkv"), 500);
    add("truncated.mkv", Expect::Either);
    files::truncated(&png_one, &inp.join("truncated.png"), 500);
    add("truncated.png", Expect::Fail(3));
    files::truncated(&inp.join("one.exr"), &inp.join("truncated.exr"), 500);
    add("truncated.exr", Expect::Fail(3));
    for (i, ext) in ["mp4", "mov", "mkv", "png", "exr", "tif"]
        .iter()
        .enumerate()
    {
        files::random_bytes(&inp.join(format!("random.{ext}")), 2000, i as u64 + 11);
        add(&format!("random.{ext}"), Expect::Fail(3));
        std::fs::write(inp.join(format!("empty.{ext}")), b"").unwrap();
        add(&format!("empty.{ext}"), Expect::Fail(3));
    }
    // Bombs.
    files::png_bomb(&inp.join("bomb.png"), 100_000, 100_000);
    add("bomb.png", Expect::Fail(3));
    files::exr_bomb(&inp.join("bomb.exr"), 60_000);
    add("bomb.exr", Expect::Fail(3));
    files::tiff_bomb(&inp.join("bomb.tif"), 100_000, 100_000);
    add("bomb.tif", Expect::Fail(3));
    files::png_bomb(&inp.join("zero.png"), 0, 16);
    add("zero.png", Expect::Fail(3));
    // Unusual but valid pictures: these must work.
    files::clip(
        &inp.join("tiny.mkv"),
        "48x32",
        3,
        &["-vf", "scale=1:1", "-c:v", "ffv1"],
    );
    add("tiny.mkv", Expect::Ok);
    files::clip(
        &inp.join("odd.mkv"),
        "48x32",
        3,
        &["-vf", "scale=33:17", "-pix_fmt", "bgr0", "-c:v", "ffv1"],
    );
    add("odd.mkv", Expect::Ok);
    files::clip(
        &inp.join("ten.mov"),
        "48x32",
        3,
        &["-c:v", "prores_ks", "-pix_fmt", "yuv422p10le"],
    );
    add("ten.mov", Expect::Ok);
    files::clip(
        &inp.join("twelve.mkv"),
        "48x32",
        3,
        &["-c:v", "ffv1", "-pix_fmt", "yuv444p12le"],
    );
    add("twelve.mkv", Expect::Ok);
    files::clip(
        &inp.join("gray.mkv"),
        "48x32",
        3,
        &["-c:v", "ffv1", "-pix_fmt", "gray"],
    );
    add("gray.mkv", Expect::Ok);
    files::clip(
        &inp.join("alpha.mov"),
        "48x32",
        3,
        &["-c:v", "prores_ks", "-pix_fmt", "yuva444p10le"],
    );
    add("alpha.mov", Expect::Ok);
    files::clip(
        &inp.join("rgba.%04d.png"),
        "48x32",
        3,
        &["-pix_fmt", "rgba", "-start_number", "0"],
    );
    add("rgba.####.png", Expect::Ok);
    files::clip(
        &inp.join("g16.%04d.png"),
        "48x32",
        3,
        &["-pix_fmt", "gray16be", "-start_number", "0"],
    );
    add("g16.####.png", Expect::Ok);
    std::fs::copy(&good, inp.join("we ird ü name.mkv")).unwrap();
    add("we ird ü name.mkv", Expect::Ok);
    // Not pictures at all, or not there.
    common::ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        "sine=frequency=440:duration=0.2",
        s(&inp.join("audio.wav")),
    ]);
    add("audio.wav", Expect::Fail(3));
    add("missing.mkv", Expect::Fail(3));
    add("missing.####.exr", Expect::Fail(3));
    std::fs::create_dir(inp.join("folder.mkv")).unwrap();
    add("folder.mkv", Expect::Fail(3));
    // A sequence with a gap.
    files::clip(
        &inp.join("gap.%04d.png"),
        "48x32",
        4,
        &["-start_number", "0"],
    );
    std::fs::remove_file(inp.join("gap.0002.png")).unwrap();
    add("gap.####.png", Expect::Fail(3));

    // Masks that do not fit the shot `good.mkv`.
    let wrong_size = files::mask_sequence(&inp, "small", "32x32", 0, 5);
    let too_few = files::mask_sequence(&inp, "few", "48x32", 0, 2);
    let bad_masks: Vec<(String, String)> = vec![
        (wrong_size.clone(), "small".into()),
        (too_few.clone(), "few".into()),
        (s(&inp.join("bomb.png")).into(), "bomb.png".into()),
        (s(&inp.join("random.png")).into(), "random.png".into()),
        (s(&inp.join("truncated.mp4")).into(), "truncated.mp4".into()),
        (s(&inp.join("audio.wav")).into(), "audio.wav".into()),
    ];

    // Every command on every input; failing runs with -y over an output
    // that exists, which must survive byte for byte.
    let mut cases: Vec<Case> = Vec::new();
    for input in &inputs {
        let p = s(&input.path).to_string();
        let name = input
            .path
            .file_name()
            .unwrap()
            .to_string_lossy()
            .into_owned();
        let mut push = |args: Vec<&str>, expect: Expect| {
            cases.push(Case {
                label: format!("{} {name}", args[0]),
                args: args.iter().map(|a| a.to_string()).collect(),
                expect,
                names: name.clone(),
            });
        };
        // probe reads headers only: a file cut after its header probes.
        let header_only = if name.starts_with("truncated") {
            Expect::Either
        } else {
            input.expect
        };
        push(vec!["probe", &p], header_only);
        push(vec!["convert", &p], input.expect);
        push(vec!["convert", &p, "--codec", "exr-half"], input.expect);
        // A valid picture of another size than the 48x32 mask (or one too
        // small to move a camera in) may be refused, cleanly.
        let sized = match input.expect {
            Expect::Ok => Expect::Either,
            other => other,
        };
        push(
            vec!["remove", &p, "--mask", s(&still_one), "--window", "2"],
            sized,
        );
        push(vec!["relight", &p, "--preset", "dawn"], input.expect);
        push(
            vec![
                "reangle", &p, "--yaw", "1", "--window", "2", "--fill", "smooth",
            ],
            sized,
        );
        push(vec!["eval", &p, s(&good)], Expect::Either);
        push(vec!["convert", s(&good), "--alpha", &p], sized);
    }
    let mask_input = input_for_mask_model(&inputs);
    for m in &mask_input {
        let name = m.file_name().unwrap().to_string_lossy().into_owned();
        let expect = inputs
            .iter()
            .find(|i| &i.path == m)
            .map_or(Expect::Either, |i| i.expect);
        cases.push(Case {
            label: format!("mask {name}"),
            args: vec!["mask".into(), s(m).into()],
            expect,
            names: name,
        });
    }
    for (mask, names) in &bad_masks {
        for command in ["remove", "relight"] {
            cases.push(Case {
                label: format!("{command} --mask {names}"),
                args: vec![
                    command.into(),
                    s(&good).into(),
                    "--mask".into(),
                    mask.clone(),
                ],
                expect: Expect::Fail(3),
                names: names.clone(),
            });
        }
    }
    let _ = still;

    let mut tally = Tally::default();
    let runs = d.join("runs");
    std::fs::create_dir(&runs).unwrap();
    for (i, case) in cases.iter().enumerate() {
        let run_dir = runs.join(format!("{i:03}"));
        std::fs::create_dir(&run_dir).unwrap();
        let wants_output = case.args[0] != "probe" && case.args[0] != "eval";
        let image_out = case.args.iter().any(|a| a == "exr-half");
        let out = run_dir.join(if image_out { "out.####.exr" } else { "out.mkv" });
        let existing = run_dir.join(if image_out { "out.0000.exr" } else { "out.mkv" });
        let mut args: Vec<&str> = case.args.iter().map(String::as_str).collect();
        let guarded = wants_output && !matches!(case.expect, Expect::Ok);
        if wants_output {
            args.extend(["-o", s(&out)]);
        }
        if guarded {
            std::fs::write(&existing, b"precious").unwrap();
            args.push("-y");
        }
        let before = listing(&run_dir);
        let o = retake(&args);
        tally.cases += 1;
        let err = stderr(&o);
        let line = format!(
            "{} (#{i}): exit {:?}: {}",
            case.label,
            o.status.code(),
            err.trim()
        );
        if crashed(&o) {
            tally.crashes.push(line);
            continue;
        }
        let ok = o.status.success();
        if ok {
            tally.successes += 1;
        } else {
            tally.clean_errors += 1;
            // A refused parameter names the parameter instead.
            let named = err.contains(&case.names)
                || (o.status.code() == Some(2) && err.contains("invalid parameter `"));
            if !named {
                tally.unclear.push(line.clone());
            }
        }
        match case.expect {
            Expect::Ok if !ok => tally.wrong_code.push(line.clone()),
            Expect::Fail(_) if ok => tally.wrong_code.push(line.clone()),
            Expect::Fail(c) if o.status.code() != Some(c) => tally.wrong_code.push(line.clone()),
            _ => {}
        }
        if !files::partials(d).is_empty() || (!ok && listing(&run_dir) != before) {
            tally.leftovers.push(line.clone());
            for p in files::partials(d) {
                let _ = std::fs::remove_file(p);
            }
        }
        if !ok && guarded && std::fs::read(&existing).ok().as_deref() != Some(&b"precious"[..]) {
            tally.overwrites.push(line.clone());
        }
    }
    eprintln!(
        "hostile suite: {} cases, {} clean errors, {} successes, {} crashes, {} leftovers, {} overwrites, \
         {} unclear messages, {} unexpected outcomes",
        tally.cases,
        tally.clean_errors,
        tally.successes,
        tally.crashes.len(),
        tally.leftovers.len(),
        tally.overwrites.len(),
        tally.unclear.len(),
        tally.wrong_code.len()
    );
    assert!(tally.cases >= 150, "the suite shrank: {}", tally.cases);
    let lists = [
        ("crashes", &tally.crashes),
        ("leftovers", &tally.leftovers),
        ("overwrites", &tally.overwrites),
        ("messages not naming the file", &tally.unclear),
        ("unexpected outcomes", &tally.wrong_code),
    ];
    let report: Vec<String> = lists
        .iter()
        .filter(|(_, list)| !list.is_empty())
        .map(|(what, list)| format!("{what}:\n{}", list.join("\n")))
        .collect();
    assert!(report.is_empty(), "{}", report.join("\n"));
}

/// The subject model is the slowest command to start: it runs on a few
/// representative inputs only (one of each kind of trouble).
fn input_for_mask_model(inputs: &[Input]) -> Vec<PathBuf> {
    [
        "truncated.mp4",
        "random.png",
        "bomb.png",
        "tiny.mkv",
        "gray.mkv",
        "alpha.mov",
        "audio.wav",
    ]
    .iter()
    .filter_map(|n| {
        inputs
            .iter()
            .find(|i| i.path.ends_with(n))
            .map(|i| i.path.clone())
    })
    .collect()
}
