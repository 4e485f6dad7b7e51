//! Numbered image sequences (`shot.####.exr`, `shot.%04d.png`) and single
//! images: the formats compositing pipelines exchange. EXR stays linear
//! float and round-trips bit-exactly; PNG and TIFF codes round-trip
//! exactly through their curve.

use std::fs::File;
use std::io::{BufReader, BufWriter};
use std::path::{Path, PathBuf};

use retake_core::atomic::AtomicPath;
use retake_core::colour::EncodeTable;
use retake_core::Transfer;
use retake_core::{ClipInfo, ColourTags, Error, Frame, FrameSink, FrameSource, Rational, Result};

use crate::convert::{codes_to_frame, frame_to_codes, DecodeLut, Layout};
use crate::{Codec, SinkOptions, SourceOptions};

/// Image file kinds, by extension.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ImageKind {
    Exr,
    Png,
    Tiff,
}

impl ImageKind {
    /// The kind a file name's extension names.
    pub fn from_path(path: &str) -> Option<ImageKind> {
        match crate::extension(path).as_str() {
            "exr" => Some(ImageKind::Exr),
            "png" => Some(ImageKind::Png),
            "tif" | "tiff" => Some(ImageKind::Tiff),
            _ => None,
        }
    }

    /// The usual extension, also used in messages.
    pub fn name(self) -> &'static str {
        match self {
            ImageKind::Exr => "exr",
            ImageKind::Png => "png",
            ImageKind::Tiff => "tiff",
        }
    }
}

/// True for paths handled here rather than by FFmpeg: sequence patterns
/// and single EXR/PNG/TIFF files.
pub(crate) fn is_image_path(path: &str) -> bool {
    Pattern::parse(path).is_some() || ImageKind::from_path(path).is_some()
}

/// The widest frame number a pattern may ask for: no file name holds more
/// (and formatting wider numbers panics; the fuzzer found `%44444d`).
const MAX_PADDING: usize = 64;

/// A parsed sequence pattern: folder, the text around the number, and the
/// zero padding of the number.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pattern {
    text: String,
    dir: PathBuf,
    prefix: String,
    suffix: String,
    padding: usize,
}

impl Pattern {
    /// Recognise `####` (padding = number of `#`), `%0Nd` and `%d` in the
    /// file-name part of `path`.
    pub fn parse(path: &str) -> Option<Pattern> {
        let p = Path::new(path);
        let name = p.file_name()?.to_str()?;
        let dir = match p.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let make = |start: usize, end: usize, padding: usize| Pattern {
            text: path.to_string(),
            dir: dir.clone(),
            prefix: name[..start].to_string(),
            suffix: name[end..].to_string(),
            padding,
        };
        if let Some(start) = name.find('#') {
            let len = name[start..].chars().take_while(|&c| c == '#').count();
            return Some(make(start, start + len, len)).filter(|p| p.padding <= MAX_PADDING);
        }
        let mut search = 0;
        while let Some(off) = name[search..].find('%') {
            let start = search + off;
            let rest = &name[start + 1..];
            let digits = rest.chars().take_while(char::is_ascii_digit).count();
            if rest[digits..].starts_with('d') {
                let padding = if digits == 0 {
                    0
                } else {
                    rest[..digits].parse().ok()?
                };
                if padding > MAX_PADDING {
                    return None;
                }
                return Some(make(start, start + 1 + digits + 1, padding));
            }
            search = start + 1;
        }
        None
    }

    /// The file of frame `n`.
    pub fn path_for(&self, n: i64) -> PathBuf {
        let width = self.padding;
        self.dir
            .join(format!("{}{n:0width$}{}", self.prefix, self.suffix))
    }

    /// The pattern as the user wrote it.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The folder the frames are in.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The frame number a file name stands for, if it matches.
    pub fn number_of(&self, name: &str) -> Option<i64> {
        let mid = name
            .strip_prefix(&self.prefix)?
            .strip_suffix(&self.suffix)?;
        let digits = mid.strip_prefix('-').unwrap_or(mid);
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        // `####` means at least four digits; wider numbers carry no padding.
        if digits.len() < self.padding
            || (digits.len() > self.padding.max(1) && digits.starts_with('0'))
        {
            return None;
        }
        mid.parse().ok()
    }

    /// Sorted frame numbers present on disk, gaps allowed; none when the
    /// folder does not exist (an output not yet started).
    pub fn present(&self) -> Result<Vec<i64>> {
        let entries = match std::fs::read_dir(&self.dir) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => {
                return Err(Error::input(
                    &self.text,
                    format!("cannot list folder {}: {e}", self.dir.display()),
                ))
            }
        };
        let mut numbers: Vec<i64> = entries
            .filter_map(|e| e.ok())
            .filter_map(|e| e.file_name().to_str().and_then(|n| self.number_of(n)))
            .collect();
        numbers.sort_unstable();
        numbers.dedup();
        Ok(numbers)
    }

    /// Sorted frame numbers present on disk, checked for gaps.
    pub fn scan(&self) -> Result<Vec<i64>> {
        if !self.dir.is_dir() {
            return Err(Error::input(
                &self.text,
                format!("folder {} does not exist", self.dir.display()),
            ));
        }
        let numbers = self.present()?;
        if numbers.is_empty() {
            return Err(Error::input(
                &self.text,
                format!(
                    "no files match this pattern in {}; check the name and the number of # \
                     (e.g. shot.####.exr matches shot.1001.exr)",
                    self.dir.display()
                ),
            ));
        }
        for w in numbers.windows(2) {
            if w[1] != w[0] + 1 {
                return Err(Error::input(
                    self.path_for(w[0] + 1),
                    format!(
                        "missing: the sequence {} has a gap after frame {} (next is {}); \
                         render the missing frames or choose a frame range that avoids them",
                        self.text, w[0], w[1]
                    ),
                ));
            }
        }
        Ok(numbers)
    }
}

/// What a file's header says, without decoding its pixels.
struct Header {
    width: usize,
    height: usize,
    alpha: bool,
    bits: u32,
    pixel_format: String,
    colour: ColourTags,
    pixel_aspect: Rational,
}

fn io_err(path: &Path, e: impl std::fmt::Display) -> Error {
    Error::input(path, format!("not a readable image: {e}"))
}

/// The size a header claims, checked before any pixel buffer exists.
fn check_claimed(path: &Path, width: impl Into<u64>, height: impl Into<u64>) -> Result<()> {
    retake_core::limits::check_size(path, width.into(), height.into())
}

fn open_file(path: &Path) -> Result<File> {
    File::open(path).map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            Error::input(path, "file not found")
        } else {
            Error::input(path, format!("cannot open: {e}"))
        }
    })
}

/// Nearest small ratio to a float pixel aspect (EXR stores it as f32).
fn aspect_rational(x: f32) -> Rational {
    if !(x.is_finite() && x > 0.0) || (x - 1.0).abs() < 1e-6 {
        return Rational::new(1, 1);
    }
    let mut best = Rational::new((x * 1000.0).round() as i64, 1000);
    let mut best_err = f64::MAX;
    for den in 1..=1000i64 {
        let num = (f64::from(x) * den as f64).round() as i64;
        let err = (num as f64 / den as f64 - f64::from(x)).abs();
        if num > 0 && err < best_err - 1e-12 {
            best = Rational::new(num, den);
            best_err = err;
        }
    }
    best
}

fn read_header(path: &Path, kind: ImageKind) -> Result<Header> {
    match kind {
        ImageKind::Exr => {
            let meta =
                exr::meta::MetaData::read_from_file(path, false).map_err(|e| io_err(path, e))?;
            let header = meta
                .headers
                .first()
                .ok_or_else(|| io_err(path, "no image layer"))?;
            check_claimed(
                path,
                header.layer_size.width() as u64,
                header.layer_size.height() as u64,
            )?;
            let names: Vec<String> = header
                .channels
                .list
                .iter()
                .map(|c| c.name.to_string())
                .collect();
            let float = header
                .channels
                .list
                .iter()
                .any(|c| c.sample_type == exr::meta::attribute::SampleType::F32);
            Ok(Header {
                width: header.layer_size.width(),
                height: header.layer_size.height(),
                alpha: names.iter().any(|n| n == "A"),
                bits: if float { 32 } else { 16 },
                pixel_format: if float { "float" } else { "half" }.into(),
                colour: ColourTags::linear(),
                pixel_aspect: aspect_rational(header.shared_attributes.pixel_aspect),
            })
        }
        ImageKind::Png => {
            let decoder = png::Decoder::new(BufReader::new(open_file(path)?));
            let reader = decoder.read_info().map_err(|e| io_err(path, e))?;
            let info = reader.info();
            check_claimed(path, info.width, info.height)?;
            let alpha = info.color_type.samples() == 2
                || info.color_type.samples() == 4
                || info.trns.is_some();
            let bits = if info.bit_depth == png::BitDepth::Sixteen {
                16
            } else {
                8
            };
            let mut colour = ColourTags::srgb_image();
            if info.srgb.is_some() {
                colour.guessed = false;
            }
            Ok(Header {
                width: info.width as usize,
                height: info.height as usize,
                alpha,
                bits,
                pixel_format: format!("{:?}{bits}", info.color_type).to_ascii_lowercase(),
                colour,
                pixel_aspect: Rational::new(1, 1),
            })
        }
        ImageKind::Tiff => {
            let mut decoder = tiff::decoder::Decoder::new(BufReader::new(open_file(path)?))
                .map_err(|e| io_err(path, e))?;
            let (w, h) = decoder.dimensions().map_err(|e| io_err(path, e))?;
            check_claimed(path, w, h)?;
            let ct = decoder.colortype().map_err(|e| io_err(path, e))?;
            let (alpha, bits) = match ct {
                tiff::ColorType::Gray(b) | tiff::ColorType::RGB(b) => (false, b),
                tiff::ColorType::GrayA(b) | tiff::ColorType::RGBA(b) => (true, b),
                other => {
                    return Err(Error::input(
                        path,
                        format!("unsupported TIFF colour type {other:?}; use grey, RGB or RGBA"),
                    ))
                }
            };
            let float = bits == 32;
            Ok(Header {
                width: w as usize,
                height: h as usize,
                alpha,
                bits: u32::from(bits),
                pixel_format: format!("{ct:?}").to_ascii_lowercase(),
                colour: if float {
                    ColourTags::linear()
                } else {
                    ColourTags::srgb_image()
                },
                pixel_aspect: Rational::new(1, 1),
            })
        }
    }
}

/// Decode one image file into a linear float frame (3 or 4 channels).
fn read_image(
    path: &Path,
    kind: ImageKind,
    transfer: Transfer,
    layer: Option<&str>,
    index: i64,
) -> Result<Frame> {
    match kind {
        ImageKind::Exr => read_exr(path, transfer, layer, index),
        ImageKind::Png => read_png(path, transfer, index),
        ImageKind::Tiff => read_tiff(path, transfer, index),
    }
}

fn read_exr(
    path: &Path,
    transfer: Transfer,
    prefer: Option<&str>,
    index: i64,
) -> retake_core::Result<Frame> {
    use exr::prelude::*;
    // The header alone first: the full read allocates what it claims.
    read_header(path, ImageKind::Exr)?;
    let image = read()
        .no_deep_data()
        .largest_resolution_level()
        .all_channels()
        .first_valid_layer()
        .all_attributes()
        .from_file(path)
        .map_err(|e| io_err(path, e))?;
    let layer = image.layer_data;
    let (width, height) = (layer.size.width(), layer.size.height());
    let list = &layer.channel_data.list;
    let find = |name: &str| {
        list.iter()
            .find(|c| c.name.to_string() == name)
            .or_else(|| {
                list.iter()
                    .find(|c| c.name.to_string().eq_ignore_ascii_case(name))
            })
    };
    // The layer asked for (a pass: `N` as N.x/N.y/N.z, `Z` alone), else
    // the picture (RGB or Y), else a pass compositors name by convention,
    // so Retake's own passes read back: normals N.x/N.y/N.z, depth Z.
    let rgb = |r: &str, g: &str, b: &str| Some(vec![find(r)?, find(g)?, find(b)?]);
    let gray = |y: &str| find(y).map(|y| vec![y, y, y]);
    let wanted = |l: &str| {
        rgb(&format!("{l}.x"), &format!("{l}.y"), &format!("{l}.z"))
            .or_else(|| rgb(&format!("{l}.R"), &format!("{l}.G"), &format!("{l}.B")))
            .or_else(|| gray(l))
    };
    let pass = prefer.and_then(wanted);
    let is_pass = pass.is_some();
    let planes: Vec<&AnyChannel<FlatSamples>> = match pass
        .or_else(|| rgb("R", "G", "B"))
        .or_else(|| gray("Y"))
        .or_else(|| wanted("N"))
        .or_else(|| gray("Z"))
    {
        Some(p) => p,
        None if list.len() == 1 => vec![&list[0], &list[0], &list[0]],
        None => {
            let names: Vec<String> = list.iter().map(|c| c.name.to_string()).collect();
            return Err(retake_core::Error::input(
                path,
                format!(
                    "has no R, G, B, Y, N.x/N.y/N.z or Z channels (it has {}); Retake reads the RGB(A) or Y layer, or a normal or depth pass",
                    names.join(", ")
                ),
            ));
        }
    };
    // A pass has no alpha of its own; the file's A belongs to the picture.
    let alpha = if is_pass { None } else { find("A") };
    let channels = if alpha.is_some() { 4 } else { 3 };
    let n = width * height;
    let mut data = vec![0.0f32; n * channels];
    let mut put = |c: usize, samples: &FlatSamples| -> retake_core::Result<()> {
        if samples.len() != n {
            return Err(io_err(path, "channel sizes disagree"));
        }
        match samples {
            FlatSamples::F32(v) => {
                for (o, s) in data.chunks_exact_mut(channels).zip(v) {
                    o[c] = *s;
                }
            }
            FlatSamples::F16(v) => {
                for (o, s) in data.chunks_exact_mut(channels).zip(v) {
                    o[c] = s.to_f32();
                }
            }
            FlatSamples::U32(v) => {
                for (o, s) in data.chunks_exact_mut(channels).zip(v) {
                    o[c] = *s as f32;
                }
            }
        }
        Ok(())
    };
    for (c, p) in planes.iter().enumerate() {
        put(c, &p.sample_data)?;
    }
    if let Some(a) = alpha {
        put(3, &a.sample_data)?;
    }
    clean_non_finite(path, index, &mut data);
    if transfer != Transfer::Linear {
        for px in data.chunks_exact_mut(channels) {
            for v in &mut px[..3] {
                *v = transfer.to_linear(*v);
            }
        }
    }
    Frame::from_data(index, width, height, channels, data)
}

/// The largest finite half float: where an infinite input value goes, and
/// the ceiling of half-float EXR output, so finite values stay finite.
const HALF_MAX: f32 = 65504.0;

/// Float files can hold NaN and infinities (a renderer's divide by zero);
/// operations would spread them, so they are replaced on reading (NaN by
/// 0, +-Inf by +-65504) with a warning naming the file and frame.
fn clean_non_finite(path: &Path, index: i64, data: &mut [f32]) {
    let mut nan = 0usize;
    let mut inf = 0usize;
    for v in data.iter_mut().filter(|v| !v.is_finite()) {
        if v.is_nan() {
            nan += 1;
            *v = 0.0;
        } else {
            inf += 1;
            *v = HALF_MAX.copysign(*v);
        }
    }
    if nan + inf > 0 {
        log::warn!(
            "{} (frame {index}): {nan} NaN and {inf} infinite values replaced by 0 and +-{HALF_MAX}; \
             fix the render that made them to keep its values",
            path.display()
        );
    }
}

fn read_png(path: &Path, transfer: Transfer, index: i64) -> Result<Frame> {
    let mut decoder = png::Decoder::new(BufReader::new(open_file(path)?));
    decoder.set_transformations(png::Transformations::EXPAND);
    let mut reader = decoder.read_info().map_err(|e| io_err(path, e))?;
    check_claimed(path, reader.info().width, reader.info().height)?;
    let size = reader
        .output_buffer_size()
        .ok_or_else(|| io_err(path, "image too large"))?;
    let mut buf = vec![0u8; size];
    let out = reader.next_frame(&mut buf).map_err(|e| io_err(path, e))?;
    let (width, height) = (out.width as usize, out.height as usize);
    let layout = match out.color_type {
        png::ColorType::Grayscale => Layout::Grey,
        png::ColorType::GrayscaleAlpha => Layout::GreyAlpha,
        png::ColorType::Rgb => Layout::Rgb,
        png::ColorType::Rgba => Layout::Rgba,
        png::ColorType::Indexed => return Err(io_err(path, "palette was not expanded")),
    };
    let row = width * layout.samples();
    if out.bit_depth == png::BitDepth::Sixteen {
        let codes: Vec<u16> = buf[..row * height * 2]
            .chunks_exact(2)
            .map(|b| u16::from_be_bytes([b[0], b[1]]))
            .collect();
        let lut = DecodeLut::new(transfer, 16);
        Ok(codes_to_frame(
            &codes, row, width, height, layout, &lut, index,
        ))
    } else {
        let lut = DecodeLut::new(transfer, 8);
        let stride = out.line_size;
        Ok(codes_to_frame(
            &buf, stride, width, height, layout, &lut, index,
        ))
    }
}

fn read_tiff(path: &Path, transfer: Transfer, index: i64) -> Result<Frame> {
    use tiff::decoder::DecodingResult;
    let mut decoder = tiff::decoder::Decoder::new(BufReader::new(open_file(path)?))
        .map_err(|e| io_err(path, e))?;
    let (w, h) = decoder.dimensions().map_err(|e| io_err(path, e))?;
    check_claimed(path, w, h)?;
    let (width, height) = (w as usize, h as usize);
    let layout = match decoder.colortype().map_err(|e| io_err(path, e))? {
        tiff::ColorType::Gray(_) => Layout::Grey,
        tiff::ColorType::GrayA(_) => Layout::GreyAlpha,
        tiff::ColorType::RGB(_) => Layout::Rgb,
        tiff::ColorType::RGBA(_) => Layout::Rgba,
        other => {
            return Err(Error::input(
                path,
                format!("unsupported TIFF colour type {other:?}; use grey, RGB or RGBA"),
            ))
        }
    };
    let row = width * layout.samples();
    let image = decoder.read_image().map_err(|e| io_err(path, e))?;
    match image {
        DecodingResult::U8(v) => Ok(codes_to_frame(
            &v,
            row,
            width,
            height,
            layout,
            &DecodeLut::new(transfer, 8),
            index,
        )),
        DecodingResult::U16(v) => Ok(codes_to_frame(
            &v,
            row,
            width,
            height,
            layout,
            &DecodeLut::new(transfer, 16),
            index,
        )),
        DecodingResult::F32(mut v) => {
            clean_non_finite(path, index, &mut v);
            float_to_frame(&v, layout, width, height, transfer, index)
        }
        DecodingResult::F16(v) => {
            let mut v: Vec<f32> = v.iter().map(|x| x.to_f32()).collect();
            clean_non_finite(path, index, &mut v);
            float_to_frame(&v, layout, width, height, transfer, index)
        }
        _ => Err(Error::input(
            path,
            "unsupported TIFF sample format; use 8 or 16-bit integer or 32-bit float",
        )),
    }
}

/// Float samples (linear unless told otherwise) to a 3/4-channel frame.
fn float_to_frame(
    v: &[f32],
    layout: Layout,
    width: usize,
    height: usize,
    transfer: Transfer,
    index: i64,
) -> Result<Frame> {
    let channels = layout.frame_channels();
    let mut data = Vec::with_capacity(width * height * channels);
    let curve = |x: f32| {
        if transfer == Transfer::Linear {
            x
        } else {
            transfer.to_linear(x)
        }
    };
    for p in v.chunks_exact(layout.samples()) {
        match layout {
            Layout::Grey => data.extend_from_slice(&[curve(p[0]); 3]),
            Layout::GreyAlpha => {
                let g = curve(p[0]);
                data.extend_from_slice(&[g, g, g, p[1]]);
            }
            Layout::Rgb => data.extend(p.iter().map(|&x| curve(x))),
            Layout::Rgba => data.extend_from_slice(&[curve(p[0]), curve(p[1]), curve(p[2]), p[3]]),
        }
    }
    Frame::from_data(index, width, height, channels, data)
}

/// Where a clip of images comes from: a pattern with its frame numbers,
/// or one file standing for a one-frame clip.
enum Files {
    Pattern(Pattern, Vec<i64>),
    Single(PathBuf),
}

impl Files {
    fn locate(path: &str) -> Result<Files> {
        if let Some(p) = Pattern::parse(path) {
            let numbers = p.scan()?;
            return Ok(Files::Pattern(p, numbers));
        }
        if !Path::new(path).exists() {
            return Err(Error::input(path, "file not found"));
        }
        Ok(Files::Single(PathBuf::from(path)))
    }

    fn first_file(&self) -> PathBuf {
        match self {
            Files::Pattern(p, n) => p.path_for(n[0]),
            Files::Single(f) => f.clone(),
        }
    }
}

/// The `timeCode` of an EXR sequence's first frame as `HH:MM:SS:FF`, so a
/// movie assembled from the frames starts where they say.
pub fn first_timecode(path: &str) -> Option<String> {
    if kind_of(path).ok()? != ImageKind::Exr {
        return None;
    }
    let file = Files::locate(path).ok()?.first_file();
    let meta = exr::meta::MetaData::read_from_file(&file, false).ok()?;
    let header = meta.headers.first()?;
    header
        .shared_attributes
        .time_code
        .as_ref()
        .map(crate::timecode::exr_text)
}

fn kind_of(path: &str) -> Result<ImageKind> {
    ImageKind::from_path(path).ok_or_else(|| {
        Error::input(
            path,
            "unknown image type; sequences must end in .exr, .png, .tif or .tiff",
        )
    })
}

fn info_for(path: &str, files: &Files, kind: ImageKind, opts: &SourceOptions) -> Result<ClipInfo> {
    let header = read_header(&files.first_file(), kind)?;
    let mut colour = header.colour;
    if let Some(t) = opts.transfer {
        colour.transfer = t;
        colour.guessed = false;
    }
    let (first_frame, frames, format) = match files {
        Files::Pattern(_, n) => (n[0], n.len() as u64, format!("{} sequence", kind.name())),
        Files::Single(_) => (0, 1, format!("{} image", kind.name())),
    };
    let rate = opts
        .frame_rate
        .filter(|r| r.is_valid())
        .unwrap_or(Rational::new(24, 1));
    Ok(ClipInfo {
        path: path.to_string(),
        format,
        codec: kind.name().to_string(),
        width: header.width,
        height: header.height,
        frames: Some(frames),
        // Images carry no rate: 24 fps is the film default unless --fps.
        fps: rate.as_f64(),
        frame_rate: rate,
        time_base: Rational::new(rate.den, rate.num),
        pixel_aspect: header.pixel_aspect,
        first_frame,
        has_alpha: header.alpha,
        bit_depth: header.bits,
        pixel_format: header.pixel_format,
        colour,
    })
}

/// Facts of a sequence or single image: the first file's header and the
/// numbering found on disk.
pub fn probe(path: &str, opts: &SourceOptions) -> Result<ClipInfo> {
    let kind = kind_of(path)?;
    let files = Files::locate(path)?;
    info_for(path, &files, kind, opts)
}

/// Reads a sequence (or one image) frame by frame, numbered by file.
pub struct SequenceSource {
    info: ClipInfo,
    kind: ImageKind,
    files: Files,
    /// Position in the list of frames.
    pos: usize,
    /// EXR layer preferred (see [`SourceOptions::layer`]).
    layer: Option<String>,
}

impl SequenceSource {
    /// Scan the folder and read the first header.
    pub fn open(path: &str, opts: &SourceOptions) -> Result<SequenceSource> {
        let kind = kind_of(path)?;
        let files = Files::locate(path)?;
        let info = info_for(path, &files, kind, opts)?;
        Ok(SequenceSource {
            info,
            kind,
            files,
            pos: 0,
            layer: opts.layer.clone(),
        })
    }

    fn count(&self) -> usize {
        match &self.files {
            Files::Pattern(_, n) => n.len(),
            Files::Single(_) => 1,
        }
    }
}

impl FrameSource for SequenceSource {
    fn info(&self) -> &ClipInfo {
        &self.info
    }

    fn next_frame(&mut self) -> Result<Option<Frame>> {
        if self.pos >= self.count() {
            return Ok(None);
        }
        let (file, index) = match &self.files {
            Files::Pattern(p, n) => (p.path_for(n[self.pos]), n[self.pos]),
            Files::Single(f) => (f.clone(), 0),
        };
        let frame = read_image(
            &file,
            self.kind,
            self.info.colour.transfer,
            self.layer.as_deref(),
            index,
        )?;
        if frame.width != self.info.width || frame.height != self.info.height {
            return Err(Error::input(
                &file,
                format!(
                    "is {}x{} but the sequence started at {}x{}; all frames must have one size",
                    frame.width, frame.height, self.info.width, self.info.height
                ),
            ));
        }
        self.pos += 1;
        Ok(Some(frame))
    }

    /// Direct: any numbered file can be read on its own.
    fn seek(&mut self, index: i64) -> Result<()> {
        let first = self.info.first_frame;
        let last = first + self.count() as i64 - 1;
        if index < first || index > last + 1 {
            return Err(Error::Range {
                path: PathBuf::from(&self.info.path),
                range: index.to_string(),
                first,
                last,
            });
        }
        self.pos = (index - first) as usize;
        Ok(())
    }
}

/// Writes each frame to its own file, atomically, numbered by
/// `frame.index` so a partial re-render replaces exactly its frames.
pub struct SequenceSink {
    pattern: Option<Pattern>,
    single: Option<PathBuf>,
    codec: Codec,
    table: EncodeTable,
    pixel_aspect: Rational,
    /// Timecodes for the frames (EXR `timeCode`), from the source's media.
    carry: Option<crate::carry::Carry>,
    written: usize,
    /// A single image is kept under its temporary name until `finish`, so
    /// a run that fails (or writes a second frame) leaves nothing behind.
    pending: Option<AtomicPath>,
}

impl SequenceSink {
    /// Check the name fits the codec; files are written per frame.
    pub fn create(
        path: &str,
        info: &ClipInfo,
        codec: Codec,
        opts: &SinkOptions,
    ) -> Result<SequenceSink> {
        let kind = ImageKind::from_path(path);
        let wanted = match codec {
            Codec::Exr { .. } => ImageKind::Exr,
            Codec::Png { .. } => ImageKind::Png,
            Codec::Tiff => ImageKind::Tiff,
            other => {
                return Err(Error::parameter(
                    "codec",
                    format!("{other} is a video codec; it cannot write images to `{path}`"),
                ))
            }
        };
        if kind != Some(wanted) {
            return Err(Error::parameter(
                "codec",
                format!(
                    "{codec} writes .{} files but `{path}` names {}; name the output \
                     like shot.####.{}",
                    wanted.name(),
                    kind.map_or("something else".to_string(), |k| format!(
                        ".{} files",
                        k.name()
                    )),
                    if wanted == ImageKind::Tiff {
                        "tif"
                    } else {
                        wanted.name()
                    }
                ),
            ));
        }
        let pattern = Pattern::parse(path);
        let dir = match &pattern {
            Some(p) => p.dir.clone(),
            None => Path::new(path)
                .parent()
                .filter(|d| !d.as_os_str().is_empty())
                .map_or_else(|| PathBuf::from("."), Path::to_path_buf),
        };
        if !dir.is_dir() {
            return Err(Error::output(
                path,
                format!("folder {} does not exist; create it first", dir.display()),
            ));
        }
        let transfer = opts.transfer.unwrap_or(match codec {
            Codec::Exr { .. } => Transfer::Linear,
            _ if info.colour.transfer == Transfer::Linear => Transfer::Srgb,
            _ => info.colour.transfer,
        });
        Ok(SequenceSink {
            single: pattern.is_none().then(|| PathBuf::from(path)),
            pattern,
            codec,
            table: EncodeTable::new(transfer),
            pixel_aspect: info.pixel_aspect,
            carry: opts.carry.clone(),
            written: 0,
            pending: None,
        })
    }

    /// Encode `frame` under a temporary name beside `path`; the caller
    /// moves it into place.
    fn write_file(&self, frame: &Frame, path: &Path) -> Result<AtomicPath> {
        let atomic = AtomicPath::new(path)?;
        let out_err = |e: &dyn std::fmt::Display| Error::output(path, format!("cannot write: {e}"));
        match self.codec {
            Codec::Exr { half } => {
                let timecode = self
                    .carry
                    .as_ref()
                    .and_then(|c| c.exr_timecode_at(frame.index));
                let attrs = ExrAttributes {
                    aspect: self.pixel_aspect,
                    timecode,
                };
                write_exr(frame, atomic.temp(), half, &self.table, &attrs)
                    .map_err(|e| out_err(&e))?
            }
            Codec::Png { sixteen } => {
                write_png(frame, atomic.temp(), sixteen, &self.table).map_err(|e| out_err(&e))?
            }
            Codec::Tiff => {
                write_tiff(frame, atomic.temp(), &self.table).map_err(|e| out_err(&e))?
            }
            _ => return Err(Error::Internal("video codec in image sink".into())),
        }
        Ok(atomic)
    }
}

impl FrameSink for SequenceSink {
    fn write(&mut self, frame: &Frame) -> Result<()> {
        frame.check_layout()?;
        match (&self.pattern, &self.single) {
            (Some(p), _) => self.write_file(frame, &p.path_for(frame.index))?.commit()?,
            (None, Some(single)) => {
                if self.written > 0 {
                    // Dropping the first frame's temporary removes it.
                    self.pending = None;
                    return Err(Error::output(
                        single,
                        "names a single image but more than one frame was written; \
                         use a pattern such as out.####.exr",
                    ));
                }
                self.pending = Some(self.write_file(frame, single)?);
            }
            (None, None) => return Err(Error::Internal("image sink without a path".into())),
        }
        self.written += 1;
        Ok(())
    }

    fn finish(self: Box<Self>) -> Result<()> {
        match self.pending {
            Some(image) => image.commit(),
            None => Ok(()),
        }
    }
}

type WriteResult = std::result::Result<(), Box<dyn std::error::Error + Send + Sync>>;

/// Header attributes an EXR frame carries from its clip.
struct ExrAttributes {
    aspect: Rational,
    timecode: Option<exr::meta::attribute::TimeCode>,
}

fn write_exr(
    frame: &Frame,
    path: &Path,
    half: bool,
    table: &EncodeTable,
    attrs: &ExrAttributes,
) -> WriteResult {
    use exr::prelude::*;
    let names: &[&str] = match frame.channels {
        1 => &["Y"],
        2 => &["Y", "A"],
        3 => &["R", "G", "B"],
        _ => &["R", "G", "B", "A"],
    };
    let curved = table.transfer() != Transfer::Linear;
    let colour_channels = if frame.channels == 4 || frame.channels == 2 {
        frame.channels - 1
    } else {
        frame.channels
    };
    let channels: Vec<AnyChannel<FlatSamples>> = names
        .iter()
        .enumerate()
        .map(|(c, name)| {
            let plane = frame.data.iter().skip(c).step_by(frame.channels).map(|&v| {
                if curved && c < colour_channels {
                    table.encode(v)
                } else {
                    v
                }
            });
            let samples = if half {
                FlatSamples::F16(
                    plane
                        .map(|v| f16::from_f32(v.clamp(-HALF_MAX, HALF_MAX)))
                        .collect(),
                )
            } else {
                FlatSamples::F32(plane.collect())
            };
            AnyChannel::new(*name, samples)
        })
        .collect();
    let layer = Layer::new(
        (frame.width, frame.height),
        LayerAttributes::default(),
        Encoding::SMALL_LOSSLESS,
        AnyChannels::sort(channels.into()),
    );
    let mut image = Image::from_layer(layer);
    if attrs.aspect.is_valid() {
        image.attributes.pixel_aspect = attrs.aspect.as_f64() as f32;
    }
    image.attributes.time_code = attrs.timecode;
    image.write().to_file(path)?;
    Ok(())
}

fn write_png(frame: &Frame, path: &Path, sixteen: bool, table: &EncodeTable) -> WriteResult {
    let layout = match frame.channels {
        1 => Layout::Grey,
        2 => Layout::GreyAlpha,
        3 => Layout::Rgb,
        _ => Layout::Rgba,
    };
    let row = frame.width * layout.samples();
    let file = BufWriter::new(File::create(path)?);
    let mut encoder = png::Encoder::new(file, frame.width as u32, frame.height as u32);
    encoder.set_color(match layout {
        Layout::Grey => png::ColorType::Grayscale,
        Layout::GreyAlpha => png::ColorType::GrayscaleAlpha,
        Layout::Rgb => png::ColorType::Rgb,
        Layout::Rgba => png::ColorType::Rgba,
    });
    encoder.set_compression(png::Compression::Fast);
    if table.transfer() == Transfer::Srgb {
        encoder.set_source_srgb(png::SrgbRenderingIntent::Perceptual);
    }
    let bytes = if sixteen {
        encoder.set_depth(png::BitDepth::Sixteen);
        let mut codes = vec![0u16; row * frame.height];
        frame_to_codes(frame, layout, table, &mut codes, row);
        codes.iter().flat_map(|c| c.to_be_bytes()).collect()
    } else {
        encoder.set_depth(png::BitDepth::Eight);
        let mut codes = vec![0u8; row * frame.height];
        frame_to_codes(frame, layout, table, &mut codes, row);
        codes
    };
    let mut writer = encoder.write_header()?;
    writer.write_image_data(&bytes)?;
    writer.finish()?;
    Ok(())
}

fn write_tiff(frame: &Frame, path: &Path, table: &EncodeTable) -> WriteResult {
    use tiff::encoder::{
        colortype, compression::DeflateLevel, Compression, Predictor, TiffEncoder,
    };
    let layout = match frame.channels {
        1 => Layout::Grey,
        3 => Layout::Rgb,
        _ => Layout::Rgba,
    };
    let row = frame.width * layout.samples();
    let mut codes = vec![0u16; row * frame.height];
    frame_to_codes(frame, layout, table, &mut codes, row);
    let file = BufWriter::new(File::create(path)?);
    let mut encoder = TiffEncoder::new(file)?
        .with_compression(Compression::Deflate(DeflateLevel::Fast))
        .with_predictor(Predictor::Horizontal);
    let (w, h) = (frame.width as u32, frame.height as u32);
    match layout {
        Layout::Grey => encoder.write_image::<colortype::Gray16>(w, h, &codes)?,
        Layout::Rgb => encoder.write_image::<colortype::RGB16>(w, h, &codes)?,
        _ => encoder.write_image::<colortype::RGBA16>(w, h, &codes)?,
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_patterns() {
        let p = Pattern::parse("/a/b/shot.####.exr").unwrap();
        assert_eq!(p.path_for(7), PathBuf::from("/a/b/shot.0007.exr"));
        assert_eq!(p.path_for(12345), PathBuf::from("/a/b/shot.12345.exr"));
        let p = Pattern::parse("x_%04d.png").unwrap();
        assert_eq!(p.path_for(3), PathBuf::from("./x_0003.png"));
        let p = Pattern::parse("x_%d.png").unwrap();
        assert_eq!(p.path_for(3), PathBuf::from("./x_3.png"));
        assert!(Pattern::parse("plain.mov").is_none());
        assert!(Pattern::parse("100%.png").is_none());
        // Absurd padding is not a pattern (it once panicked in path_for).
        assert!(Pattern::parse("x_%444444d.png").is_none());
        assert!(Pattern::parse(&format!("x_{}.png", "#".repeat(100))).is_none());
        assert!(Pattern::parse("x_%064d.png").is_some());
    }

    #[test]
    fn matches_numbers_by_padding() {
        let p = Pattern::parse("s.####.exr").unwrap();
        assert_eq!(p.number_of("s.0001.exr"), Some(1));
        assert_eq!(p.number_of("s.12345.exr"), Some(12345));
        assert_eq!(p.number_of("s.001.exr"), None);
        assert_eq!(p.number_of("s.00012.exr"), None);
        assert_eq!(p.number_of("s.abcd.exr"), None);
        let p = Pattern::parse("s.%d.png").unwrap();
        assert_eq!(p.number_of("s.0.png"), Some(0));
        assert_eq!(p.number_of("s.17.png"), Some(17));
        assert_eq!(p.number_of("s.017.png"), None);
    }

    #[test]
    fn aspect_from_float() {
        assert_eq!(aspect_rational(1.0), Rational::new(1, 1));
        assert_eq!(aspect_rational(2.0), Rational::new(2, 1));
        assert_eq!(aspect_rational(128.0 / 117.0), Rational::new(128, 117));
    }
}
