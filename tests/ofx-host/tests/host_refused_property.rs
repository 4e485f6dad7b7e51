//! A host that refuses to set properties it does not know (status 3, as
//! the official HostSupport library does): a property the effect can work
//! without is skipped and the effect describes and renders; one it cannot
//! work without still fails the action.

mod common;

use common::*;
use ofx_abi::kOfxStatOK;
use retake_ofx_host::{props, Context, Footage, HostConfig, SuiteLevel};

#[test]
fn optional_properties_refused_are_skipped_essential_ones_fail() {
    let config = HostConfig {
        suites: SuiteLevel::Full,
        temporal_access: true,
    };
    for name in [
        "OfxImageEffectPluginPropGrouping",
        "OfxPropVersionLabel",
        "OfxImageEffectPropMultipleClipDepths",
        "OfxImageEffectPluginRenderThreadSafety",
    ] {
        props::refuse(name);
    }
    let p = plugin(MASK, config.clone());
    let d = p
        .describe()
        .expect("describes without the refused properties");
    assert_eq!(
        d.props.string("OfxPropLabel").as_deref(),
        Some("Retake Mask")
    );
    let inst = p.instance(Context::Filter).expect("instance");
    inst.connect(
        "Source",
        Some(Footage::float((0..2).map(|i| scene(i, 48, 32, 3)))),
    );
    let r = inst.render(0.0, 1.0);
    assert_eq!(r.status, kOfxStatOK, "{:?}", inst.messages());

    // Without its supported contexts a host cannot use the effect at all.
    props::refuse("OfxImageEffectPropSupportedContexts");
    let r = plugin(REMOVE, config).describe();
    assert!(r.is_err(), "describe succeeded without its contexts");
}
