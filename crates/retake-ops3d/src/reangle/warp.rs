//! Forward warp of a picture with depth into a virtual camera.
//!
//! Every pixel is lifted to 3D through the pinhole and projected into the
//! virtual camera. Splatting single points leaves cracks wherever the new
//! view magnifies the surface (a push-in, a turn towards a wall), so the
//! pixels are splatted as a mesh instead: each 2x2 block of neighbouring
//! pixels is two triangles, rasterised with a z-buffer, and each covered
//! target pixel takes the source picture sampled where its triangle came
//! from (perspective-correct). Magnified surfaces stay closed at any
//! scale. A triangle that spans a depth edge (its corners' depths differ by
//! more than `edge`) and is stretched or squashed well beyond what the
//! surface itself does is cut: that is where the new view looks behind a
//! foreground edge, and what the footage did not see is left as a hole
//! (a disocclusion) for the fill, never smeared.

use rayon::prelude::*;

use super::camera::Pose;
use retake_core::frame::recycled_buffer;
use retake_imageops::pinhole::{back_project_row, Pinhole};
use retake_imageops::plane::Plane;
use retake_imageops::sample::sample_cubic;

/// A picture seen from the virtual camera.
#[derive(Clone, Debug)]
pub struct Warped {
    pub width: usize,
    pub height: usize,
    /// Interleaved RGB; 0 where nothing was seen.
    pub rgb: Vec<f32>,
    /// Distance along the virtual camera's view axis; 0 where nothing was seen.
    pub depth: Vec<f32>,
    /// Whether the footage saw this pixel (false: a disocclusion, or
    /// outside what the real camera framed).
    pub seen: Vec<bool>,
}

impl Warped {
    /// Fraction of the frame the footage did not see.
    pub fn unseen_fraction(&self) -> f64 {
        let n = self.seen.iter().filter(|s| !**s).count();
        n as f64 / self.seen.len().max(1) as f64
    }
}

/// One projected source pixel: target position and depth (NaN when it
/// lands behind the virtual camera).
#[derive(Clone, Copy)]
struct Vertex {
    u: f32,
    v: f32,
    /// Depth in the virtual camera.
    z: f32,
    /// Depth in the source camera.
    zs: f32,
}

/// The first whole number at or after `x`, at least `lo` (`x` finite):
/// `ceil` without a call into libm on every triangle.
#[inline]
fn first_at_or_after(x: f32, lo: usize) -> Option<usize> {
    if x <= lo as f32 {
        return Some(lo);
    }
    if x >= usize::MAX as f32 {
        return None;
    }
    let t = x as usize;
    Some(if (t as f32) < x { t + 1 } else { t })
}

/// The last whole number at or before `x`, at most `hi`; `None` below 0.
#[inline]
fn last_at_or_before(x: f32, hi: usize) -> Option<usize> {
    if x < 0.0 {
        return None;
    }
    if x >= hi as f32 {
        return Some(hi);
    }
    Some(x as usize)
}

/// Samples per pixel in the warp's vertex buffer.
const VERTEX_SAMPLES: usize = 3;

impl Vertex {
    /// A pixel that does not project (no depth, or behind the camera).
    const NONE: Vertex = Vertex {
        u: f32::NAN,
        v: f32::NAN,
        z: f32::NAN,
        zs: 0.0,
    };

    /// What the vertex buffer stores: the source depth `zs` is not
    /// kept there (it is the depth map's own value), which makes the
    /// buffer a quarter smaller.
    fn samples(self) -> [f32; 3] {
        [self.u, self.v, self.z]
    }

    /// The vertex stored as `s`, with the source depth `zs` of its pixel
    /// (read only where `z` is finite: a pixel that does not project
    /// stops its triangles first).
    #[inline]
    fn from_samples(s: &[f32], zs: f32) -> Vertex {
        Vertex {
            u: s[0],
            v: s[1],
            z: s[2],
            zs,
        }
    }
}

/// The rows `first..=last` of the target, rasterised by one thread.
struct Band {
    first: usize,
    last: usize,
    width: usize,
    zoom2: f32,
    cut_ratio: f32,
}

impl Band {
    /// Rasterise the triangle of projected vertices `vs` (source pixels
    /// `at`) into this band's z-buffer and source positions.
    fn raster(
        &self,
        vs: [Vertex; 3],
        at: [(f32, f32); 3],
        zbuf: &mut [f32],
        src: &mut [(f32, f32)],
    ) {
        if vs.iter().any(|v| !v.z.is_finite()) {
            return;
        }
        let [a, b, c] = vs;
        let w = self.width;
        // The pixel centres the triangle's box holds, clipped to the band.
        let (Some(umin), Some(umax)) = (
            first_at_or_after(a.u.min(b.u).min(c.u), 0),
            last_at_or_before(a.u.max(b.u).max(c.u), w - 1),
        ) else {
            return;
        };
        let (Some(vmin), Some(vmax)) = (
            first_at_or_after(a.v.min(b.v).min(c.v), self.first),
            last_at_or_before(a.v.max(b.v).max(c.v), self.last),
        ) else {
            return;
        };
        if umin > umax || vmin > vmax {
            return;
        }
        let area2 = (b.u - a.u) * (c.v - a.v) - (b.v - a.v) * (c.u - a.u);
        if area2.abs() < 1e-12 {
            return;
        }
        let zs_min = a.zs.min(b.zs).min(c.zs);
        let zs_max = a.zs.max(b.zs).max(c.zs);
        if zs_max > self.cut_ratio * zs_min {
            // What the surface's own magnification would make of this
            // half-pixel triangle; far beyond that, it is torn open.
            let m = (a.zs + b.zs + c.zs) / (a.z + b.z + c.z);
            let expected = self.zoom2 * m * m;
            if !(0.5 * expected..=2.0 * expected).contains(&area2) {
                return;
            }
        }
        let inv = 1.0 / area2;
        let (iza, izb, izc) = (1.0 / a.z, 1.0 / b.z, 1.0 / c.z);
        let [(ax, ay), (bx, by), (cx, cy)] = at;
        // Inclusive edges with a little slack, so shared edges never crack.
        let eps = -1e-5f32;
        for py in vmin..=vmax {
            let fy = py as f32;
            for px in umin..=umax {
                let fx = px as f32;
                let l0 = ((b.u - fx) * (c.v - fy) - (b.v - fy) * (c.u - fx)) * inv;
                let l1 = ((c.u - fx) * (a.v - fy) - (c.v - fy) * (a.u - fx)) * inv;
                let l2 = 1.0 - l0 - l1;
                if l0 < eps || l1 < eps || l2 < eps {
                    continue;
                }
                let iz = l0 * iza + l1 * izb + l2 * izc;
                let z = 1.0 / iz;
                let i = (py - self.first) * w + px;
                if z < zbuf[i] {
                    zbuf[i] = z;
                    let sx = (l0 * ax * iza + l1 * bx * izb + l2 * cx * izc) * z;
                    let sy = (l0 * ay * iza + l1 * by * izb + l2 * cy * izc) * z;
                    src[i] = (sx, sy);
                }
            }
        }
    }
}

/// Warp `data` (interleaved, at least RGB) with per-pixel `depth` (source
/// camera, > 0) into the virtual camera `pose`; `focal` is the source
/// camera's focal length in pixels, `edge` the relative depth difference
/// above which a stretched triangle counts as a depth edge.
#[allow(clippy::too_many_arguments)]
pub fn warp(
    data: &[f32],
    channels: usize,
    width: usize,
    height: usize,
    depth: &[f32],
    pose: &Pose,
    focal: f64,
    edge: f32,
) -> Warped {
    let (w, h) = (width, height);
    if w == 0 || h == 0 {
        return Warped {
            width: w,
            height: h,
            rgb: Vec::new(),
            depth: Vec::new(),
            seen: Vec::new(),
        };
    }
    let target = Pinhole::new(w, h, focal * pose.zoom);
    // The projected vertices, three samples per pixel (see `Vertex`).
    let mut buffer = vec![0.0f32; w * h * VERTEX_SAMPLES];
    buffer
        .par_chunks_mut(w * VERTEX_SAMPLES)
        .enumerate()
        .for_each_init(
            || (Vec::with_capacity(w), Vec::with_capacity(w)),
            |(xs, ys), (y, row)| {
                let depth = &depth[y * w..(y + 1) * w];
                // Lifted in f32 (as before the f64 pinhole existed: the same
                // pixels), moved and projected in f64.
                back_project_row(y, depth, w, h, focal as f32, xs, ys);
                for (x, out) in row.chunks_exact_mut(VERTEX_SAMPLES).enumerate() {
                    out.copy_from_slice(&Vertex::NONE.samples());
                    let d = depth[x];
                    if !(d.is_finite() && d > 0.0) {
                        continue;
                    }
                    let q = pose.to_camera([xs[x] as f64, ys[x] as f64, -d as f64]);
                    if -q[2] <= 1e-6 * d as f64 {
                        continue;
                    }
                    let Some((u, v, z)) = target.project(q) else {
                        continue;
                    };
                    out.copy_from_slice(
                        &Vertex {
                            u: u as f32,
                            v: v as f32,
                            z: z as f32,
                            zs: d,
                        }
                        .samples(),
                    );
                }
            },
        );

    // The target is rasterised in bands of rows, in parallel: each band
    // takes every triangle that reaches it, in the same (source) order, so
    // each pixel sees the same triangles in the same order whatever the
    // number of bands and threads.
    let zoom2 = (pose.zoom * pose.zoom) as f32;
    let cut_ratio = 1.0 + edge;
    // The rows each source row's vertices land on, to skip whole source
    // rows that cannot reach a band.
    let verts = &buffer;
    let row_span: Vec<(f32, f32)> = verts
        .par_chunks(w * VERTEX_SAMPLES)
        .map(|row| {
            row.chunks_exact(VERTEX_SAMPLES)
                .map(|s| Vertex::from_samples(s, 0.0))
                .filter(|v| v.z.is_finite())
                .fold((f32::INFINITY, f32::NEG_INFINITY), |(lo, hi), v| {
                    (lo.min(v.v), hi.max(v.v))
                })
        })
        .collect();
    let mut zbuf = vec![f32::INFINITY; w * h];
    let mut src = vec![(0.0f32, 0.0f32); w * h];
    let band_rows = h.div_ceil(4 * rayon::current_num_threads().max(1)).max(8);
    zbuf.par_chunks_mut(band_rows * w)
        .zip(src.par_chunks_mut(band_rows * w))
        .enumerate()
        .for_each(|(b, (zbuf, src))| {
            let first = b * band_rows;
            let last = first + zbuf.len() / w - 1;
            let band = Band {
                first,
                last,
                width: w,
                zoom2,
                cut_ratio,
            };
            let (lo, hi) = (first as f32 - 1.0, last as f32 + 1.0);
            for y in 0..h.saturating_sub(1) {
                let (a, c) = (row_span[y], row_span[y + 1]);
                if a.0.min(c.0) > hi || a.1.max(c.1) < lo {
                    continue;
                }
                let at = |i: usize| {
                    Vertex::from_samples(
                        &verts[i * VERTEX_SAMPLES..(i + 1) * VERTEX_SAMPLES],
                        depth[i],
                    )
                };
                for x in 0..w.saturating_sub(1) {
                    let (fx, fy) = (x as f32, y as f32);
                    let (i0, i1) = (y * w + x, (y + 1) * w + x);
                    let (p00, p10, p01, p11) = (at(i0), at(i0 + 1), at(i1), at(i1 + 1));
                    band.raster(
                        [p00, p10, p01],
                        [(fx, fy), (fx + 1.0, fy), (fx, fy + 1.0)],
                        zbuf,
                        src,
                    );
                    band.raster(
                        [p10, p11, p01],
                        [(fx + 1.0, fy), (fx + 1.0, fy + 1.0), (fx, fy + 1.0)],
                        zbuf,
                        src,
                    );
                }
            }
        });

    // Freed before the colours are sampled: it is the largest scratch.
    drop(buffer);
    let mut rgb = recycled_buffer(w * h * 3);
    let mut seen = vec![false; w * h];
    rgb.par_chunks_mut(w * 3)
        .zip(seen.par_chunks_mut(w))
        .enumerate()
        .for_each(|(y, (row, seen_row))| {
            for x in 0..w {
                let i = y * w + x;
                if !zbuf[i].is_finite() {
                    row[x * 3..x * 3 + 3].fill(0.0);
                    continue;
                }
                let (sx, sy) = src[i];
                row[x * 3..x * 3 + 3].copy_from_slice(&sample_cubic(
                    Plane::new(data, w, h, channels),
                    sx,
                    sy,
                ));
                seen_row[x] = true;
            }
        });
    let depth = zbuf
        .into_iter()
        .map(|z| if z.is_finite() { z } else { 0.0 })
        .collect();
    Warped {
        width: w,
        height: h,
        rgb,
        depth,
        seen,
    }
}
