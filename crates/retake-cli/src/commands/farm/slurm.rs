//! `retake farm slurm`: batch scripts for Slurm. The render is one array
//! job whose index is the chunk number (not the frame number: Slurm's
//! default `MaxArraySize` is 1001, below most shots' frame numbers), each
//! task writing its own log and exit code; a movie's assembly job waits on
//! it with `afterok`. `--submit` runs `sbatch`, `--wait` follows the jobs to
//! the end and exits with the failing chunk's own exit code.

use std::fmt::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use retake_core::{Error, Result};

use super::{absolute, write_file, Plan, Slots};
use crate::args::{FarmSlurmArgs, GlobalArgs};

/// Exit code when Slurm itself fails (sbatch missing, refused, a chunk
/// that never ran): the same as a failure to write the output.
const SLURM_FAILED: i32 = 4;

pub fn run(plan: &Plan, a: &FarmSlurmArgs, global: &GlobalArgs) -> Result<i32> {
    let dir = absolute(&a.output);
    let files = Files::new(&dir);
    write_file(&files.render, &render_script(plan, &files))?;
    set_executable(&files.render)?;
    if let Some(script) = assembly_script(plan, &files) {
        write_file(&files.assemble, &script)?;
        set_executable(&files.assemble)?;
    }
    std::fs::create_dir_all(&files.logs).map_err(|e| Error::output(&files.logs, e))?;
    std::fs::create_dir_all(&files.status).map_err(|e| Error::output(&files.status, e))?;
    let say = |text: String| {
        if !global.quiet {
            eprintln!("farm: {text}");
        }
    };
    say(format!(
        "wrote {} ({} chunks of up to {} frames){}",
        files.render.display(),
        plan.chunk_count(),
        plan.chunk_size,
        if plan.assembly.is_some() {
            format!(" and {}", files.assemble.display())
        } else {
            String::new()
        }
    ));
    if !a.submit {
        return Ok(0);
    }
    // A resubmission must not read the exit codes of an earlier one.
    clear_status(&files.status)?;
    let render_id = sbatch(&files.render, None)?;
    say(format!("submitted render job {render_id}"));
    let assemble_id = match plan.assembly {
        Some(_) => {
            let id = sbatch(&files.assemble, Some(&render_id))?;
            say(format!("submitted assembly job {id} (afterok:{render_id})"));
            Some(id)
        }
        None => None,
    };
    if !a.wait {
        return Ok(0);
    }
    wait_for(&render_id)?;
    if let Some(failure) = failed_chunk(plan, &files) {
        if let Some(id) = &assemble_id {
            // Its dependency can never be met; do not leave it queued.
            let _ = Command::new("scancel").arg(id).status();
        }
        eprintln!("retake: error: {}", failure.message);
        return Ok(failure.code);
    }
    if let Some(id) = assemble_id {
        wait_for(&id)?;
        let log = files.logs.join("assemble.log");
        match read_exit(&files.status.join("assemble.exit")) {
            Some(0) => {}
            code => {
                eprintln!(
                    "retake: error: the assembly job {id} failed; see {}",
                    log.display()
                );
                return Ok(code.unwrap_or(SLURM_FAILED));
            }
        }
    }
    say(format!("done: {}", plan.output));
    Ok(0)
}

/// Where the scripts put things.
struct Files {
    render: PathBuf,
    assemble: PathBuf,
    logs: PathBuf,
    status: PathBuf,
}

impl Files {
    fn new(dir: &Path) -> Files {
        Files {
            render: dir.join("render.sbatch"),
            assemble: dir.join("assemble.sbatch"),
            logs: dir.join("logs"),
            status: dir.join("status"),
        }
    }
}

/// POSIX shell quoting: the text as it is when nothing in it is special to
/// the shell, else inside single quotes, each `'` closed, escaped and
/// reopened.
pub fn sh(text: &str) -> String {
    let plain = |c: char| c.is_ascii_alphanumeric() || "_./:=@%+,-".contains(c);
    if !text.is_empty() && text.chars().all(plain) {
        return text.to_string();
    }
    format!("'{}'", text.replace('\'', r"'\''"))
}

fn sh_line(words: &[String]) -> String {
    words
        .iter()
        .map(|w| {
            // Shell variables this script sets are left unquoted-expandable.
            if w.starts_with("\"$") {
                w.clone()
            } else {
                sh(w)
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn render_script(plan: &Plan, files: &Files) -> String {
    let command = plan.render_command(&Slots {
        retake: &plan.retake,
        job: &plan.job,
        frames: "\"$first-$last\"",
        input: &plan.input,
        output: plan.chunk_output(),
        progress: Some("plain"),
    });
    let mut s = String::new();
    let _ = write!(
        s,
        r#"#!/bin/bash
# Written by `retake farm slurm`: one array task per chunk of {chunk} frames.
#SBATCH --job-name={name}
#SBATCH --array=0-{last_chunk}
#SBATCH --cpus-per-task=1
#SBATCH --requeue
#SBATCH --open-mode=append
#SBATCH --output={logs}/chunk-%a.log
chunk=$SLURM_ARRAY_TASK_ID
first=$(( {first} + chunk * {chunk} ))
last=$(( first + {chunk} - 1 ))
if [ "$last" -gt {last} ]; then last={last}; fi
echo "retake farm: chunk $chunk, frames $first-$last, on $(hostname), attempt $(( ${{SLURM_RESTART_COUNT:-0}} + 1 ))"
{command}
code=$?
echo "$code" > {status}/chunk-"$chunk".exit
exit "$code"
"#,
        chunk = plan.chunk_size,
        name = sh(&format!("retake-{}", plan.name)),
        last_chunk = plan.chunk_count() - 1,
        logs = files.logs.display(),
        first = plan.first,
        last = plan.last,
        command = sh_line(&command),
        status = sh(&files.status.to_string_lossy()),
    );
    s
}

fn assembly_script(plan: &Plan, files: &Files) -> Option<String> {
    let frames = plan.chunk_output();
    let command = plan.assembly_command(&plan.retake, frames, &plan.output, &plan.input)?;
    Some(format!(
        r#"#!/bin/bash
# Written by `retake farm slurm`: encodes the chunks' frames into the movie
# once every chunk succeeded (submitted with --dependency=afterok).
#SBATCH --job-name={name}
#SBATCH --cpus-per-task=1
#SBATCH --kill-on-invalid-dep=yes
#SBATCH --output={log}
{command}
code=$?
echo "$code" > {status}/assemble.exit
exit "$code"
"#,
        name = sh(&format!("retake-{}-assemble", plan.name)),
        log = files.logs.join("assemble.log").display(),
        command = sh_line(&command),
        status = sh(&files.status.to_string_lossy()),
    ))
}

fn set_executable(path: &Path) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755))
        .map_err(|e| Error::output(path, e))
}

fn clear_status(dir: &Path) -> Result<()> {
    let entries = std::fs::read_dir(dir).map_err(|e| Error::output(dir, e))?;
    for e in entries.filter_map(|e| e.ok()) {
        if e.file_name().to_string_lossy().ends_with(".exit") {
            std::fs::remove_file(e.path()).map_err(|err| Error::output(e.path(), err))?;
        }
    }
    Ok(())
}

/// Submit a script; returns the job id.
fn sbatch(script: &Path, after: Option<&str>) -> Result<String> {
    let mut cmd = Command::new("sbatch");
    cmd.arg("--parsable");
    if let Some(id) = after {
        cmd.arg(format!("--dependency=afterok:{id}"));
    }
    let out = cmd.arg(script).output().map_err(|e| {
        Error::output(
            script,
            format!(
                "cannot run sbatch ({e}); is this a Slurm submit host with slurm-client installed?"
            ),
        )
    })?;
    let text = String::from_utf8_lossy(&out.stdout);
    // `--parsable` prints `id` or `id;cluster`.
    let id = text.trim().split(';').next().unwrap_or("").to_string();
    if !out.status.success() || id.is_empty() {
        return Err(Error::output(
            script,
            format!(
                "sbatch refused the script: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            ),
        ));
    }
    Ok(id)
}

/// Poll `squeue` until the job (every task of an array) has left the
/// queue. Works without Slurm accounting.
fn wait_for(id: &str) -> Result<()> {
    loop {
        let out = Command::new("squeue")
            .args(["-h", "-o", "%i", "-j", id])
            .output()
            .map_err(|e| Error::Internal(format!("cannot run squeue: {e}")))?;
        let listed = String::from_utf8_lossy(&out.stdout);
        // An ended job is either absent from the listing or, once purged
        // from the controller, an invalid id.
        if listed.trim().is_empty() {
            return Ok(());
        }
        std::thread::sleep(Duration::from_secs(1));
    }
}

fn read_exit(path: &Path) -> Option<i32> {
    std::fs::read_to_string(path).ok()?.trim().parse().ok()
}

struct Failure {
    code: i32,
    message: String,
}

/// The first chunk that failed or never reported, with its log.
fn failed_chunk(plan: &Plan, files: &Files) -> Option<Failure> {
    (0..plan.chunk_count()).find_map(|chunk| {
        let log = files.logs.join(format!("chunk-{chunk}.log"));
        let first = plan.first + (chunk * plan.chunk_size) as i64;
        let last = (first + plan.chunk_size as i64 - 1).min(plan.last);
        match read_exit(&files.status.join(format!("chunk-{chunk}.exit"))) {
            Some(0) => None,
            Some(code) => Some(Failure {
                code,
                message: format!(
                    "chunk {chunk} (frames {first}-{last}) failed with exit code {code}; see {}",
                    log.display()
                ),
            }),
            None => Some(Failure {
                code: SLURM_FAILED,
                message: format!(
                    "chunk {chunk} (frames {first}-{last}) ended without an exit code \
                     (cancelled, timed out or killed by Slurm); see {}",
                    log.display()
                ),
            }),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::sh;

    #[test]
    fn shell_quoting_survives_quotes_and_spaces() {
        assert_eq!(sh("a b"), "'a b'");
        assert_eq!(sh("/shots/a.mov"), "/shots/a.mov");
        assert_eq!(sh("m.####.exr"), "'m.####.exr'");
        assert_eq!(sh("it's"), r"'it'\''s'");
    }
}
