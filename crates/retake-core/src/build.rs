//! One assembly per operation: which models it opens (spatial fill, subject,
//! depth) follows from its parameters here, once, for the CLI, job files
//! and the plugin alike. A face supplies where models are found (asked on
//! first need, so built-in engines work without ONNX Runtime) and what its
//! inputs already carry (a depth pass makes a depth model needless).

use crate::depth;
use crate::error::Result;
use crate::inpaint::choose::choose_fill;
use crate::mask::{MaskParams, SubjectMask};
use crate::model::{self, ModelContext, Role};
use crate::provenance::ModelRecord;
use crate::reangle::{Reangle, ReangleParams};
use crate::relight::{Relight, RelightParams};
use crate::remove::{Remove, RemoveParams};

/// Where models are found: asked only when a model is needed.
pub type Models<'a> = &'a mut dyn FnMut() -> Result<ModelContext>;

/// An operation with its models opened, and the models it uses (for the
/// provenance record), in the order they were opened.
pub struct Built<Op> {
    pub op: Op,
    pub models: Vec<ModelRecord>,
}

fn record(m: &model::Model) -> ModelRecord {
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

/// Relighting with the subject model (`subject`: the matte is found
/// automatically) and, unless the face's inputs carry the geometry
/// (`geometry_given`: a depth or normal pass), the depth model the
/// parameters choose.
pub fn relight(
    params: &RelightParams,
    subject: bool,
    geometry_given: bool,
    models: Models,
) -> Result<Built<Relight>> {
    let mut records = Vec::new();
    let subject = if subject {
        let (s, r) = auto_subject(models)?;
        records.push(r);
        Some(s)
    } else {
        None
    };
    let depth_model = if geometry_given {
        None
    } else {
        depth::choose(&params.depth_model, models)?
    };
    if let Some(d) = &depth_model {
        records.push(record(d.model()));
    }
    let mut op = Relight::new(params.clone())?;
    if let Some(s) = subject {
        op = op.with_subject(s);
    }
    if let Some(d) = depth_model {
        op = op.with_depth_model(d);
    }
    Ok(Built {
        op,
        models: records,
    })
}

/// Reangle with its spatial fill, the depth model (unless `depth_given`),
/// the shot's frame range (named moves ease over it) and the subject model
/// (`subject`).
pub fn reangle(
    params: &ReangleParams,
    subject: bool,
    depth_given: bool,
    shot: Option<(i64, i64)>,
    models: Models,
) -> Result<Built<Reangle>> {
    let chosen = choose_fill(&params.fill, models)?;
    let mut records: Vec<ModelRecord> = chosen.model.into_iter().collect();
    let depth_model = if depth_given {
        None
    } else {
        depth::choose(&params.depth_model, models)?
    };
    let mut op = Reangle::new(params.clone(), chosen.fill)?;
    if let Some((first, last)) = shot {
        op = op.with_shot(first, last);
    }
    if subject {
        let (s, r) = auto_subject(models)?;
        records.push(r);
        op = op.with_subject(s);
    }
    if let Some(d) = depth_model {
        records.push(record(d.model()));
        op = op.with_depth_model(d);
    }
    Ok(Built {
        op,
        models: records,
    })
}
