//! EXR, PNG and TIFF sequences: exact round trips, numbering, errors.

use std::path::Path;

use retake_core::{ClipInfo, ColourTags, Frame, Transfer};
use retake_media::{
    create_sink, is_sequence_pattern, open_source, probe, Codec, SinkOptions, SourceOptions,
};

fn info(width: usize, height: usize, alpha: bool, colour: ColourTags) -> ClipInfo {
    ClipInfo {
        has_alpha: alpha,
        colour,
        ..ClipInfo::in_memory("synthetic", width, height, None)
    }
}

fn write_all(pattern: &str, codec: Codec, transfer: Option<Transfer>, frames: &[Frame]) {
    let f = &frames[0];
    let clip = info(f.width, f.height, f.channels == 4, ColourTags::linear());
    let opts = SinkOptions {
        codec: Some(codec),
        transfer,
        ..Default::default()
    };
    let mut sink = create_sink(pattern, &clip, &opts).unwrap();
    for f in frames {
        sink.write(f).unwrap();
    }
    sink.finish().unwrap();
}

fn read_all(pattern: &str, transfer: Option<Transfer>) -> (ClipInfo, Vec<Frame>) {
    let mut src = open_source(
        pattern,
        &SourceOptions {
            transfer,
            ..Default::default()
        },
    )
    .unwrap();
    let info = src.info().clone();
    let mut frames = Vec::new();
    while let Some(f) = src.next_frame().unwrap() {
        frames.push(f);
    }
    (info, frames)
}

fn pattern(dir: &Path, name: &str) -> String {
    dir.join(name).to_str().unwrap().to_string()
}

/// Awkward float values: negative, above 1, tiny, huge, and a ramp.
fn float_frame(index: i64, channels: usize) -> Frame {
    let (w, h) = (19, 7);
    let specials = [
        -2.5f32,
        -1e-8,
        0.0,
        1e-30,
        0.18,
        1.0,
        1.000_000_1,
        7.25,
        65504.0,
        1e20,
    ];
    let data = (0..w * h * channels)
        .map(|i| {
            if i < specials.len() {
                specials[i]
            } else {
                (i as f32 * 0.37).sin() * 3.0 + index as f32
            }
        })
        .collect();
    Frame::from_data(index, w, h, channels, data).unwrap()
}

#[test]
fn exr_float_rgba_round_trip_is_bit_exact() {
    let dir = tempfile::tempdir().unwrap();
    let p = pattern(dir.path(), "shot.####.exr");
    let frames: Vec<Frame> = (1001..1004).map(|i| float_frame(i, 4)).collect();
    write_all(&p, Codec::Exr { half: false }, None, &frames);
    assert!(dir.path().join("shot.1001.exr").exists());
    let (info, back) = read_all(&p, None);
    assert_eq!(info.first_frame, 1001);
    assert_eq!(info.frames, Some(3));
    assert!(info.has_alpha);
    assert_eq!(info.colour.transfer, Transfer::Linear);
    assert_eq!(info.pixel_format, "float");
    for (a, b) in frames.iter().zip(&back) {
        assert_eq!(a.index, b.index);
        let bits = |f: &Frame| f.data.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(a), bits(b), "frame {}", a.index);
    }
}

#[test]
fn exr_half_round_trip_is_exact_for_half_values() {
    let dir = tempfile::tempdir().unwrap();
    let p = pattern(dir.path(), "half.%04d.exr");
    // Values representable in half precision survive exactly.
    let frame = float_frame(5, 3);
    let data = frame
        .data
        .iter()
        .map(|&v| half::f16::from_f32(v).to_f32())
        .collect();
    let frame = Frame { data, ..frame };
    write_all(
        &p,
        Codec::Exr { half: true },
        None,
        std::slice::from_ref(&frame),
    );
    let (info, back) = read_all(&p, None);
    assert_eq!(info.pixel_format, "half");
    assert_eq!(back[0].channels, 3);
    // Infinities (1e20 in half) are the one exception: the NaN/Inf policy
    // reads them as the largest half, 65504, keeping the sign.
    let expected: Vec<f32> = frame
        .data
        .iter()
        .map(|&v| {
            if v.is_infinite() {
                65504f32.copysign(v)
            } else {
                v
            }
        })
        .collect();
    assert_eq!(back[0].data, expected);
}

#[test]
fn exr_masks_are_written_as_y_and_read_as_grey() {
    let dir = tempfile::tempdir().unwrap();
    let p = pattern(dir.path(), "mask.####.exr");
    let mask =
        Frame::from_data(0, 4, 2, 1, vec![0.0, 0.25, 0.5, 1.0, 1.0, 0.5, 0.25, 0.0]).unwrap();
    write_all(
        &p,
        Codec::Exr { half: false },
        None,
        std::slice::from_ref(&mask),
    );
    let meta =
        exr::meta::MetaData::read_from_file(dir.path().join("mask.0000.exr"), false).unwrap();
    let names: Vec<String> = meta.headers[0]
        .channels
        .list
        .iter()
        .map(|c| c.name.to_string())
        .collect();
    assert_eq!(names, ["Y"]);
    let (_, back) = read_all(&p, None);
    let grey: Vec<f32> = back[0].data.chunks_exact(3).map(|p| p[0]).collect();
    assert_eq!(grey, mask.data);
}

/// Every 16-bit code appears in a 256x256x3 picture.
fn all_codes16() -> Vec<u16> {
    (0..256 * 256 * 3)
        .map(|i| (i % 65536) as u16 ^ ((i / 65536) as u16 * 0x5555))
        .collect()
}

fn write_png16_codes(path: &Path, codes: &[u16], w: u32, h: u32) {
    let file = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    let mut enc = png::Encoder::new(file, w, h);
    enc.set_color(png::ColorType::Rgb);
    enc.set_depth(png::BitDepth::Sixteen);
    let mut wr = enc.write_header().unwrap();
    let bytes: Vec<u8> = codes.iter().flat_map(|c| c.to_be_bytes()).collect();
    wr.write_image_data(&bytes).unwrap();
}

fn read_png_codes(path: &Path) -> (png::BitDepth, Vec<u8>) {
    let dec = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(path).unwrap()));
    let mut r = dec.read_info().unwrap();
    let mut buf = vec![0; r.output_buffer_size().unwrap()];
    let info = r.next_frame(&mut buf).unwrap();
    (info.bit_depth, buf)
}

#[test]
fn png16_decode_then_encode_gives_the_same_codes() {
    let dir = tempfile::tempdir().unwrap();
    let codes = all_codes16();
    write_png16_codes(&dir.path().join("in.0001.png"), &codes, 256, 256);
    let (info, frames) = read_all(&pattern(dir.path(), "in.####.png"), None);
    assert_eq!(info.bit_depth, 16);
    assert_eq!(info.colour.transfer, Transfer::Srgb);
    write_all(
        &pattern(dir.path(), "out.####.png"),
        Codec::Png { sixteen: true },
        None,
        &frames,
    );
    let (depth, bytes) = read_png_codes(&dir.path().join("out.0001.png"));
    assert_eq!(depth, png::BitDepth::Sixteen);
    let back: Vec<u16> = bytes
        .chunks_exact(2)
        .map(|b| u16::from_be_bytes([b[0], b[1]]))
        .collect();
    assert_eq!(back, codes);
}

#[test]
fn png8_decode_then_encode_gives_the_same_codes() {
    let dir = tempfile::tempdir().unwrap();
    let codes: Vec<u8> = (0..64 * 16 * 4).map(|i| (i * 7 % 256) as u8).collect();
    {
        let file =
            std::io::BufWriter::new(std::fs::File::create(dir.path().join("a_7.png")).unwrap());
        let mut enc = png::Encoder::new(file, 64, 16);
        enc.set_color(png::ColorType::Rgba);
        enc.set_depth(png::BitDepth::Eight);
        enc.write_header()
            .unwrap()
            .write_image_data(&codes)
            .unwrap();
    }
    let (info, frames) = read_all(&pattern(dir.path(), "a_%d.png"), None);
    assert!(info.has_alpha);
    assert_eq!((info.first_frame, frames[0].index), (7, 7));
    write_all(
        &pattern(dir.path(), "b_%d.png"),
        Codec::Png { sixteen: false },
        None,
        &frames,
    );
    let (depth, bytes) = read_png_codes(&dir.path().join("b_7.png"));
    assert_eq!(depth, png::BitDepth::Eight);
    assert_eq!(bytes, codes);
}

#[test]
fn tiff16_round_trip_and_float_tiff_read() {
    let dir = tempfile::tempdir().unwrap();
    let codes = all_codes16();
    {
        let file =
            std::io::BufWriter::new(std::fs::File::create(dir.path().join("t.0000.tif")).unwrap());
        let mut enc = tiff::encoder::TiffEncoder::new(file).unwrap();
        enc.write_image::<tiff::encoder::colortype::RGB16>(256, 256, &codes)
            .unwrap();
    }
    let (info, frames) = read_all(&pattern(dir.path(), "t.####.tif"), None);
    assert_eq!(info.bit_depth, 16);
    write_all(
        &pattern(dir.path(), "u.####.tif"),
        Codec::Tiff,
        None,
        &frames,
    );
    let mut dec = tiff::decoder::Decoder::new(std::io::BufReader::new(
        std::fs::File::open(dir.path().join("u.0000.tif")).unwrap(),
    ))
    .unwrap();
    match dec.read_image().unwrap() {
        tiff::decoder::DecodingResult::U16(v) => assert!(v == codes, "codes changed"),
        _ => panic!("not 16-bit"),
    }

    let floats: Vec<f32> = (0..8 * 2 * 3).map(|i| i as f32 * 0.5 - 3.0).collect();
    {
        let file =
            std::io::BufWriter::new(std::fs::File::create(dir.path().join("f.tif")).unwrap());
        let mut enc = tiff::encoder::TiffEncoder::new(file).unwrap();
        enc.write_image::<tiff::encoder::colortype::RGB32Float>(8, 2, &floats)
            .unwrap();
    }
    let (info, frames) = read_all(&pattern(dir.path(), "f.tif"), None);
    assert_eq!(info.colour.transfer, Transfer::Linear);
    assert_eq!(frames[0].data, floats);
}

#[test]
fn png_alpha_stays_linear_and_masks_are_grey() {
    let dir = tempfile::tempdir().unwrap();
    let mask = Frame::from_data(3, 3, 1, 1, vec![0.0, 0.5, 1.0]).unwrap();
    write_all(
        &pattern(dir.path(), "m.####.png"),
        Codec::Png { sixteen: true },
        Some(Transfer::Linear),
        &[mask],
    );
    let dec = png::Decoder::new(std::io::BufReader::new(
        std::fs::File::open(dir.path().join("m.0003.png")).unwrap(),
    ));
    let r = dec.read_info().unwrap();
    assert_eq!(r.info().color_type, png::ColorType::Grayscale);
    let (_, frames) = read_all(&pattern(dir.path(), "m.####.png"), Some(Transfer::Linear));
    let grey: Vec<f32> = frames[0].data.chunks_exact(3).map(|p| p[0]).collect();
    assert!((grey[1] - 0.5).abs() < 1e-4, "{grey:?}");

    let rgba = Frame::from_data(0, 1, 1, 4, vec![0.2, 0.2, 0.2, 0.5]).unwrap();
    write_all(
        &pattern(dir.path(), "a.####.png"),
        Codec::Png { sixteen: true },
        None,
        &[rgba],
    );
    let (_, frames) = read_all(&pattern(dir.path(), "a.####.png"), None);
    assert!((frames[0].data[3] - 0.5).abs() < 1e-4);
    assert!((frames[0].data[0] - 0.2).abs() < 1e-4);
}

#[test]
fn sequence_errors_name_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let frames: Vec<Frame> = [1, 2, 4].iter().map(|&i| float_frame(i, 3)).collect();
    let p = pattern(dir.path(), "gap.####.exr");
    write_all(&p, Codec::Exr { half: true }, None, &frames);
    let err = probe(&p).unwrap_err().to_string();
    assert!(
        err.contains("gap.0003.exr") && err.contains("missing"),
        "{err}"
    );

    let none = pattern(dir.path(), "nothing.####.exr");
    let err = open_source(&none, &SourceOptions::default())
        .err()
        .unwrap()
        .to_string();
    assert!(
        err.contains("nothing.####.exr") && err.contains("no files match"),
        "{err}"
    );

    let bad = dir.path().join("bad.0001.png");
    std::fs::write(&bad, b"not a png at all").unwrap();
    let err = open_source(
        &pattern(dir.path(), "bad.####.png"),
        &SourceOptions::default(),
    )
    .err()
    .unwrap()
    .to_string();
    assert!(
        err.contains("bad.0001.png") && err.contains("not a readable image"),
        "{err}"
    );
}

#[test]
fn patterns_are_recognised() {
    assert!(is_sequence_pattern("a/b.####.exr"));
    assert!(is_sequence_pattern("b.%04d.png"));
    assert!(is_sequence_pattern("b_%d.tif"));
    assert!(!is_sequence_pattern("clip.mov"));
    assert!(!is_sequence_pattern("still.png"));
}

#[test]
fn sink_writes_frames_under_their_own_numbers_and_nothing_partial() {
    let dir = tempfile::tempdir().unwrap();
    let p = pattern(dir.path(), "n.####.exr");
    let clip = info(19, 7, false, ColourTags::linear());
    let opts = SinkOptions {
        codec: Some(Codec::Exr { half: true }),
        ..Default::default()
    };
    let mut sink = create_sink(&p, &clip, &opts).unwrap();
    sink.write(&float_frame(1001, 3)).unwrap();
    drop(sink);
    let mut names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["n.1001.exr"]);

    // A video codec into an image name, and the reverse, are refused.
    let err = create_sink(
        &p,
        &clip,
        &SinkOptions {
            codec: Some(Codec::H264),
            ..Default::default()
        },
    )
    .err()
    .unwrap()
    .to_string();
    assert!(err.contains("h264"), "{err}");
}
