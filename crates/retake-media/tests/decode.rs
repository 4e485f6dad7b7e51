//! Decoded pictures against FFmpeg's own conversion of the same file (the
//! `ffmpeg` tool's scale filter, with the matrix, range and chroma
//! interpolation Retake uses), for the formats of real footage: 8-bit
//! 4:2:0 H.264, 10-bit 4:2:2 ProRes, 8-bit 4:4:4, full-range 4:2:0.

use std::path::Path;
use std::process::Command;

use retake_core::{ColourTags, Matrix, Transfer};
use retake_media::{open_source, SourceOptions};

const W: usize = 96;
const H: usize = 54;
const FRAMES: usize = 3;

/// A few frames of `testsrc2` (saturated colours, sharp edges, a moving
/// gradient: what stresses chroma interpolation), encoded with `codec`
/// into `pix_fmt`, tagged BT.709 in `range` (where the container keeps the
/// tags: ProRes in MOV loses the matrix, and Retake then takes an SD
/// picture as BT.601, as players do).
fn clip(dir: &Path, name: &str, codec: &[&str], pix_fmt: &str, range: &str) -> String {
    let out = dir.join(name).to_str().unwrap().to_string();
    let size = format!("testsrc2=size={W}x{H}:rate=24");
    let status = Command::new("ffmpeg")
        .args(["-v", "error", "-y", "-f", "lavfi", "-i", &size])
        .args(["-frames:v", &FRAMES.to_string(), "-pix_fmt", pix_fmt])
        .args(codec)
        .args(["-colorspace", "bt709", "-color_trc", "bt709"])
        .args(["-color_primaries", "bt709", "-color_range", range])
        .arg(&out)
        .status()
        .expect("ffmpeg CLI");
    assert!(status.success(), "ffmpeg failed to make {name}");
    out
}

/// The `ffmpeg` tool's 16-bit RGB of every frame (G, B, R planes), from
/// YCbCr with the matrix and range Retake took the file to have, with
/// full chroma interpolation. swscale's 16-bit RGB puts Y'CbCr white at
/// 255 << 8 = 65280 ([`SWSCALE_WHITE`]); Retake decodes to true scale.
fn reference(path: &str, colour: &ColourTags) -> Vec<u16> {
    let matrix = match colour.matrix {
        Matrix::Bt601 => "bt601",
        Matrix::Bt2020 => "bt2020",
        Matrix::Bt709 | Matrix::Rgb => "bt709",
    };
    let range = if colour.full_range { "pc" } else { "tv" };
    let filter = format!(
        "scale=in_color_matrix={matrix}:in_range={range}:out_range=pc:\
         flags=bilinear+accurate_rnd+full_chroma_int+full_chroma_inp,format=gbrp16le"
    );
    let out = Command::new("ffmpeg")
        .args(["-v", "error", "-i", path, "-vf", &filter])
        .args(["-f", "rawvideo", "-pix_fmt", "gbrp16le", "-"])
        .output()
        .expect("ffmpeg CLI");
    assert!(out.status.success(), "ffmpeg could not convert {path}");
    out.stdout
        .chunks_exact(2)
        .map(|b| u16::from_le_bytes([b[0], b[1]]))
        .collect()
}

/// The 16-bit code swscale (FFmpeg 5.1) gives Y'CbCr white.
const SWSCALE_WHITE: f64 = 65280.0;

/// Largest and mean difference, in 16-bit codes of the stored (BT.709
/// curved) values, between Retake's decoded frames and the reference
/// brought to true scale (white 65535).
fn difference(path: &str, full_range: bool) -> (f64, f64) {
    let mut src = open_source(path, &SourceOptions::default()).unwrap();
    let colour = src.info().colour;
    assert_eq!(colour.transfer, Transfer::Bt709);
    assert_eq!(colour.full_range, full_range);
    let want = reference(path, &colour);
    assert_eq!(want.len(), W * H * 3 * FRAMES, "reference size");
    let (mut worst, mut sum, mut n) = (0.0f64, 0.0f64, 0usize);
    let plane = W * H;
    for f in 0..FRAMES {
        let frame = src.next_frame().unwrap().expect("frame");
        assert_eq!((frame.width, frame.height, frame.channels), (W, H, 3));
        let base = f * plane * 3;
        for (i, px) in frame.data.chunks_exact(3).enumerate() {
            // gbrp16le: plane 0 is G, 1 is B, 2 is R.
            let refs = [
                want[base + 2 * plane + i],
                want[base + i],
                want[base + plane + i],
            ];
            for (c, &r) in refs.iter().enumerate() {
                let ours = f64::from(Transfer::Bt709.from_linear(px[c])) * 65535.0;
                // swscale keeps 0.4% above white; true scale clips there.
                let r = (f64::from(r) * 65535.0 / SWSCALE_WHITE).min(65535.0);
                let d = (ours - r).abs();
                worst = worst.max(d);
                sum += d;
                n += 1;
            }
        }
    }
    assert!(src.next_frame().unwrap().is_none());
    (worst, sum / n as f64)
}

/// One 10-bit code in 16-bit codes: the tolerance of the round-trip tests
/// (`video.rs`) for grey. Only swscale's fixed-point rounding differs here
/// (measured: at most 4 16-bit codes, 0.3 to 0.6 on average), so the
/// bounds are an eighth of that and one code on average.
const CODE10: f64 = 65535.0 / 1023.0;

fn check(name: &str, worst: f64, mean: f64) {
    eprintln!("{name}: worst {worst:.2}, mean {mean:.3} 16-bit codes");
    assert!(
        worst <= CODE10 / 8.0,
        "{name}: worst {worst:.1} 16-bit codes"
    );
    assert!(mean <= 1.0, "{name}: mean {mean:.2} 16-bit codes");
}

#[test]
fn h264_420_decodes_as_ffmpeg_converts_it() {
    let dir = tempfile::tempdir().unwrap();
    let x264 = ["-c:v", "libx264", "-crf", "10"];
    let path = clip(dir.path(), "in.mp4", &x264, "yuv420p", "tv");
    let (worst, mean) = difference(&path, false);
    check("h264 4:2:0 8-bit", worst, mean);
}

#[test]
fn prores_422_10_bit_decodes_as_ffmpeg_converts_it() {
    let dir = tempfile::tempdir().unwrap();
    let prores = ["-c:v", "prores_ks", "-profile:v", "3"];
    let path = clip(dir.path(), "in.mov", &prores, "yuv422p10le", "tv");
    let (worst, mean) = difference(&path, false);
    check("prores 4:2:2 10-bit", worst, mean);
}

#[test]
fn full_range_and_444_decode_as_ffmpeg_converts_them() {
    let dir = tempfile::tempdir().unwrap();
    let x264 = ["-c:v", "libx264", "-crf", "10"];
    let path = clip(dir.path(), "full.mp4", &x264, "yuvj420p", "pc");
    let (worst, mean) = difference(&path, true);
    check("h264 4:2:0 full range", worst, mean);
    let path = clip(dir.path(), "444.mp4", &x264, "yuv444p", "tv");
    let (worst, mean) = difference(&path, false);
    check("h264 4:4:4", worst, mean);
}
