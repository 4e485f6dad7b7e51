//! `retake farm deadline|opencue`: the command lines to give managers that
//! substitute a chunk's first and last frame into a command (Deadline 10's
//! `<STARTFRAME>`/`<ENDFRAME>`, OpenCue's `#FRAME_START#`/`#FRAME_END#`).
//! Printed, not submitted: studios submit through their own tools.

use retake_core::Result;

use super::slurm::sh;
use super::{Plan, Slots};

pub fn print(text: &str) -> Result<i32> {
    print!("{text}");
    Ok(0)
}

fn words(cmd: &[String]) -> String {
    cmd.iter().map(|w| sh(w)).collect::<Vec<_>>().join(" ")
}

/// Deadline splits a command-line job's arguments as .NET does: words
/// with spaces or quotes go in double quotes, `"` escaped as `\"`.
fn dotnet_words(cmd: &[String]) -> String {
    cmd.iter()
        .map(|w| {
            if w.is_empty() || w.contains(|c: char| c.is_whitespace() || c == '"') {
                format!("\"{}\"", w.replace('"', "\\\""))
            } else {
                w.clone()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// The chunk command with a manager's frame tokens.
fn render(plan: &Plan, frames: &str, progress: &str) -> Vec<String> {
    plan.render_command(&Slots {
        retake: &plan.retake,
        job: &plan.job,
        frames,
        input: &plan.input,
        output: plan.chunk_output(),
        progress: Some(progress),
    })
}

/// The movie's assembly as one shell line, for a movie job.
fn assembly(plan: &Plan) -> Option<String> {
    plan.assembly_command(&plan.retake, plan.chunk_output(), &plan.output, &plan.input)
        .map(|c| words(&c))
}

/// A Deadline 10 command-line job: `deadlinecommand -SubmitCommandLineJob`
/// with the frame tokens in the arguments; `--progress percent` prints the
/// `Progress: N%` lines a Deadline progress handler matches.
pub fn deadline(plan: &Plan) -> String {
    let render = render(plan, "<STARTFRAME>-<ENDFRAME>", "percent");
    let mut out = format!(
        "# Deadline 10: one command-line job, {chunks} tasks of up to {size} frames.\n\
         deadlinecommand -SubmitCommandLineJob -name {name} -frames {range} -chunksize {size} \
         -executable {exe} -arguments {args}\n",
        chunks = plan.chunk_count(),
        size = plan.chunk_size,
        name = sh(&format!("retake {}", plan.name)),
        range = plan.range(),
        exe = sh(&render[0]),
        args = sh(&dotnet_words(&render[1..])),
    );
    if let Some(assemble) = assembly(plan) {
        out.push_str(&format!(
            "# Then, as a second job that depends on the first (runs once every task succeeded):\n{assemble}\n"
        ));
    }
    out
}

/// An OpenCue layer: the command with `#FRAME_START#-#FRAME_END#`, the
/// frame range and the chunk size to give the layer (CueSubmit's shell
/// layer, or `outline`'s `Shell` layer with `chunk=`).
pub fn opencue(plan: &Plan) -> String {
    let render = words(&render(plan, "#FRAME_START#-#FRAME_END#", "plain"));
    let mut out = format!(
        "# OpenCue: one layer, frames {range}, chunk size {size} ({chunks} tasks).\n\
         # Layer command:\n{render}\n",
        range = plan.range(),
        size = plan.chunk_size,
        chunks = plan.chunk_count(),
    );
    if let Some(assemble) = assembly(plan) {
        out.push_str(&format!(
            "# Then a second layer of one frame, depending on the first (layer-on-layer):\n{assemble}\n"
        ));
    }
    out
}
