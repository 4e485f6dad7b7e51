//! `retake remove`: paint a masked region out of a shot.

use retake_core::inpaint::learned::LearnedFill;
use retake_core::inpaint::patchmatch::{PatchMatch, PatchMatchParams};
use retake_core::inpaint::smooth::Membrane;
use retake_core::inpaint::SpatialFill;
use retake_core::mask::{MaskParams, SubjectMask};
use retake_core::matte::MatteValues;
use retake_core::model::{self, manifest, Role};
use retake_core::provenance::{ModelRecord, Provenance};
use retake_core::remove::{Remove, RemoveParams};
use retake_core::Result;

use super::{run_operation, OutputPlan};
use crate::args::{GlobalArgs, RemoveArgs};
use crate::context::model_context;

pub fn run(a: &RemoveArgs, global: &GlobalArgs) -> Result<i32> {
    a.params.validate()?;
    let mut record = Provenance::new("remove", &a.params);
    let op = build(&a.params, global, &mut record)?;
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
fn build(params: &RemoveParams, global: &GlobalArgs, record: &mut Provenance) -> Result<Remove> {
    let spatial = spatial_fill(&params.fill, global, record)?;
    let subject = if params.auto_mask() {
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
    Remove::new(params.clone(), spatial, subject)
}

/// The spatial filler named by `--fill` (auto, patchmatch, smooth or a
/// model), shared by every command that fills what no frame saw; a model
/// used goes into the provenance record.
pub(super) fn spatial_fill(
    fill: &str,
    global: &GlobalArgs,
    record: &mut Provenance,
) -> Result<Box<dyn SpatialFill>> {
    Ok(match fill {
        "patchmatch" => Box::new(PatchMatch::new(PatchMatchParams::default())?),
        "smooth" => Box::new(Membrane),
        "auto" => {
            let c = model_context(global)?;
            // Only real models are picked automatically, never fixtures.
            let (found, _) = manifest::discover(&c.dirs);
            match found
                .into_iter()
                .find(|m| m.role == Role::Inpaint && !m.fixture && m.model_path().is_file())
            {
                Some(m) => {
                    let model =
                        model::open(&m.manifest_path.display().to_string(), Role::Inpaint, &c)?;
                    record
                        .models
                        .push(ModelRecord::new(&model.manifest, model.provider.name()));
                    log::info!("filling unseen areas with the installed model `{}`", m.name);
                    Box::new(LearnedFill::new(model)?)
                }
                None => {
                    log::info!(
                        "no inpainting model installed: filling unseen areas with PatchMatch"
                    );
                    Box::new(PatchMatch::new(PatchMatchParams::default())?)
                }
            }
        }
        name => {
            let model = model::open(name, Role::Inpaint, &model_context(global)?)?;
            record
                .models
                .push(ModelRecord::new(&model.manifest, model.provider.name()));
            Box::new(LearnedFill::new(model)?)
        }
    })
}
