//! Where this binary finds ONNX Runtime and models, and how it logs.

use std::io::Write;
use std::path::PathBuf;

use retake_core::mask::{MaskParams, SubjectMask};
use retake_core::model::{self, manifest, runtime, Model, ModelContext, Provider, Role};
use retake_core::provenance::{ModelRecord, Provenance};
use retake_core::Result;

use crate::args::{GlobalArgs, IoArgs};

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
        colour: None,
    })
}

/// The model context of an operation on `io`: models get their pictures
/// through its colour config when one is in use.
pub fn model_context_for(global: &GlobalArgs, io: &IoArgs) -> Result<ModelContext> {
    Ok(ModelContext {
        colour: crate::commands::colour::model_colour(io)?,
        ..model_context(global)?
    })
}

/// Opens the models one command uses: the model context is built once, on
/// first need, and every model opened is recorded in the provenance.
pub struct Models<'a> {
    global: &'a GlobalArgs,
    io: Option<&'a IoArgs>,
    ctx: Option<ModelContext>,
}

impl<'a> Models<'a> {
    pub fn new(global: &'a GlobalArgs) -> Self {
        Models {
            global,
            io: None,
            ctx: None,
        }
    }

    /// Models for an operation on `io`, seeing pictures through its colour
    /// config when one is in use.
    pub fn for_io(global: &'a GlobalArgs, io: &'a IoArgs) -> Self {
        Models {
            io: Some(io),
            ..Models::new(global)
        }
    }

    /// Where models and ONNX Runtime are found (built on first need).
    pub fn context(&mut self) -> Result<ModelContext> {
        if self.ctx.is_none() {
            self.ctx = Some(match self.io {
                Some(io) => model_context_for(self.global, io)?,
                None => model_context(self.global)?,
            });
        }
        self.ctx
            .clone()
            .ok_or_else(|| retake_core::Error::Internal("model context".into()))
    }

    /// The model `name` (or manifest path), checked to fill `role`.
    pub fn open(&mut self, name: &str, role: Role, record: &mut Provenance) -> Result<Model> {
        let m = model::open(name, role, &self.context()?)?;
        record
            .models
            .push(ModelRecord::new(&m.manifest, m.provider.name()));
        Ok(m)
    }

    /// The subject model `--mask auto` uses, frame by frame (no temporal
    /// blending: the operation has its own).
    pub fn auto_subject(&mut self, record: &mut Provenance) -> Result<SubjectMask> {
        let params = MaskParams {
            temporal_radius: 0,
            ..MaskParams::default()
        };
        let model = self.open(&params.model, Role::Mask, record)?;
        SubjectMask::new(params, model)
    }
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
