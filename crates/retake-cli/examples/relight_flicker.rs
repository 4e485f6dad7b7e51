//! Flicker index of relit clips: the mean frame-to-frame change of the
//! relit picture minus that of the source (display-referred luma, 0..1).
//! Relighting that adds no flicker scores about 0; geometry that jumps
//! from frame to frame scores higher.
//!
//! Usage: relight_flicker SOURCE RELIT [RELIT...]
//! Each RELIT is a relit clip of the same frames of SOURCE (e.g. with and
//! without `--temporal-radius`); one line each, so they are compared in the
//! same run.

use retake_core::colour::{EncodeTable, Transfer};
use retake_core::{Error, Frame, Result};
use retake_media::SourceOptions;

fn luma(f: &Frame, table: &EncodeTable) -> Vec<f32> {
    f.luminance()
        .into_iter()
        .map(|l| table.encode(l.max(0.0)).min(1.0))
        .collect()
}

fn mean_change(a: &[f32], b: &[f32]) -> f64 {
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs() as f64)
        .sum::<f64>()
        / a.len().max(1) as f64
}

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.len() < 2 {
        eprintln!("usage: relight_flicker SOURCE RELIT [RELIT...]");
        std::process::exit(2);
    }
    let table = EncodeTable::new(Transfer::Srgb);
    let mut source = retake_media::open_source(&args[0], &SourceOptions::default())?;
    let mut relit = args[1..]
        .iter()
        .map(|p| retake_media::open_source(p, &SourceOptions::default()))
        .collect::<Result<Vec<_>>>()?;
    let n = relit.len();
    let mut source_change = 0.0f64;
    let mut change = vec![0.0f64; n];
    let mut pairs = 0u64;
    let mut prev: Option<(Vec<f32>, Vec<Vec<f32>>)> = None;
    while let Some(frame) = source.next_frame()? {
        let mut ys = Vec::with_capacity(n);
        for r in relit.iter_mut() {
            match r.next_frame()? {
                Some(f) => ys.push(luma(&f, &table)),
                None if prev.is_some() => break,
                None => return Err(Error::input(&r.info().path, "has no frames")),
            }
        }
        if ys.len() < n {
            break;
        }
        let y = luma(&frame, &table);
        if let Some((py, pys)) = &prev {
            source_change += mean_change(&y, py);
            for k in 0..n {
                change[k] += mean_change(&ys[k], &pys[k]);
            }
            pairs += 1;
        }
        prev = Some((y, ys));
    }
    let pairs = pairs.max(1) as f64;
    println!(
        "source: mean frame-to-frame change {:.5} over {pairs} pairs",
        source_change / pairs
    );
    println!(
        "{:<48} {:>14} {:>14}",
        "relit clip", "mean change", "flicker index"
    );
    for k in 0..n {
        println!(
            "{:<48} {:>14.5} {:>14.5}",
            args[k + 1],
            change[k] / pairs,
            (change[k] - source_change) / pairs
        );
    }
    Ok(())
}
