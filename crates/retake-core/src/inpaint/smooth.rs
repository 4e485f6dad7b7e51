//! The smoothest fill: a membrane (harmonic interpolation) from the hole's
//! border, as diffusion-based inpainting (Navier-Stokes, Telea) does. No
//! texture, but no invented structure either, and stable in time: small
//! changes at the border give small changes inside.

use super::{HoleImage, SpatialFill};
use crate::error::{Error, Result};

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
        let known: Vec<f32> = image
            .hole
            .iter()
            .map(|v| if *v { 0.0 } else { 1.0 })
            .collect();
        let values: Vec<f32> = image
            .rgb
            .iter()
            .map(|v| if v.is_finite() { *v } else { 0.0 })
            .collect();
        let solved = harmonic(&values, &known, w, h);
        for (i, hole) in image.hole.iter().enumerate() {
            if *hole {
                image.rgb[i * 3..i * 3 + 3].copy_from_slice(&solved[i * 3..i * 3 + 3]);
            }
        }
        Ok(())
    }
}

/// Solve Laplace's equation in the unknown pixels (weight 0) with the known
/// ones fixed: solved on a half-size picture first, which then starts the
/// relaxation here, so large holes converge in a few sweeps.
fn harmonic(values: &[f32], known: &[f32], w: usize, h: usize) -> Vec<f32> {
    let mut x = values.to_vec();
    if w > 8 && h > 8 {
        let (hw, hh) = (w.div_ceil(2), h.div_ceil(2));
        let mut cv = vec![0.0f32; hw * hh * 3];
        let mut ck = vec![0.0f32; hw * hh];
        for y in 0..h {
            for xx in 0..w {
                let (i, j) = (y * w + xx, (y / 2) * hw + xx / 2);
                ck[j] += known[i];
                for c in 0..3 {
                    cv[j * 3 + c] += known[i] * values[i * 3 + c];
                }
            }
        }
        for j in 0..hw * hh {
            if ck[j] > 0.0 {
                for c in 0..3 {
                    cv[j * 3 + c] /= ck[j];
                }
                ck[j] = 1.0;
            }
        }
        let coarse = harmonic(&cv, &ck, hw, hh);
        for y in 0..h {
            for xx in 0..w {
                let i = y * w + xx;
                if known[i] == 0.0 {
                    let j = (y / 2) * hw + xx / 2;
                    x[i * 3..i * 3 + 3].copy_from_slice(&coarse[j * 3..j * 3 + 3]);
                }
            }
        }
    } else {
        // Tiny picture: start from the mean of the known pixels.
        let n: f32 = known.iter().sum();
        let mut mean = [0.0f32; 3];
        for i in 0..w * h {
            for c in 0..3 {
                mean[c] += known[i] * values[i * 3 + c] / n.max(1.0);
            }
        }
        for i in 0..w * h {
            if known[i] == 0.0 {
                x[i * 3..i * 3 + 3].copy_from_slice(&mean);
            }
        }
    }
    let unknown: Vec<usize> = (0..w * h).filter(|&i| known[i] == 0.0).collect();
    for _ in 0..40 {
        for &i in &unknown {
            let (px, py) = (i % w, i / w);
            let mut s = [0.0f32; 3];
            let mut n = 0.0f32;
            let mut add = |j: usize| {
                for c in 0..3 {
                    s[c] += x[j * 3 + c];
                }
                n += 1.0;
            };
            if px > 0 {
                add(i - 1);
            }
            if px + 1 < w {
                add(i + 1);
            }
            if py > 0 {
                add(i - w);
            }
            if py + 1 < h {
                add(i + w);
            }
            for c in 0..3 {
                let target = s[c] / n;
                x[i * 3 + c] += 1.7 * (target - x[i * 3 + c]);
            }
        }
    }
    x
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
