//! Media fidelity, checked with `ffprobe` (the real counterpart): outputs
//! keep the source's sound, subtitles, timecode and reel name; frame
//! sequences carry the EXR `timeCode` (read back with OpenEXR's
//! `exrheader`) and get their sound back through
//! `--media-from`; variable frame rates are refused unless `--fps` says
//! the rate; frame counts are the true ones, not the header's estimate;
//! mask sequences are matched to the shot by frame number.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{ffmpeg, listing, retake, stderr};

/// `ffprobe`'s streams and format of `path` as JSON.
fn ffprobe(path: &Path) -> serde_json::Value {
    let o = Command::new("ffprobe")
        .args([
            "-v",
            "error",
            "-of",
            "json",
            "-show_streams",
            "-show_format",
        ])
        .arg(path)
        .output()
        .expect("ffprobe (run scripts/setup.sh)");
    assert!(o.status.success(), "ffprobe {}", path.display());
    serde_json::from_slice(&o.stdout).unwrap()
}

fn streams_of(j: &serde_json::Value, kind: &str) -> Vec<serde_json::Value> {
    j["streams"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["codec_type"] == kind)
        .cloned()
        .collect()
}

fn tag(s: &serde_json::Value, name: &str) -> Option<String> {
    let tags = s["tags"].as_object()?;
    tags.iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .and_then(|(_, v)| v.as_str().map(String::from))
}

fn seconds(s: &serde_json::Value, key: &str) -> f64 {
    s[key].as_str().and_then(|d| d.parse().ok()).unwrap_or(-1.0)
}

/// A 64x48 shot at 24 fps with a 440 Hz tone, start timecode
/// 01:00:00:00 and reel A001, as a MOV (H.264 + AAC + tmcd).
fn shot_with_sound(dir: &Path, frames: u32) -> PathBuf {
    let p = dir.join("shot.mov");
    let secs = format!("{}", frames as f64 / 24.0);
    ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        "testsrc2=size=64x48:rate=24",
        "-f",
        "lavfi",
        "-i",
        &format!("sine=frequency=440:sample_rate=48000:duration={secs}"),
        // -t, not -frames:v, which would end the sound with the last frame's packet.
        "-t",
        &secs,
        "-c:v",
        "libx264",
        "-pix_fmt",
        "yuv420p",
        "-c:a",
        "aac",
        "-timecode",
        "01:00:00:00",
        "-metadata:s:v:0",
        "reel_name=A001",
        p.to_str().unwrap(),
    ]);
    p
}

/// A still mask (white box = remove) for a 64x48 shot.
fn box_mask(dir: &Path) -> PathBuf {
    let p = dir.join("box.png");
    ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        "color=black:size=64x48",
        "-vf",
        "drawbox=x=20:y=16:w=12:h=10:color=white:t=fill",
        "-frames:v",
        "1",
        p.to_str().unwrap(),
    ]);
    p
}

fn timecode_of(j: &serde_json::Value) -> Option<String> {
    j["streams"]
        .as_array()?
        .iter()
        .find_map(|s| tag(s, "timecode"))
        .or_else(|| tag(&j["format"], "timecode"))
}

#[test]
fn remove_keeps_the_sound_timecode_and_reel_and_a_range_trims_them() {
    let dir = tempfile::tempdir().unwrap();
    let shot = shot_with_sound(dir.path(), 12);
    let mask = box_mask(dir.path());
    let out = dir.path().join("clean.mov");
    let o = retake(&[
        "remove",
        shot.to_str().unwrap(),
        "--mask",
        mask.to_str().unwrap(),
        "--window",
        "2",
        "-o",
        out.to_str().unwrap(),
        "-q",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let j = ffprobe(&out);
    let video = &streams_of(&j, "video")[0];
    assert_eq!(video["nb_frames"], "12");
    let audio = streams_of(&j, "audio");
    assert_eq!(audio.len(), 1, "{j}");
    assert_eq!(audio[0]["codec_name"], "aac");
    assert_eq!(audio[0]["sample_rate"], "48000");
    // The sound lasts as long as the pictures (within one AAC packet).
    let length = 12.0 / 24.0;
    assert!(
        (seconds(&audio[0], "duration") - length).abs() < 0.05,
        "{j}"
    );
    let tmcd: Vec<_> = streams_of(&j, "data")
        .into_iter()
        .filter(|s| s["codec_tag_string"] == "tmcd")
        .collect();
    assert_eq!(tmcd.len(), 1, "a MOV keeps its timecode track: {j}");
    assert_eq!(tag(&tmcd[0], "timecode").as_deref(), Some("01:00:00:00"));
    assert_eq!(tag(&tmcd[0], "reel_name").as_deref(), Some("A001"));

    // A chunk starts at its own timecode and keeps only its stretch of sound.
    let part = dir.path().join("part.mov");
    let o = retake(&[
        "remove",
        shot.to_str().unwrap(),
        "--mask",
        mask.to_str().unwrap(),
        "--window",
        "2",
        "--frames",
        "3-8",
        "-o",
        part.to_str().unwrap(),
        "-q",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let j = ffprobe(&part);
    assert_eq!(streams_of(&j, "video")[0]["nb_frames"], "6");
    assert_eq!(timecode_of(&j).as_deref(), Some("01:00:00:03"));
    let audio = &streams_of(&j, "audio")[0];
    assert!(
        (seconds(audio, "duration") - 6.0 / 24.0).abs() < 0.05,
        "{j}"
    );
}

#[test]
fn mp4_and_mkv_outputs_keep_sound_and_timecode() {
    let dir = tempfile::tempdir().unwrap();
    let shot = shot_with_sound(dir.path(), 6);
    for name in ["c.mp4", "c.mkv"] {
        let out = dir.path().join(name);
        let o = retake(&[
            "convert",
            shot.to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
        ]);
        assert!(o.status.success(), "{name}: {}", stderr(&o));
        let j = ffprobe(&out);
        assert_eq!(streams_of(&j, "audio").len(), 1, "{name}: {j}");
        assert_eq!(
            timecode_of(&j).as_deref(),
            Some("01:00:00:00"),
            "{name}: {j}"
        );
        if name.ends_with(".mp4") {
            // MP4 has no reel name: said, not silently dropped.
            assert!(stderr(&o).contains("reel name"), "{}", stderr(&o));
        } else {
            assert_eq!(
                tag(&streams_of(&j, "video")[0], "reel_name").as_deref(),
                Some("A001")
            );
        }
    }
}

#[test]
fn subtitles_are_copied_where_the_container_holds_them_and_reported_where_not() {
    let dir = tempfile::tempdir().unwrap();
    let shot = shot_with_sound(dir.path(), 6);
    let srt = dir.path().join("subs.srt");
    std::fs::write(&srt, "1\n00:00:00,000 --> 00:00:00,200\nHello\n\n").unwrap();
    let with_subs = dir.path().join("subs.mkv");
    ffmpeg(&[
        "-i",
        shot.to_str().unwrap(),
        "-i",
        srt.to_str().unwrap(),
        "-map",
        "0:v",
        "-map",
        "0:a",
        "-map",
        "1",
        "-c:v",
        "ffv1",
        "-c:a",
        "copy",
        "-c:s",
        "srt",
        with_subs.to_str().unwrap(),
    ]);
    let mkv = dir.path().join("out.mkv");
    let o = retake(&[
        "convert",
        with_subs.to_str().unwrap(),
        "-o",
        mkv.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let j = ffprobe(&mkv);
    assert_eq!(streams_of(&j, "subtitle").len(), 1, "{j}");
    assert_eq!(streams_of(&j, "audio").len(), 1, "{j}");

    // MOV cannot hold SubRip: one warning line names what stays behind.
    let mov = dir.path().join("out.mov");
    let o = retake(&[
        "convert",
        with_subs.to_str().unwrap(),
        "-o",
        mov.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let err = stderr(&o);
    let lines: Vec<&str> = err
        .lines()
        .filter(|l| l.contains("not carried over"))
        .collect();
    assert_eq!(lines.len(), 1, "{err}");
    assert!(
        lines[0].contains("1 subtitle stream") && lines[0].contains("subrip"),
        "{err}"
    );
    let j = ffprobe(&mov);
    assert_eq!(streams_of(&j, "audio").len(), 1, "{j}");
}

#[test]
fn exr_frames_carry_timecode_and_media_from_puts_the_sound_back() {
    let dir = tempfile::tempdir().unwrap();
    let shot = shot_with_sound(dir.path(), 6);
    std::fs::create_dir(dir.path().join("seq")).unwrap();
    let seq = dir.path().join("seq/f.####.exr");
    let o = retake(&[
        "convert",
        shot.to_str().unwrap(),
        "-o",
        seq.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    // The sound cannot go into images: said once, with the way back.
    assert!(
        stderr(&o).contains("1 audio stream") && stderr(&o).contains("--media-from"),
        "{}",
        stderr(&o)
    );
    // Each frame's own timecode, as OpenEXR's `exrheader` (Debian
    // `openexr`, installed by scripts/setup.sh) reads it.
    let o = Command::new("exrheader")
        .arg(dir.path().join("seq/f.0004.exr"))
        .output()
        .expect("exrheader (run scripts/setup.sh)");
    let header = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{header}");
    assert!(header.contains("timeCode (type timecode)"), "{header}");
    assert!(header.contains("time 01:00:00:04"), "{header}");

    // The farm's assembly step: frames -> movie with the source's media.
    let movie = dir.path().join("movie.mov");
    let o = retake(&[
        "convert",
        seq.to_str().unwrap(),
        "-o",
        movie.to_str().unwrap(),
        "--media-from",
        shot.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let j = ffprobe(&movie);
    let video = &streams_of(&j, "video")[0];
    assert_eq!(video["r_frame_rate"], "24/1", "the source's rate: {j}");
    assert_eq!(video["nb_frames"], "6");
    assert_eq!(streams_of(&j, "audio").len(), 1, "{j}");
    assert_eq!(timecode_of(&j).as_deref(), Some("01:00:00:00"));

    // Without --media-from the frames' own EXR timecode still starts the movie.
    let bare = dir.path().join("bare.mov");
    let o = retake(&[
        "convert",
        seq.to_str().unwrap(),
        "-o",
        bare.to_str().unwrap(),
        "--fps",
        "24",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let j = ffprobe(&bare);
    assert_eq!(timecode_of(&j).as_deref(), Some("01:00:00:00"), "{j}");
    assert!(streams_of(&j, "audio").is_empty());

    // A job file takes the same key.
    let job = dir.path().join("assemble.toml");
    std::fs::write(
        &job,
        "operation = \"convert\"\n[io]\ninput = \"seq/f.####.exr\"\noutput = \"job.mov\"\nmedia-from = \"shot.mov\"\n",
    )
    .unwrap();
    let o = retake(&["run", job.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let j = ffprobe(&dir.path().join("job.mov"));
    assert_eq!(streams_of(&j, "audio").len(), 1, "{j}");
}

/// 20 frames at 25 fps with a 0.2 s hole after frame 9: the container
/// says 1.0 s, which a header-based count reads as 25 frames.
fn variable_rate_mkv(dir: &Path) -> PathBuf {
    let p = dir.join("vfr.mkv");
    ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        "testsrc2=size=64x48:rate=25",
        "-frames:v",
        "20",
        "-vf",
        "setpts='(N+5*gte(N\\,10))/(25*TB)'",
        "-fps_mode",
        "vfr",
        "-c:v",
        "ffv1",
        p.to_str().unwrap(),
    ]);
    p
}

#[test]
fn a_variable_frame_rate_is_refused_unless_fps_is_given_and_its_true_end_is_used() {
    let dir = tempfile::tempdir().unwrap();
    let vfr = variable_rate_mkv(dir.path());
    let vfr = vfr.to_str().unwrap();
    let seq = dir.path().join("out/f.####.png");
    let seq = seq.to_str().unwrap();
    let o = retake(&["convert", vfr, "-o", seq]);
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    assert!(
        stderr(&o).contains(vfr)
            && stderr(&o).contains("variable frame rate")
            && stderr(&o).contains("--fps"),
        "{}",
        stderr(&o)
    );
    assert!(
        !dir.path().join("out").exists(),
        "a refused run leaves nothing"
    );

    let o = retake(&["convert", vfr, "-o", seq, "--fps", "25", "-q"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let written = listing(&dir.path().join("out"));
    let frames: Vec<&String> = written.iter().filter(|n| n.ends_with(".png")).collect();
    assert_eq!(frames.len(), 20, "{written:?}");
    // A farm retry of the finished render: nothing to do, success.
    let o = retake(&["convert", vfr, "-o", seq, "--fps", "25", "--resume"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stderr(&o).contains("already rendered"), "{}", stderr(&o));
    assert_eq!(listing(&dir.path().join("out")), written);
    // A range past the true end is an input error naming the clip.
    let o = retake(&[
        "convert", vfr, "-o", seq, "--fps", "25", "--frames", "18-24", "-y",
    ]);
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    assert!(stderr(&o).contains(vfr), "{}", stderr(&o));
}

#[test]
fn frame_counts_come_from_the_packets_not_the_header() {
    let dir = tempfile::tempdir().unwrap();
    // 13 frames whose file ends after the 4th: the header still says 13.
    let full = dir.path().join("full.mkv");
    ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        "testsrc2=size=64x48:rate=25",
        "-frames:v",
        "13",
        "-c:v",
        "ffv1",
        "-g",
        "1",
        full.to_str().unwrap(),
    ]);
    let o = Command::new("ffprobe")
        .args([
            "-v",
            "error",
            "-select_streams",
            "v",
            "-show_entries",
            "packet=pos",
            "-of",
            "csv=p=0",
        ])
        .arg(&full)
        .output()
        .unwrap();
    let starts: Vec<usize> = String::from_utf8_lossy(&o.stdout)
        .lines()
        .map(|l| l.trim().parse().unwrap())
        .collect();
    assert_eq!(starts.len(), 13);
    // Cut where the 5th frame's data starts: FFmpeg reads 4 frames.
    let bytes = std::fs::read(&full).unwrap();
    let short = dir.path().join("short.mkv");
    std::fs::write(&short, &bytes[..starts[4]]).unwrap();
    let short = short.to_str().unwrap();

    let o = retake(&["probe", "--json", short]);
    assert!(o.status.success(), "{}", stderr(&o));
    let j: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(j["frames"], 4, "{j}");

    let seq = dir.path().join("out/f.####.png");
    let seq = seq.to_str().unwrap();
    let o = retake(&["convert", short, "-o", seq, "--frames", "2-10", "-q"]);
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    assert!(stderr(&o).contains(short), "{}", stderr(&o));
    let o = retake(&["convert", short, "-o", seq, "--frames", "2-3", "-q"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        listing(&dir.path().join("out"))
            .iter()
            .filter(|n| n.ends_with(".png"))
            .count(),
        2
    );
    let o = retake(&["convert", short, "-o", seq, "--resume", "-q"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        listing(&dir.path().join("out"))
            .iter()
            .filter(|n| n.ends_with(".png"))
            .count(),
        4
    );
    let o = retake(&["convert", short, "-o", seq, "--resume"]);
    assert!(
        o.status.success() && stderr(&o).contains("already rendered"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn mask_sequences_are_matched_by_frame_number() {
    let dir = tempfile::tempdir().unwrap();
    // A shot numbered 1001-1004 and a mask numbered 1000-1005.
    std::fs::create_dir(dir.path().join("shot")).unwrap();
    std::fs::create_dir(dir.path().join("mask")).unwrap();
    let shot = dir.path().join("shot/s.%04d.png");
    ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        "testsrc2=size=64x48:rate=24",
        "-frames:v",
        "4",
        "-start_number",
        "1001",
        shot.to_str().unwrap(),
    ]);
    let mask = dir.path().join("mask/m.%04d.png");
    ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        "color=black:size=64x48:rate=24",
        "-frames:v",
        "6",
        "-vf",
        "drawbox=x=20:y=16:w=12:h=10:color=white:t=fill",
        "-start_number",
        "1000",
        mask.to_str().unwrap(),
    ]);
    let out = dir.path().join("o/c.####.png");
    let o = retake(&[
        "remove",
        shot.to_str().unwrap(),
        "--mask",
        mask.to_str().unwrap(),
        "--window",
        "1",
        "-o",
        out.to_str().unwrap(),
        "-q",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(dir.path().join("o/c.1001.png").exists() && dir.path().join("o/c.1004.png").exists());

    // A video shot counts from 0: the numbered mask is refused with the flag
    // that matches it, and accepted with it.
    let video = dir.path().join("v.mkv");
    ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        "testsrc2=size=64x48:rate=24",
        "-frames:v",
        "4",
        "-c:v",
        "ffv1",
        video.to_str().unwrap(),
    ]);
    let out = dir.path().join("v/c.####.png");
    let o = retake(&[
        "remove",
        video.to_str().unwrap(),
        "--mask",
        mask.to_str().unwrap(),
        "--window",
        "1",
        "-o",
        out.to_str().unwrap(),
        "-q",
    ]);
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    assert!(stderr(&o).contains("--mask-offset 1000"), "{}", stderr(&o));
    let o = retake(&[
        "remove",
        video.to_str().unwrap(),
        "--mask",
        mask.to_str().unwrap(),
        "--mask-offset",
        "1000",
        "--window",
        "1",
        "-o",
        out.to_str().unwrap(),
        "-q",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
}

#[test]
fn sound_a_container_refuses_is_written_as_pcm() {
    let dir = tempfile::tempdir().unwrap();
    // FLAC in MKV: FFmpeg writes FLAC into MOV only in MP4 mode.
    let shot = dir.path().join("flac.mkv");
    ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        "testsrc2=size=64x48:rate=24",
        "-f",
        "lavfi",
        "-i",
        "sine=frequency=440:sample_rate=48000:duration=0.5",
        "-t",
        "0.5",
        "-c:v",
        "ffv1",
        "-c:a",
        "flac",
        shot.to_str().unwrap(),
    ]);
    let out = dir.path().join("o.mov");
    let o = retake(&[
        "convert",
        shot.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
        "-q",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let j = ffprobe(&out);
    let audio = streams_of(&j, "audio");
    assert_eq!(audio.len(), 1, "{j}");
    assert_eq!(audio[0]["codec_name"], "pcm_s16le", "{j}");
    assert_eq!(audio[0]["sample_rate"], "48000");
    assert!((seconds(&audio[0], "duration") - 0.5).abs() < 0.03, "{j}");
}

/// x264 records the options it encoded with in the stream itself; the
/// encoder's own defaults (closed GOPs, as the `ffmpeg` tool writes) must
/// survive the global-header flag that MP4 and MOV ask for.
#[test]
fn h264_outputs_keep_closed_gops_in_every_container() {
    let dir = tempfile::tempdir().unwrap();
    let shot = shot_with_sound(dir.path(), 6);
    for name in ["g.mp4", "g.mov", "g.mkv"] {
        let out = dir.path().join(name);
        let o = retake(&[
            "convert",
            shot.to_str().unwrap(),
            "--codec",
            "h264",
            "-o",
            out.to_str().unwrap(),
        ]);
        assert!(o.status.success(), "{name}: {}", stderr(&o));
        let bytes = std::fs::read(&out).unwrap();
        let text = String::from_utf8_lossy(&bytes);
        assert!(
            text.contains("x264 - core"),
            "{name}: no x264 options record"
        );
        assert!(
            text.contains("open_gop=0") && !text.contains("open_gop=1"),
            "{name}: x264 wrote open GOPs"
        );
    }
}
