//! What the host tests share: the bundle (assembled by the same script
//! users run, loaded from disk), synthetic footage, and the `retake` CLI
//! run on the same frames for comparison.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use retake_core::{ClipInfo, Frame};
use retake_ofx_host::{Bundle, HostConfig, Plugin};

/// The checkout this test was built from.
pub fn checkout() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
}

/// `target/debug` (or whichever profile built this test).
pub fn profile_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("test binary path");
    // target/<profile>/deps/<test>
    exe.parent()
        .and_then(Path::parent)
        .expect("target/<profile>")
        .to_path_buf()
}

/// A file the test needs that `cargo test` does not build by itself.
fn built(name: &str, how: &str) -> PathBuf {
    let p = profile_dir().join(name);
    assert!(
        p.is_file(),
        "{} is missing: build it first with `{how}` (scripts/test.sh does)",
        p.display()
    );
    p
}

pub fn retake_binary() -> PathBuf {
    built("retake", "cargo build -p retake-cli")
}

/// Assemble the bundle with scripts/ofx_bundle.sh, once per test process,
/// into `target/<profile>/ofx-test-bundles/<test binary>/`: a folder the next
/// run replaces (a temporary folder held in a static is never dropped, so
/// each run used to leave a 100 MB bundle behind in /tmp).
pub fn bundle_path() -> &'static Path {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    PATH.get_or_init(|| {
        let lib = built("libretake_ofx.so", "cargo build -p retake-ofx");
        let exe = std::env::current_exe().expect("test binary path");
        let name = exe.file_stem().expect("test binary name");
        let dir = profile_dir().join("ofx-test-bundles").join(name);
        if dir.exists() {
            std::fs::remove_dir_all(&dir).expect("remove the previous test bundle");
        }
        std::fs::create_dir_all(&dir).expect("test bundle folder");
        let out = dir.join("Retake.ofx.bundle");
        let st = Command::new("bash")
            .arg(checkout().join("scripts/ofx_bundle.sh"))
            .args(["--no-build", "--lib"])
            .arg(&lib)
            .arg("--out")
            .arg(&out)
            .status()
            .expect("run scripts/ofx_bundle.sh");
        assert!(st.success(), "scripts/ofx_bundle.sh failed");
        out
    })
}

pub fn bundle() -> &'static Bundle {
    static B: OnceLock<Bundle> = OnceLock::new();
    B.get_or_init(|| {
        Bundle::load(bundle_path()).unwrap_or_else(|e| panic!("loading the bundle: {e}"))
    })
}

/// A plugin of the bundle, loaded in this process's host.
pub fn plugin(id: &str, config: HostConfig) -> Plugin {
    let host = retake_ofx_host::start(config);
    bundle().plugin(id, host).unwrap_or_else(|e| panic!("{e}"))
}

pub const MASK: &str = "org.retake.Mask";
pub const REMOVE: &str = "org.retake.Remove";
pub const RELIGHT: &str = "org.retake.Relight";
pub const REANGLE: &str = "org.retake.Reangle";

#[allow(unused_imports)] // not every test file uses both
pub use retake_ofx_host::synthetic::{matte, scene};

/// Write frames as a float EXR sequence `dir/name.####.exr`.
pub fn write_exr(dir: &Path, name: &str, frames: &[Frame]) -> String {
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
        sink.write(&f).expect("write EXR");
    }
    sink.finish().expect("finish EXR");
    pattern
}

/// Read a sequence back.
pub fn read_sequence(pattern: &str) -> Vec<Frame> {
    let mut src = retake_media::open_source(pattern, &Default::default()).expect("open output");
    let mut out = Vec::new();
    while let Some(f) = src.next_frame().expect("read frame") {
        out.push(f);
    }
    out
}

/// Run `retake ARGS` and check it succeeded.
pub fn retake(args: &[&str]) {
    let out = Command::new(retake_binary())
        .args(args)
        .arg("-q")
        .output()
        .expect("run retake");
    assert!(
        out.status.success(),
        "retake {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Largest difference between the first `channels` channels of two frames.
pub fn max_difference(a: &Frame, b: &Frame, channels: usize) -> f32 {
    assert_eq!((a.width, a.height), (b.width, b.height), "sizes differ");
    let mut worst = 0.0f32;
    for (p, q) in a
        .data
        .chunks_exact(a.channels)
        .zip(b.data.chunks_exact(b.channels))
    {
        for c in 0..channels {
            worst = worst.max((p[c] - q[c]).abs());
        }
    }
    worst
}
