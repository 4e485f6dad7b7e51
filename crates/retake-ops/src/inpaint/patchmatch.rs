//! Built-in exemplar-based spatial fill: multi-scale PatchMatch EM
//! (Wexler, Shechtman & Irani 2007; Barnes et al. 2009; Newson et al. 2014).
//!
//! What no frame of a shot shows has to be invented from the picture itself,
//! and a smooth interpolation reads as a smudge; copying whole patches of the
//! surrounding texture keeps grain and structure. The search runs coarse to
//! fine so that large holes get their layout from a small picture, where a
//! patch sees most of the hole's surroundings, and their detail at full size.
//!
//! Everything is single-threaded and every random draw comes from a counter
//! keyed by seed, level, step and pixel, so the result is bit-identical on
//! any thread and in any batch (the caller runs frames in parallel).

use super::{HoleImage, SpatialFill};
use retake_core::error::{Error, Result};

/// Parameters of the PatchMatch filler.
#[derive(Clone, Debug)]
pub struct PatchMatchParams {
    /// Side of the square patches, odd, 3..=15. Larger patches keep bigger
    /// structures together but need a wider known band around the hole.
    pub patch_size: usize,
    /// PatchMatch sweeps (propagation + random search) per EM step.
    pub iterations: usize,
    /// EM steps (search, then vote) per pyramid level; the finest level uses
    /// about half, as it starts from an already converged coarser solution.
    pub em_steps: usize,
    /// Seed of the deterministic random search.
    pub seed: u64,
}

impl Default for PatchMatchParams {
    fn default() -> Self {
        Self {
            patch_size: 7,
            iterations: 4,
            em_steps: 5,
            seed: 0x5EED_F111_0000_0001,
        }
    }
}

/// Multi-scale PatchMatch EM hole filler.
#[derive(Clone, Debug)]
pub struct PatchMatch {
    params: PatchMatchParams,
}

impl PatchMatch {
    pub fn new(params: PatchMatchParams) -> Result<Self> {
        if params.patch_size.is_multiple_of(2) || !(3..=15).contains(&params.patch_size) {
            return Err(Error::parameter(
                "patch-size",
                format!(
                    "must be odd and between 3 and 15, got {}",
                    params.patch_size
                ),
            ));
        }
        if params.iterations == 0 {
            return Err(Error::parameter("iterations", "must be at least 1"));
        }
        if params.em_steps == 0 {
            return Err(Error::parameter("em-steps", "must be at least 1"));
        }
        Ok(Self { params })
    }

    pub fn params(&self) -> &PatchMatchParams {
        &self.params
    }
}

impl Default for PatchMatch {
    /// The default parameters, which are valid by construction.
    fn default() -> Self {
        Self {
            params: PatchMatchParams::default(),
        }
    }
}

impl SpatialFill for PatchMatch {
    fn name(&self) -> &str {
        "patchmatch"
    }

    fn fill(&self, image: &mut HoleImage) -> Result<()> {
        fill_image(&self.params, image)
    }
}

/// Hard cap on pyramid depth; a level count above this would mean a picture
/// of more than 2^16 pixels a side.
const MAX_LEVELS: usize = 16;

/// EM stops early at a level once the mean change of the hole (in the
/// compressed space) falls below this: further steps would not change what
/// anyone sees, and they cost as much as the first.
const EM_TOLERANCE: f32 = 1e-4;

fn fill_image(params: &PatchMatchParams, image: &mut HoleImage) -> Result<()> {
    let (w, h) = (image.width, image.height);
    let pixels = w
        .checked_mul(h)
        .ok_or_else(|| Error::Internal(format!("patchmatch: image size {w}x{h} overflows")))?;
    // Pixel positions are kept as u32 to halve the field's memory traffic.
    if pixels > u32::MAX as usize {
        return Err(Error::Internal(format!(
            "patchmatch: a {w}x{h} crop is too large to fill in one piece"
        )));
    }
    if image.hole.len() != pixels {
        return Err(Error::Internal(format!(
            "patchmatch: hole mask has {} flags for a {w}x{h} image",
            image.hole.len()
        )));
    }
    if pixels.checked_mul(3) != Some(image.rgb.len()) {
        return Err(Error::Internal(format!(
            "patchmatch: image has {} values for {w}x{h} RGB",
            image.rgb.len()
        )));
    }
    let holes = image.hole.iter().filter(|h| **h).count();
    if holes == 0 {
        return Ok(());
    }
    if holes == pixels {
        return Err(Error::Internal(
            "patchmatch: the hole covers the whole image, there is nothing to copy from".into(),
        ));
    }

    // NaN or infinity in a known pixel would poison every sum it enters;
    // treat them as black for the search and the vote.
    let lin: Vec<f32> = image
        .rgb
        .iter()
        .map(|v| if v.is_finite() { *v } else { 0.0 })
        .collect();
    let mut levels = vec![Level {
        w,
        h,
        lin,
        hole: image.hole.clone(),
    }];

    // A known band thinner than the requested patch would leave no source
    // at all; smaller patches still give a texture fill, which beats failing.
    let mut patch = params.patch_size;
    while patch >= 3 && count_sources(&levels[0], patch / 2) == 0 {
        patch -= 2;
    }
    if patch < 3 {
        return Err(Error::Internal(format!(
            "patchmatch: no fully known 3x3 patch outside the hole in the {w}x{h} image, \
             there is nothing to copy from"
        )));
    }
    let r = patch / 2;

    // Coarsen until the hole is a few patches across, as long as the smaller
    // picture still has whole known patches to copy from.
    while levels.len() < MAX_LEVELS {
        let Some(cur) = levels.last() else { break };
        if hole_extent(cur) <= 2 * patch {
            break;
        }
        let next = downsample(cur);
        if next.w.min(next.h) < 2 * patch || count_sources(&next, r) == 0 {
            break;
        }
        levels.push(next);
    }

    let mut solver: Option<Solver> = None;
    for (index, level) in levels.iter().enumerate().rev() {
        let mut s = Solver::new(level, r);
        let key = [params.seed, index as u64];
        match &solver {
            None => {
                onion_peel(s.w, s.h, &mut s.lin, &s.hole);
                s.refresh_compressed();
                s.random_nnf(key);
            }
            Some(coarse) => {
                s.upsample_nnf(coarse, key);
                s.reconstruct(false);
            }
        }
        let steps = if index == 0 && levels.len() > 1 {
            params.em_steps.div_ceil(2)
        } else {
            params.em_steps
        };
        for step in 0..steps {
            s.refresh_distances();
            for it in 0..params.iterations {
                s.sweep(
                    it % 2 == 0,
                    [params.seed, index as u64, step as u64, it as u64],
                );
            }
            let change = s.reconstruct(true);
            if change < EM_TOLERANCE {
                break;
            }
        }
        solver = Some(s);
    }

    let s = solver.ok_or_else(|| Error::Internal("patchmatch: empty pyramid".into()))?;
    for (q, hole) in image.hole.iter().enumerate() {
        if *hole {
            image.rgb[q * 3..q * 3 + 3].copy_from_slice(&s.lin[q * 3..q * 3 + 3]);
        }
    }
    Ok(())
}

/// One pyramid level: linear RGB (valid only where known) and its hole.
struct Level {
    w: usize,
    h: usize,
    lin: Vec<f32>,
    hole: Vec<bool>,
}

/// Halves a level. A coarse pixel is hole when most of its fine pixels are;
/// a known coarse pixel is the average of its known fine pixels only. Being
/// any stricter erases thin known bands between hole strokes at coarse
/// levels, leaving only the largest known area (often the sky) to copy from.
fn downsample(l: &Level) -> Level {
    let (w, h) = (l.w.div_ceil(2), l.h.div_ceil(2));
    let mut lin = vec![0.0f32; w * h * 3];
    let mut hole = vec![false; w * h];
    for y in 0..h {
        for x in 0..w {
            let mut sum = [0.0f32; 3];
            let mut known = 0.0f32;
            let mut total = 0.0f32;
            for fy in 2 * y..(2 * y + 2).min(l.h) {
                for fx in 2 * x..(2 * x + 2).min(l.w) {
                    let q = fy * l.w + fx;
                    total += 1.0;
                    if l.hole[q] {
                        continue;
                    }
                    for (s, v) in sum.iter_mut().zip(&l.lin[q * 3..q * 3 + 3]) {
                        *s += v;
                    }
                    known += 1.0;
                }
            }
            let q = y * w + x;
            hole[q] = known * 2.0 < total || known == 0.0;
            if !hole[q] {
                for c in 0..3 {
                    lin[q * 3 + c] = sum[c] / known;
                }
            }
        }
    }
    Level { w, h, lin, hole }
}

/// The hole's width across its narrowest direction: twice the largest
/// chessboard distance from a hole pixel to a known one. This, not the
/// bounding box, decides how far a coarse solution has to reach: a long
/// thin scratch needs no pyramid at all.
fn hole_extent(l: &Level) -> usize {
    let (w, h) = (l.w, l.h);
    let far = u32::MAX / 2;
    let mut d: Vec<u32> = l.hole.iter().map(|h| if *h { far } else { 0 }).collect();
    for y in 0..h {
        for x in 0..w {
            let q = y * w + x;
            let mut v = d[q];
            if x > 0 {
                v = v.min(d[q - 1] + 1);
            }
            if y > 0 {
                v = v.min(d[q - w] + 1);
                if x > 0 {
                    v = v.min(d[q - w - 1] + 1);
                }
                if x + 1 < w {
                    v = v.min(d[q - w + 1] + 1);
                }
            }
            d[q] = v;
        }
    }
    let mut max = 0;
    for y in (0..h).rev() {
        for x in (0..w).rev() {
            let q = y * w + x;
            let mut v = d[q];
            if x + 1 < w {
                v = v.min(d[q + 1] + 1);
            }
            if y + 1 < h {
                v = v.min(d[q + w] + 1);
                if x + 1 < w {
                    v = v.min(d[q + w + 1] + 1);
                }
                if x > 0 {
                    v = v.min(d[q + w - 1] + 1);
                }
            }
            d[q] = v;
            max = max.max(v);
        }
    }
    2 * max as usize
}

/// Summed-area table of hole flags, `(w + 1) * (h + 1)`, so "is any pixel of
/// this window a hole" costs four lookups.
fn hole_integral(w: usize, h: usize, hole: &[bool]) -> Vec<u32> {
    let mut s = vec![0u32; (w + 1) * (h + 1)];
    for y in 0..h {
        let mut row = 0u32;
        for x in 0..w {
            row += u32::from(hole[y * w + x]);
            s[(y + 1) * (w + 1) + x + 1] = s[y * (w + 1) + x + 1] + row;
        }
    }
    s
}

/// Hole count in the window of radius `r` around `(x, y)`, clipped to the image.
fn window_holes(s: &[u32], w: usize, h: usize, x: usize, y: usize, r: usize) -> u32 {
    let (x0, x1) = (x.saturating_sub(r), (x + r + 1).min(w));
    let (y0, y1) = (y.saturating_sub(r), (y + r + 1).min(h));
    let sw = w + 1;
    s[y1 * sw + x1] + s[y0 * sw + x0] - s[y0 * sw + x1] - s[y1 * sw + x0]
}

fn is_source(s: &[u32], w: usize, h: usize, x: usize, y: usize, r: usize) -> bool {
    x >= r && y >= r && x + r < w && y + r < h && window_holes(s, w, h, x, y, r) == 0
}

fn count_sources(l: &Level, r: usize) -> usize {
    let s = hole_integral(l.w, l.h, &l.hole);
    let mut n = 0;
    for y in r..l.h.saturating_sub(r) {
        for x in r..l.w.saturating_sub(r) {
            n += usize::from(is_source(&s, l.w, l.h, x, y, r));
        }
    }
    n
}

/// Initial guess at the coarsest level: peel the hole layer by layer from
/// its border, each pixel the mean of its already-filled 8-neighbours. Noise
/// would send the first search to random patches; a smooth guess carrying
/// the border colours inwards lets it pick patches that fit the surroundings.
fn onion_peel(w: usize, h: usize, lin: &mut [f32], hole: &[bool]) {
    let mut filled: Vec<bool> = hole.iter().map(|h| !h).collect();
    let mut layer: Vec<(usize, [f32; 3])> = Vec::new();
    loop {
        layer.clear();
        for y in 0..h {
            for x in 0..w {
                let q = y * w + x;
                if filled[q] {
                    continue;
                }
                let mut sum = [0.0f32; 3];
                let mut n = 0.0f32;
                for ny in y.saturating_sub(1)..(y + 2).min(h) {
                    for nx in x.saturating_sub(1)..(x + 2).min(w) {
                        let p = ny * w + nx;
                        if filled[p] {
                            for c in 0..3 {
                                sum[c] += lin[p * 3 + c];
                            }
                            n += 1.0;
                        }
                    }
                }
                if n > 0.0 {
                    layer.push((q, [sum[0] / n, sum[1] / n, sum[2] / n]));
                }
            }
        }
        if layer.is_empty() {
            break;
        }
        for (q, v) in &layer {
            lin[q * 3..q * 3 + 3].copy_from_slice(v);
            filled[*q] = true;
        }
    }
}

/// Patch distances are taken on a log-like curve of the linear values, so a
/// specular highlight at 20.0 does not outweigh all the texture around it
/// at 0.1. Sign-preserving, as scene-linear values may dip below zero.
fn compress(v: f32) -> f32 {
    v.signum() * v.abs().ln_1p()
}

/// splitmix64: tiny, statistically fine for a random search, and keyed
/// entirely by its inputs, so no draw depends on which thread ran first.
struct Rng(u64);

impl Rng {
    fn keyed(key: &[u64], pixel: usize) -> Self {
        let mut r = Rng(0x243F_6A88_85A3_08D3);
        for k in key {
            r.0 ^= *k;
            r.next();
        }
        r.0 ^= pixel as u64;
        r.next();
        r
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n`, for `n` below 2^32.
    fn below(&mut self, n: usize) -> usize {
        (((self.next() >> 32) * n as u64) >> 32) as usize
    }
}

const NONE: u32 = u32::MAX;

/// The EM state of one level.
struct Solver {
    w: usize,
    h: usize,
    /// Patch radius.
    r: usize,
    /// Linear RGB; hole pixels hold the current estimate.
    lin: Vec<f32>,
    /// Compressed values, padded to 4 channels so the distance loop is
    /// plain 4-lane arithmetic.
    comp: Vec<f32>,
    hole: Vec<bool>,
    /// Per pixel: is it the centre of a fully known patch inside the image.
    valid: Vec<bool>,
    /// The centres of `valid`, for uniform draws.
    sources: Vec<u32>,
    /// Centres of the patches that overlap the hole, in raster order.
    targets: Vec<u32>,
    /// Per pixel: its index in `targets`, or `NONE`.
    tindex: Vec<u32>,
    /// Per target: the source centre it copies.
    nnf: Vec<[u32; 2]>,
    /// Per target: the SSD to its source on the current estimate.
    dist: Vec<f32>,
}

impl Solver {
    fn new(level: &Level, r: usize) -> Self {
        let (w, h) = (level.w, level.h);
        let integral = hole_integral(w, h, &level.hole);
        let mut valid = vec![false; w * h];
        let mut sources = Vec::new();
        let mut targets = Vec::new();
        let mut tindex = vec![NONE; w * h];
        for y in 0..h {
            for x in 0..w {
                let q = y * w + x;
                if is_source(&integral, w, h, x, y, r) {
                    valid[q] = true;
                    sources.push(q as u32);
                } else if window_holes(&integral, w, h, x, y, r) > 0 {
                    tindex[q] = targets.len() as u32;
                    targets.push(q as u32);
                }
            }
        }
        let n = targets.len();
        let mut s = Self {
            w,
            h,
            r,
            lin: level.lin.clone(),
            comp: vec![0.0; w * h * 4],
            hole: level.hole.clone(),
            valid,
            sources,
            targets,
            tindex,
            nnf: vec![[0, 0]; n],
            dist: vec![f32::INFINITY; n],
        };
        s.refresh_compressed();
        s
    }

    fn refresh_compressed(&mut self) {
        for (c4, c3) in self.comp.chunks_exact_mut(4).zip(self.lin.chunks_exact(3)) {
            for c in 0..3 {
                c4[c] = compress(c3[c]);
            }
        }
    }

    /// Clamps a candidate centre into the image area where a whole patch
    /// fits and says whether it is a source.
    fn candidate(&self, x: i64, y: i64) -> Option<[u32; 2]> {
        let r = self.r as i64;
        let x = x.clamp(r, self.w as i64 - 1 - r) as usize;
        let y = y.clamp(r, self.h as i64 - 1 - r) as usize;
        self.valid[y * self.w + x].then_some([x as u32, y as u32])
    }

    fn random_source(&self, rng: &mut Rng) -> [u32; 2] {
        // `sources` is never empty: levels without one are not built.
        let q = self
            .sources
            .get(rng.below(self.sources.len()))
            .copied()
            .unwrap_or(0) as usize;
        [(q % self.w) as u32, (q / self.w) as u32]
    }

    fn random_nnf(&mut self, key: [u64; 2]) {
        for ti in 0..self.targets.len() {
            let mut rng = Rng::keyed(&key, self.targets[ti] as usize);
            self.nnf[ti] = self.random_source(&mut rng);
        }
    }

    /// Seeds this level's field from the coarser one: the same source, at
    /// twice the coordinates, shifted by where the pixel sits in its 2x2 block.
    fn upsample_nnf(&mut self, coarse: &Solver, key: [u64; 2]) {
        for ti in 0..self.targets.len() {
            let q = self.targets[ti] as usize;
            let (x, y) = (q % self.w, q / self.w);
            let (cx, cy) = ((x / 2).min(coarse.w - 1), (y / 2).min(coarse.h - 1));
            let ct = coarse.tindex[cy * coarse.w + cx];
            let guess = coarse.nnf.get(ct as usize).and_then(|[sx, sy]| {
                self.candidate(
                    2 * i64::from(*sx) + (x - 2 * cx) as i64,
                    2 * i64::from(*sy) + (y - 2 * cy) as i64,
                )
            });
            self.nnf[ti] = match guess {
                Some(s) => s,
                None => self.random_source(&mut Rng::keyed(&key, q)),
            };
        }
    }

    /// Sum of squared differences (compressed values) between the patch at
    /// target `t` and the one at source `s`, over the part of the target
    /// patch inside the image. Stops once past `bound`: the caller only
    /// wants to know whether it beats its best.
    fn ssd(&self, t: usize, s: [u32; 2], bound: f32) -> f32 {
        let (w, h, r) = (self.w, self.h, self.r);
        let (tx, ty) = (t % w, t / w);
        let (sx, sy) = (s[0] as usize, s[1] as usize);
        let (x0, x1) = (tx.saturating_sub(r), (tx + r).min(w - 1));
        let (y0, y1) = (ty.saturating_sub(r), (ty + r).min(h - 1));
        let n = (x1 - x0 + 1) * 4;
        // Source patches lie wholly inside the image (sx >= r >= tx - x0).
        let sx0 = sx + x0 - tx;
        let mut total = 0.0f32;
        for y in y0..=y1 {
            let a = &self.comp[(y * w + x0) * 4..][..n];
            let b = &self.comp[((sy + y - ty) * w + sx0) * 4..][..n];
            let mut acc = [0.0f32; 4];
            for (pa, pb) in a.chunks_exact(4).zip(b.chunks_exact(4)) {
                for c in 0..4 {
                    let d = pa[c] - pb[c];
                    acc[c] += d * d;
                }
            }
            total += (acc[0] + acc[1]) + (acc[2] + acc[3]);
            if total > bound {
                return total;
            }
        }
        total
    }

    /// Values per target patch (clipped to the image), to make distances of
    /// border patches comparable with the others when weighting the vote.
    fn patch_values(&self, t: usize) -> f32 {
        let (w, h, r) = (self.w, self.h, self.r);
        let (tx, ty) = (t % w, t / w);
        let cols = (tx + r).min(w - 1) - tx.saturating_sub(r) + 1;
        let rows = (ty + r).min(h - 1) - ty.saturating_sub(r) + 1;
        (cols * rows * 3) as f32
    }

    /// The estimate changed since the distances were taken.
    fn refresh_distances(&mut self) {
        for ti in 0..self.targets.len() {
            self.dist[ti] = self.ssd(self.targets[ti] as usize, self.nnf[ti], f32::INFINITY);
        }
    }

    /// One PatchMatch sweep: propagation from the two neighbours already
    /// visited in this scan direction, then random search around the best
    /// match with a radius halving from the image size down to one pixel.
    fn sweep(&mut self, forward: bool, key: [u64; 4]) {
        let n = self.targets.len();
        let step: i64 = if forward { 1 } else { -1 };
        let radius0 = self.w.max(self.h) as i64;
        for k in 0..n {
            let ti = if forward { k } else { n - 1 - k };
            let t = self.targets[ti] as usize;
            let (x, y) = ((t % self.w) as i64, (t / self.w) as i64);
            let mut best = self.nnf[ti];
            let mut best_d = self.dist[ti];

            let neighbours = [(x - step, y), (x, y - step)];
            for (nx, ny) in neighbours {
                if nx < 0 || ny < 0 || nx >= self.w as i64 || ny >= self.h as i64 {
                    continue;
                }
                let nt = self.tindex[ny as usize * self.w + nx as usize];
                let Some(ns) = self.nnf.get(nt as usize) else {
                    continue;
                };
                let cand = self.candidate(i64::from(ns[0]) + (x - nx), i64::from(ns[1]) + (y - ny));
                if let Some(c) = cand {
                    if c != best {
                        let d = self.ssd(t, c, best_d);
                        if d < best_d {
                            best = c;
                            best_d = d;
                        }
                    }
                }
            }

            let mut rng = Rng::keyed(&key, t);
            let mut radius = radius0;
            while radius >= 1 {
                let span = (2 * radius + 1) as usize;
                let cx = i64::from(best[0]) + rng.below(span) as i64 - radius;
                let cy = i64::from(best[1]) + rng.below(span) as i64 - radius;
                if let Some(c) = self.candidate(cx, cy) {
                    if c != best {
                        let d = self.ssd(t, c, best_d);
                        if d < best_d {
                            best = c;
                            best_d = d;
                        }
                    }
                }
                radius /= 2;
            }

            self.nnf[ti] = best;
            self.dist[ti] = best_d;
        }
    }

    /// M-step: every hole pixel becomes the weighted mean of what the
    /// patches covering it copy there, in linear values (never the
    /// compressed ones). Weights follow Wexler et al.: exp(-d / 2 sigma^2)
    /// with sigma^2 the 75th percentile of the patch distances, so poor
    /// matches barely blur good ones. Returns the mean absolute change of
    /// the compressed hole values, to stop EM once it settles.
    fn reconstruct(&mut self, weighted: bool) -> f32 {
        let (w, h, r) = (self.w, self.h, self.r);
        let norm: Vec<f32> = if weighted {
            self.targets
                .iter()
                .zip(&self.dist)
                .map(|(t, d)| d / self.patch_values(*t as usize))
                .collect()
        } else {
            Vec::new()
        };
        let sigma2 = if weighted && !norm.is_empty() {
            let mut sorted = norm.clone();
            let k = (sorted.len() * 3 / 4).min(sorted.len().saturating_sub(1));
            let (_, p75, _) = sorted.select_nth_unstable_by(k, f32::total_cmp);
            f64::from(*p75).max(1e-12)
        } else {
            1.0
        };

        let mut acc = vec![0.0f64; w * h * 3];
        let mut wsum = vec![0.0f64; w * h];
        for (ti, t) in self.targets.iter().enumerate() {
            let t = *t as usize;
            let (tx, ty) = (t % w, t / w);
            let [sx, sy] = self.nnf[ti];
            let (sx, sy) = (sx as usize, sy as usize);
            // Floored so a pixel whose every patch matches badly still gets
            // their plain mean instead of 0/0.
            let weight = if weighted {
                (-f64::from(norm[ti]) / (2.0 * sigma2)).exp().max(1e-300)
            } else {
                1.0
            };
            for y in ty.saturating_sub(r)..=(ty + r).min(h - 1) {
                let srow = (sy + y - ty) * w;
                for x in tx.saturating_sub(r)..=(tx + r).min(w - 1) {
                    let q = y * w + x;
                    if !self.hole[q] {
                        continue;
                    }
                    let s = srow + sx + x - tx;
                    for c in 0..3 {
                        acc[q * 3 + c] += weight * f64::from(self.lin[s * 3 + c]);
                    }
                    wsum[q] += weight;
                }
            }
        }

        let mut change = 0.0f64;
        let mut count = 0usize;
        for q in 0..w * h {
            // Every hole pixel is covered at least by the patch centred on it.
            if !self.hole[q] || wsum[q] <= 0.0 {
                continue;
            }
            for c in 0..3 {
                let v = (acc[q * 3 + c] / wsum[q]) as f32;
                let cv = compress(v);
                change += f64::from((cv - self.comp[q * 4 + c]).abs());
                self.lin[q * 3 + c] = v;
                self.comp[q * 4 + c] = cv;
            }
            count += 3;
        }
        if count == 0 {
            0.0
        } else {
            (change / count as f64) as f32
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filler() -> PatchMatch {
        PatchMatch::new(PatchMatchParams::default()).expect("default parameters are valid")
    }

    /// An image from a function of (x, y), with a square hole.
    fn make(
        w: usize,
        h: usize,
        f: impl Fn(usize, usize) -> [f32; 3],
        hole: (usize, usize, usize, usize),
    ) -> HoleImage {
        let mut rgb = Vec::with_capacity(w * h * 3);
        let mut mask = vec![false; w * h];
        for y in 0..h {
            for x in 0..w {
                rgb.extend_from_slice(&f(x, y));
                let (hx, hy, hw, hh) = hole;
                mask[y * w + x] = x >= hx && x < hx + hw && y >= hy && y < hy + hh;
            }
        }
        HoleImage {
            width: w,
            height: h,
            rgb,
            hole: mask,
        }
    }

    /// Mean absolute error over the hole against the true values.
    fn hole_mae(img: &HoleImage, truth: &[f32]) -> f64 {
        let mut sum = 0.0;
        let mut n = 0;
        for (q, hole) in img.hole.iter().enumerate() {
            if *hole {
                for c in 0..3 {
                    sum += f64::from((img.rgb[q * 3 + c] - truth[q * 3 + c]).abs());
                    n += 1;
                }
            }
        }
        sum / f64::from(n)
    }

    /// The blur baseline: the hole filled by diffusion from its border.
    fn diffusion_fill(img: &HoleImage) -> HoleImage {
        let mut out = img.clone();
        onion_peel(out.width, out.height, &mut out.rgb, &out.hole);
        // Then smooth the guess, as a harmonic fill would.
        for _ in 0..200 {
            let prev = out.rgb.clone();
            for y in 0..out.height {
                for x in 0..out.width {
                    let q = y * out.width + x;
                    if !out.hole[q] {
                        continue;
                    }
                    let mut sum = [0.0f32; 3];
                    let mut n = 0.0;
                    for (dx, dy) in [(-1i64, 0i64), (1, 0), (0, -1), (0, 1)] {
                        let (nx, ny) = (x as i64 + dx, y as i64 + dy);
                        if nx >= 0
                            && ny >= 0
                            && (nx as usize) < out.width
                            && (ny as usize) < out.height
                        {
                            let p = ny as usize * out.width + nx as usize;
                            for (s, v) in sum.iter_mut().zip(&prev[p * 3..p * 3 + 3]) {
                                *s += v;
                            }
                            n += 1.0;
                        }
                    }
                    for (o, s) in out.rgb[q * 3..q * 3 + 3].iter_mut().zip(sum) {
                        *o = s / n;
                    }
                }
            }
        }
        out
    }

    fn stripes(x: usize, y: usize) -> [f32; 3] {
        let s = if x % 8 < 4 { 0.8 } else { 0.2 };
        let v = 0.15 * (y as f32 * std::f32::consts::TAU / 12.0).sin();
        [s + v, 0.5 * s, 0.3 + v]
    }

    #[test]
    fn rejects_bad_parameters() {
        for p in [0, 1, 2, 4, 8, 17] {
            let params = PatchMatchParams {
                patch_size: p,
                ..PatchMatchParams::default()
            };
            assert!(
                matches!(PatchMatch::new(params), Err(Error::Parameter { .. })),
                "patch size {p} accepted"
            );
        }
        for p in [3, 5, 7, 15] {
            let params = PatchMatchParams {
                patch_size: p,
                ..PatchMatchParams::default()
            };
            assert!(PatchMatch::new(params).is_ok(), "patch size {p} rejected");
        }
        for (iterations, em_steps) in [(0, 5), (4, 0)] {
            let params = PatchMatchParams {
                iterations,
                em_steps,
                ..PatchMatchParams::default()
            };
            assert!(matches!(
                PatchMatch::new(params),
                Err(Error::Parameter { .. })
            ));
        }
        assert_eq!(filler().name(), "patchmatch");
    }

    #[test]
    fn rejects_mismatched_buffers() {
        let mut img = make(20, 20, stripes, (5, 5, 4, 4));
        img.rgb.pop();
        assert!(matches!(filler().fill(&mut img), Err(Error::Internal(_))));
        let mut img = make(20, 20, stripes, (5, 5, 4, 4));
        img.hole.push(false);
        assert!(matches!(filler().fill(&mut img), Err(Error::Internal(_))));
    }

    #[test]
    fn known_pixels_unchanged_and_no_hole_untouched() {
        let orig = make(
            64,
            48,
            |x, y| [x as f32 * 0.1, y as f32 * 0.03, ((x * y) % 7) as f32],
            (20, 15, 17, 12),
        );
        let mut img = orig.clone();
        filler().fill(&mut img).expect("fill");
        let mut changed = 0;
        for q in 0..64 * 48 {
            for c in 0..3 {
                let (a, b) = (img.rgb[q * 3 + c], orig.rgb[q * 3 + c]);
                if orig.hole[q] {
                    changed += usize::from(a.to_bits() != b.to_bits());
                    assert!(a.is_finite());
                } else {
                    assert_eq!(a.to_bits(), b.to_bits(), "known pixel {q} changed");
                }
            }
        }
        assert!(changed > 0, "the hole was not filled");

        let mut none = make(40, 30, stripes, (0, 0, 0, 0));
        none.rgb[5] = f32::NAN;
        let before: Vec<u32> = none.rgb.iter().map(|v| v.to_bits()).collect();
        filler().fill(&mut none).expect("no hole");
        let after: Vec<u32> = none.rgb.iter().map(|v| v.to_bits()).collect();
        assert_eq!(before, after);
    }

    #[test]
    fn deterministic() {
        let base = make(
            90,
            70,
            |x, y| {
                let n = ((x * 7919 + y * 104_729) % 97) as f32 / 97.0;
                [n, (x % 11) as f32 / 11.0, (y % 5) as f32 * 0.2]
            },
            (30, 20, 25, 30),
        );
        let mut a = base.clone();
        let mut b = base.clone();
        filler().fill(&mut a).expect("fill a");
        filler().fill(&mut b).expect("fill b");
        let bits = |img: &HoleImage| img.rgb.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&a), bits(&b));
        // And the seed matters, so the random search is really used.
        let mut c = base.clone();
        let other = PatchMatch::new(PatchMatchParams {
            seed: 12345,
            ..PatchMatchParams::default()
        })
        .expect("params");
        other.fill(&mut c).expect("fill c");
        assert_ne!(bits(&a), bits(&c));
    }

    #[test]
    fn constant_image_fills_with_constant() {
        let k = [0.37f32, 2.5, 0.0125];
        let mut img = make(50, 40, |_, _| k, (12, 10, 20, 18));
        filler().fill(&mut img).expect("fill");
        for (q, hole) in img.hole.iter().enumerate() {
            if *hole {
                for (v, want) in img.rgb[q * 3..q * 3 + 3].iter().zip(k) {
                    assert!((v - want).abs() <= 1e-6, "pixel {q}: {v} vs {want}");
                }
            }
        }
    }

    #[test]
    fn periodic_texture_beats_blur() {
        let (w, h) = (96, 96);
        let truth = make(w, h, stripes, (0, 0, 0, 0)).rgb;
        let holed = make(w, h, stripes, (36, 36, 24, 24));
        let mut ours = holed.clone();
        filler().fill(&mut ours).expect("fill");
        let ours_mae = hole_mae(&ours, &truth);
        let blur_mae = hole_mae(&diffusion_fill(&holed), &truth);
        assert!(
            ours_mae * 5.0 < blur_mae,
            "patchmatch MAE {ours_mae} not well below blur MAE {blur_mae}"
        );

        // A checkerboard of 6 px squares, too.
        let checker = |x: usize, y: usize| {
            let v = if (x / 6 + y / 6).is_multiple_of(2) {
                0.9
            } else {
                0.1
            };
            [v, 1.0 - v, 0.5]
        };
        let truth = make(w, h, checker, (0, 0, 0, 0)).rgb;
        let holed = make(w, h, checker, (36, 36, 24, 24));
        let mut ours = holed.clone();
        filler().fill(&mut ours).expect("fill");
        let ours_mae = hole_mae(&ours, &truth);
        let blur_mae = hole_mae(&diffusion_fill(&holed), &truth);
        assert!(
            ours_mae * 5.0 < blur_mae,
            "checkerboard: patchmatch MAE {ours_mae} not well below blur MAE {blur_mae}"
        );
    }

    #[test]
    fn hole_on_the_border() {
        let (w, h) = (80, 64);
        let truth = make(w, h, stripes, (0, 0, 0, 0)).rgb;
        // A corner hole and an edge hole.
        for hole in [(0, 0, 20, 18), (60, 20, 20, 24)] {
            let holed = make(w, h, stripes, hole);
            let mut ours = holed.clone();
            filler().fill(&mut ours).expect("border fill");
            let ours_mae = hole_mae(&ours, &truth);
            let blur_mae = hole_mae(&diffusion_fill(&holed), &truth);
            assert!(
                ours_mae * 3.0 < blur_mae,
                "border hole {hole:?}: MAE {ours_mae} vs blur {blur_mae}"
            );
        }
    }

    #[test]
    fn full_hole_is_an_error() {
        let mut img = make(30, 30, stripes, (0, 0, 30, 30));
        assert!(matches!(filler().fill(&mut img), Err(Error::Internal(_))));
        // Known pixels, but no whole 3x3 patch of them.
        let mut img = make(30, 30, stripes, (0, 0, 30, 30));
        for y in 0..30 {
            img.hole[y * 30 + 29] = false;
            img.hole[y * 30 + 28] = false;
        }
        assert!(matches!(filler().fill(&mut img), Err(Error::Internal(_))));
    }

    #[test]
    fn thin_known_band_falls_back_to_smaller_patches() {
        // Only a 4-pixel band is known: no 7x7 patch, but 3x3 ones exist.
        let mut img = make(40, 40, stripes, (0, 0, 0, 0));
        for y in 0..40 {
            for x in 4..40 {
                img.hole[y * 40 + x] = true;
            }
        }
        filler().fill(&mut img).expect("fallback");
        assert!(img.rgb.iter().all(|v| v.is_finite()));
    }

    #[test]
    fn hdr_values_survive() {
        // Stripes between 0.5 and 8.0, with a highlight row pattern.
        let f = |x: usize, y: usize| {
            let s: f32 = if x % 8 < 4 { 8.0 } else { 0.5 };
            let v = 0.5 + 0.5 * (y as f32 * std::f32::consts::TAU / 12.0).sin();
            [s, s * v, 0.5 + 3.0 * v]
        };
        let (w, h) = (72, 72);
        let truth = make(w, h, f, (0, 0, 0, 0)).rgb;
        let holed = make(w, h, f, (24, 24, 24, 24));
        let mut ours = holed.clone();
        filler().fill(&mut ours).expect("fill");
        let (mut lo, mut hi) = (f32::INFINITY, f32::NEG_INFINITY);
        for (q, hole) in ours.hole.iter().enumerate() {
            if *hole {
                for c in 0..3 {
                    let v = ours.rgb[q * 3 + c];
                    lo = lo.min(v);
                    hi = hi.max(v);
                    assert!((0.0..=8.0 + 1e-4).contains(&v), "value {v} out of range");
                }
            }
        }
        // The bright stripes came through as bright, not averaged down.
        assert!(hi > 7.5, "brightest filled value {hi}");
        assert!(lo < 1.0, "darkest filled value {lo}");
        let ours_mae = hole_mae(&ours, &truth);
        let blur_mae = hole_mae(&diffusion_fill(&holed), &truth);
        assert!(
            ours_mae * 5.0 < blur_mae,
            "HDR MAE {ours_mae} vs blur {blur_mae}"
        );
    }

    #[test]
    fn random_texture_is_not_blurred() {
        // Value noise: each 3x3 cell a hashed level. A blur flattens the
        // hole; a patch fill keeps the local contrast of the surroundings.
        let f = |x: usize, y: usize| {
            let mut r = Rng::keyed(&[7], (x / 3) * 1000 + y / 3);
            let v = (r.next() >> 40) as f32 / (1u64 << 24) as f32;
            [v, 0.5 * v + 0.2, 1.0 - v]
        };
        let (w, h) = (120, 120);
        let holed = make(w, h, f, (40, 40, 40, 40));
        let mut ours = holed.clone();
        filler().fill(&mut ours).expect("fill");
        // Mean |horizontal gradient| inside the hole vs in the known part.
        let grad = |img: &HoleImage, inside: bool| {
            let (mut s, mut n) = (0.0f64, 0usize);
            for y in 0..h {
                for x in 0..w - 1 {
                    let (q, p) = (y * w + x, y * w + x + 1);
                    if img.hole[q] == inside && img.hole[p] == inside {
                        s += f64::from((img.rgb[q * 3] - img.rgb[p * 3]).abs());
                        n += 1;
                    }
                }
            }
            s / n as f64
        };
        let (inside, outside) = (grad(&ours, true), grad(&ours, false));
        let blurred = grad(&diffusion_fill(&holed), true);
        assert!(
            inside > 0.6 * outside,
            "filled texture has gradient {inside} vs {outside} outside (blur: {blurred})"
        );
    }

    #[test]
    #[ignore = "timing; run with --release -- --ignored --nocapture"]
    fn timing() {
        for (size, hole) in [(200, 60), (400, 120)] {
            let f = |x: usize, y: usize| {
                let mut r = Rng::keyed(&[3], (x / 2) * 100_000 + y / 2);
                let v = (r.next() >> 40) as f32 / (1u64 << 24) as f32;
                let s = 0.3 * (x as f32 * 0.2).sin() + 0.2 * (y as f32 * 0.13).cos();
                [v + s, 0.5 * v + 0.2, 1.0 - v + s]
            };
            let off = (size - hole) / 2;
            let base = make(size, size, f, (off, off, hole, hole));
            let mut best = f64::INFINITY;
            for _ in 0..3 {
                let mut img = base.clone();
                let t = std::time::Instant::now();
                filler().fill(&mut img).expect("fill");
                best = best.min(t.elapsed().as_secs_f64());
            }
            println!(
                "{size}x{size} with {hole}x{hole} hole: {:.1} ms",
                best * 1e3
            );
        }
    }
}
