//! Media edges of Retake: FFmpeg decode/encode and EXR/PNG/TIFF image
//! sequences, all turned into scene-linear float [`Frame`](retake_core::Frame)s
//! so that the operations never see a file format.
//!
//! [`open_source`] and [`create_sink`] pick the right backend from the
//! path: a sequence pattern (`shot.####.exr`, `shot.%04d.png`) or a single
//! image goes to [`sequence`], anything else to FFmpeg ([`video`],
//! [`encode`]).

pub mod carry;
mod convert;
pub mod direct;
pub mod encode;
pub mod layers;
mod pcm;
pub mod sequence;
pub mod timecode;
pub mod timing;
pub mod video;
mod yuv;
mod yuv_encode;

use std::fmt;
use std::path::Path;
use std::str::FromStr;

use retake_core::{ClipInfo, Error, FrameSink, FrameSource, Rational, Result, Transfer};

/// How to read a clip. Files often carry no (or wrong) curve tags, so the
/// user can say what the pixels really are.
#[derive(Clone, Debug, Default)]
pub struct SourceOptions {
    /// Use this curve instead of the probed one.
    pub transfer: Option<Transfer>,
    /// The EXR layer to read when a file has several (passes): `N` reads
    /// `N.x N.y N.z`, `Z` reads the `Z` channel. Files without it are read
    /// as usual (the RGB(A) or Y picture); other formats ignore it.
    pub layer: Option<String>,
    /// Take the frames in order at this constant rate (`--fps`): the rate
    /// of an image sequence, or of a video whose own rate is variable
    /// (refused without it) or wrong.
    pub frame_rate: Option<Rational>,
}

impl SourceOptions {
    /// Read values as stored, without a colour curve: mattes, depth and
    /// normal passes, and pictures compared code value for code value.
    pub fn data() -> Self {
        SourceOptions {
            transfer: Some(Transfer::Linear),
            ..Self::default()
        }
    }

    /// Read as data, preferring the EXR layer `layer` (`N`, `Z`, ...).
    pub fn pass(layer: &str) -> Self {
        SourceOptions {
            layer: Some(layer.to_string()),
            ..Self::data()
        }
    }
}

/// How to write a clip. Everything left `None` is derived from the input
/// clip so that a transcode keeps what it can.
#[derive(Clone, Debug, Default)]
pub struct SinkOptions {
    /// Output codec; `None` guesses from the extension ([`Codec::guess`]).
    pub codec: Option<Codec>,
    /// Output curve; `None` keeps the input's curve (BT.709 for video and
    /// sRGB for PNG/TIFF when the input is linear). Masks pass `Linear`.
    pub transfer: Option<Transfer>,
    /// Constant rate factor for H.264/H.265 (default 18 and 20).
    pub crf: Option<u32>,
    /// Encoder threads; 0 lets FFmpeg pick one per core, which is what
    /// makes encoders use more than one core through the API.
    pub threads: usize,
    /// The source's sound, subtitles, data, timecode and reel name to
    /// carry (video outputs), or its timecode (EXR sequences).
    pub carry: Option<carry::Carry>,
    /// Bits per sample of an FFV1 output (`--bit-depth`); other codecs
    /// have their own fixed depth.
    pub bit_depth: BitDepth,
}

/// Bits per sample of a lossless (FFV1) output. A lossless intermediate
/// should hold what the material holds, as FFmpeg and Resolve keep a
/// source's depth unless told: `Source` writes the input's stored depth
/// (rounded up to 8, 10, 12 or 16; float and half sources give 16), and a
/// number asks for that depth whatever the source.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum BitDepth {
    #[default]
    Source,
    Bits(u32),
}

impl BitDepth {
    /// The depths FFV1 output offers.
    pub const CHOICES: [u32; 4] = [8, 10, 12, 16];

    /// The depth an FFV1 output gets from a source stored with
    /// `source_bits` bits per sample (32 for float, 16 for half).
    pub fn resolve(self, source_bits: u32) -> u32 {
        match self {
            BitDepth::Bits(b) => b,
            BitDepth::Source => Self::CHOICES
                .into_iter()
                .find(|&b| source_bits >= 1 && source_bits <= b)
                .unwrap_or(16),
        }
    }

    /// The depth `codec` writes when it has one fixed depth, so a
    /// `--bit-depth` other than that can be refused rather than ignored.
    fn fixed_by(codec: Codec) -> Option<u32> {
        match codec {
            Codec::Ffv1 => None,
            Codec::ProresHq | Codec::Prores4444 | Codec::H265 => Some(10),
            Codec::H264 | Codec::Png { sixteen: false } => Some(8),
            Codec::Png { sixteen: true } | Codec::Tiff => Some(16),
            Codec::Exr { half: true } => Some(16),
            Codec::Exr { half: false } => Some(32),
        }
    }

    /// Refuse a depth that `codec` cannot write, saying which can.
    pub fn check(self, codec: Codec) -> Result<()> {
        let BitDepth::Bits(b) = self else {
            return Ok(());
        };
        match Self::fixed_by(codec) {
            Some(fixed) if fixed != b => Err(Error::parameter(
                "bit-depth",
                format!(
                    "{codec} always writes {fixed} bits per sample, so {b} cannot be honoured; \
                     use --codec ffv1 for a {b}-bit lossless file, or leave --bit-depth at source"
                ),
            )),
            _ => Ok(()),
        }
    }
}

impl fmt::Display for BitDepth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BitDepth::Source => f.write_str("source"),
            BitDepth::Bits(b) => write!(f, "{b}"),
        }
    }
}

impl FromStr for BitDepth {
    type Err = Error;

    fn from_str(s: &str) -> Result<BitDepth> {
        let t = s.trim().to_ascii_lowercase();
        if t == "source" {
            return Ok(BitDepth::Source);
        }
        match t.parse::<u32>() {
            Ok(b) if Self::CHOICES.contains(&b) => Ok(BitDepth::Bits(b)),
            _ => Err(Error::parameter(
                "bit-depth",
                format!("`{s}` is not an output bit depth; use source, 8, 10, 12 or 16"),
            )),
        }
    }
}

/// Output codecs Retake offers, by the names users type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Codec {
    /// ProRes 422 HQ, 10-bit 4:2:2 (`prores_ks`).
    ProresHq,
    /// ProRes 4444, 10-bit 4:4:4, with alpha when the clip has it.
    Prores4444,
    /// FFV1, lossless RGB(A) or grey at 8, 10, 12 or 16 bits
    /// ([`BitDepth`]; by default the source's depth).
    Ffv1,
    /// H.264 (libx264), 8-bit 4:2:0, for review copies.
    H264,
    /// H.265 (libx265), 10-bit 4:2:0.
    H265,
    /// OpenEXR sequence, ZIP-compressed, half or full float.
    Exr { half: bool },
    /// PNG sequence, 8 or 16 bits per channel.
    Png { sixteen: bool },
    /// 16-bit TIFF sequence, deflate-compressed.
    Tiff,
}

impl Codec {
    /// Every codec, in the order help texts list them.
    pub const ALL: [Codec; 10] = [
        Codec::ProresHq,
        Codec::Prores4444,
        Codec::Ffv1,
        Codec::H264,
        Codec::H265,
        Codec::Exr { half: true },
        Codec::Exr { half: false },
        Codec::Png { sixteen: false },
        Codec::Png { sixteen: true },
        Codec::Tiff,
    ];

    /// The user-facing name (`prores-hq`, `exr-half`, ...).
    pub fn name(self) -> &'static str {
        match self {
            Codec::ProresHq => "prores-hq",
            Codec::Prores4444 => "prores-4444",
            Codec::Ffv1 => "ffv1",
            Codec::H264 => "h264",
            Codec::H265 => "h265",
            Codec::Exr { half: true } => "exr-half",
            Codec::Exr { half: false } => "exr-float",
            Codec::Png { sixteen: false } => "png8",
            Codec::Png { sixteen: true } => "png16",
            Codec::Tiff => "tiff16",
        }
    }

    /// The codec a file name implies, so `-o out.mov` needs no `--codec`.
    pub fn guess(path: &str) -> Option<Codec> {
        match extension(path).as_str() {
            "mov" => Some(Codec::ProresHq),
            "mkv" => Some(Codec::Ffv1),
            "mp4" => Some(Codec::H264),
            "exr" => Some(Codec::Exr { half: true }),
            "png" => Some(Codec::Png { sixteen: true }),
            "tif" | "tiff" => Some(Codec::Tiff),
            _ => None,
        }
    }

    /// True for codecs written as one image file per frame.
    /// Whether the codec stores an alpha channel (ProRes 4444, FFV1, EXR,
    /// PNG, TIFF do; ProRes 422, H.264 and H.265 do not).
    pub fn keeps_alpha(self) -> bool {
        !matches!(self, Codec::ProresHq | Codec::H264 | Codec::H265)
    }

    pub fn is_image(self) -> bool {
        matches!(self, Codec::Exr { .. } | Codec::Png { .. } | Codec::Tiff)
    }

    /// The FFmpeg encoder behind a video codec.
    pub fn ffmpeg_encoder(self) -> Option<&'static str> {
        match self {
            Codec::ProresHq | Codec::Prores4444 => Some("prores_ks"),
            Codec::Ffv1 => Some("ffv1"),
            Codec::H264 => Some("libx264"),
            Codec::H265 => Some("libx265"),
            _ => None,
        }
    }

    /// Names accepted by [`FromStr`], for error messages and help.
    pub fn names() -> String {
        Codec::ALL.map(Codec::name).join(", ")
    }
}

impl fmt::Display for Codec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Codec {
    type Err = Error;

    fn from_str(s: &str) -> Result<Codec> {
        let lower = s.trim().to_ascii_lowercase();
        if let Some(c) = Codec::ALL.into_iter().find(|c| c.name() == lower) {
            return Ok(c);
        }
        let alias = match lower.as_str() {
            "prores" | "prores422hq" | "prores-422-hq" => Some(Codec::ProresHq),
            "prores4444" => Some(Codec::Prores4444),
            "x264" | "avc" => Some(Codec::H264),
            "x265" | "hevc" => Some(Codec::H265),
            "exr" => Some(Codec::Exr { half: true }),
            "png" => Some(Codec::Png { sixteen: true }),
            "tif" | "tiff" | "tif16" => Some(Codec::Tiff),
            _ => None,
        };
        alias.ok_or_else(|| {
            Error::parameter(
                "codec",
                format!("unknown encoder `{s}`; choose one of {}", Codec::names()),
            )
        })
    }
}

/// Lower-case extension of a path, or "" when it has none.
pub(crate) fn extension(path: &str) -> String {
    Path::new(path)
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default()
}

/// A frame rate as users type it: `25`, `29.97`, `24000/1001`.
pub fn parse_frame_rate(text: &str) -> Result<Rational> {
    let t = text.trim();
    let bad = || {
        Error::parameter(
            "fps",
            format!("`{text}` is not a frame rate; give e.g. 25, 23.976 or 24000/1001"),
        )
    };
    let rate = if let Some((n, d)) = t.split_once('/') {
        let n: i64 = n.trim().parse().map_err(|_| bad())?;
        let d: i64 = d.trim().parse().map_err(|_| bad())?;
        Rational::new(n, d)
    } else if let Ok(n) = t.parse::<i64>() {
        Rational::new(n, 1)
    } else {
        let f: f64 = t.parse().map_err(|_| bad())?;
        if !f.is_finite() || f <= 0.0 {
            return Err(bad());
        }
        // NTSC rates typed as decimals mean their exact /1001 fractions.
        let ntsc = (f * 1001.0 / 1000.0).round();
        if (ntsc * 1000.0 / 1001.0 - f).abs() < 0.005 && (f - f.round()).abs() > 0.001 {
            Rational::new(ntsc as i64 * 1000, 1001)
        } else {
            Rational::new((f * 1000.0).round() as i64, 1000)
        }
    };
    if !rate.is_valid()
        || rate.as_f64() > 1000.0
        || rate.num > i32::MAX as i64
        || rate.den > i32::MAX as i64
    {
        return Err(bad());
    }
    Ok(rate)
}

/// True when `path` names a numbered image sequence (`####`, `%04d`, `%d`)
/// rather than one file, so callers can tell the two apart before probing.
pub fn is_sequence_pattern(path: &str) -> bool {
    sequence::Pattern::parse(path).is_some()
}

/// Stream facts of a clip without decoding it, for `retake probe` and for
/// planning (frame ranges, output tags) before the first frame.
pub fn probe(path: &str) -> Result<ClipInfo> {
    if sequence::is_image_path(path) {
        return sequence::probe(path, &SourceOptions::default());
    }
    video::probe(path, &SourceOptions::default())
}

/// Open a clip for reading frames in order as scene-linear float.
pub fn open_source(path: &str, opts: &SourceOptions) -> Result<Box<dyn FrameSource>> {
    if sequence::is_image_path(path) {
        return Ok(Box::new(sequence::SequenceSource::open(path, opts)?));
    }
    Ok(Box::new(video::VideoSource::open(path, opts)?))
}

/// Create an output for frames of a clip described by `info` (size, rate,
/// time base, pixel aspect, colour and alpha are carried over). Nothing
/// appears under `path` until [`FrameSink::finish`].
pub fn create_sink(path: &str, info: &ClipInfo, opts: &SinkOptions) -> Result<Box<dyn FrameSink>> {
    let codec = match opts.codec {
        Some(c) => c,
        None => Codec::guess(path).ok_or_else(|| {
            Error::parameter(
                "codec",
                format!(
                    "cannot tell the codec from the name `{path}`; use a .mov, .mkv, .mp4, \
                     .exr, .png or .tif name or choose one of {}",
                    Codec::names()
                ),
            )
        })?,
    };
    opts.bit_depth.check(codec)?;
    if codec.is_image() {
        if let Some(c) = &opts.carry {
            c.warn_sequence(path);
        }
        return Ok(Box::new(sequence::SequenceSink::create(
            path, info, codec, opts,
        )?));
    }
    if sequence::is_image_path(path) {
        return Err(Error::parameter(
            "codec",
            format!(
                "{codec} writes a video file, but `{path}` names images; \
                 use a .mov/.mkv/.mp4 name or an image codec (exr-half, png16, tiff16)"
            ),
        ));
    }
    Ok(Box::new(encode::VideoSink::create(
        path, info, codec, opts,
    )?))
}

/// Environment variable that shows FFmpeg's own log lines at a level
/// (`error`, `warning`, `info`, `debug`), for diagnosing a file.
pub const FFMPEG_LOG_VAR: &str = "RETAKE_FFMPEG_LOG";

/// FFmpeg's log level: quiet unless `RETAKE_FFMPEG_LOG` names a level.
pub(crate) fn ffmpeg_log_level() -> ffmpeg_next::util::log::Level {
    use ffmpeg_next::util::log::Level;
    let wanted = std::env::var(FFMPEG_LOG_VAR).unwrap_or_default();
    match wanted.trim().to_ascii_lowercase().as_str() {
        "error" => Level::Error,
        "warning" | "warn" | "1" => Level::Warning,
        "info" => Level::Info,
        "verbose" => Level::Verbose,
        "debug" => Level::Debug,
        _ => Level::Quiet,
    }
}

/// Show FFmpeg's own warnings and errors (`retake -vv`), whatever
/// `RETAKE_FFMPEG_LOG` says.
pub fn show_ffmpeg_log() {
    video::init();
    ffmpeg_next::util::log::set_level(ffmpeg_next::util::log::Level::Warning);
}

/// FFmpeg library versions in use, for `retake doctor` and provenance.
pub fn ffmpeg_version() -> String {
    video::init();
    // SAFETY: av_version_info returns a static NUL-terminated string.
    let info = unsafe {
        std::ffi::CStr::from_ptr(ffmpeg_next::ffi::av_version_info())
            .to_string_lossy()
            .into_owned()
    };
    let v = ffmpeg_next::codec::version();
    format!(
        "FFmpeg {info} (libavcodec {}.{}.{})",
        v >> 16,
        (v >> 8) & 0xff,
        v & 0xff
    )
}

/// Each codec by our name with whether this build can write it, because
/// distribution builds of libavcodec differ (libx265 is often missing).
pub fn available_encoders() -> Vec<(String, bool)> {
    video::init();
    Codec::ALL
        .iter()
        .map(|c| {
            let ok = match c.ffmpeg_encoder() {
                Some(name) => ffmpeg_next::encoder::find_by_name(name).is_some(),
                None => true,
            };
            (c.name().to_string(), ok)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frame_rates_as_typed() {
        assert_eq!(parse_frame_rate("25").unwrap(), Rational::new(25, 1));
        assert_eq!(
            parse_frame_rate("24000/1001").unwrap(),
            Rational::new(24000, 1001)
        );
        assert_eq!(
            parse_frame_rate("29.97").unwrap(),
            Rational::new(30000, 1001)
        );
        assert_eq!(
            parse_frame_rate("12.5").unwrap(),
            Rational::new(12500, 1000)
        );
        for bad in ["0", "-25", "abc", "25/0", "nan", "é"] {
            assert!(parse_frame_rate(bad).is_err(), "{bad}");
        }
    }
}
