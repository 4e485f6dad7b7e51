//! Hostile and unusual files, made on the spot: bomb headers written byte
//! by byte, truncated and random files, odd sizes and pixel formats through
//! the `ffmpeg` tool, EXRs holding NaN and infinities through the `exr`
//! crate. Every file is tiny so the suite stays fast.

use std::path::{Path, PathBuf};

use crate::common::ffmpeg;

/// CRC-32 (IEEE), as PNG chunks need.
fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

fn png_chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    out.extend_from_slice(&(data.len() as u32).to_be_bytes());
    let mut body = kind.to_vec();
    body.extend_from_slice(data);
    out.extend_from_slice(&body);
    out.extend_from_slice(&crc32(&body).to_be_bytes());
}

/// A PNG of a few dozen bytes whose header claims `width` x `height` RGB
/// pixels: a decompression bomb for anything that trusts the header.
pub fn png_bomb(path: &Path, width: u32, height: u32) {
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&width.to_be_bytes());
    ihdr.extend_from_slice(&height.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    png_chunk(&mut out, b"IHDR", &ihdr);
    // An empty zlib stream: the pixels are never there.
    png_chunk(
        &mut out,
        b"IDAT",
        &[0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01],
    );
    png_chunk(&mut out, b"IEND", &[]);
    std::fs::write(path, out).unwrap();
}

/// A little-endian TIFF header and one IFD claiming `width` x `height`
/// 8-bit grey pixels in one strip of 8 bytes.
pub fn tiff_bomb(path: &Path, width: u32, height: u32) {
    let entries: [(u16, u16, u32); 9] = [
        (256, 4, width),              // ImageWidth, LONG
        (257, 4, height),             // ImageLength
        (258, 3, 8),                  // BitsPerSample, SHORT
        (259, 3, 1),                  // Compression: none
        (262, 3, 1),                  // Photometric: black is zero
        (273, 4, 8 + 2 + 9 * 12 + 4), // StripOffsets: just after the IFD
        (277, 3, 1),                  // SamplesPerPixel
        (278, 4, height),             // RowsPerStrip
        (279, 4, 8),                  // StripByteCounts
    ];
    let mut out = b"II*\0".to_vec();
    out.extend_from_slice(&8u32.to_le_bytes());
    out.extend_from_slice(&(entries.len() as u16).to_le_bytes());
    for (tag, kind, value) in entries {
        out.extend_from_slice(&tag.to_le_bytes());
        out.extend_from_slice(&kind.to_le_bytes());
        out.extend_from_slice(&1u32.to_le_bytes());
        out.extend_from_slice(&value.to_le_bytes());
    }
    out.extend_from_slice(&0u32.to_le_bytes());
    out.extend_from_slice(&[0u8; 8]);
    std::fs::write(path, out).unwrap();
}

/// Float RGB EXR of `width` x `height` from `value(x, y, channel)`.
pub fn exr_rgb(
    path: &Path,
    width: usize,
    height: usize,
    value: impl Fn(usize, usize, usize) -> f32 + Sync,
) {
    use exr::prelude::*;
    let channels =
        SpecificChannels::rgb(|Vec2(x, y)| (value(x, y, 0), value(x, y, 1), value(x, y, 2)));
    Image::from_channels((width, height), channels)
        .write()
        .to_file(path)
        .unwrap();
}

/// An uncompressed EXR whose data window claims `side` x `side` pixels
/// (its pixel data is that of a 4x4 picture).
pub fn exr_bomb(path: &Path, side: i32) {
    use exr::prelude::*;
    let small = path.with_extension("small.exr");
    let layer = Layer::new(
        (4, 4),
        LayerAttributes::default(),
        Encoding::UNCOMPRESSED,
        SpecificChannels::rgb(|_: Vec2<usize>| (0.5f32, 0.5f32, 0.5f32)),
    );
    Image::from_layer(layer).write().to_file(&small).unwrap();
    let mut bytes = std::fs::read(&small).unwrap();
    std::fs::remove_file(&small).unwrap();
    for name in [&b"dataWindow\0box2i\0"[..], &b"displayWindow\0box2i\0"[..]] {
        let at = bytes
            .windows(name.len())
            .position(|w| w == name)
            .expect("EXR window attribute")
            + name.len()
            + 4; // attribute size
                 // xMin, yMin, xMax, yMax
        bytes[at + 8..at + 12].copy_from_slice(&(side - 1).to_le_bytes());
        bytes[at + 12..at + 16].copy_from_slice(&(side - 1).to_le_bytes());
    }
    std::fs::write(path, bytes).unwrap();
}

/// The first `keep` parts in 1000 of `from`, as `to`.
pub fn truncated(from: &Path, to: &Path, keep: usize) {
    let bytes = std::fs::read(from).unwrap();
    std::fs::write(to, &bytes[..bytes.len() * keep / 1000]).unwrap();
}

/// `len` pseudo-random bytes (xorshift, fixed seed: the same every run).
pub fn random_bytes(path: &Path, len: usize, seed: u64) {
    let mut x = seed | 1;
    let bytes: Vec<u8> = (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect();
    std::fs::write(path, bytes).unwrap();
}

/// A `testsrc2` clip of `frames` frames, `size` (WxH), through `ffmpeg`
/// with extra output arguments (codec, pixel format).
pub fn clip(path: &Path, size: &str, frames: u32, extra: &[&str]) -> PathBuf {
    let mut args = vec![
        "-f".to_string(),
        "lavfi".into(),
        "-i".into(),
        format!("testsrc2=size={size}:rate=24"),
        "-frames:v".into(),
        frames.to_string(),
    ];
    args.extend(extra.iter().map(|s| s.to_string()));
    args.push(path.to_str().unwrap().into());
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    ffmpeg(&args);
    path.to_path_buf()
}

/// Numbered PNG frames `first..first+frames` of a white box on black (a
/// removal mask) of `size`, as `dir/name.####.png`.
pub fn mask_sequence(dir: &Path, name: &str, size: &str, first: u32, frames: u32) -> String {
    let pattern = dir.join(format!("{name}.%04d.png"));
    ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        &format!("color=black:size={size}:rate=24,drawbox=x=iw/3:y=ih/3:w=iw/4:h=ih/4:color=white:t=fill"),
        "-frames:v",
        &frames.to_string(),
        "-start_number",
        &first.to_string(),
        "-pix_fmt",
        "gray",
        pattern.to_str().unwrap(),
    ]);
    dir.join(format!("{name}.####.png"))
        .to_str()
        .unwrap()
        .to_string()
}

/// Every hidden temporary (`.NAME.retake-partial-...`) under `dir`.
pub fn partials(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            if e.file_type().is_ok_and(|t| t.is_dir()) {
                stack.push(p);
            } else if e.file_name().to_string_lossy().contains(".retake-partial-") {
                found.push(p);
            }
        }
    }
    found
}

/// Every sample of every channel of an EXR, as f32.
pub fn exr_samples(path: &Path) -> Vec<f32> {
    use exr::prelude::*;
    let image = read()
        .no_deep_data()
        .largest_resolution_level()
        .all_channels()
        .first_valid_layer()
        .all_attributes()
        .from_file(path)
        .unwrap();
    let mut out = Vec::new();
    for c in &image.layer_data.channel_data.list {
        match &c.sample_data {
            FlatSamples::F16(v) => out.extend(v.iter().map(|h| h.to_f32())),
            FlatSamples::F32(v) => out.extend_from_slice(v),
            FlatSamples::U32(v) => out.extend(v.iter().map(|&u| u as f32)),
        }
    }
    out
}
