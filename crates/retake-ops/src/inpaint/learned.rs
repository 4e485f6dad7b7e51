//! Learned inpainting models (role `inpaint`) as a spatial filler. The
//! hole's neighbourhood is resized and encoded the way the manifest says,
//! the model fills it, and only the hole pixels take the result, so known
//! pixels (HDR highlights included) never pass through the model's 8-bit or
//! display-range world.

use super::{HoleImage, Rect, SpatialFill};
use retake_core::colour::Transfer;
use retake_core::error::{Error, Result};
use retake_core::frame::Frame;
use retake_imageops::filter::resize;
use retake_imageops::plane::Plane;
use retake_model::image::{fixed_input_size, ModelImage};
use retake_model::manifest::{
    DType, Layout, Manifest, MaskConvention, PixelEncoding, Role, SizeRules, TensorSpec,
};
use retake_model::runtime::{Model, Tensor};

/// Context kept around the hole on each side, at least: a model needs to
/// see what surrounds a small hole to continue it.
const MIN_CONTEXT: usize = 32;
/// Size rules for a model with dynamic shapes and no `[size]`: most
/// convolutional models need sides divisible by 8, and beyond about 1024
/// pixels they get slow without getting better.
const DEFAULT_MULTIPLE: usize = 8;
const DEFAULT_MAX_SIDE: usize = 1024;

/// A learned inpainting model checked to have the contract Retake feeds:
/// one RGB image input, one mask input with a stated convention, one RGB
/// output.
pub struct LearnedFill {
    model: Model,
    /// Index of the RGB input in manifest order.
    image_input: usize,
    /// Index of the mask input in manifest order.
    mask_input: usize,
    convention: MaskConvention,
    /// Index of the RGB output in manifest order.
    output: usize,
    /// The only size the model takes, when it has one.
    fixed: Option<(usize, usize)>,
}

/// Channel count of a rank-4 tensor spec per its layout; `None` when the
/// spec is not rank 4 (or the batch is not 1).
fn channels(spec: &TensorSpec) -> Option<i64> {
    let [n, a, _, b] = spec.shape.as_slice() else {
        return None;
    };
    if *n != 1 && *n != -1 {
        return None;
    }
    Some(match spec.layout {
        Layout::Nchw => *a,
        Layout::Nhwc => *b,
    })
}

fn describe(specs: &[TensorSpec]) -> String {
    specs
        .iter()
        .map(|s| format!("`{}` {} {:?}", s.name, s.dtype, s.shape))
        .collect::<Vec<_>>()
        .join(", ")
}

impl LearnedFill {
    /// Check the manifest's contract; a model that does not fit is refused
    /// here, naming the manifest and what is wrong, not at the first frame.
    pub fn new(model: Model) -> Result<Self> {
        let m = &model.manifest;
        let bad = |problem: String| {
            Error::model(
                m.manifest_path.display(),
                format!("model `{}` cannot be used to fill holes: {problem}", m.name),
            )
        };
        if m.role != Role::Inpaint {
            return Err(bad(format!("its role is `{}`, not `inpaint`", m.role)));
        }
        let with_channels = |specs: &[TensorSpec], c: i64| -> Vec<usize> {
            (0..specs.len())
                .filter(|&i| channels(&specs[i]) == Some(c))
                .collect()
        };
        let images = with_channels(&m.inputs, 3);
        let masks = with_channels(&m.inputs, 1);
        let (image_input, mask_input) = match (m.inputs.len(), &images[..], &masks[..]) {
            (2, &[i], &[k]) => (i, k),
            _ => {
                return Err(bad(format!(
                    "an inpainting model takes exactly two inputs, an RGB image [1, 3, H, W] and a one-channel mask [1, 1, H, W] (NHWC: channels last); its inputs are {}",
                    describe(&m.inputs)
                )))
            }
        };
        let outputs = with_channels(&m.outputs, 3);
        let &[output] = &outputs[..] else {
            return Err(bad(format!(
                "an inpainting model has exactly one RGB output [1, 3, H, W]; its outputs are {}",
                describe(&m.outputs)
            )));
        };
        let mask_spec = &m.inputs[mask_input];
        let Some(convention) = mask_spec.mask else {
            return Err(bad(format!(
                "mask input `{}` does not say which value marks the hole; add `mask = \"keep\"` (high = known pixel, as MI-GAN) or `mask = \"hole\"` (high = hole, as LaMa) to it",
                mask_spec.name
            )));
        };
        for spec in [&m.inputs[image_input], mask_spec, &m.outputs[output]] {
            if spec.dtype == DType::I64 {
                return Err(bad(format!(
                    "tensor `{}` is i64; image and mask tensors must be f32 or u8",
                    spec.name
                )));
            }
            let [lo, hi] = spec.range;
            // Written so that a NaN bound is refused too.
            if hi.is_nan() || lo.is_nan() || hi <= lo {
                return Err(bad(format!(
                    "tensor `{}` has range [{lo}, {hi}]; the top must be above the bottom",
                    spec.name
                )));
            }
        }
        let fixed = fixed_input_size(&m.inputs[image_input], m.size.fixed);
        let mask_fixed = fixed_input_size(mask_spec, m.size.fixed);
        if let (Some(a), Some(b)) = (fixed, mask_fixed) {
            if a != b {
                return Err(bad(format!(
                    "the image input is {}x{} but the mask input is {}x{}",
                    a.0, a.1, b.0, b.1
                )));
            }
        }
        Ok(LearnedFill {
            model,
            image_input,
            mask_input,
            convention,
            output,
            fixed,
        })
    }

    /// The model this filler runs.
    pub fn model(&self) -> &Model {
        &self.model
    }

    fn manifest(&self) -> &Manifest {
        &self.model.manifest
    }

    /// The mask tensor at model size, per the manifest's convention.
    fn mask_tensor(&self, hole: &[f32], cw: usize, ch: usize, mw: usize, mh: usize) -> Tensor {
        let spec = &self.manifest().inputs[self.mask_input];
        let [lo, hi] = spec.range;
        let (hole_value, keep_value) = match self.convention {
            MaskConvention::Keep => (lo, hi),
            MaskConvention::Hole => (hi, lo),
        };
        let normalise = |v: f32| match (spec.mean.first(), spec.std.first()) {
            (Some(m), Some(s)) => (v - m) / s,
            _ => v,
        };
        let (hole_value, keep_value) = (normalise(hole_value), normalise(keep_value));
        let data: Vec<f32> = model_hole(hole, cw, ch, mw, mh)
            .into_iter()
            .map(|h| if h { hole_value } else { keep_value })
            .collect();
        let shape = match spec.layout {
            Layout::Nchw => vec![1, 1, mh as i64, mw as i64],
            Layout::Nhwc => vec![1, mh as i64, mw as i64, 1],
        };
        match spec.dtype {
            DType::U8 => Tensor::u8(
                shape,
                data.iter()
                    .map(|v| v.round().clamp(0.0, 255.0) as u8)
                    .collect(),
            ),
            // i64 is refused by `new`.
            DType::F32 | DType::I64 => Tensor::f32(shape, data),
        }
    }

    /// The RGB output as interleaved scene-linear values, with its size.
    fn decode_output(&self, t: &Tensor) -> Result<(usize, usize, Vec<f32>)> {
        let m = self.manifest();
        let spec = &m.outputs[self.output];
        let colour = self.model.colour.as_deref();
        let ctx = || m.model_path().display().to_string();
        let dims: Vec<usize> = t.shape.iter().map(|&d| d.max(0) as usize).collect();
        let (h, w, planar) = match (spec.layout, dims.as_slice()) {
            (Layout::Nchw, &[1, 3, h, w]) => (h, w, true),
            (Layout::Nhwc, &[1, h, w, 3]) => (h, w, false),
            _ => {
                return Err(Error::model(
                    ctx(),
                    format!(
                        "output `{}` has shape {:?}; expected one RGB picture ({:?})",
                        spec.name, t.shape, spec.layout
                    ),
                ))
            }
        };
        let values = t.to_f32();
        let n = w * h;
        if values.len() != n * 3 || n == 0 {
            return Err(Error::model(
                ctx(),
                format!(
                    "output `{}` has {} values for shape {:?}",
                    spec.name,
                    values.len(),
                    t.shape
                ),
            ));
        }
        let [lo, hi] = spec.range;
        let scale = 1.0 / (hi - lo);
        let mut rgb = vec![0.0f32; n * 3];
        for p in 0..n {
            for c in 0..3 {
                let mut v = values[if planar { c * n + p } else { p * 3 + c }];
                if let (Some(mean), Some(std)) = (spec.mean.get(c), spec.std.get(c)) {
                    v = v * std + mean;
                }
                if !v.is_finite() {
                    return Err(Error::model(
                        ctx(),
                        format!("output `{}` contains {v}", spec.name),
                    ));
                }
                let e = (v - lo) * scale;
                rgb[p * 3 + c] = match (spec.encoding, colour) {
                    (PixelEncoding::Srgb, None) => Transfer::Srgb.to_linear(e.clamp(0.0, 1.0)),
                    (PixelEncoding::Srgb, Some(_)) => e.clamp(0.0, 1.0),
                    (PixelEncoding::Linear, _) => e.max(0.0),
                };
            }
        }
        if let Some(c) = colour {
            c.decode_from_model(spec.encoding, &mut rgb)?;
        }
        Ok((w, h, rgb))
    }
}

impl SpatialFill for LearnedFill {
    fn name(&self) -> &str {
        &self.manifest().name
    }

    fn fill(&self, image: &mut HoleImage) -> Result<()> {
        let (w, h) = (image.width, image.height);
        if image.rgb.len() != w * h * 3 || image.hole.len() != w * h {
            return Err(Error::Internal(format!(
                "hole image {w}x{h} has {} values and {} hole flags",
                image.rgb.len(),
                image.hole.len()
            )));
        }
        let Some(hole_box) = Rect::bounding(&image.hole, w, h) else {
            return Ok(());
        };
        let crop = context_rect(hole_box, w, h, self.fixed);
        let (cw, ch) = (crop.width, crop.height);
        let (mw, mh) = model_size(self.fixed, &self.manifest().size, cw, ch);

        // The crop, with hole pixels set to the mean of the known ones: what
        // the caller left there (the removed object) must not reach the model.
        let mut rgb = Vec::with_capacity(cw * ch * 3);
        let mut hole = Vec::with_capacity(cw * ch);
        let mut sum = [0.0f64; 3];
        let mut known = 0usize;
        let mut any_known = false;
        for y in crop.y..crop.y + ch {
            for x in crop.x..crop.x + cw {
                let i = y * w + x;
                let px = &image.rgb[i * 3..i * 3 + 3];
                rgb.extend_from_slice(px);
                hole.push(if image.hole[i] { 1.0f32 } else { 0.0 });
                if !image.hole[i] {
                    any_known = true;
                    // A NaN or infinity would poison the mean.
                    if px.iter().all(|v| v.is_finite()) {
                        known += 1;
                        for c in 0..3 {
                            sum[c] += px[c] as f64;
                        }
                    }
                }
            }
        }
        if !any_known {
            // The context reaches past the hole wherever the picture allows,
            // so nothing known here means nothing known at all.
            return Err(Error::Internal(format!(
                "{}: the whole {w}x{h} picture is hole; there is nothing to fill it from",
                self.name()
            )));
        }
        let mean = sum.map(|s| (s / known.max(1) as f64) as f32);
        for (px, &hv) in rgb.chunks_exact_mut(3).zip(&hole) {
            if hv > 0.0 {
                px.copy_from_slice(&mean);
            }
        }

        let m = self.manifest();
        let image_spec = &m.inputs[self.image_input];
        let frame = Frame::from_data(0, cw, ch, 3, rgb)?;
        let image_tensor =
            ModelImage::from_frame(&frame, image_spec, mw, mh, self.model.colour.as_deref())?
                .to_tensor(image_spec)?;
        let mask_tensor = self.mask_tensor(&hole, cw, ch, mw, mh);
        let inputs = if self.image_input < self.mask_input {
            vec![image_tensor, mask_tensor]
        } else {
            vec![mask_tensor, image_tensor]
        };
        let outputs = self.model.run(inputs)?;
        let out = outputs.get(self.output).ok_or_else(|| {
            Error::Internal(format!("{}: the run returned no RGB output", m.name))
        })?;
        let (ow, oh, filled) = self.decode_output(out)?;
        let filled = resize(Plane::new(&filled, ow, oh, 3), cw, ch);

        for (row, y) in (crop.y..crop.y + ch).enumerate() {
            for (col, x) in (crop.x..crop.x + cw).enumerate() {
                let i = y * w + x;
                if image.hole[i] {
                    let j = (row * cw + col) * 3;
                    image.rgb[i * 3..i * 3 + 3].copy_from_slice(&filled[j..j + 3]);
                }
            }
        }
        Ok(())
    }
}

/// The hole (`hole`: 1 = hole, `cw`x`ch`) at model size `mw`x`mh`. It is
/// resized with the same filter as the picture, and a model pixel that any
/// hole pixel touches counts as hole, so no hole colour leaks into what the
/// model takes as known.
fn model_hole(hole: &[f32], cw: usize, ch: usize, mw: usize, mh: usize) -> Vec<bool> {
    resize(Plane::new(hole, cw, ch, 1), mw, mh)
        .into_iter()
        .map(|c| c > 0.0)
        .collect()
}

/// The part of a `w`x`h` picture the model sees: the hole's box grown by
/// its own extent on each side (at least [`MIN_CONTEXT`]), clipped to the
/// picture, then widened towards a fixed-size model's aspect ratio so the
/// resize to that size distorts as little as the picture allows.
fn context_rect(hole: Rect, w: usize, h: usize, fixed: Option<(usize, usize)>) -> Rect {
    let mx = hole.width.max(MIN_CONTEXT);
    let my = hole.height.max(MIN_CONTEXT);
    let (mut x0, mut x1) = (hole.x.saturating_sub(mx), (hole.x + hole.width + mx).min(w));
    let (mut y0, mut y1) = (
        hole.y.saturating_sub(my),
        (hole.y + hole.height + my).min(h),
    );
    if let Some((fw, fh)) = fixed {
        let aspect = fw as f64 / fh.max(1) as f64;
        let (cw, ch) = ((x1 - x0) as f64, (y1 - y0) as f64);
        if cw < aspect * ch {
            (x0, x1) = grow(x0, x1, (aspect * ch).round() as usize, w);
        } else {
            (y0, y1) = grow(y0, y1, (cw / aspect).round() as usize, h);
        }
    }
    Rect {
        x: x0,
        y: y0,
        width: x1 - x0,
        height: y1 - y0,
    }
}

/// Widen `lo..hi` to `want` samples, evenly on both sides where `0..limit`
/// allows, else on the side that has room.
fn grow(lo: usize, hi: usize, want: usize, limit: usize) -> (usize, usize) {
    let want = want.min(limit);
    if hi - lo >= want {
        return (lo, hi);
    }
    let extra = want - (hi - lo);
    let lo = lo.saturating_sub(extra / 2);
    let hi = (lo + want).min(limit);
    (hi - want, hi)
}

/// The size a crop of `cw`x`ch` is resized to for the model: its fixed
/// size, or the crop's own size scaled to `max_side` and rounded to
/// `multiple_of` (defaults when the manifest gives no rules).
fn model_size(
    fixed: Option<(usize, usize)>,
    rules: &SizeRules,
    cw: usize,
    ch: usize,
) -> (usize, usize) {
    if let Some(size) = fixed {
        return size;
    }
    let (multiple, max_side) = if rules.multiple_of <= 1 && rules.max_side == 0 {
        (DEFAULT_MULTIPLE, DEFAULT_MAX_SIDE)
    } else {
        (rules.multiple_of.max(1), rules.max_side)
    };
    let long = cw.max(ch) as f64;
    let scale = if max_side > 0 && long > max_side as f64 {
        max_side as f64 / long
    } else {
        1.0
    };
    let side = |v: usize| {
        let s = (v as f64 * scale).round().max(1.0) as usize;
        let r = ((s + multiple / 2) / multiple).max(1) * multiple;
        if max_side >= multiple && r > max_side {
            max_side / multiple * multiple
        } else {
            r
        }
    };
    (side(cw), side(ch))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(multiple_of: usize, max_side: usize) -> SizeRules {
        SizeRules {
            multiple_of,
            max_side,
            ..SizeRules::default()
        }
    }

    #[test]
    fn model_size_follows_the_rules() {
        assert_eq!(
            model_size(Some((512, 512)), &rules(1, 0), 300, 180),
            (512, 512)
        );
        // No rules: multiple of 8, at most 1024.
        assert_eq!(model_size(None, &rules(1, 0), 300, 180), (304, 184));
        assert_eq!(model_size(None, &rules(1, 0), 40, 30), (40, 32));
        assert_eq!(model_size(None, &rules(1, 0), 3, 2), (8, 8));
        assert_eq!(model_size(None, &rules(1, 0), 2048, 1000), (1024, 504));
        // Given rules are taken as they are: no side limit here.
        assert_eq!(model_size(None, &rules(32, 0), 2048, 1000), (2048, 992));
        assert_eq!(model_size(None, &rules(1, 500), 1000, 300), (500, 150));
        assert_eq!(model_size(None, &rules(64, 500), 1000, 1000), (448, 448));
    }

    #[test]
    fn context_grows_around_the_hole_and_stays_inside() {
        let hole = Rect {
            x: 100,
            y: 50,
            width: 10,
            height: 20,
        };
        let r = context_rect(hole, 1000, 1000, None);
        assert_eq!(
            r,
            Rect {
                x: 68,
                y: 18,
                width: 74,
                height: 84
            }
        );
        // A picture smaller than the context: the whole picture.
        let small = Rect {
            x: 10,
            y: 8,
            width: 5,
            height: 4,
        };
        let r = context_rect(small, 40, 30, None);
        assert_eq!((r.x, r.y, r.width, r.height), (0, 0, 40, 30));
        // Clipped at the right and bottom edges.
        let r = context_rect(hole, 120, 80, None);
        assert_eq!((r.x, r.y, r.width, r.height), (68, 18, 52, 62));
        // A fixed square model: the crop becomes square where it can.
        let r = context_rect(hole, 1000, 1000, Some((512, 512)));
        assert_eq!((r.width, r.height), (84, 84));
        assert!(r.x <= hole.x && r.x + r.width >= hole.x + hole.width);
        let r = context_rect(hole, 300, 90, Some((512, 512)));
        assert_eq!((r.x, r.y, r.width, r.height), (68, 16, 74, 74));
        // No room: as square as the picture allows.
        let low = Rect { y: 30, ..hole };
        let r = context_rect(low, 300, 60, Some((512, 512)));
        assert_eq!((r.x, r.y, r.width, r.height), (68, 0, 74, 60));
    }

    #[test]
    fn grow_keeps_the_range_inside_the_limit() {
        assert_eq!(grow(10, 20, 30, 100), (0, 30));
        assert_eq!(grow(40, 50, 20, 100), (35, 55));
        assert_eq!(grow(90, 100, 30, 100), (70, 100));
        assert_eq!(grow(0, 10, 500, 50), (0, 50));
        assert_eq!(grow(5, 60, 20, 100), (5, 60));
    }

    #[test]
    fn any_hole_coverage_makes_a_model_pixel_hole() {
        let (cw, ch) = (300, 180);
        for (x, y) in [(0, 0), (151, 77), (299, 179)] {
            let mut hole = vec![0.0f32; cw * ch];
            hole[y * cw + x] = 1.0;
            for (mw, mh) in [(100, 60), (512, 512), (40, 32)] {
                let m = model_hole(&hole, cw, ch, mw, mh);
                // The model pixel whose area holds the hole pixel.
                let (mx, my) = (x * mw / cw, y * mh / ch);
                assert!(m[my * mw + mx], "{x},{y} at {mw}x{mh}");
                assert!(m.iter().filter(|h| **h).count() < mw * mh / 20);
            }
        }
        assert!(!model_hole(&vec![0.0; cw * ch], cw, ch, 64, 64).contains(&true));
    }

    #[test]
    fn bounding_box_finds_the_hole() {
        let (w, h) = (7, 5);
        let mut hole = vec![false; w * h];
        assert_eq!(Rect::bounding(&hole, w, h), None);
        hole[w + 2] = true;
        hole[3 * w + 5] = true;
        assert_eq!(
            Rect::bounding(&hole, w, h),
            Some(Rect {
                x: 2,
                y: 1,
                width: 4,
                height: 3
            })
        );
    }
}
