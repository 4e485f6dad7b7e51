//! Local colour models along the object's outline (the idea of Video
//! SnapCut, Bai et al. 2009, behind After Effects' Roto Brush). One colour
//! model for the whole object fails where the object looks like only part
//! of its surroundings (dark dogs against a dark treeline): it pulls the
//! outline into every look-alike region it touches, a pixel or two a
//! frame, and the flow then carries that leak on for good. Here small
//! overlapping windows along the carried outline each learn their own
//! object and background colours (one Gaussian each) from the previous
//! frame, pulled onto the new one by the flow, and each window's evidence
//! counts only as far as its model told its own pixels apart there
//! (a window where object and background look alike leaves the decision
//! to the carried shape). [`super::snap::snap`] lets them only veto the
//! whole-object model's calls of "object": they learn from the previous
//! frame's mask, its errors included.

use super::carry::Carried;
use super::snap::Work;

/// A window's half-size as a share of the picture's long side (SnapCut's
/// windows are a few percent of the frame): big enough for a colour model,
/// small enough to see only the nearby background.
const WINDOW_SHARE: usize = 32;
/// Fewest reliable samples of each side for a window to learn a model.
const MIN_SAMPLES: f64 = 12.0;

/// One Gaussian in RGB (0..1): mean, inverse covariance, log-normaliser.
#[derive(Clone, Copy)]
struct Gaussian {
    mean: [f64; 3],
    inverse: [[f64; 3]; 3],
    log_norm: f64,
}

impl Gaussian {
    /// Fit from weighted sums; the covariance gets a floor of (2/255)²
    /// so a flat patch does not become infinitely sure.
    fn fit(n: f64, s: [f64; 3], ss: [[f64; 3]; 3]) -> Option<Gaussian> {
        if n < MIN_SAMPLES {
            return None;
        }
        let mean = [s[0] / n, s[1] / n, s[2] / n];
        let floor = (2.0f64 / 255.0).powi(2);
        let mut c = [[0.0f64; 3]; 3];
        for a in 0..3 {
            for b in 0..3 {
                c[a][b] = ss[a][b] / n - mean[a] * mean[b];
            }
            c[a][a] += floor;
        }
        let det = c[0][0] * (c[1][1] * c[2][2] - c[1][2] * c[2][1])
            - c[0][1] * (c[1][0] * c[2][2] - c[1][2] * c[2][0])
            + c[0][2] * (c[1][0] * c[2][1] - c[1][1] * c[2][0]);
        if det <= 0.0 || !det.is_finite() {
            return None;
        }
        let mut inverse = [[0.0f64; 3]; 3];
        for (a, row) in inverse.iter_mut().enumerate() {
            for (b, v) in row.iter_mut().enumerate() {
                // The adjugate: the cofactor of (b, a).
                let (a1, a2) = ((b + 1) % 3, (b + 2) % 3);
                let (b1, b2) = ((a + 1) % 3, (a + 2) % 3);
                *v = (c[a1][b1] * c[a2][b2] - c[a1][b2] * c[a2][b1]) / det;
            }
        }
        Some(Gaussian {
            mean,
            inverse,
            log_norm: -0.5 * det.ln(),
        })
    }

    fn log_density(&self, rgb: [f64; 3]) -> f64 {
        let d = [
            rgb[0] - self.mean[0],
            rgb[1] - self.mean[1],
            rgb[2] - self.mean[2],
        ];
        let mut q = 0.0;
        for a in 0..3 {
            for b in 0..3 {
                q += d[a] * self.inverse[a][b] * d[b];
            }
        }
        self.log_norm - 0.5 * q
    }
}

/// Colour evidence (log-likelihood ratio, object against background) per
/// pixel of the new frame, from the windows along the carried outline;
/// `None` where no window reaches.
pub struct LocalColour {
    evidence: Vec<f32>,
    weight: Vec<f32>,
}

fn rgb_of(rgb: &[f32], i: usize) -> [f64; 3] {
    [
        rgb[3 * i] as f64,
        rgb[3 * i + 1] as f64,
        rgb[3 * i + 2] as f64,
    ]
}

impl LocalColour {
    /// Learn windows on the previous frame as carried onto `work` (its
    /// picture and mask pulled along the flow, trusted where the pixel is
    /// seen in both frames), and weigh `work`'s pixels with them.
    pub fn learn(carried: &Carried, work: &Work) -> LocalColour {
        let (w, h) = (work.width, work.height);
        let r = (w.max(h) / WINDOW_SHARE).max(4);
        let mut evidence = vec![0.0f32; w * h];
        let mut weight = vec![0.0f32; w * h];
        let now: Vec<f32> = work.rgb.iter().map(|v| *v as f32 / 255.0).collect();
        // Window centres on a grid of spacing r: each pixel lies in up to
        // four windows, weighted by a tent that is 0 at the window's rim.
        for cy in (0..h).step_by(r) {
            for cx in (0..w).step_by(r) {
                let (x0, x1) = (cx.saturating_sub(r), (cx + r).min(w - 1));
                let (y0, y1) = (cy.saturating_sub(r), (cy + r).min(h - 1));
                // The window's reliable previous pixels, with their trust.
                let reliable = || {
                    (y0..=y1)
                        .flat_map(move |y| (x0..=x1).map(move |x| y * w + x))
                        .map(|i| (i, carried.reliable[i] as f64))
                        .filter(|&(_, k)| k > 0.0)
                };
                // Sums of the reliable previous pixels on each side.
                let mut n = [0.0f64; 2];
                let mut s = [[0.0f64; 3]; 2];
                let mut ss = [[[0.0f64; 3]; 3]; 2];
                for (i, k) in reliable() {
                    let side = (carried.warped[i] < 0.5) as usize;
                    let c = rgb_of(&carried.previous_rgb, i);
                    n[side] += k;
                    for a in 0..3 {
                        s[side][a] += k * c[a];
                        for b in 0..3 {
                            ss[side][a][b] += k * c[a] * c[b];
                        }
                    }
                }
                let (Some(object), Some(background)) = (
                    Gaussian::fit(n[0], s[0], ss[0]),
                    Gaussian::fit(n[1], s[1], ss[1]),
                ) else {
                    continue;
                };
                let ratio = |c: [f64; 3]| object.log_density(c) - background.log_density(c);
                // How well the window told its own previous pixels apart:
                // 0 for chance, 1 for every pixel on its side.
                let (mut wrong, mut total) = (0.0f64, 0.0f64);
                for (i, k) in reliable() {
                    let p = 1.0 / (1.0 + (-ratio(rgb_of(&carried.previous_rgb, i))).exp());
                    let m = if carried.warped[i] >= 0.5 { 1.0 } else { 0.0 };
                    wrong += k * (m - p).abs();
                    total += k;
                }
                // A window that cannot tell its sides apart still counts,
                // with no evidence: it vetoes the whole-object model there.
                let confidence = (1.0 - 2.0 * wrong / total).max(0.0);
                for y in y0..=y1 {
                    for x in x0..=x1 {
                        let i = y * w + x;
                        let tent = (1.0 - x.abs_diff(cx) as f32 / (r + 1) as f32)
                            * (1.0 - y.abs_diff(cy) as f32 / (r + 1) as f32);
                        if confidence > 0.0 {
                            evidence[i] += tent * (confidence * ratio(rgb_of(&now, i))) as f32;
                        }
                        weight[i] += tent;
                    }
                }
            }
        }
        LocalColour { evidence, weight }
    }

    /// The evidence at pixel `i`, if a window reaches it.
    pub fn at(&self, i: usize) -> Option<f32> {
        (self.weight[i] > 0.0).then(|| self.evidence[i] / self.weight[i])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A picture from a colour per pixel, with a little fixed noise so
    /// each side's colours have a spread.
    fn picture(w: usize, h: usize, colour: impl Fn(usize, usize) -> [u8; 3]) -> Work {
        let mut rgb = Vec::with_capacity(w * h * 3);
        for y in 0..h {
            for x in 0..w {
                let noise = ((x * 7 + y * 13) % 5) as u8;
                rgb.extend(colour(x, y).map(|c| c.saturating_add(noise)));
            }
        }
        Work::from_bytes(w, h, rgb)
    }

    /// A still frame carried onto itself: every pixel seen in both.
    fn still(work: &Work, mask: &[f32]) -> Carried {
        Carried {
            prior: mask.to_vec(),
            warped: mask.to_vec(),
            previous_rgb: work.rgb.iter().map(|v| *v as f32 / 255.0).collect(),
            reliable: vec![1.0; mask.len()],
        }
    }

    /// Two red squares: the left one on green (told apart: strong
    /// evidence either way), the right one on red (look-alike: no
    /// evidence); far from both outlines no window reaches.
    #[test]
    fn windows_speak_only_where_object_and_surroundings_differ() {
        let (w, h) = (128, 64);
        let in_left = |x: usize, y: usize| (16..40).contains(&x) && (16..48).contains(&y);
        let in_right = |x: usize, y: usize| (80..104).contains(&x) && (16..48).contains(&y);
        let red = |x: usize, y: usize| in_left(x, y) || x >= 64;
        let work = picture(w, h, |x, y| {
            if red(x, y) {
                [150, 30, 30]
            } else {
                [30, 150, 30]
            }
        });
        let mask: Vec<f32> = (0..w * h)
            .map(|i| (in_left(i % w, i / w) || in_right(i % w, i / w)) as u8 as f32)
            .collect();
        let local = LocalColour::learn(&still(&work, &mask), &work);
        let at = |x: usize, y: usize| local.at(y * w + x);
        assert!(at(38, 32).unwrap() > 2.0, "{:?}", at(38, 32));
        assert!(at(42, 32).unwrap() < -2.0, "{:?}", at(42, 32));
        assert!(at(102, 32).unwrap().abs() < 0.5, "{:?}", at(102, 32));
        assert!(at(106, 32).unwrap().abs() < 0.5, "{:?}", at(106, 32));
        assert_eq!(at(50, 2), None);
    }
}
