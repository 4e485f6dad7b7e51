//! Reangle on synthetic scenes with a known answer: a textured sphere and a
//! card in front of a textured wall, ray-traced from any camera, so the
//! view from the virtual camera is known exactly, with its depth. The
//! reprojection of view A must match view B where both see the surface;
//! what A did not see must be found as a hole, filled from the frames that
//! saw it, and otherwise from the background side.

#[path = "../../retake-ops/tests/common/mod.rs"]
mod common;

use std::sync::{Arc, Mutex};

use retake_core::pipeline::{self, PipelineOptions};
use retake_core::{ClipInfo, Frame, FrameRange, FrameSource, Result};
use retake_imageops::keyframes::Keyframes;
use retake_imageops::pinhole::focal_length;
use retake_ops::inpaint::patchmatch::PatchMatch;
use retake_ops::inpaint::smooth::Membrane;
use retake_ops::inpaint::SpatialFill;
use retake_ops3d::reangle::{warp, Pose, Reangle, ReangleAlpha, ReangleParams, ReanglePasses};

use common::Collect;

const W: usize = 192;
const H: usize = 128;
const FOV: f32 = 50.0;

/// Sphere centre and radius, wall depth, card rectangle (world units).
const SPHERE: ([f64; 3], f64) = ([0.15, 0.0, -2.5], 0.45);
const WALL: f64 = 6.0;
const CARD: ([f64; 2], [f64; 2], f64) = ([-0.9, -0.55], [-0.5, 0.15], 3.2);

fn wall_colour(p: [f64; 3]) -> [f32; 3] {
    let (x, y) = (p[0], p[1]);
    let a = 0.5 + 0.3 * (3.1 * x).sin() * (2.3 * y).cos();
    let b = 0.5 + 0.25 * (1.7 * x + 2.9 * y).sin();
    // Fine texture (about 10 px per period on the wall): what a smooth
    // fill cannot invent, and a fill from other frames must find.
    let fine = 0.12 * (21.0 * x).sin() * (17.0 * y + 0.8 * (5.0 * x).sin()).sin();
    [
        (0.15 + 0.2 * a + fine) as f32,
        (0.3 + 0.3 * b + fine) as f32,
        (0.45 + 0.25 * a * b + fine) as f32,
    ]
}

fn sphere_colour(p: [f64; 3]) -> [f32; 3] {
    let a = 0.5 + 0.5 * (9.0 * p[0] + 7.0 * p[1]).sin();
    [(0.7 + 0.2 * a) as f32, (0.15 + 0.1 * a) as f32, 0.1]
}

fn card_colour(p: [f64; 3]) -> [f32; 3] {
    let a = 0.5 + 0.5 * (11.0 * p[1]).sin();
    [0.9, (0.8 - 0.3 * a) as f32, 0.2]
}

/// A camera in the world: rotation (camera-to-world), centre, focal.
#[derive(Clone, Copy)]
struct Camera {
    pose: Pose,
    focal: f64,
}

impl Camera {
    /// The real camera trucked `x` to the right.
    fn real(x: f64) -> Camera {
        let mut pose = Pose::identity();
        pose.position = [x, 0.0, 0.0];
        Camera {
            pose,
            focal: focal_length(W, FOV) as f64,
        }
    }

    /// This camera's virtual camera for `pose` (given relative to it).
    fn then(&self, rel: &Pose) -> Camera {
        let r = &self.pose.rotation;
        let p = rel.position;
        let moved = [
            r[0][0] * p[0] + r[0][1] * p[1] + r[0][2] * p[2],
            r[1][0] * p[0] + r[1][1] * p[1] + r[1][2] * p[2],
            r[2][0] * p[0] + r[2][1] * p[1] + r[2][2] * p[2],
        ];
        let mut rot = [[0.0; 3]; 3];
        for (i, row) in rot.iter_mut().enumerate() {
            for (j, v) in row.iter_mut().enumerate() {
                *v = (0..3).map(|k| r[i][k] * rel.rotation[k][j]).sum();
            }
        }
        Camera {
            pose: Pose {
                rotation: rot,
                position: [
                    self.pose.position[0] + moved[0],
                    self.pose.position[1] + moved[1],
                    self.pose.position[2] + moved[2],
                ],
                zoom: self.pose.zoom * rel.zoom,
            },
            focal: self.focal,
        }
    }

    /// Colour, depth along the view axis, and which object (0 wall, 1
    /// sphere, 2 card) at pixel centre `(x, y)`.
    fn trace(&self, x: usize, y: usize) -> ([f32; 3], f32, u8) {
        let f = self.focal * self.pose.zoom;
        let u = x as f64 + 0.5 - W as f64 / 2.0;
        let v = y as f64 + 0.5 - H as f64 / 2.0;
        let d = self.pose.to_source([u / f, -v / f, -1.0]);
        let o = self.pose.position;
        let dir = [d[0] - o[0], d[1] - o[1], d[2] - o[2]];
        let mut best = (f64::INFINITY, 0u8);
        // Wall z = -WALL.
        if dir[2] < 0.0 {
            best = ((-WALL - o[2]) / dir[2], 0);
        }
        // Card: the rectangle at z = -CARD.2.
        if dir[2] < 0.0 {
            let t = (-CARD.2 - o[2]) / dir[2];
            let (px, py) = (o[0] + t * dir[0], o[1] + t * dir[1]);
            if t < best.0
                && (CARD.0[0]..=CARD.1[0]).contains(&px)
                && (CARD.0[1]..=CARD.1[1]).contains(&py)
            {
                best = (t, 2);
            }
        }
        // Sphere.
        let (c, r) = SPHERE;
        let oc = [o[0] - c[0], o[1] - c[1], o[2] - c[2]];
        let a = dir.iter().map(|v| v * v).sum::<f64>();
        let b = 2.0 * (0..3).map(|i| oc[i] * dir[i]).sum::<f64>();
        let cc = oc.iter().map(|v| v * v).sum::<f64>() - r * r;
        let disc = b * b - 4.0 * a * cc;
        if disc >= 0.0 {
            let t = (-b - disc.sqrt()) / (2.0 * a);
            if t > 0.0 && t < best.0 {
                best = (t, 1);
            }
        }
        let t = best.0;
        let p = [o[0] + t * dir[0], o[1] + t * dir[1], o[2] + t * dir[2]];
        let colour = match best.1 {
            0 => wall_colour(p),
            1 => sphere_colour(p),
            _ => card_colour(p),
        };
        let depth = -self.pose.to_camera(p)[2];
        (colour, depth as f32, best.1)
    }

    /// The view: RGB, depth, object ids.
    fn render(&self) -> (Vec<f32>, Vec<f32>, Vec<u8>) {
        let mut rgb = Vec::with_capacity(W * H * 3);
        let mut depth = Vec::with_capacity(W * H);
        let mut ids = Vec::with_capacity(W * H);
        for y in 0..H {
            for x in 0..W {
                let (c, d, id) = self.trace(x, y);
                rgb.extend_from_slice(&c);
                depth.push(d);
                ids.push(id);
            }
        }
        (rgb, depth, ids)
    }
}

/// Pixels at least `r` away from a change of object (where pixel-centre
/// sampling aliases).
fn interior(ids: &[u8], r: isize) -> Vec<bool> {
    (0..W * H)
        .map(|i| {
            let (x, y) = ((i % W) as isize, (i / W) as isize);
            (-r..=r).all(|dy| {
                (-r..=r).all(|dx| {
                    let (xx, yy) = (x + dx, y + dy);
                    xx < 0
                        || yy < 0
                        || xx >= W as isize
                        || yy >= H as isize
                        || ids[yy as usize * W + xx as usize] == ids[i]
                })
            })
        })
        .collect()
}

/// Whether camera `a` (whose depth map is `a_depth`) saw the surface
/// point that camera `b` sees at pixel `i` with depth `d`.
fn seen_by(a: &Camera, a_depth: &[f32], b: &Camera, i: usize, d: f32) -> bool {
    let (x, y) = (i % W, i / W);
    let f = b.focal * b.pose.zoom;
    let u = x as f64 + 0.5 - W as f64 / 2.0;
    let v = y as f64 + 0.5 - H as f64 / 2.0;
    let d = d as f64;
    let p = a
        .pose
        .to_camera(b.pose.to_source([u / f * d, -v / f * d, -d]));
    let z = -p[2];
    let ax = p[0] * a.focal / z + W as f64 / 2.0 - 0.5;
    let ay = -p[1] * a.focal / z + H as f64 / 2.0 - 0.5;
    if ax < -0.5 || ay < -0.5 || ax > W as f64 - 0.5 || ay > H as f64 - 0.5 {
        return false;
    }
    let (xa, ya) = (ax.round() as usize, ay.round() as usize);
    let da = a_depth[ya.min(H - 1) * W + xa.min(W - 1)] as f64;
    da >= z * 0.97
}

/// Pixels within `r` of a `true` pixel.
fn grow(mask: &[bool], r: isize) -> Vec<bool> {
    (0..W * H)
        .map(|i| {
            let (x, y) = ((i % W) as isize, (i / W) as isize);
            (-r..=r).any(|dy| {
                (-r..=r).any(|dx| {
                    let (xx, yy) = (x + dx, y + dy);
                    xx >= 0
                        && yy >= 0
                        && xx < W as isize
                        && yy < H as isize
                        && mask[yy as usize * W + xx as usize]
                })
            })
        })
        .collect()
}

/// Debugging aid: write an RGB (or one-channel) picture as a PPM when
/// RETAKE_TEST_DUMP names a folder.
fn dump(name: &str, data: &[f32], channels: usize) {
    let Ok(dir) = std::env::var("RETAKE_TEST_DUMP") else {
        return;
    };
    let mut bytes = format!("P6 {W} {H} 255\n").into_bytes();
    for p in data.chunks_exact(channels) {
        for c in 0..3 {
            let v = p[c.min(channels - 1)];
            bytes.push((v.clamp(0.0, 1.0).powf(1.0 / 2.2) * 255.0).round() as u8);
        }
    }
    std::fs::write(format!("{dir}/{name}.ppm"), bytes).unwrap();
}

fn params(f: impl FnOnce(&mut ReangleParams)) -> ReangleParams {
    let mut p = ReangleParams {
        fov: FOV,
        alpha: ReangleAlpha::Depth,
        ..ReangleParams::default()
    };
    f(&mut p);
    p
}

/// Where views A and B both see the same surface, the reprojection of A
/// matches B; what B sees that A did not is a hole.
#[test]
fn reprojection_of_view_a_matches_view_b() {
    let a = Camera::real(0.0);
    let (rgb, depth, _) = a.render();
    for (name, p) in [
        (
            "truck+pedestal+yaw",
            params(|p| {
                p.truck = Some(Keyframes::constant(0.25));
                p.pedestal = Some(Keyframes::constant(0.08));
                p.yaw = Some(Keyframes::constant(2.0));
            }),
        ),
        (
            "orbit",
            params(|p| {
                p.camera_move = Some(retake_ops3d::reangle::NamedMove::Orbit);
                p.amount = 0.6;
                p.pivot = 2.5;
            }),
        ),
        (
            "dolly+roll",
            params(|p| {
                p.dolly = Some(Keyframes::constant(0.6));
                p.roll = Some(Keyframes::constant(4.0));
            }),
        ),
    ] {
        let pose = p.pose_at(0, None);
        let b = a.then(&pose);
        let (truth, truth_depth, ids) = b.render();
        let warped = warp(&rgb, 3, W, H, &depth, &pose, a.focal, p.depth_edge);
        let inside = interior(&ids, 2);
        let (mut sum, mut n, mut worst) = (0.0f64, 0usize, 0.0f32);
        let mut depth_err = 0.0f64;
        let mut errors = Vec::new();
        for i in 0..W * H {
            if !warped.seen[i] || !inside[i] {
                continue;
            }
            let e = (0..3)
                .map(|c| (warped.rgb[i * 3 + c] - truth[i * 3 + c]).abs())
                .fold(0.0f32, f32::max);
            sum += e as f64;
            worst = worst.max(e);
            errors.push(e);
            depth_err += ((warped.depth[i] - truth_depth[i]) / truth_depth[i]).abs() as f64;
            n += 1;
        }
        errors.sort_by(|a, b| a.total_cmp(b));
        let mean = sum / n as f64;
        let p99 = errors[errors.len() * 99 / 100];
        let depth_err = depth_err / n as f64;
        let seen = 1.0 - warped.unseen_fraction();
        eprintln!("{name}: seen {seen:.3}, compared {n} px, mean |err| {mean:.5}, p99 {p99:.4}, max {worst:.4}, depth rel err {depth_err:.2e}");
        assert!(n > W * H / 2, "{name}: too few pixels compared ({n})");
        assert!(mean < 0.004, "{name}: mean error {mean}");
        assert!(p99 < 0.03, "{name}: 99th percentile error {p99}");
        assert!(depth_err < 1e-3, "{name}: warped depth off by {depth_err}");

        // Holes are real: each unseen pixel shows, from B, a point that A
        // did not see (hidden behind the sphere or card, or outside A's
        // frame), or lies within two pixels of one (a triangle cut at a
        // depth edge loses the pixel centres it covered on both sides,
        // and a sphere's steep limb reads as an edge).
        let hidden: Vec<bool> = (0..W * H)
            .map(|i| !seen_by(&a, &depth, &b, i, truth_depth[i]))
            .collect();
        let near_hidden = grow(&hidden, 2);
        let holes = (0..W * H).filter(|&i| !warped.seen[i]).count();
        let wrong = (0..W * H)
            .filter(|&i| !warped.seen[i] && !near_hidden[i])
            .count();
        let hidden_seen = (0..W * H)
            .filter(|&i| hidden[i] && warped.seen[i] && inside[i])
            .count();
        dump(&format!("warped_{name}"), &warped.rgb, 3);
        eprintln!("{name}: {holes} holes, {wrong} of them where A saw the surface; {hidden_seen} px A did not see were not left as holes");
        assert!(
            wrong * 100 <= holes,
            "{name}: {wrong} of {holes} holes where A saw the surface"
        );
        // And what A did not see is a hole, not smeared surface.
        assert!(
            hidden_seen * 100 <= holes,
            "{name}: {hidden_seen} unseen pixels were covered"
        );
        // And the disocclusions behind the objects are found: B's pixels
        // that A could not see are mostly holes, not smeared surface.
        assert!(seen > 0.8, "{name}: only {seen} seen");
    }
}

/// A push-in and a zoom magnify the surface: a mesh splat leaves no
/// cracks, so every pixel that sees a surface A saw is covered.
#[test]
fn magnification_leaves_no_cracks() {
    let a = Camera::real(0.0);
    let (rgb, depth, _) = a.render();
    for p in [
        params(|p| p.zoom = Some(Keyframes::constant(2.5))),
        params(|p| p.dolly = Some(Keyframes::constant(1.2))),
    ] {
        let pose = p.pose_at(0, None);
        let b = a.then(&pose);
        let (truth, _, ids) = b.render();
        let warped = warp(&rgb, 3, W, H, &depth, &pose, a.focal, p.depth_edge);
        let (_, truth_depth, _) = b.render();
        // Holes only where A did not see the surface (or within two pixels
        // of it, as above): no cracks.
        let hidden: Vec<bool> = (0..W * H)
            .map(|i| !seen_by(&a, &depth, &b, i, truth_depth[i]))
            .collect();
        let near_hidden = grow(&hidden, 2);
        let cracks = (0..W * H)
            .filter(|&i| !warped.seen[i] && !near_hidden[i])
            .count();
        let inside = interior(&ids, 3);

        let compared: Vec<f32> = (0..W * H)
            .filter(|&i| inside[i] && warped.seen[i])
            .map(|i| (warped.rgb[i * 3] - truth[i * 3]).abs())
            .collect();
        let mean = compared.iter().sum::<f32>() / compared.len() as f32;
        eprintln!("magnified: {cracks} cracks, mean |err| {mean:.5}");
        assert!(cracks == 0, "{cracks} pixels that A saw are holes");
        assert!(mean < 0.006, "mean error {mean}");
    }
}

/// The shot: the real camera trucks right, frame by frame; depth travels
/// as alpha.
struct Shot {
    frames: i64,
    speed: f64,
    next: i64,
    info: ClipInfo,
}

impl Shot {
    fn new(frames: i64, speed: f64) -> Shot {
        Shot {
            frames,
            speed,
            next: 0,
            info: ClipInfo::in_memory("memory://reangle", W, H, Some(frames as u64)),
        }
    }

    fn camera(&self, t: i64) -> Camera {
        Camera::real(self.speed * t as f64)
    }
}

impl FrameSource for Shot {
    fn info(&self) -> &ClipInfo {
        &self.info
    }
    fn next_frame(&mut self) -> Result<Option<Frame>> {
        if self.next >= self.frames {
            return Ok(None);
        }
        let t = self.next;
        self.next += 1;
        let (rgb, depth, _) = self.camera(t).render();
        let mut data = Vec::with_capacity(W * H * 4);
        for i in 0..W * H {
            data.extend_from_slice(&rgb[i * 3..i * 3 + 3]);
            data.push(depth[i]);
        }
        Ok(Some(Frame::from_data(t, W, H, 4, data)?))
    }
    fn seek(&mut self, index: i64) -> Result<()> {
        self.next = index;
        Ok(())
    }
}

type Passes = Arc<Mutex<Vec<(i64, Vec<f32>, Vec<f32>)>>>;

fn run(
    p: &ReangleParams,
    spatial: Box<dyn SpatialFill>,
    shot: Shot,
    workers: usize,
    frames: Option<&str>,
) -> (Vec<Frame>, Passes) {
    let passes: Passes = Arc::new(Mutex::new(Vec::new()));
    let sink_passes = passes.clone();
    let n = shot.frames;
    let op = Reangle::new(p.clone(), spatial)
        .unwrap()
        .with_shot(0, n - 1)
        .with_pass_writer(Box::new(move |q: &ReanglePasses| {
            sink_passes.lock().unwrap().push((
                q.mask.index,
                q.mask.data.clone(),
                q.depth.data.clone(),
            ));
            Ok(())
        }));
    let out = Arc::new(Mutex::new(Vec::new()));
    let opts = PipelineOptions {
        workers,
        frames: frames.map(|f| FrameRange::parse(f).unwrap()),
        ..Default::default()
    };
    let mut shot = shot;
    pipeline::run(&mut shot, &op, Box::new(Collect(out.clone())), &opts).unwrap();
    let frames = out.lock().unwrap().clone();
    (frames, passes)
}

#[test]
fn identity_camera_returns_the_input_exactly() {
    let shot = Shot::new(4, 0.05);
    let expected: Vec<Frame> = (0..4)
        .map(|t| {
            let (rgb, _, _) = shot.camera(t).render();
            Frame::from_data(t, W, H, 3, rgb).unwrap()
        })
        .collect();
    // Explicit zeros, a zoom of exactly 1 and a named move of amount 0
    // are all the real camera.
    for p in [
        params(|_| {}),
        params(|p| {
            p.yaw = Some(Keyframes::constant(0.0));
            p.zoom = Some(Keyframes::constant(1.0));
        }),
        params(|p| {
            p.camera_move = Some(retake_ops3d::reangle::NamedMove::Orbit);
            p.amount = 0.0;
        }),
    ] {
        let (out, passes) = run(
            &p,
            Box::new(PatchMatch::default()),
            Shot::new(4, 0.05),
            2,
            None,
        );
        assert_eq!(out, expected);
        assert!(passes
            .lock()
            .unwrap()
            .iter()
            .all(|(_, mask, _)| mask.iter().all(|m| *m == 0.0)));
    }
}

/// The virtual camera trucks further right than the real one: what it
/// sees behind the left edges of the sphere and the card, the real camera
/// saw a few frames later. The fill takes it from there; it must match
/// the ray-traced truth far better than a spatial fill alone.
#[test]
fn disocclusions_are_filled_from_the_frames_that_saw_them() {
    let n = 14;
    let speed = 0.04;
    let p = params(|p| {
        p.truck = Some(Keyframes::constant(0.2));
        p.window = 6;
    });
    let spatial_only = params(|p| {
        p.truck = Some(Keyframes::constant(0.2));
        p.window = 0;
    });
    let shot = Shot::new(n, speed);
    let (temporal, passes) = run(&p, Box::new(Membrane), Shot::new(n, speed), 2, None);
    let (spatial, _) = run(
        &spatial_only,
        Box::new(Membrane),
        Shot::new(n, speed),
        2,
        None,
    );
    let passes = passes.lock().unwrap();
    let pose = p.pose_at(0, None);
    let (mut err_t, mut err_s, mut count) = (0.0f64, 0.0f64, 0usize);
    let mut frames_with_holes = 0;
    for t in 2..n - 2 {
        let (truth, _, ids) = shot.camera(t).then(&pose).render();
        let inside = interior(&ids, 2);
        let (_, mask, depth) = passes.iter().find(|q| q.0 == t).unwrap();
        if t == 6 {
            dump("temporal_out", &temporal[6].data, 3);
            dump("temporal_spatial", &spatial[6].data, 3);
            dump("temporal_truth", &truth, 3);
            dump("temporal_mask", mask, 1);
        }
        let holes: Vec<usize> = (0..W * H)
            .filter(|&i| mask[i] > 0.5 && inside[i] && i % W > 8 && i % W < W - 8)
            .collect();
        if !holes.is_empty() {
            frames_with_holes += 1;
        }
        // The depth pass is finite and positive everywhere.
        assert!(depth.iter().all(|d| d.is_finite() && *d > 0.0));
        for &i in &holes {
            for c in 0..3 {
                err_t += (temporal[t as usize].data[i * 3 + c] - truth[i * 3 + c]).abs() as f64;
                err_s += (spatial[t as usize].data[i * 3 + c] - truth[i * 3 + c]).abs() as f64;
            }
            count += 3;
        }
        // Outside the mask, the output is the reprojection: real pixels.
        let seen_err: f64 = (0..W * H)
            .filter(|&i| mask[i] == 0.0 && inside[i])
            .map(|i| (temporal[t as usize].data[i * 3] - truth[i * 3]).abs() as f64)
            .sum::<f64>()
            / (W * H) as f64;
        assert!(seen_err < 0.005, "frame {t}: seen pixels off by {seen_err}");
    }
    let (err_t, err_s) = (err_t / count as f64, err_s / count as f64);
    eprintln!(
        "filled {} values over {frames_with_holes} frames: temporal {err_t:.4}, spatial only {err_s:.4}",
        count / 3
    );
    assert!(frames_with_holes >= 8);
    assert!(err_t < 0.045, "temporal fill error {err_t}");
    assert!(err_t < 0.85 * err_s, "temporal {err_t} vs spatial {err_s}");
}

/// With no other frame to take from, the spatial fill continues the
/// background into a disocclusion, not the object that caused it.
#[test]
fn spatial_fill_takes_the_background_side() {
    let p = params(|p| {
        p.truck = Some(Keyframes::constant(0.3));
        p.window = 0;
    });
    for spatial in [
        Box::new(Membrane) as Box<dyn SpatialFill>,
        Box::new(PatchMatch::default()),
    ] {
        let name = spatial.name().to_string();
        let (out, passes) = run(&p, spatial, Shot::new(1, 0.0), 1, None);
        let passes = passes.lock().unwrap();
        let mask = &passes[0].1;
        let pose = p.pose_at(0, None);
        let (truth, _, ids) = Camera::real(0.0).then(&pose).render();
        dump(&format!("bg_{name}_out"), &out[0].data, 3);
        dump(&format!("bg_{name}_truth"), &truth, 3);
        dump(&format!("bg_{name}_mask"), mask, 1);
        // Holes in the middle of the frame (disocclusions, not the border).
        let holes: Vec<usize> = (0..W * H)
            .filter(|&i| mask[i] > 0.5 && i % W > 12 && i % W < W - 12 && ids[i] == 0)
            .collect();
        assert!(
            holes.len() > 100,
            "{name}: {} disoccluded pixels",
            holes.len()
        );
        // The sphere and card are red/orange (red >= 0.7); the wall has
        // red <= 0.35.
        let reddish = holes.iter().filter(|&&i| out[0].data[i * 3] > 0.5).count();
        let err: f32 = holes
            .iter()
            .map(|&i| (out[0].data[i * 3] - truth[i * 3]).abs())
            .sum::<f32>()
            / holes.len() as f32;
        eprintln!(
            "{name}: {} disoccluded px, {reddish} took the foreground's colour, red error {err:.4}",
            holes.len()
        );
        assert!(
            reddish * 50 <= holes.len(),
            "{name}: {reddish} of {} filled pixels took the foreground's colour",
            holes.len()
        );
        assert!(err < 0.08, "{name}: red channel error {err}");
    }
}

#[test]
fn any_thread_count_and_chunking_give_identical_frames() {
    let p = params(|p| {
        p.camera_move = Some(retake_ops3d::reangle::NamedMove::Orbit);
        p.yaw = Some(Keyframes::parse("0:0,9:3").unwrap());
        p.window = 3;
    });
    let (one, _) = run(
        &p,
        Box::new(PatchMatch::default()),
        Shot::new(10, 0.04),
        1,
        None,
    );
    let (two, _) = run(
        &p,
        Box::new(PatchMatch::default()),
        Shot::new(10, 0.04),
        2,
        None,
    );
    assert_eq!(one.len(), 10);
    assert!(one == two, "1 and 2 threads differ");
    let (a, _) = run(
        &p,
        Box::new(PatchMatch::default()),
        Shot::new(10, 0.04),
        2,
        Some("0-4"),
    );
    let (b, _) = run(
        &p,
        Box::new(PatchMatch::default()),
        Shot::new(10, 0.04),
        2,
        Some("5-9"),
    );
    let chunks: Vec<Frame> = a.into_iter().chain(b).collect();
    assert!(one == chunks, "chunked render differs");
}

/// A wide, short shot for the memory test: pages of its rows are whole
/// stretches of pixels (a row is six 4 KiB pages), so what neighbours
/// do not read can be handed back. Textured wall with a card in front,
/// moving; the depth travels as alpha.
struct WideShot {
    frames: i64,
    next: i64,
    info: ClipInfo,
}

const WIDE: (usize, usize) = (2048, 64);

impl FrameSource for WideShot {
    fn info(&self) -> &ClipInfo {
        &self.info
    }
    fn next_frame(&mut self) -> Result<Option<Frame>> {
        if self.next >= self.frames {
            return Ok(None);
        }
        let t = self.next;
        self.next += 1;
        let (w, h) = WIDE;
        let mut data = Vec::with_capacity(w * h * 4);
        for y in 0..h {
            for x in 0..w {
                let card = (400 + 6 * t as usize..560 + 6 * t as usize).contains(&x) && y > 16;
                let u = x as f32 + 2.0 * t as f32;
                let (rgb, depth) = if card {
                    ([0.8, 0.3 + 0.2 * (u * 0.3).sin().abs(), 0.2], 2.0)
                } else {
                    let v = 0.5 + 0.4 * ((u * 0.11).sin() * (y as f32 * 0.23).cos());
                    ([v, 0.6 * v, 0.3 + 0.002 * y as f32], 6.0)
                };
                data.extend_from_slice(&rgb);
                data.push(depth);
            }
        }
        Ok(Some(Frame::from_data(t, w, h, 4, data)?))
    }
    fn seek(&mut self, index: i64) -> Result<()> {
        self.next = index;
        Ok(())
    }
}

#[test]
fn handing_back_what_neighbours_do_not_read_keeps_every_bit() {
    let p = params(|p| {
        p.camera_move = Some(retake_ops3d::reangle::NamedMove::Orbit);
        p.window = 3;
    });
    let n = 10;
    let render = |once: bool, workers: usize, frames: Option<&str>| {
        let op = Reangle::new(p.clone(), Box::new(Membrane))
            .unwrap()
            .with_shot(0, n - 1);
        let op = if once {
            op.rendering_each_frame_once()
        } else {
            op
        };
        let out = Arc::new(Mutex::new(Vec::new()));
        let opts = PipelineOptions {
            workers,
            frames: frames.map(|f| FrameRange::parse(f).unwrap()),
            ..Default::default()
        };
        let mut shot = WideShot {
            frames: n,
            next: 0,
            info: ClipInfo::in_memory("memory://wide", WIDE.0, WIDE.1, Some(n as u64)),
        };
        pipeline::run(&mut shot, &op, Box::new(Collect(out.clone())), &opts).unwrap();
        let frames = out.lock().unwrap().clone();
        (frames, op.bytes_released())
    };
    let (whole, none) = render(false, 2, None);
    assert_eq!(whole.len(), n as usize);
    assert_eq!(none, 0);
    let (one, released) = render(true, 1, None);
    // Rendered frames give back part of their picture and depth (a
    // modest part here: the orbit's holes cover up to a third of these
    // small frames, and the bands their fill reads cross every row; how
    // much depends on where the buffers' pages start).
    let (w, h) = WIDE;
    let per_frame = (w * h * 16) as u64;
    assert!(
        released > (n as u64 - 1) * per_frame / 20,
        "released {released} of {} bytes",
        (n as u64 - 1) * per_frame
    );
    assert!(one == whole, "handing back changed the frames (1 thread)");
    let (two, _) = render(true, 2, None);
    assert!(two == whole, "handing back changed the frames (2 threads)");
    let (a, _) = render(true, 2, Some("0-4"));
    let (b, _) = render(true, 2, Some("5-9"));
    let chunks: Vec<Frame> = a.into_iter().chain(b).collect();
    assert!(chunks == whole, "handing back changed a chunked render");
}
