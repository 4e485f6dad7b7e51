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
//! Warped frames are RGB; their depth is registered beside them
//! ([`Depths`]): positive where the footage saw the pixel, minus the
//! background's depth behind it where the frame is filled. Kept apart,
//! a frame's colours are the warp's own buffer (no four-channel copy),
//! the size of every other frame buffer, so buffers are reused.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, OnceLock, Weak};

use retake_core::frame::Frame;
use retake_imageops::luma::luma;
use retake_imageops::pinhole::{focal_length, Pinhole};
use retake_ops::remove::Correspondence;

use super::camera::Pose;

/// Each warped frame's depth by frame number, for as long as its analysis
/// holds it (the table only points at it).
#[derive(Default)]
pub struct Depths(Mutex<BTreeMap<i64, Weak<Vec<f32>>>>);

impl Depths {
    /// `depth` is frame `index`'s from now on (a frame analysed again
    /// has the same depth: analysis is a pure function of the frame).
    pub fn register(&self, index: i64, depth: &Arc<Vec<f32>>) {
        let mut m = self.0.lock().unwrap_or_else(|e| e.into_inner());
        m.retain(|_, d| d.strong_count() > 0);
        m.insert(index, Arc::downgrade(depth));
    }

    fn get(&self, index: i64) -> Option<Arc<Vec<f32>>> {
        let m = self.0.lock().unwrap_or_else(|e| e.into_inner());
        m.get(&index).and_then(Weak::upgrade)
    }
}

/// The virtual camera of each frame, and the pinhole they share.
pub struct ViewChange {
    /// The virtual camera of a frame number.
    pub pose: Box<dyn Fn(i64) -> Pose + Send + Sync>,
    /// Horizontal field of view of the source camera, in degrees.
    pub fov: f32,
    /// Relative depth difference that counts as something nearer.
    pub edge: f32,
    /// The real camera's motion left after the view change, per pair of
    /// frames, earlier frame first (pure functions of the two frames, kept
    /// while near).
    residuals: Cache<(i64, i64), (f32, f32)>,
    /// Each frame's block luminance, shared by the pairs it is in.
    small: Cache<i64, Arc<Levels>>,
    /// The warped frames' depths.
    depths: Arc<Depths>,
}

/// Largest real-camera shift measured between two frames, as a fraction
/// of the frame's width.
const MAX_SHIFT: f32 = 0.06;

/// Depth of a warped frame (seen or filled) at the pixel nearest `(x, y)`.
fn depth_at(f: &Frame, depth: &[f32], x: f32, y: f32) -> f32 {
    let xi = (x.round().max(0.0) as usize).min(f.width - 1);
    let yi = (y.round().max(0.0) as usize).min(f.height - 1);
    depth[yi * f.width + xi].abs()
}

/// Side of the blocks the residual motion is measured on: about 240
/// blocks across whatever the resolution.
fn block(width: usize) -> usize {
    (width / 240).max(1)
}

/// A frame's block luminance at two sizes, for a coarse-to-fine search.
struct Levels {
    fine: Small,
    coarse: Small,
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
    fn new(f: &Frame, depth: &[f32], s: usize) -> Small {
        let (width, height) = (f.width / s, f.height / s);
        let mut luma_sum = vec![0.0f32; width * height];
        let mut seen = vec![true; width * height];
        for y in 0..height * s {
            for x in 0..width * s {
                let i = y * f.width + x;
                let j = (y / s) * width + x / s;
                luma_sum[j] += luma(&f.data[i * f.channels..][..3]).max(0.0).sqrt();
                seen[j] &= depth[i] > 0.0;
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

    /// Blocks twice the size: 2x2 blocks averaged, seen where all four were.
    fn halved(&self) -> Small {
        let (width, height) = (self.width / 2, self.height / 2);
        let mut luma = Vec::with_capacity(width * height);
        let mut seen = Vec::with_capacity(width * height);
        for y in 0..height {
            for x in 0..width {
                let i = 2 * y * self.width + 2 * x;
                let j = i + self.width;
                let l = &self.luma;
                luma.push((l[i] + l[i + 1] + l[j] + l[j + 1]) / 4.0);
                let s = &self.seen;
                seen.push(s[i] && s[i + 1] && s[j] && s[j + 1]);
            }
        }
        Small {
            width,
            height,
            luma,
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

/// The two virtual cameras of a pair of frames and their pinholes.
#[derive(Clone, Copy)]
struct Pair {
    pa: Pose,
    pb: Pose,
    a: Pinhole,
    b: Pinhole,
}

impl Pair {
    /// Where `(x, y)` of the first frame, at depth `z`, is seen by the
    /// second one's virtual camera, and at what depth; `None` behind it.
    fn project(&self, x: f32, y: f32, z: f64) -> Option<(f32, f32, f32)> {
        let q = self.a.back_project(x as f64, y as f64, z);
        let p = self.pb.to_camera(self.pa.to_source(q));
        if -p[2] <= 1e-6 * z {
            return None;
        }
        let (u, v, zb) = self.b.project(p)?;
        Some((u as f32, v as f32, zb as f32))
    }
}

/// Values computed once per key while renders near it need them.
type Cache<K, T> = Mutex<BTreeMap<K, Arc<OnceLock<T>>>>;

/// Block luminance sampled at the projected centres of one level's
/// blocks: `(x, y)` in `to`'s block coordinates of that level and the
/// luminance of `from` there.
type Points = Vec<(f32, f32, f32)>;

/// Mean absolute luminance difference of `points` against `b` shifted by
/// `(dx, dy)` blocks; `None` when fewer than a third can be compared.
fn score(points: &[(f32, f32, f32)], b: &Small, dx: f32, dy: f32) -> Option<f32> {
    let (mut sum, mut n) = (0.0f32, 0usize);
    for &(u, v, l) in points {
        if let Some(m) = b.at(u + dx, v + dy) {
            sum += (m - l).abs();
            n += 1;
        }
    }
    (n * 3 >= points.len()).then(|| sum / n as f32)
}

/// The best of `shifts` (in order; ties keep the earlier), starting
/// from `start` and its score.
fn best_of(
    points: &[(f32, f32, f32)],
    b: &Small,
    start: ((f32, f32), f32),
    shifts: impl Iterator<Item = (f32, f32)>,
) -> ((f32, f32), f32) {
    let mut best = start;
    for (dx, dy) in shifts {
        if let Some(e) = score(points, b, dx, dy) {
            if e < best.1 {
                best = ((dx, dy), e);
            }
        }
    }
    best
}

/// Shifts `centre + (i, j) * step` for `i, j` in `-reach..=reach`.
fn around(centre: (f32, f32), reach: i32, step: f32) -> impl Iterator<Item = (f32, f32)> {
    (-reach..=reach).flat_map(move |j| {
        (-reach..=reach).map(move |i| (centre.0 + i as f32 * step, centre.1 + j as f32 * step))
    })
}

impl ViewChange {
    fn pair(&self, from: &Frame, to: &Frame) -> Pair {
        let (pa, pb) = ((self.pose)(from.index), (self.pose)(to.index));
        let focal = focal_length(from.width, self.fov) as f64;
        let (w, h) = (from.width, from.height);
        Pair {
            pa,
            pb,
            a: Pinhole::new(w, h, focal * pa.zoom),
            b: Pinhole::new(w, h, focal * pb.zoom),
        }
    }

    /// A new one; `pose` gives each frame's virtual camera, `depths`
    /// each warped frame's depth.
    pub fn new(
        pose: Box<dyn Fn(i64) -> Pose + Send + Sync>,
        fov: f32,
        edge: f32,
        depths: Arc<Depths>,
    ) -> Self {
        ViewChange {
            pose,
            fov,
            edge,
            residuals: Mutex::new(BTreeMap::new()),
            small: Mutex::new(BTreeMap::new()),
            depths,
        }
    }

    /// The seen blocks of `level` (blocks of `s` pixels), every `step`-th
    /// row and column, projected into `to`'s block coordinates.
    fn points(
        &self,
        pair: &Pair,
        (from, depth): (&Frame, &[f32]),
        level: &Small,
        s: usize,
        step: usize,
    ) -> Points {
        let mut points = Vec::new();
        let sf = s as f32;
        let half = (sf - 1.0) / 2.0;
        for y in (1..level.height.saturating_sub(1)).step_by(step) {
            for x in (1..level.width.saturating_sub(1)).step_by(step) {
                let i = y * level.width + x;
                if !level.seen[i] {
                    continue;
                }
                // The block's centre, at full size.
                let (fx, fy) = ((x * s) as f32 + half, (y * s) as f32 + half);
                let z = depth_at(from, depth, fx, fy) as f64;
                if let Some((u, v, _)) = pair.project(fx, fy, z) {
                    points.push(((u - half) / sf, (v - half) / sf, level.luma[i]));
                }
            }
        }
        points
    }

    /// The shift (pixels) that best aligns `to` with `from` after the view
    /// change, on the pixels both saw: block luminance compared on a grid
    /// of points, searched coarse to fine (whole blocks of twice the size
    /// over the whole reach, whole blocks near the best of those, then
    /// half and quarter blocks). Zero when nothing can be compared.
    fn residual(&self, (from, df): (&Frame, &[f32]), (to, dt): (&Frame, &[f32])) -> (f32, f32) {
        let pair = self.pair(from, to);
        let s = block(from.width);
        let (a, b) = (self.small_of(from, df), self.small_of(to, dt));
        let points = self.points(&pair, (from, df), &a.fine, s, 3);
        if points.len() < 16 {
            return (0.0, 0.0);
        }
        let coarse = self.points(&pair, (from, df), &a.coarse, 2 * s, 2);
        let reach = ((MAX_SHIFT * from.width as f32) / (2 * s) as f32).ceil() as i32;
        let Some(zero) = score(&coarse, &b.coarse, 0.0, 0.0) else {
            return (0.0, 0.0);
        };
        let (c, _) = best_of(
            &coarse,
            &b.coarse,
            ((0.0, 0.0), zero),
            around((0.0, 0.0), reach, 1.0),
        );
        // Whole fine blocks near it, on every fourth point.
        let sparse: Points = points.iter().step_by(4).copied().collect();
        let start = (2.0 * c.0, 2.0 * c.1);
        let Some(e) = score(&sparse, &b.fine, start.0, start.1) else {
            return (0.0, 0.0);
        };
        let (f, _) = best_of(&sparse, &b.fine, (start, e), around(start, 2, 1.0));
        // Half, then quarter blocks, on every point.
        let Some(e) = score(&points, &b.fine, f.0, f.1) else {
            return (0.0, 0.0);
        };
        let (h, e) = best_of(&points, &b.fine, (f, e), around(f, 1, 0.5));
        let (q, _) = best_of(&points, &b.fine, (h, e), around(h, 1, 0.25));
        (q.0 * s as f32, q.1 * s as f32)
    }

    /// The block luminance of `f`, made once per frame while it is needed.
    fn small_of(&self, f: &Frame, depth: &[f32]) -> Arc<Levels> {
        let cell = {
            let mut m = self.small.lock().unwrap_or_else(|e| e.into_inner());
            let keep = f.index - 64..=f.index + 64;
            m.retain(|k, _| keep.contains(k));
            m.entry(f.index).or_default().clone()
        };
        cell.get_or_init(|| {
            let fine = Small::new(f, depth, block(f.width));
            let coarse = fine.halved();
            Arc::new(Levels { fine, coarse })
        })
        .clone()
    }

    /// [`Self::residual`], computed once per pair of frames while it is
    /// needed, from the earlier frame to the later one (the other way is
    /// its opposite): the two renders that ask for a pair share it.
    fn residual_cached(&self, from: (&Frame, &[f32]), to: (&Frame, &[f32])) -> (f32, f32) {
        let (first, second) = if from.0.index <= to.0.index {
            (from, to)
        } else {
            (to, from)
        };
        let from = from.0;
        let cell = {
            let mut m = self.residuals.lock().unwrap_or_else(|e| e.into_inner());
            // Renders ask for pairs around the frame they render, whichever
            // way a host moves: keep only those near this one.
            let keep = from.index - 64..=from.index + 64;
            m.retain(|k, _| keep.contains(&k.0) || keep.contains(&k.1));
            m.entry((first.0.index, second.0.index))
                .or_default()
                .clone()
        };
        let (dx, dy) = *cell.get_or_init(|| self.residual(first, second));
        if first.0.index == from.index {
            (dx, dy)
        } else {
            (-dx, -dy)
        }
    }
}

/// Nearest depth among the 4x4 pixels a cubic sample at `(x, y)` mixes
/// (the engine samples colours cubically where it can): a foreground
/// pixel anywhere in that support would leak into the colour, and
/// Catmull-Rom's overshoot turns its edge into bright specks.
fn nearest_around(f: &Frame, depth: &[f32], x: f32, y: f32) -> f32 {
    let (x0, y0) = (x.floor() as isize, y.floor() as isize);
    let (wm, hm) = (f.width as isize - 1, f.height as isize - 1);
    let mut nearest = f32::INFINITY;
    for yy in y0 - 1..=y0 + 2 {
        let row = yy.clamp(0, hm) as usize * f.width;
        for xx in x0 - 1..=x0 + 2 {
            let d = depth[row + xx.clamp(0, wm) as usize];
            if d > 0.0 {
                nearest = nearest.min(d);
            }
        }
    }
    nearest
}

/// `to`'s depth (when known) and where each point is in view there, at
/// what depth (see [`ViewChange::in_view`]).
type InView = (Option<Arc<Vec<f32>>>, Vec<Option<(f32, f32, f32)>>);

impl ViewChange {
    /// Where each of `points` of `from` is seen by `to`'s virtual camera
    /// (the real camera's residual motion added), with its depth there:
    /// `None` outside `to`'s frame or behind the camera, and for every point
    /// when a frame's depth is not known. Nothing here tells whether
    /// something nearer hides the point in `to` ([`Correspondence::map`]
    /// asks that next).
    fn in_view(&self, from: &Frame, to: &Frame, points: &[(f32, f32)]) -> InView {
        let n = from.width * from.height;
        let (Some(df), Some(dt)) = (self.depths.get(from.index), self.depths.get(to.index)) else {
            return (None, vec![None; points.len()]);
        };
        if from.channels < 3
            || to.channels < 3
            || n == 0
            || (from.width, from.height) != (to.width, to.height)
            || df.len() != n
            || dt.len() != n
        {
            return (None, vec![None; points.len()]);
        }
        let (dx, dy) = self.residual_cached((from, &df), (to, &dt));
        let pair = self.pair(from, to);
        let (w, h) = (to.width as f32, to.height as f32);
        let seen = points
            .iter()
            .map(|&(x, y)| {
                let z = depth_at(from, &df, x, y) as f64;
                if !(z.is_finite() && z > 0.0) {
                    return None;
                }
                let (u, v, zb) = pair.project(x, y, z)?;
                let (u, v) = (u + dx, v + dy);
                if !(u >= 0.0 && v >= 0.0 && u <= w - 1.0 && v <= h - 1.0) {
                    return None;
                }
                Some((u, v, zb))
            })
            .collect();
        (Some(dt), seen)
    }

    /// Mark in `read` (one flag per pixel of `to`) every pixel that a
    /// lookup of `points` of `from` in `to` can read: the 4x4 pixels
    /// around each point `to` has in view, which covers the depth test
    /// here and the engine's colour and hole samples there (cubic or
    /// bilinear, both clamped to the frame).
    pub fn mark_read(&self, from: &Frame, to: &Frame, points: &[(f32, f32)], read: &mut [bool]) {
        let (w, h) = (to.width as isize, to.height as isize);
        if read.len() != to.width * to.height {
            return;
        }
        for (u, v, _) in self.in_view(from, to, points).1.into_iter().flatten() {
            // In view means inside the frame: truncation is the floor.
            let (x0, y0) = (u as isize, v as isize);
            let (xa, xb) = ((x0 - 1).clamp(0, w - 1), (x0 + 2).clamp(0, w - 1));
            for yy in y0 - 1..=y0 + 2 {
                let row = yy.clamp(0, h - 1) * w;
                read[(row + xa) as usize..=(row + xb) as usize].fill(true);
            }
        }
    }

    /// Compute now everything about frame `f` that later lookups between
    /// it and `others` would compute from its whole picture and depth:
    /// its block luminance and the residual motion of each pair. After
    /// this, such lookups read only the pixels [`Self::mark_read`] marks.
    pub fn settle_pairs(&self, f: &Frame, others: &[&Frame]) {
        let Some(df) = self.depths.get(f.index) else {
            return;
        };
        for o in others {
            if let Some(d) = self.depths.get(o.index) {
                if (o.width, o.height, d.len()) == (f.width, f.height, df.len()) {
                    self.residual_cached((f, &df), (o, &d));
                }
            }
        }
    }
}

impl Correspondence for ViewChange {
    fn map(&self, from: &Frame, to: &Frame, points: &[(f32, f32)]) -> Vec<Option<(f32, f32)>> {
        let (Some(dt), seen) = self.in_view(from, to, points) else {
            return vec![None; points.len()];
        };
        seen.into_iter()
            .map(|p| {
                let (u, v, zb) = p?;
                // Something nearer stands there in `to`: not this point.
                if nearest_around(to, &dt, u, v) * (1.0 + self.edge) < zb {
                    return None;
                }
                Some((u, v))
            })
            .collect()
    }
}

/// A [`ViewChange`] shared by its owner and the removal engine.
pub struct Shared(pub Arc<ViewChange>);

impl Correspondence for Shared {
    fn map(&self, from: &Frame, to: &Frame, points: &[(f32, f32)]) -> Vec<Option<(f32, f32)>> {
        self.0.map(from, to, points)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_depth_is_found_while_its_analysis_holds_it_and_forgotten_after() {
        let depths = Depths::default();
        let a = Arc::new(vec![1.0f32; 4]);
        depths.register(3, &a);
        assert_eq!(depths.get(3).as_deref(), Some(&vec![1.0f32; 4]));
        assert!(depths.get(4).is_none());
        drop(a);
        assert!(depths.get(3).is_none());
        // A later registration prunes what is gone: the table stays as
        // small as the window, whatever the clip's length.
        let b = Arc::new(vec![2.0f32; 4]);
        depths.register(5, &b);
        assert_eq!(depths.0.lock().unwrap().len(), 1);
    }

    #[test]
    fn points_are_looked_up_only_in_frames_whose_depth_is_known() {
        let (w, h) = (48, 24);
        let depths = Arc::new(Depths::default());
        let view = ViewChange::new(Box::new(|_| Pose::identity()), 60.0, 0.05, depths.clone());
        let frame = |i| Frame::from_data(i, w, h, 3, vec![0.5; w * h * 3]).unwrap();
        let (a, b) = (frame(0), frame(1));
        let points = [(10.0, 5.0), (30.5, 12.25)];
        // Frame 1's depth is not held (its analysis is gone): nothing is
        // looked up there.
        let da = Arc::new(vec![2.0f32; w * h]);
        depths.register(0, &da);
        assert_eq!(view.map(&a, &b, &points), vec![None, None]);
        // Both held, the same camera: each point is where it was.
        let db = Arc::new(vec![2.0f32; w * h]);
        depths.register(1, &db);
        for (got, want) in view.map(&a, &b, &points).into_iter().zip(points) {
            let (x, y) = got.expect("a point both frames saw");
            assert!((x - want.0).abs() < 1e-3 && (y - want.1).abs() < 1e-3);
        }
        // Something nearer stands there in frame 1: not looked up.
        let near = Arc::new(vec![1.0f32; w * h]);
        depths.register(1, &near);
        assert_eq!(view.map(&a, &b, &points), vec![None, None]);
    }
}
