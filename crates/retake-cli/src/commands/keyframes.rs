//! Keyframe lists (`0=dog.png,40=box:120,80,60,90`) turned into a tracked
//! matte: the masks are read and checked before anything is written, and
//! the tracker gets its own decoder of the shot.

use retake_core::{Error, Result};
use retake_media::SourceOptions;
use retake_model::provenance::{InputRecord, Provenance};
use retake_ops::matte::{to_mask, Matte};
use retake_ops::track::{parse_keyframes, KeyShape, KeySpec, Keyframe, Tracker};

use crate::args::IoArgs;

/// The matte tracked from the keyframes in `list` (`flag` names the
/// parameter in messages); every mask file is recorded in the provenance.
pub fn tracked_matte(
    list: &str,
    flag: &str,
    io: &IoArgs,
    provenance: &mut Provenance,
) -> Result<Matte> {
    let specs = parse_keyframes(list, flag)?;
    let mut keys = Vec::with_capacity(specs.len());
    for spec in &specs {
        let shape = match &spec.shape {
            KeySpec::File(path) => {
                let mask = read_mask(path)?;
                provenance
                    .inputs
                    .push(InputRecord::new(&format!("keyframe {}", spec.frame), path));
                KeyShape::Mask(mask)
            }
            KeySpec::Box(b) => KeyShape::Box(*b),
        };
        let label = match &spec.shape {
            KeySpec::File(path) => path.clone(),
            KeySpec::Box(_) => spec.to_string(),
        };
        keys.push(Keyframe {
            frame: spec.frame,
            shape,
            label,
        });
    }
    let shot = super::open_shot(io)?;
    let tracker = Tracker::new(shot, keys)?.with_cancel(crate::signals::cancel_on_signals());
    Ok(Matte::Tracked(Box::new(tracker)))
}

/// One mask picture (white = object; its alpha when it has one).
fn read_mask(path: &str) -> Result<retake_core::Frame> {
    let mut source = retake_media::open_source(path, &SourceOptions::data())?;
    match source.info().frames {
        Some(1) => {}
        n => {
            return Err(Error::input(
                path,
                format!(
                    "a keyframe mask is one picture, but this has {} frames; \
                     give one PNG, EXR or TIFF image",
                    n.map_or("an unknown number of".to_string(), |n| n.to_string())
                ),
            ))
        }
    }
    let frame = source
        .next_frame()?
        .ok_or_else(|| Error::input(path, "the keyframe mask has no picture"))?;
    Ok(to_mask(&frame))
}

/// A keyframe list with its mask files resolved by `resolve` (job files
/// give paths relative to themselves); text that is not a valid list is
/// returned as it is, to be reported when it is parsed.
pub fn resolve_paths(list: &str, resolve: impl Fn(&str) -> String) -> String {
    match parse_keyframes(list, "mask") {
        Ok(mut specs) => {
            for s in &mut specs {
                if let KeySpec::File(p) = &mut s.shape {
                    *p = resolve(p);
                }
            }
            retake_ops::track::keyframes_text(&specs)
        }
        Err(_) => list.to_string(),
    }
}
