//! One assembly per operation, for relight and reangle (mask and remove:
//! `retake_ops::build`): which models they open follows from their
//! parameters here, once, for the CLI, job files and the plugin alike.

use retake_core::error::Result;
use retake_model::depth;
use retake_model::provenance::ModelRecord;
use retake_ops::build::{auto_subject, record, Built, Models};
use retake_ops::inpaint::choose::choose_fill;

use crate::reangle::{Reangle, ReangleParams};
use crate::relight::{Relight, RelightParams};

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
