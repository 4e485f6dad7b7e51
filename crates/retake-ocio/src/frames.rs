//! Frame sources and sinks that convert pictures at the pipeline's edges:
//! decode into the working space, encode out of it. Mattes and other
//! one-channel data are never converted.

use std::sync::Arc;

use retake_core::{ClipInfo, Frame, FrameSink, FrameSource, Result};

use crate::processor::Processor;

/// Converts RGB(A) frames in place; other channel counts are data.
fn convert(processor: &Processor, frame: &mut Frame, flag: &str) -> Result<()> {
    if frame.channels == 3 || frame.channels == 4 {
        processor
            .apply(&mut frame.data, frame.channels)
            .map_err(|e| e.into_core(flag))?;
    }
    Ok(())
}

/// A source whose pictures come out in the working space.
pub struct ConvertedSource {
    inner: Box<dyn FrameSource>,
    to_working: Arc<Processor>,
}

impl ConvertedSource {
    pub fn new(inner: Box<dyn FrameSource>, to_working: Arc<Processor>) -> Self {
        ConvertedSource { inner, to_working }
    }
}

impl FrameSource for ConvertedSource {
    fn info(&self) -> &ClipInfo {
        self.inner.info()
    }

    fn next_frame(&mut self) -> Result<Option<Frame>> {
        let Some(mut frame) = self.inner.next_frame()? else {
            return Ok(None);
        };
        convert(&self.to_working, &mut frame, "input-colorspace")?;
        Ok(Some(frame))
    }

    fn seek(&mut self, index: i64) -> Result<()> {
        self.inner.seek(index)
    }
}

/// A sink that converts pictures out of the working space before writing.
pub struct ConvertedSink {
    inner: Box<dyn FrameSink>,
    from_working: Arc<Processor>,
}

impl ConvertedSink {
    pub fn new(inner: Box<dyn FrameSink>, from_working: Arc<Processor>) -> Self {
        ConvertedSink {
            inner,
            from_working,
        }
    }
}

impl FrameSink for ConvertedSink {
    fn write(&mut self, frame: &Frame) -> Result<()> {
        if self.from_working.is_noop() || !(frame.channels == 3 || frame.channels == 4) {
            return self.inner.write(frame);
        }
        let mut out = frame.clone();
        convert(&self.from_working, &mut out, "output-colorspace")?;
        self.inner.write(&out)
    }

    fn finish(self: Box<Self>) -> Result<()> {
        self.inner.finish()
    }
}
