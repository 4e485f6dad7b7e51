//! The learned depth path with the project's FIXTURE depth model
//! (tests/fixtures/models/fixture-depth-anything, made by
//! scripts/make_fixture_models.py, not a real model): Depth Anything V2's
//! tensor contract, giving 1 + 4 x (row from the top) + 2 x (blurred
//! brightness) as relative inverse depth. On a flat grey picture that is a
//! ramp of inverse depth down the frame, which a pinhole camera sees as a
//! plane (a floor): known geometry to check the whole chain against.

use std::path::PathBuf;

use retake_core::Frame;
use retake_imageops::pinhole::{back_project, focal_length};
use retake_model::depth::{depth_from_disparity, normalise_disparity, DepthModel};
use retake_model::{self as model, runtime, Model, ModelContext, Provider, Role};
use retake_ops3d::relight::{Relight, RelightParams};

fn checkout() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
}

fn context() -> ModelContext {
    ModelContext {
        dirs: vec![checkout().join("tests/fixtures/models")],
        library: vec![checkout().join(".deps/onnxruntime/libonnxruntime.so.1.31.1")],
        providers: vec![Provider::Cpu],
        threads: 2,
        colour: None,
    }
}

fn depth_model() -> DepthModel {
    DepthModel::new(model::open("fixture-depth-anything", Role::Depth, &context()).unwrap())
        .unwrap()
}

fn cross(a: [f32; 3], b: [f32; 3]) -> [f32; 3] {
    [
        a[1] * b[2] - a[2] * b[1],
        a[2] * b[0] - a[0] * b[2],
        a[0] * b[1] - a[1] * b[0],
    ]
}

fn unit(v: [f32; 3]) -> [f32; 3] {
    let l = (v[0] * v[0] + v[1] * v[1] + v[2] * v[2]).sqrt();
    [v[0] / l, v[1] / l, v[2] / l]
}

fn angle_deg(a: [f32; 3], b: [f32; 3]) -> f32 {
    (a[0] * b[0] + a[1] * b[1] + a[2] * b[2])
        .clamp(-1.0, 1.0)
        .acos()
        .to_degrees()
}

#[test]
fn a_flat_picture_becomes_the_floor_the_fixture_describes() {
    let (w, h) = (320, 180);
    let frame = Frame::filled(0, w, h, 3, 0.18);
    let dm = depth_model();
    let d = dm.disparity(&frame).unwrap();
    // The long side is the model's 518 at most and the frame's own.
    assert_eq!((d.width, d.height), (320, 180));
    // Inverse depth grows down the frame, the same along each row.
    for y in 0..d.height {
        let row = &d.data[y * d.width..(y + 1) * d.width];
        let spread = row.iter().fold(0.0f32, |m, v| m.max((v - row[0]).abs()));
        assert!(spread < 1e-3, "row {y} varies by {spread}");
    }
    assert!(d.data[(d.height - 1) * d.width] > d.data[0] + 3.0);

    let fov = 50.0;
    let op = Relight::new(RelightParams {
        fov,
        ..RelightParams::default()
    })
    .unwrap()
    .with_depth_model(dm);
    let g = op.frame_geometry(&frame).unwrap().geometry;
    assert_eq!((g.width, g.height), (320, 180));
    let z = depth_from_disparity(&normalise_disparity(&d.data), op.params().depth_range);
    assert_eq!(g.depth, z);
    // The plane through the centre column: its normal is perpendicular to
    // the frame's x axis and to the line between two of its points.
    let f = focal_length(g.width, fov);
    let at = |y: usize| {
        let i = y * g.width + g.width / 2;
        back_project(
            (g.width / 2) as f32,
            y as f32,
            g.depth[i],
            g.width,
            g.height,
            f,
        )
    };
    let (a, b) = (at(60), at(120));
    let mut truth = unit(cross(
        [1.0, 0.0, 0.0],
        [b[0] - a[0], b[1] - a[1], b[2] - a[2]],
    ));
    if truth[2] < 0.0 {
        truth = [-truth[0], -truth[1], -truth[2]];
    }
    // A floor: facing up and towards the camera.
    assert!(truth[1] > 0.2 && truth[2] > 0.2, "{truth:?}");
    let mut worst = 0.0f32;
    // Away from the rows the normalisation clips (2% at each end) and the
    // frame's border.
    for y in 20..g.height - 20 {
        for x in 8..g.width - 8 {
            worst = worst.max(angle_deg(g.normals[y * g.width + x], truth));
        }
    }
    assert!(worst < 1.0, "normals off the analytic floor by {worst} deg");
}

#[test]
fn learned_depth_relights_differently_from_the_built_in_estimate() {
    // A bright disc on a dark ground: the fixture puts the disc nearer.
    let (w, h) = (96, 64);
    let data: Vec<f32> = (0..w * h)
        .flat_map(|i| {
            let (x, y) = ((i % w) as f32 - 48.0, (i / w) as f32 - 32.0);
            let v = if x * x + y * y < 400.0 { 0.6 } else { 0.05 };
            [v, v * 0.9, v * 0.8]
        })
        .collect();
    let frame = Frame::from_data(0, w, h, 3, data).unwrap();
    let params = RelightParams {
        preset: Some("key".into()),
        temporal_radius: 0,
        ..RelightParams::default()
    };
    let learned = Relight::new(params.clone())
        .unwrap()
        .with_depth_model(depth_model());
    let builtin = Relight::new(params).unwrap();
    let window = |op: &Relight| {
        let item = std::sync::Arc::new(retake_core::window::Item {
            frame: std::sync::Arc::new(frame.clone()),
            analysis: op.frame_geometry(&frame).unwrap(),
        });
        retake_core::window::Window::new(vec![item], 0)
    };
    let a = learned.relight(&window(&learned)).unwrap();
    let b = builtin.relight(&window(&builtin)).unwrap();
    let again = learned.relight(&window(&learned)).unwrap();
    assert_eq!(a.data, again.data, "the learned path is deterministic");
    let diff = a
        .data
        .iter()
        .zip(&b.data)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0f32, f32::max);
    assert!(
        diff > 0.01,
        "learned and built-in geometry gave the same light"
    );
    // Relighting only multiplies: the dark ground stays dark, the disc bright.
    assert!(a.data.iter().all(|v| v.is_finite() && *v >= 0.0));
}

#[test]
fn a_model_of_another_role_is_refused_by_name() {
    let ctx = context();
    let manifest = checkout().join("tests/fixtures/models/fixture-migan.toml");
    let m = model::manifest::Manifest::load(&manifest).unwrap();
    let rt = runtime::init(&ctx.library).unwrap();
    let model = Model::load(m, rt, &ctx.providers, ctx.threads).unwrap();
    let e = DepthModel::new(model)
        .err()
        .expect("an inpainting model is no depth model");
    let text = e.to_string();
    assert!(
        text.contains("fixture-migan.toml") && text.contains("inpaint"),
        "{text}"
    );
}
