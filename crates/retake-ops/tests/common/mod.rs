//! Helpers shared by the integration tests.

use std::sync::{Arc, Mutex};

use retake_core::{Frame, FrameSink, Result};

/// A sink that keeps the frames it is given, for inspection.
pub struct Collect(pub Arc<Mutex<Vec<Frame>>>);

impl FrameSink for Collect {
    fn write(&mut self, frame: &Frame) -> Result<()> {
        self.0.lock().unwrap().push(frame.clone());
        Ok(())
    }
    fn finish(self: Box<Self>) -> Result<()> {
        Ok(())
    }
}
