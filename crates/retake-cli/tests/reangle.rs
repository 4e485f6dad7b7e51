//! `retake reangle` end to end: the identity camera, a named move over a
//! depth pass with the passes written, the automatic matte, job files,
//! chunked renders, and bad parameters. Clips are made with `ffmpeg`.

mod common;

use std::path::Path;

use common::{clip, ffmpeg, fixture_model, listing, read_mask, retake, stderr};

/// A depth pass: near in the middle columns, far at the sides (so a move
/// opens disocclusions), 16-bit grey PNGs.
fn depth(dir: &Path, frames: u32) -> String {
    let p = dir.join("depth.%04d.png");
    ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        "color=c=white:size=160x90:rate=24,format=gray16be,drawbox=x=60:y=20:w=40:h=50:color=0x404040:t=fill",
        "-frames:v",
        &frames.to_string(),
        "-start_number",
        "0",
        p.to_str().unwrap(),
    ]);
    p.to_string_lossy().into_owned()
}

fn files(dir: &Path, prefix: &str) -> Vec<Vec<u8>> {
    listing(dir)
        .into_iter()
        .filter(|f| f.starts_with(prefix) && !f.ends_with(".json"))
        .map(|f| std::fs::read(dir.join(f)).unwrap())
        .collect()
}

#[test]
fn identity_camera_gives_the_input_back() {
    let dir = tempfile::tempdir().unwrap();
    let shot = clip(dir.path(), 3);
    let s = shot.to_str().unwrap();
    let o = retake(&[
        "convert",
        s,
        "-o",
        dir.path().join("cv.%04d.png").to_str().unwrap(),
        "--codec",
        "png16",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = retake(&[
        "reangle",
        s,
        "-o",
        dir.path().join("id.%04d.png").to_str().unwrap(),
        "--codec",
        "png16",
        "--yaw",
        "0",
        "--zoom",
        "1",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let (a, b) = (files(dir.path(), "cv."), files(dir.path(), "id."));
    assert_eq!(a.len(), 3);
    assert!(a == b, "the identity camera changed the picture");
}

#[test]
fn a_named_move_over_a_depth_pass_writes_passes_and_matches_in_chunks() {
    let dir = tempfile::tempdir().unwrap();
    let shot = clip(dir.path(), 6);
    let s = shot.to_str().unwrap();
    let d = depth(dir.path(), 6);
    let run = |out: &str, frames: Option<&str>, passes: Option<&str>| {
        let out = dir.path().join(out);
        let mut args = vec![
            "reangle".to_string(),
            s.to_string(),
            "--depth".into(),
            d.clone(),
            "--move".into(),
            "truck-right".into(),
            "--pivot".into(),
            "1".into(),
            "--fill".into(),
            "smooth".into(),
            "--window".into(),
            "2".into(),
            "-o".into(),
            out.to_str().unwrap().into(),
            "--codec".into(),
            "png16".into(),
        ];
        if let Some(f) = frames {
            // Farm chunks write into the same sequence.
            args.extend(["--frames".into(), f.into(), "-y".into()]);
        }
        if let Some(p) = passes {
            args.extend([
                "--passes".into(),
                dir.path().join(p).to_str().unwrap().into(),
            ]);
        }
        let refs: Vec<&str> = args.iter().map(|a| a.as_str()).collect();
        let o = retake(&refs);
        assert!(o.status.success(), "{}", stderr(&o));
    };
    run("w.%04d.png", None, Some("p.####.exr"));
    run("c.%04d.png", Some("0-2"), None);
    run("c.%04d.png", Some("3-5"), None);
    let whole = files(dir.path(), "w.");
    assert_eq!(whole.len(), 6);
    assert!(
        whole == files(dir.path(), "c."),
        "chunks differ from the whole"
    );
    // Frame 0 is the real camera (the move eases in); later frames moved.
    let cv = dir.path().join("cv.%04d.png");
    let o = retake(&["convert", s, "-o", cv.to_str().unwrap(), "--codec", "png16"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let conv = files(dir.path(), "cv.");
    assert!(conv[0] == whole[0] && conv[5] != whole[5]);
    // One EXR of passes per frame, with the fill mask and depth.
    let passes = files(dir.path(), "p.");
    assert_eq!(passes.len(), 6);
    let last = String::from_utf8_lossy(&passes[5]).into_owned();
    assert!(
        last.contains("mask") && last.contains('Z'),
        "channels missing"
    );
    let prov = std::fs::read_to_string(dir.path().join("w.%04d.png.retake.json")).unwrap();
    assert!(
        prov.contains("\"reangle\"") && prov.contains("truck-right"),
        "{prov}"
    );
}

#[test]
fn the_automatic_matte_builds_the_layered_geometry() {
    let dir = tempfile::tempdir().unwrap();
    let shot = clip(dir.path(), 2);
    let out = dir.path().join("a.mkv");
    let o = retake(&[
        "reangle",
        shot.to_str().unwrap(),
        "--mask",
        "auto",
        "--yaw",
        "3",
        "--fill",
        "smooth",
        "-o",
        out.to_str().unwrap(),
        "--codec",
        "ffv1",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let prov = std::fs::read_to_string(format!("{}.retake.json", out.display())).unwrap();
    assert!(prov.contains("u2netp"), "{prov}");
}

#[test]
fn bad_parameters_are_named_and_nothing_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let shot = clip(dir.path(), 2);
    let s = shot.to_str().unwrap();
    let out = dir.path().join("bad.mkv");
    let o_ = out.to_str().unwrap();
    let before = listing(dir.path());
    for (args, words) in [
        (vec!["--fov", "150"], vec!["fov", "10..120"]),
        (vec!["--yaw", "0:0,1:40"], vec!["yaw", "would see only"]),
        (vec!["--truck", "3"], vec!["truck", "would see only"]),
        (vec!["--zoom", "9"], vec!["zoom"]),
        (vec!["--depth-range", "1"], vec!["depth-range"]),
    ] {
        let mut all = vec!["reangle", s, "-o", o_];
        all.extend(&args);
        let o = retake(&all);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        let e = stderr(&o);
        for w in words {
            assert!(e.contains(w), "{args:?}: `{w}` not in {e}");
        }
    }
    // A depth pass of the wrong size is bad input.
    let small = dir.path().join("small.png");
    ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        "color=c=gray:size=80x45",
        "-frames:v",
        "1",
        small.to_str().unwrap(),
    ]);
    let o = retake(&[
        "reangle",
        s,
        "-o",
        o_,
        "--depth",
        small.to_str().unwrap(),
        "--yaw",
        "2",
    ]);
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    let mut after = listing(dir.path());
    after.retain(|f| f != "small.png");
    assert_eq!(before, after, "a failed run left files behind");
}

#[test]
fn job_files_carry_parameters_and_inputs() {
    let dir = tempfile::tempdir().unwrap();
    let shot = clip(dir.path(), 3);
    depth(dir.path(), 3);
    let job = dir.path().join("job.toml");
    std::fs::write(
        &job,
        "operation = \"reangle\"\n[io]\ninput = \"shot.mkv\"\noutput = \"job.%04d.png\"\ncodec = \"png16\"\n\
         [reangle]\nmove = \"push-in\"\namount = 0.5\nyaw = \"0:0,2:2\"\nfill = \"smooth\"\nwindow = 1\n\
         [reangle-inputs]\ndepth = \"depth.%04d.png\"\n",
    )
    .unwrap();
    let o = retake(&["run", job.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let d = dir.path().join("depth.%04d.png");
    let o = retake(&[
        "reangle",
        shot.to_str().unwrap(),
        "-o",
        dir.path().join("cli.%04d.png").to_str().unwrap(),
        "--codec",
        "png16",
        "--depth",
        d.to_str().unwrap(),
        "--move",
        "push-in",
        "--amount",
        "0.5",
        "--yaw",
        "0:0,2:2",
        "--fill",
        "smooth",
        "--window",
        "1",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let job_frames = files(dir.path(), "job.0");
    assert_eq!(job_frames.len(), 3);
    assert!(job_frames == files(dir.path(), "cli."));
    std::fs::write(
        &job,
        "operation = \"reangle\"\n[io]\ninput = \"shot.mkv\"\noutput = \"x.mkv\"\n[reangle]\nmove = \"spin\"\n",
    )
    .unwrap();
    let o = retake(&["run", job.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    assert!(stderr(&o).contains("spin"), "{}", stderr(&o));
    std::fs::write(
        &job,
        "operation = \"relight\"\n[io]\ninput = \"shot.mkv\"\noutput = \"x.mkv\"\n[reangle-inputs]\nmask = \"auto\"\n",
    )
    .unwrap();
    let o = retake(&["run", job.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    assert!(stderr(&o).contains("[reangle-inputs]"), "{}", stderr(&o));
}

#[test]
fn a_depth_model_gives_the_geometry() {
    // The FIXTURE depth model (Depth Anything V2's contract, not a real
    // model) through the same path a real one takes: recorded in the
    // provenance, and a different picture from the built-in geometry.
    let dir = tempfile::tempdir().unwrap();
    let shot = clip(dir.path(), 2);
    let s = shot.to_str().unwrap();
    let model = fixture_model("fixture-depth-anything");
    let learned = dir.path().join("learned.mkv");
    let builtin = dir.path().join("builtin.mkv");
    let look = ["--truck", "0.05", "--fill", "smooth", "--codec", "ffv1"];
    let o = retake(
        &[
            &[
                "reangle",
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
    let record = std::fs::read_to_string(format!("{}.retake.json", learned.display())).unwrap();
    assert!(record.contains("fixture-depth-anything"), "{record}");
    let o = retake(
        &[
            &[
                "reangle",
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
    assert_ne!(
        std::fs::read(&learned).unwrap(),
        std::fs::read(&builtin).unwrap()
    );
    let o = retake(&[
        "reangle",
        s,
        "-o",
        dir.path().join("bad.mkv").to_str().unwrap(),
        "--truck",
        "0.05",
        "--depth-model",
        &fixture_model("fixture-migan"),
    ]);
    assert_eq!(o.status.code(), Some(5), "{}", stderr(&o));
    assert!(!dir.path().join("bad.mkv").exists());
}

/// A 16-bit RGB PNG as its samples.
fn read_rgb16(path: &Path) -> Vec<u16> {
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(path).unwrap()));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    assert_eq!(
        (info.bit_depth, info.color_type),
        (png::BitDepth::Sixteen, png::ColorType::Rgb),
        "{}",
        path.display()
    );
    buf[..info.buffer_size()]
        .chunks_exact(2)
        .map(|b| u16::from_be_bytes([b[0], b[1]]))
        .collect()
}

/// The fill mask of a frame's passes (EXR channel `mask`).
fn read_fill_mask(path: &Path) -> Vec<bool> {
    let image = exr::prelude::read_all_flat_layers_from_file(path).unwrap();
    for layer in &image.layer_data {
        for ch in &layer.channel_data.list {
            if ch.name.to_string() == "mask" {
                return ch.sample_data.values_as_f32().map(|v| v > 0.5).collect();
            }
        }
    }
    panic!("{}: no mask channel", path.display());
}

/// Colour bins: 32 levels per channel.
const BINS: usize = 1 << 15;

/// Colour bin of a 16-bit RGB pixel.
fn colour_bin(p: &[u16]) -> usize {
    ((p[0] >> 11) as usize) << 10 | ((p[1] >> 11) as usize) << 5 | (p[2] >> 11) as usize
}

/// Issue 15's ghost: an orbit around bigbuckbunny must fill the
/// background it uncovers with background, never with a copy of the
/// rabbit (the temporal fill used to follow the optical flow into the
/// subject moving next to the hole). Judged against the subject's matte
/// from the real segmentation model (u2netp): colours that, in the
/// source, belong to the subject four times in five or more must stay
/// rare in the filled area (a copy of the rabbit over a tenth of it would
/// put about 5% there; the fill measured about 1%, the flow-following
/// fill before it about 0.4%: the ghost did not show at this size).
#[test]
fn an_orbit_fills_uncovered_background_without_the_subject() {
    let sample = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../samples/bigbuckbunny.mp4");
    assert!(
        sample.exists(),
        "samples/bigbuckbunny.mp4 is missing: run scripts/setup.sh"
    );
    let dir = tempfile::tempdir().unwrap();
    let d = |name: &str| dir.path().join(name).to_string_lossy().into_owned();
    let frames = 12;
    // The rabbit stretches towards the top-left, where the orbit uncovers.
    ffmpeg(&[
        "-ss",
        "2.64",
        "-i",
        sample.to_str().unwrap(),
        "-vf",
        "scale=480:270",
        "-frames:v",
        &frames.to_string(),
        "-c:v",
        "ffv1",
        &d("shot.mkv"),
    ]);
    let shot = d("shot.mkv");
    for args in [
        vec!["convert", &shot, "-o", "s.%04d.png", "--codec", "png16"],
        vec!["mask", &shot, "-o", "m.%04d.png"],
        vec![
            "reangle",
            &shot,
            "-o",
            "o.%04d.png",
            "--codec",
            "png16",
            "--move",
            "orbit",
            "--mask",
            "auto",
            "--passes",
            "p.%04d.exr",
        ],
    ] {
        let args: Vec<String> = args
            .iter()
            .map(|a| {
                if a.contains("%04d") {
                    d(a)
                } else {
                    a.to_string()
                }
            })
            .collect();
        let args: Vec<&str> = args.iter().map(|s| s.as_str()).collect();
        let o = retake(&args);
        assert!(o.status.success(), "{args:?}: {}", stderr(&o));
    }
    let file =
        |prefix: &str, t: usize, ext: &str| dir.path().join(format!("{prefix}.{t:04}.{ext}"));
    // Which colours are the subject's, by the source and its matte.
    let mut subject = vec![0u64; BINS];
    let mut background = vec![0u64; BINS];
    for t in 0..frames {
        let src = read_rgb16(&file("s", t, "png"));
        let matte = read_mask(&file("m", t, "png"));
        for (p, m) in src.chunks_exact(3).zip(&matte) {
            let bins = if *m { &mut subject } else { &mut background };
            bins[colour_bin(p)] += 1;
        }
    }
    let subject_colour: Vec<bool> = (0..BINS)
        .map(|b| subject[b] >= 20 && subject[b] >= 4 * background[b])
        .collect();
    // The judge must see the subject: many of its pixels have colours the
    // background hardly has.
    let seen_by_colour = (0..BINS)
        .filter(|&b| subject_colour[b])
        .map(|b| subject[b])
        .sum::<u64>() as f64
        / subject.iter().sum::<u64>().max(1) as f64;
    eprintln!(
        "{:.0}% of the subject's pixels have colours that are the subject's",
        100.0 * seen_by_colour
    );
    assert!(
        seen_by_colour > 0.4,
        "the subject's colours are not distinct enough to judge: {seen_by_colour}"
    );
    let (mut filled, mut ghost) = (0u64, 0u64);
    for t in 0..frames {
        let out = read_rgb16(&file("o", t, "png"));
        let mask = read_fill_mask(&file("p", t, "exr"));
        for (p, f) in out.chunks_exact(3).zip(&mask) {
            if *f {
                filled += 1;
                ghost += u64::from(subject_colour[colour_bin(p)]);
            }
        }
    }
    let share = ghost as f64 / filled.max(1) as f64;
    eprintln!(
        "filled {filled} pixels over {frames} frames, {ghost} of them in the subject's colours ({:.2}%)",
        100.0 * share
    );
    assert!(filled > 1000, "the orbit uncovered only {filled} pixels");
    assert!(
        share < 0.02,
        "{:.2}% of the filled pixels have the subject's colours",
        100.0 * share
    );
}
