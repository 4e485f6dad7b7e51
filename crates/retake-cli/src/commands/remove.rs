//! `retake remove`: paint a masked region out of a shot.

use retake_core::{Error, FrameRange, Result};
use retake_model::provenance::{InputRecord, Provenance};
use retake_ops::matte::{MatteShelf, MatteValues};
use retake_ops::remove::{ReferenceFrame, Remove, RemoveParams};

use super::{open_like_input, open_shot, run_operation_with_shelf, OutputPlan};
use crate::args::{GlobalArgs, IoArgs, RemoveArgs};
use crate::context::Models;

pub fn run(a: &RemoveArgs, global: &GlobalArgs) -> Result<i32> {
    crate::keep_freed_frames();
    a.params.validate()?;
    if retake_ops::track::is_keyframe_list(&a.params.mask) {
        retake_ops::track::parse_keyframes(&a.params.mask, "mask")?;
    }
    let mut record = Provenance::new("remove", &a.params);
    // The mask goes beside the frames, not into their alpha (no RGBA copy).
    let shelf = MatteShelf::default();
    let op = build(&a.params, &a.io, global, &shelf, &mut record)?;
    let matte = (!a.params.auto_mask()).then_some((a.params.mask.as_str(), MatteValues::Coverage));
    run_operation_with_shelf(&a.io, matte, Some(&shelf), global, &op, record, |info| {
        let mut info = info.clone();
        // The result is a picture without alpha, whatever the source carries.
        info.has_alpha = false;
        OutputPlan {
            info,
            transfer: None,
        }
    })?;
    Ok(0)
}

/// The operation with its spatial filler and, for `--mask auto`, the
/// subject model; the models used go into the provenance record.
fn build(
    params: &RemoveParams,
    io: &IoArgs,
    global: &GlobalArgs,
    shelf: &MatteShelf,
    record: &mut Provenance,
) -> Result<Remove> {
    let mut models = Models::for_io(global, io);
    let built = retake_ops::build::remove(params, &mut || models.context())?;
    record.models.extend(built.models);
    let references = read_references(params, io, record)?;
    let op = built
        .op
        .with_references(references)
        .with_mask_shelf(shelf.clone());
    long_range_pass(op, params, io, shelf)
}

/// With `--reach` beyond `--window`: the first pass over the shot (with its
/// mask, as the render reads it) that stores the crops and flows around
/// the holes, over the frames within reach of those to render, so a chunk
/// gets the same bits as a whole render. The output is checked first, so a
/// render that cannot write does not wait for the pass.
fn long_range_pass(
    op: Remove,
    params: &RemoveParams,
    io: &IoArgs,
    shelf: &MatteShelf,
) -> Result<Remove> {
    if !op.reaches_beyond_window() {
        return Ok(op);
    }
    super::check_output(&io.output, io.overwrite || io.resume)?;
    let frames = io.frames.as_deref().map(FrameRange::parse).transpose()?;
    let matte = (!params.auto_mask()).then_some((params.mask.as_str(), MatteValues::Coverage));
    // The pass reads the same inputs as the render; they are recorded once,
    // by the render.
    let mut scratch = Provenance::new("remove", params);
    let mut source = super::open_input_with_shelf(io, matte, Some(shelf), &mut scratch)?;
    // A signal during the pass stops it like a render (its folder is
    // removed on the way out).
    let cancel = crate::signals::cancel_on_signals();
    retake_core::cancel::with_check(
        move || cancel.load(std::sync::atomic::Ordering::SeqCst),
        || op.with_reach(source.as_mut(), frames.as_ref()),
    )
}

/// The `--reference FRAME=IMAGE` pictures, read in the shot's colour and
/// checked against it before anything is written: each must be readable,
/// the shot's size, and name one of its frames.
fn read_references(
    params: &RemoveParams,
    io: &IoArgs,
    record: &mut Provenance,
) -> Result<Vec<ReferenceFrame>> {
    let wanted = params.references()?;
    if wanted.is_empty() {
        return Ok(Vec::new());
    }
    let shot = open_shot(io)?.info().clone();
    let mut out = Vec::with_capacity(wanted.len());
    for (index, path) in wanted {
        let past_end = shot.last_frame().is_some_and(|last| index > last);
        if index < shot.first_frame || past_end {
            let last = shot
                .last_frame()
                .map_or_else(|| "its end".to_string(), |l| l.to_string());
            return Err(Error::parameter(
                "reference",
                format!(
                    "`{index}={path}`: frame {index} is not in {} (frames {} to {last})",
                    io.input, shot.first_frame
                ),
            ));
        }
        let frame = open_like_input(io, &path)?.next_frame()?.ok_or_else(|| {
            Error::input(&path, "holds no picture; give a clean frame as an image")
        })?;
        if (frame.width, frame.height) != (shot.width, shot.height) {
            return Err(Error::input(
                &path,
                format!(
                    "the reference for frame {index} is {}x{}, but {} is {}x{}; paint it on a frame of the shot at full size",
                    frame.width, frame.height, io.input, shot.width, shot.height
                ),
            ));
        }
        record.inputs.push(InputRecord::new("reference", &path));
        out.push(ReferenceFrame { index, path, frame });
    }
    Ok(out)
}
