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
        let final_path = replaceable_target(final_path.as_ref())?;
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
        Ok(AtomicPath {
            temp_path: parent.join(temp_name(&name, std::process::id())),
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

/// Between the output's name and the writing process's id in a temporary's
/// name: the id is what tells a live run's temporary from a killed one's.
const PARTIAL_MARK: &str = ".retake-partial-";

/// The output file name and the writing process of a hidden temporary's
/// file name; `None` for any other file. The inverse of [`temp_name`]; a
/// temporary whose output name was too long to keep whole (cut and hashed)
/// is not recognised, so it is left alone rather than guessed at.
pub fn temp_owner(file_name: &str) -> Option<(&str, u32)> {
    let rest = file_name.strip_prefix('.')?;
    let (name, tail) = rest.rsplit_once(PARTIAL_MARK)?;
    let (pid, ext) = tail.split_once('.')?;
    let pid: u32 = pid.parse().ok()?;
    (ext == ext_of(name) && temp_name(name, pid) == file_name).then_some((name, pid))
}

/// True unless the process is known to be gone. Without /proc nothing is
/// known, and a temporary that might be live is never touched.
fn process_may_live(pid: u32) -> bool {
    let proc_fs = Path::new("/proc");
    !proc_fs.join("self").exists() || proc_fs.join(pid.to_string()).exists()
}

/// Remove the hidden temporaries in `dir` that killed runs left behind: those
/// whose output name `ours` accepts and whose writing process is gone (a
/// live run's temporary is never touched). Returns what was removed.
///
/// `ours` must accept only names no other live run can be writing on
/// another machine (where its process id means nothing): the output file
/// itself, or the frames of this run's own range.
pub fn remove_stale_temporaries(dir: &Path, ours: impl Fn(&str) -> bool) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let me = std::process::id();
    entries
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let file_name = e.file_name();
            let (name, pid) = temp_owner(file_name.to_str()?)?;
            (pid != me && ours(name) && !process_may_live(pid)).then(|| e.path())
        })
        .filter(|path| std::fs::remove_file(path).is_ok())
        .collect()
}

/// Longest file name Linux file systems take, in bytes.
const NAME_MAX: usize = 255;

/// The hidden temporary name for `name`: `.NAME.retake-partial-PID.EXT`
/// (the extension last, so format guessing by name still works).
fn temp_name(name: &str, pid: u32) -> String {
    let ext = Some(ext_of(name))
        .filter(|e| e.len() <= 16)
        .unwrap_or("tmp");
    name_within_limit(".", name, &format!("{PARTIAL_MARK}{pid}.{ext}"))
}

/// `prefix + name + suffix` (a temporary, a sidecar such as provenance)
/// when that fits a file name; otherwise `name` is cut and a hash of the
/// whole of it added, so every legal output name has its companions and
/// two long names never share one.
pub fn name_within_limit(prefix: &str, name: &str, suffix: &str) -> String {
    let full = format!("{prefix}{name}{suffix}");
    if full.len() <= NAME_MAX {
        return full;
    }
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(name.as_bytes());
    let hash: String = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
    let room = NAME_MAX.saturating_sub(prefix.len() + 1 + hash.len() + suffix.len());
    let mut cut = room.min(name.len());
    while !name.is_char_boundary(cut) {
        cut -= 1;
    }
    format!("{prefix}{}~{hash}{suffix}", &name[..cut])
}

/// The file an output really replaces: a symbolic link is followed, so
/// `-y` on a link rewrites the file it points to and keeps the link; a
/// device, folder, pipe or socket is refused, never replaced by a file.
fn replaceable_target(path: &Path) -> Result<PathBuf> {
    let mut target = path.to_path_buf();
    for _ in 0..40 {
        let Ok(meta) = target.symlink_metadata() else {
            return Ok(target);
        };
        if meta.file_type().is_symlink() {
            let link = std::fs::read_link(&target)
                .map_err(|e| Error::output(path, format!("cannot read the symbolic link: {e}")))?;
            target = match target.parent() {
                Some(dir) => dir.join(link),
                None => link,
            };
            continue;
        }
        if !meta.is_file() {
            return Err(Error::output(
                path,
                format!(
                    "{} is not a regular file (a folder, device, pipe or socket); \
                     Retake only replaces regular files, so choose another output name",
                    target.display()
                ),
            ));
        }
        return Ok(target);
    }
    Err(Error::output(
        path,
        "too many levels of symbolic links; point the output at a real file",
    ))
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
    fn any_legal_name_has_a_legal_temporary() {
        let dir = tempfile::tempdir().unwrap();
        for name in [
            "a".repeat(251) + ".mov",
            "é".repeat(120) + ".exr",
            "x.".to_string() + &"e".repeat(250),
        ] {
            assert!(name.len() <= NAME_MAX);
            let out = dir.path().join(&name);
            let a = AtomicPath::new(&out).unwrap();
            let temp = a.temp().file_name().unwrap().len();
            assert!(temp <= NAME_MAX, "{temp} bytes");
            std::fs::write(a.temp(), b"z").unwrap();
            a.commit().unwrap();
            assert_eq!(std::fs::read(&out).unwrap(), b"z");
        }
        // Two long names sharing their start get different temporaries.
        let (p, q) = ("b".repeat(250) + "1.mov", "b".repeat(250) + "2.mov");
        assert_ne!(temp_name(&p, 1), temp_name(&q, 1));
    }

    #[test]
    fn links_are_written_through_and_devices_refused() {
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().join("real.mov");
        std::fs::write(&real, b"old").unwrap();
        let link = dir.path().join("link.mov");
        std::os::unix::fs::symlink("real.mov", &link).unwrap();
        let a = AtomicPath::new(&link).unwrap();
        std::fs::write(a.temp(), b"new").unwrap();
        a.commit().unwrap();
        assert!(link.symlink_metadata().unwrap().file_type().is_symlink());
        assert_eq!(std::fs::read(&real).unwrap(), b"new");

        let err = AtomicPath::new("/dev/null").unwrap_err().to_string();
        assert!(err.contains("not a regular file"), "{err}");
        let err = AtomicPath::new(dir.path()).unwrap_err().to_string();
        assert!(err.contains("not a regular file"), "{err}");
    }

    #[test]
    fn temporary_names_tell_their_output_and_process() {
        let name = temp_name("shot.1001.exr", 4242);
        assert_eq!(temp_owner(&name), Some(("shot.1001.exr", 4242)));
        assert_eq!(temp_owner("shot.1001.exr"), None);
        assert_eq!(temp_owner(".shot.exr.retake-partial-x.exr"), None);
    }

    #[test]
    fn only_dead_processes_temporaries_of_this_output_are_removed() {
        let dir = tempfile::tempdir().unwrap();
        // No process has a pid above the kernel's pid_max (at most 2^22).
        let dead = 4_194_305;
        let stale = dir.path().join(temp_name("a.mov", dead));
        let other_output = dir.path().join(temp_name("b.mov", dead));
        let live = dir.path().join(temp_name("a.mov", 1));
        for p in [&stale, &other_output, &live] {
            std::fs::write(p, b"x").unwrap();
        }
        let removed = remove_stale_temporaries(dir.path(), |n| n == "a.mov");
        assert_eq!(removed, vec![stale.clone()]);
        assert!(!stale.exists() && other_output.exists() && live.exists());
    }

    #[test]
    fn missing_folder_is_an_output_error() {
        let err = AtomicPath::new("/nonexistent-dir/x.mov").unwrap_err();
        assert!(err.to_string().contains("does not exist"), "{err}");
    }
}
