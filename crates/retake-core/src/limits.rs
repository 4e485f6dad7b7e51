//! The largest picture Retake agrees to decode. A file's header can claim
//! any size (a 74-byte PNG can claim 100000x100000), and decoding it would
//! ask for tens of gigabytes at once and abort the process; so the size a
//! header claims is checked against these limits before any pixel buffer
//! is allocated.

use std::path::Path;

use crate::error::{Error, Result};

/// Default largest side: 32768 pixels (twice 16K).
pub const DEFAULT_MAX_SIDE: u64 = 32_768;

/// Default pixel budget per picture: 16384x16384 (268 megapixels, 4 GiB
/// as float RGBA), far above any camera and below a bomb.
pub const DEFAULT_MAX_PIXELS: u64 = 16_384 * 16_384;

/// Environment variable raising (or lowering) the largest side.
pub const MAX_SIDE_VAR: &str = "RETAKE_MAX_SIDE";

/// Environment variable raising (or lowering) the pixel budget.
pub const MAX_PIXELS_VAR: &str = "RETAKE_MAX_PIXELS";

/// The limits in force: the defaults, or what the environment says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SizeLimits {
    pub max_side: u64,
    pub max_pixels: u64,
}

impl SizeLimits {
    /// The defaults overridden by `RETAKE_MAX_SIDE` / `RETAKE_MAX_PIXELS`;
    /// a value that is not a positive whole number is a parameter error.
    pub fn from_env() -> Result<SizeLimits> {
        Ok(SizeLimits {
            max_side: env_number(MAX_SIDE_VAR)?.unwrap_or(DEFAULT_MAX_SIDE),
            max_pixels: env_number(MAX_PIXELS_VAR)?.unwrap_or(DEFAULT_MAX_PIXELS),
        })
    }

    /// Refuse a `width` x `height` picture from `path` that is empty or
    /// larger than these limits, naming the size the file claims.
    pub fn check(&self, path: &Path, width: u64, height: u64) -> Result<()> {
        if width == 0 || height == 0 {
            return Err(Error::input(
                path,
                format!("claims a picture of {width}x{height} pixels; the file is damaged"),
            ));
        }
        let pixels = width.saturating_mul(height);
        if width > self.max_side || height > self.max_side || pixels > self.max_pixels {
            return Err(Error::input(
                path,
                format!(
                    "claims a picture of {width}x{height} pixels, over the limit of {} per side \
                     and {} pixels; if the file is genuine, raise {MAX_SIDE_VAR} / {MAX_PIXELS_VAR}",
                    self.max_side, self.max_pixels
                ),
            ));
        }
        Ok(())
    }
}

fn env_number(var: &str) -> Result<Option<u64>> {
    let Some(text) = std::env::var_os(var) else {
        return Ok(None);
    };
    let text = text.to_string_lossy();
    match text.trim().parse::<u64>() {
        Ok(n) if n > 0 => Ok(Some(n)),
        _ => Err(Error::parameter(
            var,
            format!("`{text}` is not a positive whole number of pixels"),
        )),
    }
}

/// Check a claimed picture size against the limits in force.
pub fn check_size(path: impl AsRef<Path>, width: u64, height: u64) -> Result<()> {
    SizeLimits::from_env()?.check(path.as_ref(), width, height)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bombs_and_empty_pictures_are_refused_with_their_claimed_size() {
        let l = SizeLimits {
            max_side: DEFAULT_MAX_SIDE,
            max_pixels: DEFAULT_MAX_PIXELS,
        };
        let p = Path::new("bomb.png");
        let err = l.check(p, 100_000, 100_000).unwrap_err().to_string();
        assert!(
            err.contains("bomb.png") && err.contains("100000x100000"),
            "{err}"
        );
        assert!(l.check(p, 40_000, 2).is_err(), "side over the limit");
        assert!(l.check(p, 20_000, 20_000).is_err(), "pixel budget");
        assert!(l.check(p, 0, 10).is_err());
        assert!(l.check(p, 7680, 4320).is_ok());
        assert!(l.check(p, 1, 1).is_ok());
        assert!(l.check(p, 32_768, 16).is_ok());
    }
}
