//! OpenFX plugin for Retake: a thin adapter that maps host clips and
//! parameters onto `retake-core`'s operations (the same parameter structs the
//! CLI uses). The plugin itself is built in its own issue; until then this
//! crate only pins the dependency direction (plugin -> core, never media).

pub use retake_core::mask::MaskParams;
