//! The flow solver's red-black relaxation on a picture split by colour:
//! the pixels with `x + y` even in one plane, the odd ones in another,
//! each row packed. A half sweep then reads its neighbours from the other
//! plane and writes its own front to back, with no pixel depending on
//! another, so the compiler vectorises it; on the interleaved picture it
//! stepped over every other pixel. Each pixel's arithmetic is the
//! general update's, in the same order, so the fields keep their bits
//! (the tests check both against each other).

use super::Flow;

/// Over-relaxation factor of the sweeps.
const OMEGA: f32 = 1.8;

/// Where the pixels of a `w x h` picture live once split by colour: pixel
/// `(x, y)` is entry `y * half + x / 2` of plane `(x + y) % 2`. A row of a
/// plane holds `half` entries; the last one is unused in rows with fewer
/// pixels of that colour.
#[derive(Clone, Copy, Debug)]
pub(super) struct Checkerboard {
    w: usize,
    h: usize,
    half: usize,
}

impl Checkerboard {
    pub(super) fn new(w: usize, h: usize) -> Self {
        Checkerboard {
            w,
            h,
            half: w.div_ceil(2),
        }
    }

    /// The plane and the entry of pixel `(x, y)`.
    #[inline(always)]
    pub(super) fn locate(&self, x: usize, y: usize) -> (usize, usize) {
        ((x + y) % 2, y * self.half + x / 2)
    }

    fn planes(&self) -> [Vec<f32>; 2] {
        let n = self.h * self.half;
        [vec![0.0; n], vec![0.0; n]]
    }

    /// A row-major picture split into its two planes.
    pub(super) fn split(&self, src: &[f32]) -> [Vec<f32>; 2] {
        let mut planes = self.planes();
        let (w, half) = (self.w, self.half);
        let [p0, p1] = &mut planes;
        for y in 0..self.h {
            // The row's even pixels (x even) are in plane `y % 2`, its odd
            // ones in the other: they alternate pixel by pixel.
            let (even, odd) = if y % 2 == 0 {
                (&mut *p0, &mut *p1)
            } else {
                (&mut *p1, &mut *p0)
            };
            let (even, odd) = (&mut even[y * half..][..half], &mut odd[y * half..][..half]);
            for (k, pair) in src[y * w..(y + 1) * w].chunks(2).enumerate() {
                even[k] = pair[0];
                if let Some(&value) = pair.get(1) {
                    odd[k] = value;
                }
            }
        }
        planes
    }

    /// The two planes put back into a row-major picture.
    pub(super) fn merge(&self, planes: &[Vec<f32>; 2], dst: &mut [f32]) {
        let (w, half) = (self.w, self.half);
        let [p0, p1] = planes;
        for y in 0..self.h {
            let (even, odd) = if y % 2 == 0 { (p0, p1) } else { (p1, p0) };
            let (even, odd) = (&even[y * half..][..half], &odd[y * half..][..half]);
            for (k, pair) in dst[y * w..(y + 1) * w].chunks_mut(2).enumerate() {
                pair[0] = even[k];
                if let Some(out) = pair.get_mut(1) {
                    *out = odd[k];
                }
            }
        }
    }
}

/// The data term of one warp, linearised: residual = ix u + iy v + it,
/// weighted by `trust`. Written by the caller pixel by pixel through
/// [`Relaxation::set_data`].
struct DataTerm {
    ix: [Vec<f32>; 2],
    iy: [Vec<f32>; 2],
    it: [Vec<f32>; 2],
    trust: [Vec<f32>; 2],
}

/// Horn-Schunck's fixed-point sweeps on the checkerboard: the flow, the
/// linearised data term, and one gain per pixel folding the robust data
/// weight with the smoothness.
pub(super) struct Relaxation {
    board: Checkerboard,
    data: DataTerm,
    /// The smoothness weight `lambda * neighbours / 4` of each pixel.
    stiffness: [Vec<f32>; 2],
    gain: [Vec<f32>; 2],
    u: [Vec<f32>; 2],
    v: [Vec<f32>; 2],
}

impl Relaxation {
    /// Start from `flow`, with smoothness weight `lambda`.
    pub(super) fn new(flow: &Flow, lambda: f32) -> Self {
        let (w, h) = (flow.width, flow.height);
        let board = Checkerboard::new(w, h);
        let mut stiffness = board.planes();
        for y in 0..h {
            for x in 0..w {
                let (c, k) = board.locate(x, y);
                stiffness[c][k] = lambda * neighbours(x, y, w, h) / 4.0;
            }
        }
        Relaxation {
            board,
            data: DataTerm {
                ix: board.planes(),
                iy: board.planes(),
                it: board.planes(),
                trust: board.planes(),
            },
            stiffness,
            gain: board.planes(),
            u: board.split(&flow.u),
            v: board.split(&flow.v),
        }
    }

    /// The linearised data term at pixel `(x, y)`.
    #[inline(always)]
    pub(super) fn set_data(&mut self, x: usize, y: usize, trust: f32, ix: f32, iy: f32, it: f32) {
        let (c, k) = self.board.locate(x, y);
        self.data.trust[c][k] = trust;
        self.data.ix[c][k] = ix;
        self.data.iy[c][k] = iy;
        self.data.it[c][k] = it;
    }

    /// `count` red-black sweeps, the robust (Charbonnier) data weight
    /// refreshed from the current flow before every `reweight_every`-th
    /// sweep (the first included) and folded with the smoothness into one
    /// gain per pixel meanwhile.
    ///
    /// The sweeps run as a wavefront down the rows: half sweep `s` works
    /// on row `front - s` while the front moves one row at a time, so every
    /// row's fields are fetched from memory once for all the sweeps
    /// instead of once per half sweep (a level's fields are several times
    /// the size of a core's cache). Each half sweep reads the other colour
    /// only in the rows next to its own, which the half sweep before it has
    /// just finished and the one after it has not reached yet; the robust
    /// weight of a row is refreshed once the sweep before is done with it.
    /// So every pixel sees the values it saw sweeping whole pictures one
    /// after another, and the fields keep their bits (the tests check it).
    pub(super) fn sweeps(&mut self, count: usize, reweight_every: usize, epsilon: f32) {
        #[cfg(target_arch = "x86_64")]
        if std::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU has AVX2.
            return unsafe { self.sweeps_avx2(count, reweight_every, epsilon) };
        }
        self.sweeps_body(count, reweight_every, epsilon)
    }

    /// [`Self::sweeps`] eight lanes wide: the same operations per pixel (no
    /// FMA), so the same bits; the sweeps are most of the flow's time.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    fn sweeps_avx2(&mut self, count: usize, reweight_every: usize, epsilon: f32) {
        self.sweeps_body(count, reweight_every, epsilon)
    }

    #[inline(always)]
    fn sweeps_body(&mut self, count: usize, reweight_every: usize, epsilon: f32) {
        let h = self.board.h;
        let stages = 2 * count;
        if h == 0 || stages == 0 {
            return;
        }
        for front in 0..h + stages - 1 {
            // Stage `s` lags `s` rows behind the front; those past the last
            // row are done, those above the first have not started.
            for s in front.saturating_sub(h - 1)..=front.min(stages - 1) {
                let (y, sweep, colour) = (front - s, s / 2, s % 2);
                if colour == 0 && sweep % reweight_every.max(1) == 0 {
                    self.reweight_row(y, epsilon);
                }
                self.relax_row(colour, y);
            }
        }
    }

    /// The robust gain of plane row `y`, both colours, from the current
    /// flow.
    #[inline(always)]
    fn reweight_row(&mut self, y: usize, epsilon: f32) {
        let eps2 = epsilon * epsilon;
        let half = self.board.half;
        let rows = y * half..(y + 1) * half;
        let d = &self.data;
        for c in 0..2 {
            let gain = &mut self.gain[c][rows.clone()];
            let (u, v) = (&self.u[c][rows.clone()], &self.v[c][rows.clone()]);
            let (ix, iy, it) = (
                &d.ix[c][rows.clone()],
                &d.iy[c][rows.clone()],
                &d.it[c][rows.clone()],
            );
            let (trust, stiffness) = (&d.trust[c][rows.clone()], &self.stiffness[c][rows.clone()]);
            for k in 0..half {
                let r = ix[k] * u[k] + iy[k] * v[k] + it[k];
                let wd = trust[k] * epsilon / (r * r + eps2).sqrt();
                let denom = stiffness[k] + wd * (ix[k] * ix[k] + iy[k] * iy[k]);
                gain[k] = if denom > 0.0 { wd / denom } else { 0.0 };
            }
        }
    }

    /// One half sweep on row `y`: every pixel of it with `(x + y) % 2 ==
    /// colour` moves towards the exact solution of its own 2x2 system
    /// given its neighbours' current flow. Inner pixels (four neighbours,
    /// most of the work) take a straight path without branches or a
    /// division; the picture's border takes the general one. Both do the
    /// same arithmetic in the same order (a division by 4 and a product
    /// with 0.25 round alike), so the bits do not depend on the path.
    #[inline(always)]
    fn relax_row(&mut self, colour: usize, y: usize) {
        let Checkerboard { w, h, half } = self.board;
        let first = (y + colour) % 2;
        let count = (w - first.min(w)).div_ceil(2);
        if y == 0 || y + 1 == h || w < 3 {
            for j in 0..count {
                self.relax_border(first + 2 * j, y);
            }
            return;
        }
        // x = 0 and x = w - 1 are border pixels; the rest of the row is
        // inner: entries `start..end` of the row.
        let start = 1 - first;
        let end = (w - 2 - first) / 2 + 1;
        if first == 0 {
            self.relax_border(0, y);
        }
        self.relax_inner(colour, y * half, start, end);
        if end < count {
            self.relax_border(first + 2 * end, y);
        }
    }

    /// Entries `start..end` of the plane row starting at `row`, all inner
    /// pixels. Their left neighbours are the other plane's entries
    /// `row + 0..`, the right ones `row + 1..`, those above and below the
    /// same entries one row up and down.
    #[inline(always)]
    fn relax_inner(&mut self, colour: usize, row: usize, start: usize, end: usize) {
        let half = self.board.half;
        let len = end - start;
        let [u0, u1] = &mut self.u;
        let [v0, v1] = &mut self.v;
        let (uc, uo, vc, vo) = if colour == 0 {
            (u0, &*u1, v0, &*v1)
        } else {
            (u1, &*u0, v1, &*v0)
        };
        let (ul, ur, uu, ud) = neighbours_of(uo, row, half, start, len);
        let (vl, vr, vu, vd) = neighbours_of(vo, row, half, start, len);
        let at = row + start;
        let d = &self.data;
        let (ix, iy) = (&d.ix[colour][at..][..len], &d.iy[colour][at..][..len]);
        let (it, gain) = (&d.it[colour][at..][..len], &self.gain[colour][at..][..len]);
        let (u, v) = (&mut uc[at..][..len], &mut vc[at..][..len]);
        let (un, vn, data) = ([ul, ur, uu, ud], [vl, vr, vu, vd], [ix, iy, it, gain]);
        if len < LANES {
            return relax_span((un, vn, data), 0, u, v);
        }
        // Whole vectors, the last one ending at the row's end: it overlaps
        // the one before, so it is worked out first into a copy, from the
        // values the row had before the half sweep (an entry's update reads
        // only its own old flow and the other colour), and stored last;
        // the entries worked out twice get the same bits both times. The
        // row's last few entries went one at a time before, which took a
        // fifth of the sweeps' time for a twentieth of the entries.
        let last = len - LANES;
        let mut tail_u: [f32; LANES] = [0.0; LANES];
        let mut tail_v: [f32; LANES] = [0.0; LANES];
        tail_u.copy_from_slice(&u[last..]);
        tail_v.copy_from_slice(&v[last..]);
        relax_span((un, vn, data), last, &mut tail_u, &mut tail_v);
        let body = len - len % LANES;
        relax_span((un, vn, data), 0, &mut u[..body], &mut v[..body]);
        u[last..].copy_from_slice(&tail_u);
        v[last..].copy_from_slice(&tail_v);
    }

    /// The update of pixel `(x, y)`, its neighbours counted.
    #[inline(always)]
    fn relax_border(&mut self, x: usize, y: usize) {
        let b = self.board;
        let (c, i) = b.locate(x, y);
        let other = 1 - c;
        let mut acc = (0.0f32, 0.0f32, 0.0f32);
        let mut add = |xx: usize, yy: usize| {
            let (_, j) = b.locate(xx, yy);
            acc.0 += self.u[other][j];
            acc.1 += self.v[other][j];
            acc.2 += 1.0;
        };
        if x > 0 {
            add(x - 1, y);
        }
        if x + 1 < b.w {
            add(x + 1, y);
        }
        if y > 0 {
            add(x, y - 1);
        }
        if y + 1 < b.h {
            add(x, y + 1);
        }
        let (su, sv, cnt) = acc;
        if cnt == 0.0 {
            // A single pixel: nothing to relax towards.
            return;
        }
        let (mu, mv) = (su / cnt, sv / cnt);
        let d = &self.data;
        let (gx, gy) = (d.ix[c][i], d.iy[c][i]);
        let g = (gx * mu + gy * mv + d.it[c][i]) * self.gain[c][i];
        let (u, v) = (&mut self.u[c][i], &mut self.v[c][i]);
        *u += OMEGA * (mu - gx * g - *u);
        *v += OMEGA * (mv - gy * g - *v);
    }

    /// The current flow, written into `flow`.
    pub(super) fn store(&self, flow: &mut Flow) {
        self.board.merge(&self.u, &mut flow.u);
        self.board.merge(&self.v, &mut flow.v);
    }
}

/// Entries a vector of the sweeps holds (AVX2's eight floats).
const LANES: usize = 8;

/// A stretch of a plane row as the inner update reads it: `u`'s and `v`'s
/// neighbours (left, right, up, down) and the data term `[ix, iy, it,
/// gain]`.
type Stretch<'a> = ([&'a [f32]; 4], [&'a [f32]; 4], [&'a [f32]; 4]);

/// The inner update of entries `at..at + u.len()` of a stretch: each
/// moves towards the solution of its 2x2 system given the mean of its four
/// neighbours (`u`'s left, right, up and down neighbours in `un`, `v`'s in
/// `vn`) and its data term `[ix, iy, it, gain]`; `u` and `v` are those
/// entries' flow.
#[inline(always)]
fn relax_span((un, vn, data): Stretch, at: usize, u: &mut [f32], v: &mut [f32]) {
    let n = u.len();
    let v = &mut v[..n];
    let [ul, ur, uu, ud] = [
        &un[0][at..][..n],
        &un[1][at..][..n],
        &un[2][at..][..n],
        &un[3][at..][..n],
    ];
    let [vl, vr, vu, vd] = [
        &vn[0][at..][..n],
        &vn[1][at..][..n],
        &vn[2][at..][..n],
        &vn[3][at..][..n],
    ];
    let [ix, iy, it, gain] = [
        &data[0][at..][..n],
        &data[1][at..][..n],
        &data[2][at..][..n],
        &data[3][at..][..n],
    ];
    for k in 0..n {
        let su = ul[k] + ur[k] + uu[k] + ud[k];
        let sv = vl[k] + vr[k] + vu[k] + vd[k];
        let (mu, mv) = (su * 0.25, sv * 0.25);
        let (gx, gy) = (ix[k], iy[k]);
        let g = (gx * mu + gy * mv + it[k]) * gain[k];
        u[k] += OMEGA * (mu - gx * g - u[k]);
        v[k] += OMEGA * (mv - gy * g - v[k]);
    }
}

/// The other plane's entries left of, right of, above and below entries
/// `start..start + len` of the inner plane row starting at `row`.
#[inline(always)]
fn neighbours_of(
    other: &[f32],
    row: usize,
    half: usize,
    start: usize,
    len: usize,
) -> (&[f32], &[f32], &[f32], &[f32]) {
    (
        &other[row..][..len],
        &other[row + 1..][..len],
        &other[row - half + start..][..len],
        &other[row + half + start..][..len],
    )
}

/// Neighbours a pixel has inside a `w x h` picture (4-connected).
fn neighbours(x: usize, y: usize, w: usize, h: usize) -> f32 {
    (usize::from(x > 0) + usize::from(x + 1 < w) + usize::from(y > 0) + usize::from(y + 1 < h))
        as f32
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reproducible values in -0.8..0.8.
    fn field(n: usize, seed: f32) -> Vec<f32> {
        (0..n)
            .map(|i| (0.37 * i as f32 + seed).sin() * 0.8)
            .collect()
    }

    /// The general update, written plainly on the row-major picture: each
    /// pixel of one colour moves towards the solution of its 2x2 system
    /// given the mean of its neighbours (counted).
    #[allow(clippy::too_many_arguments)]
    fn plain_half_sweep(
        (w, h): (usize, usize),
        u: &mut [f32],
        v: &mut [f32],
        (ix, iy, it): (&[f32], &[f32], &[f32]),
        gain: &[f32],
        colour: usize,
    ) {
        for y in 0..h {
            for x in ((y + colour) % 2..w).step_by(2) {
                let i = y * w + x;
                let mut near = Vec::new();
                if x > 0 {
                    near.push(i - 1);
                }
                if x + 1 < w {
                    near.push(i + 1);
                }
                if y > 0 {
                    near.push(i - w);
                }
                if y + 1 < h {
                    near.push(i + w);
                }
                if near.is_empty() {
                    continue;
                }
                let cnt = near.len() as f32;
                let su = near.iter().fold(0.0f32, |s, &j| s + u[j]);
                let sv = near.iter().fold(0.0f32, |s, &j| s + v[j]);
                let (mu, mv) = (su / cnt, sv / cnt);
                let g = (ix[i] * mu + iy[i] * mv + it[i]) * gain[i];
                u[i] += OMEGA * (mu - ix[i] * g - u[i]);
                v[i] += OMEGA * (mv - iy[i] * g - v[i]);
            }
        }
    }

    /// The Charbonnier gain, written plainly.
    #[allow(clippy::too_many_arguments)]
    fn plain_gain(
        (w, h): (usize, usize),
        u: &[f32],
        v: &[f32],
        (ix, iy, it, trust): (&[f32], &[f32], &[f32], &[f32]),
        lambda: f32,
        eps: f32,
    ) -> Vec<f32> {
        (0..w * h)
            .map(|i| {
                let (x, y) = (i % w, i / w);
                let r = ix[i] * u[i] + iy[i] * v[i] + it[i];
                let wd = trust[i] * eps / (r * r + eps * eps).sqrt();
                let denom =
                    lambda * neighbours(x, y, w, h) / 4.0 + wd * (ix[i] * ix[i] + iy[i] * iy[i]);
                if denom > 0.0 {
                    wd / denom
                } else {
                    0.0
                }
            })
            .collect()
    }

    fn bits(v: &[f32]) -> Vec<u32> {
        v.iter().map(|f| f.to_bits()).collect()
    }

    /// Split into colours and swept as a wavefront down the rows (the
    /// straight inner path and the border's), the flow has the bits of the
    /// plain update sweeping the whole row-major picture one half sweep
    /// after another, with the robust gain refreshed between them: for
    /// even and odd sizes, pictures one pixel wide or tall, and more sweeps
    /// than rows.
    #[test]
    fn checkerboard_sweeps_match_the_plain_update_bit_for_bit() {
        let (lambda, eps) = (4.0 * 0.007 * 0.007, 0.02);
        let sizes = [
            (23, 17),
            (71, 13),
            (24, 16),
            (16, 9),
            (3, 3),
            (2, 2),
            (1, 5),
            (5, 1),
            (1, 1),
        ];
        for ((w, h), (count, every)) in sizes
            .into_iter()
            .flat_map(|size| [(1, 1), (3, 2), (7, 3), (25, 5)].map(|run| (size, run)))
        {
            let n = w * h;
            let (ix, iy, it) = (field(n, 0.1), field(n, 1.3), field(n, 2.2));
            let trust: Vec<f32> = field(n, 0.7).iter().map(|t| t.abs()).collect();
            let mut plain = Flow {
                width: w,
                height: h,
                u: field(n, 3.1),
                v: field(n, 4.4),
            };
            let mut relax = Relaxation::new(&plain, lambda);
            for i in 0..n {
                relax.set_data(i % w, i / w, trust[i], ix[i], iy[i], it[i]);
            }
            relax.sweeps(count, every, eps);
            let mut gain = Vec::new();
            for sweep in 0..count {
                if sweep % every == 0 {
                    gain = plain_gain(
                        (w, h),
                        &plain.u,
                        &plain.v,
                        (&ix, &iy, &it, &trust),
                        lambda,
                        eps,
                    );
                }
                for colour in 0..2 {
                    plain_half_sweep(
                        (w, h),
                        &mut plain.u,
                        &mut plain.v,
                        (&ix, &iy, &it),
                        &gain,
                        colour,
                    );
                }
            }
            let mut fast = Flow::zero(w, h);
            relax.store(&mut fast);
            assert_eq!(bits(&fast.u), bits(&plain.u), "u, {w}x{h}, {count} sweeps");
            assert_eq!(bits(&fast.v), bits(&plain.v), "v, {w}x{h}, {count} sweeps");
        }
    }

    #[test]
    fn split_and_merge_give_the_picture_back() {
        for (w, h) in [(7, 4), (8, 3), (1, 1), (2, 5)] {
            let board = Checkerboard::new(w, h);
            let picture = field(w * h, 0.5);
            let planes = board.split(&picture);
            // Each plane holds the pixels of its colour.
            let (c, k) = board.locate(w - 1, h - 1);
            assert_eq!(planes[c][k], picture[w * h - 1]);
            assert_eq!(c, (w - 1 + h - 1) % 2);
            let mut back = vec![0.0; w * h];
            board.merge(&planes, &mut back);
            assert_eq!(back, picture);
        }
    }
}
