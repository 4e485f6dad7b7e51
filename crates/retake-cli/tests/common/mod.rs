//! Helpers shared by the end-to-end test files: run the binary, run the
//! `ffmpeg` tool to make clips, list a folder.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub fn retake(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_retake"))
        .args(args)
        .output()
        .expect("run retake")
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Run the `ffmpeg` tool (installed by scripts/setup.sh) quietly.
pub fn ffmpeg(args: &[&str]) {
    let status = Command::new("ffmpeg")
        .args(["-loglevel", "error", "-y"])
        .args(args)
        .status()
        .expect("ffmpeg (run scripts/setup.sh)");
    assert!(status.success(), "ffmpeg {args:?}");
}

/// The picture hashes of every frame as the `ffmpeg` tool decodes them to
/// `pix_fmt` (its framemd5 muxer), without the timing columns.
pub fn frame_hashes(path: &Path, pix_fmt: &str) -> Vec<String> {
    let o = Command::new("ffmpeg")
        .args(["-v", "error", "-i"])
        .arg(path)
        .args(["-map", "0:v", "-pix_fmt", pix_fmt, "-f", "framemd5", "-"])
        .output()
        .expect("ffmpeg (run scripts/setup.sh)");
    assert!(o.status.success(), "ffmpeg framemd5 {}", path.display());
    String::from_utf8_lossy(&o.stdout)
        .lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| l.rsplit(',').next().unwrap_or("").trim().to_string())
        .collect()
}

/// Files in `dir`, sorted, for checking that failed runs left nothing behind.
pub fn listing(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

/// The manifest of one of the checkout's fixture models
/// (tests/fixtures/models, made by scripts/make_fixture_models.py).
pub fn fixture_model(name: &str) -> String {
    format!(
        "{}/../../tests/fixtures/models/{name}.toml",
        env!("CARGO_MANIFEST_DIR")
    )
}

/// A small test shot (`testsrc2`, 160x90, FFV1) as `dir/shot.mkv`.
pub fn clip(dir: &Path, frames: u32) -> PathBuf {
    let p = dir.join("shot.mkv");
    ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        "testsrc2=size=160x90:rate=24",
        "-frames:v",
        &frames.to_string(),
        "-c:v",
        "ffv1",
        p.to_str().unwrap(),
    ]);
    p
}

/// A written mask frame (8- or 16-bit grey PNG) as object / not object
pub fn read_mask(path: &Path) -> Vec<bool> {
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(path).unwrap()));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    let channels = info.color_type.samples();
    let values: Vec<f32> = match info.bit_depth {
        png::BitDepth::Sixteen => buf[..info.buffer_size()]
            .chunks_exact(2)
            .map(|b| u16::from_be_bytes([b[0], b[1]]) as f32 / 65535.0)
            .collect(),
        _ => buf[..info.buffer_size()]
            .iter()
            .map(|v| *v as f32 / 255.0)
            .collect(),
    };
    values.chunks_exact(channels).map(|p| p[0] >= 0.5).collect()
}
