//! Model manifests: the TOML "nutrition label" beside every ONNX file. A
//! studio adds a model by writing one of these; no code change.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use retake_core::error::{Error, Result};

pub use retake_core::role::Role;

/// Element type of a tensor.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DType {
    F32,
    U8,
    I64,
}

impl std::fmt::Display for DType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            DType::F32 => "f32",
            DType::U8 => "u8",
            DType::I64 => "i64",
        })
    }
}

/// How pixels are laid out in an image tensor.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Layout {
    #[default]
    Nchw,
    Nhwc,
}

/// Which encoding the model expects its pixel values in.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PixelEncoding {
    /// sRGB-encoded values, as almost every image model was trained on.
    #[default]
    Srgb,
    /// Scene-linear values.
    Linear,
}

/// Which mask value marks the hole for an inpainting model. Models disagree
/// (MI-GAN: 255 = keep, 0 = hole; LaMa: 1 = hole), and a mask read the wrong
/// way round fills the picture instead of the hole, so the manifest says.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MaskConvention {
    /// The top of `range` marks known pixels to keep, the bottom the hole.
    Keep,
    /// The top of `range` marks the hole, the bottom known pixels.
    Hole,
}

/// One input or output of the ONNX graph, as the manifest promises it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TensorSpec {
    pub name: String,
    pub dtype: DType,
    /// Dimensions; -1 marks a dynamic one.
    pub shape: Vec<i64>,
    #[serde(default)]
    pub layout: Layout,
    #[serde(default)]
    pub encoding: PixelEncoding,
    /// Value range of the tensor before normalisation (e.g. [0, 1] or [0, 255]).
    #[serde(default = "unit_range")]
    pub range: [f32; 2],
    /// Per-channel mean subtracted after scaling to `range` (ImageNet style).
    #[serde(default)]
    pub mean: Vec<f32>,
    /// Per-channel standard deviation divided by after subtracting `mean`.
    #[serde(default)]
    pub std: Vec<f32>,
    /// For the mask input of an `inpaint` model: `mask = "keep"` or
    /// `mask = "hole"`, the meaning of the top of `range`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mask: Option<MaskConvention>,
    /// Free text: what the tensor means.
    #[serde(default)]
    pub description: String,
}

fn unit_range() -> [f32; 2] {
    [0.0, 1.0]
}

/// Size rules for the picture a model is fed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SizeRules {
    /// The model only takes this size (width, height).
    pub fixed: Option<[usize; 2]>,
    /// Otherwise, both sides must be a multiple of this.
    #[serde(default = "one")]
    pub multiple_of: usize,
    /// Otherwise, the longer side is scaled down to this (0 = no limit).
    #[serde(default)]
    pub max_side: usize,
    /// Overlap in pixels between tiles when the picture is tiled.
    #[serde(default)]
    pub tile_overlap: usize,
}

fn one() -> usize {
    1
}

impl Default for SizeRules {
    fn default() -> Self {
        SizeRules {
            fixed: None,
            multiple_of: 1,
            max_side: 0,
            tile_overlap: 0,
        }
    }
}

/// Where `retake models fetch` downloads the model from.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FetchSpec {
    /// Official download address.
    pub url: String,
    /// Size in bytes, when known; a download of another size is rejected.
    pub size: Option<u64>,
}

/// A model manifest (`models/NAME.toml`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    pub name: String,
    pub role: Role,
    /// ONNX file name, relative to the manifest's folder.
    pub file: String,
    /// Lower-case hex sha256 of the ONNX file.
    pub sha256: String,
    pub licence: String,
    /// Where the weights come from (paper, repository, package).
    pub source: String,
    /// What the model was trained on: the nutrition label.
    pub training_data: String,
    #[serde(default)]
    pub description: String,
    /// A model made by the project for tests, not a real model.
    #[serde(default)]
    pub fixture: bool,
    pub inputs: Vec<TensorSpec>,
    pub outputs: Vec<TensorSpec>,
    #[serde(default)]
    pub size: SizeRules,
    pub fetch: Option<FetchSpec>,
    /// The manifest file this was read from (not part of the TOML).
    #[serde(skip)]
    pub manifest_path: PathBuf,
}

impl Manifest {
    /// Read and check a manifest's own consistency (not the ONNX file).
    pub fn load(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path)
            .map_err(|e| Error::model(path.display(), format!("cannot read manifest: {e}")))?;
        let mut m: Manifest = toml::from_str(&text)
            .map_err(|e| Error::model(path.display(), format!("invalid manifest: {e}")))?;
        m.manifest_path = path.to_path_buf();
        m.check_fields()?;
        Ok(m)
    }

    fn check_fields(&self) -> Result<()> {
        let bad = |p: String| Err(Error::model(self.manifest_path.display(), p));
        if self.sha256.len() != 64 || !self.sha256.bytes().all(|b| b.is_ascii_hexdigit()) {
            return bad(format!(
                "sha256 `{}` is not 64 hex digits; compute it with `sha256sum {}`",
                self.sha256, self.file
            ));
        }
        if self.inputs.is_empty() || self.outputs.is_empty() {
            return bad("a manifest needs at least one [[inputs]] and one [[outputs]]".into());
        }
        for t in self.inputs.iter().chain(&self.outputs) {
            if t.shape.iter().any(|&d| d == 0 || d < -1) {
                return bad(format!(
                    "tensor `{}` has shape {:?}; dimensions are positive or -1 (dynamic)",
                    t.name, t.shape
                ));
            }
            if (!t.mean.is_empty() || !t.std.is_empty()) && t.mean.len() != t.std.len() {
                return bad(format!(
                    "tensor `{}`: mean and std differ in length",
                    t.name
                ));
            }
            if t.std.contains(&0.0) {
                return bad(format!("tensor `{}`: std contains 0", t.name));
            }
        }
        if self.size.multiple_of == 0 {
            return bad("size.multiple_of must be at least 1".into());
        }
        Ok(())
    }

    /// Path of the ONNX file.
    pub fn model_path(&self) -> PathBuf {
        self.manifest_path
            .parent()
            .unwrap_or_else(|| Path::new("."))
            .join(&self.file)
    }

    /// Check the ONNX file exists and has the promised sha256.
    pub fn verify_file(&self) -> Result<()> {
        let path = self.model_path();
        if !path.is_file() {
            let hint = if self.fetch.is_some() {
                format!(
                    "run {}",
                    retake_core::params::tool(&format!("models fetch {}", self.name))
                )
            } else {
                "run the setup script, or copy the file there".to_string()
            };
            return Err(Error::model(
                path.display(),
                format!("model file for `{}` is missing; {hint}", self.name),
            ));
        }
        let actual = sha256_file(&path)?;
        if !actual.eq_ignore_ascii_case(&self.sha256) {
            return Err(Error::model(
                path.display(),
                format!(
                    "sha256 is {actual} but manifest {} says {}; the file is corrupt or not the model the manifest describes",
                    self.manifest_path.display(),
                    self.sha256
                ),
            ));
        }
        Ok(())
    }

    /// Short label for listings: marks fixtures so they are never mistaken
    /// for real models.
    pub fn label(&self) -> String {
        if self.fixture {
            format!("{} [FIXTURE, test only]", self.name)
        } else {
            self.name.clone()
        }
    }
}

/// Lower-case hex sha256 of a file, streamed.
pub fn sha256_file(path: &Path) -> Result<String> {
    use std::io::Read;
    let mut f = std::fs::File::open(path).map_err(|e| Error::input(path, e))?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = f.read(&mut buf).map_err(|e| Error::input(path, e))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hex(&hasher.finalize()))
}

/// Lower-case hex of bytes.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Folders searched for manifests, in order: `RETAKE_MODELS` (a
/// `:`-separated list), then the user's models folder
/// (`$XDG_DATA_HOME/retake/models` or `~/.local/share/retake/models`), then
/// any extra folders the caller knows (the project's `models/`, a folder
/// beside the plugin bundle).
pub fn model_dirs(extra: &[PathBuf]) -> Vec<PathBuf> {
    let mut dirs = Vec::new();
    if let Some(v) = std::env::var_os("RETAKE_MODELS") {
        dirs.extend(std::env::split_paths(&v).filter(|p| !p.as_os_str().is_empty()));
    }
    dirs.push(user_models_dir());
    dirs.extend(extra.iter().cloned());
    let mut seen = std::collections::HashSet::new();
    dirs.retain(|d| seen.insert(d.clone()));
    dirs
}

/// The per-user folder where fetched models go.
pub fn user_models_dir() -> PathBuf {
    if let Some(x) = std::env::var_os("XDG_DATA_HOME").filter(|x| !x.is_empty()) {
        return PathBuf::from(x).join("retake/models");
    }
    let home = std::env::var_os("HOME").unwrap_or_else(|| ".".into());
    PathBuf::from(home).join(".local/share/retake/models")
}

/// All manifests found in `dirs`; the first folder wins for a repeated
/// name. Manifests that fail to parse are returned as errors beside the good
/// ones, so a listing can show them without hiding the rest.
pub fn discover(dirs: &[PathBuf]) -> (Vec<Manifest>, Vec<Error>) {
    let mut found: Vec<Manifest> = Vec::new();
    let mut errors = Vec::new();
    for dir in dirs {
        let Ok(entries) = std::fs::read_dir(dir) else {
            continue;
        };
        let mut paths: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e == "toml"))
            .collect();
        paths.sort();
        for p in paths {
            match Manifest::load(&p) {
                Ok(m) if found.iter().all(|f| f.name != m.name) => found.push(m),
                Ok(_) => {}
                Err(e) => errors.push(e),
            }
        }
    }
    (found, errors)
}

/// Find a model by name, or by manifest path.
pub fn find(name_or_path: &str, dirs: &[PathBuf]) -> Result<Manifest> {
    let p = Path::new(name_or_path);
    if name_or_path.ends_with(".toml") || p.is_file() {
        return Manifest::load(p);
    }
    let (found, _) = discover(dirs);
    found
        .into_iter()
        .find(|m| m.name == name_or_path)
        .ok_or_else(|| {
            Error::model(
                name_or_path,
                format!(
                    "no model manifest with this name in {}; {} shows what is installed",
                    dirs.iter()
                        .map(|d| d.display().to_string())
                        .collect::<Vec<_>>()
                        .join(", "),
                    retake_core::params::tool("models list")
                ),
            )
        })
}

/// The first installed model (file present) that fills `role`, preferring
/// real models over fixtures.
pub fn find_role(role: Role, dirs: &[PathBuf]) -> Option<Manifest> {
    let (mut found, _) = discover(dirs);
    found.retain(|m| m.role == role && m.model_path().is_file());
    found.sort_by_key(|m| m.fixture);
    found.into_iter().next()
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) const EXAMPLE: &str = r#"
name = "demo"
role = "mask"
file = "demo.onnx"
sha256 = "0000000000000000000000000000000000000000000000000000000000000000"
licence = "MIT"
source = "test"
training_data = "none"
fixture = true

[[inputs]]
name = "x"
dtype = "f32"
shape = [1, 3, -1, -1]

[[outputs]]
name = "y"
dtype = "f32"
shape = [1, 1, -1, -1]
"#;

    #[test]
    fn parses_and_labels_fixtures() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("demo.toml");
        std::fs::write(&p, EXAMPLE).unwrap();
        let m = Manifest::load(&p).unwrap();
        assert_eq!(m.role, Role::Mask);
        assert!(m.label().contains("FIXTURE"));
        assert_eq!(m.model_path(), dir.path().join("demo.onnx"));
        let err = m.verify_file().unwrap_err().to_string();
        assert!(err.contains("missing"), "{err}");
    }

    #[test]
    fn rejects_bad_manifests() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("bad.toml");
        for (bad, needle) in [
            (EXAMPLE.replace("\"0000", "\"zz00"), "64 hex"),
            (
                EXAMPLE.replace("fixture = true", "fixture = true\nbogus = 1"),
                "bogus",
            ),
            (
                EXAMPLE.replace("[1, 3, -1, -1]", "[1, 0, 4, 4]"),
                "positive",
            ),
            (
                EXAMPLE.replace("role = \"mask\"", "role = \"paint\""),
                "paint",
            ),
        ] {
            std::fs::write(&p, bad).unwrap();
            let err = Manifest::load(&p).unwrap_err().to_string();
            assert!(err.contains(needle) && err.contains("bad.toml"), "{err}");
        }
    }

    #[test]
    fn parses_the_mask_convention_and_rejects_unknown_ones() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("inpaint.toml");
        let with = |value: &str| {
            EXAMPLE.replace(
                "shape = [1, 3, -1, -1]\n\n[[outputs]]",
                &format!("shape = [1, 3, -1, -1]\nmask = {value}\n\n[[outputs]]"),
            )
        };
        for (value, expected) in [
            ("\"keep\"", MaskConvention::Keep),
            ("\"hole\"", MaskConvention::Hole),
        ] {
            std::fs::write(&p, with(value)).unwrap();
            let m = Manifest::load(&p).unwrap();
            assert_eq!(m.inputs[0].mask, Some(expected));
            assert_eq!(m.outputs[0].mask, None);
        }
        std::fs::write(&p, with("\"white\"")).unwrap();
        let err = Manifest::load(&p).unwrap_err().to_string();
        assert!(
            err.contains("white") && err.contains("inpaint.toml"),
            "{err}"
        );
        std::fs::write(&p, EXAMPLE).unwrap();
        assert_eq!(Manifest::load(&p).unwrap().inputs[0].mask, None);
    }

    #[test]
    fn find_role_prefers_installed_real_models_over_fixtures() {
        let dir = tempfile::tempdir().unwrap();
        let write = |name: &str, fixture: bool, installed: bool| {
            let text = EXAMPLE
                .replace("name = \"demo\"", &format!("name = \"{name}\""))
                .replace("file = \"demo.onnx\"", &format!("file = \"{name}.onnx\""))
                .replace("fixture = true", &format!("fixture = {fixture}"));
            std::fs::write(dir.path().join(format!("{name}.toml")), text).unwrap();
            if installed {
                std::fs::write(dir.path().join(format!("{name}.onnx")), b"x").unwrap();
            }
        };
        write("a-fixture", true, true);
        write("b-real-missing", false, false);
        write("c-real", false, true);
        let dirs = vec![dir.path().to_path_buf()];
        assert_eq!(find_role(Role::Mask, &dirs).unwrap().name, "c-real");
        assert!(find_role(Role::Depth, &dirs).is_none());
    }

    #[test]
    fn sha_mismatch_names_both_files() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("demo.toml");
        std::fs::write(&p, EXAMPLE).unwrap();
        std::fs::write(dir.path().join("demo.onnx"), b"not a model").unwrap();
        let err = Manifest::load(&p)
            .unwrap()
            .verify_file()
            .unwrap_err()
            .to_string();
        assert!(err.contains("demo.onnx") && err.contains("demo.toml") && err.contains("sha256"));
    }
}
