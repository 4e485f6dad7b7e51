//! A copy that only one side of the window gives, at the end of a chain
//! through the hole, is weighed against the smooth fill (`remove` step 5).
//! The synthetic shot: a still, finely textured wall with a conveyor belt
//! across it moving right, and a still hole (a logo) over both. The flow
//! inside the hole is completed from its border (still above and below,
//! moving on the belt), so chains through the hole lag behind the belt and
//! copy the wrong texture; at the shot's ends only one side of the window
//! exists, so every copy there is one-sided.

mod common;

use std::sync::{Arc, Mutex};

use retake_core::pipeline::{self, PipelineOptions};
use retake_core::{ClipInfo, Frame, FrameRange, FrameSource, Result};
use retake_ops::inpaint::smooth::Membrane;
use retake_ops::remove::{Remove, RemoveParams};

use common::Collect;

const W: usize = 96;
const H: usize = 64;
const FRAMES: i64 = 10;

/// Fine texture: a copy a few pixels off is far from the truth.
fn texture(x: f32, y: f32) -> [f32; 3] {
    [
        0.5 + 0.3 * (0.9 * x).sin() * (0.7 * y).cos(),
        0.5 + 0.25 * (0.6 * x + 0.8 * y).sin(),
        0.4 + 0.2 * (1.1 * x - 0.5 * y).cos(),
    ]
}

/// Rows of the belt, which moves right this many pixels a frame.
const BELT: std::ops::Range<usize> = 26..38;
const BELT_SPEED: f32 = 2.0;

fn truth(t: i64, x: usize, y: usize) -> [f32; 3] {
    let shift = if BELT.contains(&y) {
        BELT_SPEED * t as f32
    } else {
        0.0
    };
    texture(x as f32 - shift, y as f32)
}

/// The hole: a still disc over the belt and the wall above and below it.
fn hole(_t: i64, x: usize, y: usize) -> bool {
    let (cx, cy, r) = (44.0, 32.0, 11.0);
    (x as f32 - cx).powi(2) + (y as f32 - cy).powi(2) <= r * r
}

struct Shot {
    next: i64,
    info: ClipInfo,
}

impl FrameSource for Shot {
    fn info(&self) -> &ClipInfo {
        &self.info
    }
    fn next_frame(&mut self) -> Result<Option<Frame>> {
        if self.next >= FRAMES {
            return Ok(None);
        }
        let t = self.next;
        self.next += 1;
        let mut data = Vec::with_capacity(W * H * 4);
        for y in 0..H {
            for x in 0..W {
                // What the mask covers is painted over: only the fill counts.
                let h = hole(t, x, y);
                data.extend_from_slice(&if h { [0.9, 0.1, 0.1] } else { truth(t, x, y) });
                data.push(f32::from(u8::from(h)));
            }
        }
        Ok(Some(Frame::from_data(t, W, H, 4, data)?))
    }
    fn seek(&mut self, index: i64) -> Result<()> {
        self.next = index;
        Ok(())
    }
}

fn run(workers: usize, frames: Option<&str>) -> Vec<Frame> {
    let params = RemoveParams {
        mask: "synthetic".into(),
        dilate: 0,
        feather: 0,
        window: 6,
        ..RemoveParams::default()
    };
    let op = Remove::new(params, Box::new(Membrane), None).unwrap();
    let mut shot = Shot {
        next: 0,
        info: ClipInfo::in_memory("synthetic-belt", W, H, Some(FRAMES as u64)),
    };
    let out = Arc::new(Mutex::new(Vec::new()));
    pipeline::run(
        &mut shot,
        &op,
        Box::new(Collect(out.clone())),
        &PipelineOptions {
            workers,
            frames: frames.map(|f| FrameRange::parse(f).unwrap()),
            ..Default::default()
        },
    )
    .unwrap();
    let v = std::mem::take(&mut *out.lock().unwrap());
    v
}

/// PSNR against the truth over the belt's pixels in the hole of the first
/// and last two frames (where one side of the window is missing).
fn belt_psnr_at_the_ends(frames: &[Frame]) -> f32 {
    let (mut sum, mut n) = (0.0f64, 0.0f64);
    for f in frames
        .iter()
        .filter(|f| f.index < 2 || f.index >= FRAMES - 2)
    {
        for y in BELT {
            for x in 0..W {
                if hole(f.index, x, y) {
                    let (p, t) = (f.pixel(x, y), truth(f.index, x, y));
                    sum += (0..3).map(|c| f64::from(p[c] - t[c]).powi(2)).sum::<f64>() / 3.0;
                    n += 1.0;
                }
            }
        }
    }
    (10.0 * (n / sum).log10()) as f32
}

#[test]
fn a_one_sided_copy_through_a_drifting_chain_is_pulled_towards_the_smooth_fill() {
    let out = run(2, None);
    assert_eq!(out.len(), FRAMES as usize);
    let psnr = belt_psnr_at_the_ends(&out);
    eprintln!("belt in the hole at the shot's ends: {psnr:.2} dB");
    // Measured: 15.18 dB when each one-sided copy was taken as it is,
    // 15.50 dB weighed against the smooth fill.
    assert!(
        psnr > 15.35,
        "{psnr:.2} dB: one-sided copies through the lagging chain are not weighed against the smooth fill"
    );
}

#[test]
fn one_sided_weighing_is_identical_with_any_threads_and_chunks() {
    let one = run(1, None);
    assert_eq!(one, run(2, None), "1 and 2 threads differ");
    let mut chunks = run(2, Some("0-4"));
    chunks.extend(run(2, Some("5-9")));
    assert_eq!(one, chunks, "chunked render differs from whole");
}

/// The belt's pixels that no frame of the window shows (at the hole's
/// edge where the belt enters it) are filled smoothly from their border,
/// which holds the one-sided copies around them: weighed first, those
/// copies are nearer the truth, and so is the fill they border.
#[test]
fn the_fill_of_what_no_frame_shows_borders_on_weighed_one_sided_copies() {
    let psnr = belt_psnr_at_the_ends(&run(2, None));
    // Measured: 15.47 dB with the unseen pixels filled before the
    // one-sided copies were weighed (their raw far copies as border),
    // 15.54 dB after.
    assert!(
        psnr > 15.50,
        "{psnr:.2} dB: the smooth fill of unseen pixels took unweighed one-sided copies as its border"
    );
}
