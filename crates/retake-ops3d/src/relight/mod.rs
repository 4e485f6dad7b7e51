//! Relighting: add, move and colour light in a shot after it was filmed.
//!
//! Geometry comes, best first, from a depth or normal pass the user gives
//! ([`Geometry::from_depth_pass`], [`Geometry::from_normal_pass`], or a
//! depth pass carried as the frames' alpha), or from the built-in estimate
//! (a background plane the user can tilt, the subject's matte inflated into
//! a rounded shape, fine normals from image detail). Geometry is blended
//! with its neighbours' in time so the light does not flicker. Lights are
//! directional or point lights with colour or temperature, intensity,
//! softness and rim, plus ambient light and a grade; presets give studio
//! and time-of-day setups; every number can be keyframed. The light is
//! applied as a ratio to the original in linear light (see [`shading`]), so
//! texture and albedo are kept, optionally limited by the matte.

pub mod detail;
pub mod directional;
pub mod geometry;
pub mod light;
pub mod presets;
pub mod preview;
pub mod shading;

use std::borrow::Cow;
use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};

use rayon::prelude::*;
use retake_model::depth::{self, DepthModel};

use retake_core::error::{Error, Result};
use retake_core::frame::Frame;
use retake_core::pipeline::Operation;
use retake_core::window::{Item, Window};
use retake_imageops::flow::Gray;
use retake_imageops::keyframes::Keyframes;
use retake_ops::mask::SubjectMask;

pub use crate::passes::DepthEncoding;
pub use geometry::{
    built_in_geometry, normals_from_depth, stabilise, EstimateOptions, Geometry, NormalEncoding,
    Stabilisation,
};
pub use light::{kelvin_rgb, Light, LightKind, LightSource, Lighting, Rgb};
pub use presets::Preset;

/// What the frames' alpha channel carries into relighting.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AlphaRole {
    /// The subject's matte (attached from a file or `retake mask`): it
    /// shapes the built-in geometry and `--mask-mode`; the output is RGB.
    #[default]
    Matte,
    /// A depth pass (distance from the camera, larger = farther); the
    /// output is RGB.
    Depth,
    /// The picture's own alpha: not used, carried through to the output.
    Keep,
}

/// Where the new light is allowed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MaskMode {
    /// The whole frame.
    #[default]
    All,
    /// Only the subject (inside the matte).
    Subject,
    /// Only outside the matte (e.g. relight the set, keep the actor).
    Background,
}

/// How stabilisation matches neighbouring frames.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TemporalAlign {
    /// Same pixel, weighted by how alike it looks in both frames.
    #[default]
    Pixel,
    /// Follow the optical flow between the frames first.
    Flow,
}

/// Parameters of relighting, shared by the CLI, job files and the plugin;
/// ids, help, defaults and limits are in [`crate::relight_params::TABLE`].
/// Lighting values left unset come from the preset (or a modest neutral
/// key without one); each can be one number or `frame:value` keys.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RelightParams {
    pub preset: Option<String>,
    pub light: Option<LightKind>,
    pub azimuth: Option<Keyframes>,
    pub elevation: Option<Keyframes>,
    pub light_x: Option<Keyframes>,
    pub light_y: Option<Keyframes>,
    pub light_depth: Option<Keyframes>,
    #[serde(alias = "color")]
    pub colour: Option<Rgb>,
    pub kelvin: Option<Keyframes>,
    pub intensity: Option<Keyframes>,
    pub softness: Option<Keyframes>,
    pub rim: Option<Keyframes>,
    pub ambient: Option<Keyframes>,
    #[serde(alias = "ambient_color")]
    pub ambient_colour: Option<Rgb>,
    pub exposure: Option<Keyframes>,
    pub grade: Option<Rgb>,
    pub fov: f32,
    pub shadows: bool,
    pub shadow_strength: f32,
    pub background_tilt: f32,
    pub detail: f32,
    pub mask_mode: MaskMode,
    pub alpha: AlphaRole,
    pub temporal_radius: usize,
    pub temporal_align: TemporalAlign,
    pub depth_model: String,
    pub depth_range: f32,
}

impl Default for RelightParams {
    fn default() -> Self {
        let t = crate::relight_params::TABLE;
        // Light values left unset come from the preset.
        RelightParams {
            preset: None,
            light: None,
            azimuth: None,
            elevation: None,
            light_x: None,
            light_y: None,
            light_depth: None,
            colour: None,
            kelvin: None,
            intensity: None,
            softness: None,
            rim: None,
            ambient: None,
            ambient_colour: None,
            exposure: None,
            grade: None,
            fov: t.default_f32("fov"),
            shadows: t.default_bool("shadows"),
            shadow_strength: t.default_f32("shadow_strength"),
            background_tilt: t.default_f32("background_tilt"),
            detail: t.default_f32("detail"),
            mask_mode: t.default_of("mask_mode"),
            alpha: t.default_of("alpha"),
            temporal_radius: t.default_int("temporal_radius"),
            temporal_align: t.default_of("temporal_align"),
            depth_model: t.default_of("depth_model"),
            depth_range: t.default_f32("depth_range"),
        }
    }
}

/// Most frames blended on each side.
pub const MAX_TEMPORAL_RADIUS: usize = 8;

impl RelightParams {
    /// The preset named by `preset`, or the defaults.
    pub fn preset(&self) -> Result<&'static Preset> {
        match &self.preset {
            None => Ok(&presets::DEFAULT),
            Some(name) => presets::find(name).ok_or_else(|| {
                Error::parameter(
                    "preset",
                    format!(
                        "unknown preset `{name}`; use one of {}",
                        presets::names().join(", ")
                    ),
                )
            }),
        }
    }

    /// Reject values that cannot work, naming the parameter.
    pub fn validate(&self) -> Result<()> {
        self.preset()?;
        let t = crate::relight_params::TABLE;
        t.check("fov", self.fov as f64)?;
        for (id, keys) in [
            ("azimuth", &self.azimuth),
            ("elevation", &self.elevation),
            ("light_x", &self.light_x),
            ("light_y", &self.light_y),
            ("light_depth", &self.light_depth),
            ("kelvin", &self.kelvin),
            ("intensity", &self.intensity),
            ("softness", &self.softness),
            ("rim", &self.rim),
            ("ambient", &self.ambient),
            ("exposure", &self.exposure),
        ] {
            if let Some(k) = keys {
                t.check_all(id, k.values())?;
            }
        }
        t.check("shadow_strength", self.shadow_strength as f64)?;
        t.check("background_tilt", self.background_tilt as f64)?;
        t.check("detail", self.detail as f64)?;
        t.check("depth_range", self.depth_range as f64)?;
        if self.depth_model.trim().is_empty() {
            return Err(Error::parameter(
                "depth_model",
                "is empty; use auto, builtin, or a depth model's name",
            ));
        }
        if self.colour.is_some() && self.kelvin.is_some() {
            return Err(Error::parameter(
                "colour",
                "give the light's colour as [[colour]] or [[kelvin]], not both",
            ));
        }
        for (name, c) in [
            ("colour", &self.colour),
            ("ambient_colour", &self.ambient_colour),
            ("grade", &self.grade),
        ] {
            if let Some(c) = c {
                Rgb::new(c.0).map_err(|e| Error::parameter(name, e))?;
            }
        }
        t.check("temporal_radius", self.temporal_radius as f64)?;
        if self.mask_mode != MaskMode::All && self.alpha != AlphaRole::Matte {
            return Err(Error::parameter(
                "mask_mode",
                "limiting the light to the subject or the background needs the matte as alpha ([[alpha]] matte)",
            ));
        }
        Ok(())
    }

    /// The concrete lighting of frame `frame`: the preset's values, the
    /// user's values over them, keyframes evaluated.
    pub fn at(&self, frame: i64) -> Result<Lighting> {
        let p = self.preset()?;
        let val =
            |k: &Option<Keyframes>, default: f32| k.as_ref().map_or(default, |k| k.value_at(frame));
        let source = match self.light.unwrap_or(p.light) {
            LightKind::Directional => LightSource::Directional {
                towards: light::direction(
                    val(&self.azimuth, p.azimuth),
                    val(&self.elevation, p.elevation),
                ),
            },
            LightKind::Point => LightSource::Point {
                x: val(&self.light_x, 0.5),
                y: val(&self.light_y, 0.3),
                depth: val(&self.light_depth, 0.5).max(1e-3),
            },
        };
        let colour = match (&self.colour, &self.kelvin) {
            (Some(c), _) => c.0,
            (None, Some(k)) => kelvin_rgb(k.value_at(frame)),
            (None, None) => kelvin_rgb(p.kelvin),
        };
        let key = Light {
            source,
            colour,
            intensity: val(&self.intensity, p.intensity),
            softness: val(&self.softness, p.softness).clamp(0.0, 1.0),
            rim: val(&self.rim, p.rim),
        };
        let amount = val(&self.ambient, p.ambient);
        let ambient_colour = self
            .ambient_colour
            .map_or_else(|| kelvin_rgb(p.ambient_kelvin), |c| c.0);
        let tint = self
            .grade
            .map_or_else(|| kelvin_rgb(p.grade_kelvin), |c| c.0);
        let gain = (val(&self.exposure, p.exposure) as f64).exp2() as f32;
        Ok(Lighting {
            lights: vec![key],
            ambient: ambient_colour.map(|c| c * amount),
            grade: tint.map(|c| c * gain),
            shadows: if self.shadows {
                self.shadow_strength
            } else {
                0.0
            },
        })
    }

    fn estimate_options(&self) -> EstimateOptions {
        EstimateOptions {
            background_tilt_deg: self.background_tilt,
            fov_deg: self.fov,
            detail: self.detail,
            ..EstimateOptions::default()
        }
    }
}

/// Gives a frame's geometry from the user's passes (read by the CLI or the
/// plugin): `Ok(None)` to use the alpha or the built-in estimate for that
/// frame. Errors name the pass's file.
pub type PassProvider = dyn Fn(&Frame) -> Result<Option<Geometry>> + Send + Sync;

/// Per-frame result of the geometry step, kept in the temporal window.
pub struct RelightAnalysis {
    /// Depth and normals: at the frame's size for passes, at a working
    /// resolution for the built-in estimate (its fine detail is added at
    /// render time, from the frame itself). Shared by every frame when it
    /// does not depend on the picture (the built-in estimate without a
    /// matte), so stabilisation knows there is nothing to blend.
    pub geometry: Arc<Geometry>,
    /// What stabilisation compares frames by, at the geometry's size;
    /// not made for the shared built-in shape under pixel-aligned
    /// stabilisation, which has nothing to blend.
    guide: Option<Vec<f32>>,
    /// What the flow to neighbouring frames is measured on (small); made
    /// only for flow-aligned stabilisation.
    align: Option<Gray>,
    /// From the built-in estimate (so image detail is added).
    estimated: bool,
    /// The subject's matte at the frame's size (from alpha or the subject
    /// model), when there is one.
    matte: Option<Vec<f32>>,
}

/// The passes compositors ask for.
pub struct RelightPasses {
    /// Camera-space normals, RGB in -1..1.
    pub normals: Frame,
    /// Distance from the camera, one channel.
    pub depth: Frame,
    /// The factor the picture was multiplied by, RGB.
    pub shading: Frame,
}

impl RelightAnalysis {
    /// The stabilisation guide of `item`'s frame: the one made by the
    /// analysis, or made now when the analysis skipped it (a frame of the
    /// shared shape next to one with its own geometry). Made here rather
    /// than cached: a lazily filled cell shared by render threads that
    /// run rayon inside could deadlock.
    fn guide(item: &Item<RelightAnalysis>) -> Cow<'_, [f32]> {
        let a = &item.analysis;
        match &a.guide {
            Some(g) => Cow::Borrowed(g),
            None => Cow::Owned(geometry::stabilisation_guide(
                &item.frame,
                a.geometry.width,
                a.geometry.height,
            )),
        }
    }

    /// The picture `item`'s flow to its neighbours is measured on.
    fn align(item: &Item<RelightAnalysis>) -> Cow<'_, Gray> {
        match &item.analysis.align {
            Some(g) => Cow::Borrowed(g),
            None => Cow::Owned(geometry::alignment_guide(&item.frame)),
        }
    }
}

/// The relighting operation.
pub struct Relight {
    params: RelightParams,
    passes: Option<Box<PassProvider>>,
    subject: Option<SubjectMask>,
    depth_model: Option<DepthModel>,
    pass_writer: Option<Box<PassWriter>>,
    /// The built-in shape without a matte depends only on the frame's
    /// size and the parameters: made once and shared by every frame.
    plain_shape: Mutex<Option<Arc<Geometry>>>,
    /// That shape enlarged to the frame's size (with the shape it was
    /// made from), so frames do not enlarge it again.
    plain_shape_full: Mutex<Option<(Arc<Geometry>, Arc<Geometry>)>>,
}

/// Receives each rendered frame's passes (from any render thread, in any
/// order), e.g. to write them as EXR channels beside the output.
pub type PassWriter = dyn Fn(&RelightPasses) -> Result<()> + Send + Sync;

impl Relight {
    pub fn new(params: RelightParams) -> Result<Self> {
        params.validate()?;
        Ok(Relight {
            params,
            passes: None,
            subject: None,
            depth_model: None,
            pass_writer: None,
            plain_shape: Mutex::new(None),
            plain_shape_full: Mutex::new(None),
        })
    }

    /// Hand every rendered frame's passes to `writer` as well.
    pub fn with_pass_writer(mut self, writer: Box<PassWriter>) -> Self {
        self.pass_writer = Some(writer);
        self
    }

    /// Find the subject with this segmentation model when the frames carry
    /// no matte (`--mask auto`).
    pub fn with_subject(mut self, subject: SubjectMask) -> Self {
        self.subject = Some(subject);
        self
    }

    /// Take geometry from this depth model's relative depth (scaled by
    /// `depth_range`) where no pass gives it, instead of the built-in
    /// estimate.
    pub fn with_depth_model(mut self, model: DepthModel) -> Self {
        self.depth_model = Some(model);
        self
    }

    /// Take geometry from the user's passes where `provider` has them.
    pub fn with_passes(mut self, provider: Box<PassProvider>) -> Self {
        self.passes = Some(provider);
        self
    }

    pub fn params(&self) -> &RelightParams {
        &self.params
    }

    /// The matte carried as alpha, when the alpha is one; else the subject
    /// model's mask, when there is a model.
    fn matte(&self, frame: &Frame) -> Result<Option<Vec<f32>>> {
        if self.params.alpha == AlphaRole::Matte && frame.channels == 4 {
            return Ok(Some(
                frame
                    .data
                    .chunks_exact(4)
                    .map(|p| p[3].clamp(0.0, 1.0))
                    .collect(),
            ));
        }
        let Some(subject) = &self.subject else {
            return Ok(None);
        };
        let mut mask = subject.still(frame)?;
        Ok(Some(std::mem::take(&mut mask.data)))
    }

    /// Geometry of one frame before stabilisation, best source first: the
    /// user's passes (normals, depth in alpha, or both), the depth model,
    /// the built-in estimate.
    pub fn frame_geometry(&self, frame: &Frame) -> Result<RelightAnalysis> {
        let (w, h) = (frame.width, frame.height);
        if w == 0 || h == 0 {
            return Err(Error::Internal(format!("frame {} is empty", frame.index)));
        }
        if frame.channels < 3 {
            return Err(Error::Internal(format!(
                "frame {} has {} channel(s); relighting needs RGB",
                frame.index, frame.channels
            )));
        }
        let given = match &self.passes {
            Some(p) => p(frame)?,
            None => None,
        };
        let matte = self.matte(frame)?;
        let depth_pass = if self.params.alpha == AlphaRole::Depth {
            Some(self.depth_from_alpha(frame)?)
        } else {
            None
        };
        let (geometry, estimated) = match (given, depth_pass) {
            (Some(mut g), depth_pass) => {
                if (g.width, g.height) != (w, h)
                    || g.depth.len() != w * h
                    || g.normals.len() != w * h
                {
                    return Err(Error::Internal(format!(
                        "pass geometry is {}x{} for the {w}x{h} frame {}",
                        g.width, g.height, frame.index
                    )));
                }
                // A normal pass and a depth pass together: normals from
                // the one, distance (for shadows and point lights) from
                // the other.
                if let Some(d) = depth_pass {
                    g.depth = d.depth;
                }
                (Arc::new(g), false)
            }
            (None, Some(d)) => (Arc::new(d), false),
            (None, None) => match &self.depth_model {
                Some(model) => {
                    let disparity = model.disparity(frame)?;
                    let z = depth::depth_from_relative_inverse(
                        &disparity.data,
                        self.params.depth_range,
                    );
                    let g =
                        Geometry::from_depth(z, disparity.width, disparity.height, self.params.fov);
                    (Arc::new(g), true)
                }
                None => (self.estimated_shape(frame, matte.as_deref())?, true),
            },
        };
        let flow = self.params.temporal_align == TemporalAlign::Flow;
        // Only the cached built-in shape has another owner (the cache).
        let shared = Arc::strong_count(&geometry) > 1;
        let guide = (flow || !shared)
            .then(|| geometry::stabilisation_guide(frame, geometry.width, geometry.height));
        let align = flow.then(|| geometry::alignment_guide(frame));
        Ok(RelightAnalysis {
            geometry,
            guide,
            align,
            estimated,
            matte,
        })
    }

    /// The built-in estimate's smooth shape; without a matte it is the
    /// same for every frame of a size, so it is made once.
    fn estimated_shape(&self, frame: &Frame, matte: Option<&[f32]>) -> Result<Arc<Geometry>> {
        let opts = self.params.estimate_options();
        if matte.is_some() {
            return Ok(Arc::new(geometry::estimate_shape(frame, matte, &opts)?));
        }
        let size = geometry::working_size(frame.width, frame.height, &opts);
        let cached = || {
            let cache = self.plain_shape.lock().unwrap_or_else(|e| e.into_inner());
            cache
                .as_ref()
                .filter(|g| (g.width, g.height) == size)
                .cloned()
        };
        if let Some(g) = cached() {
            return Ok(g);
        }
        // Made without holding the lock (the estimate runs rayon inside);
        // the first one kept is the one every frame shares.
        let made = Arc::new(geometry::estimate_shape(frame, None, &opts)?);
        let mut cache = self.plain_shape.lock().unwrap_or_else(|e| e.into_inner());
        match cache.as_ref().filter(|g| (g.width, g.height) == size) {
            Some(g) => Ok(g.clone()),
            None => {
                *cache = Some(made.clone());
                Ok(made)
            }
        }
    }

    /// The depth pass carried as the frame's alpha.
    fn depth_from_alpha(&self, frame: &Frame) -> Result<Geometry> {
        let (w, h) = (frame.width, frame.height);
        if frame.channels != 4 {
            return Err(Error::parameter(
                "alpha",
                format!(
                    "frame {} has no alpha channel to read the depth pass from; attach the depth as alpha or use [[alpha]] matte",
                    frame.index
                ),
            ));
        }
        let alpha = Frame::from_data(
            frame.index,
            w,
            h,
            1,
            frame.data.chunks_exact(4).map(|p| p[3]).collect(),
        )?;
        Geometry::from_depth_pass(
            format!("depth pass (alpha of frame {})", frame.index),
            &alpha,
            w,
            h,
            self.params.fov,
            DepthEncoding::Distance,
        )
    }

    /// The centre frame's geometry at its own size: blended with its
    /// neighbours', and with image detail added to the built-in estimate.
    pub fn geometry(&self, window: &Window<RelightAnalysis>) -> Result<Geometry> {
        let frame = &window.centre().frame;
        let mut g = Arc::unwrap_or_clone(self.base_geometry(window));
        geometry::add_detail(&mut g, frame, self.detail(window))?;
        Ok(g)
    }

    /// Weight of the image detail [`Relight::geometry`] adds to the
    /// centre frame's normals: only the built-in estimate gets it.
    fn detail(&self, window: &Window<RelightAnalysis>) -> f32 {
        if window.centre().analysis.estimated {
            self.params.detail
        } else {
            0.0
        }
    }

    /// [`Relight::geometry`] before image detail: the stable geometry at
    /// the frame's size. The shared built-in shape is enlarged once and
    /// kept (the same for every frame), a pass of the frame's size is
    /// shared as it is; anything else is enlarged here.
    fn base_geometry(&self, window: &Window<RelightAnalysis>) -> Arc<Geometry> {
        let centre = window.centre();
        let (w, h) = (centre.frame.width, centre.frame.height);
        let own = &centre.analysis.geometry;
        if let Cow::Owned(g) = self.stable_geometry(window) {
            // Blended with its neighbours: this frame's own.
            return Arc::new(if (g.width, g.height) == (w, h) {
                g
            } else {
                g.resized(w, h)
            });
        }
        if (own.width, own.height) == (w, h) {
            return own.clone();
        }
        let plain = {
            let cache = self.plain_shape.lock().unwrap_or_else(|e| e.into_inner());
            cache.as_ref().is_some_and(|p| Arc::ptr_eq(p, own))
        };
        if !plain {
            return Arc::new(own.resized(w, h));
        }
        let cached = || {
            let cache = self
                .plain_shape_full
                .lock()
                .unwrap_or_else(|e| e.into_inner());
            cache
                .as_ref()
                .filter(|(coarse, full)| {
                    Arc::ptr_eq(coarse, own) && (full.width, full.height) == (w, h)
                })
                .map(|(_, full)| full.clone())
        };
        if let Some(full) = cached() {
            return full;
        }
        // Enlarged without holding the lock (resizing runs rayon inside);
        // every copy is the same, the last one made is kept.
        let full = Arc::new(own.resized(w, h));
        let mut cache = self
            .plain_shape_full
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        *cache = Some((own.clone(), full.clone()));
        full
    }

    /// The centre frame's geometry blended with its neighbours', at the
    /// size it was analysed at.
    fn stable_geometry<'w>(&self, window: &'w Window<RelightAnalysis>) -> Cow<'w, Geometry> {
        let centre = window.centre();
        let a = &centre.analysis;
        let radius = self.params.temporal_radius as isize;
        let near = || {
            window
                .iter()
                .filter(move |(dt, _)| *dt != 0 && dt.abs() <= radius)
        };
        let pixel = self.params.temporal_align == TemporalAlign::Pixel;
        // Neighbours with this frame's very geometry (the built-in shape
        // without a matte, shared) would blend it with itself: nothing to
        // do. Compared by value too, so the outcome does not depend on
        // which analyses were made by which operation (the plugin keeps
        // analyses across rebuilt operations).
        let same = |g: &Arc<Geometry>| Arc::ptr_eq(g, &a.geometry) || **g == *a.geometry;
        if pixel && near().all(|(_, it)| same(&it.analysis.geometry)) {
            return Cow::Borrowed(&*a.geometry);
        }
        // Flow-aligned: each neighbour's geometry moved onto this frame's
        // pixels first (in parallel: one flow per neighbour).
        let aligned: Vec<(isize, Geometry, Vec<f32>)> = if pixel {
            Vec::new()
        } else {
            let items: Vec<(isize, &Item<RelightAnalysis>)> = near().collect();
            let centre_align = RelightAnalysis::align(centre);
            items
                .par_iter()
                .map(|(dt, it)| {
                    let flow = geometry::alignment_flow(&centre_align, &RelightAnalysis::align(it));
                    let guide = RelightAnalysis::guide(it);
                    let (g, guide) = geometry::align(&it.analysis.geometry, &guide, &flow);
                    (*dt, g, guide)
                })
                .collect()
        };
        let guides: Vec<Cow<'_, [f32]>> = if aligned.is_empty() {
            near().map(|(_, it)| RelightAnalysis::guide(it)).collect()
        } else {
            Vec::new()
        };
        let neighbours: Vec<(isize, &Geometry, &[f32])> = if aligned.is_empty() {
            near()
                .zip(&guides)
                .map(|((dt, it), guide)| (dt, &*it.analysis.geometry, &**guide))
                .collect()
        } else {
            aligned
                .iter()
                .map(|(dt, g, guide)| (*dt, g, guide.as_slice()))
                .collect()
        };
        let opts = Stabilisation {
            radius: self.params.temporal_radius,
            ..Stabilisation::default()
        };
        Cow::Owned(stabilise(
            &a.geometry,
            &RelightAnalysis::guide(centre),
            &neighbours,
            &opts,
        ))
    }

    /// Where the light is allowed (0..1 per pixel), or everywhere.
    fn limit(&self, item: &Item<RelightAnalysis>) -> Result<Option<Vec<f32>>> {
        let mode = self.params.mask_mode;
        if mode == MaskMode::All {
            return Ok(None);
        }
        let frame = &item.frame;
        let m = item.analysis.matte.clone().ok_or_else(|| {
            Error::parameter(
                "mask_mode",
                format!(
                    "frame {} has no matte (alpha channel) to limit the light with; attach one or use [[mask_mode]] all",
                    frame.index
                ),
            )
        })?;
        Ok(Some(match mode {
            MaskMode::Background => m.into_iter().map(|v| 1.0 - v).collect(),
            _ => m,
        }))
    }

    /// The shading factor of the centre frame and the geometry it came from.
    fn shade(
        &self,
        window: &Window<RelightAnalysis>,
        lighting: &Lighting,
    ) -> Result<(Geometry, Vec<[f32; 3]>)> {
        let g = self.geometry(window)?;
        let factor = shading::shading(&g, lighting, self.params.fov);
        Ok((g, factor))
    }

    /// The relit centre frame.
    pub fn relight(&self, window: &Window<RelightAnalysis>) -> Result<Frame> {
        let lighting = self.params.at(window.centre().frame.index)?;
        self.relight_with(window, &lighting)
    }

    /// The centre frame relit by `preset` instead of the lights set (the
    /// same geometry), for previews. Lighting values the user set
    /// explicitly still override the preset's.
    pub fn relight_preset(&self, window: &Window<RelightAnalysis>, preset: &str) -> Result<Frame> {
        let params = RelightParams {
            preset: Some(preset.to_string()),
            ..self.params.clone()
        };
        params.validate()?;
        let lighting = params.at(window.centre().frame.index)?;
        self.relight_with(window, &lighting)
    }

    fn relight_with(&self, window: &Window<RelightAnalysis>, lighting: &Lighting) -> Result<Frame> {
        let frame = &window.centre().frame;
        let keep_alpha = self.params.alpha == AlphaRole::Keep;
        let limit = self.limit(window.centre())?;
        if lighting.is_identity() {
            return shading::apply_uniform(frame, None, keep_alpha);
        }
        shading::relit_with_detail(
            frame,
            &self.base_geometry(window),
            self.detail(window),
            lighting,
            self.params.fov,
            limit.as_deref(),
            keep_alpha,
        )
    }

    /// The passes of the centre frame for compositing: normals, depth and
    /// the shading factor (already limited by the mask mode).
    pub fn passes(&self, window: &Window<RelightAnalysis>) -> Result<RelightPasses> {
        let frame = &window.centre().frame;
        let lighting = self.params.at(frame.index)?;
        let (g, mut factor) = self.shade(window, &lighting)?;
        if let Some(m) = self.limit(window.centre())? {
            for (f, m) in factor.iter_mut().zip(m) {
                for c in f.iter_mut() {
                    *c = 1.0 + m * (*c - 1.0);
                }
            }
        }
        let shading = Frame::from_data(
            frame.index,
            frame.width,
            frame.height,
            3,
            factor.into_iter().flatten().collect(),
        )?;
        Ok(RelightPasses {
            normals: g.normals_frame(frame.index),
            depth: g.depth_frame(frame.index),
            shading,
        })
    }
}

impl Operation for Relight {
    type Analysis = RelightAnalysis;

    fn radius(&self) -> usize {
        self.params.temporal_radius
    }

    fn analyse(&self, frame: &Frame) -> Result<RelightAnalysis> {
        self.frame_geometry(frame)
    }

    fn render(&self, window: &Window<RelightAnalysis>) -> Result<Arc<Frame>> {
        let Some(writer) = &self.pass_writer else {
            return Ok(Arc::new(self.relight(window)?));
        };
        // One shading serves both the passes and the picture (the passes'
        // shading is already limited by the mask mode).
        let passes = self.passes(window)?;
        writer(&passes)?;
        let factor: Vec<[f32; 3]> = passes
            .shading
            .data
            .chunks_exact(3)
            .map(|p| [p[0], p[1], p[2]])
            .collect();
        let keep_alpha = self.params.alpha == AlphaRole::Keep;
        Ok(Arc::new(shading::apply(
            &window.centre().frame,
            &factor,
            None,
            keep_alpha,
        )?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_round_trip_through_a_job_file() {
        let p = RelightParams {
            preset: Some("golden-hour".into()),
            azimuth: Some(Keyframes::parse("0:30,100:60").unwrap()),
            intensity: Some(Keyframes::constant(0.7)),
            colour: Some(Rgb([1.0, 0.9, 0.8])),
            shadows: true,
            ..RelightParams::default()
        };
        let text = toml::to_string(&p).unwrap();
        let back: RelightParams = toml::from_str(&text).unwrap();
        assert_eq!(p, back, "{text}");
        let partial: RelightParams =
            toml::from_str("azimuth = 30\nelevation = \"0:10,24:40\"\ncolor = [1, 0.5, 0.25]")
                .unwrap();
        assert_eq!(partial.azimuth.unwrap().value_at(5), 30.0);
        assert_eq!(partial.elevation.unwrap().value_at(12), 25.0);
        assert_eq!(partial.colour, Some(Rgb([1.0, 0.5, 0.25])));
        assert!(toml::from_str::<RelightParams>("azimut = 3").is_err());
        assert!(toml::from_str::<RelightParams>("azimuth = \"0:x\"").is_err());
    }

    #[test]
    fn colour_and_kelvin_together_are_refused() {
        let p = RelightParams {
            colour: Some(Rgb([1.0; 3])),
            kelvin: Some(Keyframes::constant(3200.0)),
            ..RelightParams::default()
        };
        assert!(p.validate().unwrap_err().to_string().contains("colour"));
    }
}
