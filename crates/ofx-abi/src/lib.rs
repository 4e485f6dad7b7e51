//! The OpenFX C ABI in Rust, generated at build time by bindgen from the
//! official OpenFX headers (the source tree of the crates.io crate
//! `openfx-sys`; see `build.rs`): handles, structs and suite tables as the
//! headers declare them, every `kOfx...` string name as a `&CStr` (handed
//! to C as it is, compared with what C hands back) and status codes as
//! `OfxStatus`. Names and fields keep the headers' spelling, so code reads
//! like the OpenFX documentation and a misspelt name does not compile.
//!
//! Every function pointer is an `Option` because a host may leave an entry
//! null, and a null call must become an error, not a crash.

// bindgen's own output (bitfield accessors) is exempt from the workspace's
// SAFETY-comment rule: no person writes or reviews it.
#[allow(
    non_upper_case_globals,
    non_camel_case_types,
    non_snake_case,
    dead_code,
    clippy::all,
    clippy::undocumented_unsafe_blocks
)]
mod generated {
    include!(concat!(env!("OUT_DIR"), "/openfx.rs"));
}

pub use generated::*;

/// The folder of official headers this ABI was generated from (for tests
/// that check names against the headers' text).
pub const OPENFX_INCLUDE_DIR: &str =
    include_str!(concat!(env!("OUT_DIR"), "/openfx_include_dir.txt"));

/// Out-argument name prefixes the standard describes in prose (no macro):
/// the clip's name follows, e.g. `OfxImageClipPropRoI_Source`.
pub const CLIP_ROI_PREFIX: &str = "OfxImageClipPropRoI_";
pub const CLIP_FRAME_RANGE_PREFIX: &str = "OfxImageClipPropFrameRange_";
pub const CLIP_COMPONENTS_PREFIX: &str = "OfxImageClipPropComponents_";
pub const CLIP_DEPTH_PREFIX: &str = "OfxImageClipPropDepth_";

/// The value of the official name `name` (`kOfx...`), if the headers define it.
pub fn string_name(name: &str) -> Option<&'static std::ffi::CStr> {
    ALL_STRING_NAMES
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, v)| *v)
}

/// Whether `value` is the value of a string name the headers define.
pub fn is_official_value(value: &str) -> bool {
    ALL_STRING_NAMES
        .iter()
        .any(|(_, v)| v.to_bytes() == value.as_bytes())
}

/// `value` as the plugin compares it with what a host hands back.
pub fn same(value: &str, name: &std::ffi::CStr) -> bool {
    value.as_bytes() == name.to_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::mem::size_of;

    /// The value the issue found misspelt by hand, as the headers spell it.
    #[test]
    fn multiple_clip_depths_has_the_official_value() {
        assert_eq!(
            kOfxImageEffectPropSupportsMultipleClipDepths.to_bytes(),
            b"OfxImageEffectPropMultipleClipDepths"
        );
    }

    #[test]
    fn status_codes_are_ints_with_the_standard_values() {
        let codes: [(OfxStatus, i32); 5] = [
            (kOfxStatOK, 0),
            (kOfxStatFailed, 1),
            (kOfxStatErrUnknown, 3),
            (kOfxStatReplyDefault, 14),
            (kOfxStatErrImageFormat, 1000),
        ];
        for (code, want) in codes {
            assert_eq!(code, want);
        }
    }

    /// Suite tables are read by index in C; count the generated entries.
    #[test]
    fn suite_tables_have_the_standard_number_of_entries() {
        let ptr = size_of::<usize>();
        assert_eq!(size_of::<OfxPropertySuiteV1>(), 18 * ptr);
        assert_eq!(size_of::<OfxImageEffectSuiteV1>(), 13 * ptr);
        assert_eq!(size_of::<OfxParameterSuiteV1>(), 18 * ptr);
        assert_eq!(size_of::<OfxMessageSuiteV2>(), 3 * ptr);
        assert_eq!(size_of::<OfxHost>(), 2 * ptr);
        assert_eq!(size_of::<OfxRectD>(), 32);
    }

    /// Prefixes have no macro; the headers name them in their prose.
    #[test]
    fn clip_prefixes_appear_in_the_official_headers() {
        let text = std::fs::read_to_string(format!("{OPENFX_INCLUDE_DIR}/ofxImageEffect.h"))
            .expect("read ofxImageEffect.h");
        for prefix in [
            CLIP_ROI_PREFIX,
            CLIP_FRAME_RANGE_PREFIX,
            CLIP_COMPONENTS_PREFIX,
            CLIP_DEPTH_PREFIX,
        ] {
            assert!(
                text.contains(&format!("``{prefix}``")),
                "{prefix} is not in ofxImageEffect.h"
            );
        }
    }
}
