//! One error type for the core, so both faces (CLI, plugin) can map it to exit
//! codes or host messages without string matching. The core itself knows no
//! exit codes: the CLI owns them (`retake-cli/src/exit.rs`).

use std::path::{Path, PathBuf};

/// What went wrong, always with enough context (file, frame, parameter) for a
/// user to act on it.
/// Clone: a cached result (a fill shared by several frames) hands each
/// caller the same error.
#[derive(Clone, Debug, thiserror::Error)]
pub enum Error {
    /// Input media or a mask could not be read or is not what it claims to be.
    #[error("{path}: {problem}")]
    Input { path: PathBuf, problem: String },
    /// Output could not be written; nothing is left under the final name.
    #[error("{path}: {problem}")]
    Output { path: PathBuf, problem: String },
    /// A parameter (flag, job-file key, plugin parameter) has a bad value.
    #[error("invalid parameter `{name}`: {problem}")]
    Parameter { name: String, problem: String },
    /// A model, its manifest or the ONNX Runtime library is missing or does not match.
    #[error("{context}: {problem}")]
    Model { context: String, problem: String },
    /// A frame range that does not fit the clip.
    #[error("{path}: frame range {range} is outside the clip (frames {first}..={last})")]
    Range {
        path: PathBuf,
        range: String,
        first: i64,
        last: i64,
    },
    /// The run was cancelled (Ctrl-C, host abort).
    #[error("cancelled")]
    Cancelled,
    /// A bug or an invariant that should not break; reported, never a panic.
    #[error("internal error: {0}")]
    Internal(String),
}

/// Core result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn input(path: impl AsRef<Path>, problem: impl std::fmt::Display) -> Self {
        Error::Input {
            path: path.as_ref().to_path_buf(),
            problem: problem.to_string(),
        }
    }

    pub fn output(path: impl AsRef<Path>, problem: impl std::fmt::Display) -> Self {
        Error::Output {
            path: path.as_ref().to_path_buf(),
            problem: problem.to_string(),
        }
    }

    pub fn parameter(name: impl Into<String>, problem: impl std::fmt::Display) -> Self {
        Error::Parameter {
            name: name.into(),
            problem: problem.to_string(),
        }
    }

    pub fn model(context: impl std::fmt::Display, problem: impl std::fmt::Display) -> Self {
        Error::Model {
            context: context.to_string(),
            problem: problem.to_string(),
        }
    }
}
