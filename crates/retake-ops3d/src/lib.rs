//! Retake's operations on the shot lifted to 3D with depth and a pinhole
//! camera: relighting and alternate camera angles. Reangle fills what the
//! new camera uncovers with removal's engine (`retake_ops::remove`).

pub mod build;
pub mod passes;
pub mod reangle;
pub mod reangle_params;
pub mod relight;
pub mod relight_params;
pub mod tables;
