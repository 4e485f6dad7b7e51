//! A conversion OpenColorIO built, applied to interleaved float pixels.

use std::os::raw::{c_char, c_int, c_long};
use std::path::{Path, PathBuf};
use std::ptr::NonNull;

use rayon::prelude::*;

use crate::config::{message, ERR_LEN};
use crate::error::OcioError;
use crate::ffi;

/// Pixels per parallel chunk: large enough that OpenColorIO's own per-call
/// setup is negligible, small enough to spread a frame over the cores.
const CHUNK_PIXELS: usize = 16 * 1024;

/// OpenColorIO's CPU processor from one space (or display/view) to another.
pub struct Processor {
    raw: NonNull<ffi::RtkOcioProcessor>,
    config: PathBuf,
    from: String,
    to: String,
    noop: bool,
}

// SAFETY: a ConstCPUProcessorRcPtr is immutable; OpenColorIO documents
// `apply` on it as safe from several threads at once.
unsafe impl Send for Processor {}
// SAFETY: as for Send: shared access only calls `apply` and const queries.
unsafe impl Sync for Processor {}

impl Drop for Processor {
    fn drop(&mut self) {
        // SAFETY: `raw` came from the shim and is freed once.
        unsafe { ffi::rtk_ocio_processor_free(self.raw.as_ptr()) }
    }
}

impl std::fmt::Debug for Processor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Processor({} -> {})", self.from, self.to)
    }
}

impl Processor {
    pub(crate) fn build(
        config: &Path,
        from: &str,
        to: &str,
        make: impl FnOnce(&mut *mut ffi::RtkOcioProcessor, &mut [c_char; ERR_LEN]) -> c_int,
    ) -> Result<Processor, OcioError> {
        let mut raw = std::ptr::null_mut();
        let mut err = [0 as c_char; ERR_LEN];
        let rc = make(&mut raw, &mut err);
        let transform_error = |problem: String| OcioError::Transform {
            path: config.to_path_buf(),
            from: from.to_string(),
            to: to.to_string(),
            problem,
        };
        let raw = match (rc, NonNull::new(raw)) {
            (0, Some(raw)) => raw,
            _ => return Err(transform_error(message(&err))),
        };
        // SAFETY: a live processor.
        let noop = unsafe { ffi::rtk_ocio_processor_is_noop(raw.as_ptr()) } != 0;
        Ok(Processor {
            raw,
            config: config.to_path_buf(),
            from: from.to_string(),
            to: to.to_string(),
            noop,
        })
    }

    pub fn from(&self) -> &str {
        &self.from
    }

    pub fn to(&self) -> &str {
        &self.to
    }

    /// True when the conversion changes nothing (e.g. a space to itself):
    /// callers skip it, so values pass bit for bit.
    pub fn is_noop(&self) -> bool {
        self.noop
    }

    /// Converts interleaved pixels of `channels` (3: RGB, 4: RGBA with
    /// alpha kept) in place, in parallel chunks.
    pub fn apply(&self, data: &mut [f32], channels: usize) -> Result<(), OcioError> {
        if self.noop || data.is_empty() {
            return Ok(());
        }
        if !(channels == 3 || channels == 4) || !data.len().is_multiple_of(channels) {
            return Err(OcioError::Transform {
                path: self.config.clone(),
                from: self.from.clone(),
                to: self.to.clone(),
                problem: format!(
                    "{} values are not whole pixels of RGB or RGBA ({channels} channels)",
                    data.len()
                ),
            });
        }
        data.par_chunks_mut(CHUNK_PIXELS * channels)
            .try_for_each(|chunk| self.apply_chunk(chunk, channels))
    }

    fn apply_chunk(&self, chunk: &mut [f32], channels: usize) -> Result<(), OcioError> {
        let mut err = [0 as c_char; ERR_LEN];
        // SAFETY: `chunk` holds whole pixels of `channels` floats, and the
        // processor only reads and writes inside it.
        let rc = unsafe {
            ffi::rtk_ocio_apply(
                self.raw.as_ptr(),
                chunk.as_mut_ptr(),
                (chunk.len() / channels) as c_long,
                channels as c_int,
                err.as_mut_ptr(),
                ERR_LEN,
            )
        };
        if rc == 0 {
            Ok(())
        } else {
            Err(OcioError::Transform {
                path: self.config.clone(),
                from: self.from.clone(),
                to: self.to.clone(),
                problem: message(&err),
            })
        }
    }
}
