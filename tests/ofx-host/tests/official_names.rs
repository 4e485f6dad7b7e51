//! Every property name the plugin reads or writes, and every `Ofx...`
//! string in its source, exists in the official OpenFX headers (those of
//! the openfx-sys crate that ofx-abi is generated from). The Rust host
//! records the names the plugin hands the property suite while all four
//! effects are described, instantiated and rendered in both contexts.

mod common;

use common::*;
use ofx_abi::{
    is_official_value, CLIP_COMPONENTS_PREFIX, CLIP_DEPTH_PREFIX, CLIP_FRAME_RANGE_PREFIX,
    CLIP_ROI_PREFIX,
};
use retake_ofx_host::{props::names_used, Context, Footage, HostConfig, SuiteLevel};

/// A name the standard allows: defined by the headers, or one of the
/// per-clip out-argument prefixes followed by a clip's name.
fn official(name: &str) -> bool {
    is_official_value(name)
        || [
            CLIP_ROI_PREFIX,
            CLIP_FRAME_RANGE_PREFIX,
            CLIP_COMPONENTS_PREFIX,
            CLIP_DEPTH_PREFIX,
        ]
        .iter()
        .any(|p| name.strip_prefix(p).is_some_and(|clip| !clip.is_empty()))
}

#[test]
fn every_property_name_the_plugin_uses_is_in_the_official_headers() {
    let config = HostConfig {
        suites: SuiteLevel::Full,
        temporal_access: true,
    };
    let (w, h) = (48, 32);
    for id in [MASK, REMOVE, RELIGHT, REANGLE] {
        let p = plugin(id, config.clone());
        for context in [Context::Filter, Context::General] {
            p.describe_in_context(context).expect("describe in context");
            let inst = p.instance(context).expect("instance");
            inst.connect(
                "Source",
                Some(Footage::float((0..3).map(|i| scene(i, w, h, 4)))),
            );
            // Whatever the render's outcome, its property traffic counts.
            let _ = inst.render(1.0, 1.0);
        }
    }
    let used = names_used();
    assert!(used.len() > 30, "too few names recorded: {used:?}");
    let unknown: Vec<_> = used.iter().filter(|n| !official(n)).collect();
    assert!(
        unknown.is_empty(),
        "not in the official headers: {unknown:?}"
    );
    // The name the hand-typed table once misspelt, as the headers spell it.
    assert!(used.contains("OfxImageEffectPropMultipleClipDepths"));
    assert!(!used.contains("OfxImageEffectPropSupportsMultipleClipDepths"));
}

#[test]
fn every_ofx_string_in_the_plugin_source_is_official() {
    let dir = checkout().join("ofx-bridge/src");
    let mut checked = 0;
    for entry in std::fs::read_dir(&dir).expect("ofx-bridge/src") {
        let path = entry.expect("entry").path();
        let text = std::fs::read_to_string(&path).expect("read source");
        for (i, _) in text.match_indices("\"Ofx") {
            let rest = &text[i + 1..];
            let end = rest.find('"').unwrap_or(rest.len());
            let name = &rest[..end];
            checked += 1;
            assert!(
                official(name) || name.ends_with('_'),
                "{}: \"{name}\" is not in the official headers",
                path.display()
            );
        }
    }
    // The plugin spells names through ofx_abi's generated constants; a
    // literal would have to pass the check above.
    eprintln!("{checked} literal Ofx names checked");
}
