//! Signing an output file through the same atomic path as every output:
//! the signed file (or sidecar) is written under a temporary name and
//! renamed into place, so a file is never left half-signed and a failure
//! keeps the unsigned output exactly as it was.

use std::fs::{File, OpenOptions};
use std::io::Write;

use c2pa::Signer;
use retake_core::atomic::AtomicPath;

use crate::carrier::Carrier;
use crate::error::{Error, Result};
use crate::manifest::{sha256_file, sign_bound_to, ManifestPlan, OutputFile};

/// Sign one output file: embed its manifest, or write its sidecar.
pub fn sign_output(plan: &ManifestPlan, out: &OutputFile, signer: &dyn Signer) -> Result<()> {
    let path = &out.path;
    let carrier = Carrier::of(path).ok_or_else(|| {
        Error::sign(
            path,
            "Retake cannot attach Content Credentials to this format",
        )
    })?;
    let sha256 = sha256_file(path)?;
    let mut builder = plan.builder(out, carrier.mime(), &sha256)?;
    let fail = |e: c2pa::Error| {
        Error::sign(
            path,
            format!("signing failed: {e}; the unsigned output is kept"),
        )
    };
    let mut source = File::open(path).map_err(|e| Error::read(path, e))?;
    match &carrier {
        Carrier::Embedded { mime } => {
            let target = atomic(path)?;
            let mut dest = create(&target)?;
            builder
                .sign(signer, mime, &mut source, &mut dest)
                .map_err(fail)?;
            finish(dest, target)
        }
        Carrier::Sidecar { path: sidecar, .. } => {
            let manifest = sign_bound_to(&mut builder, &mut source, signer).map_err(fail)?;
            let target = atomic(sidecar)?;
            let mut dest = create(&target)?;
            dest.write_all(&manifest)
                .map_err(|e| Error::sign(sidecar, e))?;
            finish(dest, target)
        }
    }
}

fn atomic(path: &std::path::Path) -> Result<AtomicPath> {
    AtomicPath::new(path).map_err(|e| Error::sign(path, problem(e)))
}

/// The problem alone of a core error that already names the file.
fn problem(e: retake_core::Error) -> String {
    match e {
        retake_core::Error::Output { problem, .. } => problem,
        other => other.to_string(),
    }
}

fn create(target: &AtomicPath) -> Result<File> {
    OpenOptions::new()
        .read(true)
        .write(true)
        .create_new(true)
        .open(target.temp())
        .map_err(|e| {
            Error::sign(
                target.final_path(),
                format!("cannot write {}: {e}", target.temp().display()),
            )
        })
}

/// Flush to disk, then rename into place.
fn finish(dest: File, target: AtomicPath) -> Result<()> {
    dest.sync_all()
        .map_err(|e| Error::sign(target.final_path(), e))?;
    drop(dest);
    let path = target.final_path().to_path_buf();
    target.commit().map_err(|e| Error::sign(path, problem(e)))
}
