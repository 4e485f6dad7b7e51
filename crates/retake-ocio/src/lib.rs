//! OpenColorIO for Retake's CLI side: the system's OpenColorIO (C++, 2.1 or
//! newer) through a small C shim. Only the CLI and media side link this
//! crate; the OpenFX plugin never does, because host applications load
//! their own OpenColorIO.
//!
//! Retake works in the config's `scene_linear` role. [`ColourPipeline`]
//! holds the conversions of one run: input space to working space on
//! decode, working space to output space (or display/view) on encode, and
//! working space to what models take ([`ModelSpaces`]).

mod config;
mod error;
mod ffi;
mod frames;
mod model;
mod pipeline;
mod processor;
mod suggest;

pub use config::{library_version, Config};
pub use error::{NameKind, OcioError};
pub use frames::{ConvertedSink, ConvertedSource};
pub use model::ModelSpaces;
pub use pipeline::{ColourPipeline, Delivery};
pub use processor::Processor;
pub use suggest::closest;
