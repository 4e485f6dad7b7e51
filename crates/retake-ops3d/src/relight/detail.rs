//! Fine normals from image detail, made a band of rows at a time.
//!
//! A band's tilts need the picture's log-luminance high-pass on its rows
//! and one row either side, and that high-pass needs [`LOW_RADIUS`] more
//! rows for its box low-pass: each band reads that halo from the frame
//! itself. So the detail is made where it is used, in cache, with no
//! frame-sized temporaries (whose fresh pages cost the kernel more than
//! the arithmetic), and each value is computed by the same operations in
//! the same order as the whole-frame box filter of `retake_imageops`
//! ([`retake_imageops::filter::box_mean`]), so the bits do not depend on
//! the band size or the number of threads.

use std::cell::RefCell;
use std::ops::Range;

use super::directional::DetailRows;
use super::geometry::{grey, normalize};
use retake_core::frame::Frame;

/// Radius of the box low-pass the detail is measured against.
pub const LOW_RADIUS: usize = 3;

/// Rows per band: the halo (2 + 2 x [`LOW_RADIUS`] rows) is recomputed per
/// band, so bands are much taller than it, yet small enough to stay in
/// cache and to spread a 1080-row frame over a few cores.
pub const BAND_ROWS: usize = 32;

/// Working rows of one band, kept per thread between bands and frames.
#[derive(Default)]
pub struct Scratch {
    log: Vec<f32>,
    across: Vec<f32>,
    prefix: Vec<f64>,
    high: Vec<f32>,
}

thread_local! {
    static SCRATCH: RefCell<Scratch> = RefCell::default();
}

/// Run `f` with this thread's scratch rows (not re-entrant: `f` must not
/// start parallel work that could run another band on this thread).
pub fn with_scratch<R>(f: impl FnOnce(&mut Scratch) -> R) -> R {
    SCRATCH.with(|s| match s.try_borrow_mut() {
        Ok(mut s) => f(&mut s),
        // Only reachable if `f` nests; fresh rows keep it correct.
        Err(_) => f(&mut Scratch::default()),
    })
}

/// Log-luminance as the detail reads it: bright = raised.
#[inline]
fn log_luminance(p: &[f32]) -> f32 {
    (grey(p).max(0.0) + 0.01).ln()
}

/// The detail high-pass around one band of rows, ready to give the tilt
/// of each of its pixels.
pub struct Band<'s> {
    /// High-pass rows `first..first + high.len() / width`.
    high: &'s [f32],
    first: usize,
    width: usize,
    height: usize,
    strength: f32,
}

impl<'s> Band<'s> {
    /// The detail of `frame`'s rows `rows` at weight `strength` (see
    /// [`super::geometry::add_detail`]).
    pub fn new(frame: &Frame, strength: f32, rows: Range<usize>, s: &'s mut Scratch) -> Band<'s> {
        let (w, h, c) = (frame.width, frame.height, frame.channels);
        // High-pass rows the tilts read, and the rows their low-pass reads.
        let high_rows = rows.start.saturating_sub(1)..(rows.end + 1).min(h);
        let log_rows =
            high_rows.start.saturating_sub(LOW_RADIUS)..(high_rows.end + LOW_RADIUS).min(h);
        let n_log = log_rows.len() * w;
        s.log.resize(n_log, 0.0);
        s.across.resize(n_log, 0.0);
        s.prefix.resize(w + 1, 0.0);
        for (k, y) in log_rows.clone().enumerate() {
            let src = &frame.data[y * w * c..(y + 1) * w * c];
            let log = &mut s.log[k * w..(k + 1) * w];
            for (l, p) in log.iter_mut().zip(src.chunks_exact(c)) {
                *l = log_luminance(p);
            }
            // The box filter's horizontal pass: running sums in f64.
            let prefix = &mut s.prefix;
            prefix[0] = 0.0;
            for (x, &v) in log.iter().enumerate() {
                prefix[x + 1] = prefix[x] + v as f64;
            }
            box_across(prefix, &mut s.across[k * w..(k + 1) * w]);
        }
        // The vertical pass, summed in f32 from zero in row order, then
        // divided: the low-pass; the high-pass is the log minus it.
        s.high.resize(high_rows.len() * w, 0.0);
        for (k, y) in high_rows.clone().enumerate() {
            let lo = y.saturating_sub(LOW_RADIUS);
            let hi = (y + LOW_RADIUS).min(h - 1);
            let n = (hi - lo + 1) as f32;
            let high = &mut s.high[k * w..(k + 1) * w];
            high.fill(0.0);
            for yy in lo..=hi {
                let row = &s.across[(yy - log_rows.start) * w..(yy - log_rows.start + 1) * w];
                for (o, v) in high.iter_mut().zip(row) {
                    *o += v;
                }
            }
            let log = &s.log[(y - log_rows.start) * w..(y - log_rows.start + 1) * w];
            for (o, l) in high.iter_mut().zip(log) {
                *o = l - *o / n;
            }
        }
        Band {
            high: &s.high,
            first: high_rows.start,
            width: w,
            height: h,
            strength,
        }
    }

    /// The high-pass rows that row `y` (a row of the band) reads its
    /// tilts from, as [`Self::tilted`] reads them.
    pub fn rows_around(&self, y: usize) -> DetailRows<'_> {
        let (yu, yd) = (y.saturating_sub(1), (y + 1).min(self.height - 1));
        let row = |y: usize| {
            let start = (y - self.first) * self.width;
            &self.high[start..start + self.width]
        };
        DetailRows {
            up: row(yu),
            here: row(y),
            down: row(yd),
            span: (yd - yu).max(1) as f32,
        }
    }

    #[inline]
    fn high(&self, x: usize, y: usize) -> f32 {
        self.high[(y - self.first) * self.width + x]
    }

    /// The normal `n` of pixel (`x`, `y`) (a row of the band) tilted by
    /// the detail there: the high-pass is a small height field, its
    /// gradient (limited to length 1) tilts the normal.
    #[inline]
    pub fn tilted(&self, n: [f32; 3], x: usize, y: usize) -> [f32; 3] {
        let (w, h, strength) = (self.width, self.height, self.strength);
        let (yu, yd) = (y.saturating_sub(1), (y + 1).min(h - 1));
        let (xl, xr) = (x.saturating_sub(1), (x + 1).min(w - 1));
        let gx = (self.high(xr, y) - self.high(xl, y)) / (xr - xl).max(1) as f32;
        let gy = (self.high(x, yd) - self.high(x, yu)) / (yd - yu).max(1) as f32;
        let (mut dx, mut dy) = (-strength * gx, strength * gy);
        let m = (dx * dx + dy * dy).sqrt();
        if m > 1.0 {
            dx /= m;
            dy /= m;
        }
        normalize([n[0] + dx, n[1] + dy, n[2]])
    }
}

/// The box filter's horizontal mean of one row from its running sums
/// (`prefix[x]` = the sum of the row's first `x` values), each divided in
/// f64 by the pixels its box covers, as the whole-frame filter does.
fn box_across(prefix: &[f64], across: &mut [f32]) {
    #[cfg(target_arch = "x86_64")]
    if std::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU has AVX2.
        return unsafe { box_across_avx2(prefix, across) };
    }
    box_across_body(prefix, across)
}

/// [`box_across`] four lanes wide: the same operations, so the same bits.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn box_across_avx2(prefix: &[f64], across: &mut [f32]) {
    box_across_body(prefix, across)
}

#[inline(always)]
fn box_across_body(prefix: &[f64], across: &mut [f32]) {
    let (w, r) = (across.len(), LOW_RADIUS);
    let clipped = |x: usize| {
        let lo = x.saturating_sub(r);
        let hi = (x + r).min(w - 1);
        ((prefix[hi + 1] - prefix[lo]) / (hi - lo + 1) as f64) as f32
    };
    if w <= 2 * r {
        for (x, o) in across.iter_mut().enumerate() {
            *o = clipped(x);
        }
        return;
    }
    for x in (0..r).chain(w - r..w) {
        across[x] = clipped(x);
    }
    // Inside, every box is whole: one division by its width, no branches.
    let n = (2 * r + 1) as f64;
    let (ends, starts) = (&prefix[2 * r + 1..w + 1], &prefix[..w - 2 * r]);
    for ((o, e), b) in across[r..w - r].iter_mut().zip(ends).zip(starts) {
        *o = ((e - b) / n) as f32;
    }
}

#[cfg(test)]
mod tests {
    use super::super::geometry::{add_detail, Geometry};
    use super::*;
    use retake_imageops::filter::box_mean;
    use retake_imageops::plane::Plane;

    /// The whole-frame detail as it was made before bands: log-luminance,
    /// the shared box filter, the high-pass's gradient.
    fn whole_frame(g: &mut Geometry, frame: &Frame, strength: f32) {
        let (w, h) = (frame.width, frame.height);
        let log: Vec<f32> = frame
            .data
            .chunks_exact(frame.channels)
            .map(log_luminance)
            .collect();
        let low = box_mean(Plane::new(&log, w, h, 1), LOW_RADIUS);
        let hp = |i: usize| log[i] - low[i];
        for y in 0..h {
            let (yu, yd) = (y.saturating_sub(1), (y + 1).min(h - 1));
            for x in 0..w {
                let (xl, xr) = (x.saturating_sub(1), (x + 1).min(w - 1));
                let gx = (hp(y * w + xr) - hp(y * w + xl)) / (xr - xl).max(1) as f32;
                let gy = (hp(yd * w + x) - hp(yu * w + x)) / (yd - yu).max(1) as f32;
                let (mut dx, mut dy) = (-strength * gx, strength * gy);
                let m = (dx * dx + dy * dy).sqrt();
                if m > 1.0 {
                    dx /= m;
                    dy /= m;
                }
                let n = g.normals[y * w + x];
                g.normals[y * w + x] = normalize([n[0] + dx, n[1] + dy, n[2]]);
            }
        }
    }

    /// Bands (with heights that are not a multiple of the band, frames
    /// thinner than the halo, RGB and RGBA) give the whole-frame filter's
    /// bits.
    #[test]
    fn bands_give_the_whole_frame_bits() {
        for (w, h, c) in [(37, 71, 3), (64, 97, 4), (5, 2, 3), (1, 40, 3), (19, 1, 4)] {
            let mut s = 0x2545_f491u32;
            let data: Vec<f32> = (0..w * h * c)
                .map(|_| {
                    s ^= s << 13;
                    s ^= s >> 17;
                    s ^= s << 5;
                    (s % 1000) as f32 / 700.0
                })
                .collect();
            let frame = Frame::from_data(0, w, h, c, data).unwrap();
            let mut base = Geometry::flat(w, h);
            for (i, n) in base.normals.iter_mut().enumerate() {
                *n = normalize([(i % 7) as f32 * 0.05, (i % 5) as f32 * -0.04, 1.0]);
            }
            for strength in [0.3, 4.0] {
                let mut banded = base.clone();
                add_detail(&mut banded, &frame, strength).unwrap();
                let mut whole = base.clone();
                whole_frame(&mut whole, &frame, strength);
                assert_eq!(banded, whole, "{w}x{h}x{c}, strength {strength}");
                assert_ne!(banded, base, "{w}x{h}x{c}: the detail tilts something");
            }
        }
    }
}
