//! Process exit codes: the binary owns them, the libraries only say what
//! kind of thing went wrong. The README's exit code table lists the same.

use retake_core::Error;

/// `retake doctor` found a problem.
pub const DOCTOR_PROBLEM: i32 = 1;
/// A parameter (flag, job-file key) has a bad value.
pub const PARAMETER: i32 = 2;
/// Input media, a mask or a pass cannot be read or is not what it claims.
pub const INPUT: i32 = 3;
/// An output cannot be written.
pub const OUTPUT: i32 = 4;
/// A model, its manifest or ONNX Runtime is missing or does not match.
pub const MODEL: i32 = 5;
/// `provenance show`/`verify`: the file carries no Content Credentials
/// (unsigned, or its sidecar is missing).
pub const NO_CREDENTIALS: i32 = 6;
/// `provenance verify`: the Content Credentials do not verify (tampered
/// picture data, another file's manifest, a bad signature, a missing
/// ingredient).
pub const NOT_VERIFIED: i32 = 7;
/// A bug: reported in one line, never a panic trace.
pub const INTERNAL: i32 = 70;
/// Cancelled by SIGINT or a host abort (SIGTERM has its own, see signals).
pub const CANCELLED: i32 = 130;

/// The exit code for an error of the core or of a library that maps into it.
pub fn code(e: &Error) -> i32 {
    match e {
        Error::Input { .. } | Error::Range { .. } => INPUT,
        Error::Output { .. } => OUTPUT,
        Error::Parameter { .. } => PARAMETER,
        Error::Model { .. } => MODEL,
        Error::Cancelled => CANCELLED,
        Error::Internal(_) => INTERNAL,
    }
}
