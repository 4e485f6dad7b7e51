//! Retake's conversions (the system's OpenColorIO 2.1 through the C shim)
//! against OpenColorIO's own processor (the PyPI package, in the venv that
//! scripts/setup.sh makes) on the same pixels, with the ACES CG config that
//! setup writes. Nothing here is skipped: without setup, the tests fail and
//! say so.

use std::path::{Path, PathBuf};
use std::process::Command;

use retake_ocio::{Config, NameKind, OcioError};

const CONFIG_NAME: &str = "cg-config-v1.0.0_aces-v1.3_ocio-v2.1";

fn checkout() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn config_path() -> PathBuf {
    let p = checkout().join(format!(".deps/ocio/{CONFIG_NAME}.ocio"));
    assert!(
        p.is_file(),
        "{} is missing: run `bash scripts/setup.sh` (it writes the ACES config with OpenColorIO)",
        p.display()
    );
    p
}

fn python() -> PathBuf {
    let p = checkout().join(".deps/ocio/venv/bin/python");
    assert!(
        p.is_file(),
        "{} is missing: run `bash scripts/setup.sh` (it makes the OpenColorIO venv)",
        p.display()
    );
    p
}

/// OpenColorIO's (Python) result of `args` (`space FROM TO` or `display
/// FROM DISPLAY VIEW`) on `pixels`.
fn reference(args: &[&str], pixels: &[f32]) -> Vec<f32> {
    let dir = tempfile::tempdir().unwrap();
    let (inp, out) = (dir.path().join("in.f32"), dir.path().join("out.f32"));
    let bytes: Vec<u8> = pixels.iter().flat_map(|v| v.to_le_bytes()).collect();
    std::fs::write(&inp, bytes).unwrap();
    let status = Command::new(python())
        .arg(checkout().join("scripts/ocio_reference.py"))
        .arg(config_path())
        .args([&inp, &out])
        .args(args)
        .status()
        .expect("run the OpenColorIO reference");
    assert!(status.success(), "ocio_reference.py {args:?} failed");
    std::fs::read(&out)
        .unwrap()
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect()
}

/// Every combination of values from -1 to 16 in the three channels: HDR
/// highlights, negatives (out-of-gamut colours), zero and mid grey.
fn test_pixels() -> Vec<f32> {
    let values = [
        -1.0, -0.25, -0.01, 0.0, 1e-4, 0.01, 0.18, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0,
    ];
    let mut v = Vec::new();
    for r in values {
        for g in values {
            for b in values {
                v.extend([r, g, b]);
            }
        }
    }
    v
}

/// Largest difference, absolute up to 1 and relative above (so values
/// that a log curve decodes to 1e12 compare as floats do).
fn max_difference(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len());
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs() / y.abs().max(1.0))
        .fold(0.0, f32::max)
}

fn compare_spaces(from: &str, to: &str) -> f32 {
    let config = Config::open(&config_path()).unwrap();
    let pixels = test_pixels();
    let mut ours = pixels.clone();
    config
        .processor(from, to)
        .unwrap()
        .apply(&mut ours, 3)
        .unwrap();
    let theirs = reference(&["space", from, to], &pixels);
    let d = max_difference(&ours, &theirs);
    eprintln!("{from} -> {to}: max difference from OpenColorIO {d:e}");
    d
}

#[test]
fn acescg_to_linear_rec709_matches_opencolorio() {
    let d = compare_spaces("ACEScg", "Linear Rec.709 (sRGB)");
    assert!(d <= 1e-4, "max difference {d}");
}

#[test]
fn acescg_to_srgb_texture_matches_opencolorio() {
    // The encoded values before quantisation; 16-bit PNG output is checked
    // end to end in retake-cli's colour tests.
    let d = compare_spaces("ACEScg", "sRGB - Texture");
    assert!(d <= 1e-4, "max difference {d}");
}

#[test]
fn acescct_log_to_acescg_matches_opencolorio() {
    let d = compare_spaces("ACEScct", "ACEScg");
    assert!(d <= 1e-4, "max difference {d}");
}

#[test]
fn display_view_matches_opencolorio() {
    let config = Config::open(&config_path()).unwrap();
    let (display, view) = config
        .display_view("sRGB - Display", Some("ACES 1.0 - SDR Video"))
        .unwrap();
    let pixels = test_pixels();
    let mut ours = pixels.clone();
    config
        .display_processor("ACEScg", &display, &view, false)
        .unwrap()
        .apply(&mut ours, 3)
        .unwrap();
    let theirs = reference(&["display", "ACEScg", &display, &view], &pixels);
    let d = max_difference(&ours, &theirs);
    eprintln!("ACEScg -> {display} / {view}: max difference from OpenColorIO {d:e}");
    // Measured: 1.0e-4 (the ACES output transform of OpenColorIO 2.1 and
    // the Python package's 2.6 differ slightly), under 7 codes of 16 bits.
    assert!(d <= 2e-4, "max difference {d}");
}

#[test]
fn alpha_is_kept_and_a_space_to_itself_changes_nothing() {
    let config = Config::open(&config_path()).unwrap();
    let p = config.processor("ACEScg", "sRGB - Texture").unwrap();
    let mut rgba = vec![0.18, 0.5, 2.0, 0.25];
    p.apply(&mut rgba, 4).unwrap();
    assert_eq!(rgba[3], 0.25);
    let same = config.processor("ACEScg", "scene_linear").unwrap();
    assert!(same.is_noop());
    let mut v = test_pixels();
    let before = v.clone();
    same.apply(&mut v, 3).unwrap();
    assert_eq!(v, before);
}

#[test]
fn the_config_lists_roles_displays_and_views() {
    let config = Config::open(&config_path()).unwrap();
    assert_eq!(config.working_space().unwrap(), "ACEScg");
    assert!(config.colour_spaces().iter().any(|s| s == "ACES2065-1"));
    assert!(config
        .roles()
        .contains(&("scene_linear".to_string(), "ACEScg".to_string())));
    assert!(config.displays().iter().any(|d| d == "sRGB - Display"));
    assert!(config
        .views("sRGB - Display")
        .iter()
        .any(|v| v == "ACES 1.0 - SDR Video"));
    assert_eq!(
        config.colour_space("aces_interchange").unwrap(),
        "ACES2065-1"
    );
}

#[test]
fn unknown_names_suggest_the_closest() {
    let config = Config::open(&config_path()).unwrap();
    match config.colour_space("ACEScgg") {
        Err(OcioError::UnknownName {
            kind: NameKind::ColourSpace,
            name,
            suggestions,
            ..
        }) => {
            assert_eq!(name, "ACEScgg");
            assert_eq!(suggestions.first().map(String::as_str), Some("ACEScg"));
        }
        other => panic!(
            "expected an unknown-name error, got {:?}",
            other.map(|_| ())
        ),
    }
    let e = config
        .display_view("sRGB - Display", Some("ACES SDR Video"))
        .unwrap_err();
    let text = e.to_string();
    assert!(text.contains("no view named `ACES SDR Video`"), "{text}");
    assert!(text.contains("ACES 1.0 - SDR Video"), "{text}");
    // As a core error it is a bad parameter (exit 2) naming the flag.
    assert!(
        matches!(e.into_core("view"), retake_core::Error::Parameter { name, .. } if name == "view")
    );
}

#[test]
fn a_broken_config_is_an_error_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("broken.ocio");
    std::fs::write(&bad, "ocio_profile_version: 2\nroles: [this is not yaml\n").unwrap();
    for path in [bad.clone(), dir.path().join("missing.ocio")] {
        let e = Config::open(&path).err().expect("an error");
        assert!(matches!(e, OcioError::Config { .. }));
        assert!(e.to_string().contains(&path.display().to_string()), "{e}");
        assert!(matches!(
            e.into_core("ocio"),
            retake_core::Error::Input { .. }
        ));
    }
}
