//! Learned models: manifests, the ONNX Runtime library, sessions.

pub mod colour;
pub mod depth;
pub mod image;
pub mod manifest;
pub mod provenance;
pub mod runtime;

use std::path::PathBuf;
use std::sync::Arc;

pub use colour::ModelColour;
pub use manifest::{DType, Manifest, Role, TensorSpec};
pub use runtime::{Model, Provider, Runtime, Tensor, TensorData};

use retake_core::error::{Error, Result};

/// Where a face (CLI, plugin) finds models and the runtime, and how to run
/// them. Both faces build one and call [`open`], so a model is found and
/// checked the same way everywhere.
#[derive(Clone, Debug)]
pub struct ModelContext {
    /// Folders searched for manifests (see [`manifest::model_dirs`]).
    pub dirs: Vec<PathBuf>,
    /// Candidate paths of the ONNX Runtime library (see
    /// [`runtime::library_candidates`]).
    pub library: Vec<PathBuf>,
    /// Execution providers in order of preference.
    pub providers: Vec<Provider>,
    /// Threads ONNX Runtime may use inside one run.
    pub threads: usize,
    /// Converts model pictures from the working space when a colour config
    /// is in use; `None`: frames are linear Rec.709 (see [`ModelColour`]).
    pub colour: Option<Arc<dyn ModelColour>>,
}

/// Find the model `name` (or a manifest path), check it fills `role`, verify
/// its file and open it.
pub fn open(name: &str, role: Role, ctx: &ModelContext) -> Result<Model> {
    let m = manifest::find(name, &ctx.dirs)?;
    if m.role != role {
        return Err(Error::model(
            m.manifest_path.display(),
            format!(
                "model `{}` has role `{}` but this operation needs a `{role}` model",
                m.name, m.role
            ),
        ));
    }
    if m.fixture {
        log::warn!(
            "{} is a FIXTURE model made for tests, not a real model",
            m.name
        );
    }
    let rt = runtime::init(&ctx.library)?;
    let mut model = Model::load(m, rt, &ctx.providers, ctx.threads)?;
    model.colour = ctx.colour.clone();
    Ok(model)
}

/// What `auto` means for a model choice: the first installed real model of
/// `role` (never a test fixture), opened; `None` when there is none, so the
/// caller uses its built-in method. Every face (CLI, plugin) asks here.
pub fn open_installed(role: Role, ctx: &ModelContext) -> Result<Option<Model>> {
    let (found, _) = manifest::discover(&ctx.dirs);
    match found
        .into_iter()
        .find(|m| m.role == role && !m.fixture && m.model_path().is_file())
    {
        Some(m) => {
            log::info!("using the installed {role} model `{}`", m.name);
            open(&m.manifest_path.display().to_string(), role, ctx).map(Some)
        }
        None => Ok(None),
    }
}
