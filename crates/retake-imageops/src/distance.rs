//! Distance transforms of a binary mask. Two metrics, each kept for the
//! operation whose output depends on its exact values: the chamfer
//! distance (cheap, f32; removal's dilation, feathering and seam blend)
//! and the exact Euclidean distance (f64; relight's silhouette inflation
//! and reangle's layered depth).

/// Chamfer (3-4) distance in pixels from every pixel to the nearest `true`
/// one (0 on `true` pixels). Close enough to Euclidean for dilation and
/// feathering, and two passes whatever the radius.
pub fn chamfer_to_set(mask: &[bool], w: usize, h: usize) -> Vec<f32> {
    chamfer(mask.iter().copied(), w, h)
}

/// Chamfer distance from every pixel to the nearest `false` one.
pub fn chamfer_to_unset(mask: &[bool], w: usize, h: usize) -> Vec<f32> {
    chamfer(mask.iter().map(|m| !*m), w, h)
}

fn chamfer(seeds: impl Iterator<Item = bool>, w: usize, h: usize) -> Vec<f32> {
    const FAR: f32 = 1e9;
    let mut d: Vec<f32> = seeds.map(|s| if s { 0.0 } else { FAR }).collect();
    let (a, b) = (1.0f32, std::f32::consts::SQRT_2);
    for y in 0..h {
        for x in 0..w {
            let i = y * w + x;
            let mut v = d[i];
            if x > 0 {
                v = v.min(d[i - 1] + a);
            }
            if y > 0 {
                v = v.min(d[i - w] + a);
                if x > 0 {
                    v = v.min(d[i - w - 1] + b);
                }
                if x + 1 < w {
                    v = v.min(d[i - w + 1] + b);
                }
            }
            d[i] = v;
        }
    }
    for y in (0..h).rev() {
        for x in (0..w).rev() {
            let i = y * w + x;
            let mut v = d[i];
            if x + 1 < w {
                v = v.min(d[i + 1] + a);
            }
            if y + 1 < h {
                v = v.min(d[i + w] + a);
                if x + 1 < w {
                    v = v.min(d[i + w + 1] + b);
                }
                if x > 0 {
                    v = v.min(d[i + w - 1] + b);
                }
            }
            d[i] = v;
        }
    }
    d
}

/// Euclidean distance (pixels) from each inside pixel to the silhouette's
/// edge: to the nearest outside pixel's centre, less half a pixel. The
/// frame's border is not an edge (a subject cut by the frame goes on).
/// Two passes of the exact squared distance transform of Felzenszwalb and
/// Huttenlocher.
pub fn euclidean_to_outside(inside: &[bool], w: usize, h: usize) -> Vec<f32> {
    const INF: f64 = 1e12;
    let mut grid: Vec<f64> = inside.iter().map(|&i| if i { INF } else { 0.0 }).collect();
    // Columns.
    let mut col = vec![0.0f64; h];
    let mut out = vec![0.0f64; h.max(w)];
    let mut v = Vec::new();
    let mut z = Vec::new();
    for x in 0..w {
        for y in 0..h {
            col[y] = grid[y * w + x];
        }
        dt1d(&col, &mut out[..h], &mut v, &mut z);
        for y in 0..h {
            grid[y * w + x] = out[y];
        }
    }
    // Rows.
    let mut row = vec![0.0f64; w];
    for y in 0..h {
        row.copy_from_slice(&grid[y * w..(y + 1) * w]);
        dt1d(&row, &mut out[..w], &mut v, &mut z);
        grid[y * w..(y + 1) * w].copy_from_slice(&out[..w]);
    }
    grid.iter()
        .zip(inside)
        .map(|(&d2, &i)| {
            if i {
                (d2.sqrt() - 0.5).max(0.0) as f32
            } else {
                0.0
            }
        })
        .collect()
}

/// One-dimensional squared distance transform (lower envelope of parabolas).
fn dt1d(f: &[f64], d: &mut [f64], v: &mut Vec<usize>, z: &mut Vec<f64>) {
    let n = f.len();
    if n == 0 {
        return;
    }
    v.clear();
    z.clear();
    v.push(0);
    z.push(f64::NEG_INFINITY);
    z.push(f64::INFINITY);
    let sq = |q: usize| (q * q) as f64;
    for q in 1..n {
        let mut k = v.len() - 1;
        let mut s;
        loop {
            let p = v[k];
            s = ((f[q] + sq(q)) - (f[p] + sq(p))) / (2.0 * (q as f64 - p as f64));
            if s <= z[k] && k > 0 {
                v.pop();
                z.pop();
                k -= 1;
            } else {
                break;
            }
        }
        // z[k + 1] becomes s and a new +inf boundary closes the envelope.
        z[k + 1] = s;
        v.push(q);
        z.push(f64::INFINITY);
    }
    let mut k = 0;
    for (q, out) in d.iter_mut().enumerate().take(n) {
        while z[k + 1] < q as f64 {
            k += 1;
        }
        let p = v[k];
        *out = (q as f64 - p as f64).powi(2) + f[p];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distance_transform_matches_brute_force() {
        let (w, h) = (23, 17);
        let inside: Vec<bool> = (0..w * h)
            .map(|i| {
                let (x, y) = ((i % w) as f32, (i / w) as f32);
                (x - 10.0).powi(2) / 60.0 + (y - 8.0).powi(2) / 30.0 < 1.0 || (x > 18.0 && y < 5.0)
            })
            .collect();
        let fast = euclidean_to_outside(&inside, w, h);
        for i in 0..w * h {
            if !inside[i] {
                assert_eq!(fast[i], 0.0);
                continue;
            }
            let (x, y) = ((i % w) as f32, (i / w) as f32);
            let best = (0..w * h)
                .filter(|&j| !inside[j])
                .map(|j| (((j % w) as f32 - x).powi(2) + ((j / w) as f32 - y).powi(2)).sqrt())
                .fold(f32::INFINITY, f32::min);
            assert!(
                (fast[i] - (best - 0.5)).abs() < 1e-4,
                "{i}: {} vs {best}",
                fast[i]
            );
        }
    }

    #[test]
    fn chamfer_stays_within_its_bound_of_euclidean() {
        // 1 and sqrt(2) steps overestimate the Euclidean distance by at
        // most 8.3%, never underestimate it.
        let (w, h) = (31, 19);
        let mut s = 0x1234_5678u32;
        let mask: Vec<bool> = (0..w * h)
            .map(|_| {
                s ^= s << 13;
                s ^= s >> 17;
                s ^= s << 5;
                s.is_multiple_of(23)
            })
            .collect();
        let to_set = chamfer_to_set(&mask, w, h);
        let to_unset = chamfer_to_unset(&mask, w, h);
        for i in 0..w * h {
            let (x, y) = ((i % w) as f32, (i / w) as f32);
            let nearest = |want: bool| {
                (0..w * h)
                    .filter(|&j| mask[j] == want)
                    .map(|j| (((j % w) as f32 - x).powi(2) + ((j / w) as f32 - y).powi(2)).sqrt())
                    .fold(f32::INFINITY, f32::min)
            };
            for (d, want) in [(to_set[i], true), (to_unset[i], false)] {
                let e = nearest(want);
                assert!(d >= e - 1e-4 && d <= 1.0824 * e + 1e-4, "{i}: {d} vs {e}");
            }
        }
    }
}
