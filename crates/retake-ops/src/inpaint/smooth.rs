//! The smoothest fill: a membrane (harmonic interpolation) from the hole's
//! border, as diffusion-based inpainting (Navier-Stokes, Telea) does. No
//! texture, but no invented structure either, and stable in time: small
//! changes at the border give small changes inside.

use super::{HoleImage, SpatialFill};
use retake_core::error::{Error, Result};

/// Harmonic fill, coarse to fine.
#[derive(Clone, Copy, Debug, Default)]
pub struct Membrane;

impl SpatialFill for Membrane {
    fn name(&self) -> &str {
        "smooth"
    }

    fn invents_texture(&self) -> bool {
        false
    }

    fn fill(&self, image: &mut HoleImage) -> Result<()> {
        let (w, h) = (image.width, image.height);
        if image.rgb.len() != w * h * 3 || image.hole.len() != w * h {
            return Err(Error::Internal(
                "smooth fill: buffer sizes do not match".into(),
            ));
        }
        if !image.hole.iter().any(|v| *v) {
            return Ok(());
        }
        if image.hole.iter().all(|v| *v) {
            return Err(Error::Internal(
                "smooth fill: the hole covers the whole image, there is nothing to fill from"
                    .into(),
            ));
        }
        // Solved in place: the picture's own values start the relaxation,
        // and only its hole pixels change. A value that is not finite
        // would spread, so it counts as 0 while solving; a known one is
        // put back afterwards (known pixels come back unchanged).
        let mut odd_known = Vec::new();
        for (i, v) in image.rgb.iter_mut().enumerate() {
            if !v.is_finite() {
                if !image.hole[i / 3] {
                    odd_known.push((i, *v));
                }
                *v = 0.0;
            }
        }
        harmonic(&mut image.rgb, &image.hole, w, h);
        for (i, v) in odd_known {
            image.rgb[i] = v;
        }
        Ok(())
    }
}

/// Runs a smooth (texture-free) spatial fill on square-rooted values, so it
/// interpolates code values rather than scene-linear light. Code values
/// (sRGB, Rec.709, gamma 2.2-2.4) are close to a square root of the
/// light, and that is the scale on which a fill is seen and scored: a
/// membrane in linear light leans to the brighter side of its border (one
/// bright rim pixel outweighs several dark ones), one in code values takes
/// the middle. A square root is the cheapest such curve and is defined for
/// any value (the sign is kept, for scene-linear values below 0 or above
/// 1). Only the hole pixels are meant to be read back: known pixels come
/// back squared from their roots, within rounding of what they were.
pub fn fill_in_code_values(fill: &dyn SpatialFill, image: &mut HoleImage) -> Result<()> {
    for v in image.rgb.iter_mut() {
        *v = to_code_value(*v);
    }
    let filled = fill.fill(image);
    for v in image.rgb.iter_mut() {
        *v = from_code_value(*v);
    }
    filled
}

/// Light to the square-root scale of [`fill_in_code_values`], sign kept.
pub fn to_code_value(v: f32) -> f32 {
    v.abs().sqrt().copysign(v)
}

/// The inverse of [`to_code_value`].
pub fn from_code_value(e: f32) -> f32 {
    (e * e).copysign(e)
}

/// Solve Laplace's equation in the hole pixels of `x` (interleaved RGB,
/// all finite) with the others fixed, in place: solved on a half-size
/// picture first, which then starts the relaxation here, so large holes
/// converge in a few sweeps. In place because the fill's crop can be most
/// of a 1080p frame: a copy of the picture per level was most of a
/// render's scratch.
fn harmonic(x: &mut [f32], hole: &[bool], w: usize, h: usize) {
    if w > 8 && h > 8 {
        let (hw, hh) = (w.div_ceil(2), h.div_ceil(2));
        // Each half-size pixel: the mean of the known pixels under it,
        // unknown where there is none. Adding only the known ones gives
        // the bits of the weighted sum it replaces (a weight of 0 added
        // a signed zero, which changes no sum that starts at +0).
        let mut coarse = vec![0.0f32; hw * hh * 3];
        let mut count = vec![0u8; hw * hh];
        for y in 0..h {
            for xx in 0..w {
                let i = y * w + xx;
                if hole[i] {
                    continue;
                }
                let j = (y / 2) * hw + xx / 2;
                count[j] += 1;
                for c in 0..3 {
                    coarse[j * 3 + c] += x[i * 3 + c];
                }
            }
        }
        for (j, n) in count.iter().enumerate().filter(|(_, n)| **n > 0) {
            for c in 0..3 {
                coarse[j * 3 + c] /= f32::from(*n);
            }
        }
        let coarse_hole: Vec<bool> = count.iter().map(|n| *n == 0).collect();
        drop(count);
        harmonic(&mut coarse, &coarse_hole, hw, hh);
        for y in 0..h {
            for xx in 0..w {
                let i = y * w + xx;
                if hole[i] {
                    let j = (y / 2) * hw + xx / 2;
                    x[i * 3..i * 3 + 3].copy_from_slice(&coarse[j * 3..j * 3 + 3]);
                }
            }
        }
    } else {
        // Tiny picture: start from the mean of the known pixels.
        let n = hole.iter().filter(|u| !**u).count() as f32;
        let mut mean = [0.0f32; 3];
        for i in (0..w * h).filter(|&i| !hole[i]) {
            for c in 0..3 {
                mean[c] += x[i * 3 + c] / n.max(1.0);
            }
        }
        for i in (0..w * h).filter(|&i| hole[i]) {
            x[i * 3..i * 3 + 3].copy_from_slice(&mean);
        }
    }
    relax(x, hole, w, h);
}

/// Sweeps of the red-black over-relaxation: enough after the half-size
/// start for the fill to settle.
const SWEEPS: usize = 40;

/// Over-relaxes the hole pixels of `x` (interleaved RGB) towards the mean
/// of their four neighbours, [`SWEEPS`] times. Red-black ordering: a
/// pixel's neighbours are all of the other colour, so the updates of one
/// colour do not depend on each other and the result is the same in any
/// order. That is what lets a whole row of a colour be updated at once:
/// the new value is computed for every channel of the row's stretch of
/// hole (vector lanes, the other colour's and known pixels included) and
/// kept only where it belongs, with the same arithmetic per channel as a
/// pixel at a time ([`relax_pixel`]), so the same bits.
fn relax(x: &mut [f32], hole: &[bool], w: usize, h: usize) {
    let plan = RelaxPlan::new(hole, w, h);
    let mut scratch = Vec::new();
    for _ in 0..SWEEPS {
        for colour in 0..2 {
            plan.relax_rows(x, colour, w, &mut scratch);
            for &(i, sides) in &plan.edge[colour] {
                relax_pixel(x, i as usize, sides, w);
            }
        }
    }
}

/// Where [`relax`] works: per checkerboard colour, the hole pixels on the
/// picture's border (some neighbours missing, one at a time) and, for
/// every other row, the stretch from its first to its last hole pixel
/// with which channels of it are that colour's hole (found once, not in
/// every sweep).
struct RelaxPlan {
    rows: Vec<RowStretch>,
    /// Per colour: for every channel of every stretch, in order, all ones
    /// where it is that colour's hole and zero elsewhere.
    keep: [Vec<u32>; 2],
    /// Per colour: border hole pixels and which of their four neighbours
    /// exist (left, right, up, down as bits 1, 2, 4, 8).
    edge: [Vec<(u32, u8)>; 2],
}

/// A row's stretch of interior pixels that holds all its interior hole
/// pixels, as channel offsets into the picture and into `keep`.
struct RowStretch {
    start: usize,
    len: usize,
    at: usize,
}

impl RelaxPlan {
    fn new(hole: &[bool], w: usize, h: usize) -> Self {
        let mut plan = RelaxPlan {
            rows: Vec::new(),
            keep: [Vec::new(), Vec::new()],
            edge: [Vec::new(), Vec::new()],
        };
        for y in 0..h {
            let row = &hole[y * w..(y + 1) * w];
            if y == 0 || y + 1 == h || w < 3 {
                for x in (0..w).filter(|&x| row[x]) {
                    plan.push_edge(x, y, w, h);
                }
                continue;
            }
            for x in [0, w - 1].into_iter().filter(|&x| row[x]) {
                plan.push_edge(x, y, w, h);
            }
            let inner = &row[1..w - 1];
            let (Some(lo), Some(hi)) = (
                inner.iter().position(|v| *v),
                inner.iter().rposition(|v| *v),
            ) else {
                continue;
            };
            let (lo, hi) = (lo + 1, hi + 1);
            plan.rows.push(RowStretch {
                start: 3 * (y * w + lo),
                len: 3 * (hi + 1 - lo),
                at: plan.keep[0].len(),
            });
            for (x, &in_hole) in row.iter().enumerate().take(hi + 1).skip(lo) {
                for (colour, keep) in plan.keep.iter_mut().enumerate() {
                    let mine = in_hole && (x + y) % 2 == colour;
                    keep.extend([if mine { u32::MAX } else { 0 }; 3]);
                }
            }
        }
        plan
    }

    fn push_edge(&mut self, x: usize, y: usize, w: usize, h: usize) {
        let sides = u8::from(x > 0)
            | u8::from(x + 1 < w) << 1
            | u8::from(y > 0) << 2
            | u8::from(y + 1 < h) << 3;
        self.edge[(x + y) % 2].push(((y * w + x) as u32, sides));
    }

    /// One update of `colour`'s hole pixels away from the border.
    fn relax_rows(&self, x: &mut [f32], colour: usize, w: usize, scratch: &mut Vec<f32>) {
        for row in &self.rows {
            if scratch.len() < row.len {
                scratch.resize(row.len, 0.0);
            }
            let keep = &self.keep[colour][row.at..row.at + row.len];
            relax_stretch(x, row.start, 3 * w, keep, &mut scratch[..row.len]);
        }
    }
}

/// Channels `start..start + keep.len()` of `x` over-relaxed towards the
/// mean of their neighbours' (left, right, up, down: summed in that order
/// from zero, as [`relax_pixel`] does; `stride` channels to the next row),
/// kept where `keep` is all ones and left where it is zero (a select on
/// the bits, so the loops vectorise), with AVX2 where the CPU has it.
fn relax_stretch(x: &mut [f32], start: usize, stride: usize, keep: &[u32], scratch: &mut [f32]) {
    #[cfg(target_arch = "x86_64")]
    {
        if std::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU has AVX2 (checked just above).
            unsafe { relax_stretch_avx2(x, start, stride, keep, scratch) };
            return;
        }
    }
    relax_stretch_body(x, start, stride, keep, scratch);
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn relax_stretch_avx2(
    x: &mut [f32],
    start: usize,
    stride: usize,
    keep: &[u32],
    scratch: &mut [f32],
) {
    relax_stretch_body(x, start, stride, keep, scratch);
}

#[inline(always)]
fn relax_stretch_body(
    x: &mut [f32],
    start: usize,
    stride: usize,
    keep: &[u32],
    scratch: &mut [f32],
) {
    let (b, n) = (start, keep.len());
    let out = &mut scratch[..n];
    let (left, right) = (&x[b - 3..b - 3 + n], &x[b + 3..b + 3 + n]);
    let (up, down, own) = (
        &x[b - stride..b - stride + n],
        &x[b + stride..b + stride + n],
        &x[b..b + n],
    );
    for k in 0..n {
        let target = (0.0 + left[k] + right[k] + up[k] + down[k]) * 0.25;
        out[k] = own[k] + 1.7 * (target - own[k]);
    }
    for ((v, new), m) in x[b..b + n].iter_mut().zip(out.iter()).zip(keep) {
        *v = f32::from_bits((new.to_bits() & m) | (v.to_bits() & !m));
    }
}

/// One over-relaxed update of pixel `i` from those of its four neighbours
/// that exist (`sides`: left, right, up, down as bits 1, 2, 4, 8), summed
/// in that order from zero and divided by their count; with all four this
/// is [`relax_stretch`]'s arithmetic (a division by 4 and a product with
/// 0.25 round alike).
fn relax_pixel(x: &mut [f32], i: usize, sides: u8, w: usize) {
    for c in 0..3 {
        let mut s = 0.0f32;
        let mut n = 0.0f32;
        for (bit, j) in [
            (1, i.wrapping_sub(1)),
            (2, i + 1),
            (4, i.wrapping_sub(w)),
            (8, i + w),
        ] {
            if sides & bit != 0 {
                s += x[j * 3 + c];
                n += 1.0;
            }
        }
        x[i * 3 + c] += 1.7 * (s / n - x[i * 3 + c]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_linear_ramp_is_continued_exactly_and_known_pixels_kept() {
        let (w, h) = (40, 30);
        let mut rgb = Vec::new();
        for y in 0..h {
            for x in 0..w {
                let v = 0.1 + 0.02 * x as f32 + 0.01 * y as f32;
                rgb.extend_from_slice(&[v, 2.0 * v, 0.5]);
            }
        }
        let truth = rgb.clone();
        let hole: Vec<bool> = (0..w * h)
            .map(|i| (10..25).contains(&(i % w)) && (8..20).contains(&(i / w)))
            .collect();
        let mut img = HoleImage {
            width: w,
            height: h,
            rgb: rgb.clone(),
            hole: hole.clone(),
        };
        for (i, _) in hole.iter().enumerate().filter(|(_, h)| **h) {
            img.rgb[i * 3] = 99.0;
        }
        Membrane.fill(&mut img).unwrap();
        let worst = img
            .rgb
            .iter()
            .zip(&truth)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f32::max);
        assert!(worst < 2e-3, "{worst}");
        for i in 0..w * h {
            if !hole[i] {
                assert_eq!(&img.rgb[i * 3..i * 3 + 3], &rgb[i * 3..i * 3 + 3]);
            }
        }
    }

    /// Pseudo-random values in -3..7 (xorshift), the same every run.
    fn noise(n: usize, mut state: u32) -> Vec<f32> {
        (0..n)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 17;
                state ^= state << 5;
                (state % 100_000) as f32 * 1e-4 - 3.0
            })
            .collect()
    }

    /// Rows of a colour updated at once give the bits of the plain
    /// red-black sweep, a pixel at a time with the general update, on
    /// holes that touch the border, have gaps and fill whole rows.
    #[test]
    fn rows_at_once_give_the_bits_of_a_pixel_at_a_time() {
        for (w, h, seed) in [(23, 17, 1u32), (2, 9, 2), (9, 2, 3), (40, 31, 4), (3, 3, 5)] {
            let x = noise(w * h * 3, 0x9e37_79b9 ^ seed);
            let hole: Vec<bool> = noise(w * h, 0x85eb_ca6b ^ seed)
                .iter()
                .enumerate()
                .map(|(i, v)| *v > -1.0 || i / w == h / 2)
                .collect();
            let mut rows = x.clone();
            relax(&mut rows, &hole, w, h);
            let mut pixels = x.clone();
            for _ in 0..SWEEPS {
                for colour in 0..2 {
                    for i in (0..w * h).filter(|&i| hole[i] && (i % w + i / w) % 2 == colour) {
                        let (px, py) = (i % w, i / w);
                        let sides = u8::from(px > 0)
                            | u8::from(px + 1 < w) << 1
                            | u8::from(py > 0) << 2
                            | u8::from(py + 1 < h) << 3;
                        relax_pixel(&mut pixels, i, sides, w);
                    }
                }
            }
            for (i, (a, b)) in rows.iter().zip(&pixels).enumerate() {
                assert_eq!(a.to_bits(), b.to_bits(), "{w}x{h}: channel {i}");
            }
            assert_ne!(rows, x, "{w}x{h}: nothing was relaxed");
        }
    }

    #[test]
    fn values_that_are_not_finite_come_back_where_known_and_do_not_spread() {
        let (w, h) = (24, 20);
        let mut rgb: Vec<f32> = (0..w * h * 3).map(|i| (i % 7) as f32 * 0.1).collect();
        let hole: Vec<bool> = (0..w * h)
            .map(|i| (6..18).contains(&(i % w)) && (5..15).contains(&(i / w)))
            .collect();
        // Known pixels next to the hole that are not numbers, and hole
        // pixels holding anything.
        let odd = [(4 * w + 8) * 3, (10 * w + 5) * 3 + 1, (15 * w + 12) * 3 + 2];
        rgb[odd[0]] = f32::NAN;
        rgb[odd[1]] = f32::INFINITY;
        rgb[odd[2]] = f32::NEG_INFINITY;
        for (i, _) in hole.iter().enumerate().filter(|(_, h)| **h) {
            rgb[i * 3] = f32::NAN;
        }
        let mut img = HoleImage {
            width: w,
            height: h,
            rgb: rgb.clone(),
            hole: hole.clone(),
        };
        Membrane.fill(&mut img).unwrap();
        for i in 0..w * h * 3 {
            if hole[i / 3] {
                assert!(img.rgb[i].is_finite(), "hole value {i}: {}", img.rgb[i]);
            } else {
                assert_eq!(img.rgb[i].to_bits(), rgb[i].to_bits(), "known value {i}");
            }
        }
    }

    /// Between a dark and a bright side the fill in code values takes the
    /// middle of their square roots (a quarter of the light), where a
    /// membrane in light takes half of it; known pixels come back within
    /// rounding.
    #[test]
    fn a_fill_in_code_values_takes_the_middle_of_the_code_values() {
        let (w, h) = (41, 9);
        let mut rgb = Vec::new();
        for _ in 0..h {
            for x in 0..w {
                let v = if x < 20 { 0.0 } else { 1.0 };
                rgb.extend_from_slice(&[v, 0.01 * v, -v]);
            }
        }
        // The hole spans whole columns 5..36, so the solution is linear
        // in x (in the values the fill works on).
        let hole: Vec<bool> = (0..w * h).map(|i| (5..36).contains(&(i % w))).collect();
        let mut img = HoleImage {
            width: w,
            height: h,
            rgb: rgb.clone(),
            hole: hole.clone(),
        };
        fill_in_code_values(&Membrane, &mut img).unwrap();
        // Column 20 is the middle of the hole (border columns 4 and 36).
        let mid = &img.rgb[(4 * w + 20) * 3..(4 * w + 20) * 3 + 3];
        // Within the relaxation's convergence (a fill in light gives twice).
        for (got, want) in mid.iter().zip([0.25, 0.0025, -0.25]) {
            assert!((got / want - 1.0).abs() < 0.1, "{mid:?}");
        }
        for i in 0..w * h * 3 {
            if !hole[i / 3] {
                assert!((img.rgb[i] - rgb[i]).abs() <= 1e-6 * rgb[i].abs(), "{i}");
            }
        }
        for v in [0.0f32, 1e-6, 0.2, 1.0, 37.5, -0.3] {
            let back = from_code_value(to_code_value(v));
            assert!((back - v).abs() <= 1e-6 * v.abs(), "{v} -> {back}");
        }
    }

    #[test]
    fn whole_hole_is_an_error() {
        let mut img = HoleImage {
            width: 4,
            height: 4,
            rgb: vec![0.0; 48],
            hole: vec![true; 16],
        };
        assert!(Membrane.fill(&mut img).is_err());
    }
}
