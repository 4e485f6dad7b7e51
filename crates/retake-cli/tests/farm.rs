//! Render-farm behaviour of the `retake` binary: OpenJD templates checked
//! and run by the reference `openjd` CLI (installed by scripts/setup.sh into
//! .deps/openjd), the Deadline and OpenCue recipes (golden files, and the
//! printed command lines run chunk by chunk), the progress forms managers
//! parse, cancelling with signals, stale temporaries, and the relocatable
//! package.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::{clip, listing, retake, stderr};

fn checkout() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// A mask job over `frames` frames of a small test shot, with temporal
/// context (radius 1) so chunk edges matter.
fn mask_job(dir: &Path, frames: u32, output: &str) -> PathBuf {
    job(dir, frames, output, "mask", "[mask]\ntemporal_radius = 1\n")
}

/// A job of `operation` over `frames` frames of a small test shot.
fn job(dir: &Path, frames: u32, output: &str, operation: &str, table: &str) -> PathBuf {
    clip(dir, frames);
    let job = dir.join("job.toml");
    std::fs::write(
        &job,
        format!(
            "operation = \"{operation}\"\n[io]\ninput = \"shot.mkv\"\noutput = \"{output}\"\n\
             frames = \"0-{}\"\n{table}",
            frames - 1
        ),
    )
    .unwrap();
    job
}

/// The same job rendered whole, into `whole/`.
fn whole_render(job: &Path, output: &Path) {
    let o = retake(&[
        "run",
        job.to_str().unwrap(),
        "-o",
        output.to_str().unwrap(),
        "-q",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
}

fn assert_same_frames(a: &str, b: &str, frames: std::ops::Range<u32>) {
    for f in frames {
        let pa = a.replace("####", &format!("{f:04}"));
        let pb = b.replace("####", &format!("{f:04}"));
        let x = std::fs::read(&pa).unwrap_or_else(|e| panic!("{pa}: {e}"));
        let y = std::fs::read(&pb).unwrap_or_else(|e| panic!("{pb}: {e}"));
        assert!(x == y, "frame {f} differs: {pa} vs {pb}");
    }
}

/// The reference OpenJD CLI that scripts/setup.sh installs.
fn openjd() -> PathBuf {
    let p = checkout().join(".deps/openjd/bin/openjd");
    assert!(
        p.is_file(),
        "{} is missing: run scripts/setup.sh (it installs openjd-cli 0.8.0 from PyPI)",
        p.display()
    );
    p
}

fn run_openjd(args: &[&str], cwd: &Path) -> Output {
    Command::new(openjd())
        .args(args)
        .current_dir(cwd)
        .output()
        .expect("run openjd")
}

#[test]
fn openjd_template_passes_the_reference_check_and_renders_a_whole_sequence() {
    let dir = tempfile::tempdir().unwrap();
    let job = mask_job(dir.path(), 6, "out/m.####.png");
    let template = dir.path().join("job.yaml");
    let o = retake(&[
        "farm",
        "openjd",
        job.to_str().unwrap(),
        "--chunk-size",
        "2",
        "-o",
        template.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = std::fs::read_to_string(&template).unwrap();
    for want in [
        "specificationVersion: jobtemplate-2023-09",
        "extensions: [TASK_CHUNKING]",
        "type: CHUNK[INT]",
        "rangeConstraint: CONTIGUOUS",
        "\"{{Task.Param.Frame}}\"",
        "default: \"0-5\"",
    ] {
        assert!(text.contains(want), "template lacks {want}:\n{text}");
    }
    let o = run_openjd(&["check", template.to_str().unwrap()], dir.path());
    assert!(
        o.status.success(),
        "openjd check: {}{}",
        stdout(&o),
        stderr(&o)
    );
    // The job's values are the defaults: no parameters needed.
    let o = run_openjd(&["run", template.to_str().unwrap()], dir.path());
    let log = stdout(&o) + &stderr(&o);
    assert!(o.status.success(), "openjd run:\n{log}");
    // Three chunks (0-1, 2-3, 4-5), each reporting OpenJD progress.
    assert!(log.contains("Chunks run: 3"), "{log}");
    for chunk in ["0-1", "2-3", "4-5"] {
        assert!(
            log.contains(&format!("= {chunk}")),
            "no task for frames {chunk}:\n{log}"
        );
    }
    assert!(log.contains("openjd_progress: 100.0"), "{log}");
    let whole = dir.path().join("whole/m.####.png");
    whole_render(&job, &whole);
    assert_same_frames(
        dir.path().join("out/m.####.png").to_str().unwrap(),
        whole.to_str().unwrap(),
        0..6,
    );
}

/// FFmpeg's per-frame hashes of the decoded picture, to compare movies.
fn frame_hashes(movie: &Path) -> Vec<String> {
    let o = Command::new("ffmpeg")
        .args(["-loglevel", "error", "-i"])
        .arg(movie)
        .args(["-map", "0:v", "-f", "framemd5", "-"])
        .output()
        .expect("ffmpeg");
    assert!(o.status.success(), "{}", stderr(&o));
    stdout(&o)
        .lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| l.rsplit(',').next().unwrap_or("").trim().to_string())
        .collect()
}

/// Replace the job's shot by the same pictures tagged BT.709 throughout,
/// with a sound track and a start timecode. The assembly step reads an EXR
/// sequence, which carries no matrix or primaries and is taken as BT.709
/// (`--media-from` brings back sound, timecode and rate, not colour tags).
fn tag_bt709(dir: &Path) {
    let shot = dir.join("shot.mkv");
    let tagged = dir.join("tagged.mkv");
    common::ffmpeg(&[
        "-i",
        shot.to_str().unwrap(),
        "-f",
        "lavfi",
        "-i",
        "sine=frequency=440:sample_rate=48000:duration=0.25",
        "-map",
        "0:v",
        "-map",
        "1:a",
        "-c:a",
        "flac",
        "-timecode",
        "01:00:00:00",
        "-c:v",
        "ffv1",
        "-color_primaries",
        "bt709",
        "-color_trc",
        "bt709",
        "-colorspace",
        "bt709",
        tagged.to_str().unwrap(),
    ]);
    std::fs::rename(&tagged, &shot).unwrap();
}

#[test]
fn openjd_movie_job_renders_frames_then_assembles_the_same_movie() {
    let dir = tempfile::tempdir().unwrap();
    let job = job(dir.path(), 6, "out/m.mov", "convert", "");
    tag_bt709(dir.path());
    let template = dir.path().join("job.yaml");
    let o = retake(&[
        "farm",
        "openjd",
        job.to_str().unwrap(),
        "--chunk-size",
        "3",
        "-o",
        template.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = std::fs::read_to_string(&template).unwrap();
    assert!(text.contains("- name: Assemble"), "{text}");
    assert!(text.contains("dependsOn: Render"), "{text}");
    let o = run_openjd(&["check", template.to_str().unwrap()], dir.path());
    assert!(
        o.status.success(),
        "openjd check: {}{}",
        stdout(&o),
        stderr(&o)
    );
    let o = run_openjd(&["run", template.to_str().unwrap()], dir.path());
    assert!(
        o.status.success(),
        "openjd run:\n{}{}",
        stdout(&o),
        stderr(&o)
    );
    let movie = dir.path().join("out/m.mov");
    assert!(
        movie.is_file(),
        "no movie: {:?}",
        listing(&dir.path().join("out"))
    );
    let frames = listing(&dir.path().join("out/m_frames"));
    assert_eq!(
        frames.iter().filter(|f| f.ends_with(".exr")).count(),
        6,
        "the chunks' frames: {frames:?}"
    );
    let whole = dir.path().join("whole.mov");
    whole_render(&job, &whole);
    let (a, b) = (frame_hashes(&movie), frame_hashes(&whole));
    assert_eq!(a.len(), 6);
    assert_eq!(a, b, "assembled movie differs from a whole render");
    // The assembly takes the shot's sound, timecode and rate (--media-from),
    // as the whole render does.
    assert_eq!(media_facts(&movie), media_facts(&whole));
    let facts = media_facts(&movie);
    assert!(facts.contains("audio"), "{facts}");
    assert!(facts.contains("01:00:00:00"), "{facts}");
}

/// Stream kinds, frame rate and start timecode as ffprobe reports them.
fn media_facts(movie: &Path) -> String {
    let o = std::process::Command::new("ffprobe")
        .args([
            "-v",
            "error",
            "-show_entries",
            "stream=codec_type,r_frame_rate:stream_tags=timecode:format_tags=timecode",
            "-of",
            "compact",
        ])
        .arg(movie)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    stdout(&o)
}

/// `retake farm ENGINE` for a fixed job, with the machine's paths replaced
/// so the text can be compared with a golden file.
fn recipe(engine: &str, job: &Path, dir: &Path) -> String {
    let o = retake(&[
        "farm",
        engine,
        job.to_str().unwrap(),
        "--chunk-size",
        "4",
        "--retake",
        "/opt/retake/bin/retake",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let real = std::fs::canonicalize(dir).unwrap();
    stdout(&o).replace(real.to_str().unwrap(), "/shots/sh010")
}

fn golden(name: &str) -> String {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(name);
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn recipe_job(dir: &Path, output: &str) -> PathBuf {
    let job = dir.join("job.toml");
    std::fs::write(
        &job,
        format!(
            "operation = \"mask\"\n[io]\ninput = \"plate.####.exr\"\noutput = \"{output}\"\n\
             frames = \"1001-1010\"\noutput_transfer = \"bt709\"\n"
        ),
    )
    .unwrap();
    job
}

#[test]
fn deadline_and_opencue_recipes_match_their_golden_files() {
    let dir = tempfile::tempdir().unwrap();
    let job = recipe_job(dir.path(), "matte/sh010.####.exr");
    assert_eq!(recipe("deadline", &job, dir.path()), golden("deadline.txt"));
    assert_eq!(recipe("opencue", &job, dir.path()), golden("opencue.txt"));
    let job = recipe_job(dir.path(), "sh010_matte.mov");
    assert_eq!(
        recipe("deadline", &job, dir.path()),
        golden("deadline-movie.txt")
    );
    assert_eq!(
        recipe("opencue", &job, dir.path()),
        golden("opencue-movie.txt")
    );
}

/// Run a recipe's command line through the shell, the manager's tokens
/// replaced by one chunk's frames.
fn run_recipe_chunk(line: &str, first: &str, last: &str) {
    let line = line
        .replace("<STARTFRAME>", first)
        .replace("<ENDFRAME>", last)
        .replace("#FRAME_START#", first)
        .replace("#FRAME_END#", last);
    let o = Command::new("bash").args(["-c", &line]).output().unwrap();
    assert!(o.status.success(), "{line}\n{}{}", stdout(&o), stderr(&o));
}

#[test]
fn recipe_command_lines_render_chunks_equal_to_a_whole_render() {
    let dir = tempfile::tempdir().unwrap();
    let job = job(dir.path(), 8, "cue/m.####.png", "convert", "");
    let exe = env!("CARGO_BIN_EXE_retake");
    let print = |engine: &str| {
        let o = retake(&["farm", engine, job.to_str().unwrap(), "--retake", exe]);
        assert!(o.status.success(), "{}", stderr(&o));
        stdout(&o)
    };
    // OpenCue: the layer command, run as RQD runs it (through a shell).
    let cue = print("opencue");
    let layer = cue.lines().find(|l| !l.starts_with('#')).unwrap();
    run_recipe_chunk(layer, "0", "4");
    run_recipe_chunk(layer, "5", "7");
    // Deadline: the executable with the job's arguments (its frame tokens
    // substituted), as the command-line plugin starts it.
    let deadline = print("deadline");
    let submit = deadline.lines().find(|l| !l.starts_with('#')).unwrap();
    let args = submit
        .split_once("-arguments ")
        .map(|(_, a)| a)
        .unwrap()
        .trim();
    // The arguments were printed as one shell word.
    let unquoted = Command::new("bash")
        .args(["-c", &format!("printf %s {args}")])
        .output()
        .unwrap();
    let line = format!("{exe} {}", stdout(&unquoted));
    let line = line.replace("cue/m", "deadline/m");
    assert!(line.contains("--progress percent"), "{line}");
    run_recipe_chunk(&line, "0", "3");
    run_recipe_chunk(&line, "4", "7");
    let whole = dir.path().join("whole/m.####.png");
    whole_render(&job, &whole);
    for out in ["cue/m.####.png", "deadline/m.####.png"] {
        assert_same_frames(
            dir.path().join(out).to_str().unwrap(),
            whole.to_str().unwrap(),
            0..8,
        );
    }
}

#[test]
fn progress_forms_for_managers() {
    let dir = tempfile::tempdir().unwrap();
    let shot = clip(dir.path(), 5);
    let shot = shot.to_str().unwrap();
    let out = |n: &str| dir.path().join(n).to_str().unwrap().to_string();
    // Percent lines for regex handlers (Deadline), on stdout.
    let o = retake(&[
        "convert",
        shot,
        "-o",
        &out("a.####.png"),
        "--progress",
        "percent",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let lines: Vec<String> = stdout(&o).lines().map(String::from).collect();
    assert_eq!(
        lines,
        [
            "Progress: 20%",
            "Progress: 40%",
            "Progress: 60%",
            "Progress: 80%",
            "Progress: 100%"
        ]
    );
    // `auto` inside an OpenJD session: openjd_ lines.
    let session = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_retake"))
            .args(args)
            .env("OPENJD_SESSION_WORKING_DIR", dir.path())
            .env_remove("RETAKE_PROGRESS")
            .output()
            .unwrap()
    };
    let o = session(&["convert", shot, "-o", &out("b.####.png")]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(text.contains("openjd_progress: 100.0"), "{text}");
    assert!(
        text.contains("openjd_status: convert: wrote 5 frames"),
        "{text}"
    );
    // A failure under OpenJD: exactly one openjd_fail line, naming the file.
    let o = session(&["convert", &out("missing.mov"), "-o", &out("c.mov")]);
    assert_eq!(o.status.code(), Some(3));
    let text = stdout(&o);
    let fails: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("openjd_fail: "))
        .collect();
    assert_eq!(fails.len(), 1, "{text}");
    assert!(fails[0].contains("missing.mov"), "{}", fails[0]);
    // Outside OpenJD and off a terminal: plain lines on stderr, nothing on stdout.
    let o = retake(&["convert", shot, "-o", &out("d.####.png")]);
    assert!(o.status.success());
    assert!(stdout(&o).is_empty(), "{}", stdout(&o));
    assert!(stderr(&o).contains("convert: wrote 5 frames"));
}

/// Start a render of `frames` frames, wait until `ready` says it has
/// started writing, send `signal`, and return its exit status and stderr.
fn signal_during_render(args: &[&str], ready: impl Fn() -> bool, signal: i32) -> Output {
    let child = Command::new(env!("CARGO_BIN_EXE_retake"))
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while !ready() {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "render never started"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    // SAFETY: sending a signal to our own child process.
    unsafe {
        libc::kill(child.id() as i32, signal);
    }
    child.wait_with_output().unwrap()
}

#[test]
fn sigterm_and_sigint_cancel_within_a_frame_keep_finished_frames_and_clean_up() {
    let dir = tempfile::tempdir().unwrap();
    let shot = clip(dir.path(), 240);
    let shot = shot.to_str().unwrap();
    // A sequence, cancelled by SIGTERM (how farm managers cancel).
    let seq_dir = dir.path().join("seq");
    let seq = seq_dir.join("m.####.png");
    let o = signal_during_render(
        &["mask", shot, "-o", seq.to_str().unwrap(), "--threads", "1"],
        || {
            listing_or_empty(&seq_dir)
                .iter()
                .any(|f| f.starts_with("m."))
        },
        libc::SIGTERM,
    );
    assert_eq!(o.status.code(), Some(143), "{}", stderr(&o));
    let err = stderr(&o);
    assert_eq!(err.matches("cancelled by SIGTERM").count(), 1, "{err}");
    let files = listing(&seq_dir);
    assert!(
        !files.iter().any(|f| f.contains("retake-partial")),
        "temporary left: {files:?}"
    );
    let frames = files.iter().filter(|f| f.ends_with(".png")).count();
    assert!((1..240).contains(&frames), "{frames} frames kept");
    // Kept frames are whole files (each was renamed into place when done).
    let first = std::fs::read(seq_dir.join("m.0000.png")).unwrap();
    assert_eq!(&first[1..4], b"PNG");

    // A movie, cancelled by SIGINT: nothing under the final name, no temporary.
    let movie_dir = dir.path().join("movie");
    std::fs::create_dir(&movie_dir).unwrap();
    let movie = movie_dir.join("m.mov");
    let o = signal_during_render(
        &[
            "mask",
            shot,
            "-o",
            movie.to_str().unwrap(),
            "--threads",
            "1",
        ],
        || {
            listing_or_empty(&movie_dir)
                .iter()
                .any(|f| f.contains("retake-partial"))
        },
        libc::SIGINT,
    );
    assert_eq!(o.status.code(), Some(130), "{}", stderr(&o));
    assert_eq!(stderr(&o).matches("cancelled by SIGINT").count(), 1);
    assert!(listing(&movie_dir).is_empty(), "{:?}", listing(&movie_dir));
}

fn listing_or_empty(dir: &Path) -> Vec<String> {
    if dir.is_dir() {
        listing(dir)
    } else {
        Vec::new()
    }
}

#[test]
fn stale_temporaries_of_killed_runs_are_removed_live_ones_kept() {
    let dir = tempfile::tempdir().unwrap();
    let shot = clip(dir.path(), 4);
    let out = dir.path().join("out");
    std::fs::create_dir(&out).unwrap();
    // No process has an id above the kernel's pid_max (at most 2^22).
    let dead = 4_194_305;
    let live = std::process::id();
    let stale_frame = format!(".c.0002.png.retake-partial-{dead}.png");
    let stale_movie = format!(".c.mov.retake-partial-{dead}.mov");
    let live_frame = format!(".c.0003.png.retake-partial-{live}.png");
    let outside_range = format!(".c.0009.png.retake-partial-{dead}.png");
    for f in [&stale_frame, &stale_movie, &live_frame, &outside_range] {
        std::fs::write(out.join(f), b"partial").unwrap();
    }
    // A farm chunk: frames 0-3 are this run's.
    let o = retake(&[
        "convert",
        shot.to_str().unwrap(),
        "-o",
        out.join("c.####.png").to_str().unwrap(),
        "--frames",
        "0-3",
        "-q",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let files = listing(&out);
    assert!(!files.contains(&stale_frame), "{files:?}");
    assert!(
        files.contains(&live_frame),
        "a live run's temporary was removed"
    );
    assert!(
        files.contains(&stale_movie),
        "another output's temporary was removed"
    );
    assert!(
        files.contains(&outside_range),
        "a frame outside this run's range may belong to another chunk"
    );
    // The movie's own stale temporary goes when the movie is rendered.
    let o = retake(&[
        "convert",
        shot.to_str().unwrap(),
        "-o",
        out.join("c.mov").to_str().unwrap(),
        "-q",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(!listing(&out).contains(&stale_movie));
}

#[test]
fn the_package_runs_from_anywhere_with_a_clean_environment() {
    let dir = tempfile::tempdir().unwrap();
    let dist = dir.path().join("dist");
    let o = Command::new("bash")
        .arg(checkout().join("scripts/package.sh"))
        .args(["--no-build", "--bin", env!("CARGO_BIN_EXE_retake"), "--out"])
        .arg(&dist)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}{}", stdout(&o), stderr(&o));
    let tarball = std::fs::read_dir(&dist)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.to_string_lossy().ends_with("-x86_64-linux.tar.gz"))
        .expect("tarball");
    let place = dir.path().join("elsewhere");
    std::fs::create_dir(&place).unwrap();
    let ok = Command::new("tar")
        .arg("-xzf")
        .arg(&tarball)
        .arg("-C")
        .arg(&place)
        .status()
        .unwrap();
    assert!(ok.success());
    let top = std::fs::read_dir(&place)
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    for part in [
        "bin/retake",
        "lib/libonnxruntime.so.1.31.1",
        "share/retake/models/u2netp.onnx",
        "share/retake/models/u2netp.toml",
        "share/doc/retake/README.md",
        "share/doc/retake/LICENSE.Apache-2.0",
        "share/doc/retake/LICENSE.onnxruntime",
    ] {
        assert!(top.join(part).is_file(), "{part} missing from the package");
    }
    // Away from the checkout, with no environment at all.
    let shot = clip(dir.path(), 3);
    let work = dir.path().join("work");
    std::fs::create_dir(&work).unwrap();
    let o = Command::new("env")
        .arg("-i")
        .arg(top.join("bin/retake"))
        .args(["mask"])
        .arg(&shot)
        .args(["-o", "m.####.png", "-q"])
        .current_dir(&work)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        listing(&work)
            .iter()
            .filter(|f| f.ends_with(".png"))
            .count(),
        3
    );
    // The model and ONNX Runtime are the package's own, not the checkout's.
    let clean = |args: &[&str]| {
        let o = Command::new("env")
            .arg("-i")
            .arg(top.join("bin/retake"))
            .args(args)
            .current_dir(&work)
            .output()
            .unwrap();
        stdout(&o)
    };
    let top = std::fs::canonicalize(&top).unwrap();
    let info = clean(&["models", "info", "u2netp"]);
    let packaged = top.join("share/retake/models/u2netp.toml");
    assert!(info.contains(packaged.to_str().unwrap()), "{info}");
    let doctor = clean(&["doctor"]);
    let ort = top.join("lib/libonnxruntime.so.1.31.1");
    assert!(doctor.contains(ort.to_str().unwrap()), "{doctor}");
}

/// The .deb (cargo-deb): extracted with dpkg into a temporary place, its
/// `retake` runs with a clean environment and finds its own ONNX Runtime
/// and model. scripts/setup.sh installs cargo-deb.
#[test]
fn the_deb_runs_from_a_temporary_place_with_a_clean_environment() {
    let has_cargo_deb = Command::new("cargo")
        .args(["deb", "--version"])
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        has_cargo_deb,
        "cargo-deb is not installed: run scripts/setup.sh"
    );
    let dir = tempfile::tempdir().unwrap();
    let dist = dir.path().join("dist");
    let o = Command::new("bash")
        .arg(checkout().join("scripts/package.sh"))
        .args(["--no-build", "--debug", "--deb", "--out"])
        .arg(&dist)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}{}", stdout(&o), stderr(&o));
    let deb = std::fs::read_dir(&dist)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "deb"))
        .expect("a .deb");
    let info = Command::new("dpkg-deb")
        .arg("-I")
        .arg(&deb)
        .output()
        .unwrap();
    assert!(
        stdout(&info).contains("libavcodec59"),
        "runtime dependencies: {}",
        stdout(&info)
    );
    let root = dir.path().join("root");
    let ok = Command::new("dpkg")
        .arg("-x")
        .arg(&deb)
        .arg(&root)
        .status()
        .unwrap();
    assert!(ok.success());
    let shot = clip(dir.path(), 2);
    let work = dir.path().join("work");
    std::fs::create_dir(&work).unwrap();
    let o = Command::new("env")
        .arg("-i")
        .arg(root.join("usr/bin/retake"))
        .arg("mask")
        .arg(&shot)
        .args(["-o", "m.####.png", "-q"])
        .current_dir(&work)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        listing(&work)
            .iter()
            .filter(|f| f.ends_with(".png"))
            .count(),
        2
    );
}
