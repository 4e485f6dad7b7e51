//! Subject masks: a salient-object model's map, made stable in time and
//! snapped to the frame's edges. Used by `retake mask` and as the automatic
//! mask of remove and relight.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use retake_core::colour::{EncodeTable, Transfer};
use retake_core::error::{Error, Result};
use retake_core::frame::Frame;
use retake_core::pipeline::Operation;
use retake_core::window::Window;
use retake_imageops::filter::{box_mean_interleaved, guided_upsample_map, resize, smoothstep};
use retake_imageops::luma::luma;
use retake_imageops::plane::Plane;
use retake_model::image::{fixed_input_size, output_map, ModelImage};
use retake_model::{Model, Role};

/// What `retake mask` writes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MaskOutput {
    /// The mask alone, one channel (1 = subject).
    #[default]
    Mask,
    /// The source with the mask as its alpha channel (for ProRes 4444, EXR).
    Alpha,
    /// The source with the background dimmed: a preview to watch.
    Overlay,
}

/// Parameters of the subject-mask operation, shared by the CLI, job files
/// and the plugin; ids, help, defaults and limits are in
/// [`crate::mask_params::TABLE`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MaskParams {
    pub model: String,
    pub threshold: f32,
    pub softness: f32,
    pub temporal_radius: usize,
    pub temporal_sigma: f32,
    pub motion_sigma: f32,
    pub edge_radius: usize,
    pub edge_epsilon: f32,
    pub invert: bool,
    pub mode: MaskOutput,
}

impl Default for MaskParams {
    fn default() -> Self {
        let t = crate::mask_params::TABLE;
        MaskParams {
            model: t.default_of("model"),
            threshold: t.default_f32("threshold"),
            softness: t.default_f32("softness"),
            temporal_radius: t.default_int("temporal_radius"),
            temporal_sigma: t.default_f32("temporal_sigma"),
            motion_sigma: t.default_f32("motion_sigma"),
            edge_radius: t.default_int("edge_radius"),
            edge_epsilon: t.default_f32("edge_epsilon"),
            invert: t.default_bool("invert"),
            mode: t.default_of("mode"),
        }
    }
}

impl MaskParams {
    /// Reject values that cannot work, naming the parameter.
    pub fn validate(&self) -> Result<()> {
        let t = crate::mask_params::TABLE;
        t.check("threshold", self.threshold as f64)?;
        t.check("softness", self.softness as f64)?;
        t.check("temporal_radius", self.temporal_radius as f64)?;
        t.check("temporal_sigma", self.temporal_sigma as f64)?;
        t.check("motion_sigma", self.motion_sigma as f64)?;
        t.check("edge_radius", self.edge_radius as f64)?;
        t.check("edge_epsilon", self.edge_epsilon as f64)?;
        Ok(())
    }
}

/// Per-frame result of the model, kept in the temporal window.
pub struct MaskAnalysis {
    /// Model-resolution saliency, 0..1.
    saliency: Vec<f32>,
    /// Model-resolution picture, lightly blurred, for comparing frames.
    thumb: Vec<f32>,
    /// The frame's edge guide (see [`SubjectMask::guide`]) when the output
    /// is the mask alone: then the window keeps this one full-size plane
    /// per frame instead of the decoded RGB frame, three times its size
    /// (`retake mask` 1080p: the frames in flight were most of its peak
    /// RSS, and their first-touch page faults a tenth of its CPU time).
    guide: Option<Vec<f32>>,
}

/// The subject-mask operation.
pub struct SubjectMask {
    params: MaskParams,
    model: Model,
    width: usize,
    height: usize,
    /// Linear to display-referred values, for the edge guide.
    display: EncodeTable,
}

/// Long side of the resolution at which edges are fitted.
const WORK_SIDE: usize = 960;

impl SubjectMask {
    pub fn new(params: MaskParams, model: Model) -> Result<Self> {
        params.validate()?;
        let m = &model.manifest;
        let ctx = m.manifest_path.display().to_string();
        if m.role != Role::Mask {
            return Err(Error::model(
                ctx,
                format!("role is `{}`, not `mask`", m.role),
            ));
        }
        if m.inputs.len() != 1 {
            return Err(Error::model(
                ctx,
                "a mask model takes exactly one image input",
            ));
        }
        let (width, height) = fixed_input_size(&m.inputs[0], m.size.fixed).ok_or_else(|| {
            Error::model(
                &ctx,
                "the input size is dynamic; give it with [size] fixed = [W, H]",
            )
        })?;
        Ok(SubjectMask {
            params,
            model,
            width,
            height,
            display: EncodeTable::new(Transfer::Srgb),
        })
    }

    pub fn params(&self) -> &MaskParams {
        &self.params
    }

    /// Saliency of one frame at model resolution (no temporal smoothing).
    pub fn saliency(&self, frame: &Frame) -> Result<MaskAnalysis> {
        let m = &self.model.manifest;
        let img = ModelImage::from_frame(
            frame,
            &m.inputs[0],
            self.width,
            self.height,
            self.model.colour.as_deref(),
        )?;
        let input = img.to_tensor(&m.inputs[0])?;
        let out = self.model.run(vec![input])?;
        let (w, h, map) = output_map(&out[0], &m.outputs[0])?;
        let saliency = if (w, h) == (self.width, self.height) {
            map
        } else {
            resize(Plane::new(&map, w, h, 1), self.width, self.height)
        };
        // A 3x3 box blur keeps sensor noise from reading as motion.
        let thumb = box_mean_interleaved(Plane::new(&img.rgb, self.width, self.height, 3), 1);
        Ok(MaskAnalysis {
            saliency: saliency.into_iter().map(|v| v.clamp(0.0, 1.0)).collect(),
            thumb,
            guide: None,
        })
    }

    /// Whether rendering needs the decoded frame's pixels (the alpha and
    /// overlay outputs), or only the edge guide kept in the analysis.
    fn needs_source(&self) -> bool {
        self.params.mode != MaskOutput::Mask
    }

    fn temporal(&self, window: &Window<MaskAnalysis>) -> Vec<f32> {
        let neighbours: Vec<(isize, &MaskAnalysis)> = window
            .iter()
            .filter(|(dt, _)| *dt != 0)
            .map(|(dt, item)| (dt, &item.analysis))
            .collect();
        temporal_blend(&window.centre().analysis, &neighbours, &self.params)
    }

    /// Full-resolution mask (1 = subject) for the centre of the window.
    pub fn mask(&self, window: &Window<MaskAnalysis>) -> Result<Frame> {
        let centre = window.centre();
        let smooth = self.temporal(window);
        match &centre.analysis.guide {
            Some(guide) => Ok(self.snap(&centre.frame, guide, &smooth)),
            // The pipeline keeps the pixels whenever no guide was kept.
            None if centre.frame.data.is_empty() => Err(Error::Internal(
                "mask: frame pixels dropped before the edge guide was made".into(),
            )),
            None => Ok(self.snap(&centre.frame, &self.guide(&centre.frame), &smooth)),
        }
    }

    /// The mask of one frame on its own (no temporal blending), for
    /// operations that find their subject frame by frame (remove, relight).
    pub fn still(&self, frame: &Frame) -> Result<Frame> {
        let analysis = self.saliency(frame)?;
        Ok(self.snap(
            frame,
            &self.guide(frame),
            &temporal_blend(&analysis, &[], &self.params),
        ))
    }

    /// The edge guide: the frame's display-referred luminance, where edges
    /// look as a person sees them (one pass, no full-size luminance kept).
    fn guide(&self, frame: &Frame) -> Vec<f32> {
        let display = |l: f32| self.display.encode(l).clamp(0.0, 1.0);
        match frame.channels {
            1 => frame.data.iter().map(|&l| display(l)).collect(),
            c => frame
                .data
                .chunks_exact(c)
                .map(|p| display(luma(p)))
                .collect(),
        }
    }

    /// Model-resolution saliency -> full-resolution mask following the
    /// edges of `guide` (the frame's, of `frame`'s size), thresholded.
    /// Only `frame`'s number and size are read.
    fn snap(&self, frame: &Frame, guide: &[f32], smooth: &[f32]) -> Frame {
        let (w, h) = (frame.width, frame.height);
        let scale = (WORK_SIDE as f32 / w.max(h) as f32).min(1.0);
        let ww = ((w as f32 * scale).round() as usize).max(1);
        let wh = ((h as f32 * scale).round() as usize).max(1);
        let p = resize(Plane::new(smooth, self.width, self.height, 1), ww, wh);
        let half = self.params.softness / 2.0;
        let (lo, hi) = (self.params.threshold - half, self.params.threshold + half);
        let invert = self.params.invert;
        let data = guided_upsample_map(
            Plane::new(guide, w, h, 1),
            Plane::new(&p, ww, wh, 1),
            self.params.edge_radius.max(1),
            self.params.edge_epsilon,
            |v| {
                let m = smoothstep(lo, hi, v);
                if invert {
                    1.0 - m
                } else {
                    m
                }
            },
        );
        Frame {
            index: frame.index,
            width: w,
            height: h,
            channels: 1,
            data,
        }
    }
}

/// Blend saliency maps of neighbouring frames into the centre's, each pixel
/// weighted by time distance and by how similar that pixel looks in the
/// neighbour: static areas are averaged (no chatter), areas that changed keep
/// the centre's own value (no ghosts of a moving subject).
fn temporal_blend(
    centre: &MaskAnalysis,
    neighbours: &[(isize, &MaskAnalysis)],
    params: &MaskParams,
) -> Vec<f32> {
    if params.temporal_radius == 0 || neighbours.is_empty() {
        return centre.saliency.clone();
    }
    let inv_t = 1.0 / (2.0 * params.temporal_sigma.powi(2));
    let inv_m = 1.0 / (2.0 * params.motion_sigma.powi(2));
    let n = centre.saliency.len();
    let mut num = centre.saliency.clone();
    let mut den = vec![1.0f32; n];
    for &(dt, a) in neighbours {
        if dt == 0 || dt.unsigned_abs() > params.temporal_radius {
            continue;
        }
        let wt = (-(dt * dt) as f32 * inv_t).exp();
        for k in 0..n {
            let d: f32 = (0..3)
                .map(|ch| (a.thumb[k * 3 + ch] - centre.thumb[k * 3 + ch]).powi(2))
                .sum();
            let w = wt * (-d * inv_m).exp();
            num[k] += w * a.saliency[k];
            den[k] += w;
        }
    }
    num.iter().zip(&den).map(|(a, b)| a / b).collect()
}

impl Operation for SubjectMask {
    type Analysis = MaskAnalysis;

    fn radius(&self) -> usize {
        self.params.temporal_radius
    }

    fn analyse(&self, frame: &Frame) -> Result<MaskAnalysis> {
        let mut analysis = self.saliency(frame)?;
        if !self.needs_source() {
            analysis.guide = Some(self.guide(frame));
        }
        Ok(analysis)
    }

    fn render(&self, window: &Window<MaskAnalysis>) -> Result<Arc<Frame>> {
        let mask = self.mask(window)?;
        let src = &window.centre().frame;
        Ok(Arc::new(match self.params.mode {
            MaskOutput::Mask => mask,
            MaskOutput::Alpha => {
                let mut out = src.with_channels(4);
                for (p, m) in out.data.chunks_exact_mut(4).zip(&mask.data) {
                    p[3] = *m;
                }
                out
            }
            MaskOutput::Overlay => overlay(src, &mask),
        }))
    }

    fn renders_from_source(&self) -> bool {
        self.needs_source()
    }
}

/// The subject at full strength over a dimmed, desaturated background.
pub fn overlay(src: &Frame, mask: &Frame) -> Frame {
    let mut out = src.with_channels(3);
    for (p, &m) in out.data.chunks_exact_mut(3).zip(&mask.data) {
        let grey = luma(p);
        for v in p.iter_mut() {
            let bg = 0.15 * grey + 0.05 * *v;
            *v = m * *v + (1.0 - m) * bg;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn analysis(saliency: Vec<f32>, grey: Vec<f32>) -> MaskAnalysis {
        MaskAnalysis {
            saliency,
            thumb: grey.iter().flat_map(|&g| [g, g, g]).collect(),
            guide: None,
        }
    }

    #[test]
    fn static_pixels_are_averaged_and_changed_pixels_are_not() {
        let params = MaskParams::default();
        // Pixel 0: the picture is the same in all frames, the model's answer
        // chatters (0.8 in the centre, 0.2 around it).
        // Pixel 1: the picture changed (a subject moved in), so the
        // neighbours' low saliency must not leak into the centre.
        let centre = analysis(vec![0.8, 0.9], vec![0.5, 0.9]);
        let before = analysis(vec![0.2, 0.1], vec![0.5, 0.1]);
        let after = analysis(vec![0.2, 0.1], vec![0.5, 0.1]);
        let out = temporal_blend(&centre, &[(-1, &before), (1, &after)], &params);
        assert!(out[0] < 0.5, "static chatter kept: {}", out[0]);
        assert!(
            (out[1] - 0.9).abs() < 0.01,
            "moving subject ghosted: {}",
            out[1]
        );
    }

    #[test]
    fn radius_zero_is_the_frame_itself() {
        let params = MaskParams {
            temporal_radius: 0,
            ..MaskParams::default()
        };
        let centre = analysis(vec![0.8], vec![0.5]);
        let other = analysis(vec![0.0], vec![0.5]);
        assert_eq!(temporal_blend(&centre, &[(1, &other)], &params), vec![0.8]);
    }

    #[test]
    fn bad_parameters_are_named() {
        for (p, name) in [
            (
                MaskParams {
                    threshold: 1.5,
                    ..Default::default()
                },
                "threshold",
            ),
            (
                MaskParams {
                    temporal_sigma: 0.0,
                    ..Default::default()
                },
                "temporal_sigma",
            ),
            (
                MaskParams {
                    edge_epsilon: f32::NAN,
                    ..Default::default()
                },
                "edge_epsilon",
            ),
            (
                MaskParams {
                    temporal_radius: 40,
                    ..Default::default()
                },
                "temporal_radius",
            ),
        ] {
            let err = p.validate().unwrap_err().to_string();
            assert!(err.contains(name), "{err}");
        }
    }

    #[test]
    fn parameters_round_trip_through_a_job_file() {
        let p = MaskParams {
            threshold: 0.4,
            mode: MaskOutput::Overlay,
            ..Default::default()
        };
        let text = toml::to_string(&p).unwrap();
        let back: MaskParams = toml::from_str(&text).unwrap();
        assert_eq!(p, back);
        let partial: MaskParams = toml::from_str("softness = 0.0").unwrap();
        assert_eq!(partial.threshold, 0.5);
        assert!(toml::from_str::<MaskParams>("treshold = 0.3").is_err());
    }
}
