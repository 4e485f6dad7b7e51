//! One module per command; `run` dispatches.

mod colorspaces;
pub mod colour;
mod convert;
mod doctor;
mod eval;
mod farm;
pub mod keyframes;
mod mask;
mod models;
mod probe;
pub mod provenance;
mod reangle;
mod relight;
mod remove;
mod run;
mod track;

use std::path::Path;

use retake_core::atomic::AtomicPath;
use retake_core::folders::NewFolders;
use retake_core::pipeline::{self, Operation, PipelineOptions, RunStats};
use retake_core::{ClipInfo, Error, FrameRange, Rational, Result, Transfer};
use retake_media::carry::{Carry, MediaFacts};
use retake_media::{BitDepth, Codec, SinkOptions, SourceOptions};
use retake_model::provenance::{InputRecord, Provenance};
use retake_ops::matte::{Matte, MatteShelf, MatteValues, MattedSource};

use crate::args::{Cli, Command, GlobalArgs, IoArgs};
use crate::progress::Reporter;

/// Run the chosen command; the returned code is the process exit code.
pub fn dispatch(cli: &Cli) -> Result<i32> {
    match &cli.command {
        Command::Probe(a) => probe::run(a),
        Command::Doctor => doctor::run(&cli.global),
        Command::Models(c) => models::run(c, &cli.global),
        Command::Mask(a) => mask::run(a, &cli.global),
        Command::Remove(a) => remove::run(a, &cli.global),
        Command::Track(a) => track::run(a, &cli.global),
        Command::Relight(a) => relight::run(a, &cli.global),
        Command::Reangle(a) => reangle::run(a, &cli.global),
        Command::Convert(a) => convert::run(a, &cli.global),
        Command::Run(a) => run::run(a, &cli.global),
        Command::Eval(a) => eval::run(a, &cli.global),
        Command::Farm(c) => farm::run(c, &cli.global),
        Command::Colorspaces(a) => colorspaces::run(a),
        Command::Provenance(c) => provenance::run(c),
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

/// The shared body of every frame operation: open the input (and its
/// matte), check the output, run `op` through the pipeline, publish the
/// output atomically, and write its provenance beside it.
pub fn run_operation<O: Operation>(
    io: &IoArgs,
    matte: Option<(&str, MatteValues)>,
    global: &GlobalArgs,
    op: &O,
    provenance: Provenance,
    plan: impl FnOnce(&ClipInfo) -> OutputPlan,
) -> Result<RunStats> {
    run_operation_with_shelf(io, matte, None, global, op, provenance, plan)
}

/// [`run_operation`], with a coverage matte kept on `shelf` beside the
/// frames instead of in their alpha (see [`open_input_with_shelf`]).
pub fn run_operation_with_shelf<O: Operation>(
    io: &IoArgs,
    matte: Option<(&str, MatteValues)>,
    shelf: Option<&MatteShelf>,
    global: &GlobalArgs,
    op: &O,
    provenance: Provenance,
    plan: impl FnOnce(&ClipInfo) -> OutputPlan,
) -> Result<RunStats> {
    run_with(
        io,
        matte,
        shelf,
        global,
        op,
        provenance,
        plan,
        Route::Frames,
    )
}

/// `retake convert`: [`run_operation`] with the identity operation. With
/// `straight`, pictures go to the encoder as decoded when the output
/// keeps the clip's colour (`retake_media::direct`); else, and always
/// without it, as float frames.
pub fn run_conversion(
    io: &IoArgs,
    matte: Option<(&str, MatteValues)>,
    global: &GlobalArgs,
    provenance: Provenance,
    plan: impl FnOnce(&ClipInfo) -> OutputPlan,
    straight: bool,
) -> Result<RunStats> {
    let op = retake_core::pipeline::Identity;
    run_with(
        io,
        matte,
        None,
        global,
        &op,
        provenance,
        plan,
        if straight {
            Route::Straight
        } else {
            Route::Frames
        },
    )
}

/// How frames reach the sink.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Route {
    /// Through the pipeline as float frames.
    Frames,
    /// As decoded when the media allow it, else as `Frames`: only for the
    /// identity operation, which [`run_conversion`] guarantees.
    Straight,
}

/// [`run_operation_with_shelf`], choosing how frames reach the sink.
#[allow(clippy::too_many_arguments)]
fn run_with<O: Operation>(
    io: &IoArgs,
    matte: Option<(&str, MatteValues)>,
    shelf: Option<&MatteShelf>,
    global: &GlobalArgs,
    op: &O,
    mut provenance: Provenance,
    plan: impl FnOnce(&ClipInfo) -> OutputPlan,
    route: Route,
) -> Result<RunStats> {
    // From the start: a cancel while inputs open or models load is honoured
    // at the first frame, never a kill that skips the clean-up.
    let cancel = crate::signals::cancel_on_signals();
    let label = provenance.operation.clone();
    let mut frames = io.frames.as_deref().map(FrameRange::parse).transpose()?;
    let resume = io
        .resume
        .then(|| {
            retake_media::sequence::Pattern::parse(&io.output).ok_or_else(|| {
                Error::parameter(
                    "resume",
                    format!(
                        "`{}` is not an image sequence; only sequences (name.####.exr) can be resumed",
                        io.output
                    ),
                )
            })
        })
        .transpose()?;
    let codec = io
        .codec
        .as_deref()
        .map(|c| c.parse::<Codec>())
        .transpose()?;
    let bit_depth = output_bit_depth(io, codec)?;
    let out_transfer = io
        .output_transfer
        .as_deref()
        .map(|t| parse_transfer(t, "output-transfer"))
        .transpose()?;
    let colour = colour::plan(io)?;
    check_output(&io.output, io.overwrite || io.resume)?;
    let identity = provenance::signing_identity(io)?;
    let fps = frame_rate(io)?;
    let mut source = open_input_with_shelf(io, matte, shelf, &mut provenance)?;
    if !(io.overwrite || io.resume) {
        check_frames_free(&io.output, source.info(), frames.as_ref())?;
    }
    check_single_image(&io.output, source.info(), frames.as_ref())?;
    if let Some(pattern) = resume {
        match frames_to_resume(&pattern, source.info(), frames.as_ref())? {
            Some(todo) => {
                log::info!("resuming: rendering frames {}", todo.text());
                frames = Some(todo);
            }
            None => {
                if !global.quiet {
                    eprintln!("{label}: every frame of {} is already rendered", io.output);
                }
                return Ok(RunStats::default());
            }
        }
    }
    let mut plan = plan(source.info());
    let first_out = frames
        .as_ref()
        .map_or(source.info().first_frame, |r| r.first());
    let carry = carried_media(io, source.info(), &mut plan.info, fps, first_out)?;
    if let Some(m) = &io.media_from {
        provenance.inputs.push(InputRecord::new("media", m));
    }
    let codec = codec_for_alpha(codec, &io.output, plan.info.has_alpha);
    let new_folders = ensure_output_folder(&io.output)?;
    remove_stale_temporaries(&io.output, frames.as_ref());
    let sink = retake_media::create_sink(
        &io.output,
        &plan.info,
        &SinkOptions {
            codec,
            // With a colour config, OpenColorIO has already encoded the
            // pictures: they are written as code values.
            transfer: plan
                .transfer
                .or(out_transfer)
                .or(colour.as_ref().map(|_| Transfer::Linear)),
            crf: io.crf,
            threads: 0,
            carry: Some(carry),
            bit_depth,
        },
    )?;
    let sink = colour::wrap_sink(sink, colour.as_deref());
    let reporter = Reporter::new(&label, global.quiet, global.progress);
    let progress = |p| reporter.update(p);
    let opts = PipelineOptions {
        workers: crate::context::threads(global),
        frames,
        progress: Some(&progress),
        cancel: Some(cancel),
    };
    let stats = match route {
        Route::Straight => {
            match retake_media::direct::copy_straight(source.as_mut(), sink, &opts)? {
                Ok(stats) => stats,
                Err(sink) => pipeline::run(source.as_mut(), op, sink, &opts)?,
            }
        }
        Route::Frames => pipeline::run(source.as_mut(), op, sink, &opts)?,
    };
    reporter.done(stats.frames_written, &io.output);
    provenance.output = io.output.clone();
    provenance.frames = opts.frames.as_ref().map(|r| r.text().to_string());
    provenance.frames_written = stats.frames_written;
    write_provenance(&io.output, &provenance)?;
    provenance::sign_outputs(identity.as_ref(), &provenance, || {
        provenance::written_files(&io.output, source.info(), opts.frames.as_ref())
    })?;
    if let Some(folders) = new_folders {
        folders.keep();
    }
    Ok(stats)
}

/// `--bit-depth`, checked against the codec (given or implied by the
/// output's name) before any input is opened.
fn output_bit_depth(io: &IoArgs, codec: Option<Codec>) -> Result<BitDepth> {
    let depth: BitDepth = io.bit_depth.as_deref().unwrap_or("source").parse()?;
    if let Some(codec) = codec.or_else(|| Codec::guess(&io.output)) {
        depth.check(codec)?;
    }
    Ok(depth)
}

/// `--fps`, checked.
fn frame_rate(io: &IoArgs) -> Result<Option<Rational>> {
    io.fps
        .as_deref()
        .map(retake_media::parse_frame_rate)
        .transpose()
}

/// What the output carries besides the pictures: the input's own sound,
/// subtitles, timecode and reel name, or `--media-from`'s, whose frame
/// rate the output then takes (a frame sequence has no rate of its own)
/// unless `--fps` says otherwise.
fn carried_media(
    io: &IoArgs,
    input: &ClipInfo,
    out: &mut ClipInfo,
    fps: Option<Rational>,
    first_out: i64,
) -> Result<Carry> {
    let Some(from) = io.media_from.as_deref() else {
        return Ok(Carry::by_number(MediaFacts::of(input)?));
    };
    let info = retake_media::probe(from)?;
    let facts = MediaFacts::of(&info)?;
    if fps.is_none() && facts.frame_rate.is_valid() {
        let rate = facts.frame_rate;
        out.frame_rate = rate;
        out.fps = rate.as_f64();
        out.time_base = Rational::new(rate.den, rate.num);
    }
    Ok(Carry::aligned(facts, first_out, &io.output))
}

/// Delete what killed runs of this output left: the temporary of a movie,
/// or of the frames this run renders (never other frames: another chunk on
/// another machine may be writing them).
fn remove_stale_temporaries(output: &str, frames: Option<&FrameRange>) {
    let removed = match retake_media::sequence::Pattern::parse(output) {
        Some(pattern) => retake_core::atomic::remove_stale_temporaries(pattern.dir(), |name| {
            pattern
                .number_of(name)
                .is_some_and(|n| frames.is_none_or(|r| r.contains(n)))
        }),
        None => {
            let path = Path::new(output);
            let dir = match path.parent() {
                Some(d) if !d.as_os_str().is_empty() => d,
                _ => Path::new("."),
            };
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
            retake_core::atomic::remove_stale_temporaries(dir, |n| n == name)
        }
    };
    for path in removed {
        log::info!("removed {} (left by a killed run)", path.display());
    }
}

/// What travels as the frames' alpha for operations that take a subject
/// matte or a depth pass (relight, reangle): `(file, how to read it)`,
/// whether it is a depth pass, and whether the matte is `auto` (found by
/// the subject model, nothing attached).
pub struct AlphaInput<'a> {
    pub attach: Option<(&'a str, MatteValues)>,
    pub depth: bool,
    pub auto: bool,
}

/// `--mask` and `--depth` checked against each other.
pub fn alpha_input<'a>(mask: Option<&'a str>, depth: Option<&'a str>) -> Result<AlphaInput<'a>> {
    if mask.is_some() && depth.is_some() {
        return Err(Error::parameter(
            "depth",
            "give either --mask or --depth (both travel as the frames' alpha)",
        ));
    }
    let auto = mask == Some("auto");
    Ok(match (mask, depth) {
        (Some(m), None) if !auto => AlphaInput {
            attach: Some((m, MatteValues::Coverage)),
            depth: false,
            auto,
        },
        (None, Some(d)) => AlphaInput {
            attach: Some((d, MatteValues::Data)),
            depth: true,
            auto,
        },
        _ => AlphaInput {
            attach: None,
            depth: false,
            auto,
        },
    })
}

/// `path` opened as the input shot is (frame rate, transfer, colour
/// config), so pictures made from the shot, such as remove's reference
/// frames, arrive in the same colour as its frames.
pub fn open_like_input(io: &IoArgs, path: &str) -> Result<Box<dyn retake_core::FrameSource>> {
    let colour = colour::plan(io)?;
    let source_opts = SourceOptions {
        layer: None,
        frame_rate: frame_rate(io)?,
        // With a colour config, code values go to OpenColorIO uncurved.
        transfer: match colour {
            Some(_) => Some(Transfer::Linear),
            None => io
                .input_transfer
                .as_deref()
                .map(|t| parse_transfer(t, "input-transfer"))
                .transpose()?,
        },
    };
    let mut source = retake_media::open_source(path, &source_opts)?;
    if let Some(c) = &colour {
        source = Box::new(retake_ocio::ConvertedSource::new(source, c.decode()));
    }
    Ok(source)
}

/// The input shot alone, decoded (and colour-converted) as every
/// operation sees it.
pub fn open_shot(io: &IoArgs) -> Result<Box<dyn retake_core::FrameSource>> {
    open_like_input(io, &io.input)
}

/// The input shot, with its matte (or depth pass) attached as alpha when
/// one is given; both are recorded as inputs of the output's provenance.
/// A matte written as keyframes (`0=dog.png,40=box:...`) is tracked
/// through the shot during the run.
pub fn open_input(
    io: &IoArgs,
    matte: Option<(&str, MatteValues)>,
    provenance: &mut Provenance,
) -> Result<Box<dyn retake_core::FrameSource>> {
    open_input_with_shelf(io, matte, None, provenance)
}

/// [`open_input`], but with `shelf` a coverage matte is put on the shelf
/// beside each frame instead of into its alpha, for an operation that
/// takes it from there (remove): no RGBA copy of every frame.
pub fn open_input_with_shelf(
    io: &IoArgs,
    matte: Option<(&str, MatteValues)>,
    shelf: Option<&MatteShelf>,
    provenance: &mut Provenance,
) -> Result<Box<dyn retake_core::FrameSource>> {
    let attach = |source, matte, offset| match shelf {
        Some(shelf) => MattedSource::beside(source, matte, offset, shelf.clone()),
        None => MattedSource::with_offset(source, matte, offset),
    };
    let mut source = open_shot(io)?;
    if let Some(c) = colour::plan(io)? {
        provenance.colour = Some(c.record());
    }
    provenance.inputs.push(InputRecord::new("shot", &io.input));
    if let Some((path, values)) = matte {
        if values == MatteValues::Coverage && retake_ops::track::is_keyframe_list(path) {
            let matte = keyframes::tracked_matte(path, "mask", io, provenance)?;
            return Ok(Box::new(attach(source, matte, None)?));
        }
        // Mattes are data: read them without a colour curve; a depth pass
        // from a multi-layer EXR is its Z channel.
        let opts = match values {
            MatteValues::Coverage => SourceOptions::data(),
            MatteValues::Data => SourceOptions::pass("Z"),
        };
        let m = retake_media::open_source(path, &opts)?;
        source = Box::new(match values {
            MatteValues::Coverage => attach(source, Matte::from_source(m)?, io.mask_offset)?,
            MatteValues::Data => {
                MattedSource::with_offset(source, Matte::data_from_source(m)?, io.mask_offset)?
            }
        });
        let role = match values {
            MatteValues::Coverage => "matte",
            MatteValues::Data => "depth",
        };
        provenance.inputs.push(InputRecord::new(role, path));
    }
    Ok(source)
}

/// `OUTPUT.retake.json` beside the output (its name cut and hashed when
/// the output's name is already near the longest allowed).
fn provenance_path(output: &str) -> String {
    let p = Path::new(output);
    let name = p
        .file_name()
        .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
    let sidecar = retake_core::atomic::name_within_limit("", &name, ".retake.json");
    match p.parent().filter(|d| !d.as_os_str().is_empty()) {
        Some(dir) => dir.join(sidecar).to_string_lossy().into_owned(),
        None => sidecar,
    }
}

/// The provenance, written atomically after the output itself.
fn write_provenance(output: &str, p: &Provenance) -> Result<()> {
    let path = provenance_path(output);
    let text =
        serde_json::to_string_pretty(p).map_err(|e| Error::Internal(format!("provenance: {e}")))?;
    let file = AtomicPath::new(&path)?;
    std::fs::write(file.temp(), text + "\n").map_err(|e| Error::output(&path, e))?;
    file.commit()
}

/// The frames of the requested range that the output sequence does not have
/// yet; `None` when it has them all. Written frames are complete (each is
/// renamed into place), so a frame that exists is finished.
fn frames_to_resume(
    pattern: &retake_media::sequence::Pattern,
    clip: &ClipInfo,
    range: Option<&FrameRange>,
) -> Result<Option<FrameRange>> {
    let last = clip.last_frame().ok_or_else(|| {
        Error::input(
            &clip.path,
            "the clip does not say how many frames it has, so --resume cannot tell what is missing",
        )
    })?;
    if let Some(r) = range {
        r.check_within_clip(clip)?;
    }
    let done: std::collections::HashSet<i64> = pattern.present()?.into_iter().collect();
    Ok(FrameRange::from_frames(
        (clip.first_frame..=last)
            .filter(|f| range.is_none_or(|r| r.contains(*f)))
            .filter(|f| !done.contains(f)),
    ))
}

/// An output with alpha named `.mov` gets ProRes 4444 rather than 422 HQ;
/// a codec chosen by name that cannot keep alpha is used, with a warning.
fn codec_for_alpha(codec: Option<Codec>, output: &str, has_alpha: bool) -> Option<Codec> {
    if !has_alpha {
        return codec;
    }
    match codec {
        None if Codec::guess(output) == Some(Codec::ProresHq) => Some(Codec::Prores4444),
        Some(c) if !c.keeps_alpha() => {
            log::warn!(
                "{c} has no alpha channel: the alpha is dropped (use prores-4444, ffv1 or exr)"
            );
            codec
        }
        _ => codec,
    }
}

/// Make the output's folder if it is missing, as render farms expect; done
/// once the inputs have been opened, so a bad input leaves nothing behind,
/// and removed again (while empty) if the run fails before writing.
fn ensure_output_folder(output: &str) -> Result<Option<NewFolders>> {
    let p = Path::new(output);
    let Some(dir) = p.parent().filter(|d| !d.as_os_str().is_empty()) else {
        return Ok(None);
    };
    if dir.is_dir() {
        return Ok(None);
    }
    let made = NewFolders::create(dir)
        .map_err(|e| Error::output(p, format!("cannot create folder {}: {e}", dir.display())))?;
    log::info!("created folder {}", dir.display());
    Ok(Some(made))
}

/// Refuse to replace an existing output unless asked: a farm re-run must
/// not silently clobber a delivered file. Single files are checked here,
/// before anything is opened; a sequence's frames once the input is open
/// ([`check_frames_free`]), because only the frames this run renders matter.
pub fn check_output(output: &str, overwrite: bool) -> Result<()> {
    if overwrite || retake_media::is_sequence_pattern(output) {
        return Ok(());
    }
    let p = Path::new(output);
    // symlink_metadata: a dangling link or an unreadable entry is still
    // something the user has there.
    if p.symlink_metadata().is_ok() {
        return Err(Error::output(
            p,
            "already exists; pass --overwrite (-y) to replace it",
        ));
    }
    Ok(())
}

/// The frames of `clip` this run renders (`range` within the clip), as a
/// filter; a clip of unknown length counts every frame from its first.
pub(crate) fn in_render_range<'a>(
    clip: &ClipInfo,
    range: Option<&'a FrameRange>,
) -> impl Fn(i64) -> bool + 'a {
    let (first, last) = (clip.first_frame, clip.last_frame());
    move |f| f >= first && last.is_none_or(|l| f <= l) && range.is_none_or(|r| r.contains(f))
}

/// A sequence output is refused when any frame this run would write is
/// already on disk, whatever its state (readable or not, with gaps or
/// not); frames outside the run's range are never touched, so farm chunks
/// writing beside each other need no `--overwrite`.
pub fn check_frames_free(output: &str, clip: &ClipInfo, range: Option<&FrameRange>) -> Result<()> {
    let Some(pattern) = retake_media::sequence::Pattern::parse(output) else {
        return Ok(());
    };
    let wanted = in_render_range(clip, range);
    let taken: Vec<i64> = pattern
        .present()?
        .into_iter()
        .filter(|&f| wanted(f))
        .collect();
    let Some(&first) = taken.first() else {
        return Ok(());
    };
    Err(Error::output(
        pattern.path_for(first),
        format!(
            "already exists ({} frame{} of {output} that this run renders are on disk); \
             pass --overwrite (-y) to replace them, --resume to render only the missing ones, \
             or --frames to render other frames",
            taken.len(),
            if taken.len() == 1 { "" } else { "s" },
        ),
    ))
}

/// A single-image output (`out.png`, not a pattern) holds one frame: more
/// is refused before anything is written, so no frame is left behind.
fn check_single_image(output: &str, clip: &ClipInfo, range: Option<&FrameRange>) -> Result<()> {
    let single_image = retake_media::sequence::ImageKind::from_path(output).is_some()
        && !retake_media::is_sequence_pattern(output);
    let Some(last) = clip.last_frame().filter(|_| single_image) else {
        return Ok(());
    };
    let wanted = in_render_range(clip, range);
    let count = (clip.first_frame..=last).filter(|&f| wanted(f)).count();
    if count > 1 {
        return Err(Error::output(
            output,
            format!(
                "names a single image but this run renders {count} frames; \
                 use a pattern such as out.####.{} or pick one frame with --frames",
                retake_media::sequence::ImageKind::from_path(output).map_or("exr", |k| k.name())
            ),
        ));
    }
    Ok(())
}
