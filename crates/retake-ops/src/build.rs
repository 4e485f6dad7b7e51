//! One assembly per operation (relight and reangle: `retake_ops3d::build`): which models it opens (spatial fill, subject,
//! depth) follows from its parameters here, once, for the CLI, job files
//! and the plugin alike. A face supplies where models are found (asked on
//! first need, so built-in engines work without ONNX Runtime) and what its
//! inputs already carry (a depth pass makes a depth model needless).

use retake_core::error::Result;
use retake_model::provenance::ModelRecord;
use retake_model::{self as model, ModelContext, Role};

use crate::inpaint::choose::choose_fill;
use crate::mask::{MaskParams, SubjectMask};
use crate::remove::{Remove, RemoveParams};

/// Where models are found: asked only when a model is needed.
pub type Models<'a> = &'a mut dyn FnMut() -> Result<ModelContext>;

/// An operation with its models opened, and the models it uses (for the
/// provenance record), in the order they were opened.
pub struct Built<Op> {
    pub op: Op,
    pub models: Vec<ModelRecord>,
}

pub fn record(m: &model::Model) -> ModelRecord {
    ModelRecord::new(&m.manifest, m.provider.name())
}

/// The subject an operation finds by itself (`mask = "auto"`, the plugin's
/// Automatic matte): frame by frame, no temporal blending (the operation
/// has its own).
pub fn auto_subject(models: Models) -> Result<(SubjectMask, ModelRecord)> {
    let params = MaskParams {
        temporal_radius: 0,
        ..MaskParams::default()
    };
    let m = model::open(&params.model, Role::Mask, &models()?)?;
    let r = record(&m);
    Ok((SubjectMask::new(params, m)?, r))
}

/// The subject mask with its segmentation model.
pub fn mask(params: &MaskParams, models: Models) -> Result<Built<SubjectMask>> {
    let m = model::open(&params.model, Role::Mask, &models()?)?;
    let r = record(&m);
    Ok(Built {
        op: SubjectMask::new(params.clone(), m)?,
        models: vec![r],
    })
}

/// Removal with its spatial fill and, for an automatic mask, the subject
/// model.
pub fn remove(params: &RemoveParams, models: Models) -> Result<Built<Remove>> {
    let chosen = choose_fill(&params.fill, models)?;
    let mut records: Vec<ModelRecord> = chosen.model.into_iter().collect();
    let subject = if params.auto_mask() {
        let (s, r) = auto_subject(models)?;
        records.push(r);
        Some(s)
    } else {
        None
    };
    Ok(Built {
        op: Remove::new(params.clone(), chosen.fill, subject)?,
        models: records,
    })
}
