//! Colour management end to end: `retake` with the ACES CG config that
//! scripts/setup.sh writes, checked against OpenColorIO's own processor
//! (the PyPI package in .deps/ocio/venv) on the same pixels; operations on
//! an ACEScg plate against the same plate converted beforehand; bad names
//! and configs; and no change at all without colour flags. Nothing is
//! skipped: without setup the tests fail and say to run it.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::{clip, ffmpeg, listing, stderr};
use sha2::{Digest, Sha256};

const CONFIG_NAME: &str = "cg-config-v1.0.0_aces-v1.3_ocio-v2.1";

fn checkout() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn config_path() -> PathBuf {
    let p = checkout().join(format!(".deps/ocio/{CONFIG_NAME}.ocio"));
    assert!(
        p.is_file(),
        "{} is missing: run `bash scripts/setup.sh` (it writes the ACES config with OpenColorIO)",
        p.display()
    );
    p
}

fn python() -> PathBuf {
    let p = checkout().join(".deps/ocio/venv/bin/python");
    assert!(
        p.is_file(),
        "{} is missing: run `bash scripts/setup.sh` (it makes the OpenColorIO venv)",
        p.display()
    );
    p
}

/// scripts/ocio_reference.py with the ACES config and `args`.
fn reference_script(args: &[&str], files: [&Path; 2]) {
    let status = Command::new(python())
        .arg(checkout().join("scripts/ocio_reference.py"))
        .arg(config_path())
        .args(files)
        .args(args)
        .status()
        .expect("run the OpenColorIO reference");
    assert!(status.success(), "ocio_reference.py {args:?} failed");
}

/// OpenColorIO's (Python) conversion of RGB `pixels` from `from` to `to`.
fn reference(from: &str, to: &str, pixels: &[f32]) -> Vec<f32> {
    let dir = tempfile::tempdir().unwrap();
    let (inp, out) = (dir.path().join("in.f32"), dir.path().join("out.f32"));
    let bytes: Vec<u8> = pixels.iter().flat_map(|v| v.to_le_bytes()).collect();
    std::fs::write(&inp, bytes).unwrap();
    reference_script(&["space", from, to], [&inp, &out]);
    std::fs::read(&out)
        .unwrap()
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect()
}

/// `retake ARGS` with `$OCIO` set to `ocio` or removed.
fn retake_ocio(args: &[&str], ocio: Option<&Path>) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_retake"));
    c.args(args);
    match ocio {
        Some(p) => c.env("OCIO", p),
        None => c.env_remove("OCIO"),
    };
    c.output().expect("run retake")
}

fn ok(o: Output) -> Output {
    assert!(o.status.success(), "{}", stderr(&o));
    o
}

/// Values from -1 to 16 in every combination, as a 169x13 float EXR.
fn hdr_plate(path: &Path) -> Vec<f32> {
    let values = [
        -1.0f32, -0.25, -0.01, 0.0, 1e-4, 0.01, 0.18, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0,
    ];
    let mut pixels = Vec::new();
    for r in values {
        for g in values {
            for b in values {
                pixels.extend([r, g, b]);
            }
        }
    }
    let (w, h) = (169usize, 13usize);
    exr::prelude::write_rgb_file(path, w, h, |x, y| {
        let i = (y * w + x) * 3;
        (pixels[i], pixels[i + 1], pixels[i + 2])
    })
    .unwrap();
    pixels
}

fn read_png16(path: &Path) -> Vec<u16> {
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(path).unwrap()));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    assert_eq!(info.bit_depth, png::BitDepth::Sixteen);
    assert_eq!(info.color_type, png::ColorType::Rgb);
    buf[..info.buffer_size()]
        .chunks_exact(2)
        .map(|b| u16::from_be_bytes([b[0], b[1]]))
        .collect()
}

fn provenance(output: &Path) -> serde_json::Value {
    let p = format!("{}.retake.json", output.display());
    serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap()
}

#[test]
fn acescg_to_srgb_texture_png16_matches_opencolorio() {
    let dir = tempfile::tempdir().unwrap();
    let plate = dir.path().join("plate.exr");
    let pixels = hdr_plate(&plate);
    let out = dir.path().join("out.png");
    let config = config_path();
    ok(retake_ocio(
        &[
            "convert",
            plate.to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
            "--codec",
            "png16",
            "--ocio",
            config.to_str().unwrap(),
            "--input-colorspace",
            "ACEScg",
            "--output-colorspace",
            "sRGB - Texture",
        ],
        None,
    ));
    let ours = read_png16(&out);
    let theirs = reference("ACEScg", "sRGB - Texture", &pixels);
    assert_eq!(ours.len(), theirs.len());
    let worst = ours
        .iter()
        .zip(&theirs)
        .map(|(&code, &v)| (code as f32 - (v.clamp(0.0, 1.0) * 65535.0).round()).abs())
        .fold(0.0f32, f32::max);
    eprintln!("ACEScg -> sRGB - Texture, 16-bit PNG: max difference {worst} / 65535");
    assert!(worst <= 2.0, "max difference {worst} codes");

    let record = provenance(&out);
    let colour = &record["colour"];
    let sha = format!("{:x}", Sha256::digest(std::fs::read(&config).unwrap()));
    assert_eq!(colour["config"], config.to_str().unwrap());
    assert_eq!(colour["config_sha256"], sha.as_str());
    assert_eq!(colour["working_space"], "ACEScg");
    assert_eq!(colour["input_space"], "ACEScg");
    assert_eq!(colour["output_space"], "sRGB - Texture");
    assert_eq!(colour["model_space"], "sRGB - Texture");
}

#[test]
fn acescg_to_linear_rec709_exr_matches_opencolorio() {
    let dir = tempfile::tempdir().unwrap();
    let plate = dir.path().join("plate.exr");
    let pixels = hdr_plate(&plate);
    let out = dir.path().join("lin.exr");
    // The config through $OCIO this time.
    ok(retake_ocio(
        &[
            "convert",
            plate.to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
            "--codec",
            "exr-float",
            "--input-colorspace",
            "ACEScg",
            "--output-colorspace",
            "Linear Rec.709 (sRGB)",
        ],
        Some(&config_path()),
    ));
    let image = exr::prelude::read_first_rgba_layer_from_file(
        &out,
        |res, _| vec![0.0f32; res.width() * res.height() * 3],
        |px: &mut Vec<f32>, pos, (r, g, b, _a): (f32, f32, f32, f32)| {
            let i = (pos.y() * 169 + pos.x()) * 3;
            px[i..i + 3].copy_from_slice(&[r, g, b]);
        },
    )
    .unwrap();
    let ours = image.layer_data.channel_data.pixels;
    let theirs = reference("ACEScg", "Linear Rec.709 (sRGB)", &pixels);
    let worst = ours
        .iter()
        .zip(&theirs)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0f32, f32::max);
    eprintln!("ACEScg -> Linear Rec.709 (sRGB), float EXR: max difference {worst:e}");
    assert!(worst <= 1e-4, "max difference {worst}");
}

#[test]
fn bad_names_and_configs_are_clear_errors_that_write_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let plate = dir.path().join("plate.exr");
    hdr_plate(&plate);
    let config = config_path();
    let (p, c) = (plate.to_str().unwrap(), config.to_str().unwrap());
    let out = dir.path().join("out.exr");
    let o = out.to_str().unwrap();
    let cases: [(Vec<&str>, i32, &[&str]); 5] = [
        (
            vec!["--ocio", c, "--input-colorspace", "acescgg"],
            2,
            &["input-colorspace", "`acescgg`", "`ACEScg`"],
        ),
        (
            vec![
                "--ocio",
                c,
                "--input-colorspace",
                "ACEScg",
                "--display",
                "sRGB - Display",
                "--view",
                "SDR Video",
            ],
            2,
            &["view", "`SDR Video`", "ACES 1.0 - SDR Video"],
        ),
        (
            vec!["--ocio", c, "--output-colorspace", "ACEScg"],
            2,
            &["--input-colorspace NAME"],
        ),
        (
            vec!["--input-colorspace", "ACEScg"],
            2,
            &["--ocio CONFIG or set $OCIO"],
        ),
        (
            vec![
                "--ocio",
                "/nonexistent/studio.ocio",
                "--input-colorspace",
                "ACEScg",
            ],
            3,
            &["/nonexistent/studio.ocio"],
        ),
    ];
    for (flags, code, needles) in cases {
        let mut args = vec!["convert", p, "-o", o];
        args.extend(&flags);
        let r = retake_ocio(&args, None);
        let err = stderr(&r);
        assert_eq!(r.status.code(), Some(code), "{flags:?}: {err}");
        for n in needles {
            assert!(err.contains(n), "{flags:?}: `{n}` not in: {err}");
        }
        assert_eq!(listing(dir.path()), ["plate.exr"], "{flags:?} left files");
    }
}

#[test]
fn colorspaces_lists_spaces_roles_displays_and_views() {
    let config = config_path();
    let o = ok(retake_ocio(&["colorspaces", "--json"], Some(&config)));
    let j: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(j["working_space"], "ACEScg");
    assert_eq!(j["roles"]["scene_linear"], "ACEScg");
    let spaces: Vec<&str> = j["colour_spaces"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|s| s.as_str())
        .collect();
    assert!(spaces.contains(&"ACEScg") && spaces.contains(&"sRGB - Texture"));
    let views = j["displays"]["sRGB - Display"].as_array().unwrap();
    assert!(views.iter().any(|v| v == "ACES 1.0 - SDR Video"));
    let o = ok(retake_ocio(
        &["colorspaces", "--ocio", config.to_str().unwrap()],
        None,
    ));
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(
        text.contains("working space (scene_linear): ACEScg"),
        "{text}"
    );
    let o = retake_ocio(&["colorspaces"], None);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
}

#[test]
fn without_colour_flags_outputs_are_unchanged_even_with_ocio_set() {
    let dir = tempfile::tempdir().unwrap();
    let shot = clip(dir.path(), 2);
    let s = shot.to_str().unwrap();
    let plain = dir.path().join("plain.png");
    let with_env = dir.path().join("env.png");
    ok(retake_ocio(
        &[
            "convert",
            s,
            "-o",
            plain.to_str().unwrap(),
            "--frames",
            "0-0",
        ],
        None,
    ));
    ok(retake_ocio(
        &[
            "convert",
            s,
            "-o",
            with_env.to_str().unwrap(),
            "--frames",
            "0-0",
        ],
        Some(&config_path()),
    ));
    assert_eq!(
        std::fs::read(&plain).unwrap(),
        std::fs::read(&with_env).unwrap()
    );
    assert!(provenance(&with_env).get("colour").is_none());
}

/// The files of a sequence whose names start with `prefix`, in order.
fn sequence(dir: &Path, prefix: &str) -> Vec<Vec<u8>> {
    let v: Vec<Vec<u8>> = listing(dir)
        .into_iter()
        .filter(|f| f.starts_with(prefix) && !f.ends_with(".json"))
        .map(|f| std::fs::read(dir.join(f)).unwrap())
        .collect();
    assert!(!v.is_empty(), "no {prefix}* files");
    v
}

#[test]
fn operations_on_an_acescg_plate_match_the_plate_converted_to_the_working_space() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // A config whose working space is not the plate's, so decode and encode
    // really convert: the ACES config with scene_linear = Linear Rec.709.
    let lin = d.join("lin709.ocio");
    reference_script(
        &["role", "scene_linear", "Linear Rec.709 (sRGB)"],
        [Path::new("-"), &lin],
    );
    let lin = lin.to_str().unwrap().to_string();
    let shot = clip(d, 4);
    let plate = d.join("plate.####.exr");
    ok(retake_ocio(
        &[
            "convert",
            shot.to_str().unwrap(),
            "-o",
            plate.to_str().unwrap(),
            "--codec",
            "exr-float",
        ],
        None,
    ));
    // The same plate converted beforehand to the working space.
    let work = d.join("work.####.exr");
    ok(retake_ocio(
        &[
            "convert",
            plate.to_str().unwrap(),
            "-o",
            work.to_str().unwrap(),
            "--codec",
            "exr-float",
            "--ocio",
            &lin,
            "--input-colorspace",
            "ACEScg",
            "--output-colorspace",
            "scene_linear",
        ],
        None,
    ));
    assert_ne!(
        sequence(d, "plate."),
        sequence(d, "work."),
        "converting to the working space changed nothing"
    );
    let mask = d.join("hole.png");
    ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        "color=c=black:size=160x90,drawbox=x=60:y=30:w=30:h=25:color=white:t=fill",
        "-frames:v",
        "1",
        mask.to_str().unwrap(),
    ]);
    let mask = mask.to_str().unwrap().to_string();
    let operations: [(&str, Vec<&str>); 4] = [
        ("mask", vec!["mask"]),
        (
            "remove",
            vec!["remove", "--mask", &mask, "--fill", "patchmatch"],
        ),
        (
            "relight",
            vec!["relight", "--mask", "auto", "--preset", "key"],
        ),
        (
            "reangle",
            vec![
                "reangle", "--move", "orbit", "--amount", "0.5", "--window", "2",
            ],
        ),
    ];
    for (name, op) in operations {
        for (tag, input, space) in [
            ("a", &plate, "ACEScg"),
            ("b", &work, "Linear Rec.709 (sRGB)"),
        ] {
            let out = d.join(format!("{name}-{tag}.####.exr"));
            let mut args = vec![op[0], input.to_str().unwrap()];
            args.extend(&op[1..]);
            args.extend([
                "-o",
                out.to_str().unwrap(),
                "--codec",
                "exr-float",
                "--ocio",
                &lin,
                "--input-colorspace",
                space,
                "--output-colorspace",
                "ACEScg",
            ]);
            ok(retake_ocio(&args, None));
        }
        assert_eq!(
            sequence(d, &format!("{name}-a.")),
            sequence(d, &format!("{name}-b.")),
            "{name}: the ACEScg plate and the converted plate give different pictures"
        );
    }
    // The check can fail: the plate taken as the wrong space differs.
    let wrong = d.join("wrong.####.exr");
    ok(retake_ocio(
        &[
            "relight",
            plate.to_str().unwrap(),
            "--mask",
            "auto",
            "--preset",
            "key",
            "-o",
            wrong.to_str().unwrap(),
            "--codec",
            "exr-float",
            "--ocio",
            &lin,
            "--input-colorspace",
            "Linear Rec.709 (sRGB)",
            "--output-colorspace",
            "ACEScg",
        ],
        None,
    ));
    assert_ne!(sequence(d, "wrong."), sequence(d, "relight-a."));
}

#[test]
fn job_files_take_the_colour_keys_in_io() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    hdr_plate(&d.join("plate.exr"));
    std::fs::copy(config_path(), d.join("studio.ocio")).unwrap();
    let job = d.join("job.toml");
    std::fs::write(
        &job,
        "operation = \"convert\"\n[io]\ninput = \"plate.exr\"\noutput = \"out.png\"\n\
         codec = \"png16\"\nocio = \"studio.ocio\"\ninput_colorspace = \"ACEScg\"\n\
         output_colorspace = \"sRGB - Texture\"\n",
    )
    .unwrap();
    ok(retake_ocio(&["run", job.to_str().unwrap()], None));
    let colour = &provenance(&d.join("out.png"))["colour"];
    assert_eq!(colour["config"], d.join("studio.ocio").to_str().unwrap());
    assert_eq!(colour["output_space"], "sRGB - Texture");
    // Job files skip clap, so its conflicts are checked again.
    std::fs::write(
        &job,
        "operation = \"convert\"\n[io]\ninput = \"plate.exr\"\noutput = \"again.png\"\n\
         ocio = \"studio.ocio\"\ninput_colorspace = \"ACEScg\"\ninput_transfer = \"srgb\"\n",
    )
    .unwrap();
    let o = retake_ocio(&["run", job.to_str().unwrap()], None);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("input-transfer"), "{}", stderr(&o));
    assert!(!d.join("again.png").exists());
}
