//! Pixel conversions at the two edges of the pipeline: integer codes in a
//! file's curve to scene-linear float and back. Curves are applied through
//! tables (a 65536-entry decode LUT, the core's [`EncodeTable`]) and rows
//! are spread over rayon, because these loops run on every pixel of every
//! frame and decide how close a transcode comes to plain `ffmpeg` speed.

use ffmpeg_next::ffi;
use rayon::prelude::*;
use retake_core::colour::EncodeTable;
use retake_core::{Frame, Matrix, Transfer};
use retake_imageops::luma::luma;

/// Rows per rayon task: big enough that scheduling costs nothing next to
/// the work, small enough that two cores share a 240-line frame.
const ROWS_PER_TASK: usize = 16;

/// Decode tables for one curve: colour channels go through the curve,
/// alpha is linear coverage and only scaled.
pub(crate) struct DecodeLut {
    pub(crate) colour: Vec<f32>,
    pub(crate) alpha: Vec<f32>,
}

impl DecodeLut {
    /// Tables for `bits`-bit codes (8 or 16).
    pub(crate) fn new(transfer: Transfer, bits: u32) -> Self {
        let max = ((1u32 << bits) - 1) as f32;
        DecodeLut {
            colour: transfer.decode_table(bits),
            alpha: (0..(1u32 << bits)).map(|c| c as f32 / max).collect(),
        }
    }

    /// 16-bit tables for pictures swscale turned into 16-bit RGB whose
    /// white is the code `white` rather than 65535 (see
    /// [`crate::video::swscale_white`]), so that white still decodes to
    /// 1.0 and every code of the source comes back on re-encode.
    pub(crate) fn with_white(transfer: Transfer, white: f32) -> Self {
        DecodeLut {
            colour: (0..=u16::MAX)
                .map(|c| transfer.to_linear(f32::from(c) / white))
                .collect(),
            ..DecodeLut::new(transfer, 16)
        }
    }
}

/// How interleaved integer samples map to a frame's channels.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Layout {
    Grey,
    GreyAlpha,
    Rgb,
    Rgba,
}

impl Layout {
    pub(crate) fn samples(self) -> usize {
        match self {
            Layout::Grey => 1,
            Layout::GreyAlpha => 2,
            Layout::Rgb => 3,
            Layout::Rgba => 4,
        }
    }

    pub(crate) fn has_alpha(self) -> bool {
        matches!(self, Layout::GreyAlpha | Layout::Rgba)
    }

    /// Channels of the frame this layout decodes to: grey becomes RGB so
    /// every source gives 3 or 4 channels, as [`retake_core::ClipInfo::channels`] says.
    pub(crate) fn frame_channels(self) -> usize {
        if self.has_alpha() {
            4
        } else {
            3
        }
    }
}

/// Integer codes (u8 or u16) that index a [`DecodeLut`].
pub(crate) trait Code: Copy + Send + Sync {
    fn index(self) -> usize;
}

impl Code for u8 {
    #[inline(always)]
    fn index(self) -> usize {
        self as usize
    }
}

impl Code for u16 {
    #[inline(always)]
    fn index(self) -> usize {
        self as usize
    }
}

/// Decode an interleaved integer picture (rows `stride` codes apart) into a
/// linear float frame with 3 or 4 channels.
pub(crate) fn codes_to_frame<C: Code>(
    src: &[C],
    stride: usize,
    width: usize,
    height: usize,
    layout: Layout,
    lut: &DecodeLut,
    index: i64,
) -> Frame {
    let channels = layout.frame_channels();
    let row_len = width * channels;
    let mut data = retake_core::frame::recycled_buffer(row_len * height);
    let colour = &lut.colour[..];
    let alpha = &lut.alpha[..];
    data.par_chunks_mut(row_len * ROWS_PER_TASK)
        .enumerate()
        .for_each(|(task, out)| {
            for (r, out_row) in out.chunks_exact_mut(row_len).enumerate() {
                let y = task * ROWS_PER_TASK + r;
                let start = y * stride;
                let in_row = &src[start..start + width * layout.samples()];
                decode_row(in_row, out_row, layout, colour, alpha);
            }
        });
    Frame {
        index,
        width,
        height,
        channels,
        data,
    }
}

#[inline]
fn decode_row<C: Code>(src: &[C], out: &mut [f32], layout: Layout, colour: &[f32], alpha: &[f32]) {
    match layout {
        Layout::Grey => {
            for (o, &s) in out.chunks_exact_mut(3).zip(src) {
                let v = colour[s.index()];
                o.copy_from_slice(&[v, v, v]);
            }
        }
        Layout::GreyAlpha => {
            for (o, s) in out.chunks_exact_mut(4).zip(src.chunks_exact(2)) {
                let v = colour[s[0].index()];
                o.copy_from_slice(&[v, v, v, alpha[s[1].index()]]);
            }
        }
        Layout::Rgb => {
            for (o, &s) in out.iter_mut().zip(src) {
                *o = colour[s.index()];
            }
        }
        Layout::Rgba => {
            for (o, s) in out.chunks_exact_mut(4).zip(src.chunks_exact(4)) {
                o[0] = colour[s[0].index()];
                o[1] = colour[s[1].index()];
                o[2] = colour[s[2].index()];
                o[3] = alpha[s[3].index()];
            }
        }
    }
}

/// `v` clipped to `0..=max` (NaN to 0), as an integer with its fraction
/// dropped: the same result as `v.clamp(0.0, max) as i32`, but a loop of
/// it vectorises (Rust's saturating cast stays scalar, one compare and
/// branch per value, which made these loops the conversions' hot spot).
#[inline(always)]
pub(crate) fn clip_to_code(v: f32, max: f32) -> i32 {
    // `max` then `min`, not `clamp`: they take NaN to 0 like the cast did.
    #[allow(clippy::manual_clamp)]
    let clipped = v.max(0.0).min(max);
    debug_assert!((0.0..=i32::MAX as f32).contains(&max));
    // SAFETY: `clipped` is finite and within 0..=max, which fits an i32.
    unsafe { clipped.to_int_unchecked::<i32>() }
}

/// Stored value (0..1) to a 16-bit code, rounding to nearest so that a
/// decode followed by an encode gives back the same code.
#[inline(always)]
pub(crate) fn quantise16(v: f32) -> u16 {
    (v.clamp(0.0, 1.0) * 65535.0 + 0.5) as u16
}

/// Stored value (0..1) to an 8-bit code, rounding to nearest.
#[inline(always)]
pub(crate) fn quantise8(v: f32) -> u8 {
    (v.clamp(0.0, 1.0) * 255.0 + 0.5) as u8
}

/// Integer codes a frame can be encoded into.
pub(crate) trait Quantise: Copy + Default + Send + Sync {
    const MAX: Self;
    fn quantise(v: f32) -> Self;
}

impl Quantise for u16 {
    const MAX: u16 = u16::MAX;
    #[inline(always)]
    fn quantise(v: f32) -> u16 {
        quantise16(v)
    }
}

impl Quantise for u8 {
    const MAX: u8 = u8::MAX;
    #[inline(always)]
    fn quantise(v: f32) -> u8 {
        quantise8(v)
    }
}

/// Encode a linear float frame into interleaved integer codes with the
/// layout `layout`, rows `stride` codes apart in `dst`. A mask (1 channel)
/// written to RGB is replicated to grey; RGB written with alpha gets an
/// opaque alpha; RGBA written without alpha drops it.
pub(crate) fn frame_to_codes<Q: Quantise>(
    frame: &Frame,
    layout: Layout,
    table: &EncodeTable,
    dst: &mut [Q],
    stride: usize,
) {
    let width = frame.width;
    let in_len = width * frame.channels;
    let out_len = width * layout.samples();
    if frame.height == 0 || width == 0 {
        return;
    }
    dst.par_chunks_mut(stride * ROWS_PER_TASK)
        .enumerate()
        .for_each(|(task, out)| {
            for (r, out_row) in out.chunks_mut(stride).enumerate() {
                let y = task * ROWS_PER_TASK + r;
                if y >= frame.height {
                    break;
                }
                let in_row = &frame.data[y * in_len..(y + 1) * in_len];
                encode_row(
                    in_row,
                    frame.channels,
                    &mut out_row[..out_len],
                    layout,
                    table,
                );
            }
        });
}

#[inline]
fn encode_row<Q: Quantise>(
    src: &[f32],
    src_channels: usize,
    out: &mut [Q],
    layout: Layout,
    table: &EncodeTable,
) {
    let c = |v: f32| Q::quantise(table.encode(v));
    let a = |v: f32| Q::quantise(v);
    let lum = luma;
    match (src_channels, layout) {
        (1, Layout::Grey) => out.iter_mut().zip(src).for_each(|(o, &s)| *o = c(s)),
        (1, Layout::GreyAlpha) => out.chunks_exact_mut(2).zip(src).for_each(|(o, &s)| {
            o[0] = c(s);
            o[1] = Q::MAX;
        }),
        (1, Layout::Rgb) => out.chunks_exact_mut(3).zip(src).for_each(|(o, &s)| {
            let v = c(s);
            o.copy_from_slice(&[v, v, v]);
        }),
        (1, Layout::Rgba) => out.chunks_exact_mut(4).zip(src).for_each(|(o, &s)| {
            let v = c(s);
            o.copy_from_slice(&[v, v, v, Q::MAX]);
        }),
        (n, Layout::Grey) => out
            .iter_mut()
            .zip(src.chunks_exact(n))
            .for_each(|(o, p)| *o = c(lum(p))),
        (n, Layout::GreyAlpha) => {
            out.chunks_exact_mut(2)
                .zip(src.chunks_exact(n))
                .for_each(|(o, p)| {
                    o[0] = c(lum(p));
                    o[1] = if n == 4 { a(p[3]) } else { Q::MAX };
                })
        }
        (3, Layout::Rgb) => out.iter_mut().zip(src).for_each(|(o, &s)| *o = c(s)),
        (n, Layout::Rgb) => out
            .chunks_exact_mut(3)
            .zip(src.chunks_exact(n))
            .for_each(|(o, p)| {
                o[0] = c(p[0]);
                o[1] = c(p[1]);
                o[2] = c(p[2]);
            }),
        (n, Layout::Rgba) => out
            .chunks_exact_mut(4)
            .zip(src.chunks_exact(n))
            .for_each(|(o, p)| {
                o[0] = c(p[0]);
                o[1] = c(p[1]);
                o[2] = c(p[2]);
                o[3] = if n == 4 { a(p[3]) } else { Q::MAX };
            }),
    }
}

/// Linear float straight to a stored code of `bits` bits (8 to 16) for
/// the video encode edge: one quantiser for every output depth, so 8-,
/// 10-, 12- and 16-bit outputs round alike (to nearest, half up). Same
/// nodes and interpolation as the core's [`EncodeTable`] (so the same
/// ~2e-6 accuracy), but over 0..1 only and without the branches that keep
/// the general table from vectorising: this loop touches every sample of
/// every frame before the encoder sees it.
pub(crate) struct Quantiser {
    transfer: Transfer,
    /// The largest code, 2^bits - 1.
    max: f32,
    /// Stored value x `max` at each node.
    table: Box<[f32; Q_NODES + 2]>,
}

const Q_SHIFT: u32 = 15;
/// 2^-24: below it, the exact curve (rare: black is handled separately).
const Q_MIN_BITS: u32 = 103 << 23;
const Q_MIN: f32 = 1.0 / 16_777_216.0;
/// Nodes from 2^-24 to 1.0 inclusive.
const Q_NODES: usize = ((127u32 << 23) - Q_MIN_BITS) as usize >> Q_SHIFT as usize;

impl Quantiser {
    /// A quantiser to `bits`-bit codes (8..=16) in the curve `transfer`.
    pub(crate) fn new(transfer: Transfer, bits: u32) -> Self {
        let bits = bits.clamp(8, 16);
        Self::with_max(transfer, ((1u32 << bits) - 1) as f32)
    }

    /// A quantiser to unrounded stored values 0..1 ([`Self::stored`]),
    /// for encoders that mix R'G'B' into Y'CbCr before rounding.
    pub(crate) fn unit(transfer: Transfer) -> Self {
        Self::with_max(transfer, 1.0)
    }

    fn with_max(transfer: Transfer, max: f32) -> Self {
        // One spare node past 1.0 so that 1.0 itself interpolates.
        let mut table = Box::new([0.0f32; Q_NODES + 2]);
        for (i, t) in table.iter_mut().enumerate() {
            let l = f32::from_bits(Q_MIN_BITS + ((i.min(Q_NODES) as u32) << Q_SHIFT));
            *t = transfer.from_linear(l).clamp(0.0, 1.0) * max;
        }
        Quantiser {
            transfer,
            max,
            table,
        }
    }

    /// A stored value (0..1, no curve: alpha, or values already encoded)
    /// to a code, rounded to nearest.
    #[inline(always)]
    pub(crate) fn linear(&self, v: f32) -> u16 {
        (v.clamp(0.0, 1.0) * self.max + 0.5) as u16
    }

    /// A scene-linear value to a code in the output curve.
    #[inline(always)]
    pub(crate) fn code(&self, v: f32) -> u16 {
        (self.stored(v) + 0.5) as u16
    }

    /// [`Self::stored`] without its exact branch below 2^-24 (taken as
    /// 2^-24: a stored value under 1e-6 of white, far below any code) and
    /// for NaN (black): branch-free, so that a loop of it vectorises with
    /// gathers where the CPU has them.
    #[inline(always)]
    pub(crate) fn stored_no_branch(&self, v: f32) -> f32 {
        // Not `clamp`: that keeps NaN, and NaN must index the table too.
        #[allow(clippy::manual_clamp)]
        let v = v.max(Q_MIN).min(1.0);
        let off = v.to_bits() - Q_MIN_BITS;
        let i = ((off >> Q_SHIFT) as usize).min(Q_NODES);
        let frac = (off & ((1 << Q_SHIFT) - 1)) as f32 * (1.0 / (1u32 << Q_SHIFT) as f32);
        let a = self.table[i];
        let b = self.table[i + 1];
        a + (b - a) * frac
    }

    /// A scene-linear value to its stored value in the output curve,
    /// times the largest code, clipped to 0..max and not rounded.
    #[inline(always)]
    pub(crate) fn stored(&self, v: f32) -> f32 {
        if v >= Q_MIN {
            let off = v.min(1.0).to_bits() - Q_MIN_BITS;
            let i = ((off >> Q_SHIFT) as usize).min(Q_NODES);
            let frac = (off & ((1 << Q_SHIFT) - 1)) as f32 * (1.0 / (1u32 << Q_SHIFT) as f32);
            let a = self.table[i];
            let b = self.table[i + 1];
            a + (b - a) * frac
        } else {
            // Tiny, zero, negative and NaN: the exact curve, black below.
            let v = if v > 0.0 { v } else { 0.0 };
            self.transfer.from_linear(v).clamp(0.0, 1.0) * self.max
        }
    }
}

/// Pointers to the planes of a 16-bit planar picture (FFmpeg's `gbrp16`
/// order: G, B, R, then A; or one grey plane), with strides in samples.
/// Planar rather than packed because swscale's packed 16-bit RGB paths
/// look up the pixel format once per pixel in FFmpeg 5.1 and run at a
/// fraction of the planar paths' speed.
#[derive(Clone, Copy)]
pub(crate) struct Planes16 {
    pub ptr: [*mut u16; 4],
    pub stride: [usize; 4],
    /// 1 (grey), 3 (G, B, R) or 4 (G, B, R, A).
    pub count: usize,
}

// SAFETY: users only touch disjoint rows from different threads.
unsafe impl Send for Planes16 {}
// SAFETY: as for Send: shared users write disjoint rows only.
unsafe impl Sync for Planes16 {}

impl Planes16 {
    /// Plane index for frame channel `c` (R=0, G=1, B=2, A=3).
    const ORDER: [usize; 4] = [2, 0, 1, 3];

    /// Row `y` of frame channel `c`.
    ///
    /// # Safety
    /// The planes must hold at least `y + 1` rows of `len` samples and no
    /// other thread may use the same row at the same time.
    #[inline(always)]
    unsafe fn row<'a>(&self, c: usize, y: usize, len: usize) -> &'a mut [u16] {
        let p = if self.count == 1 { 0 } else { Self::ORDER[c] };
        // SAFETY: guaranteed by the caller.
        unsafe { std::slice::from_raw_parts_mut(self.ptr[p].add(y * self.stride[p]), len) }
    }
}

/// Decode a planar 16-bit picture into a linear float frame with 3 (or,
/// when `planes.count == 4`, 4) channels.
///
/// # Safety
/// `planes` must describe `height` rows of `width` samples each.
pub(crate) unsafe fn planes_to_frame(
    planes: Planes16,
    width: usize,
    height: usize,
    lut: &DecodeLut,
    index: i64,
) -> Frame {
    let channels = if planes.count == 4 { 4 } else { 3 };
    let row_len = width * channels;
    let mut data = retake_core::frame::recycled_buffer(row_len * height);
    let colour = &lut.colour[..];
    let alpha = &lut.alpha[..];
    data.par_chunks_mut(row_len)
        .enumerate()
        .for_each(|(y, out)| {
            // SAFETY: rows are only read; the caller vouches for the sizes.
            unsafe {
                if planes.count == 1 {
                    let g = planes.row(0, y, width);
                    for (o, &v) in out.chunks_exact_mut(3).zip(g.iter()) {
                        let l = colour[v as usize];
                        o.copy_from_slice(&[l, l, l]);
                    }
                    return;
                }
                let (r, g, b) = (
                    planes.row(0, y, width),
                    planes.row(1, y, width),
                    planes.row(2, y, width),
                );
                if channels == 4 {
                    let a = planes.row(3, y, width);
                    for (x, o) in out.chunks_exact_mut(4).enumerate() {
                        o[0] = colour[r[x] as usize];
                        o[1] = colour[g[x] as usize];
                        o[2] = colour[b[x] as usize];
                        o[3] = alpha[a[x] as usize];
                    }
                } else {
                    for (x, o) in out.chunks_exact_mut(3).enumerate() {
                        o[0] = colour[r[x] as usize];
                        o[1] = colour[g[x] as usize];
                        o[2] = colour[b[x] as usize];
                    }
                }
            }
        });
    Frame {
        index,
        width,
        height,
        channels,
        data,
    }
}

/// Where an encoder wants a frame's codes: its own picture's planes, so
/// the float frame is quantised in one pass with no copy in between.
#[derive(Clone, Copy)]
pub(crate) enum Picture {
    /// Planar 16-bit samples holding codes of up to 16 bits (FFmpeg's
    /// `gbrp10`, `gbrap12`, `gray16`, ...).
    Planar(Planes16),
    /// Packed 8-bit B, G, R and alpha (FFmpeg's `bgra`), or an unused
    /// fourth byte (`bgr0`, which FFV1 takes where it refuses 8-bit `gbrp`).
    Bgrx8 {
        ptr: *mut u8,
        /// Bytes from one row to the next.
        stride: usize,
    },
    /// One 8-bit grey plane (`gray`): masks.
    Grey8 { ptr: *mut u8, stride: usize },
}

// SAFETY: users only touch disjoint rows from different threads.
unsafe impl Send for Picture {}
// SAFETY: as for Send: shared users write disjoint rows only.
unsafe impl Sync for Picture {}

/// Encode a linear float frame into `picture` through `q`: colour through
/// the output curve, alpha linear (opaque when the frame has none), a mask
/// (1 channel) to grey or replicated to G, B, R, and RGB to grey by luma.
///
/// # Safety
/// `picture` must describe `frame.height` writable rows of `frame.width`
/// pixels each, in its layout.
pub(crate) unsafe fn frame_to_picture(frame: &Frame, picture: Picture, q: &Quantiser) {
    let width = frame.width;
    if width == 0 {
        return;
    }
    let row_len = width * frame.channels;
    frame
        .data
        .par_chunks(row_len * ROWS_PER_TASK)
        .enumerate()
        .for_each(|(task, rows)| {
            for (r, src) in rows.chunks_exact(row_len).enumerate() {
                let y = task * ROWS_PER_TASK + r;
                // SAFETY: each task writes only its own rows.
                unsafe { picture_row(src, frame.channels, width, y, picture, q) };
            }
        });
}

/// One row of [`frame_to_picture`].
///
/// # Safety
/// As for [`frame_to_picture`]; row `y` is used by this caller only.
#[inline]
unsafe fn picture_row(src: &[f32], n: usize, width: usize, y: usize, pic: Picture, q: &Quantiser) {
    let c = |v: f32| q.code(v);
    match pic {
        Picture::Grey8 { ptr, stride } => {
            // SAFETY: the caller vouches for row `y` of `width` samples.
            let g = unsafe { std::slice::from_raw_parts_mut(ptr.add(y * stride), width) };
            if n == 1 {
                g.iter_mut().zip(src).for_each(|(o, &v)| *o = c(v) as u8);
            } else {
                for (o, p) in g.iter_mut().zip(src.chunks_exact(n)) {
                    *o = c(luma(p)) as u8;
                }
            }
        }
        Picture::Bgrx8 { ptr, stride } => {
            // SAFETY: the caller vouches for row `y` of `width` pixels.
            let row = unsafe { std::slice::from_raw_parts_mut(ptr.add(y * stride), width * 4) };
            let opaque = q.linear(1.0) as u8;
            if n == 1 {
                for (o, &v) in row.chunks_exact_mut(4).zip(src) {
                    let g = c(v) as u8;
                    o.copy_from_slice(&[g, g, g, opaque]);
                }
            } else {
                for (o, p) in row.chunks_exact_mut(4).zip(src.chunks_exact(n)) {
                    let a = if n == 4 { q.linear(p[3]) as u8 } else { opaque };
                    o.copy_from_slice(&[c(p[2]) as u8, c(p[1]) as u8, c(p[0]) as u8, a]);
                }
            }
        }
        // SAFETY: the caller vouches for row `y` of every plane.
        Picture::Planar(planes) => unsafe {
            if planes.count == 1 {
                let g = planes.row(0, y, width);
                if n == 1 {
                    g.iter_mut().zip(src).for_each(|(o, &v)| *o = c(v));
                } else {
                    for (o, p) in g.iter_mut().zip(src.chunks_exact(n)) {
                        *o = c(luma(p));
                    }
                }
                return;
            }
            let (r, g, b) = (
                planes.row(0, y, width),
                planes.row(1, y, width),
                planes.row(2, y, width),
            );
            if n == 1 {
                for (x, &v) in src.iter().enumerate() {
                    let code = c(v);
                    r[x] = code;
                    g[x] = code;
                    b[x] = code;
                }
            } else {
                for (x, p) in src.chunks_exact(n).enumerate() {
                    r[x] = c(p[0]);
                    g[x] = c(p[1]);
                    b[x] = c(p[2]);
                }
            }
            if planes.count == 4 {
                let a = planes.row(3, y, width);
                if n == 4 {
                    for (x, p) in src.chunks_exact(4).enumerate() {
                        a[x] = q.linear(p[3]);
                    }
                } else {
                    a.fill(q.linear(1.0));
                }
            }
        },
    }
}

/// Native-endian 16-bit planar formats for 1, 3 or 4 planes.
pub(crate) fn planar16_format(count: usize) -> ffi::AVPixelFormat {
    use ffi::AVPixelFormat::*;
    let le = cfg!(target_endian = "little");
    match (count, le) {
        (1, true) => AV_PIX_FMT_GRAY16LE,
        (1, false) => AV_PIX_FMT_GRAY16BE,
        (4, true) => AV_PIX_FMT_GBRAP16LE,
        (4, false) => AV_PIX_FMT_GBRAP16BE,
        (_, true) => AV_PIX_FMT_GBRP16LE,
        (_, false) => AV_PIX_FMT_GBRP16BE,
    }
}

/// A swscale context with its YCbCr matrix and ranges set explicitly,
/// because swscale otherwise assumes BT.601 for everything.
pub(crate) struct Scaler {
    ctx: *mut ffi::SwsContext,
    height: i32,
}

// SAFETY: the context is only used through `&mut self`, never shared.
unsafe impl Send for Scaler {}

impl Scaler {
    /// A same-size converter from `src` to `dst`. `src_full` / `dst_full`
    /// say whether the YCbCr side uses full-range codes.
    pub(crate) fn new(
        width: usize,
        height: usize,
        src: ffi::AVPixelFormat,
        dst: ffi::AVPixelFormat,
        matrix: Matrix,
        src_full: bool,
        dst_full: bool,
    ) -> Option<Scaler> {
        let (w, h) = (i32::try_from(width).ok()?, i32::try_from(height).ok()?);
        let flags = ffi::SWS_BILINEAR
            | ffi::SWS_ACCURATE_RND
            | ffi::SWS_FULL_CHR_H_INT
            | ffi::SWS_FULL_CHR_H_INP;
        // SAFETY: plain constructor call; a null result is handled.
        let ctx = unsafe {
            ffi::sws_getContext(
                w,
                h,
                src,
                w,
                h,
                dst,
                flags,
                std::ptr::null_mut(),
                std::ptr::null_mut(),
                std::ptr::null(),
            )
        };
        if ctx.is_null() {
            return None;
        }
        let cs = match matrix {
            Matrix::Bt601 => ffi::SWS_CS_ITU601,
            Matrix::Bt2020 => ffi::SWS_CS_BT2020,
            Matrix::Bt709 | Matrix::Rgb => ffi::SWS_CS_ITU709,
        };
        // SAFETY: ctx is valid; the coefficient tables are static.
        unsafe {
            let table = ffi::sws_getCoefficients(cs);
            ffi::sws_setColorspaceDetails(
                ctx,
                table,
                src_full as i32,
                table,
                dst_full as i32,
                0,
                1 << 16,
                1 << 16,
            );
        }
        Some(Scaler { ctx, height: h })
    }

    /// A same-size format change between Y'CbCr formats as the `ffmpeg`
    /// tool makes it (its default bicubic filter, swscale's default
    /// ranges): the straight copy's conversion, whose pictures then equal
    /// that tool's.
    pub(crate) fn like_ffmpeg(
        width: usize,
        height: usize,
        src: ffi::AVPixelFormat,
        dst: ffi::AVPixelFormat,
    ) -> Option<Scaler> {
        let (w, h) = (i32::try_from(width).ok()?, i32::try_from(height).ok()?);
        // SAFETY: plain constructor call; a null result is handled.
        let ctx = unsafe {
            ffi::sws_getContext(
                w,
                h,
                src,
                w,
                h,
                dst,
                ffi::SWS_BICUBIC,
                std::ptr::null_mut(),
                std::ptr::null_mut(),
                std::ptr::null(),
            )
        };
        (!ctx.is_null()).then_some(Scaler { ctx, height: h })
    }

    /// Convert one whole picture.
    ///
    /// # Safety
    /// The pointers and strides must describe pictures of the size and
    /// formats this scaler was made for.
    pub(crate) unsafe fn scale(
        &mut self,
        src: &[*const u8; 4],
        src_stride: &[i32; 4],
        dst: &[*mut u8; 4],
        dst_stride: &[i32; 4],
    ) {
        // SAFETY: guaranteed by the caller.
        unsafe {
            ffi::sws_scale(
                self.ctx,
                src.as_ptr(),
                src_stride.as_ptr(),
                0,
                self.height,
                dst.as_ptr(),
                dst_stride.as_ptr(),
            );
        }
    }
}

impl Drop for Scaler {
    fn drop(&mut self) {
        // SAFETY: ctx came from sws_getContext and is freed once.
        unsafe { ffi::sws_freeContext(self.ctx) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clipping_to_codes_matches_the_saturating_cast() {
        let mut values = vec![
            f32::NAN,
            -f32::NAN,
            f32::INFINITY,
            f32::NEG_INFINITY,
            -0.0,
            -1e-30,
            f32::MAX,
            f32::MIN,
        ];
        // Every quarter code around the 8-, 10- and 16-bit ranges.
        values.extend((-8..=4 * 65540).map(|q| q as f32 * 0.25));
        for max in [255.0, 1023.0, 65535.0] {
            for &v in &values {
                let cast = v.clamp(0.0, max) as i32;
                assert_eq!(clip_to_code(v, max), cast, "{v} clipped to 0..={max}");
            }
        }
    }

    #[test]
    fn every_16_bit_code_survives_decode_and_encode() {
        for t in Transfer::ALL {
            let codes: Vec<u16> = (0..=u16::MAX).collect();
            let lut = DecodeLut::new(t, 16);
            let frame = codes_to_frame(&codes, 65536, 65536, 1, Layout::Grey, &lut, 0);
            let mut back = vec![0u16; 65536 * 3];
            frame_to_codes(
                &frame,
                Layout::Rgb,
                &EncodeTable::new(t),
                &mut back,
                65536 * 3,
            );
            for (c, b) in codes.iter().zip(back.iter().step_by(3)) {
                assert_eq!(c, b, "{t:?}");
            }
        }
    }

    #[test]
    fn every_8_bit_code_survives_decode_and_encode() {
        for t in Transfer::ALL {
            let codes: Vec<u8> = (0..=u8::MAX).collect();
            let lut = DecodeLut::new(t, 8);
            let frame = codes_to_frame(&codes, 256, 256, 1, Layout::Grey, &lut, 0);
            let mut back = vec![0u8; 256 * 3];
            frame_to_codes(
                &frame,
                Layout::Rgb,
                &EncodeTable::new(t),
                &mut back,
                256 * 3,
            );
            for (i, c) in codes.iter().enumerate() {
                assert_eq!(*c, back[i * 3], "{t:?}");
            }
        }
    }

    #[test]
    fn quantiser_matches_the_exact_curve() {
        for t in Transfer::ALL {
            let q = Quantiser::new(t, 16);
            let lut = t.decode_table(16);
            // Every code decodes and re-quantises to itself.
            for (c, &l) in lut.iter().enumerate() {
                assert_eq!(q.code(l) as usize, c, "{t:?}");
            }
            for v in [-1.0, 0.0, f32::NAN, 1e-30, 1.5, f32::INFINITY] {
                let exact = quantise16(t.from_linear(if v > 0.0 { v } else { 0.0 }));
                assert_eq!(q.code(v), exact, "{t:?} at {v}");
            }
        }
    }

    #[test]
    fn every_code_of_each_depth_survives_its_quantiser() {
        for bits in [8u32, 10, 12, 16] {
            let max = ((1u32 << bits) - 1) as f32;
            for t in Transfer::ALL {
                let q = Quantiser::new(t, bits);
                for c in 0..=(1u32 << bits) - 1 {
                    let l = t.to_linear(c as f32 / max);
                    assert_eq!(u32::from(q.code(l)), c, "{bits} bits, {t:?}");
                }
                // Out of range, NaN and black clip like the 16-bit path.
                assert_eq!(q.code(f32::NAN), 0);
                assert_eq!(q.code(-1.0), 0);
                assert_eq!(u32::from(q.code(2.0)), max as u32);
                assert_eq!(u32::from(q.linear(0.5)), (max * 0.5 + 0.5) as u32);
            }
        }
    }

    #[test]
    fn packed_8_bit_is_blue_green_red_alpha() {
        let rgba =
            Frame::from_data(0, 2, 1, 4, vec![1.0, 0.0, 0.0, 0.2, 0.0, 0.0, 1.0, 1.0]).unwrap();
        let mut out = vec![0u8; 8];
        let picture = Picture::Bgrx8 {
            ptr: out.as_mut_ptr(),
            stride: 8,
        };
        // SAFETY: one row of two 4-byte pixels.
        unsafe { frame_to_picture(&rgba, picture, &Quantiser::new(Transfer::Srgb, 8)) };
        assert_eq!(out, [0, 0, 255, 51, 255, 0, 0, 255]);
        let rgb = Frame::from_data(0, 1, 1, 3, vec![0.0, 1.0, 0.0]).unwrap();
        let mut out = vec![7u8; 4];
        let picture = Picture::Bgrx8 {
            ptr: out.as_mut_ptr(),
            stride: 4,
        };
        // SAFETY: as above, one pixel.
        unsafe { frame_to_picture(&rgb, picture, &Quantiser::new(Transfer::Srgb, 8)) };
        assert_eq!(out, [0, 255, 0, 255]);
    }

    #[test]
    fn masks_replicate_and_alpha_stays_linear() {
        let mask = Frame::from_data(3, 2, 1, 1, vec![0.0, 1.0]).unwrap();
        let mut out = vec![0u16; 8];
        frame_to_codes(
            &mask,
            Layout::Rgba,
            &EncodeTable::new(Transfer::Srgb),
            &mut out,
            8,
        );
        assert_eq!(out, [0, 0, 0, 65535, 65535, 65535, 65535, 65535]);

        let rgba = Frame::from_data(0, 1, 1, 4, vec![0.5, 0.5, 0.5, 0.5]).unwrap();
        let mut out = vec![0u16; 4];
        frame_to_codes(
            &rgba,
            Layout::Rgba,
            &EncodeTable::new(Transfer::Srgb),
            &mut out,
            4,
        );
        assert_eq!(out[3], 32768);
        assert!(out[0] > 40000, "colour goes through the curve: {out:?}");
    }

    #[test]
    fn planar_round_trip_keeps_codes_and_channel_order() {
        let (w, h) = (5, 3);
        let mut store = vec![vec![0u16; w * h]; 4];
        for (p, plane) in store.iter_mut().enumerate() {
            for (i, v) in plane.iter_mut().enumerate() {
                *v = (p * 10000 + i * 997) as u16;
            }
        }
        let ptr = [0, 1, 2, 3].map(|p| store[p].as_mut_ptr());
        let planes = Planes16 {
            ptr,
            stride: [w; 4],
            count: 4,
        };
        let lut = DecodeLut::new(Transfer::Bt709, 16);
        // SAFETY: four planes of w*h samples.
        let frame = unsafe { planes_to_frame(planes, w, h, &lut, 0) };
        // Plane 2 is red.
        assert_eq!(frame.data[0], lut.colour[store[2][0] as usize]);
        assert_eq!(frame.data[3], lut.alpha[store[3][0] as usize]);
        let before = store.clone();
        for plane in &mut store {
            plane.fill(0);
        }
        let ptr = [0, 1, 2, 3].map(|p| store[p].as_mut_ptr());
        let planes = Planes16 { ptr, ..planes };
        // SAFETY: as above.
        unsafe {
            frame_to_picture(
                &frame,
                Picture::Planar(planes),
                &Quantiser::new(Transfer::Bt709, 16),
            )
        };
        assert_eq!(store, before);
    }
}
