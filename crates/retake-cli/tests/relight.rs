//! `retake relight` end to end: presets and keyframes, a depth pass, the
//! automatic subject matte, job files, and bad parameters and passes.
//! Clips are made with the `ffmpeg` tool.

mod common;

use std::path::Path;

use common::{clip, ffmpeg, fixture_model, frame_hashes, listing, retake, stderr};

/// A depth pass: a horizontal ramp (near on the left), 16-bit grey PNGs.
fn depth(dir: &Path, size: &str, frames: u32) -> String {
    let p = dir.join("depth.%04d.png");
    ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        &format!("gradients=size={size}:rate=24:c0=0x404040:c1=0xffffff:x0=0:y0=0:x1=159:y1=0:nb_colors=2,format=gray16be"),
        "-frames:v",
        &frames.to_string(),
        "-start_number",
        "0",
        p.to_str().unwrap(),
    ]);
    p.to_string_lossy().into_owned()
}

fn eval_psnr(out: &Path, truth: &Path) -> f64 {
    let o = retake(&[
        "eval",
        out.to_str().unwrap(),
        truth.to_str().unwrap(),
        "--json",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let j: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let text = j.to_string();
    let v = &j["psnr"];
    match v.as_f64() {
        Some(x) => x,
        None if v.as_str() == Some("inf") => f64::INFINITY,
        None => panic!("no psnr in {text}"),
    }
}

#[test]
fn presets_keyframes_and_zero_light() {
    let dir = tempfile::tempdir().unwrap();
    let shot = clip(dir.path(), 4);
    let s = shot.to_str().unwrap();
    let lit = dir.path().join("lit.mkv");
    let o = retake(&[
        "relight",
        s,
        "-o",
        lit.to_str().unwrap(),
        "--codec",
        "ffv1",
        "--preset",
        "golden-hour",
        "--azimuth",
        "0:30,3:150",
        "--shadows",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let prov = std::fs::read_to_string(format!("{}.retake.json", lit.display())).unwrap();
    assert!(
        prov.contains("\"relight\"") && prov.contains("golden-hour"),
        "{prov}"
    );
    // The look changes the picture...
    assert!(eval_psnr(&lit, &shot) < 30.0);
    // ...and no added light gives it back (within 16-bit FFV1 rounding;
    // the 8-bit shot's own depth would round the float result to 8 bits).
    let same = dir.path().join("same.mkv");
    let o = retake(&[
        "relight",
        s,
        "-o",
        same.to_str().unwrap(),
        "--codec",
        "ffv1",
        "--bit-depth",
        "16",
        "--intensity",
        "0",
        "--rim",
        "0",
        "--ambient",
        "0",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(eval_psnr(&same, &shot) > 60.0);
}

#[test]
fn a_depth_pass_and_the_automatic_matte() {
    let dir = tempfile::tempdir().unwrap();
    let shot = clip(dir.path(), 3);
    let s = shot.to_str().unwrap();
    let d = depth(dir.path(), "160x90", 3);
    let out = dir.path().join("d.mkv");
    let o = retake(&[
        "relight",
        s,
        "--depth",
        &d,
        "-o",
        out.to_str().unwrap(),
        "--codec",
        "ffv1",
        "--light",
        "point",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let prov = std::fs::read_to_string(format!("{}.retake.json", out.display())).unwrap();
    assert!(prov.contains("depth.%04d.png"), "{prov}");
    let out = dir.path().join("a.mkv");
    let o = retake(&[
        "relight",
        s,
        "--mask",
        "auto",
        "--mask-mode",
        "subject",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let prov = std::fs::read_to_string(format!("{}.retake.json", out.display())).unwrap();
    assert!(prov.contains("u2netp"), "{prov}");
}

#[test]
fn bad_parameters_and_passes_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let shot = clip(dir.path(), 2);
    let s = shot.to_str().unwrap();
    let out = dir.path().join("o.mkv");
    let o_ = out.to_str().unwrap();
    let o = retake(&["relight", s, "-o", o_, "--preset", "sunset"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("sunset") && stderr(&o).contains("golden-hour"),
        "{}",
        stderr(&o)
    );
    let o = retake(&["relight", s, "-o", o_, "--fov", "200"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("fov"), "{}", stderr(&o));
    let o = retake(&["relight", s, "-o", o_, "--azimuth", "0:x"]);
    assert_eq!(o.status.code(), Some(2));
    let d = depth(dir.path(), "120x90", 2);
    let before = listing(dir.path());
    let o = retake(&["relight", s, "--depth", &d, "-o", o_]);
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("depth.%04d.png") && stderr(&o).contains("120x90"),
        "{}",
        stderr(&o)
    );
    let after = listing(dir.path());
    assert_eq!(before, after, "a failed run left files behind");
    let o = retake(&["relight", s, "--depth", &d, "--mask", "auto", "-o", o_]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn job_files_carry_parameters_and_inputs() {
    let dir = tempfile::tempdir().unwrap();
    clip(dir.path(), 3);
    depth(dir.path(), "160x90", 3);
    let job = dir.path().join("job.toml");
    std::fs::write(
        &job,
        "operation = \"relight\"\n[io]\ninput = \"shot.mkv\"\noutput = \"lit.####.png\"\n\
         [inputs]\ndepth = \"depth.%04d.png\"\n[relight]\npreset = \"blue-hour\"\nazimuth = \"0:20,2:60\"\n",
    )
    .unwrap();
    let o = retake(&["run", job.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(dir.path().join("lit.0002.png").is_file());
    std::fs::write(&job, "operation = \"relight\"\n[io]\ninput = \"shot.mkv\"\noutput = \"x.mkv\"\n[relight]\nbogus = 1\n").unwrap();
    let o = retake(&["run", job.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(3));
    assert!(stderr(&o).contains("bogus"), "{}", stderr(&o));
}

#[test]
fn passes_are_written_beside_the_same_picture() {
    let dir = tempfile::tempdir().unwrap();
    let shot = clip(dir.path(), 3);
    let s = shot.to_str().unwrap();
    let plain = dir.path().join("plain.mkv");
    let with = dir.path().join("with.mkv");
    let passes = dir.path().join("passes.####.exr");
    let args = ["--preset", "key", "--codec", "ffv1"];
    let o = retake(&[&["relight", s, "-o", plain.to_str().unwrap()], &args[..]].concat());
    assert!(o.status.success(), "{}", stderr(&o));
    let o = retake(
        &[
            &[
                "relight",
                s,
                "-o",
                with.to_str().unwrap(),
                "--passes",
                passes.to_str().unwrap(),
            ],
            &args[..],
        ]
        .concat(),
    );
    assert!(o.status.success(), "{}", stderr(&o));
    for i in 0..3 {
        assert!(dir.path().join(format!("passes.{i:04}.exr")).is_file());
    }
    // Writing the passes does not change the picture.
    assert_eq!(eval_psnr(&with, &plain), f64::INFINITY);
    // Existing pass frames are kept unless --overwrite.
    let again = dir.path().join("again.mkv");
    let o = retake(&[
        "relight",
        s,
        "-o",
        again.to_str().unwrap(),
        "--passes",
        passes.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(4), "{}", stderr(&o));
    assert!(stderr(&o).contains("passes.0000.exr"), "{}", stderr(&o));
    assert!(!again.exists());
}

#[test]
fn the_preview_is_a_grid_of_presets() {
    let dir = tempfile::tempdir().unwrap();
    let shot = clip(dir.path(), 5);
    let grid = dir.path().join("grid.png");
    let o = retake(&[
        "relight",
        shot.to_str().unwrap(),
        "--preview",
        "-o",
        grid.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("golden-hour") && stderr(&o).contains("frames 0, 2, 4"),
        "{}",
        stderr(&o)
    );
    let o = retake(&["probe", "--json", grid.to_str().unwrap()]);
    let j: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    // Three columns of 160-wide thumbnails, nine rows (original + 8 presets).
    assert_eq!(j["width"], 3 * 160 + 4 * 4);
    assert_eq!(j["height"], 9 * 90 + 10 * 4);
}

#[test]
fn written_passes_read_back_as_the_same_geometry() {
    // Relight once from the built-in geometry writing the passes, then
    // again from those passes (normals and Z of the same EXR files): the
    // pictures agree, so the passes are exactly the geometry used.
    let dir = tempfile::tempdir().unwrap();
    let shot = clip(dir.path(), 3);
    let s = shot.to_str().unwrap();
    let first = dir.path().join("first.mkv");
    let second = dir.path().join("second.mkv");
    let passes = dir.path().join("passes.####.exr");
    let p = passes.to_str().unwrap();
    let look = [
        "--preset",
        "key",
        "--shadows",
        "--temporal-radius",
        "0",
        "--codec",
        "ffv1",
        // The differences compared below are finer than 8-bit codes.
        "--bit-depth",
        "16",
    ];
    let o = retake(
        &[
            &["relight", s, "-o", first.to_str().unwrap(), "--passes", p],
            &look[..],
        ]
        .concat(),
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let o = retake(
        &[
            &[
                "relight",
                s,
                "-o",
                second.to_str().unwrap(),
                "--normals",
                p,
                "--depth",
                p,
            ],
            &look[..],
        ]
        .concat(),
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let psnr = eval_psnr(&second, &first);
    assert!(psnr > 55.0, "{psnr} dB");
    let record = std::fs::read_to_string(format!("{}.retake.json", second.display())).unwrap();
    assert!(record.contains("\"normals\""), "{record}");

    // Normals alone (depth unknown: a wall) still relight, differently.
    let normals_only = dir.path().join("normals_only.mkv");
    let o = retake(
        &[
            &[
                "relight",
                s,
                "-o",
                normals_only.to_str().unwrap(),
                "--normals",
                p,
            ],
            &look[..],
        ]
        .concat(),
    );
    assert!(o.status.success(), "{}", stderr(&o));
    // Their difference is finer than the 8-bit codes `retake eval`
    // compares, so the 16-bit pictures are compared.
    assert_ne!(
        frame_hashes(&normals_only, "rgb48le"),
        frame_hashes(&first, "rgb48le"),
        "normals without depth relit exactly as normals with depth"
    );
}

#[test]
fn a_normal_pass_of_the_wrong_size_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let shot = clip(dir.path(), 2);
    let normals = depth(dir.path(), "120x90", 2);
    let out = dir.path().join("out.mkv");
    let before = listing(dir.path());
    let o = retake(&[
        "relight",
        shot.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
        "--normals",
        &normals,
    ]);
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    let e = stderr(&o);
    assert!(e.contains("depth.%04d.png") && e.contains("120x90"), "{e}");
    assert_eq!(listing(dir.path()), before);
}

#[test]
fn a_depth_model_shapes_the_light() {
    let dir = tempfile::tempdir().unwrap();
    let shot = clip(dir.path(), 3);
    let s = shot.to_str().unwrap();
    let model = fixture_model("fixture-depth-anything");
    let learned = dir.path().join("learned.mkv");
    let builtin = dir.path().join("builtin.mkv");
    let look = ["--preset", "key", "--codec", "ffv1"];
    let o = retake(
        &[
            &[
                "relight",
                s,
                "-o",
                learned.to_str().unwrap(),
                "--depth-model",
                &model,
            ],
            &look[..],
        ]
        .concat(),
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stderr(&o).contains("FIXTURE"), "{}", stderr(&o));
    let record = std::fs::read_to_string(format!("{}.retake.json", learned.display())).unwrap();
    assert!(record.contains("fixture-depth-anything"), "{record}");
    let o = retake(
        &[
            &[
                "relight",
                s,
                "-o",
                builtin.to_str().unwrap(),
                "--depth-model",
                "builtin",
            ],
            &look[..],
        ]
        .concat(),
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let record = std::fs::read_to_string(format!("{}.retake.json", builtin.display())).unwrap();
    assert!(!record.contains("fixture-depth-anything"), "{record}");
    // Different geometry, different light; both far from the input's
    // identity (the key light is visible).
    let psnr = eval_psnr(&learned, &builtin);
    assert!(psnr.is_finite() && psnr < 60.0, "{psnr} dB");

    // A model of another role, and a range that cannot work, are named.
    let out = dir.path().join("bad.mkv");
    let o = retake(&[
        "relight",
        s,
        "-o",
        out.to_str().unwrap(),
        "--depth-model",
        &fixture_model("fixture-migan"),
    ]);
    assert_eq!(o.status.code(), Some(5), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("inpaint") && stderr(&o).contains("depth"),
        "{}",
        stderr(&o)
    );
    let o = retake(&[
        "relight",
        s,
        "-o",
        out.to_str().unwrap(),
        "--depth-range",
        "1",
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("depth-range"), "{}", stderr(&o));
    assert!(!out.exists());
}
