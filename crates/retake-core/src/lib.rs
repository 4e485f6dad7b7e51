//! Retake's processing core: frames, colour, masks, the operations, the
//! model runtime and the streaming pipeline. Knows no FFmpeg, no CLI, no
//! OpenFX, so every face calls the same code with the same parameters.

pub mod atomic;
pub mod cancel;
pub mod clip;
pub mod colour;
pub mod depth;
pub mod error;
pub mod folders;
pub mod frame;
pub mod inpaint;
pub mod io;
pub mod limits;
pub mod mask;
pub mod matte;
pub mod metrics;
pub mod model;
pub mod pipeline;
pub mod provenance;
pub mod range;
pub mod reangle;
pub mod relight;
pub mod remove;
pub mod track;
pub mod window;

pub use clip::{ClipInfo, Rational};
pub use colour::{ColourTags, Matrix, Primaries, Transfer};
pub use error::{Error, Result};
pub use frame::Frame;
pub use io::{FrameSink, FrameSource};
pub use range::FrameRange;
