//! The image building blocks every operation shares (filters, sampling,
//! optical flow, distance transforms, the pinhole camera, keyframes, luma),
//! one implementation each, so operations never need to import one
//! another. Knows no frames, no models, no I/O.

pub mod distance;
pub mod filter;
pub mod flow;
pub mod keyframes;
pub mod luma;
pub mod pinhole;
pub mod plane;
pub mod sample;
