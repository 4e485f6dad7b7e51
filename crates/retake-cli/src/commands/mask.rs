//! `retake mask`: subject masks from the segmentation model.

use retake_core::mask::{MaskOutput, SubjectMask};
use retake_core::model::{self, Role};
use retake_core::provenance::{ModelRecord, Provenance};
use retake_core::{Result, Transfer};

use super::{run_operation, OutputPlan};
use crate::args::{GlobalArgs, MaskArgs};
use crate::context::model_context_for;

pub fn run(a: &MaskArgs, global: &GlobalArgs) -> Result<i32> {
    a.params.validate()?;
    let ctx = model_context_for(global, &a.io)?;
    let model = model::open(&a.params.model, Role::Mask, &ctx)?;
    let mut record = Provenance::new("mask", &a.params);
    record
        .models
        .push(ModelRecord::new(&model.manifest, model.provider.name()));
    let op = SubjectMask::new(a.params.0.clone(), model)?;
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
