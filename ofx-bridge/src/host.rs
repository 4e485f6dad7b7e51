//! The host as the plugin sees it: the suites it fetched at load time (only
//! those it needs, with version-1 fallbacks), typed property access, and
//! messages to the user.
//!
//! Property, image effect and parameter suites (version 1) are required;
//! everything else is optional so the plugin loads in small hosts. The
//! plugin never fetches the memory, multi-thread or progress suites: core
//! allocates its own frames and parallelises inside a frame with rayon.

use std::collections::BTreeSet;
use std::ffi::{c_char, c_int, c_void, CStr, CString};
use std::sync::atomic::{AtomicPtr, Ordering};
use std::sync::{Arc, Mutex, RwLock};

use ofx_abi::*;

/// What went wrong inside an action, with the status to hand the host and
/// a sentence for the user.
#[derive(Debug, Clone)]
pub struct PluginError {
    pub status: OfxStatus,
    pub message: String,
}

impl PluginError {
    /// A failure the user should read (bad parameter, missing model).
    pub fn failed(message: impl Into<String>) -> Self {
        PluginError {
            status: kOfxStatFailed,
            message: message.into(),
        }
    }

    /// A host call that returned an error status.
    pub fn host_call(function: &str, status: OfxStatus) -> Self {
        PluginError {
            status: if status == kOfxStatOK {
                kOfxStatFailed
            } else {
                status
            },
            message: format!("the host's {function} returned status {status}"),
        }
    }

    /// The same error, saying what it was about (a property, a parameter).
    pub fn about(self, what: impl std::fmt::Display) -> Self {
        PluginError {
            status: self.status,
            message: format!("{what}: {}", self.message),
        }
    }

    /// A host suite entry left null.
    pub fn missing(function: &str) -> Self {
        PluginError {
            status: kOfxStatErrMissingHostFeature,
            message: format!("the host does not provide {function}"),
        }
    }
}

impl From<retake_core::Error> for PluginError {
    /// A bad parameter is named by a mention the effect writes as the
    /// label the host shows.
    fn from(e: retake_core::Error) -> Self {
        match e {
            retake_core::Error::Parameter { name, problem } => PluginError::failed(format!(
                "{}: {problem}",
                retake_core::params::mention(&name)
            )),
            other => PluginError::failed(other.to_string()),
        }
    }
}

impl std::fmt::Display for PluginError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

/// Result of the plugin's own functions.
pub type PResult<T> = Result<T, PluginError>;

/// Call a suite function that may be null and check its status.
macro_rules! ofx_call {
    ($suite:expr, $function:ident ( $($arg:expr),* $(,)? )) => {{
        match $suite.$function {
            Some(f) => {
                let status = f($($arg),*);
                if status == ofx_abi::kOfxStatOK {
                    Ok(())
                } else {
                    Err($crate::host::PluginError::host_call(stringify!($function), status))
                }
            }
            None => Err($crate::host::PluginError::missing(stringify!($function))),
        }
    }};
}
pub(crate) use ofx_call;

/// The suites this plugin uses, valid from load until the host unloads it.
pub struct Suites {
    pub props: &'static OfxPropertySuiteV1,
    pub effect: &'static OfxImageEffectSuiteV1,
    pub params: &'static OfxParameterSuiteV1,
    /// Persistent messages; `None` in hosts with only version 1.
    pub message_v2: Option<&'static OfxMessageSuiteV2>,
    pub message_v1: Option<&'static OfxMessageSuiteV1>,
    /// The host may hand out images at times other than the one rendered.
    pub temporal_access: bool,
    /// The host's name, for messages.
    pub host_name: String,
}

// SAFETY: the suites are tables of function pointers that the host keeps
// alive and callable from any thread for as long as the plugin is loaded.
unsafe impl Send for Suites {}
// SAFETY: as for Send: the tables are only read, never written.
unsafe impl Sync for Suites {}

static HOST: AtomicPtr<OfxHost> = AtomicPtr::new(std::ptr::null_mut());
static SUITES: RwLock<Option<Arc<Suites>>> = RwLock::new(None);

/// Remember the host handed to `setHost`; suites are fetched at load.
pub fn set_host(host: *mut OfxHost) {
    HOST.store(host, Ordering::SeqCst);
}

/// The suites fetched at load time.
pub fn suites() -> PResult<Arc<Suites>> {
    SUITES
        .read()
        .map_err(|_| PluginError::failed("plugin state poisoned"))?
        .clone()
        .ok_or_else(|| PluginError {
            status: kOfxStatErrFatal,
            message: "the plugin was used before the host loaded it".into(),
        })
}

/// Fetch the suites (the load action). Fails with a missing-host-feature
/// status when a required suite is absent, so the host can say why.
pub fn load() -> PResult<()> {
    let host = HOST.load(Ordering::SeqCst);
    if host.is_null() {
        return Err(PluginError {
            status: kOfxStatErrFatal,
            message: "the host did not call setHost before load".into(),
        });
    }
    // SAFETY: the host pointer came from setHost and stays valid while the
    // plugin is loaded.
    let host = unsafe { &*host };
    let Some(fetch) = host.fetchSuite else {
        return Err(PluginError::missing("fetchSuite"));
    };
    let get = |name: &CStr, version: c_int| -> *const c_void {
        // SAFETY: fetchSuite takes the host's own property set and a name.
        unsafe { fetch(host.host, name.as_ptr(), version) }
    };
    // SAFETY (all casts below): a non-null suite pointer returned for a
    // name and version points at that suite's table, which the host keeps.
    let required = |name: &CStr| -> PResult<*const c_void> {
        let p = get(name, 1);
        if p.is_null() {
            Err(PluginError {
                status: kOfxStatErrMissingHostFeature,
                message: format!(
                    "Retake needs the host's {} version 1",
                    name.to_string_lossy()
                ),
            })
        } else {
            Ok(p)
        }
    };
    // SAFETY: `fetchSuite` returned a non-null table of the version asked
    // for; the host keeps it alive while the plugin is loaded.
    let props = unsafe { &*(required(kOfxPropertySuite)? as *const OfxPropertySuiteV1) };
    // SAFETY: as above.
    let effect = unsafe { &*(required(kOfxImageEffectSuite)? as *const OfxImageEffectSuiteV1) };
    // SAFETY: as above.
    let params = unsafe { &*(required(kOfxParameterSuite)? as *const OfxParameterSuiteV1) };
    // SAFETY: null (version not offered) becomes None; otherwise as above.
    let message_v2 = unsafe { (get(kOfxMessageSuite, 2) as *const OfxMessageSuiteV2).as_ref() };
    // SAFETY: as for version 2.
    let message_v1 = unsafe { (get(kOfxMessageSuite, 1) as *const OfxMessageSuiteV1).as_ref() };
    let host_props = Props {
        suite: props,
        handle: host.host,
    };
    let temporal_access = host_props
        .int(kOfxImageEffectPropTemporalClipAccess, 0)
        .is_ok_and(|v| v != 0);
    let host_name = host_props
        .string(kOfxPropName, 0)
        .unwrap_or_else(|_| "the host".into());
    let suites = Suites {
        props,
        effect,
        params,
        message_v2,
        message_v1,
        temporal_access,
        host_name,
    };
    *SUITES
        .write()
        .map_err(|_| PluginError::failed("plugin state poisoned"))? = Some(Arc::new(suites));
    Ok(())
}

/// A property set with the property suite that reads it.
#[derive(Clone, Copy)]
pub struct Props {
    pub suite: &'static OfxPropertySuiteV1,
    pub handle: OfxPropertySetHandle,
}

impl Props {
    pub fn new(suites: &Suites, handle: OfxPropertySetHandle) -> Self {
        Props {
            suite: suites.props,
            handle,
        }
    }

    pub fn int(&self, name: &CStr, index: c_int) -> PResult<c_int> {
        let mut v: c_int = 0;
        // SAFETY: a valid property set, a NUL-terminated name and a slot.
        unsafe {
            ofx_call!(
                self.suite,
                propGetInt(self.handle, name.as_ptr(), index, &mut v)
            )
            .map_err(|e| e.about(format!("property {}", name.to_string_lossy())))?
        };
        Ok(v)
    }

    pub fn double(&self, name: &CStr, index: c_int) -> PResult<f64> {
        let mut v = 0.0;
        // SAFETY: as for `int`.
        unsafe {
            ofx_call!(
                self.suite,
                propGetDouble(self.handle, name.as_ptr(), index, &mut v)
            )
            .map_err(|e| e.about(format!("property {}", name.to_string_lossy())))?
        };
        Ok(v)
    }

    pub fn doubles<const N: usize>(&self, name: &CStr) -> PResult<[f64; N]> {
        let mut v = [0.0; N];
        for (i, slot) in v.iter_mut().enumerate() {
            *slot = self.double(name, i as c_int)?;
        }
        Ok(v)
    }

    pub fn ints<const N: usize>(&self, name: &CStr) -> PResult<[c_int; N]> {
        let mut v = [0; N];
        for (i, slot) in v.iter_mut().enumerate() {
            *slot = self.int(name, i as c_int)?;
        }
        Ok(v)
    }

    pub fn string(&self, name: &CStr, index: c_int) -> PResult<String> {
        let mut p: *mut c_char = std::ptr::null_mut();
        // SAFETY: as for `int`; the host owns the returned string.
        unsafe {
            ofx_call!(
                self.suite,
                propGetString(self.handle, name.as_ptr(), index, &mut p)
            )
            .map_err(|e| e.about(format!("property {}", name.to_string_lossy())))?;
            if p.is_null() {
                return Ok(String::new());
            }
            Ok(CStr::from_ptr(p).to_string_lossy().into_owned())
        }
    }

    pub fn pointer(&self, name: &CStr, index: c_int) -> PResult<*mut c_void> {
        let mut p: *mut c_void = std::ptr::null_mut();
        // SAFETY: as for `int`.
        unsafe {
            ofx_call!(
                self.suite,
                propGetPointer(self.handle, name.as_ptr(), index, &mut p)
            )
            .map_err(|e| e.about(format!("property {}", name.to_string_lossy())))?
        };
        Ok(p)
    }

    pub fn dimension(&self, name: &CStr) -> PResult<c_int> {
        let mut n: c_int = 0;
        // SAFETY: as for `int`.
        unsafe {
            ofx_call!(
                self.suite,
                propGetDimension(self.handle, name.as_ptr(), &mut n)
            )
            .map_err(|e| e.about(format!("property {}", name.to_string_lossy())))?
        };
        Ok(n)
    }

    pub fn set_int(&self, name: &CStr, index: c_int, v: c_int) -> PResult<()> {
        // SAFETY: a valid property set and a NUL-terminated name.
        unsafe {
            ofx_call!(self.suite, propSetInt(self.handle, name.as_ptr(), index, v))
                .map_err(|e| e.about(format!("property {}", name.to_string_lossy())))
        }
    }

    pub fn set_double(&self, name: &CStr, index: c_int, v: f64) -> PResult<()> {
        // SAFETY: as for `set_int`.
        unsafe {
            ofx_call!(
                self.suite,
                propSetDouble(self.handle, name.as_ptr(), index, v)
            )
            .map_err(|e| e.about(format!("property {}", name.to_string_lossy())))
        }
    }

    pub fn set_doubles(&self, name: &CStr, values: &[f64]) -> PResult<()> {
        for (i, v) in values.iter().enumerate() {
            self.set_double(name, i as c_int, *v)?;
        }
        Ok(())
    }

    pub fn set_string(&self, name: &CStr, index: c_int, v: &str) -> PResult<()> {
        let v = c_text(v);
        // SAFETY: as for `set_int`; the host copies the string.
        unsafe {
            ofx_call!(
                self.suite,
                propSetString(self.handle, name.as_ptr(), index, v.as_ptr())
            )
            .map_err(|e| e.about(format!("property {}", name.to_string_lossy())))
        }
    }

    pub fn set_strings(&self, name: &CStr, values: &[&CStr]) -> PResult<()> {
        for (i, v) in values.iter().enumerate() {
            // SAFETY: as for `set_string`.
            unsafe {
                ofx_call!(
                    self.suite,
                    propSetString(self.handle, name.as_ptr(), i as c_int, v.as_ptr())
                )
                .map_err(|e| e.about(format!("property {}", name.to_string_lossy())))?
            };
        }
        Ok(())
    }

    pub fn set_pointer(&self, name: &CStr, index: c_int, v: *mut c_void) -> PResult<()> {
        // SAFETY: as for `set_int`.
        unsafe {
            ofx_call!(
                self.suite,
                propSetPointer(self.handle, name.as_ptr(), index, v)
            )
            .map_err(|e| e.about(format!("property {}", name.to_string_lossy())))
        }
    }
}

/// True the first time `what` is asked in this process: one-time
/// warnings are per process, since some hosts create an instance per frame.
pub fn first_time(what: &str) -> bool {
    static SAID: Mutex<BTreeSet<String>> = Mutex::new(BTreeSet::new());
    SAID.lock()
        .unwrap_or_else(|p| p.into_inner())
        .insert(what.to_string())
}

/// Text for C: interior NULs (which C cannot carry) become spaces.
pub fn c_text(text: &str) -> CString {
    CString::new(text.replace('\0', " ")).unwrap_or_default()
}

impl Suites {
    /// A message the user sees once (a dialog or a log line, as the host
    /// chooses). Falls back to standard error when the host has no message
    /// suite, so nothing is lost silently.
    pub fn message(&self, effect: OfxImageEffectHandle, kind: &CStr, text: &str) {
        let body = c_text(text);
        let id = c"retake";
        let sent = if let Some(f) = self.message_v2.and_then(|s| s.message) {
            // SAFETY: the format is "%s" with one C string argument.
            unsafe {
                f(
                    effect.cast(),
                    kind.as_ptr(),
                    id.as_ptr(),
                    c"%s".as_ptr(),
                    body.as_ptr(),
                )
            };
            true
        } else if let Some(f) = self.message_v1.and_then(|s| s.message) {
            // SAFETY: as above.
            unsafe {
                f(
                    effect.cast(),
                    kind.as_ptr(),
                    id.as_ptr(),
                    c"%s".as_ptr(),
                    body.as_ptr(),
                )
            };
            true
        } else {
            false
        };
        if !sent {
            eprintln!("Retake ({}): {text}", kind.to_string_lossy());
        }
    }

    /// A message that stays on the instance until cleared: how a failed
    /// render says why. Returns false when the host cannot keep messages.
    pub fn set_persistent(&self, effect: OfxImageEffectHandle, kind: &CStr, text: &str) -> bool {
        let Some(f) = self.message_v2.and_then(|s| s.setPersistentMessage) else {
            return false;
        };
        let body = c_text(text);
        // SAFETY: the format is "%s" with one C string argument.
        unsafe {
            f(
                effect.cast(),
                kind.as_ptr(),
                c"retake".as_ptr(),
                c"%s".as_ptr(),
                body.as_ptr(),
            )
        };
        true
    }

    pub fn clear_persistent(&self, effect: OfxImageEffectHandle) {
        if let Some(f) = self.message_v2.and_then(|s| s.clearPersistentMessage) {
            // SAFETY: an instance handle the host gave us.
            unsafe { f(effect.cast()) };
        }
    }

    /// The property set of an effect descriptor or instance.
    pub fn effect_props(&self, effect: OfxImageEffectHandle) -> PResult<Props> {
        let mut h: OfxPropertySetHandle = std::ptr::null_mut();
        // SAFETY: an effect handle the host gave us and a slot.
        unsafe { ofx_call!(self.effect, getPropertySet(effect, &mut h))? };
        Ok(Props::new(self, h))
    }

    /// The host asked to stop the render.
    pub fn aborted(&self, effect: OfxImageEffectHandle) -> bool {
        // SAFETY: an instance handle the host gave us.
        self.effect.abort.is_some_and(|f| unsafe { f(effect) } != 0)
    }
}
