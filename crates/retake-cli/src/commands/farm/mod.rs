//! `retake farm`: hand a job file to the engines studios already run. Every
//! engine gets the same plan: contiguous chunks of the job's frame range,
//! each rendered by `retake run JOB --frames A-B --resume` into a frame
//! sequence (chunks are identical to a whole render because neighbours are
//! read as context), and for a movie output one assembly step after all
//! chunks. Only the way the engine is told differs.

mod openjd;
mod recipes;
mod slurm;

use std::path::{Path, PathBuf};

use retake_core::{Error, FrameRange, Result};
use retake_media::sequence::Pattern;

use crate::args::{FarmCommand, FarmJobArgs, GlobalArgs};

pub fn run(cmd: &FarmCommand, global: &GlobalArgs) -> Result<i32> {
    match cmd {
        FarmCommand::Openjd(a) => openjd::run(&Plan::new(&a.job)?, &a.output, global),
        FarmCommand::Slurm(a) => slurm::run(&Plan::new(&a.job)?, a, global),
        FarmCommand::Deadline(a) => recipes::print(&recipes::deadline(&Plan::new(a)?)),
        FarmCommand::Opencue(a) => recipes::print(&recipes::opencue(&Plan::new(a)?)),
    }
}

/// A job cut into chunks, with everything a farm engine must be told.
#[derive(Debug)]
pub struct Plan {
    /// The job file, absolute: workers start in folders of their own.
    pub job: String,
    /// A short name for the farm's job list (the job file's stem).
    pub name: String,
    /// The executable the workers run.
    pub retake: String,
    pub input: String,
    /// What the job delivers (a sequence, or a movie).
    pub output: String,
    pub first: i64,
    pub last: i64,
    pub chunk_size: u64,
    /// For a movie output: how the chunks' sequence becomes the movie.
    pub assembly: Option<Assembly>,
}

/// A movie job renders a float EXR sequence in chunks (a movie cannot be
/// written by several processes), then one step encodes it.
#[derive(Debug)]
pub struct Assembly {
    /// The sequence the chunks write, beside the movie.
    pub frames: String,
    /// The job's codec (`None`: chosen from the movie's name, as a whole
    /// render chooses it, so alpha still selects ProRes 4444).
    pub codec: Option<String>,
    pub crf: Option<u32>,
    /// The depth a whole render would write (`--bit-depth`): the job's,
    /// or an FFV1 movie's source depth, which the float EXR chunks lose.
    pub bit_depth: Option<String>,
    /// The job's `--fps`, which a whole render would encode at; without it
    /// the movie takes the shot's rate through `--media-from`.
    pub fps: Option<String>,
    /// The curve the whole render would encode with: the job's, or the
    /// input's (the EXR sequence itself is linear).
    pub transfer: String,
}

/// The codec of the intermediate sequence: float keeps the rendered values
/// exactly, so the movie equals a whole render's.
const FRAMES_CODEC: &str = "exr-float";

impl Plan {
    pub fn new(a: &FarmJobArgs) -> Result<Plan> {
        let job = std::fs::canonicalize(&a.job).map_err(|e| Error::input(&a.job, e))?;
        let io = super::run::job_io(&job)?;
        let (first, last) = frame_span(&io.frames, &io.input, &job)?;
        let retake = match &a.retake {
            Some(r) => r.clone(),
            None => std::env::current_exe()
                .map_err(|e| Error::Internal(format!("cannot find this executable: {e}")))?
                .to_string_lossy()
                .into_owned(),
        };
        let assembly = match Pattern::parse(&io.output) {
            Some(_) => None,
            None => Some(Assembly {
                frames: frames_beside(&io.output),
                codec: io.codec.clone(),
                crf: io.crf,
                bit_depth: assembly_bit_depth(&io)?,
                fps: io.fps.clone(),
                transfer: match &io.output_transfer {
                    Some(t) => t.clone(),
                    None => retake_media::probe(&io.input)?
                        .colour
                        .transfer
                        .name()
                        .to_string(),
                },
            }),
        };
        Ok(Plan {
            name: file_stem(&job),
            job: job.to_string_lossy().into_owned(),
            retake,
            input: io.input,
            output: io.output,
            first,
            last,
            chunk_size: a.chunk_size,
            assembly,
        })
    }

    /// The frame range as `retake --frames` and OpenJD ranges write it.
    pub fn range(&self) -> String {
        format!("{}-{}", self.first, self.last)
    }

    /// Number of chunks (farm tasks).
    pub fn chunk_count(&self) -> u64 {
        let frames = (self.last - self.first + 1) as u64;
        frames.div_ceil(self.chunk_size)
    }

    /// The sequence the chunks write: the job's own, or the intermediate.
    pub fn chunk_output(&self) -> &str {
        self.assembly.as_ref().map_or(&self.output, |a| &a.frames)
    }

    /// One chunk's command. `slots` are literal values or the engine's
    /// placeholders (`{{Task.Param.Frame}}`, `<STARTFRAME>-<ENDFRAME>`).
    /// `--resume` makes a retried or requeued chunk keep the frames it
    /// finished and never replace another's.
    pub fn render_command(&self, slots: &Slots<'_>) -> Vec<String> {
        let mut cmd: Vec<String> = [
            slots.retake,
            "run",
            slots.job,
            "--frames",
            slots.frames,
            "--resume",
            "--input",
            slots.input,
            "--output",
            slots.output,
        ]
        .map(String::from)
        .to_vec();
        if self.assembly.is_some() {
            cmd.extend(["--codec".to_string(), FRAMES_CODEC.to_string()]);
        }
        if let Some(progress) = slots.progress {
            cmd.extend(["--progress".to_string(), progress.to_string()]);
        }
        cmd
    }

    /// The one command that turns the chunks' sequence into the delivered
    /// movie; every engine's assembly step runs it. `source` is the shot,
    /// whose sound, timecode, reel name and frame rate the movie takes.
    pub fn assembly_command(
        &self,
        retake: &str,
        frames: &str,
        movie: &str,
        source: &str,
    ) -> Option<Vec<String>> {
        let a = self.assembly.as_ref()?;
        let mut cmd: Vec<String> = [retake, "convert", frames, "-o", movie]
            .map(String::from)
            .to_vec();
        if let Some(codec) = &a.codec {
            cmd.extend(["--codec".to_string(), codec.clone()]);
        }
        if let Some(crf) = a.crf {
            cmd.extend(["--crf".to_string(), crf.to_string()]);
        }
        if let Some(bits) = &a.bit_depth {
            cmd.extend(["--bit-depth".to_string(), bits.clone()]);
        }
        cmd.extend(["--output-transfer".to_string(), a.transfer.clone()]);
        if let Some(fps) = &a.fps {
            cmd.extend(["--fps".to_string(), fps.clone()]);
        }
        cmd.extend(["--media-from".to_string(), source.to_string()]);
        Some(cmd)
    }
}

/// The `--bit-depth` of a movie's assembly step, so that it writes what a
/// whole render would: the job's number, or for an FFV1 movie at `source`
/// the input's depth, resolved here because the assembly reads the chunks'
/// float EXR sequence (which would make it 16).
fn assembly_bit_depth(io: &crate::args::IoArgs) -> Result<Option<String>> {
    use retake_media::{BitDepth, Codec};
    let depth: BitDepth = io.bit_depth.as_deref().unwrap_or("source").parse()?;
    if depth != BitDepth::Source {
        return Ok(Some(depth.to_string()));
    }
    let codec = io.codec.as_deref().map(str::parse::<Codec>).transpose()?;
    if codec.or_else(|| Codec::guess(&io.output)) != Some(Codec::Ffv1) {
        return Ok(None);
    }
    let bits = retake_media::probe(&io.input)?.bit_depth;
    Ok(Some(depth.resolve(bits).to_string()))
}

/// What fills each place of a chunk's command.
pub struct Slots<'a> {
    pub retake: &'a str,
    pub job: &'a str,
    pub frames: &'a str,
    pub input: &'a str,
    pub output: &'a str,
    /// `--progress` for engines that parse a particular form.
    pub progress: Option<&'a str>,
}

/// The job's frame range (one contiguous span: farm chunks are contiguous),
/// or the whole clip when the job names none.
fn frame_span(frames: &Option<String>, input: &str, job: &Path) -> Result<(i64, i64)> {
    if let Some(text) = frames {
        let range = FrameRange::parse(text)?;
        let first = range.first();
        let last = range.last().ok_or_else(|| {
            Error::input(
                job,
                format!("frames `{text}` has no end; give the last frame (e.g. `{first}-1100`)"),
            )
        })?;
        if !(first..=last).all(|f| range.contains(f)) {
            return Err(Error::input(
                job,
                format!(
                    "frames `{text}` has gaps; a farm job renders one contiguous range \
                     (write one job per range)"
                ),
            ));
        }
        return Ok((first, last));
    }
    let clip = retake_media::probe(input)?;
    let last = clip.last_frame().ok_or_else(|| {
        Error::input(
            input,
            "the clip does not say how many frames it has; set `frames` in the job's [io]",
        )
    })?;
    Ok((clip.first_frame, last))
}

/// `dir/shot.mov` -> `dir/shot_frames/shot.####.exr`.
fn frames_beside(movie: &str) -> String {
    let p = Path::new(movie);
    let stem = file_stem(p);
    let dir = p.parent().map(Path::to_path_buf).unwrap_or_default();
    dir.join(format!("{stem}_frames"))
        .join(format!("{stem}.####.exr"))
        .to_string_lossy()
        .into_owned()
}

fn file_stem(p: &Path) -> String {
    p.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "retake".to_string())
}

/// Write a generated file atomically (a half-written script must never be
/// submitted), making its folder if needed.
pub fn write_file(path: &Path, text: &str) -> Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| Error::output(path, e))?;
    }
    let file = retake_core::atomic::AtomicPath::new(path)?;
    std::fs::write(file.temp(), text).map_err(|e| Error::output(path, e))?;
    file.commit()
}

/// A path for display and scripts, made absolute against the current folder.
pub fn absolute(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn movie_frames_go_beside_the_movie() {
        assert_eq!(
            frames_beside("/a/b/shot.mov"),
            "/a/b/shot_frames/shot.####.exr"
        );
    }
}
