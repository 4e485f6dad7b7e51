//! Long-range propagation on a synthetic shot with a known answer: an
//! object sits still over a textured background for a while, then moves
//! away, so the background behind it is revealed only more frames away than
//! the window holds. The long-range pass must copy it from there.

mod common;

use std::sync::{Arc, Mutex};

use retake_core::pipeline::{self, PipelineOptions};
use retake_core::{ClipInfo, Frame, FrameRange, FrameSource, Result};
use retake_ops::inpaint::smooth::Membrane;
use retake_ops::remove::{Remove, RemoveParams};

use common::Collect;

const FRAMES: i64 = 40;
/// The object stands still until this frame, then moves right.
const LEAVES_AT: i64 = 22;
const WINDOW: usize = 4;
const SIDE: usize = 20;

/// A textured background, still (the camera does not move).
fn background(x: usize, y: usize) -> [f32; 3] {
    let (x, y) = (x as f32, y as f32);
    let a = 0.5 + 0.3 * (0.41 * x).sin() * (0.33 * y).cos();
    let b = 0.5 + 0.25 * (0.23 * x + 0.37 * y).sin();
    [
        0.8 * a,
        0.4 * a + 0.5 * b,
        0.3 + 0.3 * (0.29 * x - 0.17 * y).cos(),
    ]
}

/// Top-left corner of the object at frame `t` in a `w x h` frame.
fn object(t: i64, w: usize, h: usize) -> (usize, usize) {
    let (x0, y0) = (w / 2 - SIDE / 2 - 10, h / 2 - SIDE / 2);
    (x0 + 5 * (t - LEAVES_AT).max(0) as usize, y0)
}

fn in_object(t: i64, w: usize, h: usize, x: usize, y: usize) -> bool {
    let (ox, oy) = object(t, w, h);
    (ox..ox + SIDE).contains(&x) && (oy..oy + SIDE).contains(&y)
}

/// The shot with the object's mask as alpha, as `MattedSource` makes it.
struct Shot {
    next: i64,
    info: ClipInfo,
}

impl Shot {
    fn new(w: usize, h: usize) -> Shot {
        Shot {
            next: 0,
            info: ClipInfo::in_memory("synthetic-still-then-moving", w, h, Some(FRAMES as u64)),
        }
    }
}

impl FrameSource for Shot {
    fn info(&self) -> &ClipInfo {
        &self.info
    }
    fn next_frame(&mut self) -> Result<Option<Frame>> {
        let t = self.next;
        if t >= FRAMES {
            return Ok(None);
        }
        self.next += 1;
        let (w, h) = (self.info.width, self.info.height);
        let mut data = Vec::with_capacity(w * h * 4);
        for y in 0..h {
            for x in 0..w {
                let inside = in_object(t, w, h, x, y);
                data.extend_from_slice(&if inside {
                    [0.9, 0.1, 0.1]
                } else {
                    background(x, y)
                });
                data.push(f32::from(u8::from(inside)));
            }
        }
        Frame::from_data(t, w, h, 4, data).map(Some)
    }
    fn seek(&mut self, index: i64) -> Result<()> {
        self.next = index;
        Ok(())
    }
}

fn params(reach: usize) -> RemoveParams {
    RemoveParams {
        mask: "synthetic".into(),
        dilate: 2,
        feather: 0,
        window: WINDOW,
        fill: "smooth".into(),
        reach,
        ..RemoveParams::default()
    }
}

/// Remove the object from `frames` (all when `None`) of a `w x h` shot,
/// with the long-range pass when `reach` exceeds the window.
fn remove(reach: usize, frames: Option<&str>, (w, h): (usize, usize)) -> Result<Vec<Frame>> {
    let range = frames.map(FrameRange::parse).transpose()?;
    let op = Remove::new(params(reach), Box::new(Membrane), None)?
        .with_reach(&mut Shot::new(w, h), range.as_ref())?;
    let out = Arc::new(Mutex::new(Vec::new()));
    pipeline::run(
        &mut Shot::new(w, h),
        &op,
        Box::new(Collect(out.clone())),
        &PipelineOptions {
            workers: 2,
            frames: range,
            ..Default::default()
        },
    )?;
    let frames = std::mem::take(&mut *out.lock().unwrap());
    Ok(frames)
}

/// PSNR (peak 1) against the true background over the object's pixels of
/// the frames given.
fn psnr_in_hole(frames: &[Frame]) -> f64 {
    let (mut sum, mut n) = (0.0f64, 0usize);
    for f in frames {
        for y in 0..f.height {
            for x in 0..f.width {
                if !in_object(f.index, f.width, f.height, x, y) {
                    continue;
                }
                let truth = background(x, y);
                let p = (y * f.width + x) * f.channels;
                for (v, t) in f.data[p..p + 3].iter().zip(truth) {
                    sum += f64::from(v - t).powi(2);
                }
                n += 3;
            }
        }
    }
    10.0 * (n as f64 / sum).log10()
}

#[test]
fn background_revealed_beyond_the_window_is_copied_not_invented() {
    let size = (96, 64);
    // Frames 0-12: the background behind the object shows first at frame
    // 26 (the object has moved past its old place), 14 or more frames
    // away, beyond the window of 4.
    let near = remove(0, Some("0-12"), size).unwrap();
    let far = remove(40, Some("0-12"), size).unwrap();
    assert_eq!((near.len(), far.len()), (13, 13));
    let (window_only, long_range) = (psnr_in_hole(&near), psnr_in_hole(&far));
    eprintln!("hole PSNR: window only {window_only:.2} dB, long range {long_range:.2} dB");
    assert!(
        long_range > 35.0,
        "long range fill {long_range:.2} dB in the hole"
    );
    assert!(
        long_range > window_only + 10.0,
        "long range {long_range:.2} dB vs window only {window_only:.2} dB"
    );
}

#[test]
fn chunks_give_the_bits_of_a_whole_render() {
    let size = (96, 64);
    let whole = remove(40, None, size).unwrap();
    for chunk in ["3-9", "18-27"] {
        let part = remove(40, Some(chunk), size).unwrap();
        let range = FrameRange::parse(chunk).unwrap();
        let expected: Vec<&Frame> = whole.iter().filter(|f| range.contains(f.index)).collect();
        assert_eq!(part.len(), expected.len(), "chunk {chunk}");
        for (a, b) in part.iter().zip(expected) {
            assert_eq!(a.index, b.index);
            let same = a
                .data
                .iter()
                .zip(&b.data)
                .all(|(x, y)| x.to_bits() == y.to_bits());
            assert!(
                same,
                "frame {} differs between chunk {chunk} and whole",
                a.index
            );
        }
    }
}

#[test]
fn the_cache_follows_the_mask_not_the_frame_or_the_window_in_memory() {
    // The same object in a small and a 16-times larger frame: the pass
    // stores the same crops, one record per pair of frames it read.
    let cache = |(w, h): (usize, usize), frames: &str| {
        let range = FrameRange::parse(frames).unwrap();
        let op = Remove::new(params(10), Box::new(Membrane), None)
            .unwrap()
            .with_reach(&mut Shot::new(w, h), Some(&range))
            .unwrap();
        let store = op.reach_store().expect("reach 10 exceeds the window of 4");
        (store.records(), store.bytes())
    };
    let (small_records, small) = cache((128, 96), "10-12");
    let (large_records, large) = cache((512, 384), "10-12");
    // Frames 0-22 read (10 - 10 to 12 + 10): 22 pairs.
    assert_eq!((small_records, large_records), (22, 22));
    assert_eq!(small, large, "the cache grew with the frame");
    // Per pair: two flows (2 planes each), their consistency errors and two
    // pictures (3 planes each) on a crop of the hole's neighbourhood, plus
    // where each is known.
    let per_pair = small / 22;
    assert!(
        per_pair < 96 * 96 * (4 + 2 + 6) * 4 + 2 * 96 * 96 + 128,
        "{per_pair} bytes per pair"
    );
}
