//! Per-frame render time of each effect inside the test host against the
//! `retake` CLI doing the same operation on the same frames with the same
//! parameters, in the same run. Run by `scripts/bench_ofx.sh` (release).
//!
//! The plugin renders frames in order as a host plays a shot; the CLI time
//! is the whole command (EXR read and write included) divided by frames.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use retake_core::{ClipInfo, Frame};
use retake_ofx_host::synthetic::{matte, scene};
use retake_ofx_host::{Bundle, Context, Footage, HostConfig, SuiteLevel};

fn arg(name: &str, default: usize) -> usize {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn write_exr(dir: &Path, name: &str, frames: &[Frame]) -> String {
    let pattern = dir.join(format!("{name}.####.exr")).display().to_string();
    let f = &frames[0];
    let mut info = ClipInfo::in_memory(&pattern, f.width, f.height, Some(frames.len() as u64));
    info.has_alpha = f.channels == 4;
    let mut sink = retake_media::create_sink(
        &pattern,
        &info,
        &retake_media::SinkOptions {
            codec: Some(retake_media::Codec::Exr { half: false }),
            ..Default::default()
        },
    )
    .expect("EXR sink");
    for f in frames {
        let f = if f.channels == 1 {
            f.with_channels(3)
        } else {
            f.clone()
        };
        sink.write(&f).expect("write");
    }
    sink.finish().expect("finish");
    pattern
}

fn main() {
    let (w, h, n) = (
        arg("--width", 960),
        arg("--height", 540),
        arg("--frames", 24) as i64,
    );
    let window = arg("--window", 6);
    let profile = std::env::current_exe()
        .ok()
        .and_then(|e| e.parent()?.parent().map(Path::to_path_buf))
        .expect("target/<profile>");
    let retake = profile.join("retake");
    let lib = profile.join("libretake_ofx.so");
    for p in [&retake, &lib] {
        assert!(
            p.is_file(),
            "{} missing: run scripts/bench_ofx.sh",
            p.display()
        );
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let bundle_path = dir.path().join("Retake.ofx.bundle");
    let checkout = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."));
    let ok = Command::new("bash")
        .arg(checkout.join("scripts/ofx_bundle.sh"))
        .args(["--no-build", "--lib"])
        .arg(&lib)
        .arg("--out")
        .arg(&bundle_path)
        .status()
        .is_ok_and(|s| s.success());
    assert!(ok, "packaging failed");
    let host = retake_ofx_host::start(HostConfig {
        suites: SuiteLevel::Full,
        temporal_access: true,
    });
    let bundle = Bundle::load(&bundle_path).expect("load bundle");

    let frames: Vec<Frame> = (0..n).map(|i| scene(i, w, h, 3)).collect();
    let mattes: Vec<Frame> = (0..n).map(|i| matte(i, w, h)).collect();
    let src = write_exr(dir.path(), "src", &frames);
    let mask = write_exr(dir.path(), "mask", &mattes);
    let window_text = window.to_string();

    println!("OpenFX plugin in the test host vs the retake CLI: {w}x{h}, {n} frames, same frames and parameters");
    println!(
        "{:<10} {:>14} {:>14} {:>8}",
        "effect", "plugin ms/fr", "CLI ms/fr", "ratio"
    );
    type Setup<'a> = (
        &'a str,
        &'a str,
        Vec<&'a str>,
        Box<dyn Fn(&retake_ofx_host::Instance) + 'a>,
    );
    let cases: Vec<Setup> = vec![
        (
            "mask",
            "org.retake.Mask",
            vec!["mask"],
            Box::new(|_i: &retake_ofx_host::Instance| {}),
        ),
        (
            "remove",
            "org.retake.Remove",
            vec![
                "remove",
                "--mask",
                &mask,
                "--window",
                &window_text,
                "--fill",
                "patchmatch",
            ],
            Box::new(|i: &retake_ofx_host::Instance| {
                i.connect("Mask", Some(Footage::float(mattes.clone())));
                i.set("window", &[window as f64]);
                i.choose("fill", "patchmatch");
            }),
        ),
        (
            "relight",
            "org.retake.Relight",
            vec!["relight", "--mask", &mask],
            Box::new(|i: &retake_ofx_host::Instance| {
                i.connect("Mask", Some(Footage::float(mattes.clone())));
                i.choose("matte", "Mask input");
            }),
        ),
    ];
    for (name, id, cli_args, setup) in cases {
        let plugin = bundle.plugin(id, host).expect("plugin");
        let inst = plugin.instance(Context::General).expect("instance");
        inst.connect("Source", Some(Footage::float(frames.clone())));
        setup(&inst);
        let start = Instant::now();
        for t in 0..n {
            let r = inst.render(t as f64, 1.0);
            assert_eq!(r.status, 0, "{name} frame {t}: {:?}", inst.messages());
        }
        let plugin_ms = start.elapsed().as_secs_f64() * 1000.0 / n as f64;

        let out = dir
            .path()
            .join(format!("{name}.####.exr"))
            .display()
            .to_string();
        let start = Instant::now();
        let status = Command::new(&retake)
            .arg(cli_args[0])
            .arg(&src)
            .args(&cli_args[1..])
            .args(["-o", &out, "--codec", "exr-float", "-q", "-y"])
            .status()
            .expect("run retake");
        assert!(status.success(), "retake {name} failed");
        let cli_ms = start.elapsed().as_secs_f64() * 1000.0 / n as f64;
        println!(
            "{name:<10} {plugin_ms:>14.1} {cli_ms:>14.1} {:>8.2}",
            plugin_ms / cli_ms
        );
    }
}
