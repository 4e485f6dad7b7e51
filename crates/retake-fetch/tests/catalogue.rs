//! The model catalogue in the repository's `models/`: every manifest parses,
//! and every learned model users fetch pins an official URL, a size and a
//! sha256, so `retake models fetch` can never install unverified bytes.

use std::path::PathBuf;

use retake_fetch::source_url;
use retake_model::{Manifest, Role};

fn models_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../models")
}

fn all_manifests() -> Vec<Manifest> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(models_dir())
        .expect("models/ folder")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    paths.sort();
    paths
        .iter()
        .map(|p| Manifest::load(p).unwrap_or_else(|e| panic!("{e}")))
        .collect()
}

fn is_lower_hex_64(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// The learned models the catalogue promises, with the role each fills.
const FETCHABLE: &[(&str, Role)] = &[
    ("migan", Role::Inpaint),
    ("lama", Role::Inpaint),
    ("depth-anything-v2-small", Role::Depth),
    ("midas-v2.1-small", Role::Depth),
];

#[test]
fn every_manifest_parses() {
    let all = all_manifests();
    assert!(!all.is_empty());
    let mut names: Vec<&str> = all.iter().map(|m| m.name.as_str()).collect();
    names.sort();
    let before = names.len();
    names.dedup();
    assert_eq!(before, names.len(), "model names must be unique: {names:?}");
}

#[test]
fn learned_models_pin_url_size_and_sha256() {
    let all = all_manifests();
    for (name, role) in FETCHABLE {
        let m = all
            .iter()
            .find(|m| m.name == *name)
            .unwrap_or_else(|| panic!("models/ has no manifest named {name}"));
        assert_eq!(m.role, *role, "{name}");
        assert!(!m.fixture, "{name} must be a real model, not a fixture");
        let fetch = m
            .fetch
            .as_ref()
            .unwrap_or_else(|| panic!("{name} has no [fetch]"));
        assert!(fetch.url.starts_with("https://"), "{name}: {}", fetch.url);
        assert!(fetch.size.is_some_and(|s| s > 0), "{name}: [fetch] size");
        assert_eq!(source_url(m, None).unwrap(), fetch.url);
    }
    // Whatever else is in the catalogue: a real model with a [fetch] section
    // pins a real digest (lower-case, not a placeholder) and a size.
    for m in all.iter().filter(|m| !m.fixture) {
        assert!(
            is_lower_hex_64(&m.sha256),
            "{}: sha256 {}",
            m.name,
            m.sha256
        );
        assert_ne!(m.sha256, "0".repeat(64), "{}: placeholder sha256", m.name);
        assert!(
            !m.training_data.trim().is_empty(),
            "{}: training_data",
            m.name
        );
        assert!(!m.licence.trim().is_empty(), "{}: licence", m.name);
        if let Some(f) = &m.fetch {
            assert!(f.url.starts_with("https://"), "{}: {}", m.name, f.url);
            assert!(f.size.is_some(), "{}: [fetch] size", m.name);
        }
    }
}

#[test]
fn bundled_subject_model_is_not_fetched() {
    let all = all_manifests();
    let m = all
        .iter()
        .find(|m| m.name == "u2netp")
        .expect("u2netp manifest");
    assert_eq!(m.role, Role::Mask);
    assert_eq!(m.file, "u2netp.onnx");
    assert_eq!(
        m.sha256,
        "309c8469258dda742793dce0ebea8e6dd393174f89934733ecc8b14c76f4ddd8"
    );
    assert!(
        m.fetch.is_none(),
        "the setup script extracts u2netp from its wheel"
    );
    assert_eq!(m.inputs[0].name, "input.1");
    assert_eq!(m.outputs[0].name, "1959");
    assert_eq!(m.size.fixed, Some([320, 320]));
}
