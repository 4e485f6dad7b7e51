//! Reangle on real footage with known motion: predict frame t+K of a shot
//! from frame t by the camera change between them, and score the
//! prediction against the real frame t+K, beside the baseline of shifting
//! frame t by the median image motion.
//!
//! For each pair the camera change (yaw, pitch, roll, truck, pedestal,
//! dolly, zoom) is fitted to the dense optical flow from t to t+K (points
//! that pass a forward-backward check, a robust Gauss-Newton fit of the
//! reprojection through reangle's own depth and pinhole), then the whole
//! shot is rendered once by `Reangle` with those values keyframed per frame.
//! PSNR and SSIM (display-encoded sRGB code values) are computed on the
//! pixels both frames see: reangle's seen pixels (the pass mask is 0),
//! inside the shifted frame, the same pixels for every method.
//!
//! Usage: reangle_predict CLIP FIRST LAST K SHEET.png
//! Prints one markdown table row; writes a contact sheet of the middle
//! pair: frame t, frame t+K, shift baseline, reangle, reangle's error x4,
//! fill mask.

use std::sync::{Arc, Mutex};

use retake_core::colour::{EncodeTable, Transfer};
use retake_core::pipeline::{self, PipelineOptions};
use retake_core::{ClipInfo, ColourTags, Error, Frame, FrameSink, FrameSource, Result};
use retake_eval::{psnr, ssim};
use retake_imageops::flow::{self, Flow, FlowParams, Gray};
use retake_imageops::keyframes::Keyframes;
use retake_imageops::pinhole::{back_project, focal_length};
use retake_imageops::plane::Plane;
use retake_imageops::sample::sample;
use retake_media::{SinkOptions, SourceOptions};
use retake_ops::inpaint::patchmatch::PatchMatch;
use retake_ops3d::reangle::{
    CameraValues, Pose, Reangle, ReangleAlpha, ReangleParams, ReanglePasses,
};

struct Frames {
    frames: Vec<Frame>,
    next: usize,
    info: ClipInfo,
}

impl FrameSource for Frames {
    fn info(&self) -> &ClipInfo {
        &self.info
    }
    fn next_frame(&mut self) -> Result<Option<Frame>> {
        let f = self.frames.get(self.next).cloned();
        self.next += 1;
        Ok(f)
    }
}

struct Collect(Arc<Mutex<Vec<Frame>>>);

/// Each rendered frame's fill mask, by frame number.
type Masks = Arc<Mutex<Vec<(i64, Vec<f32>)>>>;

impl FrameSink for Collect {
    fn write(&mut self, frame: &Frame) -> Result<()> {
        self.0
            .lock()
            .map_err(|_| Error::Internal("lock".into()))?
            .push(frame.clone());
        Ok(())
    }
    fn finish(self: Box<Self>) -> Result<()> {
        Ok(())
    }
}

const NAMES: [&str; 7] = ["yaw", "pitch", "roll", "truck", "pedestal", "dolly", "zoom"];

fn pose(p: &[f64; 7]) -> Pose {
    Pose::compose(
        None,
        1.0,
        &CameraValues {
            yaw: p[0],
            pitch: p[1],
            roll: p[2],
            truck: p[3],
            pedestal: p[4],
            dolly: p[5],
            zoom: p[6],
        },
    )
}

/// A tracked point: 3D in the source camera, and where it was seen at t+K.
struct Track {
    p: [f64; 3],
    to: (f64, f64),
}

fn residuals(tracks: &[Track], params: &[f64; 7], w: usize, h: usize, focal: f64) -> Vec<f64> {
    let pose = pose(params);
    let f2 = focal * params[6];
    let (cx, cy) = (w as f64 / 2.0 - 0.5, h as f64 / 2.0 - 0.5);
    let mut r = Vec::with_capacity(tracks.len() * 2);
    for t in tracks {
        let q = pose.to_camera(t.p);
        let z = (-q[2]).max(1e-6);
        r.push(q[0] * f2 / z + cx - t.to.0);
        r.push(-q[1] * f2 / z + cy - t.to.1);
    }
    r
}

/// Robust (Huber, 1 px) Gauss-Newton fit of the camera change.
fn fit(tracks: &[Track], w: usize, h: usize, focal: f64) -> [f64; 7] {
    let mut p = [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0];
    let steps = [1e-3, 1e-3, 1e-3, 1e-4, 1e-4, 1e-4, 1e-4];
    for _ in 0..20 {
        let r0 = residuals(tracks, &p, w, h, focal);
        let wts: Vec<f64> = r0
            .chunks(2)
            .flat_map(|c| {
                let e = (c[0] * c[0] + c[1] * c[1]).sqrt();
                let wt = if e <= 1.0 { 1.0 } else { 1.0 / e };
                [wt, wt]
            })
            .collect();
        let mut jac = vec![[0.0f64; 7]; r0.len()];
        for k in 0..7 {
            let mut q = p;
            q[k] += steps[k];
            let r1 = residuals(tracks, &q, w, h, focal);
            for (j, (a, b)) in r1.iter().zip(&r0).enumerate() {
                jac[j][k] = (a - b) / steps[k];
            }
        }
        let mut a = [[0.0f64; 7]; 7];
        let mut g = [0.0f64; 7];
        for (j, row) in jac.iter().enumerate() {
            for i in 0..7 {
                g[i] += wts[j] * row[i] * r0[j];
                for k in 0..7 {
                    a[i][k] += wts[j] * row[i] * row[k];
                }
            }
        }
        for (i, row) in a.iter_mut().enumerate() {
            row[i] *= 1.0 + 1e-6;
            row[i] += 1e-9;
        }
        let Some(delta) = solve(a, g) else { break };
        for k in 0..7 {
            p[k] -= delta[k];
        }
        p[6] = p[6].clamp(0.5, 4.0);
        if delta.iter().map(|d| d.abs()).fold(0.0, f64::max) < 1e-7 {
            break;
        }
    }
    p
}

fn solve(mut a: [[f64; 7]; 7], mut b: [f64; 7]) -> Option<[f64; 7]> {
    for i in 0..7 {
        let piv = (i..7).max_by(|&x, &y| a[x][i].abs().total_cmp(&a[y][i].abs()))?;
        if a[piv][i].abs() < 1e-15 {
            return None;
        }
        a.swap(i, piv);
        b.swap(i, piv);
        let pivot_row = a[i];
        for r in i + 1..7 {
            let f = a[r][i] / pivot_row[i];
            for (v, p) in a[r][i..].iter_mut().zip(&pivot_row[i..]) {
                *v -= f * p;
            }
            b[r] -= f * b[i];
        }
    }
    let mut x = [0.0; 7];
    for i in (0..7).rev() {
        let s: f64 = (i + 1..7).map(|c| a[i][c] * x[c]).sum();
        x[i] = (b[i] - s) / a[i][i];
    }
    Some(x)
}

fn encode(f: &Frame, table: &EncodeTable) -> Vec<f32> {
    f.data
        .chunks_exact(f.channels)
        .flat_map(|p| [p[0], p[1], p[2]])
        .map(|v| table.encode(v.max(0.0)).min(1.0))
        .collect()
}

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.len() != 5 {
        eprintln!("usage: reangle_predict CLIP FIRST LAST K SHEET.png");
        std::process::exit(2);
    }
    let num = |i: usize, name: &str| {
        args[i]
            .parse::<i64>()
            .map_err(|_| Error::parameter(name, format!("`{}` is not a number", args[i])))
    };
    let (first, last, k) = (num(1, "first")?, num(2, "last")?, num(3, "k")?);
    let mut source = retake_media::open_source(&args[0], &SourceOptions::default())?;
    source.seek(first)?;
    let mut frames = Vec::new();
    while let Some(f) = source.next_frame()? {
        if f.index > last {
            break;
        }
        if f.index >= first {
            frames.push(f.with_channels(3));
        }
    }
    let n = frames.len();
    if n as i64 <= k {
        return Err(Error::input(&args[0], "too few frames for K"));
    }
    let (w, h) = (frames[0].width, frames[0].height);
    let base = ReangleParams {
        alpha: ReangleAlpha::Ignore,
        fill: "patchmatch".into(),
        ..ReangleParams::default()
    };
    let focal = focal_length(w, base.fov) as f64;
    let probe = Reangle::new(base.clone(), Box::new(PatchMatch::default()))?;
    let table = EncodeTable::new(Transfer::Srgb);

    // 1. Camera change and image shift from t to t+K.
    let flow_params = FlowParams::default();
    let mut fitted: Vec<[f64; 7]> = Vec::new();
    let mut shifts: Vec<(f32, f32)> = Vec::new();
    for t in 0..n - k as usize {
        let (a, b) = (&frames[t], &frames[t + k as usize]);
        let ga = Gray::from_rgb(&encode(a, &table), w, h);
        let gb = Gray::from_rgb(&encode(b, &table), w, h);
        let fwd: Flow = flow::estimate(&ga, &gb, None, None, &flow_params);
        let bwd: Flow = flow::estimate(&gb, &ga, None, None, &flow_params);
        let depth = probe.source_depth(a)?;
        let mut tracks = Vec::new();
        let (mut us, mut vs) = (Vec::new(), Vec::new());
        for y in (4..h - 4).step_by(6) {
            for x in (4..w - 4).step_by(6) {
                let i = y * w + x;
                let (u, v) = (fwd.u[i], fwd.v[i]);
                let (bu, bv) = bwd.at(x as f32 + u, y as f32 + v);
                if ((u + bu).powi(2) + (v + bv).powi(2)).sqrt() > 0.5 {
                    continue;
                }
                let p = back_project(x as f32, y as f32, depth[i], w, h, focal as f32);
                tracks.push(Track {
                    p: [p[0] as f64, p[1] as f64, p[2] as f64],
                    to: (x as f64 + u as f64, y as f64 + v as f64),
                });
                us.push(u);
                vs.push(v);
            }
        }
        let median = |v: &mut Vec<f32>| {
            if v.is_empty() {
                return 0.0;
            }
            let m = v.len() / 2;
            *v.select_nth_unstable_by(m, |a, b| a.total_cmp(b)).1
        };
        let tracked = tracks.len();
        shifts.push((median(&mut us), median(&mut vs)));
        fitted.push(if tracks.len() >= 20 {
            fit(&tracks, w, h, focal)
        } else {
            [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0]
        });
        eprintln!(
            "pair {}: {tracked} tracked points, shift {:?}, fitted {:?}",
            first + t as i64,
            shifts[t],
            fitted[t]
        );
    }

    // 2. Render every prediction in one run, the values keyframed per frame.
    let keys = |j: usize| {
        Keyframes::new(
            fitted
                .iter()
                .enumerate()
                .map(|(t, p)| (first + t as i64, p[j] as f32)),
        )
        .map_err(|e| Error::parameter(NAMES[j], e))
    };
    let params = ReangleParams {
        yaw: Some(keys(0)?),
        pitch: Some(keys(1)?),
        roll: Some(keys(2)?),
        truck: Some(keys(3)?),
        pedestal: Some(keys(4)?),
        dolly: Some(keys(5)?),
        zoom: Some(keys(6)?),
        ..base
    };
    let masks: Masks = Arc::new(Mutex::new(Vec::new()));
    let sink_masks = masks.clone();
    let op = Reangle::new(params, Box::new(PatchMatch::default()))?
        .with_shot(first, last)
        .with_pass_writer(Box::new(move |p: &ReanglePasses| {
            sink_masks
                .lock()
                .map_err(|_| Error::Internal("lock".into()))?
                .push((p.mask.index, p.mask.data.clone()));
            Ok(())
        }));
    let out = Arc::new(Mutex::new(Vec::new()));
    let mut src = Frames {
        frames: frames.clone(),
        next: 0,
        info: {
            let mut i = ClipInfo::in_memory(&args[0], w, h, Some(n as u64));
            i.first_frame = first;
            i
        },
    };
    pipeline::run(
        &mut src,
        &op,
        Box::new(Collect(out.clone())),
        &PipelineOptions::default(),
    )?;
    let out = out
        .lock()
        .map_err(|_| Error::Internal("lock".into()))?
        .clone();
    let masks = masks
        .lock()
        .map_err(|_| Error::Internal("lock".into()))?
        .clone();

    // 3. Scores on the pixels both frames see.
    let (mut ps, mut pr, mut pi, mut ss, mut sr, mut si) = (0.0, 0.0, 0.0, 0.0, 0.0, 0.0);
    let (mut compared, mut filled) = (0.0f64, 0.0f64);
    let mut sheet_parts = None;
    let pairs = n - k as usize;
    for t in 0..pairs {
        let truth = encode(&frames[t + k as usize], &table);
        let ours = encode(&out[t], &table);
        let src = encode(&frames[t], &table);
        let (dx, dy) = shifts[t];
        let mut shifted = vec![0.0f32; w * h * 3];
        let mut mask = vec![0.0f32; w * h];
        let fill = &masks
            .iter()
            .find(|m| m.0 == first + t as i64)
            .ok_or_else(|| Error::Internal("missing pass".into()))?
            .1;
        for y in 0..h {
            for x in 0..w {
                let i = y * w + x;
                let (sx, sy) = (x as f32 - dx, y as f32 - dy);
                let inside = sx >= 0.0 && sy >= 0.0 && sx <= (w - 1) as f32 && sy <= (h - 1) as f32;
                sample(
                    Plane::new(&src, w, h, 3),
                    sx,
                    sy,
                    &mut shifted[i * 3..i * 3 + 3],
                );
                if inside && fill[i] == 0.0 {
                    mask[i] = 1.0;
                }
            }
        }
        filled += fill.iter().filter(|v| **v > 0.0).count() as f64 / (w * h) as f64;
        compared += mask.iter().sum::<f32>() as f64 / (w * h) as f64;
        ps += psnr(&shifted, &truth, Some(&mask));
        pr += psnr(&ours, &truth, Some(&mask));
        pi += psnr(&src, &truth, Some(&mask));
        ss += ssim(&shifted, &truth, w, h, 3, Some(&mask));
        sr += ssim(&ours, &truth, w, h, 3, Some(&mask));
        si += ssim(&src, &truth, w, h, 3, Some(&mask));
        if t == pairs / 2 {
            let err: Vec<f32> = ours
                .iter()
                .zip(&truth)
                .map(|(a, b)| ((a - b).abs() * 4.0).min(1.0))
                .collect();
            let m3: Vec<f32> = fill.iter().flat_map(|v| [*v, *v, *v]).collect();
            sheet_parts = Some(vec![
                src.clone(),
                truth.clone(),
                shifted,
                ours.clone(),
                err,
                m3,
            ]);
        }
    }
    let m = pairs as f64;
    let med = |j: usize| {
        let mut v: Vec<f64> = fitted.iter().map(|p| p[j]).collect();
        v.sort_by(|a, b| a.total_cmp(b));
        v[v.len() / 2]
    };
    println!(
        "| {} | {}-{} | {} | {:.0}% | {:.0}% | {:.2} | {:.2} | {:.2} | {:.3} | {:.3} | {:.3} | yaw {:.2}°, pitch {:.2}°, truck {:.3}, dolly {:.3}, zoom {:.3} |",
        std::path::Path::new(&args[0]).file_name().map_or_else(|| args[0].clone(), |f| f.to_string_lossy().into_owned()),
        first,
        last,
        k,
        100.0 * compared / m,
        100.0 * filled / m,
        pi / m,
        ps / m,
        pr / m,
        si / m,
        ss / m,
        sr / m,
        med(0),
        med(1),
        med(3),
        med(5),
        med(6),
    );

    // 4. Contact sheet of the middle pair, 3 x 2, display-encoded.
    if let Some(parts) = sheet_parts {
        let (cols, rows) = (3, 2);
        let mut data = vec![0.0f32; w * cols * h * rows * 3];
        for (p, img) in parts.iter().enumerate() {
            let (ox, oy) = ((p % cols) * w, (p / cols) * h);
            for y in 0..h {
                for x in 0..w {
                    let o = ((oy + y) * w * cols + ox + x) * 3;
                    data[o..o + 3].copy_from_slice(&img[(y * w + x) * 3..(y * w + x) * 3 + 3]);
                }
            }
        }
        let sheet = Frame::from_data(0, w * cols, h * rows, 3, data)?;
        let mut info = ClipInfo::in_memory(&args[4], sheet.width, sheet.height, Some(1));
        info.colour = ColourTags::srgb_image();
        let mut sink = retake_media::create_sink(
            &args[4],
            &info,
            &SinkOptions {
                codec: None,
                // Already display-encoded.
                transfer: Some(Transfer::Linear),
                crf: None,
                threads: 0,
                carry: None,
                bit_depth: Default::default(),
            },
        )?;
        sink.write(&sheet)?;
        sink.finish()?;
    }
    Ok(())
}
