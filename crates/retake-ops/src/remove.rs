//! Object removal: paint a masked region out of a shot without flicker.
//!
//! Each hole pixel is followed through the shot along optical flow (flow
//! between consecutive frames, completed inside the holes from their
//! borders, checked forward against backward) until a frame shows that spot;
//! the nearest such frames on each side give its colour. What no frame of
//! the window shows is filled spatially ([`SpatialFill`]: PatchMatch or a
//! learned model) on *anchor* frames every `window` frames; the frames in
//! between take that fill along the flow from the anchors on each side,
//! cross-faded, so the invented texture moves with the scene instead of
//! being re-invented (and flickering) every frame. Anchors and flows are
//! pure functions of their own frames, so the output is identical whatever
//! the thread count or chunking. A colour correction interpolated from the
//! hole's rim (a membrane, as in Poisson blending) hides exposure changes
//! between frames, and an inward feather blends the seam. A copy only one
//! side of the window gives (one observation, at the end of a chain that
//! drifts through the hole) is weighed against the smooth fill by its
//! distance in frames. Everything works
//! on crops around the holes, so cost follows the mask, not the frame.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, OnceLock};

use serde::{Deserialize, Serialize};

use crate::inpaint::smooth::{fill_in_code_values, from_code_value, to_code_value, Membrane};
use crate::inpaint::{HoleImage, Rect, SpatialFill};
use crate::mask::SubjectMask;
use crate::matte::MatteShelf;
use crate::remove_reach::ReachStore;
use retake_core::error::{Error, Result};
use retake_core::frame::Frame;
use retake_core::io::FrameSource;
use retake_core::pipeline::Operation;
use retake_core::range::FrameRange;
use retake_core::window::{Item, Window};
use retake_imageops::distance::{chamfer_to_set, chamfer_to_unset};
use retake_imageops::filter::{resize, smoothstep};
use retake_imageops::flow::{self, Flow, FlowParams, Gray};
use retake_imageops::luma::luma;
use retake_imageops::plane::Plane;
use retake_imageops::sample::{self as sampling, sample, Taps};

/// Parameters of object removal, shared by the CLI, job files and the
/// plugin; ids, help, defaults and limits are in
/// [`crate::remove_params::TABLE`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RemoveParams {
    pub mask: String,
    pub dilate: u32,
    pub feather: u32,
    pub window: usize,
    pub fill: String,
    pub reference: Vec<String>,
    pub reach: usize,
}

impl Default for RemoveParams {
    fn default() -> Self {
        let t = crate::remove_params::TABLE;
        RemoveParams {
            mask: String::new(),
            dilate: t.default_int("dilate"),
            feather: t.default_int("feather"),
            window: t.default_int("window"),
            fill: t.default_of("fill"),
            reference: Vec::new(),
            reach: t.default_int("reach"),
        }
    }
}

/// Most frames searched on each side: the window is held in memory.
pub const MAX_WINDOW: usize = 30;

impl RemoveParams {
    /// Reject values that cannot work, naming the parameter.
    pub fn validate(&self) -> Result<()> {
        if self.mask.trim().is_empty() {
            return Err(Error::parameter(
                "mask",
                "give the mask to remove: an image sequence, a video, a still image or `auto`",
            ));
        }
        let t = crate::remove_params::TABLE;
        t.check("window", self.window as f64)?;
        t.check("dilate", self.dilate as f64)?;
        t.check("feather", self.feather as f64)?;
        t.check("reach", self.reach as f64)?;
        let mut seen = std::collections::BTreeSet::new();
        for (frame, _) in self.references()? {
            if !seen.insert(frame) {
                return Err(Error::parameter(
                    "reference",
                    format!("frame {frame} is given twice; give one clean image per frame"),
                ));
            }
        }
        Ok(())
    }

    /// The reference frames: `(frame, image path)` per `FRAME=IMAGE`.
    pub fn references(&self) -> Result<Vec<(i64, String)>> {
        self.reference.iter().map(|r| parse_reference(r)).collect()
    }

    /// The reference images' paths rewritten by `f` (a job file's paths
    /// are relative to the job file); entries that do not parse are kept
    /// as they are, for `validate` to name.
    pub fn map_reference_paths(&mut self, f: impl Fn(&str) -> String) {
        for r in &mut self.reference {
            if let Ok((frame, path)) = parse_reference(r) {
                *r = format!("{frame}={}", f(&path));
            }
        }
    }

    /// Whether the mask is made by the subject model rather than read.
    pub fn auto_mask(&self) -> bool {
        self.mask.trim() == "auto"
    }
}

/// `FRAME=IMAGE`, split and checked.
fn parse_reference(text: &str) -> Result<(i64, String)> {
    let bad = |why: &str| {
        Error::parameter(
            "reference",
            format!(
                "`{text}`: {why}; write FRAME=IMAGE, e.g. `1012=clean.1012.png` for [[reference]]"
            ),
        )
    };
    let (frame, path) = text
        .split_once('=')
        .ok_or_else(|| bad("no `=` between the frame and the image"))?;
    let frame: i64 = frame
        .trim()
        .parse()
        .map_err(|_| bad("the frame is not a whole number"))?;
    if path.trim().is_empty() {
        return Err(bad("the image is missing"));
    }
    Ok((frame, path.to_string()))
}

/// A clean frame painted by hand, already read and in the shot's colour.
pub struct ReferenceFrame {
    /// The shot's frame it shows.
    pub index: i64,
    /// Where it came from, for messages.
    pub path: String,
    pub frame: Frame,
}

/// The hole of one frame.
pub struct RemoveAnalysis {
    /// Per pixel: remove (after dilation).
    hole: Vec<bool>,
    /// Bounding box of `hole`; `None` when nothing is removed.
    bbox: Option<Rect>,
}

impl RemoveAnalysis {
    /// The analysis of a hole a caller has already made (reangle's
    /// disocclusions), so it need not be packed into a frame's alpha.
    pub fn from_hole(hole: Vec<bool>, width: usize, height: usize) -> RemoveAnalysis {
        let bbox = Rect::bounding(&hole, width, height);
        RemoveAnalysis { hole, bbox }
    }

    /// A hole and its bounding box, as `analyse` makes them (for tests).
    #[cfg(test)]
    pub(crate) fn from_parts(hole: Vec<bool>, bbox: Option<Rect>) -> Self {
        RemoveAnalysis { hole, bbox }
    }

    /// The same hole inside `r` only, in a frame `width` pixels wide: a
    /// caller with holes far apart (reangle's opposite corners) fills each
    /// part on its own crop instead of one crop spanning the frame.
    pub fn within(&self, r: Rect, width: usize) -> RemoveAnalysis {
        let mut hole = vec![false; self.hole.len()];
        for y in r.y..r.y + r.height {
            let row = y * width;
            hole[row + r.x..row + r.x + r.width]
                .copy_from_slice(&self.hole[row + r.x..row + r.x + r.width]);
        }
        let height = self.hole.len() / width.max(1);
        let bbox = Rect::bounding(&hole, width, height);
        RemoveAnalysis { hole, bbox }
    }

    /// None of the 4x4 pixels a cubic sample at `(x, y)` reads is in the hole.
    fn clear_around(&self, width: usize, height: usize, x: f32, y: f32) -> bool {
        let (x0, y0) = (x.floor() as isize, y.floor() as isize);
        for yy in y0 - 1..=y0 + 2 {
            for xx in x0 - 1..=x0 + 2 {
                let cx = xx.clamp(0, width as isize - 1) as usize;
                let cy = yy.clamp(0, height as isize - 1) as usize;
                if self.is_hole(width, cx, cy) {
                    return false;
                }
            }
        }
        true
    }

    fn is_hole(&self, width: usize, x: usize, y: usize) -> bool {
        self.hole[y * width + x]
    }

    /// The pixel at a sub-pixel position can be trusted: none of the four
    /// pixels a bilinear sample mixes is in the hole.
    fn clear_at(&self, width: usize, height: usize, x: f32, y: f32) -> bool {
        if !(x >= 0.0 && y >= 0.0 && x <= (width - 1) as f32 && y <= (height - 1) as f32) {
            return false;
        }
        let (x0, y0) = (x.floor() as usize, y.floor() as usize);
        let (x1, y1) = ((x0 + 1).min(width - 1), (y0 + 1).min(height - 1));
        !(self.is_hole(width, x0, y0)
            || self.is_hole(width, x1, y0)
            || self.is_hole(width, x0, y1)
            || self.is_hole(width, x1, y1))
    }
}

/// Long side of the picture the flow is computed on: flow is smooth, and a
/// bounded size keeps its cost independent of the frame's resolution.
const FLOW_SIDE: f32 = 480.0;

/// Forward-backward disagreement (working pixels) above which a flow
/// vector is not followed.
const CONSISTENCY_PX: f32 = 0.5;

/// Flow both ways between frames `i` and `i + 1`, on a crop around both
/// frames' holes.
pub(crate) struct PairFlow {
    pub region: Rect,
    pub scale: f32,
    pub forward: Flow,
    pub backward: Flow,
    pub forward_error: Vec<f32>,
    pub backward_error: Vec<f32>,
}

impl PairFlow {
    /// Where the point `(x, y)` of one frame is in the next (`forward`) or
    /// previous one; `None` where the flow there cannot be trusted.
    pub fn step(&self, forward: bool, x: f32, y: f32) -> Option<(f32, f32)> {
        let s = self.scale;
        let wx = (x - self.region.x as f32 + 0.5) * s - 0.5;
        let wy = (y - self.region.y as f32 + 0.5) * s - 0.5;
        let (fw, fh) = (self.forward.width, self.forward.height);
        if !(wx >= -0.5 && wy >= -0.5 && wx <= fw as f32 - 0.5 && wy <= fh as f32 - 0.5) {
            return None;
        }
        let (flow, error) = if forward {
            (&self.forward, &self.forward_error)
        } else {
            (&self.backward, &self.backward_error)
        };
        // One set of taps for the two fields and the error.
        let taps = Taps::new(fw, fh, wx, wy);
        let (u, v) = (taps.read(&flow.u), taps.read(&flow.v));
        if taps.read(error) > CONSISTENCY_PX + 0.05 * (u * u + v * v).sqrt() {
            return None;
        }
        Some((x + u / s, y + v / s))
    }
}

/// An anchor frame with its whole hole filled spatially.
struct Anchor {
    frame: Arc<Frame>,
    region: Rect,
    /// The filled crop, RGB.
    rgb: Vec<f32>,
}

impl Anchor {
    fn sample(&self, x: f32, y: f32, out: &mut [f32]) {
        let r = &self.region;
        let (lx, ly) = (x - r.x as f32, y - r.y as f32);
        // An anchor without a hole has an empty region: the frame itself.
        let inside = r.width > 0
            && r.height > 0
            && lx >= 0.0
            && ly >= 0.0
            && lx <= (r.width - 1) as f32
            && ly <= (r.height - 1) as f32;
        if inside {
            sample(Plane::new(&self.rgb, r.width, r.height, 3), lx, ly, out);
        } else {
            let f = &self.frame;
            let mut px = [0.0f32; 4];
            sample(
                Plane::new(&f.data, f.width, f.height, f.channels),
                x,
                y,
                &mut px,
            );
            out[..3].copy_from_slice(&px[..3]);
        }
    }
}

/// The nearest frame (distance in frames) that shows a pixel, and its colour there.
pub(crate) type Found = Option<(i64, [f32; 3])>;

/// Where each followed point is in the frame a chain has reached; `None`
/// for points no longer followed.
pub(crate) type Chain = Vec<Option<(f32, f32)>>;

type Shared<T> = Mutex<BTreeMap<i64, Arc<OnceLock<T>>>>;

/// Counts a render as making or awaiting one cached entry for as long as
/// it lives.
struct InProgress<'a> {
    counts: &'a Mutex<BTreeMap<i64, usize>>,
    key: i64,
}

impl<'a> InProgress<'a> {
    fn enter(counts: &'a Mutex<BTreeMap<i64, usize>>, key: i64) -> Self {
        *counts
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry(key)
            .or_default() += 1;
        InProgress { counts, key }
    }
}

impl Drop for InProgress<'_> {
    fn drop(&mut self) {
        let mut counts = self.counts.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(n) = counts.get_mut(&self.key) {
            *n -= 1;
            if *n == 0 {
                counts.remove(&self.key);
            }
        }
    }
}

/// Where the points of one frame are in another, for a caller that knows
/// this better than optical flow can (reangle: from depth and the virtual
/// cameras, so the search cannot drift into a foreground the flow
/// followed). When set, it replaces the flow for every temporal lookup.
pub trait Correspondence: Send + Sync {
    /// The position in `to` of each of `points` of `from`; `None` where
    /// `to` does not show that point (hidden or out of view), so nothing
    /// is sampled there.
    fn map(&self, from: &Frame, to: &Frame, points: &[(f32, f32)]) -> Vec<Option<(f32, f32)>>;
}

/// The removal operation.
pub struct Remove {
    params: RemoveParams,
    spatial: Box<dyn SpatialFill>,
    auto_mask: Option<SubjectMask>,
    mask_label: String,
    flow_params: FlowParams,
    pairs: Shared<Option<Arc<PairFlow>>>,
    /// How many renders are making or awaiting each pair's flow (by its
    /// first frame), so a render can tell a flow another one is making.
    pairs_in_progress: Mutex<BTreeMap<i64, usize>>,
    anchors: Shared<Result<Arc<Anchor>>>,
    references: BTreeMap<i64, ReferenceFrame>,
    correspondence: Option<Box<dyn Correspondence>>,
    colour_correction: bool,
    reach: Option<ReachStore>,
    shelf: Option<MatteShelf>,
}

impl Remove {
    /// `auto_mask` is the subject-mask operation when `params.mask` is
    /// `auto`; otherwise the mask arrives as the frames' alpha channel.
    pub fn new(
        params: RemoveParams,
        spatial: Box<dyn SpatialFill>,
        auto_mask: Option<SubjectMask>,
    ) -> Result<Self> {
        params.validate()?;
        if params.auto_mask() && auto_mask.is_none() {
            return Err(Error::Internal(
                "automatic mask requested without a subject model".into(),
            ));
        }
        Ok(Remove {
            mask_label: params.mask.clone(),
            params,
            spatial,
            auto_mask,
            // Sharper than the default: propagation needs the motion of
            // fine structure right (tuned on the DAVIS protocol).
            flow_params: FlowParams {
                smoothness: 0.007,
                ..FlowParams::default()
            },
            pairs: Mutex::new(BTreeMap::new()),
            pairs_in_progress: Mutex::new(BTreeMap::new()),
            anchors: Mutex::new(BTreeMap::new()),
            references: BTreeMap::new(),
            correspondence: None,
            colour_correction: true,
            reach: None,
            shelf: None,
        })
    }

    /// Leave out the colour correction from the hole's rim (for a caller
    /// whose other frames share the exposure, such as reangle's warped
    /// views of neighbouring frames: there the rim's mismatch measures
    /// only misalignment, and its membrane spans the crop).
    pub fn without_colour_correction(mut self) -> Self {
        self.colour_correction = false;
        self
    }

    /// Look points up in other frames with `correspondence` instead of
    /// optical flow (no flow is computed then).
    pub fn with_correspondence(mut self, correspondence: Box<dyn Correspondence>) -> Self {
        self.correspondence = Some(correspondence);
        self
    }

    /// Take each frame's mask from `shelf` (filled by
    /// [`crate::matte::MattedSource::beside`]) instead of its alpha: the
    /// frames then travel as decoded, without an RGBA copy.
    pub fn with_mask_shelf(mut self, shelf: MatteShelf) -> Self {
        self.shelf = Some(shelf);
        self
    }

    /// Hand-painted clean frames (see [`RemoveParams::reference`]), read by
    /// the caller; each must be the shot's size, which is checked again on
    /// the frames it serves.
    pub fn with_references(mut self, references: Vec<ReferenceFrame>) -> Self {
        self.references = references.into_iter().map(|r| (r.index, r)).collect();
        self
    }

    /// Long-range propagation: read `source` (the shot with its mask as
    /// alpha, as the render gets it) once over the frames within `reach`
    /// of those to render (`frames`, or all), storing the crops and flows
    /// around the holes on disk, so the render can follow what no frame of
    /// its window shows up to `reach` frames away. Does nothing when
    /// `reach` does not exceed `window`, or with a correspondence.
    pub fn with_reach(
        mut self,
        source: &mut dyn FrameSource,
        frames: Option<&FrameRange>,
    ) -> Result<Self> {
        if !self.reaches_beyond_window() {
            return Ok(self);
        }
        let reach = self.params.reach as i64;
        let first = source.info().first_frame;
        let from = frames.map_or(first, |r| r.first() - reach).max(first);
        let to = frames.and_then(|r| r.last()).map(|l| l + reach);
        let store = ReachStore::build(source, from, to, |f| self.analyse(f), &self.flow_params)?;
        self.reach = Some(store);
        Ok(self)
    }

    /// Whether a first pass ([`Remove::with_reach`]) would be used.
    pub fn reaches_beyond_window(&self) -> bool {
        self.params.window > 0
            && self.params.reach > self.params.window
            && self.correspondence.is_none()
    }

    /// The long-range cache, once [`Remove::with_reach`] made it.
    pub fn reach_store(&self) -> Option<&ReachStore> {
        self.reach.as_ref()
    }

    pub fn params(&self) -> &RemoveParams {
        &self.params
    }

    /// Name of the spatial filler, for provenance.
    pub fn spatial_name(&self) -> &str {
        self.spatial.name()
    }

    fn spacing(&self) -> i64 {
        self.params.window.max(1) as i64
    }

    /// The hole's coverage (0..1) per pixel, before thresholding.
    fn coverage(&self, frame: &Frame) -> Result<Vec<f32>> {
        if let Some(subject) = &self.auto_mask {
            let mut mask = subject.still(frame)?;
            return Ok(std::mem::take(&mut mask.data));
        }
        if let Some(shelf) = &self.shelf {
            let mut mask = shelf.take(frame.index).ok_or_else(|| {
                Error::Internal(format!(
                    "frame {} reached remove without its mask (none beside it)",
                    frame.index
                ))
            })?;
            return Ok(std::mem::take(&mut mask.data));
        }
        if frame.channels != 4 {
            return Err(Error::Internal(format!(
                "frame {} reached remove without its mask (no alpha channel)",
                frame.index
            )));
        }
        Ok(frame.data.chunks_exact(4).map(|p| p[3]).collect())
    }

    fn with_cached<T: Clone>(
        map: &Shared<T>,
        key: i64,
        keep: &std::ops::RangeInclusive<i64>,
        make: impl FnOnce() -> T,
    ) -> T {
        let cell = {
            let mut m = map.lock().unwrap_or_else(|e| e.into_inner());
            // Only frames near the one rendered are needed again, whichever
            // way a host moves (scrubbing back renders in reverse): evict
            // on both sides so memory stays flat in any order (an evicted
            // entry is recomputed identically if needed).
            m.retain(|k, _| keep.contains(k));
            m.entry(key).or_default().clone()
        };
        cell.get_or_init(make).clone()
    }

    /// Frames with cached flow or anchor fills (for memory tests).
    pub fn cached_frames(&self) -> usize {
        let len = |m: &Shared<_>| m.lock().map_or(0, |m| m.len());
        len(&self.pairs) + self.anchors.lock().map_or(0, |m| m.len())
    }

    fn pair(
        &self,
        a: &Item<RemoveAnalysis>,
        b: &Item<RemoveAnalysis>,
        keep: &std::ops::RangeInclusive<i64>,
    ) -> Option<Arc<PairFlow>> {
        let key = a.frame.index;
        let _in_progress = InProgress::enter(&self.pairs_in_progress, key);
        Self::with_cached(&self.pairs, key, keep, || {
            // The long-range pass stored this flow already (the same bits);
            // a cache that cannot be read is only a lost shortcut here.
            if let Some(store) = &self.reach {
                match store.get(a.frame.index) {
                    Ok(Some(record)) => return Some(record.flow),
                    Ok(None) => {}
                    Err(e) => log::warn!("{e}"),
                }
            }
            pair_flow(a, b, &self.flow_params).map(Arc::new)
        })
    }

    /// Whether the flow of the pair starting at frame `key` is being made
    /// (or awaited) by a render and is not ready yet.
    fn pair_being_made(&self, key: i64) -> bool {
        let made = {
            let m = self.pairs.lock().unwrap_or_else(|e| e.into_inner());
            m.get(&key).is_some_and(|cell| cell.get().is_some())
        };
        !made
            && self
                .pairs_in_progress
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .get(&key)
                .is_some_and(|n| *n > 0)
    }

    /// While another render makes the flow a chain of frame `t` needs at
    /// step `k` (direction `dir`), make one its later steps need that
    /// nobody has started, instead of waiting. Renders run side by side
    /// on neighbouring frames and their chains cross the same pairs in
    /// the same order: without this they take turns (at the start of a
    /// run one core waited about half the time). A pair made ahead is
    /// the same pure function of its two frames, so the output does not
    /// change; at worst a chain that stops early leaves it to the
    /// renders of the frames after.
    fn make_later_pairs_while_waiting(
        &self,
        items: &BTreeMap<i64, &Item<RemoveAnalysis>>,
        t: i64,
        dir: i64,
        k: i64,
        keep: &std::ops::RangeInclusive<i64>,
    ) {
        let radius = self.params.window as i64;
        let key_at = |j: i64| (t + dir * (j - 1)).min(t + dir * j);
        let mut next = k + 1;
        while next <= radius && self.pair_being_made(key_at(k)) {
            let key = key_at(next);
            next += 1;
            let (Some(lower), Some(upper)) = (items.get(&key), items.get(&(key + 1))) else {
                return;
            };
            if !self.pair_being_made(key) {
                self.pair(lower, upper, keep);
            }
        }
    }

    fn anchor(
        &self,
        item: &Item<RemoveAnalysis>,
        keep: &std::ops::RangeInclusive<i64>,
    ) -> Result<Arc<Anchor>> {
        // The cache keeps the error itself, so a failed fill reaches the
        // faces as what it is (a model, a cancel), not as a bug.
        Self::with_cached(&self.anchors, item.frame.index, keep, || {
            self.fill_anchor(item).map(Arc::new)
        })
        .map_err(|e| match e {
            Error::Internal(m) => {
                Error::Internal(format!("spatial fill ({}): {m}", self.spatial.name()))
            }
            other => other,
        })
    }

    /// Where points of frame `t` are in frame `to`, followed along the flow
    /// one frame at a time: `None` for a point whose flow cannot be trusted
    /// on the way, and for every point when a frame on the way is missing.
    fn follow(
        &self,
        items: &BTreeMap<i64, &Item<RemoveAnalysis>>,
        t: i64,
        to: i64,
        mut pos: Vec<Option<(f32, f32)>>,
        keep: &std::ops::RangeInclusive<i64>,
    ) -> Result<Vec<Option<(f32, f32)>>> {
        if let Some(c) = &self.correspondence {
            retake_core::cancel::check()?;
            let (Some(a), Some(b)) = (items.get(&t), items.get(&to)) else {
                pos.fill(None);
                return Ok(pos);
            };
            return Ok(map_pending(c.as_ref(), &a.frame, &b.frame, &pos));
        }
        let dir = if to >= t { 1 } else { -1 };
        let mut from = t;
        while from != to {
            retake_core::cancel::check()?;
            let next = from + dir;
            let (Some(x), Some(y)) = (items.get(&from), items.get(&next)) else {
                pos.fill(None);
                break;
            };
            let pair = if dir > 0 {
                self.pair(x, y, keep)
            } else {
                self.pair(y, x, keep)
            };
            let Some(pair) = pair else {
                pos.fill(None);
                break;
            };
            for p in pos.iter_mut() {
                *p = p.and_then(|(x, y)| pair.step(dir > 0, x, y));
            }
            from = next;
        }
        Ok(pos)
    }

    fn fill_anchor(&self, item: &Item<RemoveAnalysis>) -> Result<Anchor> {
        let f = &item.frame;
        let Some(b) = item.analysis.bbox else {
            return Ok(Anchor {
                frame: f.clone(),
                region: Rect::default(),
                rgb: Vec::new(),
            });
        };
        let margin = 16.max(b.width.max(b.height) / 2);
        let region = grow(b, margin, f.width, f.height);
        let mut image = crop(f, &item.analysis.hole, region);
        self.spatial.fill(&mut image)?;
        Ok(Anchor {
            frame: f.clone(),
            region,
            rgb: image.rgb,
        })
    }
}

/// `correspondence` applied to the points of `pos` that are set.
fn map_pending(
    correspondence: &dyn Correspondence,
    from: &Frame,
    to: &Frame,
    pos: &[Option<(f32, f32)>],
) -> Vec<Option<(f32, f32)>> {
    let pending: Vec<(f32, f32)> = pos.iter().flatten().copied().collect();
    let mut mapped = correspondence.map(from, to, &pending).into_iter();
    pos.iter()
        .map(|p| p.and_then(|_| mapped.next().flatten()))
        .collect()
}

/// Catmull-Rom sample of a frame's RGB (see [`sampling::sample_cubic`]).
fn sample_cubic(f: &Frame, x: f32, y: f32) -> [f32; 3] {
    sampling::sample_cubic(Plane::new(&f.data, f.width, f.height, f.channels), x, y)
}

/// Grow a rectangle by `m` on every side, inside `w x h`.
fn grow(r: Rect, m: usize, w: usize, h: usize) -> Rect {
    let x = r.x.saturating_sub(m);
    let y = r.y.saturating_sub(m);
    let x1 = (r.x + r.width + m).min(w);
    let y1 = (r.y + r.height + m).min(h);
    Rect {
        x,
        y,
        width: x1 - x,
        height: y1 - y,
    }
}

fn union(a: Rect, b: Rect) -> Rect {
    let x = a.x.min(b.x);
    let y = a.y.min(b.y);
    let x1 = (a.x + a.width).max(b.x + b.width);
    let y1 = (a.y + a.height).max(b.y + b.height);
    Rect {
        x,
        y,
        width: x1 - x,
        height: y1 - y,
    }
}

/// A crop of a frame's RGB with its hole.
fn crop(f: &Frame, hole: &[bool], r: Rect) -> HoleImage {
    let mut rgb = Vec::with_capacity(r.width * r.height * 3);
    let mut h = Vec::with_capacity(r.width * r.height);
    for y in r.y..r.y + r.height {
        for x in r.x..r.x + r.width {
            let p = (y * f.width + x) * f.channels;
            rgb.extend_from_slice(&f.data[p..p + 3]);
            h.push(hole[y * f.width + x]);
        }
    }
    HoleImage {
        width: r.width,
        height: r.height,
        rgb,
        hole: h,
    }
}

/// The flow's view of a crop: luminance, compressed so shadows and
/// highlights both have texture, at the working size; and where it is known.
fn flow_input(item: &Item<RemoveAnalysis>, r: Rect, ww: usize, wh: usize) -> (Gray, Vec<f32>) {
    let f = &item.frame;
    let mut lum = Vec::with_capacity(r.width * r.height);
    let mut known = Vec::with_capacity(r.width * r.height);
    for y in r.y..r.y + r.height {
        for x in r.x..r.x + r.width {
            let p = (y * f.width + x) * f.channels;
            let l = luma(&f.data[p..p + 3]);
            lum.push(l.max(0.0).sqrt().min(2.0));
            known.push(if item.analysis.hole[y * f.width + x] {
                0.0
            } else {
                1.0
            });
        }
    }
    let (lum, known) = if (ww, wh) == (r.width, r.height) {
        (lum, known)
    } else {
        let k = resize(Plane::new(&known, r.width, r.height, 1), ww, wh)
            .into_iter()
            .map(|v| if v > 0.999 { 1.0 } else { 0.0 })
            .collect();
        (resize(Plane::new(&lum, r.width, r.height, 1), ww, wh), k)
    };
    (
        Gray {
            width: ww,
            height: wh,
            data: lum,
        },
        known,
    )
}

/// Flow between consecutive frames around their holes; `None` when
/// neither has one (nothing will be followed through them).
fn pair_flow(
    a: &Item<RemoveAnalysis>,
    b: &Item<RemoveAnalysis>,
    params: &FlowParams,
) -> Option<PairFlow> {
    pair_flow_with_known(a, b, params).map(|(flow, _, _)| flow)
}

/// [`pair_flow`], with where each frame is known at the working scale.
pub(crate) fn pair_flow_with_known(
    a: &Item<RemoveAnalysis>,
    b: &Item<RemoveAnalysis>,
    params: &FlowParams,
) -> Option<(PairFlow, Vec<f32>, Vec<f32>)> {
    let (w, h) = (a.frame.width, a.frame.height);
    let bbox = match (a.analysis.bbox, b.analysis.bbox) {
        (Some(x), Some(y)) => union(x, y),
        (Some(x), None) | (None, Some(x)) => x,
        (None, None) => return None,
    };
    let margin = 32.max(3 * bbox.width.max(bbox.height) / 4);
    let region = grow(bbox, margin, w, h);
    let scale = (FLOW_SIDE / region.width.max(region.height) as f32).min(1.0);
    let ww = ((region.width as f32 * scale).round() as usize).max(1);
    let wh = ((region.height as f32 * scale).round() as usize).max(1);
    let (ga, ka) = flow_input(a, region, ww, wh);
    let (gb, kb) = flow_input(b, region, ww, wh);
    let (forward, backward) = flow::estimate_both(&ga, &gb, Some(&ka), Some(&kb), params);
    let forward_error = flow::consistency(&forward, &backward);
    let backward_error = flow::consistency(&backward, &forward);
    let flow = PairFlow {
        region,
        scale: ww as f32 / region.width as f32,
        forward,
        backward,
        forward_error,
        backward_error,
    };
    Some((flow, ka, kb))
}

/// Grow a binary mask by `r` pixels (a disc), separably by distance.
///
/// The distance is measured on the mask's bounding box grown by `r + 1`,
/// not the whole frame, so the cost follows the mask. Same bits as the
/// whole frame: a pixel within `r + 0.5` of the mask is at most `r` steps
/// from it (each chamfer step costs at least 1), so every pixel on its
/// shortest path lies in the crop; a pixel the crop cuts off is farther
/// than the limit either way (the crop only removes paths).
fn dilate(mask: &mut [bool], w: usize, h: usize, r: u32) {
    if r == 0 {
        return;
    }
    let Some(bbox) = Rect::bounding(mask, w, h) else {
        return;
    };
    let region = grow(bbox, r as usize + 1, w, h);
    let (rw, rh) = (region.width, region.height);
    let local: Vec<bool> = (0..rh)
        .flat_map(|y| {
            let start = (region.y + y) * w + region.x;
            mask[start..start + rw].iter().copied()
        })
        .collect();
    let dist = chamfer_to_set(&local, rw, rh);
    let limit = r as f32 + 0.5;
    for (y, row) in dist.chunks_exact(rw).enumerate() {
        let start = (region.y + y) * w + region.x;
        for (m, d) in mask[start..start + rw].iter_mut().zip(row) {
            if *d <= limit {
                *m = true;
            }
        }
    }
}

impl Operation for Remove {
    type Analysis = RemoveAnalysis;

    fn radius(&self) -> usize {
        self.params.window
    }

    fn analyse(&self, frame: &Frame) -> Result<RemoveAnalysis> {
        let (w, h) = (frame.width, frame.height);
        let coverage = self.coverage(frame)?;
        let mut hole: Vec<bool> = coverage.iter().map(|c| *c > 0.5).collect();
        dilate(&mut hole, w, h, self.params.dilate);
        let bbox = Rect::bounding(&hole, w, h);
        let count = hole.iter().filter(|v| **v).count();
        if count == w * h {
            return Err(Error::input(
                &self.mask_label,
                format!(
                    "the mask of frame {} covers the whole frame (after [[dilate]] {}); nothing is left to fill from",
                    frame.index, self.params.dilate
                ),
            ));
        }
        Ok(RemoveAnalysis { hole, bbox })
    }

    fn render(&self, window: &Window<RemoveAnalysis>) -> Result<Arc<Frame>> {
        let centre = window.centre();
        let f = &centre.frame;
        let (w, h) = (f.width, f.height);
        let t = f.index;
        // The output starts as the frame's own colours; made only once the
        // fill is done, so it is not held beside the fill's scratch.
        let frame_colours = || {
            Frame::from_data(t, w, h, 3, {
                let mut d = retake_core::frame::recycled_buffer(w * h * 3);
                for (o, p) in d.chunks_exact_mut(3).zip(f.data.chunks_exact(f.channels)) {
                    o.copy_from_slice(&p[..3]);
                }
                d
            })
        };
        let Some(bbox) = centre.analysis.bbox else {
            return Ok(Arc::new(frame_colours()?));
        };
        let radius = self.params.window as i64;
        // The window's items by frame number.
        let items: BTreeMap<i64, &Item<RemoveAnalysis>> =
            window.iter().map(|(_, it)| (it.frame.index, it)).collect();
        let keep = (t - 2 * radius - 2)..=(t + 2 * radius + 2);

        // Work region: the hole plus a rim used to measure colour mismatch.
        const RIM: usize = 2;
        let region = grow(bbox, RIM + 1, w, h);
        let rw = region.width;
        let rh = region.height;
        let local_hole: Vec<bool> = (0..rw * rh)
            .map(|i| centre.analysis.hole[(region.y + i / rw) * w + region.x + i % rw])
            .collect();
        // Pixels to follow through time: the hole and its rim.
        let wanted: Vec<usize> = {
            let outside = chamfer_to_set(&local_hole, rw, rh);
            (0..rw * rh)
                .filter(|&i| local_hole[i] || outside[i] <= RIM as f32 + 0.5)
                .collect()
        };

        // 1. Follow each pixel forward and backward until a frame shows it.
        let mut fill = vec![0.0f32; rw * rh * 3];
        let mut got = vec![0.0f32; rw * rh];
        let mut found: Vec<[Found; 2]> = vec![[None, None]; wanted.len()];
        // Per direction, the chain's positions after all `radius` steps
        // (for the long-range search to go on from).
        let mut chain_ends: [Option<Chain>; 2] = [None, None];
        if radius > 0 {
            for (dir_index, dir) in [1i64, -1].into_iter().enumerate() {
                let mut pos: Vec<Option<(f32, f32)>> = wanted
                    .iter()
                    .map(|&i| Some(((region.x + i % rw) as f32, (region.y + i / rw) as f32)))
                    .collect();
                for k in 1..=radius {
                    // Each step may estimate a flow: a host's abort or a
                    // signal is honoured here, not only between frames.
                    retake_core::cancel::check()?;
                    let (from, to) = (t + dir * (k - 1), t + dir * k);
                    let (Some(a), Some(b)) = (items.get(&from), items.get(&to)) else {
                        break;
                    };
                    if pos.iter().all(|p| p.is_none()) {
                        break;
                    }
                    // With a correspondence, `pos` keeps each pending
                    // point where it starts (in frame t), and a point
                    // hidden in one frame is looked up again in the next;
                    // with the flow, it is the chain's current position.
                    let next: Vec<Option<(f32, f32)>> = match &self.correspondence {
                        Some(c) => map_pending(c.as_ref(), f, &b.frame, &pos),
                        None => {
                            self.make_later_pairs_while_waiting(&items, t, dir, k, &keep);
                            let pair = if dir > 0 {
                                self.pair(a, b, &keep)
                            } else {
                                self.pair(b, a, &keep)
                            };
                            let Some(pair) = pair else {
                                break;
                            };
                            pos.iter()
                                .map(|p| p.and_then(|(x, y)| pair.step(dir > 0, x, y)))
                                .collect()
                        }
                    };
                    let chained = self.correspondence.is_none();
                    for (n, p) in pos.iter_mut().enumerate() {
                        if p.is_none() {
                            continue;
                        }
                        if chained {
                            *p = None;
                        }
                        let Some((nx, ny)) = next[n] else { continue };
                        if !(nx >= 0.0 && ny >= 0.0 && nx <= (w - 1) as f32 && ny <= (h - 1) as f32)
                        {
                            continue;
                        }
                        if b.analysis.clear_at(w, h, nx, ny) {
                            // Cubic where its whole 4x4 support is clear of
                            // the hole (hole pixels may hold anything).
                            let colour = if b.analysis.clear_around(w, h, nx, ny) {
                                sample_cubic(&b.frame, nx, ny)
                            } else {
                                let mut px = [0.0f32; 4];
                                let bf = &b.frame;
                                sample(Plane::new(&bf.data, w, h, bf.channels), nx, ny, &mut px);
                                [px[0], px[1], px[2]]
                            };
                            found[n][dir_index] = Some((k, colour));
                            *p = None;
                        } else if chained {
                            *p = Some((nx, ny));
                        }
                    }
                    if k == radius && chained {
                        chain_ends[dir_index] = Some(std::mem::take(&mut pos));
                    }
                }
            }
        }
        // Long range: hole pixels no frame of the window shows go on along
        // the stored chain, up to `reach` frames away.
        if let Some(store) = &self.reach {
            let reach = self.params.reach as i64;
            for (dir_index, dir) in [1i64, -1].into_iter().enumerate() {
                let Some(mut pos) = chain_ends[dir_index].take() else {
                    continue;
                };
                for (n, p) in pos.iter_mut().enumerate() {
                    if !local_hole[wanted[n]] || found[n].iter().any(|f| f.is_some()) {
                        *p = None;
                    }
                }
                let far = crate::remove_reach::search(store, t, dir, radius, reach, (w, h), pos)?;
                for (n, f) in far.into_iter().enumerate() {
                    if f.is_some() {
                        found[n][dir_index] = f;
                    }
                }
            }
        }
        // Hand-painted references: frames that show the background
        // everywhere. On each side the nearest frame that shows a pixel
        // gives it, as above: a reference replaces a farther observation,
        // never a nearer one (a flow chain through the hole drifts).
        let mut painted: Vec<Option<[f32; 3]>> = vec![None; wanted.len()];
        // Pixels a reference gave on a side: painted by hand, they win
        // over any smooth value (see step 4).
        let mut referenced = vec![false; wanted.len()];
        for (&r, reference) in self.references.range(t - radius..=t + radius) {
            if !items.contains_key(&r) {
                continue;
            }
            let rf = &reference.frame;
            if (rf.width, rf.height) != (w, h) {
                return Err(Error::input(
                    &reference.path,
                    format!(
                        "the reference for frame {r} is {}x{}, the shot is {w}x{h}; paint it on the shot's frame",
                        rf.width, rf.height
                    ),
                ));
            }
            let start = wanted
                .iter()
                .map(|&i| Some(((region.x + i % rw) as f32, (region.y + i / rw) as f32)))
                .collect();
            let pos = self.follow(&items, t, r, start, &keep)?;
            for (n, p) in pos.into_iter().enumerate() {
                let Some((x, y)) = p else { continue };
                if !(x >= 0.0 && y >= 0.0 && x <= (w - 1) as f32 && y <= (h - 1) as f32) {
                    continue;
                }
                let c = sampling::sample_cubic(Plane::new(&rf.data, w, h, rf.channels), x, y);
                let (k, side) = ((r - t).abs(), usize::from(r < t));
                if k == 0 {
                    painted[n] = Some(c);
                } else if found[n][side].is_none_or(|(nearest, _)| k < nearest) {
                    found[n][side] = Some((k, c));
                    referenced[n] = true;
                }
            }
        }
        for (n, &i) in wanted.iter().enumerate() {
            if let Some(c) = painted[n] {
                fill[i * 3..i * 3 + 3].copy_from_slice(&c);
                got[i] = 1.0;
                continue;
            }
            let mut sum = [0.0f32; 3];
            let mut wsum = 0.0;
            // Averaged in code values, as every mix of the fill is (see
            // [`fill_in_code_values`]).
            for (k, c) in found[n].iter().flatten() {
                let wgt = 1.0 / *k as f32;
                for ch in 0..3 {
                    sum[ch] += wgt * to_code_value(c[ch]);
                }
                wsum += wgt;
            }
            if wsum > 0.0 {
                for ch in 0..3 {
                    fill[i * 3 + ch] = from_code_value(sum[ch] / wsum);
                }
                got[i] = 1.0;
            }
        }
        // Hole pixels that a frame of the window on one side only gave,
        // with how far that frame is (see step 4). Long range's copies
        // (beyond the window) are left out: the band around the hole has
        // already judged them better than a smooth fill.
        let one_sided: Vec<(usize, i64)> = if self.correspondence.is_none() {
            (0..wanted.len())
                .filter(|&n| local_hole[wanted[n]] && painted[n].is_none() && !referenced[n])
                .filter_map(|n| match found[n] {
                    [Some((k, _)), None] | [None, Some((k, _))] if k <= radius => {
                        Some((wanted[n], k))
                    }
                    _ => None,
                })
                .collect()
        } else {
            Vec::new()
        };
        // What each pixel was found as is in `fill` now; freed before the
        // fills below allocate theirs.
        drop((found, painted, referenced));

        // 2. Colour correction: the mismatch on the rim, spread over the
        //    hole by a membrane (only where a hole pixel took a colour
        //    from another frame). Its planes are made only when it runs.
        let corrected =
            self.colour_correction && (0..rw * rh).any(|i| local_hole[i] && got[i] > 0.0);
        let correction = if corrected {
            let mut rim_values = vec![0.0f32; rw * rh * 3];
            let mut rim_unknown = vec![true; rw * rh];
            let mut any_rim = false;
            for &i in &wanted {
                if !local_hole[i] && got[i] > 0.0 {
                    let p = ((region.y + i / rw) * w + region.x + i % rw) * f.channels;
                    let diff: Vec<f32> = (0..3).map(|c| f.data[p + c] - fill[i * 3 + c]).collect();
                    // Exposure drift is small; a large mismatch means the
                    // rim pixel was followed to something else (a mover),
                    // so it says nothing about colour and is left out.
                    let level = (0..3).map(|c| f.data[p + c].abs()).fold(0.0f32, f32::max);
                    if diff.iter().all(|d| d.abs() <= 0.1 + 0.15 * level) {
                        rim_values[i * 3..i * 3 + 3].copy_from_slice(&diff);
                        rim_unknown[i] = false;
                        any_rim = true;
                    }
                }
            }
            if any_rim {
                let mut image = HoleImage {
                    width: rw,
                    height: rh,
                    rgb: rim_values,
                    hole: rim_unknown,
                };
                Membrane.fill(&mut image)?;
                Some(image.rgb)
            } else {
                None
            }
        } else {
            None
        };
        drop(wanted);
        if let Some(corr) = correction {
            for i in 0..rw * rh {
                if local_hole[i] && got[i] > 0.0 {
                    for c in 0..3 {
                        fill[i * 3 + c] += corr[i * 3 + c];
                    }
                }
            }
        }

        // 3. What no frame shows: the anchors' spatial fill, followed along
        //    the flow and cross-faded by distance in time.
        let unseen: Vec<usize> = (0..rw * rh)
            .filter(|&i| local_hole[i] && got[i] == 0.0)
            .collect();
        let mut unfilled = Vec::new();
        if !self.spatial.invents_texture() {
            unfilled = unseen;
        } else if !unseen.is_empty() {
            let spacing = self.spacing();
            let a0 = t.div_euclid(spacing) * spacing;
            let anchors: Vec<(i64, f32)> = [
                (a0, 1.0 - (t - a0) as f32 / spacing as f32),
                (a0 + spacing, (t - a0) as f32 / spacing as f32),
            ]
            .into_iter()
            .filter(|(a, wgt)| *wgt > 0.0 && items.contains_key(a))
            .collect();
            let mut sum = vec![0.0f32; unseen.len() * 3];
            let mut wsum = vec![0.0f32; unseen.len()];
            for (a, wgt) in anchors {
                let Some(item) = items.get(&a) else { continue };
                retake_core::cancel::check()?;
                let anchor = self.anchor(item, &((t - 3 * spacing - 2)..=(t + 3 * spacing + 2)))?;
                let start = unseen
                    .iter()
                    .map(|&i| Some(((region.x + i % rw) as f32, (region.y + i / rw) as f32)))
                    .collect();
                let pos = self.follow(&items, t, a, start, &keep)?;
                for (n, p) in pos.iter().enumerate() {
                    let Some((x, y)) = *p else { continue };
                    if !(x >= 0.0 && y >= 0.0 && x <= (w - 1) as f32 && y <= (h - 1) as f32) {
                        continue;
                    }
                    let mut c = [0.0f32; 3];
                    anchor.sample(x, y, &mut c);
                    for ch in 0..3 {
                        sum[n * 3 + ch] += wgt * c[ch];
                    }
                    wsum[n] += wgt;
                }
            }
            for (n, &i) in unseen.iter().enumerate() {
                if wsum[n] > 0.0 {
                    for ch in 0..3 {
                        fill[i * 3 + ch] = sum[n * 3 + ch] / wsum[n];
                    }
                    got[i] = 1.0;
                } else {
                    unfilled.push(i);
                }
            }
        }

        // 4. A copy that only one side of the window gave is a single
        //    observation at the end of a chain through the hole, which
        //    drifts with every frame it crosses, and nothing from the other
        //    side checks it. Where the spatial fill is smooth (the expected
        //    value from the surroundings, no invented texture), it is
        //    weighed against that fill solved over these pixels too, as
        //    against one more observation just beyond the window: the copy
        //    by 1/k, as copies from the two sides are weighed, the smooth
        //    value by 1/(window + 1). A near copy keeps its detail, a far
        //    one is pulled towards its surroundings. Both are weighed in
        //    code values, the scale of the smooth fill (see
        //    [`fill_in_code_values`]). Done before step 5, whose fill of
        //    what no frame shows then has these weighed values on its
        //    border. (Not with a correspondence: its lookups are not chains
        //    through the hole.)
        if !self.spatial.invents_texture() && !one_sided.is_empty() {
            let smooth = self.smooth_over(f, region, &local_hole, &fill, &unfilled, &one_sided)?;
            let w_smooth = 1.0 / (radius + 1) as f32;
            for (&(i, k), s) in one_sided.iter().zip(smooth) {
                let w_copy = 1.0 / k as f32;
                for c in 0..3 {
                    let copy = to_code_value(fill[i * 3 + c]);
                    let smooth = to_code_value(s[c]);
                    fill[i * 3 + c] =
                        from_code_value((w_copy * copy + w_smooth * smooth) / (w_copy + w_smooth));
                }
            }
        }

        // 5. Anything still empty (the flow could not reach an anchor): a
        //    spatial fill of this frame, around what is filled already
        //    (with the smooth fill: the one-sided copies as weighed in step
        //    4, so one far copy on its border does not spread inwards).
        if !unfilled.is_empty() {
            let (mut big, inner) = grow_image(f, region, 16.max(rw.max(rh) / 2));
            // The work region inside it: what other frames gave the hole,
            // and the hole that is left (the rest is the frame already).
            let bw = big.width;
            let at = |i: usize| (i / rw + inner.y) * bw + i % rw + inner.x;
            for i in (0..rw * rh).filter(|&i| local_hole[i] && got[i] > 0.0) {
                let j = at(i);
                big.rgb[j * 3..j * 3 + 3].copy_from_slice(&fill[i * 3..i * 3 + 3]);
            }
            for &i in &unfilled {
                big.hole[at(i)] = true;
            }
            if self.spatial.invents_texture() {
                self.spatial.fill(&mut big)?;
            } else {
                fill_in_code_values(self.spatial.as_ref(), &mut big)?;
            }
            for &i in &unfilled {
                let j = at(i);
                fill[i * 3..i * 3 + 3].copy_from_slice(&big.rgb[j * 3..j * 3 + 3]);
            }
        }

        // 6. Composite with an inward feather.
        let mut out = frame_colours()?;
        let inside = chamfer_to_unset(&local_hole, rw, rh);
        let feather = self.params.feather as f32;
        for i in 0..rw * rh {
            if !local_hole[i] {
                continue;
            }
            let alpha = if feather > 0.0 {
                smoothstep(0.0, feather + 1.0, inside[i])
            } else {
                1.0
            };
            let o = ((region.y + i / rw) * w + region.x + i % rw) * 3;
            for c in 0..3 {
                let v = out.data[o + c];
                out.data[o + c] = v + alpha * (fill[i * 3 + c] - v);
            }
        }
        Ok(Arc::new(out))
    }
}

impl Remove {
    /// The spatial fill's value at each of `one_sided`'s pixels when they
    /// too are left to it: solved on the work region `region` (its hole
    /// holds `fill`, the rest is the frame), with `unfilled` and
    /// `one_sided` as its hole. The smooth fill needs no margin: only the
    /// hole's border sets it.
    fn smooth_over(
        &self,
        f: &Frame,
        region: Rect,
        local_hole: &[bool],
        fill: &[f32],
        unfilled: &[usize],
        one_sided: &[(usize, i64)],
    ) -> Result<Vec<[f32; 3]>> {
        let (mut image, _) = grow_image(f, region, 0);
        for (i, &h) in local_hole.iter().enumerate() {
            if h {
                image.rgb[i * 3..i * 3 + 3].copy_from_slice(&fill[i * 3..i * 3 + 3]);
            }
        }
        for &i in unfilled.iter().chain(one_sided.iter().map(|(i, _)| i)) {
            image.hole[i] = true;
        }
        fill_in_code_values(self.spatial.as_ref(), &mut image)?;
        Ok(one_sided
            .iter()
            .map(|&(i, _)| [image.rgb[i * 3], image.rgb[i * 3 + 1], image.rgb[i * 3 + 2]])
            .collect())
    }
}

/// The frame around the work region `region`, grown by `margin`, so a
/// spatial fill has texture around it to copy from; returns the crop (no
/// hole yet) and where the work region sits inside it. The caller writes
/// the region's own values in place: no second copy of the region.
fn grow_image(f: &Frame, region: Rect, margin: usize) -> (HoleImage, Rect) {
    let big = grow(region, margin, f.width, f.height);
    let mut out = HoleImage {
        width: big.width,
        height: big.height,
        rgb: Vec::with_capacity(big.width * big.height * 3),
        hole: vec![false; big.width * big.height],
    };
    for y in big.y..big.y + big.height {
        let row = (y * f.width + big.x) * f.channels;
        for p in f.data[row..row + big.width * f.channels].chunks_exact(f.channels) {
            out.rgb.extend_from_slice(&p[..3]);
        }
    }
    (
        out,
        Rect {
            x: region.x - big.x,
            y: region.y - big.y,
            width: region.width,
            height: region.height,
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A render whose chain needs a pair another render is making makes
    /// the later pairs of its chain meanwhile, and leaves the pair being
    /// made alone; with nobody making it, it waits for nothing (makes
    /// nothing ahead). Nothing stays counted as in progress.
    #[test]
    fn a_render_waiting_for_a_pair_makes_the_later_ones() {
        let (w, h) = (48usize, 32usize);
        let params = RemoveParams {
            mask: "synthetic".into(),
            window: 3,
            ..RemoveParams::default()
        };
        let op = Remove::new(params, Box::new(Membrane), None).unwrap();
        let items: Vec<Item<RemoveAnalysis>> = (0..4i64)
            .map(|t| {
                let mut data = Vec::with_capacity(w * h * 4);
                for y in 0..h {
                    for x in 0..w {
                        let v = ((x as i64 + 2 * t) % 7) as f32 / 7.0 + y as f32 / 64.0;
                        let hole = (20..28).contains(&x) && (10..20).contains(&y);
                        data.extend_from_slice(&[v, 0.5 * v, 1.0 - v, f32::from(u8::from(hole))]);
                    }
                }
                let frame = Frame::from_data(t, w, h, 4, data).unwrap();
                let analysis = op.analyse(&frame).unwrap();
                Item {
                    frame: Arc::new(frame),
                    analysis,
                }
            })
            .collect();
        let by_index: BTreeMap<i64, &Item<RemoveAnalysis>> =
            items.iter().map(|it| (it.frame.index, it)).collect();
        let keep = -10..=10;
        let made = |key: i64| {
            let m = op.pairs.lock().unwrap();
            m.get(&key).is_some_and(|cell| cell.get().is_some())
        };
        op.make_later_pairs_while_waiting(&by_index, 0, 1, 1, &keep);
        assert!(
            (0..3).all(|key| !made(key)),
            "made a pair ahead with nobody to wait for"
        );
        let other_render = InProgress::enter(&op.pairs_in_progress, 0);
        assert!(op.pair_being_made(0));
        op.make_later_pairs_while_waiting(&by_index, 0, 1, 1, &keep);
        assert!(!made(0), "made the pair another render is making");
        assert!(
            made(1) && made(2),
            "waited instead of making the later pairs"
        );
        drop(other_render);
        assert!(op.pairs_in_progress.lock().unwrap().is_empty());
        assert!(!op.pair_being_made(0));
    }

    /// The whole-frame dilation the cropped one replaces.
    fn dilate_whole_frame(mask: &mut [bool], w: usize, h: usize, r: u32) {
        let dist = chamfer_to_set(mask, w, h);
        for (m, d) in mask.iter_mut().zip(&dist) {
            if *d <= r as f32 + 0.5 {
                *m = true;
            }
        }
    }

    #[test]
    fn dilating_on_the_crop_gives_the_whole_frame_bits() {
        let (w, h) = (97, 61);
        // Blobs anywhere (at the borders too), as a seeded generator
        // places them.
        let mut state = 0x2545_f491_u32;
        let mut next = |n: usize| {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            state as usize % n
        };
        for trial in 0..40 {
            let mut mask = vec![false; w * h];
            for _ in 0..1 + trial % 4 {
                let (cx, cy, rx, ry) = (next(w), next(h), next(12), next(9));
                for y in cy.saturating_sub(ry)..(cy + ry + 1).min(h) {
                    for x in cx.saturating_sub(rx)..(cx + rx + 1).min(w) {
                        mask[y * w + x] = next(5) > 0;
                    }
                }
            }
            for r in [0, 1, 2, 5, 17, 80] {
                let mut cropped = mask.clone();
                let mut whole = mask.clone();
                dilate(&mut cropped, w, h, r);
                if r > 0 {
                    dilate_whole_frame(&mut whole, w, h, r);
                }
                assert_eq!(cropped, whole, "trial {trial}, radius {r}");
            }
        }
        let mut empty = vec![false; w * h];
        dilate(&mut empty, w, h, 3);
        assert!(empty.iter().all(|m| !m));
    }
}
