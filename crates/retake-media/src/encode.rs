//! Video encoding through FFmpeg: linear float frames back to stored codes
//! in the output curve, converted to the codec's YCbCr (or RGB) format with
//! the same matrix and range that the file is tagged with, and muxed with
//! the input's rate, time base and pixel aspect, one packet per frame.

use ff::ffi;
use ffmpeg_next as ff;
use retake_core::atomic::AtomicPath;
use retake_core::Transfer;
use retake_core::{ClipInfo, Error, Frame, FrameSink, Matrix, Primaries, Rational, Result};

use crate::carry::{Carry, Passthrough};
use crate::convert::{frame_to_picture, planar16_format, Picture, Planes16, Quantiser, Scaler};
use crate::video::{describe, init};
use crate::yuv::YuvFormat;
use crate::yuv_encode::{LinearToYuv, YuvTarget};
use crate::{Codec, SinkOptions};

/// Colour description written into the stream and used for conversion.
#[derive(Clone, Copy, Debug)]
struct OutColour {
    transfer: Transfer,
    matrix: Matrix,
    primaries: Primaries,
    full_range: bool,
}

/// An FFmpeg video encoder and muxer. The encoder is opened on the first
/// frame, once it is known whether frames carry alpha or are masks.
pub struct VideoSink {
    // Declared before `atomic` so the file is closed before the temporary
    // is removed on drop.
    open: Option<Open>,
    atomic: AtomicPath,
    path: String,
    codec: Codec,
    encoder_name: &'static str,
    info: ClipInfo,
    crf: Option<u32>,
    threads: usize,
    colour: OutColour,
    /// Bits per sample asked of FFV1 (`--bit-depth`, resolved).
    ffv1_bits: u32,
    written: i64,
    /// Sound, subtitles, data, timecode and reel name to carry.
    carry: Option<Carry>,
}

struct Open {
    octx: ff::format::context::Output,
    encoder: ff::encoder::Video,
    stream_index: usize,
    encoder_tb: ff::Rational,
    stream_tb: ff::Rational,
    width: usize,
    height: usize,
    /// Planes of the 16-bit intermediate: 1 (grey), 3 or 4 (with alpha).
    count: usize,
    /// How codes go straight into the encoder's frame (no swscale) when
    /// the codec takes RGB or grey as Retake holds it (FFV1); `None`:
    /// through `ycbcr` or the 16-bit staging picture and swscale.
    direct: Option<Direct>,
    /// Float straight to the encoder's planar Y'CbCr (ProRes, H.264,
    /// H.265), no swscale.
    ycbcr: Option<LinearToYuv>,
    /// Float to codes at the depth of the encoder's picture (or of the
    /// 16-bit staging picture).
    quantiser: Quantiser,
    staging: Vec<u16>,
    staging_stride: usize,
    scaler: Option<Scaler>,
    /// swscale from the decoded pictures' format, for the straight copy.
    straight: Option<(ffi::AVPixelFormat, Scaler)>,
    pix_fmt: ff::format::Pixel,
    /// Frames the encoder may still hold references to are not reused.
    pool: Vec<ff::frame::Video>,
    packet: ff::Packet,
    /// Copies the source's other streams beside the frames.
    passthrough: Option<Passthrough>,
}

fn ff_rational(r: Rational) -> ff::Rational {
    ff::Rational::new(r.num as i32, r.den as i32)
}

impl VideoSink {
    /// Check everything that can be checked before the first frame: the
    /// encoder exists in this FFmpeg, the container can hold it, the
    /// folder exists.
    pub fn create(path: &str, info: &ClipInfo, codec: Codec, opts: &SinkOptions) -> Result<Self> {
        init();
        let encoder_name = codec.ffmpeg_encoder().ok_or_else(|| {
            Error::parameter(
                "codec",
                format!("{codec} writes images, not a video file like `{path}`"),
            )
        })?;
        let enc = ff::encoder::find_by_name(encoder_name).ok_or_else(|| {
            Error::parameter(
                "codec",
                format!(
                    "this FFmpeg build has no {encoder_name} encoder for {codec}; \
                     `retake doctor` lists the encoders available"
                ),
            )
        })?;
        check_container(path, codec, enc.id())?;
        let atomic = AtomicPath::new(path)?;

        let transfer = opts.transfer.unwrap_or(match info.colour.transfer {
            Transfer::Linear => Transfer::Bt709,
            t => t,
        });
        let ycbcr = !matches!(codec, Codec::Ffv1);
        let colour = OutColour {
            transfer,
            matrix: if !ycbcr {
                Matrix::Rgb
            } else if info.colour.matrix == Matrix::Rgb {
                Matrix::Bt709
            } else {
                info.colour.matrix
            },
            primaries: match info.colour.primaries {
                Primaries::Unknown => Primaries::Bt709,
                p => p,
            },
            // ProRes is limited range by definition; H.264/H.265 keep a
            // full-range YCbCr input full range.
            full_range: !ycbcr
                || (matches!(codec, Codec::H264 | Codec::H265)
                    && info.colour.full_range
                    && info.colour.matrix != Matrix::Rgb),
        };
        if let Some(crf) = opts.crf {
            if !matches!(codec, Codec::H264 | Codec::H265) {
                log::warn!("--crf applies to h264 and h265 only; ignored for {codec}");
            } else if crf > 51 {
                return Err(Error::parameter(
                    "crf",
                    format!("{crf} is out of range; use 0 (lossless) to 51 (smallest)"),
                ));
            }
        }
        // Only FFV1 has a choice of depth; refuse one another codec cannot write.
        opts.bit_depth.check(codec)?;
        Ok(VideoSink {
            open: None,
            atomic,
            path: path.to_string(),
            codec,
            encoder_name,
            info: info.clone(),
            crf: opts.crf,
            threads: opts.threads,
            colour,
            ffv1_bits: opts.bit_depth.resolve(info.bit_depth),
            written: 0,
            carry: opts.carry.clone(),
        })
    }

    /// Whether decoded pictures of `format` from a clip described by
    /// `info` can be encoded as they are (or through swscale's format
    /// change alone, as the `ffmpeg` tool does), because this output keeps
    /// their matrix, curve and range: a Y'CbCr codec, no alpha, the same
    /// colour tags in and out. Anything else takes the float path.
    pub(crate) fn takes_as_decoded(&self, info: &ClipInfo, format: ffi::AVPixelFormat) -> bool {
        let Some(target) = ycbcr_format(self.codec, false) else {
            return false;
        };
        let facts = crate::video::pix_fmt_facts(format);
        let same_colour = info.colour.matrix != Matrix::Rgb
            && self.colour.matrix == info.colour.matrix
            && self.colour.transfer == info.colour.transfer
            && self.colour.full_range == info.colour.full_range;
        // swscale reads the `yuvj` formats and untagged frames by their
        // format's range: only limited range goes through it unchanged.
        let convertible =
            format == target || (!info.colour.full_range && !facts.name.starts_with("yuvj"));
        same_colour
            && convertible
            && !info.has_alpha
            && !facts.alpha
            && crate::yuv::YuvFormat::of(format).is_some()
    }

    /// Encode a decoded picture as output frame `index` without the float
    /// round trip: the picture itself when the encoder takes its format,
    /// else swscale's conversion to the encoder's format with the `ffmpeg`
    /// tool's default (bicubic) filter. Only for pictures that
    /// [`VideoSink::takes_as_decoded`] accepted.
    pub(crate) fn write_decoded(&mut self, index: i64, picture: &ff::frame::Video) -> Result<()> {
        let (width, height) = (picture.width() as usize, picture.height() as usize);
        // SAFETY: reading the format field of a decoded frame.
        let format = crate::video::pixel_format(unsafe { (*picture.as_ptr()).format });
        if self.open.is_none() {
            let open = self.open(width, height, 3, index)?;
            self.open = Some(open);
        }
        let path = self.path.clone();
        let pts = self.written;
        let Some(open) = self.open.as_mut() else {
            return Err(Error::Internal("encoder not open".into()));
        };
        if width != open.width || height != open.height {
            return Err(Error::output(
                &path,
                format!(
                    "frame {index} is {width}x{height} but the video was started at {}x{}; all \
                     frames of one output must have the same size",
                    open.width, open.height
                ),
            ));
        }
        if let Some(p) = open.passthrough.as_mut() {
            p.frame(index, pts, self.info.frame_rate, &mut open.octx)?;
        }
        if ff::format::Pixel::from(format) == open.pix_fmt {
            // SAFETY: a new reference to the decoded picture's buffers,
            // owned (and freed) by the wrapper.
            let mut own = unsafe {
                let raw = ffi::av_frame_clone(picture.as_ptr());
                if raw.is_null() {
                    return Err(Error::output(&path, "out of memory for a frame reference"));
                }
                ff::frame::Video::wrap(raw)
            };
            open.send(&mut own, pts, index, &path)?;
        } else {
            if open.straight.as_ref().map(|s| s.0) != Some(format) {
                let scaler = Scaler::like_ffmpeg(width, height, format, open.pix_fmt.into())
                    .ok_or_else(|| {
                        Error::output(
                            &path,
                            format!("cannot convert frame {index} for {}", self.codec),
                        )
                    })?;
                open.straight = Some((format, scaler));
            }
            let slot = open.writable_frame();
            let mut src = [std::ptr::null::<u8>(); 4];
            let mut src_stride = [0i32; 4];
            let mut dst = [std::ptr::null_mut::<u8>(); 4];
            let mut dst_stride = [0i32; 4];
            // SAFETY: a decoded frame's and a pool frame's data/linesize
            // arrays are valid.
            unsafe {
                let raw = &*picture.as_ptr();
                for (i, p) in raw.data[..4].iter().enumerate() {
                    src[i] = *p;
                }
                src_stride.copy_from_slice(&raw.linesize[..4]);
                let out = &*open.pool[slot].as_mut_ptr();
                dst.copy_from_slice(&out.data[..4]);
                dst_stride.copy_from_slice(&out.linesize[..4]);
            }
            if let Some((_, scaler)) = open.straight.as_mut() {
                // SAFETY: both pictures match the scaler's size and formats.
                unsafe { scaler.scale(&src, &src_stride, &dst, &dst_stride) };
            }
            let mut target = std::mem::replace(&mut open.pool[slot], ff::frame::Video::empty());
            let sent = open.send(&mut target, pts, index, &path);
            open.pool[slot] = target;
            sent?;
        }
        self.written += 1;
        Ok(())
    }

    fn out_err(&self, what: impl std::fmt::Display) -> Error {
        Error::output(&self.path, what)
    }

    /// Open muxer and encoder for frames of `width` x `height` with
    /// `channels` channels, the first of them numbered `first_index`.
    fn open(
        &mut self,
        width: usize,
        height: usize,
        channels: usize,
        first_index: i64,
    ) -> Result<Open> {
        if width == 0 || height == 0 {
            return Err(self.out_err("frame has no pixels"));
        }
        let alpha = channels == 4 || self.info.has_alpha;
        let mask = channels == 1;
        let codec = ff::encoder::find_by_name(self.encoder_name)
            .ok_or_else(|| self.out_err(format!("{} encoder vanished", self.encoder_name)))?;
        let supported: Vec<ff::format::Pixel> = codec
            .video()
            .ok()
            .and_then(|v| v.formats().map(|f| f.collect()))
            .unwrap_or_default();
        let has = |p: ffi::AVPixelFormat| supported.contains(&ff::format::Pixel::from(p));

        // Planes of the 16-bit intermediate picture: grey, G B R, G B R A.
        let count = match (mask, alpha) {
            (true, false) => 1,
            (_, true) => 4,
            (false, false) => 3,
        };
        use ffi::AVPixelFormat::*;
        let (pix_fmt, count) = match self.codec {
            Codec::Ffv1 => {
                let wanted = ffv1_format(self.ffv1_bits, count);
                if has(wanted) {
                    (wanted, count)
                } else if alpha {
                    (AV_PIX_FMT_RGBA64LE, 4)
                } else {
                    (AV_PIX_FMT_RGB48LE, 3)
                }
            }
            c => match ycbcr_format(c, alpha) {
                Some(f) => (f, count),
                None => return Err(self.out_err(format!("{c} is not a video codec"))),
            },
        };
        let direct = Direct::of(pix_fmt, count);
        let ycbcr_format = if direct.is_none() {
            YuvFormat::of(pix_fmt)
        } else {
            None
        };
        let pix = ff::format::Pixel::from(pix_fmt);
        let facts = crate::video::pix_fmt_facts(pix_fmt);
        // The staging picture that swscale reads is 16-bit.
        let bits = if direct.is_some() { facts.bits } else { 16 };
        let staged = direct.is_none() && ycbcr_format.is_none();
        if matches!(self.codec, Codec::H264 | Codec::H265 | Codec::ProresHq)
            && (!width.is_multiple_of(2)
                || (!height.is_multiple_of(2) && !matches!(self.codec, Codec::ProresHq)))
        {
            return Err(self.out_err(format!(
                "{} stores colour at reduced resolution ({}) and needs even dimensions, \
                 but frames are {width}x{height}; crop or pad by a pixel, or use prores-4444 or ffv1",
                self.codec, facts.name
            )));
        }

        let temp = self.atomic.temp().to_path_buf();
        let mut octx = ff::format::output(&temp).map_err(|e| {
            self.out_err(format!(
                "cannot create the output file: {}; check the folder is writable and the \
                 extension is .mov, .mkv or .mp4",
                describe(&e)
            ))
        })?;
        let global_header = octx
            .format()
            .flags()
            .contains(ff::format::flag::Flags::GLOBAL_HEADER);

        let rate = if self.info.frame_rate.is_valid() {
            self.info.frame_rate
        } else {
            Rational::new(24, 1)
        };
        let encoder_tb = ff::Rational::new(rate.den as i32, rate.num as i32);
        let sar = if self.info.pixel_aspect.is_valid() {
            self.info.pixel_aspect
        } else {
            Rational::new(1, 1)
        };

        let mut enc = ff::codec::context::Context::new_with_codec(codec)
            .encoder()
            .video()
            .map_err(|e| {
                self.out_err(format!(
                    "cannot set up {}: {}",
                    self.encoder_name,
                    describe(&e)
                ))
            })?;
        enc.set_width(width as u32);
        enc.set_height(height as u32);
        enc.set_format(pix);
        enc.set_time_base(encoder_tb);
        enc.set_frame_rate(Some(ff_rational(rate)));
        enc.set_aspect_ratio(ff_rational(sar));
        // SAFETY: plain fields of a codec context that is not open yet.
        unsafe {
            let raw = enc.as_mut_ptr();
            if global_header {
                // Added to the encoder's own default flags, not in their
                // place: replacing them dropped libx264's closed GOPs.
                (*raw).flags |= ffi::AV_CODEC_FLAG_GLOBAL_HEADER as i32;
            }
            (*raw).color_primaries = primaries_tag(self.colour.primaries);
            (*raw).color_trc = transfer_tag(self.colour.transfer);
            (*raw).colorspace = if facts.rgb {
                ffi::AVColorSpace::AVCOL_SPC_RGB
            } else {
                matrix_tag(self.colour.matrix)
            };
            (*raw).color_range = if self.colour.full_range || facts.rgb {
                ffi::AVColorRange::AVCOL_RANGE_JPEG
            } else {
                ffi::AVColorRange::AVCOL_RANGE_MPEG
            };
            if matches!(self.codec, Codec::Ffv1) {
                (*raw).bits_per_raw_sample = facts.bits as i32;
            }
        }
        let mut dict = ff::Dictionary::new();
        dict.set("threads", &self.threads.to_string());
        match self.codec {
            Codec::ProresHq => {
                dict.set("profile", "hq");
                dict.set("vendor", "apl0");
            }
            Codec::Prores4444 => {
                dict.set("profile", "4444");
                dict.set("vendor", "apl0");
            }
            Codec::Ffv1 => {
                dict.set("level", "3");
                dict.set("slicecrc", "1");
                dict.set("g", "1");
            }
            Codec::H264 => {
                dict.set("preset", "medium");
                dict.set("crf", &self.crf.unwrap_or(18).to_string());
            }
            Codec::H265 => {
                dict.set("preset", "medium");
                dict.set("crf", &self.crf.unwrap_or(20).to_string());
                dict.set("x265-params", "log-level=error");
            }
            _ => {}
        }
        let encoder = enc.open_with(dict).map_err(|e| {
            self.out_err(format!(
                "cannot open the {} encoder for {width}x{height} {}: {}",
                self.encoder_name,
                facts.name,
                describe(&e)
            ))
        })?;

        let stream_index = {
            let mut ost = octx.add_stream(codec).map_err(|e| {
                self.out_err(format!("cannot add a video stream: {}", describe(&e)))
            })?;
            ost.set_parameters(&encoder);
            let stream_tb = if self.info.time_base.is_valid() {
                ff_rational(self.info.time_base)
            } else {
                encoder_tb
            };
            ost.set_time_base(stream_tb);
            ost.set_avg_frame_rate(ff_rational(rate));
            ost.set_rate(ff_rational(rate));
            // SAFETY: plain fields of a stream not yet written.
            unsafe {
                let raw = ost.as_mut_ptr();
                (*raw).sample_aspect_ratio = ffi::AVRational {
                    num: sar.num as i32,
                    den: sar.den as i32,
                };
                let fmt_name = octx_name(&temp);
                if matches!(self.codec, Codec::H265) && (fmt_name == "mov" || fmt_name == "mp4") {
                    // `hvc1` is what Apple players require for HEVC.
                    (*(*raw).codecpar).codec_tag = u32::from_le_bytes(*b"hvc1");
                }
            }
            ost.index()
        };
        let mut passthrough = match &self.carry {
            Some(c) => {
                Passthrough::attach(c.clone(), &mut octx, stream_index, first_index, &self.path)?
            }
            None => None,
        };
        octx.write_header().map_err(|e| {
            self.out_err(format!(
                "cannot write the file header ({} in this container?): {}",
                self.codec,
                describe(&e)
            ))
        })?;
        let stream_tb = octx
            .stream(stream_index)
            .map(|s| s.time_base())
            .unwrap_or(encoder_tb);
        if let Some(p) = passthrough.as_mut() {
            p.header_written(&octx);
        }

        let staging_stride = width.div_ceil(32) * 32;
        let scaler = if !staged {
            None
        } else {
            Some(
                Scaler::new(
                    width,
                    height,
                    planar16_format(count),
                    pix_fmt,
                    self.colour.matrix,
                    true,
                    self.colour.full_range,
                )
                .ok_or_else(|| {
                    self.out_err(format!(
                        "cannot convert RGB to {} for {}",
                        facts.name, self.codec
                    ))
                })?,
            )
        };
        Ok(Open {
            octx,
            encoder,
            stream_index,
            encoder_tb,
            stream_tb,
            width,
            height,
            count,
            direct,
            ycbcr: ycbcr_format.map(|f| {
                LinearToYuv::new(
                    f,
                    width,
                    height,
                    self.colour.matrix,
                    self.colour.full_range,
                    Quantiser::unit(self.colour.transfer),
                )
            }),
            quantiser: Quantiser::new(self.colour.transfer, bits),
            staging: if staged {
                vec![0; staging_stride * height * count]
            } else {
                Vec::new()
            },
            staging_stride,
            scaler,
            straight: None,
            pix_fmt: pix,
            pool: Vec::new(),
            packet: ff::Packet::empty(),
            passthrough,
        })
    }
}

/// The encoder's picture format for a Y'CbCr codec; `None` for FFV1 (RGB)
/// and image codecs.
fn ycbcr_format(codec: Codec, alpha: bool) -> Option<ffi::AVPixelFormat> {
    use ffi::AVPixelFormat::*;
    match codec {
        Codec::ProresHq => Some(AV_PIX_FMT_YUV422P10LE),
        Codec::Prores4444 if alpha => Some(AV_PIX_FMT_YUVA444P10LE),
        Codec::Prores4444 => Some(AV_PIX_FMT_YUV444P10LE),
        Codec::H264 => Some(AV_PIX_FMT_YUV420P),
        Codec::H265 => Some(AV_PIX_FMT_YUV420P10LE),
        _ => None,
    }
}

/// Short muxer name FFmpeg would choose for `path`.
fn octx_name(path: &std::path::Path) -> String {
    match crate::extension(&path.to_string_lossy()).as_str() {
        "mov" => "mov".into(),
        "mp4" | "m4v" => "mp4".into(),
        other => other.to_string(),
    }
}

/// How [`FrameSink::write`] fills an encoder picture without swscale.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Direct {
    /// Planar 10-, 12- or 16-bit G, B, R (A) or grey.
    Planar,
    /// Packed 8-bit `bgr0` or `bgra`.
    Bgrx8,
    /// 8-bit grey.
    Grey8,
}

impl Direct {
    /// The direct layout of `fmt` holding `count` planes' worth, if any.
    fn of(fmt: ffi::AVPixelFormat, count: usize) -> Option<Direct> {
        use ffi::AVPixelFormat::*;
        match fmt {
            AV_PIX_FMT_GRAY8 if count == 1 => Some(Direct::Grey8),
            AV_PIX_FMT_BGR0 if count == 3 => Some(Direct::Bgrx8),
            AV_PIX_FMT_BGRA if count == 4 => Some(Direct::Bgrx8),
            f if [10, 12, 16]
                .iter()
                .any(|&b| planar_format(b, count) == Some(f)) =>
            {
                Some(Direct::Planar)
            }
            _ => None,
        }
    }
}

/// The FFV1 picture format for `bits` bits and `count` planes (1 grey, 3
/// RGB, 4 RGBA). FFV1 in FFmpeg 5.1 refuses 8-bit `gbrp`, so 8-bit colour
/// is packed `bgr0`/`bgra`.
fn ffv1_format(bits: u32, count: usize) -> ffi::AVPixelFormat {
    use ffi::AVPixelFormat::*;
    match (bits, count) {
        (8, 1) => AV_PIX_FMT_GRAY8,
        (8, 4) => AV_PIX_FMT_BGRA,
        (8, _) => AV_PIX_FMT_BGR0,
        (b, c) => planar_format(b, c).unwrap_or_else(|| planar16_format(c)),
    }
}

/// Native-endian planar formats of 10, 12 or 16 bits for 1, 3 or 4 planes.
fn planar_format(bits: u32, count: usize) -> Option<ffi::AVPixelFormat> {
    use ffi::AVPixelFormat::*;
    if bits == 16 {
        return Some(planar16_format(count));
    }
    if cfg!(target_endian = "big") {
        return None;
    }
    Some(match (bits, count) {
        (10, 1) => AV_PIX_FMT_GRAY10LE,
        (10, 4) => AV_PIX_FMT_GBRAP10LE,
        (10, _) => AV_PIX_FMT_GBRP10LE,
        (12, 1) => AV_PIX_FMT_GRAY12LE,
        (12, 4) => AV_PIX_FMT_GBRAP12LE,
        (12, _) => AV_PIX_FMT_GBRP12LE,
        _ => return None,
    })
}

/// Refuse codec/container pairs FFmpeg cannot mux, with the fix in words.
fn check_container(path: &str, codec: Codec, id: ff::codec::Id) -> Result<()> {
    let c_path = std::ffi::CString::new(path)
        .map_err(|_| Error::output(path, "path contains a NUL byte"))?;
    // SAFETY: guessing a muxer by file name; null arguments are allowed.
    let fmt = unsafe { ffi::av_guess_format(std::ptr::null(), c_path.as_ptr(), std::ptr::null()) };
    if fmt.is_null() {
        return Err(Error::output(
            path,
            format!(
                "unknown container extension; use .mov, .mkv or .mp4 for {codec}, or an \
                 image pattern such as out.####.exr"
            ),
        ));
    }
    // SAFETY: fmt is a static muxer description.
    let ok = unsafe { ffi::avformat_query_codec(fmt, id.into(), ffi::FF_COMPLIANCE_NORMAL) };
    if ok == 0 {
        let ext = crate::extension(path);
        let hint = match codec {
            Codec::ProresHq | Codec::Prores4444 => ".mov or .mkv",
            _ => ".mov or .mkv",
        };
        return Err(Error::output(
            path,
            format!("{codec} cannot be stored in a .{ext} file; use {hint}"),
        ));
    }
    Ok(())
}

fn transfer_tag(t: Transfer) -> ffi::AVColorTransferCharacteristic {
    use ffi::AVColorTransferCharacteristic::*;
    match t {
        Transfer::Linear => AVCOL_TRC_LINEAR,
        Transfer::Srgb => AVCOL_TRC_IEC61966_2_1,
        // FFmpeg has no BT.1886 tag; BT.709 is what such files carry.
        Transfer::Bt709 | Transfer::Bt1886 => AVCOL_TRC_BT709,
        Transfer::Gamma22 => AVCOL_TRC_GAMMA22,
    }
}

fn matrix_tag(m: Matrix) -> ffi::AVColorSpace {
    use ffi::AVColorSpace::*;
    match m {
        Matrix::Rgb => AVCOL_SPC_RGB,
        Matrix::Bt709 => AVCOL_SPC_BT709,
        Matrix::Bt601 => AVCOL_SPC_SMPTE170M,
        Matrix::Bt2020 => AVCOL_SPC_BT2020_NCL,
    }
}

fn primaries_tag(p: Primaries) -> ffi::AVColorPrimaries {
    use ffi::AVColorPrimaries::*;
    match p {
        Primaries::Bt709 | Primaries::Unknown => AVCOL_PRI_BT709,
        Primaries::Bt601 => AVCOL_PRI_SMPTE170M,
        Primaries::Bt2020 => AVCOL_PRI_BT2020,
    }
}

impl Open {
    /// Stamp pool frame `slot` as output frame `pts`, tag it as the
    /// stream is tagged, and encode it.
    fn send(
        &mut self,
        target: &mut ff::frame::Video,
        pts: i64,
        index: i64,
        path: &str,
    ) -> Result<()> {
        target.set_pts(Some(pts));
        // SAFETY: plain fields of a frame we own. Some encoders (prores_ks)
        // tag the bitstream from the frame rather than the codec context.
        // The decoder's picture type is dropped, as the `ffmpeg` tool does:
        // x264 would otherwise key every frame the source keyed.
        unsafe {
            let raw = target.as_mut_ptr();
            let ctx = self.encoder.as_ptr();
            (*raw).color_primaries = (*ctx).color_primaries;
            (*raw).color_trc = (*ctx).color_trc;
            (*raw).colorspace = (*ctx).colorspace;
            (*raw).color_range = (*ctx).color_range;
            (*raw).sample_aspect_ratio = (*ctx).sample_aspect_ratio;
            (*raw).pict_type = ffi::AVPictureType::AV_PICTURE_TYPE_NONE;
        }
        self.encoder.send_frame(target).map_err(|e| {
            Error::output(
                path,
                format!("encoder rejected frame {index}: {}", describe(&e)),
            )
        })?;
        self.drain(path)
    }

    /// A frame buffer the encoder no longer references.
    fn writable_frame(&mut self) -> usize {
        for (i, f) in self.pool.iter_mut().enumerate() {
            // SAFETY: checking the reference count of an allocated frame.
            if unsafe { ffi::av_frame_is_writable(f.as_mut_ptr()) } != 0 {
                return i;
            }
        }
        self.pool.push(ff::frame::Video::new(
            self.pix_fmt,
            self.width as u32,
            self.height as u32,
        ));
        self.pool.len() - 1
    }

    /// Pass all packets the encoder has ready to the muxer.
    fn drain(&mut self, path: &str) -> Result<()> {
        loop {
            match self.encoder.receive_packet(&mut self.packet) {
                Ok(()) => {
                    self.packet.set_stream(self.stream_index);
                    self.packet.rescale_ts(self.encoder_tb, self.stream_tb);
                    self.packet.write_interleaved(&mut self.octx).map_err(|e| {
                        Error::output(path, format!("write failed: {}", describe(&e)))
                    })?;
                }
                Err(ff::Error::Eof) => return Ok(()),
                Err(ff::Error::Other { errno }) if errno == ffi::EAGAIN => return Ok(()),
                Err(e) => {
                    return Err(Error::output(
                        path,
                        format!("encoding failed: {}", describe(&e)),
                    ))
                }
            }
        }
    }
}

impl FrameSink for VideoSink {
    fn write(&mut self, frame: &Frame) -> Result<()> {
        frame.check_layout()?;
        if self.open.is_none() {
            let open = self.open(frame.width, frame.height, frame.channels, frame.index)?;
            self.open = Some(open);
        }
        let path = self.path.clone();
        let pts = self.written;
        let Some(open) = self.open.as_mut() else {
            return Err(Error::Internal("encoder not open".into()));
        };
        if frame.width != open.width || frame.height != open.height {
            return Err(Error::output(
                &path,
                format!(
                    "frame {} is {}x{} but the video was started at {}x{}; all frames \
                     of one output must have the same size",
                    frame.index, frame.width, frame.height, open.width, open.height
                ),
            ));
        }
        if let Some(p) = open.passthrough.as_mut() {
            p.frame(frame.index, pts, self.info.frame_rate, &mut open.octx)?;
        }
        let slot = open.writable_frame();
        let count = open.count;
        let mut target_ptr = [std::ptr::null_mut::<u8>(); 4];
        let mut target_stride = [0i32; 4];
        // SAFETY: the pool frame was allocated for this size and format.
        unsafe {
            let raw = &*open.pool[slot].as_mut_ptr();
            target_ptr.copy_from_slice(&raw.data[..4]);
            target_stride.copy_from_slice(&raw.linesize[..4]);
        }
        let stride = target_stride.map(|s| s.max(0) as usize);
        let picture = match open.direct {
            Some(Direct::Planar) => Some(Picture::Planar(Planes16 {
                ptr: target_ptr.map(|p| p as *mut u16),
                stride: stride.map(|s| s / 2),
                count,
            })),
            Some(Direct::Bgrx8) => Some(Picture::Bgrx8 {
                ptr: target_ptr[0],
                stride: stride[0],
            }),
            Some(Direct::Grey8) => Some(Picture::Grey8 {
                ptr: target_ptr[0],
                stride: stride[0],
            }),
            None => None,
        };
        if let Some(picture) = picture {
            // SAFETY: the pool frame was allocated for this size and a
            // format of this layout.
            unsafe { frame_to_picture(frame, picture, &open.quantiser) };
        } else if let Some(ycbcr) = &open.ycbcr {
            let target = YuvTarget {
                data: target_ptr,
                linesize: target_stride.map(|s| s as isize),
            };
            // SAFETY: the pool frame was allocated for this size and the
            // converter's format, and the encoder no longer reads it.
            unsafe { ycbcr.convert(frame, &target) };
        } else {
            let stride = open.staging_stride;
            let plane_len = stride * open.height;
            let base = open.staging.as_mut_ptr();
            let mut ptr = [std::ptr::null_mut::<u16>(); 4];
            for (p, slot) in ptr.iter_mut().enumerate().take(count) {
                // SAFETY: staging holds `count` planes of `plane_len`.
                *slot = unsafe { base.add(p * plane_len) };
            }
            let planes = Planes16 {
                ptr,
                stride: [stride; 4],
                count,
            };
            // SAFETY: staging planes match the frame size.
            unsafe { frame_to_picture(frame, Picture::Planar(planes), &open.quantiser) };
            let src = ptr.map(|p| p as *const u8);
            let bytes = (stride * 2) as i32;
            let src_stride = [bytes, bytes, bytes, if count == 4 { bytes } else { 0 }];
            if let Some(scaler) = open.scaler.as_mut() {
                // SAFETY: both pictures match the scaler's size and formats.
                unsafe { scaler.scale(&src, &src_stride, &target_ptr, &target_stride) };
            }
        }
        let mut target = std::mem::replace(&mut open.pool[slot], ff::frame::Video::empty());
        let sent = open.send(&mut target, pts, frame.index, &path);
        open.pool[slot] = target;
        sent?;
        self.written += 1;
        Ok(())
    }

    fn as_any_mut(&mut self) -> Option<&mut dyn std::any::Any> {
        Some(self)
    }

    fn finish(mut self: Box<Self>) -> Result<()> {
        let path = self.path.clone();
        let Some(mut open) = self.open.take() else {
            return Err(Error::output(
                &path,
                "no frames were written, so there is nothing to publish",
            ));
        };
        open.encoder.send_eof().map_err(|e| {
            Error::output(&path, format!("cannot flush the encoder: {}", describe(&e)))
        })?;
        open.drain(&path)?;
        if let Some(p) = open.passthrough.as_mut() {
            p.finish(&mut open.octx)?;
        }
        open.octx.write_trailer().map_err(|e| {
            Error::output(&path, format!("cannot finish the file: {}", describe(&e)))
        })?;
        // Close the file before it is moved into place.
        drop(open);
        let VideoSink { atomic, .. } = *self;
        atomic.commit()
    }
}
