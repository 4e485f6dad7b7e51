//! Planar YCbCr pictures (what H.264, H.265, ProRes and most other
//! decoders give) straight to scene-linear float in one pass: chroma
//! upsampled, the matrix and range undone, the curve applied through the
//! decode table. One pass over each row instead of swscale to 16-bit RGB
//! followed by a second loop over that copy: decoding is a fixed cost of
//! every command, and on `retake convert` it decides how close Retake
//! comes to the `ffmpeg` tool.
//!
//! It places chroma as swscale does (and the `ffmpeg` tool): sited at the
//! centre of its luma pixels and interpolated bilinearly (weights 3/4 and
//! 1/4), edges repeated. RGB is rounded to true-scale 16-bit codes (white
//! 65535) before the curve, where swscale's 16-bit RGB puts Y'CbCr white
//! at 65280 (0.4% low); the encoder ([`crate::yuv_encode`]) uses the same
//! scale, so a clip converted by Retake still gives back its codes.

use ffmpeg_next::ffi;
use rayon::prelude::*;
use retake_core::{Frame, Matrix};

use crate::convert::DecodeLut;

/// Rows per rayon task (as in the other conversion loops).
const ROWS_PER_TASK: usize = 16;

/// The planar YCbCr formats this pass reads: 8-bit or 9- to 16-bit
/// native-endian samples, chroma full size or halved across and/or down,
/// with or without an alpha plane.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct YuvFormat {
    bits: u32,
    half_width: bool,
    half_height: bool,
    alpha: bool,
}

impl YuvFormat {
    /// The layout of `fmt`, or `None` for anything this pass does not read
    /// (RGB, packed, paletted, big-endian, float, Bayer, hardware frames):
    /// those keep going through swscale.
    pub(crate) fn of(fmt: ffi::AVPixelFormat) -> Option<YuvFormat> {
        // SAFETY: av_pix_fmt_desc_get returns null or a static descriptor.
        let d = unsafe { ffi::av_pix_fmt_desc_get(fmt).as_ref()? };
        let flags = d.flags as i32;
        let refused = ffi::AV_PIX_FMT_FLAG_RGB
            | ffi::AV_PIX_FMT_FLAG_PAL
            | ffi::AV_PIX_FMT_FLAG_BITSTREAM
            | ffi::AV_PIX_FMT_FLAG_HWACCEL
            | ffi::AV_PIX_FMT_FLAG_FLOAT
            | ffi::AV_PIX_FMT_FLAG_BAYER;
        if flags & refused != 0 || flags & ffi::AV_PIX_FMT_FLAG_PLANAR == 0 {
            return None;
        }
        let alpha = flags & ffi::AV_PIX_FMT_FLAG_ALPHA != 0;
        let planes = if alpha { 4 } else { 3 };
        if d.nb_components as usize != planes {
            return None;
        }
        let bits = d.comp[0].depth as u32;
        if !(8..=16).contains(&bits) {
            return None;
        }
        let big_endian = flags & ffi::AV_PIX_FMT_FLAG_BE != 0;
        if bits > 8 && big_endian != cfg!(target_endian = "big") {
            return None;
        }
        let step = if bits > 8 { 2 } else { 1 };
        let regular = d.comp[..planes].iter().enumerate().all(|(i, c)| {
            c.plane as usize == i
                && c.step == step
                && c.offset == 0
                && c.shift == 0
                && c.depth as u32 == bits
        });
        if !regular || d.log2_chroma_w > 1 || d.log2_chroma_h > 1 {
            return None;
        }
        Some(YuvFormat {
            bits,
            half_width: d.log2_chroma_w == 1,
            half_height: d.log2_chroma_h == 1,
            alpha,
        })
    }

    /// Bits per sample (8 to 16).
    pub(crate) fn bits(self) -> u32 {
        self.bits
    }

    /// Chroma at half the width.
    pub(crate) fn half_width(self) -> bool {
        self.half_width
    }

    /// Chroma at half the height.
    pub(crate) fn half_height(self) -> bool {
        self.half_height
    }

    /// A fourth plane of alpha.
    pub(crate) fn has_alpha(self) -> bool {
        self.alpha
    }

    /// Channels of the frames it decodes to.
    pub(crate) fn channels(self) -> usize {
        if self.alpha {
            4
        } else {
            3
        }
    }
}

/// Where a decoded picture's planes are (Y, Cb, Cr, then A).
pub(crate) struct YuvPlanes {
    pub data: [*const u8; 4],
    /// Bytes from one row to the next.
    pub linesize: [isize; 4],
}

// SAFETY: the planes are only read, by rows, while the frame is alive.
unsafe impl Sync for YuvPlanes {}

/// The constants that take a format's codes to stored (curved) RGB 0..1.
#[derive(Clone, Copy, Debug)]
struct Coefficients {
    y_offset: f32,
    y_scale: f32,
    c_offset: f32,
    c_scale: f32,
    r_cr: f32,
    g_cb: f32,
    g_cr: f32,
    b_cb: f32,
    /// Alpha code to 0..1.
    a_scale: f32,
}

/// Where a format's codes sit (luma black and span, chroma centre and
/// span, the largest code) and the matrix's luma weights: what the decode
/// and the encode both derive their constants from.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Levels {
    pub y_offset: f32,
    pub y_span: f32,
    pub c_offset: f32,
    pub c_span: f32,
    pub max: f32,
    pub kr: f32,
    pub kb: f32,
}

impl Levels {
    /// `Matrix::Rgb` counts as BT.709: RGB pictures stored as YCbCr are not
    /// a thing, and swscale takes them so too.
    pub(crate) fn new(matrix: Matrix, bits: u32, full_range: bool) -> Self {
        let max = ((1u32 << bits) - 1) as f32;
        let step = (1u32 << (bits - 8)) as f32;
        let (y_offset, y_span, c_span) = if full_range {
            (0.0, max, max)
        } else {
            (16.0 * step, 219.0 * step, 224.0 * step)
        };
        let (kr, kb) = matrix.kr_kb();
        Levels {
            y_offset,
            y_span,
            c_offset: (1u32 << (bits - 1)) as f32,
            c_span,
            max,
            kr,
            kb,
        }
    }
}

impl Coefficients {
    fn new(matrix: Matrix, bits: u32, full_range: bool) -> Self {
        let l = Levels::new(matrix, bits, full_range);
        let (kr, kb) = (l.kr, l.kb);
        let kg = 1.0 - kr - kb;
        Coefficients {
            y_offset: l.y_offset,
            y_scale: 1.0 / l.y_span,
            c_offset: l.c_offset,
            c_scale: 1.0 / l.c_span,
            r_cr: 2.0 * (1.0 - kr),
            g_cb: 2.0 * kb * (1.0 - kb) / kg,
            g_cr: 2.0 * kr * (1.0 - kr) / kg,
            b_cb: 2.0 * (1.0 - kb),
            a_scale: 1.0 / l.max,
        }
    }
}

/// A sample of a plane: 8-bit, or 9- to 16-bit in two bytes.
trait Sample: Copy + Send + Sync + Into<f32> {}
impl Sample for u8 {}
impl Sample for u16 {}

/// Converts decoded pictures of one format, size, matrix and range.
pub(crate) struct YuvToLinear {
    format: YuvFormat,
    width: usize,
    height: usize,
    k: Coefficients,
}

impl YuvToLinear {
    pub(crate) fn new(
        format: YuvFormat,
        width: usize,
        height: usize,
        matrix: Matrix,
        full_range: bool,
    ) -> Self {
        YuvToLinear {
            format,
            width,
            height,
            k: Coefficients::new(matrix, format.bits, full_range),
        }
    }

    /// Decode one picture into a frame numbered `index`.
    ///
    /// # Safety
    /// `planes` must describe a picture of this converter's format and
    /// size that stays alive and unchanged during the call.
    pub(crate) unsafe fn convert(&self, planes: &YuvPlanes, lut: &DecodeLut, index: i64) -> Frame {
        let channels = self.format.channels();
        let (width, height) = (self.width, self.height);
        let row_len = width * channels;
        let mut data = retake_core::frame::recycled_buffer(row_len * height);
        if width > 0 && height > 0 {
            data.par_chunks_mut(row_len * ROWS_PER_TASK)
                .enumerate()
                .for_each(|(task, out)| {
                    // SAFETY: the caller vouches for the planes; the rows
                    // are rows of the picture.
                    unsafe { self.band(planes, task * ROWS_PER_TASK, out, lut) };
                });
        }
        Frame {
            index,
            width,
            height,
            channels,
            data,
        }
    }

    /// Decode the rows from `y0` into `out` (whole rows). The table
    /// look-ups are most of the cost; with AVX2 they run as gathers (same
    /// arithmetic, same results: no FMA).
    ///
    /// # Safety
    /// As for [`Self::convert`]; the rows exist.
    unsafe fn band(&self, planes: &YuvPlanes, y0: usize, out: &mut [f32], lut: &DecodeLut) {
        #[cfg(target_arch = "x86_64")]
        if std::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU has AVX2; the rest as for this function.
            return unsafe { self.band_avx2(planes, y0, out, lut) };
        }
        // SAFETY: as for this function.
        unsafe { self.band_body(planes, y0, out, lut) }
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    unsafe fn band_avx2(&self, planes: &YuvPlanes, y0: usize, out: &mut [f32], lut: &DecodeLut) {
        // SAFETY: as for `band`.
        unsafe { self.band_body(planes, y0, out, lut) }
    }

    #[inline(always)]
    unsafe fn band_body(&self, planes: &YuvPlanes, y0: usize, out: &mut [f32], lut: &DecodeLut) {
        let row_len = self.width * self.format.channels();
        let mut scratch = Scratch::new(self.width);
        for (r, out_row) in out.chunks_exact_mut(row_len).enumerate() {
            // SAFETY: as for `band`.
            unsafe {
                if self.format.bits > 8 {
                    self.row::<u16>(planes, y0 + r, out_row, &mut scratch, lut);
                } else {
                    self.row::<u8>(planes, y0 + r, out_row, &mut scratch, lut);
                }
            }
        }
    }

    /// Samples of row `y` of plane `p`, `len` long.
    ///
    /// # Safety
    /// The plane must hold that row.
    #[inline(always)]
    unsafe fn plane_row<'a, S: Sample>(
        planes: &YuvPlanes,
        p: usize,
        y: usize,
        len: usize,
    ) -> &'a [S] {
        // SAFETY: guaranteed by the caller; FFmpeg aligns planes and rows
        // for its own SIMD, so two-byte samples are aligned.
        unsafe {
            let start = planes.data[p].offset(y as isize * planes.linesize[p]);
            std::slice::from_raw_parts(start.cast::<S>(), len)
        }
    }

    /// Chroma of output row `y`, vertically interpolated and centred on
    /// zero, into `cb` and `cr` (chroma width).
    ///
    /// # Safety
    /// As for [`Self::convert`].
    #[inline(always)]
    unsafe fn chroma_rows<S: Sample>(&self, planes: &YuvPlanes, y: usize, s: &mut Scratch) {
        let cw = self.chroma_width();
        let k = self.k;
        let (near, far, w_far) = if self.format.half_height {
            let ch = self.height.div_ceil(2);
            let near = y / 2;
            // The chroma row's centre lies between luma rows 2n and 2n+1:
            // the other row that brackets `y` is above for even rows,
            // below for odd ones (the edge row repeated).
            let far = if y.is_multiple_of(2) {
                near.saturating_sub(1)
            } else {
                (near + 1).min(ch - 1)
            };
            (near, far, 0.25f32)
        } else {
            (y, y, 0.0f32)
        };
        let w_near = 1.0 - w_far;
        for (p, out) in [(1, &mut s.cb_rows), (2, &mut s.cr_rows)] {
            // SAFETY: both rows exist in the chroma plane.
            let (a, b) = unsafe {
                (
                    Self::plane_row::<S>(planes, p, near, cw),
                    Self::plane_row::<S>(planes, p, far, cw),
                )
            };
            for ((o, &a), &b) in out[..cw].iter_mut().zip(a).zip(b) {
                *o = (w_near * a.into() + w_far * b.into() - k.c_offset) * k.c_scale;
            }
        }
    }

    fn chroma_width(&self) -> usize {
        if self.format.half_width {
            self.width.div_ceil(2)
        } else {
            self.width
        }
    }

    /// Decode output row `y`.
    ///
    /// # Safety
    /// As for [`Self::convert`].
    #[inline(always)]
    unsafe fn row<S: Sample>(
        &self,
        planes: &YuvPlanes,
        y: usize,
        out: &mut [f32],
        s: &mut Scratch,
        lut: &DecodeLut,
    ) {
        let w = self.width;
        let k = self.k;
        // SAFETY: as for `convert`.
        unsafe { self.chroma_rows::<S>(planes, y, s) };
        if self.format.half_width {
            let cw = self.chroma_width();
            upsample_across(&s.cb_rows[..cw], &mut s.cb[..w]);
            upsample_across(&s.cr_rows[..cw], &mut s.cr[..w]);
        } else {
            s.cb[..w].copy_from_slice(&s.cb_rows[..w]);
            s.cr[..w].copy_from_slice(&s.cr_rows[..w]);
        }
        // SAFETY: row `y` of the luma plane exists.
        let luma = unsafe { Self::plane_row::<S>(planes, 0, y, w) };
        // Matrix and rounding to 16-bit codes: plain arithmetic over
        // separate arrays, which the compiler vectorises.
        let (rc, gc, bc) = (&mut s.r[..w], &mut s.g[..w], &mut s.b[..w]);
        let chroma = s.cb[..w].iter().zip(&s.cr[..w]);
        for ((((r, g), b), &l), (&cb, &cr)) in rc
            .iter_mut()
            .zip(gc.iter_mut())
            .zip(bc.iter_mut())
            .zip(luma)
            .zip(chroma)
        {
            let l = (l.into() - k.y_offset) * k.y_scale;
            *r = code16(l + k.r_cr * cr);
            *g = code16(l - k.g_cb * cb - k.g_cr * cr);
            *b = code16(l + k.b_cb * cb);
        }
        // Fixed-size tables: indices masked to 16 bits need no checks.
        let (Ok(colour), Ok(alpha)) = (
            <&[f32; 65536]>::try_from(&lut.colour[..]),
            <&[f32; 65536]>::try_from(&lut.alpha[..]),
        ) else {
            debug_assert!(false, "decode tables must have 16-bit codes");
            return;
        };
        if self.format.alpha {
            // SAFETY: row `y` of the alpha plane exists.
            let a = unsafe { Self::plane_row::<S>(planes, 3, y, w) };
            for (x, o) in out.chunks_exact_mut(4).enumerate() {
                o[0] = colour[rc[x] as usize & 0xffff];
                o[1] = colour[gc[x] as usize & 0xffff];
                o[2] = colour[bc[x] as usize & 0xffff];
                o[3] = alpha[alpha16(a[x].into() * k.a_scale) as usize & 0xffff];
            }
        } else {
            let codes = rc.iter().zip(gc.iter()).zip(bc.iter());
            for (o, ((&r, &g), &b)) in out.chunks_exact_mut(3).zip(codes) {
                o[0] = colour[r as usize & 0xffff];
                o[1] = colour[g as usize & 0xffff];
                o[2] = colour[b as usize & 0xffff];
            }
        }
    }
}

/// A stored value (1 = white) to the nearest 16-bit code, clipped (NaN
/// cannot occur: the inputs are integers).
#[inline(always)]
fn code16(v: f32) -> u32 {
    crate::convert::clip_to_code(v * 65535.0 + 0.5, 65535.0) as u32
}

/// Alpha (1 = opaque) to the nearest 16-bit code: alpha is not converted
/// by a matrix, so it keeps the full 16-bit scale.
#[inline(always)]
fn alpha16(v: f32) -> u32 {
    crate::convert::clip_to_code(v * 65535.0 + 0.5, 65535.0) as u32
}

/// Double a row of chroma across: each chroma sample sits between two
/// luma pixels, which take 3/4 of it and 1/4 of its other neighbour.
#[inline(always)]
fn upsample_across(src: &[f32], dst: &mut [f32]) {
    let n = src.len();
    let w = dst.len();
    let (Some(&first), Some(&last)) = (src.first(), src.last()) else {
        return;
    };
    // Pixels 1..2n-1 pair up around each gap between two chroma samples;
    // the first and last pixel repeat the edge sample.
    dst[0] = first;
    for (pair, c) in dst[1..].chunks_exact_mut(2).zip(src.windows(2)) {
        pair[0] = 0.75 * c[0] + 0.25 * c[1];
        pair[1] = 0.25 * c[0] + 0.75 * c[1];
    }
    if w == 2 * n {
        dst[w - 1] = last;
    }
}

/// Per-task rows, reused from row to row.
struct Scratch {
    cb_rows: Vec<f32>,
    cr_rows: Vec<f32>,
    cb: Vec<f32>,
    cr: Vec<f32>,
    r: Vec<u32>,
    g: Vec<u32>,
    b: Vec<u32>,
}

impl Scratch {
    fn new(width: usize) -> Self {
        let f = || vec![0.0f32; width];
        let c = || vec![0u32; width];
        Scratch {
            cb_rows: f(),
            cr_rows: f(),
            cb: f(),
            cr: f(),
            r: c(),
            g: c(),
            b: c(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ffi::AVPixelFormat::*;
    use retake_core::Transfer;

    #[test]
    fn reads_planar_ycbcr_and_leaves_the_rest_to_swscale() {
        let f = |fmt| YuvFormat::of(fmt).map(|f| (f.bits, f.half_width, f.half_height, f.alpha));
        assert_eq!(f(AV_PIX_FMT_YUV420P), Some((8, true, true, false)));
        assert_eq!(f(AV_PIX_FMT_YUVJ422P), Some((8, true, false, false)));
        assert_eq!(f(AV_PIX_FMT_YUV422P10LE), Some((10, true, false, false)));
        assert_eq!(f(AV_PIX_FMT_YUVA444P12LE), Some((12, false, false, true)));
        for other in [
            AV_PIX_FMT_NV12,
            AV_PIX_FMT_YUYV422,
            AV_PIX_FMT_GBRP,
            AV_PIX_FMT_RGB24,
            AV_PIX_FMT_GRAY8,
            AV_PIX_FMT_YUV410P,
            AV_PIX_FMT_YUV420P10BE,
            AV_PIX_FMT_PAL8,
            AV_PIX_FMT_NONE,
        ] {
            assert_eq!(YuvFormat::of(other), None, "{other:?}");
        }
    }

    /// A 4:2:0 picture whose chroma is a ramp: each output pixel must be
    /// the bilinear mix of the chroma samples around its centre.
    #[test]
    fn chroma_is_interpolated_between_sample_centres() {
        let (w, h) = (6usize, 4usize);
        let (cw, ch) = (3usize, 2usize);
        let luma = vec![128u8; w * h];
        let cb: Vec<u8> = (0..cw * ch).map(|i| 100 + 8 * i as u8).collect();
        let cr = vec![128u8; cw * ch];
        let planes = YuvPlanes {
            data: [luma.as_ptr(), cb.as_ptr(), cr.as_ptr(), std::ptr::null()],
            linesize: [w as isize, cw as isize, cw as isize, 0],
        };
        let format = YuvFormat::of(AV_PIX_FMT_YUVJ420P).unwrap();
        let conv = YuvToLinear::new(format, w, h, Matrix::Bt709, true);
        let lut = DecodeLut::new(Transfer::Linear, 16);
        // SAFETY: the planes above are that size.
        let frame = unsafe { conv.convert(&planes, &lut, 7) };
        assert_eq!((frame.index, frame.channels), (7, 3));
        let k = conv.k;
        // Blue of pixel (x, y) depends on Cb alone here.
        let cb_at = |x: usize, y: usize| {
            let l = (128.0 - k.y_offset) * k.y_scale;
            let b = frame.data[(y * w + x) * 3 + 2];
            (b - l) / k.b_cb / k.c_scale + k.c_offset
        };
        let s = |cx: usize, cy: usize| cb[cy * cw + cx] as f32;
        // Interior pixel (3, 1): chroma centre at (1.25, 0.25) in chroma
        // samples, so 3/4 x 3/4 of (1, 0), and so on.
        let want =
            0.75 * (0.75 * s(1, 0) + 0.25 * s(2, 0)) + 0.25 * (0.75 * s(1, 1) + 0.25 * s(2, 1));
        assert!(
            (cb_at(3, 1) - want).abs() < 0.02,
            "{} vs {want}",
            cb_at(3, 1)
        );
        // Corner pixel: the edge sample repeated.
        assert!((cb_at(0, 0) - s(0, 0)).abs() < 0.02, "{}", cb_at(0, 0));
    }

    #[test]
    fn limited_range_black_and_white_are_zero_and_one() {
        for (bits, fmt) in [(8u32, AV_PIX_FMT_YUV444P), (10, AV_PIX_FMT_YUV444P10LE)] {
            let step = 1u16 << (bits - 8);
            let (w, h) = (2usize, 1usize);
            // Black then white, no colour.
            let luma: Vec<u16> = vec![16 * step, 235 * step];
            let chroma: Vec<u16> = vec![128 * step; 2];
            let to_bytes = |v: &[u16]| -> Vec<u8> {
                if bits > 8 {
                    v.iter().flat_map(|s| s.to_ne_bytes()).collect()
                } else {
                    v.iter().map(|&s| s as u8).collect()
                }
            };
            let (yb, cb) = (to_bytes(&luma), to_bytes(&chroma));
            // Two-byte samples must be aligned: copy into u16 storage.
            let (y16, c16): (Vec<u16>, Vec<u16>) = (luma.clone(), chroma.clone());
            let (yp, cp, ls) = if bits > 8 {
                (
                    y16.as_ptr().cast::<u8>(),
                    c16.as_ptr().cast::<u8>(),
                    2 * w as isize,
                )
            } else {
                (yb.as_ptr(), cb.as_ptr(), w as isize)
            };
            let planes = YuvPlanes {
                data: [yp, cp, cp, std::ptr::null()],
                linesize: [ls; 4],
            };
            let format = YuvFormat::of(fmt).unwrap();
            let conv = YuvToLinear::new(format, w, h, Matrix::Bt709, false);
            let lut = DecodeLut::new(Transfer::Bt709, 16);
            // SAFETY: planes of 2x1 samples.
            let frame = unsafe { conv.convert(&planes, &lut, 0) };
            assert_eq!(&frame.data[..3], &[0.0; 3], "{bits}-bit black");
            assert_eq!(&frame.data[3..], &[1.0; 3], "{bits}-bit white");
        }
    }
}
