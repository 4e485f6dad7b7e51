//! Retake Reangle: the alternate camera angle of `retake reangle`, as an
//! effect. Parameters map onto [`ReangleParams`]; a matte or a depth pass
//! travels as the frames' alpha, as the CLI's `--mask` and `--depth` do,
//! and disocclusions are filled from the window of neighbouring frames by
//! the remove engine, with the same spatial filler the CLI chooses.

use retake_imageops::keyframes::Keyframes;
use retake_model::depth;
use retake_model::{self as model, Role};
use retake_ops::inpaint::choose::choose_fill;
use retake_ops::mask::{MaskParams, SubjectMask};
use retake_ops::remove::MAX_WINDOW;
use retake_ops3d::reangle::{NamedMove, Reangle as ReangleOp, ReangleAlpha, ReangleParams};

use serde::Serialize;

use crate::effect::{Alpha, At, Context, Effect, Input, Setup};
use crate::host::{PResult, PluginError};
use crate::models;
use crate::params::{ParamDefs, ParamValues};

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

const NO_MOVE: &str = "none";
const MOVES: [(&str, NamedMove); 5] = [
    ("orbit", NamedMove::Orbit),
    ("push-in", NamedMove::PushIn),
    ("pull-out", NamedMove::PullOut),
    ("truck-left", NamedMove::TruckLeft),
    ("truck-right", NamedMove::TruckRight),
];
const MATTE_NONE: &str = "None";
const MATTE_MASK_INPUT: &str = "Mask input";
const MATTE_SOURCE_ALPHA: &str = "Source alpha";
const MATTE_SUBJECT: &str = "Automatic (subject model)";

/// The camera values, animatable: (name, label, hint, default, range,
/// display range, angle).
type CameraParam = (
    &'static std::ffi::CStr,
    &'static str,
    &'static str,
    f64,
    (f64, f64),
    (f64, f64),
    bool,
);
const CAMERA: [CameraParam; 7] = [
    (c"yaw", "Yaw", "Turn the camera left/right in degrees (positive pans right)", 0.0, (-60.0, 60.0), (-30.0, 30.0), true),
    (c"pitch", "Pitch", "Tilt the camera in degrees (positive tilts up)", 0.0, (-60.0, 60.0), (-30.0, 30.0), true),
    (c"roll", "Roll", "Roll the camera in degrees (positive turns the picture clockwise)", 0.0, (-180.0, 180.0), (-45.0, 45.0), true),
    (c"dolly", "Dolly", "Move the camera forward (negative: back), in scene units (relative depth: the nearest surface is 1 away)", 0.0, (-1e4, 1e4), (-1.0, 1.0), false),
    (c"truck", "Truck", "Move the camera right (negative: left), in scene units", 0.0, (-1e4, 1e4), (-1.0, 1.0), false),
    (c"pedestal", "Pedestal", "Move the camera up (negative: down), in scene units", 0.0, (-1e4, 1e4), (-1.0, 1.0), false),
    (c"zoom", "Zoom", "Focal length multiplier of the virtual camera (2 = twice as long a lens)", 1.0, (0.5, 4.0), (0.5, 4.0), false),
];

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
        let defaults = ReangleParams::default();
        for (name, label, hint, default, range, display, angle) in CAMERA {
            if angle {
                d.angle(name, label, hint, default, range, display)?;
            } else {
                d.double(name, label, hint, default, range, display, true)?;
            }
        }
        let mut moves = vec![NO_MOVE.to_string()];
        moves.extend(MOVES.iter().map(|(n, _)| n.to_string()));
        // Named moves run over the whole shot, so these do not animate.
        d.choice(
            c"move",
            "Named move",
            "A move eased from the shot's first frame to its last; the camera values above act on top of it",
            &moves,
            0,
        )?;
        d.double(
            c"amount",
            "Amount",
            "Size of the named move (1 = orbit 10 degrees, push-in or pull-out 30% and truck 15% of the pivot distance)",
            defaults.amount as f64,
            (-5.0, 5.0),
            (-2.0, 2.0),
            false,
        )?;
        d.double(
            c"pivot",
            "Pivot",
            "Distance of the subject the named moves are built around, in scene units",
            defaults.pivot as f64,
            (0.01, 1e4),
            (0.5, 10.0),
            false,
        )?;
        d.double(
            c"fov",
            "Field of view",
            "Horizontal field of view of the shot's camera in degrees: how depth becomes 3D",
            defaults.fov as f64,
            (10.0, 120.0),
            (10.0, 120.0),
            false,
        )?;
        let mut depth_models = vec!["auto".to_string(), "builtin".to_string()];
        depth_models.extend(models::installed(Role::Depth));
        d.choice(
            c"depth_model",
            "Depth model",
            &models::menu_hint(Role::Depth, "Depth when no Depth input is connected: auto (an installed depth model, else the built-in layered estimate), builtin, or a named model"),
            &depth_models,
            0,
        )?;
        d.double(
            c"depth_range",
            "Depth range",
            "For relative depth: how many times farther the farthest surface is than the nearest",
            defaults.depth_range as f64,
            (1.5, 1000.0),
            (2.0, 100.0),
            false,
        )?;
        d.double(
            c"horizon",
            "Horizon",
            "Height of the built-in ground plane's horizon, as a fraction of the frame from the top",
            defaults.horizon as f64,
            (0.0, 1.0),
            (0.0, 1.0),
            false,
        )?;
        d.double(
            c"depth_edge",
            "Depth edge",
            "Relative depth difference between neighbouring pixels that the new view may look behind",
            defaults.depth_edge as f64,
            (0.005, 1.0),
            (0.005, 0.3),
            false,
        )?;
        // The remove engine's caches assume one window and fill for the
        // whole shot, so these do not animate.
        d.int(
            c"window",
            "Window",
            "Frames on each side searched for what a disocclusion hides (0 = spatial fill only)",
            defaults.window as i32,
            (0, MAX_WINDOW as i32),
            false,
        )?;
        let mut fills: Vec<String> = ["auto", "patchmatch", "smooth"].map(String::from).to_vec();
        fills.extend(models::installed(Role::Inpaint));
        d.choice(
            c"fill",
            "Fill",
            &models::menu_hint(Role::Inpaint, "Spatial fill for what no frame saw: auto (an installed inpainting model, else smooth), patchmatch, smooth, or a model"),
            &fills,
            0,
        )?;
        let mut mattes = vec![
            MATTE_NONE.to_string(),
            MATTE_SOURCE_ALPHA.to_string(),
            MATTE_SUBJECT.to_string(),
        ];
        if context == Context::General {
            mattes.insert(1, MATTE_MASK_INPUT.to_string());
        }
        d.choice(
            c"matte",
            "Subject matte",
            "The subject's matte stands it on the ground in the built-in geometry; unused with a Depth input or a depth model",
            &mattes,
            0,
        )?;
        Ok(())
    }

    fn read(at: &At) -> PResult<Setup<ReangleSetup>> {
        let v = at.values;
        let t = at.time;
        let window = v.int(c"window", t)?.max(0) as usize;
        let camera = |name: &std::ffi::CStr| camera_value(v, name, t, window).map(Some);
        let matte = v.choice(c"matte", t)?;
        let (alpha_role, alpha) = if at.depth_connected {
            // The CLI refuses --mask with --depth: both travel as alpha.
            match matte.as_str() {
                MATTE_NONE => (ReangleAlpha::Depth, Alpha::DepthInput),
                _ => {
                    return Err(PluginError::failed(
                        "the Depth input and a matte both travel as alpha: set Subject matte to None, or disconnect Depth",
                    ))
                }
            }
        } else {
            match matte.as_str() {
                MATTE_NONE => (ReangleAlpha::Ignore, Alpha::Drop),
                MATTE_SUBJECT => (ReangleAlpha::Matte, Alpha::Drop),
                MATTE_SOURCE_ALPHA => (ReangleAlpha::Matte, Alpha::SourceRequired),
                MATTE_MASK_INPUT if at.mask_connected => (ReangleAlpha::Matte, Alpha::MaskInput),
                MATTE_MASK_INPUT => {
                    return Err(PluginError::failed(
                        "connect the Mask input, or set Subject matte to another source",
                    ))
                }
                other => return Err(PluginError::failed(format!("unknown matte `{other}`"))),
            }
        };
        let named = v.choice(c"move", t)?;
        let camera_move = if named == NO_MOVE {
            None
        } else {
            Some(
                MOVES
                    .iter()
                    .find(|(n, _)| *n == named)
                    .map(|(_, m)| *m)
                    .ok_or_else(|| PluginError::failed(format!("unknown move `{named}`")))?,
            )
        };
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
                subject_model: matte == MATTE_SUBJECT,
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
        let chosen = choose_fill(&params.core.fill, &mut models::model_context)?;
        // A connected Depth input is the geometry; else the depth model
        // setting means what it means on the command line.
        let depth_model = if params.core.alpha == ReangleAlpha::Depth {
            None
        } else {
            depth::choose(&params.core.depth_model, &mut models::model_context)?
        };
        let mut op = ReangleOp::new(params.core.clone(), chosen.fill)?;
        if let Some((first, last)) = params.shot {
            op = op.with_shot(first, last);
        }
        if params.subject_model {
            let mask_params = MaskParams {
                temporal_radius: 0,
                ..MaskParams::default()
            };
            let m = model::open(&mask_params.model, Role::Mask, &models::model_context()?)?;
            op = op.with_subject(SubjectMask::new(mask_params, m)?);
        }
        if let Some(d) = depth_model {
            op = op.with_depth_model(d);
        }
        Ok(op)
    }
}
