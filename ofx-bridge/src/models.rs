//! Where the plugin finds ONNX Runtime and models. The search itself is
//! core's (the same `RETAKE_MODELS`, user folder and `ORT_DYLIB_PATH` rules
//! as the CLI); the plugin only adds its own bundle: ONNX Runtime beside
//! the plugin binary and models in `Contents/Resources/models`.

use std::path::PathBuf;

use retake_model::{manifest, runtime, ModelContext, Provider, Role};

/// The file this plugin was loaded from, asked of the dynamic loader so
/// that it is right wherever the host found the bundle.
pub fn plugin_binary() -> Option<PathBuf> {
    // SAFETY: Dl_info is plain pointers and integers; all zeros is valid.
    let mut info: libc::Dl_info = unsafe { std::mem::zeroed() };
    let here = plugin_binary as *const libc::c_void;
    // SAFETY: dladdr only reads the address and fills `info`.
    let found = unsafe { libc::dladdr(here, &mut info) };
    if found == 0 || info.dli_fname.is_null() {
        return None;
    }
    // SAFETY: dli_fname is a NUL-terminated path owned by the loader.
    let name = unsafe { std::ffi::CStr::from_ptr(info.dli_fname) };
    let path = PathBuf::from(name.to_string_lossy().into_owned());
    Some(path.canonicalize().unwrap_or(path))
}

/// `Contents/Resources/models` of the bundle the plugin was loaded from.
fn bundle_models() -> Option<PathBuf> {
    let binary = plugin_binary()?;
    Some(binary.parent()?.parent()?.join("Resources/models"))
}

/// Model folders in search order: `RETAKE_MODELS`, the user's folder, then
/// the bundle's own.
pub fn model_dirs() -> Vec<PathBuf> {
    manifest::model_dirs(&bundle_models().into_iter().collect::<Vec<_>>())
}

/// How the plugin opens models. Providers follow `RETAKE_PROVIDERS`
/// (`tensorrt,cuda,cpu` by default, as the CLI's `--providers`).
pub fn model_context() -> retake_core::Result<ModelContext> {
    let near = plugin_binary()
        .map(|b| runtime::candidates_near(&b))
        .unwrap_or_default();
    let providers = std::env::var("RETAKE_PROVIDERS")
        .ok()
        .filter(|p| !p.trim().is_empty())
        .unwrap_or_else(|| "tensorrt,cuda,cpu".into());
    Ok(ModelContext {
        dirs: model_dirs(),
        library: runtime::library_candidates(&near),
        providers: Provider::parse_list(&providers)?,
        threads: std::thread::available_parallelism().map_or(2, |n| n.get()),
        // Pixels come in the host's working space; no OpenColorIO here.
        colour: None,
    })
}

/// Names of the models of `role` whose file is present (installed) or
/// only catalogued (a manifest without its file), sorted.
fn models_of(role: Role, present: bool) -> Vec<String> {
    let (found, _) = manifest::discover(&model_dirs());
    let mut names: Vec<String> = found
        .into_iter()
        .filter(|m| m.role == role && m.model_path().is_file() == present)
        .map(|m| m.name)
        .collect();
    names.sort();
    names.dedup();
    names
}

/// Names of the installed models for `role`, for a choice parameter: a
/// menu offers only what can run.
pub fn installed(role: Role) -> Vec<String> {
    models_of(role, true)
}

/// A menu's hint, plus the catalogue models of `role` that are not
/// installed and how to install them.
pub fn menu_hint(role: Role, hint: &str) -> String {
    let missing = models_of(role, false);
    if missing.is_empty() {
        return hint.to_string();
    }
    format!(
        "{hint}. Not installed: {}; install with `retake models fetch NAME` and put the model and its manifest in $RETAKE_MODELS, ~/.local/share/retake/models or this bundle's Contents/Resources/models, then reload the plugin",
        missing.join(", ")
    )
}
