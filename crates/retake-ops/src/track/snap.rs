//! One tracking step on the working picture: carry a mask along the flow,
//! then snap its edge to the picture. Flow alone blurs and drifts at the
//! object's outline (the solver smooths across motion boundaries), so near
//! the carried edge each pixel's colour is weighed by a colour model of the
//! object against its surroundings learned on the keyframe, and a guided
//! filter lines the edge up with the picture's own edges.

use retake_core::colour::Transfer;
use retake_core::frame::Frame;
use retake_imageops::filter::{box_mean, guided_upsample, resize, smoothstep};
use retake_imageops::flow::Gray;
use retake_imageops::plane::Plane;

use super::local::LocalColour;
use super::spec::KeyBox;

/// A frame at the tracker's working size, display-encoded (sRGB curve) and
/// quantised to 8 bits: colour models and flow behave better on perceptual
/// values, and the quantised picture is what the tracker keeps on disk, so
/// the forward and the backward pass see exactly the same data.
#[derive(Clone)]
pub struct Work {
    pub width: usize,
    pub height: usize,
    pub rgb: Vec<u8>,
    pub gray: Gray,
}

impl Work {
    /// `frame` (linear, any channel count) at `width`x`height`.
    pub fn from_frame(frame: &Frame, width: usize, height: usize) -> Work {
        let rgb: Vec<f32> = match frame.channels {
            3 => frame.data.clone(),
            c if c > 3 => frame
                .data
                .chunks_exact(c)
                .flat_map(|p| [p[0], p[1], p[2]])
                .collect(),
            c => frame
                .data
                .chunks_exact(c.max(1))
                .flat_map(|p| [p[0], p[0], p[0]])
                .collect(),
        };
        let small = resize(
            Plane::new(&rgb, frame.width, frame.height, 3),
            width,
            height,
        );
        let bytes = small
            .iter()
            .map(|v| (Transfer::Srgb.from_linear(v.clamp(0.0, 1.0)) * 255.0).round() as u8)
            .collect();
        Work::from_bytes(width, height, bytes)
    }

    /// A working picture read back from its bytes.
    pub fn from_bytes(width: usize, height: usize, rgb: Vec<u8>) -> Work {
        let unit: Vec<f32> = rgb.iter().map(|v| *v as f32 / 255.0).collect();
        let gray = Gray::from_rgb(&unit, width, height);
        Work {
            width,
            height,
            rgb,
            gray,
        }
    }
}

/// Colour histograms (8 levels per channel) of the object and of the
/// background around it, as log-likelihoods.
pub struct ColourModel {
    log_ratio: Vec<f32>,
}

const LEVELS: usize = 8;
const BINS: usize = LEVELS * LEVELS * LEVELS;

fn bin(rgb: &[u8]) -> usize {
    let q = |v: u8| v as usize * LEVELS / 256;
    (q(rgb[0]) * LEVELS + q(rgb[1])) * LEVELS + q(rgb[2])
}

/// Bounding box `(x0, y0, x1, y1)` (inclusive) of `mask >= 0.5`.
fn bounds(mask: &[f32], w: usize) -> Option<(usize, usize, usize, usize)> {
    let mut b: Option<(usize, usize, usize, usize)> = None;
    for (i, m) in mask.iter().enumerate() {
        if *m >= 0.5 {
            let (x, y) = (i % w, i / w);
            b = Some(match b {
                None => (x, y, x, y),
                Some((x0, y0, x1, y1)) => (x0.min(x), y0.min(y), x1.max(x), y1.max(y)),
            });
        }
    }
    b
}

impl ColourModel {
    /// Learn from `mask` on `work`: the object is `mask >= 0.5`, the
    /// background the rest of a box around it half the object's size
    /// larger on each side. `None` when the mask is empty or fills the box.
    pub fn learn(work: &Work, mask: &[f32]) -> Option<ColourModel> {
        let (w, h) = (work.width, work.height);
        let (x0, y0, x1, y1) = bounds(mask, w)?;
        let margin = ((x1 - x0).max(y1 - y0) / 2).max(8);
        let (bx0, by0) = (x0.saturating_sub(margin), y0.saturating_sub(margin));
        let (bx1, by1) = ((x1 + margin).min(w - 1), (y1 + margin).min(h - 1));
        let mut object = vec![0.0f64; BINS];
        let mut background = vec![0.0f64; BINS];
        for y in by0..=by1 {
            for x in bx0..=bx1 {
                let i = y * w + x;
                let b = bin(&work.rgb[3 * i..3 * i + 3]);
                let m = mask[i].clamp(0.0, 1.0) as f64;
                object[b] += m;
                background[b] += 1.0 - m;
            }
        }
        ColourModel::from_counts(&object, &background)
    }

    /// Log-likelihood ratios from weighted counts (one count added to every
    /// bin, so colours never seen are merely unlikely).
    fn from_counts(object: &[f64], background: &[f64]) -> Option<ColourModel> {
        let (no, nb): (f64, f64) = (object.iter().sum(), background.iter().sum());
        if no < 1.0 || nb < 1.0 {
            return None;
        }
        let prior = 1.0;
        let log_ratio = object
            .iter()
            .zip(background)
            .map(|(o, b)| {
                let po = (o + prior) / (no + prior * BINS as f64);
                let pb = (b + prior) / (nb + prior * BINS as f64);
                (po / pb).ln() as f32
            })
            .collect();
        Some(ColourModel { log_ratio })
    }

    /// Evidence that pixel `i` of `work` is object rather than background.
    fn evidence(&self, work: &Work, i: usize) -> f32 {
        self.log_ratio[bin(&work.rgb[3 * i..3 * i + 3])]
    }
}

/// How far the colour evidence may move the carried mask. The carried
/// mask, blurred over the flow's typical error at an outline, is the prior,
/// never more certain than `PRIOR_CERTAINTY`; the colour evidence is capped
/// below what it takes to overturn a certain prior. So colour decides only
/// in the blurred edge zone, a pixel or two either side of the carried
/// edge, and cannot grow the mask into look-alike surroundings by more than
/// that per frame.
const PRIOR_CERTAINTY: f32 = 0.95;
const EVIDENCE_CAP: f32 = 2.5;
const EDGE_BLUR: usize = 1;

/// Snap a carried mask to the picture: colour evidence in the zone where
/// the carried edge is unsure, then a guided filter against the picture,
/// then a steep re-shaping so the edge does not soften step after step.
/// The evidence is the keyframe's colour model, capped where the local
/// windows along the outline ([`LocalColour`]) reach by what they see: a
/// whole-object model alone drags the outline into look-alike
/// surroundings; local windows on their own drive it into regions they
/// learnt wrongly, so they only hold it back.
pub fn snap(
    carried: &[f32],
    work: &Work,
    model: Option<&ColourModel>,
    local: Option<&LocalColour>,
) -> Vec<f32> {
    let (w, h) = (work.width, work.height);
    let mut q = box_mean(Plane::new(carried, w, h, 1), EDGE_BLUR);
    if model.is_some() || local.is_some() {
        let cap = PRIOR_CERTAINTY;
        for (i, v) in q.iter_mut().enumerate() {
            // The keyframe's model decides; where local windows reach,
            // they may only veto its calls of "object": a pixel is pulled
            // towards the object only as far as it also stands out from
            // its immediate surroundings. (Letting the windows also push
            // towards background eroded thin parts: they learn from the
            // previous frame's mask, errors included.)
            let evidence = match (local.and_then(|l| l.at(i)), model) {
                (Some(e), Some(m)) => m.evidence(work, i).min(e.max(0.0)),
                (Some(e), None) => e,
                (None, Some(m)) => m.evidence(work, i),
                (None, None) => 0.0,
            };
            let p = v.clamp(1.0 - cap, cap);
            let logit = (p / (1.0 - p)).ln() + evidence.clamp(-EVIDENCE_CAP, EVIDENCE_CAP);
            *v = 1.0 / (1.0 + (-logit).exp());
        }
    }
    let guided = guided_upsample(
        Plane::new(&work.gray.data, w, h, 1),
        Plane::new(&q, w, h, 1),
        2,
        1e-3,
    );
    guided.iter().map(|v| smoothstep(0.4, 0.6, *v)).collect()
}

/// The object inside a box: GrabCut's idea without the graph cut. Colour
/// models of the box's inside against a ring around it are re-estimated a
/// few times from the current split, with a prior that favours the box's
/// middle; the largest connected piece is kept. If nothing sensible is
/// found, the ellipse inscribed in the box is used.
pub fn segment_box(work: &Work, b: KeyBox, scale: f32) -> Vec<f32> {
    let (w, h) = (work.width, work.height);
    let clampx = |v: f32| (v.round().max(0.0) as usize).min(w);
    let clampy = |v: f32| (v.round().max(0.0) as usize).min(h);
    let (x0, y0) = (clampx(b.x as f32 * scale), clampy(b.y as f32 * scale));
    let (x1, y1) = (
        clampx((b.x + b.w) as f32 * scale),
        clampy((b.y + b.h) as f32 * scale),
    );
    let mut mask = vec![0.0f32; w * h];
    if x1 <= x0 || y1 <= y0 {
        return mask;
    }
    let (cx, cy) = ((x0 + x1) as f32 / 2.0, (y0 + y1) as f32 / 2.0);
    let (rx, ry) = (
        ((x1 - x0) as f32 / 2.0).max(0.5),
        ((y1 - y0) as f32 / 2.0).max(0.5),
    );
    // 0 at the box's centre, 1 at the inscribed ellipse.
    let radial = |x: usize, y: usize| {
        let dx = (x as f32 + 0.5 - cx) / rx;
        let dy = (y as f32 + 0.5 - cy) / ry;
        (dx * dx + dy * dy).sqrt()
    };
    let inside = |x: usize, y: usize| x >= x0 && x < x1 && y >= y0 && y < y1;
    let margin = ((x1 - x0).max(y1 - y0) / 2).max(4);
    let (rx0, ry0) = (x0.saturating_sub(margin), y0.saturating_sub(margin));
    let (rx1, ry1) = ((x1 + margin).min(w), (y1 + margin).min(h));
    for y in y0..y1 {
        for x in x0..x1 {
            mask[y * w + x] = 1.0;
        }
    }
    for _ in 0..5 {
        let mut object = vec![0.0f64; BINS];
        let mut background = vec![0.0f64; BINS];
        for y in ry0..ry1 {
            for x in rx0..rx1 {
                let i = y * w + x;
                let k = bin(&work.rgb[3 * i..3 * i + 3]);
                let m = if inside(x, y) { mask[i] as f64 } else { 0.0 };
                object[k] += m;
                background[k] += 1.0 - m;
            }
        }
        let Some(model) = ColourModel::from_counts(&object, &background) else {
            break;
        };
        let mut q = vec![0.0f32; w * h];
        for y in y0..y1 {
            for x in x0..x1 {
                let i = y * w + x;
                let logit = 1.0 - 2.0 * radial(x, y).min(1.5) + model.evidence(work, i);
                q[i] = 1.0 / (1.0 + (-logit).exp());
            }
        }
        let g = guided_upsample(
            Plane::new(&work.gray.data, w, h, 1),
            Plane::new(&q, w, h, 1),
            2,
            1e-3,
        );
        for y in 0..h {
            for x in 0..w {
                let i = y * w + x;
                mask[i] = if inside(x, y) && g[i] >= 0.5 {
                    1.0
                } else {
                    0.0
                };
            }
        }
    }
    keep_largest_piece(&mut mask, w, h);
    let area: f32 = mask.iter().sum();
    if area < 0.05 * ((x1 - x0) * (y1 - y0)) as f32 {
        for y in y0..y1 {
            for x in x0..x1 {
                mask[y * w + x] = if radial(x, y) <= 1.0 { 1.0 } else { 0.0 };
            }
        }
    }
    mask
}

/// Clear every 4-connected piece of `mask >= 0.5` but the largest (the
/// first found on a tie, scanning rows from the top).
fn keep_largest_piece(mask: &mut [f32], w: usize, h: usize) {
    let mut label = vec![0u32; w * h];
    let mut best = (0usize, 0u32);
    let mut next = 0u32;
    let mut stack = Vec::new();
    for start in 0..w * h {
        if mask[start] < 0.5 || label[start] != 0 {
            continue;
        }
        next += 1;
        let mut size = 0;
        label[start] = next;
        stack.push(start);
        while let Some(i) = stack.pop() {
            size += 1;
            let (x, y) = (i % w, i / w);
            let mut visit = |j: usize| {
                if mask[j] >= 0.5 && label[j] == 0 {
                    label[j] = next;
                    stack.push(j);
                }
            };
            if x > 0 {
                visit(i - 1);
            }
            if x + 1 < w {
                visit(i + 1);
            }
            if y > 0 {
                visit(i - w);
            }
            if y + 1 < h {
                visit(i + w);
            }
        }
        if size > best.0 {
            best = (size, next);
        }
    }
    for (m, l) in mask.iter_mut().zip(&label) {
        if *l != best.1 {
            *m = 0.0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A dark square on a light, lightly textured background.
    fn scene(w: usize, h: usize, sx: usize, sy: usize, side: usize) -> Frame {
        let mut f = Frame::filled(0, w, h, 3, 0.0);
        for y in 0..h {
            for x in 0..w {
                let inside = x >= sx && x < sx + side && y >= sy && y < sy + side;
                let t = 0.05 * ((x * 7 + y * 13) % 5) as f32;
                let v = if inside { 0.05 + 0.3 * t } else { 0.6 + t };
                let p = (y * w + x) * 3;
                f.data[p..p + 3].copy_from_slice(&[v, v * 0.8, v * 0.5]);
            }
        }
        f
    }

    #[test]
    fn a_box_finds_the_object_inside_it() {
        let f = scene(96, 64, 30, 20, 20);
        let work = Work::from_frame(&f, 96, 64);
        let b = KeyBox {
            x: 24,
            y: 14,
            w: 32,
            h: 32,
        };
        let m = segment_box(&work, b, 1.0);
        let mut inter = 0.0;
        let mut union = 0.0;
        for y in 0..64 {
            for x in 0..96 {
                let truth = (30..50).contains(&x) && (20..40).contains(&y);
                let got = m[y * 96 + x] >= 0.5;
                inter += (truth && got) as u8 as f32;
                union += (truth || got) as u8 as f32;
            }
        }
        assert!(inter / union > 0.9, "IoU {}", inter / union);
    }

    #[test]
    fn snapping_pulls_a_shifted_edge_back_to_the_picture() {
        let f = scene(96, 64, 30, 20, 20);
        let work = Work::from_frame(&f, 96, 64);
        let truth: Vec<f32> = (0..96 * 64)
            .map(|i| {
                let (x, y) = (i % 96, i / 96);
                ((30..50).contains(&x) && (20..40).contains(&y)) as u8 as f32
            })
            .collect();
        let model = ColourModel::learn(&work, &truth).unwrap();
        // The carried mask is 2 px off to the right.
        let off: Vec<f32> = (0..96 * 64)
            .map(|i| {
                let (x, y) = (i % 96, i / 96);
                ((32..52).contains(&x) && (20..40).contains(&y)) as u8 as f32
            })
            .collect();
        let snapped = snap(&off, &work, Some(&model), None);
        let wrong = |m: &[f32]| {
            m.iter()
                .zip(&truth)
                .filter(|(a, b)| (**a >= 0.5) != (**b >= 0.5))
                .count()
        };
        assert!(
            wrong(&snapped) < wrong(&off) / 4,
            "{} vs {}",
            wrong(&snapped),
            wrong(&off)
        );
    }
}

#[cfg(test)]
mod creep_tests {
    use super::*;
    use crate::track::carry::Carried;

    /// A dark square with a dark strip of its colour touching its right
    /// side, on a light background; the keyframe's colour model (learnt
    /// with the strip as background) still calls dark "object". Snapping a
    /// still frame again and again, the whole-object model alone drags the
    /// outline along the strip; the local windows (which see no difference
    /// between the square and the strip there) hold most of it back.
    #[test]
    fn local_windows_hold_the_outline_back_from_a_look_alike() {
        let (w, h) = (96, 64);
        let square = |x: usize, y: usize| (20..40).contains(&x) && (20..44).contains(&y);
        let strip = |x: usize, y: usize| (40..80).contains(&x) && (28..36).contains(&y);
        let mut rgb = Vec::with_capacity(w * h * 3);
        for y in 0..h {
            for x in 0..w {
                let noise = ((x * 7 + y * 13) % 5) as u8;
                let v = if square(x, y) || strip(x, y) { 30 } else { 200 };
                rgb.extend([v + noise, v + noise, v]);
            }
        }
        let work = Work::from_bytes(w, h, rgb);
        let truth: Vec<f32> = (0..w * h)
            .map(|i| square(i % w, i / w) as u8 as f32)
            .collect();
        let model = ColourModel::learn(&work, &truth).unwrap();
        let in_strip = |m: &[f32]| {
            (0..w * h)
                .filter(|i| strip(i % w, i / w) && m[*i] >= 0.5)
                .count()
        };
        let run = |use_local: bool| {
            let mut mask = truth.clone();
            for _ in 0..8 {
                let carried = Carried {
                    prior: mask.clone(),
                    warped: mask.clone(),
                    previous_rgb: work.rgb.iter().map(|v| *v as f32 / 255.0).collect(),
                    reliable: vec![1.0; w * h],
                };
                let local = LocalColour::learn(&carried, &work);
                mask = snap(&mask, &work, Some(&model), use_local.then_some(&local));
            }
            mask
        };
        let global = in_strip(&run(false));
        let both = in_strip(&run(true));
        assert!(
            global >= 40,
            "the test's look-alike did not lure the whole-object model: {global}"
        );
        // Measured: 64 px against 160 (the windows at the strip's rim,
        // where dark meets light, still let it creep a little).
        assert!(
            both * 2 <= global,
            "{both} px of the strip taken with local windows, {global} without"
        );
        // The square itself is kept.
        let kept = run(true);
        let square_kept = (0..w * h)
            .filter(|i| square(i % w, i / w) && kept[*i] >= 0.5)
            .count();
        assert!(square_kept >= 20 * 24 * 9 / 10, "{square_kept}");
    }
}
