//! Linear float frames straight into an encoder's planar Y'CbCr picture
//! (ProRes, H.264, H.265): curve, matrix, range, chroma subsampling and
//! rounding in one pass over each band of rows, written into the
//! encoder's own planes. Before, the encode went float -> 16-bit RGB
//! staging copy -> swscale -> Y'CbCr: a second full-frame pass and a
//! 16-bit rounding on the way, on the path that decides how close
//! `retake convert` comes to the `ffmpeg` tool.
//!
//! It does what swscale did here (and what the `ffmpeg` tool does when it
//! turns RGB into subsampled Y'CbCr): Y'CbCr computed for every pixel from
//! the stored R'G'B', chroma sited at the centre of its luma pixels and
//! reduced with swscale's bilinear 2:1 filter (weights 1/8, 3/8, 3/8, 1/8
//! across and, for 4:2:0, down; edges repeated), codes rounded to nearest
//! and clipped to the format's range. Only the arithmetic is float instead
//! of swscale's fixed point.

use rayon::prelude::*;
use retake_core::{Frame, Matrix};

use crate::convert::Quantiser;
use crate::yuv::{Levels, YuvFormat};

/// Luma rows per rayon task (even, so 4:2:0 chroma rows split cleanly).
const ROWS_PER_TASK: usize = 16;

/// Where an encoder picture's planes are (Y, Cb, Cr, then A).
pub(crate) struct YuvTarget {
    pub data: [*mut u8; 4],
    /// Bytes from one row to the next.
    pub linesize: [isize; 4],
}

// SAFETY: tasks write disjoint rows of the planes only.
unsafe impl Sync for YuvTarget {}

/// The constants that take stored R'G'B' (0..1) to codes.
#[derive(Clone, Copy, Debug)]
struct Forward {
    kr: f32,
    kg: f32,
    kb: f32,
    y_offset: f32,
    y_scale: f32,
    c_offset: f32,
    /// (B' - Y') to Cb codes, and (R' - Y') to Cr codes (centred on 0).
    cb_scale: f32,
    cr_scale: f32,
    /// The largest code.
    max: f32,
}

impl Forward {
    fn new(matrix: Matrix, bits: u32, full_range: bool) -> Self {
        // The inverse of the decode's constants (see `yuv::Coefficients`).
        let l = Levels::new(matrix, bits, full_range);
        Forward {
            kr: l.kr,
            kg: 1.0 - l.kr - l.kb,
            kb: l.kb,
            y_offset: l.y_offset,
            y_scale: l.y_span,
            c_offset: l.c_offset,
            cb_scale: l.c_span / (2.0 * (1.0 - l.kb)),
            cr_scale: l.c_span / (2.0 * (1.0 - l.kr)),
            max: l.max,
        }
    }

    /// A code value (before rounding) to the nearest code, clipped.
    #[inline(always)]
    fn round(&self, v: f32) -> u16 {
        crate::convert::clip_to_code(v + 0.5, self.max) as u16
    }
}

/// A sample of an encoder plane: 8-bit, or 9- to 16-bit in two bytes.
trait OutSample: Copy + Send + Sync {
    fn from_code(c: u16) -> Self;
}

impl OutSample for u8 {
    #[inline(always)]
    fn from_code(c: u16) -> u8 {
        c as u8
    }
}

impl OutSample for u16 {
    #[inline(always)]
    fn from_code(c: u16) -> u16 {
        c
    }
}

/// Encodes frames of one size into pictures of one Y'CbCr format.
pub(crate) struct LinearToYuv {
    format: YuvFormat,
    width: usize,
    height: usize,
    k: Forward,
    /// Scene-linear to stored values 0..1 in the output curve.
    curve: Quantiser,
}

impl LinearToYuv {
    pub(crate) fn new(
        format: YuvFormat,
        width: usize,
        height: usize,
        matrix: Matrix,
        full_range: bool,
        curve: Quantiser,
    ) -> Self {
        LinearToYuv {
            format,
            width,
            height,
            k: Forward::new(matrix, format.bits(), full_range),
            curve,
        }
    }

    /// Encode `frame` (this converter's size; 1, 3 or 4 channels) into
    /// `target`. A mask (1 channel) becomes grey; alpha goes to the alpha
    /// plane when the format has one (opaque when the frame has none).
    ///
    /// # Safety
    /// `target` must describe writable planes of this converter's format
    /// and size that no one else touches during the call.
    pub(crate) unsafe fn convert(&self, frame: &Frame, target: &YuvTarget) {
        let (w, h) = (self.width, self.height);
        if w == 0 || h == 0 || frame.width != w || frame.height != h {
            return;
        }
        let tasks = h.div_ceil(ROWS_PER_TASK);
        (0..tasks).into_par_iter().for_each(|task| {
            let y0 = task * ROWS_PER_TASK;
            let y1 = (y0 + ROWS_PER_TASK).min(h);
            // SAFETY: the caller vouches for the planes; each task writes
            // only luma rows y0..y1 and the chroma rows they own.
            unsafe {
                if self.format.bits() > 8 {
                    self.band::<u16>(frame, target, y0, y1);
                } else {
                    self.band::<u8>(frame, target, y0, y1);
                }
            }
        });
    }

    fn chroma_width(&self) -> usize {
        if self.format.half_width() {
            self.width.div_ceil(2)
        } else {
            self.width
        }
    }

    /// Rows `y0..y1` of luma and alpha, and the chroma rows they own.
    ///
    /// # Safety
    /// As for [`Self::convert`]; no other task writes these rows.
    unsafe fn band<S: OutSample>(&self, frame: &Frame, t: &YuvTarget, y0: usize, y1: usize) {
        let (w, h) = (self.width, self.height);
        let cw = self.chroma_width();
        let mut s = Scratch::new(w);
        if !self.format.half_height() {
            for y in y0..y1 {
                self.luma_row::<S>(frame, t, y, true, &mut s);
                // SAFETY: chroma row `y` belongs to this task.
                unsafe {
                    write_row::<S>(t, 1, y, &s.cb_half[..cw], self.k);
                    write_row::<S>(t, 2, y, &s.cr_half[..cw], self.k);
                }
            }
            return;
        }
        // 4:2:0: chroma row j mixes the rows 2j-1, 2j, 2j+1, 2j+2 (edges
        // repeated) 1:3:3:1, so the band also needs one row either side.
        let first = y0.saturating_sub(1);
        let last = (y1 + 1).min(h);
        let rows = last - first;
        let mut cb = vec![0.0f32; rows * cw];
        let mut cr = vec![0.0f32; rows * cw];
        for y in first..last {
            self.luma_row::<S>(frame, t, y, (y0..y1).contains(&y), &mut s);
            let r = y - first;
            cb[r * cw..(r + 1) * cw].copy_from_slice(&s.cb_half[..cw]);
            cr[r * cw..(r + 1) * cw].copy_from_slice(&s.cr_half[..cw]);
        }
        let at = |y: isize| (y.clamp(0, h as isize - 1) as usize) - first;
        for j in y0 / 2..y1.div_ceil(2) {
            let ys = [
                2 * j as isize - 1,
                2 * j as isize,
                2 * j as isize + 1,
                2 * j as isize + 2,
            ]
            .map(at);
            for (plane, src, out) in [(1, &cb, &mut s.cb_half), (2, &cr, &mut s.cr_half)] {
                let row = |i: usize| &src[ys[i] * cw..(ys[i] + 1) * cw];
                let (a, b, c, d) = (row(0), row(1), row(2), row(3));
                for x in 0..cw {
                    out[x] = 0.125 * (a[x] + d[x]) + 0.375 * (b[x] + c[x]);
                }
                // SAFETY: chroma row `j` belongs to this task (luma rows
                // 2j and 2j+1 are in y0..y1).
                unsafe { write_row::<S>(t, plane, j, &out[..cw], self.k) };
            }
        }
    }

    /// Luma row `y` (written when `write`), and its chroma reduced across
    /// (or not) into `s.cb_half`/`s.cr_half`, centred on zero.
    ///
    /// # Safety
    /// As for [`Self::band`].
    #[inline]
    fn luma_row<S: OutSample>(
        &self,
        frame: &Frame,
        t: &YuvTarget,
        y: usize,
        write: bool,
        s: &mut Scratch,
    ) {
        let w = self.width;
        let n = frame.channels;
        let src = frame.row(y);
        let (r, g, b) = (&mut s.r[..w], &mut s.g[..w], &mut s.b[..w]);
        curve_row(&self.curve, src, n, r, g, b);
        // Plain arithmetic over separate arrays, which the compiler
        // vectorises.
        let k = self.k;
        let (luma, cb, cr) = (&mut s.luma[..w], &mut s.cb[..w], &mut s.cr[..w]);
        for x in 0..w {
            let l = k.kr * r[x] + k.kg * g[x] + k.kb * b[x];
            luma[x] = k.y_offset + k.y_scale * l;
            cb[x] = k.cb_scale * (b[x] - l);
            cr[x] = k.cr_scale * (r[x] - l);
        }
        if write {
            // SAFETY: luma row `y` belongs to the calling task.
            let out = unsafe { plane_row::<S>(t, 0, y, w) };
            for (o, &v) in out.iter_mut().zip(luma.iter()) {
                *o = S::from_code(k.round(v));
            }
            if self.format.has_alpha() {
                // SAFETY: as above, alpha row `y`.
                let out = unsafe { plane_row::<S>(t, 3, y, w) };
                if n == 4 {
                    for (o, p) in out.iter_mut().zip(src.chunks_exact(4)) {
                        *o = S::from_code(k.round(p[3].clamp(0.0, 1.0) * k.max));
                    }
                } else {
                    out.fill(S::from_code(k.max as u16));
                }
            }
        }
        if self.format.half_width() {
            halve_across(cb, &mut s.cb_half);
            halve_across(cr, &mut s.cr_half);
        } else {
            s.cb_half[..w].copy_from_slice(cb);
            s.cr_half[..w].copy_from_slice(cr);
        }
    }
}

/// Stored R'G'B' of a row of `n`-channel pixels (a mask: grey) through
/// the curve. The table look-ups are most of the encode's own cost; with
/// AVX2 they run as gathers (same arithmetic, same results: no FMA).
fn curve_row(q: &Quantiser, src: &[f32], n: usize, r: &mut [f32], g: &mut [f32], b: &mut [f32]) {
    #[cfg(target_arch = "x86_64")]
    if std::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU has AVX2.
        return unsafe { curve_row_avx2(q, src, n, r, g, b) };
    }
    curve_row_body(q, src, n, r, g, b)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn curve_row_avx2(
    q: &Quantiser,
    src: &[f32],
    n: usize,
    r: &mut [f32],
    g: &mut [f32],
    b: &mut [f32],
) {
    curve_row_body(q, src, n, r, g, b)
}

#[inline(always)]
fn curve_row_body(
    q: &Quantiser,
    src: &[f32],
    n: usize,
    r: &mut [f32],
    g: &mut [f32],
    b: &mut [f32],
) {
    let c = |v: f32| q.stored_no_branch(v);
    match n {
        1 => {
            for (((r, g), b), &v) in r.iter_mut().zip(g.iter_mut()).zip(b.iter_mut()).zip(src) {
                let v = c(v);
                (*r, *g, *b) = (v, v, v);
            }
        }
        3 => {
            for (((r, g), b), p) in r
                .iter_mut()
                .zip(g.iter_mut())
                .zip(b.iter_mut())
                .zip(src.chunks_exact(3))
            {
                (*r, *g, *b) = (c(p[0]), c(p[1]), c(p[2]));
            }
        }
        _ => {
            for (((r, g), b), p) in r
                .iter_mut()
                .zip(g.iter_mut())
                .zip(b.iter_mut())
                .zip(src.chunks_exact(n))
            {
                (*r, *g, *b) = (c(p[0]), c(p[1]), c(p[2]));
            }
        }
    }
}

/// Reduce a row of chroma to half width: sample i is centred between
/// pixels 2i and 2i+1 and mixes pixels 2i-1..2i+2 by 1:3:3:1 (edges
/// repeated), as swscale's bilinear filter does for a 2:1 reduction.
fn halve_across(src: &[f32], dst: &mut [f32]) {
    let w = src.len();
    if w == 0 {
        return;
    }
    let at = |x: isize| src[x.clamp(0, w as isize - 1) as usize];
    let cw = w.div_ceil(2);
    // Edge samples (and odd widths) through the clamped reads; the
    // interior without bounds juggling.
    let edge = |i: usize| {
        let x = 2 * i as isize;
        0.125 * (at(x - 1) + at(x + 2)) + 0.375 * (at(x) + at(x + 1))
    };
    dst[0] = edge(0);
    // Sample i (from 1) reads pixels 2i-1, 2i (`a`) and 2i+1, 2i+2 (`b`).
    let inner = src[1..]
        .chunks_exact(2)
        .zip(src.get(3..).unwrap_or(&[]).chunks_exact(2));
    let mut done = 1;
    for (o, (a, b)) in dst[1..].iter_mut().zip(inner) {
        *o = 0.125 * (a[0] + b[1]) + 0.375 * (a[1] + b[0]);
        done += 1;
    }
    for (i, o) in dst.iter_mut().enumerate().take(cw).skip(done) {
        *o = edge(i);
    }
}

/// Row `y` of plane `p`, `len` samples.
///
/// # Safety
/// The plane must hold that row, writable, used by this caller alone.
#[inline(always)]
unsafe fn plane_row<'a, S: OutSample>(
    t: &YuvTarget,
    p: usize,
    y: usize,
    len: usize,
) -> &'a mut [S] {
    // SAFETY: guaranteed by the caller; FFmpeg aligns planes and rows, so
    // two-byte samples are aligned.
    unsafe {
        let start = t.data[p].offset(y as isize * t.linesize[p]);
        std::slice::from_raw_parts_mut(start.cast::<S>(), len)
    }
}

/// Chroma values (centred on zero) to codes in row `y` of plane `p`.
///
/// # Safety
/// As for [`plane_row`].
#[inline]
unsafe fn write_row<S: OutSample>(t: &YuvTarget, p: usize, y: usize, c: &[f32], k: Forward) {
    // SAFETY: guaranteed by the caller.
    let out = unsafe { plane_row::<S>(t, p, y, c.len()) };
    for (o, &v) in out.iter_mut().zip(c) {
        *o = S::from_code(k.round(v + k.c_offset));
    }
}

/// Per-task rows, reused from row to row.
struct Scratch {
    r: Vec<f32>,
    g: Vec<f32>,
    b: Vec<f32>,
    luma: Vec<f32>,
    cb: Vec<f32>,
    cr: Vec<f32>,
    cb_half: Vec<f32>,
    cr_half: Vec<f32>,
}

impl Scratch {
    fn new(width: usize) -> Self {
        let f = || vec![0.0f32; width];
        Scratch {
            r: f(),
            g: f(),
            b: f(),
            luma: f(),
            cb: f(),
            cr: f(),
            cb_half: f(),
            cr_half: f(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::convert::DecodeLut;
    use crate::yuv::{YuvPlanes, YuvToLinear};
    use ffmpeg_next::ffi::AVPixelFormat::*;
    use retake_core::Transfer;

    /// Planes of `fmt` for a w x h picture, as owned u16 storage.
    fn planes(format: YuvFormat, w: usize, h: usize) -> Vec<Vec<u16>> {
        let (cw, ch) = (
            if format.half_width() {
                w.div_ceil(2)
            } else {
                w
            },
            if format.half_height() {
                h.div_ceil(2)
            } else {
                h
            },
        );
        let mut v = vec![vec![0u16; w * h], vec![0; cw * ch], vec![0; cw * ch]];
        if format.has_alpha() {
            v.push(vec![0; w * h]);
        }
        v
    }

    /// The AVX2 build of the curve loop gives the same bits as the plain
    /// one (no FMA, same order of operations), so output does not depend
    /// on the CPU it ran on.
    #[test]
    fn the_avx2_curve_gives_the_plain_curves_bits() {
        #[cfg(target_arch = "x86_64")]
        if std::is_x86_feature_detected!("avx2") {
            let q = Quantiser::unit(Transfer::Bt709);
            let src: Vec<f32> = (0..3000)
                .map(|i| match i % 7 {
                    0 => -0.5,
                    1 => f32::NAN,
                    2 => 1.5,
                    _ => (i as f32 * 0.618).fract().powi(3),
                })
                .collect();
            let run = |avx2: bool| {
                let mut rgb = vec![vec![0.0f32; 1000]; 3];
                let [r, g, b] = &mut rgb[..] else {
                    unreachable!()
                };
                if avx2 {
                    // SAFETY: the CPU has AVX2.
                    unsafe { curve_row_avx2(&q, &src, 3, r, g, b) };
                } else {
                    curve_row_body(&q, &src, 3, r, g, b);
                }
                rgb.concat().iter().map(|v| v.to_bits()).collect::<Vec<_>>()
            };
            assert_eq!(run(true), run(false));
        }
    }

    #[test]
    fn black_white_and_grey_take_the_limited_range_codes() {
        let format = YuvFormat::of(AV_PIX_FMT_YUV422P10LE).unwrap();
        let (w, h) = (4usize, 2usize);
        let q = Quantiser::unit(Transfer::Bt709);
        let conv = LinearToYuv::new(format, w, h, Matrix::Bt709, false, q);
        let data: Vec<f32> = [0.0f32, 1.0, 0.0, 1.0]
            .iter()
            .cycle()
            .take(w * h)
            .flat_map(|&v| [v; 3])
            .collect();
        let frame = Frame::from_data(0, w, h, 3, data).unwrap();
        let mut store = planes(format, w, h);
        let target = YuvTarget {
            data: [0, 1, 2, 0].map(|p| store[p].as_mut_ptr().cast::<u8>()),
            linesize: [2 * w as isize, w as isize, w as isize, 0],
        };
        // SAFETY: planes of this format and size.
        unsafe { conv.convert(&frame, &target) };
        assert_eq!(&store[0][..4], &[64, 940, 64, 940]);
        assert!(store[1].iter().chain(&store[2]).all(|&c| c == 512));
    }

    /// The encode inverts the decode: a smooth picture in every format
    /// comes back within a fraction of a code (chroma is smooth, so the
    /// 1:3:3:1 reduction and the 3:1 expansion keep it).
    #[test]
    fn decode_of_the_encode_gives_the_picture_back() {
        for fmt in [
            AV_PIX_FMT_YUV420P,
            AV_PIX_FMT_YUV422P10LE,
            AV_PIX_FMT_YUV444P10LE,
            AV_PIX_FMT_YUVA444P10LE,
            AV_PIX_FMT_YUV420P10LE,
        ] {
            let format = YuvFormat::of(fmt).unwrap();
            let (w, h) = (37usize, 21usize);
            let ch = format.channels();
            let data: Vec<f32> = (0..w * h)
                .flat_map(|i| {
                    let (x, y) = ((i % w) as f32 / w as f32, (i / w) as f32 / h as f32);
                    let px = [
                        0.2 + 0.1 * x,
                        0.3 + 0.1 * y,
                        0.6 - 0.1 * x * y,
                        0.25 + 0.5 * x,
                    ];
                    px.into_iter().take(ch)
                })
                .collect();
            let frame = Frame::from_data(0, w, h, ch, data).unwrap();
            let conv = LinearToYuv::new(
                format,
                w,
                h,
                Matrix::Bt709,
                false,
                Quantiser::unit(Transfer::Srgb),
            );
            let mut store = planes(format, w, h);
            let bytes = if format.bits() > 8 { 2 } else { 1 };
            let cw = if format.half_width() {
                w.div_ceil(2)
            } else {
                w
            };
            let linesize = [w, cw, cw, w].map(|n| (n * bytes) as isize);
            // 8-bit planes are read back from the same storage as bytes.
            let mut bytes8: Vec<Vec<u8>> = store.iter().map(|p| vec![0u8; p.len()]).collect();
            let ptrs: Vec<*mut u8> = if bytes == 2 {
                store
                    .iter_mut()
                    .map(|p| p.as_mut_ptr().cast::<u8>())
                    .collect()
            } else {
                bytes8.iter_mut().map(|p| p.as_mut_ptr()).collect()
            };
            let data = [0, 1, 2, 3].map(|p| ptrs.get(p).copied().unwrap_or(std::ptr::null_mut()));
            // SAFETY: planes of this format and size.
            unsafe { conv.convert(&frame, &YuvTarget { data, linesize }) };
            let back_conv = YuvToLinear::new(format, w, h, Matrix::Bt709, false);
            let read = YuvPlanes {
                data: data.map(|p| p.cast_const()),
                linesize,
            };
            let lut = DecodeLut::new(Transfer::Srgb, 16);
            // SAFETY: as above.
            let back = unsafe { back_conv.convert(&read, &lut, 0) };
            // In stored values: the rounding of Y', Cb and Cr adds up in
            // B' to 1.64 codes at most (0.41 8-bit codes for 10 bits);
            // subsampling adds up to 0.7 more at the picture's edges,
            // where the edge sample is repeated (as swscale does).
            let tolerance = if format.bits() > 8 { 1.25 } else { 2.0 } / 255.0;
            let stored = |v: f32| Transfer::Srgb.from_linear(v);
            let mut worst = 0.0f32;
            for (i, (a, b)) in frame.data.iter().zip(&back.data).enumerate() {
                let d = (stored(*a) - stored(*b)).abs();
                worst = worst.max(d);
                assert!(d < tolerance, "{fmt:?} sample {i}: {a} came back as {b}");
            }
            eprintln!("{fmt:?}: worst {:.3} 8-bit codes", worst * 255.0);
        }
    }
}
