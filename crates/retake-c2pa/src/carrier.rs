//! Where a file's manifest lives: inside it, where the C2PA SDK can embed
//! into the format, or in a `.c2pa` sidecar beside it otherwise.

use std::path::{Path, PathBuf};

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Carrier {
    /// Inside the file (MOV/MP4 as a BMFF box, PNG chunk, TIFF tag).
    Embedded { mime: &'static str },
    /// In `NAME.c2pa` beside the file, bound to the file's bytes by a
    /// whole-file data hash (EXR, Matroska: formats the SDK cannot embed into).
    Sidecar { mime: &'static str, path: PathBuf },
}

impl Carrier {
    /// How `file` carries its manifest, by its extension; `None` for a
    /// format Retake does not write.
    pub fn of(file: &Path) -> Option<Carrier> {
        let ext = file
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase)?;
        let embedded = |mime| Some(Carrier::Embedded { mime });
        let sidecar = |mime| {
            Some(Carrier::Sidecar {
                mime,
                path: sidecar_path(file),
            })
        };
        match ext.as_str() {
            "mov" => embedded("video/quicktime"),
            "mp4" | "m4v" => embedded("video/mp4"),
            "png" => embedded("image/png"),
            "tif" | "tiff" => embedded("image/tiff"),
            "exr" => sidecar("image/x-exr"),
            "mkv" => sidecar("video/x-matroska"),
            _ => None,
        }
    }

    pub fn mime(&self) -> &'static str {
        match self {
            Carrier::Embedded { mime } | Carrier::Sidecar { mime, .. } => mime,
        }
    }

    /// In words, for `provenance show`.
    pub fn describe(&self) -> String {
        match self {
            Carrier::Embedded { .. } => "embedded in the file".into(),
            Carrier::Sidecar { path, .. } => format!("sidecar {}", path.display()),
        }
    }
}

/// The sidecar's name as C2PA readers look for it: the file's name with
/// its extension replaced by `.c2pa` (`shot.1001.exr` -> `shot.1001.c2pa`).
pub fn sidecar_path(file: &Path) -> PathBuf {
    file.with_extension("c2pa")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_the_sdk_embeds_into_are_embedded_others_get_sidecars() {
        for name in ["a.mov", "a.MP4", "a.png", "a.0001.tif", "a.tiff"] {
            assert!(
                matches!(Carrier::of(Path::new(name)), Some(Carrier::Embedded { .. })),
                "{name}"
            );
        }
        assert_eq!(
            Carrier::of(Path::new("dir/shot.1001.exr")),
            Some(Carrier::Sidecar {
                mime: "image/x-exr",
                path: PathBuf::from("dir/shot.1001.c2pa")
            })
        );
        assert!(matches!(
            Carrier::of(Path::new("a.mkv")),
            Some(Carrier::Sidecar { .. })
        ));
        assert_eq!(Carrier::of(Path::new("a.txt")), None);
        assert_eq!(Carrier::of(Path::new("noext")), None);
    }
}
