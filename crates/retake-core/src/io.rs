//! The two edges of the pipeline. Core defines them; `retake-media`
//! (FFmpeg, image sequences) and the OpenFX bridge (host clips) implement them.

use crate::clip::ClipInfo;
use crate::error::Result;
use crate::frame::Frame;

/// Gives the frames of a clip in order. Video decodes sequentially, so a
/// source is pulled, never indexed.
pub trait FrameSource: Send {
    fn info(&self) -> &ClipInfo;

    /// The next frame in clip order, or `None` at the end.
    fn next_frame(&mut self) -> Result<Option<Frame>>;

    /// The source as itself, so that a sink of the same media library can
    /// take its pictures as decoded when no pixel changes (`retake
    /// convert`'s straight copy); `None`: frames only.
    fn as_any_mut(&mut self) -> Option<&mut dyn std::any::Any> {
        None
    }

    /// Position the source so the next frame returned is `index` (in the
    /// clip's numbering). The default decodes and discards.
    fn seek(&mut self, index: i64) -> Result<()> {
        loop {
            // Peek by decoding: sources that can seek faster override this.
            match self.next_frame()? {
                Some(f) if f.index + 1 >= index => {
                    if f.index + 1 == index {
                        return Ok(());
                    }
                    return Err(crate::Error::Internal(format!(
                        "seek to frame {index} overshot to {}",
                        f.index
                    )));
                }
                Some(_) => {}
                None => return Ok(()),
            }
        }
    }
}

/// Writes frames in order. A sink writes to a temporary name and only
/// [`FrameSink::finish`] moves the result to its final name, so a killed or
/// failed run never leaves a half-written file there. Dropping a sink
/// without finishing removes its temporary output.
pub trait FrameSink: Send {
    fn write(&mut self, frame: &Frame) -> Result<()>;

    /// The sink as itself (see [`FrameSource::as_any_mut`]).
    fn as_any_mut(&mut self) -> Option<&mut dyn std::any::Any> {
        None
    }

    /// Flush, close and atomically publish the output.
    fn finish(self: Box<Self>) -> Result<()>;
}
