//! Multi-layer EXR sequences: several passes of one frame (normals, depth,
//! shading, ...) as named float channels in one EXR file per frame, the way
//! compositors expect relighting passes (`N.x`, `N.y`, `N.z`, `Z`,
//! `shading.R`, ...). Values are written as-is: linear float32, no curve.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use retake_core::atomic::AtomicPath;
use retake_core::{Error, Frame, FrameRange, Result};

use crate::sequence::{ImageKind, Pattern};

/// One named layer of a multi-layer EXR: `channels` are the channel names
/// in the file (e.g. ["N.x","N.y","N.z"], ["Z"], ["shading.R","shading.G","shading.B"]),
/// taken in order from the frame's interleaved channels.
#[derive(Clone, Debug)]
pub struct Layer<'a> {
    pub channels: Vec<String>,
    pub frame: &'a Frame,
}

impl<'a> Layer<'a> {
    /// A layer naming the frame's channels in order.
    pub fn new<S: Into<String>>(channels: impl IntoIterator<Item = S>, frame: &'a Frame) -> Self {
        Layer {
            channels: channels.into_iter().map(Into::into).collect(),
            frame,
        }
    }
}

/// Writes one multi-layer EXR per frame to a `name.####.exr` (or
/// `name.%04d.exr`) pattern, each file atomically (temporary file renamed
/// into place), so a failed write leaves nothing under the final name.
#[derive(Debug)]
pub struct LayerSequence {
    pattern: Pattern,
    overwrite: bool,
    written: usize,
}

impl LayerSequence {
    /// Check that `pattern` is an EXR sequence pattern and, unless
    /// `overwrite`, that none of its frames exist yet. Creates nothing.
    pub fn create(pattern: &str, overwrite: bool) -> Result<LayerSequence> {
        Self::create_for(pattern, overwrite, None)
    }

    /// As [`LayerSequence::create`], but only the frames of `range` (the
    /// frames this run renders) must be free: farm chunks write their
    /// passes beside each other's.
    pub fn create_for(
        pattern: &str,
        overwrite: bool,
        range: Option<&FrameRange>,
    ) -> Result<LayerSequence> {
        let parsed = Pattern::parse(pattern)
            .filter(|_| ImageKind::from_path(pattern) == Some(ImageKind::Exr));
        let Some(parsed) = parsed else {
            return Err(Error::output(
                pattern,
                "multi-layer output must be an EXR sequence pattern; \
                 name it like passes.####.exr or passes.%04d.exr",
            ));
        };
        if !overwrite {
            let mut present = parsed.present()?;
            present.retain(|&f| range.is_none_or(|r| r.contains(f)));
            if let Some(&first) = present.first() {
                return Err(Error::output(
                    parsed.path_for(first),
                    format!(
                        "already exists ({} frame{} of {} on disk); \
                         pass --overwrite (-y) to replace them",
                        present.len(),
                        if present.len() == 1 { "" } else { "s" },
                        pattern
                    ),
                ));
            }
        }
        Ok(LayerSequence {
            pattern: parsed,
            overwrite,
            written: 0,
        })
    }

    /// The file frame `index` is written to.
    pub fn path_for(&self, index: i64) -> PathBuf {
        self.pattern.path_for(index)
    }

    /// Frames written so far.
    pub fn written(&self) -> usize {
        self.written
    }

    /// Write frame `index` with all `layers` as float32 channels of one
    /// EXR. All layers must have one size, each as many channels as names,
    /// and names must be unique; otherwise nothing is written.
    pub fn write(&mut self, index: i64, layers: &[Layer]) -> Result<()> {
        let (width, height) = check_layers(index, layers)?;
        let path = self.pattern.path_for(index);
        if !self.overwrite && path.exists() {
            return Err(Error::output(
                &path,
                "already exists; pass --overwrite (-y) to replace it",
            ));
        }
        let atomic = AtomicPath::new(&path)?;
        write_exr(atomic.temp(), width, height, layers)
            .map_err(|e| Error::output(&path, format!("cannot write: {e}")))?;
        atomic.commit()?;
        self.written += 1;
        Ok(())
    }

    /// End the sequence; every frame is already in place.
    pub fn finish(self) -> Result<()> {
        Ok(())
    }
}

/// Validate the layers of frame `index`; returns their common size.
fn check_layers(index: i64, layers: &[Layer]) -> Result<(usize, usize)> {
    let bad = |problem: String| Error::Internal(format!("frame {index}: {problem}"));
    let first = layers
        .first()
        .ok_or_else(|| bad("no layers to write".into()))?;
    let (width, height) = (first.frame.width, first.frame.height);
    if width == 0 || height == 0 {
        return Err(bad(format!(
            "layers are {width}x{height}; nothing to write"
        )));
    }
    let mut seen = HashSet::new();
    for (i, layer) in layers.iter().enumerate() {
        let f = layer.frame;
        if (f.width, f.height) != (width, height) {
            return Err(bad(format!(
                "layer {i} ({}) is {}x{} but layer 0 is {width}x{height}; \
                 all layers of a frame must have one size",
                layer.channels.join(", "),
                f.width,
                f.height
            )));
        }
        if layer.channels.len() != f.channels {
            return Err(bad(format!(
                "layer {i} names {} channels ({}) but its frame has {}",
                layer.channels.len(),
                layer.channels.join(", "),
                f.channels
            )));
        }
        if f.channels == 0 || f.data.len() != width * height * f.channels {
            return Err(bad(format!(
                "layer {i} has {} samples for {width}x{height}x{}",
                f.data.len(),
                f.channels
            )));
        }
        for name in &layer.channels {
            let latin1 = name.chars().all(|ch| ch != '\0' && u32::from(ch) < 256);
            if !latin1 || !(1..=255).contains(&name.chars().count()) {
                return Err(bad(format!(
                    "layer {i} has an invalid channel name {name:?}; EXR channel names \
                     are 1 to 255 Latin-1 characters without NUL"
                )));
            }
            if !seen.insert(name.as_str()) {
                return Err(bad(format!(
                    "channel name {name:?} is used twice; channel names must be unique"
                )));
            }
        }
    }
    Ok((width, height))
}

type WriteResult = std::result::Result<(), Box<dyn std::error::Error + Send + Sync>>;

fn write_exr(path: &Path, width: usize, height: usize, layers: &[Layer]) -> WriteResult {
    use exr::prelude::{AnyChannel, AnyChannels, Encoding, FlatSamples, Image, LayerAttributes};
    use exr::prelude::{Text, WritableImage};
    let mut channels = Vec::new();
    for layer in layers {
        let f = layer.frame;
        for (c, name) in layer.channels.iter().enumerate() {
            let plane: Vec<f32> = f.data.iter().skip(c).step_by(f.channels).copied().collect();
            let name = Text::new_or_none(name.as_str())
                .ok_or_else(|| format!("channel name {name:?} cannot be stored in EXR"))?;
            channels.push(AnyChannel::new(name, FlatSamples::F32(plane)));
        }
    }
    let layer = exr::prelude::Layer::new(
        (width, height),
        LayerAttributes::default(),
        Encoding::SMALL_LOSSLESS,
        AnyChannels::sort(channels.into()),
    );
    Image::from_layer(layer).write().to_file(path)?;
    Ok(())
}
