//! Levels at both Y'CbCr edges, judged by the `ffmpeg` tool: Retake's
//! ProRes and H.264 (its own one-pass Y'CbCr encode) decoded by FFmpeg
//! against the source, and an H.264 shot converted to 8-bit RGB (FFV1)
//! against FFmpeg's own conversion. Before the decode was true-scale,
//! decoded white sat 0.4% low (swscale's 16-bit RGB scale) and the 8-bit
//! RGB came out 0.42 codes darker on average than FFmpeg's.

mod common;

use std::path::Path;
use std::process::Command;

use retake_core::ClipInfo;
use retake_media::{BitDepth, Codec, SinkOptions};

const W: usize = 160;
const H: usize = 90;
const FRAMES: usize = 3;

/// A few frames of real footage (the bigbuckbunny sample, scaled down),
/// BT.709 limited range, in `pix_fmt` with `codec`. Real footage rather
/// than `testsrc2`: its saturated bars at sharp edges leave the RGB cube
/// after chroma subsampling, and the clipping of any path through RGB
/// then shifts levels by itself.
fn source(dir: &Path, name: &str, pix_fmt: &str, codec: &[&str]) -> String {
    let sample = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../samples/bigbuckbunny.mp4");
    assert!(
        sample.exists(),
        "samples/bigbuckbunny.mp4 is missing: run scripts/setup.sh"
    );
    let out = dir.join(name).to_str().unwrap().to_string();
    let scale = format!("scale={W}:{H}:flags=bicubic");
    let status = Command::new("ffmpeg")
        .args(["-v", "error", "-y", "-i", sample.to_str().unwrap()])
        .args(["-vf", &scale])
        .args(["-frames:v", &FRAMES.to_string(), "-pix_fmt", pix_fmt])
        .args(codec)
        .args(["-colorspace", "bt709", "-color_trc", "bt709"])
        .args(["-color_primaries", "bt709", "-color_range", "tv"])
        .arg(&out)
        .status()
        .expect("ffmpeg CLI");
    assert!(status.success(), "ffmpeg failed to make {name}");
    out
}

const X264: [&str; 4] = ["-c:v", "libx264", "-crf", "10"];

/// Decode `input` and encode it with `codec` at `bits` (the source's
/// depth when `None`).
fn convert(input: &str, output: &str, codec: Codec, bits: Option<u32>) -> ClipInfo {
    let opts = SinkOptions {
        codec: Some(codec),
        bit_depth: bits.map_or(BitDepth::Source, BitDepth::Bits),
        // Lossless H.264, so that what is measured is the conversion.
        crf: (codec == Codec::H264).then_some(0),
        ..Default::default()
    };
    common::transcode(input, output, &opts)
}

/// Every frame of `path` as the `ffmpeg` tool gives it in `pix_fmt`,
/// after the filter `vf` (if any), as raw bytes.
fn ffmpeg_raw(path: &str, vf: Option<&str>, pix_fmt: &str) -> Vec<u8> {
    let mut cmd = Command::new("ffmpeg");
    cmd.args(["-v", "error", "-i", path]);
    if let Some(vf) = vf {
        cmd.args(["-vf", vf]);
    }
    let out = cmd
        .args([
            "-fps_mode",
            "passthrough",
            "-f",
            "rawvideo",
            "-pix_fmt",
            pix_fmt,
            "-",
        ])
        .output()
        .expect("ffmpeg CLI");
    assert!(out.status.success(), "ffmpeg could not read {path}");
    out.stdout
}

/// The picture in full-size Y, Cb, Cr planes, in 8-bit code units: FFmpeg
/// widens 8- and 10-bit Y'CbCr to 16 bits by shifting (limited range
/// stays aligned: 235 << 8 = 940 << 6), and its default chroma upsampling
/// is the same for both sides of a comparison.
fn planes_8bit_units(path: &str) -> Vec<f64> {
    ffmpeg_raw(path, None, "yuv444p16le")
        .chunks_exact(2)
        .map(|b| f64::from(u16::from_le_bytes([b[0], b[1]])) / 256.0)
        .collect()
}

/// Mean signed difference of each plane (Y, Cb, Cr) and the PSNR of luma,
/// in 8-bit code units.
fn compare(ours: &[f64], reference: &[f64]) -> ([f64; 3], f64) {
    assert_eq!(ours.len(), reference.len(), "frame count or size differs");
    let plane = W * H;
    let mut sums = [0.0f64; 3];
    let mut luma_sq = 0.0f64;
    for (i, (a, b)) in ours.iter().zip(reference).enumerate() {
        let p = (i / plane) % 3;
        sums[p] += a - b;
        if p == 0 {
            luma_sq += (a - b) * (a - b);
        }
    }
    let n = (ours.len() / 3) as f64;
    let psnr = 10.0 * (255.0 * 255.0 / (luma_sq / n)).log10();
    (sums.map(|s| s / n), psnr)
}

/// Our Y'CbCr encode, decoded by FFmpeg, keeps the source's levels (mean
/// within 0.1 code per plane) and its detail: luma PSNR floors a little
/// under what was measured (ProRes 47.3 dB, as before this encode, on
/// 160x90 footage where ProRes's own loss dominates; lossless H.264 78.4
/// dB, so the conversion itself loses next to nothing).
#[test]
fn prores_and_h264_outputs_keep_the_source_levels() {
    let dir = tempfile::tempdir().unwrap();
    let src = source(dir.path(), "src.mp4", "yuv420p", &X264);
    let reference = planes_8bit_units(&src);
    for (codec, name, floor) in [
        (Codec::ProresHq, "out.mov", 46.0),
        (Codec::H264, "out.mp4", 75.0),
    ] {
        let out = dir.path().join(name);
        let out = out.to_str().unwrap();
        convert(&src, out, codec, None);
        let (means, psnr) = compare(&planes_8bit_units(out), &reference);
        eprintln!("{codec}: mean Y/Cb/Cr difference {means:.3?} codes, luma PSNR {psnr:.2} dB");
        for (m, plane) in means.iter().zip(["Y", "Cb", "Cr"]) {
            assert!(m.abs() <= 0.1, "{codec}: {plane} mean off by {m:.3} codes");
        }
        assert!(psnr >= floor, "{codec}: luma PSNR {psnr:.2} dB < {floor}");
    }
}

/// H.264 to 8-bit FFV1 (RGB) matches the `ffmpeg` tool's own conversion
/// to planar 8-bit RGB with the same matrix, range and chroma
/// interpolation: the same level on average and within rounding of it
/// (measured: mean -0.004, at most 1 code; before the true-scale decode
/// the mean was 0.4 codes darker). Planar `gbrp`, because swscale's packed
/// 8-bit RGB outputs (`rgb24`, `bgr0`) take a faster, coarser path.
#[test]
fn h264_to_8_bit_rgb_matches_ffmpegs_own_conversion() {
    let dir = tempfile::tempdir().unwrap();
    let src = source(dir.path(), "src.mp4", "yuv420p", &X264);
    let out = dir.path().join("out.mkv");
    let out = out.to_str().unwrap();
    convert(&src, out, Codec::Ffv1, Some(8));
    let ours = ffmpeg_raw(out, None, "gbrp");
    let filter = "scale=in_color_matrix=bt709:in_range=tv:out_range=pc:\
                  flags=bilinear+accurate_rnd+full_chroma_int+full_chroma_inp,format=gbrp";
    let theirs = ffmpeg_raw(&src, Some(filter), "gbrp");
    assert_eq!(ours.len(), W * H * 3 * FRAMES);
    assert_eq!(ours.len(), theirs.len());
    let (mut signed, mut abs, mut worst) = (0i64, 0i64, 0i32);
    for (&a, &b) in ours.iter().zip(&theirs) {
        let d = i32::from(a) - i32::from(b);
        signed += i64::from(d);
        abs += i64::from(d.abs());
        worst = worst.max(d.abs());
    }
    let n = ours.len() as f64;
    let (mean, mean_abs) = (signed as f64 / n, abs as f64 / n);
    eprintln!("8-bit RGB vs ffmpeg: mean {mean:+.3}, mean |d| {mean_abs:.3}, worst {worst} codes");
    assert!(mean.abs() <= 0.1, "mean level off by {mean:.3} codes");
    assert!(mean_abs <= 0.05, "mean |difference| {mean_abs:.3} codes");
    assert!(worst <= 1, "{worst} codes apart somewhere");
}

/// An 8-bit RGB source (FFV1 `bgr0`, which swscale widens by shifting:
/// 255 to 65280) converted to 8-bit FFV1 gives back every code (about a
/// fifth came back one lower when it was read as if white were 65535).
#[test]
fn eight_bit_rgb_sources_round_trip_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let src = source(dir.path(), "src.mkv", "bgr0", &["-c:v", "ffv1"]);
    let out = dir.path().join("out.mkv");
    let out = out.to_str().unwrap();
    convert(&src, out, Codec::Ffv1, Some(8));
    let want = ffmpeg_raw(&src, None, "rgb24");
    let got = ffmpeg_raw(out, None, "rgb24");
    assert_eq!(want.len(), W * H * 3 * FRAMES);
    let differing = want.iter().zip(&got).filter(|(a, b)| a != b).count();
    assert_eq!(got.len(), want.len());
    assert_eq!(differing, 0, "{differing} of {} codes changed", want.len());
}
