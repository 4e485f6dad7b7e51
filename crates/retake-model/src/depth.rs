//! Learned monocular depth: a `role = "depth"` model (Depth Anything V2,
//! MiDaS, or any model with their contract) turned into depth a pinhole
//! camera can use. Such models give *relative inverse* depth (larger =
//! nearer, unknown scale and shift), so the map is normalised robustly and
//! turned into distance with a scene depth range the user can change. Used
//! by relight (normals, shadows) and reangle (reprojection).

use crate as model;
use crate::image::{fixed_input_size, ModelImage};
use crate::{Model, ModelContext, Role, TensorData};
use retake_core::error::{Error, Result};
use retake_core::frame::Frame;
use retake_imageops::filter::resize;
use retake_imageops::plane::Plane;

/// Default ratio of the farthest to the nearest surface a relative depth
/// map is stretched to: a room or a street, not a landscape.
pub const DEFAULT_DEPTH_RANGE: f32 = 10.0;

/// Longest side of the depth map handed on: the models' own output is
/// 518 or 256 pixels square, so more would only interpolate.
const MAX_WORK_SIDE: usize = 518;

/// A depth model ready to run.
pub struct DepthModel {
    model: Model,
    width: usize,
    height: usize,
}

/// Relative inverse depth of one frame at a working resolution with the
/// frame's aspect ratio.
#[derive(Clone, Debug, PartialEq)]
pub struct Disparity {
    pub width: usize,
    pub height: usize,
    /// Larger = nearer; no unit, no defined offset.
    pub data: Vec<f32>,
}

impl DepthModel {
    /// Check the manifest describes a depth model Retake can feed: one
    /// image input of a fixed size, one single-channel output.
    pub fn new(model: Model) -> Result<Self> {
        let m = &model.manifest;
        let ctx = m.manifest_path.display().to_string();
        if m.role != Role::Depth {
            return Err(Error::model(
                ctx,
                format!("role is `{}`, not `depth`", m.role),
            ));
        }
        if m.inputs.len() != 1 || m.outputs.is_empty() {
            return Err(Error::model(
                ctx,
                "a depth model takes exactly one image input and gives one depth map",
            ));
        }
        let (width, height) = fixed_input_size(&m.inputs[0], m.size.fixed).ok_or_else(|| {
            Error::model(
                &ctx,
                "the input size is dynamic; give it with [size] fixed = [W, H]",
            )
        })?;
        Ok(DepthModel {
            model,
            width,
            height,
        })
    }

    /// The model's name, for messages and provenance.
    pub fn name(&self) -> &str {
        &self.model.manifest.name
    }

    /// The underlying model (for provenance records).
    pub fn model(&self) -> &Model {
        &self.model
    }

    /// Run the model on one frame: its relative inverse depth resampled to
    /// the frame's aspect ratio (long side at most 518 and at most the
    /// frame's own).
    pub fn disparity(&self, frame: &Frame) -> Result<Disparity> {
        if frame.width == 0 || frame.height == 0 || frame.channels < 3 {
            return Err(Error::Internal(format!(
                "frame {} ({}x{}x{}) is not an RGB picture to estimate depth from",
                frame.index, frame.width, frame.height, frame.channels
            )));
        }
        let m = &self.model.manifest;
        let img = ModelImage::from_frame(
            frame,
            &m.inputs[0],
            self.width,
            self.height,
            self.model.colour.as_deref(),
        )?;
        let input = img.to_tensor(&m.inputs[0])?;
        let out = self.model.run(vec![input])?;
        let t = out
            .first()
            .ok_or_else(|| Error::model(m.manifest_path.display(), "gave no output"))?;
        let dims: Vec<usize> = t.shape.iter().map(|&d| d.max(0) as usize).collect();
        let (h, w) = match dims.as_slice() {
            [1, 1, h, w] | [1, h, w] | [h, w] => (*h, *w),
            _ => {
                return Err(Error::model(
                    m.manifest_path.display(),
                    format!("expected a one-channel depth map, got shape {:?}", t.shape),
                ))
            }
        };
        let raw = match &t.data {
            TensorData::F32(v) => v.clone(),
            _ => t.to_f32(),
        };
        if raw.len() != w * h {
            return Err(Error::model(
                m.manifest_path.display(),
                format!("depth map has {} values for {w}x{h}", raw.len()),
            ));
        }
        let (ww, wh) = work_size(frame.width, frame.height, MAX_WORK_SIDE.max(w.max(h)));
        Ok(Disparity {
            width: ww,
            height: wh,
            data: resize(Plane::new(&raw, w, h, 1), ww, wh),
        })
    }
}

/// What a `depth_model` setting means, for every face: `builtin` (no
/// model: the built-in estimate), `auto` (an installed real depth model if
/// there is one, never a fixture) or a model's name or manifest path.
/// `context` is only asked for when a model may be needed.
pub fn choose(
    choice: &str,
    context: &mut dyn FnMut() -> Result<ModelContext>,
) -> Result<Option<DepthModel>> {
    let model = match choice {
        "builtin" => None,
        "auto" => model::open_installed(Role::Depth, &context()?)?,
        name => Some(model::open(name, Role::Depth, &context()?)?),
    };
    model.map(DepthModel::new).transpose()
}

/// `width`x`height` scaled down so the long side is at most `side`.
fn work_size(width: usize, height: usize, side: usize) -> (usize, usize) {
    let s = (side.max(1) as f32 / width.max(height) as f32).min(1.0);
    (
        ((width as f32 * s).round() as usize).max(1),
        ((height as f32 * s).round() as usize).max(1),
    )
}

/// Relative inverse depth mapped to 0 (far) .. 1 (near) by its 2nd and
/// 98th percentiles, so a few wild values (sky, a speck on the lens) do not
/// squash the rest. Values that are not finite count as far.
pub fn normalise_disparity(disparity: &[f32]) -> Vec<f32> {
    let mut finite: Vec<f32> = disparity
        .iter()
        .copied()
        .filter(|v| v.is_finite())
        .collect();
    if finite.is_empty() {
        return vec![0.0; disparity.len()];
    }
    let pick = |finite: &mut Vec<f32>, q: f32| {
        let k = ((finite.len() - 1) as f32 * q).round() as usize;
        let (_, v, _) = finite.select_nth_unstable_by(k, |a, b| a.total_cmp(b));
        *v
    };
    let lo = pick(&mut finite, 0.02);
    let hi = pick(&mut finite, 0.98);
    let span = hi - lo;
    disparity
        .iter()
        .map(|&v| {
            if !v.is_finite() {
                0.0
            } else if span > 1e-12 {
                ((v - lo) / span).clamp(0.0, 1.0)
            } else {
                0.5
            }
        })
        .collect()
}

/// Distance from normalised disparity (0 = far, 1 = near): the nearest
/// surface at 1, the farthest at `range`, linear in inverse depth between
/// them, as a camera sees it (equal steps of disparity are equal steps of
/// parallax).
pub fn depth_from_disparity(normalised: &[f32], range: f32) -> Vec<f32> {
    let range = if range.is_finite() && range > 1.0 {
        range
    } else {
        DEFAULT_DEPTH_RANGE
    };
    let far_inv = 1.0 / range;
    normalised
        .iter()
        .map(|&n| 1.0 / (far_inv + n.clamp(0.0, 1.0) * (1.0 - far_inv)))
        .collect()
}

/// Distance from raw relative inverse depth (a model's output or an
/// inverse depth pass): [`normalise_disparity`] then
/// [`depth_from_disparity`].
pub fn depth_from_relative_inverse(disparity: &[f32], range: f32) -> Vec<f32> {
    depth_from_disparity(&normalise_disparity(disparity), range)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalisation_ignores_outliers_and_orders_depth() {
        let mut d: Vec<f32> = (0..100).map(|i| i as f32).collect();
        d[0] = -1e6;
        d[99] = 1e9;
        d.push(f32::NAN);
        let n = normalise_disparity(&d);
        assert_eq!(n[0], 0.0);
        assert_eq!(n[99], 1.0);
        assert_eq!(n[100], 0.0);
        assert!(n[50] > 0.45 && n[50] < 0.55, "{}", n[50]);
        let z = depth_from_disparity(&n, 10.0);
        assert!((z[99] - 1.0).abs() < 1e-6 && (z[0] - 10.0).abs() < 1e-4);
        assert!(z.windows(2).take(98).all(|p| p[0] >= p[1]));
    }

    #[test]
    fn flat_disparity_is_one_plane() {
        let z = depth_from_disparity(&normalise_disparity(&[3.0; 16]), 10.0);
        assert!(z.iter().all(|&v| (v - z[0]).abs() < 1e-6));
    }
}
