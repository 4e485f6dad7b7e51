//! Sampling a picture between pixel centres: bilinear, and a Catmull-Rom
//! cubic that does not overshoot.

use crate::plane::Plane;

/// Where a bilinear sample at one point reads and how it weighs the four
/// pixels: the clamp at the edges and the cell, computed once, so that
/// several pictures of one size are sampled at a point for the price of
/// one clamp (a flow's two fields and its consistency error).
#[derive(Clone, Copy)]
pub struct Taps {
    /// The two columns read.
    columns: (usize, usize),
    /// The two rows read.
    lines: (usize, usize),
    /// Where those rows start in a one-channel picture `w` wide.
    rows: (usize, usize),
    fx: f32,
    fy: f32,
}

impl Taps {
    /// The taps at `(x, y)` (pixel centres at integers) of a `w x h`
    /// picture, clamped at the edges; a point that is not finite reads
    /// the first pixel.
    #[inline(always)]
    pub fn new(w: usize, h: usize, x: f32, y: f32) -> Taps {
        let x = if x.is_finite() {
            x.clamp(0.0, (w - 1) as f32)
        } else {
            0.0
        };
        let y = if y.is_finite() {
            y.clamp(0.0, (h - 1) as f32)
        } else {
            0.0
        };
        // Both are >= 0 here, where truncation is the floor (and needs no
        // call to `floorf` without SSE4.1).
        let (x0, y0) = (x as usize, y as usize);
        let x1 = (x0 + 1).min(w - 1);
        let y1 = (y0 + 1).min(h - 1);
        Taps {
            columns: (x0, x1),
            lines: (y0, y1),
            rows: (y0 * w, y1 * w),
            fx: x - x0 as f32,
            fy: y - y0 as f32,
        }
    }

    /// The sample of a one-channel picture of the size the taps were made
    /// for.
    #[inline(always)]
    pub fn read(&self, data: &[f32]) -> f32 {
        let ((r0, r1), (x0, x1)) = (self.rows, self.columns);
        let top = data[r0 + x0] + (data[r0 + x1] - data[r0 + x0]) * self.fx;
        let bottom = data[r1 + x0] + (data[r1 + x1] - data[r1 + x0]) * self.fx;
        top + (bottom - top) * self.fy
    }
}

/// Bilinear sample of an interleaved picture at `(x, y)` (pixel centres at
/// integers), clamped at the edges.
///
/// Inlined into its callers, which mostly sample a known number of
/// channels (remove's flow chains one, frames three or four) point after
/// point, so the channel loop unrolls; as a call it was a tenth of
/// removal's chain following.
#[inline(always)]
pub fn sample(src: Plane, x: f32, y: f32, out: &mut [f32]) {
    let data = src.data();
    let taps = Taps::new(src.width(), src.height(), x, y);
    let ((x0, x1), (y0, y1)) = (taps.columns, taps.lines);
    let (fx, fy) = (taps.fx, taps.fy);
    let i00 = src.index(x0, y0, 0);
    let i01 = src.index(x1, y0, 0);
    let i10 = src.index(x0, y1, 0);
    let i11 = src.index(x1, y1, 0);
    for (c, o) in out.iter_mut().enumerate().take(src.channels()) {
        let top = data[i00 + c] + (data[i01 + c] - data[i00 + c]) * fx;
        let bottom = data[i10 + c] + (data[i11 + c] - data[i10 + c]) * fx;
        *o = top + (bottom - top) * fy;
    }
}

/// Catmull-Rom sample of the first three channels at `(x, y)` (pixel
/// centres at integers), without overshoot beyond the four nearest pixels:
/// sharper than bilinear, so texture carried
/// from other frames or warped to a new view keeps its detail whatever the
/// sub-pixel phase. Used by remove and reangle.
pub fn sample_cubic(src: Plane, x: f32, y: f32) -> [f32; 3] {
    let (data, width, height) = (src.data(), src.width(), src.height());
    let (w, h) = (width as isize, height as isize);
    let (x0, y0) = (x.floor(), y.floor());
    let (fx, fy) = (x - x0, y - y0);
    let weights = |t: f32| {
        let t2 = t * t;
        let t3 = t2 * t;
        [
            0.5 * (-t3 + 2.0 * t2 - t),
            0.5 * (3.0 * t3 - 5.0 * t2 + 2.0),
            0.5 * (-3.0 * t3 + 4.0 * t2 + t),
            0.5 * (t3 - t2),
        ]
    };
    let (wx, wy) = (weights(fx), weights(fy));
    let mut out = [0.0f32; 3];
    let mut lo = [f32::INFINITY; 3];
    let mut hi = [f32::NEG_INFINITY; 3];
    for (j, wyj) in wy.iter().enumerate() {
        let yy = (y0 as isize + j as isize - 1).clamp(0, h - 1) as usize;
        for (i, wxi) in wx.iter().enumerate() {
            let xx = (x0 as isize + i as isize - 1).clamp(0, w - 1) as usize;
            let p = src.index(xx, yy, 0);
            for c in 0..3 {
                let v = data[p + c];
                out[c] += wxi * wyj * v;
                if (1..=2).contains(&i) && (1..=2).contains(&j) {
                    lo[c] = lo[c].min(v);
                    hi[c] = hi[c].max(v);
                }
            }
        }
    }
    for c in 0..3 {
        out[c] = out[c].clamp(lo[c], hi[c]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sampling_is_bilinear_and_clamped() {
        let data = [0.0, 1.0, 2.0, 3.0];
        let mut o = [0.0f32];
        sample(Plane::new(&data, 2, 2, 1), 0.5, 0.5, &mut o);
        assert!((o[0] - 1.5).abs() < 1e-6);
        sample(Plane::new(&data, 2, 2, 1), -4.0, 9.0, &mut o);
        assert_eq!(o[0], 2.0);
        sample(Plane::new(&data, 2, 2, 1), f32::NAN, 0.0, &mut o);
        assert_eq!(o[0], 0.0);
    }

    /// The sample takes the cell's corner by truncation: the bits of the
    /// plain formula with `floor`, inside, on the edges, outside (clamped)
    /// and at non-finite points, for one to four channels.
    #[test]
    fn truncation_gives_the_bits_of_floor() {
        let floor_sample = |src: Plane, x: f32, y: f32, out: &mut [f32]| {
            let (w, h, ch) = (src.width(), src.height(), src.channels());
            let x = if x.is_finite() {
                x.clamp(0.0, (w - 1) as f32)
            } else {
                0.0
            };
            let y = if y.is_finite() {
                y.clamp(0.0, (h - 1) as f32)
            } else {
                0.0
            };
            let (x0, y0) = (x.floor() as usize, y.floor() as usize);
            let (x1, y1) = ((x0 + 1).min(w - 1), (y0 + 1).min(h - 1));
            let (fx, fy) = (x - x0 as f32, y - y0 as f32);
            let d = src.data();
            for (c, o) in out.iter_mut().enumerate().take(ch) {
                let at = |xx: usize, yy: usize| d[src.index(xx, yy, c)];
                let top = at(x0, y0) + (at(x1, y0) - at(x0, y0)) * fx;
                let bottom = at(x0, y1) + (at(x1, y1) - at(x0, y1)) * fx;
                *o = top + (bottom - top) * fy;
            }
        };
        let mut state = 0x2545_f491_u32;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            state
        };
        for channels in 1..=4 {
            let (w, h) = (13, 7);
            let data: Vec<f32> = (0..w * h * channels)
                .map(|_| (next() % 10_000) as f32 / 977.0 - 3.0)
                .collect();
            let plane = Plane::new(&data, w, h, channels);
            let mut points: Vec<(f32, f32)> = (0..3000)
                .map(|_| {
                    let mut coordinate = || (next() % 40_000) as f32 / 1_999.0 - 4.0;
                    (coordinate(), coordinate())
                })
                .collect();
            points.extend([
                (0.0, 0.0),
                (-0.0, -0.0),
                (12.0, 6.0),
                (11.999_999, 5.999_999),
                (f32::NAN, 3.0),
                (2.0, f32::NEG_INFINITY),
            ]);
            for (x, y) in points {
                let (mut fast, mut plain) = ([0.0f32; 4], [0.0f32; 4]);
                sample(plane, x, y, &mut fast);
                floor_sample(plane, x, y, &mut plain);
                assert_eq!(
                    fast.map(f32::to_bits),
                    plain.map(f32::to_bits),
                    "({x}, {y})"
                );
            }
        }
    }

    #[test]
    fn a_strided_plane_samples_like_its_packed_copy() {
        // 3x2 RGB pixels, rows padded by two values.
        let packed: Vec<f32> = (0..18).map(|v| v as f32 * 0.37).collect();
        let mut strided = Vec::new();
        for row in packed.chunks(9) {
            strided.extend_from_slice(row);
            strided.extend_from_slice(&[99.0, 99.0]);
        }
        let (a, b) = (
            Plane::new(&packed, 3, 2, 3),
            Plane::with_stride(&strided, 3, 2, 3, 11),
        );
        for (x, y) in [(0.3, 0.2), (1.7, 0.9), (2.0, 1.0), (-1.0, 5.0)] {
            let (mut p, mut q) = ([0.0f32; 3], [0.0f32; 3]);
            sample(a, x, y, &mut p);
            sample(b, x, y, &mut q);
            assert_eq!(p, q);
            assert_eq!(sample_cubic(a, x, y), sample_cubic(b, x, y));
        }
    }
}
