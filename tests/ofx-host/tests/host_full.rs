//! The plugin in a full host (every suite, temporal access): descriptions,
//! regions, frames needed, renders compared with the `retake` CLI on the
//! same frames and parameters, render scale, 8- and 16-bit images, and
//! errors (missing model, mask of the wrong size) reported without harm.

mod common;

use std::sync::OnceLock;

use common::*;
use ofx_abi::{kOfxStatFailed, kOfxStatOK};
use retake_ofx_host::{Context, Depth, Footage, HostConfig, Plugin, SuiteLevel};

fn config() -> HostConfig {
    HostConfig {
        suites: SuiteLevel::Full,
        temporal_access: true,
    }
}

/// Models folder given through RETAKE_MODELS, set before any plugin
/// loads: a studio model (a copy of u2netp under another name) that a test
/// deletes after choosing it, as when a model goes missing from a project.
/// It lives under `target/` and the next run replaces it (a temporary
/// folder held in a static is never dropped).
fn models_dir() -> &'static std::path::Path {
    static DIR: OnceLock<std::path::PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = profile_dir().join("ofx-test-models");
        if dir.exists() {
            std::fs::remove_dir_all(&dir).expect("remove the previous models folder");
        }
        std::fs::create_dir_all(&dir).expect("models folder");
        let manifest = std::fs::read_to_string(checkout().join("models/u2netp.toml"))
            .expect("u2netp manifest");
        let ghost = manifest
            .replace("name = \"u2netp\"", "name = \"ghost-matte\"")
            .replace("u2netp.onnx", "ghost-matte.onnx");
        std::fs::write(dir.join("ghost-matte.toml"), ghost).expect("write manifest");
        std::fs::copy(
            checkout().join("models/u2netp.onnx"),
            dir.join("ghost-matte.onnx"),
        )
        .expect("copy the model");
        // SAFETY (edition 2021 API): set once, before any thread reads it.
        std::env::set_var("RETAKE_MODELS", &dir);
        dir
    })
}

fn loaded(id: &str) -> Plugin {
    models_dir();
    plugin(id, config())
}

const W: usize = 96;
const H: usize = 64;

fn shot(n: i64, channels: usize) -> Vec<retake_core::Frame> {
    (0..n).map(|i| scene(i, W, H, channels)).collect()
}

fn mattes(n: i64) -> Vec<retake_core::Frame> {
    (0..n).map(|i| matte(i, W, H)).collect()
}

#[test]
fn describes_every_effect_in_both_contexts() {
    let ids = bundle().identifiers();
    assert_eq!(ids, [MASK, REMOVE, RELIGHT, REANGLE]);
    for id in ids {
        let p = loaded(&id);
        let d = p.describe().expect("describe");
        let props = &d.props;
        assert_eq!(
            props
                .strings("OfxImageEffectPropSupportedContexts")
                .unwrap(),
            [
                "OfxImageEffectContextFilter",
                "OfxImageEffectContextGeneral"
            ]
        );
        assert_eq!(
            props
                .strings("OfxImageEffectPropSupportedPixelDepths")
                .unwrap(),
            ["OfxBitDepthFloat", "OfxBitDepthShort", "OfxBitDepthByte"]
        );
        assert_eq!(props.int("OfxImageEffectPropSupportsTiles"), Some(0));
        assert_eq!(
            props.int("OfxImageEffectPropSupportsMultiResolution"),
            Some(0)
        );
        assert_eq!(props.int("OfxImageEffectPropTemporalClipAccess"), Some(1));
        assert_eq!(
            props
                .string("OfxImageEffectPluginRenderThreadSafety")
                .as_deref(),
            Some("OfxImageEffectRenderInstanceSafe")
        );
        let filter = p.describe_in_context(Context::Filter).expect("filter");
        assert_eq!(filter.clip_names(), ["Source", "Output"]);
        let general = p.describe_in_context(Context::General).expect("general");
        let expected: &[&str] = match id.as_str() {
            MASK => &["Source", "Output"],
            REMOVE => &["Source", "Output", "Mask"],
            _ => &["Source", "Output", "Mask", "Depth"],
        };
        assert_eq!(general.clip_names(), expected, "{id}");
        if let Some(mask) = general.clip("Mask") {
            assert_eq!(mask.props.int("OfxImageClipPropOptional"), Some(1));
            assert_eq!(mask.props.int("OfxImageClipPropIsMask"), Some(1));
        }
    }
    // Parameters are the core struct's, animatable where that makes sense.
    let p = loaded(MASK);
    let inst = p.instance(Context::Filter).expect("instance");
    assert!(inst.options("model").contains(&"u2netp".to_string()));
    // RETAKE_MODELS is searched: its model is offered while its file is
    // there (a test below deletes it), else named as not installed.
    let offered = inst.options("model").contains(&"ghost-matte".to_string());
    let d = p.describe_in_context(Context::Filter).unwrap();
    let hint = retake_ofx_host::suites::lock(&d.params.params)
        .iter()
        .find(|p| p.name == "model")
        .and_then(|p| p.props.string("OfxParamPropHint"))
        .unwrap_or_default();
    assert!(
        offered || hint.contains("ghost-matte"),
        "RETAKE_MODELS is searched: {hint}"
    );
    let relight = loaded(RELIGHT);
    let d = relight.describe_in_context(Context::General).unwrap();
    let params = retake_ofx_host::suites::lock(&d.params.params);
    let animates = |name: &str| {
        params
            .iter()
            .find(|p| p.name == name)
            .and_then(|p| p.props.int("OfxParamPropAnimates"))
    };
    assert_eq!(animates("azimuth"), Some(1));
    assert_eq!(animates("intensity"), Some(1));
    assert_eq!(animates("temporal_radius"), Some(0));
}

#[test]
fn fetches_only_the_suites_it_needs() {
    loaded(MASK);
    let fetched = retake_ofx_host::fetched_suites();
    assert!(!fetched.is_empty());
    for (name, _, _) in &fetched {
        assert!(
            [
                "OfxPropertySuite",
                "OfxImageEffectSuite",
                "OfxParameterSuite",
                "OfxMessageSuite"
            ]
            .contains(&name.as_str()),
            "the plugin fetched {name}, which it does not use"
        );
    }
}

#[test]
fn regions_of_definition_and_interest_are_the_whole_source() {
    let p = loaded(REMOVE);
    let inst = p.instance(Context::General).expect("instance");
    inst.connect("Source", Some(Footage::float(shot(3, 3))));
    inst.connect("Mask", Some(Footage::float(mattes(3))));
    let rod = inst.region_of_definition(1.0, 1.0).expect("rod");
    assert_eq!(rod, [0.0, 0.0, W as f64, H as f64]);
    // Asked for a corner, it still needs every input whole (flow and the
    // fill look across the frame).
    let roi = inst
        .regions_of_interest(1.0, 1.0, [0.0, 0.0, 10.0, 10.0])
        .expect("roi");
    assert_eq!(roi.get("Source").map(Vec::as_slice), Some(&rod[..]));
    assert_eq!(roi.get("Mask").map(Vec::as_slice), Some(&rod[..]));
}

#[test]
fn remove_needs_its_window_and_matches_the_cli() {
    let n = 8;
    let dir = tempfile::tempdir().unwrap();
    let frames = shot(n, 3);
    let masks = mattes(n);
    let p = loaded(REMOVE);
    let inst = p.instance(Context::General).expect("instance");
    inst.connect("Source", Some(Footage::float(frames.clone())));
    inst.connect("Mask", Some(Footage::float(masks.clone())));
    inst.set("window", &[3.0]);
    inst.choose("fill", "patchmatch");
    // The window, clamped to the clip.
    let needed = inst.frames_needed(1.0).expect("frames needed");
    assert_eq!(needed.get("Source"), Some(&vec![0.0, 4.0]));
    assert_eq!(needed.get("Mask"), Some(&vec![0.0, 4.0]));

    let mut rendered = Vec::new();
    for t in 0..n {
        let r = inst.render(t as f64, 1.0);
        assert_eq!(r.status, kOfxStatOK, "render {t}: {:?}", inst.messages());
        rendered.push(r.frame.expect("output"));
        let times = inst.take_fetched("Source");
        // Neighbour frames were fetched at other times.
        assert!(
            times.iter().any(|x| *x != t as f64),
            "frame {t} fetched only {times:?}"
        );
    }
    assert!(inst.violations().is_empty(), "{:?}", inst.violations());

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
        "3",
        "--fill",
        "patchmatch",
    ]);
    let cli = read_sequence(&out);
    assert_eq!(cli.len(), n as usize);
    for (a, b) in rendered.iter().zip(&cli) {
        let d = max_difference(a, b, 3);
        assert!(d < 1e-4, "frame {}: plugin and CLI differ by {d}", a.index);
    }
    // The object really was removed (the output is not the input).
    assert!(max_difference(&rendered[4], &frames[4], 3) > 0.1);
}

#[test]
fn mask_matches_the_cli_and_follows_its_parameters() {
    let n = 6;
    let dir = tempfile::tempdir().unwrap();
    let frames = shot(n, 3);
    let p = loaded(MASK);
    let inst = p.instance(Context::Filter).expect("instance");
    inst.connect("Source", Some(Footage::float(frames.clone())));
    assert_eq!(
        inst.frames_needed(3.0).unwrap().get("Source"),
        Some(&vec![1.0, 5.0])
    );
    let rendered: Vec<_> = (0..n)
        .map(|t| {
            let r = inst.render(t as f64, 1.0);
            assert_eq!(r.status, kOfxStatOK, "{:?}", inst.messages());
            r.frame.expect("output")
        })
        .collect();
    let src = write_exr(dir.path(), "src", &frames);
    let out = dir.path().join("mask.####.exr").display().to_string();
    retake(&["mask", &src, "-o", &out, "--codec", "exr-float"]);
    let cli = read_sequence(&out);
    for (a, b) in rendered.iter().zip(&cli) {
        let d = max_difference(a, b, 1);
        assert!(
            d < 1e-4,
            "frame {}: plugin and CLI masks differ by {d}",
            a.index
        );
    }
    // A parameter change reaches the operation.
    inst.set("threshold", &[0.95]);
    let strict = inst.render(2.0, 1.0).frame.expect("output");
    let covered = |f: &retake_core::Frame| f.data.iter().step_by(f.channels).sum::<f32>();
    assert!(
        covered(&strict) < covered(&rendered[2]),
        "a higher threshold did not shrink the mask"
    );
}

#[test]
fn relight_matches_the_cli_with_a_matte_keyframes_and_a_preset() {
    let n = 6;
    let dir = tempfile::tempdir().unwrap();
    let frames = shot(n, 3);
    let masks = mattes(n);
    let src = write_exr(dir.path(), "src", &frames);
    let mask = write_exr(dir.path(), "mask", &masks);
    let p = loaded(RELIGHT);
    let inst = p.instance(Context::General).expect("instance");
    inst.connect("Source", Some(Footage::float(frames.clone())));
    inst.connect("Mask", Some(Footage::float(masks.clone())));
    inst.choose("matte", "Mask input");
    // Keyframed light, as `--azimuth 0:30,5:90`.
    inst.set_key("azimuth", 0.0, &[30.0]);
    inst.set_key("azimuth", 5.0, &[90.0]);
    inst.set("intensity", &[0.8]);
    inst.set("shadows", &[1.0]);
    let rendered: Vec<_> = (0..n).map(|t| inst.render(t as f64, 1.0)).collect();
    let out = dir.path().join("lit.####.exr").display().to_string();
    retake(&[
        "relight",
        &src,
        "--mask",
        &mask,
        "-o",
        &out,
        "--codec",
        "exr-float",
        "--azimuth",
        "0:30,5:90",
        "--intensity",
        "0.8",
        "--shadows",
    ]);
    let cli = read_sequence(&out);
    for (r, b) in rendered.iter().zip(&cli) {
        assert_eq!(r.status, kOfxStatOK, "{:?}", inst.messages());
        let a = r.frame.as_ref().expect("output");
        let d = max_difference(a, b, 3);
        assert!(
            d < 1e-4,
            "frame {}: plugin and CLI relights differ by {d}",
            a.index
        );
    }

    // A preset alone (its values, not the sliders').
    inst.choose("preset", "golden-hour");
    let preset: Vec<_> = (0..n)
        .map(|t| inst.render(t as f64, 1.0).frame.expect("output"))
        .collect();
    let out = dir.path().join("gold.####.exr").display().to_string();
    retake(&[
        "relight",
        &src,
        "--mask",
        &mask,
        "-o",
        &out,
        "--codec",
        "exr-float",
        "--preset",
        "golden-hour",
        "--shadows",
    ]);
    for (a, b) in preset.iter().zip(read_sequence(&out).iter()) {
        let d = max_difference(a, b, 3);
        assert!(
            d < 1e-4,
            "frame {}: golden-hour differs from the CLI by {d}",
            a.index
        );
    }
}

#[test]
fn half_render_scale_matches_the_cli_on_half_size_frames() {
    let n = 6;
    let dir = tempfile::tempdir().unwrap();
    let frames = shot(n, 3);
    let masks = mattes(n);
    let p = loaded(REMOVE);
    let inst = p.instance(Context::General).expect("instance");
    inst.connect("Source", Some(Footage::float(frames.clone())));
    inst.connect("Mask", Some(Footage::float(masks.clone())));
    inst.set("window", &[2.0]);
    inst.choose("fill", "patchmatch");
    // Full-size parameters: 4 px dilation and 2 px feather...
    inst.set("dilate", &[4.0]);
    inst.set("feather", &[2.0]);
    let rendered: Vec<_> = (0..n)
        .map(|t| {
            let r = inst.render(t as f64, 0.5);
            assert_eq!(r.status, kOfxStatOK, "{:?}", inst.messages());
            r.frame.expect("output")
        })
        .collect();
    assert_eq!((rendered[0].width, rendered[0].height), (W / 2, H / 2));
    // ... are 2 px and 1 px on the half-size frames the host handed over.
    let half: Vec<_> = frames
        .iter()
        .map(|f| retake_ofx_host::downscale(f, 2))
        .collect();
    let half_masks: Vec<_> = masks
        .iter()
        .map(|f| retake_ofx_host::downscale(f, 2))
        .collect();
    let src = write_exr(dir.path(), "src", &half);
    let mask = write_exr(dir.path(), "mask", &half_masks);
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
        "2",
        "--fill",
        "patchmatch",
        "--dilate",
        "2",
        "--feather",
        "1",
    ]);
    for (a, b) in rendered.iter().zip(read_sequence(&out).iter()) {
        let d = max_difference(a, b, 3);
        assert!(
            d < 1e-4,
            "frame {}: half-scale render differs from the CLI by {d}",
            a.index
        );
    }
}

/// Values an 8-bit image can hold.
fn quantised(f: &retake_core::Frame, levels: f32) -> retake_core::Frame {
    let mut q = f.clone();
    q.data
        .iter_mut()
        .for_each(|v| *v = (v.clamp(0.0, 1.0) * levels).round() / levels);
    q
}

#[test]
fn byte_and_short_images_render_like_float() {
    let p = loaded(RELIGHT);
    for (depth, levels) in [(Depth::Byte, 255.0), (Depth::Short, 65535.0)] {
        let frames: Vec<_> = shot(3, 4).iter().map(|f| quantised(f, levels)).collect();
        let render = |depth: Depth| {
            let inst = p.instance(Context::Filter).expect("instance");
            inst.connect(
                "Source",
                Some(Footage {
                    frames: frames.iter().map(|f| (f.index, f.clone())).collect(),
                    depth,
                }),
            );
            let r = inst.render(1.0, 1.0);
            assert_eq!(r.status, kOfxStatOK, "{:?}", inst.messages());
            r.frame.expect("output")
        };
        let integer = render(depth);
        let float = render(Depth::Float);
        assert_eq!(integer.channels, 4, "RGBA in, RGBA out");
        let d = max_difference(&integer, &quantised(&float, levels), 4);
        assert!(
            d <= 1.0 / levels + 1e-6,
            "{depth:?} differs from float by {d}"
        );
        assert!(
            max_difference(&float, &frames[1], 3) > 0.01,
            "relight changed nothing"
        );
    }
}

#[test]
fn a_missing_model_is_reported_and_the_host_keeps_running() {
    let p = loaded(MASK);
    let inst = p.instance(Context::Filter).expect("instance");
    inst.connect("Source", Some(Footage::float(shot(2, 3))));
    inst.choose("model", "ghost-matte");
    // The model goes missing after it was chosen.
    let _ = std::fs::remove_file(models_dir().join("ghost-matte.onnx"));
    let r = inst.render(0.0, 1.0);
    assert_eq!(r.status, kOfxStatFailed);
    let shown = inst
        .persistent_message()
        .expect("a persistent message says why");
    assert!(shown.contains("ghost-matte"), "{shown}");
    assert!(inst
        .messages()
        .iter()
        .any(|m| m.kind == "OfxMessageError" && m.persistent));
    // The same instance renders again once a model is there.
    inst.choose("model", "u2netp");
    assert_eq!(
        inst.render(0.0, 1.0).status,
        kOfxStatOK,
        "{:?}",
        inst.messages()
    );
    assert_eq!(
        inst.persistent_message(),
        None,
        "the message is cleared after a good render"
    );
}

#[test]
fn a_mask_of_the_wrong_size_is_reported() {
    let p = loaded(REMOVE);
    let inst = p.instance(Context::General).expect("instance");
    inst.connect("Source", Some(Footage::float(shot(3, 3))));
    inst.connect(
        "Mask",
        Some(Footage::float((0..3).map(|i| matte(i, W / 2, H)))),
    );
    let r = inst.render(1.0, 1.0);
    assert_eq!(r.status, kOfxStatFailed);
    let shown = inst
        .persistent_message()
        .expect("a persistent message says why");
    assert!(
        shown.contains("Mask input is 48x64") && shown.contains("Source's size"),
        "{shown}"
    );
    // Disconnected Mask while the matte comes from it: also said, not a crash.
    inst.connect("Mask", None);
    assert_eq!(inst.render(1.0, 1.0).status, kOfxStatFailed);
    let shown = inst.persistent_message().unwrap_or_default();
    assert!(shown.contains("connect the Mask input"), "{shown}");
}

#[test]
fn instances_render_at_the_same_time_as_they_do_alone() {
    // The plugin declares instance-safe rendering: separate instances on
    // separate threads at once.
    let p = loaded(RELIGHT);
    let frames = shot(4, 4);
    let render_all = |p: &Plugin| -> Vec<retake_core::Frame> {
        let inst = p.instance(Context::Filter).expect("instance");
        inst.connect("Source", Some(Footage::float(frames.clone())));
        (0..4)
            .map(|t| inst.render(t as f64, 1.0).frame.expect("output"))
            .collect()
    };
    let alone = render_all(&p);
    let together: Vec<Vec<retake_core::Frame>> = std::thread::scope(|s| {
        let a = s.spawn(|| render_all(&p));
        let b = s.spawn(|| render_all(&p));
        vec![a.join().expect("thread"), b.join().expect("thread")]
    });
    for run in together {
        assert_eq!(run, alone);
    }
}

/// Core's messages mention parameters by id; the host shows the label.
#[test]
fn messages_name_parameters_by_their_labels_not_cli_flags() {
    let p = loaded(REMOVE);
    let inst = p.instance(Context::General).expect("instance");
    inst.connect("Source", Some(Footage::float(shot(3, 3))));
    let white = (0..3).map(|i| {
        let mut m = matte(i, W, H);
        m.data.iter_mut().for_each(|v| *v = 1.0);
        m
    });
    inst.connect("Mask", Some(Footage::float(white)));
    assert_eq!(inst.render(1.0, 1.0).status, kOfxStatFailed);
    let shown = inst
        .persistent_message()
        .expect("a persistent message says why");
    assert!(shown.contains("covers the whole frame"), "{shown}");
    assert!(shown.contains("\"Dilate\""), "{shown}");
    assert!(!shown.contains("--") && !shown.contains("[["), "{shown}");
}

/// Model menus offer what can run: catalogue models whose file is not in
/// the bundle (or a model folder) are left out, and the menu's help names
/// them and says how to install them.
#[test]
fn model_menus_list_installed_models_and_say_how_to_install_the_rest() {
    let p = loaded(REMOVE);
    let d = p.describe_in_context(Context::General).expect("general");
    let hint = {
        let params = retake_ofx_host::suites::lock(&d.params.params);
        params
            .iter()
            .find(|p| p.name == "fill")
            .and_then(|p| p.props.string("OfxParamPropHint"))
            .expect("fill has a hint")
    };
    let inst = p.instance(Context::General).expect("instance");
    let fills = inst.options("fill");
    assert_eq!(fills[..3], ["auto", "patchmatch", "smooth"]);
    for model in ["lama", "migan"] {
        assert!(!fills.contains(&model.to_string()), "{fills:?}");
        assert!(hint.contains(model), "{hint}");
    }
    assert!(hint.contains("retake models fetch"), "{hint}");
    let r = loaded(RELIGHT);
    let inst = r.instance(Context::General).expect("instance");
    let depth = inst.options("depth_model");
    assert!(
        !depth
            .iter()
            .any(|m| m == "midas-v2.1-small" || m == "depth-anything-v2-small"),
        "{depth:?}"
    );
}
