//! Retake Remove: object removal of `retake remove`, as an effect.
//! Parameters map onto [`RemoveParams`]; the matte travels as the frames'
//! alpha (from the Mask input or the Source's alpha) or comes from the
//! subject model, exactly as the CLI hands it over.

use retake_ops::remove::{Remove as RemoveOp, RemoveParams};
use retake_ops::remove_params;

use crate::effect::{Alpha, At, Context, Effect, Input, Setup};
use crate::host::{PResult, PluginError};
use crate::models;
use crate::params::ParamDefs;
use crate::table;

pub struct Remove;

/// What `RemoveParams::mask` says for a matte that arrives as alpha (the
/// operation reads it from the frames; the text only names it in messages).
const HOST_MATTE_LABEL: &str = "OpenFX matte";

/// Pixel sizes at render scale `scale` (a 4 px dilation at full size is
/// 2 px at half size).
pub fn scaled_pixels(pixels: u32, scale: f64) -> u32 {
    (pixels as f64 * scale).round() as u32
}

impl Effect for Remove {
    const ID: &'static std::ffi::CStr = c"org.retake.Remove";
    const LABEL: &'static std::ffi::CStr = c"Retake Remove";
    const DESCRIPTION: &'static std::ffi::CStr =
        c"Paints a masked object out of a shot from the frames that see behind it, inventing only what no frame shows (retake remove).";
    const VERSION: (u32, u32) = (1, 0);
    const INPUTS: &'static [Input] = &[Input::Mask];
    type Params = RemoveParams;
    type Op = RemoveOp;

    fn define(d: &ParamDefs, context: Context) -> PResult<()> {
        // The operation's flow and fill caches assume one setting for the
        // whole shot, so none of these animates (the table says so).
        table::define(d, remove_params::TABLE, context)
    }

    fn read(at: &At) -> PResult<Setup<RemoveParams>> {
        let v = at.values;
        let t = at.time;
        let source = table::menu_value(v, remove_params::TABLE, "matte", t)?;
        let (mask, alpha) = match source.unwrap_or_default() {
            "auto" => ("auto".to_string(), Alpha::Drop),
            "source-alpha" => (HOST_MATTE_LABEL.to_string(), Alpha::SourceRequired),
            "mask-input" if at.mask_connected => (HOST_MATTE_LABEL.to_string(), Alpha::MaskInput),
            "mask-input" => {
                return Err(PluginError::failed(
                    "connect the Mask input (white = remove), or set Remove to Source alpha or Automatic",
                ))
            }
            other => return Err(PluginError::failed(format!("unknown matte source `{other}`"))),
        };
        let params = RemoveParams {
            mask,
            dilate: scaled_pixels(v.int(c"dilate", t)?.max(0) as u32, at.scale),
            feather: scaled_pixels(v.int(c"feather", t)?.max(0) as u32, at.scale),
            window: v.int(c"window", t)?.max(0) as usize,
            fill: v.choice(c"fill", t)?,
            // Reference frames are files: the CLI and job files take them.
            reference: Vec::new(),
            // A host hands frames on demand: no first pass over the shot.
            reach: 0,
        };
        params.validate()?;
        Ok(Setup { params, alpha })
    }

    fn radius(params: &RemoveParams) -> usize {
        params.window
    }

    fn spatial_only(params: &mut RemoveParams) {
        params.window = 0;
    }

    fn spatial_only_note() -> &'static str {
        "the background is not searched for in other frames; every frame is filled spatially on its own, which may flicker"
    }

    fn build(params: &RemoveParams) -> PResult<RemoveOp> {
        Ok(retake_ops::build::remove(params, &mut models::model_context)?.op)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pixel_sizes_follow_render_scale() {
        assert_eq!(scaled_pixels(4, 1.0), 4);
        assert_eq!(scaled_pixels(4, 0.5), 2);
        assert_eq!(scaled_pixels(3, 0.25), 1);
    }
}
