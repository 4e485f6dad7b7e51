//! The image building blocks every operation shares (filters, sampling,
//! optical flow, ...), one implementation each, so operations never need
//! to import one another. Knows no frames, no models, no I/O.

pub mod filter;
pub mod flow;
