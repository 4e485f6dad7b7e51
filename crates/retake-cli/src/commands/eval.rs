//! `retake eval`: how close a result is to ground truth, with the figures
//! video-completion papers report, so our fills can be placed beside
//! theirs and beside baselines run on the same frames.

use retake_core::pipeline::Progress;
use retake_core::{ClipInfo, Error, Frame, FrameRange, FrameSource, Result};
use retake_eval::{self as metrics, WarpingError};
use retake_imageops::flow::FlowParams;
use retake_media::SourceOptions;
use retake_ops::matte::to_mask;
use serde_json::{json, Value};

use crate::args::{EvalArgs, GlobalArgs};
use crate::progress::Reporter;

/// Figures of one compared frame (NaN where undefined).
struct FrameScore {
    index: i64,
    psnr: f64,
    ssim: f64,
    psnr_mask: f64,
    ssim_mask: f64,
    /// Share of the frame's pixels inside the mask.
    mask_fraction: f64,
}

pub fn run(a: &EvalArgs, global: &GlobalArgs) -> Result<i32> {
    let range = a.frames.as_deref().map(FrameRange::parse).transpose()?;
    // Code values as stored: papers compare the 8-bit frames themselves.
    let data = SourceOptions::data();
    let mut out = retake_media::open_source(&a.output, &data)?;
    let mut gt = retake_media::open_source(&a.ground_truth, &data)?;
    check_pair(out.info(), gt.info())?;
    let mut mask = a
        .mask
        .as_deref()
        .map(|p| MaskInput::open(p, out.info()))
        .transpose()?;
    let info = out.info().clone();
    if let Some(r) = &range {
        r.check_within(
            std::path::Path::new(&info.path),
            info.first_frame,
            info.last_frame(),
        )?;
    }
    let total = info.last_frame().map(|last| {
        (info.first_frame..=last)
            .filter(|f| range.as_ref().is_none_or(|r| r.contains(*f)))
            .count() as u64
    });

    let reporter = Reporter::new("eval", global.quiet, global.progress);
    let mut warp = WarpingError::new(FlowParams::default());
    if let Some(dir) = &a.flow_cache {
        warp = warp.with_flow_cache(dir);
    }
    let mut scores: Vec<FrameScore> = Vec::new();
    let mut read = 0u64;
    loop {
        let (o, g) = match (out.next_frame()?, gt.next_frame()?) {
            (None, None) => break,
            (Some(_), None) => {
                return Err(Error::input(
                    &a.ground_truth,
                    format!(
                        "the ground truth ends after {read} frames but {} goes on; give clips of the same length",
                        a.output
                    ),
                ))
            }
            (None, Some(_)) => {
                return Err(Error::input(
                    &a.output,
                    format!(
                        "ends after {read} frames but the ground truth {} goes on; give clips of the same length",
                        a.ground_truth
                    ),
                ))
            }
            (Some(o), Some(g)) => (o, g),
        };
        read += 1;
        // Every mask frame is read, so a clip mask stays in step.
        let m = mask.as_mut().map(|m| m.next(o.index)).transpose()?;
        if !range.as_ref().is_none_or(|r| r.contains(o.index)) {
            // A gap: the next compared frame does not follow the last one.
            warp.reset();
            continue;
        }
        check_frame(&o, &a.output, &g, &a.ground_truth)?;
        let (w, h) = (o.width, o.height);
        let (o3, g3) = (rgb(&o), rgb(&g));
        let (o3, g3) = (o3.as_ref(), g3.as_ref());
        let mask_data = m.as_ref().map(|m| m.data.as_slice());
        let (ssim, ssim_mask) = metrics::ssim_whole_and_masked(o3, g3, w, h, 3, mask_data);
        let mut s = FrameScore {
            index: o.index,
            psnr: metrics::psnr(o3, g3, None),
            ssim,
            psnr_mask: f64::NAN,
            ssim_mask,
            mask_fraction: f64::NAN,
        };
        if let Some(m) = mask_data {
            let inside = m.iter().filter(|&&v| v > 0.5).count();
            s.mask_fraction = inside as f64 / (w * h) as f64;
            s.psnr_mask = metrics::psnr(o3, g3, Some(m));
        }
        warp.push(o3, g3, w, h);
        scores.push(s);
        reporter.update(Progress {
            done: scores.len() as u64,
            total,
            last_index: o.index,
        });
    }
    if scores.is_empty() {
        return Err(Error::input(
            &a.output,
            match &range {
                Some(r) => format!("no frame of the range {} was found", r.text()),
                None => "has no frames".to_string(),
            },
        ));
    }
    let done = scores.len() as u64;
    if total != Some(done) {
        // Ends the progress line.
        reporter.update(Progress {
            done,
            total: Some(done),
            last_index: scores.last().map_or(0, |s| s.index),
        });
    }
    if a.json {
        print_json(a, &info, &scores, &warp)?;
    } else {
        print_text(a, &info, &scores, &warp);
    }
    Ok(0)
}

/// The first three channels of a frame (grey expanded), without a copy
/// when it is already RGB.
fn rgb(f: &Frame) -> std::borrow::Cow<'_, [f32]> {
    if f.channels == 3 {
        std::borrow::Cow::Borrowed(&f.data)
    } else {
        std::borrow::Cow::Owned(std::mem::take(&mut f.with_channels(3).data))
    }
}

fn check_pair(out: &ClipInfo, gt: &ClipInfo) -> Result<()> {
    if (out.width, out.height) != (gt.width, gt.height) {
        return Err(Error::input(
            &out.path,
            format!(
                "is {}x{} but the ground truth {} is {}x{}; compare clips of the same size",
                out.width, out.height, gt.path, gt.width, gt.height
            ),
        ));
    }
    if let (Some(n), Some(m)) = (out.frames, gt.frames) {
        if n != m {
            return Err(Error::input(
                &out.path,
                format!(
                    "has {n} frames but the ground truth {} has {m}; compare clips of the same length",
                    gt.path
                ),
            ));
        }
    }
    Ok(())
}

/// Sequences may change size mid-way; every frame is checked.
fn check_frame(o: &Frame, out_path: &str, g: &Frame, gt_path: &str) -> Result<()> {
    if (o.width, o.height) != (g.width, g.height) {
        return Err(Error::input(
            out_path,
            format!(
                "frame {} is {}x{} but the ground truth {gt_path} frame {} is {}x{}",
                o.index, o.width, o.height, g.index, g.width, g.height
            ),
        ));
    }
    Ok(())
}

/// The mask: one still for every frame, or a clip with a frame per frame.
enum MaskInput {
    Still(Frame),
    Clip {
        path: String,
        source: Box<dyn FrameSource>,
    },
}

impl MaskInput {
    fn open(path: &str, shot: &ClipInfo) -> Result<MaskInput> {
        // Masks are data: no colour curve.
        let mut source = retake_media::open_source(path, &SourceOptions::data())?;
        let i = source.info().clone();
        if (i.width, i.height) != (shot.width, shot.height) {
            return Err(Error::input(
                path,
                format!(
                    "mask is {}x{} but {} is {}x{}; give a mask of the clip's size",
                    i.width, i.height, shot.path, shot.width, shot.height
                ),
            ));
        }
        if i.frames == Some(1) {
            let f = source
                .next_frame()?
                .ok_or_else(|| Error::input(path, "the mask has no frames"))?;
            return Ok(MaskInput::Still(to_mask(&f)));
        }
        if let (Some(m), Some(s)) = (i.frames, shot.frames) {
            if m < s {
                return Err(Error::input(
                    path,
                    format!(
                        "mask has {m} frames but {} has {s}; give a mask frame for every frame (or one still)",
                        shot.path
                    ),
                ));
            }
        }
        Ok(MaskInput::Clip {
            path: path.to_string(),
            source,
        })
    }

    fn next(&mut self, index: i64) -> Result<Frame> {
        match self {
            MaskInput::Still(f) => Ok(f.clone()),
            MaskInput::Clip { path, source } => {
                let f = source.next_frame()?.ok_or_else(|| {
                    Error::input(
                        path.as_str(),
                        format!(
                            "the mask ends before frame {index}; it needs a frame for every frame"
                        ),
                    )
                })?;
                let m = to_mask(&f);
                if m.data.is_empty() {
                    return Err(Error::input(path.as_str(), "empty mask frame"));
                }
                Ok(m)
            }
        }
    }
}

/// A figure for JSON: a number, "inf" for infinite PSNR (identical
/// pictures), null where undefined (an empty mask).
fn num(v: f64) -> Value {
    if v.is_nan() {
        Value::Null
    } else if v == f64::INFINITY {
        json!("inf")
    } else if v == f64::NEG_INFINITY {
        json!("-inf")
    } else {
        json!(v)
    }
}

fn nums(values: impl Iterator<Item = f64>) -> Value {
    Value::Array(values.map(num).collect())
}

struct Means {
    psnr: f64,
    ssim: f64,
    psnr_mask: f64,
    ssim_mask: f64,
    mask_fraction: f64,
}

fn means(scores: &[FrameScore]) -> Means {
    let mean =
        |f: fn(&FrameScore) -> f64| metrics::mean_finite(&scores.iter().map(f).collect::<Vec<_>>());
    Means {
        psnr: mean(|s| s.psnr),
        ssim: mean(|s| s.ssim),
        psnr_mask: mean(|s| s.psnr_mask),
        ssim_mask: mean(|s| s.ssim_mask),
        mask_fraction: mean(|s| s.mask_fraction),
    }
}

fn print_json(
    a: &EvalArgs,
    info: &ClipInfo,
    scores: &[FrameScore],
    warp: &WarpingError,
) -> Result<()> {
    let m = means(scores);
    let v = json!({
        "output": a.output,
        "ground_truth": a.ground_truth,
        "mask": a.mask,
        "width": info.width,
        "height": info.height,
        "frames": scores.len(),
        "psnr": num(m.psnr),
        "ssim": num(m.ssim),
        "psnr_mask": num(m.psnr_mask),
        "ssim_mask": num(m.ssim_mask),
        "mask_fraction": num(m.mask_fraction),
        "warping_error": num(warp.mean()),
        "warping_pairs": warp.pairs().len(),
        "per_frame": {
            "frame": scores.iter().map(|s| s.index).collect::<Vec<_>>(),
            "psnr": nums(scores.iter().map(|s| s.psnr)),
            "ssim": nums(scores.iter().map(|s| s.ssim)),
            "psnr_mask": nums(scores.iter().map(|s| s.psnr_mask)),
            "ssim_mask": nums(scores.iter().map(|s| s.ssim_mask)),
            "mask_fraction": nums(scores.iter().map(|s| s.mask_fraction)),
            "warping_error": nums(warp.pairs().iter().copied()),
        },
    });
    let text =
        serde_json::to_string_pretty(&v).map_err(|e| Error::Internal(format!("JSON: {e}")))?;
    println!("{text}");
    Ok(())
}

fn print_text(a: &EvalArgs, info: &ClipInfo, scores: &[FrameScore], warp: &WarpingError) {
    let m = means(scores);
    let db = |v: f64| {
        if v.is_nan() {
            "n/a".to_string()
        } else if v.is_infinite() {
            "inf (identical)".to_string()
        } else {
            format!("{v:.2} dB")
        }
    };
    let plain = |v: f64, digits: usize| {
        if v.is_nan() {
            "n/a".to_string()
        } else {
            format!("{v:.digits$}")
        }
    };
    let first = scores.first().map_or(0, |s| s.index);
    let last = scores.last().map_or(0, |s| s.index);
    println!("output:        {}", a.output);
    println!("ground truth:  {}", a.ground_truth);
    if let Some(mask) = &a.mask {
        println!(
            "mask:          {mask} ({:.1}% of the pixels)",
            100.0 * m.mask_fraction
        );
    }
    println!(
        "frames:        {} compared ({first}-{last}), {}x{}",
        scores.len(),
        info.width,
        info.height
    );
    println!("PSNR:          {} whole frame", db(m.psnr));
    println!("SSIM:          {} whole frame", plain(m.ssim, 4));
    if a.mask.is_some() {
        println!("PSNR in mask:  {}", db(m.psnr_mask));
        println!("SSIM in mask:  {}", plain(m.ssim_mask, 4));
    }
    let e = warp.mean();
    println!(
        "warping error: {} over {} frame pairs (mean squared, code values 0..1; x1000 = {})",
        plain(e, 6),
        warp.pairs().len(),
        plain(e * 1000.0, 3)
    );
}
