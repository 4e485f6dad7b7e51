//! Helpers shared by this crate's integration tests.

use retake_core::ClipInfo;
use retake_media::{create_sink, open_source, SinkOptions, SourceOptions};

/// `retake convert` through the library: decode every frame of `input`
/// and encode it to `output` with `opts`; the input's facts.
pub fn transcode(input: &str, output: &str, opts: &SinkOptions) -> ClipInfo {
    let mut src = open_source(input, &SourceOptions::default()).unwrap();
    let info = src.info().clone();
    let mut sink = create_sink(output, &info, opts).unwrap();
    while let Some(f) = src.next_frame().unwrap() {
        sink.write(&f).unwrap();
    }
    sink.finish().unwrap();
    info
}
