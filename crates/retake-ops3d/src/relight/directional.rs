//! The shading factors of one row, with image detail, for the common
//! lighting: one directional light, no rim, no shadows (the presets
//! `key`, `fill`, `noon`, `blue-hour` and `night`, and the default light).
//!
//! Per pixel this is [`super::detail::Band::tilted`] followed by the
//! shading's factor, the same operations in the same order (no FMA, every
//! division kept a division), so the bits are those of the per-pixel path.
//! Laid out as plain rows without branches, the loop runs eight pixels at a
//! time where the CPU has AVX2: that per-pixel path, bound by one square
//! root and four divisions after another, was most of relight's own time.

use super::light::{LightSource, Lighting};

/// One directional light's constants, as the shading uses them.
#[derive(Clone, Copy, Debug)]
pub struct Directional {
    towards: [f32; 3],
    softness: f32,
    intensity: f32,
    colour: [f32; 3],
    ambient: [f32; 3],
    grade: [f32; 3],
    /// Weight of the image detail.
    strength: f32,
}

/// A row's working values, kept between rows.
#[derive(Default)]
pub struct RowScratch {
    nx: Vec<f32>,
    ny: Vec<f32>,
    nz: Vec<f32>,
    gx: Vec<f32>,
    factor: [Vec<f32>; 3],
}

/// The detail high-pass rows around one row: the row itself, the rows
/// above and below (the row itself at the frame's edge), and the distance
/// between those two as the vertical gradient divides by it.
pub struct DetailRows<'a> {
    pub up: &'a [f32],
    pub here: &'a [f32],
    pub down: &'a [f32],
    pub span: f32,
}

impl Directional {
    /// `None` unless `lighting` is one directional light without rim and
    /// without shadows (the rest takes the per-pixel path).
    pub fn new(lighting: &Lighting, strength: f32) -> Option<Directional> {
        let [light] = lighting.lights.as_slice() else {
            return None;
        };
        let LightSource::Directional { towards } = light.source else {
            return None;
        };
        let shadows = lighting.shadows > 0.0 && light.intensity != 0.0;
        if light.rim != 0.0 || shadows {
            return None;
        }
        Some(Directional {
            towards,
            softness: light.softness,
            intensity: light.intensity,
            colour: light.colour,
            ambient: lighting.ambient,
            grade: lighting.grade,
            strength,
        })
    }

    /// The factors of one row of `normals` (the base geometry's) tilted by
    /// the detail in `rows`, into `out`.
    pub fn row(
        &self,
        normals: &[[f32; 3]],
        rows: &DetailRows,
        out: &mut [[f32; 3]],
        s: &mut RowScratch,
    ) {
        #[cfg(target_arch = "x86_64")]
        if std::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU has AVX2.
            return unsafe { self.row_avx2(normals, rows, out, s) };
        }
        self.row_body(normals, rows, out, s)
    }

    /// [`Self::row`] eight lanes wide: the same operations, so the same bits.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    fn row_avx2(
        &self,
        normals: &[[f32; 3]],
        rows: &DetailRows,
        out: &mut [[f32; 3]],
        s: &mut RowScratch,
    ) {
        self.row_body(normals, rows, out, s)
    }

    #[inline(always)]
    fn row_body(
        &self,
        normals: &[[f32; 3]],
        rows: &DetailRows,
        out: &mut [[f32; 3]],
        s: &mut RowScratch,
    ) {
        let w = out.len();
        let (up, here, down) = (&rows.up[..w], &rows.here[..w], &rows.down[..w]);
        let normals = &normals[..w];
        for v in [&mut s.nx, &mut s.ny, &mut s.nz, &mut s.gx] {
            v.resize(w, 0.0);
        }
        for f in &mut s.factor {
            f.resize(w, 0.0);
        }
        for (k, n) in normals.iter().enumerate() {
            s.nx[k] = n[0];
            s.ny[k] = n[1];
            s.nz[k] = n[2];
        }
        // Horizontal gradient: central inside, one-sided at the edges.
        for x in [0, w.saturating_sub(1)] {
            if x < w {
                let (xl, xr) = (x.saturating_sub(1), (x + 1).min(w - 1));
                s.gx[x] = (here[xr] - here[xl]) / (xr - xl).max(1) as f32;
            }
        }
        if w >= 3 {
            for ((g, l), r) in s.gx[1..w - 1].iter_mut().zip(here).zip(&here[2..]) {
                *g = (r - l) / 2.0;
            }
        }
        let Directional {
            towards: l,
            softness,
            intensity,
            colour,
            ambient,
            grade,
            strength,
        } = *self;
        let wrap = 1.0 + softness;
        let span = rows.span;
        // Slices of one length, so the loop has no bounds checks.
        let (nxs, nys, nzs, gxs) = (&s.nx[..w], &s.ny[..w], &s.nz[..w], &s.gx[..w]);
        let [fr, fg, fb] = &mut s.factor;
        let (fr, fg, fb) = (&mut fr[..w], &mut fg[..w], &mut fb[..w]);
        for x in 0..w {
            // Band::tilted.
            let gx = gxs[x];
            let gy = (down[x] - up[x]) / span;
            let (dx, dy) = (-strength * gx, strength * gy);
            let m = (dx * dx + dy * dy).sqrt();
            let (dx, dy) = if m > 1.0 { (dx / m, dy / m) } else { (dx, dy) };
            // geometry::normalize.
            let (a, b, c) = (nxs[x] + dx, nys[x] + dy, nzs[x]);
            let len = (a * a + b * b + c * c).sqrt();
            let unit = len > 1e-12 && len.is_finite();
            let (nx, ny, nz) = if unit {
                (a / len, b / len, c / len)
            } else {
                (0.0, 0.0, 1.0)
            };
            // Shader::factor_at for this light.
            let ndl = nx * l[0] + ny * l[1] + nz * l[2];
            let lambert = ((ndl + softness) / wrap).max(0.0);
            let e = intensity * lambert;
            fr[x] = (1.0 + (ambient[0] + colour[0] * e)).max(0.0) * grade[0];
            fg[x] = (1.0 + (ambient[1] + colour[1] * e)).max(0.0) * grade[1];
            fb[x] = (1.0 + (ambient[2] + colour[2] * e)).max(0.0) * grade[2];
        }
        for (x, o) in out.iter_mut().enumerate() {
            *o = [fr[x], fg[x], fb[x]];
        }
    }
}
