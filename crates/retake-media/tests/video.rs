//! Video decode and encode through FFmpeg, on clips made by the tests.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use retake_core::{ClipInfo, Frame, Rational, Transfer};
use retake_media::{create_sink, open_source, probe, Codec, SinkOptions, SourceOptions};

/// A 30-frame 320x240 clip from FFmpeg's `testsrc2`, at 24000/1001 fps.
fn testsrc(dir: &Path, name: &str, extra: &[&str]) -> PathBuf {
    let out = dir.join(name);
    let mut args = vec![
        "-v",
        "error",
        "-y",
        "-f",
        "lavfi",
        "-i",
        "testsrc2=size=320x240:rate=24000/1001",
        "-frames:v",
        "30",
        "-pix_fmt",
        "yuv420p",
    ];
    args.extend_from_slice(extra);
    let out_s = out.to_str().unwrap().to_string();
    args.push(&out_s);
    let status = Command::new("ffmpeg")
        .args(&args)
        .status()
        .expect("ffmpeg CLI");
    assert!(status.success(), "ffmpeg failed to make {name}");
    out
}

fn decode_all(path: &str) -> (ClipInfo, Vec<Frame>) {
    let mut src = open_source(path, &SourceOptions::default()).unwrap();
    let info = src.info().clone();
    let mut frames = Vec::new();
    while let Some(f) = src.next_frame().unwrap() {
        frames.push(f);
    }
    (info, frames)
}

/// Decode `input` and encode it with `codec` and every other option at
/// its default.
fn transcode(input: &str, output: &str, codec: Codec) -> ClipInfo {
    let opts = SinkOptions {
        codec: Some(codec),
        ..Default::default()
    };
    common::transcode(input, output, &opts)
}

#[test]
fn decodes_in_order_with_clip_facts() {
    let dir = tempfile::tempdir().unwrap();
    let clip = testsrc(dir.path(), "in.mp4", &[]);
    let (info, frames) = decode_all(clip.to_str().unwrap());
    assert_eq!((info.width, info.height), (320, 240));
    assert_eq!(info.frame_rate, Rational::new(24000, 1001));
    assert_eq!(info.frames, Some(30));
    assert_eq!(info.pixel_aspect, Rational::new(1, 1));
    assert_eq!(info.pixel_format, "yuv420p");
    assert_eq!(info.bit_depth, 8);
    assert!(!info.has_alpha);
    assert_eq!(frames.len(), 30);
    for (i, f) in frames.iter().enumerate() {
        assert_eq!(f.index, i as i64);
        assert_eq!((f.width, f.height, f.channels), (320, 240, 3));
    }
    // Untagged SD video: BT.601 matrix and BT.709 curve, flagged as guessed.
    assert!(info.colour.guessed);
    assert_eq!(info.colour.transfer, Transfer::Bt709);
}

fn synthetic_info(width: usize, height: usize, alpha: bool) -> ClipInfo {
    ClipInfo {
        has_alpha: alpha,
        bit_depth: 16,
        pixel_format: "rgb48le".into(),
        colour: retake_core::ColourTags {
            transfer: Transfer::Bt709,
            matrix: retake_core::Matrix::Bt709,
            primaries: retake_core::Primaries::Bt709,
            full_range: false,
            guessed: false,
        },
        ..ClipInfo::in_memory("synthetic", width, height, Some(3))
    }
}

/// Stored-value ramp: R across, G down, B against R (or, when `neutral`,
/// a grey ramp across); alpha a diagonal ramp.
fn ramp(
    width: usize,
    height: usize,
    channels: usize,
    neutral: bool,
    index: i64,
) -> (Frame, Vec<f32>) {
    let mut stored = Vec::with_capacity(width * height * channels);
    for y in 0..height {
        for x in 0..width {
            let u = x as f32 / (width - 1) as f32;
            let v = y as f32 / (height - 1) as f32;
            if neutral {
                stored.extend_from_slice(&[u, u, u]);
            } else {
                stored.extend_from_slice(&[u, v, 1.0 - u]);
            }
            if channels == 4 {
                stored.push((u + v) * 0.5);
            }
        }
    }
    let linear = stored
        .chunks_exact(channels)
        .flat_map(|p| {
            let mut q: Vec<f32> = p[..3]
                .iter()
                .map(|&s| Transfer::Bt709.to_linear(s))
                .collect();
            if channels == 4 {
                q.push(p[3]);
            }
            q
        })
        .collect();
    (
        Frame::from_data(index, width, height, channels, linear).unwrap(),
        stored,
    )
}

/// Largest difference in stored (curved) units, colour and alpha apart,
/// and the mean colour difference.
fn stored_error(decoded: &Frame, stored: &[f32], channels: usize) -> (f32, f32, f32) {
    assert_eq!(decoded.channels, channels);
    let (mut colour, mut alpha, mut sum) = (0.0f32, 0.0f32, 0.0f64);
    for (d, s) in decoded
        .data
        .chunks_exact(channels)
        .zip(stored.chunks_exact(channels))
    {
        for c in 0..3 {
            let e = (Transfer::Bt709.from_linear(d[c]) - s[c]).abs();
            colour = colour.max(e);
            sum += f64::from(e);
        }
        if channels == 4 {
            alpha = alpha.max((d[3] - s[3]).abs());
        }
    }
    (
        colour,
        alpha,
        (sum / (stored.len() / channels * 3) as f64) as f32,
    )
}

/// Encode three ramp frames with `codec`, decode them with our source and
/// return the worst (colour, alpha, mean colour) error in stored units.
fn ramp_round_trip(codec: Codec, name: &str, channels: usize, neutral: bool) -> (f32, f32, f32) {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join(name);
    let out = out.to_str().unwrap();
    let info = synthetic_info(256, 64, channels == 4);
    let opts = SinkOptions {
        codec: Some(codec),
        ..Default::default()
    };
    let mut sink = create_sink(out, &info, &opts).unwrap();
    let mut stored = Vec::new();
    for i in 0..3 {
        let (f, s) = ramp(256, 64, channels, neutral, i);
        sink.write(&f).unwrap();
        stored = s;
    }
    sink.finish().unwrap();
    let (back, frames) = decode_all(out);
    assert_eq!(frames.len(), 3);
    assert_eq!(back.has_alpha, channels == 4);
    assert_eq!(back.colour.transfer, Transfer::Bt709);
    let mut worst = (0.0f32, 0.0f32, 0.0f32);
    for f in &frames {
        let e = stored_error(f, &stored, channels);
        worst = (worst.0.max(e.0), worst.1.max(e.1), worst.2.max(e.2));
    }
    worst
}

const CODE10: f32 = 1.0 / 1023.0;

#[test]
fn prores_4444_grey_ramp_round_trip_within_one_10_bit_code() {
    let (colour, _, _) = ramp_round_trip(Codec::Prores4444, "grey.mov", 3, true);
    assert!(colour <= CODE10, "{} codes", colour / CODE10);
}

#[test]
fn prores_4444_colour_ramp_round_trip_is_close() {
    // Saturated colours cannot come back within one code: rounding RGB to
    // 10-bit limited-range YCbCr alone costs up to ~1.7 codes (measured
    // with FFmpeg's own scale filter). Bound the worst case and the mean.
    let (colour, _, mean) = ramp_round_trip(Codec::Prores4444, "colour.mov", 3, false);
    assert!(colour <= 2.5 * CODE10, "worst {} codes", colour / CODE10);
    assert!(mean <= 0.5 * CODE10, "mean {} codes", mean / CODE10);
}

#[test]
fn ffv1_round_trip_is_near_exact() {
    let (colour, _, _) = ramp_round_trip(Codec::Ffv1, "ramp.mkv", 3, false);
    // Within one 16-bit code (the curve tables agree to ~2e-6).
    assert!(colour <= 1.0 / 65535.0, "{colour}");
}

#[test]
fn alpha_survives_prores_4444_and_ffv1() {
    let (colour, alpha, _) = ramp_round_trip(Codec::Prores4444, "alpha.mov", 4, true);
    assert!(colour <= CODE10 && alpha <= CODE10, "{colour} {alpha}");
    let (colour, alpha, _) = ramp_round_trip(Codec::Ffv1, "alpha.mkv", 4, false);
    assert!(
        colour <= 1.0 / 65535.0 && alpha <= 1.0 / 65535.0,
        "{colour} {alpha}"
    );
}

#[test]
fn every_video_codec_keeps_count_rate_size_and_pixel_aspect() {
    let dir = tempfile::tempdir().unwrap();
    // Non-square pixels (anamorphic 4:3 PAL-like) must survive too.
    let clip = testsrc(
        dir.path(),
        "in.mov",
        &["-vf", "setsar=16/15", "-c:v", "libx264"],
    );
    let clip = clip.to_str().unwrap();
    let src_info = probe(clip).unwrap();
    assert_eq!(src_info.pixel_aspect, Rational::new(16, 15));
    for (codec, ext) in [
        (Codec::ProresHq, "mov"),
        (Codec::Prores4444, "mov"),
        (Codec::Ffv1, "mkv"),
        (Codec::H264, "mp4"),
        (Codec::H265, "mp4"),
    ] {
        let out = dir.path().join(format!("out-{codec}.{ext}"));
        let out = out.to_str().unwrap();
        transcode(clip, out, codec);
        let info = probe(out).unwrap();
        let (_, frames) = decode_all(out);
        assert_eq!(frames.len(), 30, "{codec}: frame count");
        assert_eq!(info.frame_rate, Rational::new(24000, 1001), "{codec}: rate");
        assert_eq!((info.width, info.height), (320, 240), "{codec}: size");
        assert_eq!(
            info.pixel_aspect,
            Rational::new(16, 15),
            "{codec}: pixel aspect"
        );
        assert!(!info.colour.guessed, "{codec}: output is tagged");
    }
}

#[test]
fn seek_is_frame_accurate_forwards_and_backwards() {
    let dir = tempfile::tempdir().unwrap();
    // Short GOPs so that a far seek really goes through a keyframe jump.
    let clip = testsrc(dir.path(), "gop.mp4", &["-g", "5"]);
    let clip = clip.to_str().unwrap();
    let (_, all) = decode_all(clip);
    let mut src = open_source(clip, &SourceOptions::default()).unwrap();
    for target in [22i64, 3, 29, 0, 11, 27, 26] {
        src.seek(target).unwrap();
        let f = src.next_frame().unwrap().unwrap();
        assert_eq!(f.index, target);
        assert!(
            f.data == all[target as usize].data,
            "frame {target}: wrong picture"
        );
    }
}

#[test]
fn missing_and_corrupt_files_are_clear_input_errors() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nope.mp4");
    let err = open_source(missing.to_str().unwrap(), &SourceOptions::default())
        .err()
        .unwrap();
    let msg = err.to_string();
    assert!(
        msg.contains("nope.mp4") && msg.contains("file not found"),
        "{msg}"
    );
    assert!(matches!(err, retake_core::Error::Input { .. }), "{err:?}");

    let corrupt = dir.path().join("junk.mp4");
    let bytes: Vec<u8> = (0..4096u32)
        .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
        .collect();
    std::fs::write(&corrupt, bytes).unwrap();
    let err = probe(corrupt.to_str().unwrap()).unwrap_err().to_string();
    assert!(
        err.contains("junk.mp4") && err.contains("not a readable video"),
        "{err}"
    );
}

#[test]
fn unknown_encoder_names_the_choices() {
    let err = "foo".parse::<Codec>().unwrap_err().to_string();
    assert!(err.contains("unknown encoder `foo`"), "{err}");
    assert!(err.contains("prores-hq") && err.contains("tiff16"), "{err}");
    for c in Codec::ALL {
        assert_eq!(c.name().parse::<Codec>().unwrap(), c);
    }
    assert_eq!(Codec::guess("a/b.MOV"), Some(Codec::ProresHq));
    assert_eq!(Codec::guess("x.####.exr"), Some(Codec::Exr { half: true }));
    assert_eq!(Codec::guess("x.avi"), None);
}

#[test]
fn codec_and_container_mismatch_is_refused_up_front() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.mp4");
    let opts = SinkOptions {
        codec: Some(Codec::ProresHq),
        ..Default::default()
    };
    let err = create_sink(out.to_str().unwrap(), &synthetic_info(64, 64, false), &opts)
        .err()
        .unwrap()
        .to_string();
    assert!(err.contains("out.mp4") && err.contains(".mov"), "{err}");
}

#[test]
fn dropped_sink_leaves_no_file() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("partial.mov");
    let opts = SinkOptions {
        codec: Some(Codec::ProresHq),
        ..Default::default()
    };
    let mut sink =
        create_sink(out.to_str().unwrap(), &synthetic_info(64, 64, false), &opts).unwrap();
    for i in 0..2 {
        sink.write(&ramp(64, 64, 3, false, i).0).unwrap();
    }
    drop(sink);
    let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert!(left.is_empty(), "left behind: {left:?}");
}

#[test]
fn masks_encode_as_grey() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("mask.mkv");
    let opts = SinkOptions {
        codec: Some(Codec::Ffv1),
        transfer: Some(Transfer::Linear),
        ..Default::default()
    };
    let mut sink =
        create_sink(out.to_str().unwrap(), &synthetic_info(32, 16, false), &opts).unwrap();
    let data: Vec<f32> = (0..32 * 16).map(|i| (i % 32) as f32 / 31.0).collect();
    let mask = Frame::from_data(0, 32, 16, 1, data.clone()).unwrap();
    sink.write(&mask).unwrap();
    sink.finish().unwrap();
    let mut src = open_source(out.to_str().unwrap(), &SourceOptions::data()).unwrap();
    let back = src.next_frame().unwrap().unwrap();
    for (p, m) in back.data.chunks_exact(3).zip(&data) {
        assert!((p[0] - m).abs() < 1e-4 && p[0] == p[1] && p[1] == p[2]);
    }
}

/// The frame timing of MOV/MP4 comes from the sample table of the input
/// already open (no second open): a variable rate there must still be
/// seen, counted from the index, and refused without a chosen rate, for
/// both containers and for a probe as for a decode.
#[test]
fn a_variable_rate_in_a_sample_table_is_found_from_the_open_input() {
    let dir = tempfile::tempdir().unwrap();
    for ext in ["mp4", "mov"] {
        // 20 frames at 25 fps with a 0.2 s hole after frame 9.
        let clip = testsrc(
            dir.path(),
            &format!("vfr.{ext}"),
            &[
                "-vf",
                "setpts='(N+5*gte(N\\,10))/(25*TB)'",
                "-fps_mode",
                "vfr",
                "-frames:v",
                "20",
                "-c:v",
                "libx264",
            ],
        );
        let clip = clip.to_str().unwrap();
        let (short, long) = retake_media::video::variable_rate(clip)
            .unwrap()
            .unwrap_or_else(|| panic!("{ext}: the hole after frame 9 was not seen"));
        // One frame time at the encoder's clock (the clip's 24000/1001
        // rate) against the hole's five.
        assert!(
            (short - 1001.0 / 24000.0).abs() < 1e-3 && (long - 5.0 * short).abs() < 1e-3,
            "{ext}: {short} {long}"
        );
        assert_eq!(probe(clip).unwrap().frames, Some(20), "{ext}");
        let err = open_source(clip, &SourceOptions::default())
            .err()
            .map(|e| e.to_string());
        let err = err.unwrap_or_else(|| panic!("{ext}: a variable rate was decoded as constant"));
        assert!(err.contains(clip) && err.contains("--fps"), "{err}");
        let fixed = SourceOptions {
            frame_rate: Some(Rational::new(25, 1)),
            ..Default::default()
        };
        let src = open_source(clip, &fixed).unwrap();
        assert_eq!(src.info().frames, Some(20), "{ext}");
    }
}
