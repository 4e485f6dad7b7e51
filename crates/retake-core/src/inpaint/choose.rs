//! Which spatial filler a remove `fill` setting means. One function serves
//! the CLI, job files and the OpenFX plugin, so `auto` picks the same
//! filler whichever face asked.

use crate::error::Result;
use crate::inpaint::learned::LearnedFill;
use crate::inpaint::patchmatch::{PatchMatch, PatchMatchParams};
use crate::inpaint::smooth::Membrane;
use crate::inpaint::SpatialFill;
use crate::model::{self, ModelContext, Role};
use crate::provenance::ModelRecord;

/// The filler, and the model behind it for provenance.
pub struct ChosenFill {
    pub fill: Box<dyn SpatialFill>,
    pub model: Option<ModelRecord>,
}

/// `patchmatch`, `smooth`, `auto` (an installed real inpainting model, else
/// PatchMatch; fixtures are never picked automatically) or a model name.
/// `context` is only asked for when a model may be needed, so the built-in
/// fillers work without ONNX Runtime.
pub fn choose_fill(
    fill: &str,
    context: &mut dyn FnMut() -> Result<ModelContext>,
) -> Result<ChosenFill> {
    let learned = |m: model::Model| -> Result<ChosenFill> {
        let record = ModelRecord::new(&m.manifest, m.provider.name());
        Ok(ChosenFill {
            fill: Box::new(LearnedFill::new(m)?),
            model: Some(record),
        })
    };
    let built_in = |fill: Box<dyn SpatialFill>| ChosenFill { fill, model: None };
    match fill {
        "patchmatch" => Ok(built_in(Box::new(PatchMatch::new(
            PatchMatchParams::default(),
        )?))),
        "smooth" => Ok(built_in(Box::new(Membrane))),
        "auto" => match model::open_installed(Role::Inpaint, &context()?)? {
            Some(m) => learned(m),
            None => {
                log::info!("no inpainting model installed: filling unseen areas with PatchMatch");
                Ok(built_in(Box::new(PatchMatch::new(
                    PatchMatchParams::default(),
                )?)))
            }
        },
        name => learned(model::open(name, Role::Inpaint, &context()?)?),
    }
}
