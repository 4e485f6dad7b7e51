//! `retake convert`: decode -> float linear -> encode, keeping the clip's
//! facts; when no colour changes, decoded pictures go straight to the
//! encoder instead (`retake_media::direct`). Also the speed baseline
//! against the `ffmpeg` tool.

use retake_core::Result;
use retake_model::provenance::Provenance;
use retake_ops::matte::MatteValues;

use super::{run_conversion, OutputPlan};
use crate::args::{ConvertArgs, GlobalArgs};

/// `retake convert` on the command line: pictures as decoded where the
/// colour stays, as the `ffmpeg` command would.
pub fn run(a: &ConvertArgs, global: &GlobalArgs) -> Result<i32> {
    convert(a, global, true)
}

/// A job file's convert: always float frames. A farm renders a movie job
/// as float EXR frames and then assembles them, so only the float path
/// gives the same pictures whole and on the farm.
pub fn run_in_job(a: &ConvertArgs, global: &GlobalArgs) -> Result<i32> {
    convert(a, global, false)
}

fn convert(a: &ConvertArgs, global: &GlobalArgs, straight: bool) -> Result<i32> {
    // Freed frames handed back to the kernel come back as fresh pages; for
    // H.264 they are huge pages (x264 asks for them), zeroed at every fault.
    crate::keep_freed_frames();
    let record = Provenance::new("convert", &a.params);
    run_conversion(
        &a.io,
        a.params
            .alpha
            .as_deref()
            .map(|m| (m, MatteValues::Coverage)),
        global,
        record,
        |info| OutputPlan {
            info: info.clone(),
            transfer: None,
        },
        straight,
    )?;
    Ok(0)
}
