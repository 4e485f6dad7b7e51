//! A host that grants no temporal clip access: Remove falls back to
//! spatial-only fill (as the CLI's `--window 0`), fetches no other frame,
//! and says so once.

mod common;

use common::*;
use ofx_abi::kOfxStatOK;
use retake_ofx_host::{Context, Footage, HostConfig, SuiteLevel};

#[test]
fn remove_falls_back_to_spatial_fill_and_says_so_once() {
    let p = plugin(
        REMOVE,
        HostConfig {
            suites: SuiteLevel::Full,
            temporal_access: false,
        },
    );
    let (w, h, n) = (96, 64, 4);
    let frames: Vec<_> = (0..n).map(|i| scene(i, w, h, 3)).collect();
    let masks: Vec<_> = (0..n).map(|i| matte(i, w, h)).collect();
    let inst = p.instance(Context::General).expect("instance");
    inst.connect("Source", Some(Footage::float(frames.clone())));
    inst.connect("Mask", Some(Footage::float(masks.clone())));
    inst.choose("fill", "patchmatch");
    let mut rendered = Vec::new();
    for t in 0..n {
        let r = inst.render(t as f64, 1.0);
        assert_eq!(r.status, kOfxStatOK, "{:?}", inst.messages());
        rendered.push(r.frame.expect("output"));
        assert_eq!(
            inst.take_fetched("Source"),
            [t as f64],
            "only the frame rendered"
        );
    }
    assert!(inst.violations().is_empty(), "{:?}", inst.violations());
    let warnings: Vec<_> = inst
        .messages()
        .into_iter()
        .filter(|m| m.kind == "OfxMessageWarning")
        .collect();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(
        warnings[0].text.contains("no temporal clip access"),
        "{:?}",
        warnings[0]
    );

    let dir = tempfile::tempdir().unwrap();
    let src = write_exr(dir.path(), "src", &frames);
    let mask = write_exr(dir.path(), "mask", &masks);
    let out = dir.path().join("out.####.exr").display().to_string();
    retake(&[
        "remove",
        &src,
        "--mask",
        &mask,
        "-o",
        &out,
        "--codec",
        "exr-float",
        "--window",
        "0",
        "--fill",
        "patchmatch",
    ]);
    for (a, b) in rendered.iter().zip(read_sequence(&out).iter()) {
        let d = max_difference(a, b, 3);
        assert!(
            d < 1e-4,
            "frame {}: spatial-only render differs from `--window 0` by {d}",
            a.index
        );
    }
}
