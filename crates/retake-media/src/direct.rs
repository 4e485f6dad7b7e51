//! `retake convert`'s straight copy: when the output keeps the clip's
//! colour (same matrix, curve and range, no alpha, no colour config, no
//! processing), decoded pictures go to the encoder as they are, or
//! through swscale's format change alone, as the `ffmpeg` tool does.
//! The float round trip (Y'CbCr -> linear RGB -> Y'CbCr) would only
//! cost time and round the codes twice.

use std::sync::atomic::Ordering;

use retake_core::pipeline::{PipelineOptions, Progress, RunStats};
use retake_core::range::frames_written;
use retake_core::{Error, FrameSink, FrameSource, Result};

use crate::encode::VideoSink;
use crate::video::{pixel_format, VideoSource};

/// Copy the frames `opts` asks for (all by default) from `source` to
/// `sink` straight when both are FFmpeg video and no pixel changes; the
/// sink is finished then. Otherwise the sink comes back untouched and the
/// source still gives the same frames, for the float pipeline.
pub fn copy_straight(
    source: &mut dyn FrameSource,
    mut sink: Box<dyn FrameSink>,
    opts: &PipelineOptions<'_>,
) -> Result<std::result::Result<RunStats, Box<dyn FrameSink>>> {
    let Some(video) = source
        .as_any_mut()
        .and_then(|s| s.downcast_mut::<VideoSource>())
    else {
        return Ok(Err(sink));
    };
    let info = video.info();
    if let Some(r) = &opts.frames {
        r.check_within_clip(info)?;
    }
    let total = frames_written(opts.frames.as_ref(), info.first_frame, info.frames);
    let wanted = |i: i64| opts.frames.as_ref().is_none_or(|r| r.contains(i));
    let last = opts.frames.as_ref().and_then(|r| r.last());
    let Some(encoder) = sink
        .as_any_mut()
        .and_then(|s| s.downcast_mut::<VideoSink>())
    else {
        return Ok(Err(sink));
    };
    if let Some(r) = &opts.frames {
        video.seek(r.first())?;
    }
    let Some(mut index) = video.next_picture()? else {
        // An empty clip: the float pipeline says so as it always has.
        return Ok(Err(sink));
    };
    // SAFETY: reading the format field of a decoded frame.
    let format = pixel_format(unsafe { (*video.picture().as_ptr()).format });
    if !encoder.takes_as_decoded(video.info(), format) {
        video.give_back(index);
        return Ok(Err(sink));
    }
    log::info!("the colour stays as it is: pictures go to the encoder as decoded");
    let mut written = 0u64;
    loop {
        if opts
            .cancel
            .as_ref()
            .is_some_and(|c| c.load(Ordering::Relaxed))
        {
            return Err(Error::Cancelled);
        }
        if last.is_some_and(|l| index > l) {
            break;
        }
        if wanted(index) {
            encoder.write_decoded(index, video.picture())?;
            written += 1;
            if let Some(p) = opts.progress {
                p(Progress {
                    done: written,
                    total,
                    last_index: index,
                });
            }
        }
        match video.next_picture()? {
            Some(i) => index = i,
            None => break,
        }
    }
    sink.finish()?;
    Ok(Ok(RunStats {
        frames_read: written,
        frames_written: written,
    }))
}
