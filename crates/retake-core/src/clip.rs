//! Facts about a clip that must survive every operation: size, rate,
//! time base, pixel aspect, colour tags.

use serde::{Deserialize, Serialize};

use crate::colour::ColourTags;

/// An exact ratio (frame rate, time base, pixel aspect); never a float, so
/// 24000/1001 stays 24000/1001.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rational {
    pub num: i64,
    pub den: i64,
}

impl Rational {
    pub const fn new(num: i64, den: i64) -> Self {
        Rational { num, den }
    }

    pub fn as_f64(self) -> f64 {
        if self.den == 0 {
            0.0
        } else {
            self.num as f64 / self.den as f64
        }
    }

    pub fn is_valid(self) -> bool {
        self.num > 0 && self.den > 0
    }
}

impl std::fmt::Display for Rational {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.num, self.den)
    }
}

/// Stream facts of a clip, as `retake probe` prints them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ClipInfo {
    /// The path or pattern the clip was opened from.
    pub path: String,
    /// Container or sequence format (`mov,mp4,...`, `exr sequence`).
    pub format: String,
    /// Codec of the picture stream (`h264`, `prores`, `exr`).
    pub codec: String,
    pub width: usize,
    pub height: usize,
    /// Number of frames, when the container knows it.
    pub frames: Option<u64>,
    /// Frames per second as a float, for humans and JSON consumers.
    pub fps: f64,
    pub frame_rate: Rational,
    pub time_base: Rational,
    pub pixel_aspect: Rational,
    /// Number of the first frame (0 for video, the file number for sequences).
    pub first_frame: i64,
    /// True when the source carries an alpha channel.
    pub has_alpha: bool,
    /// Bits per component of the stored picture.
    pub bit_depth: u32,
    /// Source pixel format name (`yuv420p`, `rgba64le`, `half`, ...).
    pub pixel_format: String,
    pub colour: ColourTags,
}

impl ClipInfo {
    /// Facts for frames that come from memory rather than a file (host
    /// clips, generated test clips): 24 fps, square pixels, linear colour.
    pub fn in_memory(path: &str, width: usize, height: usize, frames: Option<u64>) -> Self {
        ClipInfo {
            path: path.to_string(),
            format: "memory".into(),
            codec: "none".into(),
            width,
            height,
            frames,
            fps: 24.0,
            frame_rate: Rational::new(24, 1),
            time_base: Rational::new(1, 24),
            pixel_aspect: Rational::new(1, 1),
            first_frame: 0,
            has_alpha: false,
            bit_depth: 32,
            pixel_format: "f32".into(),
            colour: ColourTags::linear(),
        }
    }

    /// Channels a decoded frame of this clip has (3 or 4).
    pub fn channels(&self) -> usize {
        if self.has_alpha {
            4
        } else {
            3
        }
    }

    /// Number of the last frame, when the frame count is known.
    pub fn last_frame(&self) -> Option<i64> {
        self.frames.map(|n| self.first_frame + n as i64 - 1)
    }
}
