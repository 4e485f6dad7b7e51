//! This crate's errors; each names the file it is about and says what to do.

use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The signing certificate or key is missing, unreadable, or refused
    /// by the C2PA SDK (wrong shape, key and certificate do not match).
    #[error("{path}: {problem}")]
    Identity { path: PathBuf, problem: String },
    /// An output could not be signed; the unsigned output is kept as it was.
    #[error("{path}: {problem}")]
    Sign { path: PathBuf, problem: String },
    /// A file to read (an output to show or verify, an input to hash) could
    /// not be read.
    #[error("{path}: {problem}")]
    Read { path: PathBuf, problem: String },
    /// A file this crate writes (a test identity) could not be written.
    #[error("{path}: {problem}")]
    Write { path: PathBuf, problem: String },
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn identity(path: impl AsRef<Path>, problem: impl std::fmt::Display) -> Self {
        Error::Identity {
            path: path.as_ref().to_path_buf(),
            problem: problem.to_string(),
        }
    }

    pub fn sign(path: impl AsRef<Path>, problem: impl std::fmt::Display) -> Self {
        Error::Sign {
            path: path.as_ref().to_path_buf(),
            problem: problem.to_string(),
        }
    }

    pub fn read(path: impl AsRef<Path>, problem: impl std::fmt::Display) -> Self {
        Error::Read {
            path: path.as_ref().to_path_buf(),
            problem: problem.to_string(),
        }
    }

    pub fn write(path: impl AsRef<Path>, problem: impl std::fmt::Display) -> Self {
        Error::Write {
            path: path.as_ref().to_path_buf(),
            problem: problem.to_string(),
        }
    }
}

/// The CLI's error classes and exit codes: a bad identity is a bad
/// parameter (2), an unreadable file bad input (3), a file that could not
/// be signed or written an output error (4).
impl From<Error> for retake_core::Error {
    fn from(e: Error) -> Self {
        match e {
            Error::Identity { path, problem } => {
                retake_core::Error::parameter("sign-cert", format!("{}: {problem}", path.display()))
            }
            Error::Read { path, problem } => retake_core::Error::input(path, problem),
            Error::Sign { path, problem } | Error::Write { path, problem } => {
                retake_core::Error::output(path, problem)
            }
        }
    }
}
