//! Learned models: manifests, the ONNX Runtime library, sessions.

pub mod manifest;
pub mod runtime;

pub use manifest::{DType, Manifest, Role, TensorSpec};
pub use runtime::{Model, Provider, Runtime, Tensor, TensorData};
