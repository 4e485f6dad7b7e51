//! Depth for reprojection: relative inverse depth (what learned depth
//! models give) turned into metric-like depth by a scene depth range, and
//! the built-in layered 2.5D estimate used when there is neither a pass
//! nor a model.
//!
//! Reprojection needs depth up to one scale, which the camera's
//! translations are measured in: relative depth is put between 1 (the
//! nearest surface) and the scene's depth range (the farthest).

use retake_core::error::{Error, Result};
use retake_imageops::distance::euclidean_to_outside;
pub use retake_model::depth::depth_from_relative_inverse;

/// How the built-in estimate lays out the scene.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LayeredOptions {
    /// Farthest depth (the nearest surface is 1).
    pub range: f32,
    /// Height of the horizon, as a fraction of the frame from the top.
    pub horizon: f32,
    /// Focal length of the source camera, in pixels.
    pub focal: f32,
}

/// Ground depth at the bottom edge of frame: a little behind the nearest
/// possible surface, so subjects cut by the bottom edge stand in front.
const GROUND_NEAR: f32 = 1.2;

/// Matte components smaller than this fraction of the frame are noise,
/// not subjects.
const MIN_SUBJECT: f64 = 0.0005;

/// The built-in layered 2.5D depth of a `width` x `height` frame: a ground
/// plane from just behind the nearest depth at the bottom edge to the far
/// depth at the horizon, a backdrop at the far depth above it, and each
/// subject of the matte (1 = subject; its separate parts each on their
/// own) standing upright on the ground where its lowest pixel touches it,
/// rounded by inflating its silhouette so a moving camera does not see a
/// cardboard cut-out. What the subject hides of the background is not in
/// this map: it is what the view change disoccludes, and the fill takes
/// it from the frames that saw it, then from the background side.
pub fn layered_depth(
    width: usize,
    height: usize,
    matte: Option<&[f32]>,
    opts: &LayeredOptions,
) -> Result<Vec<f32>> {
    let (w, h) = (width, height);
    let range = opts.range.max(GROUND_NEAR + 0.1);
    let horizon = opts.horizon.clamp(0.0, 1.0) * h as f32 - 0.5;
    let bottom = h as f32 - 0.5;
    let ground = |y: usize| -> f32 {
        let yc = y as f32;
        if yc <= horizon {
            return range;
        }
        (GROUND_NEAR * (bottom - horizon) / (yc - horizon)).min(range)
    };
    let mut depth = Vec::with_capacity(w * h);
    for y in 0..h {
        depth.extend(std::iter::repeat_n(ground(y), w));
    }
    let Some(matte) = matte else {
        return Ok(depth);
    };
    if matte.len() != w * h {
        return Err(Error::input(
            "subject matte",
            format!("the matte has {} pixels, the frame is {w}x{h}", matte.len()),
        ));
    }
    let inside: Vec<bool> = matte.iter().map(|m| *m > 0.5).collect();
    let (labels, count) = components(&inside, w, h);
    if count == 0 {
        return Ok(depth);
    }
    // Per component: size, lowest row, largest distance to its edge.
    let dist = euclidean_to_outside(&inside, w, h);
    let mut size = vec![0usize; count];
    let mut lowest = vec![0usize; count];
    let mut r_max = vec![0.5f32; count];
    for (i, &l) in labels.iter().enumerate() {
        if l == 0 {
            continue;
        }
        let c = l as usize - 1;
        size[c] += 1;
        lowest[c] = lowest[c].max(i / w);
        r_max[c] = r_max[c].max(dist[i]);
    }
    let min_size = ((w * h) as f64 * MIN_SUBJECT).ceil() as usize;
    for (i, &l) in labels.iter().enumerate() {
        if l == 0 {
            continue;
        }
        let c = l as usize - 1;
        if size[c] < min_size {
            continue;
        }
        // Standing on the ground at its lowest row; something whose
        // lowest row is at or above the horizon floats, halfway back.
        let base = ground(lowest[c]).min(0.5 * range).max(1.0);
        let r = dist[i].min(r_max[c]);
        let bulge = (r * (2.0 * r_max[c] - r)).max(0.0).sqrt();
        // Half as deep as wide: people and animals are thinner than they
        // are broad.
        depth[i] = (base * (1.0 - 0.5 * bulge / opts.focal.max(1.0))).max(1.0);
    }
    Ok(depth)
}

/// 4-connected components of `inside`: a label per pixel (0 = outside,
/// 1.. = component) and the number of components. Two passes with union-find.
pub(crate) fn components(inside: &[bool], w: usize, h: usize) -> (Vec<u32>, usize) {
    let mut labels = vec![0u32; w * h];
    let mut parent: Vec<u32> = vec![0];
    fn find(parent: &mut [u32], mut x: u32) -> u32 {
        while parent[x as usize] != x {
            parent[x as usize] = parent[parent[x as usize] as usize];
            x = parent[x as usize];
        }
        x
    }
    for y in 0..h {
        for x in 0..w {
            let i = y * w + x;
            if !inside[i] {
                continue;
            }
            let left = if x > 0 { labels[i - 1] } else { 0 };
            let up = if y > 0 { labels[i - w] } else { 0 };
            labels[i] = match (left, up) {
                (0, 0) => {
                    let n = parent.len() as u32;
                    parent.push(n);
                    n
                }
                (l, 0) | (0, l) => l,
                (l, u) => {
                    let (a, b) = (find(&mut parent, l), find(&mut parent, u));
                    let (lo, hi) = (a.min(b), a.max(b));
                    parent[hi as usize] = lo;
                    lo
                }
            };
        }
    }
    // Compact the roots to 1..=count in order of first appearance.
    let mut compact = vec![0u32; parent.len()];
    let mut count = 0u32;
    for l in labels.iter_mut() {
        if *l == 0 {
            continue;
        }
        let root = find(&mut parent, *l) as usize;
        if compact[root] == 0 {
            count += 1;
            compact[root] = count;
        }
        *l = compact[root];
    }
    (labels, count as usize)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inverse_depth_maps_to_the_range() {
        let disparity: Vec<f32> = (0..=1000).map(|i| i as f32 / 10.0).collect();
        let d = depth_from_relative_inverse(&disparity, 10.0);
        // Nearest (largest disparity) near 1, farthest near 10, monotone.
        assert!((d[1000] - 1.0).abs() < 1e-4, "{}", d[1000]);
        assert!((d[0] - 10.0).abs() < 1e-3, "{}", d[0]);
        assert!(d.windows(2).all(|p| p[0] >= p[1]));
        // Midway in disparity is midway in inverse depth.
        let mid = d[500];
        assert!((1.0 / mid - 0.55).abs() < 0.01, "{mid}");
        // Unknowns go to the back; a constant map sits in the middle.
        let d = depth_from_relative_inverse(&[1.0, f32::NAN, 2.0], 4.0);
        assert_eq!(d[1], 4.0);
        let flat = depth_from_relative_inverse(&[3.0; 8], 4.0);
        assert!(flat.iter().all(|v| (1.0 / v - 0.625).abs() < 1e-6));
    }

    #[test]
    fn layers_put_subjects_on_the_ground_in_front_of_it() {
        let (w, h) = (64, 48);
        let opts = LayeredOptions {
            range: 10.0,
            horizon: 0.4,
            focal: 60.0,
        };
        let plain = layered_depth(w, h, None, &opts).unwrap();
        // The ground recedes towards the horizon; the sky is far.
        assert!(plain[(h - 1) * w] < plain[30 * w]);
        assert_eq!(plain[0], 10.0);
        // Two subjects: one standing low (near), one higher up (farther).
        let mut matte = vec![0.0f32; w * h];
        for y in 20..46 {
            for x in 5..15 {
                matte[y * w + x] = 1.0;
            }
        }
        for y in 15..30 {
            for x in 40..46 {
                matte[y * w + x] = 1.0;
            }
        }
        let d = layered_depth(w, h, Some(&matte), &opts).unwrap();
        let near = d[40 * w + 10];
        let far = d[25 * w + 43];
        assert!(near < far, "{near} {far}");
        // Each stands in front of the ground behind it.
        assert!(near < plain[40 * w + 10] && far < plain[25 * w + 43]);
        assert!(d.iter().all(|v| *v >= 1.0 && *v <= 10.0));
        let (_, n) = components(&matte.iter().map(|m| *m > 0.5).collect::<Vec<_>>(), w, h);
        assert_eq!(n, 2);
    }
}
