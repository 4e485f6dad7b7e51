//! Job files: the operation tables (`[mask]`, `[remove]`, `[relight]`,
//! `[reangle]`) are deserialised from untrusted TOML into core's parameter
//! structs, then checked; any text is a value or an error, never a panic.
//! (The `[io]` table's struct lives in the `retake` binary and is not
//! reached from here.)
#![no_main]

use libfuzzer_sys::fuzz_target;
use retake_ops::mask::MaskParams;
use retake_ops3d::reangle::ReangleParams;
use retake_ops3d::relight::RelightParams;
use retake_ops::remove::RemoveParams;

fuzz_target!(|text: &str| {
    let _ = toml::from_str::<MaskParams>(text);
    let _ = toml::from_str::<RemoveParams>(text);
    if let Ok(p) = toml::from_str::<RelightParams>(text) {
        let _ = retake_ops3d::relight::Relight::new(p);
    }
    let _ = toml::from_str::<ReangleParams>(text);
    let _ = toml::from_str::<retake_core::FrameRange>(text);
});
