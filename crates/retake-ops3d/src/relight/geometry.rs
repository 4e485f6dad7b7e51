//! Scene geometry for relighting: per-pixel depth and normals, from the
//! user's passes or from the built-in estimate, and their stabilisation in
//! time.
//!
//! The camera is a pinhole with a horizontal field of view; camera space
//! has x to the right, y up and z towards the camera (OpenGL, Blender and
//! Nuke camera space), so a surface facing the camera has normal (0, 0, 1).
//! Depth is the distance along the view axis (a Z pass), any unit, larger =
//! farther. Through a pinhole, normals do not change when all depths are
//! scaled, so depth passes in metres, centimetres or relative units give
//! the same normals.

use std::path::Path;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::detail::{self, BAND_ROWS};
use crate::passes::DepthEncoding;
use retake_core::error::{Error, Result};
use retake_core::frame::Frame;
use retake_imageops::distance::euclidean_to_outside;
use retake_imageops::filter::{box_mean, resize};
use retake_imageops::flow::{self, Flow, FlowParams, Gray};
use retake_imageops::luma::luma;
use retake_imageops::pinhole::{back_project, focal_length};
use retake_imageops::plane::Plane;
use retake_imageops::sample::sample;

/// Depth and normals of one frame (or of a working-resolution version).
#[derive(Clone, Debug, PartialEq)]
pub struct Geometry {
    pub width: usize,
    pub height: usize,
    /// Distance along the view axis, larger = farther, always > 0.
    pub depth: Vec<f32>,
    /// Unit normals in camera space.
    pub normals: Vec<[f32; 3]>,
}

/// How a normal pass stores normals (always camera space: x right, y up,
/// z towards the camera).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum NormalEncoding {
    /// Components in -1..1 (float EXR passes).
    #[default]
    Signed,
    /// Components mapped to 0..1 as `(n + 1) / 2` (8- and 16-bit images).
    Unsigned,
}

#[inline]
pub(crate) fn normalize(v: [f32; 3]) -> [f32; 3] {
    let n = (v[0] * v[0] + v[1] * v[1] + v[2] * v[2]).sqrt();
    if n > 1e-12 && n.is_finite() {
        [v[0] / n, v[1] / n, v[2] / n]
    } else {
        [0.0, 0.0, 1.0]
    }
}

#[inline]
fn sub(a: [f32; 3], b: [f32; 3]) -> [f32; 3] {
    [a[0] - b[0], a[1] - b[1], a[2] - b[2]]
}

#[inline]
fn cross(a: [f32; 3], b: [f32; 3]) -> [f32; 3] {
    [
        a[1] * b[2] - a[2] * b[1],
        a[2] * b[0] - a[0] * b[2],
        a[0] * b[1] - a[1] * b[0],
    ]
}

/// Difference vector along one image axis at a pixel, from its neighbours
/// `prev` and `next` (each a point and its depth, absent at the border):
/// the central difference on smooth surfaces, the one-sided difference on
/// the side that stays on the same surface at a depth edge.
#[inline]
fn tangent(
    prev: Option<([f32; 3], f32)>,
    (p, d): ([f32; 3], f32),
    next: Option<([f32; 3], f32)>,
) -> Option<[f32; 3]> {
    match (prev, next) {
        (Some((pp, dp)), Some((pn, dn))) => {
            let (a, b) = ((d - dp).abs(), (dn - d).abs());
            if a.max(b) <= 2.0 * a.min(b) + 0.002 * d {
                let t = sub(pn, pp);
                Some([t[0] * 0.5, t[1] * 0.5, t[2] * 0.5])
            } else if a < b {
                Some(sub(p, pp))
            } else {
                Some(sub(pn, p))
            }
        }
        (Some((pp, _)), None) => Some(sub(p, pp)),
        (None, Some((pn, _))) => Some(sub(pn, p)),
        (None, None) => None,
    }
}

/// Relative depth difference at which a neighbour stops counting in the
/// edge-aware smoothing of normals.
const SMOOTH_DEPTH_SIGMA: f32 = 0.02;
/// Half-width of that smoothing, in pixels.
const SMOOTH_RADIUS: usize = 2;

/// Normals from a depth map through a pinhole camera: each pixel is lifted
/// to 3D with its depth, the surface's tangents are the differences to its
/// neighbours (one-sided at depth edges, so a foreground edge does not bend
/// the background's normals), and their cross product is the normal. A
/// joint bilateral filter guided by depth then smooths quantisation and
/// noise without crossing depth edges.
pub fn normals_from_depth(
    depth: &[f32],
    width: usize,
    height: usize,
    fov_deg: f32,
) -> Vec<[f32; 3]> {
    let (w, h) = (width, height);
    if w == 0 || h == 0 || depth.len() != w * h {
        return vec![[0.0, 0.0, 1.0]; w * h];
    }
    let f = focal_length(w, fov_deg);
    let at = |x: usize, y: usize| {
        let d = depth[y * w + x];
        (back_project(x as f32, y as f32, d, w, h, f), d)
    };
    let mut raw = vec![[0.0f32; 3]; w * h];
    raw.par_chunks_mut(w).enumerate().for_each(|(y, row)| {
        for (x, out) in row.iter_mut().enumerate() {
            let c = at(x, y);
            let tx = tangent(
                (x > 0).then(|| at(x - 1, y)),
                c,
                (x + 1 < w).then(|| at(x + 1, y)),
            )
            .unwrap_or([c.1 / f, 0.0, 0.0]);
            let ty = tangent(
                (y > 0).then(|| at(x, y - 1)),
                c,
                (y + 1 < h).then(|| at(x, y + 1)),
            )
            .unwrap_or([0.0, -c.1 / f, 0.0]);
            // Image y runs down: cross(down, right) points at the camera.
            *out = normalize(cross(ty, tx));
        }
    });
    smooth_normals(&raw, depth, w, h)
}

/// Separable joint bilateral filter of normals, weighted by distance and
/// by relative depth difference.
fn smooth_normals(normals: &[[f32; 3]], depth: &[f32], w: usize, h: usize) -> Vec<[f32; 3]> {
    let r = SMOOTH_RADIUS as isize;
    let spatial: Vec<f32> = (-r..=r)
        .map(|k| (-(k * k) as f32 / (2.0 * 1.5f32 * 1.5)).exp())
        .collect();
    let inv = 1.0 / (2.0 * SMOOTH_DEPTH_SIGMA * SMOOTH_DEPTH_SIGMA);
    let pass = |src: &[[f32; 3]], horizontal: bool| -> Vec<[f32; 3]> {
        let mut out = vec![[0.0f32; 3]; w * h];
        out.par_chunks_mut(w).enumerate().for_each(|(y, row)| {
            for (x, o) in row.iter_mut().enumerate() {
                let i = y * w + x;
                let d = depth[i];
                let mut acc = [0.0f32; 3];
                for k in -r..=r {
                    let (xx, yy) = if horizontal {
                        (x as isize + k, y as isize)
                    } else {
                        (x as isize, y as isize + k)
                    };
                    if xx < 0 || yy < 0 || xx >= w as isize || yy >= h as isize {
                        continue;
                    }
                    let j = yy as usize * w + xx as usize;
                    // Equal depths (most of a plane) weigh exp(0) = 1: no exp.
                    let wt = if depth[j] == d {
                        spatial[(k + r) as usize]
                    } else {
                        let rel = (depth[j] - d) / d;
                        spatial[(k + r) as usize] * (-rel * rel * inv).exp()
                    };
                    let n = src[j];
                    acc[0] += wt * n[0];
                    acc[1] += wt * n[1];
                    acc[2] += wt * n[2];
                }
                *o = normalize(acc);
            }
        });
        out
    };
    let horizontal = pass(normals, true);
    pass(&horizontal, false)
}

impl Geometry {
    /// A wall facing the camera at depth 1: what relighting falls back to
    /// when nothing better is known.
    pub fn flat(width: usize, height: usize) -> Geometry {
        Geometry {
            width,
            height,
            depth: vec![1.0; width * height],
            normals: vec![[0.0, 0.0, 1.0]; width * height],
        }
    }

    /// Geometry from a depth map (already checked and > 0).
    pub fn from_depth(depth: Vec<f32>, width: usize, height: usize, fov_deg: f32) -> Geometry {
        let normals = normals_from_depth(&depth, width, height, fov_deg);
        Geometry {
            width,
            height,
            depth,
            normals,
        }
    }

    /// The scene's scale: the median depth (of a regular subsample). Point
    /// lights and shadow tolerances are measured in it, so they work the
    /// same whatever unit a depth pass uses.
    pub fn scale(&self) -> f32 {
        let step = ((self.width * self.height) as f64 / 65536.0)
            .sqrt()
            .ceil()
            .max(1.0) as usize;
        let mut s: Vec<f32> = (0..self.height)
            .step_by(step)
            .flat_map(|y| (0..self.width).step_by(step).map(move |x| (x, y)))
            .map(|(x, y)| self.depth[y * self.width + x])
            .filter(|d| d.is_finite() && *d > 0.0)
            .collect();
        if s.is_empty() {
            return 1.0;
        }
        let mid = s.len() / 2;
        let (_, m, _) = s.select_nth_unstable_by(mid, |a, b| a.total_cmp(b));
        *m
    }

    /// The user's depth pass (`pass` read from `path`; its first channel is
    /// the depth). Checked against the shot's size; values that are zero,
    /// negative or not finite (sky in a Z pass) are put far behind the rest.
    pub fn from_depth_pass(
        path: impl AsRef<Path>,
        pass: &Frame,
        shot_width: usize,
        shot_height: usize,
        fov_deg: f32,
        encoding: DepthEncoding,
    ) -> Result<Geometry> {
        let path = path.as_ref();
        check_pass(path, "depth pass", pass, shot_width, shot_height, 1)?;
        let raw = pass
            .data
            .iter()
            .step_by(pass.channels)
            .map(|&v| match encoding {
                DepthEncoding::Distance => v,
                DepthEncoding::Inverse => {
                    if v > 0.0 {
                        1.0 / v
                    } else {
                        f32::NAN
                    }
                }
            });
        let mut depth: Vec<f32> = raw.collect();
        let far = depth
            .iter()
            .filter(|d| d.is_finite() && **d > 0.0)
            .fold(None, |m: Option<f32>, &d| Some(m.map_or(d, |m| m.max(d))))
            .ok_or_else(|| {
                Error::input(
                    path,
                    "depth pass has no usable depth: every value is zero, negative or not finite",
                )
            })?;
        for d in &mut depth {
            if !(d.is_finite() && *d > 0.0) {
                *d = far * 2.0;
            }
        }
        Ok(Geometry::from_depth(
            depth,
            shot_width,
            shot_height,
            fov_deg,
        ))
    }

    /// The user's normal pass (`pass` read from `path`, first three
    /// channels). Depth is unknown, so it is a wall at 1: point lights still
    /// work, shadows have nothing to cast them. Take `depth` from a depth
    /// pass of the same shot to have both.
    pub fn from_normal_pass(
        path: impl AsRef<Path>,
        pass: &Frame,
        shot_width: usize,
        shot_height: usize,
        encoding: NormalEncoding,
    ) -> Result<Geometry> {
        let path = path.as_ref();
        check_pass(path, "normal pass", pass, shot_width, shot_height, 3)?;
        let normals = pass
            .data
            .chunks_exact(pass.channels)
            .map(|p| {
                let v = match encoding {
                    NormalEncoding::Signed => [p[0], p[1], p[2]],
                    NormalEncoding::Unsigned => {
                        [2.0 * p[0] - 1.0, 2.0 * p[1] - 1.0, 2.0 * p[2] - 1.0]
                    }
                };
                normalize(v)
            })
            .collect();
        Ok(Geometry {
            width: shot_width,
            height: shot_height,
            depth: vec![1.0; shot_width * shot_height],
            normals,
        })
    }

    /// The same geometry at another resolution (depth and normals
    /// resampled, normals made unit again).
    pub fn resized(&self, width: usize, height: usize) -> Geometry {
        if (width, height) == (self.width, self.height) {
            return self.clone();
        }
        let n = self.width * self.height;
        if n == 0 || width * height == 0 || self.depth.len() != n || self.normals.len() != n {
            return Geometry::flat(width, height);
        }
        let depth = resize(
            Plane::new(&self.depth, self.width, self.height, 1),
            width,
            height,
        );
        let n = resize(
            Plane::new(self.normals.as_flattened(), self.width, self.height, 3),
            width,
            height,
        );
        let mut normals = vec![[0.0f32; 3]; width * height];
        normals
            .par_chunks_mut(width)
            .zip(n.par_chunks(width * 3))
            .for_each(|(row, c)| {
                for (o, c) in row.iter_mut().zip(c.chunks_exact(3)) {
                    *o = normalize([c[0], c[1], c[2]]);
                }
            });
        Geometry {
            width,
            height,
            depth,
            normals,
        }
    }

    /// The normals pass: RGB = camera-space x, y, z in -1..1.
    pub fn normals_frame(&self, index: i64) -> Frame {
        let data = self.normals.iter().flatten().copied().collect();
        Frame {
            index,
            width: self.width,
            height: self.height,
            channels: 3,
            data,
        }
    }

    /// The depth pass: one channel, distance along the view axis.
    pub fn depth_frame(&self, index: i64) -> Frame {
        Frame {
            index,
            width: self.width,
            height: self.height,
            channels: 1,
            data: self.depth.clone(),
        }
    }
}

/// A pass must match the shot's size and have the channels it needs.
fn check_pass(
    path: &Path,
    what: &str,
    pass: &Frame,
    w: usize,
    h: usize,
    channels: usize,
) -> Result<()> {
    if (pass.width, pass.height) != (w, h) {
        return Err(Error::input(
            path,
            format!(
                "{what} is {}x{} but the shot is {w}x{h}; give a pass of the shot's size",
                pass.width, pass.height
            ),
        ));
    }
    if pass.channels < channels {
        return Err(Error::input(
            path,
            format!(
                "{what} has {} channel{}; it needs {channels} ({})",
                pass.channels,
                if pass.channels == 1 { "" } else { "s" },
                if channels == 3 {
                    "x, y, z in camera space"
                } else {
                    "depth"
                }
            ),
        ));
    }
    if pass.data.len() != w * h * pass.channels {
        return Err(Error::input(
            path,
            format!(
                "{what} has {} samples for {w}x{h}x{}",
                pass.data.len(),
                pass.channels
            ),
        ));
    }
    Ok(())
}

/// How the built-in estimate shapes the scene.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct EstimateOptions {
    /// Tilt of the background plane in degrees: 0 = a wall facing the
    /// camera, positive = a floor (facing up, receding towards the top of
    /// frame), negative = a ceiling.
    pub background_tilt_deg: f32,
    /// Horizontal field of view of the camera.
    pub fov_deg: f32,
    /// Weight of the fine normals read from image detail (0 = none).
    pub detail: f32,
    /// Long side of the resolution the smooth shape is built at; it is
    /// smooth, so a bounded size keeps cost and memory low at any
    /// resolution.
    pub work_side: usize,
}

impl Default for EstimateOptions {
    fn default() -> Self {
        EstimateOptions {
            background_tilt_deg: 0.0,
            fov_deg: 50.0,
            detail: 0.3,
            work_side: 960,
        }
    }
}

/// The subject stands this fraction of the background's distance from
/// the camera: in front of it, so it can cast a shadow on it.
const SUBJECT_DISTANCE: f32 = 0.9;
/// The background plane stops this far away (beyond a floor's horizon).
const FAR_PLANE: f32 = 20.0;

/// The built-in geometry at the frame's resolution: a background plane,
/// the subject (mask 0..1, frame size, 1 = subject) inflated from its
/// silhouette, and fine normals from image detail. Uses the default
/// detail weight and working resolution of [`EstimateOptions`].
pub fn built_in_geometry(
    frame: &Frame,
    subject_mask: Option<&[f32]>,
    background_tilt_deg: f32,
    fov_deg: f32,
) -> Result<Geometry> {
    let opts = EstimateOptions {
        background_tilt_deg,
        fov_deg,
        ..EstimateOptions::default()
    };
    let coarse = estimate_shape(frame, subject_mask, &opts)?;
    let mut g = coarse.resized(frame.width, frame.height);
    add_detail(&mut g, frame, opts.detail)?;
    Ok(g)
}

/// The smooth part of the built-in estimate (plane and inflated subject,
/// no image detail) at the working resolution of `opts`.
pub fn estimate_shape(
    frame: &Frame,
    subject_mask: Option<&[f32]>,
    opts: &EstimateOptions,
) -> Result<Geometry> {
    let (w, h) = (frame.width, frame.height);
    if w == 0 || h == 0 {
        return Err(Error::Internal(format!("frame {} is empty", frame.index)));
    }
    let (ww, wh) = working_size(w, h, opts);
    let f = focal_length(ww, opts.fov_deg);
    let mut depth = background_depth(ww, wh, opts.background_tilt_deg, f);
    if let Some(mask) = subject_mask {
        if mask.len() != w * h {
            return Err(Error::input(
                "subject matte",
                format!(
                    "the matte of frame {} has {} pixels, the frame is {w}x{h}",
                    frame.index,
                    mask.len()
                ),
            ));
        }
        let low = resize(Plane::new(mask, w, h, 1), ww, wh);
        inflate(&low, ww, wh, f, &mut depth);
    }
    Ok(Geometry::from_depth(depth, ww, wh, opts.fov_deg))
}

/// The size [`estimate_shape`] builds a `w`x`h` frame's shape at.
pub fn working_size(w: usize, h: usize, opts: &EstimateOptions) -> (usize, usize) {
    let s = (opts.work_side.max(16) as f32 / w.max(h) as f32).min(1.0);
    let ww = ((w as f32 * s).round() as usize).max(1);
    let wh = ((h as f32 * s).round() as usize).max(1);
    (ww, wh)
}

/// Depth of the background plane through each pixel: distance 1 at the
/// centre of frame, tilted about the horizontal axis by `tilt_deg`.
fn background_depth(w: usize, h: usize, tilt_deg: f32, f: f32) -> Vec<f32> {
    let t = (tilt_deg as f64).to_radians();
    let (st, ct) = (t.sin(), t.cos());
    let mut depth = Vec::with_capacity(w * h);
    for y in 0..h {
        let v = (y as f64 + 0.5 - h as f64 / 2.0) / f as f64;
        let den = ct + v * st;
        let d = if den > ct / FAR_PLANE as f64 {
            (ct / den) as f32
        } else {
            FAR_PLANE
        };
        depth.extend(std::iter::repeat_n(d.min(FAR_PLANE), w));
    }
    depth
}

/// Raise the subject out of the background: the distance to the
/// silhouette `r` becomes a height `sqrt(r (2R - r))` (R the largest
/// distance), which turns a disc into a sphere and gives any silhouette
/// round edges whose normals turn sideways, then smoothed to remove the
/// creases of the medial axis.
fn inflate(mask: &[f32], w: usize, h: usize, f: f32, depth: &mut [f32]) {
    let inside: Vec<bool> = mask.iter().map(|m| *m > 0.5).collect();
    let count = inside.iter().filter(|v| **v).count();
    if count == 0 || count == w * h {
        return;
    }
    let dist = euclidean_to_outside(&inside, w, h);
    let r_max = dist.iter().copied().fold(0.0f32, f32::max).max(0.5);
    let mut height: Vec<f32> = dist
        .iter()
        .map(|&d| {
            let d = d.min(r_max);
            (d * (2.0 * r_max - d)).max(0.0).sqrt()
        })
        .collect();
    let blur = ((r_max / 8.0).round() as usize).max(1);
    height = box_mean(
        Plane::new(&box_mean(Plane::new(&height, w, h, 1), blur), w, h, 1),
        blur,
    );
    // The subject's feet: its lowest row rests on the background there.
    let bottom = (0..h)
        .rev()
        .find(|&y| inside[y * w..(y + 1) * w].iter().any(|v| *v))
        .unwrap_or(h - 1);
    let row = &depth[bottom * w..(bottom + 1) * w];
    let (sum, n) = row
        .iter()
        .zip(&inside[bottom * w..(bottom + 1) * w])
        .filter(|(_, i)| **i)
        .fold((0.0f32, 0usize), |(s, n), (d, _)| (s + d, n + 1));
    let base = SUBJECT_DISTANCE * if n > 0 { sum / n as f32 } else { 1.0 };
    // The relief stands on a plane facing the camera at `base`: a point
    // raised by `H` towards the camera is seen farther from the frame's
    // centre than its foot, so each pixel's ray meets the relief at the
    // height of a foot nearer the centre. A few fixed-point steps find it;
    // without them perspective would stretch the shape's front and make
    // it too pointed.
    let (cx, cy) = (w as f32 / 2.0 - 0.5, h as f32 / 2.0 - 0.5);
    depth.par_chunks_mut(w).enumerate().for_each(|(y, row)| {
        for (x, d) in row.iter_mut().enumerate() {
            if !inside[y * w + x] {
                continue;
            }
            let mut z = base * (1.0 - (height[y * w + x] / f).min(0.9));
            for _ in 0..4 {
                let s = z / base;
                let mut hh = [0.0f32];
                sample(
                    Plane::new(&height, w, h, 1),
                    cx + (x as f32 - cx) * s,
                    cy + (y as f32 - cy) * s,
                    &mut hh,
                );
                z = base * (1.0 - (hh[0] / f).min(0.9));
            }
            *d = z;
        }
    });
}

/// Fine normals from image structure, added to `g` (which must be the
/// frame's size): log-luminance detail (a high-pass, so the shot's own
/// large-scale shading is not read as shape) is treated as a small height
/// field, bright = raised, and tilts the normals by `strength`.
pub fn add_detail(g: &mut Geometry, frame: &Frame, strength: f32) -> Result<()> {
    let (w, h) = (frame.width, frame.height);
    if strength == 0.0 || w == 0 || h == 0 {
        return Ok(());
    }
    if (g.width, g.height) != (w, h)
        || g.normals.len() != w * h
        || frame.channels == 0
        || frame.data.len() != w * h * frame.channels
    {
        return Err(Error::Internal(format!(
            "geometry {}x{} for a {w}x{h} frame",
            g.width, g.height
        )));
    }
    g.normals
        .par_chunks_mut(BAND_ROWS * w)
        .enumerate()
        .for_each(|(b, rows)| {
            let y0 = b * BAND_ROWS;
            detail::with_scratch(|s| {
                let band = detail::Band::new(frame, strength, y0..y0 + rows.len() / w, s);
                for (k, row) in rows.chunks_mut(w).enumerate() {
                    for (x, n) in row.iter_mut().enumerate() {
                        *n = band.tilted(*n, x, y0 + k);
                    }
                }
            })
        });
    Ok(())
}

/// Luminance of one pixel as [`Frame::luminance`] reads it.
#[inline]
pub(crate) fn grey(p: &[f32]) -> f32 {
    if p.len() >= 3 {
        luma(p)
    } else {
        p[0]
    }
}

/// Display-encoded (gamma 2.2) luminance of a frame, rows in parallel.
fn display_luminance(frame: &Frame) -> Vec<f32> {
    let (w, c) = (frame.width.max(1), frame.channels.max(1));
    let mut lum = vec![0.0f32; frame.width * frame.height];
    lum.par_chunks_mut(w)
        .zip(frame.data.par_chunks(w * c))
        .for_each(|(row, src)| {
            for (l, p) in row.iter_mut().zip(src.chunks_exact(c)) {
                *l = grey(p).max(0.0).powf(1.0 / 2.2);
            }
        });
    lum
}

/// What the temporal stabilisation compares frames by: display-encoded
/// luminance at `w`x`h`, lightly blurred so noise does not read as motion.
pub fn stabilisation_guide(frame: &Frame, w: usize, h: usize) -> Vec<f32> {
    let lum = display_luminance(frame);
    let small = resize(Plane::new(&lum, frame.width, frame.height, 1), w, h);
    box_mean(Plane::new(&small, w, h, 1), 1)
}

/// Long side of the pictures the stabilisation's flow is measured on:
/// geometry is smooth, so its motion needs no finer flow, and the cost stays
/// the same at any resolution.
pub const ALIGN_SIDE: usize = 256;

/// The small picture a frame's flow to its neighbours is measured on
/// (luminance, long side [`ALIGN_SIDE`]).
pub fn alignment_guide(frame: &Frame) -> Gray {
    let s = (ALIGN_SIDE as f32 / frame.width.max(frame.height) as f32).min(1.0);
    let w = ((frame.width as f32 * s).round() as usize).max(1);
    let h = ((frame.height as f32 * s).round() as usize).max(1);
    let lum = display_luminance(frame);
    Gray {
        width: w,
        height: h,
        data: resize(Plane::new(&lum, frame.width, frame.height, 1), w, h),
    }
}

/// Flow from a frame to a neighbour on their alignment guides, for
/// [`align`]. Pure function of the pair, so renders stay deterministic.
pub fn alignment_flow(centre: &Gray, neighbour: &Gray) -> Flow {
    let params = FlowParams {
        levels: 5,
        warps: 2,
        iterations: 20,
        ..FlowParams::default()
    };
    flow::estimate(centre, neighbour, None, None, &params)
}

/// A neighbour's geometry and stabilisation guide moved onto the centre
/// frame's pixels along `flow` (measured at any size, centre to
/// neighbour), so blending compares the same surface point in both frames
/// and a moving subject is stabilised too, not only a still background.
pub fn align(geometry: &Geometry, guide: &[f32], flow: &Flow) -> (Geometry, Vec<f32>) {
    let (w, h) = (geometry.width, geometry.height);
    let (sx, sy) = (
        flow.width as f32 / w.max(1) as f32,
        flow.height as f32 / h.max(1) as f32,
    );
    let n = w * h;
    let mut depth = vec![0.0f32; n];
    let mut normals = vec![[0.0f32; 3]; n];
    let mut moved = vec![0.0f32; n];
    let flat: Vec<f32> = geometry.normals.iter().flatten().copied().collect();
    depth
        .par_chunks_mut(w.max(1))
        .zip(normals.par_chunks_mut(w.max(1)))
        .zip(moved.par_chunks_mut(w.max(1)))
        .enumerate()
        .for_each(|(y, ((drow, nrow), grow))| {
            for x in 0..w {
                // Flow pixel centres: (x + 0.5) * s - 0.5.
                let (u, v) = flow.at((x as f32 + 0.5) * sx - 0.5, (y as f32 + 0.5) * sy - 0.5);
                let (tx, ty) = (x as f32 + u / sx, y as f32 + v / sy);
                let mut d = [0.0f32];
                sample(Plane::new(&geometry.depth, w, h, 1), tx, ty, &mut d);
                drow[x] = d[0];
                let mut nn = [0.0f32; 3];
                sample(Plane::new(&flat, w, h, 3), tx, ty, &mut nn);
                nrow[x] = normalize(nn);
                let mut g = [0.0f32];
                sample(Plane::new(guide, w, h, 1), tx, ty, &mut g);
                grow[x] = g[0];
            }
        });
    (
        Geometry {
            width: w,
            height: h,
            depth,
            normals,
        },
        moved,
    )
}

/// How strongly neighbouring frames' geometry is blended in.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Stabilisation {
    /// Frames on each side that take part.
    pub radius: usize,
    /// How far in time (frames) neighbours keep their weight.
    pub time_sigma: f32,
    /// Change of the guide (display-encoded luminance, 0..1) at which a
    /// neighbour's vote fades, so a moving subject leaves no ghost.
    pub motion_sigma: f32,
}

impl Default for Stabilisation {
    fn default() -> Self {
        Stabilisation {
            radius: 2,
            time_sigma: 1.5,
            motion_sigma: 0.06,
        }
    }
}

/// Blend a frame's geometry with its neighbours' (`(offset, geometry,
/// guide)`), each pixel weighted by time distance and by how alike that
/// pixel looks in both frames: where the picture is still, the estimate is
/// averaged and stops flickering; where it moved, the frame keeps its own.
/// Neighbours of another size are ignored.
pub fn stabilise(
    centre: &Geometry,
    centre_guide: &[f32],
    neighbours: &[(isize, &Geometry, &[f32])],
    opts: &Stabilisation,
) -> Geometry {
    let n = centre.width * centre.height;
    let used: Vec<(f32, &Geometry, &[f32])> = neighbours
        .iter()
        .filter(|(dt, g, guide)| {
            *dt != 0
                && dt.unsigned_abs() <= opts.radius
                && (g.width, g.height) == (centre.width, centre.height)
                && g.depth.len() == n
                && g.normals.len() == n
                && guide.len() == n
                && centre_guide.len() == n
        })
        .map(|&(dt, g, guide)| {
            let t = dt as f32;
            (
                (-t * t / (2.0 * opts.time_sigma * opts.time_sigma)).exp(),
                g,
                guide,
            )
        })
        .collect();
    if used.is_empty() || centre.width == 0 || centre.depth.len() != n || centre.normals.len() != n
    {
        return centre.clone();
    }
    let inv_m = 1.0 / (2.0 * opts.motion_sigma * opts.motion_sigma);
    let mut out = centre.clone();
    let w = centre.width;
    out.depth
        .par_chunks_mut(w)
        .zip(out.normals.par_chunks_mut(w))
        .enumerate()
        .for_each(|(y, (drow, nrow))| {
            for x in 0..w {
                let i = y * w + x;
                let mut wsum = 1.0f32;
                let mut d = centre.depth[i];
                let mut nn = centre.normals[i];
                for &(wt, g, guide) in &used {
                    let diff = guide[i] - centre_guide[i];
                    let k = wt * (-diff * diff * inv_m).exp();
                    wsum += k;
                    d += k * g.depth[i];
                    let m = g.normals[i];
                    nn[0] += k * m[0];
                    nn[1] += k * m[1];
                    nn[2] += k * m[2];
                }
                drow[x] = d / wsum;
                nrow[x] = normalize(nn);
            }
        });
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alignment_follows_a_moving_shape() {
        // A bump (depth) painted on a texture, moved by (4, 2) px in the
        // neighbour frame: aligned along the flow, the neighbour's depth
        // lands back on the centre's.
        let (w, h) = (128, 96);
        let scene = |dx: f32, dy: f32| {
            let mut rgb = Vec::with_capacity(w * h * 3);
            let mut depth = Vec::with_capacity(w * h);
            for y in 0..h {
                for x in 0..w {
                    let (sx, sy) = (x as f32 - dx, y as f32 - dy);
                    let t = 0.5
                        + 0.25 * (sx * 0.31).sin() * (sy * 0.23).cos()
                        + 0.15 * ((sx + 2.0 * sy) * 0.11).sin();
                    rgb.extend([t, t, t]);
                    let r2 = (sx - 60.0).powi(2) + (sy - 45.0).powi(2);
                    depth.push(2.0 - (-r2 / 300.0).exp());
                }
            }
            let frame = Frame::from_data(0, w, h, 3, rgb).unwrap();
            (frame, Geometry::from_depth(depth, w, h, 50.0))
        };
        let (cf, cg) = scene(0.0, 0.0);
        let (nf, ng) = scene(4.0, 2.0);
        let flow = alignment_flow(&alignment_guide(&cf), &alignment_guide(&nf));
        let guide = stabilisation_guide(&nf, w, h);
        let (aligned, _) = align(&ng, &guide, &flow);
        let err = |g: &Geometry| {
            let mut e = 0.0f32;
            for y in 12..h - 12 {
                for x in 12..w - 12 {
                    let i = y * w + x;
                    e = e.max((g.depth[i] - cg.depth[i]).abs());
                }
            }
            e
        };
        let (before, after) = (err(&ng), err(&aligned));
        eprintln!("worst depth error: unaligned {before}, aligned {after}");
        assert!(before > 0.1, "{before}");
        assert!(after < 0.2 * before, "aligned {after}, unaligned {before}");
    }
}
