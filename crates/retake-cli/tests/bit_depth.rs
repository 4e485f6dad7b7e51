//! `--bit-depth`: the depth of FFV1 outputs, judged by the real
//! counterparts: ffprobe for what the file says it stores, and the `ffmpeg`
//! tool's own decode (framemd5) for the codes it holds.

mod common;

use std::path::Path;
use std::process::Command;

use common::{clip, ffmpeg, frame_hashes, listing, retake, stderr};

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// `pix_fmt` and `bits_per_raw_sample` of the first video stream, as
/// ffprobe reports them.
fn stored_format(path: &Path) -> (String, String) {
    let o = Command::new("ffprobe")
        .args([
            "-v",
            "error",
            "-select_streams",
            "v:0",
            "-show_entries",
            "stream=pix_fmt,bits_per_raw_sample",
            "-of",
            "default=noprint_wrappers=1",
            s(path),
        ])
        .output()
        .expect("ffprobe (run scripts/setup.sh)");
    assert!(o.status.success(), "ffprobe {}", path.display());
    let text = String::from_utf8_lossy(&o.stdout).into_owned();
    let field = |k: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(&format!("{k}=")))
            .unwrap_or_else(|| panic!("no {k} in {text}"))
            .to_string()
    };
    (field("pix_fmt"), field("bits_per_raw_sample"))
}

fn convert(input: &Path, output: &Path, extra: &[&str]) {
    let mut args = vec!["convert", s(input), "-o", s(output), "-q"];
    args.extend_from_slice(extra);
    let o = retake(&args);
    assert!(o.status.success(), "convert {extra:?}: {}", stderr(&o));
}

/// A PNG sequence of `pix_fmt` (rgb24 or rgb48be), three frames: an RGB
/// source whose codes Retake reads exactly, so they can come back unchanged.
fn png_source(dir: &Path, name: &str, pix_fmt: &str) -> std::path::PathBuf {
    let pattern = dir.join(format!("{name}.%04d.png"));
    ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        "testsrc2=size=96x54:rate=24",
        "-frames:v",
        "3",
        "-pix_fmt",
        pix_fmt,
        s(&pattern),
    ]);
    pattern
}

/// A PNG sequence stored as `png_fmt` goes through `retake convert` to
/// FFV1 at the default depth: the file must hold `stored` and give back
/// the source's codes, read by ffmpeg as `read_fmt`.
fn comes_back_bit_exact(name: &str, png_fmt: &str, read_fmt: &str, stored: (&str, &str)) {
    let dir = tempfile::tempdir().unwrap();
    let src = png_source(dir.path(), name, png_fmt);
    let out = dir.path().join("out.mkv");
    convert(&src, &out, &["--codec", "ffv1"]);
    assert_eq!(stored_format(&out), (stored.0.into(), stored.1.into()));
    let (a, b) = (frame_hashes(&src, read_fmt), frame_hashes(&out, read_fmt));
    assert_eq!(a.len(), 3);
    assert_eq!(a, b, "the {} codes changed on the way through", stored.1);
}

#[test]
fn an_8_bit_source_comes_back_bit_exact_at_its_own_depth() {
    comes_back_bit_exact("rgb8", "rgb24", "rgb24", ("bgr0", "8"));
}

#[test]
fn a_16_bit_source_comes_back_bit_exact_at_its_own_depth() {
    comes_back_bit_exact("rgb16", "rgb48be", "rgb48le", ("gbrp16le", "16"));
}

#[test]
fn a_10_bit_video_source_gives_10_bits() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("ten.mkv");
    ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        "testsrc2=size=96x54:rate=24",
        "-frames:v",
        "2",
        "-pix_fmt",
        "yuv422p10le",
        "-c:v",
        "ffv1",
        s(&src),
    ]);
    let out = dir.path().join("out.mkv");
    convert(&src, &out, &[]);
    assert_eq!(stored_format(&out), ("gbrp10le".into(), "10".into()));
}

#[test]
fn ffv1_stores_the_depth_asked_for() {
    let dir = tempfile::tempdir().unwrap();
    // An 8-bit YCbCr shot: `source` gives 8-bit RGB.
    let shot = clip(dir.path(), 2);
    for (depth, pix_fmt, bits) in [
        ("source", "bgr0", "8"),
        ("8", "bgr0", "8"),
        ("10", "gbrp10le", "10"),
        ("12", "gbrp12le", "12"),
        ("16", "gbrp16le", "16"),
    ] {
        let out = dir.path().join(format!("o{depth}.mkv"));
        convert(&shot, &out, &["--bit-depth", depth]);
        assert_eq!(
            stored_format(&out),
            (pix_fmt.to_string(), bits.to_string()),
            "--bit-depth {depth}"
        );
    }
    // With alpha: bgra at 8 bits, gbrap16le at 16.
    let matte = dir.path().join("matte.png");
    ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        "color=white:size=160x90",
        "-frames:v",
        "1",
        s(&matte),
    ]);
    for (depth, pix_fmt) in [("source", "bgra"), ("16", "gbrap16le")] {
        let out = dir.path().join(format!("a{depth}.mkv"));
        convert(&shot, &out, &["--alpha", s(&matte), "--bit-depth", depth]);
        assert_eq!(stored_format(&out).0, pix_fmt, "alpha, --bit-depth {depth}");
    }
}

#[test]
fn float_sources_keep_16_bits() {
    let dir = tempfile::tempdir().unwrap();
    let shot = clip(dir.path(), 2);
    for codec in ["exr-float", "exr-half"] {
        let frames = dir.path().join(format!("{codec}.####.exr"));
        convert(&shot, &frames, &["--codec", codec]);
        let out = dir.path().join(format!("{codec}.mkv"));
        convert(&frames, &out, &[]);
        assert_eq!(
            stored_format(&out),
            ("gbrp16le".into(), "16".into()),
            "{codec} source"
        );
    }
}

#[test]
fn job_files_take_the_bit_depth() {
    let dir = tempfile::tempdir().unwrap();
    clip(dir.path(), 2);
    let job = dir.path().join("job.toml");
    std::fs::write(
        &job,
        "operation = \"convert\"\n[io]\ninput = \"shot.mkv\"\noutput = \"job.mkv\"\n\
         bit-depth = \"12\"\n",
    )
    .unwrap();
    let o = retake(&["run", s(&job), "-q"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(stored_format(&dir.path().join("job.mkv")).0, "gbrp12le");
}

#[test]
fn a_bit_depth_that_cannot_be_written_is_refused_before_anything_is() {
    let dir = tempfile::tempdir().unwrap();
    let shot = clip(dir.path(), 2);
    let before = listing(dir.path());
    for (out, extra, words) in [
        ("o.mkv", vec!["--bit-depth", "7"], "source, 8, 10, 12 or 16"),
        (
            "o.mkv",
            vec!["--bit-depth", "sixteen"],
            "source, 8, 10, 12 or 16",
        ),
        (
            "o.mov",
            vec!["--bit-depth", "8"],
            "prores-hq always writes 10",
        ),
        (
            "o.####.exr",
            vec!["--bit-depth", "16", "--codec", "exr-float"],
            "exr-float always writes 32",
        ),
    ] {
        let path = dir.path().join(out);
        let mut args = vec!["convert", s(&shot), "-o", s(&path)];
        args.extend(extra.iter().copied());
        let o = retake(&args);
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{extra:?}: {err}");
        assert!(
            err.contains("bit-depth") && err.contains(words),
            "{extra:?}: {err}"
        );
        assert!(!err.contains("panicked"), "{err}");
        assert_eq!(listing(dir.path()), before, "{extra:?} left files");
    }
    // A depth a codec does write is accepted.
    let out = dir.path().join("ok.mov");
    convert(&shot, &out, &["--bit-depth", "10"]);
}

/// A farm renders a movie job as float EXR chunks, then assembles them: the
/// assembly must write the depth a whole render would, not the EXR's 16.
#[test]
fn a_farm_movie_assembly_passes_the_whole_renders_depth_on() {
    let dir = tempfile::tempdir().unwrap();
    clip(dir.path(), 2);
    let job = dir.path().join("job.toml");
    let assembly = |output: &str, depth: &str| {
        std::fs::write(
            &job,
            format!(
                "operation = \"convert\"\n[io]\ninput = \"shot.mkv\"\noutput = \"{output}\"\n{depth}"
            ),
        )
        .unwrap();
        let o = retake(&["farm", "deadline", s(&job)]);
        assert!(o.status.success(), "{}", stderr(&o));
        let text = String::from_utf8_lossy(&o.stdout).into_owned();
        text.lines()
            .find(|l| l.contains(" convert "))
            .unwrap_or_else(|| panic!("no assembly step in {text}"))
            .to_string()
    };
    // The 8-bit shot's own depth, resolved before the chunks lose it.
    assert!(assembly("m.mkv", "").contains("--bit-depth 8"));
    assert!(assembly("m.mkv", "bit-depth = \"12\"\n").contains("--bit-depth 12"));
    // ProRes has its own depth: nothing to pass.
    assert!(!assembly("m.mov", "").contains("--bit-depth"));
}
