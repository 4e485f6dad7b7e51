//! The frame-range parser (`--frames`, job files): any text is a range
//! or an error, never a panic, and a parsed range reads back the same.
#![no_main]

use libfuzzer_sys::fuzz_target;
use retake_core::FrameRange;

fuzz_target!(|text: &str| {
    if let Ok(r) = FrameRange::parse(text) {
        let _ = r.first();
        let _ = r.last();
        let _ = r.contains(0);
        let _ = r.check_within(std::path::Path::new("clip"), 0, Some(100));
        if let Some(again) = FrameRange::from_frames((-5..50).filter(|f| r.contains(*f))) {
            let reparsed = FrameRange::parse(again.text()).expect("a written range parses");
            assert_eq!(reparsed, again);
        }
    }
});
