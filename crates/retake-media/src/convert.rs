//! Pixel conversions at the two edges of the pipeline: integer codes in a
//! file's curve to scene-linear float and back. Curves are applied through
//! tables (a 65536-entry decode LUT, the core's [`EncodeTable`]) and rows
//! are spread over rayon, because these loops run on every pixel of every
//! frame and decide how close a transcode comes to plain `ffmpeg` speed.

use rayon::prelude::*;
use retake_core::colour::EncodeTable;
use retake_core::{Frame, Transfer};

/// Rows per rayon task: big enough that scheduling costs nothing next to
/// the work, small enough that two cores share a 240-line frame.
const ROWS_PER_TASK: usize = 16;

/// Decode tables for one curve: colour channels go through the curve,
/// alpha is linear coverage and only scaled.
pub(crate) struct DecodeLut {
    colour: Vec<f32>,
    alpha: Vec<f32>,
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
    let mut data = vec![0.0f32; row_len * height];
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
    let lum = |p: &[f32]| 0.2126 * p[0] + 0.7152 * p[1] + 0.0722 * p[2];
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_16_bit_code_survives_decode_and_encode() {
        for t in Transfer::ALL {
            let codes: Vec<u16> = (0..=u16::MAX).collect();
            let lut = DecodeLut::new(t, 16);
            let frame = codes_to_frame(&codes, 65536, 65536, 1, Layout::Grey, &lut, 0);
            let mut back = vec![0u16; 65536 * 3];
            frame_to_codes(&frame, Layout::Rgb, &EncodeTable::new(t), &mut back, 65536 * 3);
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
            frame_to_codes(&frame, Layout::Rgb, &EncodeTable::new(t), &mut back, 256 * 3);
            for (i, c) in codes.iter().enumerate() {
                assert_eq!(*c, back[i * 3], "{t:?}");
            }
        }
    }

    #[test]
    fn masks_replicate_and_alpha_stays_linear() {
        let mask = Frame::from_data(3, 2, 1, 1, vec![0.0, 1.0]).unwrap();
        let mut out = vec![0u16; 8];
        frame_to_codes(&mask, Layout::Rgba, &EncodeTable::new(Transfer::Srgb), &mut out, 8);
        assert_eq!(out, [0, 0, 0, 65535, 65535, 65535, 65535, 65535]);

        let rgba = Frame::from_data(0, 1, 1, 4, vec![0.5, 0.5, 0.5, 0.5]).unwrap();
        let mut out = vec![0u16; 4];
        frame_to_codes(&rgba, Layout::Rgba, &EncodeTable::new(Transfer::Srgb), &mut out, 4);
        assert_eq!(out[3], 32768);
        assert!(out[0] > 40000, "colour goes through the curve: {out:?}");
    }
}
