//! `retake track`: masks through a shot from a few keyframes.

use retake_core::{Result, Transfer};
use retake_model::provenance::Provenance;
use retake_ops::matte::MatteValues;
use retake_ops::track::MatteOutput;

use super::{run_operation, OutputPlan};
use crate::args::{GlobalArgs, TrackArgs};

pub fn run(a: &TrackArgs, global: &GlobalArgs) -> Result<i32> {
    a.params.validate()?;
    let record = Provenance::new("track", &a.params);
    let matte = Some((a.params.keyframes.as_str(), MatteValues::Coverage));
    run_operation(&a.io, matte, global, &MatteOutput, record, |info| {
        let mut info = info.clone();
        info.has_alpha = false;
        OutputPlan {
            info,
            // A mask is data, not a picture: no transfer curve.
            transfer: Some(Transfer::Linear),
        }
    })?;
    Ok(0)
}
