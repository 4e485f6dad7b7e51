//! `retake convert`: decode -> float linear -> encode, keeping the clip's
//! facts. Also the pipeline's speed baseline against the `ffmpeg` tool.

use retake_core::pipeline::Identity;
use retake_core::Result;
use retake_model::provenance::Provenance;
use retake_ops::matte::MatteValues;

use super::{run_with, Copy, OutputPlan};
use crate::args::{ConvertArgs, GlobalArgs};

pub fn run(a: &ConvertArgs, global: &GlobalArgs) -> Result<i32> {
    // Freed frames handed back to the kernel come back as fresh pages; for
    // H.264 they are huge pages (x264 asks for them), zeroed at every fault.
    crate::keep_freed_frames();
    let record = Provenance::new("convert", &a.params);
    // No processing: when the colour stays too, pictures go to the encoder
    // as decoded (see `retake_media::direct`).
    run_with(
        &a.io,
        a.params
            .alpha
            .as_deref()
            .map(|m| (m, MatteValues::Coverage)),
        None,
        global,
        &Identity,
        record,
        |info| OutputPlan {
            info: info.clone(),
            transfer: None,
        },
        Copy::Straight,
    )?;
    Ok(0)
}
