//! How much a mask chatters: the mean frame-to-frame change of mask values
//! on pixels where the picture itself did not change (any change there is
//! flicker, not motion), and over the whole frame.
//!
//! Usage: mask_stability SOURCE MASK [MASK...]
//! Each MASK is a mask clip of SOURCE (e.g. `retake mask` with and without
//! temporal smoothing); one line per mask is printed, so masks made from the
//! same frames are compared in the same run.

use retake_core::colour::{EncodeTable, Transfer};
use retake_core::{Frame, Result};
use retake_media::SourceOptions;

/// Picture change (display-referred luma) under which a pixel counts as static.
const STATIC: f32 = 0.01;

fn luma(f: &Frame, table: &EncodeTable) -> Vec<f32> {
    f.luminance().into_iter().map(|l| table.encode(l)).collect()
}

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.len() < 2 {
        eprintln!("usage: mask_stability SOURCE MASK [MASK...]");
        std::process::exit(2);
    }
    let table = EncodeTable::new(Transfer::Srgb);
    let mut source = retake_media::open_source(&args[0], &SourceOptions::default())?;
    let data = SourceOptions::data();
    let mut masks = args[1..]
        .iter()
        .map(|p| retake_media::open_source(p, &data))
        .collect::<Result<Vec<_>>>()?;
    let n = masks.len();
    let (mut static_sum, mut all_sum) = (vec![0.0f64; n], vec![0.0f64; n]);
    let (mut static_count, mut all_count) = (0u64, 0u64);
    let mut prev: Option<(Vec<f32>, Vec<Vec<f32>>)> = None;
    while let Some(frame) = source.next_frame()? {
        let y = luma(&frame, &table);
        let mut ms = Vec::with_capacity(n);
        for m in masks.iter_mut() {
            let f = m.next_frame()?.ok_or_else(|| {
                retake_core::Error::input(&m.info().path, "mask ends before the source")
            })?;
            let mut mask = retake_ops::matte::to_mask(&f);
            ms.push(std::mem::take(&mut mask.data));
        }
        if let Some((py, pms)) = &prev {
            for p in 0..y.len() {
                let still = (y[p] - py[p]).abs() < STATIC;
                if still {
                    static_count += 1;
                }
                all_count += 1;
                for k in 0..n {
                    let d = (ms[k][p] - pms[k][p]).abs() as f64;
                    all_sum[k] += d;
                    if still {
                        static_sum[k] += d;
                    }
                }
            }
        }
        prev = Some((y, ms));
    }
    println!(
        "{:<40} {:>18} {:>16}",
        "mask", "static-pixel flicker", "all-pixel change"
    );
    for k in 0..n {
        println!(
            "{:<40} {:>18.5} {:>16.5}",
            args[k + 1],
            static_sum[k] / static_count.max(1) as f64,
            all_sum[k] / all_count.max(1) as f64
        );
    }
    println!("({} of {} pixel pairs static)", static_count, all_count);
    Ok(())
}
