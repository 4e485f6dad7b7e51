//! Content Credentials (C2PA) for Retake's outputs.
//!
//! Studios and broadcasters ask what made a shot and whether a learned model
//! altered it. `OUTPUT.retake.json` answers in Retake's own words; this crate
//! says the same thing, from the same [`retake_model::provenance::Provenance`]
//! record, as a signed C2PA manifest that every C2PA reader understands and
//! that travels inside the file (MOV/MP4, PNG, TIFF) or beside it as a
//! `.c2pa` sidecar (EXR, Matroska), one per file so a single frame of a
//! sequence can be checked alone.
//!
//! The CLI uses it; the OpenFX plugin does not (hosts write the files there).

mod carrier;
mod error;
mod identity;
mod inspect;
mod keygen;
mod manifest;
mod sign;

pub use carrier::{sidecar_path, Carrier};
pub use error::{Error, Result};
pub use identity::{Identity, CERT_VAR, KEY_VAR};
pub use inspect::{read, Outcome, Verdict};
pub use keygen::{make_test_identity, TestIdentity};
pub use manifest::{InputFiles, ManifestPlan, OutputFile};
pub use sign::sign_output;
