//! Retake's processing core: frames, colour, masks, the operations, the
//! model runtime and the streaming pipeline. Knows no FFmpeg, no CLI, no
//! OpenFX, so every face calls the same code with the same parameters.

pub mod atomic;
pub mod build;
pub mod cancel;
pub mod clip;
pub mod colour;
pub mod depth;
pub mod error;
pub mod filter;
pub mod flow;
pub mod folders;
pub mod frame;
pub mod inpaint;
pub mod io;
pub mod limits;
pub mod mask;
pub mod mask_params;
pub mod matte;
pub mod metrics;
pub mod model;
pub mod params;
pub mod pipeline;
pub mod provenance;
pub mod range;
pub mod reangle;
pub mod reangle_params;
pub mod relight;
pub mod relight_params;
pub mod remove;
pub mod remove_params;
pub mod track;
pub mod track_params;
pub mod window;

pub use clip::{ClipInfo, Rational};
pub use colour::{ColourTags, Matrix, Primaries, Transfer};
pub use error::{Error, Result};
pub use frame::Frame;
pub use io::{FrameSink, FrameSource};
pub use range::FrameRange;
