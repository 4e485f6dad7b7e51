//! OpenColorIO's failures as typed errors that carry the config and the
//! names involved, so a message says which file and which space.

use std::fmt;
use std::path::PathBuf;

/// What kind of name was looked up in a config.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NameKind {
    ColourSpace,
    Display,
    View,
}

impl fmt::Display for NameKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            NameKind::ColourSpace => "colour space",
            NameKind::Display => "display",
            NameKind::View => "view",
        })
    }
}

#[derive(Debug, thiserror::Error)]
pub enum OcioError {
    /// The config file is missing or OpenColorIO rejects it.
    #[error("{}: OpenColorIO cannot use this config: {problem}", path.display())]
    Config { path: PathBuf, problem: String },
    /// A colour space, display or view the config does not have.
    #[error("{}: no {kind} named `{name}` in this config{}", path.display(), hint(suggestions))]
    UnknownName {
        path: PathBuf,
        kind: NameKind,
        name: String,
        /// The config's closest names, best first.
        suggestions: Vec<String>,
    },
    /// OpenColorIO could not build or apply a conversion.
    #[error("{}: cannot convert from `{from}` to `{to}`: {problem}", path.display())]
    Transform {
        path: PathBuf,
        from: String,
        to: String,
        problem: String,
    },
}

fn hint(suggestions: &[String]) -> String {
    if suggestions.is_empty() {
        String::new()
    } else {
        let quoted: Vec<String> = suggestions.iter().map(|s| format!("`{s}`")).collect();
        format!("; closest: {}", quoted.join(", "))
    }
}

impl OcioError {
    /// The core error for a face to report: an unknown name is a bad
    /// parameter (`flag`, exit 2); a config or conversion that fails is a
    /// bad input file (the config, exit 3).
    pub fn into_core(self, flag: &str) -> retake_core::Error {
        match self {
            OcioError::UnknownName { .. } => retake_core::Error::parameter(
                flag,
                format!("{self} (`retake colorspaces` lists every name)"),
            ),
            OcioError::Config { path, problem } => retake_core::Error::input(
                path,
                format!(
                    "OpenColorIO cannot use this config: {problem}; \
                     point --ocio (or $OCIO) at a valid config"
                ),
            ),
            OcioError::Transform {
                path,
                from,
                to,
                problem,
            } => retake_core::Error::input(
                path,
                format!("cannot convert from `{from}` to `{to}`: {problem}"),
            ),
        }
    }
}
