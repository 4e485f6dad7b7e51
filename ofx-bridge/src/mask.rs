//! Retake Mask: the subject mask of `retake mask`, as an effect. Parameters
//! map onto [`MaskParams`], the struct behind the CLI's flags and job files.

use retake_ops::mask::{MaskOutput, MaskParams, SubjectMask};
use retake_ops::mask_params;

use crate::effect::{Alpha, At, Context, Effect, Input, Setup};
use crate::host::PResult;
use crate::image::Components;
use crate::models;
use crate::params::ParamDefs;
use crate::table;

pub struct Mask;

/// Long side of core's edge-fitting resolution (`mask::WORK_SIDE`): the
/// edge radius is measured there, so it scales only below that size.
const EDGE_WORK_SIDE: f64 = 960.0;

/// Edge radius at render scale `scale` that covers the same part of the
/// picture as `radius` at full size.
pub fn scaled_edge_radius(radius: usize, full_long_side: f64, scale: f64) -> usize {
    let full = full_long_side.clamp(1.0, EDGE_WORK_SIDE);
    let here = (full_long_side * scale).clamp(1.0, EDGE_WORK_SIDE);
    ((radius as f64 * here / full).round() as usize).max(1)
}

impl Effect for Mask {
    const ID: &'static std::ffi::CStr = c"org.retake.Mask";
    const LABEL: &'static std::ffi::CStr = c"Retake Mask";
    const DESCRIPTION: &'static std::ffi::CStr =
        c"Subject mask from a segmentation model, steady in time and snapped to the picture's edges (retake mask).";
    const VERSION: (u32, u32) = (1, 0);
    const INPUTS: &'static [Input] = &[];
    type Params = MaskParams;
    type Op = SubjectMask;

    fn define(d: &ParamDefs, context: Context) -> PResult<()> {
        table::define(d, mask_params::TABLE, context)
    }

    fn read(at: &At) -> PResult<Setup<MaskParams>> {
        let v = at.values;
        let t = at.time;
        let long_side = at.full_size.0.max(at.full_size.1);
        let params = MaskParams {
            model: v.choice(c"model", t)?,
            threshold: v.double(c"threshold", t)? as f32,
            softness: v.double(c"softness", t)? as f32,
            temporal_radius: v.int(c"temporal_radius", t)?.max(0) as usize,
            temporal_sigma: v.double(c"temporal_sigma", t)? as f32,
            motion_sigma: v.double(c"motion_sigma", t)? as f32,
            edge_radius: scaled_edge_radius(
                v.int(c"edge_radius", t)?.max(1) as usize,
                long_side,
                at.scale,
            ),
            edge_epsilon: v.double(c"edge_epsilon", t)? as f32,
            invert: v.boolean(c"invert", t)?,
            mode: table::menu_as(v, mask_params::TABLE, "mode", t)?.unwrap_or(MaskOutput::Mask),
        };
        params.validate()?;
        Ok(Setup {
            params,
            alpha: Alpha::Source,
        })
    }

    fn radius(params: &MaskParams) -> usize {
        params.temporal_radius
    }

    fn spatial_only(params: &mut MaskParams) {
        params.temporal_radius = 0;
    }

    fn spatial_only_note() -> &'static str {
        "the mask is not blended with neighbouring frames and may chatter"
    }

    fn build(params: &MaskParams) -> PResult<SubjectMask> {
        Ok(retake_ops::build::mask(params, &mut models::model_context)?.op)
    }

    fn analysis_key(params: &MaskParams) -> String {
        // Saliency depends on what the table marks (the model).
        mask_params::TABLE
            .analysis_key(params)
            .unwrap_or_else(|e| e.to_string())
    }

    fn output_components(params: &MaskParams, source: Components) -> Components {
        match params.mode {
            MaskOutput::Alpha => Components::Rgba,
            _ => source,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edge_radius_scales_only_below_the_working_size() {
        // A 4K frame is fitted at 960 px at full and at half scale.
        assert_eq!(scaled_edge_radius(6, 3840.0, 0.5), 6);
        // A 960-wide frame at half scale is fitted at 480 px.
        assert_eq!(scaled_edge_radius(6, 960.0, 0.5), 3);
        assert_eq!(scaled_edge_radius(1, 200.0, 0.25), 1);
    }
}
