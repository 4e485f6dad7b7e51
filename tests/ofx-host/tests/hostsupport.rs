//! The plugin in a host built on the official OpenFX HostSupport library
//! (temporal access granted): every effect is found in the bundle,
//! described and instantiated in the filter and general contexts, and
//! renders float, 16-bit and 8-bit RGB(A) equal to the `retake` CLI on the
//! same frames and parameters. HostSupport refuses any property name the
//! headers do not define, so a misspelt name fails here as in real hosts.

mod common;

use std::collections::BTreeMap;

use common::*;
use ofx_abi::kOfxStatOK;
use retake_core::Frame;
use retake_ofx_host::hostsupport::{self, HsInstance, Quirks};
use retake_ofx_host::{Context, Depth, Footage};

const W: usize = 64;
const H: usize = 48;
const N: i64 = 5;

/// Start the host (once) and hold it for one test: HostSupport's plugin
/// cache is not meant for several threads at once.
fn started() -> std::sync::MutexGuard<'static, ()> {
    static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let guard = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    let folder = bundle_path().parent().expect("bundle folder");
    hostsupport::start(folder, true).expect("HostSupport host");
    guard
}

/// What a host at `depth` hands the plugin: values stored at that depth.
fn quantised(frame: &Frame, depth: Depth) -> Frame {
    let levels = match depth {
        Depth::Float => return frame.clone(),
        Depth::Short => 65535.0,
        Depth::Byte => 255.0,
    };
    let mut f = frame.clone();
    for v in &mut f.data {
        *v = (v.clamp(0.0, 1.0) * levels).round() / levels;
    }
    f
}

/// How far a render at `depth` may be from the CLI's float output of the
/// same (quantised) input: half a code value, plus float noise.
fn tolerance(depth: Depth) -> f32 {
    match depth {
        Depth::Float => 1e-4,
        Depth::Short => 0.5 / 65535.0 + 1e-4,
        Depth::Byte => 0.5 / 255.0 + 1e-4,
    }
}

/// One comparison: an effect in a context, its settings in the plugin and
/// the same settings as CLI flags.
struct Case {
    id: &'static str,
    context: Context,
    /// The matte rides in the Source's alpha (filter context).
    matte_in_source: bool,
    /// The matte is connected as the Mask input.
    mask_input: bool,
    set: &'static [(&'static str, f64)],
    choose: &'static [(&'static str, &'static str)],
    cli: &'static [&'static str],
    /// Channels compared (Mask's output is a matte).
    channels: usize,
}

fn cases() -> Vec<Case> {
    let remove_cli: &[&str] = &["remove", "--window", "3", "--fill", "patchmatch"];
    let relight_cli: &[&str] = &["relight", "--azimuth", "60", "--intensity", "0.8"];
    vec![
        Case {
            id: MASK,
            context: Context::Filter,
            matte_in_source: false,
            mask_input: false,
            set: &[],
            choose: &[],
            cli: &["mask"],
            channels: 1,
        },
        Case {
            id: MASK,
            context: Context::General,
            matte_in_source: false,
            mask_input: false,
            set: &[],
            choose: &[],
            cli: &["mask"],
            channels: 1,
        },
        Case {
            id: REMOVE,
            context: Context::Filter,
            matte_in_source: true,
            mask_input: false,
            set: &[("window", 3.0)],
            choose: &[("fill", "patchmatch")],
            cli: remove_cli,
            channels: 3,
        },
        Case {
            id: REMOVE,
            context: Context::General,
            matte_in_source: false,
            mask_input: true,
            set: &[("window", 3.0)],
            choose: &[("fill", "patchmatch")],
            cli: remove_cli,
            channels: 3,
        },
        Case {
            id: RELIGHT,
            context: Context::Filter,
            matte_in_source: false,
            mask_input: false,
            set: &[("azimuth", 60.0), ("intensity", 0.8)],
            choose: &[],
            cli: relight_cli,
            channels: 3,
        },
        Case {
            id: RELIGHT,
            context: Context::General,
            matte_in_source: false,
            mask_input: true,
            set: &[("azimuth", 60.0), ("intensity", 0.8)],
            choose: &[("matte", "Mask input")],
            cli: relight_cli,
            channels: 3,
        },
        Case {
            id: REANGLE,
            context: Context::Filter,
            matte_in_source: false,
            mask_input: false,
            set: &[("amount", 0.5), ("window", 1.0)],
            choose: &[
                ("move", "orbit"),
                ("depth_model", "builtin"),
                ("fill", "smooth"),
            ],
            cli: &[
                "reangle",
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
            ],
            channels: 3,
        },
        Case {
            id: REANGLE,
            context: Context::General,
            matte_in_source: false,
            mask_input: true,
            set: &[("truck", 0.1), ("window", 1.0)],
            choose: &[
                ("matte", "Mask input"),
                ("depth_model", "builtin"),
                ("fill", "smooth"),
            ],
            cli: &[
                "reangle",
                "--truck",
                "0.1",
                "--depth-model",
                "builtin",
                "--fill",
                "smooth",
                "--window",
                "1",
            ],
            channels: 3,
        },
    ]
}

/// The Source: RGB, or RGBA with the object's matte as alpha.
fn source(matte_in_alpha: bool) -> Vec<Frame> {
    (0..N)
        .map(|i| {
            let mut f = scene(i, W, H, 3);
            if matte_in_alpha {
                let m = matte(i, W, H);
                f = f.with_channels(4);
                for (p, a) in f.data.chunks_exact_mut(4).zip(&m.data) {
                    p[3] = *a;
                }
            }
            f
        })
        .collect()
}

fn footage(frames: &[Frame], depth: Depth) -> Footage {
    Footage {
        frames: frames.iter().map(|f| (f.index, f.clone())).collect(),
        depth,
    }
}

#[test]
fn finds_describes_and_instantiates_all_four_effects_in_both_contexts() {
    let _host = started();
    let mut found = hostsupport::plugins();
    found.sort();
    let mut want = vec![MASK, REMOVE, RELIGHT, REANGLE];
    want.sort();
    assert_eq!(
        found,
        want,
        "HostSupport messages: {:?}",
        hostsupport::take_messages()
    );
    // The bundle's README lists every effect and where models are found.
    let readme = std::fs::read_to_string(bundle_path().join("Contents/Resources/README.txt"))
        .expect("bundle README");
    for label in [
        "Retake Mask",
        "Retake Remove",
        "Retake Relight",
        "Retake Reangle",
    ] {
        assert!(readme.contains(label), "README.txt lacks {label}");
    }
    assert!(readme.contains("RETAKE_MODELS") && readme.contains("retake models fetch"));
    for id in [MASK, REMOVE, RELIGHT, REANGLE] {
        for context in [Context::Filter, Context::General] {
            let inst = HsInstance::new(id, context, Quirks::default());
            assert!(inst.is_ok(), "{id} in {context:?}: status {:?}", inst.err());
        }
    }
}

#[test]
fn every_effect_matches_the_cli_in_both_contexts_at_three_depths() {
    let _host = started();
    let dir = tempfile::tempdir().unwrap();
    let mattes: Vec<Frame> = (0..N).map(|i| matte(i, W, H)).collect();
    let mask_file = write_exr(dir.path(), "mask", &mattes);
    // CLI outputs by (arguments, depth): the filter and general cases of
    // an effect often share one.
    let mut cli_runs: BTreeMap<String, Vec<Frame>> = BTreeMap::new();
    for (k, case) in cases().into_iter().enumerate() {
        for depth in [Depth::Float, Depth::Short, Depth::Byte] {
            let what = format!("{} {:?} {:?}", case.id, case.context, depth);
            let frames: Vec<Frame> = source(case.matte_in_source)
                .iter()
                .map(|f| quantised(f, depth))
                .collect();
            let mut inst = HsInstance::new(case.id, case.context, Quirks::default())
                .unwrap_or_else(|s| panic!("{what}: instance status {s}"));
            inst.connect("Source", Some(&footage(&frames, depth)));
            if case.mask_input {
                inst.connect("Mask", Some(&footage(&mattes, depth)));
            }
            for (name, value) in case.set {
                inst.set(name, &[*value]);
            }
            for (name, option) in case.choose {
                inst.choose(name, option);
            }
            let rendered: Vec<Frame> = (0..N)
                .map(|t| {
                    let r = inst.render(t as f64);
                    assert_eq!(
                        r.status,
                        kOfxStatOK,
                        "{what}: render {t}: {:?}",
                        hostsupport::take_messages()
                    );
                    r.frame.expect("output")
                })
                .collect();

            // The CLI on the same (RGB) pixels, with the matte as --mask.
            let key = format!(
                "{:?} {depth:?} {}",
                case.cli,
                case.matte_in_source || case.mask_input
            );
            let cli = cli_runs.entry(key).or_insert_with(|| {
                let rgb: Vec<Frame> = frames.iter().map(|f| f.with_channels(3)).collect();
                let src = write_exr(dir.path(), &format!("src{k}{depth:?}"), &rgb);
                let out = dir
                    .path()
                    .join(format!("out{k}{depth:?}.####.exr"))
                    .display()
                    .to_string();
                let mut args: Vec<&str> =
                    vec![case.cli[0], &src, "-o", &out, "--codec", "exr-float"];
                if case.matte_in_source || case.mask_input {
                    args.extend(["--mask", mask_file.as_str()]);
                }
                args.extend(&case.cli[1..]);
                retake(&args);
                read_sequence(&out)
            });
            assert_eq!(cli.len(), rendered.len(), "{what}");
            for (a, b) in rendered.iter().zip(cli.iter()) {
                let b = quantised(b, depth);
                let d = max_difference(a, &b, case.channels);
                assert!(
                    d <= tolerance(depth),
                    "{what}: frame {}: HostSupport render and CLI differ by {d}",
                    a.index
                );
            }
        }
    }
}

fn render_all(inst: &HsInstance, what: &str) -> Vec<Frame> {
    (0..N)
        .map(|t| {
            let r = inst.render(t as f64);
            assert_eq!(
                r.status,
                kOfxStatOK,
                "{what}: render {t}: {:?}",
                hostsupport::take_messages()
            );
            r.frame.expect("output")
        })
        .collect()
}

/// DaVinci Resolve reports every clip as connected and gives no image for
/// an unconnected one: Relight and Reangle then render as without it.
#[test]
fn inputs_reported_connected_without_images_render_as_unconnected() {
    let _host = started();
    let frames = source(false);
    for id in [RELIGHT, REANGLE] {
        let render = |quirks: Quirks| {
            let mut inst = HsInstance::new(id, Context::General, quirks).expect("instance");
            inst.connect("Source", Some(&footage(&frames, Depth::Float)));
            if id == REANGLE {
                inst.set("truck", &[0.1]);
                inst.choose("depth_model", "builtin");
                inst.choose("fill", "smooth");
                inst.set("window", &[1.0]);
            }
            render_all(&inst, id)
        };
        let plain = render(Quirks::default());
        let resolve = render(Quirks {
            unconnected_reported_connected: true,
            ..Quirks::default()
        });
        for (a, b) in plain.iter().zip(&resolve) {
            assert_eq!(max_difference(a, b, 3), 0.0, "{id} frame {}", a.index);
        }
    }
}

/// Without a clip frame range, Reangle's named move runs over the effect's
/// duration; without that either, it says once (not per instance) what it
/// assumed.
#[test]
fn named_moves_without_a_clip_frame_range() {
    let _host = started();
    let frames = source(false);
    let render = |quirks: Quirks| {
        let mut inst = HsInstance::new(REANGLE, Context::Filter, quirks).expect("instance");
        inst.connect("Source", Some(&footage(&frames, Depth::Float)));
        inst.choose("move", "orbit");
        inst.set("amount", &[0.5]);
        inst.choose("depth_model", "builtin");
        inst.choose("fill", "smooth");
        inst.set("window", &[1.0]);
        render_all(&inst, "orbit")
    };
    hostsupport::take_messages();
    let ranged = render(Quirks::default());
    let by_duration = render(Quirks {
        no_clip_frame_range: true,
        ..Quirks::default()
    });
    for (a, b) in ranged.iter().zip(&by_duration) {
        assert_eq!(max_difference(a, b, 3), 0.0, "frame {}", a.index);
    }
    assert!(hostsupport::take_messages().is_empty());
    // Neither: two instances (hosts that make one per frame), one warning.
    let none = Quirks {
        no_clip_frame_range: true,
        no_effect_duration: true,
        ..Quirks::default()
    };
    render(none);
    render(none);
    let said: Vec<String> = hostsupport::take_messages();
    let warnings: Vec<&String> = said
        .iter()
        .filter(|m| m.contains("no frame range"))
        .collect();
    assert_eq!(warnings.len(), 1, "{said:?}");
    assert!(warnings[0].starts_with("OfxMessageWarning"), "{said:?}");
}

/// Each effect defines exactly its operation's OpenFX parameters from the
/// table, as a host built on HostSupport holds them: type, label, default,
/// hard and slider limits, animation and hint.
#[test]
fn every_effect_defines_its_table_as_the_host_sees_it() {
    use retake_core::params::{Faces, Kind, Table};
    let _host = started();
    let effects: [(&str, &Table); 4] = [
        ("org.retake.Mask", retake_ops::mask_params::TABLE),
        ("org.retake.Remove", retake_ops::remove_params::TABLE),
        ("org.retake.Relight", retake_ops3d::relight_params::TABLE),
        ("org.retake.Reangle", retake_ops3d::reangle_params::TABLE),
    ];
    for (id, table) in effects {
        for context in [Context::Filter, Context::General] {
            let inst = HsInstance::new(id, context, Quirks::default()).expect("instance");
            let params = inst.params();
            let mut names: Vec<&str> = params.iter().map(|p| p.name.as_str()).collect();
            names.sort();
            let mut ids: Vec<&str> = table.on(Faces::OFX).map(|p| p.id).collect();
            ids.sort();
            assert_eq!(names, ids, "{id} {context:?}: parameters");
            for p in table.on(Faces::OFX) {
                let what = format!("{id} {context:?} {}", p.id);
                let Some(got) = params.iter().find(|g| g.name == p.id) else {
                    panic!("{what}: missing");
                };
                assert_eq!(got.label, p.label, "{what}: label");
                let hint = table.render(p.help, |q| format!("\"{}\"", q.label));
                assert!(got.hint.starts_with(&hint), "{what}: hint {:?}", got.hint);
                let options = inst.options(p.id);
                let (kind, default, limits, display, animates) = match p.kind {
                    Kind::Float {
                        default,
                        min,
                        max,
                        slider,
                        angle,
                        ..
                    } => (
                        "OfxParamTypeDouble",
                        default,
                        Some((min, max)),
                        Some(slider),
                        p.animates || angle,
                    ),
                    Kind::Int { default, min, max } => {
                        let r = (min as f64, max as f64);
                        (
                            "OfxParamTypeInteger",
                            default as f64,
                            Some(r),
                            Some(r),
                            p.animates,
                        )
                    }
                    Kind::Bool { default } => (
                        "OfxParamTypeBoolean",
                        default as u8 as f64,
                        None,
                        None,
                        false,
                    ),
                    Kind::Choice {
                        default,
                        options: table_options,
                        unset,
                    } => {
                        // The menu: the unset entry, then the options (the
                        // Mask input only where the context has one).
                        let expected: Vec<&str> = unset
                            .into_iter()
                            .chain(
                                table_options
                                    .iter()
                                    .filter(|o| {
                                        context == Context::General || o.value != "mask-input"
                                    })
                                    .map(|o| o.label),
                            )
                            .collect();
                        assert_eq!(options, expected, "{what}: options");
                        let label = default.and_then(|d| {
                            table_options.iter().find(|o| o.value == d).map(|o| o.label)
                        });
                        let index = label
                            .and_then(|l| options.iter().position(|o| o == l))
                            .unwrap_or(0);
                        ("OfxParamTypeChoice", index as f64, None, None, false)
                    }
                    Kind::Model {
                        default, builtins, ..
                    } => {
                        assert!(
                            options.iter().take(builtins.len()).eq(builtins.iter()),
                            "{what}: options {options:?}"
                        );
                        let index = options.iter().position(|o| o == default).unwrap_or(0);
                        ("OfxParamTypeChoice", index as f64, None, None, false)
                    }
                    Kind::Colour => ("OfxParamTypeRGB", 1.0, None, None, true),
                    Kind::Text { .. } => panic!("{what}: a text parameter on the plugin"),
                };
                assert_eq!(got.kind, kind, "{what}: type");
                assert_eq!(got.default, Some(default), "{what}: default");
                assert_eq!(got.limits, limits, "{what}: limits");
                assert_eq!(got.display, display, "{what}: slider");
                assert_eq!(got.animates, animates, "{what}: animates");
            }
        }
    }
}
