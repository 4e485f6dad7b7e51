//! An OpenColorIO config: its names (spaces, roles, displays, views) and
//! the processors between them.

use std::ffi::{CStr, CString};
use std::os::raw::{c_char, c_int};
use std::path::{Path, PathBuf};
use std::ptr::NonNull;

use sha2::{Digest, Sha256};

use crate::error::{NameKind, OcioError};
use crate::ffi;
use crate::processor::Processor;
use crate::suggest::closest;

/// Room for OpenColorIO's messages (they can quote long paths).
pub(crate) const ERR_LEN: usize = 2048;

/// Suggestions in an unknown-name error.
const SUGGESTIONS: usize = 3;

/// A config opened with the system's OpenColorIO, with its file's sha256 for
/// provenance.
pub struct Config {
    raw: NonNull<ffi::RtkOcioConfig>,
    path: PathBuf,
    sha256: String,
}

// SAFETY: a ConstConfigRcPtr is immutable, and OpenColorIO documents its
// const config queries and processor creation as thread-safe.
unsafe impl Send for Config {}
// SAFETY: as for Send: shared access only calls OpenColorIO's const queries.
unsafe impl Sync for Config {}

impl Drop for Config {
    fn drop(&mut self) {
        // SAFETY: `raw` came from rtk_ocio_config_open and is freed once.
        unsafe { ffi::rtk_ocio_config_free(self.raw.as_ptr()) }
    }
}

pub(crate) fn c_string(s: &str, path: &Path) -> Result<CString, OcioError> {
    CString::new(s).map_err(|_| OcioError::Config {
        path: path.to_path_buf(),
        problem: format!("the name `{}` contains a NUL byte", s.escape_debug()),
    })
}

pub(crate) fn message(err: &[c_char]) -> String {
    // SAFETY: the shim always NUL-terminates inside the buffer.
    unsafe { CStr::from_ptr(err.as_ptr()) }
        .to_string_lossy()
        .into_owned()
}

/// Copies a name the config owns.
fn owned(p: *const c_char) -> Option<String> {
    // SAFETY: names from the shim are NUL-terminated and live as long as the
    // config, which outlives this call.
    (!p.is_null()).then(|| unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned())
}

/// The version of the OpenColorIO library linked in.
pub fn library_version() -> String {
    // SAFETY: a static string from OpenColorIO.
    owned(unsafe { ffi::rtk_ocio_version() }).unwrap_or_default()
}

/// OpenColorIO's messages, at info level (`retake -v` shows them): the
/// validation warnings of widely used configs are noise to most users.
extern "C" fn forward_log(msg: *const c_char) {
    let _ = std::panic::catch_unwind(|| {
        if let Some(m) = owned(msg) {
            log::info!("OpenColorIO: {}", m.trim_end());
        }
    });
}

static LOGGER: std::sync::Once = std::sync::Once::new();

impl Config {
    /// Reads and validates the config at `path`.
    pub fn open(path: &Path) -> Result<Config, OcioError> {
        // SAFETY: `forward_log` is a plain function that never unwinds.
        LOGGER.call_once(|| unsafe { ffi::rtk_ocio_set_logger(forward_log) });
        let bytes = std::fs::read(path).map_err(|e| OcioError::Config {
            path: path.to_path_buf(),
            problem: e.to_string(),
        })?;
        let c_path = c_string(&path.to_string_lossy(), path)?;
        let mut raw = std::ptr::null_mut();
        let mut err = [0 as c_char; ERR_LEN];
        // SAFETY: valid C strings and out-pointers; the shim catches every
        // exception.
        let rc = unsafe {
            ffi::rtk_ocio_config_open(c_path.as_ptr(), &mut raw, err.as_mut_ptr(), ERR_LEN)
        };
        let raw = match (rc, NonNull::new(raw)) {
            (0, Some(raw)) => raw,
            _ => {
                return Err(OcioError::Config {
                    path: path.to_path_buf(),
                    problem: message(&err),
                })
            }
        };
        Ok(Config {
            raw,
            path: path.to_path_buf(),
            sha256: format!("{:x}", Sha256::digest(&bytes)),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// sha256 of the config file (not of LUT files it may reference).
    pub fn sha256(&self) -> &str {
        &self.sha256
    }

    fn list(&self, which: c_int) -> Vec<String> {
        // SAFETY: `raw` is a live config; indices stay below the count.
        let n = unsafe { ffi::rtk_ocio_count(self.raw.as_ptr(), which) };
        (0..n)
            .filter_map(|i| {
                // SAFETY: as above; the index is below the count just read.
                owned(unsafe { ffi::rtk_ocio_name(self.raw.as_ptr(), which, i) })
            })
            .collect()
    }

    /// The active colour spaces, in the config's order.
    pub fn colour_spaces(&self) -> Vec<String> {
        self.list(ffi::ACTIVE_SPACES)
    }

    /// Every role with the colour space it names.
    pub fn roles(&self) -> Vec<(String, String)> {
        self.list(ffi::ROLES)
            .into_iter()
            .map(|role| {
                let space = self.space_of(&role).unwrap_or_default();
                (role, space)
            })
            .collect()
    }

    /// The active displays.
    pub fn displays(&self) -> Vec<String> {
        self.list(ffi::DISPLAYS)
    }

    /// The views of `display`.
    pub fn views(&self, display: &str) -> Vec<String> {
        let Ok(d) = c_string(display, &self.path) else {
            return Vec::new();
        };
        // SAFETY: live config, valid C string.
        let n = unsafe { ffi::rtk_ocio_view_count(self.raw.as_ptr(), d.as_ptr()) };
        (0..n)
            .filter_map(|i| {
                // SAFETY: live config, valid C string, index below the count.
                owned(unsafe { ffi::rtk_ocio_view_name(self.raw.as_ptr(), d.as_ptr(), i) })
            })
            .collect()
    }

    /// The colour space a name, alias or role refers to.
    fn space_of(&self, name: &str) -> Option<String> {
        let n = c_string(name, &self.path).ok()?;
        // SAFETY: live config, valid C string.
        owned(unsafe { ffi::rtk_ocio_space_of(self.raw.as_ptr(), n.as_ptr()) })
    }

    fn unknown(&self, kind: NameKind, name: &str, candidates: &[String]) -> OcioError {
        OcioError::UnknownName {
            path: self.path.clone(),
            kind,
            name: name.to_string(),
            suggestions: closest(name, candidates, SUGGESTIONS),
        }
    }

    /// The colour space `name` (a space, an alias or a role) stands for.
    pub fn colour_space(&self, name: &str) -> Result<String, OcioError> {
        self.space_of(name).ok_or_else(|| {
            let mut candidates = self.list(ffi::ALL_SPACES);
            candidates.extend(self.list(ffi::ROLES));
            self.unknown(NameKind::ColourSpace, name, &candidates)
        })
    }

    /// The first of `names` the config has, as its colour space.
    pub fn first_space_of(&self, names: &[&str]) -> Option<String> {
        names.iter().find_map(|n| self.space_of(n))
    }

    /// Retake's working space: the config's `scene_linear` role.
    pub fn working_space(&self) -> Result<String, OcioError> {
        self.space_of("scene_linear")
            .ok_or_else(|| OcioError::Config {
                path: self.path.clone(),
                problem: "it has no `scene_linear` role, which Retake works in; \
                      add `scene_linear: <a linear space>` to its roles"
                    .into(),
            })
    }

    /// `display` checked, with `view` checked against it (or its default
    /// view when `None`).
    pub fn display_view(
        &self,
        display: &str,
        view: Option<&str>,
    ) -> Result<(String, String), OcioError> {
        let displays = self.displays();
        if !displays.iter().any(|d| d == display) {
            return Err(self.unknown(NameKind::Display, display, &displays));
        }
        let views = self.views(display);
        let view = match view {
            Some(v) if views.iter().any(|x| x == v) => v.to_string(),
            Some(v) => return Err(self.unknown(NameKind::View, v, &views)),
            None => {
                let d = c_string(display, &self.path)?;
                // SAFETY: live config, valid C string.
                owned(unsafe { ffi::rtk_ocio_default_view(self.raw.as_ptr(), d.as_ptr()) })
                    .or_else(|| views.first().cloned())
                    .ok_or_else(|| self.unknown(NameKind::View, "", &views))?
            }
        };
        Ok((display.to_string(), view))
    }

    /// Colour space `from` to colour space `to` (names, aliases or roles).
    pub fn processor(&self, from: &str, to: &str) -> Result<Processor, OcioError> {
        let (src, dst) = (self.colour_space(from)?, self.colour_space(to)?);
        let (s, d) = (c_string(&src, &self.path)?, c_string(&dst, &self.path)?);
        Processor::build(&self.path, &src, &dst, |out, err| {
            // SAFETY: live config, valid C strings, out-pointers from build.
            unsafe {
                ffi::rtk_ocio_processor_spaces(
                    self.raw.as_ptr(),
                    s.as_ptr(),
                    d.as_ptr(),
                    out,
                    err.as_mut_ptr(),
                    ERR_LEN,
                )
            }
        })
    }

    /// Colour space `from` through `display`/`view` (checked with
    /// [`Config::display_view`] first), or back when `inverse`.
    pub fn display_processor(
        &self,
        from: &str,
        display: &str,
        view: &str,
        inverse: bool,
    ) -> Result<Processor, OcioError> {
        let src = self.colour_space(from)?;
        let target = format!("{display} / {view}");
        let (s, d, v) = (
            c_string(&src, &self.path)?,
            c_string(display, &self.path)?,
            c_string(view, &self.path)?,
        );
        let (from, to) = if inverse {
            (target.as_str(), src.as_str())
        } else {
            (src.as_str(), target.as_str())
        };
        Processor::build(&self.path, from, to, |out, err| {
            // SAFETY: live config, valid C strings, out-pointers from build.
            unsafe {
                ffi::rtk_ocio_processor_display(
                    self.raw.as_ptr(),
                    s.as_ptr(),
                    d.as_ptr(),
                    v.as_ptr(),
                    inverse as c_int,
                    out,
                    err.as_mut_ptr(),
                    ERR_LEN,
                )
            }
        })
    }
}
