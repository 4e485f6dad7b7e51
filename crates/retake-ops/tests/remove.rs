//! Object removal on synthetic shots with a known answer: a textured
//! background panned under a moving occluder. The background behind the
//! occluder is known exactly, so the fill can be checked pixel by pixel.

mod common;

use std::sync::{Arc, Mutex};

use retake_core::pipeline::{self, PipelineOptions};
use retake_core::{ClipInfo, Error, Frame, FrameRange, FrameSource, Result};
use retake_ops::inpaint::patchmatch::{PatchMatch, PatchMatchParams};
use retake_ops::inpaint::smooth::Membrane;
use retake_ops::inpaint::SpatialFill;
use retake_ops::remove::{ReferenceFrame, Remove, RemoveParams};

use common::Collect;

const W: usize = 160;
const H: usize = 96;
const FRAMES: i64 = 16;

/// The background: smooth colour structure with some detail, in linear light.
fn background(x: f32, y: f32) -> [f32; 3] {
    let a = 0.5 + 0.25 * (0.11 * x).sin() * (0.09 * y).cos();
    let b = 0.5 + 0.2 * (0.05 * x + 0.13 * y).sin();
    let c = 0.4 + 0.15 * (0.21 * x - 0.07 * y).cos();
    [a * 0.8, 0.5 * a + 0.4 * b, c]
}

/// Camera pan: the background moves by this much per frame.
const PAN: (f32, f32) = (1.5, 0.5);

fn truth(t: i64, x: usize, y: usize) -> [f32; 3] {
    background(x as f32 - PAN.0 * t as f32, y as f32 - PAN.1 * t as f32)
}

/// The occluder: a disc moving right faster than the pan.
fn occluder(t: i64) -> (f32, f32, f32) {
    (40.0 + 5.0 * t as f32, 48.0, 13.0)
}

fn in_occluder(t: i64, x: usize, y: usize) -> bool {
    let (cx, cy, r) = occluder(t);
    (x as f32 - cx).powi(2) + (y as f32 - cy).powi(2) <= r * r
}

/// Frame `t` with its mask as alpha (1 = remove), as `MattedSource` makes it.
fn shot_frame(t: i64, occluded: bool, mask: &(dyn Fn(i64, usize, usize) -> f32 + Sync)) -> Frame {
    let mut data = Vec::with_capacity(W * H * 4);
    for y in 0..H {
        for x in 0..W {
            let c = if occluded && in_occluder(t, x, y) {
                [0.9, 0.1, 0.1]
            } else {
                truth(t, x, y)
            };
            data.extend_from_slice(&c);
            data.push(mask(t, x, y));
        }
    }
    Frame::from_data(t, W, H, 4, data).unwrap()
}

struct Shot<'a> {
    next: i64,
    info: ClipInfo,
    mask: &'a (dyn Fn(i64, usize, usize) -> f32 + Sync),
    occluded: bool,
    /// Paint the masked pixels red, so a fill that read them would show.
    paint_mask: bool,
}

impl FrameSource for Shot<'_> {
    fn info(&self) -> &ClipInfo {
        &self.info
    }
    fn next_frame(&mut self) -> Result<Option<Frame>> {
        if self.next >= FRAMES {
            return Ok(None);
        }
        self.next += 1;
        let t = self.next - 1;
        let mut f = shot_frame(t, self.occluded, self.mask);
        if self.paint_mask {
            for (i, p) in f.data.chunks_exact_mut(4).enumerate() {
                if (self.mask)(t, i % W, i / W) > 0.5 {
                    p[..3].copy_from_slice(&[0.9, 0.1, 0.1]);
                }
            }
        }
        Ok(Some(f))
    }
    fn seek(&mut self, index: i64) -> Result<()> {
        self.next = index;
        Ok(())
    }
}

fn occluder_mask(t: i64, x: usize, y: usize) -> f32 {
    in_occluder(t, x, y) as u8 as f32
}

fn remove(
    params: RemoveParams,
    workers: usize,
    frames: Option<&str>,
    mask: &(dyn Fn(i64, usize, usize) -> f32 + Sync),
) -> Result<Vec<Frame>> {
    let fill = PatchMatch::new(PatchMatchParams::default())?;
    remove_with(Setup {
        params,
        workers,
        frames,
        mask,
        fill: Box::new(fill),
        references: Vec::new(),
        paint_mask: false,
    })
}

/// A removal run on the synthetic pan, with any fill and reference frames.
struct Setup<'a> {
    params: RemoveParams,
    workers: usize,
    frames: Option<&'a str>,
    mask: &'a (dyn Fn(i64, usize, usize) -> f32 + Sync),
    fill: Box<dyn SpatialFill>,
    references: Vec<ReferenceFrame>,
    /// Paint what the mask covers red in the input.
    paint_mask: bool,
}

fn remove_with(setup: Setup<'_>) -> Result<Vec<Frame>> {
    let Setup {
        params,
        workers,
        frames,
        mask,
        fill,
        references,
        paint_mask,
    } = setup;
    let op = Remove::new(params, fill, None)?.with_references(references);
    let mut shot = Shot {
        next: 0,
        info: ClipInfo::in_memory("synthetic-pan", W, H, Some(FRAMES as u64)),
        mask,
        // A mask that is not the occluder's is a logo over the clean plate.
        occluded: mask(0, 40, 48) > 0.5,
        paint_mask,
    };
    collect(&mut shot, &op, workers, frames)
}

/// Run `op` over `source` and collect the frames it writes.
fn collect(
    source: &mut dyn FrameSource,
    op: &Remove,
    workers: usize,
    frames: Option<&str>,
) -> Result<Vec<Frame>> {
    let out = Arc::new(Mutex::new(Vec::new()));
    pipeline::run(
        source,
        op,
        Box::new(Collect(out.clone())),
        &PipelineOptions {
            workers,
            frames: frames.map(|f| FrameRange::parse(f).unwrap()),
            ..Default::default()
        },
    )?;
    let v = std::mem::take(&mut *out.lock().unwrap());
    Ok(v)
}

fn params(window: usize) -> RemoveParams {
    RemoveParams {
        mask: "synthetic".into(),
        dilate: 2,
        feather: 0,
        window,
        ..RemoveParams::default()
    }
}

/// Mean and worst absolute error against the true background over the
/// pixels the occluder hid, and the mean outside them.
fn errors(frames: &[Frame]) -> (f32, f32, f32) {
    let (mut sum, mut worst, mut n) = (0.0f32, 0.0f32, 0.0f32);
    let (mut out_sum, mut out_n) = (0.0f32, 0.0f32);
    for f in frames {
        assert_eq!((f.width, f.height, f.channels), (W, H, 3));
        for y in 0..H {
            for x in 0..W {
                let t = truth(f.index, x, y);
                let p = f.pixel(x, y);
                let e = (0..3).map(|c| (p[c] - t[c]).abs()).sum::<f32>() / 3.0;
                if in_occluder(f.index, x, y) {
                    sum += e;
                    worst = worst.max(e);
                    n += 1.0;
                } else {
                    out_sum += e;
                    out_n += 1.0;
                }
            }
        }
    }
    (sum / n, worst, out_sum / out_n)
}

#[test]
fn the_background_behind_a_moving_occluder_comes_back() {
    let ours = remove(params(8), 2, None, &occluder_mask).unwrap();
    assert_eq!(ours.len(), FRAMES as usize);
    let (mean, worst, outside) = errors(&ours);
    // Per-frame spatial fill on the same frames: the baseline.
    let spatial = remove(params(0), 2, None, &occluder_mask).unwrap();
    let (spatial_mean, _, _) = errors(&spatial);
    eprintln!("in-hole error: ours mean {mean} worst {worst}; spatial-only mean {spatial_mean}; outside {outside}");
    assert!(mean < 0.01, "mean error in the hole {mean}");
    assert!(worst < 0.1, "worst error in the hole {worst}");
    assert!(
        mean * 4.0 < spatial_mean,
        "ours {mean} vs spatial {spatial_mean}"
    );
    // Outside the (dilated) hole nothing changes.
    assert!(outside < 1e-3, "outside {outside}");
}

#[test]
fn identical_with_one_and_two_threads_and_in_chunks() {
    let one = remove(params(4), 1, None, &occluder_mask).unwrap();
    let two = remove(params(4), 2, None, &occluder_mask).unwrap();
    assert_eq!(one, two, "1 and 2 threads differ");
    let mut chunks = remove(params(4), 2, Some("0-6"), &occluder_mask).unwrap();
    chunks.extend(remove(params(4), 2, Some("7-15"), &occluder_mask).unwrap());
    assert_eq!(one, chunks, "chunked render differs from whole");
}

/// Mean frame-to-frame change of the output inside the logo box, minus
/// the change of the true background there: how much the fill flickers.
fn flicker(out: &[Frame]) -> f32 {
    let mut change = 0.0f32;
    let mut n = 0.0f32;
    for pair in out.windows(2) {
        for y in LOGO_Y {
            for x in LOGO_X {
                let (a, b) = (pair[0].pixel(x, y), pair[1].pixel(x, y));
                let (ta, tb) = (truth(pair[0].index, x, y), truth(pair[1].index, x, y));
                for c in 0..3 {
                    change += ((b[c] - a[c]) - (tb[c] - ta[c])).abs();
                    n += 1.0;
                }
            }
        }
    }
    change / n
}

const LOGO_X: std::ops::Range<usize> = 100..124;
const LOGO_Y: std::ops::Range<usize> = 20..40;

#[test]
fn a_static_mask_is_filled_with_less_flicker_than_per_frame_fill() {
    // A logo-like static mask while the camera pans: part of what it hides
    // is seen in other frames, the rest is invented; the invented part must
    // move with the scene rather than be re-invented every frame.
    let logo =
        |_t: i64, x: usize, y: usize| (LOGO_X.contains(&x) && LOGO_Y.contains(&y)) as u8 as f32;
    let ours = flicker(&remove(params(8), 2, None, &logo).unwrap());
    let per_frame = flicker(&remove(params(0), 2, None, &logo).unwrap());
    eprintln!("static-mask flicker: ours {ours}, per-frame spatial fill {per_frame}");
    assert!(
        ours < 0.7 * per_frame,
        "ours {ours} vs per-frame {per_frame}"
    );
}

#[test]
fn an_empty_mask_returns_the_picture_unchanged() {
    let out = remove(params(4), 2, None, &|_, _, _| 0.0).unwrap();
    for f in &out {
        let src = shot_frame(f.index, false, &|_, _, _| 0.0);
        for (o, s) in f.data.chunks_exact(3).zip(src.data.chunks_exact(4)) {
            assert_eq!(o, &s[..3]);
        }
    }
}

#[test]
fn a_mask_covering_the_whole_frame_is_an_error_naming_the_mask() {
    let err = remove(params(4), 2, None, &|t, _, _| (t == 3) as u8 as f32).unwrap_err();
    assert!(matches!(err, Error::Input { .. }), "{err}");
    let text = err.to_string();
    assert!(
        text.contains("synthetic") && text.contains("whole frame") && text.contains("frame 3"),
        "{text}"
    );
}

#[test]
fn soft_masks_are_thresholded_at_one_half() {
    // Anti-aliased (non-binary) masks: 0.4 keeps the pixel, 0.6 removes it.
    let soft = |t: i64, x: usize, y: usize| if in_occluder(t, x, y) { 0.6 } else { 0.4 };
    let hard = remove(params(4), 2, None, &occluder_mask).unwrap();
    let out = remove(params(4), 2, None, &soft).unwrap();
    assert_eq!(hard, out);
}

/// Render every frame of a `n`-frame shot in `order` through the operation
/// directly (as the plugin does: a window of analysed frames around each),
/// and return the most frames the operation's caches held at once.
fn peak_cache(order: &[i64], n: i64, window: usize) -> usize {
    use retake_core::pipeline::Operation;
    use retake_core::window::{Item, Window};
    let fill = PatchMatch::new(PatchMatchParams::default()).unwrap();
    let op = Remove::new(params(window), Box::new(fill), None).unwrap();
    let r = window as i64;
    let mut peak = 0;
    for &t in order {
        let items: Vec<Arc<Item<_>>> = ((t - r).max(0)..=(t + r).min(n - 1))
            .map(|i| {
                let frame = shot_frame(i, true, &occluder_mask);
                let analysis = op.analyse(&frame).unwrap();
                Arc::new(Item {
                    frame: Arc::new(frame),
                    analysis,
                })
            })
            .collect();
        let centre = (t - (t - r).max(0)) as usize;
        op.render(&Window::new(items, centre)).unwrap();
        peak = peak.max(op.cached_frames());
    }
    peak
}

/// Scrubbing back in a viewer renders frames in reverse; hosts also jump
/// about. The flow and anchor caches must stay as small as forwards.
#[test]
fn caches_stay_flat_backwards_and_in_random_order() {
    let n = 110;
    let window = 2;
    let forward: Vec<i64> = (0..n).collect();
    let backward: Vec<i64> = (0..n).rev().collect();
    // A fixed shuffle (linear congruential), so the test is repeatable.
    let mut random = forward.clone();
    let mut seed: u64 = 0x5eed;
    for i in (1..random.len()).rev() {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        random.swap(i, (seed >> 33) as usize % (i + 1));
    }
    let f = peak_cache(&forward, n, window);
    let b = peak_cache(&backward, n, window);
    let r = peak_cache(&random, n, window);
    eprintln!("peak cached frames: forward {f}, backward {b}, random {r}");
    assert!(f > 0);
    // Forwards the caches hold the window's neighbourhood, not the shot;
    // other orders hold the same neighbourhood (pair flows are keyed by
    // their first frame, so reverse order may keep one or two more).
    let bound = f + f / 4;
    assert!(b <= bound, "backwards held {b} frames, forwards {f}");
    assert!(r <= bound, "random order held {r} frames, forwards {f}");
    assert!(f < 4 * (4 * window + 5), "forwards held {f} frames of {n}");
}

/// An object stuck to the background (it moves with the pan): no frame
/// ever shows what it hides, so only an invented fill or a reference can.
fn stuck(t: i64, x: usize, y: usize) -> f32 {
    let (cx, cy) = (70.0 + PAN.0 * t as f32, 40.0 + PAN.1 * t as f32);
    let (dx, dy) = (x as f32 - cx, y as f32 - cy);
    (dx * dx + dy * dy <= 14.0 * 14.0) as u8 as f32
}

/// The true background of frame `t` as a reference image.
fn truth_frame(t: i64) -> ReferenceFrame {
    let mut data = Vec::with_capacity(W * H * 3);
    for y in 0..H {
        for x in 0..W {
            data.extend_from_slice(&truth(t, x, y));
        }
    }
    ReferenceFrame {
        index: t,
        path: format!("truth.{t}.exr"),
        frame: Frame::from_data(t, W, H, 3, data).unwrap(),
    }
}

/// Mean absolute error against the truth over the pixels `hidden` covers in
/// frame `f`, and the same for `paste` (any other picture) put in its place.
fn hidden_error(
    f: &Frame,
    hidden: &dyn Fn(i64, usize, usize) -> f32,
    paste: Option<&Frame>,
) -> f32 {
    let (mut sum, mut n) = (0.0f32, 0.0f32);
    for y in 0..H {
        for x in 0..W {
            if hidden(f.index, x, y) > 0.5 {
                let t = truth(f.index, x, y);
                let p = paste.unwrap_or(f).pixel(x, y);
                sum += (0..3).map(|c| (p[c] - t[c]).abs()).sum::<f32>() / 3.0;
                n += 1.0;
            }
        }
    }
    sum / n
}

fn stuck_run(references: Vec<ReferenceFrame>, workers: usize, frames: Option<&str>) -> Vec<Frame> {
    remove_with(Setup {
        params: params(6),
        workers,
        frames,
        mask: &stuck,
        fill: Box::new(Membrane),
        references,
        paint_mask: true,
    })
    .unwrap()
}

#[test]
fn a_reference_frame_fills_what_no_frame_shows_and_follows_the_motion() {
    let without = stuck_run(Vec::new(), 2, None);
    let with = stuck_run(vec![truth_frame(8)], 2, None);
    let reference = truth_frame(8).frame;
    for t in 0..FRAMES as usize {
        let (ours, invented) = (
            hidden_error(&with[t], &stuck, None),
            hidden_error(&without[t], &stuck, None),
        );
        // The reference pasted where the object is now, without following
        // the pan: what a fill that ignores the motion would give.
        let pasted = hidden_error(&with[t], &stuck, Some(&reference));
        eprintln!("frame {t}: with reference {ours:.5}, invented {invented:.5}, pasted in place {pasted:.5}");
        let distance = (t as i64 - 8).abs();
        if distance == 0 {
            assert!(ours < 1e-4, "frame 8 is not the reference: {ours}");
        } else if distance <= 6 {
            assert!(
                ours * 4.0 < invented,
                "frame {t}: {ours} vs invented {invented}"
            );
            assert!(
                ours * 3.0 < pasted,
                "frame {t}: {ours} vs pasted in place {pasted}"
            );
            assert!(ours < 0.01, "frame {t}: {ours}");
        } else {
            // Out of the reference's reach: as without it.
            assert_eq!(with[t], without[t], "frame {t} changed beyond the window");
        }
    }
}

#[test]
fn references_give_identical_frames_with_any_threads_and_chunks() {
    let one = stuck_run(vec![truth_frame(5), truth_frame(11)], 1, None);
    let two = stuck_run(vec![truth_frame(5), truth_frame(11)], 2, None);
    assert_eq!(one, two, "1 and 2 threads differ");
    let mut chunks = stuck_run(vec![truth_frame(5), truth_frame(11)], 2, Some("0-7"));
    chunks.extend(stuck_run(
        vec![truth_frame(5), truth_frame(11)],
        2,
        Some("8-15"),
    ));
    assert_eq!(one, chunks, "chunked render differs from whole");
}

#[test]
fn a_reference_of_the_wrong_size_is_an_error_naming_it() {
    let small = ReferenceFrame {
        index: 3,
        path: "clean.0003.png".into(),
        frame: Frame::from_data(3, 8, 8, 3, vec![0.5; 8 * 8 * 3]).unwrap(),
    };
    let err = remove_with(Setup {
        params: params(2),
        workers: 1,
        frames: None,
        mask: &stuck,
        fill: Box::new(Membrane),
        references: vec![small],
        paint_mask: true,
    })
    .unwrap_err();
    assert!(matches!(err, Error::Input { .. }), "{err}");
    assert!(err.to_string().contains("clean.0003.png"), "{err}");
}

#[test]
fn reference_flags_are_checked() {
    let with = |r: &[&str]| RemoveParams {
        mask: "m.png".into(),
        reference: r.iter().map(|s| s.to_string()).collect(),
        ..RemoveParams::default()
    };
    assert_eq!(
        with(&["12=clean.png", "-3=a=b.png"]).references().unwrap(),
        vec![(12, "clean.png".to_string()), (-3, "a=b.png".to_string())]
    );
    for bad in [
        &["clean.png"][..],
        &["x=clean.png"],
        &["4="],
        &["4=a.png", "4=b.png"],
    ] {
        let err = with(bad).validate().unwrap_err();
        assert!(matches!(err, Error::Parameter { .. }), "{bad:?}: {err}");
        assert!(err.to_string().contains("reference"), "{err}");
    }
    let mut p = with(&["7=clean.png"]);
    p.map_reference_paths(|path| format!("/shots/{path}"));
    assert_eq!(p.reference, vec!["7=/shots/clean.png".to_string()]);
}

/// The membrane run as texture fills run: on anchor frames, carried along
/// the flow to the frames between (how `smooth` worked before).
struct AnchoredMembrane;

impl SpatialFill for AnchoredMembrane {
    fn name(&self) -> &str {
        "anchored smooth"
    }
    fn fill(&self, image: &mut retake_ops::inpaint::HoleImage) -> Result<()> {
        Membrane.fill(image)
    }
}

/// Mean absolute error against the truth inside the logo box.
fn logo_error(out: &[Frame]) -> f32 {
    let (mut sum, mut n) = (0.0f32, 0.0f32);
    for f in out {
        for y in LOGO_Y {
            for x in LOGO_X {
                let (p, t) = (f.pixel(x, y), truth(f.index, x, y));
                sum += (0..3).map(|c| (p[c] - t[c]).abs()).sum::<f32>() / 3.0;
                n += 1.0;
            }
        }
    }
    sum / n
}

#[test]
fn the_smooth_fill_solved_on_each_frame_beats_carrying_anchors() {
    // A logo over a pan with a short window: its rim is recovered from
    // other frames, its middle is never seen and must be invented.
    let logo =
        |_t: i64, x: usize, y: usize| (LOGO_X.contains(&x) && LOGO_Y.contains(&y)) as u8 as f32;
    let run = |fill: Box<dyn SpatialFill>| {
        remove_with(Setup {
            params: params(3),
            workers: 2,
            frames: None,
            mask: &logo,
            fill,
            references: Vec::new(),
            paint_mask: true,
        })
        .unwrap()
    };
    let per_frame = run(Box::new(Membrane));
    let anchored = run(Box::new(AnchoredMembrane));
    let (e_frame, e_anchor) = (logo_error(&per_frame), logo_error(&anchored));
    let (f_frame, f_anchor) = (flicker(&per_frame), flicker(&anchored));
    eprintln!(
        "logo, window 3: error per frame {e_frame:.5} vs anchored {e_anchor:.5}; \
         flicker {f_frame:.5} vs {f_anchor:.5}"
    );
    assert!(e_frame < e_anchor, "error {e_frame} vs anchored {e_anchor}");
    assert!(
        f_frame < f_anchor,
        "flicker {f_frame} vs anchored {f_anchor}"
    );
}

/// A spatial fill that always fails as a model does (a fixture, not a
/// fill): its anchors are cached and shared by several frames.
struct FailingFill;

impl SpatialFill for FailingFill {
    fn name(&self) -> &str {
        "fixture-failing-fill"
    }

    fn fill(&self, _image: &mut retake_ops::inpaint::HoleImage) -> Result<()> {
        Err(Error::model("fixture-failing-fill", "the model run failed"))
    }
}

#[test]
fn a_failed_cached_fill_keeps_its_kind() {
    let err = remove_with(Setup {
        params: params(4),
        workers: 2,
        frames: None,
        mask: &occluder_mask,
        fill: Box::new(FailingFill),
        references: Vec::new(),
        paint_mask: false,
    })
    .unwrap_err();
    assert!(matches!(err, Error::Model { .. }), "{err:?}");
}

/// The synthetic shot split the way `MattedSource::beside` takes it: its
/// picture alone (RGB), or its mask alone (one channel).
struct Split {
    shot: Shot<'static>,
    mask_only: bool,
}

impl FrameSource for Split {
    fn info(&self) -> &ClipInfo {
        self.shot.info()
    }
    fn next_frame(&mut self) -> Result<Option<Frame>> {
        let Some(f) = self.shot.next_frame()? else {
            return Ok(None);
        };
        let data: Vec<f32> = if self.mask_only {
            f.data.chunks_exact(4).map(|p| p[3]).collect()
        } else {
            f.data
                .chunks_exact(4)
                .flat_map(|p| [p[0], p[1], p[2]])
                .collect()
        };
        Ok(Some(Frame::from_data(
            f.index,
            W,
            H,
            data.len() / (W * H),
            data,
        )?))
    }
    fn seek(&mut self, index: i64) -> Result<()> {
        self.shot.seek(index)
    }
}

/// Remove with the mask on a shelf beside RGB frames (as the CLI runs it).
fn remove_beside(workers: usize, frames: Option<&str>) -> Vec<Frame> {
    use retake_ops::matte::{Matte, MatteShelf, MattedSource};
    let split = |mask_only| Split {
        shot: Shot {
            next: 0,
            info: ClipInfo::in_memory("synthetic-pan", W, H, Some(FRAMES as u64)),
            mask: &occluder_mask,
            occluded: true,
            paint_mask: false,
        },
        mask_only,
    };
    let shelf = MatteShelf::default();
    let matte = Matte::from_source(Box::new(split(true))).unwrap();
    let mut source =
        MattedSource::beside(Box::new(split(false)), matte, None, shelf.clone()).unwrap();
    let fill = PatchMatch::new(PatchMatchParams::default()).unwrap();
    let op = Remove::new(params(4), Box::new(fill), None)
        .unwrap()
        .with_mask_shelf(shelf.clone());
    let v = collect(&mut source, &op, workers, frames).unwrap();
    // Every mask given was taken (or dropped when the reader moved).
    assert!(shelf.len() <= 1, "{} masks left on the shelf", shelf.len());
    v
}

#[test]
fn a_mask_beside_the_frames_gives_the_bits_of_the_mask_as_alpha() {
    let alpha = remove(params(4), 2, None, &occluder_mask).unwrap();
    assert_eq!(alpha, remove_beside(1, None), "1 thread differs");
    assert_eq!(alpha, remove_beside(2, None), "2 threads differ");
    let mut chunks = remove_beside(2, Some("0-6"));
    chunks.extend(remove_beside(2, Some("7-15")));
    assert_eq!(alpha, chunks, "chunked render differs from whole");
}
