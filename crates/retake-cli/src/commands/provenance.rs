//! Content Credentials in the CLI: signing what a run wrote (when an
//! identity is configured), and `retake provenance keygen|show|verify`.

use std::path::{Path, PathBuf};

use retake_c2pa::{Identity, InputFiles, ManifestPlan, Outcome, OutputFile};
use retake_core::{ClipInfo, Error, FrameRange, Result};
use retake_media::sequence::Pattern;
use retake_model::provenance::Provenance;

use crate::args::{IoArgs, ProvenanceCommand};
use crate::exit;

pub fn run(c: &ProvenanceCommand) -> Result<i32> {
    match c {
        ProvenanceCommand::Keygen { dir, overwrite } => keygen(dir, *overwrite),
        ProvenanceCommand::Show { output } => show(output),
        ProvenanceCommand::Verify { output } => verify(output),
    }
}

/// The signing identity for a run, checked before anything is rendered.
pub fn signing_identity(io: &IoArgs) -> Result<Option<Identity>> {
    Ok(Identity::configured(
        io.sign_cert.as_deref(),
        io.sign_key.as_deref(),
    )?)
}

/// Once the output is written: sign every file this run wrote, or, with
/// no identity, say once that the output goes without Content
/// Credentials. A signing failure leaves the unsigned files as they were
/// and names the file (exit 4).
pub fn sign_outputs(
    identity: Option<&Identity>,
    record: &Provenance,
    outputs: impl FnOnce() -> Result<Vec<OutputFile>>,
) -> Result<()> {
    let Some(identity) = identity else {
        log::warn!(
            "no signing identity ({} and {} unset): {} has no Content Credentials, only the \
             unsigned provenance sidecar (.retake.json)",
            retake_c2pa::CERT_VAR,
            retake_c2pa::KEY_VAR,
            record.output,
        );
        return Ok(());
    };
    let outputs = outputs()?;
    let plan = ManifestPlan::new(record, &input_files(record))?;
    let signer = identity.signer()?;
    for out in &outputs {
        retake_c2pa::sign_output(&plan, out, signer.as_ref())?;
    }
    log::info!(
        "signed Content Credentials into {} file{}",
        outputs.len(),
        if outputs.len() == 1 { "" } else { "s" }
    );
    Ok(())
}

/// The files of a run's output: the movie or image itself, or the frames
/// of the sequence that this run renders (`range` within the clip).
pub fn written_files(
    output: &str,
    clip: &ClipInfo,
    range: Option<&FrameRange>,
) -> Result<Vec<OutputFile>> {
    let Some(pattern) = Pattern::parse(output) else {
        return Ok(vec![OutputFile {
            path: PathBuf::from(output),
            frame: None,
        }]);
    };
    let wanted = super::in_render_range(clip, range);
    Ok(pattern
        .present()?
        .into_iter()
        .filter(|&f| wanted(f))
        .map(|f| OutputFile {
            path: pattern.path_for(f),
            frame: Some(f),
        })
        .collect())
}

/// Each input the record names, as its files (a sequence's frames; none
/// for an input that is not a file, which is then named but not hashed).
fn input_files(record: &Provenance) -> Vec<InputFiles> {
    record
        .inputs
        .iter()
        .map(|i| InputFiles {
            role: i.role.clone(),
            path: i.path.clone(),
            files: files_of(&i.path).unwrap_or_default(),
        })
        .collect()
}

/// A file, or the frames of a sequence pattern in order.
fn files_of(path: &str) -> Result<Vec<PathBuf>> {
    match Pattern::parse(path) {
        Some(p) => Ok(p.present()?.into_iter().map(|f| p.path_for(f)).collect()),
        None if Path::new(path).is_file() => Ok(vec![PathBuf::from(path)]),
        None => Err(Error::input(path, "no such file")),
    }
}

fn keygen(dir: &Path, overwrite: bool) -> Result<i32> {
    let ids = retake_c2pa::make_test_identity(dir, overwrite)?;
    println!(
        "wrote a TEST signing identity (untrusted by every validator; for trying Content \
         Credentials, not for delivery):\n  certificate chain: {}\n  private key: {}\n  test CA: {}\n\
         sign with it:\n  export {}={} {}={}",
        ids.cert.display(),
        ids.key.display(),
        ids.ca.display(),
        retake_c2pa::CERT_VAR,
        ids.cert.display(),
        retake_c2pa::KEY_VAR,
        ids.key.display(),
    );
    Ok(0)
}

fn show(output: &str) -> Result<i32> {
    let mut code = 0;
    for file in files_of(output)? {
        match retake_c2pa::read(&file)? {
            Outcome::Present(v) => print!("{}", v.describe()),
            Outcome::Absent { file, why } => {
                println!("{}: no Content Credentials: {why}", file.display());
                code = exit::NO_CREDENTIALS;
            }
        }
    }
    Ok(code)
}

fn verify(output: &str) -> Result<i32> {
    let files = files_of(output)?;
    if files.is_empty() {
        return Err(Error::input(
            output,
            "no frames of this sequence are on disk",
        ));
    }
    let (mut absent, mut failed) = (0, 0);
    for file in &files {
        match retake_c2pa::read(file)? {
            Outcome::Present(v) => {
                let problems = v.problems();
                if problems.is_empty() {
                    let trust = if v.untrusted {
                        " (signer not on a trust list)"
                    } else {
                        ""
                    };
                    println!("{}: verified{trust}", file.display());
                } else {
                    failed += 1;
                    for p in problems {
                        println!("{p}");
                    }
                }
            }
            Outcome::Absent { file, why } => {
                absent += 1;
                println!("{}: no Content Credentials: {why}", file.display());
            }
        }
    }
    if failed > 0 {
        eprintln!("retake: {failed} of {} file(s) do not verify", files.len());
        return Ok(exit::NOT_VERIFIED);
    }
    if absent > 0 {
        eprintln!(
            "retake: {absent} of {} file(s) carry no Content Credentials",
            files.len()
        );
        return Ok(exit::NO_CREDENTIALS);
    }
    Ok(0)
}
