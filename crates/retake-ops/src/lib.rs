//! Retake's picture operations: the subject mask, mattes and keyframe
//! tracking, spatial inpainting and video object removal. Each is an
//! [`retake_core::pipeline::Operation`] that every face runs the same way.

pub mod inpaint;
pub mod mask;
pub mod matte;
pub mod remove;
pub mod track;
