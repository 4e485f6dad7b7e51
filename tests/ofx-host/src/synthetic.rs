//! Synthetic footage with a known answer: a textured background that
//! drifts, and an object moving across it with its exact matte. Tests and
//! the benchmark render the same frames through the plugin and the CLI.

use retake_core::Frame;

/// A textured background drifting right by one pixel a frame, with a
/// brighter disc ("the object") moving across it; linear values in 0.03..0.9.
pub fn scene(index: i64, w: usize, h: usize, channels: usize) -> Frame {
    let mut data = Vec::with_capacity(w * h * channels);
    let (cx, cy, r) = object(index, w, h);
    for y in 0..h {
        for x in 0..w {
            let u = (x as f32 - index as f32) * 0.21;
            let v = y as f32 * 0.17;
            let tex = 0.5 + 0.25 * (u.sin() * v.cos()) + 0.15 * ((u * 0.31 + v * 0.53).sin());
            let d = ((x as f32 - cx).powi(2) + (y as f32 - cy).powi(2)).sqrt();
            let inside = (r + 0.5 - d).clamp(0.0, 1.0);
            let rgb = [0.03 + 0.5 * tex, 0.05 + 0.4 * tex, 0.04 + 0.3 * (1.0 - tex)];
            let obj = [0.9, 0.25, 0.2];
            for c in 0..3 {
                data.push(rgb[c] * (1.0 - inside) + obj[c] * inside);
            }
            if channels == 4 {
                data.push(1.0);
            }
        }
    }
    Frame {
        index,
        width: w,
        height: h,
        channels,
        data,
    }
}

/// Centre and radius of the object in frame `index`.
pub fn object(index: i64, w: usize, h: usize) -> (f32, f32, f32) {
    (
        w as f32 * 0.3 + 2.0 * index as f32,
        h as f32 * 0.5,
        h as f32 * 0.18,
    )
}

/// The object's matte (1 = object), one channel, binary.
pub fn matte(index: i64, w: usize, h: usize) -> Frame {
    let (cx, cy, r) = object(index, w, h);
    let data = (0..w * h)
        .map(|i| {
            let (x, y) = ((i % w) as f32, (i / w) as f32);
            if ((x - cx).powi(2) + (y - cy).powi(2)).sqrt() <= r {
                1.0
            } else {
                0.0
            }
        })
        .collect();
    Frame {
        index,
        width: w,
        height: h,
        channels: 1,
        data,
    }
}
