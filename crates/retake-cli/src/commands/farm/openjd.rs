//! `retake farm openjd`: an Open Job Description template
//! (`jobtemplate-2023-09`, the job format of AWS Deadline Cloud and of the
//! `openjd` reference tools). The frame range is a `CHUNK[INT]` task
//! parameter (the `TASK_CHUNKING` extension) with contiguous chunks, so one
//! task renders `--frames A-B`; the job's values are the parameters'
//! defaults, so `openjd run TEMPLATE` renders the whole job as it is.

use std::fmt::Write;
use std::path::Path;

use std::path::{Component, PathBuf};

use retake_core::{Error, Result};

use super::{absolute, write_file, Plan, Slots};
use crate::args::GlobalArgs;

pub fn run(plan: &Plan, output: &Path, global: &GlobalArgs) -> Result<i32> {
    let output = absolute(output);
    let folder = output.parent().unwrap_or_else(|| Path::new("/"));
    std::fs::create_dir_all(folder).map_err(|e| Error::output(&output, e))?;
    let folder = std::fs::canonicalize(folder).map_err(|e| Error::output(&output, e))?;
    write_file(&output, &template(plan, &folder))?;
    if !global.quiet {
        eprintln!(
            "farm: wrote {} ({} frames in {} chunks of up to {}); check it with `openjd check`, \
             render it with `openjd run` or submit it to Deadline Cloud",
            output.display(),
            plan.last - plan.first + 1,
            plan.chunk_count(),
            plan.chunk_size
        );
    }
    Ok(0)
}

/// A YAML scalar: a JSON string is a valid YAML double-quoted scalar, so
/// any path (spaces, quotes, colons) survives.
fn q(text: &str) -> String {
    serde_json::Value::String(text.to_string()).to_string()
}

fn list(items: &[String]) -> String {
    let quoted: Vec<String> = items.iter().map(|s| q(s)).collect();
    format!("[{}]", quoted.join(", "))
}

/// `path` relative to `base` (both absolute): OpenJD joins a PATH
/// parameter's default to the template's folder, so the template and the
/// shot can move together.
fn relative_to(path: &str, base: &Path) -> String {
    let path = normalize(&absolute(Path::new(path)));
    let base = normalize(base);
    let (p, b): (Vec<_>, Vec<_>) = (path.components().collect(), base.components().collect());
    let common = p.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let mut rel = PathBuf::new();
    for _ in common..b.len() {
        rel.push("..");
    }
    for c in &p[common..] {
        rel.push(c);
    }
    if rel.as_os_str().is_empty() {
        ".".to_string()
    } else {
        rel.to_string_lossy().into_owned()
    }
}

/// `a/b/../c` -> `a/c`, without touching the disk (outputs need not exist).
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

/// The template's text; `folder` is where it is written.
pub fn template(plan: &Plan, folder: &Path) -> String {
    let rel = |p: &str| q(&relative_to(p, folder));
    let mut t = String::new();
    let _ = writeln!(
        t,
        "# Open Job Description template written by `retake farm openjd`.\n\
         # Defaults are the job's values; override any with `-p Name=value`.\n\
         specificationVersion: jobtemplate-2023-09\n\
         extensions: [TASK_CHUNKING]\n\
         name: {}",
        q(&format!("retake {}", plan.name))
    );
    t.push_str("parameterDefinitions:\n");
    let mut param = |name: &str, kind: &str, extra: &str, description: &str, default: &str| {
        let _ = writeln!(
            t,
            "- name: {name}\n  type: {kind}\n{extra}  description: {}\n  default: {default}",
            q(description)
        );
    };
    param(
        "RetakeExecutable",
        "STRING",
        "",
        "The retake executable on the workers.",
        &q(&plan.retake),
    );
    param(
        "JobFile",
        "PATH",
        "  objectType: FILE\n  dataFlow: IN\n",
        "The Retake job file (TOML).",
        &rel(&plan.job),
    );
    param(
        "Input",
        "PATH",
        "  dataFlow: IN\n",
        "The shot: a video or an image-sequence pattern.",
        &rel(&plan.input),
    );
    param(
        "Output",
        "PATH",
        "  dataFlow: OUT\n",
        "What the job delivers: a movie or an image-sequence pattern.",
        &rel(&plan.output),
    );
    if let Some(a) = &plan.assembly {
        param(
            "FrameSequence",
            "PATH",
            "  dataFlow: OUT\n",
            "The float EXR sequence the chunks render before the movie is encoded.",
            &rel(&a.frames),
        );
    }
    param(
        "Frames",
        "STRING",
        "",
        "The frames to render, first-last.",
        &q(&plan.range()),
    );
    param(
        "ChunkSize",
        "INT",
        "  minValue: 1\n",
        "Frames per task.",
        &plan.chunk_size.to_string(),
    );

    let chunk_output = if plan.assembly.is_some() {
        "{{Param.FrameSequence}}"
    } else {
        "{{Param.Output}}"
    };
    let render = plan.render_command(&Slots {
        retake: "{{Param.RetakeExecutable}}",
        job: "{{Param.JobFile}}",
        frames: "{{Task.Param.Frame}}",
        input: "{{Param.Input}}",
        output: chunk_output,
        // `auto` prints OpenJD progress lines inside a session.
        progress: None,
    });
    t.push_str("steps:\n");
    let _ = writeln!(
        t,
        "- name: Render\n  \
           parameterSpace:\n    \
             taskParameterDefinitions:\n    \
             - name: Frame\n      \
               type: CHUNK[INT]\n      \
               range: \"{{{{Param.Frames}}}}\"\n      \
               chunks:\n        \
                 defaultTaskCount: \"{{{{Param.ChunkSize}}}}\"\n        \
                 rangeConstraint: CONTIGUOUS\n  \
           script:\n    \
             actions:\n      \
               onRun:\n        \
                 command: {}\n        \
                 args: {}",
        q(&render[0]),
        list(&render[1..])
    );
    if let Some(assemble) = plan.assembly_command(
        "{{Param.RetakeExecutable}}",
        "{{Param.FrameSequence}}",
        "{{Param.Output}}",
        "{{Param.Input}}",
    ) {
        let _ = writeln!(
            t,
            "- name: Assemble\n  \
               dependencies:\n  \
               - dependsOn: Render\n  \
               script:\n    \
                 actions:\n      \
                   onRun:\n        \
                     command: {}\n        \
                     args: {}",
            q(&assemble[0]),
            list(&assemble[1..])
        );
    }
    t
}

#[cfg(test)]
mod tests {
    use super::relative_to;
    use std::path::Path;

    #[test]
    fn defaults_are_relative_to_the_template() {
        let base = Path::new("/shots/sh010/farm");
        assert_eq!(relative_to("/shots/sh010/job.toml", base), "../job.toml");
        assert_eq!(
            relative_to("/shots/sh010/farm/../out/m.####.exr", base),
            "../out/m.####.exr"
        );
        assert_eq!(relative_to("/shots/sh010/farm/x.mov", base), "x.mov");
    }
}
