//! Masks from a few keyframes: a mask (or a box) painted on one or more
//! frames is carried through the shot along optical flow, forwards and
//! backwards, its edge snapped to the picture at every step
//! ([`carry::carry`], [`snap::snap`]), re-anchored at every keyframe, and the two
//! directions are blended between keyframes by distance (the nearer
//! keyframe counts more). Before the first keyframe only the backward
//! direction exists, after the last only the forward one. Every step is
//! also re-anchored to its pass's keyframe ([`step`], [`carry::anchor`]),
//! so an error made on one step is not carried on to every later frame.
//!
//! The shot is cut at its keyframes into stretches, and a frame's mask
//! depends only on its own stretch (the keyframes at its ends and the
//! frames between). A stretch is tracked when its first frame is asked
//! for: one forward pass decodes it, keeping each frame's working picture
//! and forward mask on disk ([`store::Store`]), then the backward pass walks
//! it in reverse from disk. So memory is independent of the shot's length
//! and of the keyframes' spacing, and a chunk rendered with `--frames`
//! gives exactly the masks of a whole render (it tracks the stretches it
//! touches, whole). The cost: a chunk inside a long stretch tracks the
//! whole stretch; keyframes closer together make chunks cheaper.

pub mod carry;
pub mod local;
pub mod snap;
pub mod spec;
mod store;

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use retake_core::colour::Transfer;
use retake_core::error::{Error, Result};
use retake_core::frame::Frame;
use retake_core::io::FrameSource;
use retake_core::pipeline::Operation;
use retake_core::window::Window;
use retake_imageops::filter::{guided_upsample, resize};
use retake_imageops::flow::FlowParams;
use retake_imageops::plane::Plane;

use local::LocalColour;
pub use snap::{ColourModel, Work};
pub use spec::{is_keyframe_list, keyframes_text, parse_keyframes, KeyBox, KeySpec, KeyframeSpec};
use store::Store;

/// Parameters of keyframe tracking, shared by the CLI and job files;
/// described in [`crate::track_params::TABLE`].
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TrackParams {
    pub keyframes: String,
}

impl TrackParams {
    /// Reject a malformed list before anything is opened (exit 2).
    pub fn validate(&self) -> Result<Vec<KeyframeSpec>> {
        parse_keyframes(&self.keyframes, "keyframes")
    }
}

/// Writes the matte a shot carries as alpha (see
/// [`crate::matte::MattedSource`]) as a one-channel mask: `retake track`'s
/// output.
pub struct MatteOutput;

impl Operation for MatteOutput {
    type Analysis = ();

    fn radius(&self) -> usize {
        0
    }

    fn analyse(&self, _frame: &Frame) -> Result<()> {
        Ok(())
    }

    fn render(&self, window: &Window<()>) -> Result<Arc<Frame>> {
        let f = &window.centre().frame;
        if f.channels != 4 {
            return Err(Error::Internal("track: the frame carries no matte".into()));
        }
        Ok(Arc::new(Frame {
            index: f.index,
            width: f.width,
            height: f.height,
            channels: 1,
            data: f.data.chunks_exact(4).map(|p| p[3]).collect(),
        }))
    }
}

/// One tracking step: `previous` (the mask of `from`) carried onto `to`,
/// re-anchored to the keyframe (`anchor`: its picture and mask, when `from`
/// is not the keyframe itself; see [`carry::anchor`]), then snapped to
/// the picture. The forward and the backward pass both take it.
pub fn step(
    previous: &[f32],
    from: &Work,
    to: &Work,
    anchor: Option<(&Work, &[f32])>,
    model: Option<&ColourModel>,
    flow: &FlowParams,
) -> Vec<f32> {
    let mut carried = carry::carry(previous, from, to, flow);
    if let Some((key_work, key_mask)) = anchor {
        let direct = carry::carry(key_mask, key_work, to, flow);
        carry::anchor(&mut carried, &direct, to);
    }
    let local = LocalColour::learn(&carried, to);
    snap::snap(&carried.prior, to, model, Some(&local))
}

/// Long side of the picture the tracker works on: flow and colour models
/// need no more, and a bounded size keeps the cost per frame bounded.
pub const TRACK_SIDE: usize = 640;

/// What is known at one keyframe.
pub enum KeyShape {
    /// A mask of the shot's size, one channel, 1 = object.
    Mask(Frame),
    /// A box around the object, in the shot's pixels.
    Box(KeyBox),
}

pub struct Keyframe {
    pub frame: i64,
    pub shape: KeyShape,
    /// Where it came from, for messages (a file, or the box as typed).
    pub label: String,
}

/// The stretch of the shot between two neighbouring keyframes (or a
/// keyframe and the shot's end): frames `first..=last`; an end that is a
/// keyframe anchors a direction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Stretch {
    first: i64,
    last: i64,
    starts_at_key: bool,
    ends_at_key: bool,
}

/// Gives the mask of each shot frame from the keyframes, in any order of
/// frames (stretches are tracked as they are needed; asking in shot order
/// tracks each once).
pub struct Tracker {
    source: Box<dyn FrameSource>,
    keys: Vec<Keyframe>,
    width: usize,
    height: usize,
    work_width: usize,
    work_height: usize,
    store: Store,
    tracked: Option<Stretch>,
    /// The last frame the forward pass decoded, reused when the next
    /// stretch starts there (saves a seek and a decode).
    last_work: Option<(i64, Work)>,
    /// Masks found in boxes (working size), by keyframe.
    box_masks: HashMap<i64, Vec<f32>>,
    flow: FlowParams,
    /// Set (by a signal or a host) to stop inside a long stretch.
    cancel: Option<Arc<AtomicBool>>,
}

impl Tracker {
    /// A tracker reading the shot from `source` (its own decoder of the
    /// shot, positioned anywhere). Keyframes are checked against the shot:
    /// inside its frames, masks of its size, boxes overlapping the picture.
    pub fn new(source: Box<dyn FrameSource>, mut keys: Vec<Keyframe>) -> Result<Tracker> {
        let info = source.info().clone();
        if keys.is_empty() {
            return Err(Error::parameter("keyframes", "no keyframes given"));
        }
        keys.sort_by_key(|k| k.frame);
        let last = info.last_frame();
        for k in &keys {
            if k.frame < info.first_frame || last.is_some_and(|l| k.frame > l) {
                return Err(Error::input(
                    &info.path,
                    format!(
                        "keyframe {} ({}) is outside the shot, whose frames are {}-{}; \
                         number keyframes as the shot's frames (a video counts from 0)",
                        k.frame,
                        k.label,
                        info.first_frame,
                        last.map_or("?".to_string(), |l| l.to_string())
                    ),
                ));
            }
            match &k.shape {
                KeyShape::Mask(m) if (m.width, m.height) != (info.width, info.height) => {
                    return Err(Error::input(
                        &k.label,
                        format!(
                            "keyframe mask is {}x{} but the shot {} is {}x{}; \
                             paint the mask at the shot's size",
                            m.width, m.height, info.path, info.width, info.height
                        ),
                    ));
                }
                KeyShape::Box(b)
                    if b.x >= info.width as i64
                        || b.y >= info.height as i64
                        || b.x + b.w <= 0
                        || b.y + b.h <= 0 =>
                {
                    return Err(Error::parameter(
                        "keyframes",
                        format!(
                            "the box {} at frame {} lies outside the {}x{} picture",
                            k.label, k.frame, info.width, info.height
                        ),
                    ));
                }
                _ => {}
            }
        }
        let scale = (TRACK_SIDE as f32 / info.width.max(info.height) as f32).min(1.0);
        let work_width = ((info.width as f32 * scale).round() as usize).max(1);
        let work_height = ((info.height as f32 * scale).round() as usize).max(1);
        Ok(Tracker {
            store: Store::new(work_width, work_height)?,
            source,
            keys,
            width: info.width,
            height: info.height,
            work_width,
            work_height,
            tracked: None,
            last_work: None,
            box_masks: HashMap::new(),
            flow: FlowParams::default(),
            cancel: None,
        })
    }

    /// Stop tracking with [`Error::Cancelled`] once `flag` is set: a
    /// stretch between keyframes can take minutes.
    pub fn with_cancel(mut self, flag: Arc<AtomicBool>) -> Self {
        self.cancel = Some(flag);
        self
    }

    fn check_cancel(&self) -> Result<()> {
        if self
            .cancel
            .as_ref()
            .is_some_and(|c| c.load(Ordering::Relaxed))
        {
            return Err(Error::Cancelled);
        }
        retake_core::cancel::check()
    }

    pub fn path(&self) -> &str {
        &self.source.info().path
    }

    fn key_at(&self, frame: i64) -> Option<&Keyframe> {
        self.keys.iter().find(|k| k.frame == frame)
    }

    /// The mask of the shot frame `frame` (its picture is used to line the
    /// mask's edge up at full resolution).
    pub fn mask(&mut self, frame: &Frame) -> Result<Frame> {
        let t = frame.index;
        if let Some(Keyframe {
            shape: KeyShape::Mask(m),
            ..
        }) = self.key_at(t)
        {
            let mut m = m.clone();
            m.index = t;
            return Ok(m);
        }
        let small = if self.key_at(t).is_some() {
            let work = self.work_of(frame);
            self.key_mask(t, &work)
        } else {
            let stretch = self.stretch_of(t);
            if self.tracked != Some(stretch) {
                self.track(stretch)?;
            }
            self.store.mask(t)?
        };
        Ok(self.full_size(&small, frame))
    }

    fn work_of(&self, frame: &Frame) -> Work {
        Work::from_frame(frame, self.work_width, self.work_height)
    }

    fn scale(&self) -> f32 {
        self.work_width as f32 / self.width as f32
    }

    /// The stretch holding the frame `t`, which is not a keyframe.
    fn stretch_of(&self, t: i64) -> Stretch {
        let info = self.source.info();
        let before = self
            .keys
            .iter()
            .rev()
            .find(|k| k.frame < t)
            .map(|k| k.frame);
        let after = self.keys.iter().find(|k| k.frame > t).map(|k| k.frame);
        Stretch {
            first: before.unwrap_or(info.first_frame),
            last: after.or(info.last_frame()).unwrap_or(i64::MAX),
            starts_at_key: before.is_some(),
            ends_at_key: after.is_some(),
        }
    }

    /// A keyframe's mask at the working size (a box's is found once).
    fn key_mask(&mut self, t: i64, work: &Work) -> Vec<f32> {
        let scale = self.scale();
        let (ww, wh) = (self.work_width, self.work_height);
        let (w, h) = (self.width, self.height);
        let Some(key) = self.key_at(t) else {
            return vec![0.0; ww * wh];
        };
        match &key.shape {
            KeyShape::Mask(m) => resize(Plane::new(&m.data, w, h, 1), ww, wh),
            KeyShape::Box(b) => {
                let b = *b;
                self.box_masks
                    .entry(t)
                    .or_insert_with(|| snap::segment_box(work, b, scale))
                    .clone()
            }
        }
    }

    /// The next frame of the shot, which must be `t`; `None` at its end.
    fn read(&mut self, t: i64) -> Result<Option<Work>> {
        if matches!(&self.last_work, Some((i, _)) if *i == t) {
            return Ok(self.last_work.take().map(|(_, w)| w));
        }
        match self.source.next_frame()? {
            None => Ok(None),
            Some(f) if f.index == t => Ok(Some(self.work_of(&f))),
            Some(f) => Err(Error::Internal(format!(
                "tracker asked {} for frame {t} and got {}",
                self.path(),
                f.index
            ))),
        }
    }

    /// Track one stretch: forward pass (decoding, kept on disk), then the
    /// backward pass from disk, leaving each frame's final mask on disk.
    fn track(&mut self, s: Stretch) -> Result<()> {
        self.tracked = None;
        self.store.clear()?;
        let reuse = matches!(&self.last_work, Some((i, _)) if *i == s.first);
        if !reuse {
            self.last_work = None;
            self.source.seek(s.first)?;
        }
        log::debug!("tracking frames {}-{}", s.first, s.last);
        // Forward: from the keyframe at the start, if there is one.
        let mut previous: Option<(Work, Vec<f32>)> = None;
        let mut model: Option<ColourModel> = None;
        // The keyframe's picture and mask, for re-anchoring every step.
        let mut anchor: Option<(Work, Vec<f32>)> = None;
        let mut t = s.first;
        let mut last = s.first;
        loop {
            self.check_cancel()?;
            if t > s.last {
                break;
            }
            let work = match self.read(t)? {
                Some(w) => w,
                // A shot of unknown length ends here.
                None if !s.ends_at_key && s.last == i64::MAX && t > s.first => break,
                None => {
                    return Err(Error::input(
                        self.path(),
                        format!("the shot ended before frame {t}, which the tracker needs"),
                    ))
                }
            };
            self.store.put_work(t, &work)?;
            if s.starts_at_key {
                let mask = match previous.take() {
                    None => {
                        let m = self.key_mask(t, &work);
                        model = ColourModel::learn(&work, &m);
                        anchor = Some((work.clone(), m.clone()));
                        m
                    }
                    Some((prev_work, prev_mask)) => {
                        // The step from the keyframe itself needs no anchor.
                        let anchor = anchor
                            .as_ref()
                            .filter(|_| t > s.first + 1)
                            .map(|(w, m)| (w, m.as_slice()));
                        step(
                            &prev_mask,
                            &prev_work,
                            &work,
                            anchor,
                            model.as_ref(),
                            &self.flow,
                        )
                    }
                };
                self.store.put_mask(t, &mask)?;
                previous = Some((work, mask));
            } else {
                previous = Some((work, Vec::new()));
            }
            last = t;
            t += 1;
        }
        if let Some((work, _)) = previous {
            self.last_work = Some((last, work));
        }
        // Backward: from the keyframe at the end, blended with the forward
        // mask by distance.
        if s.ends_at_key && last > s.first {
            let end_work = self.store.work(last)?;
            let mut mask = self.key_mask(last, &end_work);
            let model = ColourModel::learn(&end_work, &mask);
            let anchor = (end_work.clone(), mask.clone());
            let mut next_work = end_work;
            let stop = if s.starts_at_key {
                s.first + 1
            } else {
                s.first
            };
            let span = (last - s.first) as f32;
            for t in (stop..last).rev() {
                self.check_cancel()?;
                let work = self.store.work(t)?;
                let direct = (t + 1 < last).then_some((&anchor.0, anchor.1.as_slice()));
                mask = step(&mask, &next_work, &work, direct, model.as_ref(), &self.flow);
                if s.starts_at_key {
                    let forward = self.store.mask(t)?;
                    let wb = (t - s.first) as f32 / span;
                    let blended: Vec<f32> = forward
                        .iter()
                        .zip(&mask)
                        .map(|(f, b)| (1.0 - wb) * f + wb * b)
                        .collect();
                    self.store.put_mask(t, &blended)?;
                } else {
                    self.store.put_mask(t, &mask)?;
                }
                next_work = work;
            }
        }
        self.tracked = Some(Stretch { last, ..s });
        Ok(())
    }

    /// A working-size mask at the shot's size: edge-aware upsampling
    /// against the frame's (display-encoded) luminance.
    fn full_size(&self, small: &[f32], frame: &Frame) -> Frame {
        let (w, h) = (self.width, self.height);
        let data = if (self.work_width, self.work_height) == (w, h) {
            small.to_vec()
        } else {
            let guide: Vec<f32> = frame
                .luminance()
                .into_iter()
                .map(|l| Transfer::Srgb.from_linear(l.clamp(0.0, 1.0)))
                .collect();
            guided_upsample(
                Plane::new(&guide, w, h, 1),
                Plane::new(small, self.work_width, self.work_height, 1),
                2,
                1e-3,
            )
            .into_iter()
            .map(|v| v.clamp(0.0, 1.0))
            .collect()
        };
        Frame {
            index: frame.index,
            width: w,
            height: h,
            channels: 1,
            data,
        }
    }
}
