//! The learned inpainting path with the project's fixture models
//! (tests/fixtures/models, made by scripts/make_fixture_models.py): one with
//! MI-GAN's contract (u8, any size, 255 = keep), one with LaMa's (f32, fixed
//! 512x512, 1 = hole, output in 0..255). Both fill by normalised
//! convolution, so a good fill is smooth and between the colours around it.

use std::path::PathBuf;

use retake_core::Transfer;
use retake_model::{self as model, runtime, Model, ModelContext, Provider, Role};
use retake_ops::inpaint::learned::LearnedFill;
use retake_ops::inpaint::{HoleImage, SpatialFill};

const FIXTURES: [&str; 2] = ["fixture-migan", "fixture-lama"];

fn checkout() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
}

fn context() -> ModelContext {
    ModelContext {
        dirs: vec![
            checkout().join("tests/fixtures/models"),
            checkout().join("models"),
        ],
        library: vec![checkout().join(".deps/onnxruntime/libonnxruntime.so.1.31.1")],
        providers: vec![Provider::Cpu],
        threads: 2,
        colour: None,
    }
}

fn filler(name: &str) -> LearnedFill {
    let model = model::open(name, Role::Inpaint, &context()).unwrap();
    LearnedFill::new(model).unwrap()
}

/// Open a manifest whatever its role, so `LearnedFill::new` is what judges it.
fn load_any(manifest: &std::path::Path) -> Model {
    let ctx = context();
    let m = model::manifest::Manifest::load(manifest).unwrap();
    let rt = runtime::init(&ctx.library).unwrap();
    Model::load(m, rt, &ctx.providers, ctx.threads).unwrap()
}

fn srgb(v: f32) -> f32 {
    Transfer::Srgb.from_linear(v)
}

fn linear(v: f32) -> f32 {
    Transfer::Srgb.to_linear(v)
}

/// A picture from a function of (x, y) giving sRGB-encoded RGB, stored
/// scene-linear as frames are, with an elliptical hole.
fn picture(
    w: usize,
    h: usize,
    colour: impl Fn(usize, usize) -> [f32; 3],
    hole: impl Fn(usize, usize) -> bool,
) -> HoleImage {
    let mut rgb = Vec::with_capacity(w * h * 3);
    let mut holes = Vec::with_capacity(w * h);
    for y in 0..h {
        for x in 0..w {
            rgb.extend(colour(x, y).map(linear));
            holes.push(hole(x, y));
        }
    }
    HoleImage {
        width: w,
        height: h,
        rgb,
        hole: holes,
    }
}

fn ellipse(cx: f32, cy: f32, rx: f32, ry: f32) -> impl Fn(usize, usize) -> bool {
    move |x, y| {
        let (dx, dy) = ((x as f32 - cx) / rx, (y as f32 - cy) / ry);
        dx * dx + dy * dy <= 1.0
    }
}

/// Known pixels bit for bit as before; hole pixels changed and finite.
fn assert_known_kept(before: &HoleImage, after: &HoleImage, name: &str) {
    for i in 0..before.hole.len() {
        let (a, b) = (&before.rgb[i * 3..i * 3 + 3], &after.rgb[i * 3..i * 3 + 3]);
        if before.hole[i] {
            assert!(
                b.iter().all(|v| v.is_finite()),
                "{name}: pixel {i} is {b:?}"
            );
        } else {
            assert!(
                a.iter().zip(b).all(|(p, q)| p.to_bits() == q.to_bits()),
                "{name}: known pixel {i} changed from {a:?} to {b:?}"
            );
        }
    }
}

#[test]
fn fixtures_fill_only_the_hole_and_keep_hdr_values() {
    for name in FIXTURES {
        let f = filler(name);
        assert_eq!(f.name(), name);
        let (w, h) = (300, 180);
        let hole = ellipse(150.0, 90.0, 40.0, 25.0);
        let mut img = picture(
            w,
            h,
            |x, y| {
                let t = ((x / 7 + y / 5) % 3) as f32 * 0.1;
                [0.3 + t, 0.5, 0.7 - t]
            },
            &hole,
        );
        // HDR highlights right beside the hole and far away; the caller's
        // leftovers in the hole (the removed object) are bright too.
        for y in 0..h {
            for x in 0..w {
                let i = y * w + x;
                let v = if hole(x, y) {
                    1000.0
                } else if (x + y) % 11 == 0 || ((150..160).contains(&x) && y == 64) {
                    4.0 + (x % 50) as f32
                } else {
                    continue;
                };
                img.rgb[i * 3..i * 3 + 3].copy_from_slice(&[v, v * 0.5, v * 0.25]);
            }
        }
        // Broken values beside the hole must not spread into the fill.
        let i = 64 * w + 148;
        img.rgb[i * 3..i * 3 + 3].copy_from_slice(&[f32::NAN, f32::INFINITY, -1.0]);
        let before = img.clone();
        f.fill(&mut img).unwrap();
        assert_known_kept(&before, &img, name);
        for i in (0..w * h).filter(|&i| before.hole[i]) {
            let p = &img.rgb[i * 3..i * 3 + 3];
            assert!(
                p.iter().all(|&v| (0.0..=1.0).contains(&v)),
                "{name}: hole pixel {i} is {p:?}; the fill is display-range, the removed object's 1000 must be gone"
            );
        }
    }
}

#[test]
fn a_smooth_gradient_is_continued_closely() {
    for name in FIXTURES {
        let f = filler(name);
        let (w, h) = (300, 180);
        let colour = |x: usize, y: usize| {
            let (u, v) = (x as f32 / w as f32, y as f32 / h as f32);
            [0.2 + 0.6 * u, 0.3 + 0.4 * v, 0.5]
        };
        let mut img = picture(w, h, colour, ellipse(140.0, 95.0, 30.0, 20.0));
        f.fill(&mut img).unwrap();
        let (mut worst, mut sq, mut n) = (0.0f32, 0.0f64, 0usize);
        for y in 0..h {
            for x in 0..w {
                let i = y * w + x;
                if !img.hole[i] {
                    continue;
                }
                let truth = colour(x, y);
                for (v, t) in img.rgb[i * 3..i * 3 + 3].iter().zip(truth) {
                    let e = (srgb(*v) - t).abs();
                    worst = worst.max(e);
                    sq += (e * e) as f64;
                    n += 1;
                }
            }
        }
        let rms = (sq / n as f64).sqrt();
        eprintln!("{name}: gradient fill error rms {rms:.4}, worst {worst:.4} (sRGB units)");
        assert!(
            rms < 0.02 && worst < 0.06,
            "{name}: rms {rms}, worst {worst}"
        );
    }
}

#[test]
fn a_hole_across_two_colours_is_filled_between_them() {
    let (a, b) = ([0.1f32, 0.6, 0.2], [0.9f32, 0.2, 0.5]);
    for name in FIXTURES {
        let f = filler(name);
        let (w, h) = (300, 180);
        let colour = |x: usize, _| if x < 150 { a } else { b };
        let mut img = picture(w, h, colour, ellipse(150.0, 90.0, 50.0, 30.0));
        f.fill(&mut img).unwrap();
        let mut left = [0.0f32; 3];
        let mut right = [0.0f32; 3];
        let (mut nl, mut nr) = (0, 0);
        for y in 0..h {
            for x in 0..w {
                let i = y * w + x;
                if !img.hole[i] {
                    continue;
                }
                let p: Vec<f32> = img.rgb[i * 3..i * 3 + 3].iter().map(|&v| srgb(v)).collect();
                for c in 0..3 {
                    let (lo, hi) = (a[c].min(b[c]), a[c].max(b[c]));
                    assert!(
                        p[c] >= lo - 0.003 && p[c] <= hi + 0.003,
                        "{name}: hole pixel ({x}, {y}) is {p:?}, not between {a:?} and {b:?}"
                    );
                }
                // The hole's outer thirds, where one colour is nearer.
                if x < 125 {
                    nl += 1;
                    (0..3).for_each(|c| left[c] += p[c]);
                } else if x >= 175 {
                    nr += 1;
                    (0..3).for_each(|c| right[c] += p[c]);
                }
            }
        }
        let dist = |m: [f32; 3], n: usize, t: [f32; 3]| {
            (0..3).map(|c| (m[c] / n as f32 - t[c]).abs()).sum::<f32>()
        };
        assert!(
            dist(left, nl, a) < dist(left, nl, b) && dist(right, nr, b) < dist(right, nr, a),
            "{name}: the left of the hole should lean to the left colour and the right to the right"
        );
    }
}

#[test]
fn crops_of_any_size_and_holes_at_the_border_work() {
    for name in FIXTURES {
        let f = filler(name);
        for (w, h, hole) in [
            (40usize, 30usize, (14usize, 11usize, 12usize, 8usize)),
            (300, 180, (0, 0, 25, 40)),
            (300, 180, (260, 150, 40, 30)),
            (7, 5, (3, 2, 1, 1)),
        ] {
            let (hx, hy, hw, hh) = hole;
            let grey = |x: usize, y: usize| {
                let v = 0.4 + 0.2 * ((x + y) % 2) as f32;
                [v, v, v]
            };
            let mut img = picture(w, h, grey, |x, y| {
                x >= hx && x < hx + hw && y >= hy && y < hy + hh
            });
            let before = img.clone();
            f.fill(&mut img).unwrap();
            assert_known_kept(&before, &img, name);
            for i in (0..w * h).filter(|&i| img.hole[i]) {
                for c in 0..3 {
                    let v = srgb(img.rgb[i * 3 + c]);
                    assert!(
                        (0.38..=0.62).contains(&v),
                        "{name} {w}x{h}: hole pixel {i} is {v}, expected near 0.4..0.6"
                    );
                }
            }
        }
        // All hole: nothing to fill from, an error as with PatchMatch.
        let mut img = picture(20, 10, |_, _| [0.5; 3], |_, _| true);
        let err = f.fill(&mut img).unwrap_err().to_string();
        assert!(err.contains("whole 20x10 picture is hole"), "{err}");
        // No hole: nothing to do, nothing changed.
        let mut img = picture(20, 10, |_, _| [0.5; 3], |_, _| false);
        let before = img.clone();
        f.fill(&mut img).unwrap();
        assert_eq!(before.rgb, img.rgb);
    }
}

#[test]
fn models_without_the_inpaint_contract_are_refused_by_name() {
    // A segmentation model: wrong role.
    let u2 = load_any(&checkout().join("models/u2netp.toml"));
    let err = LearnedFill::new(u2).err().unwrap().to_string();
    assert!(err.contains("u2netp") && err.contains("inpaint"), "{err}");

    let dir = tempfile::tempdir().unwrap();
    let fixtures = checkout().join("tests/fixtures/models");
    let migan_toml = std::fs::read_to_string(fixtures.join("fixture-migan.toml")).unwrap();
    std::fs::copy(
        fixtures.join("fixture-migan.onnx"),
        dir.path().join("fixture-migan.onnx"),
    )
    .unwrap();

    // The right graph, but the manifest does not say which way the mask goes.
    let p = dir.path().join("no-convention.toml");
    std::fs::write(
        &p,
        migan_toml.replace("mask = \"keep\"\n", "").replace(
            "name = \"fixture-migan\"",
            "name = \"fixture-no-convention\"",
        ),
    )
    .unwrap();
    let err = LearnedFill::new(load_any(&p)).err().unwrap().to_string();
    assert!(
        err.contains("fixture-no-convention")
            && err.contains("no-convention.toml")
            && err.contains("mask = \"keep\""),
        "{err}"
    );

    // A segmentation graph labelled as an inpainting model: one input.
    let p = dir.path().join("u2-as-inpaint.toml");
    let u2_toml = std::fs::read_to_string(checkout().join("models/u2netp.toml"))
        .unwrap()
        .replace("role = \"mask\"", "role = \"inpaint\"")
        .replace("name = \"u2netp\"", "name = \"u2netp-as-inpaint\"");
    std::fs::write(&p, u2_toml).unwrap();
    std::fs::copy(
        checkout().join("models/u2netp.onnx"),
        dir.path().join("u2netp.onnx"),
    )
    .unwrap();
    let err = LearnedFill::new(load_any(&p)).err().unwrap().to_string();
    assert!(
        err.contains("u2netp-as-inpaint") && err.contains("two inputs"),
        "{err}"
    );
}

/// A working space whose values are twice linear Rec.709's, converted for
/// the model the way a colour config would be (through the hook).
#[derive(Debug)]
struct DoubledWorkingSpace;

impl retake_model::ModelColour for DoubledWorkingSpace {
    fn encode_for_model(
        &self,
        _: retake_model::manifest::PixelEncoding,
        rgb: &mut [f32],
    ) -> retake_core::Result<()> {
        let table = retake_core::colour::EncodeTable::new(Transfer::Srgb);
        rgb.iter_mut().for_each(|v| *v = table.encode(*v / 2.0));
        Ok(())
    }

    fn decode_from_model(
        &self,
        _: retake_model::manifest::PixelEncoding,
        rgb: &mut [f32],
    ) -> retake_core::Result<()> {
        rgb.iter_mut().for_each(|v| *v = linear(*v) * 2.0);
        Ok(())
    }
}

#[test]
fn a_colour_hook_converts_what_the_model_sees_and_gives_back() {
    let hooked = |name: &str| {
        let ctx = ModelContext {
            colour: Some(std::sync::Arc::new(DoubledWorkingSpace)),
            ..context()
        };
        LearnedFill::new(model::open(name, Role::Inpaint, &ctx).unwrap()).unwrap()
    };
    for name in FIXTURES {
        let (w, h) = (120, 80);
        let hole = ellipse(60.0, 40.0, 20.0, 12.0);
        let colour = |x: usize, y: usize| [x as f32 / 120.0, y as f32 / 80.0, 0.4];
        let mut plain = picture(w, h, colour, &hole);
        filler(name).fill(&mut plain).unwrap();
        let mut doubled = picture(w, h, colour, &hole);
        doubled.rgb.iter_mut().for_each(|v| *v *= 2.0);
        hooked(name).fill(&mut doubled).unwrap();
        // The same fill, seen in a working space twice as bright.
        for (i, (a, b)) in plain.rgb.iter().zip(&doubled.rgb).enumerate() {
            assert_eq!(a * 2.0, *b, "{name}: value {i}");
        }
    }
}
