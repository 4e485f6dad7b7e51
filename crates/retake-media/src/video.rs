//! Video decoding through FFmpeg: any file libavformat reads becomes a
//! stream of scene-linear float frames, numbered 0, 1, 2, ... in display
//! order, with the stream's YCbCr matrix, range and curve undone exactly
//! once.

use std::sync::Once;

use ff::ffi;
use ff::format::context::Input;
use ff::media::Type as MediaType;
use ffmpeg_next as ff;
use retake_core::{ClipInfo, ColourTags, Error, Frame, FrameSource, Matrix, Primaries};
use retake_core::{Rational, Result, Transfer};

use crate::convert::{planar16_format, planes_to_frame, DecodeLut, Planes16, Scaler};
use crate::timing::Timing;
use crate::yuv::{YuvFormat, YuvPlanes, YuvToLinear};
use crate::SourceOptions;

/// Initialise FFmpeg once per process, its own log silenced (see
/// [`crate::ffmpeg_log_level`]): Retake's message names the file and says
/// what to do, FFmpeg's lines before it only confuse.
pub(crate) fn init() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let _ = ff::init();
        ff::util::log::set_level(crate::ffmpeg_log_level());
    });
}

/// FFmpeg's error text for a return code, for messages users read.
pub(crate) fn describe(e: &ff::Error) -> String {
    e.to_string()
}

/// Facts of a video file, without opening its decoder.
/// The frame count is the true one (see [`crate::timing`]); a variable
/// frame rate is reported as the average rate, not refused.
pub fn probe(path: &str, opts: &SourceOptions) -> Result<ClipInfo> {
    let input = open_input(path)?;
    let stream = best_video_stream(&input, path)?;
    let timing = crate::timing::scan(&input, path, stream.index())?;
    let info = clip_info(path, &input, &stream, &timing, opts);
    retake_core::limits::check_size(path, info.width as u64, info.height as u64)?;
    Ok(info)
}

/// Whether `path`'s picture stream has a variable frame rate, as the
/// shortest and longest frame duration in seconds.
pub fn variable_rate(path: &str) -> Result<Option<(f64, f64)>> {
    let input = open_input(path)?;
    let stream = best_video_stream(&input, path)?;
    Ok(crate::timing::scan(&input, path, stream.index())?.variable)
}

/// Refuse to flatten a variable frame rate unless the user chose a rate.
fn check_constant_rate(path: &str, timing: &Timing, opts: &SourceOptions) -> Result<()> {
    match (timing.variable, opts.frame_rate) {
        (Some((short, long)), None) => Err(Error::input(
            path,
            format!(
                "has a variable frame rate (frames last from {short:.4} to {long:.4} s); \
                 Retake renders at a constant rate and will not retime it silently: pass \
                 --fps RATE (e.g. --fps 25 or 24000/1001) to take its frames in order at \
                 that constant rate, or convert it to a constant rate first"
            ),
        )),
        (Some(_), Some(rate)) => {
            log::warn!(
                "{path}: variable frame rate taken frame by frame at the constant {rate} fps \
                 (--fps); its sound keeps its own timing and may drift from the pictures"
            );
            Ok(())
        }
        _ => Ok(()),
    }
}

fn open_input(path: &str) -> Result<Input> {
    init();
    let p = std::path::Path::new(path);
    if !p.exists() {
        return Err(Error::input(path, "file not found"));
    }
    if p.is_dir() {
        return Err(Error::input(
            path,
            "is a folder; give a video file or an image-sequence pattern such as shot.####.exr",
        ));
    }
    ff::format::input(&path).map_err(|e| {
        Error::input(
            path,
            format!("not a readable video or image: {}", describe(&e)),
        )
    })
}

fn best_video_stream<'a>(input: &'a Input, path: &str) -> Result<ff::format::stream::Stream<'a>> {
    input.streams().best(MediaType::Video).ok_or_else(|| {
        Error::input(
            path,
            "has no video stream (audio-only or data file?); give a file with pictures",
        )
    })
}

fn rational(r: ff::Rational) -> Rational {
    Rational::new(r.numerator() as i64, r.denominator() as i64)
}

/// Pixel-format facts: bits per component, alpha, RGB storage, name.
pub(crate) struct PixFmtFacts {
    pub bits: u32,
    pub alpha: bool,
    pub rgb: bool,
    pub name: String,
}

/// The pixel format a raw `format` field names, matched against the formats
/// libavutil describes: a value none of them has (a damaged or hostile file)
/// becomes `AV_PIX_FMT_NONE`, never an enum value that does not exist.
pub(crate) fn pixel_format(raw: i32) -> ffi::AVPixelFormat {
    let mut desc = std::ptr::null();
    loop {
        // SAFETY: the iterator takes null or the descriptor it returned last.
        desc = unsafe { ffi::av_pix_fmt_desc_next(desc) };
        if desc.is_null() {
            return ffi::AVPixelFormat::AV_PIX_FMT_NONE;
        }
        // SAFETY: `desc` is a descriptor libavutil just returned.
        let id = unsafe { ffi::av_pix_fmt_desc_get_id(desc) };
        if id as i32 == raw {
            return id;
        }
    }
}

/// The 16-bit code swscale (FFmpeg 5.1) gives white when it turns a
/// picture of `fmt` into 16-bit planar RGB: it shifts n-bit RGB left
/// (8-bit 255 becomes 65280, 10-bit 1023 becomes 65472) and puts Y'CbCr
/// white at 255 << 8, where true scale is 65535. Grey and 16-bit RGB keep
/// 65535.
pub(crate) fn swscale_white(fmt: ffi::AVPixelFormat) -> f32 {
    // SAFETY: av_pix_fmt_desc_get returns null or a static descriptor.
    let Some(d) = (unsafe { ffi::av_pix_fmt_desc_get(fmt).as_ref() }) else {
        return 65535.0;
    };
    let bits = (d.comp[0].depth as u32).clamp(1, 16);
    let rgb = d.flags as i32 & ffi::AV_PIX_FMT_FLAG_RGB != 0;
    if rgb {
        (((1u32 << bits) - 1) << (16 - bits)) as f32
    } else if d.nb_components >= 3 {
        65280.0
    } else {
        65535.0
    }
}

pub(crate) fn pix_fmt_facts(fmt: ffi::AVPixelFormat) -> PixFmtFacts {
    // SAFETY: av_pix_fmt_desc_get returns null or a static descriptor.
    unsafe {
        let desc = ffi::av_pix_fmt_desc_get(fmt);
        if desc.is_null() {
            return PixFmtFacts {
                bits: 8,
                alpha: false,
                rgb: false,
                name: "unknown".into(),
            };
        }
        let d = &*desc;
        let flags = d.flags as i32;
        PixFmtFacts {
            bits: d.comp[0].depth as u32,
            alpha: flags & ffi::AV_PIX_FMT_FLAG_ALPHA != 0,
            rgb: flags & ffi::AV_PIX_FMT_FLAG_RGB != 0 || d.nb_components <= 2,
            name: std::ffi::CStr::from_ptr(d.name)
                .to_string_lossy()
                .into_owned(),
        }
    }
}

/// The curve a `color_trc` tag stands for; `None` when untagged or unknown.
fn transfer_from_tag(trc: ffi::AVColorTransferCharacteristic) -> Option<Transfer> {
    use ffi::AVColorTransferCharacteristic::*;
    match trc {
        AVCOL_TRC_BT709 | AVCOL_TRC_SMPTE170M | AVCOL_TRC_BT2020_10 | AVCOL_TRC_BT2020_12
        | AVCOL_TRC_SMPTE240M => Some(Transfer::Bt709),
        AVCOL_TRC_IEC61966_2_1 => Some(Transfer::Srgb),
        AVCOL_TRC_LINEAR => Some(Transfer::Linear),
        AVCOL_TRC_GAMMA22 => Some(Transfer::Gamma22),
        _ => None,
    }
}

fn matrix_from_tag(spc: ffi::AVColorSpace) -> Option<Matrix> {
    use ffi::AVColorSpace::*;
    match spc {
        AVCOL_SPC_BT709 => Some(Matrix::Bt709),
        AVCOL_SPC_BT470BG | AVCOL_SPC_SMPTE170M | AVCOL_SPC_FCC => Some(Matrix::Bt601),
        AVCOL_SPC_BT2020_NCL | AVCOL_SPC_BT2020_CL => Some(Matrix::Bt2020),
        AVCOL_SPC_RGB => Some(Matrix::Rgb),
        _ => None,
    }
}

fn primaries_from_tag(pri: ffi::AVColorPrimaries) -> Option<Primaries> {
    use ffi::AVColorPrimaries::*;
    match pri {
        AVCOL_PRI_BT709 => Some(Primaries::Bt709),
        AVCOL_PRI_BT470BG | AVCOL_PRI_SMPTE170M | AVCOL_PRI_SMPTE240M => Some(Primaries::Bt601),
        AVCOL_PRI_BT2020 => Some(Primaries::Bt2020),
        AVCOL_PRI_UNSPECIFIED | AVCOL_PRI_RESERVED | AVCOL_PRI_RESERVED0 => None,
        _ => Some(Primaries::Unknown),
    }
}

/// Colour tags of a stream, filling what is untagged the way players do
/// (BT.709 for HD, BT.601 for SD) and saying so in `guessed`.
fn stream_colour(par: &ffi::AVCodecParameters, facts: &PixFmtFacts, height: usize) -> ColourTags {
    let fallback = ColourTags::untagged_video(height);
    let transfer = transfer_from_tag(par.color_trc);
    let matrix = if facts.rgb {
        Some(Matrix::Rgb)
    } else {
        matrix_from_tag(par.color_space).filter(|m| *m != Matrix::Rgb)
    };
    let primaries = primaries_from_tag(par.color_primaries);
    let yuvj = facts.name.starts_with("yuvj");
    let full_range = match par.color_range {
        ffi::AVColorRange::AVCOL_RANGE_JPEG => true,
        ffi::AVColorRange::AVCOL_RANGE_MPEG => false,
        _ => facts.rgb || yuvj,
    };
    ColourTags {
        transfer: transfer.unwrap_or(fallback.transfer),
        matrix: matrix.unwrap_or(fallback.matrix),
        primaries: primaries.unwrap_or(fallback.primaries),
        full_range,
        guessed: transfer.is_none() || matrix.is_none(),
    }
}

fn clip_info(
    path: &str,
    input: &Input,
    stream: &ff::format::stream::Stream,
    timing: &Timing,
    opts: &SourceOptions,
) -> ClipInfo {
    // SAFETY: the stream and its codecpar live as long as `input`.
    let par = unsafe { &*(*stream.as_ptr()).codecpar };
    let width = par.width.max(0) as usize;
    let height = par.height.max(0) as usize;
    let pix_fmt = pixel_format(par.format);
    let facts = pix_fmt_facts(pix_fmt);
    let mut colour = stream_colour(par, &facts, height);
    if let Some(t) = opts.transfer {
        colour.transfer = t;
    }

    let avg = rational(stream.avg_frame_rate());
    let frame_rate = if avg.is_valid() {
        avg
    } else {
        let r = rational(stream.rate());
        if r.is_valid() {
            r
        } else {
            log::warn!("{path}: no frame rate in the file; assuming 24 fps");
            Rational::new(24, 1)
        }
    };
    let mut time_base = rational(stream.time_base());
    let frame_rate = match opts.frame_rate {
        Some(forced) => {
            time_base = Rational::new(forced.den, forced.num);
            forced
        }
        None => frame_rate,
    };
    // Containers (mov `pasp`) put the pixel aspect on the stream; codecs
    // (H.264 VUI) on the parameters. The stream's wins, as in ffprobe.
    // SAFETY: reading a field of a stream that lives as long as `input`.
    let stream_sar = unsafe { (*stream.as_ptr()).sample_aspect_ratio };
    let sar = if stream_sar.num > 0 && stream_sar.den > 0 {
        Rational::new(stream_sar.num as i64, stream_sar.den as i64)
    } else {
        Rational::new(
            par.sample_aspect_ratio.num as i64,
            par.sample_aspect_ratio.den as i64,
        )
    };
    let pixel_aspect = if sar.is_valid() {
        sar
    } else {
        Rational::new(1, 1)
    };

    // The packets are the truth; a duration-based estimate is only used
    // for a stream with no packets listed (then it is at best a guess).
    let frames = if timing.frames > 0 {
        Some(timing.frames)
    } else if stream.frames() > 0 {
        Some(stream.frames() as u64)
    } else {
        None
    };
    if let (Some(n), true) = (frames, stream.frames() <= 0) {
        let secs = if input.duration() > 0 {
            input.duration() as f64 / f64::from(ffi::AV_TIME_BASE)
        } else {
            0.0
        };
        let estimate = (secs * frame_rate.as_f64()).round() as u64;
        if estimate != n && estimate > 0 {
            log::info!("{path}: {n} frames counted; its header suggests {estimate}");
        }
    }

    ClipInfo {
        path: path.to_string(),
        format: input.format().name().to_string(),
        codec: par_codec_name(par),
        width,
        height,
        frames,
        fps: frame_rate.as_f64(),
        frame_rate,
        time_base,
        pixel_aspect,
        first_frame: 0,
        has_alpha: facts.alpha,
        bit_depth: facts.bits,
        pixel_format: facts.name,
        colour,
    }
}

fn par_codec_name(par: &ffi::AVCodecParameters) -> String {
    // SAFETY: avcodec_get_name always returns a static string.
    unsafe {
        std::ffi::CStr::from_ptr(ffi::avcodec_get_name(par.codec_id))
            .to_string_lossy()
            .into_owned()
    }
}

/// Sequential FFmpeg decoder yielding linear float frames.
pub struct VideoSource {
    info: ClipInfo,
    path: String,
    input: Input,
    stream_index: usize,
    decoder: ff::decoder::Video,
    decoded: ff::frame::Video,
    scaler: Option<(ScalerKey, Scaler)>,
    /// The one-pass converter for planar YCbCr pictures (most video).
    fused: Option<(ScalerKey, YuvToLinear)>,
    codes: Vec<u16>,
    lut: DecodeLut,
    /// The table for pictures swscale converts whose 16-bit white is not
    /// 65535 (8- to 12-bit RGB, NV12, packed 4:2:2, ...), and that white.
    swscale_lut: Option<(f32, DecodeLut)>,
    /// Index the next decoded frame gets.
    next_index: i64,
    /// The index of a picture decoded (while seeking, or by a straight
    /// copy that gave it back) but not yet handed out: it waits in
    /// `decoded` for the next `next_frame` or `next_picture`.
    pending: Option<i64>,
    /// Timestamp of frame 0, learnt from the first decoded frame.
    start_pts: Option<i64>,
    eof_sent: bool,
    finished: bool,
    /// False for a variable rate or a rate forced by `--fps`: frames are
    /// then found by counting from the start, never from timestamps.
    stamps_follow_rate: bool,
}

#[derive(Clone, Copy, PartialEq, Eq)]
struct ScalerKey {
    width: usize,
    height: usize,
    format: ffi::AVPixelFormat,
}

impl VideoSource {
    /// Open `path` and its best video stream with a multithreaded decoder.
    pub fn open(path: &str, opts: &SourceOptions) -> Result<VideoSource> {
        let input = open_input(path)?;
        let stamps_follow_rate;
        let (info, stream_index, decoder) = {
            let stream = best_video_stream(&input, path)?;
            let timing = crate::timing::scan(&input, path, stream.index())?;
            check_constant_rate(path, &timing, opts)?;
            // Timestamps locate frames only when frame n is at n / rate.
            stamps_follow_rate = timing.variable.is_none() && opts.frame_rate.is_none();
            let info = clip_info(path, &input, &stream, &timing, opts);
            retake_core::limits::check_size(path, info.width as u64, info.height as u64)?;
            let mut ctx = ff::codec::context::Context::from_parameters(stream.parameters())
                .map_err(|e| {
                    Error::input(
                        path,
                        format!("cannot read its video stream: {}", describe(&e)),
                    )
                })?;
            // SAFETY: setting plain fields on a not-yet-opened codec context.
            unsafe {
                let raw = ctx.as_mut_ptr();
                (*raw).thread_count = 0;
                (*raw).thread_type = ffi::FF_THREAD_FRAME | ffi::FF_THREAD_SLICE;
                (*raw).pkt_timebase = (*stream.as_ptr()).time_base;
            }
            let decoder = ctx.decoder().video().map_err(|e| {
                Error::input(
                    path,
                    format!(
                        "no decoder for its {} video in this FFmpeg build: {}",
                        info.codec,
                        describe(&e)
                    ),
                )
            })?;
            (info, stream.index(), decoder)
        };
        let transfer = info.colour.transfer;
        Ok(VideoSource {
            path: path.to_string(),
            input,
            stream_index,
            decoder,
            decoded: ff::frame::Video::empty(),
            scaler: None,
            fused: None,
            codes: Vec::new(),
            lut: DecodeLut::new(transfer, 16),
            swscale_lut: None,
            next_index: 0,
            pending: None,
            start_pts: None,
            eof_sent: false,
            finished: false,
            stamps_follow_rate,
            info,
        })
    }

    /// Decode the next picture into `self.decoded`; false at the end.
    fn decode_next(&mut self) -> Result<bool> {
        if self.finished {
            return Ok(false);
        }
        loop {
            match self.decoder.receive_frame(&mut self.decoded) {
                Ok(()) => {
                    if self.next_index == 0 && self.start_pts.is_none() {
                        self.start_pts = self.decoded.timestamp();
                    }
                    return Ok(true);
                }
                Err(ff::Error::Eof) => {
                    self.finished = true;
                    return Ok(false);
                }
                Err(ff::Error::Other { errno }) if errno == ffi::EAGAIN => {}
                Err(e) => {
                    return Err(Error::input(
                        &self.path,
                        format!(
                            "could not decode frame {}: {}",
                            self.next_index,
                            describe(&e)
                        ),
                    ))
                }
            }
            if self.eof_sent {
                // Drained after EOF with nothing left: the decoder is done.
                self.finished = true;
                return Ok(false);
            }
            self.feed()?;
        }
    }

    /// Send the next packet of our stream (or EOF) to the decoder.
    fn feed(&mut self) -> Result<()> {
        loop {
            let mut packet = ff::Packet::empty();
            match packet.read(&mut self.input) {
                Ok(()) => {
                    if packet.stream() != self.stream_index {
                        continue;
                    }
                    match self.decoder.send_packet(&packet) {
                        Ok(()) => return Ok(()),
                        Err(ff::Error::InvalidData) => {
                            log::warn!(
                                "{}: skipping a damaged packet near frame {}",
                                self.path,
                                self.next_index
                            );
                            continue;
                        }
                        Err(e) => {
                            return Err(Error::input(
                                &self.path,
                                format!(
                                    "decoder refused data near frame {}: {}",
                                    self.next_index,
                                    describe(&e)
                                ),
                            ))
                        }
                    }
                }
                Err(ff::Error::Eof) => {
                    self.eof_sent = true;
                    let _ = self.decoder.send_eof();
                    return Ok(());
                }
                Err(e) => {
                    return Err(Error::input(
                        &self.path,
                        format!(
                            "read error near frame {}: {}; the file may be truncated",
                            self.next_index,
                            describe(&e)
                        ),
                    ))
                }
            }
        }
    }

    /// Turn `self.decoded` into a linear float frame numbered `index`.
    fn convert(&mut self, index: i64) -> Result<Frame> {
        let width = self.decoded.width() as usize;
        let height = self.decoded.height() as usize;
        // SAFETY: reading the format field of a decoded frame.
        let format = pixel_format(unsafe { (*self.decoded.as_ptr()).format });
        let key = ScalerKey {
            width,
            height,
            format,
        };
        if let Some(yuv) = YuvFormat::of(format) {
            return self.convert_ycbcr(key, yuv, index);
        }
        let facts = pix_fmt_facts(format);
        let count = if facts.alpha { 4 } else { 3 };
        if self.scaler.as_ref().map(|s| s.0) != Some(key) {
            let colour = self.info.colour;
            let scaler = Scaler::new(
                width,
                height,
                format,
                planar16_format(count),
                colour.matrix,
                colour.full_range,
                true,
            )
            .ok_or_else(|| {
                Error::input(
                    &self.path,
                    format!(
                        "cannot convert its {} pictures ({width}x{height}) to RGB",
                        facts.name
                    ),
                )
            })?;
            self.scaler = Some((key, scaler));
        }
        // Rows padded to 64 bytes keep swscale on its aligned fast paths.
        let stride = width.div_ceil(32) * 32;
        let plane_len = stride * height;
        self.codes.resize(plane_len * count, 0);
        let mut src = [std::ptr::null::<u8>(); 4];
        let mut src_stride = [0i32; 4];
        // SAFETY: a decoded frame's data/linesize arrays are valid.
        unsafe {
            let raw = &*self.decoded.as_ptr();
            for (i, p) in raw.data[..4].iter().enumerate() {
                src[i] = *p;
            }
            src_stride.copy_from_slice(&raw.linesize[..4]);
        }
        let base = self.codes.as_mut_ptr();
        let mut ptr = [std::ptr::null_mut::<u16>(); 4];
        for (p, slot) in ptr.iter_mut().enumerate().take(count) {
            // SAFETY: `codes` holds `count` planes of `plane_len` samples.
            *slot = unsafe { base.add(p * plane_len) };
        }
        let dst = ptr.map(|p| p as *mut u8);
        let bytes = (stride * 2) as i32;
        let dst_stride = [bytes, bytes, bytes, if count == 4 { bytes } else { 0 }];
        if let Some((_, scaler)) = self.scaler.as_mut() {
            // SAFETY: src describes the decoded frame the scaler was made
            // for; dst holds `count` planes of stride*height samples.
            unsafe { scaler.scale(&src, &src_stride, &dst, &dst_stride) };
        }
        let planes = Planes16 {
            ptr,
            stride: [stride; 4],
            count,
        };
        let white = swscale_white(format);
        let lut = if white == 65535.0 {
            &self.lut
        } else {
            if self.swscale_lut.as_ref().map(|l| l.0) != Some(white) {
                let lut = DecodeLut::with_white(self.info.colour.transfer, white);
                self.swscale_lut = Some((white, lut));
            }
            match &self.swscale_lut {
                Some((_, lut)) => lut,
                None => &self.lut,
            }
        };
        // SAFETY: the planes were just filled for this size.
        Ok(unsafe { planes_to_frame(planes, width, height, lut, index) })
    }

    /// Planar YCbCr `self.decoded` to linear float in one pass.
    fn convert_ycbcr(&mut self, key: ScalerKey, format: YuvFormat, index: i64) -> Result<Frame> {
        if self.fused.as_ref().map(|f| f.0) != Some(key) {
            let colour = self.info.colour;
            let converter = YuvToLinear::new(
                format,
                key.width,
                key.height,
                colour.matrix,
                colour.full_range,
            );
            self.fused = Some((key, converter));
        }
        // SAFETY: a decoded frame's data/linesize arrays are valid.
        let planes = unsafe {
            let raw = &*self.decoded.as_ptr();
            YuvPlanes {
                data: [0, 1, 2, 3].map(|p| raw.data[p].cast_const()),
                linesize: [0, 1, 2, 3].map(|p| raw.linesize[p] as isize),
            }
        };
        let Some((_, converter)) = &self.fused else {
            return Err(Error::Internal("YCbCr converter missing".into()));
        };
        // SAFETY: the converter was made for this frame's size and format,
        // and the frame stays untouched during the call.
        Ok(unsafe { converter.convert(&planes, &self.lut, index) })
    }

    /// Decode the next picture and keep it as FFmpeg holds it (for
    /// [`crate::direct`]): its index, or `None` at the end.
    pub(crate) fn next_picture(&mut self) -> Result<Option<i64>> {
        if let Some(index) = self.pending.take() {
            return Ok(Some(index));
        }
        if !self.decode_next()? {
            return Ok(None);
        }
        let index = self.next_index;
        self.next_index += 1;
        Ok(Some(index))
    }

    /// The picture [`VideoSource::next_picture`] decoded last.
    pub(crate) fn picture(&self) -> &ff::frame::Video {
        &self.decoded
    }

    /// Give back the picture [`VideoSource::next_picture`] just decoded
    /// as `index`: the next `next_frame` hands it out (a copy that cannot
    /// go straight leaves the frames to the float pipeline).
    pub(crate) fn give_back(&mut self, index: i64) {
        self.pending = Some(index);
    }

    /// Index of the decoded frame from its timestamp, when it has one.
    fn index_of_decoded(&self) -> Option<i64> {
        let pts = self.decoded.timestamp()?;
        let start = self.start_pts?;
        let tb = self.info.time_base;
        let rate = self.info.frame_rate;
        if !tb.is_valid() || !rate.is_valid() {
            return None;
        }
        let secs = (pts - start) as f64 * tb.as_f64();
        Some((secs * rate.as_f64()).round() as i64)
    }

    /// Seek the demuxer to the keyframe at or before frame `index`.
    fn seek_demuxer(&mut self, index: i64) -> Result<()> {
        let tb = self.info.time_base;
        let rate = self.info.frame_rate;
        // SAFETY: reading a field of our open stream.
        let stream_start = unsafe {
            let st = *(*self.input.as_ptr()).streams.add(self.stream_index);
            (*st).start_time
        };
        let start = self
            .start_pts
            .or((stream_start != ffi::AV_NOPTS_VALUE).then_some(stream_start))
            .unwrap_or(0);
        let ts = if index <= 0 || !tb.is_valid() || !rate.is_valid() {
            start
        } else {
            let secs = index as f64 / rate.as_f64();
            start + (secs / tb.as_f64()).floor() as i64
        };
        // SAFETY: the format context is open; the stream index is ours.
        let ret = unsafe {
            ffi::av_seek_frame(
                self.input.as_mut_ptr(),
                self.stream_index as i32,
                ts,
                ffi::AVSEEK_FLAG_BACKWARD,
            )
        };
        if ret < 0 {
            return Err(Error::input(
                &self.path,
                format!(
                    "cannot seek to frame {index}: {}",
                    describe(&ff::Error::from(ret))
                ),
            ));
        }
        self.decoder.flush();
        self.eof_sent = false;
        self.finished = false;
        self.pending = None;
        Ok(())
    }

    /// Restart from the first frame, counting frames from zero.
    fn rewind(&mut self) -> Result<()> {
        self.seek_demuxer(0)?;
        self.next_index = 0;
        Ok(())
    }
}

impl FrameSource for VideoSource {
    fn info(&self) -> &ClipInfo {
        &self.info
    }

    fn as_any_mut(&mut self) -> Option<&mut dyn std::any::Any> {
        Some(self)
    }

    fn next_frame(&mut self) -> Result<Option<Frame>> {
        if let Some(index) = self.pending.take() {
            return self.convert(index).map(Some);
        }
        if !self.decode_next()? {
            return Ok(None);
        }
        let index = self.next_index;
        self.next_index += 1;
        self.convert(index).map(Some)
    }

    /// Frame-accurate seek: short hops forward decode and discard; longer
    /// or backward ones jump to the keyframe before the target through
    /// the timestamps and decode up to it, falling back to decoding from
    /// the start when the file's timestamps cannot be trusted.
    fn seek(&mut self, index: i64) -> Result<()> {
        if index < 0 {
            return Err(Error::parameter(
                "frames",
                format!(
                    "{}: frame {index} does not exist; video frames start at 0",
                    self.path
                ),
            ));
        }
        let current = self.pending.unwrap_or(self.next_index);
        if index == current {
            return Ok(());
        }
        let near = index > current && index - current <= 16;
        if !near {
            if self.start_pts.is_none() {
                // Learn frame 0's timestamp first.
                self.rewind()?;
                self.decode_next()?;
                self.rewind()?;
            }
            if self.start_pts.is_some() && index > 0 && self.stamps_follow_rate {
                self.seek_demuxer(index)?;
                // Find where the keyframe landed.
                if !self.decode_next()? {
                    return Ok(());
                }
                match self.index_of_decoded() {
                    Some(at) if at <= index => {
                        if at == index {
                            self.next_index = index + 1;
                            self.pending = Some(index);
                            return Ok(());
                        }
                        self.next_index = at + 1;
                    }
                    _ => {
                        log::debug!(
                            "{}: timestamp seek missed; decoding from the start",
                            self.path
                        );
                        self.rewind()?;
                    }
                }
            } else {
                self.rewind()?;
            }
        } else {
            self.pending = None;
        }
        // Decode and discard up to the target.
        while self.next_index < index {
            if !self.decode_next()? {
                return Ok(());
            }
            self.next_index += 1;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_pixel_formats_are_matched_not_transmuted() {
        let yuv = ffi::AVPixelFormat::AV_PIX_FMT_YUV420P;
        assert_eq!(pixel_format(yuv as i32), yuv);
        let gbr = ffi::AVPixelFormat::AV_PIX_FMT_GBRP16LE;
        assert_eq!(pixel_format(gbr as i32), gbr);
        // Values a damaged file may carry: no such format exists.
        for raw in [-7, -1, 100_000, i32::MAX] {
            assert_eq!(pixel_format(raw), ffi::AVPixelFormat::AV_PIX_FMT_NONE);
        }
    }
}
