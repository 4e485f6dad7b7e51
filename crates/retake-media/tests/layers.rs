//! Multi-layer EXR sequences: named float channels round-trip bit-exactly,
//! bad layers and names are refused, existing frames need overwrite, and a
//! failed write leaves nothing under the final name.

use std::path::Path;

use exr::prelude::{FlatSamples, ReadChannels, ReadLayers};
use retake_core::{Error, Frame};
use retake_media::layers::{Layer, LayerSequence};

const W: usize = 13;
const H: usize = 5;

fn pattern(dir: &Path, name: &str) -> String {
    dir.join(name).to_str().unwrap().to_string()
}

/// Awkward values: negative, above 1, tiny, huge, then a ramp that
/// differs per frame and per channel.
fn frame(index: i64, channels: usize, seed: f32) -> Frame {
    let specials = [
        -3.75f32,
        -1e-8,
        0.0,
        -0.0,
        1e-30,
        1.0,
        1.000_000_1,
        42.5,
        1e20,
    ];
    let data = (0..W * H * channels)
        .map(|i| match specials.get(i) {
            Some(&v) => v * (1.0 + seed),
            None => (i as f32 * 0.31 + seed).sin() * 4.0 + index as f32 * 0.5,
        })
        .collect();
    Frame::from_data(index, W, H, channels, data).unwrap()
}

fn names(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

/// Every channel of the first layer of an EXR, by name, as f32 samples.
fn read_channels(path: &Path) -> (usize, usize, Vec<(String, Vec<f32>)>) {
    let image = exr::prelude::read()
        .no_deep_data()
        .largest_resolution_level()
        .all_channels()
        .first_valid_layer()
        .all_attributes()
        .from_file(path)
        .unwrap();
    let layer = image.layer_data;
    let channels = layer
        .channel_data
        .list
        .iter()
        .map(|c| {
            let samples = match &c.sample_data {
                FlatSamples::F32(v) => v.clone(),
                other => panic!("channel {} is not float32: {other:?}", c.name),
            };
            (c.name.to_string(), samples)
        })
        .collect();
    (layer.size.width(), layer.size.height(), channels)
}

fn temp_leftovers(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("retake-partial"))
        .collect()
}

#[test]
fn two_frames_of_three_layers_round_trip_bit_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let p = pattern(dir.path(), "passes.####.exr");
    let layer_names = [
        names(&["N.x", "N.y", "N.z"]),
        names(&["Z"]),
        names(&["shading.R", "shading.G", "shading.B"]),
    ];
    let mut seq = LayerSequence::create(&p, false).unwrap();
    assert!(
        !dir.path().join("passes.1001.exr").exists(),
        "create writes nothing"
    );
    let mut expected = Vec::new();
    for index in [1001i64, 1002] {
        let frames = [
            frame(index, 3, 0.1),
            frame(index, 1, 0.7),
            frame(index, 3, 2.3),
        ];
        let layers: Vec<Layer> = layer_names
            .iter()
            .zip(&frames)
            .map(|(n, f)| Layer {
                channels: n.clone(),
                frame: f,
            })
            .collect();
        seq.write(index, &layers).unwrap();
        let mut want: Vec<(String, Vec<f32>)> = Vec::new();
        for (n, f) in layer_names.iter().zip(&frames) {
            for (c, name) in n.iter().enumerate() {
                let plane = f.data.iter().skip(c).step_by(f.channels).copied().collect();
                want.push((name.clone(), plane));
            }
        }
        expected.push((index, want));
    }
    assert_eq!(seq.written(), 2);
    seq.finish().unwrap();

    for (index, mut want) in expected {
        let path = dir.path().join(format!("passes.{index}.exr"));
        let (w, h, mut got) = read_channels(&path);
        assert_eq!((w, h), (W, H));
        want.sort_by(|a, b| a.0.cmp(&b.0));
        got.sort_by(|a, b| a.0.cmp(&b.0));
        let got_names: Vec<&str> = got.iter().map(|c| c.0.as_str()).collect();
        assert_eq!(
            got_names,
            [
                "N.x",
                "N.y",
                "N.z",
                "Z",
                "shading.B",
                "shading.G",
                "shading.R"
            ]
        );
        for ((name, want), (_, got)) in want.iter().zip(&got) {
            assert_eq!(got.len(), W * H, "{name}");
            let want_bits: Vec<u32> = want.iter().map(|v| v.to_bits()).collect();
            let got_bits: Vec<u32> = got.iter().map(|v| v.to_bits()).collect();
            assert_eq!(got_bits, want_bits, "frame {index} channel {name}");
        }
        // Negative values and values above 1 survive (no clamp, no curve).
        let all: Vec<f32> = got.iter().flat_map(|c| c.1.iter().copied()).collect();
        assert!(all.iter().any(|&v| v < 0.0) && all.iter().any(|&v| v > 1.0));
    }
    assert!(temp_leftovers(dir.path()).is_empty());
}

#[test]
fn printf_patterns_work_too() {
    let dir = tempfile::tempdir().unwrap();
    let p = pattern(dir.path(), "z_%04d.exr");
    let mut seq = LayerSequence::create(&p, false).unwrap();
    let f = frame(3, 1, 0.0);
    seq.write(3, &[Layer::new(["Z"], &f)]).unwrap();
    seq.finish().unwrap();
    let (_, _, got) = read_channels(&dir.path().join("z_0003.exr"));
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].0, "Z");
    assert_eq!(got[0].1, f.data);
}

fn expect_internal(err: Error, frame: i64, words: &str) {
    let text = err.to_string();
    assert!(matches!(err, Error::Internal(_)), "{text}");
    assert!(text.contains(&format!("frame {frame}")), "{text}");
    assert!(text.contains(words), "{text}");
}

#[test]
fn mismatched_layers_are_an_error_naming_the_frame() {
    let dir = tempfile::tempdir().unwrap();
    let p = pattern(dir.path(), "bad.####.exr");
    let mut seq = LayerSequence::create(&p, false).unwrap();
    let rgb = frame(7, 3, 0.0);
    let depth = frame(7, 1, 0.0);
    let small = Frame::filled(7, W - 1, H, 1, 0.5);

    // Fewer names than channels, and more.
    let err = seq
        .write(7, &[Layer::new(["N.x", "N.y"], &rgb)])
        .unwrap_err();
    expect_internal(err, 7, "names 2 channels");
    let err = seq
        .write(7, &[Layer::new(["Z", "Z2"], &depth)])
        .unwrap_err();
    expect_internal(err, 7, "names 2 channels");
    // Layers of different sizes.
    let err = seq
        .write(
            7,
            &[Layer::new(["Z"], &depth), Layer::new(["mask"], &small)],
        )
        .unwrap_err();
    expect_internal(err, 7, "one size");
    // The same channel name twice, within a layer and across layers.
    let err = seq
        .write(7, &[Layer::new(["R", "G", "R"], &rgb)])
        .unwrap_err();
    expect_internal(err, 7, "\"R\" is used twice");
    let err = seq
        .write(7, &[Layer::new(["Z"], &depth), Layer::new(["Z"], &depth)])
        .unwrap_err();
    expect_internal(err, 7, "\"Z\" is used twice");
    // Names EXR cannot store, and no layers at all.
    let err = seq.write(7, &[Layer::new([""], &depth)]).unwrap_err();
    expect_internal(err, 7, "invalid channel name");
    let err = seq.write(7, &[]).unwrap_err();
    expect_internal(err, 7, "no layers");

    assert_eq!(seq.written(), 0);
    let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert!(left.is_empty(), "nothing is written for refused frames");
}

#[test]
fn non_exr_patterns_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    for name in [
        "passes.####.png",
        "passes.%04d.tif",
        "passes.exr",
        "passes.mov",
    ] {
        let p = pattern(dir.path(), name);
        let err = LayerSequence::create(&p, true).unwrap_err();
        assert!(matches!(err, Error::Output { .. }), "{name}: {err}");
        assert!(err.to_string().contains("####.exr"), "{name}: {err}");
    }
    assert!(LayerSequence::create(&pattern(dir.path(), "ok.####.EXR"), false).is_ok());
}

#[test]
fn existing_frames_are_refused_without_overwrite_and_replaced_with_it() {
    let dir = tempfile::tempdir().unwrap();
    let p = pattern(dir.path(), "passes.####.exr");
    let old = dir.path().join("passes.0005.exr");
    std::fs::write(&old, b"an older render").unwrap();

    let err = LayerSequence::create(&p, false).unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, Error::Output { .. }), "{text}");
    assert!(
        text.contains("passes.0005.exr") && text.contains("--overwrite"),
        "{text}"
    );
    assert_eq!(std::fs::read(&old).unwrap(), b"an older render");

    // A frame that appears after create is still not replaced silently.
    let fresh = tempfile::tempdir().unwrap();
    let q = pattern(fresh.path(), "passes.####.exr");
    let mut seq = LayerSequence::create(&q, false).unwrap();
    let late = fresh.path().join("passes.0002.exr");
    std::fs::write(&late, b"raced").unwrap();
    let z = frame(2, 1, 0.0);
    let err = seq.write(2, &[Layer::new(["Z"], &z)]).unwrap_err();
    assert!(err.to_string().contains("--overwrite"), "{err}");
    assert_eq!(std::fs::read(&late).unwrap(), b"raced");

    let mut seq = LayerSequence::create(&p, true).unwrap();
    let z = frame(5, 1, 0.0);
    seq.write(5, &[Layer::new(["Z"], &z)]).unwrap();
    seq.finish().unwrap();
    let (_, _, got) = read_channels(&old);
    assert_eq!(got[0].0, "Z");
    assert_eq!(got[0].1, z.data);
}

#[test]
fn a_failed_write_leaves_nothing_under_the_final_name() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    std::fs::create_dir(&out).unwrap();
    let p = pattern(&out, "passes.####.exr");
    let z = frame(1, 1, 0.0);

    // The temporary file cannot be created (its name is taken by a folder):
    // the write fails after the output was reserved.
    let mut seq = LayerSequence::create(&p, false).unwrap();
    let temp = out.join(format!(
        ".passes.0001.exr.retake-partial-{}.exr",
        std::process::id()
    ));
    std::fs::create_dir(&temp).unwrap();
    let err = seq.write(1, &[Layer::new(["Z"], &z)]).unwrap_err();
    assert!(matches!(err, Error::Output { .. }), "{err}");
    assert!(err.to_string().contains("passes.0001.exr"), "{err}");
    assert!(!out.join("passes.0001.exr").exists());

    // With overwrite, a failed write keeps the previous file intact.
    std::fs::write(out.join("passes.0001.exr"), b"previous").unwrap();
    let mut seq = LayerSequence::create(&p, true).unwrap();
    assert!(seq.write(1, &[Layer::new(["Z"], &z)]).is_err());
    assert_eq!(
        std::fs::read(out.join("passes.0001.exr")).unwrap(),
        b"previous"
    );
    std::fs::remove_dir(&temp).unwrap();
    std::fs::remove_file(out.join("passes.0001.exr")).unwrap();

    // The folder disappears between create and write.
    let gone = dir.path().join("gone");
    std::fs::create_dir(&gone).unwrap();
    let mut seq = LayerSequence::create(&pattern(&gone, "passes.####.exr"), false).unwrap();
    std::fs::remove_dir(&gone).unwrap();
    let err = seq.write(1, &[Layer::new(["Z"], &z)]).unwrap_err();
    assert!(matches!(err, Error::Output { .. }), "{err}");
    assert!(!gone.join("passes.0001.exr").exists());

    // A read-only folder (skipped where permissions do not bind, e.g. root).
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let ro = dir.path().join("ro");
        std::fs::create_dir(&ro).unwrap();
        std::fs::set_permissions(&ro, std::fs::Permissions::from_mode(0o555)).unwrap();
        let binding = std::fs::write(ro.join("probe"), b"x").is_err();
        if binding {
            let mut seq = LayerSequence::create(&pattern(&ro, "passes.####.exr"), false).unwrap();
            let err = seq.write(1, &[Layer::new(["Z"], &z)]).unwrap_err();
            assert!(matches!(err, Error::Output { .. }), "{err}");
            assert!(!ro.join("passes.0001.exr").exists());
            assert!(temp_leftovers(&ro).is_empty());
        }
        std::fs::set_permissions(&ro, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    assert!(temp_leftovers(&out).is_empty());
}
