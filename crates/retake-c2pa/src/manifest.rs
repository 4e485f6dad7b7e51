//! The manifest of an output, built from the same `Provenance` record as
//! `OUTPUT.retake.json`, so the two always say the same thing.

use std::fs::File;
use std::io::{Read, Seek};
use std::path::{Path, PathBuf};

use c2pa::assertions::DataHash;
use c2pa::{Builder, Context, Signer};
use retake_model::provenance::{ModelRecord, Provenance};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::carrier::Carrier;
use crate::error::{Error, Result};

/// The label of Retake's own assertion: the whole provenance record (as
/// the JSON sidecar has it) plus the signed file's own content hash.
pub const RETAKE_ASSERTION: &str = "com.retake.provenance";

const IPTC: &str = "http://cv.iptc.org/newscodes/digitalsourcetype/";

/// The files of one input: one for a movie or image, a sequence's frames
/// in frame order.
#[derive(Clone, Debug)]
pub struct InputFiles {
    /// `shot`, `matte`, `depth`, `media`, ... as provenance records it.
    pub role: String,
    /// The path or pattern as given.
    pub path: String,
    pub files: Vec<PathBuf>,
}

/// One file a run wrote, with its frame number when it is a sequence's.
#[derive(Clone, Debug)]
pub struct OutputFile {
    pub path: PathBuf,
    pub frame: Option<i64>,
}

/// An input as an ingredient: its content hash, and the file to read a
/// C2PA manifest from when it is one file the SDK reads (a Retake output,
/// say), so the chain of edits is kept.
#[derive(Clone, Debug)]
struct InputIngredient {
    role: String,
    path: String,
    sha256: String,
    files: usize,
    single: Option<(PathBuf, &'static str)>,
}

/// Everything the manifests of one run share, worked out once (input
/// hashes, ingredients); each output file then gets its own manifest.
#[derive(Clone, Debug)]
pub struct ManifestPlan {
    record: Value,
    operation: String,
    version: String,
    inputs: Vec<InputIngredient>,
    models: Vec<ModelRecord>,
}

/// sha256 of a file, hex.
pub fn sha256_file(path: &Path) -> Result<String> {
    let mut f = File::open(path).map_err(|e| Error::read(path, e))?;
    sha256_stream(&mut f).map_err(|e| Error::read(path, e))
}

fn sha256_stream(r: &mut impl Read) -> std::io::Result<String> {
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = r.read(&mut buf)?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(hex(&h.finalize()))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// One hash for a sequence: sha256 over the frames' own sha256 (hex), in
/// frame order, so it changes when any frame changes or moves.
fn sha256_of_files(files: &[PathBuf]) -> Result<String> {
    match files {
        [] => return Ok("none (not a file on disk)".into()),
        [one] => return sha256_file(one),
        _ => {}
    }
    let mut h = Sha256::new();
    for f in files {
        h.update(sha256_file(f)?.as_bytes());
    }
    Ok(hex(&h.finalize()))
}

impl ManifestPlan {
    /// Hash every input file (once per run) and keep what the manifests say.
    pub fn new(record: &Provenance, inputs: &[InputFiles]) -> Result<ManifestPlan> {
        let inputs = inputs
            .iter()
            .map(|i| {
                let single = match i.files.as_slice() {
                    [one] => match Carrier::of(one) {
                        Some(Carrier::Embedded { mime }) => Some((one.clone(), mime)),
                        _ => None,
                    },
                    _ => None,
                };
                Ok(InputIngredient {
                    role: i.role.clone(),
                    path: i.path.clone(),
                    sha256: sha256_of_files(&i.files)?,
                    files: i.files.len(),
                    single,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(ManifestPlan {
            record: serde_json::to_value(record)
                .map_err(|e| Error::sign(&record.output, format!("provenance record: {e}")))?,
            operation: record.operation.clone(),
            version: record.version.clone(),
            inputs,
            models: record.models.clone(),
        })
    }

    /// Whether a learned model made or shaped the output's pixels (a mask
    /// model only chooses where, unless the output is the matte itself).
    fn learned_pixels(&self) -> bool {
        self.models
            .iter()
            .any(|m| m.role != "mask" || self.operation == "mask")
    }

    /// The IPTC digital source type of the result.
    fn digital_source_type(&self) -> String {
        let kind = if self.learned_pixels() {
            "compositeWithTrainedAlgorithmicMedia"
        } else {
            "compositeSynthetic"
        };
        format!("{IPTC}{kind}")
    }

    fn input_label(role: &str) -> String {
        format!("retake.input.{role}")
    }

    fn model_label(m: &ModelRecord) -> String {
        format!("retake.model.{}", m.name)
    }

    fn input_ingredient(&self, i: &InputIngredient) -> Value {
        let title = Path::new(&i.path)
            .file_name()
            .map_or_else(|| i.path.clone(), |n| n.to_string_lossy().into_owned());
        let what = if i.files == 1 {
            "sha256 of the file".to_string()
        } else {
            format!(
                "sha256 over the sha256 of its {} frames, in frame order",
                i.files
            )
        };
        json!({
            "title": title,
            "format": i.single.as_ref().map_or_else(|| mime_of(&i.path), |(_, m)| m.to_string()),
            "relationship": if i.role == "shot" { "parentOf" } else { "inputTo" },
            "label": Self::input_label(&i.role),
            "description": format!("{} input {}; {what}: {}", i.role, i.path, i.sha256),
        })
    }

    fn model_ingredient(m: &ModelRecord) -> Value {
        let fixture = if m.fixture {
            " (a test fixture, not a real model)"
        } else {
            ""
        };
        json!({
            "title": m.name,
            "format": "application/octet-stream",
            "relationship": "inputTo",
            "label": Self::model_label(m),
            "description": format!(
                "ONNX model{fixture} in the role {}; sha256 {}; licence: {}; source: {}; \
                 trained on: {}; ran on: {}",
                m.role, m.sha256, m.licence, m.source, m.training_data, m.provider
            ),
        })
    }

    /// The manifest definition for one output file.
    fn definition(&self, out: &OutputFile, mime: &str, sha256: &str) -> Value {
        let title = out
            .path
            .file_name()
            .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
        let mut ingredients: Vec<Value> = self
            .inputs
            .iter()
            .filter(|i| i.single.is_none())
            .map(|i| self.input_ingredient(i))
            .collect();
        ingredients.extend(self.models.iter().map(Self::model_ingredient));
        let has_shot = self.inputs.iter().any(|i| i.role == "shot");
        let used: Vec<String> = self
            .inputs
            .iter()
            .filter(|i| i.role != "shot")
            .map(|i| Self::input_label(&i.role))
            .chain(self.models.iter().map(Self::model_label))
            .collect();
        let agent = json!({"name": "Retake", "version": self.version});
        let mut actions = Vec::new();
        if has_shot {
            actions.push(json!({
                "action": "c2pa.opened",
                "parameters": {"ingredientIds": [Self::input_label("shot")]},
            }));
        }
        let mut edit = if self.operation == "convert" {
            json!({"action": "c2pa.transcoded"})
        } else {
            json!({
                "action": "c2pa.edited",
                "digitalSourceType": self.digital_source_type(),
            })
        };
        edit["softwareAgent"] = agent;
        edit["description"] = json!(format!("retake {}", self.operation));
        let mut parameters = json!({"com.retake.operation": self.operation});
        if !used.is_empty() {
            parameters["ingredientIds"] = json!(used);
        }
        edit["parameters"] = parameters;
        actions.push(edit);
        let mut retake = self.record.clone();
        retake["signed_file"] = json!({
            "file": title,
            "frame": out.frame,
            "sha256": sha256,
        });
        retake["input_sha256"] = self
            .inputs
            .iter()
            .map(|i| (i.role.clone(), json!(i.sha256)))
            .collect::<serde_json::Map<_, _>>()
            .into();
        json!({
            "claim_generator_info": [{"name": "Retake", "version": self.version}],
            "title": title,
            "format": mime,
            "ingredients": ingredients,
            "assertions": [
                {"label": "c2pa.actions", "data": {"actions": actions}},
                {"label": RETAKE_ASSERTION, "data": retake},
            ],
        })
    }

    /// A builder for one output file, its single-file inputs read as
    /// ingredients (their own manifests included: the chain).
    pub(crate) fn builder(&self, out: &OutputFile, mime: &str, sha256: &str) -> Result<Builder> {
        let fail = |e: c2pa::Error| Error::sign(&out.path, format!("C2PA manifest: {e}"));
        let mut builder = Builder::from_context(Context::new())
            .with_definition(self.definition(out, mime, sha256))
            .map_err(fail)?;
        for i in &self.inputs {
            let Some((path, mime)) = &i.single else {
                continue;
            };
            let mut f = File::open(path).map_err(|e| Error::read(path, e))?;
            builder
                .add_ingredient_from_stream(self.input_ingredient(i).to_string(), mime, &mut f)
                .map_err(|e| {
                    Error::read(path, format!("cannot read it as a C2PA ingredient: {e}"))
                })?;
        }
        Ok(builder)
    }
}

/// The MIME type C2PA uses for a path's format (by its extension).
fn mime_of(path: &str) -> String {
    if let Some(c) = Carrier::of(Path::new(path)) {
        return c.mime().to_string();
    }
    "application/octet-stream".to_string()
}

/// Sign `definition` as a standalone manifest store bound to `bytes` by a
/// whole-stream data hash: what sidecars hold.
pub(crate) fn sign_detached(
    definition: Value,
    bytes: &[u8],
    signer: &dyn Signer,
) -> c2pa::Result<Vec<u8>> {
    let mut builder = Builder::from_context(Context::new()).with_definition(definition)?;
    sign_bound_to(&mut builder, &mut std::io::Cursor::new(bytes), signer)
}

/// Sign `builder` as a standalone manifest store whose hard binding is a
/// data hash over every byte of `stream` (no exclusions: the manifest is
/// not inside it).
pub(crate) fn sign_bound_to(
    builder: &mut Builder,
    stream: &mut (impl Read + Seek),
    signer: &dyn Signer,
) -> c2pa::Result<Vec<u8>> {
    // The SDK finds the hash to finish by this name.
    let mut hash = DataHash::new("jumbf manifest", "sha256");
    hash.gen_hash_from_stream(stream)?;
    builder.add_assertion(DataHash::LABEL, &hash)?;
    builder.sign_data_hashed_embeddable(signer, &hash, "application/c2pa")
}
