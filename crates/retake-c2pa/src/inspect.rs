//! Reading an output's manifest back with the C2PA SDK: `provenance show`
//! (the manifest in words) and `provenance verify` (signature valid,
//! content hash matches, ingredients present).

use std::fmt::Write as _;
use std::fs::File;
use std::io::{Read, Seek};
use std::path::{Path, PathBuf};

use c2pa::{Context, Reader};
use serde_json::Value;

use crate::carrier::Carrier;
use crate::error::{Error, Result};
use crate::manifest::RETAKE_ASSERTION;

/// The status C2PA readers give a signer whose certificate chains to no
/// trust anchor they were given: a test identity, or a studio's own CA
/// that the reader was not told about. Not a tampering sign.
pub const UNTRUSTED: &str = "signingCredential.untrusted";

/// What reading a file's Content Credentials found.
#[derive(Debug)]
pub enum Outcome {
    /// No manifest: an unsigned output, or its sidecar is missing.
    Absent {
        file: PathBuf,
        why: String,
    },
    Present(Box<Verdict>),
}

/// A manifest read back and validated.
#[derive(Debug)]
pub struct Verdict {
    pub file: PathBuf,
    /// `None` for a detached manifest checked against bytes.
    pub carrier: Option<Carrier>,
    /// Validation failures other than an untrusted signer, each as
    /// `code: explanation`.
    pub failures: Vec<String>,
    /// The signer's certificate chains to no trust anchor of this reader.
    pub untrusted: bool,
    /// The SDK's report (`Reader::json`).
    pub report: Value,
}

impl Verdict {
    fn from_reader(file: PathBuf, carrier: Option<Carrier>, reader: &Reader) -> Verdict {
        let mut failures = Vec::new();
        let mut untrusted = false;
        for s in reader.validation_status().unwrap_or_default() {
            if s.code() == UNTRUSTED {
                untrusted = true;
            } else if !s.passed() {
                failures.push(format!(
                    "{}: {}",
                    s.code(),
                    s.explanation().unwrap_or("no explanation")
                ));
            }
        }
        let report = serde_json::from_str(&reader.json()).unwrap_or(Value::Null);
        Verdict {
            file,
            carrier,
            failures,
            untrusted,
            report,
        }
    }

    /// The active manifest in the SDK's report.
    pub fn active(&self) -> &Value {
        let label = self.report["active_manifest"].as_str().unwrap_or("");
        &self.report["manifests"][label]
    }

    /// Retake's own assertion (the provenance record), when present.
    pub fn retake(&self) -> Option<&Value> {
        self.active()["assertions"]
            .as_array()?
            .iter()
            .find(|a| a["label"] == RETAKE_ASSERTION)
            .map(|a| &a["data"])
    }

    /// What `verify` checks besides the SDK's validation: the manifest is
    /// Retake's, and every input and model its record names is an
    /// ingredient. Each problem in words.
    pub fn problems(&self) -> Vec<String> {
        let mut problems: Vec<String> = self
            .failures
            .iter()
            .map(|f| format!("{}: {}", self.file.display(), explain(f)))
            .collect();
        let Some(retake) = self.retake() else {
            problems.push(format!(
                "{}: the manifest has no Retake record ({RETAKE_ASSERTION}): not a Retake output",
                self.file.display()
            ));
            return problems;
        };
        // Ingredients are known by title (a reader relabels them): an
        // input's file name, a model's name.
        let titles: Vec<&str> = self.active()["ingredients"]
            .as_array()
            .map(|a| a.iter().filter_map(|i| i["title"].as_str()).collect())
            .unwrap_or_default();
        let file_name = |p: &str| {
            Path::new(p)
                .file_name()
                .map_or_else(|| p.to_string(), |n| n.to_string_lossy().into_owned())
        };
        let inputs = retake["inputs"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|i| Some((i["role"].as_str()?, file_name(i["path"].as_str()?))));
        let models = retake["models"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|m| Some(("model", m["name"].as_str()?.to_string())));
        for (role, title) in inputs.chain(models) {
            if !titles.contains(&title.as_str()) {
                problems.push(format!(
                    "{}: the {role} ingredient {title} is missing from the manifest",
                    self.file.display()
                ));
            }
        }
        problems
    }

    /// The manifest in words.
    pub fn describe(&self) -> String {
        let m = self.active();
        let mut s = String::new();
        let carrier = self
            .carrier
            .as_ref()
            .map_or_else(|| "detached".to_string(), Carrier::describe);
        let _ = writeln!(
            s,
            "{}: Content Credentials ({carrier})",
            self.file.display()
        );
        let sig = &m["signature_info"];
        let _ = writeln!(
            s,
            "  signed by: {} (issuer {}), {}",
            text(&sig["common_name"]),
            text(&sig["issuer"]),
            sig["time"].as_str().unwrap_or("no trusted time stamp"),
        );
        for g in m["claim_generator_info"].as_array().into_iter().flatten() {
            let _ = writeln!(
                s,
                "  generator: {} {}",
                text(&g["name"]),
                text(&g["version"])
            );
        }
        let _ = writeln!(s, "  title: {}", text(&m["title"]));
        let _ = writeln!(s, "  actions:");
        for a in actions(m) {
            let mut line = format!("    {}", text(&a["action"]));
            if let Some(d) = a["description"].as_str() {
                let _ = write!(line, ": {d}");
            }
            if let Some(t) = a["digitalSourceType"].as_str() {
                let _ = write!(
                    line,
                    "; digital source type {}",
                    t.rsplit('/').next().unwrap_or(t)
                );
            }
            let _ = writeln!(s, "{line}");
        }
        let _ = writeln!(s, "  ingredients:");
        for i in m["ingredients"].as_array().into_iter().flatten() {
            let chained = if i["active_manifest"].is_string() {
                " [carries its own Content Credentials: the edit chain goes on]"
            } else {
                ""
            };
            let _ = writeln!(
                s,
                "    {} {}: {}{chained}",
                text(&i["relationship"]),
                text(&i["title"]),
                i["description"].as_str().unwrap_or(""),
            );
        }
        if let Some(r) = self.retake() {
            let _ = writeln!(
                s,
                "  retake: {} with {}",
                text(&r["operation"]),
                r["parameters"]
            );
            let f = &r["signed_file"];
            if let Some(frame) = f["frame"].as_i64() {
                let _ = writeln!(s, "  frame {frame}, sha256 {}", text(&f["sha256"]));
            } else {
                let _ = writeln!(s, "  file sha256 {}", text(&f["sha256"]));
            }
            if matches!(self.carrier, Some(Carrier::Embedded { .. })) {
                let _ = writeln!(
                    s,
                    "  (the sha256 of the file as rendered, before its manifest was embedded)"
                );
            }
        }
        let problems = self.problems();
        if problems.is_empty() {
            let trust = if self.untrusted {
                "; the signer is not on this reader's trust list (a test or studio-internal identity)"
            } else {
                ""
            };
            let _ = writeln!(s, "  validation: valid{trust}");
        } else {
            let _ = writeln!(s, "  validation: FAILED");
            for p in problems {
                let _ = writeln!(s, "    {p}");
            }
        }
        s
    }
}

fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => "?".into(),
        other => other.to_string(),
    }
}

fn actions(m: &Value) -> Vec<&Value> {
    m["assertions"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|a| {
            a["label"]
                .as_str()
                .is_some_and(|l| l.starts_with("c2pa.actions"))
        })
        .flat_map(|a| a["data"]["actions"].as_array().into_iter().flatten())
        .collect()
}

/// A validation code in words a user can act on.
fn explain(failure: &str) -> String {
    let code = failure.split(':').next().unwrap_or(failure);
    let what = if code.contains("Hash.mismatch") || code.contains("hash.mismatch") {
        "the content hash does not match: the picture data changed after signing \
         (or this manifest belongs to another file)"
    } else if code.starts_with("claimSignature") {
        "the signature does not match the manifest: the manifest was altered"
    } else if code.starts_with("signingCredential") {
        "the signing certificate is not acceptable"
    } else {
        "the manifest does not validate"
    };
    format!("{what} ({failure})")
}

/// Read `file`'s Content Credentials, embedded or from its sidecar.
pub fn read(file: &Path) -> Result<Outcome> {
    let mut stream = File::open(file).map_err(|e| Error::read(file, e))?;
    let carrier = Carrier::of(file).ok_or_else(|| {
        Error::read(
            file,
            "not a format Retake writes (MOV, MP4, MKV, PNG, TIFF, EXR)",
        )
    })?;
    let context = Context::new();
    let reader = match &carrier {
        Carrier::Embedded { mime } => Reader::from_context(context).with_stream(mime, &mut stream),
        Carrier::Sidecar { mime, path } => {
            let manifest = match std::fs::read(path) {
                Ok(m) => m,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    return Ok(Outcome::Absent {
                        file: file.to_path_buf(),
                        why: format!(
                            "its sidecar manifest {} is missing (an unsigned output, or the \
                             sidecar was not copied with it)",
                            path.display()
                        ),
                    })
                }
                Err(e) => return Err(Error::read(path, e)),
            };
            Reader::from_context(context).with_manifest_data_and_stream(
                &manifest,
                mime,
                &mut stream,
            )
        }
    };
    match reader {
        Ok(r) => Ok(Outcome::Present(Box::new(Verdict::from_reader(
            file.to_path_buf(),
            Some(carrier),
            &r,
        )))),
        Err(c2pa::Error::JumbfNotFound) | Err(c2pa::Error::ProvenanceMissing) => {
            Ok(Outcome::Absent {
                file: file.to_path_buf(),
                why: "it carries no Content Credentials (an unsigned output: sign with \
                  RETAKE_SIGN_CERT and RETAKE_SIGN_KEY set)"
                    .into(),
            })
        }
        Err(e) => Err(Error::read(
            file,
            format!("its Content Credentials cannot be read: {e}"),
        )),
    }
}

/// Validate a standalone manifest store against a stream.
pub(crate) fn verdict_of_detached(
    manifest: &[u8],
    mime: &str,
    stream: impl Read + Seek + Send,
) -> c2pa::Result<Verdict> {
    let reader = Reader::from_context(Context::new())
        .with_manifest_data_and_stream(manifest, mime, stream)?;
    Ok(Verdict::from_reader(PathBuf::new(), None, &reader))
}
