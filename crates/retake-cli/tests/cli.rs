//! End-to-end tests of the `retake` binary on synthetic clips made with the
//! `ffmpeg` tool (installed by scripts/setup.sh). Model tests use the real
//! bundled u2netp model that setup extracts.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::{listing, retake, stderr};

fn retake_env(args: &[&str], env: &[(&str, &Path)]) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_retake"));
    c.args(args);
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().expect("run retake")
}

/// A synthetic clip: moving test pattern, `frames` long, at 24000/1001.
fn make_clip(dir: &Path, name: &str, size: &str, frames: u32) -> PathBuf {
    let path = dir.join(name);
    let status = Command::new("ffmpeg")
        .args(["-loglevel", "error", "-y", "-f", "lavfi", "-i"])
        .arg(format!("testsrc2=size={size}:rate=24000/1001"))
        .args(["-frames:v", &frames.to_string(), "-pix_fmt", "yuv420p"])
        .arg(&path)
        .status()
        .expect("ffmpeg (run scripts/setup.sh)");
    assert!(status.success());
    path
}

fn probe_json(path: &Path) -> serde_json::Value {
    let o = retake(&["probe", "--json", path.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    serde_json::from_slice(&o.stdout).unwrap()
}

#[test]
fn probe_json_has_the_stream_facts() {
    let dir = tempfile::tempdir().unwrap();
    let clip = make_clip(dir.path(), "a.mp4", "160x90", 12);
    let j = probe_json(&clip);
    assert_eq!(j["width"], 160);
    assert_eq!(j["height"], 90);
    assert_eq!(j["frames"], 12);
    assert!((j["fps"].as_f64().unwrap() - 23.976).abs() < 0.01);
}

#[test]
fn convert_keeps_count_rate_and_size_for_video_and_sequences() {
    let dir = tempfile::tempdir().unwrap();
    let clip = make_clip(dir.path(), "a.mp4", "160x90", 10);
    let clip = clip.to_str().unwrap();
    for (out, codec) in [
        ("b.mov", "prores-hq"),
        ("c.mkv", "ffv1"),
        ("d.####.exr", "exr-half"),
    ] {
        let out = dir.path().join(out);
        let o = retake(&[
            "convert",
            clip,
            "-o",
            out.to_str().unwrap(),
            "--codec",
            codec,
        ]);
        assert!(o.status.success(), "{codec}: {}", stderr(&o));
        let j = probe_json(&out);
        assert_eq!(j["frames"], 10, "{codec}");
        assert_eq!(
            (j["width"].clone(), j["height"].clone()),
            (160.into(), 90.into())
        );
        if codec != "exr-half" {
            assert_eq!(j["frame_rate"]["num"], 24000, "{codec}");
            assert_eq!(j["frame_rate"]["den"], 1001, "{codec}");
        }
        assert!(Path::new(&format!("{}.retake.json", out.display())).is_file());
    }
    // A frame range writes only those frames.
    let out = dir.path().join("e.mov");
    let o = retake(&[
        "convert",
        clip,
        "-o",
        out.to_str().unwrap(),
        "--frames",
        "2-5",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(probe_json(&out)["frames"], 4);
}

/// Each bad input: a non-zero exit code, a message naming the file and the
/// problem, and nothing written.
#[test]
fn bad_input_is_named_and_leaves_no_output() {
    let dir = tempfile::tempdir().unwrap();
    let clip = make_clip(dir.path(), "a.mp4", "160x90", 6);
    let small = make_clip(dir.path(), "small.mp4", "96x54", 6);
    std::fs::write(
        dir.path().join("corrupt.mp4"),
        b"\x00\x01 this is not video".repeat(100),
    )
    .unwrap();
    let clip = clip.to_str().unwrap();
    let d = dir.path().to_str().unwrap();
    let before = listing(dir.path());
    let out = format!("{d}/out.mov");
    let cases: Vec<(Vec<String>, i32, Vec<&str>)> = vec![
        (
            vec![
                "convert".into(),
                format!("{d}/missing.mp4"),
                "-o".into(),
                out.clone(),
            ],
            3,
            vec!["missing.mp4", "not found"],
        ),
        (
            vec![
                "convert".into(),
                format!("{d}/corrupt.mp4"),
                "-o".into(),
                out.clone(),
            ],
            3,
            vec!["corrupt.mp4"],
        ),
        (
            vec![
                "convert".into(),
                clip.into(),
                "-o".into(),
                out.clone(),
                "--codec".into(),
                "divx".into(),
            ],
            2,
            vec!["divx", "prores-hq"],
        ),
        (
            vec![
                "convert".into(),
                clip.into(),
                "-o".into(),
                out.clone(),
                "--frames".into(),
                "3-40".into(),
            ],
            3,
            vec!["a.mp4", "3-40", "outside"],
        ),
        (
            vec![
                "convert".into(),
                clip.into(),
                "-o".into(),
                out.clone(),
                "--alpha".into(),
                small.to_str().unwrap().into(),
            ],
            3,
            vec!["small.mp4", "96x54", "160x90"],
        ),
        (
            vec![
                "convert".into(),
                clip.into(),
                "-o".into(),
                format!("{d}/a.mp4/out.mov"),
            ],
            4,
            vec!["cannot create folder", "a.mp4"],
        ),
        (
            vec!["probe".into(), format!("{d}/missing.####.exr")],
            3,
            vec!["missing.####.exr"],
        ),
    ];
    for (args, code, needles) in cases {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let o = retake(&args);
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(code), "{args:?}: {err}");
        for n in needles {
            assert!(err.contains(n), "{args:?}: `{n}` not in: {err}");
        }
        assert_eq!(listing(dir.path()), before, "{args:?} left files behind");
    }
}

#[test]
fn an_existing_output_is_kept_unless_overwrite_is_given() {
    let dir = tempfile::tempdir().unwrap();
    let clip = make_clip(dir.path(), "a.mp4", "160x90", 4);
    let out = dir.path().join("out.mov");
    std::fs::write(&out, b"delivered").unwrap();
    let args = [
        "convert",
        clip.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
    ];
    let o = retake(&args);
    assert_eq!(o.status.code(), Some(4), "{}", stderr(&o));
    assert!(stderr(&o).contains("--overwrite"));
    assert_eq!(std::fs::read(&out).unwrap(), b"delivered");
    let o = retake(&[&args[..], &["-y"]].concat());
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(probe_json(&out)["frames"], 4);
}

#[test]
fn a_killed_run_leaves_nothing_under_the_final_name() {
    let dir = tempfile::tempdir().unwrap();
    let clip = make_clip(dir.path(), "long.mp4", "640x360", 400);
    let out = dir.path().join("out.mov");
    let mut child = Command::new(env!("CARGO_BIN_EXE_retake"))
        .args([
            "convert",
            clip.to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
            "-q",
        ])
        .spawn()
        .unwrap();
    // Wait until it has started writing its temporary file, then kill it.
    let start = std::time::Instant::now();
    while !listing(dir.path())
        .iter()
        .any(|f| f.contains("retake-partial"))
        && start.elapsed().as_secs() < 30
    {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(!out.exists(), "a killed run published {}", out.display());
}

#[test]
fn mask_writes_a_matte_with_provenance_and_is_deterministic_across_threads() {
    let dir = tempfile::tempdir().unwrap();
    let clip = make_clip(dir.path(), "a.mp4", "192x108", 5);
    let clip = clip.to_str().unwrap();
    let mut outputs = Vec::new();
    for threads in ["1", "2"] {
        let out = dir.path().join(format!("m{threads}.####.exr"));
        let o = retake(&[
            "mask",
            clip,
            "-o",
            out.to_str().unwrap(),
            "--codec",
            "exr-float",
            "--threads",
            threads,
            "-q",
        ]);
        assert!(o.status.success(), "{}", stderr(&o));
        outputs.push(out);
    }
    for i in 0..5 {
        let a = std::fs::read(dir.path().join(format!("m1.{i:04}.exr"))).unwrap();
        let b = std::fs::read(dir.path().join(format!("m2.{i:04}.exr"))).unwrap();
        assert_eq!(a, b, "frame {i} differs between 1 and 2 threads");
    }
    let j = probe_json(&outputs[0]);
    assert_eq!(j["frames"], 5);
    let record: serde_json::Value = serde_json::from_slice(
        &std::fs::read(format!("{}.retake.json", outputs[0].display())).unwrap(),
    )
    .unwrap();
    assert_eq!(record["operation"], "mask");
    assert_eq!(record["models"][0]["name"], "u2netp");
    assert_eq!(
        record["models"][0]["sha256"],
        "309c8469258dda742793dce0ebea8e6dd393174f89934733ecc8b14c76f4ddd8"
    );
    assert_eq!(record["parameters"]["threshold"], 0.5);
}

#[test]
fn mask_rejects_bad_parameters() {
    let dir = tempfile::tempdir().unwrap();
    let clip = make_clip(dir.path(), "a.mp4", "160x90", 2);
    let out = dir.path().join("m.mov");
    let o = retake(&[
        "mask",
        clip.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
        "--threshold",
        "1.5",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("threshold"), "{}", stderr(&o));
    let o = retake(&[
        "mask",
        clip.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
        "--model",
        "nosuchmodel",
    ]);
    assert_eq!(o.status.code(), Some(5));
    assert!(stderr(&o).contains("nosuchmodel"), "{}", stderr(&o));
    assert!(!out.exists());
}

/// Copy the real u2netp manifest into a temporary models folder with one
/// edit, and link the real model file beside it.
fn tampered_models(edit: impl Fn(String) -> String) -> tempfile::TempDir {
    let models = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../models");
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(models.join("u2netp.toml")).unwrap();
    std::fs::write(dir.path().join("u2netp.toml"), edit(text)).unwrap();
    std::os::unix::fs::symlink(
        models
            .join("u2netp.onnx")
            .canonicalize()
            .expect("models/u2netp.onnx (run scripts/setup.sh)"),
        dir.path().join("u2netp.onnx"),
    )
    .unwrap();
    dir
}

#[test]
fn models_verify_accepts_the_real_model_and_names_each_mismatch() {
    let o = retake(&["models", "verify", "u2netp"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(String::from_utf8_lossy(&o.stdout).contains("u2netp: ok"));

    type Edit = Box<dyn Fn(String) -> String>;
    let cases: Vec<(Edit, &str)> = vec![
        (Box::new(|t| t.replace("309c8469", "409c8469")), "sha256"),
        (
            Box::new(|t| t.replace("name = \"input.1\"", "name = \"image\"")),
            "`image`",
        ),
        (
            Box::new(|t| t.replace("shape = [1, 3, 320, 320]", "shape = [1, 3, 512, 512]")),
            "[1, 3, 512, 512]",
        ),
        (
            Box::new(|t| {
                t.replace(
                    "dtype = \"f32\"\nshape = [1, 1, 320",
                    "dtype = \"u8\"\nshape = [1, 1, 320",
                )
            }),
            "output `1959`",
        ),
    ];
    for (edit, needle) in cases {
        let dir = tampered_models(edit);
        let o = retake_env(
            &["models", "verify", "u2netp"],
            &[("RETAKE_MODELS", dir.path())],
        );
        let text = format!("{}{}", String::from_utf8_lossy(&o.stdout), stderr(&o));
        assert_eq!(o.status.code(), Some(5), "{text}");
        assert!(
            text.contains(needle) && text.contains("u2netp"),
            "`{needle}` not in: {text}"
        );
    }
}

#[test]
fn doctor_reports_runtime_ffmpeg_and_models() {
    let o = retake(&["doctor"]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{out}{}", stderr(&o));
    for needle in [
        "1.31.1",
        "cpu        available",
        "libavcodec",
        "prores-hq",
        "u2netp",
    ] {
        assert!(out.contains(needle), "`{needle}` not in: {out}");
    }
}

#[test]
fn models_list_and_info_show_the_nutrition_label() {
    let o = retake(&["models", "list"]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains("u2netp") && out.contains("installed"), "{out}");
    let o = retake(&["models", "info", "u2netp"]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.contains("DUTS-TR") && out.contains("Apache-2.0") && out.contains("input.1"),
        "{out}"
    );
}

#[test]
fn job_files_run_the_same_operations_with_paths_relative_to_the_job() {
    let dir = tempfile::tempdir().unwrap();
    make_clip(dir.path(), "shot.mp4", "160x90", 8);
    std::fs::create_dir(dir.path().join("out")).unwrap();
    let job = dir.path().join("convert.toml");
    std::fs::write(
        &job,
        "operation = \"convert\"\n[io]\ninput = \"shot.mp4\"\noutput = \"out/plate.####.exr\"\ncodec = \"exr-half\"\nframes = \"0-5\"\n",
    )
    .unwrap();
    // The command-line range overrides the job's: a farm chunk.
    let o = retake(&["run", job.to_str().unwrap(), "--frames", "2-4"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let j = probe_json(&dir.path().join("out/plate.####.exr"));
    assert_eq!(
        (j["frames"].clone(), j["first_frame"].clone()),
        (3.into(), 2.into())
    );

    let job = dir.path().join("mask.toml");
    std::fs::write(
        &job,
        "operation = \"mask\"\n[io]\ninput = \"shot.mp4\"\noutput = \"out/matte.mov\"\n[mask]\nthreshold = 0.4\ntemporal_radius = 1\n",
    )
    .unwrap();
    let o = retake(&["run", job.to_str().unwrap(), "-q"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let record: serde_json::Value = serde_json::from_slice(
        &std::fs::read(dir.path().join("out/matte.mov.retake.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(record["parameters"]["threshold"], 0.4);
    assert_eq!(record["parameters"]["temporal_radius"], 1);
}

#[test]
fn bad_job_files_name_the_file_and_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let job = dir.path().join("job.toml");
    for (text, needle) in [
        ("operation = \"mask\"\n[io]\ninput = \"a.mp4\"\noutput = \"b.mov\"\n[mask]\ntreshold = 0.3\n", "treshold"),
        ("operation = \"paint\"\n[io]\ninput = \"a.mp4\"\noutput = \"b.mov\"\n", "paint"),
        ("operation = \"mask\"\n[io]\ninput = \"a.mp4\"\n", "output"),
        ("operation = \"convert\"\n[io]\ninput = \"a.mp4\"\noutput = \"b.mov\"\n[mask]\nthreshold = 0.3\n", "[mask]"),
    ] {
        std::fs::write(&job, text).unwrap();
        let o = retake(&["run", job.to_str().unwrap()]);
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(3), "{err}");
        assert!(err.contains("job.toml") && err.contains(needle), "`{needle}` not in: {err}");
    }
}

#[test]
fn missing_output_folders_are_created() {
    let dir = tempfile::tempdir().unwrap();
    let clip = make_clip(dir.path(), "a.mp4", "160x90", 3);
    let out = dir.path().join("renders/shot010/plate.####.png");
    let o = retake(&[
        "convert",
        clip.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(dir.path().join("renders/shot010/plate.0002.png").is_file());
    // Existing frames are kept unless --overwrite is given.
    let o = retake(&[
        "convert",
        clip.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(4), "{}", stderr(&o));
    assert!(stderr(&o).contains("3 frames") && stderr(&o).contains("--overwrite"));
    // A run whose input is bad makes no folder.
    let out = dir.path().join("renders/shot020/plate.####.png");
    let missing = dir.path().join("missing.mp4");
    let o = retake(&[
        "convert",
        missing.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(3));
    assert!(!dir.path().join("renders/shot020").exists());
}

#[test]
fn alpha_outputs_named_mov_get_prores_4444() {
    let dir = tempfile::tempdir().unwrap();
    let clip = make_clip(dir.path(), "a.mp4", "160x90", 3);
    let matte = make_clip(dir.path(), "m.mp4", "160x90", 3);
    let out = dir.path().join("keyed.mov");
    let o = retake(&[
        "convert",
        clip.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
        "--alpha",
        matte.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let j = probe_json(&out);
    assert_eq!(j["has_alpha"], true, "{j}");
    assert_eq!(j["codec"], "prores", "{j}");
}

#[test]
fn resume_renders_only_missing_frames_and_matches_a_whole_run() {
    let dir = tempfile::tempdir().unwrap();
    let clip = make_clip(dir.path(), "a.mp4", "192x108", 10);
    let clip = clip.to_str().unwrap();
    let whole = dir.path().join("whole/m.####.exr");
    let part = dir.path().join("part/m.####.exr");
    let mask = |out: &Path, extra: &[&str]| {
        let mut args = vec![
            "mask",
            clip,
            "-o",
            out.to_str().unwrap(),
            "--codec",
            "exr-float",
            "-q",
        ];
        args.extend_from_slice(extra);
        retake(&args)
    };
    assert!(mask(&whole, &[]).status.success());
    assert!(mask(&part, &[]).status.success());
    // A farm node died: frames 3, 4 and 8 are missing.
    for f in [3, 4, 8] {
        std::fs::remove_file(dir.path().join(format!("part/m.{f:04}.exr"))).unwrap();
    }
    let kept = dir.path().join("part/m.0005.exr");
    let before = std::fs::metadata(&kept).unwrap().modified().unwrap();
    std::thread::sleep(std::time::Duration::from_millis(20));
    let o = mask(&part, &["--resume"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        std::fs::metadata(&kept).unwrap().modified().unwrap(),
        before,
        "a finished frame was redone"
    );
    // Temporal context is read around the missing frames, so they are
    // identical to the same frames of an uninterrupted run.
    for f in 0..10 {
        let a = std::fs::read(dir.path().join(format!("whole/m.{f:04}.exr"))).unwrap();
        let b = std::fs::read(dir.path().join(format!("part/m.{f:04}.exr"))).unwrap();
        assert_eq!(a, b, "frame {f}");
    }
    // Nothing missing: nothing to do.
    let o = retake(&["mask", clip, "-o", part.to_str().unwrap(), "--resume"]);
    assert!(o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("already rendered"));
    // A video cannot be resumed.
    let o = mask(&dir.path().join("m.mov"), &["--resume"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("resume"));
}

#[test]
fn models_bench_times_the_model_alone() {
    let o = retake(&["models", "bench", "u2netp", "--runs", "1"]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        out.contains("u2netp") && out.contains("runs/s") && out.contains("cpu"),
        "{out}"
    );
}

#[test]
fn models_fetch_installs_from_a_mirror_and_refuses_a_wrong_file() {
    use sha2::{Digest, Sha256};
    let dir = tempfile::tempdir().unwrap();
    let (models, mirror, dest) = (
        dir.path().join("models"),
        dir.path().join("mirror"),
        dir.path().join("dest"),
    );
    std::fs::create_dir_all(&models).unwrap();
    std::fs::create_dir_all(&mirror).unwrap();
    // A FIXTURE file standing in for model weights.
    let bytes: Vec<u8> = (0..50_000u32).map(|i| (i * 7 % 251) as u8).collect();
    std::fs::write(mirror.join("fixture.onnx"), &bytes).unwrap();
    let sha: String = Sha256::digest(&bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let manifest = |sha: &str| {
        format!(
            "name = \"fixture\"\nrole = \"mask\"\nfile = \"fixture.onnx\"\nsha256 = \"{sha}\"\nlicence = \"none\"\nsource = \"test fixture\"\ntraining_data = \"none\"\nfixture = true\n[[inputs]]\nname = \"x\"\ndtype = \"f32\"\nshape = [1, 3, 8, 8]\n[[outputs]]\nname = \"y\"\ndtype = \"f32\"\nshape = [1, 1, 8, 8]\n[fetch]\nurl = \"https://example.invalid/fixture.onnx\"\nsize = 50000\n"
        )
    };
    let mirror_url = format!("file://{}", mirror.display());
    let fetch = || {
        let mut c = Command::new(env!("CARGO_BIN_EXE_retake"));
        c.args([
            "models",
            "fetch",
            "fixture",
            "--dir",
            dest.to_str().unwrap(),
            "-q",
        ])
        .env("RETAKE_MODELS", &models)
        .env("RETAKE_MODEL_MIRROR", &mirror_url);
        c.output().unwrap()
    };
    // Wrong pinned hash: refused, nothing installed.
    std::fs::write(models.join("fixture.toml"), manifest(&"0".repeat(64))).unwrap();
    let o = fetch();
    assert_eq!(o.status.code(), Some(5), "{}", stderr(&o));
    assert!(stderr(&o).contains("sha256"), "{}", stderr(&o));
    assert!(!dest.join("fixture.onnx").exists());
    // Right hash: installed with its manifest beside it.
    std::fs::write(models.join("fixture.toml"), manifest(&sha)).unwrap();
    let o = fetch();
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(std::fs::read(dest.join("fixture.onnx")).unwrap(), bytes);
    assert!(dest.join("fixture.toml").is_file());
}

/// A PNG sequence `dir/name/%03d.png` from an FFmpeg lavfi source and
/// filter chain; returns its pattern.
fn make_png_sequence(dir: &Path, name: &str, source: &str, vf: &str, frames: u32) -> String {
    std::fs::create_dir_all(dir.join(name)).unwrap();
    let pattern = dir.join(name).join("%03d.png");
    let status = Command::new("ffmpeg")
        .args(["-loglevel", "error", "-y", "-f", "lavfi", "-i", source])
        .args(["-frames:v", &frames.to_string(), "-vf", vf])
        .arg(&pattern)
        .status()
        .expect("ffmpeg (run scripts/setup.sh)");
    assert!(status.success());
    pattern.to_str().unwrap().to_string()
}

fn eval_json(args: &[&str]) -> serde_json::Value {
    let mut all = vec!["eval", "--json", "-q"];
    all.extend_from_slice(args);
    let o = retake(&all);
    assert!(o.status.success(), "{}", stderr(&o));
    serde_json::from_slice(&o.stdout).unwrap()
}

#[test]
fn eval_of_identical_clips_is_perfect() {
    let dir = tempfile::tempdir().unwrap();
    let clip = make_clip(dir.path(), "a.mp4", "96x64", 5);
    let clip = clip.to_str().unwrap();
    let j = eval_json(&[clip, clip]);
    assert_eq!(j["frames"], 5);
    assert_eq!(j["psnr"], "inf");
    assert_eq!(j["ssim"], 1.0);
    assert_eq!(j["per_frame"]["psnr"].as_array().unwrap().len(), 5);
    assert_eq!(j["warping_pairs"], 4);
    // No mask: the in-mask figures are undefined.
    assert!(j["psnr_mask"].is_null());
    // A range compares only those frames, and pairs only neighbours in it.
    let j = eval_json(&[clip, clip, "--frames", "1-3"]);
    assert_eq!(j["frames"], 3);
    assert_eq!(j["per_frame"]["frame"], serde_json::json!([1, 2, 3]));
    assert_eq!(j["warping_pairs"], 2);
}

#[test]
fn eval_psnr_of_a_brightness_shift_is_as_computed() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let src = "testsrc2=size=96x64:rate=24";
    // Squeezed into 20..224 first so that +3 never clips: every sample
    // differs by exactly 3 code values, PSNR = 20 log10(255 / 3).
    let gt = make_png_sequence(
        d,
        "gt",
        src,
        "format=rgb24,lutrgb=r=val*0.8+20:g=val*0.8+20:b=val*0.8+20",
        4,
    );
    let shifted = make_png_sequence(
        d,
        "shifted",
        src,
        "format=rgb24,lutrgb=r=val*0.8+23:g=val*0.8+23:b=val*0.8+23",
        4,
    );
    let j = eval_json(&[&shifted, &gt]);
    let expected = 20.0 * (255.0f64 / 3.0).log10();
    let psnr = j["psnr"].as_f64().unwrap();
    assert!((psnr - expected).abs() < 0.01, "{psnr} vs {expected}");
    let ssim = j["ssim"].as_f64().unwrap();
    assert!(ssim > 0.99 && ssim < 1.0, "{ssim}");
    // A steady offset does not flicker: the warping error is the ground
    // truth's own.
    let own = eval_json(&[&gt, &gt])["warping_error"].as_f64().unwrap();
    let e = j["warping_error"].as_f64().unwrap();
    assert!((e - own).abs() < 1e-4, "{e} vs {own}");
}

#[test]
fn eval_rejects_clips_that_do_not_match_and_names_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let a = make_clip(dir.path(), "a.mp4", "96x64", 4);
    let small = make_clip(dir.path(), "small.mp4", "64x48", 4);
    let short = make_clip(dir.path(), "short.mp4", "96x64", 3);
    let (a, small, short) = (
        a.to_str().unwrap(),
        small.to_str().unwrap(),
        short.to_str().unwrap(),
    );
    let o = retake(&["eval", small, a]);
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    let e = stderr(&o);
    assert!(
        e.contains("small.mp4") && e.contains("64x48") && e.contains("96x64"),
        "{e}"
    );
    let o = retake(&["eval", short, a]);
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("short.mp4") && stderr(&o).contains("3 frames"),
        "{}",
        stderr(&o)
    );
    // A mask of the wrong size is named too.
    let o = retake(&["eval", a, a, "--mask", small]);
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("small.mp4") && stderr(&o).contains("mask"),
        "{}",
        stderr(&o)
    );
    // A missing file is a bad input as well.
    let missing = dir.path().join("nothere.mp4");
    let o = retake(&["eval", missing.to_str().unwrap(), a]);
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    assert!(stderr(&o).contains("nothere.mp4"), "{}", stderr(&o));
}

#[test]
fn eval_mask_restricts_the_in_mask_figures() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let src = "testsrc2=size=96x64:rate=24";
    let gt = make_png_sequence(d, "gt", src, "format=rgb24", 3);
    // The left 40 columns are damaged.
    let damaged = make_png_sequence(
        d,
        "damaged",
        src,
        "format=rgb24,drawbox=x=0:y=0:w=40:h=64:color=red:t=fill",
        3,
    );
    let still = |name: &str, x: u32, w: u32| {
        let p = d.join(name);
        let status = Command::new("ffmpeg")
            .args([
                "-loglevel",
                "error",
                "-y",
                "-f",
                "lavfi",
                "-i",
                "color=black:size=96x64",
            ])
            .args(["-frames:v", "1", "-pix_fmt", "gray", "-vf"])
            .arg(format!("drawbox=x={x}:y=0:w={w}:h=64:color=white:t=fill"))
            .arg(&p)
            .status()
            .expect("ffmpeg");
        assert!(status.success());
        p.to_str().unwrap().to_string()
    };
    // Clear of the damage by more than the SSIM window's reach (5 px).
    let clean = still("clean.png", 50, 46);
    let hole = still("hole.png", 0, 40);
    let j = eval_json(&[&damaged, &gt, "--mask", &clean]);
    assert_eq!(j["psnr_mask"], "inf");
    assert_eq!(j["ssim_mask"], 1.0);
    let whole = j["psnr"].as_f64().unwrap();
    assert!(whole.is_finite() && whole < 30.0, "{whole}");
    assert!((j["mask_fraction"].as_f64().unwrap() - 46.0 / 96.0).abs() < 1e-6);
    let j = eval_json(&[&damaged, &gt, "--mask", &hole]);
    let inside = j["psnr_mask"].as_f64().unwrap();
    assert!(inside < whole - 2.0, "in mask {inside} vs whole {whole}");
    assert!(j["ssim_mask"].as_f64().unwrap() < j["ssim"].as_f64().unwrap());
    // A mask sequence works the same as a still.
    let seq = make_png_sequence(
        d,
        "holes",
        "color=black:size=96x64:rate=24",
        "format=gray,drawbox=x=0:y=0:w=40:h=64:color=white:t=fill",
        3,
    );
    let js = eval_json(&[&damaged, &gt, "--mask", &seq]);
    assert_eq!(js["psnr_mask"], j["psnr_mask"]);
}
