//! Relighting on synthetic scenes with a known answer: a textured
//! Lambertian sphere in front of a textured wall, seen through a pinhole.
//! Depth, normals and albedo are known exactly, so a relit frame can be
//! compared with the scene rendered under the new light.
//!
//! The ratio model (see `relight::shading`): the shot was lit by a uniform
//! light `S`; adding a light of intensity `k` adds irradiance `k S` times
//! its cosine (and falloff), so the true render is
//! `albedo · S · (1 + k · colour · lambert · falloff + ambient) · grade`.

#[path = "../../retake-ops/tests/common/mod.rs"]
mod common;

use std::sync::{Arc, Mutex};

use retake_core::pipeline::{self, PipelineOptions};
use retake_core::window::{Item, Window};
use retake_core::{ClipInfo, Error, Frame, FrameSource, Result};
use retake_imageops::keyframes::Keyframes;
use retake_imageops::pinhole::focal_length;
use retake_ops3d::relight::geometry::EstimateOptions;
use retake_ops3d::relight::shading::{
    apply, point_falloff, relit, relit_with_detail, shading, shadow_occlusion,
};
use retake_ops3d::relight::{
    self, built_in_geometry, normals_from_depth, presets, stabilise, AlphaRole, DepthEncoding,
    Geometry, LightKind, MaskMode, NormalEncoding, Relight, RelightParams, Rgb, Stabilisation,
};

use common::Collect;

const W: usize = 160;
const H: usize = 120;
const FOV: f32 = 50.0;
/// The shot's existing (uniform) light.
const S: f32 = 0.6;
/// Sphere centre (camera space, z towards the camera) and radius; the
/// wall is at depth 1.
const CENTRE: [f32; 3] = [0.05, -0.02, -0.7];
const RADIUS: f32 = 0.18;

fn dot(a: [f32; 3], b: [f32; 3]) -> f32 {
    a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
}

fn norm(v: [f32; 3]) -> [f32; 3] {
    let n = dot(v, v).sqrt();
    [v[0] / n, v[1] / n, v[2] / n]
}

/// The test's own pinhole: the ray through pixel (x, y) with z = -1.
fn ray(x: f32, y: f32, w: usize, h: usize) -> [f32; 3] {
    let f = focal_length(w, FOV);
    [
        (x + 0.5 - w as f32 / 2.0) / f,
        -(y + 0.5 - h as f32 / 2.0) / f,
        -1.0,
    ]
}

/// Hit of the ray with the sphere: depth (= t, since the ray's z is -1).
fn sphere_hit(d: [f32; 3], centre: [f32; 3], radius: f32) -> Option<f32> {
    let a = dot(d, d);
    let b = dot(d, centre);
    let c = dot(centre, centre) - radius * radius;
    let disc = b * b - a * c;
    (disc >= 0.0).then(|| (b - disc.sqrt()) / a)
}

struct Scene {
    depth: Vec<f32>,
    normals: Vec<[f32; 3]>,
    albedo: Vec<[f32; 3]>,
    on_sphere: Vec<bool>,
}

fn albedo(x: usize, y: usize) -> [f32; 3] {
    let (x, y) = (x as f32, y as f32);
    [
        0.55 + 0.3 * (0.31 * x).sin() * (0.23 * y).cos(),
        0.5 + 0.25 * (0.17 * x + 0.29 * y).sin(),
        0.45 + 0.2 * (0.41 * x - 0.13 * y).cos(),
    ]
}

fn scene() -> Scene {
    let n = W * H;
    let mut s = Scene {
        depth: Vec::with_capacity(n),
        normals: Vec::with_capacity(n),
        albedo: Vec::with_capacity(n),
        on_sphere: Vec::with_capacity(n),
    };
    for y in 0..H {
        for x in 0..W {
            let d = ray(x as f32, y as f32, W, H);
            match sphere_hit(d, CENTRE, RADIUS) {
                Some(t) => {
                    let p = [d[0] * t, d[1] * t, d[2] * t];
                    s.depth.push(t);
                    s.normals
                        .push(norm([p[0] - CENTRE[0], p[1] - CENTRE[1], p[2] - CENTRE[2]]));
                    s.on_sphere.push(true);
                }
                None => {
                    s.depth.push(1.0);
                    s.normals.push([0.0, 0.0, 1.0]);
                    s.on_sphere.push(false);
                }
            }
            s.albedo.push(albedo(x, y));
        }
    }
    s
}

/// The shot: the scene under the uniform light S.
fn shot(s: &Scene, index: i64) -> Frame {
    let data = s.albedo.iter().flat_map(|a| a.map(|v| v * S)).collect();
    Frame::from_data(index, W, H, 3, data).unwrap()
}

fn truth_geometry(s: &Scene) -> Geometry {
    Geometry {
        width: W,
        height: H,
        depth: s.depth.clone(),
        normals: s.normals.clone(),
    }
}

/// Unit vector towards a light at azimuth/elevation, written out here
/// from the documented convention (0° = right, 90° = up, elevation
/// towards the camera).
fn towards(az: f32, el: f32) -> [f32; 3] {
    let (a, e) = (az.to_radians(), el.to_radians());
    [e.cos() * a.cos(), e.cos() * a.sin(), e.sin()]
}

/// Pixels at least `margin` pixels from the sphere's outline.
fn away_from_edges(s: &Scene, margin: isize) -> Vec<bool> {
    (0..W * H)
        .map(|i| {
            let (x, y) = ((i % W) as isize, (i / W) as isize);
            let me = s.on_sphere[i];
            (-margin..=margin).all(|dy| {
                (-margin..=margin).all(|dx| {
                    let (xx, yy) = (x + dx, y + dy);
                    xx < 0
                        || yy < 0
                        || xx >= W as isize
                        || yy >= H as isize
                        || s.on_sphere[yy as usize * W + xx as usize] == me
                })
            })
        })
        .collect()
}

fn directional(az: f32, el: f32, k: f32, softness: f32) -> RelightParams {
    RelightParams {
        light: Some(LightKind::Directional),
        azimuth: Some(az.into()),
        elevation: Some(el.into()),
        intensity: Some(k.into()),
        softness: Some(softness.into()),
        colour: Some(Rgb([1.0, 0.9, 0.8])),
        fov: FOV,
        ..RelightParams::default()
    }
}

/// Largest absolute difference between a frame and an expected picture.
fn max_error(out: &Frame, expected: impl Fn(usize) -> [f32; 3]) -> f32 {
    (0..W * H)
        .map(|i| {
            let e = expected(i);
            (0..3)
                .map(|c| (out.data[i * out.channels + c] - e[c]).abs())
                .fold(0.0f32, f32::max)
        })
        .fold(0.0, f32::max)
}

#[test]
fn relighting_with_the_true_normals_matches_the_analytic_render() {
    let s = scene();
    let input = shot(&s, 0);
    let g = truth_geometry(&s);
    for (az, el, k, soft) in [
        (30.0, 40.0, 0.7, 0.0),
        (160.0, 20.0, 1.5, 0.0),
        (250.0, 60.0, 0.4, 0.5),
    ] {
        let params = directional(az, el, k, soft);
        params.validate().unwrap();
        let lighting = params.at(0).unwrap();
        let out = apply(&input, &shading(&g, &lighting, FOV), None, false).unwrap();
        let l = towards(az, el);
        let colour = [1.0, 0.9, 0.8];
        let err = max_error(&out, |i| {
            let lambert = ((dot(s.normals[i], l) + soft) / (1.0 + soft)).max(0.0);
            let a = s.albedo[i];
            [0, 1, 2].map(|c| a[c] * (S + S * k * colour[c] * lambert))
        });
        assert!(err < 1e-5, "light {az}/{el}: max error {err}");
    }
}

#[test]
fn ambient_and_grade_follow_the_model() {
    let s = scene();
    let input = shot(&s, 0);
    let g = truth_geometry(&s);
    let params = RelightParams {
        ambient: Some((-0.2).into()),
        exposure: Some((-0.5).into()),
        grade: Some(Rgb([1.0, 0.95, 0.9])),
        ..directional(30.0, 40.0, 0.7, 0.0)
    };
    let lighting = params.at(0).unwrap();
    let out = apply(&input, &shading(&g, &lighting, FOV), None, false).unwrap();
    let l = towards(30.0, 40.0);
    let (colour, tint, gain) = ([1.0, 0.9, 0.8], [1.0, 0.95, 0.9], 0.5f32.sqrt());
    let err = max_error(&out, |i| {
        let lambert = dot(s.normals[i], l).max(0.0);
        let a = s.albedo[i];
        [0, 1, 2].map(|c| a[c] * S * (1.0 + 0.7 * colour[c] * lambert - 0.2) * tint[c] * gain)
    });
    assert!(err < 1e-5, "max error {err}");
}

#[test]
fn a_point_light_falls_off_from_its_position() {
    let s = scene();
    let input = shot(&s, 0);
    let g = truth_geometry(&s);
    // The wall covers most of the frame: the scene's scale (median depth) is 1.
    assert_eq!(g.scale(), 1.0);
    let params = RelightParams {
        light: Some(LightKind::Point),
        light_x: Some(0.8.into()),
        light_y: Some(0.25.into()),
        light_depth: Some(0.6.into()),
        intensity: Some(0.5.into()),
        softness: Some(0.0.into()),
        colour: Some(Rgb([1.0; 3])),
        fov: FOV,
        ..RelightParams::default()
    };
    let lighting = params.at(0).unwrap();
    let out = apply(&input, &shading(&g, &lighting, FOV), None, false).unwrap();
    // The light is on the ray through frame point (0.8, 0.25), 0.6 from the camera.
    let r = ray(0.8 * W as f32 - 0.5, 0.25 * H as f32 - 0.5, W, H);
    let light = [r[0] * 0.6, r[1] * 0.6, r[2] * 0.6];
    let err = max_error(&out, |i| {
        let (x, y) = ((i % W) as f32, (i / W) as f32);
        let d = ray(x, y, W, H);
        let p = [d[0] * s.depth[i], d[1] * s.depth[i], d[2] * s.depth[i]];
        let v = [light[0] - p[0], light[1] - p[1], light[2] - p[2]];
        let dist = dot(v, v).sqrt();
        let lambert = dot(s.normals[i], norm(v)).max(0.0);
        let e = 0.5 * lambert * point_falloff(dist);
        s.albedo[i].map(|a| a * S * (1.0 + e))
    });
    assert!(err < 1e-4, "max error {err}");
}

#[test]
fn normals_estimated_from_the_true_depth_relight_almost_as_well() {
    let s = scene();
    let input = shot(&s, 0);
    let depth_pass = Frame::from_data(0, W, H, 1, s.depth.clone()).unwrap();
    let g = Geometry::from_depth_pass("z.exr", &depth_pass, W, H, FOV, DepthEncoding::Distance)
        .unwrap();
    let params = directional(30.0, 40.0, 0.7, 0.0);
    let out = apply(
        &input,
        &shading(&g, &params.at(0).unwrap(), FOV),
        None,
        false,
    )
    .unwrap();
    let l = towards(30.0, 40.0);
    let keep = away_from_edges(&s, 3);
    let (mut sum, mut n, mut worst) = (0.0f32, 0.0f32, 0.0f32);
    for i in (0..W * H).filter(|&i| keep[i]) {
        let lambert = dot(s.normals[i], l).max(0.0);
        for (c, colour) in [1.0, 0.9, 0.8].into_iter().enumerate() {
            let truth = s.albedo[i][c] * S * (1.0 + 0.7 * colour * lambert);
            let e = (out.data[i * 3 + c] - truth).abs() / truth;
            sum += e;
            worst = worst.max(e);
            n += 1.0;
        }
    }
    eprintln!(
        "relative error with normals from depth: mean {} worst {worst}",
        sum / n
    );
    assert!(sum / n < 0.005, "mean relative error {}", sum / n);
    assert!(worst < 0.06, "worst relative error {worst}");
}

#[test]
fn zero_added_light_returns_the_input() {
    let s = scene();
    let input = shot(&s, 3);
    let params = RelightParams {
        intensity: Some(0.0.into()),
        ambient: Some(0.0.into()),
        rim: Some(0.0.into()),
        shadows: true,
        ..RelightParams::default()
    };
    let lighting = params.at(3).unwrap();
    assert!(lighting.is_identity());
    // Through the shading (with shadows on) on the built-in geometry...
    let g = built_in_geometry(&input, None, 20.0, FOV).unwrap();
    let out = apply(&input, &shading(&g, &lighting, FOV), None, false).unwrap();
    assert!(max_error(&out, |i| input.pixel(i % W, i / W).try_into().unwrap()) <= 1e-6);
    // ...and through the operation, with a matte as alpha.
    let matted = with_alpha(&input, |x, y| (x > 60 && y > 30) as u8 as f32);
    let op = Relight::new(params).unwrap();
    let out = render_one(&op, &matted);
    assert_eq!(out.channels, 3);
    assert!(max_error(&out, |i| input.pixel(i % W, i / W).try_into().unwrap()) <= 1e-6);
}

fn with_alpha(frame: &Frame, alpha: impl Fn(usize, usize) -> f32) -> Frame {
    let mut out = frame.with_channels(4);
    for y in 0..frame.height {
        for x in 0..frame.width {
            out.data[(y * frame.width + x) * 4 + 3] = alpha(x, y);
        }
    }
    out
}

fn render_one(op: &Relight, frame: &Frame) -> Frame {
    use retake_core::pipeline::Operation;
    let analysis = op.analyse(frame).unwrap();
    let item = Arc::new(Item {
        frame: Arc::new(frame.clone()),
        analysis,
    });
    Arc::unwrap_or_clone(op.render(&Window::new(vec![item], 0)).unwrap())
}

/// Mean angle (degrees) between two normal fields over the kept pixels.
fn mean_angle(a: &[[f32; 3]], b: &[[f32; 3]], keep: &[bool]) -> f32 {
    let (mut sum, mut n) = (0.0f64, 0.0f64);
    for i in 0..a.len() {
        if keep[i] {
            sum += (dot(a[i], b[i]).clamp(-1.0, 1.0) as f64)
                .acos()
                .to_degrees();
            n += 1.0;
        }
    }
    (sum / n) as f32
}

#[test]
fn normals_from_the_depth_of_a_tilted_plane_are_its_normal() {
    // A plane through (0, 0, -2) facing up-right-forward.
    let normal = norm([0.3, 0.5, 1.0]);
    let p0 = [0.0, 0.0, -2.0];
    let depth: Vec<f32> = (0..W * H)
        .map(|i| {
            let d = ray((i % W) as f32, (i / W) as f32, W, H);
            // Solve normal · (t d - p0) = 0.
            dot(normal, p0) / dot(normal, d)
        })
        .collect();
    assert!(depth.iter().all(|d| *d > 0.0));
    let n = normals_from_depth(&depth, W, H, FOV);
    let truth = vec![normal; W * H];
    let keep: Vec<bool> = (0..W * H)
        .map(|i| (2..W - 2).contains(&(i % W)) && (2..H - 2).contains(&(i / W)))
        .collect();
    let err = mean_angle(&n, &truth, &keep);
    assert!(err < 0.1, "mean angular error {err}°");
    // Everywhere, borders included.
    assert!(mean_angle(&n, &truth, &vec![true; W * H]) < 0.5);
}

#[test]
fn normals_from_the_depth_of_a_sphere_are_its_normals() {
    let s = scene();
    let n = normals_from_depth(&s.depth, W, H, FOV);
    let keep = away_from_edges(&s, 3);
    let sphere: Vec<bool> = keep
        .iter()
        .zip(&s.on_sphere)
        .map(|(k, o)| *k && *o)
        .collect();
    let on = mean_angle(&n, &s.normals, &sphere);
    let all = mean_angle(&n, &s.normals, &keep);
    eprintln!("sphere: mean angular error {on}°, whole frame {all}°");
    assert!(on < 2.0, "sphere: {on}°");
    assert!(all < 2.0, "frame: {all}°");
    // The wall next to the sphere keeps its normal: edges do not bleed.
    let wall_near: Vec<bool> = (0..W * H)
        .map(|i| {
            !s.on_sphere[i] && keep[i] && {
                let (x, y) = ((i % W) as f32, (i / W) as f32);
                let c = (W as f32 / 2.0 + 9.0, H as f32 / 2.0 + 3.0);
                ((x - c.0).powi(2) + (y - c.1).powi(2)).sqrt() < 60.0
            }
        })
        .collect();
    assert!(mean_angle(&n, &s.normals, &wall_near) < 0.5);
}

#[test]
fn the_built_in_estimate_makes_a_disc_a_sphere_and_tilts_the_background() {
    let s = scene();
    let input = shot(&s, 0);
    let matte: Vec<f32> = s.on_sphere.iter().map(|&b| b as u8 as f32).collect();
    let g = built_in_geometry(&input, Some(&matte), 0.0, FOV).unwrap();
    let smooth = relight::geometry::estimate_shape(
        &input,
        Some(&matte),
        &EstimateOptions {
            fov_deg: FOV,
            ..EstimateOptions::default()
        },
    )
    .unwrap();
    assert_eq!((smooth.width, smooth.height), (W, H));
    // Inside the disc (away from its rim, where the smoothing rounds the
    // profile off) the shape is close to the true sphere, perspective
    // included.
    let inner = away_from_edges(&s, 4);
    let disc: Vec<bool> = inner
        .iter()
        .zip(&s.on_sphere)
        .map(|(k, o)| *k && *o)
        .collect();
    let err = mean_angle(&smooth.normals, &s.normals, &disc);
    eprintln!("built-in sphere: mean angular error {err}° (smooth shape)");
    assert!(err < 4.0, "{err}°");
    // The subject stands in front of the background.
    let (i_sphere, i_wall) = ((H / 2) * W + W / 2 + 8, 5 * W + 5);
    assert!(g.depth[i_sphere] < g.depth[i_wall]);
    // With detail, the normals stay close to the smooth shape.
    assert!(mean_angle(&g.normals, &smooth.normals, &vec![true; W * H]) < 20.0);
    // A floor tilted 30° faces up: normal (0, sin 30°, cos 30°).
    let floor = relight::geometry::estimate_shape(
        &input,
        None,
        &EstimateOptions {
            background_tilt_deg: 30.0,
            fov_deg: FOV,
            detail: 0.0,
            ..EstimateOptions::default()
        },
    )
    .unwrap();
    let expected = vec![[0.0, 0.5, 0.75f32.sqrt()]; W * H];
    let err = mean_angle(&floor.normals, &expected, &vec![true; W * H]);
    assert!(err < 0.5, "floor: {err}°");
}

#[test]
fn the_sphere_casts_its_shadow_where_the_analytic_shadow_is() {
    let s = scene();
    let g = truth_geometry(&s);
    let (az, el) = (20.0, 35.0);
    let params = RelightParams {
        shadows: true,
        shadow_strength: 1.0,
        ..directional(az, el, 1.0, 0.0)
    };
    let lighting = params.at(0).unwrap();
    let occ = shadow_occlusion(&g, &lighting.lights[0], FOV);
    let l = towards(az, el);
    let (mut both, mut either, mut truth_n) = (0, 0, 0);
    for i in (0..W * H).filter(|&i| !s.on_sphere[i]) {
        let d = ray((i % W) as f32, (i / W) as f32, W, H);
        let p = [d[0], d[1], d[2]]; // the wall is at depth 1
                                    // Does the ray from the wall towards the light hit the sphere?
        let oc = [p[0] - CENTRE[0], p[1] - CENTRE[1], p[2] - CENTRE[2]];
        let b = dot(oc, l);
        let c = dot(oc, oc) - RADIUS * RADIUS;
        let truth = b * b - c >= 0.0 && -b - (b * b - c).sqrt() > 0.0;
        let ours = occ[i] > 0.5;
        truth_n += truth as usize;
        both += (truth && ours) as usize;
        either += (truth || ours) as usize;
    }
    let iou = both as f32 / either as f32;
    eprintln!("shadow: {truth_n} true shadow pixels, IoU {iou}");
    assert!(truth_n > 500, "the test scene casts too small a shadow");
    assert!(iou > 0.85, "IoU {iou}");
    // Lit faces of the sphere are not in shadow.
    let self_shadowed = (0..W * H)
        .filter(|&i| s.on_sphere[i] && dot(s.normals[i], l) > 0.2 && occ[i] > 0.5)
        .count();
    assert!(
        self_shadowed < 20,
        "{self_shadowed} lit sphere pixels shadowed"
    );
    // And the shading darkens the shadow: no light added there.
    let f = shading(&g, &lighting, FOV);
    let i = (0..W * H)
        .find(|&i| !s.on_sphere[i] && occ[i] >= 1.0)
        .expect("a fully shadowed wall pixel");
    assert!((f[i][0] - 1.0).abs() < 1e-6, "{:?}", f[i]);
}

#[test]
fn every_preset_resolves_and_time_of_day_grades() {
    for p in presets::PRESETS {
        let params = RelightParams {
            preset: Some(p.name.into()),
            ..RelightParams::default()
        };
        params.validate().unwrap();
        let l = params.at(10).unwrap();
        assert_eq!(l.lights.len(), 1);
        let k = &l.lights[0];
        assert!(k.intensity > 0.0, "{}", p.name);
        assert!(k
            .colour
            .iter()
            .chain(&l.grade)
            .chain(&l.ambient)
            .all(|v| v.is_finite()));
        assert!(!l.is_identity(), "{}", p.name);
    }
    let at = |name: &str| {
        RelightParams {
            preset: Some(name.into()),
            ..RelightParams::default()
        }
        .at(0)
        .unwrap()
    };
    let golden = at("golden-hour");
    let c = golden.lights[0].colour;
    assert!(c[0] > c[2] * 1.5, "golden hour is warm: {c:?}");
    assert!(
        golden.grade[0] > golden.grade[2],
        "warm grade {:?}",
        golden.grade
    );
    let blue = at("blue-hour");
    assert!(blue.grade[2] > blue.grade[0], "cool grade {:?}", blue.grade);
    let lum = |g: [f32; 3]| retake_imageops::luma::luma(&g);
    assert!(lum(at("night").grade) < 0.25, "night darkens");
    assert!(lum(at("night").grade) < lum(blue.grade) && lum(blue.grade) < lum(at("noon").grade));
    // Spelling is forgiving; explicit values win over the preset's.
    let p = RelightParams {
        preset: Some("Golden_Hour".into()),
        intensity: Some(0.1.into()),
        ..RelightParams::default()
    };
    assert_eq!(p.at(0).unwrap().lights[0].intensity, 0.1);
}

#[test]
fn bad_parameters_are_named() {
    let err = RelightParams {
        preset: Some("sunset".into()),
        ..RelightParams::default()
    }
    .validate()
    .unwrap_err();
    assert!(
        matches!(err, Error::Parameter { ref name, .. } if name == "preset"),
        "{err}"
    );
    let text = err.to_string();
    assert!(
        text.contains("`sunset`") && text.contains("golden-hour"),
        "{text}"
    );
    for (p, name) in [
        (
            RelightParams {
                fov: 150.0,
                ..RelightParams::default()
            },
            "fov",
        ),
        (
            RelightParams {
                fov: 5.0,
                ..RelightParams::default()
            },
            "fov",
        ),
        (
            RelightParams {
                elevation: Some(Keyframes::parse("0:10,50:120").unwrap()),
                ..RelightParams::default()
            },
            "elevation",
        ),
        (
            RelightParams {
                kelvin: Some(900.0.into()),
                ..RelightParams::default()
            },
            "kelvin",
        ),
        (
            RelightParams {
                softness: Some(1.5.into()),
                ..RelightParams::default()
            },
            "softness",
        ),
        (
            RelightParams {
                temporal_radius: 20,
                ..RelightParams::default()
            },
            "temporal_radius",
        ),
        (
            RelightParams {
                mask_mode: MaskMode::Subject,
                alpha: AlphaRole::Depth,
                ..RelightParams::default()
            },
            "mask_mode",
        ),
    ] {
        let err = p.validate().unwrap_err();
        assert!(
            matches!(&err, Error::Parameter { name: n, .. } if n == name),
            "{name}: {err}"
        );
        assert!(Relight::new(p).is_err());
    }
}

#[test]
fn passes_of_the_wrong_size_or_missing_channels_name_the_file() {
    let pass = Frame::filled(0, 64, 36, 1, 1.0);
    let err =
        Geometry::from_depth_pass("shot_depth.exr", &pass, W, H, FOV, DepthEncoding::Distance)
            .unwrap_err();
    assert!(matches!(err, Error::Input { .. }), "{err}");
    let text = err.to_string();
    assert!(
        text.contains("shot_depth.exr") && text.contains("64x36") && text.contains("160x120"),
        "{text}"
    );
    let one = Frame::filled(0, W, H, 1, 0.5);
    let err =
        Geometry::from_normal_pass("n.png", &one, W, H, NormalEncoding::Unsigned).unwrap_err();
    let text = err.to_string();
    assert!(
        matches!(err, Error::Input { .. }) && text.contains("n.png") && text.contains("needs 3"),
        "{text}"
    );
    // A depth pass with nothing usable in it.
    let empty = Frame::filled(0, W, H, 1, 0.0);
    let err =
        Geometry::from_depth_pass("z.exr", &empty, W, H, FOV, DepthEncoding::Distance).unwrap_err();
    assert!(err.to_string().contains("z.exr"), "{err}");
    // Depth expected in the alpha of frames that have none.
    let op = Relight::new(RelightParams {
        alpha: AlphaRole::Depth,
        ..RelightParams::default()
    })
    .unwrap();
    use retake_core::pipeline::Operation;
    let err = op.analyse(&Frame::filled(7, W, H, 3, 0.5)).err().unwrap();
    let text = err.to_string();
    assert!(text.contains("alpha") && text.contains("frame 7"), "{text}");
    // Limiting the light to the subject without a matte.
    let op = Relight::new(RelightParams {
        mask_mode: MaskMode::Subject,
        ..RelightParams::default()
    })
    .unwrap();
    let analysis = op.analyse(&Frame::filled(7, W, H, 3, 0.5)).unwrap();
    let item = Arc::new(Item {
        frame: Arc::new(Frame::filled(7, W, H, 3, 0.5)),
        analysis,
    });
    let err = op.render(&Window::new(vec![item], 0)).err().unwrap();
    assert!(err.to_string().contains("mask_mode"), "{err}");
}

#[test]
fn normal_passes_decode_both_encodings() {
    let s = scene();
    let signed =
        Frame::from_data(0, W, H, 3, s.normals.iter().flatten().copied().collect()).unwrap();
    let g = Geometry::from_normal_pass("n.exr", &signed, W, H, NormalEncoding::Signed).unwrap();
    assert!(mean_angle(&g.normals, &s.normals, &vec![true; W * H]) < 1e-3);
    let unsigned = Frame::from_data(
        0,
        W,
        H,
        4,
        s.normals
            .iter()
            .flat_map(|n| {
                [
                    (n[0] + 1.0) / 2.0,
                    (n[1] + 1.0) / 2.0,
                    (n[2] + 1.0) / 2.0,
                    1.0,
                ]
            })
            .collect(),
    )
    .unwrap();
    let g = Geometry::from_normal_pass("n.png", &unsigned, W, H, NormalEncoding::Unsigned).unwrap();
    assert!(mean_angle(&g.normals, &s.normals, &vec![true; W * H]) < 1e-2);
}

#[test]
fn keyframes_interpolate_and_hold() {
    let k = Keyframes::parse("100:60, 0:30").unwrap();
    assert_eq!(k.value_at(-5), 30.0);
    assert_eq!(k.value_at(0), 30.0);
    assert_eq!(k.value_at(25), 37.5);
    assert_eq!(k.value_at(50), 45.0);
    assert_eq!(k.value_at(100), 60.0);
    assert_eq!(k.value_at(1000), 60.0);
    let three = Keyframes::parse("0:0;10:10;20:0").unwrap();
    assert_eq!(three.value_at(15), 5.0);
    assert_eq!(Keyframes::parse("42").unwrap().value_at(7), 42.0);
    assert_eq!(
        Keyframes::parse("0:30,100:60").unwrap().to_string(),
        "0:30,100:60"
    );
    for bad in ["", "abc", "0:1,0:2", "x:1", "1:y", "0:inf", "nan"] {
        assert!(Keyframes::parse(bad).is_err(), "{bad}");
    }
    // Keyframed azimuth turns the light over the shot.
    let p = RelightParams {
        azimuth: Some(Keyframes::parse("0:0,10:180").unwrap()),
        elevation: Some(0.0.into()),
        ..RelightParams::default()
    };
    let dir = |t| match p.at(t).unwrap().lights[0].source {
        relight::LightSource::Directional { towards } => towards,
        other => panic!("{other:?}"),
    };
    assert!((dir(0)[0] - 1.0).abs() < 1e-6);
    assert!((dir(5)[1] - 1.0).abs() < 1e-6);
    assert!((dir(10)[0] + 1.0).abs() < 1e-6);
}

#[test]
fn the_mask_keeps_the_light_off_the_background() {
    let s = scene();
    let input = shot(&s, 0);
    let matted = with_alpha(&input, |x, y| s.on_sphere[y * W + x] as u8 as f32);
    for (mode, changes_sphere) in [(MaskMode::Subject, true), (MaskMode::Background, false)] {
        let op = Relight::new(RelightParams {
            mask_mode: mode,
            intensity: Some(1.0.into()),
            ..RelightParams::default()
        })
        .unwrap();
        let out = render_one(&op, &matted);
        let (mut sphere_changed, mut wall_changed) = (0, 0);
        for i in 0..W * H {
            let changed = (0..3).any(|c| out.data[i * 3 + c] != input.data[i * 3 + c]);
            if s.on_sphere[i] {
                sphere_changed += changed as usize;
            } else {
                wall_changed += changed as usize;
            }
        }
        if changes_sphere {
            assert_eq!(wall_changed, 0, "{mode:?}");
            assert!(sphere_changed > 1000, "{mode:?}");
        } else {
            assert_eq!(sphere_changed, 0, "{mode:?}");
            assert!(wall_changed > 1000, "{mode:?}");
        }
    }
}

#[test]
fn the_alpha_can_carry_a_depth_pass_or_be_kept() {
    let s = scene();
    let input = shot(&s, 0);
    let with_depth = with_alpha(&input, |x, y| s.depth[y * W + x]);
    let op = Relight::new(RelightParams {
        alpha: AlphaRole::Depth,
        temporal_radius: 0,
        ..directional(30.0, 40.0, 0.7, 0.0)
    })
    .unwrap();
    let out = render_one(&op, &with_depth);
    let l = towards(30.0, 40.0);
    let keep = away_from_edges(&s, 3);
    let mut worst = 0.0f32;
    for i in (0..W * H).filter(|&i| keep[i]) {
        let lambert = dot(s.normals[i], l).max(0.0);
        let truth = s.albedo[i][1] * S * (1.0 + 0.7 * 0.9 * lambert);
        worst = worst.max((out.data[i * 3 + 1] - truth).abs() / truth);
    }
    assert!(worst < 0.06, "worst relative error {worst}");
    // The picture's own alpha is carried through untouched.
    let rgba = with_alpha(&input, |x, _| x as f32 / W as f32);
    let op = Relight::new(RelightParams {
        alpha: AlphaRole::Keep,
        ..RelightParams::default()
    })
    .unwrap();
    let out = render_one(&op, &rgba);
    assert_eq!(out.channels, 4);
    assert!((0..W * H).all(|i| out.data[i * 4 + 3] == rgba.data[i * 4 + 3]));
}

#[test]
fn passes_are_normals_depth_and_shading() {
    let s = scene();
    let input = shot(&s, 0);
    let op = Relight::new(directional(30.0, 40.0, 0.7, 0.0)).unwrap();
    use retake_core::pipeline::Operation;
    let item = Arc::new(Item {
        frame: Arc::new(input.clone()),
        analysis: op.analyse(&input).unwrap(),
    });
    let window = Window::new(vec![item], 0);
    let passes = op.passes(&window).unwrap();
    assert_eq!(
        (
            passes.normals.channels,
            passes.depth.channels,
            passes.shading.channels
        ),
        (3, 1, 3)
    );
    let out = op.relight(&window).unwrap();
    for i in 0..W * H * 3 {
        let expect = input.data[i] * passes.shading.data[i];
        assert!((out.data[i] - expect).abs() <= 1e-6 * expect.abs().max(1.0));
    }
}

#[test]
fn stabilisation_averages_still_geometry_and_keeps_moving_parts() {
    // Three estimates of a still scene that disagree (flicker), and a
    // neighbour whose picture changed in the right half (a mover).
    let (w, h) = (8, 4);
    let geo = |nx: f32, d: f32| Geometry {
        width: w,
        height: h,
        depth: vec![d; w * h],
        normals: vec![norm([nx, 0.0, 1.0]); w * h],
    };
    let centre = geo(0.3, 1.0);
    let before = geo(-0.3, 1.2);
    let after = geo(-0.3, 1.2);
    let guide = vec![0.5f32; w * h];
    let moved: Vec<f32> = (0..w * h)
        .map(|i| if i % w >= w / 2 { 0.9 } else { 0.5 })
        .collect();
    let out = stabilise(
        &centre,
        &guide,
        &[(-1, &before, &guide), (1, &after, &moved)],
        &Stabilisation::default(),
    );
    let (still, mover) = (0, w - 1);
    assert!(
        out.normals[still][0].abs() < 0.15,
        "{:?}",
        out.normals[still]
    );
    assert!(out.depth[still] > 1.08);
    // Where the neighbour moved, only the other neighbour votes.
    assert!(out.normals[mover][0] > out.normals[still][0]);
    // Radius 0 is the frame itself.
    let none = stabilise(
        &centre,
        &guide,
        &[(-1, &before, &guide)],
        &Stabilisation {
            radius: 0,
            ..Stabilisation::default()
        },
    );
    assert_eq!(none, centre);
}

struct Shot {
    next: i64,
    frames: i64,
    info: ClipInfo,
}

/// A sphere drifting right over the wall, with its matte as alpha.
fn drifting(t: i64) -> Frame {
    let mut data = Vec::with_capacity(W * H * 4);
    let centre = [CENTRE[0] + 0.01 * t as f32, CENTRE[1], CENTRE[2]];
    for y in 0..H {
        for x in 0..W {
            let on = sphere_hit(ray(x as f32, y as f32, W, H), centre, RADIUS).is_some();
            let a = albedo(x, y);
            let shade = if on { 0.8 } else { 1.0 };
            data.extend(a.map(|v| v * S * shade));
            data.push(on as u8 as f32);
        }
    }
    Frame::from_data(t, W, H, 4, data).unwrap()
}

impl FrameSource for Shot {
    fn info(&self) -> &ClipInfo {
        &self.info
    }
    fn next_frame(&mut self) -> Result<Option<Frame>> {
        if self.next >= self.frames {
            return Ok(None);
        }
        self.next += 1;
        Ok(Some(drifting(self.next - 1)))
    }
}

fn run(params: &RelightParams, workers: usize) -> Vec<Frame> {
    let op = Relight::new(params.clone()).unwrap();
    let out = Arc::new(Mutex::new(Vec::new()));
    pipeline::run(
        &mut Shot {
            next: 0,
            frames: 8,
            info: ClipInfo::in_memory("drifting-sphere", W, H, Some(8)),
        },
        &op,
        Box::new(Collect(out.clone())),
        &PipelineOptions {
            workers,
            ..Default::default()
        },
    )
    .unwrap();
    let v = std::mem::take(&mut *out.lock().unwrap());
    v
}

#[test]
fn the_same_shot_gives_bit_identical_frames_whatever_the_threads() {
    let params = RelightParams {
        preset: Some("golden-hour".into()),
        azimuth: Some(Keyframes::parse("0:10,7:40").unwrap()),
        shadows: true,
        ..RelightParams::default()
    };
    let one = run(&params, 1);
    let two = run(&params, 3);
    assert_eq!(one.len(), 8);
    assert_eq!(one, two);
    assert_eq!(one, run(&params, 1));
    assert!(one
        .iter()
        .all(|f| f.channels == 3 && f.data.iter().all(|v| v.is_finite())));
    // The keyframed light moves: frames differ beyond the sphere's drift.
    assert_ne!(one[0].data, one[7].data);
}

/// Flow-aligned stabilisation reads every neighbour's guides from several
/// render threads at once (each running rayon inside): it must finish and
/// give the same frames whatever the threads, with and without a matte.
#[test]
fn flow_aligned_stabilisation_is_the_same_whatever_the_threads() {
    for alpha in [AlphaRole::Matte, AlphaRole::Keep] {
        let params = RelightParams {
            preset: Some("key".into()),
            temporal_align: relight::TemporalAlign::Flow,
            alpha,
            ..RelightParams::default()
        };
        let one = run(&params, 1);
        assert_eq!(one.len(), 8);
        assert_eq!(one, run(&params, 3), "{alpha:?}");
    }
}

/// The one-pass relight is the factor of `shading` applied by `apply`,
/// bit for bit, for every kind of light, shadows and a mask.
#[test]
fn relighting_in_one_pass_is_shading_then_apply() {
    let s = scene();
    let input = shot(&s, 0);
    let g = truth_geometry(&s);
    let mask: Vec<f32> = (0..W * H).map(|i| (i % 7) as f32 / 6.0).collect();
    let point = RelightParams {
        light: Some(LightKind::Point),
        light_x: Some(Keyframes::constant(0.3)),
        light_y: Some(Keyframes::constant(0.2)),
        light_depth: Some(Keyframes::constant(0.6)),
        ..RelightParams::default()
    };
    let rim = RelightParams {
        preset: Some("rim".into()),
        shadows: true,
        ..RelightParams::default()
    };
    for (name, params) in [
        ("directional", directional(30.0, 40.0, 0.7, 0.2)),
        ("point", point),
        ("rim with shadows", rim),
        (
            "golden hour",
            RelightParams {
                preset: Some("golden-hour".into()),
                ..RelightParams::default()
            },
        ),
    ] {
        let lighting = params.at(0).unwrap();
        let factor = shading(&g, &lighting, FOV);
        for m in [None, Some(mask.as_slice())] {
            let two = apply(&input, &factor, m, false).unwrap();
            let one = relit(&input, &g, &lighting, FOV, m, false).unwrap();
            assert_eq!(one, two, "{name}, mask {}", m.is_some());
        }
    }
    let wrong = Geometry::flat(W / 2, H);
    let lighting = directional(30.0, 40.0, 0.7, 0.2).at(0).unwrap();
    assert!(relit(&input, &wrong, &lighting, FOV, None, false).is_err());
}

/// Relighting with image detail made band by band in the shading pass is
/// relighting on the geometry with the detail added first, bit for bit,
/// for every kind of light, a mask, and shadows (which take the whole
/// geometry), on a frame whose height is not a multiple of the band.
#[test]
fn relighting_with_detail_in_the_shading_pass_is_detail_then_relit() {
    let s = scene();
    let input = shot(&s, 0);
    let base = truth_geometry(&s);
    let mask: Vec<f32> = (0..W * H).map(|i| (i % 5) as f32 / 4.0).collect();
    for (name, params) in [
        ("directional", directional(30.0, 40.0, 0.7, 0.2)),
        (
            "point",
            RelightParams {
                light: Some(LightKind::Point),
                light_x: Some(Keyframes::constant(0.7)),
                ..RelightParams::default()
            },
        ),
        (
            "rim with shadows",
            RelightParams {
                preset: Some("rim".into()),
                shadows: true,
                ..RelightParams::default()
            },
        ),
    ] {
        let lighting = params.at(0).unwrap();
        for detail in [0.0, 0.3, 2.0] {
            let mut g = base.clone();
            relight::geometry::add_detail(&mut g, &input, detail).unwrap();
            for m in [None, Some(mask.as_slice())] {
                let fused =
                    relit_with_detail(&input, &base, detail, &lighting, FOV, m, false).unwrap();
                let two = relit(&input, &g, &lighting, FOV, m, false).unwrap();
                assert_eq!(fused, two, "{name}, detail {detail}, mask {}", m.is_some());
            }
        }
    }
    let lighting = directional(30.0, 40.0, 0.7, 0.2).at(0).unwrap();
    let wrong = Geometry::flat(W, H / 2);
    assert!(relit_with_detail(&input, &wrong, 0.3, &lighting, FOV, None, false).is_err());
}

/// The row path of one directional light (eight pixels at a time) gives
/// the per-pixel path's bits: at frame sizes around its edges (one, two
/// and three pixels wide or high, widths that are not a multiple of eight),
/// on pictures with black, very bright and sharp detail (so the tilt is
/// limited and some normals turn away from the light), with RGBA, a mask
/// and the presets that take it.
#[test]
fn the_row_path_of_a_directional_light_is_the_per_pixel_path() {
    let mut state = 0x1234_5678u32;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        state
    };
    let presets = ["key", "fill", "noon", "blue-hour", "night"];
    let mut params: Vec<RelightParams> = presets
        .iter()
        .filter(|p| presets::find(p).is_some_and(|p| p.rim == 0.0))
        .map(|p| RelightParams {
            preset: Some(p.to_string()),
            ..RelightParams::default()
        })
        .collect();
    params.push(directional(200.0, -20.0, 3.0, 0.0));
    params.push(RelightParams::default());
    assert_eq!(params.len(), 7, "the presets without rim are still there");
    for (w, h, c) in [
        (1, 1, 3),
        (2, 5, 3),
        (3, 2, 4),
        (9, 1, 3),
        (17, 33, 4),
        (67, 41, 3),
    ] {
        let data: Vec<f32> = (0..w * h * c)
            .map(|_| match next() % 10 {
                0 => 0.0,
                1 => 50.0,
                k => (next() % 1000) as f32 / 900.0 * k as f32 / 9.0,
            })
            .collect();
        let input = Frame::from_data(0, w, h, c, data).unwrap();
        let mut base = Geometry::flat(w, h);
        for n in base.normals.iter_mut() {
            let t = [
                (next() % 200) as f32 / 400.0 - 0.25,
                (next() % 200) as f32 / 400.0 - 0.25,
                1.0,
            ];
            let len = (t[0] * t[0] + t[1] * t[1] + t[2] * t[2]).sqrt();
            *n = [t[0] / len, t[1] / len, t[2] / len];
        }
        let mask: Vec<f32> = (0..w * h).map(|i| (i % 5) as f32 / 4.0).collect();
        for p in &params {
            let lighting = p.at(0).unwrap();
            for detail in [0.3, 2.0, 40.0] {
                let mut g = base.clone();
                relight::geometry::add_detail(&mut g, &input, detail).unwrap();
                for m in [None, Some(mask.as_slice())] {
                    for keep_alpha in [false, true] {
                        let rows =
                            relit_with_detail(&input, &base, detail, &lighting, FOV, m, keep_alpha)
                                .unwrap();
                        let pixels = relit(&input, &g, &lighting, FOV, m, keep_alpha).unwrap();
                        assert_eq!(
                            rows,
                            pixels,
                            "{w}x{h}x{c}, {:?}, detail {detail}, mask {}",
                            p.preset,
                            m.is_some()
                        );
                    }
                }
            }
        }
    }
}

/// Without a matte the built-in shape does not depend on the picture: it
/// is made once and shared, and blending it with itself is skipped. The
/// frames come out exactly as the public per-frame built-in geometry
/// relights them; with a matte each frame gets its own shape.
#[test]
fn the_built_in_shape_without_a_matte_is_made_once() {
    use retake_core::pipeline::Operation;
    let params = RelightParams {
        preset: Some("key".into()),
        background_tilt: 25.0,
        ..RelightParams::default()
    };
    let op = Relight::new(params.clone()).unwrap();
    let frames: Vec<Frame> = (0..3).map(|t| drifting(t).with_channels(3)).collect();
    let items: Vec<_> = frames
        .iter()
        .map(|f| {
            Arc::new(Item {
                frame: Arc::new(f.clone()),
                analysis: op.analyse(f).unwrap(),
            })
        })
        .collect();
    assert!(Arc::ptr_eq(
        &items[0].analysis.geometry,
        &items[2].analysis.geometry
    ));
    let out = op.render(&Window::new(items, 1)).unwrap();
    let g = built_in_geometry(&frames[1], None, 25.0, params.fov).unwrap();
    let lighting = params.at(1).unwrap();
    let expected = apply(&frames[1], &shading(&g, &lighting, params.fov), None, false).unwrap();
    assert_eq!(*out, expected);
    // With a matte (alpha) the shape follows each frame's subject.
    let a = op.analyse(&drifting(0)).unwrap();
    let b = op.analyse(&drifting(5)).unwrap();
    assert!(!Arc::ptr_eq(&a.geometry, &b.geometry));
    assert_ne!(a.geometry.depth, b.geometry.depth);
}

/// Time of the built-in geometry and shading at 1920x1080 (release:
/// `cargo test --release -p retake-ops3d --test relight -- --ignored --nocapture`;
/// set RAYON_NUM_THREADS=1 for one core).
#[test]
#[ignore]
fn timing_at_1080p() {
    let (w, h) = (1920, 1080);
    let mut data = Vec::with_capacity(w * h * 3);
    for y in 0..h {
        for x in 0..w {
            data.extend(albedo(x, y).map(|v| v * S));
        }
    }
    let frame = Frame::from_data(0, w, h, 3, data).unwrap();
    let matte: Vec<f32> = (0..w * h)
        .map(|i| {
            let (x, y) = ((i % w) as f32, (i / w) as f32);
            (((x - 960.0) / 300.0).powi(2) + ((y - 600.0) / 420.0).powi(2) < 1.0) as u8 as f32
        })
        .collect();
    let params = RelightParams {
        preset: Some("golden-hour".into()),
        ..RelightParams::default()
    };
    let lighting = params.at(0).unwrap();
    let shadowed = relight::Lighting {
        shadows: 0.8,
        ..lighting.clone()
    };
    let threads = rayon::current_num_threads();
    for round in 0..3 {
        let t0 = std::time::Instant::now();
        let g = built_in_geometry(&frame, Some(&matte), 0.0, 50.0).unwrap();
        let t1 = std::time::Instant::now();
        let f = shading(&g, &lighting, 50.0);
        let out = apply(&frame, &f, None, false).unwrap();
        let t2 = std::time::Instant::now();
        let fs = shading(&g, &shadowed, 50.0);
        let t3 = std::time::Instant::now();
        assert_eq!(out.data.len(), w * h * 3);
        assert_eq!(fs.len(), w * h);
        eprintln!(
            "round {round} ({threads} threads): geometry {:.0} ms, shading+apply {:.0} ms, shading with shadows {:.0} ms",
            (t1 - t0).as_secs_f64() * 1e3,
            (t2 - t1).as_secs_f64() * 1e3,
            (t3 - t2).as_secs_f64() * 1e3
        );
    }
    // The parts.
    let opts = EstimateOptions::default();
    let t0 = std::time::Instant::now();
    let coarse = relight::geometry::estimate_shape(&frame, Some(&matte), &opts).unwrap();
    let t1 = std::time::Instant::now();
    let mut g = coarse.resized(w, h);
    let t2 = std::time::Instant::now();
    relight::geometry::add_detail(&mut g, &frame, opts.detail).unwrap();
    let t3 = std::time::Instant::now();
    let occ = shadow_occlusion(&g, &lighting.lights[0], 50.0);
    let t4 = std::time::Instant::now();
    let normals = normals_from_depth(&coarse.depth, coarse.width, coarse.height, 50.0);
    let t5 = std::time::Instant::now();
    assert_eq!(
        (occ.len(), normals.len()),
        (w * h, coarse.width * coarse.height)
    );
    let ms = |a: std::time::Instant, b: std::time::Instant| (b - a).as_secs_f64() * 1e3;
    eprintln!(
        "parts: shape at {}x{} {:.0} ms (of which normals from depth {:.0} ms), upsample {:.0} ms, detail {:.0} ms, shadow march {:.0} ms",
        coarse.width,
        coarse.height,
        ms(t0, t1),
        ms(t4, t5),
        ms(t1, t2),
        ms(t2, t3),
        ms(t3, t4)
    );
    // Through the operation: analysis once per frame, render with a full
    // window of 5 (the default temporal radius 2).
    use retake_core::pipeline::Operation;
    let op = Relight::new(params).unwrap();
    let rgba = {
        let mut f = frame.with_channels(4);
        for (p, m) in f.data.chunks_exact_mut(4).zip(&matte) {
            p[3] = *m;
        }
        f
    };
    for round in 0..2 {
        let t0 = std::time::Instant::now();
        let analysis = op.analyse(&rgba).unwrap();
        let t1 = std::time::Instant::now();
        let item = Arc::new(Item {
            frame: Arc::new(rgba.clone()),
            analysis,
        });
        let window = Window::new(
            vec![item.clone(), item.clone(), item.clone(), item.clone(), item],
            2,
        );
        let out = op.render(&window).unwrap();
        let t2 = std::time::Instant::now();
        assert_eq!(out.channels, 3);
        eprintln!(
            "round {round} ({threads} threads): operation analyse {:.0} ms, render (window of 5) {:.0} ms",
            (t1 - t0).as_secs_f64() * 1e3,
            (t2 - t1).as_secs_f64() * 1e3
        );
    }
}
