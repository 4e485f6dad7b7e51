//! Classical image filters shared by the operations: separable resampling,
//! box filtering and the (fast) guided filter used for edge-aware upsampling.
//! Every output row is computed independently, so results do not depend on
//! the number of threads.

use rayon::prelude::*;

use crate::plane::Plane;

/// Weights of one output sample: first source index and its taps.
struct Taps {
    start: usize,
    weights: Vec<f32>,
}

/// Triangle-kernel taps for mapping `src` samples onto `dst` samples by pixel
/// centres; the kernel widens when shrinking, so downsampling averages
/// instead of aliasing.
fn taps(src: usize, dst: usize) -> Vec<Taps> {
    let scale = src as f32 / dst as f32;
    let support = scale.max(1.0);
    (0..dst)
        .map(|i| {
            let centre = (i as f32 + 0.5) * scale - 0.5;
            let lo = (centre - support).floor().max(0.0) as usize;
            let hi = ((centre + support).ceil() as usize).min(src - 1);
            let mut weights: Vec<f32> = (lo..=hi)
                .map(|j| (1.0 - ((j as f32 - centre) / support).abs()).max(0.0))
                .collect();
            let sum: f32 = weights.iter().sum();
            if sum > 0.0 {
                weights.iter_mut().for_each(|w| *w /= sum);
            } else {
                // Centre outside the source (tiny images): nearest sample.
                let n = centre.round().clamp(0.0, (src - 1) as f32) as usize;
                return Taps {
                    start: n,
                    weights: vec![1.0],
                };
            }
            Taps { start: lo, weights }
        })
        .collect()
}

/// Resample an interleaved picture to `dw`x`dh` (bilinear when enlarging, area-like when shrinking).
pub fn resize(src: Plane, dw: usize, dh: usize) -> Vec<f32> {
    let (sw, sh, ch) = (src.width(), src.height(), src.channels());
    let src = src.packed();
    let src: &[f32] = &src;
    if sw == dw && sh == dh {
        return src.to_vec();
    }
    let tmp = resize_across(src, sw, sh, ch, dw);
    let yt = taps(sh, dh);
    let mut dst = vec![0.0f32; dh * dw * ch];
    dst.par_chunks_mut(dw * ch)
        .enumerate()
        .for_each(|(y, out)| resize_down(&tmp, &yt[y], out));
    dst
}

/// The horizontal pass of [`resize`]: `sh` rows of `dw` pixels.
fn resize_across(src: &[f32], sw: usize, sh: usize, ch: usize, dw: usize) -> Vec<f32> {
    let xt = taps(sw, dw);
    let mut tmp = vec![0.0f32; sh * dw * ch];
    tmp.par_chunks_mut(dw * ch)
        .enumerate()
        .for_each(|(y, out)| {
            let row = &src[y * sw * ch..(y + 1) * sw * ch];
            match ch {
                1 => across_row::<1>(row, &xt, out),
                3 => across_row::<3>(row, &xt, out),
                4 => across_row::<4>(row, &xt, out),
                _ => across_row_any(row, &xt, ch, out),
            }
        });
    tmp
}

/// One row of [`resize_across`] for `C` channels known when compiled: all
/// channels of a tap in one step over the slice the taps cover (no index
/// checks per sample), each channel summed in the same order as
/// [`across_row_any`], so the same bits (a frame downscaled to a model's
/// input was a tenth of `retake mask`'s non-model cycles).
fn across_row<const C: usize>(row: &[f32], xt: &[Taps], out: &mut [f32]) {
    for (t, o) in xt.iter().zip(out.chunks_exact_mut(C)) {
        let span = &row[t.start * C..(t.start + t.weights.len()) * C];
        let mut acc = [0.0f32; C];
        for (w, px) in t.weights.iter().zip(span.chunks_exact(C)) {
            for c in 0..C {
                acc[c] += w * px[c];
            }
        }
        o.copy_from_slice(&acc);
    }
}

/// One row of [`resize_across`] for any channel count.
fn across_row_any(row: &[f32], xt: &[Taps], ch: usize, out: &mut [f32]) {
    for (x, t) in xt.iter().enumerate() {
        for c in 0..ch {
            let mut acc = 0.0;
            for (k, w) in t.weights.iter().enumerate() {
                acc += w * row[(t.start + k) * ch + c];
            }
            out[x * ch + c] = acc;
        }
    }
}

/// One output row of [`resize`]'s vertical pass over `tmp` (rows as long
/// as `out`), added into `out`, which starts at zero.
fn resize_down(tmp: &[f32], t: &Taps, out: &mut [f32]) {
    let len = out.len();
    for (k, w) in t.weights.iter().enumerate() {
        let row = &tmp[(t.start + k) * len..(t.start + k + 1) * len];
        for (o, v) in out.iter_mut().zip(row) {
            *o += w * v;
        }
    }
}

/// Mean over a (2r+1)² square, clipped at the borders (each output is the
/// mean of the samples that exist). Single channel.
pub fn box_mean(src: Plane, r: usize) -> Vec<f32> {
    debug_assert_eq!(src.channels(), 1);
    let (w, h) = (src.width(), src.height());
    let src = src.packed();
    let src: &[f32] = &src;
    // Horizontal running sums.
    let mut tmp = vec![0.0f32; w * h];
    // The prefix sums' buffer is kept per rayon job, not made per row.
    tmp.par_chunks_mut(w).enumerate().for_each_init(
        || Vec::with_capacity(w + 1),
        |prefix: &mut Vec<f64>, (y, out)| {
            let row = &src[y * w..(y + 1) * w];
            prefix.clear();
            let mut last = 0.0f64;
            prefix.push(last);
            for &v in row {
                last += v as f64;
                prefix.push(last);
            }
            box_row_means(prefix, r, out);
        },
    );
    // Vertical, by columns in blocks of rows.
    let mut dst = vec![0.0f32; w * h];
    dst.par_chunks_mut(w).enumerate().for_each(|(y, out)| {
        let lo = y.saturating_sub(r);
        let hi = (y + r).min(h - 1);
        let n = (hi - lo + 1) as f32;
        for yy in lo..=hi {
            let row = &tmp[yy * w..(yy + 1) * w];
            for (o, v) in out.iter_mut().zip(row) {
                *o += v;
            }
        }
        out.iter_mut().for_each(|o| *o /= n);
    });
    dst
}

/// One row of [`box_mean`]'s horizontal pass from the row's prefix sums
/// (`prefix[x]` = sum of the first `x` samples): each output is the mean
/// of the samples within `r` of it. Away from the borders every window
/// holds `2r + 1` samples, so that stretch is one plain loop over two
/// shifted slices, which the compiler vectorises (one scalar division per
/// pixel made a 960x540 box mean 2.6 ms; now 1.5); the same divisions, so
/// the same bits as the border formula applied everywhere.
fn box_row_means(prefix: &[f64], r: usize, out: &mut [f32]) {
    let w = out.len();
    let at_border = |x: usize| {
        let lo = x.saturating_sub(r);
        let hi = (x + r).min(w - 1);
        ((prefix[hi + 1] - prefix[lo]) / (hi - lo + 1) as f64) as f32
    };
    // Outputs whose window lies inside the row: r <= x < w - r.
    let inner = r.min(w)..w.saturating_sub(r).max(r.min(w));
    for x in (0..inner.start).chain(inner.end..w) {
        out[x] = at_border(x);
    }
    if inner.is_empty() {
        return;
    }
    let count = (2 * r + 1) as f64;
    let ends = &prefix[inner.start + r + 1..];
    let starts = &prefix[inner.start - r..];
    for ((o, hi), lo) in out[inner].iter_mut().zip(ends).zip(starts) {
        *o = ((hi - lo) / count) as f32;
    }
}

/// Edge-aware upsampling of a low-resolution single-channel map `p` to the
/// full-resolution single-channel `guide`: the fast guided filter
/// (He & Sun 2015). The linear model `q = a·I + b` is fitted at low
/// resolution in windows of radius `r` (in low-resolution pixels), then `a`
/// and `b` are upsampled, so edges come from the guide and cost stays low.
pub fn guided_upsample(guide: Plane, p: Plane, r: usize, eps: f32) -> Vec<f32> {
    guided_upsample_map(guide, p, r, eps, |q| q)
}

/// [`guided_upsample`] with `finish` applied to each result in the same
/// pass (a threshold, a curve): the upsampled coefficients are made a row
/// at a time and never stored at full resolution, which saves three
/// full-size pictures per call. The same bits as `finish` applied to
/// [`guided_upsample`]'s result.
pub fn guided_upsample_map(
    guide: Plane,
    p: Plane,
    r: usize,
    eps: f32,
    finish: impl Fn(f32) -> f32 + Sync,
) -> Vec<f32> {
    debug_assert!(guide.channels() == 1 && p.channels() == 1);
    let (w, h, pw, ph) = (guide.width(), guide.height(), p.width(), p.height());
    let (guide, p) = (guide.packed(), p.packed());
    let (guide, p): (&[f32], &[f32]) = (&guide, &p);
    let i_low = resize(Plane::new(guide, w, h, 1), pw, ph);
    let n = pw * ph;
    let mean_i = box_mean(Plane::new(&i_low, pw, ph, 1), r);
    let mean_p = box_mean(Plane::new(p, pw, ph, 1), r);
    let ip: Vec<f32> = i_low.iter().zip(p).map(|(a, b)| a * b).collect();
    let ii: Vec<f32> = i_low.iter().map(|a| a * a).collect();
    let corr_ip = box_mean(Plane::new(&ip, pw, ph, 1), r);
    let corr_ii = box_mean(Plane::new(&ii, pw, ph, 1), r);
    let mut a = vec![0.0f32; n];
    let mut b = vec![0.0f32; n];
    for k in 0..n {
        let var = (corr_ii[k] - mean_i[k] * mean_i[k]).max(0.0);
        let cov = corr_ip[k] - mean_i[k] * mean_p[k];
        a[k] = cov / (var + eps);
        b[k] = mean_p[k] - a[k] * mean_i[k];
    }
    let mean_a = box_mean(Plane::new(&a, pw, ph, 1), r);
    let mean_b = box_mean(Plane::new(&b, pw, ph, 1), r);
    let mut out = vec![0.0f32; w * h];
    if (pw, ph) == (w, h) {
        // `resize` to the same size is a copy.
        out.par_chunks_mut(w).enumerate().for_each(|(y, row)| {
            let at = y * w..(y + 1) * w;
            let (g, a, b) = (&guide[at.clone()], &mean_a[at.clone()], &mean_b[at]);
            for (x, o) in row.iter_mut().enumerate() {
                *o = finish(a[x] * g[x] + b[x]);
            }
        });
        return out;
    }
    // `resize`'s two passes, the second one row at a time.
    let across_a = resize_across(&mean_a, pw, ph, 1, w);
    let across_b = resize_across(&mean_b, pw, ph, 1, w);
    let yt = taps(ph, h);
    out.par_chunks_mut(w).enumerate().for_each_init(
        || (vec![0.0f32; w], vec![0.0f32; w]),
        |(ra, rb), (y, row)| {
            ra.fill(0.0);
            rb.fill(0.0);
            resize_down(&across_a, &yt[y], ra);
            resize_down(&across_b, &yt[y], rb);
            let g = &guide[y * w..(y + 1) * w];
            for (x, o) in row.iter_mut().enumerate() {
                *o = finish(ra[x] * g[x] + rb[x]);
            }
        },
    );
    out
}

/// Hermite smoothstep between `lo` and `hi`; a hard step when they meet.
/// Inlined: callers apply it per pixel of a full-size picture.
#[inline]
pub fn smoothstep(lo: f32, hi: f32, x: f32) -> f32 {
    if hi <= lo {
        return if x >= lo { 1.0 } else { 0.0 };
    }
    let t = ((x - lo) / (hi - lo)).clamp(0.0, 1.0);
    t * t * (3.0 - 2.0 * t)
}

/// 3x3 binomial blur ([1 2 1] / 4 each way, edges repeated) of one
/// single-channel picture.
pub fn binomial3(src: Plane) -> Vec<f32> {
    debug_assert_eq!(src.channels(), 1);
    let (w, h) = (src.width(), src.height());
    let src = src.packed();
    let at = |x: usize, y: usize| src[y * w + x];
    let mut tmp = vec![0.0f32; w * h];
    for y in 0..h {
        for x in 0..w {
            let l = at(x.saturating_sub(1), y);
            let r = at((x + 1).min(w - 1), y);
            tmp[y * w + x] = 0.25 * l + 0.5 * at(x, y) + 0.25 * r;
        }
    }
    let mut data = vec![0.0f32; w * h];
    for y in 0..h {
        let up = y.saturating_sub(1);
        let down = (y + 1).min(h - 1);
        for x in 0..w {
            data[y * w + x] =
                0.25 * tmp[up * w + x] + 0.5 * tmp[y * w + x] + 0.25 * tmp[down * w + x];
        }
    }
    data
}

/// [`box_mean`] of each channel of an interleaved picture.
pub fn box_mean_interleaved(src: Plane, r: usize) -> Vec<f32> {
    let (w, h, channels) = (src.width(), src.height(), src.channels());
    let src = src.packed();
    let mut out = vec![0.0; src.len()];
    for c in 0..channels {
        let plane: Vec<f32> = src.iter().skip(c).step_by(channels).copied().collect();
        let b = box_mean(Plane::new(&plane, w, h, 1), r);
        for (k, v) in b.into_iter().enumerate() {
            out[k * channels + c] = v;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn noise(n: usize, mut s: u32) -> Vec<f32> {
        (0..n)
            .map(|_| {
                s ^= s << 13;
                s ^= s >> 17;
                s ^= s << 5;
                s as f32 / u32::MAX as f32 * 3.0 - 1.0
            })
            .collect()
    }

    /// The blurs that moved here from flow.rs and mask.rs, as they were,
    /// to prove the shared filters give the same bits.
    #[test]
    fn shared_blurs_match_their_former_copies() {
        for (w, h, seed) in [(1, 1, 1), (7, 3, 2), (33, 17, 3), (64, 48, 4)] {
            let g = noise(w * h, seed);
            let mut tmp = vec![0.0f32; w * h];
            for y in 0..h {
                for x in 0..w {
                    let l = g[y * w + x.saturating_sub(1)];
                    let r = g[y * w + (x + 1).min(w - 1)];
                    tmp[y * w + x] = 0.25 * l + 0.5 * g[y * w + x] + 0.25 * r;
                }
            }
            let mut old = vec![0.0f32; w * h];
            for y in 0..h {
                let (up, down) = (y.saturating_sub(1), (y + 1).min(h - 1));
                for x in 0..w {
                    old[y * w + x] =
                        0.25 * tmp[up * w + x] + 0.5 * tmp[y * w + x] + 0.25 * tmp[down * w + x];
                }
            }
            let new = binomial3(Plane::new(&g, w, h, 1));
            assert!(old
                .iter()
                .zip(&new)
                .all(|(a, b)| a.to_bits() == b.to_bits()));

            let rgb = noise(w * h * 3, seed + 10);
            let mut old = vec![0.0; rgb.len()];
            for c in 0..3 {
                let plane: Vec<f32> = rgb.iter().skip(c).step_by(3).copied().collect();
                for (k, v) in box_mean(Plane::new(&plane, w, h, 1), 1)
                    .into_iter()
                    .enumerate()
                {
                    old[k * 3 + c] = v;
                }
            }
            let new = box_mean_interleaved(Plane::new(&rgb, w, h, 3), 1);
            assert!(old
                .iter()
                .zip(&new)
                .all(|(a, b)| a.to_bits() == b.to_bits()));
        }
    }

    /// The per-channel-count rows of the horizontal pass give the bits of
    /// the general one, shrinking (many taps) and enlarging.
    #[test]
    fn across_rows_match_the_general_row_bit_for_bit() {
        for (sw, dw, seed) in [
            (1920, 320, 5),
            (37, 10, 6),
            (8, 29, 7),
            (1, 4, 8),
            (5, 5, 9),
        ] {
            let xt = taps(sw, dw);
            for ch in [1, 3, 4] {
                let row = noise(sw * ch, seed + ch as u32);
                let mut general = vec![0.0f32; dw * ch];
                across_row_any(&row, &xt, ch, &mut general);
                let mut fast = vec![0.0f32; dw * ch];
                match ch {
                    1 => across_row::<1>(&row, &xt, &mut fast),
                    3 => across_row::<3>(&row, &xt, &mut fast),
                    _ => across_row::<4>(&row, &xt, &mut fast),
                }
                assert!(
                    general
                        .iter()
                        .zip(&fast)
                        .all(|(a, b)| a.to_bits() == b.to_bits()),
                    "{sw}->{dw}, {ch} channels"
                );
            }
        }
    }

    #[test]
    fn resize_keeps_constants_and_means() {
        let src = vec![0.25f32; 37 * 23 * 3];
        let out = resize(Plane::new(&src, 37, 23, 3), 10, 7);
        assert!(out.iter().all(|v| (v - 0.25).abs() < 1e-6));
        // A ramp stays a ramp under upsampling.
        let ramp: Vec<f32> = (0..8).map(|x| x as f32).collect();
        let up = resize(Plane::new(&ramp, 8, 1, 1), 16, 1);
        for w in up[2..14].windows(2) {
            assert!(w[1] >= w[0]);
        }
        let mean_in: f32 = ramp.iter().sum::<f32>() / 8.0;
        let down = resize(Plane::new(&ramp, 8, 1, 1), 2, 1);
        let mean_out: f32 = down.iter().sum::<f32>() / 2.0;
        assert!((mean_in - mean_out).abs() < 0.3);
    }

    /// The horizontal pass as it was (one border-aware division per
    /// pixel), to prove the split row gives the same bits.
    fn box_mean_as_before(src: &[f32], w: usize, h: usize, r: usize) -> Vec<f32> {
        let mut tmp = vec![0.0f32; w * h];
        for y in 0..h {
            let mut prefix = vec![0.0f64];
            for &v in &src[y * w..(y + 1) * w] {
                prefix.push(prefix[prefix.len() - 1] + v as f64);
            }
            for x in 0..w {
                let lo = x.saturating_sub(r);
                let hi = (x + r).min(w - 1);
                tmp[y * w + x] = ((prefix[hi + 1] - prefix[lo]) / (hi - lo + 1) as f64) as f32;
            }
        }
        let mut dst = vec![0.0f32; w * h];
        for y in 0..h {
            let (lo, hi) = (y.saturating_sub(r), (y + r).min(h - 1));
            for yy in lo..=hi {
                for x in 0..w {
                    dst[y * w + x] += tmp[yy * w + x];
                }
            }
            for x in 0..w {
                dst[y * w + x] /= (hi - lo + 1) as f32;
            }
        }
        dst
    }

    #[test]
    fn box_mean_gives_the_bits_it_gave_before() {
        // Rows shorter than, equal to and longer than the window, and radii
        // past the row's length.
        for (w, h, seed) in [
            (1, 3, 1),
            (2, 2, 2),
            (5, 4, 3),
            (13, 6, 4),
            (14, 5, 5),
            (97, 9, 6),
        ] {
            let src = noise(w * h, seed);
            for r in [0, 1, 2, 6, 7, 20] {
                let old = box_mean_as_before(&src, w, h, r);
                let new = box_mean(Plane::new(&src, w, h, 1), r);
                assert!(
                    old.iter()
                        .zip(&new)
                        .all(|(a, b)| a.to_bits() == b.to_bits()),
                    "{w}x{h} r {r}"
                );
            }
        }
    }

    #[test]
    fn box_mean_matches_brute_force() {
        let (w, h, r) = (9, 7, 2);
        let src: Vec<f32> = (0..w * h).map(|i| ((i * 37) % 11) as f32).collect();
        let fast = box_mean(Plane::new(&src, w, h, 1), r);
        for y in 0..h {
            for x in 0..w {
                let (mut s, mut n) = (0.0, 0.0);
                for yy in y.saturating_sub(r)..=(y + r).min(h - 1) {
                    for xx in x.saturating_sub(r)..=(x + r).min(w - 1) {
                        s += src[yy * w + xx];
                        n += 1.0;
                    }
                }
                assert!((fast[y * w + x] - s / n).abs() < 1e-4);
            }
        }
    }

    #[test]
    fn guided_upsample_snaps_to_guide_edges() {
        // Guide: a sharp vertical edge at x = 50 of 100. Low-res map: a
        // blurry version of the same edge. The result must be sharp.
        let (w, h) = (100, 40);
        let guide: Vec<f32> = (0..w * h)
            .map(|i| if i % w < 50 { 0.0 } else { 1.0 })
            .collect();
        let (pw, ph) = (20, 8);
        let p: Vec<f32> = (0..pw * ph)
            .map(|i| smoothstep(6.0, 14.0, (i % pw) as f32))
            .collect();
        let q = guided_upsample(
            Plane::new(&guide, w, h, 1),
            Plane::new(&p, pw, ph, 1),
            2,
            1e-4,
        );
        let row = &q[20 * w..21 * w];
        // Most of the transition happens in one pixel, at the guide's edge,
        // although the low-res map ramps over 40 full-res pixels.
        assert!(row[50] - row[49] > 0.6, "{:?}", &row[40..60]);
        assert!(row[3] < 0.05 && row[96] > 0.95, "{row:?}");
    }

    /// The guided filter as it was before its last pass went row by row
    /// (full-size upsampled coefficients, then the sum), to prove the same
    /// bits come out.
    fn guided_upsample_as_before(guide: Plane, p: Plane, r: usize, eps: f32) -> Vec<f32> {
        let (w, h, pw, ph) = (guide.width(), guide.height(), p.width(), p.height());
        let (guide, p) = (guide.packed(), p.packed());
        let i_low = resize(Plane::new(&guide[..], w, h, 1), pw, ph);
        let mean_i = box_mean(Plane::new(&i_low, pw, ph, 1), r);
        let mean_p = box_mean(Plane::new(&p[..], pw, ph, 1), r);
        let ip: Vec<f32> = i_low.iter().zip(p.iter()).map(|(a, b)| a * b).collect();
        let ii: Vec<f32> = i_low.iter().map(|a| a * a).collect();
        let corr_ip = box_mean(Plane::new(&ip, pw, ph, 1), r);
        let corr_ii = box_mean(Plane::new(&ii, pw, ph, 1), r);
        let n = pw * ph;
        let (mut a, mut b) = (vec![0.0f32; n], vec![0.0f32; n]);
        for k in 0..n {
            let var = (corr_ii[k] - mean_i[k] * mean_i[k]).max(0.0);
            let cov = corr_ip[k] - mean_i[k] * mean_p[k];
            a[k] = cov / (var + eps);
            b[k] = mean_p[k] - a[k] * mean_i[k];
        }
        let up = |v: &[f32]| {
            resize(
                Plane::new(&box_mean(Plane::new(v, pw, ph, 1), r), pw, ph, 1),
                w,
                h,
            )
        };
        let (mean_a, mean_b) = (up(&a), up(&b));
        (0..w * h)
            .map(|k| mean_a[k] * guide[k] + mean_b[k])
            .collect()
    }

    #[test]
    fn guided_upsample_gives_the_bits_it_gave_before() {
        for (w, h, pw, ph, seed) in [(97, 41, 20, 9, 5), (64, 36, 32, 18, 6), (30, 20, 30, 20, 7)] {
            let guide = noise(w * h, seed);
            let p = noise(pw * ph, seed + 10);
            let (g, q) = (Plane::new(&guide, w, h, 1), Plane::new(&p, pw, ph, 1));
            let old = guided_upsample_as_before(g, q, 2, 1e-3);
            let new = guided_upsample(g, q, 2, 1e-3);
            assert!(
                old.iter()
                    .zip(&new)
                    .all(|(a, b)| a.to_bits() == b.to_bits()),
                "{w}x{h}"
            );
            let mapped = guided_upsample_map(g, q, 2, 1e-3, |v| smoothstep(0.2, 0.6, v));
            let want: Vec<f32> = old.iter().map(|&v| smoothstep(0.2, 0.6, v)).collect();
            assert!(
                mapped
                    .iter()
                    .zip(&want)
                    .all(|(a, b)| a.to_bits() == b.to_bits()),
                "{w}x{h}"
            );
        }
    }
}
