//! What made an output: tool, operation, parameters, models (with sha256,
//! licence and training data), inputs. Written beside every output so a
//! frame can always be traced back.

use serde::Serialize;

use crate::Manifest;

/// A model as provenance records it: enough to identify the exact weights
/// and their terms.
#[derive(Clone, Debug, Serialize)]
pub struct ModelRecord {
    pub name: String,
    pub role: String,
    pub sha256: String,
    pub licence: String,
    pub source: String,
    pub training_data: String,
    pub fixture: bool,
    pub provider: String,
}

impl ModelRecord {
    pub fn new(m: &Manifest, provider: &str) -> Self {
        ModelRecord {
            name: m.name.clone(),
            role: m.role.to_string(),
            sha256: m.sha256.clone(),
            licence: m.licence.clone(),
            source: m.source.clone(),
            training_data: m.training_data.clone(),
            fixture: m.fixture,
            provider: provider.to_string(),
        }
    }
}

/// An input file as provenance records it.
#[derive(Clone, Debug, Serialize)]
pub struct InputRecord {
    pub role: String,
    pub path: String,
    /// Size in bytes, when it is one file.
    pub bytes: Option<u64>,
}

impl InputRecord {
    pub fn new(role: &str, path: &str) -> Self {
        InputRecord {
            role: role.to_string(),
            path: path.to_string(),
            bytes: std::fs::metadata(path).ok().map(|m| m.len()),
        }
    }
}

/// The colour management of a run, when an OpenColorIO config was used:
/// which config (path and sha256 of the file) and which spaces.
#[derive(Clone, Debug, Serialize)]
pub struct ColourRecord {
    pub config: String,
    pub config_sha256: String,
    /// Version of the OpenColorIO library that converted.
    pub opencolorio: String,
    /// The config's `scene_linear` role, where the operation worked.
    pub working_space: String,
    pub input_space: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub output_space: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub view: Option<String>,
    /// The space sRGB-encoded model inputs were converted to.
    pub model_space: Option<String>,
}

/// The record written beside an output (`OUTPUT.retake.json`).
#[derive(Clone, Debug, Serialize)]
pub struct Provenance {
    pub tool: String,
    pub version: String,
    pub operation: String,
    /// The operation's parameter struct, as a job file would hold it.
    pub parameters: toml::Value,
    pub models: Vec<ModelRecord>,
    pub inputs: Vec<InputRecord>,
    pub output: String,
    pub frames: Option<String>,
    pub frames_written: u64,
    /// Absent when no colour config was used (the built-in curves).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub colour: Option<ColourRecord>,
}

impl Provenance {
    pub fn new<P: Serialize>(operation: &str, parameters: &P) -> Self {
        Provenance {
            tool: "retake".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            operation: operation.into(),
            parameters: toml::Value::try_from(parameters)
                .map(shortest_floats)
                .unwrap_or_else(|e| toml::Value::String(format!("unrecordable: {e}"))),
            models: Vec::new(),
            inputs: Vec::new(),
            output: String::new(),
            frames: None,
            frames_written: 0,
            colour: None,
        }
    }
}

/// Parameters are `f32`; widened to `f64` they print as 0.4000000059604645.
/// Record each as the shortest decimal that reads back as the same `f32`.
fn shortest_floats(v: toml::Value) -> toml::Value {
    match v {
        toml::Value::Float(x) => toml::Value::Float((x as f32).to_string().parse().unwrap_or(x)),
        toml::Value::Array(a) => toml::Value::Array(a.into_iter().map(shortest_floats).collect()),
        toml::Value::Table(t) => toml::Value::Table(
            t.into_iter()
                .map(|(k, v)| (k, shortest_floats(v)))
                .collect(),
        ),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Stands for an operation's parameter struct (the operations live in
    /// crates above this one).
    #[derive(Serialize)]
    struct Params {
        threshold: f32,
        model: String,
    }

    #[test]
    fn parameters_are_recorded_as_written() {
        let p = Params {
            threshold: 0.4,
            model: "u2netp".into(),
        };
        let record = Provenance::new("mask", &p);
        assert_eq!(record.parameters["threshold"].as_float(), Some(0.4));
        assert_eq!(record.parameters["model"].as_str(), Some("u2netp"));
    }
}
