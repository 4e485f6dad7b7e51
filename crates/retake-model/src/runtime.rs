//! The ONNX Runtime library and sessions. The library is loaded at run time
//! from a path Retake controls (never a system copy a host app may clash
//! with), and execution providers are an ordered preference with a logged
//! fallback.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use ort::ep::{self, ExecutionProvider};
use ort::session::Session;
use ort::value::{Tensor as OrtTensor, TensorElementType, ValueType};

use super::colour::ModelColour;
use super::manifest::{DType, Manifest, TensorSpec};
use retake_core::error::{Error, Result};

/// ONNX Runtime version the project is built and tested against.
pub const EXPECTED_ORT_VERSION: &str = "1.31.1";
/// File name of the library inside the PyPI wheel and next to binaries.
pub const ORT_LIBRARY_NAME: &str = "libonnxruntime.so.1.31.1";

/// The loaded library and the environment every session shares.
pub struct Runtime {
    env: ort::environment::Environment,
    /// Absolute path the library was loaded from.
    pub library: PathBuf,
    /// Version reported by the library's build string.
    pub version: String,
}

static RUNTIME: OnceLock<std::result::Result<Runtime, String>> = OnceLock::new();

/// Where to look for the library, in order: `ORT_DYLIB_PATH`, then the
/// caller's candidates (next to the binary or plugin, the setup folder).
pub fn library_candidates(extra: &[PathBuf]) -> Vec<PathBuf> {
    let mut c = Vec::new();
    if let Some(p) = std::env::var_os("ORT_DYLIB_PATH").filter(|p| !p.is_empty()) {
        c.push(PathBuf::from(p));
    }
    c.extend(extra.iter().cloned());
    c
}

/// Load ONNX Runtime once per process from the first candidate that exists.
/// Later calls return the same runtime whatever they pass.
pub fn init(candidates: &[PathBuf]) -> Result<&'static Runtime> {
    let r = RUNTIME.get_or_init(|| load(candidates).map_err(|e| e.to_string()));
    match r {
        Ok(rt) => Ok(rt),
        Err(msg) => Err(Error::model("ONNX Runtime", msg)),
    }
}

/// `ORT_DYLIB_PATH` naming nothing is a mistake to report, not a hint to
/// skip: silently loading another library hides which one runs.
fn check_env_library() -> Result<()> {
    let Some(p) = std::env::var_os("ORT_DYLIB_PATH").filter(|p| !p.is_empty()) else {
        return Ok(());
    };
    let p = PathBuf::from(p);
    if p.is_file() {
        return Ok(());
    }
    Err(Error::model(
        "ONNX Runtime",
        format!(
            "ORT_DYLIB_PATH is {} but {}; point it at a libonnxruntime.so {EXPECTED_ORT_VERSION} \
             or unset it to use the library found beside retake or by scripts/setup.sh",
            p.display(),
            if p.exists() {
                "that is not a file"
            } else {
                "no such file exists"
            }
        ),
    ))
}

fn load(candidates: &[PathBuf]) -> Result<Runtime> {
    check_env_library()?;
    let Some(path) = candidates.iter().find(|p| p.is_file()) else {
        return Err(Error::model(
            "ONNX Runtime",
            format!(
                "library {ORT_LIBRARY_NAME} not found (looked at: {}); run `scripts/setup.sh`, or set ORT_DYLIB_PATH to a libonnxruntime.so {EXPECTED_ORT_VERSION} (from the onnxruntime or onnxruntime-gpu wheel)",
                if candidates.is_empty() {
                    "nothing".to_string()
                } else {
                    candidates
                        .iter()
                        .map(|p| p.display().to_string())
                        .collect::<Vec<_>>()
                        .join(", ")
                }
            ),
        ));
    };
    let library = path.canonicalize().unwrap_or_else(|_| path.clone());
    let lib_err = |e: &dyn std::fmt::Display| Error::model(library.display(), e);
    let version = library_version(&library)?;
    let builder = ort::init_from(&library).map_err(|e| lib_err(&e))?;
    let env = builder
        .with_name("retake")
        .with_telemetry(false)
        .build()
        .map_err(|e| lib_err(&e))?;
    if version != EXPECTED_ORT_VERSION {
        log::warn!(
            "ONNX Runtime at {} is version {version}; Retake is tested with {EXPECTED_ORT_VERSION}",
            library.display()
        );
    }
    Ok(Runtime {
        env,
        library,
        version,
    })
}

/// Ask the library for its version before handing it to `ort`, so that a
/// wrong file (not ONNX Runtime, too old) is a message, not a crash.
fn library_version(library: &Path) -> Result<String> {
    let err = |p: String| Error::model(library.display(), p);
    // SAFETY: loading runs the library's initialisers; this is the library
    // the user pointed us at, about to be used for inference anyway.
    let lib = unsafe { libloading::Library::new(library) }
        .map_err(|e| err(format!("cannot load as a shared library: {e}")))?;
    type ApiBaseFn = unsafe extern "C" fn() -> *const ort::sys::OrtApiBase;
    // SAFETY: the symbol's type is fixed by ONNX Runtime's C API.
    let get_base: libloading::Symbol<ApiBaseFn> = unsafe { lib.get(b"OrtGetApiBase") }
        .map_err(|_| err("not an ONNX Runtime library (no OrtGetApiBase)".into()))?;
    // SAFETY: OrtGetApiBase returns a pointer to a static table or null.
    let base = unsafe { get_base() };
    if base.is_null() {
        return Err(err("OrtGetApiBase returned nothing".into()));
    }
    // SAFETY: base is non-null and points at the static OrtApiBase; the
    // version string is a static NUL-terminated string.
    let version = unsafe { std::ffi::CStr::from_ptr(((*base).GetVersionString)()) }
        .to_string_lossy()
        .into_owned();
    let minor: u32 = version
        .split('.')
        .nth(1)
        .and_then(|m| m.parse().ok())
        .unwrap_or(0);
    if minor < ort::MINOR_VERSION {
        return Err(err(format!(
            "ONNX Runtime {version} is too old; Retake needs 1.{}.x or newer ({EXPECTED_ORT_VERSION} tested)",
            ort::MINOR_VERSION
        )));
    }
    Ok(version)
}

/// An execution provider in the user's order of preference.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Provider {
    TensorRt,
    Cuda,
    Cpu,
}

impl Provider {
    pub const ALL: [Provider; 3] = [Provider::TensorRt, Provider::Cuda, Provider::Cpu];

    pub fn name(self) -> &'static str {
        match self {
            Provider::TensorRt => "tensorrt",
            Provider::Cuda => "cuda",
            Provider::Cpu => "cpu",
        }
    }

    /// Parse `tensorrt,cuda,cpu`. CPU is appended when missing, so a run
    /// always has somewhere to fall back to.
    pub fn parse_list(text: &str) -> Result<Vec<Provider>> {
        let mut list = Vec::new();
        for item in text.split(',').map(|s| s.trim().to_ascii_lowercase()) {
            let p = match item.as_str() {
                "tensorrt" | "trt" => Provider::TensorRt,
                "cuda" | "gpu" => Provider::Cuda,
                "cpu" => Provider::Cpu,
                other => {
                    return Err(Error::parameter(
                        "providers",
                        format!("unknown execution provider `{other}`; use tensorrt, cuda or cpu"),
                    ))
                }
            };
            if !list.contains(&p) {
                list.push(p);
            }
        }
        if !list.contains(&Provider::Cpu) {
            list.push(Provider::Cpu);
        }
        Ok(list)
    }

    fn dispatch(self) -> ep::ExecutionProviderDispatch {
        match self {
            Provider::TensorRt => ep::TensorRT::default().build().error_on_failure(),
            // TF32 (on by default in ONNX Runtime's CUDA provider) rounds
            // every convolution's inputs to 10 mantissa bits: mattes then
            // drift from the CPU's. Full float32 keeps the providers close.
            Provider::Cuda => ep::CUDA::default()
                .with_tf32(false)
                .build()
                .error_on_failure(),
            // `ort`'s default turns ONNX Runtime's arena off: every run then
            // maps, faults in and unmaps its activations afresh (in `retake
            // mask`, page faults taken inside ONNX Runtime were a tenth of
            // all cycles). The arena grows to one run's peak once and is
            // reused by every frame, so memory stays flat in clip length.
            Provider::Cpu => ep::CPU::default()
                .with_arena_allocator(true)
                .build()
                .error_on_failure(),
        }
    }

    /// Whether the loaded library was compiled with this provider.
    pub fn compiled_in(self) -> bool {
        let r = match self {
            Provider::TensorRt => ep::TensorRT::is_available(),
            Provider::Cuda => ep::CUDA::is_available(),
            Provider::Cpu => ep::CPU::is_available(),
        };
        r.unwrap_or(false)
    }

    /// `Ok(())` when a session could use this provider now, else the reason.
    pub fn check(self, rt: &Runtime) -> std::result::Result<(), String> {
        if !self.compiled_in() {
            return Err(format!(
                "not in this ONNX Runtime build ({}); point ORT_DYLIB_PATH at the onnxruntime-gpu wheel's library",
                rt.library.display()
            ));
        }
        Session::builder(&rt.env)
            .and_then(|b| {
                b.with_execution_providers([self.dispatch()])
                    .map_err(Into::into)
            })
            .map(|_| ())
            .map_err(|e| e.to_string())
    }
}

/// A tensor going into or coming out of a model.
#[derive(Clone, Debug, PartialEq)]
pub struct Tensor {
    pub shape: Vec<i64>,
    pub data: TensorData,
}

/// Tensor contents by element type.
#[derive(Clone, Debug, PartialEq)]
pub enum TensorData {
    F32(Vec<f32>),
    U8(Vec<u8>),
    I64(Vec<i64>),
}

impl Tensor {
    pub fn f32(shape: Vec<i64>, data: Vec<f32>) -> Self {
        Tensor {
            shape,
            data: TensorData::F32(data),
        }
    }

    pub fn u8(shape: Vec<i64>, data: Vec<u8>) -> Self {
        Tensor {
            shape,
            data: TensorData::U8(data),
        }
    }

    /// The values as f32 (u8 and i64 converted), for outputs.
    pub fn to_f32(&self) -> Vec<f32> {
        match &self.data {
            TensorData::F32(v) => v.clone(),
            TensorData::U8(v) => v.iter().map(|&x| x as f32).collect(),
            TensorData::I64(v) => v.iter().map(|&x| x as f32).collect(),
        }
    }

    fn dtype(&self) -> DType {
        match self.data {
            TensorData::F32(_) => DType::F32,
            TensorData::U8(_) => DType::U8,
            TensorData::I64(_) => DType::I64,
        }
    }
}

/// A verified model with its session, ready to run from any thread.
pub struct Model {
    pub manifest: Manifest,
    /// The provider the session runs on.
    pub provider: Provider,
    /// Shared by every `Model` of the same file and settings in this
    /// process (see [`SessionCache`]).
    session: Arc<Mutex<Session>>,
    /// How its pictures are converted from the working space (set by
    /// [`super::open`] from the context); `None`: the built-in sRGB curve.
    pub colour: Option<Arc<dyn ModelColour>>,
}

/// What makes two opened sessions interchangeable: the same file (by
/// path, size and modification time), the same promised sha256, and the
/// same provider preference and thread count.
#[derive(Clone, PartialEq, Eq, Hash)]
struct SessionKey {
    path: PathBuf,
    len: u64,
    modified: Option<std::time::SystemTime>,
    sha256: String,
    providers: Vec<&'static str>,
    threads: usize,
}

impl SessionKey {
    fn of(manifest: &Manifest, providers: &[Provider], threads: usize) -> Option<SessionKey> {
        let path = manifest.model_path();
        let meta = std::fs::metadata(&path).ok()?;
        Some(SessionKey {
            path: path.canonicalize().unwrap_or(path),
            len: meta.len(),
            modified: meta.modified().ok(),
            sha256: manifest.sha256.clone(),
            providers: providers.iter().map(|p| p.name()).collect(),
            threads,
        })
    }
}

/// Sessions opened in this process, kept for its lifetime: a host that
/// makes a plugin instance per frame, or several effects on one model,
/// verify and open each model once, not once per instance. Entries are
/// never evicted; a studio's model set is small next to its frames.
struct SessionCache;

type CachedSession = (Provider, Arc<Mutex<Session>>);

impl SessionCache {
    fn map() -> &'static Mutex<std::collections::HashMap<SessionKey, CachedSession>> {
        static MAP: OnceLock<Mutex<std::collections::HashMap<SessionKey, CachedSession>>> =
            OnceLock::new();
        MAP.get_or_init(Default::default)
    }

    fn get(key: &SessionKey) -> Option<CachedSession> {
        let map = Self::map().lock().unwrap_or_else(|p| p.into_inner());
        map.get(key).cloned()
    }

    /// Keep `value` unless another thread opened the same model meanwhile;
    /// returns the one kept, so every opening shares a single session.
    fn put(key: SessionKey, value: CachedSession) -> CachedSession {
        let mut map = Self::map().lock().unwrap_or_else(|p| p.into_inner());
        map.entry(key).or_insert(value).clone()
    }
}

impl Model {
    /// Verify the file against the manifest's sha256, open a session on the
    /// first provider that works, and check the graph's inputs and outputs
    /// against the manifest. A session this process already opened for the
    /// same file and settings is shared instead.
    pub fn load(
        manifest: Manifest,
        rt: &Runtime,
        providers: &[Provider],
        threads: usize,
    ) -> Result<Model> {
        let key = SessionKey::of(&manifest, providers, threads);
        if let Some((provider, session)) = key.as_ref().and_then(SessionCache::get) {
            log::debug!("{}: session shared with an earlier opening", manifest.name);
            return Ok(Model {
                manifest,
                provider,
                session,
                colour: None,
            });
        }
        manifest.verify_file()?;
        let path = manifest.model_path();
        let mut last_err = String::from("no execution provider was asked for");
        // Providers passed over, with why: reported in one line at the end.
        let mut skipped: Vec<String> = Vec::new();
        let mut failed = false;
        for &p in providers {
            if p != Provider::Cpu && !p.compiled_in() {
                skipped.push(format!("{} (not in this ONNX Runtime build)", p.name()));
                continue;
            }
            let built = Session::builder(&rt.env)
                .and_then(|b| {
                    b.with_execution_providers([p.dispatch()])
                        .map_err(Into::into)
                })
                .and_then(|b| b.with_intra_threads(threads.max(1)).map_err(Into::into))
                // Models run inside a pipeline whose decode, edge fitting and
                // encode stages share the same cores; ONNX Runtime's default
                // spin-wait between parallel sections burns the cycles those
                // stages need (8% of `retake mask`'s cycles sat on one `pause`).
                .and_then(|b| b.with_intra_op_spinning(false).map_err(Into::into))
                // One node at a time: the intra-op threads already fill the
                // cores, and a second (inter-op) pool would compete with them.
                .and_then(|b| b.with_parallel_execution(false).map_err(Into::into))
                .and_then(|b| b.with_deterministic_compute(true).map_err(Into::into))
                // On the CPU, ONNX Runtime's memory pattern plans one block
                // for all of a run's activations beside the arena: u2netp's
                // peak RSS was 535 MiB with it and 343 MiB without, with
                // the same CPU time per run (measured through the
                // onnxruntime 1.31.1 wheel), and the block's pages were
                // faulted in afresh. The arena alone already reuses memory.
                .and_then(|b| {
                    b.with_memory_pattern(p != Provider::Cpu)
                        .map_err(Into::into)
                })
                .and_then(|mut b| b.commit_from_file(&path));
            match built {
                Ok(session) => {
                    check_io(&manifest, &session)?;
                    let line = if skipped.is_empty() {
                        format!("{}: running on {}", manifest.name, p.name())
                    } else {
                        format!(
                            "{}: running on {}; skipped {}",
                            manifest.name,
                            p.name(),
                            skipped.join(", ")
                        )
                    };
                    // A provider that exists but failed is worth a warning;
                    // one this build lacks is expected on CPU-only machines.
                    if failed {
                        log::warn!("{line}");
                    } else {
                        log::info!("{line}");
                    }
                    let opened = (p, Arc::new(Mutex::new(session)));
                    let (provider, session) = match key {
                        Some(key) => SessionCache::put(key, opened),
                        None => opened,
                    };
                    return Ok(Model {
                        manifest,
                        provider,
                        session,
                        colour: None,
                    });
                }
                Err(e) => {
                    skipped.push(format!("{} (failed: {e})", p.name()));
                    failed = true;
                    last_err = e.to_string();
                }
            }
        }
        Err(Error::model(
            path.display(),
            format!("ONNX Runtime could not open the model: {last_err}"),
        ))
    }

    /// Whether `self` and `other` run on one session (opened once in this
    /// process).
    pub fn shares_session_with(&self, other: &Model) -> bool {
        Arc::ptr_eq(&self.session, &other.session)
    }

    /// Run the model on inputs given in manifest order; returns the
    /// manifest's outputs in manifest order.
    pub fn run(&self, inputs: Vec<Tensor>) -> Result<Vec<Tensor>> {
        let m = &self.manifest;
        let ctx = || m.model_path().display().to_string();
        if inputs.len() != m.inputs.len() {
            return Err(Error::Internal(format!(
                "{} takes {} inputs, got {}",
                m.name,
                m.inputs.len(),
                inputs.len()
            )));
        }
        let mut values: Vec<(String, ort::session::SessionInputValue<'_>)> = Vec::new();
        for (spec, t) in m.inputs.iter().zip(inputs) {
            if t.dtype() != spec.dtype || !shape_fits(&spec.shape, &t.shape) {
                return Err(Error::Internal(format!(
                    "{}: input `{}` expects {} {:?}, got {} {:?}",
                    m.name,
                    spec.name,
                    spec.dtype,
                    spec.shape,
                    t.dtype(),
                    t.shape
                )));
            }
            let v: ort::value::DynValue = match t.data {
                TensorData::F32(d) => OrtTensor::from_array((t.shape, d)).map(|t| t.into_dyn()),
                TensorData::U8(d) => OrtTensor::from_array((t.shape, d)).map(|t| t.into_dyn()),
                TensorData::I64(d) => OrtTensor::from_array((t.shape, d)).map(|t| t.into_dyn()),
            }
            .map_err(|e| Error::model(ctx(), e))?;
            values.push((spec.name.clone(), v.into()));
        }
        let mut session = self
            .session
            .lock()
            .map_err(|_| Error::Internal("model session poisoned by an earlier failure".into()))?;
        let outputs = session.run(values).map_err(|e| Error::model(ctx(), e))?;
        let mut result = Vec::with_capacity(m.outputs.len());
        for spec in &m.outputs {
            let v = outputs.get(spec.name.as_str()).ok_or_else(|| {
                Error::model(
                    ctx(),
                    format!("output `{}` missing from the run", spec.name),
                )
            })?;
            let t = match spec.dtype {
                DType::F32 => v.try_extract_tensor::<f32>().map(|(s, d)| Tensor {
                    shape: s.to_vec(),
                    data: TensorData::F32(d.to_vec()),
                }),
                DType::U8 => v.try_extract_tensor::<u8>().map(|(s, d)| Tensor {
                    shape: s.to_vec(),
                    data: TensorData::U8(d.to_vec()),
                }),
                DType::I64 => v.try_extract_tensor::<i64>().map(|(s, d)| Tensor {
                    shape: s.to_vec(),
                    data: TensorData::I64(d.to_vec()),
                }),
            }
            .map_err(|e| Error::model(ctx(), format!("output `{}`: {e}", spec.name)))?;
            result.push(t);
        }
        Ok(result)
    }
}

fn shape_fits(spec: &[i64], actual: &[i64]) -> bool {
    spec.len() == actual.len() && spec.iter().zip(actual).all(|(&s, &a)| s == -1 || s == a)
}

fn dtype_of(t: TensorElementType) -> Option<DType> {
    match t {
        TensorElementType::Float32 => Some(DType::F32),
        TensorElementType::Uint8 => Some(DType::U8),
        TensorElementType::Int64 => Some(DType::I64),
        _ => None,
    }
}

/// Compare the graph's declared inputs/outputs with the manifest's promises.
fn check_io(m: &Manifest, session: &Session) -> Result<()> {
    let ctx = format!(
        "{} (manifest {})",
        m.model_path().display(),
        m.manifest_path.display()
    );
    let describe = |ty: &ValueType| match (ty.tensor_type(), ty.tensor_shape()) {
        (Some(t), Some(s)) => (dtype_of(t), s.to_vec(), format!("{t:?} {:?}", s.to_vec())),
        _ => (None, Vec::new(), ty.to_string()),
    };
    let check = |kind: &str, spec: &TensorSpec, ty: &ValueType| -> Result<()> {
        let (dtype, shape, text) = describe(ty);
        let dims_agree = shape.len() == spec.shape.len()
            && spec
                .shape
                .iter()
                .zip(&shape)
                .all(|(&s, &g)| s == -1 || g == -1 || s == g);
        if dtype != Some(spec.dtype) || !dims_agree {
            return Err(Error::model(
                &ctx,
                format!(
                    "{kind} `{}`: the manifest says {} {:?} but the ONNX file has {text}",
                    spec.name, spec.dtype, spec.shape
                ),
            ));
        }
        Ok(())
    };
    for spec in &m.inputs {
        let Some(input) = session.inputs().iter().find(|i| i.name() == spec.name) else {
            return Err(Error::model(
                &ctx,
                format!(
                    "the manifest names input `{}` but the ONNX file's inputs are {}",
                    spec.name,
                    names(session.inputs())
                ),
            ));
        };
        check("input", spec, input.dtype())?;
    }
    for input in session.inputs() {
        if !m.inputs.iter().any(|s| s.name == input.name()) {
            return Err(Error::model(
                &ctx,
                format!(
                    "the ONNX file has input `{}` that the manifest does not describe",
                    input.name()
                ),
            ));
        }
    }
    for spec in &m.outputs {
        let Some(output) = session.outputs().iter().find(|o| o.name() == spec.name) else {
            return Err(Error::model(
                &ctx,
                format!(
                    "the manifest names output `{}` but the ONNX file's outputs are {}",
                    spec.name,
                    names(session.outputs())
                ),
            ));
        };
        check("output", spec, output.dtype())?;
    }
    Ok(())
}

fn names(outlets: &[ort::value::Outlet]) -> String {
    outlets
        .iter()
        .map(|o| format!("`{}`", o.name()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Standard places for the library relative to a binary or plugin file:
/// beside it, and in `../lib`.
pub fn candidates_near(file: &Path) -> Vec<PathBuf> {
    let mut c = Vec::new();
    if let Some(dir) = file.parent() {
        c.push(dir.join(ORT_LIBRARY_NAME));
        c.push(dir.join("../lib").join(ORT_LIBRARY_NAME));
    }
    c
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_provider_lists() {
        assert_eq!(
            Provider::parse_list("cuda").unwrap(),
            vec![Provider::Cuda, Provider::Cpu]
        );
        assert_eq!(
            Provider::parse_list("tensorrt, cuda, cpu").unwrap(),
            Provider::ALL.to_vec()
        );
        let err = Provider::parse_list("cuda,tpu").unwrap_err().to_string();
        assert!(err.contains("tpu"), "{err}");
    }

    #[test]
    fn a_file_that_is_not_onnx_runtime_is_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        let fake = dir.path().join(ORT_LIBRARY_NAME);
        std::fs::write(&fake, b"not a library").unwrap();
        let err = library_version(&fake).unwrap_err().to_string();
        assert!(
            err.contains(ORT_LIBRARY_NAME) && err.contains("shared library"),
            "{err}"
        );
    }

    #[test]
    fn missing_library_is_a_clear_error() {
        let err = load(&[PathBuf::from("/nonexistent/libonnxruntime.so")])
            .err()
            .unwrap()
            .to_string();
        assert!(
            err.contains("not found") && err.contains("ORT_DYLIB_PATH"),
            "{err}"
        );
    }
}
