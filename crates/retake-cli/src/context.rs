//! Where this binary finds ONNX Runtime and models, and how it logs.

use std::io::Write;
use std::path::PathBuf;

use retake_core::model::{manifest, runtime, ModelContext, Provider};
use retake_core::Result;

use crate::args::GlobalArgs;

/// The source checkout this binary was built from: the setup script puts
/// ONNX Runtime and the bundled model there.
fn checkout() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
}

/// Candidate ONNX Runtime libraries: `ORT_DYLIB_PATH`, beside the binary,
/// then the checkout's `.deps/onnxruntime`.
pub fn library_candidates() -> Vec<PathBuf> {
    let mut extra = Vec::new();
    if let Ok(exe) = std::env::current_exe() {
        extra.extend(runtime::candidates_near(&exe));
    }
    extra.push(
        checkout()
            .join(".deps/onnxruntime")
            .join(runtime::ORT_LIBRARY_NAME),
    );
    runtime::library_candidates(&extra)
}

/// Model folders: `RETAKE_MODELS`, the user's folder, `../share/retake/models`
/// beside the binary, and the checkout's `models/`.
pub fn model_dirs() -> Vec<PathBuf> {
    let mut extra = Vec::new();
    if let Some(dir) = std::env::current_exe()
        .ok()
        .and_then(|e| e.parent().map(|p| p.join("../share/retake/models")))
    {
        if dir.is_dir() {
            extra.push(dir);
        }
    }
    extra.push(checkout().join("models"));
    manifest::model_dirs(&extra)
}

pub fn model_context(global: &GlobalArgs) -> Result<ModelContext> {
    Ok(ModelContext {
        dirs: model_dirs(),
        library: library_candidates(),
        providers: Provider::parse_list(&global.providers)?,
        threads: threads(global),
    })
}

/// Worker threads to use.
pub fn threads(global: &GlobalArgs) -> usize {
    if global.threads == 0 {
        std::thread::available_parallelism().map_or(2, |n| n.get())
    } else {
        global.threads
    }
}

struct StderrLogger {
    level: log::LevelFilter,
}

impl log::Log for StderrLogger {
    fn enabled(&self, m: &log::Metadata) -> bool {
        m.level() <= self.level && m.target().starts_with("retake")
    }

    fn log(&self, r: &log::Record) {
        if self.enabled(r.metadata()) {
            let tag = match r.level() {
                log::Level::Error => "error",
                log::Level::Warn => "warning",
                log::Level::Info => "info",
                _ => "debug",
            };
            let _ = writeln!(std::io::stderr(), "retake: {tag}: {}", r.args());
        }
    }

    fn flush(&self) {}
}

/// Warnings by default; `-q` for errors only; `-v`, `-vv` for more.
pub fn init_logging(global: &GlobalArgs) {
    let level = if global.quiet {
        log::LevelFilter::Error
    } else {
        match global.verbose {
            0 => log::LevelFilter::Warn,
            1 => log::LevelFilter::Info,
            _ => log::LevelFilter::Debug,
        }
    };
    if log::set_boxed_logger(Box::new(StderrLogger { level })).is_ok() {
        log::set_max_level(level);
    }
}
