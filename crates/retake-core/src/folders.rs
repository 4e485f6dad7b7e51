//! Folders made for an output. Farms expect missing output folders to be
//! created, but a run that fails before writing anything must not leave an
//! empty folder behind as a false sign of work.

use std::path::{Path, PathBuf};

/// The folders [`NewFolders::create`] made; those still empty are removed
/// again when this is dropped, unless [`NewFolders::keep`] was called.
#[derive(Debug)]
pub struct NewFolders {
    /// Deepest first, so each is empty when its turn comes.
    created: Vec<PathBuf>,
    keep: bool,
}

impl NewFolders {
    /// Create `dir` and its missing parents, remembering which were missing.
    pub fn create(dir: &Path) -> std::io::Result<NewFolders> {
        let mut created = Vec::new();
        let mut next = Some(dir);
        while let Some(d) = next.filter(|d| !d.as_os_str().is_empty()) {
            if d.symlink_metadata().is_ok() {
                break;
            }
            created.push(d.to_path_buf());
            next = d.parent();
        }
        // Built first, so a partial failure also cleans up what was made.
        let folders = NewFolders {
            created,
            keep: false,
        };
        std::fs::create_dir_all(dir)?;
        Ok(folders)
    }

    /// True when `create` had to make at least one folder.
    pub fn made_any(&self) -> bool {
        !self.created.is_empty()
    }

    /// The run succeeded: leave the folders in place.
    pub fn keep(mut self) {
        self.keep = true;
    }
}

impl Drop for NewFolders {
    fn drop(&mut self) {
        if self.keep {
            return;
        }
        // remove_dir removes only empty folders: anything written stays.
        for d in &self.created {
            if std::fs::remove_dir(d).is_err() {
                break;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_new_folders_go_and_used_or_kept_ones_stay() {
        let root = tempfile::tempdir().unwrap();
        let deep = root.path().join("a/b/c");
        drop(NewFolders::create(&deep).unwrap());
        assert!(!root.path().join("a").exists(), "empty folders removed");

        let f = NewFolders::create(&deep).unwrap();
        std::fs::write(deep.join("frame.exr"), b"x").unwrap();
        drop(f);
        assert!(
            deep.join("frame.exr").is_file(),
            "a folder with output stays"
        );

        let other = root.path().join("x/y");
        NewFolders::create(&other).unwrap().keep();
        assert!(other.is_dir());

        // A folder that was there before is never removed.
        let existing = root.path().join("x");
        drop(NewFolders::create(&existing).unwrap());
        assert!(existing.is_dir());
    }
}
