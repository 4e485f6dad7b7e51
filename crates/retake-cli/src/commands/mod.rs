//! One module per command; `run` dispatches.

mod convert;
mod doctor;
mod mask;
mod models;
mod probe;

use std::path::Path;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use retake_core::pipeline::{self, Operation, PipelineOptions, RunStats};
use retake_core::{ClipInfo, Error, FrameRange, Result, Transfer};
use retake_media::{Codec, SinkOptions, SourceOptions};

use crate::args::{Cli, Command, GlobalArgs, IoArgs};
use crate::progress::Reporter;

/// Run the chosen command; the returned code is the process exit code.
pub fn run(cli: &Cli) -> Result<i32> {
    match &cli.command {
        Command::Probe(a) => probe::run(a),
        Command::Doctor => doctor::run(&cli.global),
        Command::Models(c) => models::run(c, &cli.global),
        Command::Mask(a) => mask::run(a, &cli.global),
        Command::Convert(a) => convert::run(a, &cli.global),
    }
}

fn parse_transfer(name: &str, flag: &str) -> Result<Transfer> {
    Transfer::parse(name).ok_or_else(|| {
        Error::parameter(
            flag,
            format!("unknown transfer `{name}`; use linear, srgb, bt709, bt1886 or gamma22"),
        )
    })
}

/// What a command writes, decided before the first frame is read.
pub struct OutputPlan {
    /// Facts the output keeps from the input (and alpha, when it gains one).
    pub info: ClipInfo,
    /// Force a transfer curve (masks are data, written linear).
    pub transfer: Option<Transfer>,
}

/// The shared body of every frame operation: open the input, check the
/// output, run `op` through the pipeline, publish the output atomically.
pub fn run_operation<O: Operation>(
    label: &str,
    io: &IoArgs,
    global: &GlobalArgs,
    op: &O,
    plan: impl FnOnce(&ClipInfo) -> OutputPlan,
) -> Result<RunStats> {
    let source_opts = SourceOptions {
        transfer: io
            .input_transfer
            .as_deref()
            .map(|t| parse_transfer(t, "input-transfer"))
            .transpose()?,
    };
    let frames = io.frames.as_deref().map(FrameRange::parse).transpose()?;
    let codec = io
        .codec
        .as_deref()
        .map(|c| c.parse::<Codec>())
        .transpose()?;
    let out_transfer = io
        .output_transfer
        .as_deref()
        .map(|t| parse_transfer(t, "output-transfer"))
        .transpose()?;
    check_output(&io.output, io.overwrite)?;
    let mut source = retake_media::open_source(&io.input, &source_opts)?;
    let plan = plan(source.info());
    let sink = retake_media::create_sink(
        &io.output,
        &plan.info,
        &SinkOptions {
            codec,
            transfer: plan.transfer.or(out_transfer),
            crf: io.crf,
            threads: 0,
        },
    )?;
    let reporter = Reporter::new(label, global.quiet);
    let progress = |p| reporter.update(p);
    let cancel = Arc::new(AtomicBool::new(false));
    let opts = PipelineOptions {
        workers: crate::context::threads(global),
        frames,
        progress: Some(&progress),
        cancel: Some(cancel),
    };
    let stats = pipeline::run(source.as_mut(), op, sink, &opts)?;
    reporter.done(stats.frames_written, &io.output);
    Ok(stats)
}

/// Refuse to replace an existing output unless asked: a farm re-run must
/// not silently clobber a delivered file.
fn check_output(output: &str, overwrite: bool) -> Result<()> {
    if retake_media::is_sequence_pattern(output) {
        return Ok(());
    }
    let p = Path::new(output);
    if p.exists() && !overwrite {
        return Err(Error::output(
            p,
            "already exists; pass --overwrite (-y) to replace it",
        ));
    }
    Ok(())
}
