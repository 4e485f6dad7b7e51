//! Where this binary finds ONNX Runtime and models, and how it logs.

use std::io::Write;
use std::path::{Path, PathBuf};

use retake_core::Result;
use retake_model::{manifest, runtime, ModelContext, Provider};

use crate::args::{GlobalArgs, IoArgs};

/// The folder holding this executable, with symbolic links resolved (a
/// packaged `bin/retake` may be linked from `/usr/local/bin`).
fn exe_dir() -> Option<PathBuf> {
    let exe = std::env::current_exe().ok()?;
    let exe = std::fs::canonicalize(&exe).unwrap_or(exe);
    exe.parent().map(Path::to_path_buf)
}

/// A development build runs from `CHECKOUT/target/{debug,release}/`: the
/// checkout is found from where the executable is, never from where it was
/// built, so a copied or packaged binary does not look into a build
/// machine's folders.
fn checkout_above(exe_dir: &Path) -> Option<PathBuf> {
    exe_dir
        .ancestors()
        .take(4)
        .find(|d| d.join("Cargo.toml").is_file() && d.join("models").is_dir())
        .map(Path::to_path_buf)
}

/// Candidate ONNX Runtime libraries: `ORT_DYLIB_PATH`, beside the binary,
/// in `../lib` (the tarball) or `../lib/retake` (the .deb), then a
/// development checkout's `.deps/onnxruntime`.
pub fn library_candidates() -> Vec<PathBuf> {
    let mut extra = Vec::new();
    if let Some(dir) = exe_dir() {
        extra.extend(runtime::candidates_near(&dir.join("retake")));
        extra.push(dir.join("../lib/retake").join(runtime::ORT_LIBRARY_NAME));
        if let Some(checkout) = checkout_above(&dir) {
            extra.push(
                checkout
                    .join(".deps/onnxruntime")
                    .join(runtime::ORT_LIBRARY_NAME),
            );
        }
    }
    // `bin/../lib/x` reads better as `lib/x` in `doctor` and logs.
    let extra: Vec<PathBuf> = extra
        .into_iter()
        .map(|p| std::fs::canonicalize(&p).unwrap_or(p))
        .collect();
    runtime::library_candidates(&extra)
}

/// Model folders: `RETAKE_MODELS`, the user's folder, `../share/retake/models`
/// beside the binary (a package), and a development checkout's `models/`.
pub fn model_dirs() -> Vec<PathBuf> {
    let mut extra = Vec::new();
    if let Some(dir) = exe_dir() {
        let packaged = dir.join("../share/retake/models");
        if packaged.is_dir() {
            extra.push(std::fs::canonicalize(&packaged).unwrap_or(packaged));
        }
        if let Some(checkout) = checkout_above(&dir) {
            extra.push(checkout.join("models"));
        }
    }
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

/// Where one command's models are found: the model context is built once,
/// on first need (core's `build` opens the models and says which).
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
