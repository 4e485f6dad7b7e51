//! Retake Reangle in a full host (every suite, temporal access): its
//! parameters and frames needed, the identity camera, and camera moves
//! (keyframed, named over the shot, with a matte) rendered equal to
//! `retake reangle` on the same frames and parameters.

mod common;

use common::*;
use ofx_abi::kOfxStatOK;
use retake_ofx_host::{Context, Footage, HostConfig, Instance, SuiteLevel};

const W: usize = 96;
const H: usize = 64;

fn config() -> HostConfig {
    HostConfig {
        suites: SuiteLevel::Full,
        temporal_access: true,
    }
}

fn shot(n: i64) -> Vec<retake_core::Frame> {
    (0..n).map(|i| scene(i, W, H, 3)).collect()
}

fn render_all(inst: &Instance, n: i64) -> Vec<retake_core::Frame> {
    (0..n)
        .map(|t| {
            let r = inst.render(t as f64, 1.0);
            assert_eq!(r.status, kOfxStatOK, "render {t}: {:?}", inst.messages());
            r.frame.expect("output")
        })
        .collect()
}

/// Largest difference between each plugin frame and the CLI's.
fn compare_with_cli(rendered: &[retake_core::Frame], out: &str, what: &str) -> f32 {
    let cli = read_sequence(out);
    assert_eq!(cli.len(), rendered.len());
    let mut worst = 0.0f32;
    for (a, b) in rendered.iter().zip(&cli) {
        let d = max_difference(a, b, 3);
        eprintln!("{what}: frame {} differs from the CLI by {d}", a.index);
        assert!(
            d < 1e-4,
            "{what}: frame {}: plugin and CLI differ by {d}",
            a.index
        );
        worst = worst.max(d);
    }
    worst
}

#[test]
fn parameters_and_frames_needed() {
    let p = plugin(REANGLE, config());
    let d = p.describe_in_context(Context::General).expect("general");
    assert_eq!(d.clip_names(), ["Source", "Output", "Mask", "Depth"]);
    {
        let params = retake_ofx_host::suites::lock(&d.params.params);
        let animates = |name: &str| {
            params
                .iter()
                .find(|p| p.name == name)
                .and_then(|p| p.props.int("OfxParamPropAnimates"))
        };
        assert_eq!(animates("yaw"), Some(1));
        assert_eq!(animates("truck"), Some(1));
        assert_eq!(animates("window"), Some(0));
    }
    let inst = p.instance(Context::General).expect("instance");
    assert_eq!(
        inst.options("move"),
        [
            "none",
            "orbit",
            "push-in",
            "pull-out",
            "truck-left",
            "truck-right"
        ]
    );
    assert!(inst.options("fill").contains(&"smooth".to_string()));
    assert_eq!(inst.options("depth_model")[..2], ["auto", "builtin"]);
    inst.connect("Source", Some(Footage::float(shot(8))));
    inst.set("window", &[3.0]);
    // The window, clamped to the clip.
    let needed = inst.frames_needed(1.0).expect("frames needed");
    assert_eq!(needed.get("Source"), Some(&vec![0.0, 4.0]));
}

#[test]
fn identity_camera_returns_the_source() {
    let n = 3;
    let frames = shot(n);
    let p = plugin(REANGLE, config());
    let inst = p.instance(Context::Filter).expect("instance");
    inst.connect("Source", Some(Footage::float(frames.clone())));
    inst.choose("depth_model", "builtin");
    inst.choose("fill", "smooth");
    let rendered = render_all(&inst, n);
    for (a, b) in rendered.iter().zip(&frames) {
        assert_eq!(max_difference(a, b, 3), 0.0, "frame {}", a.index);
    }
    assert!(inst.violations().is_empty(), "{:?}", inst.violations());
}

#[test]
fn keyframed_move_with_a_matte_matches_the_cli() {
    let n = 5;
    let dir = tempfile::tempdir().unwrap();
    let frames = shot(n);
    let masks: Vec<_> = (0..n).map(|i| matte(i, W, H)).collect();
    let p = plugin(REANGLE, config());
    let inst = p.instance(Context::General).expect("instance");
    inst.connect("Source", Some(Footage::float(frames.clone())));
    inst.connect("Mask", Some(Footage::float(masks.clone())));
    inst.choose("matte", "Mask input");
    inst.choose("depth_model", "builtin");
    inst.choose("fill", "smooth");
    inst.set("window", &[2.0]);
    inst.set("truck", &[0.1]);
    // Keyframed, as `--yaw 0:0,4:4`: each frame of the window is warped
    // with its own camera.
    inst.set_key("yaw", 0.0, &[0.0]);
    inst.set_key("yaw", 4.0, &[4.0]);
    let rendered = render_all(&inst, n);
    assert!(inst.violations().is_empty(), "{:?}", inst.violations());

    let src = write_exr(dir.path(), "src", &frames);
    let mask = write_exr(dir.path(), "mask", &masks);
    let out = dir.path().join("out.####.exr").display().to_string();
    retake(&[
        "reangle",
        &src,
        "--mask",
        &mask,
        "-o",
        &out,
        "--codec",
        "exr-float",
        "--truck",
        "0.1",
        "--yaw",
        "0:0,4:4",
        "--depth-model",
        "builtin",
        "--fill",
        "smooth",
        "--window",
        "2",
    ]);
    let worst = compare_with_cli(&rendered, &out, "keyframed move");
    eprintln!("keyframed move: largest difference {worst}");
    // The camera really moved.
    assert!(max_difference(&rendered[4], &frames[4], 3) > 0.1);
}

#[test]
fn named_move_runs_over_the_clip_like_the_cli() {
    let n = 4;
    let dir = tempfile::tempdir().unwrap();
    let frames = shot(n);
    let p = plugin(REANGLE, config());
    let inst = p.instance(Context::Filter).expect("instance");
    inst.connect("Source", Some(Footage::float(frames.clone())));
    inst.choose("move", "orbit");
    inst.set("amount", &[0.5]);
    inst.choose("depth_model", "builtin");
    inst.choose("fill", "smooth");
    inst.set("window", &[1.0]);
    let rendered = render_all(&inst, n);
    let src = write_exr(dir.path(), "src", &frames);
    let out = dir.path().join("orbit.####.exr").display().to_string();
    retake(&[
        "reangle",
        &src,
        "-o",
        &out,
        "--codec",
        "exr-float",
        "--move",
        "orbit",
        "--amount",
        "0.5",
        "--depth-model",
        "builtin",
        "--fill",
        "smooth",
        "--window",
        "1",
    ]);
    let worst = compare_with_cli(&rendered, &out, "orbit");
    eprintln!("orbit: largest difference {worst}");
    // The move eases in over the shot: still at the first frame, moved at
    // the last.
    assert_eq!(max_difference(&rendered[0], &frames[0], 3), 0.0);
    assert!(max_difference(&rendered[3], &frames[3], 3) > 0.05);
}
