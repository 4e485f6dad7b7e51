//! The hook through which a face converts model pictures with a colour
//! management system. Core links none (the plugin runs inside hosts that
//! bring their own OpenColorIO), so the CLI hands one in; without it,
//! frames are taken as linear Rec.709 and encoded with the built-in sRGB
//! curve.

use std::fmt::Debug;

use super::manifest::PixelEncoding;
use retake_core::error::Result;

/// Converts interleaved RGB between the working space of the frames and
/// what a model's manifest says it takes (`encoding`).
pub trait ModelColour: Send + Sync + Debug {
    /// Working-space RGB to the model's encoding, in place.
    fn encode_for_model(&self, encoding: PixelEncoding, rgb: &mut [f32]) -> Result<()>;
    /// A model's RGB output in `encoding` back to the working space, in place.
    fn decode_from_model(&self, encoding: PixelEncoding, rgb: &mut [f32]) -> Result<()>;
}
