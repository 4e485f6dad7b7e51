//! Which spatial filler a remove `fill` setting means. One function serves
//! the CLI, job files and the OpenFX plugin, so `auto` picks the same
//! filler whichever face asked.

use crate::inpaint::learned::LearnedFill;
use crate::inpaint::patchmatch::{PatchMatch, PatchMatchParams};
use crate::inpaint::smooth::Membrane;
use crate::inpaint::SpatialFill;
use retake_core::error::Result;
use retake_model::provenance::ModelRecord;
use retake_model::{self as model, ModelContext, Role};

/// The filler, and the model behind it for provenance.
pub struct ChosenFill {
    pub fill: Box<dyn SpatialFill>,
    pub model: Option<ModelRecord>,
}

/// `patchmatch`, `smooth`, `auto` (an installed real inpainting model, else
/// the membrane of `smooth`; fixtures are never picked automatically) or a model name.
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
        "auto" => {
            match model::open_installed(Role::Inpaint, &context()?)? {
                Some(m) => learned(m),
                None => {
                    // The membrane, solved on every frame against what the
                    // other frames recovered, scores above PatchMatch and the
                    // anchored membrane on the means of every measure of
                    // scripts/eval_remove.sh and leaves no blobs or seams;
                    // PatchMatch stays a choice for texture.
                    log::info!("no inpainting model installed: filling unseen areas smoothly (the `smooth` fill)");
                    Ok(built_in(Box::new(Membrane)))
                }
            }
        }
        name => learned(model::open(name, Role::Inpaint, &context()?)?),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use retake_model::Provider;

    fn no_models() -> Result<ModelContext> {
        Ok(ModelContext {
            // A folder that does not exist: no model is installed.
            dirs: vec![std::path::PathBuf::from(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/no-models-here"
            ))],
            library: Vec::new(),
            providers: vec![Provider::Cpu],
            threads: 1,
            colour: None,
        })
    }

    #[test]
    fn auto_without_a_model_is_the_steady_membrane() {
        let chosen = choose_fill("auto", &mut no_models).expect("auto");
        assert_eq!(chosen.fill.name(), "smooth");
        assert!(!chosen.fill.invents_texture());
        assert!(chosen.model.is_none());
        let pm = choose_fill("patchmatch", &mut no_models).expect("patchmatch");
        assert_eq!(pm.fill.name(), "patchmatch");
        assert!(pm.fill.invents_texture());
    }
}
