//! The sequence pattern resolver (`shot.####.exr`, `shot.%04d.png`): any
//! path text parses or not without a panic, and a parsed pattern names
//! files that lie in its folder.
#![no_main]

use libfuzzer_sys::fuzz_target;
use retake_media::sequence::Pattern;

fuzz_target!(|text: &str| {
    let _ = retake_media::is_sequence_pattern(text);
    let _ = retake_media::Codec::guess(text);
    if let Some(p) = Pattern::parse(text) {
        for n in [0, 1, -1, 1001, i64::MAX, i64::MIN] {
            let _ = p.path_for(n);
        }
        let _ = p.present();
    }
});
