//! `retake relight`: add light to a shot from its geometry.

use retake_core::mask::{MaskParams, SubjectMask};
use retake_core::matte::MatteValues;
use retake_core::model::{self, Role};
use retake_core::provenance::{ModelRecord, Provenance};
use retake_core::relight::{AlphaRole, Relight};
use retake_core::{Error, Result};

use super::{run_operation, OutputPlan};
use crate::args::{GlobalArgs, RelightArgs};
use crate::context::model_context;

pub fn run(a: &RelightArgs, global: &GlobalArgs) -> Result<i32> {
    let mut params = a.params.clone();
    let inputs = &a.inputs;
    if inputs.mask.is_some() && inputs.depth.is_some() {
        return Err(Error::parameter(
            "depth",
            "give either --mask or --depth (both travel as the frames' alpha)",
        ));
    }
    let auto = inputs.mask.as_deref() == Some("auto");
    let matte = match (&inputs.mask, &inputs.depth) {
        (Some(m), None) if !auto => {
            params.alpha = AlphaRole::Matte;
            Some((m.as_str(), MatteValues::Coverage))
        }
        (None, Some(d)) => {
            params.alpha = AlphaRole::Depth;
            Some((d.as_str(), MatteValues::Data))
        }
        _ => None,
    };
    params.validate()?;
    let mut record = Provenance::new("relight", &params);
    let mut op = Relight::new(params.clone())?;
    if auto {
        let mask_params = MaskParams {
            temporal_radius: 0,
            ..MaskParams::default()
        };
        let model = model::open(&mask_params.model, Role::Mask, &model_context(global)?)?;
        record
            .models
            .push(ModelRecord::new(&model.manifest, model.provider.name()));
        op = op.with_subject(SubjectMask::new(mask_params, model)?);
    }
    let keep_alpha = params.alpha == AlphaRole::Keep;
    run_operation(&a.io, matte, global, &op, record, |info| {
        let mut info = info.clone();
        // A matte or depth in alpha is consumed; the picture's own is kept
        // only with --alpha keep.
        info.has_alpha = keep_alpha && info.has_alpha;
        OutputPlan {
            info,
            transfer: None,
        }
    })?;
    Ok(0)
}
