//! A host's abort honoured inside a frame, not only between frame fetches:
//! Remove's render asks between its long steps (a flow per neighbour,
//! anchor fills), so pressing Escape in a viewer stops a slow frame. Its
//! own process, since the host's abort switch is global.

mod common;

use common::*;
use ofx_abi::{kOfxStatFailed, kOfxStatOK};
use retake_ofx_host::host::{abort_calls, abort_from_call};
use retake_ofx_host::{Context, Footage, HostConfig, SuiteLevel};

const W: usize = 96;
const H: usize = 64;
const N: i64 = 9;

fn remove_instance(p: &retake_ofx_host::Plugin) -> retake_ofx_host::Instance<'_> {
    let inst = p.instance(Context::General).expect("instance");
    inst.connect(
        "Source",
        Some(Footage::float(
            (0..N).map(|i| scene(i, W, H, 3)).collect::<Vec<_>>(),
        )),
    );
    inst.connect(
        "Mask",
        Some(Footage::float(
            (0..N).map(|i| matte(i, W, H)).collect::<Vec<_>>(),
        )),
    );
    inst.set("window", &[3.0]);
    inst.choose("fill", "patchmatch");
    inst
}

#[test]
fn abort_is_asked_inside_a_frame_and_stops_it() {
    let p = plugin(
        REMOVE,
        HostConfig {
            suites: SuiteLevel::Full,
            temporal_access: true,
        },
    );
    // A whole render of frame 4, never aborted: how often it asks.
    let a = remove_instance(&p);
    let before = abort_calls();
    let whole = a.render(4.0, 1.0);
    assert_eq!(whole.status, kOfxStatOK, "{:?}", a.messages());
    let asked = abort_calls() - before;
    // Between-frame checks: one per fetched frame and one per analysis
    // (7 frames of a window of 3 each side); the rest are inside the render.
    assert!(asked > 2 * 7, "abort asked only {asked} times");

    // The same render on a fresh instance, abort answered yes only at its
    // very last question, which comes from inside the frame's render.
    let b = remove_instance(&p);
    abort_from_call(Some(abort_calls() + asked - 1));
    let stopped = b.render(4.0, 1.0);
    abort_from_call(None);
    assert_eq!(stopped.status, kOfxStatFailed);
    assert!(
        b.messages().iter().any(|m| m.text.contains("aborted")),
        "{:?}",
        b.messages()
    );
    // Nothing half-done was kept: the next render is the whole one.
    let again = b.render(4.0, 1.0);
    assert_eq!(again.status, kOfxStatOK, "{:?}", b.messages());
    let d = max_difference(
        &whole.frame.expect("output"),
        &again.frame.expect("output"),
        3,
    );
    assert_eq!(d, 0.0);
}
