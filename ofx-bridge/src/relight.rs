//! Retake Relight: relighting of `retake relight`, as an effect.
//! Parameters map onto [`RelightParams`]; a matte or a depth pass travels
//! as the frames' alpha, as the CLI's `--mask` and `--depth` do.

use retake_ops3d::relight::{
    AlphaRole, LightKind, MaskMode, Relight as RelightOp, RelightParams, Rgb,
};

use retake_imageops::keyframes::Keyframes;
use retake_ops3d::relight_params;
use serde::Serialize;

use crate::effect::{Alpha, At, Context, Effect, Input, Setup};
use crate::host::{PResult, PluginError};
use crate::models;
use crate::params::ParamDefs;
use crate::table;

pub struct Relight;

/// Core's parameters plus what the CLI passes beside them (`--mask auto`).
#[derive(Clone, Debug, Serialize)]
pub struct RelightSetup {
    pub core: RelightParams,
    /// Find the subject with the segmentation model.
    pub subject_model: bool,
}

impl Effect for Relight {
    const ID: &'static std::ffi::CStr = c"org.retake.Relight";
    const LABEL: &'static std::ffi::CStr = c"Retake Relight";
    const DESCRIPTION: &'static std::ffi::CStr =
        c"Adds, moves and colours light as a ratio on the picture in linear light, from a depth pass or built-in geometry (retake relight).";
    const VERSION: (u32, u32) = (1, 0);
    const INPUTS: &'static [Input] = &[Input::Mask, Input::Depth];
    type Params = RelightSetup;
    type Op = RelightOp;

    fn define(d: &ParamDefs, context: Context) -> PResult<()> {
        table::define(d, relight_params::TABLE, context)
    }

    fn read(at: &At) -> PResult<Setup<RelightSetup>> {
        let v = at.values;
        let t = at.time;
        let menu = |id: &str| table::menu_value(v, relight_params::TABLE, id, t);
        let preset = menu("preset")?.map(String::from);
        // With a preset, the light values are the preset's unless overridden.
        let explicit = preset.is_none() || v.boolean(c"override", t)?;
        let value = |name: &std::ffi::CStr| -> PResult<Option<Keyframes>> {
            if explicit {
                Ok(Some(Keyframes::constant(v.double(name, t)? as f32)))
            } else {
                Ok(None)
            }
        };
        let rgb_mode = menu("colour_mode")? == Some("rgb");
        let colour = if explicit && rgb_mode {
            let c = v.rgb(c"colour", t)?;
            Some(Rgb([c[0] as f32, c[1] as f32, c[2] as f32]))
        } else {
            None
        };
        let matte = menu("matte")?.unwrap_or_default();
        let (alpha_role, alpha) = if at.depth_connected {
            match matte {
                "none" | "auto" => (AlphaRole::Depth, Alpha::DepthInput),
                _ => {
                    return Err(PluginError::failed(
                        "the Depth input and a matte both travel as alpha: set Subject matte to None or Automatic, or disconnect Depth",
                    ))
                }
            }
        } else {
            match matte {
                "none" => (AlphaRole::Keep, Alpha::Source),
                "auto" => (AlphaRole::Matte, Alpha::Drop),
                "source-alpha" => (AlphaRole::Matte, Alpha::SourceRequired),
                "mask-input" if at.mask_connected => (AlphaRole::Matte, Alpha::MaskInput),
                "mask-input" => {
                    return Err(PluginError::failed(
                        "connect the Mask input, or set Subject matte to another source",
                    ))
                }
                other => return Err(PluginError::failed(format!("unknown matte `{other}`"))),
            }
        };
        let params = RelightParams {
            preset,
            light: if explicit {
                table::menu_as::<LightKind>(v, relight_params::TABLE, "light", t)?
            } else {
                None
            },
            azimuth: value(c"azimuth")?,
            elevation: value(c"elevation")?,
            light_x: value(c"light_x")?,
            light_y: value(c"light_y")?,
            light_depth: value(c"light_depth")?,
            colour,
            kelvin: if rgb_mode { None } else { value(c"kelvin")? },
            intensity: value(c"intensity")?,
            softness: value(c"softness")?,
            rim: value(c"rim")?,
            ambient: value(c"ambient")?,
            exposure: value(c"exposure")?,
            fov: v.double(c"fov", t)? as f32,
            shadows: v.boolean(c"shadows", t)?,
            shadow_strength: v.double(c"shadow_strength", t)? as f32,
            background_tilt: v.double(c"background_tilt", t)? as f32,
            detail: v.double(c"detail", t)? as f32,
            mask_mode: table::menu_as(v, relight_params::TABLE, "mask_mode", t)?
                .unwrap_or(MaskMode::All),
            alpha: alpha_role,
            temporal_radius: v.int(c"temporal_radius", t)?.max(0) as usize,
            depth_model: v.choice(c"depth_model", t)?,
            depth_range: v.double(c"depth_range", t)? as f32,
            ..RelightParams::default()
        };
        params.validate()?;
        Ok(Setup {
            params: RelightSetup {
                core: params,
                subject_model: matte == "auto",
            },
            alpha,
        })
    }

    fn radius(params: &RelightSetup) -> usize {
        params.core.temporal_radius
    }

    fn spatial_only(params: &mut RelightSetup) {
        params.core.temporal_radius = 0;
    }

    fn spatial_only_note() -> &'static str {
        "geometry is not blended with neighbouring frames, so the light may flicker"
    }

    fn build(params: &RelightSetup) -> PResult<RelightOp> {
        // A connected Depth input is the geometry; else the depth model
        // setting means what it means on the command line.
        let built = retake_ops3d::build::relight(
            &params.core,
            params.subject_model,
            params.core.alpha == AlphaRole::Depth,
            &mut models::model_context,
        )?;
        Ok(built.op)
    }

    fn analysis_key(params: &RelightSetup) -> String {
        // Geometry depends on what the table marks (not on the lights),
        // and on whether the subject model finds the matte.
        let key = relight_params::TABLE
            .analysis_key(&params.core)
            .unwrap_or_else(|e| e.to_string());
        format!("{key} subject_model={}", params.subject_model)
    }
}
