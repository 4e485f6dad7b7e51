//! Reangle: an alternate camera angle from a single shot, by depth-based
//! reprojection and disocclusion fill.
//!
//! Each frame is lifted to 3D with its depth through a pinhole camera
//! (`fov`) and forward-warped into the virtual camera of that frame
//! ([`warp`]: a z-buffered triangle splat, so magnified surfaces stay
//! closed and depth edges tear open instead of smearing). What the warp
//! could not see (disocclusions behind foreground edges, and what lies
//! outside the real camera's framing) is handed to the removal engine
//! ([`retake_ops::remove::Remove`]) as its hole, on the window of warped frames:
//! each hole pixel is looked up, by its background depth and the virtual
//! cameras ([`follow`]), in the frames whose view saw that spot (the
//! subject moved off it), never where something nearer covers it there;
//! only what no frame saw is invented by the spatial fill. The hole given to the engine also covers the foreground side of
//! each depth edge next to it, so neither the temporal search, the rim's
//! colour correction nor the spatial fill take texture from the object
//! that caused the disocclusion: the background side continues into the
//! hole. Every pixel the footage saw keeps its warped colour; the fill is
//! used only where it did not. The identity camera returns the input's
//! pixels exactly.
//!
//! Geometry, best first: a depth pass carried as the frames' alpha, a
//! learned depth model (a per-frame provider of relative inverse depth,
//! see [`Reangle::with_depth`]), or the built-in layered 2.5D estimate
//! ([`depth::layered_depth`]: ground plane, backdrop, the subject's matte
//! standing on the ground). Relative depth is scaled by `depth-range`.

pub mod camera;
pub mod depth;
pub mod follow;
pub mod parts;
mod unread;
pub mod warp;

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::passes::DepthEncoding;
use retake_core::error::{Error, Result};
use retake_core::frame::Frame;
use retake_core::pipeline::Operation;
use retake_core::window::{Item, Window};
use retake_imageops::filter::resize;
use retake_imageops::keyframes::Keyframes;
use retake_imageops::pinhole::focal_length;
use retake_imageops::plane::Plane;
use retake_model::depth::DepthModel;
use retake_ops::inpaint::{Rect, SpatialFill};
use retake_ops::mask::SubjectMask;
use retake_ops::remove::{Remove, RemoveAnalysis, RemoveParams};

pub use camera::{CameraValues, NamedMove, Pose};
pub use depth::{depth_from_relative_inverse, layered_depth, LayeredOptions};
pub use warp::{warp, Warped};

/// What the frames' alpha channel carries into reangle.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ReangleAlpha {
    /// The subject's matte: the built-in geometry stands it on the ground.
    #[default]
    Matte,
    /// A depth pass, read with `depth-encoding`.
    Depth,
    /// Nothing reangle uses.
    Ignore,
}

/// Parameters of reangle, shared by the CLI, job files and the plugin;
/// ids, help, defaults and limits are in [`crate::reangle_params::TABLE`].
/// Camera values can be one number or `frame:value` keys (`0:0,100:8`);
/// explicit values act on top of a named move.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ReangleParams {
    pub yaw: Option<Keyframes>,
    pub pitch: Option<Keyframes>,
    pub roll: Option<Keyframes>,
    pub dolly: Option<Keyframes>,
    pub truck: Option<Keyframes>,
    pub pedestal: Option<Keyframes>,
    pub zoom: Option<Keyframes>,
    #[serde(rename = "move")]
    pub camera_move: Option<NamedMove>,
    pub amount: f32,
    pub pivot: f32,
    pub fov: f32,
    pub depth_model: String,
    pub depth_range: f32,
    pub depth_encoding: DepthEncoding,
    pub alpha: ReangleAlpha,
    pub horizon: f32,
    pub depth_edge: f32,
    pub window: usize,
    pub fill: String,
}

impl Default for ReangleParams {
    fn default() -> Self {
        let t = crate::reangle_params::TABLE;
        // Camera values left unset mean no change (or the named move's).
        ReangleParams {
            yaw: None,
            pitch: None,
            roll: None,
            dolly: None,
            truck: None,
            pedestal: None,
            zoom: None,
            camera_move: None,
            amount: t.default_f32("amount"),
            pivot: t.default_f32("pivot"),
            fov: t.default_f32("fov"),
            depth_model: t.default_of("depth_model"),
            depth_range: t.default_f32("depth_range"),
            depth_encoding: t.default_of("depth_encoding"),
            alpha: t.default_of("alpha"),
            horizon: t.default_f32("horizon"),
            depth_edge: t.default_f32("depth_edge"),
            window: t.default_int("window"),
            fill: t.default_of("fill"),
        }
    }
}

/// The virtual camera must still see at least this fraction of what the
/// real one framed (on a wall at the pivot distance); less is refused.
pub const MIN_COVERAGE: f64 = 0.5;
/// Below this coverage a warning says how much will be invented.
pub const WARN_COVERAGE: f64 = 0.8;

impl ReangleParams {
    /// Reject values that cannot work, naming the parameter.
    pub fn validate(&self) -> Result<()> {
        let t = crate::reangle_params::TABLE;
        t.check("fov", self.fov as f64)?;
        for (id, keys) in [
            ("yaw", &self.yaw),
            ("pitch", &self.pitch),
            ("roll", &self.roll),
            ("dolly", &self.dolly),
            ("truck", &self.truck),
            ("pedestal", &self.pedestal),
            ("zoom", &self.zoom),
        ] {
            if let Some(k) = keys {
                t.check_all(id, k.values())?;
            }
        }
        t.check("amount", self.amount as f64)?;
        t.check("pivot", self.pivot as f64)?;
        t.check("depth_range", self.depth_range as f64)?;
        if self.depth_model.trim().is_empty() {
            return Err(Error::parameter(
                "depth_model",
                "is empty; use auto, builtin, or a depth model's name",
            ));
        }
        t.check("horizon", self.horizon as f64)?;
        t.check("depth_edge", self.depth_edge as f64)?;
        t.check("window", self.window as f64)?;
        if self.fill.trim().is_empty() {
            return Err(Error::parameter(
                "fill",
                "give auto, patchmatch, smooth or a model name",
            ));
        }
        Ok(())
    }

    /// The camera values of `frame`, keyframes evaluated.
    pub fn values_at(&self, frame: i64) -> CameraValues {
        let val =
            |k: &Option<Keyframes>, d: f32| k.as_ref().map_or(d, |k| k.value_at(frame)) as f64;
        CameraValues {
            yaw: val(&self.yaw, 0.0),
            pitch: val(&self.pitch, 0.0),
            roll: val(&self.roll, 0.0),
            dolly: val(&self.dolly, 0.0),
            truck: val(&self.truck, 0.0),
            pedestal: val(&self.pedestal, 0.0),
            zoom: val(&self.zoom, 1.0),
        }
    }

    /// The virtual camera of `frame`; `shot` is the shot's first and last
    /// frame, over which a named move runs (without it, the move is at its
    /// full extent on every frame).
    pub fn pose_at(&self, frame: i64, shot: Option<(i64, i64)>) -> Pose {
        let named = self
            .camera_move
            .map(|m| (m, self.amount as f64, self.pivot as f64));
        Pose::compose(named, camera::progress(frame, shot), &self.values_at(frame))
    }

    /// Check, before any frame is read, that the virtual camera keeps
    /// enough of the real one's view on every frame of `shot` (first,
    /// last; sampled along with every keyframe): refused below
    /// [`MIN_COVERAGE`], with a warning (returned) below [`WARN_COVERAGE`].
    pub fn check_framing(
        &self,
        width: usize,
        height: usize,
        shot: Option<(i64, i64)>,
    ) -> Result<Option<String>> {
        let focal = focal_length(width, self.fov) as f64;
        let mut frames: Vec<i64> = Vec::new();
        let (first, last) = shot.unwrap_or((0, 0));
        for i in 0..=16 {
            frames.push(first + (last - first) * i / 16);
        }
        for k in [
            &self.yaw,
            &self.pitch,
            &self.roll,
            &self.dolly,
            &self.truck,
            &self.pedestal,
            &self.zoom,
        ]
        .into_iter()
        .flatten()
        {
            frames.extend(
                k.keys()
                    .iter()
                    .map(|(f, _)| *f)
                    .filter(|f| shot.is_none() || (first..=last).contains(f)),
            );
        }
        frames.sort_unstable();
        frames.dedup();
        let worst = frames
            .iter()
            .map(|&f| {
                let c = self
                    .pose_at(f, shot)
                    .coverage(width, height, focal, self.pivot as f64);
                (c, f)
            })
            .fold((2.0, first), |a, b| if b.0 < a.0 { b } else { a });
        let (c, f) = worst;
        if c < MIN_COVERAGE {
            return Err(Error::parameter(
                self.dominant(f),
                format!(
                    "at frame {f} the virtual camera would see only {:.0}% of what the shot saw (at the pivot distance {}); \
                     the rest would be invented. Use a smaller move (at least {:.0}% must stay in view)",
                    c * 100.0,
                    self.pivot,
                    MIN_COVERAGE * 100.0
                ),
            ));
        }
        Ok((c < WARN_COVERAGE).then(|| {
            format!(
                "at frame {f} only {:.0}% of the new view was seen by the shot; the rest is filled",
                c * 100.0
            )
        }))
    }

    /// The parameter most responsible for the camera's move at `frame`, to
    /// name in a message.
    fn dominant(&self, frame: i64) -> &'static str {
        let v = self.values_at(frame);
        let p = self.pivot as f64;
        let scores = [
            ("yaw", v.yaw.abs() / 10.0),
            ("pitch", v.pitch.abs() / 10.0),
            ("roll", v.roll.abs() / 20.0),
            ("dolly", v.dolly.abs() / (0.3 * p)),
            ("truck", v.truck.abs() / (0.15 * p)),
            ("pedestal", v.pedestal.abs() / (0.15 * p)),
            ("zoom", (v.zoom.ln().abs()) / 0.3),
            (
                "move",
                if self.camera_move.is_some() {
                    self.amount.abs() as f64
                } else {
                    0.0
                },
            ),
        ];
        scores
            .iter()
            .fold(("move", -1.0), |a, b| if b.1 > a.1 { *b } else { a })
            .0
    }
}

/// Gives a frame's relative inverse depth (larger = nearer, any offset and
/// scale, at the frame's size, row-major) from a learned depth model;
/// `Ok(None)` falls back to the built-in estimate for that frame.
pub type DepthProvider = dyn Fn(&Frame) -> Result<Option<Vec<f32>>> + Send + Sync;

/// The passes compositors ask for, per rendered frame.
pub struct ReanglePasses {
    /// One channel: 1 where the picture was filled (the footage did not
    /// see it), 0 where it holds real, warped pixels.
    pub mask: Frame,
    /// One channel: depth along the virtual camera's view axis; in the
    /// filled areas, the depth of the background next to them.
    pub depth: Frame,
}

/// Receives each rendered frame's passes (from any render thread, in any order).
pub type PassWriter = dyn Fn(&ReanglePasses) -> Result<()> + Send + Sync;

/// One frame seen from its virtual camera.
pub struct ReangleAnalysis {
    /// The warped picture as the removal engine sees it (RGB). Its hole,
    /// in the analysis, is what was not seen plus the foreground side of
    /// the depth edges next to it, so nothing is taken from there.
    warped: Arc<Item<RemoveAnalysis>>,
    /// The warped depth, which [`follow::ViewChange`] finds points by
    /// (registered in its [`follow::Depths`]): in filled areas the
    /// background's next to them, negated, so its sign says which pixels
    /// take their colour from the fill (a separate mask would cost a
    /// byte per pixel on every frame in the window).
    depth: Arc<Vec<f32>>,
    /// The hole's separate parts, each filled on its own crop.
    parts: Vec<Rect>,
    /// Real warped colours of the pixels the engine saw as background.
    restore: Vec<(usize, [f32; 3])>,
    /// The camera is the real one: the output is the input.
    identity: bool,
    /// Its render is done, and read nothing more of other frames.
    rendered: AtomicBool,
    /// Where its render looks other frames up ([`Self::lookup_points`]),
    /// as row runs, kept from the first neighbour that asks until its
    /// own render is done.
    lookups: Mutex<Option<Arc<Vec<Run>>>>,
}

/// Pixels `x0..x1` of row `y`.
type Run = (usize, usize, usize);

impl ReangleAnalysis {
    /// Whether pixel `i`'s colour comes from the fill.
    fn filled(&self, i: usize) -> bool {
        self.depth[i].is_sign_negative()
    }
}

/// The reangle operation.
pub struct Reangle {
    params: ReangleParams,
    remove: Remove,
    shot: Option<(i64, i64)>,
    subject: Option<SubjectMask>,
    depth_model: Option<Box<DepthProvider>>,
    pass_writer: Option<Box<PassWriter>>,
    warned: AtomicBool,
    /// The warped frames' depths, for the correspondences.
    depths: Arc<follow::Depths>,
    /// How the fill finds points between warped frames (shared with the
    /// engine), asked once a frame is rendered what its neighbours read.
    view: Arc<follow::ViewChange>,
    /// Each frame is rendered once, after its whole window is analysed
    /// (see [`Reangle::rendering_each_frame_once`]).
    once: bool,
    /// Bytes of rendered frames handed back so far.
    released: AtomicU64,
    /// The hole's parts may be filled one at a time: the spatial fill
    /// invents no texture, so no anchor frame's fill (cached per frame,
    /// for its whole hole) depends on which part asked for it.
    by_parts: bool,
}

/// Fraction of a frame left unseen above which a warning is logged.
const WARN_UNSEEN: f64 = 0.3;

impl Reangle {
    /// `spatial` fills what no frame saw (as for `remove`).
    pub fn new(params: ReangleParams, spatial: Box<dyn SpatialFill>) -> Result<Self> {
        params.validate()?;
        let by_parts = !spatial.invents_texture();
        let depths = Arc::new(follow::Depths::default());
        let view = Arc::new(view_change(&params, None, depths.clone()));
        let remove = Remove::new(
            RemoveParams {
                mask: "reangle disocclusions".into(),
                dilate: 0,
                feather: 0,
                window: params.window,
                fill: params.fill.clone(),
                reference: Vec::new(),
                reach: 0,
            },
            spatial,
            None,
        )?
        .with_correspondence(Box::new(follow::Shared(view.clone())))
        .without_colour_correction();
        Ok(Reangle {
            params,
            remove,
            shot: None,
            subject: None,
            depth_model: None,
            pass_writer: None,
            warned: AtomicBool::new(false),
            depths,
            view,
            once: false,
            released: AtomicU64::new(0),
            by_parts,
        })
    }

    pub fn params(&self) -> &ReangleParams {
        &self.params
    }

    /// Name of the spatial filler, for provenance.
    pub fn spatial_name(&self) -> &str {
        self.remove.spatial_name()
    }

    /// The shot's first and last frame: named moves run between them.
    pub fn with_shot(mut self, first: i64, last: i64) -> Self {
        self.shot = Some((first, last));
        self.view = Arc::new(view_change(&self.params, self.shot, self.depths.clone()));
        self.remove = self
            .remove
            .with_correspondence(Box::new(follow::Shared(self.view.clone())));
        self
    }

    /// The driver renders each frame at most once, and only once every
    /// frame of its window is analysed (the CLI's pipeline; not a host
    /// that may render a frame again from its cached analyses). Then,
    /// once a frame is rendered, the parts of its warped picture and
    /// depth that no neighbour's render can read are handed back to the
    /// system: the window holds mostly the bands its neighbours fill from
    /// instead of whole pictures. The output is the same bits.
    pub fn rendering_each_frame_once(mut self) -> Self {
        self.once = true;
        self
    }

    /// Bytes of rendered frames' pictures and depths handed back so far
    /// (see [`Reangle::rendering_each_frame_once`]).
    pub fn bytes_released(&self) -> u64 {
        self.released.load(Ordering::Relaxed)
    }

    /// Find the subject with this segmentation model when the frames
    /// carry no matte (`--mask auto`), for the built-in geometry.
    pub fn with_subject(mut self, subject: SubjectMask) -> Self {
        self.subject = Some(subject);
        self
    }

    /// Take depth from a learned model: `provider` gives each frame's
    /// relative inverse depth, scaled with [`depth_from_relative_inverse`]
    /// and `depth-range`. A depth pass in the alpha still comes first.
    pub fn with_depth(mut self, provider: Box<DepthProvider>) -> Self {
        self.depth_model = Some(provider);
        self
    }

    /// Take depth from this learned depth model (relative inverse depth,
    /// scaled by `depth_range`) where no pass gives it.
    pub fn with_depth_model(self, model: DepthModel) -> Self {
        self.with_depth(Box::new(move |frame: &Frame| {
            let d = model.disparity(frame)?;
            Ok(Some(resize(
                Plane::new(&d.data, d.width, d.height, 1),
                frame.width,
                frame.height,
            )))
        }))
    }

    /// Hand every rendered frame's passes to `writer`.
    pub fn with_pass_writer(mut self, writer: Box<PassWriter>) -> Self {
        self.pass_writer = Some(writer);
        self
    }

    /// The virtual camera of `frame`.
    pub fn pose_at(&self, frame: i64) -> Pose {
        self.params.pose_at(frame, self.shot)
    }

    /// One channel of the frame's alpha, when it has one.
    fn alpha(frame: &Frame) -> Option<Vec<f32>> {
        (frame.channels == 4).then(|| frame.data.chunks_exact(4).map(|p| p[3]).collect())
    }

    /// Depth of the source frame: the pass in its alpha, the learned
    /// model, or the built-in layered estimate.
    pub fn source_depth(&self, frame: &Frame) -> Result<Vec<f32>> {
        let (w, h) = (frame.width, frame.height);
        let range = self.params.depth_range;
        if self.params.alpha == ReangleAlpha::Depth {
            let a = Self::alpha(frame).ok_or_else(|| {
                Error::parameter(
                    "alpha",
                    format!(
                        "frame {} has no alpha channel to read the depth pass from",
                        frame.index
                    ),
                )
            })?;
            return match self.params.depth_encoding {
                DepthEncoding::Inverse => Ok(depth_from_relative_inverse(&a, range)),
                DepthEncoding::Distance => {
                    let far = a
                        .iter()
                        .filter(|d| d.is_finite() && **d > 0.0)
                        .fold(None, |m: Option<f32>, &d| Some(m.map_or(d, |m| m.max(d))))
                        .ok_or_else(|| {
                            Error::input(
                                format!("depth pass (alpha of frame {})", frame.index),
                                "no usable depth: every value is zero, negative or not finite",
                            )
                        })?;
                    // Sky and missing values: far behind everything else.
                    Ok(a.into_iter()
                        .map(|d| {
                            if d.is_finite() && d > 0.0 {
                                d
                            } else {
                                2.0 * far
                            }
                        })
                        .collect())
                }
            };
        }
        if let Some(model) = &self.depth_model {
            if let Some(disparity) = model(frame)? {
                if disparity.len() != w * h {
                    return Err(Error::Internal(format!(
                        "the depth model gave {} values for the {w}x{h} frame {}",
                        disparity.len(),
                        frame.index
                    )));
                }
                return Ok(depth_from_relative_inverse(&disparity, range));
            }
        }
        let matte = if self.params.alpha == ReangleAlpha::Matte && frame.channels == 4 {
            Self::alpha(frame)
        } else if let Some(subject) = &self.subject {
            let mut m = subject.still(frame)?;
            Some(std::mem::take(&mut m.data))
        } else {
            None
        };
        layered_depth(
            w,
            h,
            matte.as_deref(),
            &LayeredOptions {
                range,
                horizon: self.params.horizon,
                focal: focal_length(w, self.params.fov),
            },
        )
    }

    /// The frame warped into its virtual camera, before any fill.
    pub fn warp_frame(&self, frame: &Frame) -> Result<(Warped, bool)> {
        let (w, h) = (frame.width, frame.height);
        let pose = self.pose_at(frame.index);
        let depth = self.source_depth(frame)?;
        if pose.is_identity() {
            let mut rgb = Vec::with_capacity(w * h * 3);
            for p in frame.data.chunks_exact(frame.channels) {
                rgb.extend_from_slice(&p[..3]);
            }
            return Ok((
                Warped {
                    width: w,
                    height: h,
                    rgb,
                    depth,
                    seen: vec![true; w * h],
                },
                true,
            ));
        }
        let focal = focal_length(w, self.params.fov) as f64;
        Ok((
            warp(
                &frame.data,
                frame.channels,
                w,
                h,
                &depth,
                &pose,
                focal,
                self.params.depth_edge,
            ),
            false,
        ))
    }
}

/// How the temporal fill finds a point of one warped frame in another:
/// through the virtual cameras of `params` over `shot` and the warped
/// frames' `depths`.
fn view_change(
    params: &ReangleParams,
    shot: Option<(i64, i64)>,
    depths: Arc<follow::Depths>,
) -> follow::ViewChange {
    let p = params.clone();
    follow::ViewChange::new(
        Box::new(move |frame| p.pose_at(frame, shot)),
        params.fov,
        params.depth_edge,
        depths,
    )
}

/// Half-width (pixels) of the band next to a hole whose foreground side
/// is kept out of the fill's sources.
fn band_radius(w: usize, h: usize) -> usize {
    (w.min(h) / 120).max(3)
}

/// Running max over a window of `2r+1` samples of `src` (van Herk /
/// Gil-Werman: three comparisons per sample whatever `r`), into `out`.
fn running_max(
    src: &[f32],
    r: usize,
    out: &mut [f32],
    ahead: &mut Vec<f32>,
    behind: &mut Vec<f32>,
) {
    let n = src.len();
    let k = 2 * r + 1;
    ahead.clear();
    ahead.resize(n, 0.0);
    behind.clear();
    behind.resize(n, 0.0);
    // Block-wise prefix maxima (from each block's start) and suffix maxima.
    for start in (0..n).step_by(k) {
        let end = (start + k).min(n);
        let mut m = f32::MIN;
        for i in start..end {
            m = m.max(src[i]);
            ahead[i] = m;
        }
        let mut m = f32::MIN;
        for i in (start..end).rev() {
            m = m.max(src[i]);
            behind[i] = m;
        }
    }
    for (i, o) in out.iter_mut().enumerate() {
        let lo = i.saturating_sub(r);
        let hi = (i + r).min(n - 1);
        // [lo, hi] spans at most two blocks: the suffix of lo's block and
        // the prefix of hi's.
        *o = if lo / k == hi / k {
            src[lo..=hi].iter().copied().fold(f32::MIN, f32::max)
        } else {
            behind[lo].max(ahead[hi])
        };
    }
}

/// Max of `v` over a `(2r+1)^2` square (separable), ignoring pixels not
/// `seen` (values are >= 0, so an ignored pixel counts as 0).
#[cfg(test)]
fn max_filter(v: &[f32], seen: &[bool], w: usize, h: usize, r: usize) -> Vec<f32> {
    max_filter_where(v, w, h, r, |i| seen[i])
}

/// [`max_filter`] over the pixels `i` where `include(i)`: the caller's
/// mask need not be a frame-sized buffer of its own, and each row is
/// masked into a row-sized scratch that its thread reuses.
fn max_filter_where(
    v: &[f32],
    w: usize,
    h: usize,
    r: usize,
    include: impl Fn(usize) -> bool + Sync,
) -> Vec<f32> {
    if w == 0 || h == 0 {
        return Vec::new();
    }
    let mut rows = vec![0.0f32; w * h];
    rows.par_chunks_mut(w).enumerate().for_each_init(
        || (Vec::with_capacity(w), Vec::new(), Vec::new()),
        |(masked, a, b), (y, out)| {
            masked.clear();
            masked
                .extend((y * w..(y + 1) * w).map(|i| if include(i) { v[i].max(0.0) } else { 0.0 }));
            running_max(masked, r, out, a, b);
        },
    );
    // Columns: the same running max with whole rows as the samples
    // (element-wise, in row order, so it streams through memory).
    let k = 2 * r + 1;
    let mut ahead = vec![0.0f32; w * h];
    let mut behind = vec![0.0f32; w * h];
    ahead
        .par_chunks_mut(k * w)
        .zip(behind.par_chunks_mut(k * w))
        .enumerate()
        .for_each(|(b, (ahead, behind))| {
            let start = b * k;
            let n = ahead.len() / w;
            let block = &rows[start * w..(start + n) * w];
            ahead[..w].copy_from_slice(&block[..w]);
            for y in 1..n {
                let (done, row) = ahead.split_at_mut(y * w);
                let prev = &done[(y - 1) * w..];
                for ((o, p), v) in row[..w].iter_mut().zip(prev).zip(&block[y * w..]) {
                    *o = p.max(*v);
                }
            }
            behind[(n - 1) * w..].copy_from_slice(&block[(n - 1) * w..]);
            for y in (0..n - 1).rev() {
                let (row, done) = behind.split_at_mut((y + 1) * w);
                for ((o, p), v) in row[y * w..].iter_mut().zip(&done[..w]).zip(&block[y * w..]) {
                    *o = p.max(*v);
                }
            }
        });
    let mut out = vec![0.0f32; w * h];
    out.par_chunks_mut(w).enumerate().for_each(|(y, o)| {
        let lo = y.saturating_sub(r);
        let hi = (y + r).min(h - 1);
        if lo / k == hi / k {
            o.fill(f32::MIN);
            for yy in lo..=hi {
                for (o, v) in o.iter_mut().zip(&rows[yy * w..(yy + 1) * w]) {
                    *o = o.max(*v);
                }
            }
        } else {
            let (b, a) = (&behind[lo * w..(lo + 1) * w], &ahead[hi * w..(hi + 1) * w]);
            for ((o, b), a) in o.iter_mut().zip(b).zip(a) {
                *o = b.max(*a);
            }
        }
    });
    out
}

/// Squared distance (pixels^2, between pixel centres) from each pixel to
/// the nearest one not `seen`: exact up to `reach`^2, larger (or
/// `u32::MAX`) beyond. Only a band around the holes is asked about, so
/// this costs a pass over the frame plus work near the holes, not a full
/// distance transform. Each column gives the vertical distance to its
/// nearest hole pixel; each row then takes, for every column within
/// `reach`, that distance combined with the horizontal one.
fn hole_distance2(seen: &[bool], w: usize, h: usize, reach: usize) -> Vec<u32> {
    let cap = (reach + 1) as u32;
    let mut v = vec![cap; w * h];
    for y in 0..h {
        for x in 0..w {
            let i = y * w + x;
            v[i] = if !seen[i] {
                0
            } else if y > 0 {
                (v[i - w] + 1).min(cap)
            } else {
                cap
            };
        }
    }
    for y in (0..h.saturating_sub(1)).rev() {
        for x in 0..w {
            let i = y * w + x;
            v[i] = v[i].min(v[i + w] + 1);
        }
    }
    let mut out = vec![u32::MAX; w * h];
    out.par_chunks_mut(w.max(1))
        .zip(v.par_chunks(w.max(1)))
        .for_each(|(out, v)| {
            for (x, &dy) in v.iter().enumerate() {
                if dy > reach as u32 {
                    continue;
                }
                let dy2 = dy * dy;
                for (xx, o) in out
                    .iter_mut()
                    .enumerate()
                    .take((x + reach + 1).min(w))
                    .skip(x.saturating_sub(reach))
                {
                    let dx = xx.abs_diff(x) as u32;
                    *o = (*o).min(dx * dx + dy2);
                }
            }
        });
    out
}

/// Whether pixel `i` is in a hole or within `r` pixels of one, as
/// [`euclidean_to_outside`] measures it (distance to the hole pixel's
/// centre less half a pixel: `sqrt(d2) - 0.5 <= r`, for whole `d2` and
/// `r` the same as `d2 <= r (r + 1)`), from [`hole_distance2`] with a
/// reach beyond `r`.
fn near_hole(seen: &[bool], d2: &[u32], i: usize, r: usize) -> bool {
    !seen[i] || d2[i] as u64 <= (r * (r + 1)) as u64
}

/// Where a warped frame is filled, and how the removal engine sees it.
struct Regions {
    /// The engine's hole: what was not seen, the one-pixel ring around it
    /// on the background side (its colours mix both sides of the edge),
    /// and the foreground side of the depth edges next to it, so the
    /// engine takes nothing from there.
    hole: Vec<bool>,
    /// Pixels whose output colour comes from the fill.
    filled: Vec<bool>,
    /// Warped depth, with the filled areas given the background's depth.
    depth: Vec<f32>,
    /// Foreground pixels next to a hole, with the background's colour
    /// continued under them: the engine's input has these colours, so the
    /// hole's border on the foreground side reads as background to the
    /// spatial fill and the rim's colour correction.
    under: Vec<(usize, [f32; 3])>,
}

/// Directions searched for the background next to a foreground pixel.
const DIRECTIONS: [(isize, isize); 8] = [
    (1, 0),
    (-1, 0),
    (0, 1),
    (0, -1),
    (1, 1),
    (1, -1),
    (-1, 1),
    (-1, -1),
];

/// For each pixel that is not `seen`, the farthest depth among the
/// nearest seen pixels to its left, right, above and below (0 where there
/// is none); seen pixels keep their own depth.
fn hole_depth(depth: &[f32], seen: &[bool], w: usize, h: usize) -> Vec<f32> {
    let mut out = vec![0.0f32; w * h];
    out.par_chunks_mut(w).enumerate().for_each(|(y, row)| {
        let mut last = 0.0f32;
        for (x, v) in row.iter_mut().enumerate() {
            let i = y * w + x;
            if seen[i] {
                last = depth[i];
            }
            *v = last;
        }
        let mut last = 0.0f32;
        for x in (0..w).rev() {
            let i = y * w + x;
            if seen[i] {
                last = depth[i];
            } else {
                row[x] = row[x].max(last);
            }
        }
    });
    for x in 0..w {
        let mut last = 0.0f32;
        for y in 0..h {
            let i = y * w + x;
            if seen[i] {
                last = depth[i];
            } else {
                out[i] = out[i].max(last);
            }
        }
        let mut last = 0.0f32;
        for y in (0..h).rev() {
            let i = y * w + x;
            if seen[i] {
                last = depth[i];
            } else {
                out[i] = out[i].max(last);
            }
        }
    }
    out
}

/// Takes the warp's depth: the filled areas' depth is written into it.
fn fill_regions(warped: &mut Warped, edge: f32) -> Regions {
    let (w, h) = (warped.width, warped.height);
    let seen = &warped.seen;
    let depth = &warped.depth;
    let r = band_radius(w, h);
    let zone_r = 2 * r;
    // The depth behind each hole: the farthest of the nearest seen
    // pixels around it along the rows and columns (a hole can be wider
    // than any local window, and its far side is the background).
    let behind = hole_depth(depth, seen, w, h);
    // The local background: the farthest seen depth nearby, or the depth
    // behind a hole nearby (one buffer: the second is folded in and freed).
    let mut background = max_filter_where(depth, w, h, zone_r, |i| seen[i]);
    {
        let across = max_filter_where(&behind, w, h, zone_r, |i| !seen[i]);
        for (b, a) in background.iter_mut().zip(&across) {
            *b = b.max(*a);
        }
    }
    let d2 = hole_distance2(seen, w, h, zone_r + 1);
    let near = |i: usize, r: usize| near_hole(seen, &d2, i, r);
    let foreground: Vec<bool> = (0..w * h)
        .map(|i| seen[i] && near(i, zone_r) && depth[i] * (1.0 + edge) < background[i])
        .collect();
    let mut hole = vec![false; w * h];
    let mut filled = vec![false; w * h];
    for i in 0..w * h {
        if !seen[i] {
            hole[i] = true;
            filled[i] = true;
        } else if foreground[i] {
            hole[i] = near(i, r);
        } else if near(i, 1) {
            hole[i] = true;
            filled[i] = true;
        }
    }
    // Freed before the colours under the edges are gathered (frame-sized).
    drop(d2);
    // The background continued under the foreground next to the holes:
    // the nearest background pixels (seen, as deep as the local
    // background) along eight directions, weighted by closeness.
    let reach = (w.max(h) / 8).max(4 * zone_r) as isize;
    let under: Vec<(usize, [f32; 3])> = (0..w * h)
        .into_par_iter()
        .filter(|&i| foreground[i])
        .map(|i| {
            let (x, y) = ((i % w) as isize, (i / w) as isize);
            let deep = background[i] / (1.0 + edge);
            let mut sum = [0.0f32; 3];
            let mut wsum = 0.0f32;
            for (dx, dy) in DIRECTIONS {
                for k in 1..=reach {
                    let (xx, yy) = (x + dx * k, y + dy * k);
                    if xx < 0 || yy < 0 || xx >= w as isize || yy >= h as isize {
                        break;
                    }
                    let j = yy as usize * w + xx as usize;
                    if seen[j] && depth[j] >= deep {
                        let d = (k * k * (dx * dx + dy * dy)) as f32;
                        let wt = 1.0 / d;
                        for (s, v) in sum.iter_mut().zip(&warped.rgb[j * 3..j * 3 + 3]) {
                            *s += wt * v;
                        }
                        wsum += wt;
                        break;
                    }
                }
            }
            let colour = if wsum > 0.0 {
                [sum[0] / wsum, sum[1] / wsum, sum[2] / wsum]
            } else {
                [
                    warped.rgb[i * 3],
                    warped.rgb[i * 3 + 1],
                    warped.rgb[i * 3 + 2],
                ]
            };
            (i, colour)
        })
        .collect();
    // Depth of the filled areas: the background's behind them.
    let mut out_depth = std::mem::take(&mut warped.depth);
    for i in 0..w * h {
        if filled[i] {
            out_depth[i] = behind[i].max(out_depth[i]);
        }
    }
    Regions {
        hole,
        filled,
        depth: out_depth,
        under,
    }
}

impl Reangle {
    /// The frame warped into its virtual camera, once it is known to be RGB.
    fn warp_checked(&self, frame: &Frame) -> Result<(Warped, bool)> {
        if frame.channels < 3 {
            return Err(Error::Internal(format!(
                "frame {} has {} channel(s); reangle needs RGB",
                frame.index, frame.channels
            )));
        }
        self.warp_frame(frame)
    }

    /// The analysis of frame `index` from its warp: where it is filled,
    /// and how the removal engine sees it.
    fn analyse_warped(
        &self,
        index: i64,
        (mut warped, identity): (Warped, bool),
    ) -> Result<ReangleAnalysis> {
        let (w, h) = (warped.width, warped.height);
        let unseen = warped.unseen_fraction();
        if unseen > 0.98 {
            return Err(Error::parameter(
                self.params.dominant(index),
                format!(
                    "at frame {} the virtual camera sees nothing the shot saw; use a smaller move",
                    index
                ),
            ));
        }
        if unseen > WARN_UNSEEN && !self.warned.swap(true, Ordering::Relaxed) {
            log::warn!(
                "frame {}: {:.0}% of the new view was not seen by the shot and is invented by the fill; a smaller move keeps more real pixels",
                index,
                unseen * 100.0
            );
        }
        let regions = if identity {
            Regions {
                hole: vec![false; w * h],
                filled: vec![false; w * h],
                depth: std::mem::take(&mut warped.depth),
                under: Vec::new(),
            }
        } else {
            fill_regions(&mut warped, self.params.depth_edge)
        };
        // The warp's own colour buffer becomes the engine's frame.
        let mut rgb = warped.rgb;
        // The engine sees the background under the foreground's edge; the
        // real colours are put back after the fill.
        let mut restore = Vec::with_capacity(regions.under.len());
        for (i, c) in &regions.under {
            let px = &mut rgb[i * 3..i * 3 + 3];
            restore.push((*i, [px[0], px[1], px[2]]));
            px.copy_from_slice(c);
        }
        let parts = if self.by_parts {
            parts::hole_parts(&regions.hole, w, h, w.max(h) / 16)
        } else {
            Vec::new()
        };
        if regions.hole.iter().all(|h| *h) {
            return Err(Error::parameter(
                self.params.dominant(index),
                format!(
                    "at frame {} nothing the virtual camera sees can be kept; use a smaller move",
                    index
                ),
            ));
        }
        let analysis = RemoveAnalysis::from_hole(regions.hole, w, h);
        // Filled pixels carry their depth negated: the correspondences
        // compare only what the footage saw.
        let mut depth = regions.depth;
        for (d, f) in depth.iter_mut().zip(&regions.filled) {
            if *f {
                *d = -*d;
            }
        }
        let depth = Arc::new(depth);
        self.depths.register(index, &depth);
        Ok(ReangleAnalysis {
            warped: Arc::new(Item {
                frame: Arc::new(Frame::from_data(index, w, h, 3, rgb)?),
                analysis,
            }),
            depth,
            parts,
            restore,
            identity,
            rendered: AtomicBool::new(false),
            lookups: Mutex::new(None),
        })
    }
}

impl Reangle {
    /// Hand back what no other render will read of the centre's warped
    /// picture and depth, now that its own render is done: the other
    /// renders that read it are those of its window's frames (each looks
    /// up its hole and rim here), and whatever they would compute from
    /// its whole picture (block luminance, residual motion) is computed
    /// now. Returns the bytes released.
    fn release_unread(&self, window: &Window<ReangleAnalysis>) -> usize {
        let a = &window.centre().analysis;
        let frame = &a.warped.frame;
        // A render that is done reads nothing more (see `rendered`).
        let others: Vec<&ReangleAnalysis> = window
            .iter()
            .filter(|(offset, it)| *offset != 0 && !it.analysis.rendered.load(Ordering::Acquire))
            .map(|(_, it)| &it.analysis)
            .collect();
        let frames: Vec<&Frame> = others.iter().map(|o| o.warped.frame.as_ref()).collect();
        self.view.settle_pairs(frame, &frames);
        let mut read = vec![false; frame.width * frame.height];
        for o in &others {
            let points: Vec<(f32, f32)> = o
                .lookup_runs()
                .iter()
                .flat_map(|&(y, x0, x1)| (x0..x1).map(move |x| (x as f32, y as f32)))
                .collect();
            self.view
                .mark_read(&o.warped.frame, frame, &points, &mut read);
        }
        // SAFETY: `read` marks every pixel of this frame that a render
        // still to come can read (its own render is done, and neighbours
        // whose render is done read nothing more); both buffers hold f32.
        let bytes = unsafe {
            unread::release_unread(&frame.data, frame.channels, &read)
                + unread::release_unread(&a.depth, 1, &read)
        };
        log::debug!(
            "frame {}: {:.1} MB of its warped picture and depth handed back",
            frame.index,
            bytes as f64 / 1e6
        );
        bytes
    }
}

impl ReangleAnalysis {
    /// [`Self::lookup_points`], made once while it is needed.
    fn lookup_runs(&self) -> Arc<Vec<Run>> {
        let mut kept = self.lookups.lock().unwrap_or_else(|e| e.into_inner());
        kept.get_or_insert_with(|| Arc::new(self.lookup_points()))
            .clone()
    }

    /// Every pixel the removal engine can look up in other frames when
    /// it renders this one, as row runs: the hole (within what the fill
    /// colours and the foreground side of the edges, `restore`) and the
    /// rim the engine compares around it (its chamfer distance of at most
    /// 2.5 from the hole, each step costing at least 1: within 2 pixels
    /// in each direction).
    fn lookup_points(&self) -> Vec<Run> {
        let f = &self.warped.frame;
        let (w, h) = (f.width, f.height);
        let mut hole: Vec<bool> = self.depth.iter().map(|d| d.is_sign_negative()).collect();
        for (i, _) in &self.restore {
            hole[*i] = true;
        }
        let near = dilate_square(&hole, w, h, 2);
        let mut runs = Vec::new();
        for (y, row) in near.chunks_exact(w.max(1)).enumerate() {
            let mut x = 0;
            while x < w {
                if !row[x] {
                    x += 1;
                    continue;
                }
                let start = x;
                while x < w && row[x] {
                    x += 1;
                }
                runs.push((y, start, x));
            }
        }
        runs
    }
}

/// `mask` grown by `r` pixels in every direction (a square).
fn dilate_square(mask: &[bool], w: usize, h: usize, r: usize) -> Vec<bool> {
    let mut rows = vec![false; w * h];
    for y in 0..h {
        let row = &mask[y * w..(y + 1) * w];
        let out = &mut rows[y * w..(y + 1) * w];
        for x in (0..w).filter(|&x| row[x]) {
            out[x.saturating_sub(r)..(x + r + 1).min(w)].fill(true);
        }
    }
    let mut out = vec![false; w * h];
    for y in 0..h {
        for yy in y.saturating_sub(r)..(y + r + 1).min(h) {
            for x in 0..w {
                out[yy * w + x] |= rows[y * w + x];
            }
        }
    }
    out
}

impl Operation for Reangle {
    type Analysis = ReangleAnalysis;

    fn radius(&self) -> usize {
        self.params.window
    }

    fn analyse(&self, frame: &Frame) -> Result<ReangleAnalysis> {
        let warped = self.warp_checked(frame)?;
        self.analyse_warped(frame.index, warped)
    }

    /// The decoded frame is freed once warped: the hole analysis after
    /// the warp is the largest scratch, and runs without it.
    fn analyse_owned(&self, frame: Arc<Frame>) -> Result<ReangleAnalysis> {
        let warped = self.warp_checked(&frame)?;
        let index = frame.index;
        drop(frame);
        self.analyse_warped(index, warped)
    }

    fn renders_from_source(&self) -> bool {
        false
    }

    /// The warp and the fill each hold several frame-sized buffers while
    /// they run.
    fn shares_workers_between_stages(&self) -> bool {
        true
    }

    fn render(&self, window: &Window<ReangleAnalysis>) -> Result<Arc<Frame>> {
        let centre = window.centre();
        let a = &centre.analysis;
        // Everything comes from the analysis: the pipeline does not keep
        // the decoded frames (see `renders_from_source`).
        let src = &a.warped.frame;
        let (w, h) = (src.width, src.height);
        let out = if a.identity {
            // The identity warp holds the input's own pixels, bit for bit.
            src.clone()
        } else {
            let mut centre_at = 0;
            let mut items: Vec<Arc<Item<RemoveAnalysis>>> = window
                .iter()
                .enumerate()
                .map(|(k, (offset, it))| {
                    if offset == 0 {
                        centre_at = k;
                    }
                    it.analysis.warped.clone()
                })
                .collect();
            // The engine returns the warped picture with its hole filled
            // (no feather: pixels outside the hole are the warped ones). The
            // first result becomes the output; each further part's fill is
            // copied in where the output is filled. The foreground side of
            // the edges, which the engine saw as hole, gets its real colours
            // back below (`restore` holds every pixel of it).
            let parts: Vec<Option<Rect>> = if a.parts.len() > 1 {
                a.parts.iter().copied().map(Some).collect()
            } else {
                vec![None]
            };
            let mut out: Option<Frame> = None;
            for part in parts {
                if let Some(r) = part {
                    items[centre_at] = Arc::new(Item {
                        frame: a.warped.frame.clone(),
                        analysis: a.warped.analysis.within(r, w),
                    });
                }
                let filled = self.remove.render(&Window::new(items.clone(), centre_at))?;
                match (&mut out, part) {
                    (Some(o), Some(r)) => {
                        for y in r.y..r.y + r.height {
                            for i in y * w + r.x..y * w + r.x + r.width {
                                if a.filled(i) {
                                    o.data[i * 3..i * 3 + 3]
                                        .copy_from_slice(&filled.data[i * 3..i * 3 + 3]);
                                }
                            }
                        }
                    }
                    _ => out = Some(Arc::try_unwrap(filled).unwrap_or_else(|f| (*f).clone())),
                }
            }
            let mut out = out.ok_or_else(|| Error::Internal("reangle: no fill rendered".into()))?;
            if (out.width, out.height, out.channels) != (w, h, 3) {
                return Err(Error::Internal(format!(
                    "reangle: the fill of frame {} is {}x{}x{}, not {w}x{h}x3",
                    src.index, out.width, out.height, out.channels
                )));
            }
            for (i, c) in &a.restore {
                out.data[i * 3..i * 3 + 3].copy_from_slice(c);
            }
            Arc::new(out)
        };
        if let Some(writer) = &self.pass_writer {
            let mask = (0..w * h)
                .map(|i| if a.filled(i) { 1.0 } else { 0.0 })
                .collect();
            let depth = a.depth.iter().map(|d| d.abs()).collect();
            writer(&ReanglePasses {
                mask: Frame::from_data(src.index, w, h, 1, mask)?,
                depth: Frame::from_data(src.index, w, h, 1, depth)?,
            })?;
        }
        // The identity's output is its own picture; with a fill that
        // invents texture, the engine's anchor fills read whole frames.
        if self.once && self.by_parts && !a.identity {
            let bytes = self.release_unread(window);
            self.released.fetch_add(bytes as u64, Ordering::Relaxed);
        }
        // Nothing of the other frames is read after this point.
        a.rendered.store(true, Ordering::Release);
        *a.lookups.lock().unwrap_or_else(|e| e.into_inner()) = None;
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_round_trip_through_a_job_file() {
        let p = ReangleParams {
            yaw: Some(Keyframes::parse("0:0,48:8").unwrap()),
            dolly: Some(Keyframes::constant(0.2)),
            camera_move: Some(NamedMove::TruckLeft),
            amount: 0.5,
            depth_encoding: DepthEncoding::Inverse,
            ..ReangleParams::default()
        };
        let text = toml::to_string(&p).unwrap();
        let back: ReangleParams = toml::from_str(&text).unwrap();
        assert_eq!(p, back, "{text}");
        let partial: ReangleParams =
            toml::from_str("move = \"push-in\"\namount = 2\nyaw = \"0:0,10:5\"").unwrap();
        assert_eq!(partial.camera_move, Some(NamedMove::PushIn));
        assert_eq!(partial.yaw.unwrap().value_at(5), 2.5);
        assert!(toml::from_str::<ReangleParams>("yawn = 3").is_err());
        assert!(toml::from_str::<ReangleParams>("move = \"spin\"").is_err());
    }

    #[test]
    fn bad_values_name_their_parameter() {
        let bad = |p: ReangleParams, name: &str| {
            let e = p.validate().unwrap_err();
            assert!(
                matches!(&e, Error::Parameter { name: n, .. } if n == name),
                "{e}"
            );
        };
        bad(
            ReangleParams {
                fov: 5.0,
                ..Default::default()
            },
            "fov",
        );
        bad(
            ReangleParams {
                fov: 170.0,
                ..Default::default()
            },
            "fov",
        );
        bad(
            ReangleParams {
                zoom: Some(Keyframes::parse("0:1,10:9").unwrap()),
                ..Default::default()
            },
            "zoom",
        );
        bad(
            ReangleParams {
                depth_range: 1.0,
                ..Default::default()
            },
            "depth_range",
        );
        bad(
            ReangleParams {
                window: 99,
                ..Default::default()
            },
            "window",
        );
    }

    #[test]
    fn moves_that_leave_the_frame_empty_are_refused_and_modest_ones_pass() {
        let p = ReangleParams {
            yaw: Some(Keyframes::parse("0:0,20:45").unwrap()),
            ..Default::default()
        };
        let e = p.check_framing(640, 360, Some((0, 40))).unwrap_err();
        let text = e.to_string();
        assert!(
            text.contains("`yaw`") && text.contains("frame 20"),
            "{text}"
        );
        let p = ReangleParams {
            truck: Some(Keyframes::constant(1.5)),
            ..Default::default()
        };
        assert!(p.check_framing(640, 360, None).is_err());
        for m in [
            NamedMove::Orbit,
            NamedMove::PushIn,
            NamedMove::PullOut,
            NamedMove::TruckLeft,
            NamedMove::TruckRight,
        ] {
            let p = ReangleParams {
                camera_move: Some(m),
                ..Default::default()
            };
            assert!(p.check_framing(640, 360, Some((0, 40))).is_ok(), "{m:?}");
        }
        // A large move is allowed with a warning.
        let p = ReangleParams {
            yaw: Some(Keyframes::constant(12.0)),
            ..Default::default()
        };
        assert!(p.check_framing(640, 360, None).unwrap().is_some());
    }

    #[test]
    fn the_max_filter_matches_brute_force() {
        let (w, h) = (23, 17);
        let v: Vec<f32> = (0..w * h).map(|i| ((i * 7919) % 101) as f32).collect();
        let seen: Vec<bool> = (0..w * h).map(|i| i % 5 != 0).collect();
        for r in [0, 1, 3, 8, 30] {
            let fast = max_filter(&v, &seen, w, h, r);
            for y in 0..h {
                for x in 0..w {
                    let mut m = 0.0f32;
                    for yy in y.saturating_sub(r)..=(y + r).min(h - 1) {
                        for xx in x.saturating_sub(r)..=(x + r).min(w - 1) {
                            if seen[yy * w + xx] {
                                m = m.max(v[yy * w + xx]);
                            }
                        }
                    }
                    assert_eq!(fast[y * w + x], m, "r {r} at {x},{y}");
                }
            }
        }
    }

    #[test]
    fn the_hole_band_matches_the_euclidean_distance() {
        use retake_imageops::distance::euclidean_to_outside;
        let (w, h) = (41, 29);
        for density in [3usize, 17, 97, 1000] {
            let seen: Vec<bool> = (0..w * h)
                .map(|i| (i * 7919 + i / 13) % density != 0)
                .collect();
            let exact = euclidean_to_outside(&seen, w, h);
            for r in [0usize, 1, 3, 8, 12] {
                let d2 = hole_distance2(&seen, w, h, r + 1);
                for i in 0..w * h {
                    assert_eq!(
                        near_hole(&seen, &d2, i, r),
                        !seen[i] || exact[i] <= r as f32,
                        "density {density}, r {r}, pixel {i}"
                    );
                }
            }
        }
    }

    #[test]
    fn named_moves_start_at_the_real_camera() {
        let p = ReangleParams {
            camera_move: Some(NamedMove::Orbit),
            ..Default::default()
        };
        assert!(p.pose_at(0, Some((0, 30))).is_identity());
        assert!(!p.pose_at(1, Some((0, 30))).is_identity());
        let p = ReangleParams {
            camera_move: Some(NamedMove::PushIn),
            ..Default::default()
        };
        assert!(p.pose_at(0, Some((0, 30))).is_identity());
        assert!(ReangleParams::default().pose_at(7, None).is_identity());
    }
}
