//! Frames as every operation sees them: interleaved `f32`, scene-linear.

use std::sync::Mutex;

use retake_imageops::luma::luma;

use crate::error::{Error, Result};

/// Frame buffers dropped recently, kept for reuse: a decoder asking for a
/// 1080p buffer every frame would otherwise make the kernel map and zero
/// 25 MB per frame. Bounded, so it never holds more than a few frames.
static RECYCLED: Mutex<Vec<Vec<f32>>> = Mutex::new(Vec::new());
/// Buffers kept at most.
const RECYCLED_MAX: usize = 6;
/// Buffers smaller than this (samples) are not worth keeping.
const RECYCLED_MIN: usize = 1 << 16;

/// A buffer of `len` samples for a frame that the caller will overwrite
/// completely: reuses a dropped frame's buffer when one of that size is
/// kept, so its contents are unspecified (but initialised).
pub fn recycled_buffer(len: usize) -> Vec<f32> {
    if len >= RECYCLED_MIN {
        if let Ok(mut kept) = RECYCLED.lock() {
            if let Some(i) = kept.iter().position(|b| b.len() == len) {
                return kept.swap_remove(i);
            }
        }
    }
    vec![0.0; len]
}

/// One picture (or mask) in scene-linear float, interleaved, row-major,
/// top row first. Masks have one channel with 1.0 = subject / hole.
#[derive(Clone, Debug, PartialEq)]
pub struct Frame {
    /// Frame number in the clip's own numbering (0-based for video,
    /// the file number for image sequences).
    pub index: i64,
    pub width: usize,
    pub height: usize,
    /// 1 (mask), 3 (RGB) or 4 (RGBA, straight alpha).
    pub channels: usize,
    pub data: Vec<f32>,
}

impl Drop for Frame {
    fn drop(&mut self) {
        if self.data.len() >= RECYCLED_MIN {
            if let Ok(mut kept) = RECYCLED.lock() {
                if kept.len() >= RECYCLED_MAX {
                    kept.remove(0);
                }
                kept.push(std::mem::take(&mut self.data));
            }
        }
    }
}

impl Frame {
    /// A frame filled with `value` in every channel.
    pub fn filled(index: i64, width: usize, height: usize, channels: usize, value: f32) -> Self {
        Frame {
            index,
            width,
            height,
            channels,
            data: vec![value; width * height * channels],
        }
    }

    /// Wrap existing data, checking that its length fits the dimensions.
    pub fn from_data(
        index: i64,
        width: usize,
        height: usize,
        channels: usize,
        data: Vec<f32>,
    ) -> Result<Self> {
        if data.len() != width * height * channels {
            return Err(Error::Internal(format!(
                "frame {index}: {} samples for {width}x{height}x{channels}",
                data.len()
            )));
        }
        Ok(Frame {
            index,
            width,
            height,
            channels,
            data,
        })
    }

    /// Check that the samples fit the dimensions and the channel count is
    /// one a sink can write; sinks call this before touching a file.
    pub fn check_layout(&self) -> Result<()> {
        if self.data.len() != self.width * self.height * self.channels
            || !(1..=4).contains(&self.channels)
        {
            return Err(Error::Internal(format!(
                "frame {} has {} samples for {}x{}x{}",
                self.index,
                self.data.len(),
                self.width,
                self.height,
                self.channels
            )));
        }
        Ok(())
    }

    pub fn pixel_count(&self) -> usize {
        self.width * self.height
    }

    /// The samples of one pixel.
    pub fn pixel(&self, x: usize, y: usize) -> &[f32] {
        let i = (y * self.width + x) * self.channels;
        &self.data[i..i + self.channels]
    }

    /// One row of interleaved samples.
    pub fn row(&self, y: usize) -> &[f32] {
        let n = self.width * self.channels;
        &self.data[y * n..(y + 1) * n]
    }

    /// Luminance (Rec.709 weights) of a linear RGB(A) frame, or the single
    /// channel of a mask.
    pub fn luminance(&self) -> Vec<f32> {
        match self.channels {
            1 => self.data.clone(),
            c => self.data.chunks_exact(c).map(luma).collect(),
        }
    }

    /// The same picture with `channels` channels: drops or adds alpha (opaque),
    /// or expands a mask to grey.
    pub fn with_channels(&self, channels: usize) -> Frame {
        if channels == self.channels {
            return self.clone();
        }
        let mut data = Vec::with_capacity(self.pixel_count() * channels);
        for p in self.data.chunks_exact(self.channels) {
            let (rgb, a) = match self.channels {
                1 => ([p[0], p[0], p[0]], 1.0),
                3 => ([p[0], p[1], p[2]], 1.0),
                _ => ([p[0], p[1], p[2]], p[3]),
            };
            match channels {
                1 => data.push(luma(&rgb)),
                3 => data.extend_from_slice(&rgb),
                _ => {
                    data.extend_from_slice(&rgb);
                    data.push(a);
                }
            }
        }
        Frame {
            index: self.index,
            width: self.width,
            height: self.height,
            channels,
            data,
        }
    }
}
