//! `retake probe`: stream facts of a clip.

use retake_core::{Error, Result};

use crate::args::ProbeArgs;

pub fn run(a: &ProbeArgs) -> Result<i32> {
    let info = retake_media::probe(&a.input)?;
    if a.json {
        let text = serde_json::to_string_pretty(&info)
            .map_err(|e| Error::Internal(format!("JSON: {e}")))?;
        println!("{text}");
        return Ok(0);
    }
    let frames = info.frames.map_or("unknown".to_string(), |n| n.to_string());
    let c = &info.colour;
    println!("file:          {}", info.path);
    println!("format:        {} / {}", info.format, info.codec);
    println!(
        "resolution:    {}x{} (pixel aspect {})",
        info.width, info.height, info.pixel_aspect
    );
    println!("frames:        {frames} (first {})", info.first_frame);
    println!(
        "frame rate:    {} ({:.3} fps), time base {}",
        info.frame_rate, info.fps, info.time_base
    );
    println!(
        "pixels:        {} ({}-bit{})",
        info.pixel_format,
        info.bit_depth,
        if info.has_alpha { ", alpha" } else { "" }
    );
    println!(
        "colour:        transfer {}, matrix {:?}, primaries {:?}, {} range{}",
        c.transfer.name(),
        c.matrix,
        c.primaries,
        if c.full_range { "full" } else { "limited" },
        if c.guessed {
            " (some tags missing: defaults used)"
        } else {
            ""
        }
    );
    Ok(0)
}
