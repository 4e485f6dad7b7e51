//! Per-frame tracking state kept on disk between the forward and the
//! backward pass over a stretch of the shot, so memory does not grow with
//! the distance between keyframes. Each frame costs its working picture
//! (3 bytes a pixel) and one mask (2 bytes a pixel) at the working size
//! (at most 640 px across): under 1.2 MB. The folder is temporary
//! (`$TMPDIR`) and removed when the tracker is dropped, also on errors.

use std::path::PathBuf;

use retake_core::error::{Error, Result};

use super::snap::Work;

pub struct Store {
    dir: tempfile::TempDir,
    width: usize,
    height: usize,
}

impl Store {
    pub fn new(width: usize, height: usize) -> Result<Store> {
        let dir = tempfile::Builder::new()
            .prefix("retake-track-")
            .tempdir()
            .map_err(|e| {
                Error::output(
                    std::env::temp_dir(),
                    format!(
                        "cannot make a folder for the tracker's frames: {e}; \
                         set TMPDIR to a writable folder with space"
                    ),
                )
            })?;
        Ok(Store { dir, width, height })
    }

    fn path(&self, frame: i64, kind: &str) -> PathBuf {
        self.dir.path().join(format!("{frame}.{kind}"))
    }

    fn write(&self, frame: i64, kind: &str, bytes: &[u8]) -> Result<()> {
        let path = self.path(frame, kind);
        std::fs::write(&path, bytes).map_err(|e| {
            Error::output(
                &path,
                format!("cannot keep tracking state: {e}; set TMPDIR to a folder with space"),
            )
        })
    }

    fn read(&self, frame: i64, kind: &str, len: usize) -> Result<Vec<u8>> {
        let path = self.path(frame, kind);
        let bytes = std::fs::read(&path).map_err(|e| {
            Error::Internal(format!("tracking state {} unreadable: {e}", path.display()))
        })?;
        if bytes.len() != len {
            return Err(Error::Internal(format!(
                "tracking state {} has {} bytes, expected {len}",
                path.display(),
                bytes.len()
            )));
        }
        Ok(bytes)
    }

    pub fn put_work(&self, frame: i64, work: &Work) -> Result<()> {
        self.write(frame, "rgb", &work.rgb)
    }

    pub fn work(&self, frame: i64) -> Result<Work> {
        let rgb = self.read(frame, "rgb", self.width * self.height * 3)?;
        Ok(Work::from_bytes(self.width, self.height, rgb))
    }

    /// A mask, quantised to 16 bits.
    pub fn put_mask(&self, frame: i64, mask: &[f32]) -> Result<()> {
        let bytes: Vec<u8> = mask
            .iter()
            .flat_map(|m| ((m.clamp(0.0, 1.0) * 65535.0).round() as u16).to_le_bytes())
            .collect();
        self.write(frame, "mask", &bytes)
    }

    pub fn mask(&self, frame: i64) -> Result<Vec<f32>> {
        let bytes = self.read(frame, "mask", self.width * self.height * 2)?;
        Ok(bytes
            .chunks_exact(2)
            .map(|b| u16::from_le_bytes([b[0], b[1]]) as f32 / 65535.0)
            .collect())
    }

    /// Forget every frame (a new stretch of the shot begins).
    pub fn clear(&self) -> Result<()> {
        let entries = std::fs::read_dir(self.dir.path())
            .map_err(|e| Error::Internal(format!("tracking state folder: {e}")))?;
        for entry in entries.flatten() {
            let _ = std::fs::remove_file(entry.path());
        }
        Ok(())
    }
}
