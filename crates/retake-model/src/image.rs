//! Turning frames into image tensors the way a manifest describes, and
//! model outputs back into maps. Shared by every operation that runs a model.

use super::colour::ModelColour;
use super::manifest::{DType, Layout, PixelEncoding, TensorSpec};
use super::runtime::{Tensor, TensorData};
use retake_core::colour::{EncodeTable, Transfer};
use retake_core::error::{Error, Result};
use retake_core::frame::Frame;
use retake_imageops::filter::resize;
use retake_imageops::plane::Plane;

/// A frame resized to the model's size and encoded as the model expects,
/// before normalisation: kept so operations can reuse it (e.g. to compare
/// neighbouring frames cheaply).
pub struct ModelImage {
    pub width: usize,
    pub height: usize,
    /// Interleaved RGB in the model's encoding, 0..1.
    pub rgb: Vec<f32>,
}

impl ModelImage {
    /// Resize in linear light (cheap: the result is small), then encode:
    /// through `colour` when a colour config is in use, else with the
    /// built-in sRGB curve (frames taken as linear Rec.709).
    pub fn from_frame(
        frame: &Frame,
        spec: &TensorSpec,
        width: usize,
        height: usize,
        colour: Option<&dyn ModelColour>,
    ) -> Result<Self> {
        let rgb_frame;
        let src = if frame.channels == 3 {
            frame
        } else {
            rgb_frame = frame.with_channels(3);
            &rgb_frame
        };
        let mut rgb = resize(
            Plane::new(&src.data, src.width, src.height, 3),
            width,
            height,
        );
        match (colour, spec.encoding) {
            (Some(c), encoding) => {
                c.encode_for_model(encoding, &mut rgb)?;
                if encoding == PixelEncoding::Srgb {
                    rgb.iter_mut().for_each(|v| *v = v.clamp(0.0, 1.0));
                }
            }
            (None, PixelEncoding::Srgb) => {
                let table = EncodeTable::new(Transfer::Srgb);
                rgb.iter_mut()
                    .for_each(|v| *v = table.encode(*v).clamp(0.0, 1.0));
            }
            (None, PixelEncoding::Linear) => {}
        }
        Ok(ModelImage { width, height, rgb })
    }

    /// The input tensor: scaled to the spec's range, normalised by its
    /// mean/std, in its layout and dtype.
    pub fn to_tensor(&self, spec: &TensorSpec) -> Result<Tensor> {
        let [lo, hi] = spec.range;
        let n = self.width * self.height;
        let value = |p: usize, c: usize| {
            let v = lo + self.rgb[p * 3 + c] * (hi - lo);
            match (spec.mean.get(c), spec.std.get(c)) {
                (Some(m), Some(s)) => (v - m) / s,
                _ => v,
            }
        };
        let mut data = vec![0.0f32; n * 3];
        match spec.layout {
            Layout::Nchw => {
                for c in 0..3 {
                    for p in 0..n {
                        data[c * n + p] = value(p, c);
                    }
                }
            }
            Layout::Nhwc => {
                for p in 0..n {
                    for c in 0..3 {
                        data[p * 3 + c] = value(p, c);
                    }
                }
            }
        }
        let shape = match spec.layout {
            Layout::Nchw => vec![1, 3, self.height as i64, self.width as i64],
            Layout::Nhwc => vec![1, self.height as i64, self.width as i64, 3],
        };
        Ok(match spec.dtype {
            DType::F32 => Tensor::f32(shape, data),
            DType::U8 => Tensor::u8(
                shape,
                data.iter()
                    .map(|v| v.round().clamp(0.0, 255.0) as u8)
                    .collect(),
            ),
            DType::I64 => {
                return Err(Error::model(
                    &spec.name,
                    "image inputs of type i64 are not supported; use f32 or u8",
                ))
            }
        })
    }
}

/// The (width, height) an image input takes: the fixed size from the
/// manifest or the tensor's static spatial dimensions.
pub fn fixed_input_size(spec: &TensorSpec, fixed: Option<[usize; 2]>) -> Option<(usize, usize)> {
    if let Some([w, h]) = fixed {
        return Some((w, h));
    }
    let (h, w) = match spec.layout {
        Layout::Nchw => (*spec.shape.get(2)?, *spec.shape.get(3)?),
        Layout::Nhwc => (*spec.shape.get(1)?, *spec.shape.get(2)?),
    };
    (h > 0 && w > 0).then_some((w as usize, h as usize))
}

/// A single-channel map from an output tensor ([1,1,H,W], [1,H,W] or
/// [H,W]), rescaled from the spec's range to 0..1.
pub fn output_map(t: &Tensor, spec: &TensorSpec) -> Result<(usize, usize, Vec<f32>)> {
    let dims: Vec<usize> = t.shape.iter().map(|&d| d.max(0) as usize).collect();
    let (h, w) = match dims.as_slice() {
        [1, 1, h, w] | [1, h, w] | [h, w] => (*h, *w),
        _ => {
            return Err(Error::model(
                &spec.name,
                format!("expected a one-channel map, got shape {:?}", t.shape),
            ))
        }
    };
    let [lo, hi] = spec.range;
    let scale = if hi > lo { 1.0 / (hi - lo) } else { 1.0 };
    let data = match &t.data {
        TensorData::F32(v) => v.iter().map(|x| (x - lo) * scale).collect(),
        _ => t.to_f32().iter().map(|x| (x - lo) * scale).collect(),
    };
    Ok((w, h, data))
}
