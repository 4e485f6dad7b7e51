//! Image header readers: the first byte picks EXR, PNG or TIFF, the rest
//! is the file. Probing and reading must give a frame or an error, never
//! a panic or an allocation the header merely claims (a bomb).
#![no_main]

use libfuzzer_sys::fuzz_target;
use retake_core::FrameSource;
use retake_media::sequence::SequenceSource;
use retake_media::SourceOptions;

fuzz_target!(|data: &[u8]| {
    let Some((&kind, bytes)) = data.split_first() else {
        return;
    };
    let ext = ["exr", "png", "tif"][usize::from(kind) % 3];
    let Ok(dir) = tempfile::tempdir() else {
        return;
    };
    let path = dir.path().join(format!("f.{ext}"));
    if std::fs::write(&path, bytes).is_err() {
        return;
    }
    let path = path.to_string_lossy().into_owned();
    let _ = retake_media::probe(&path);
    if let Ok(mut source) = SequenceSource::open(&path, &SourceOptions::default()) {
        let _ = source.next_frame();
    }
});
