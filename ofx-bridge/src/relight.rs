//! Retake Relight: relighting of `retake relight`, as an effect.
//! Parameters map onto [`RelightParams`]; a matte or a depth pass travels
//! as the frames' alpha, as the CLI's `--mask` and `--depth` do.

use retake_imageops::keyframes::Keyframes;
use retake_model::depth;
use retake_model::{self as model, Role};
use retake_ops::mask::{MaskParams, SubjectMask};
use retake_ops3d::relight::{
    presets, AlphaRole, LightKind, MaskMode, Relight as RelightOp, RelightParams, Rgb,
    MAX_TEMPORAL_RADIUS,
};

use serde::Serialize;

use crate::effect::{Alpha, At, Context, Effect, Input, Setup};
use crate::host::{PResult, PluginError};
use crate::models;
use crate::params::ParamDefs;

pub struct Relight;

/// Core's parameters plus what the CLI passes beside them (`--mask auto`).
#[derive(Clone, Debug, Serialize)]
pub struct RelightSetup {
    pub core: RelightParams,
    /// Find the subject with the segmentation model.
    pub subject_model: bool,
}

const NO_PRESET: &str = "none";
const MATTE_NONE: &str = "None";
const MATTE_MASK_INPUT: &str = "Mask input";
const MATTE_SOURCE_ALPHA: &str = "Source alpha";
const MATTE_SUBJECT: &str = "Automatic (subject model)";
const LIGHTS: [(&str, LightKind); 2] = [
    ("Directional", LightKind::Directional),
    ("Point", LightKind::Point),
];
const COLOUR_KELVIN: &str = "Temperature";
const COLOUR_RGB: &str = "RGB";
const MASK_MODES: [(&str, MaskMode); 3] = [
    ("Whole frame", MaskMode::All),
    ("Subject only", MaskMode::Subject),
    ("Background only", MaskMode::Background),
];

fn names<T>(list: &[(&str, T)]) -> Vec<String> {
    list.iter().map(|(n, _)| n.to_string()).collect()
}

fn pick<T: Copy>(list: &[(&str, T)], name: &str, what: &str) -> PResult<T> {
    list.iter()
        .find(|(n, _)| *n == name)
        .map(|(_, v)| *v)
        .ok_or_else(|| PluginError::failed(format!("unknown {what} `{name}`")))
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
        let p = presets::DEFAULT;
        let defaults = RelightParams::default();
        let mut preset_names = vec![NO_PRESET.to_string()];
        preset_names.extend(presets::names().into_iter().map(String::from));
        d.choice(
            c"preset",
            "Preset",
            "Starting point: studio lights or times of day (which also grade the frame)",
            &preset_names,
            0,
        )?;
        d.boolean(
            c"override",
            "Override preset",
            "Use the light values below instead of the preset's (always used with no preset)",
            false,
        )?;
        d.choice(
            c"light",
            "Light",
            "Directional (sun-like, from azimuth and elevation) or point (at a place on the frame)",
            &names(&LIGHTS),
            0,
        )?;
        d.angle(
            c"azimuth",
            "Azimuth",
            "Direction around the view axis: 0 = from the right, 90 = from above",
            p.azimuth as f64,
            (-3600.0, 3600.0),
            (0.0, 360.0),
        )?;
        d.angle(
            c"elevation",
            "Elevation",
            "Tilt towards the camera: 90 = from the camera, negative = from behind",
            p.elevation as f64,
            (-90.0, 90.0),
            (-90.0, 90.0),
        )?;
        d.double(
            c"light_x",
            "Light X",
            "Point light across the frame (0 = left edge, 1 = right edge)",
            0.5,
            (-10.0, 10.0),
            (0.0, 1.0),
            true,
        )?;
        d.double(
            c"light_y",
            "Light Y",
            "Point light down the frame (0 = top, 1 = bottom)",
            0.3,
            (-10.0, 10.0),
            (0.0, 1.0),
            true,
        )?;
        d.double(
            c"light_depth",
            "Light depth",
            "Point light distance, relative to the median surface",
            0.5,
            (0.001, 1000.0),
            (0.05, 3.0),
            true,
        )?;
        d.choice(
            c"colour_mode",
            "Colour from",
            "Give the light's colour as a temperature or as RGB",
            &[COLOUR_KELVIN.to_string(), COLOUR_RGB.to_string()],
            0,
        )?;
        d.double(
            c"kelvin",
            "Temperature",
            "Colour temperature in kelvin (6500 = neutral, lower = warmer)",
            p.kelvin as f64,
            (1667.0, 25000.0),
            (2000.0, 12000.0),
            true,
        )?;
        d.rgb(
            c"colour",
            "Colour",
            "Colour of the light, linear RGB",
            [1.0; 3],
        )?;
        d.double(
            c"intensity",
            "Intensity",
            "Light added, in units of the light already in the shot",
            p.intensity as f64,
            (0.0, 100.0),
            (0.0, 3.0),
            true,
        )?;
        d.double(
            c"softness",
            "Softness",
            "0 = hard terminator, 1 = wraps like a large soft source",
            p.softness as f64,
            (0.0, 1.0),
            (0.0, 1.0),
            true,
        )?;
        d.double(
            c"rim",
            "Rim",
            "Rim light on edges that face the light",
            p.rim as f64,
            (0.0, 10.0),
            (0.0, 2.0),
            true,
        )?;
        d.double(
            c"ambient",
            "Ambient",
            "Uniform light added everywhere (negative darkens)",
            p.ambient as f64,
            (-1.0, 10.0),
            (-1.0, 2.0),
            true,
        )?;
        d.double(
            c"exposure",
            "Exposure",
            "Exposure of the result in stops",
            p.exposure as f64,
            (-10.0, 10.0),
            (-4.0, 4.0),
            true,
        )?;
        d.double(
            c"fov",
            "Field of view",
            "Horizontal field of view of the camera in degrees: how depth becomes shape",
            defaults.fov as f64,
            (10.0, 120.0),
            (10.0, 120.0),
            false,
        )?;
        d.boolean(
            c"shadows",
            "Shadows",
            "Cast screen-space shadows from the depth",
            defaults.shadows,
        )?;
        d.double(
            c"shadow_strength",
            "Shadow strength",
            "How dark the shadows are",
            defaults.shadow_strength as f64,
            (0.0, 1.0),
            (0.0, 1.0),
            true,
        )?;
        d.double(
            c"background_tilt",
            "Background tilt",
            "Tilt of the built-in background plane: 0 = a wall, positive = a floor",
            defaults.background_tilt as f64,
            (-80.0, 80.0),
            (-80.0, 80.0),
            false,
        )?;
        d.double(
            c"detail",
            "Detail",
            "Weight of fine normals read from image detail (0 = smooth shapes only)",
            defaults.detail as f64,
            (0.0, 2.0),
            (0.0, 2.0),
            false,
        )?;
        d.choice(
            c"mask_mode",
            "Light where",
            "The whole frame, only the subject, or only the background (needs a matte)",
            &names(&MASK_MODES),
            0,
        )?;
        d.int(
            c"temporal_radius",
            "Temporal radius",
            "Frames on each side whose geometry is blended against flicker",
            defaults.temporal_radius as i32,
            (0, MAX_TEMPORAL_RADIUS as i32),
            false,
        )?;
        let mut mattes = vec![
            MATTE_NONE.to_string(),
            MATTE_SOURCE_ALPHA.to_string(),
            MATTE_SUBJECT.to_string(),
        ];
        if context == Context::General {
            mattes.insert(1, MATTE_MASK_INPUT.to_string());
        }
        let mut depth_models = vec!["auto".to_string(), "builtin".to_string()];
        depth_models.extend(models::installed(Role::Depth));
        d.choice(
            c"depth_model",
            "Depth model",
            &models::menu_hint(Role::Depth, "Geometry when no Depth input is connected: auto (an installed depth model, else the built-in estimate), builtin, or a named model"),
            &depth_models,
            0,
        )?;
        d.double(
            c"depth_range",
            "Depth range",
            "For a depth model's relative depth: how many times farther the farthest surface is than the nearest",
            defaults.depth_range as f64,
            (1.5, 1000.0),
            (2.0, 100.0),
            false,
        )?;
        d.choice(c"matte", "Subject matte", "The subject's matte shapes the built-in geometry and limits the light; None keeps the Source's alpha", &mattes, 0)?;
        Ok(())
    }

    fn read(at: &At) -> PResult<Setup<RelightSetup>> {
        let v = at.values;
        let t = at.time;
        let preset = v.choice(c"preset", t)?;
        let preset = (preset != NO_PRESET).then_some(preset);
        // With a preset, the light values are the preset's unless overridden.
        let explicit = preset.is_none() || v.boolean(c"override", t)?;
        let value = |name: &std::ffi::CStr| -> PResult<Option<Keyframes>> {
            if explicit {
                Ok(Some(Keyframes::constant(v.double(name, t)? as f32)))
            } else {
                Ok(None)
            }
        };
        let rgb_mode = v.choice(c"colour_mode", t)? == COLOUR_RGB;
        let colour = if explicit && rgb_mode {
            let c = v.rgb(c"colour", t)?;
            Some(Rgb([c[0] as f32, c[1] as f32, c[2] as f32]))
        } else {
            None
        };
        let matte = v.choice(c"matte", t)?;
        let (alpha_role, alpha) = if at.depth_connected {
            match matte.as_str() {
                MATTE_NONE | MATTE_SUBJECT => (AlphaRole::Depth, Alpha::DepthInput),
                _ => {
                    return Err(PluginError::failed(
                        "the Depth input and a matte both travel as alpha: set Subject matte to None or Automatic, or disconnect Depth",
                    ))
                }
            }
        } else {
            match matte.as_str() {
                MATTE_NONE => (AlphaRole::Keep, Alpha::Source),
                MATTE_SUBJECT => (AlphaRole::Matte, Alpha::Drop),
                MATTE_SOURCE_ALPHA => (AlphaRole::Matte, Alpha::SourceRequired),
                MATTE_MASK_INPUT if at.mask_connected => (AlphaRole::Matte, Alpha::MaskInput),
                MATTE_MASK_INPUT => {
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
                Some(pick(&LIGHTS, &v.choice(c"light", t)?, "light")?)
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
            mask_mode: pick(&MASK_MODES, &v.choice(c"mask_mode", t)?, "mask mode")?,
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
                subject_model: matte == MATTE_SUBJECT,
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
        let mut op = RelightOp::new(params.core.clone())?;
        if params.subject_model {
            let mask_params = MaskParams {
                temporal_radius: 0,
                ..MaskParams::default()
            };
            let m = model::open(&mask_params.model, Role::Mask, &models::model_context()?)?;
            op = op.with_subject(SubjectMask::new(mask_params, m)?);
        }
        // A connected Depth input is the geometry; else the depth model
        // setting means what it means on the command line.
        if params.core.alpha != AlphaRole::Depth {
            if let Some(d) = depth::choose(&params.core.depth_model, &mut models::model_context)? {
                op = op.with_depth_model(d);
            }
        }
        Ok(op)
    }

    fn analysis_key(params: &RelightSetup) -> String {
        // Geometry depends on these, not on the lights.
        let c = &params.core;
        format!(
            "{:?} {} {} {} {} {} {}",
            c.alpha,
            c.fov,
            c.background_tilt,
            c.detail,
            params.subject_model,
            c.depth_model,
            c.depth_range
        )
    }
}
