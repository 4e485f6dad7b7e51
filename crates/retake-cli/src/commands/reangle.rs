//! `retake reangle`: an alternate camera angle from a single shot.

use std::sync::Mutex;

use retake_core::{FrameRange, Result};
use retake_media::layers::{Layer, LayerSequence};
use retake_model::provenance::Provenance;
use retake_ops3d::reangle::{ReangleAlpha, ReanglePasses};

use super::{run_operation, OutputPlan};
use crate::args::{GlobalArgs, ReangleArgs};
use crate::context::Models;

pub fn run(a: &ReangleArgs, global: &GlobalArgs) -> Result<i32> {
    let mut params = a.params.0.clone();
    let inputs = &a.inputs;
    let alpha = super::alpha_input(inputs.mask.as_deref(), inputs.depth.as_deref())?;
    let auto = alpha.auto;
    let matte = alpha.attach;
    if matte.is_some() {
        params.alpha = if alpha.depth {
            ReangleAlpha::Depth
        } else {
            ReangleAlpha::Matte
        };
    }
    params.validate()?;
    // The whole shot, whatever --frames renders: named moves run over it,
    // so chunks rendered apart match a whole render.
    let info = retake_media::probe(&a.io.input)?;
    let shot = info
        .frames
        .filter(|n| *n > 0)
        .map(|n| (info.first_frame, info.first_frame + n as i64 - 1));
    if let Some(warning) = params.check_framing(info.width, info.height, shot)? {
        log::warn!("{warning}");
    }
    let mut record = Provenance::new("reangle", &params);
    let mut models = Models::for_io(global, &a.io);
    let built =
        retake_ops3d::build::reangle(&params, auto, inputs.depth.is_some(), shot, &mut || {
            models.context()
        })?;
    record.models.extend(built.models);
    // The pipeline renders each frame once, after its window: what the
    // neighbours do not read of a rendered frame is handed back.
    let mut op = built.op.rendering_each_frame_once();
    if let Some(pattern) = &inputs.passes {
        let range = a.io.frames.as_deref().map(FrameRange::parse).transpose()?;
        let sequence = Mutex::new(LayerSequence::create_for(
            pattern,
            a.io.overwrite,
            range.as_ref(),
        )?);
        op = op.with_pass_writer(Box::new(move |p: &ReanglePasses| {
            let mut seq = sequence.lock().unwrap_or_else(|e| e.into_inner());
            seq.write(
                p.mask.index,
                &[Layer::new(["mask"], &p.mask), Layer::new(["Z"], &p.depth)],
            )
        }));
    }
    run_operation(&a.io, matte, global, &op, record, |info| {
        let mut info = info.clone();
        // A matte or depth in alpha is consumed; the new view has none.
        info.has_alpha = false;
        OutputPlan {
            info,
            transfer: None,
        }
    })?;
    Ok(0)
}
