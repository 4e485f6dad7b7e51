//! Execution-provider check for GPU machines (not a test: CI has no GPU).
//!
//! Opens the subject-mask model once per provider preference, says which
//! provider each session really runs on, times the mask of synthetic 1080p
//! frames (model and edge fitting) and measures how far each provider's
//! mattes are from the CPU's.
//! A preference whose first provider could not be used falls back (with the
//! runtime's one log line); with `--require PROVIDER` that is an error.
//!
//!   cargo run --release -p retake-ops --example provider_check -- \
//!       --models models --library .deps/onnxruntime/libonnxruntime.so.1.31.1 \
//!       --frames 20 --try cpu --try cuda --try tensorrt,cuda --require cuda
//!
//! `--raw FILE --size WxH` reads real frames instead (packed 8-bit RGB, e.g.
//! `ffmpeg -i shot.mov -f rawvideo -pix_fmt rgb24 frames.rgb`), decoded
//! with a plain 2.2 gamma: close enough to compare providers on real pictures.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use retake_core::Frame;
use retake_model::image::{fixed_input_size, output_map, ModelImage};
use retake_model::{self as model, ModelContext, Provider, Role};
use retake_ops::mask::{MaskParams, SubjectMask};

const W: usize = 1920;
const H: usize = 1080;

/// Prints the runtime's log lines (provider fallbacks) to stderr.
struct StderrLog;

impl log::Log for StderrLog {
    fn enabled(&self, m: &log::Metadata) -> bool {
        m.level() <= log::Level::Info
    }
    fn log(&self, r: &log::Record) {
        if self.enabled(r.metadata()) {
            eprintln!("[{}] {}", r.level(), r.args());
        }
    }
    fn flush(&self) {}
}

static LOGGER: StderrLog = StderrLog;

struct Options {
    models: PathBuf,
    library: PathBuf,
    frames: usize,
    tries: Vec<String>,
    require: Vec<Provider>,
    raw: Option<(PathBuf, usize, usize)>,
}

fn options() -> Result<Options, String> {
    let mut o = Options {
        models: PathBuf::from("models"),
        library: PathBuf::from(".deps/onnxruntime/libonnxruntime.so.1.31.1"),
        frames: 10,
        tries: Vec::new(),
        require: Vec::new(),
        raw: None,
    };
    let mut raw_file = None;
    let mut size = None;
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let value = args.next().ok_or_else(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--models" => o.models = value.into(),
            "--library" => o.library = value.into(),
            "--frames" => {
                o.frames = value
                    .parse()
                    .map_err(|_| format!("--frames: `{value}` is not a count"))?
            }
            "--try" => o.tries.push(value),
            "--require" => {
                o.require
                    .extend(Provider::parse_list(&value).map_err(|e| e.to_string())?);
                o.require
                    .retain(|p| *p != Provider::Cpu || value.contains("cpu"));
            }
            "--raw" => raw_file = Some(PathBuf::from(value)),
            "--size" => {
                let (w, h) = value
                    .split_once('x')
                    .and_then(|(w, h)| Some((w.parse().ok()?, h.parse().ok()?)))
                    .ok_or_else(|| format!("--size: `{value}` is not WxH"))?;
                size = Some((w, h));
            }
            other => return Err(format!("unknown option {other}")),
        }
    }
    o.raw = match (raw_file, size) {
        (Some(f), Some((w, h))) => Some((f, w, h)),
        (None, None) => None,
        _ => return Err("--raw and --size go together".into()),
    };
    if o.tries.is_empty() {
        o.tries = vec!["cpu".into(), "cuda".into(), "tensorrt,cuda".into()];
    }
    Ok(o)
}

/// A textured background with a bright disc that moves with `t`.
fn frame(t: usize) -> Frame {
    let (cx, cy, r) = (700.0 + 25.0 * t as f32, 540.0, 260.0);
    let mut data = Vec::with_capacity(W * H * 3);
    for y in 0..H {
        for x in 0..W {
            let (xf, yf) = (x as f32, y as f32);
            let inside = (xf - cx).powi(2) + (yf - cy).powi(2) < r * r;
            let checker = (((x / 48) + (y / 48)) % 2) as f32;
            let rgb = if inside {
                [0.8, 0.35, 0.2]
            } else {
                [
                    0.05 + 0.1 * checker,
                    0.08 + 0.05 * (xf / W as f32),
                    0.1 + 0.05 * (yf / H as f32),
                ]
            };
            data.extend_from_slice(&rgb);
        }
    }
    Frame::from_data(t as i64, W, H, 3, data).expect("synthetic frame has a valid size")
}

/// Frames of a packed 8-bit RGB file, at most `limit`.
fn raw_frames(path: &PathBuf, w: usize, h: usize, limit: usize) -> Result<Vec<Frame>, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let size = w * h * 3;
    if size == 0 || bytes.len() < size {
        return Err(format!("{}: holds no whole {w}x{h} frame", path.display()));
    }
    bytes
        .chunks_exact(size)
        .take(limit)
        .enumerate()
        .map(|(t, px)| {
            let data = px
                .iter()
                .map(|&v| (f32::from(v) / 255.0).powf(2.2))
                .collect();
            Frame::from_data(t as i64, w, h, 3, data).map_err(|e| e.to_string())
        })
        .collect()
}

struct Outcome {
    asked: String,
    provider: Provider,
    ms_per_frame: f64,
    /// The model's own output per frame (before any edge fitting).
    raw: Vec<Vec<f32>>,
    /// The finished full-resolution mask per frame.
    masks: Vec<Vec<f32>>,
}

fn run_one(o: &Options, frames: &[Frame], asked: &str) -> Result<Outcome, String> {
    let providers = Provider::parse_list(asked).map_err(|e| e.to_string())?;
    let ctx = ModelContext {
        dirs: vec![o.models.clone()],
        library: vec![o.library.clone()],
        providers,
        threads: std::thread::available_parallelism().map_or(2, |n| n.get()),
        colour: None,
    };
    let model = model::open("u2netp", Role::Mask, &ctx).map_err(|e| e.to_string())?;
    // The same session again (shared by the cache) to read the raw output.
    let bare = model::open("u2netp", Role::Mask, &ctx).map_err(|e| e.to_string())?;
    let provider = model.provider;
    let mask = SubjectMask::new(MaskParams::default(), model).map_err(|e| e.to_string())?;
    // The first run includes the provider's one-off set-up (kernels, engines).
    let start = Instant::now();
    mask.still(&frames[0]).map_err(|e| e.to_string())?;
    eprintln!(
        "{asked}: session on {}, first run {:.0} ms",
        provider.name(),
        start.elapsed().as_secs_f64() * 1e3
    );
    let start = Instant::now();
    let mut masks = Vec::new();
    for f in frames {
        masks.push(std::mem::take(
            &mut mask.still(f).map_err(|e| e.to_string())?.data,
        ));
    }
    let ms_per_frame = start.elapsed().as_secs_f64() * 1e3 / frames.len() as f64;
    let spec = &bare.manifest.inputs[0];
    let (w, h) = fixed_input_size(spec, bare.manifest.size.fixed)
        .ok_or("the mask model's input size is not fixed")?;
    let mut raw = Vec::new();
    for f in frames {
        let img = ModelImage::from_frame(f, spec, w, h, None).map_err(|e| e.to_string())?;
        let input = img.to_tensor(spec).map_err(|e| e.to_string())?;
        let out = bare.run(vec![input]).map_err(|e| e.to_string())?;
        let (_, _, map) =
            output_map(&out[0], &bare.manifest.outputs[0]).map_err(|e| e.to_string())?;
        raw.push(map);
    }
    Ok(Outcome {
        asked: asked.into(),
        provider,
        ms_per_frame,
        raw,
        masks,
    })
}

/// Largest and mean absolute difference, and the fraction of samples that
/// differ by more than one half (a mask pixel on the other side).
fn difference(a: &[Vec<f32>], b: &[Vec<f32>]) -> (f32, f64, f64) {
    let (mut max, mut sum, mut over, mut n) = (0f32, 0f64, 0usize, 0usize);
    for (x, y) in a.iter().flatten().zip(b.iter().flatten()) {
        let d = (x - y).abs();
        max = max.max(d);
        sum += f64::from(d);
        over += usize::from(d > 0.5);
        n += 1;
    }
    let n = n.max(1) as f64;
    (max, sum / n, over as f64 / n)
}

fn main() -> ExitCode {
    let _ = log::set_logger(&LOGGER).map(|()| log::set_max_level(log::LevelFilter::Info));
    let o = match options() {
        Ok(o) => o,
        Err(e) => {
            eprintln!("provider_check: {e}");
            return ExitCode::from(2);
        }
    };
    let frames: Vec<Frame> = match &o.raw {
        Some((path, w, h)) => match raw_frames(path, *w, *h, o.frames.max(1)) {
            Ok(f) => f,
            Err(e) => {
                eprintln!("provider_check: {e}");
                return ExitCode::from(3);
            }
        },
        None => (0..o.frames.max(1)).map(frame).collect(),
    };
    let mut outcomes = Vec::new();
    let mut failed = false;
    for asked in &o.tries {
        match run_one(&o, &frames, asked) {
            Ok(r) => outcomes.push(r),
            Err(e) => {
                eprintln!("{asked}: {e}");
                failed = true;
            }
        }
    }
    let reference = outcomes.iter().find(|r| r.provider == Provider::Cpu);
    println!(
        "{} frames of {}x{}; differences against the CPU session",
        frames.len(),
        frames[0].width,
        frames[0].height
    );
    println!(
        "{:<16} {:<8} {:>9} {:>12} {:>12} {:>12} {:>12}",
        "asked", "ran on", "ms/frame", "raw max|d|", "raw mean|d|", "mask mean|d|", "mask >0.5 %"
    );
    for r in &outcomes {
        let (raw_max, raw_mean, _) = reference.map_or((f32::NAN, f64::NAN, f64::NAN), |c| {
            difference(&r.raw, &c.raw)
        });
        let (_, mask_mean, flipped) = reference.map_or((f32::NAN, f64::NAN, f64::NAN), |c| {
            difference(&r.masks, &c.masks)
        });
        println!(
            "{:<16} {:<8} {:>9.1} {:>12.5} {:>12.6} {:>12.6} {:>12.4}",
            r.asked,
            r.provider.name(),
            r.ms_per_frame,
            raw_max,
            raw_mean,
            mask_mean,
            100.0 * flipped
        );
    }
    for p in &o.require {
        if !outcomes.iter().any(|r| r.provider == *p) {
            eprintln!("required provider {} served no session", p.name());
            failed = true;
        }
    }
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
