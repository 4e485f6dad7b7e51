//! `retake run JOB.toml`: a job file names an operation, its `[io]` and its
//! parameters, with exactly the keys the command's flags have, and runs
//! through the same code as the command.
//!
//! ```toml
//! operation = "mask"
//! [io]
//! input = "plates/shot.mov"          # relative to the job file
//! output = "mattes/shot.####.exr"
//! codec = "exr-half"
//! frames = "1001-1100"
//! [mask]
//! threshold = 0.45
//! ```

use std::path::Path;

use retake_core::{Error, Result};
use retake_media::{BitDepth, Codec};
use retake_ops::mask::MaskParams;
use retake_ops::remove::RemoveParams;
use retake_ops3d::reangle::ReangleParams;
use retake_ops3d::relight::RelightParams;
use serde::Deserialize;

use crate::args::{
    ConvertArgs, ConvertParams, GlobalArgs, IoArgs, MaskArgs, ReangleArgs, ReangleInputs,
    RelightArgs, RelightInputs, RemoveArgs, RunArgs,
};
use crate::table_args::TableArgs;

#[derive(Debug, PartialEq, Deserialize)]
#[serde(rename_all = "lowercase")]
enum Operation {
    Mask,
    Remove,
    Relight,
    Reangle,
    Convert,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Job {
    operation: Operation,
    io: IoArgs,
    mask: Option<MaskParams>,
    remove: Option<RemoveParams>,
    relight: Option<RelightParams>,
    /// Files that shape relighting (`mask`, `depth`, `normals`).
    inputs: Option<RelightInputs>,
    convert: Option<ConvertParams>,
    reangle: Option<ReangleParams>,
    /// Files that shape reangle (`mask`, `depth`, `passes`).
    #[serde(rename = "reangle-inputs")]
    reangle_inputs: Option<ReangleInputs>,
}

/// Paths in a job file are relative to the job file, so a job can move with
/// its shot folder.
fn resolve(base: &Path, path: &str) -> String {
    let p = Path::new(path);
    if p.is_absolute() {
        path.to_string()
    } else {
        base.join(p).to_string_lossy().into_owned()
    }
}

/// A mask path, or each file of a keyframe list, resolved as [`resolve`].
fn resolve_mask(base: &Path, mask: &str) -> String {
    if retake_ops::track::is_keyframe_list(mask) {
        super::keyframes::resolve_paths(mask, |p| resolve(base, p))
    } else {
        resolve(base, mask)
    }
}

fn load(path: &Path) -> Result<Job> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::input(path, e))?;
    let job: Job =
        toml::from_str(&text).map_err(|e| Error::input(path, format!("invalid job file: {e}")))?;
    let tables = [
        (Operation::Mask, job.mask.is_some(), "[mask]"),
        (Operation::Remove, job.remove.is_some(), "[remove]"),
        (Operation::Relight, job.relight.is_some(), "[relight]"),
        (Operation::Relight, job.inputs.is_some(), "[inputs]"),
        (Operation::Convert, job.convert.is_some(), "[convert]"),
        (Operation::Reangle, job.reangle.is_some(), "[reangle]"),
        (
            Operation::Reangle,
            job.reangle_inputs.is_some(),
            "[reangle-inputs]",
        ),
    ];
    let misplaced = tables
        .iter()
        .find(|(op, present, _)| *present && *op != job.operation)
        .map(|(_, _, table)| *table);
    if let Some(table) = misplaced {
        return Err(Error::input(
            path,
            format!(
                "{table} does not belong to operation `{:?}`; remove it or change `operation`",
                job.operation
            )
            .to_lowercase(),
        ));
    }
    Ok(job)
}

/// The job's `[io]` with its paths resolved against the job file's folder.
fn resolved_io(job: &Job, base: &Path) -> IoArgs {
    let mut io = job.io.clone();
    io.input = resolve(base, &io.input);
    io.output = resolve(base, &io.output);
    io.media_from = io.media_from.map(|m| resolve(base, &m));
    io.ocio = io.ocio.map(|c| resolve(base, &c));
    io.sign_cert = io.sign_cert.map(|c| resolve(base, &c));
    io.sign_key = io.sign_key.map(|k| resolve(base, &k));
    io
}

/// What a farm engine needs of a job file to cut it into chunks: its
/// `[io]`, paths resolved as `retake run` resolves them.
pub fn job_io(path: &Path) -> Result<IoArgs> {
    let job = load(path)?;
    Ok(resolved_io(
        &job,
        path.parent().unwrap_or_else(|| Path::new(".")),
    ))
}

/// A job's `bit-depth` belongs to its own codec: when `--codec` replaces
/// that by one with another fixed depth (a farm's chunks write float EXR;
/// the assembly step passes the depth on), the depth is dropped.
fn drop_depth_the_codec_cannot_write(io: &mut IoArgs) {
    let codec = io.codec.as_deref().and_then(|c| c.parse::<Codec>().ok());
    let depth = io
        .bit_depth
        .as_deref()
        .and_then(|d| d.parse::<BitDepth>().ok());
    if let (Some(codec), Some(depth)) = (codec, depth) {
        if depth.check(codec).is_err() {
            io.bit_depth = None;
        }
    }
}

pub fn run(a: &RunArgs, global: &GlobalArgs) -> Result<i32> {
    let job = load(&a.job)?;
    let base = a.job.parent().unwrap_or_else(|| Path::new("."));
    let mut io = resolved_io(&job, base);
    if let Some(input) = &a.input {
        io.input = input.clone();
    }
    if let Some(output) = &a.output {
        io.output = output.clone();
    }
    if a.codec.is_some() {
        io.codec = a.codec.clone();
        drop_depth_the_codec_cannot_write(&mut io);
    }
    if a.frames.is_some() {
        io.frames = a.frames.clone();
    }
    io.overwrite |= a.overwrite;
    io.resume |= a.resume;
    match job.operation {
        Operation::Mask => super::mask::run(
            &MaskArgs {
                io,
                params: TableArgs(job.mask.unwrap_or_default()),
            },
            global,
        ),
        Operation::Remove => {
            let mut params = job.remove.ok_or_else(|| {
                Error::input(
                    &a.job,
                    "operation `remove` needs a [remove] table with at least `mask`",
                )
            })?;
            if !params.auto_mask() {
                params.mask = resolve_mask(base, &params.mask);
            }
            params.map_reference_paths(|p| resolve(base, p));
            let params = TableArgs(params);
            super::remove::run(&RemoveArgs { io, params }, global)
        }
        Operation::Relight => {
            let mut inputs = job.inputs.unwrap_or_default();
            inputs.mask = inputs.mask.map(|m| {
                if m == "auto" {
                    m
                } else {
                    resolve_mask(base, &m)
                }
            });
            inputs.depth = inputs.depth.map(|d| resolve(base, &d));
            inputs.normals = inputs.normals.map(|n| resolve(base, &n));
            inputs.passes = inputs.passes.map(|p| resolve(base, &p));
            let args = RelightArgs {
                io,
                inputs,
                params: TableArgs(job.relight.unwrap_or_default()),
            };
            super::relight::run(&args, global)
        }
        Operation::Reangle => {
            let mut inputs = job.reangle_inputs.unwrap_or_default();
            inputs.mask = inputs.mask.map(|m| {
                if m == "auto" {
                    m
                } else {
                    resolve_mask(base, &m)
                }
            });
            inputs.depth = inputs.depth.map(|d| resolve(base, &d));
            inputs.passes = inputs.passes.map(|p| resolve(base, &p));
            let args = ReangleArgs {
                io,
                inputs,
                params: TableArgs(job.reangle.unwrap_or_default()),
            };
            super::reangle::run(&args, global)
        }
        Operation::Convert => {
            let mut params = job.convert.unwrap_or_default();
            params.alpha = params.alpha.map(|m| resolve(base, &m));
            super::convert::run_in_job(&ConvertArgs { io, params }, global)
        }
    }
}
