//! Retake's picture operations: the subject mask, mattes and keyframe
//! tracking, spatial inpainting and video object removal. Each is an
//! [`retake_core::pipeline::Operation`] that every face runs the same way.

pub mod build;
pub mod inpaint;
pub mod mask;
pub mod mask_params;
pub mod matte;
pub mod remove;
pub mod remove_params;
pub mod remove_reach;
pub mod track;
pub mod track_params;
