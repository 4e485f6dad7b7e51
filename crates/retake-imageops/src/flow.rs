//! Dense optical flow between two pictures, in Rust (no OpenCV, so the
//! OpenFX plugin can use it inside a host). Coarse-to-fine: a global affine
//! motion at the coarsest level, then a robust Horn-Schunck refinement with
//! image warping at every level. Pixels marked unknown (a hole, an occluder)
//! carry no data term, so the smoothness term fills the flow there from
//! the hole's border: flow completion comes from the same solver.

mod pull;
mod sweep;

use crate::filter::binomial3;
use crate::luma::luma;
use crate::plane::Plane;
use crate::sample::Taps;
use pull::pull;
use sweep::Relaxation;

/// A single-channel picture (luminance), row-major.
#[derive(Clone, Debug)]
pub struct Gray {
    pub width: usize,
    pub height: usize,
    pub data: Vec<f32>,
}

impl Gray {
    /// Luminance of interleaved RGB (Rec. 709 weights).
    pub fn from_rgb(rgb: &[f32], width: usize, height: usize) -> Gray {
        let data = rgb.chunks_exact(3).take(width * height).map(luma).collect();
        Gray {
            width,
            height,
            data,
        }
    }
}

/// Displacement in pixels from the first picture to the second: the point
/// `(x, y)` of the first is seen at `(x + u, y + v)` in the second.
#[derive(Clone, Debug)]
pub struct Flow {
    pub width: usize,
    pub height: usize,
    pub u: Vec<f32>,
    pub v: Vec<f32>,
}

impl Flow {
    pub fn zero(width: usize, height: usize) -> Flow {
        Flow {
            width,
            height,
            u: vec![0.0; width * height],
            v: vec![0.0; width * height],
        }
    }

    /// Bilinear sample, clamped at the edges.
    #[inline]
    pub fn at(&self, x: f32, y: f32) -> (f32, f32) {
        // One set of taps for both components: the clamping is half the
        // cost of a sample.
        let taps = Taps::new(self.width, self.height, x, y);
        (taps.read(&self.u), taps.read(&self.v))
    }
}

/// Bilinear sample of a one-channel `w x h` picture at `(x, y)`, clamped at
/// the edges: the arithmetic of [`sample`] (so the same bits), without its
/// per-call channel setup and the floor call, which dominated the solver's
/// warps.
#[inline(always)]
fn bilinear(data: &[f32], w: usize, h: usize, x: f32, y: f32) -> f32 {
    Taps::new(w, h, x, y).read(data)
}

/// How hard the solver works and how smooth the field is.
#[derive(Clone, Debug)]
pub struct FlowParams {
    /// Smoothness weight (Horn-Schunck alpha) for intensities in 0..1:
    /// larger gives smoother fields.
    pub smoothness: f32,
    /// Most pyramid levels (fewer when the picture is small).
    pub levels: usize,
    /// Image warps per level (re-linearisations).
    pub warps: usize,
    /// Solver sweeps per warp.
    pub iterations: usize,
    /// Residual scale of the robust (Charbonnier) data term.
    pub robust_epsilon: f32,
}

impl Default for FlowParams {
    fn default() -> Self {
        FlowParams {
            smoothness: 0.02,
            levels: 6,
            warps: 3,
            iterations: 25,
            robust_epsilon: 0.02,
        }
    }
}

/// Forward-backward disagreement per pixel of `forward`, in pixels:
/// `|F(p) + B(p + F(p))|`. Large where a point is occluded in the second
/// picture or the flow is wrong.
pub fn consistency(forward: &Flow, backward: &Flow) -> Vec<f32> {
    let mut out = Vec::with_capacity(forward.width * forward.height);
    for y in 0..forward.height {
        for x in 0..forward.width {
            let i = y * forward.width + x;
            let (u, v) = (forward.u[i], forward.v[i]);
            let (bu, bv) = backward.at(x as f32 + u, y as f32 + v);
            out.push(((u + bu).powi(2) + (v + bv).powi(2)).sqrt());
        }
    }
    out
}

/// Flow from `from` to `to`. `from_known`/`to_known` (0..1 per pixel, same
/// size as the pictures) mark where each picture's content can be trusted;
/// where either side is unknown the flow is filled from its surroundings.
pub fn estimate(
    from: &Gray,
    to: &Gray,
    from_known: Option<&[f32]>,
    to_known: Option<&[f32]>,
    params: &FlowParams,
) -> Flow {
    match Pyramid::build(from, to, from_known, to_known, params) {
        Some(pyramid) => pyramid.solve(false, params),
        None => Flow::zero(from.width, from.height),
    }
}

/// Flow both ways: `(from -> to, to -> from)`, the fields of
/// `estimate(from, to, ..)` and `estimate(to, from, ..)` bit for bit. Both
/// directions share one pyramid (the blurred pictures and trust maps are
/// the same, swapped), and the two solves run in parallel.
pub fn estimate_both(
    from: &Gray,
    to: &Gray,
    from_known: Option<&[f32]>,
    to_known: Option<&[f32]>,
    params: &FlowParams,
) -> (Flow, Flow) {
    match Pyramid::build(from, to, from_known, to_known, params) {
        Some(pyramid) => rayon::join(
            || pyramid.solve(false, params),
            || pyramid.solve(true, params),
        ),
        None => (
            Flow::zero(from.width, from.height),
            Flow::zero(to.width, to.height),
        ),
    }
}

/// Both pictures and their trust maps, finest level first.
struct Pyramid {
    levels: Vec<Level>,
}

impl Pyramid {
    /// `None` when the pictures are empty or differ in size.
    fn build(
        from: &Gray,
        to: &Gray,
        from_known: Option<&[f32]>,
        to_known: Option<&[f32]>,
        params: &FlowParams,
    ) -> Option<Pyramid> {
        let (w, h) = (from.width, from.height);
        if w == 0 || h == 0 || to.width != w || to.height != h {
            return None;
        }
        let ones = vec![1.0f32; w * h];
        // Trust shrinks by the blur's reach, so an occluder's edge bleeding
        // into its surroundings does not pull on the flow.
        let level0 = Level {
            a: blur3(from),
            b: blur3(to),
            ka: from_known.map_or_else(|| ones.clone(), |k| erode(&erode(k, w, h), w, h)),
            kb: to_known.map_or(ones, |k| erode(&erode(k, w, h), w, h)),
        };
        let mut levels = vec![level0];
        while levels.len() < params.levels.max(1) {
            let last = &levels[levels.len() - 1];
            if last.a.width < 24 || last.a.height < 24 {
                break;
            }
            let next = last.half();
            levels.push(next);
        }
        Some(Pyramid { levels })
    }

    /// The flow from the first picture to the second, or from the second
    /// to the first when `backward`.
    fn solve(&self, backward: bool, params: &FlowParams) -> Flow {
        let pyramid: Vec<View> = self.levels.iter().map(|l| l.view(backward)).collect();
        // Global motion, coarse to fine up to a level about 64 px wide: an
        // exhaustive translation search first, so pans larger than the
        // solver's reach are found, then an affine refinement per level.
        let top = pyramid.len() - 1;
        let coarsest = pyramid[top];
        let (tx, ty) = best_translation(coarsest);
        let mut affine: Affine = [tx, 0.0, 0.0, ty, 0.0, 0.0];
        let mut depth = top;
        loop {
            affine = global_affine(pyramid[depth], affine);
            if depth == 0 || pyramid[depth].a.width >= 64 {
                break;
            }
            depth -= 1;
            affine[0] *= 2.0;
            affine[3] *= 2.0;
        }
        // Back to the coarsest level's scale for the dense solver.
        let scale = (1u64 << (top - depth)) as f64;
        affine[0] /= scale;
        affine[3] /= scale;
        let mut flow = affine_field(&affine, coarsest.a.width, coarsest.a.height);
        for (depth, &level) in pyramid.iter().enumerate().rev() {
            if depth != top {
                flow = upsample_flow(&flow, level.a.width, level.a.height);
            }
            refine(level, &mut flow, params);
        }
        flow
    }
}

/// One pyramid level as the solver sees it in one direction: from `a`
/// (trusted as `ka`) to `b` (`kb`).
#[derive(Clone, Copy)]
struct View<'a> {
    a: &'a Gray,
    b: &'a Gray,
    ka: &'a [f32],
    kb: &'a [f32],
}

/// One pyramid level: both pictures and their trust maps.
struct Level {
    a: Gray,
    b: Gray,
    ka: Vec<f32>,
    kb: Vec<f32>,
}

impl Level {
    /// From the first picture to the second, or back when `backward`.
    fn view(&self, backward: bool) -> View<'_> {
        if backward {
            View {
                a: &self.b,
                b: &self.a,
                ka: &self.kb,
                kb: &self.ka,
            }
        } else {
            View {
                a: &self.a,
                b: &self.b,
                ka: &self.ka,
                kb: &self.kb,
            }
        }
    }

    fn half(&self) -> Level {
        let (w, h) = (self.a.width, self.a.height);
        let (hw, hh) = (w.div_ceil(2), h.div_ceil(2));
        let down = |src: &[f32]| {
            let mut out = vec![0.0f32; hw * hh];
            for y in 0..hh {
                for x in 0..hw {
                    let mut s = 0.0;
                    let mut n = 0.0;
                    for dy in 0..2 {
                        for dx in 0..2 {
                            let (sx, sy) = (2 * x + dx, 2 * y + dy);
                            if sx < w && sy < h {
                                s += src[sy * w + sx];
                                n += 1.0;
                            }
                        }
                    }
                    out[y * hw + x] = s / n;
                }
            }
            out
        };
        let gray = |g: &Gray| {
            blur3(&Gray {
                width: hw,
                height: hh,
                data: down(&g.data),
            })
        };
        // A coarse pixel is trusted only as far as all its fine pixels are.
        let trust = |k: &[f32]| {
            let mut out = vec![0.0f32; hw * hh];
            for y in 0..hh {
                for x in 0..hw {
                    let mut m = 1.0f32;
                    for dy in 0..2 {
                        for dx in 0..2 {
                            let (sx, sy) = (2 * x + dx, 2 * y + dy);
                            if sx < w && sy < h {
                                m = m.min(k[sy * w + sx]);
                            }
                        }
                    }
                    out[y * hw + x] = m;
                }
            }
            out
        };
        Level {
            a: gray(&self.a),
            b: gray(&self.b),
            ka: erode(&trust(&self.ka), hw, hh),
            kb: erode(&trust(&self.kb), hw, hh),
        }
    }
}

/// 3x3 minimum.
///
/// Rows with both neighbours take a fast path over their inner pixels:
/// the same nine `min`s from 1.0 in the same order (so the same bits, NaNs
/// and signed zeros included), on row slices the compiler vectorises.
fn erode(k: &[f32], w: usize, h: usize) -> Vec<f32> {
    let mut out = vec![0.0f32; w * h];
    for y in 0..h {
        let inner_row = y > 0 && y + 1 < h && w > 2;
        if inner_row {
            let (up, row, down) = (
                &k[(y - 1) * w..y * w],
                &k[y * w..(y + 1) * w],
                &k[(y + 1) * w..(y + 2) * w],
            );
            let dst = &mut out[y * w + 1..(y + 1) * w - 1];
            for (x, o) in (1..w - 1).zip(dst.iter_mut()) {
                *o = 1.0f32
                    .min(up[x - 1])
                    .min(up[x])
                    .min(up[x + 1])
                    .min(row[x - 1])
                    .min(row[x])
                    .min(row[x + 1])
                    .min(down[x - 1])
                    .min(down[x])
                    .min(down[x + 1]);
            }
        }
        for x in 0..w {
            if inner_row && x > 0 && x + 1 < w {
                continue;
            }
            out[y * w + x] = window_min(k, w, h, x, y);
        }
    }
    out
}

/// The 3x3 minimum at one pixel, from 1.0, clipped to the picture: the
/// general path of [`erode`] and its tests' reference.
fn window_min(k: &[f32], w: usize, h: usize, x: usize, y: usize) -> f32 {
    let mut m = 1.0f32;
    for yy in y.saturating_sub(1)..=(y + 1).min(h - 1) {
        for xx in x.saturating_sub(1)..=(x + 1).min(w - 1) {
            m = m.min(k[yy * w + xx]);
        }
    }
    m
}

/// 3x3 binomial blur: derivatives of slightly smoothed pictures are far
/// less noisy.
fn blur3(g: &Gray) -> Gray {
    Gray {
        width: g.width,
        height: g.height,
        data: binomial3(Plane::new(&g.data, g.width, g.height, 1)),
    }
}

/// `[a0, a1, a2, a3, a4, a5]`: u = a0 + a1 x + a2 y, v = a3 + a4 x + a5 y.
type Affine = [f64; 6];

/// Robust Gauss-Newton fit of one affine motion to the whole (trusted)
/// picture: the camera's move, which the dense solver then refines.
fn global_affine(level: View, start: Affine) -> Affine {
    let (w, h) = (level.a.width, level.a.height);
    let (cx, cy) = (w as f64 / 2.0, h as f64 / 2.0);
    // Work about the centre, where the parameters are better conditioned.
    let mut p: Affine = [
        start[0] + start[1] * cx + start[2] * cy,
        start[1],
        start[2],
        start[3] + start[4] * cx + start[5] * cy,
        start[4],
        start[5],
    ];
    let grad = gradients(&level.a.data, w, h);
    for _ in 0..12 {
        let mut ata = [[0.0f64; 6]; 6];
        let mut atb = [0.0f64; 6];
        let mut total = 0.0;
        for y in 0..h {
            for x in 0..w {
                let i = y * w + x;
                let (xf, yf) = (x as f64 - cx, y as f64 - cy);
                let u = p[0] + p[1] * xf + p[2] * yf;
                let v = p[3] + p[4] * xf + p[5] * yf;
                let (tx, ty) = (x as f32 + u as f32, y as f32 + v as f32);
                if tx < 0.0 || ty < 0.0 || tx > (w - 1) as f32 || ty > (h - 1) as f32 {
                    continue;
                }
                let taps = Taps::new(w, h, tx, ty);
                let (warped, kb) = (taps.read(&level.b.data), taps.read(level.kb));
                let trust = (level.ka[i] * kb) as f64;
                if trust <= 0.0 {
                    continue;
                }
                let r = (warped - level.a.data[i]) as f64;
                let (gx, gy) = (grad.0[i] as f64, grad.1[i] as f64);
                let wgt = trust / (r * r + 0.0004).sqrt();
                let j = [gx, gx * xf, gx * yf, gy, gy * xf, gy * yf];
                for m in 0..6 {
                    atb[m] -= wgt * j[m] * r;
                    for n in 0..6 {
                        ata[m][n] += wgt * j[m] * j[n];
                    }
                }
                total += trust;
            }
        }
        if total < 16.0 {
            return start;
        }
        // Light damping keeps flat or one-directional texture well posed.
        for (m, row) in ata.iter_mut().enumerate() {
            row[m] += 1e-6 * total + row[m] * 1e-3;
        }
        let Some(dp) = solve6(ata, atb) else {
            break;
        };
        for m in 0..6 {
            p[m] += dp[m];
        }
        if dp.iter().map(|d| d.abs()).fold(0.0, f64::max) < 1e-4 {
            break;
        }
    }
    // Re-express about the origin rather than the centre.
    let (a1, a2, a4, a5) = (p[1], p[2], p[4], p[5]);
    [
        p[0] - a1 * cx - a2 * cy,
        a1,
        a2,
        p[3] - a4 * cx - a5 * cy,
        a4,
        a5,
    ]
}

/// The whole-pixel shift that best lines the pictures up (mean absolute
/// difference over trusted pixels that overlap), searched exhaustively on
/// a small picture.
fn best_translation(level: View) -> (f64, f64) {
    let (w, h) = (level.a.width as isize, level.a.height as isize);
    let reach = (w.min(h) / 3).max(2);
    let mut best = (f32::INFINITY, 0isize, 0isize);
    for dy in -reach..=reach {
        for dx in -reach..=reach {
            let mut sum = 0.0f32;
            let mut n = 0.0f32;
            for y in 0.max(-dy)..h.min(h - dy) {
                for x in 0.max(-dx)..w.min(w - dx) {
                    let i = (y * w + x) as usize;
                    let j = ((y + dy) * w + x + dx) as usize;
                    let t = level.ka[i] * level.kb[j];
                    sum += t * (level.a.data[i] - level.b.data[j]).abs();
                    n += t;
                }
            }
            // Demand real overlap, and prefer small shifts on ties.
            if n < 0.4 * (w * h) as f32 {
                continue;
            }
            let cost = sum / n * (1.0 + 0.002 * (dx.abs() + dy.abs()) as f32);
            if cost < best.0 {
                best = (cost, dx, dy);
            }
        }
    }
    (best.1 as f64, best.2 as f64)
}

fn solve6(mut a: [[f64; 6]; 6], mut b: [f64; 6]) -> Option<[f64; 6]> {
    for col in 0..6 {
        let pivot = (col..6).max_by(|&i, &j| a[i][col].abs().total_cmp(&a[j][col].abs()))?;
        if a[pivot][col].abs() < 1e-12 {
            return None;
        }
        a.swap(col, pivot);
        b.swap(col, pivot);
        for row in col + 1..6 {
            let f = a[row][col] / a[col][col];
            let pivot_row = a[col];
            for (v, p) in a[row].iter_mut().zip(pivot_row).skip(col) {
                *v -= f * p;
            }
            b[row] -= f * b[col];
        }
    }
    let mut x = [0.0f64; 6];
    for row in (0..6).rev() {
        let s: f64 = (row + 1..6).map(|k| a[row][k] * x[k]).sum();
        x[row] = (b[row] - s) / a[row][row];
    }
    x.iter().all(|v| v.is_finite()).then_some(x)
}

fn affine_field(p: &Affine, w: usize, h: usize) -> Flow {
    let mut f = Flow::zero(w, h);
    for y in 0..h {
        for x in 0..w {
            let i = y * w + x;
            let (xf, yf) = (x as f64, y as f64);
            f.u[i] = (p[0] + p[1] * xf + p[2] * yf) as f32;
            f.v[i] = (p[3] + p[4] * xf + p[5] * yf) as f32;
        }
    }
    f
}

fn upsample_flow(f: &Flow, w: usize, h: usize) -> Flow {
    let sx = f.width as f32 / w as f32;
    let sy = f.height as f32 / h as f32;
    let mut out = Flow::zero(w, h);
    for y in 0..h {
        for x in 0..w {
            let fx = (x as f32 + 0.5) * sx - 0.5;
            let fy = (y as f32 + 0.5) * sy - 0.5;
            let (u, v) = f.at(fx, fy);
            out.u[y * w + x] = u / sx;
            out.v[y * w + x] = v / sy;
        }
    }
    out
}

/// Central-difference gradients of a `w x h` picture.
fn gradients(g: &[f32], w: usize, h: usize) -> (Vec<f32>, Vec<f32>) {
    let mut gx = vec![0.0f32; w * h];
    let mut gy = vec![0.0f32; w * h];
    for y in 0..h {
        let row = &g[y * w..(y + 1) * w];
        let up = &g[y.saturating_sub(1) * w..][..w];
        let down = &g[(y + 1).min(h - 1) * w..][..w];
        let (ox, oy) = (&mut gx[y * w..(y + 1) * w], &mut gy[y * w..(y + 1) * w]);
        for x in 0..w {
            let l = row[x.saturating_sub(1)];
            let r = row[(x + 1).min(w - 1)];
            ox[x] = 0.5 * (r - l);
            oy[x] = 0.5 * (down[x] - up[x]);
        }
    }
    (gx, gy)
}

/// Horn-Schunck with warping at one level: linearise the brightness
/// constancy around the current flow, weight the data term robustly and by
/// trust, and relax with red-black SOR sweeps ([`sweep::Relaxation`]).
/// Red-black ordering updates every pixel of one colour from its four
/// neighbours of the other colour only, so no pixel waits for the one
/// before it and the result is the same in any order: deterministic.
fn refine(level: View, flow: &mut Flow, params: &FlowParams) {
    let (w, h) = (level.a.width, level.a.height);
    let (ax, ay) = gradients(&level.a.data, w, h);
    let lambda = 4.0 * params.smoothness * params.smoothness;
    let mut relax = Relaxation::new(flow, lambda);
    for _ in 0..params.warps.max(1) {
        // Linearise around the current flow.
        // The second picture and its trust, pulled onto the first in one
        // pass: both are read at the same taps.
        let mut warped_b = vec![0.0f32; w * h];
        let mut trusts = vec![0.0f32; w * h];
        pull(
            (&level.b.data, level.kb, level.ka),
            flow,
            &mut warped_b,
            &mut trusts,
        );
        let (bx, by) = gradients(&warped_b, w, h);
        for y in 0..h {
            for x in 0..w {
                let i = y * w + x;
                let trust = trusts[i];
                let ix = 0.5 * (ax[i] + bx[i]);
                let iy = 0.5 * (ay[i] + by[i]);
                // Constant term so that residual = ix*U + iy*V + it.
                let it = warped_b[i] - level.a.data[i] - ix * flow.u[i] - iy * flow.v[i];
                relax.set_data(x, y, trust, ix, iy, it);
            }
        }
        // The robust weight changes slowly: refreshed every few sweeps, and
        // folded with the smoothness into one gain per pixel meanwhile.
        relax.sweeps(params.iterations.max(1), 5, params.robust_epsilon);
        relax.store(flow);
        if params.warps == 0 {
            break;
        }
    }
}

/// `b` (one channel) sampled at `p + flow(p)`: the second picture pulled
/// onto the first. Also carries a tracked mask from one frame to the next.
pub fn warp(b: &[f32], flow: &Flow, w: usize, h: usize) -> Vec<f32> {
    let mut out = vec![0.0f32; w * h];
    for y in 0..h {
        for x in 0..w {
            let i = y * w + x;
            out[i] = bilinear(b, w, h, x as f32 + flow.u[i], y as f32 + flow.v[i]);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn erosion_fast_path_has_the_bits_of_the_plain_window() {
        let plain = |k: &[f32], w: usize, h: usize| -> Vec<f32> {
            let mut out = vec![0.0f32; w * h];
            for y in 0..h {
                for x in 0..w {
                    out[y * w + x] = window_min(k, w, h, x, y);
                }
            }
            out
        };
        let mut state = 0x1234_5677_u32;
        for (w, h) in [(1, 1), (2, 5), (3, 3), (17, 9), (40, 2)] {
            let k: Vec<f32> = (0..w * h)
                .map(|_| {
                    state ^= state << 13;
                    state ^= state >> 17;
                    state ^= state << 5;
                    match state % 7 {
                        0 => 0.0,
                        1 => -0.0,
                        2 => f32::NAN,
                        _ => (state % 1000) as f32 / 900.0,
                    }
                })
                .collect();
            let (fast, slow) = (erode(&k, w, h), plain(&k, w, h));
            let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
            assert_eq!(bits(&fast), bits(&slow), "{w}x{h}");
        }
    }

    /// A smooth random-ish texture that can be sampled anywhere.
    fn texture(x: f32, y: f32) -> f32 {
        0.5 + 0.2 * (0.21 * x).sin() * (0.17 * y).cos()
            + 0.15 * (0.05 * x + 0.11 * y).sin()
            + 0.1 * (0.37 * x - 0.23 * y).cos()
    }

    fn picture(w: usize, h: usize, dx: f32, dy: f32) -> Gray {
        let mut data = Vec::with_capacity(w * h);
        for y in 0..h {
            for x in 0..w {
                data.push(texture(x as f32 - dx, y as f32 - dy));
            }
        }
        Gray {
            width: w,
            height: h,
            data,
        }
    }

    fn mean_error(f: &Flow, du: f32, dv: f32, margin: usize) -> f32 {
        let mut s = 0.0;
        let mut n = 0.0;
        for y in margin..f.height - margin {
            for x in margin..f.width - margin {
                let i = y * f.width + x;
                s += ((f.u[i] - du).powi(2) + (f.v[i] - dv).powi(2)).sqrt();
                n += 1.0;
            }
        }
        s / n
    }

    #[test]
    fn recovers_a_large_translation() {
        let a = picture(160, 120, 0.0, 0.0);
        let b = picture(160, 120, 13.0, -7.0);
        let f = estimate(&a, &b, None, None, &FlowParams::default());
        let e = mean_error(&f, 13.0, -7.0, 20);
        assert!(e < 0.15, "mean endpoint error {e}");
    }

    #[test]
    fn recovers_a_zoom() {
        let (w, h) = (160, 120);
        let a = picture(w, h, 0.0, 0.0);
        let s = 1.04f32;
        let (cx, cy) = (80.0, 60.0);
        let mut b = a.clone();
        for y in 0..h {
            for x in 0..w {
                let sx = cx + (x as f32 - cx) / s;
                let sy = cy + (y as f32 - cy) / s;
                b.data[y * w + x] = texture(sx, sy);
            }
        }
        let f = estimate(&a, &b, None, None, &FlowParams::default());
        let mut err = 0.0;
        let mut n = 0.0;
        for y in 20..h - 20 {
            for x in 20..w - 20 {
                let i = y * w + x;
                let tu = (x as f32 - cx) * (s - 1.0);
                let tv = (y as f32 - cy) * (s - 1.0);
                err += ((f.u[i] - tu).powi(2) + (f.v[i] - tv).powi(2)).sqrt();
                n += 1.0;
            }
        }
        assert!(err / n < 0.2, "mean endpoint error {}", err / n);
    }

    /// The flow under an occluder (marked unknown) is completed from its
    /// border: a panned background behind a moving block.
    #[test]
    fn completes_the_flow_inside_a_hole() {
        let (w, h) = (160, 120);
        let mut a = picture(w, h, 0.0, 0.0);
        let mut b = picture(w, h, 5.0, 2.0);
        let mut ka = vec![1.0f32; w * h];
        let mut kb = vec![1.0f32; w * h];
        for y in 40..80 {
            for x in 50..90 {
                a.data[y * w + x] = 1.0;
                ka[y * w + x] = 0.0;
                b.data[y * w + x + 20] = 0.0;
                kb[y * w + x + 20] = 0.0;
            }
        }
        let f = estimate(&a, &b, Some(&ka), Some(&kb), &FlowParams::default());
        let mut err = 0.0f32;
        for y in 40..80 {
            for x in 50..90 {
                let i = y * w + x;
                err = err.max(((f.u[i] - 5.0).powi(2) + (f.v[i] - 2.0).powi(2)).sqrt());
            }
        }
        assert!(err < 0.5, "worst endpoint error in the hole {err}");
        // Without the trust maps the occluder drags the flow away.
        let g = estimate(&a, &b, None, None, &FlowParams::default());
        let i = 60 * w + 70;
        let bad = ((g.u[i] - 5.0).powi(2) + (g.v[i] - 2.0).powi(2)).sqrt();
        assert!(bad > err, "untrusted {bad} vs trusted {err}");
    }

    #[test]
    fn consistency_is_small_for_matching_flows_and_large_otherwise() {
        let a = picture(96, 64, 0.0, 0.0);
        let b = picture(96, 64, 4.0, 1.0);
        let p = FlowParams::default();
        let fw = estimate(&a, &b, None, None, &p);
        let bw = estimate(&b, &a, None, None, &p);
        let c = consistency(&fw, &bw);
        let mid = c[32 * 96 + 48];
        assert!(mid < 0.2, "{mid}");
        let c2 = consistency(&fw, &fw);
        assert!(c2[32 * 96 + 48] > 5.0);
    }

    /// The solver's own bilinear sample gives the bits of
    /// [`crate::sample::sample`] everywhere: inside, on the edges, outside
    /// (clamped) and at non-finite positions.
    #[test]
    fn bilinear_is_sample_bit_for_bit() {
        let g = picture(37, 23, 0.0, 0.0);
        let mut s = [0.0f32];
        let mut state = 12345u64;
        let mut next = || {
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1);
            ((state >> 40) as f32 / (1u64 << 24) as f32) * 60.0 - 10.0
        };
        let mut points: Vec<(f32, f32)> = (0..2000).map(|_| (next(), next())).collect();
        points.extend([
            (0.0, 0.0),
            (-0.0, 22.0),
            (36.0, 22.0),
            (36.5, -3.0),
            (f32::NAN, 4.0),
            (3.0, f32::INFINITY),
        ]);
        for (x, y) in points {
            crate::sample::sample(Plane::new(&g.data, 37, 23, 1), x, y, &mut s);
            let b = bilinear(&g.data, 37, 23, x, y);
            assert_eq!(b.to_bits(), s[0].to_bits(), "at ({x}, {y})");
        }
    }

    /// Both directions from one pyramid are the two separate estimates,
    /// bit for bit, with and without trust maps.
    #[test]
    fn both_ways_at_once_are_the_separate_estimates() {
        let (w, h) = (90, 70);
        let a = picture(w, h, 0.0, 0.0);
        let b = picture(w, h, 3.5, -1.25);
        let ka: Vec<f32> = (0..w * h)
            .map(|i| {
                if (20..40).contains(&(i % w)) {
                    0.0
                } else {
                    1.0
                }
            })
            .collect();
        let kb: Vec<f32> = (0..w * h)
            .map(|i| if i / w > 50 { 0.3 } else { 1.0 })
            .collect();
        let p = FlowParams::default();
        let bits = |f: &Flow| {
            f.u.iter()
                .chain(&f.v)
                .map(|x| x.to_bits())
                .collect::<Vec<_>>()
        };
        for (fk, tk) in [(None, None), (Some(&ka[..]), Some(&kb[..]))] {
            let (fw, bw) = estimate_both(&a, &b, fk, tk, &p);
            assert_eq!(bits(&fw), bits(&estimate(&a, &b, fk, tk, &p)));
            assert_eq!(bits(&bw), bits(&estimate(&b, &a, tk, fk, &p)));
        }
    }

    #[test]
    fn deterministic() {
        let a = picture(80, 60, 0.0, 0.0);
        let b = picture(80, 60, 2.5, 1.0);
        let p = FlowParams::default();
        let f1 = estimate(&a, &b, None, None, &p);
        let f2 = estimate(&a, &b, None, None, &p);
        assert_eq!(f1.u, f2.u);
        assert_eq!(f1.v, f2.v);
    }
}
