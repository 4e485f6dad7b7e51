//! Transcode benchmark: decode -> scene-linear float -> encode through
//! retake-media, then the same transcode with the `ffmpeg` command, and
//! print the throughput ratio (goal: >= 0.9).
//!
//! `cargo run --release -p retake-media --example transcode -- IN OUT [CODEC]`

use std::process::Command;
use std::time::Instant;

use retake_media::{create_sink, open_source, Codec, SinkOptions, SourceOptions};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [input, output, rest @ ..] = args.as_slice() else {
        eprintln!("usage: transcode IN OUT [CODEC]");
        std::process::exit(2);
    };
    let codec = match rest.first() {
        Some(c) => c.parse::<Codec>()?,
        None => Codec::guess(output).ok_or("cannot guess the codec")?,
    };

    let start = Instant::now();
    let mut src = open_source(input, &SourceOptions::default())?;
    let info = src.info().clone();
    let opts = SinkOptions {
        codec: Some(codec),
        ..Default::default()
    };
    let mut sink = create_sink(output, &info, &opts)?;
    let mut n = 0u64;
    let (mut t_read, mut t_write) = (0.0, 0.0);
    loop {
        let t = Instant::now();
        let Some(f) = src.next_frame()? else { break };
        t_read += t.elapsed().as_secs_f64();
        let t = Instant::now();
        sink.write(&f)?;
        t_write += t.elapsed().as_secs_f64();
        n += 1;
    }
    eprintln!("time in decode+convert {t_read:.2}s, in convert+encode {t_write:.2}s");
    sink.finish()?;
    let ours = start.elapsed().as_secs_f64();

    if std::env::var_os("RETAKE_BENCH_NO_BASELINE").is_some() {
        println!("{codec}: {n} frames, retake {:.1} fps", n as f64 / ours);
        return Ok(());
    }
    let ff_args: &[&str] = match codec {
        Codec::ProresHq => &[
            "-c:v",
            "prores_ks",
            "-profile:v",
            "hq",
            "-pix_fmt",
            "yuv422p10le",
        ],
        Codec::Prores4444 => &[
            "-c:v",
            "prores_ks",
            "-profile:v",
            "4444",
            "-pix_fmt",
            "yuv444p10le",
        ],
        Codec::Ffv1 => &["-c:v", "ffv1", "-level", "3", "-pix_fmt", "rgb48le"],
        Codec::H264 => &[
            "-c:v", "libx264", "-crf", "18", "-preset", "medium", "-pix_fmt", "yuv420p",
        ],
        Codec::H265 => &[
            "-c:v",
            "libx265",
            "-crf",
            "20",
            "-pix_fmt",
            "yuv420p10le",
            "-x265-params",
            "log-level=error",
        ],
        _ => return Err("the ffmpeg comparison covers video codecs only".into()),
    };
    let ext = std::path::Path::new(output)
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("mov");
    let baseline_out = format!("{output}.ffmpeg.{ext}");
    let start = Instant::now();
    let status = Command::new("ffmpeg")
        .args(["-v", "error", "-y", "-i", input, "-an"])
        .args(ff_args)
        .arg(&baseline_out)
        .status()?;
    let theirs = start.elapsed().as_secs_f64();
    let _ = std::fs::remove_file(&baseline_out);
    if !status.success() {
        return Err("ffmpeg baseline failed".into());
    }
    println!(
        "{codec}: {n} frames {}x{}; retake {:.1} fps, ffmpeg {:.1} fps, ratio {:.2}",
        info.width,
        info.height,
        n as f64 / ours,
        n as f64 / theirs,
        theirs / ours
    );
    Ok(())
}
