//! A contact sheet of the presets on a few frames of a shot, so an editor
//! can pick a look before rendering the whole shot.

use std::sync::Arc;

use super::{presets, Relight};
use retake_core::error::{Error, Result};
use retake_core::frame::Frame;
use retake_core::window::{Item, Window};
use retake_imageops::filter::resize;
use retake_imageops::plane::Plane;

/// Rows: the original, then each preset in [`presets::PRESETS`] order;
/// columns: the given frames, each scaled to `thumb_width`. Everything the
/// user set besides the preset (matte, geometry source, fov, tilt, ...)
/// applies to every row; each frame's geometry is found once, by `op`, on
/// that frame alone.
pub fn preset_grid(frames: &[Frame], op: &Relight, thumb_width: usize) -> Result<Frame> {
    let first = frames
        .first()
        .ok_or_else(|| Error::Internal("preview: no frames to show".into()))?;
    let (fw, fh) = (first.width, first.height);
    let tw = thumb_width.clamp(16, fw.max(16));
    let th = ((fh * tw) as f32 / fw as f32).round().max(1.0) as usize;
    let gap = 4;
    let rows = presets::PRESETS.len() + 1;
    let cols = frames.len();
    let (gw, gh) = (cols * tw + (cols + 1) * gap, rows * th + (rows + 1) * gap);
    let mut grid = Frame::filled(0, gw, gh, 3, 0.02);
    let mut put = |row: usize, col: usize, f: &Frame| {
        let rgb = f.with_channels(3);
        let small = resize(Plane::new(&rgb.data, f.width, f.height, 3), tw, th);
        let (x0, y0) = (gap + col * (tw + gap), gap + row * (th + gap));
        for y in 0..th {
            let dst = ((y0 + y) * gw + x0) * 3;
            grid.data[dst..dst + tw * 3].copy_from_slice(&small[y * tw * 3..(y + 1) * tw * 3]);
        }
    };
    // The geometry (and any subject matte) does not depend on the preset:
    // estimate it once per frame.
    let mut analyses = Vec::with_capacity(frames.len());
    for (col, f) in frames.iter().enumerate() {
        if (f.width, f.height) != (fw, fh) {
            return Err(Error::Internal("preview: frames of different sizes".into()));
        }
        put(0, col, f);
        analyses.push(Arc::new(Item {
            frame: Arc::new(f.clone()),
            analysis: op.frame_geometry(f)?,
        }));
    }
    for (row, preset) in presets::PRESETS.iter().enumerate() {
        for (col, item) in analyses.iter().enumerate() {
            let lit = op.relight_preset(&Window::new(vec![item.clone()], 0), preset.name)?;
            put(row + 1, col, &lit);
        }
    }
    Ok(grid)
}
