//! A small host: only version 1 of the property, image effect, parameter
//! and message suites; no memory, multi-thread, progress or message v2.
//! The plugin must load, render, and still say what is wrong.

mod common;

use common::*;
use ofx_abi::{kOfxStatFailed, kOfxStatOK};
use retake_ofx_host::{Context, Footage, HostConfig, SuiteLevel};

#[test]
fn loads_renders_and_reports_with_only_version_1_suites() {
    let config = HostConfig {
        suites: SuiteLevel::Version1Only,
        temporal_access: true,
    };
    let relight = plugin(RELIGHT, config.clone());
    let remove = plugin(REMOVE, config);
    let fetched = retake_ofx_host::fetched_suites();
    assert!(
        fetched
            .iter()
            .all(|(name, version, granted)| *version == 1 || !granted && name == "OfxMessageSuite"),
        "only version-1 suites were granted: {fetched:?}"
    );
    assert!(
        fetched
            .iter()
            .any(|(n, v, g)| n == "OfxMessageSuite" && *v == 2 && !g),
        "it asked for message v2 and took no for an answer"
    );

    let (w, h) = (64, 48);
    let frames: Vec<_> = (0..4).map(|i| scene(i, w, h, 4)).collect();
    let inst = relight.instance(Context::Filter).expect("instance");
    inst.connect("Source", Some(Footage::float(frames.clone())));
    for (t, source) in frames.iter().enumerate() {
        let r = inst.render(t as f64, 1.0);
        assert_eq!(r.status, kOfxStatOK, "{:?}", inst.messages());
        assert!(max_difference(r.frame.as_ref().unwrap(), source, 3) > 0.01);
    }
    assert!(inst.violations().is_empty(), "{:?}", inst.violations());

    // An error goes through message v1, once per problem, not per frame.
    let inst = remove.instance(Context::General).expect("instance");
    inst.connect("Source", Some(Footage::float(frames)));
    for t in 0..3 {
        assert_eq!(inst.render(t as f64, 1.0).status, kOfxStatFailed);
    }
    let errors: Vec<_> = inst
        .messages()
        .into_iter()
        .filter(|m| m.kind == "OfxMessageError")
        .collect();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(
        !errors[0].persistent && errors[0].text.contains("connect the Mask input"),
        "{errors:?}"
    );
}
