//! `retake remove`: paint a masked region out of a shot.

use retake_core::inpaint::choose::choose_fill;
use retake_core::matte::MatteValues;
use retake_core::provenance::Provenance;
use retake_core::remove::{Remove, RemoveParams};
use retake_core::Result;

use super::{run_operation, OutputPlan};
use crate::args::{GlobalArgs, IoArgs, RemoveArgs};
use crate::context::Models;

pub fn run(a: &RemoveArgs, global: &GlobalArgs) -> Result<i32> {
    a.params.validate()?;
    if retake_core::track::is_keyframe_list(&a.params.mask) {
        retake_core::track::parse_keyframes(&a.params.mask, "mask")?;
    }
    let mut record = Provenance::new("remove", &a.params);
    let op = build(&a.params, &a.io, global, &mut record)?;
    let matte = (!a.params.auto_mask()).then_some((a.params.mask.as_str(), MatteValues::Coverage));
    run_operation(&a.io, matte, global, &op, record, |info| {
        let mut info = info.clone();
        // The mask travels as alpha; the result is a picture without one.
        info.has_alpha = false;
        OutputPlan {
            info,
            transfer: None,
        }
    })?;
    Ok(0)
}

/// The operation with its spatial filler and, for `--mask auto`, the
/// subject model; the models used go into the provenance record.
fn build(
    params: &RemoveParams,
    io: &IoArgs,
    global: &GlobalArgs,
    record: &mut Provenance,
) -> Result<Remove> {
    let mut models = Models::for_io(global, io);
    let chosen = choose_fill(&params.fill, &mut || models.context())?;
    record.models.extend(chosen.model);
    let subject = if params.auto_mask() {
        Some(models.auto_subject(record)?)
    } else {
        None
    };
    Remove::new(params.clone(), chosen.fill, subject)
}
