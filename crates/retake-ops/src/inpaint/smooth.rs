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
    // The unknown pixels of each colour of a checkerboard, each with which
    // of its four neighbours exist (found once, not in every sweep; a
    // 32-bit index keeps the list at 8 bytes a pixel, half of a `usize`'s).
    // Red-black ordering: a pixel's neighbours are all of the other colour,
    // so the updates of one colour do not wait for each other (the raster
    // order it replaces chained every pixel to the one before it), and the
    // result is the same in any order.
    let mut colours: [Vec<(u32, u8)>; 2] = [Vec::new(), Vec::new()];
    for i in (0..w * h).filter(|&i| hole[i]) {
        let (px, py) = (i % w, i / w);
        let sides = u8::from(px > 0)
            | u8::from(px + 1 < w) << 1
            | u8::from(py > 0) << 2
            | u8::from(py + 1 < h) << 3;
        colours[(px + py) % 2].push((i as u32, sides));
    }
    for _ in 0..40 {
        for &(i, sides) in colours.iter().flatten() {
            let i = i as usize;
            if sides == 0b1111 {
                relax_inner(x, i, w);
                continue;
            }
            for c in 0..3 {
                let at = |j: usize| x[j * 3 + c];
                // The neighbours summed left, right, up, down from zero, and
                // divided by their count (the inner pixels' update in
                // `relax_inner` is the same arithmetic).
                let target = {
                    let mut s = 0.0f32;
                    let mut n = 0.0f32;
                    for (bit, j) in [
                        (1, i.wrapping_sub(1)),
                        (2, i + 1),
                        (4, i.wrapping_sub(w)),
                        (8, i + w),
                    ] {
                        if sides & bit != 0 {
                            s += at(j);
                            n += 1.0;
                        }
                    }
                    s / n
                };
                x[i * 3 + c] += 1.7 * (target - x[i * 3 + c]);
            }
        }
    }
}

/// One over-relaxed update of pixel `i`, all four of whose neighbours
/// exist: the three colours at once, each neighbour's colour read as one
/// triple (a quarter of the bounds checks of reading by channel). The
/// neighbours are summed left, right, up, down from zero as at the
/// border, and a division by 4 and a product with 0.25 round alike.
#[inline(always)]
fn relax_inner(x: &mut [f32], i: usize, w: usize) {
    let triple = |x: &[f32], j: usize| -> [f32; 3] {
        let mut t = [0.0f32; 3];
        t.copy_from_slice(&x[j * 3..j * 3 + 3]);
        t
    };
    let (left, right) = (triple(x, i - 1), triple(x, i + 1));
    let (up, down) = (triple(x, i - w), triple(x, i + w));
    let own = &mut x[i * 3..i * 3 + 3];
    for c in 0..3 {
        let target = (0.0 + left[c] + right[c] + up[c] + down[c]) * 0.25;
        own[c] += 1.7 * (target - own[c]);
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

    #[test]
    fn the_inner_update_has_the_bits_of_the_general_one() {
        let (w, h) = (7, 5);
        let mut state = 0x9e37_79b9_u32;
        let x: Vec<f32> = (0..w * h * 3)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 17;
                state ^= state << 5;
                (state % 100_000) as f32 * 1e-4 - 3.0
            })
            .collect();
        for i in (1..h - 1).flat_map(|y| (1..w - 1).map(move |px| y * w + px)) {
            let mut inner = x.clone();
            relax_inner(&mut inner, i, w);
            for c in 0..3 {
                // The border's update, with all four neighbours present.
                let mut s = 0.0f32;
                let mut n = 0.0f32;
                for j in [i - 1, i + 1, i - w, i + w] {
                    s += x[j * 3 + c];
                    n += 1.0;
                }
                let general = x[i * 3 + c] + 1.7 * (s / n - x[i * 3 + c]);
                assert_eq!(inner[i * 3 + c].to_bits(), general.to_bits(), "pixel {i}");
            }
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
