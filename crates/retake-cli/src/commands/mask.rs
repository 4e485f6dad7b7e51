//! `retake mask`: subject masks from the segmentation model.

use retake_core::{Result, Transfer};
use retake_model::provenance::Provenance;
use retake_ops::mask::MaskOutput;

use super::{run_operation, OutputPlan};
use crate::args::{GlobalArgs, MaskArgs};
use crate::context::model_context_for;

pub fn run(a: &MaskArgs, global: &GlobalArgs) -> Result<i32> {
    a.params.validate()?;
    let built = retake_ops::build::mask(&a.params, &mut || model_context_for(global, &a.io))?;
    let mut record = Provenance::new("mask", &a.params);
    record.models.extend(built.models);
    let op = built.op;
    let output = a.params.mode;
    run_operation(&a.io, None, global, &op, record, |info| {
        let mut info = info.clone();
        info.has_alpha = output == MaskOutput::Alpha;
        OutputPlan {
            info,
            // A mask is data, not a picture: no transfer curve.
            transfer: (output == MaskOutput::Mask).then_some(Transfer::Linear),
        }
    })?;
    Ok(0)
}
