//! `retake convert` against the `ffmpeg` tool (the real counterpart):
//! when the output keeps the clip's colour, its pictures are the ones the
//! `ffmpeg` command with the same codec settings makes (no float round
//! trip); when colour work is asked for, the float path still does it.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{ffmpeg, frame_hashes, retake, stderr};

/// An 8-frame H.264 shot (4:2:0, limited range, untagged, as most camera
/// and web footage) as `dir/NAME.mp4`.
fn h264_shot(dir: &Path, name: &str, source: &str) -> PathBuf {
    let p = dir.join(format!("{name}.mp4"));
    ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        source,
        "-frames:v",
        "8",
        "-c:v",
        "libx264",
        "-crf",
        "16",
        "-pix_fmt",
        "yuv420p",
        p.to_str().unwrap(),
    ]);
    p
}

fn convert(input: &Path, output: &Path, extra: &[&str]) {
    let mut args = vec![
        "convert",
        input.to_str().unwrap(),
        "-o",
        output.to_str().unwrap(),
        "-q",
        "-y",
    ];
    args.extend_from_slice(extra);
    let o = retake(&args);
    assert!(o.status.success(), "{}", stderr(&o));
}

/// Mean 8-bit luma of the first frame of `path`, as the `ffmpeg` tool
/// decodes it.
fn mean_luma(path: &Path) -> f64 {
    let o = Command::new("ffmpeg")
        .args(["-v", "error", "-i"])
        .arg(path)
        .args(["-frames:v", "1", "-pix_fmt", "gray", "-f", "rawvideo", "-"])
        .output()
        .expect("ffmpeg (run scripts/setup.sh)");
    assert!(o.status.success() && !o.stdout.is_empty());
    o.stdout.iter().map(|&v| v as f64).sum::<f64>() / o.stdout.len() as f64
}

#[test]
fn keeping_the_colour_gives_the_ffmpeg_commands_pictures() {
    let dir = tempfile::tempdir().unwrap();
    let shot = h264_shot(dir.path(), "shot", "testsrc2=size=320x180:rate=24");
    let cases: [(&str, &str, &[&str], &str); 2] = [
        (
            "prores-hq",
            "mov",
            &[
                "-c:v",
                "prores_ks",
                "-profile:v",
                "3",
                "-pix_fmt",
                "yuv422p10le",
            ],
            "yuv422p10le",
        ),
        (
            "h264",
            "mp4",
            &[
                "-c:v", "libx264", "-crf", "18", "-preset", "medium", "-pix_fmt", "yuv420p",
            ],
            "yuv420p",
        ),
    ];
    for (codec, ext, settings, pix_fmt) in cases {
        let ours = dir.path().join(format!("retake.{ext}"));
        convert(&shot, &ours, &["--codec", codec]);
        let theirs = dir.path().join(format!("ffmpeg.{ext}"));
        let mut args = vec!["-i", shot.to_str().unwrap()];
        args.extend_from_slice(settings);
        args.extend_from_slice(&["-threads", "0", theirs.to_str().unwrap()]);
        ffmpeg(&args);
        let (a, b) = (frame_hashes(&ours, pix_fmt), frame_hashes(&theirs, pix_fmt));
        assert_eq!(a.len(), 8, "{codec}");
        assert_eq!(a, b, "{codec}: pictures differ from the ffmpeg command's");
    }
}

#[test]
fn colour_work_still_takes_the_float_path() {
    let dir = tempfile::tempdir().unwrap();
    // Mid grey in BT.709 code values: written as linear light it must come
    // out much darker; a straight copy would keep its codes.
    let shot = h264_shot(dir.path(), "grey", "color=c=0x808080:size=64x36:rate=24");
    let before = mean_luma(&shot);
    for (codec, ext) in [("prores-hq", "mov"), ("h264", "mp4")] {
        let out = dir.path().join(format!("linear.{ext}"));
        convert(
            &shot,
            &out,
            &["--codec", codec, "--output-transfer", "linear"],
        );
        let after = mean_luma(&out);
        assert!(
            after < before - 40.0,
            "{codec}: luma {before:.1} -> {after:.1}, the curve was not applied"
        );
    }
}

#[test]
fn a_frame_range_gives_the_whole_clips_pictures() {
    // Farm chunks: frames 2-5 written alone equal those frames of the
    // whole clip, through the straight copy as through the float path.
    let dir = tempfile::tempdir().unwrap();
    let shot = h264_shot(dir.path(), "shot", "testsrc2=size=320x180:rate=24");
    for extra in [&[][..], &["--output-transfer", "linear"][..]] {
        let whole = dir.path().join("whole.mov");
        convert(
            &shot,
            &whole,
            &[&["--codec", "prores-hq"][..], extra].concat(),
        );
        let part = dir.path().join("part.mov");
        let args = [&["--codec", "prores-hq", "--frames", "2-5"][..], extra].concat();
        convert(&shot, &part, &args);
        let (w, p) = (
            frame_hashes(&whole, "yuv422p10le"),
            frame_hashes(&part, "yuv422p10le"),
        );
        assert_eq!(p.len(), 4, "{extra:?}");
        assert_eq!(w[2..6], p[..], "{extra:?}");
    }
}
