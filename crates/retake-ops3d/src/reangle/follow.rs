//! Where a point of one warped frame is in another, from its depth and the
//! two frames' virtual cameras, for the temporal fill.
//!
//! Optical flow between warped frames has to guess the motion inside the
//! holes from their borders; next to a moving subject it guesses the
//! subject's motion, and the fill then copies the subject into the
//! background it uncovered (the ghost). The view change itself is known:
//! a point of the scene seen by frame `a`'s virtual camera at some depth
//! is where frame `b`'s virtual camera sees it, the scene held still in
//! the source camera's space. A point that something nearer hides in `b`
//! (a foreground there, by `b`'s own depth) is not looked up in `b`, so
//! the fill of uncovered background only ever takes background. It costs
//! a projection per point instead of two dense flows per frame pair.
//!
//! The real camera may move too, which the virtual cameras do not know:
//! what is left after the view change is measured once per pair of frames
//! as one image shift, on the pixels both frames saw (a handheld camera's
//! motion over a few frames is mostly a turn, which moves the whole
//! picture alike; the background dominates the measure, and background is
//! what holes are filled with).
//!
//! Warped frames carry their depth as a fourth channel: positive where
//! the footage saw the pixel, minus the background's depth behind it
//! where the frame is filled.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, OnceLock};

use retake_core::frame::Frame;
use retake_imageops::luma::luma;
use retake_imageops::pinhole::focal_length;
use retake_ops::remove::Correspondence;

use super::camera::Pose;

/// The virtual camera of each frame, and the pinhole they share.
pub struct ViewChange {
    /// The virtual camera of a frame number.
    pub pose: Box<dyn Fn(i64) -> Pose + Send + Sync>,
    /// Horizontal field of view of the source camera, in degrees.
    pub fov: f32,
    /// Relative depth difference that counts as something nearer.
    pub edge: f32,
    /// The real camera's motion left after the view change, per pair of
    /// frames (pure functions of the two frames, kept while near).
    residuals: Cache<(i64, i64), (f32, f32)>,
    /// Each frame's block luminance, shared by the pairs it is in.
    small: Cache<i64, Arc<Small>>,
}

/// Largest real-camera shift measured between two frames, as a fraction
/// of the frame's width.
const MAX_SHIFT: f32 = 0.06;

/// Depth of a warped frame (its fourth channel, seen or filled) at the
/// pixel nearest `(x, y)`.
fn depth_at(f: &Frame, x: f32, y: f32) -> f32 {
    let xi = (x.round().max(0.0) as usize).min(f.width - 1);
    let yi = (y.round().max(0.0) as usize).min(f.height - 1);
    f.data[(yi * f.width + xi) * f.channels + 3].abs()
}

/// Side of the blocks the residual motion is measured on: about 240
/// blocks across whatever the resolution.
fn block(width: usize) -> usize {
    (width / 240).max(1)
}

/// A frame's luminance averaged over `s` x `s` blocks, with whether the
/// footage saw the whole block.
struct Small {
    width: usize,
    height: usize,
    luma: Vec<f32>,
    seen: Vec<bool>,
}

impl Small {
    fn new(f: &Frame, s: usize) -> Small {
        let (width, height) = (f.width / s, f.height / s);
        let mut luma_sum = vec![0.0f32; width * height];
        let mut seen = vec![true; width * height];
        for y in 0..height * s {
            for x in 0..width * s {
                let p = &f.data[(y * f.width + x) * f.channels..][..4];
                let j = (y / s) * width + x / s;
                luma_sum[j] += luma(&p[..3]).max(0.0).sqrt();
                seen[j] &= p[3] > 0.0;
            }
        }
        let n = (s * s) as f32;
        Small {
            width,
            height,
            luma: luma_sum.into_iter().map(|v| v / n).collect(),
            seen,
        }
    }

    /// Bilinear luminance at `(x, y)`, when every pixel it mixes was seen.
    fn at(&self, x: f32, y: f32) -> Option<f32> {
        if !(x >= 0.0 && y >= 0.0) {
            return None;
        }
        let (x0, y0) = (x as usize, y as usize);
        if x0 + 1 >= self.width || y0 + 1 >= self.height {
            return None;
        }
        let (fx, fy) = (x - x0 as f32, y - y0 as f32);
        let i = y0 * self.width + x0;
        let w = self.width;
        if !(self.seen[i] && self.seen[i + 1] && self.seen[i + w] && self.seen[i + w + 1]) {
            return None;
        }
        let l = &self.luma;
        let top = l[i] + fx * (l[i + 1] - l[i]);
        let bottom = l[i + w] + fx * (l[i + w + 1] - l[i + w]);
        Some(top + fy * (bottom - top))
    }
}

/// The two virtual cameras of a pair of frames, with their focal lengths
/// (pixels) and the picture's centre.
#[derive(Clone, Copy)]
struct Pair {
    pa: Pose,
    pb: Pose,
    fa: f64,
    fb: f64,
    cx: f64,
    cy: f64,
}

/// Values computed once per key while renders near it need them.
type Cache<K, T> = Mutex<BTreeMap<K, Arc<OnceLock<T>>>>;

impl ViewChange {
    fn pair(&self, from: &Frame, to: &Frame) -> Pair {
        let (pa, pb) = ((self.pose)(from.index), (self.pose)(to.index));
        let focal = focal_length(from.width, self.fov) as f64;
        Pair {
            pa,
            pb,
            fa: focal * pa.zoom,
            fb: focal * pb.zoom,
            cx: from.width as f64 / 2.0 - 0.5,
            cy: from.height as f64 / 2.0 - 0.5,
        }
    }

    /// A new one; `pose` gives each frame's virtual camera.
    pub fn new(pose: Box<dyn Fn(i64) -> Pose + Send + Sync>, fov: f32, edge: f32) -> Self {
        ViewChange {
            pose,
            fov,
            edge,
            residuals: Mutex::new(BTreeMap::new()),
            small: Mutex::new(BTreeMap::new()),
        }
    }

    /// Where `(x, y)` of `from`, at depth `z`, is seen by `to`'s virtual
    /// camera, and at what depth; `None` behind it.
    fn project(&self, pair: &Pair, x: f32, y: f32, z: f64) -> Option<(f32, f32, f32)> {
        let Pair {
            pa,
            pb,
            fa,
            fb,
            cx,
            cy,
        } = *pair;
        let q = [(x as f64 - cx) * z / fa, -(y as f64 - cy) * z / fa, -z];
        let p = pb.to_camera(pa.to_source(q));
        let zb = -p[2];
        if zb <= 1e-6 * z {
            return None;
        }
        Some((
            (p[0] * fb / zb + cx) as f32,
            (-p[1] * fb / zb + cy) as f32,
            zb as f32,
        ))
    }

    /// The shift (pixels) that best aligns `to` with `from` after the view
    /// change, on the pixels both saw: block luminance compared on a grid
    /// of points, searched in whole blocks, then refined to a quarter of a
    /// block. Zero when nothing can be compared.
    fn residual(&self, from: &Frame, to: &Frame) -> (f32, f32) {
        let pair = self.pair(from, to);
        let s = block(from.width);
        let (a, b) = (self.small_of(from), self.small_of(to));
        let step = 3;
        let mut points: Vec<(f32, f32, f32)> = Vec::new();
        for y in (1..a.height.saturating_sub(1)).step_by(step) {
            for x in (1..a.width.saturating_sub(1)).step_by(step) {
                let i = y * a.width + x;
                if !a.seen[i] {
                    continue;
                }
                // The block's centre, at full size.
                let (fx, fy) = (
                    (x * s) as f32 + (s as f32 - 1.0) / 2.0,
                    (y * s) as f32 + (s as f32 - 1.0) / 2.0,
                );
                let z = depth_at(from, fx, fy) as f64;
                if let Some((u, v, _)) = self.project(&pair, fx, fy, z) {
                    let sf = s as f32;
                    points.push((
                        (u - (sf - 1.0) / 2.0) / sf,
                        (v - (sf - 1.0) / 2.0) / sf,
                        a.luma[i],
                    ));
                }
            }
        }
        if points.len() < 16 {
            return (0.0, 0.0);
        }
        // The whole-block search on every fourth point, the refinement on all.
        let sparse: Vec<(f32, f32, f32)> = points.iter().step_by(4).copied().collect();
        let score_on = |points: &[(f32, f32, f32)], dx: f32, dy: f32| -> Option<f32> {
            let (mut sum, mut n) = (0.0f32, 0usize);
            for &(u, v, l) in points {
                if let Some(m) = b.at(u + dx, v + dy) {
                    sum += (m - l).abs();
                    n += 1;
                }
            }
            (n * 3 >= points.len()).then(|| sum / n as f32)
        };
        let score = |dx: f32, dy: f32| score_on(&sparse, dx, dy);
        let reach = ((MAX_SHIFT * from.width as f32) / s as f32).ceil() as i32;
        let mut best = (0.0f32, 0.0f32);
        let Some(mut best_score) = score(0.0, 0.0) else {
            return (0.0, 0.0);
        };
        for dy in -reach..=reach {
            for dx in -reach..=reach {
                if let Some(e) = score(dx as f32, dy as f32) {
                    if e < best_score {
                        best_score = e;
                        best = (dx as f32, dy as f32);
                    }
                }
            }
        }
        let coarse = best;
        let score = |dx: f32, dy: f32| score_on(&points, dx, dy);
        let Some(mut best_score) = score(coarse.0, coarse.1) else {
            return (0.0, 0.0);
        };
        for qy in -4..=4 {
            for qx in -4..=4 {
                let (dx, dy) = (coarse.0 + qx as f32 * 0.25, coarse.1 + qy as f32 * 0.25);
                if let Some(e) = score(dx, dy) {
                    if e < best_score {
                        best_score = e;
                        best = (dx, dy);
                    }
                }
            }
        }
        (best.0 * s as f32, best.1 * s as f32)
    }

    /// The block luminance of `f`, made once per frame while it is needed.
    fn small_of(&self, f: &Frame) -> Arc<Small> {
        let cell = {
            let mut m = self.small.lock().unwrap_or_else(|e| e.into_inner());
            let keep = f.index - 64..=f.index + 64;
            m.retain(|k, _| keep.contains(k));
            m.entry(f.index).or_default().clone()
        };
        cell.get_or_init(|| Arc::new(Small::new(f, block(f.width))))
            .clone()
    }

    /// [`Self::residual`], computed once per pair while it is needed.
    fn residual_cached(&self, from: &Frame, to: &Frame) -> (f32, f32) {
        let cell = {
            let mut m = self.residuals.lock().unwrap_or_else(|e| e.into_inner());
            // Renders ask for pairs around the frame they render, whichever
            // way a host moves: keep only those near this one.
            let keep = from.index - 64..=from.index + 64;
            m.retain(|k, _| keep.contains(&k.0));
            m.entry((from.index, to.index)).or_default().clone()
        };
        *cell.get_or_init(|| self.residual(from, to))
    }
}

/// Nearest depth among the four pixels a bilinear sample at `(x, y)` mixes.
fn nearest_around(f: &Frame, x: f32, y: f32) -> f32 {
    let (x0, y0) = (x.floor().max(0.0) as usize, y.floor().max(0.0) as usize);
    let (x0, y0) = (x0.min(f.width - 1), y0.min(f.height - 1));
    let (x1, y1) = ((x0 + 1).min(f.width - 1), (y0 + 1).min(f.height - 1));
    [(x0, y0), (x1, y0), (x0, y1), (x1, y1)]
        .iter()
        .map(|&(x, y)| f.data[(y * f.width + x) * f.channels + 3])
        .filter(|d| *d > 0.0)
        .fold(f32::INFINITY, f32::min)
}

impl Correspondence for ViewChange {
    fn map(&self, from: &Frame, to: &Frame, points: &[(f32, f32)]) -> Vec<Option<(f32, f32)>> {
        if from.channels < 4
            || to.channels < 4
            || from.width == 0
            || from.height == 0
            || (from.width, from.height) != (to.width, to.height)
        {
            return vec![None; points.len()];
        }
        let (dx, dy) = self.residual_cached(from, to);
        let pair = self.pair(from, to);
        let (w, h) = (to.width as f32, to.height as f32);
        points
            .iter()
            .map(|&(x, y)| {
                let z = depth_at(from, x, y) as f64;
                if !(z.is_finite() && z > 0.0) {
                    return None;
                }
                let (u, v, zb) = self.project(&pair, x, y, z)?;
                let (u, v) = (u + dx, v + dy);
                if !(u >= 0.0 && v >= 0.0 && u <= w - 1.0 && v <= h - 1.0) {
                    return None;
                }
                // Something nearer stands there in `to`: not this point.
                if nearest_around(to, u, v) * (1.0 + self.edge) < zb {
                    return None;
                }
                Some((u, v))
            })
            .collect()
    }
}
