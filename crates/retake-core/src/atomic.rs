//! Atomic publication of outputs: write under a hidden temporary name in the
//! destination folder, rename on success, delete on failure or drop.

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// A temporary path beside `final_path` that becomes `final_path` only on
/// [`AtomicPath::commit`]. If dropped uncommitted, the temporary is removed.
#[derive(Debug)]
pub struct AtomicPath {
    final_path: PathBuf,
    temp_path: PathBuf,
    committed: bool,
}

impl AtomicPath {
    /// Reserve a temporary name next to `final_path` (same folder, so the
    /// rename is atomic). The parent folder must exist.
    pub fn new(final_path: impl AsRef<Path>) -> Result<Self> {
        let final_path = final_path.as_ref().to_path_buf();
        let parent = match final_path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        if !parent.is_dir() {
            return Err(Error::output(
                &final_path,
                format!(
                    "folder {} does not exist; create it first",
                    parent.display()
                ),
            ));
        }
        let name = final_path
            .file_name()
            .ok_or_else(|| Error::output(&final_path, "output path has no file name"))?
            .to_string_lossy()
            .into_owned();
        // Keep the extension last so format guessing by name still works.
        let temp_name = format!(
            ".{name}.retake-partial-{}.{}",
            std::process::id(),
            ext_of(&name)
        );
        Ok(AtomicPath {
            temp_path: parent.join(temp_name),
            final_path,
            committed: false,
        })
    }

    /// Where to write now.
    pub fn temp(&self) -> &Path {
        &self.temp_path
    }

    /// Where the result will be.
    pub fn final_path(&self) -> &Path {
        &self.final_path
    }

    /// Move the temporary to its final name.
    pub fn commit(mut self) -> Result<()> {
        std::fs::rename(&self.temp_path, &self.final_path).map_err(|e| {
            Error::output(
                &self.final_path,
                format!("could not move finished output into place: {e}"),
            )
        })?;
        self.committed = true;
        Ok(())
    }
}

fn ext_of(name: &str) -> &str {
    name.rsplit_once('.').map_or("tmp", |(_, e)| e)
}

impl Drop for AtomicPath {
    fn drop(&mut self) {
        if !self.committed {
            let _ = std::fs::remove_file(&self.temp_path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commit_moves_and_drop_cleans() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("a.mov");
        let a = AtomicPath::new(&out).unwrap();
        std::fs::write(a.temp(), b"x").unwrap();
        assert!(!out.exists());
        a.commit().unwrap();
        assert_eq!(std::fs::read(&out).unwrap(), b"x");

        let b = AtomicPath::new(dir.path().join("b.mov")).unwrap();
        let temp = b.temp().to_path_buf();
        std::fs::write(&temp, b"y").unwrap();
        drop(b);
        assert!(!temp.exists());
        assert!(!dir.path().join("b.mov").exists());
    }

    #[test]
    fn missing_folder_is_an_output_error() {
        let err = AtomicPath::new("/nonexistent-dir/x.mov").unwrap_err();
        assert!(err.to_string().contains("does not exist"), "{err}");
    }
}
