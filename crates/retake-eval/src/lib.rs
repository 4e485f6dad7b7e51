//! Quality measurements for video completion: PSNR, SSIM and the temporal
//! warping error, on pictures as stored code values (0..1, interleaved), as
//! the video-inpainting papers compute them on 8-bit frames, so that our
//! figures can sit beside theirs.
//!
//! Masks are one value per pixel; a pixel is "in the mask" when its value
//! is above 0.5. A masked figure over a mask with no pixels is NaN.

use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use retake_imageops::flow::{self, Flow, FlowParams, Gray};
use retake_imageops::plane::Plane;
use retake_imageops::sample::sample;

/// Mean squared difference over every sample (or over the samples of the
/// pixels in `mask`); NaN when nothing is counted.
///
/// Panics when the lengths do not agree: callers check sizes first.
pub fn mse(a: &[f32], b: &[f32], mask: Option<&[f32]>) -> f64 {
    assert_eq!(a.len(), b.len(), "mse: pictures of different sizes");
    let (sum, n) = match mask {
        None => (sum_sq(a, b), a.len()),
        Some(m) => {
            let channels = channels_for(a.len(), m.len());
            a.chunks_exact(channels)
                .zip(b.chunks_exact(channels))
                .zip(m)
                .filter(|(_, &m)| m > 0.5)
                .fold((0.0, 0), |(s, n), ((pa, pb), _)| {
                    (s + sum_sq(pa, pb), n + channels)
                })
        }
    };
    if n == 0 {
        f64::NAN
    } else {
        sum / n as f64
    }
}

/// Peak signal-to-noise ratio in dB with peak 1.0, over all channels
/// given (RGB); with a mask, over the pixels where it is above 0.5.
/// Identical pictures give `f64::INFINITY`; an empty mask gives NaN.
pub fn psnr(a: &[f32], b: &[f32], mask: Option<&[f32]>) -> f64 {
    psnr_from_mse(mse(a, b, mask))
}

/// PSNR (peak 1.0) of a mean squared error.
pub fn psnr_from_mse(mse: f64) -> f64 {
    if mse.is_nan() {
        f64::NAN
    } else if mse <= 0.0 {
        f64::INFINITY
    } else {
        -10.0 * mse.log10()
    }
}

fn sum_sq(a: &[f32], b: &[f32]) -> f64 {
    a.iter()
        .zip(b)
        .map(|(&x, &y)| {
            let d = x as f64 - y as f64;
            d * d
        })
        .sum()
}

fn channels_for(samples: usize, pixels: usize) -> usize {
    assert!(
        pixels > 0 && samples.is_multiple_of(pixels),
        "mask of {pixels} pixels for {samples} samples"
    );
    samples / pixels
}

/// SSIM constants of Wang et al. 2004 for values in 0..1 (L = 1).
const SSIM_C1: f64 = 0.01 * 0.01;
const SSIM_C2: f64 = 0.03 * 0.03;
/// Half width of the 11x11 Gaussian window (sigma 1.5).
const SSIM_RADIUS: usize = 5;

fn ssim_window() -> [f32; 2 * SSIM_RADIUS + 1] {
    let mut w = [0f32; 2 * SSIM_RADIUS + 1];
    let mut sum = 0.0f64;
    let g: Vec<f64> = (0..w.len())
        .map(|i| {
            let d = i as f64 - SSIM_RADIUS as f64;
            (-d * d / (2.0 * 1.5 * 1.5)).exp()
        })
        .collect();
    for v in &g {
        sum += v;
    }
    for (o, v) in w.iter_mut().zip(&g) {
        *o = (v / sum) as f32;
    }
    w
}

/// Mirror an index into `0..n` (`d c b a | a b c d`), as SciPy's "reflect".
fn reflect(i: isize, n: usize) -> usize {
    let n = n as isize;
    let mut i = i;
    loop {
        if i < 0 {
            i = -i - 1;
        } else if i >= n {
            i = 2 * n - i - 1;
        } else {
            return i as usize;
        }
    }
}

/// Structural similarity (Wang et al. 2004: 11x11 Gaussian window, sigma
/// 1.5, K1 0.01, K2 0.03, L 1), computed on each channel and averaged over
/// the channels. The SSIM map is averaged over the pixels at least 5 px
/// from the border (where the window fits, as MATLAB's reference code and
/// scikit-image do; the whole picture when it is smaller than the window);
/// with a mask, over those of them in the mask. An empty mask gives NaN.
///
/// Panics when the lengths do not agree with the dimensions.
pub fn ssim(
    a: &[f32],
    b: &[f32],
    width: usize,
    height: usize,
    channels: usize,
    mask: Option<&[f32]>,
) -> f64 {
    let (whole, masked) = ssim_whole_and_masked(a, b, width, height, channels, mask);
    if mask.is_some() {
        masked
    } else {
        whole
    }
}

/// SSIM of the whole picture and, with a mask, of the pixels in it (NaN
/// without one), from one computation of the SSIM map: `retake eval`
/// reports both, and the map is most of SSIM's cost.
///
/// Panics when the lengths do not agree with the dimensions.
pub fn ssim_whole_and_masked(
    a: &[f32],
    b: &[f32],
    width: usize,
    height: usize,
    channels: usize,
    mask: Option<&[f32]>,
) -> (f64, f64) {
    let n = width * height;
    assert_eq!(
        a.len(),
        n * channels,
        "ssim: first picture has the wrong size"
    );
    assert_eq!(
        b.len(),
        n * channels,
        "ssim: second picture has the wrong size"
    );
    if let Some(m) = mask {
        assert_eq!(m.len(), n, "ssim: mask has the wrong size");
    }
    if n == 0 || channels == 0 {
        return (f64::NAN, f64::NAN);
    }
    let mut whole = 0.0;
    let mut masked = if mask.is_some() { 0.0 } else { f64::NAN };
    for c in 0..channels {
        let sums = ssim_channel(a, b, width, height, channels, c, mask);
        whole += sums.whole.0 / sums.whole.1 as f64;
        masked += sums.masked.0 / sums.masked.1 as f64;
    }
    (whole / channels as f64, masked / channels as f64)
}

/// Sums of one channel's SSIM map and how many pixels each counts: over
/// the pixels where the window fits, and over those of them in the mask.
struct ChannelSums {
    whole: (f64, usize),
    masked: (f64, usize),
}

/// Sums of the SSIM map of one channel (see [`ChannelSums`]). The five
/// local moments are filtered along rows into planes, then down columns
/// one output pixel at a time, so memory is five planes.
fn ssim_channel(
    a: &[f32],
    b: &[f32],
    width: usize,
    height: usize,
    channels: usize,
    c: usize,
    mask: Option<&[f32]>,
) -> ChannelSums {
    let w = ssim_window();
    let r = SSIM_RADIUS;
    let n = width * height;
    // Row pass: mean of a, b, a², b², ab under the window.
    let mut planes = vec![[0f32; 5]; n];
    planes
        .par_chunks_mut(width)
        .enumerate()
        .for_each(|(y, out)| {
            let row = |x: usize| {
                let i = (y * width + x) * channels + c;
                (a[i], b[i])
            };
            for (x, o) in out.iter_mut().enumerate() {
                let mut acc = [0f32; 5];
                for (k, &wk) in w.iter().enumerate() {
                    let xs = x as isize + k as isize - r as isize;
                    let xs = if xs >= 0 && (xs as usize) < width {
                        xs as usize
                    } else {
                        reflect(xs, width)
                    };
                    let (va, vb) = row(xs);
                    acc[0] += wk * va;
                    acc[1] += wk * vb;
                    acc[2] += wk * va * va;
                    acc[3] += wk * vb * vb;
                    acc[4] += wk * va * vb;
                }
                *o = acc;
            }
        });
    // Where the window fits; the whole picture when it never does.
    let (x0, x1) = if width > 2 * r {
        (r, width - r)
    } else {
        (0, width)
    };
    let (y0, y1) = if height > 2 * r {
        (r, height - r)
    } else {
        (0, height)
    };
    let rows: Vec<[(f64, usize); 2]> = (y0..y1)
        .into_par_iter()
        .map(|y| {
            let mut sums = [(0.0, 0); 2];
            for x in x0..x1 {
                let mut acc = [0f32; 5];
                for (k, &wk) in w.iter().enumerate() {
                    let ys = reflect(y as isize + k as isize - r as isize, height);
                    let p = &planes[ys * width + x];
                    for (o, v) in acc.iter_mut().zip(p) {
                        *o += wk * v;
                    }
                }
                let [ma, mb, maa, mbb, mab] = acc.map(f64::from);
                let va = maa - ma * ma;
                let vb = mbb - mb * mb;
                let cov = mab - ma * mb;
                let value = ((2.0 * ma * mb + SSIM_C1) * (2.0 * cov + SSIM_C2))
                    / ((ma * ma + mb * mb + SSIM_C1) * (va + vb + SSIM_C2));
                sums[0].0 += value;
                sums[0].1 += 1;
                if mask.is_some_and(|m| m[y * width + x] > 0.5) {
                    sums[1].0 += value;
                    sums[1].1 += 1;
                }
            }
            sums
        })
        .collect();
    // Summed in row order, so the result does not depend on threads.
    let total = |k: usize| {
        rows.iter()
            .fold((0.0, 0), |(s, n), row| (s + row[k].0, n + row[k].1))
    };
    ChannelSums {
        whole: total(0),
        masked: total(1),
    }
}

/// Pixels of `forward` whose flow is trusted for the warping error: the
/// target stays inside the frame and the backward flow there leads back
/// (Ruder et al. 2016, as Lai et al. 2018 use it: occluded when
/// |F + B|² > 0.01 (|F|² + |B|²) + 0.5, B sampled at p + F(p)).
pub fn flow_valid(forward: &Flow, backward: &Flow) -> Vec<bool> {
    let (w, h) = (forward.width, forward.height);
    let (xmax, ymax) = (w as f32 - 1.0, h as f32 - 1.0);
    (0..w * h)
        .map(|i| {
            let (x, y) = ((i % w) as f32, (i / w) as f32);
            let (u, v) = (forward.u[i], forward.v[i]);
            let (x2, y2) = (x + u, y + v);
            if !(0.0..=xmax).contains(&x2) || !(0.0..=ymax).contains(&y2) {
                return false;
            }
            let (bu, bv) = backward.at(x2, y2);
            let (eu, ev) = (u + bu, v + bv);
            eu * eu + ev * ev <= 0.01 * (u * u + v * v + bu * bu + bv * bv) + 0.5
        })
        .collect()
}

/// Flow between two ground-truth frames, both ways: (t -> t+1, t+1 -> t).
pub fn flow_pair(from: &Gray, to: &Gray, params: &FlowParams) -> (Flow, Flow) {
    flow::estimate_both(from, to, None, None, params)
}

/// Temporal warping error of one pair of output frames (Lai et al. 2018):
/// O_{t+1} warped back to t along the ground truth's flow, compared with
/// O_t over the non-occluded pixels whose warp stays in the frame; the
/// mean of the squared differences over their samples (RGB). NaN when no
/// pixel qualifies.
///
/// Panics when the lengths do not agree with the dimensions.
pub fn warping_error(
    out_t: &[f32],
    out_t1: &[f32],
    flow_fw: &Flow,
    flow_bw: &Flow,
    width: usize,
    height: usize,
) -> f64 {
    let n = width * height;
    let channels = channels_for(out_t.len(), n);
    assert_eq!(
        out_t1.len(),
        out_t.len(),
        "warping_error: frames differ in size"
    );
    assert_eq!((flow_fw.width, flow_fw.height), (width, height));
    let valid = flow_valid(flow_fw, flow_bw);
    let rows: Vec<(f64, usize)> = (0..height)
        .into_par_iter()
        .map(|y| {
            let mut warped = vec![0f32; channels];
            let mut sum = 0.0;
            let mut count = 0;
            for x in 0..width {
                let i = y * width + x;
                if !valid[i] {
                    continue;
                }
                let (u, v) = (flow_fw.u[i], flow_fw.v[i]);
                sample(
                    Plane::new(out_t1, width, height, channels),
                    x as f32 + u,
                    y as f32 + v,
                    &mut warped,
                );
                sum += sum_sq(&out_t[i * channels..(i + 1) * channels], &warped);
                count += channels;
            }
            (sum, count)
        })
        .collect();
    let (sum, count) = rows
        .into_iter()
        .fold((0.0, 0), |(s, n), (rs, rn)| (s + rs, n + rn));
    if count == 0 {
        f64::NAN
    } else {
        sum / count as f64
    }
}

/// The warping error over a clip, fed one frame at a time: keeps only the
/// previous output frame and the previous ground-truth luminance, so
/// memory does not grow with the clip (one number per frame pair aside).
pub struct WarpingError {
    params: FlowParams,
    cache: Option<PathBuf>,
    prev: Option<(Vec<f32>, Gray)>,
    pairs: Vec<f64>,
}

impl WarpingError {
    pub fn new(params: FlowParams) -> Self {
        WarpingError {
            params,
            cache: None,
            prev: None,
            pairs: Vec::new(),
        }
    }

    /// Keep the ground truth's flows in `dir` and reuse them. They depend
    /// only on the ground truth and are most of the cost, so scoring several
    /// results against one ground truth computes them once. Entries are
    /// named by a hash of the two frames and the parameters, so a stale
    /// entry is never used.
    pub fn with_flow_cache(mut self, dir: impl Into<PathBuf>) -> Self {
        self.cache = Some(dir.into());
        self
    }

    /// Add the next frame (output and ground truth, RGB); returns the error
    /// of the pair it closes, if there was a previous frame.
    pub fn push(&mut self, out: &[f32], gt: &[f32], width: usize, height: usize) -> Option<f64> {
        let gray = Gray::from_rgb(gt, width, height);
        let result = self.prev.take().map(|(prev_out, prev_gray)| {
            let (fw, bw) = match &self.cache {
                Some(dir) => cached_flow_pair(dir, &prev_gray, &gray, &self.params),
                None => flow_pair(&prev_gray, &gray, &self.params),
            };
            warping_error(&prev_out, out, &fw, &bw, width, height)
        });
        if let Some(e) = result {
            self.pairs.push(e);
        }
        self.prev = Some((out.to_vec(), gray));
        result
    }

    /// Forget the previous frame: the next frame does not follow it.
    pub fn reset(&mut self) {
        self.prev = None;
    }

    /// The error of every pair so far (NaN where no pixel qualified).
    pub fn pairs(&self) -> &[f64] {
        &self.pairs
    }

    /// Mean over the pairs that had qualifying pixels; NaN when none did.
    pub fn mean(&self) -> f64 {
        mean_finite(&self.pairs)
    }
}

/// Bumped when the flow solver or the file layout changes.
const FLOW_CACHE_VERSION: u32 = 2;
const FLOW_CACHE_MAGIC: &[u8; 8] = b"RTKFLOW1";

/// [`flow_pair`] through a folder of earlier results. A missing, short or
/// unwritable entry only costs the computation (logged), never a failure.
fn cached_flow_pair(dir: &Path, from: &Gray, to: &Gray, params: &FlowParams) -> (Flow, Flow) {
    let mut h = std::hash::DefaultHasher::new();
    FLOW_CACHE_VERSION.hash(&mut h);
    (from.width, from.height).hash(&mut h);
    for v in from.data.iter().chain(&to.data) {
        v.to_bits().hash(&mut h);
    }
    format!("{params:?}").hash(&mut h);
    let path = dir.join(format!("{:016x}.flow", h.finish()));
    let (w, h) = (from.width, from.height);
    if let Some(pair) = read_flow_pair(&path, w, h) {
        return pair;
    }
    let pair = flow_pair(from, to, params);
    if let Err(e) = write_flow_pair(&path, &pair) {
        log::warn!("flow cache {}: {e}", path.display());
    }
    pair
}

fn read_flow_pair(path: &Path, w: usize, h: usize) -> Option<(Flow, Flow)> {
    let bytes = std::fs::read(path).ok()?;
    let n = w * h;
    if bytes.len() != 24 + 16 * n || &bytes[..8] != FLOW_CACHE_MAGIC {
        return None;
    }
    let dim = |i: usize| u64::from_le_bytes(bytes[i..i + 8].try_into().unwrap_or([0; 8]));
    if (dim(8), dim(16)) != (w as u64, h as u64) {
        return None;
    }
    let mut planes = bytes[24..].chunks_exact(4 * n).map(|p| {
        p.chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect::<Vec<f32>>()
    });
    let mut flow = || {
        Some(Flow {
            width: w,
            height: h,
            u: planes.next()?,
            v: planes.next()?,
        })
    };
    Some((flow()?, flow()?))
}

/// Written under a temporary name and renamed, so a concurrent reader never
/// sees half a file.
fn write_flow_pair(path: &Path, (fw, bw): &(Flow, Flow)) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut bytes = Vec::with_capacity(24 + 16 * fw.u.len());
    bytes.extend_from_slice(FLOW_CACHE_MAGIC);
    bytes.extend_from_slice(&(fw.width as u64).to_le_bytes());
    bytes.extend_from_slice(&(fw.height as u64).to_le_bytes());
    for plane in [&fw.u, &fw.v, &bw.u, &bw.v] {
        for v in plane.iter() {
            bytes.extend_from_slice(&v.to_le_bytes());
        }
    }
    let tmp = path.with_extension(format!("flow.tmp{}", std::process::id()));
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, path).inspect_err(|_| {
        let _ = std::fs::remove_file(&tmp);
    })
}

/// Mean of the values that are not NaN (an infinite value makes it
/// infinite); NaN when there are none. Per-frame PSNRs are averaged so.
pub fn mean_finite(values: &[f64]) -> f64 {
    let (sum, n) = values
        .iter()
        .filter(|v| !v.is_nan())
        .fold((0.0, 0usize), |(s, n), v| (s + v, n + 1));
    if n == 0 {
        f64::NAN
    } else {
        sum / n as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A deterministic textured RGB picture, smooth enough for flow.
    fn texture(width: usize, height: usize, shift_x: f32) -> Vec<f32> {
        let mut v = Vec::with_capacity(width * height * 3);
        for y in 0..height {
            for x in 0..width {
                let xf = x as f32 - shift_x;
                let yf = y as f32;
                let base = 0.5
                    + 0.2 * (xf * 0.31).sin() * (yf * 0.23).cos()
                    + 0.1 * (xf * 0.07 + yf * 0.11).sin();
                v.extend_from_slice(&[base, 0.9 * base + 0.05, 1.0 - base]);
            }
        }
        v
    }

    /// Reproducible noise in -amp..amp.
    fn noise(len: usize, amp: f32, seed: u64) -> Vec<f32> {
        let mut s = seed.wrapping_mul(6364136223846793005).wrapping_add(1);
        (0..len)
            .map(|_| {
                s = s
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                ((s >> 40) as f32 / (1u64 << 24) as f32 * 2.0 - 1.0) * amp
            })
            .collect()
    }

    #[test]
    fn psnr_of_a_uniform_offset() {
        let a = vec![0.5f32; 64 * 48 * 3];
        let b: Vec<f32> = a.iter().map(|v| v + 0.01).collect();
        assert!((psnr(&a, &b, None) - 40.0).abs() < 1e-3);
        let c: Vec<f32> = a.iter().map(|v| v - 0.1).collect();
        assert!((psnr(&a, &c, None) - 20.0).abs() < 1e-3);
        assert_eq!(psnr(&a, &a, None), f64::INFINITY);
    }

    #[test]
    fn masked_psnr_counts_only_mask_pixels() {
        let (w, h) = (40, 30);
        let a = vec![0.5f32; w * h * 3];
        let mut b = a.clone();
        let mut mask = vec![0f32; w * h];
        // Left half differs by 0.1, right half by 0.01; the mask is the right half.
        for y in 0..h {
            for x in 0..w {
                let i = y * w + x;
                let d = if x < w / 2 { 0.1 } else { 0.01 };
                for c in 0..3 {
                    b[i * 3 + c] += d;
                }
                mask[i] = if x >= w / 2 { 1.0 } else { 0.0 };
            }
        }
        assert!((psnr(&a, &b, Some(&mask)) - 40.0).abs() < 1e-3);
        let whole = psnr(&a, &b, None);
        assert!((whole - psnr_from_mse((0.01 + 0.0001) / 2.0)).abs() < 1e-3);
        assert!(psnr(&a, &b, Some(&vec![0.0; w * h])).is_nan());
        // Values up to 0.5 are outside.
        assert!(psnr(&a, &b, Some(&vec![0.5; w * h])).is_nan());
    }

    #[test]
    fn ssim_of_identical_is_one() {
        let (w, h) = (64, 48);
        let a = texture(w, h, 0.0);
        assert_eq!(ssim(&a, &a, w, h, 3, None), 1.0);
        let mask = vec![1.0; w * h];
        assert_eq!(ssim(&a, &a, w, h, 3, Some(&mask)), 1.0);
        // Smaller than the window: still defined.
        let s = texture(6, 5, 0.0);
        assert_eq!(ssim(&s, &s, 6, 5, 3, None), 1.0);
    }

    #[test]
    fn ssim_of_noisy_and_blurred_copies_falls_in_known_bands() {
        let (w, h) = (96, 72);
        let a = texture(w, h, 0.0);
        let light: Vec<f32> = a
            .iter()
            .zip(noise(a.len(), 0.02, 1))
            .map(|(v, n)| v + n)
            .collect();
        let heavy: Vec<f32> = a
            .iter()
            .zip(noise(a.len(), 0.2, 2))
            .map(|(v, n)| v + n)
            .collect();
        let s_light = ssim(&a, &light, w, h, 3, None);
        let s_heavy = ssim(&a, &heavy, w, h, 3, None);
        assert!((0.6..0.99).contains(&s_light), "light noise: {s_light}");
        assert!((0.0..0.4).contains(&s_heavy), "heavy noise: {s_heavy}");
        // A 3x3 box blur keeps most structure of this smooth texture.
        let mut blur = a.clone();
        for y in 1..h - 1 {
            for x in 1..w - 1 {
                for c in 0..3 {
                    let mut s = 0.0;
                    for dy in 0..3 {
                        for dx in 0..3 {
                            s += a[((y + dy - 1) * w + x + dx - 1) * 3 + c];
                        }
                    }
                    blur[(y * w + x) * 3 + c] = s / 9.0;
                }
            }
        }
        let s_blur = ssim(&a, &blur, w, h, 3, None);
        assert!((0.8..0.999).contains(&s_blur), "blur: {s_blur}");
        // Order is what it should be.
        assert!(s_heavy < s_light && s_light < 1.0);
    }

    #[test]
    fn masked_ssim_counts_only_mask_pixels() {
        let (w, h) = (80, 60);
        let a = texture(w, h, 0.0);
        let mut b = a.clone();
        let n = noise(a.len(), 0.2, 3);
        // Noise on the left half only.
        for y in 0..h {
            for x in 0..w / 2 {
                for c in 0..3 {
                    let i = (y * w + x) * 3 + c;
                    b[i] += n[i];
                }
            }
        }
        let mut right = vec![0f32; w * h];
        let mut left = vec![0f32; w * h];
        for y in 0..h {
            for x in 0..w {
                // Keep the window's reach (5 px) away from the seam.
                if x >= w / 2 + 5 {
                    right[y * w + x] = 1.0;
                }
                if x < w / 2 {
                    left[y * w + x] = 1.0;
                }
            }
        }
        assert_eq!(ssim(&a, &b, w, h, 3, Some(&right)), 1.0);
        let s_left = ssim(&a, &b, w, h, 3, Some(&left));
        let s_whole = ssim(&a, &b, w, h, 3, None);
        assert!(s_left < s_whole && s_whole < 1.0, "{s_left} {s_whole}");
        assert!(ssim(&a, &b, w, h, 3, Some(&vec![0.0; w * h])).is_nan());
    }

    #[test]
    fn whole_and_masked_ssim_come_from_one_map() {
        let (w, h) = (80, 60);
        let a = texture(w, h, 0.0);
        let b: Vec<f32> = a
            .iter()
            .zip(noise(a.len(), 0.1, 4))
            .map(|(v, n)| v + n)
            .collect();
        let mask: Vec<f32> = (0..w * h)
            .map(|i| if i % w < w / 3 { 1.0 } else { 0.0 })
            .collect();
        let (whole, masked) = ssim_whole_and_masked(&a, &b, w, h, 3, Some(&mask));
        // The whole-frame figure does not depend on the mask given beside it.
        assert_eq!(whole, ssim(&a, &b, w, h, 3, None));
        assert_eq!(masked, ssim(&a, &b, w, h, 3, Some(&mask)));
        assert!(masked != whole && masked < 1.0);
        let (_, none) = ssim_whole_and_masked(&a, &b, w, h, 3, None);
        assert!(none.is_nan());
    }

    #[test]
    fn warping_error_of_a_static_clip_is_near_zero_and_of_a_flicker_is_larger() {
        let (w, h) = (64, 48);
        let frames: Vec<Vec<f32>> = (0..4).map(|_| texture(w, h, 0.0)).collect();
        let mut still = WarpingError::new(FlowParams::default());
        for f in &frames {
            still.push(f, f, w, h);
        }
        assert_eq!(still.pairs().len(), 3);
        assert!(still.mean() < 1e-6, "static: {}", still.mean());

        // The same ground truth, but the output flickers in brightness.
        let mut flicker = WarpingError::new(FlowParams::default());
        for (t, f) in frames.iter().enumerate() {
            let d = if t % 2 == 0 { 0.05 } else { -0.05 };
            let out: Vec<f32> = f.iter().map(|v| v + d).collect();
            flicker.push(&out, f, w, h);
        }
        // Every pair differs by 0.1 in every sample: 0.01.
        assert!(
            (flicker.mean() - 0.01).abs() < 1e-3,
            "flicker: {}",
            flicker.mean()
        );
    }

    #[test]
    fn warping_error_follows_motion() {
        // A pattern moving 2 px right each frame, rendered exactly: the
        // output that follows the motion scores near zero, a frozen one not.
        let (w, h) = (80, 60);
        let frames: Vec<Vec<f32>> = (0..3).map(|t| texture(w, h, 2.0 * t as f32)).collect();
        let mut moving = WarpingError::new(FlowParams::default());
        let mut frozen = WarpingError::new(FlowParams::default());
        for f in &frames {
            moving.push(f, f, w, h);
            frozen.push(&frames[0], f, w, h);
        }
        assert!(moving.mean() < 1e-3, "moving: {}", moving.mean());
        assert!(
            frozen.mean() > 5.0 * moving.mean().max(1e-5),
            "frozen {} vs moving {}",
            frozen.mean(),
            moving.mean()
        );
    }

    #[test]
    fn flow_cache_gives_the_same_error_and_is_reused() {
        let dir = tempfile::tempdir().unwrap();
        let (w, h) = (48, 32);
        let frames: Vec<Vec<f32>> = (0..3).map(|t| texture(w, h, 1.5 * t as f32)).collect();
        let out: Vec<Vec<f32>> = frames
            .iter()
            .zip(1..)
            .map(|(f, s)| {
                f.iter()
                    .zip(noise(f.len(), 0.01, s))
                    .map(|(a, b)| a + b)
                    .collect()
            })
            .collect();
        let run = |cache: bool| {
            let mut e = WarpingError::new(FlowParams::default());
            if cache {
                e = e.with_flow_cache(dir.path().join("flows"));
            }
            for (o, g) in out.iter().zip(&frames) {
                e.push(o, g, w, h);
            }
            e.pairs().to_vec()
        };
        let plain = run(false);
        assert_eq!(run(true), plain);
        let entries = std::fs::read_dir(dir.path().join("flows")).unwrap().count();
        assert_eq!(entries, 2);
        // Read back, bit for bit.
        assert_eq!(run(true), plain);
        // A damaged entry is recomputed, not trusted.
        for e in std::fs::read_dir(dir.path().join("flows")).unwrap() {
            std::fs::write(e.unwrap().path(), b"RTKFLOW1 short").unwrap();
        }
        assert_eq!(run(true), plain);
    }

    #[test]
    fn mean_skips_nan() {
        assert_eq!(mean_finite(&[1.0, f64::NAN, 3.0]), 2.0);
        assert!(mean_finite(&[f64::NAN]).is_nan());
        assert_eq!(mean_finite(&[1.0, f64::INFINITY]), f64::INFINITY);
    }
}
