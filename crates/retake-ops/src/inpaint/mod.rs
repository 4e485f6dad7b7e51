//! Filling holes in pictures. Video removal (`remove`) fills each hole pixel
//! from other frames where that spot is visible; what no frame shows is
//! left to a spatial filler: the built-in PatchMatch engine, or a learned
//! inpainting model when one is installed. Both implement [`SpatialFill`].

pub mod choose;
pub mod learned;
pub mod patchmatch;
pub mod smooth;

use retake_core::error::Result;

/// A rectangle of a frame, in pixels.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Rect {
    pub x: usize,
    pub y: usize,
    pub width: usize,
    pub height: usize,
}

impl Rect {
    /// Smallest rectangle holding every `true` pixel of a `w`x`h` mask;
    /// `None` when there is none.
    pub fn bounding(mask: &[bool], w: usize, h: usize) -> Option<Rect> {
        let (mut x0, mut y0, mut x1, mut y1) = (w, h, 0, 0);
        for y in 0..h {
            for (x, _) in mask[y * w..(y + 1) * w]
                .iter()
                .enumerate()
                .filter(|(_, m)| **m)
            {
                x0 = x0.min(x);
                x1 = x1.max(x + 1);
                y0 = y0.min(y);
                y1 = y1.max(y + 1);
            }
        }
        (x1 > x0).then(|| Rect {
            x: x0,
            y: y0,
            width: x1 - x0,
            height: y1 - y0,
        })
    }
}

/// A picture with a hole: interleaved RGB (scene-linear f32, as frames are)
/// and a hole flag per pixel. Spatial fillers work on crops like this, so
/// their cost follows the hole, not the frame.
#[derive(Clone, Debug)]
pub struct HoleImage {
    pub width: usize,
    pub height: usize,
    /// `width * height * 3` values, row-major, interleaved RGB.
    pub rgb: Vec<f32>,
    /// `width * height` flags: `true` = unknown, to be filled.
    pub hole: Vec<bool>,
}

impl HoleImage {
    pub fn hole_count(&self) -> usize {
        self.hole.iter().filter(|h| **h).count()
    }
}

/// Fills what no frame of the shot shows, from the picture itself.
pub trait SpatialFill: Send + Sync {
    /// A short name for logs and provenance (`patchmatch`, a model's name).
    fn name(&self) -> &str;

    /// Replace the values of the hole pixels of `image.rgb`; known pixels
    /// must come back unchanged. Deterministic: the same image gives the
    /// same result on any thread.
    fn fill(&self, image: &mut HoleImage) -> Result<()>;

    /// Whether the fill invents texture. Invented texture re-invented on
    /// every frame flickers, so such a fill runs on anchor frames and the
    /// frames between follow it along the flow. A fill without texture (the
    /// membrane) changes little when its border changes little, so it is
    /// solved on each frame against what the other frames recovered there:
    /// a smaller hole with a truer border, and no cross-fade between anchors.
    fn invents_texture(&self) -> bool {
        true
    }
}
