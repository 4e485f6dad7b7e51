//! Retake Reangle: the alternate camera angle of `retake reangle`, as an
//! effect. Parameters map onto [`ReangleParams`]; a matte or a depth pass
//! travels as the frames' alpha, as the CLI's `--mask` and `--depth` do,
//! and disocclusions are filled from the window of neighbouring frames by
//! the remove engine, with the same spatial filler the CLI chooses.

use retake_imageops::keyframes::Keyframes;
use retake_ops3d::reangle::{NamedMove, Reangle as ReangleOp, ReangleAlpha, ReangleParams};

use retake_ops3d::reangle_params;
use serde::Serialize;

use crate::effect::{Alpha, At, Context, Effect, Input, Setup};
use crate::host::{PResult, PluginError};
use crate::models;
use crate::params::{ParamDefs, ParamValues};
use crate::table;

pub struct Reangle;

/// Core's parameters plus what the CLI takes beside them: the shot's
/// frame range (named moves ease over it) and `--mask auto`.
#[derive(Clone, Debug, Serialize)]
pub struct ReangleSetup {
    pub core: ReangleParams,
    /// First and last frame of the Source, when the host says.
    pub shot: Option<(i64, i64)>,
    /// Find the subject with the segmentation model.
    pub subject_model: bool,
}

/// A camera value over the frames of the window around `at.time`, as the
/// host animates it: every frame of the window is warped with its own
/// camera, as the CLI does with keyframes. A value that does not change
/// over the window is one constant, so a still parameter keeps the
/// operation and its analyses from frame to frame.
fn camera_value(
    v: &ParamValues,
    name: &std::ffi::CStr,
    time: f64,
    window: usize,
) -> PResult<Keyframes> {
    let centre = time.round() as i64;
    let here = v.double(name, time)? as f32;
    let mut keys = Vec::with_capacity(2 * window + 1);
    for k in -(window as i64)..=window as i64 {
        keys.push((centre + k, v.double(name, time + k as f64)? as f32));
    }
    if keys.iter().all(|(_, x)| *x == here) {
        return Ok(Keyframes::constant(here));
    }
    Keyframes::new(keys)
        .map_err(|e| PluginError::failed(format!("{}: {e}", name.to_string_lossy())))
}

impl Effect for Reangle {
    const ID: &'static std::ffi::CStr = c"org.retake.Reangle";
    const LABEL: &'static std::ffi::CStr = c"Retake Reangle";
    const DESCRIPTION: &'static std::ffi::CStr =
        c"Moves the camera after the fact: reprojects the shot through its depth and fills what the new view uncovers from neighbouring frames (retake reangle).";
    const VERSION: (u32, u32) = (1, 0);
    const INPUTS: &'static [Input] = &[Input::Mask, Input::Depth];
    const USES_SHOT_RANGE: bool = true;
    type Params = ReangleSetup;
    type Op = ReangleOp;

    fn define(d: &ParamDefs, context: Context) -> PResult<()> {
        // Camera values animate (each frame of the window is warped with
        // its own); the named move, window and fill run over the whole
        // shot and do not (the table says which).
        table::define(d, reangle_params::TABLE, context)
    }

    fn read(at: &At) -> PResult<Setup<ReangleSetup>> {
        let v = at.values;
        let t = at.time;
        let window = v.int(c"window", t)?.max(0) as usize;
        let camera = |name: &std::ffi::CStr| camera_value(v, name, t, window).map(Some);
        let matte = table::menu_value(v, reangle_params::TABLE, "matte", t)?.unwrap_or_default();
        let (alpha_role, alpha) = if at.depth_connected {
            // The CLI refuses --mask with --depth: both travel as alpha.
            match matte {
                "none" => (ReangleAlpha::Depth, Alpha::DepthInput),
                _ => {
                    return Err(PluginError::failed(
                        "the Depth input and a matte both travel as alpha: set Subject matte to None, or disconnect Depth",
                    ))
                }
            }
        } else {
            match matte {
                "none" => (ReangleAlpha::Ignore, Alpha::Drop),
                "auto" => (ReangleAlpha::Matte, Alpha::Drop),
                "source-alpha" => (ReangleAlpha::Matte, Alpha::SourceRequired),
                "mask-input" if at.mask_connected => (ReangleAlpha::Matte, Alpha::MaskInput),
                "mask-input" => {
                    return Err(PluginError::failed(
                        "connect the Mask input, or set Subject matte to another source",
                    ))
                }
                other => return Err(PluginError::failed(format!("unknown matte `{other}`"))),
            }
        };
        let camera_move: Option<NamedMove> = table::menu_as(v, reangle_params::TABLE, "move", t)?;
        let params = ReangleParams {
            yaw: camera(c"yaw")?,
            pitch: camera(c"pitch")?,
            roll: camera(c"roll")?,
            dolly: camera(c"dolly")?,
            truck: camera(c"truck")?,
            pedestal: camera(c"pedestal")?,
            zoom: camera(c"zoom")?,
            camera_move,
            amount: v.double(c"amount", t)? as f32,
            pivot: v.double(c"pivot", t)? as f32,
            fov: v.double(c"fov", t)? as f32,
            depth_model: v.choice(c"depth_model", t)?,
            depth_range: v.double(c"depth_range", t)? as f32,
            alpha: alpha_role,
            horizon: v.double(c"horizon", t)? as f32,
            depth_edge: v.double(c"depth_edge", t)? as f32,
            window,
            fill: v.choice(c"fill", t)?,
            ..ReangleParams::default()
        };
        params.validate()?;
        let shot = at
            .frame_range
            .map(|(a, b)| (a.round() as i64, b.round() as i64))
            .filter(|(a, b)| a <= b);
        // Refuse a move that leaves the frame mostly empty, as the CLI
        // does before reading a frame (its milder warning has no place to
        // go here: hosts show messages, and this runs on every action).
        let (w, h) = at.full_size;
        if w >= 1.0 && h >= 1.0 {
            params.check_framing(w as usize, h as usize, shot)?;
        }
        Ok(Setup {
            params: ReangleSetup {
                core: params,
                shot,
                subject_model: matte == "auto",
            },
            alpha,
        })
    }

    fn radius(params: &ReangleSetup) -> usize {
        params.core.window
    }

    fn spatial_only(params: &mut ReangleSetup) {
        params.core.window = 0;
    }

    fn spatial_only_note() -> &'static str {
        "what the new view uncovers is not searched for in other frames; it is filled spatially on each frame alone, which may flicker"
    }

    fn build(params: &ReangleSetup) -> PResult<ReangleOp> {
        // A connected Depth input is the geometry; else the depth model
        // setting means what it means on the command line.
        let built = retake_ops3d::build::reangle(
            &params.core,
            params.subject_model,
            params.core.alpha == ReangleAlpha::Depth,
            params.shot,
            &mut models::model_context,
        )?;
        Ok(built.op)
    }
}
