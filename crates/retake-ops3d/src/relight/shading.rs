//! Shading: how much light each pixel gains, as a ratio applied to the
//! original picture in linear light.
//!
//! The model: the shot's existing light is taken as the unit, the same at
//! every pixel; a pixel of albedo `a` shows `a · 1`. Adding a light of
//! intensity `k` that reaches the surface at cosine `c` makes it
//! `a · (1 + k c)`, so the output is the input times `(1 + added)`, and the
//! albedo (texture, print, skin detail) is kept exactly whatever the
//! geometry. The grade multiplies last. With nothing added and a neutral
//! grade the factor is exactly 1 and the output is the input.
//!
//! Per pixel and light, with `n` the normal and `l` the unit vector towards
//! the light:
//!
//! ```text
//! lambert = max(0, (n·l + s) / (1 + s))          s = softness (wrap)
//! falloff = 1 / (d² + 0.05)                       point lights; d = distance / scene scale
//! rim     = rim · (1 - n_z)³ · ((1 + cos φ) / 2)² φ = angle between n and l on the frame
//! added   = ambient + Σ colour · falloff · (intensity · lambert · (1 - shadows · occluded) + rim)
//! factor  = max(0, 1 + added) · grade
//! ```

use std::ops::Range;

use rayon::prelude::*;

use super::detail::{self, BAND_ROWS};
use super::directional::{Directional, RowScratch};
use super::geometry::{add_detail, normalize, Geometry};
use super::light::{Light, LightSource, Lighting};
use retake_core::error::{Error, Result};
use retake_core::frame::Frame;
use retake_imageops::filter::{box_mean, resize};
use retake_imageops::pinhole::{back_project, focal_length, project};
use retake_imageops::plane::Plane;

/// Keeps a point light's falloff finite next to the light.
pub const POINT_SOFTENING: f32 = 0.05;

/// Exponent of the rim term's grazing-angle profile.
pub const RIM_POWER: i32 = 3;

/// Light reaching a surface `distance` (in units of the scene's scale)
/// from a point light, relative to one at distance 1: inverse square,
/// softened close to the light.
#[inline]
pub fn point_falloff(distance: f32) -> f32 {
    1.0 / (distance * distance + POINT_SOFTENING)
}

/// Where a point light is in camera space.
fn point_position(x: f32, y: f32, depth: f32, g: &Geometry, focal: f32, scale: f32) -> [f32; 3] {
    back_project(
        x * g.width as f32 - 0.5,
        y * g.height as f32 - 0.5,
        depth * scale,
        g.width,
        g.height,
        focal,
    )
}

/// Direction towards the light from `p` and its falloff there.
#[inline]
fn towards(light: &Light, position: Option<[f32; 3]>, p: [f32; 3], scale: f32) -> ([f32; 3], f32) {
    match (light.source, position) {
        (LightSource::Point { .. }, Some(lp)) => {
            let v = [lp[0] - p[0], lp[1] - p[1], lp[2] - p[2]];
            let dist = (v[0] * v[0] + v[1] * v[1] + v[2] * v[2]).sqrt();
            (normalize(v), point_falloff(dist / scale))
        }
        (LightSource::Directional { towards }, _) => (towards, 1.0),
        (LightSource::Point { .. }, None) => ([0.0, 0.0, 1.0], 0.0),
    }
}

/// How much an edge with normal `n` faces a light in direction `l`, seen
/// on the frame: 1 facing it, 0 turned away; every edge for a light on the
/// view axis.
#[inline]
fn facing(n: [f32; 3], l: [f32; 3]) -> f32 {
    let ln = (l[0] * l[0] + l[1] * l[1]).sqrt();
    let nn = (n[0] * n[0] + n[1] * n[1]).sqrt();
    if ln < 1e-3 {
        return 1.0;
    }
    if nn < 1e-6 {
        return 0.0;
    }
    let c = (n[0] * l[0] + n[1] * l[1]) / (ln * nn);
    let f = 0.5 * (1.0 + c);
    f * f
}

/// The shading factor (RGB per pixel) that [`apply`] multiplies the
/// picture by. `fov_deg` is the camera's horizontal field of view.
pub fn shading(g: &Geometry, lighting: &Lighting, fov_deg: f32) -> Vec<[f32; 3]> {
    let (w, h) = (g.width, g.height);
    let Some(shader) = Shader::new(g, lighting, fov_deg) else {
        return vec![[1.0; 3]; w * h];
    };
    let mut out = vec![[0.0f32; 3]; w * h];
    out.par_chunks_mut(w).enumerate().for_each(|(y, row)| {
        for (x, o) in row.iter_mut().enumerate() {
            *o = shader.factor(x, y);
        }
    });
    out
}

/// The picture relit: [`apply`] of [`shading`] in one pass, with no
/// frame-sized factor kept in between (the same values, bit for bit).
pub fn relit(
    frame: &Frame,
    g: &Geometry,
    lighting: &Lighting,
    fov_deg: f32,
    mask: Option<&[f32]>,
    keep_alpha: bool,
) -> Result<Frame> {
    check_size(frame, g)?;
    let w = frame.width;
    match Shader::new(g, lighting, fov_deg) {
        Some(shader) => apply_rows(frame, mask, keep_alpha, |rows, emit| {
            let mut factors = vec![[0.0f32; 3]; w];
            for y in rows {
                for (x, f) in factors.iter_mut().enumerate() {
                    *f = shader.factor(x, y);
                }
                emit(y, &factors);
            }
        }),
        None => apply_uniform(frame, mask, keep_alpha),
    }
}

/// The picture relit on `base` geometry with image detail of weight
/// `detail` added to its normals ([`add_detail`]): the same bits as
/// [`relit`] on that geometry, but the detail, the shading and the
/// multiply are made together a band of rows at a time, so no frame-sized
/// geometry is copied or written. Screen-space shadows march through the
/// finished normals, so with shadows the geometry is made whole first.
pub fn relit_with_detail(
    frame: &Frame,
    base: &Geometry,
    detail: f32,
    lighting: &Lighting,
    fov_deg: f32,
    mask: Option<&[f32]>,
    keep_alpha: bool,
) -> Result<Frame> {
    check_size(frame, base)?;
    let fused = detail != 0.0 && !casts_shadows(lighting);
    let shader = if fused {
        Shader::new(base, lighting, fov_deg)
    } else {
        None
    };
    let (Some(shader), true) = (
        shader,
        frame.data.len() == frame.pixel_count() * frame.channels,
    ) else {
        let mut g = base.clone();
        add_detail(&mut g, frame, detail)?;
        return relit(frame, &g, lighting, fov_deg, mask, keep_alpha);
    };
    let w = frame.width;
    // The common light takes the row path that runs eight pixels at once.
    let directional = Directional::new(lighting, detail);
    apply_rows(frame, mask, keep_alpha, |rows, emit| {
        detail::with_scratch(|s| {
            let band = detail::Band::new(frame, detail, rows.clone(), s);
            let mut factors = vec![[0.0f32; 3]; w];
            if let Some(light) = &directional {
                let mut scratch = RowScratch::default();
                for y in rows {
                    let normals = &base.normals[y * w..(y + 1) * w];
                    light.row(normals, &band.rows_around(y), &mut factors, &mut scratch);
                    emit(y, &factors);
                }
                return;
            }
            for y in rows {
                for (x, f) in factors.iter_mut().enumerate() {
                    let i = y * w + x;
                    let n = band.tilted(base.normals[i], x, y);
                    *f = shader.factor_at(x, y, n, base.depth[i]);
                }
                emit(y, &factors);
            }
        })
    })
}

/// Geometry must be the frame's size to shade it.
fn check_size(frame: &Frame, g: &Geometry) -> Result<()> {
    if (g.width, g.height) != (frame.width, frame.height) {
        return Err(Error::Internal(format!(
            "geometry {}x{} for the {}x{} frame {}",
            g.width, g.height, frame.width, frame.height, frame.index
        )));
    }
    Ok(())
}

/// Whether `lighting` needs the screen-space shadow march.
fn casts_shadows(lighting: &Lighting) -> bool {
    lighting.shadows > 0.0 && lighting.lights.iter().any(|l| l.intensity != 0.0)
}

/// What the shading of one geometry and lighting needs at every pixel,
/// worked out once.
struct Shader<'a> {
    g: &'a Geometry,
    lighting: &'a Lighting,
    focal: f32,
    scale: f32,
    positions: Vec<Option<[f32; 3]>>,
    occlusion: Vec<Option<Vec<f32>>>,
}

impl<'a> Shader<'a> {
    /// `None` when the geometry is empty or inconsistent (factor 1).
    fn new(g: &'a Geometry, lighting: &'a Lighting, fov_deg: f32) -> Option<Shader<'a>> {
        let (w, h) = (g.width, g.height);
        if w == 0 || h == 0 || g.depth.len() != w * h || g.normals.len() != w * h {
            return None;
        }
        let focal = focal_length(w, fov_deg);
        // The scene's scale only places point lights.
        let points = lighting
            .lights
            .iter()
            .any(|l| matches!(l.source, LightSource::Point { .. }));
        let scale = if points { g.scale() } else { 1.0 };
        let positions = lighting
            .lights
            .iter()
            .map(|l| match l.source {
                LightSource::Point { x, y, depth } => {
                    Some(point_position(x, y, depth, g, focal, scale))
                }
                LightSource::Directional { .. } => None,
            })
            .collect();
        let occlusion = lighting
            .lights
            .iter()
            .map(|l| {
                (casts_shadows(lighting) && l.intensity != 0.0)
                    .then(|| shadow_occlusion(g, l, fov_deg))
            })
            .collect();
        Some(Shader {
            g,
            lighting,
            focal,
            scale,
            positions,
            occlusion,
        })
    }

    /// The factor at pixel (`x`, `y`).
    #[inline]
    fn factor(&self, x: usize, y: usize) -> [f32; 3] {
        let i = y * self.g.width + x;
        self.factor_at(x, y, self.g.normals[i], self.g.depth[i])
    }

    /// The factor at pixel (`x`, `y`) with normal `n` and `depth` there
    /// (the geometry's own, or its normal tilted by detail).
    #[inline]
    fn factor_at(&self, x: usize, y: usize, n: [f32; 3], depth: f32) -> [f32; 3] {
        let (g, lighting) = (self.g, self.lighting);
        let (w, h) = (g.width, g.height);
        let i = y * w + x;
        let p = back_project(x as f32, y as f32, depth, w, h, self.focal);
        let mut add = lighting.ambient;
        for (k, light) in lighting.lights.iter().enumerate() {
            let (l, fall) = towards(light, self.positions[k], p, self.scale);
            let ndl = n[0] * l[0] + n[1] * l[1] + n[2] * l[2];
            let s = light.softness;
            let lambert = ((ndl + s) / (1.0 + s)).max(0.0);
            let visible = match &self.occlusion[k] {
                Some(occ) => 1.0 - lighting.shadows * occ[i],
                None => 1.0,
            };
            let mut e = light.intensity * lambert * visible;
            if light.rim != 0.0 {
                let edge = (1.0 - n[2].clamp(0.0, 1.0)).powi(RIM_POWER);
                e += light.rim * edge * facing(n, l);
            }
            e *= fall;
            for (a, c) in add.iter_mut().zip(light.colour) {
                *a += c * e;
            }
        }
        let mut o = [0.0f32; 3];
        for ((o, a), g) in o.iter_mut().zip(add).zip(lighting.grade) {
            *o = (1.0 + a).max(0.0) * g;
        }
        o
    }
}

/// Long side of the depth map the shadow rays march through.
const SHADOW_SIDE: usize = 960;
/// Steps along each shadow ray.
const SHADOW_STEPS: usize = 32;
/// Longest shadow, as a fraction of the frame's long side.
const SHADOW_REACH: f32 = 0.3;
/// Relative depth step between neighbours above which they belong to
/// different objects.
const OBJECT_EDGE: f32 = 0.04;
/// Least thickness of any surface, in units of the scene's scale.
const MIN_THICKNESS: f32 = 0.02;

/// How far behind each visible point its object is assumed to extend:
/// objects are split where depth jumps, and each is taken to be as deep
/// behind its deepest visible point as it is in front of it (exact for a
/// sphere, the inflated subject's own assumption), so a ray that passes
/// behind an object's back is not blocked by it.
fn thickness(depth: &[f32], w: usize, h: usize, scale: f32) -> Vec<f32> {
    fn root(parent: &mut [u32], mut i: u32) -> u32 {
        while parent[i as usize] != i {
            let p = parent[parent[i as usize] as usize];
            parent[i as usize] = p;
            i = p;
        }
        i
    }
    let n = w * h;
    let mut parent: Vec<u32> = (0..n as u32).collect();
    let joined = |a: f32, b: f32| (a - b).abs() <= OBJECT_EDGE * a.max(b);
    for y in 0..h {
        for x in 0..w {
            let i = y * w + x;
            for j in [(x > 0).then(|| i - 1), (y > 0).then(|| i - w)]
                .into_iter()
                .flatten()
            {
                if joined(depth[i], depth[j]) {
                    let (a, b) = (root(&mut parent, i as u32), root(&mut parent, j as u32));
                    // The smaller index becomes the root: independent of order.
                    let (lo, hi) = (a.min(b), a.max(b));
                    parent[hi as usize] = lo;
                }
            }
        }
    }
    let mut deepest = vec![0.0f32; n];
    for (i, &d) in depth.iter().enumerate() {
        let r = root(&mut parent, i as u32) as usize;
        deepest[r] = deepest[r].max(d);
    }
    (0..n)
        .map(|i| {
            let r = root(&mut parent, i as u32) as usize;
            (2.0 * (deepest[r] - depth[i])).max(MIN_THICKNESS * scale)
        })
        .collect()
}

/// Screen-space shadows: for each pixel, march from its 3D point towards
/// the light through the depth map; it is occluded where the ray passes
/// behind a visible surface and within that object's assumed thickness
/// (objects split where depth jumps, each as deep behind its deepest
/// visible point as it is in front of it). Returns 0..1 per pixel of `g`,
/// softened by the light's softness. Marches through a depth map at most
/// 960 pixels on its long side, so the cost is bounded at any resolution.
pub fn shadow_occlusion(g: &Geometry, light: &Light, fov_deg: f32) -> Vec<f32> {
    let (w, h) = (g.width, g.height);
    if w == 0 || h == 0 || g.depth.len() != w * h || g.normals.len() != w * h {
        return vec![0.0; w * h];
    }
    let s = (SHADOW_SIDE as f32 / w.max(h) as f32).min(1.0);
    let sw = ((w as f32 * s).round() as usize).max(1);
    let sh = ((h as f32 * s).round() as usize).max(1);
    let depth = if (sw, sh) == (w, h) {
        g.depth.clone()
    } else {
        resize(Plane::new(&g.depth, w, h, 1), sw, sh)
    };
    let f = focal_length(sw, fov_deg);
    let scale = g.scale();
    let position = match light.source {
        LightSource::Point { x, y, depth: d } => Some(back_project(
            x * sw as f32 - 0.5,
            y * sh as f32 - 0.5,
            d * scale,
            sw,
            sh,
            f,
        )),
        LightSource::Directional { .. } => None,
    };
    let reach = SHADOW_REACH * sw.max(sh) as f32;
    let thick = thickness(&depth, sw, sh, scale);
    let mut occ = vec![0.0f32; sw * sh];
    occ.par_chunks_mut(sw).enumerate().for_each(|(y, row)| {
        for (x, o) in row.iter_mut().enumerate() {
            let d0 = depth[y * sw + x];
            let p = back_project(x as f32, y as f32, d0, sw, sh, f);
            let (dir, limit) = match (light.source, position) {
                (LightSource::Point { .. }, Some(lp)) => {
                    let v = [lp[0] - p[0], lp[1] - p[1], lp[2] - p[2]];
                    let dist = (v[0] * v[0] + v[1] * v[1] + v[2] * v[2]).sqrt();
                    (normalize(v), dist)
                }
                (LightSource::Directional { towards }, _) => (towards, f32::INFINITY),
                _ => continue,
            };
            // Surfaces turned away from the light get none: no need to march.
            let gi = ((y * h / sh).min(h - 1)) * w + (x * w / sw).min(w - 1);
            let n = g.normals[gi];
            if n[0] * dir[0] + n[1] * dir[1] + n[2] * dir[2] <= -light.softness {
                continue;
            }
            // How far along the ray the march must go to cover `reach`
            // pixels on screen (from the screen speed at the start), never
            // past the light or to the camera.
            let eps = 1e-3 * d0;
            let Some((x1, y1)) = project(
                [
                    p[0] + dir[0] * eps,
                    p[1] + dir[1] * eps,
                    p[2] + dir[2] * eps,
                ],
                sw,
                sh,
                f,
            ) else {
                continue;
            };
            let speed = ((x1 - x as f32).powi(2) + (y1 - y as f32).powi(2)).sqrt() / eps;
            if speed.is_nan() || speed <= 1e-6 {
                continue;
            }
            let mut t_max = (reach / speed).min(limit);
            if dir[2] > 0.0 {
                t_max = t_max.min(0.95 * d0 / dir[2]);
            }
            let end = [
                p[0] + dir[0] * t_max,
                p[1] + dir[1] * t_max,
                p[2] + dir[2] * t_max,
            ];
            let Some((ex, ey)) = project(end, sw, sh, f) else {
                continue;
            };
            // March on the screen: a 3D segment projects to a straight
            // line along which 1/depth is linear, so each step costs one
            // division and no projection.
            let (ix0, iy0) = (x as f32, y as f32);
            let (inv0, inv1) = (1.0 / d0, 1.0 / -end[2]);
            let len = ((ex - ix0).powi(2) + (ey - iy0).powi(2)).sqrt();
            if len.is_nan() || len <= 1.5 {
                continue;
            }
            // Start a pixel and a half away so the surface does not shadow itself.
            let a0 = 1.5 / len;
            let mut worst = 0.0f32;
            for k in 0..SHADOW_STEPS {
                let a = a0 + (1.0 - a0) * (k as f32 + 1.0) / SHADOW_STEPS as f32;
                let (qx, qy) = (ix0 + (ex - ix0) * a, iy0 + (ey - iy0) * a);
                if !(qx >= -0.5 && qy >= -0.5) {
                    break;
                }
                let (ix, iy) = ((qx + 0.5) as usize, (qy + 0.5) as usize);
                if ix >= sw || iy >= sh {
                    break;
                }
                let j = iy * sw + ix;
                let surface = depth[j];
                let ray = 1.0 / (inv0 + (inv1 - inv0) * a);
                let behind = ray - surface;
                // Depth changes by about a pixel's footprint per pixel on a
                // slanted surface: a tolerance so it does not shadow itself.
                let bias = ray * (0.005 + 1.5 / f);
                if behind > bias && behind < thick[j] {
                    worst = worst.max(((behind - bias) / bias).min(1.0));
                    if worst >= 1.0 {
                        break;
                    }
                }
            }
            *o = worst;
        }
    });
    let blur = (light.softness * sw.max(sh) as f32 / 200.0).round() as usize;
    if blur > 0 {
        occ = box_mean(Plane::new(&occ, sw, sh, 1), blur);
    }
    if (sw, sh) == (w, h) {
        occ
    } else {
        resize(Plane::new(&occ, sw, sh, 1), w, h)
    }
}

/// Multiply the picture by the shading factor, limited by `mask` (0..1 per
/// pixel; 0 keeps the original): `out = in + m · (in · factor - in)`.
/// The output has the input's RGB, and its alpha when `keep_alpha`.
pub fn apply(
    frame: &Frame,
    factor: &[[f32; 3]],
    mask: Option<&[f32]>,
    keep_alpha: bool,
) -> Result<Frame> {
    if factor.len() != frame.pixel_count() {
        return Err(Error::Internal(format!(
            "shading for frame {} does not fit it ({} factors, {} pixels)",
            frame.index,
            factor.len(),
            frame.pixel_count(),
        )));
    }
    let w = frame.width;
    apply_rows(frame, mask, keep_alpha, |rows, emit| {
        for y in rows {
            emit(y, &factor[y * w..(y + 1) * w]);
        }
    })
}

/// [`apply`] with a factor of 1 everywhere: the picture's RGB (and alpha
/// when `keep_alpha`), unchanged.
pub fn apply_uniform(frame: &Frame, mask: Option<&[f32]>, keep_alpha: bool) -> Result<Frame> {
    let ones = vec![[1.0f32; 3]; frame.width];
    apply_rows(frame, mask, keep_alpha, |rows, emit| {
        for y in rows {
            emit(y, &ones);
        }
    })
}

/// [`apply`] with the factors made a band of rows at a time:
/// `factor_rows(rows, emit)` calls `emit(y, factors of row y)` for each
/// row of `rows` in order (bands run in parallel).
fn apply_rows(
    frame: &Frame,
    mask: Option<&[f32]>,
    keep_alpha: bool,
    factor_rows: impl Fn(Range<usize>, &mut dyn FnMut(usize, &[[f32; 3]])) + Sync,
) -> Result<Frame> {
    let n = frame.pixel_count();
    let ci = frame.channels;
    if mask.is_some_and(|m| m.len() != n) || ci < 3 || frame.data.len() != n * ci {
        return Err(Error::Internal(format!(
            "shading for frame {} does not fit it ({} pixels, {} channels, mask of {})",
            frame.index,
            n,
            ci,
            mask.map_or(n, |m| m.len()),
        )));
    }
    let co = if keep_alpha && ci == 4 { 4 } else { 3 };
    let mut data = retake_core::frame::recycled_buffer(n * co);
    let w = frame.width.max(1);
    data.par_chunks_mut(BAND_ROWS * w * co)
        .zip(frame.data.par_chunks(BAND_ROWS * w * ci))
        .enumerate()
        .for_each(|(b, (out, src))| {
            let y0 = b * BAND_ROWS;
            let rows = out.len() / (w * co);
            factor_rows(y0..y0 + rows, &mut |y, factor| {
                let k = y - y0;
                let out = &mut out[k * w * co..(k + 1) * w * co];
                let src = &src[k * w * ci..(k + 1) * w * ci];
                let mask = mask.map(|m| &m[y * w..(y + 1) * w]);
                if mask.is_none() && ci == co && co == 3 {
                    // The common case as one flat product, eight lanes wide.
                    multiply(out, src, factor.as_flattened());
                    return;
                }
                for (x, ((o, p), f)) in out
                    .chunks_exact_mut(co)
                    .zip(src.chunks_exact(ci))
                    .zip(factor)
                    .enumerate()
                {
                    let m = mask.map_or(1.0, |m| m[x]);
                    for c in 0..3 {
                        let relit = p[c] * f[c];
                        o[c] = if m == 1.0 {
                            relit
                        } else {
                            p[c] + m * (relit - p[c])
                        };
                    }
                    if co == 4 {
                        o[3] = p[3];
                    }
                }
            });
        });
    Frame::from_data(frame.index, frame.width, frame.height, co, data)
}

/// `out = src * factor`, element by element (a row of RGB pixels and
/// their factors; with no mask this is [`apply`]'s product, the same bits).
fn multiply(out: &mut [f32], src: &[f32], factor: &[f32]) {
    #[cfg(target_arch = "x86_64")]
    if std::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU has AVX2.
        return unsafe { multiply_avx2(out, src, factor) };
    }
    multiply_body(out, src, factor)
}

/// [`multiply`] eight lanes wide.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn multiply_avx2(out: &mut [f32], src: &[f32], factor: &[f32]) {
    multiply_body(out, src, factor)
}

#[inline(always)]
fn multiply_body(out: &mut [f32], src: &[f32], factor: &[f32]) {
    for ((o, p), f) in out.iter_mut().zip(src).zip(factor) {
        *o = p * f;
    }
}
