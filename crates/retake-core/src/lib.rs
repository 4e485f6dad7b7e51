//! Retake's processing core: frames, colour, errors, frame windows and the
//! streaming pipeline every operation runs in. Knows no FFmpeg, no CLI, no
//! OpenFX, so every face calls the same code with the same parameters.

pub mod atomic;
pub mod cancel;
pub mod clip;
pub mod colour;
pub mod error;
pub mod folders;
pub mod frame;
pub mod io;
pub mod limits;
pub mod params;
pub mod pipeline;
pub mod range;
pub mod role;
pub mod window;

pub use clip::{ClipInfo, Rational};
pub use colour::{ColourTags, Matrix, Primaries, Transfer};
pub use error::{Error, Result};
pub use frame::Frame;
pub use io::{FrameSink, FrameSource};
pub use range::FrameRange;
pub use role::Role;
