//! `retake relight`: add light to a shot from its geometry.

use std::sync::Mutex;

use retake_core::mask::{MaskParams, SubjectMask};
use retake_core::matte::MatteValues;
use retake_core::model::{self, Role};
use retake_core::provenance::{ModelRecord, Provenance};
use retake_core::relight::preview::preset_grid;
use retake_core::relight::{presets, AlphaRole, Relight, RelightParams, RelightPasses};
use retake_core::{ClipInfo, ColourTags, Error, Result, Transfer};
use retake_media::layers::{Layer, LayerSequence};
use retake_media::SinkOptions;

use super::{check_output, open_input, run_operation, OutputPlan};
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
    let subject = if auto {
        let mask_params = MaskParams {
            temporal_radius: 0,
            ..MaskParams::default()
        };
        let model = model::open(&mask_params.model, Role::Mask, &model_context(global)?)?;
        record
            .models
            .push(ModelRecord::new(&model.manifest, model.provider.name()));
        Some(SubjectMask::new(mask_params, model)?)
    } else {
        None
    };
    if inputs.preview {
        return preview(a, &params, matte, subject, record);
    }
    let mut op = Relight::new(params.clone())?;
    if let Some(s) = subject {
        op = op.with_subject(s);
    }
    if let Some(pattern) = &inputs.passes {
        let sequence = Mutex::new(LayerSequence::create(pattern, a.io.overwrite)?);
        op = op.with_pass_writer(Box::new(move |p: &RelightPasses| {
            let mut seq = sequence.lock().unwrap_or_else(|e| e.into_inner());
            seq.write(
                p.normals.index,
                &[
                    Layer::new(["N.x", "N.y", "N.z"], &p.normals),
                    Layer::new(["Z"], &p.depth),
                    Layer::new(["shading.R", "shading.G", "shading.B"], &p.shading),
                ],
            )
        }));
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

/// The presets on the first, middle and last frames, as one picture.
fn preview(
    a: &RelightArgs,
    params: &RelightParams,
    matte: Option<(&str, MatteValues)>,
    subject: Option<SubjectMask>,
    mut record: Provenance,
) -> Result<i32> {
    check_output(&a.io.output, a.io.overwrite)?;
    let mut source = open_input(&a.io, matte, &mut record)?;
    let info = source.info().clone();
    let first = info.first_frame;
    let mut picks = vec![first];
    if let Some(last) = info.last_frame() {
        picks.extend([first + (last - first) / 2, last]);
    }
    picks.dedup();
    let mut frames = Vec::new();
    for index in picks {
        source.seek(index)?;
        if let Some(f) = source.next_frame()? {
            frames.push(f);
        }
    }
    let grid = preset_grid(&frames, params, subject, 320)?;
    let mut sheet = ClipInfo::in_memory(&a.io.output, grid.width, grid.height, Some(1));
    sheet.colour = ColourTags::srgb_image();
    let mut sink = retake_media::create_sink(
        &a.io.output,
        &sheet,
        &SinkOptions {
            codec: None,
            transfer: Some(Transfer::Srgb),
            crf: None,
            threads: 0,
        },
    )?;
    sink.write(&grid)?;
    sink.finish()?;
    let columns: Vec<String> = frames.iter().map(|f| f.index.to_string()).collect();
    eprintln!(
        "relight: wrote {}: rows original, {}; columns frames {}",
        a.io.output,
        presets::names().join(", "),
        columns.join(", ")
    );
    Ok(0)
}
