//! Long-range propagation for `remove`: background seen anywhere within
//! `reach` frames fills the hole, not only within the window held in memory.
//!
//! A first pass over the frames a render needs ([`ReachStore::build`])
//! writes, per pair of consecutive frames, the flow crop `remove` follows
//! and both frames' pictures on that crop at the flow's working scale, one
//! file per pair in a temporary folder. A crop is the holes' neighbourhood
//! at most `FLOW_SIDE` pixels across, so the folder grows with the mask and
//! the clip but memory holds one pair at a time. The render follows the
//! pixels no frame of its window shows further along this chain, one file
//! at a time, until a frame shows them. Records are pure functions of their
//! two frames, and the pass covers every pair within `reach` of each frame
//! rendered, so a shot rendered in chunks gets the same bits as one
//! rendered whole. The window's own flows are read back from the same
//! files (bit for bit what it would compute), so the pass costs no flow
//! twice.

use std::io::{Read, Write};
use std::path::PathBuf;
use std::sync::Arc;

use crate::inpaint::Rect;
use crate::remove::{pair_flow_with_known, Chain, Found, PairFlow, RemoveAnalysis};
use retake_core::error::{Error, Result};
use retake_core::frame::Frame;
use retake_core::io::FrameSource;
use retake_core::window::Item;
use retake_imageops::filter::resize;
use retake_imageops::flow::{Flow, FlowParams};
use retake_imageops::plane::Plane;
use retake_imageops::sample::sample;

/// One frame of a pair on the pair's flow crop, at the flow's working scale.
struct View {
    rgb: Vec<f32>,
    /// Per working pixel: none of the frame's pixels it covers is in the hole.
    known: Vec<bool>,
}

/// What the render needs to step across one pair of frames and to read
/// either frame where the step lands.
pub(crate) struct PairRecord {
    pub flow: Arc<PairFlow>,
    /// The earlier and the later frame.
    views: [View; 2],
}

impl PairRecord {
    /// The record of frames `a` and `a + 1`; `None` when neither has a
    /// hole (nothing is followed through them).
    pub fn make(
        a: &Item<RemoveAnalysis>,
        b: &Item<RemoveAnalysis>,
        params: &FlowParams,
    ) -> Option<PairRecord> {
        let (flow, known_a, known_b) = pair_flow_with_known(a, b, params)?;
        let (ww, wh) = (flow.forward.width, flow.forward.height);
        let view = |item: &Item<RemoveAnalysis>, known: Vec<f32>| View {
            rgb: working_rgb(&item.frame, flow.region, ww, wh),
            known: known.into_iter().map(|k| k > 0.5).collect(),
        };
        let views = [view(a, known_a), view(b, known_b)];
        Some(PairRecord {
            flow: Arc::new(flow),
            views,
        })
    }

    /// The colour of the later (`later`) or earlier frame at the point
    /// `(x, y)` (full-frame pixels), when that frame shows it there: none
    /// of the working pixels a bilinear sample mixes is in its hole.
    pub fn seen(&self, later: bool, x: f32, y: f32) -> Option<[f32; 3]> {
        let f = &self.flow;
        let (ww, wh) = (f.forward.width, f.forward.height);
        let wx = (x - f.region.x as f32 + 0.5) * f.scale - 0.5;
        let wy = (y - f.region.y as f32 + 0.5) * f.scale - 0.5;
        if !(wx >= 0.0 && wy >= 0.0 && wx <= (ww - 1) as f32 && wy <= (wh - 1) as f32) {
            return None;
        }
        let view = &self.views[usize::from(later)];
        let (x0, y0) = (wx.floor() as usize, wy.floor() as usize);
        let (x1, y1) = ((x0 + 1).min(ww - 1), (y0 + 1).min(wh - 1));
        let clear = [(x0, y0), (x1, y0), (x0, y1), (x1, y1)]
            .iter()
            .all(|&(px, py)| view.known[py * ww + px]);
        if !clear {
            return None;
        }
        let mut c = [0.0f32; 3];
        sample(Plane::new(&view.rgb, ww, wh, 3), wx, wy, &mut c);
        Some(c)
    }

    fn write_to(&self, out: &mut impl Write) -> std::io::Result<()> {
        let f = &self.flow;
        out.write_all(MAGIC)?;
        let r = f.region;
        for v in [
            r.x,
            r.y,
            r.width,
            r.height,
            f.forward.width,
            f.forward.height,
        ] {
            out.write_all(&(v as u64).to_le_bytes())?;
        }
        out.write_all(&f.scale.to_le_bytes())?;
        let floats = [
            &f.forward.u,
            &f.forward.v,
            &f.backward.u,
            &f.backward.v,
            &f.forward_error,
            &f.backward_error,
            &self.views[0].rgb,
            &self.views[1].rgb,
        ];
        for plane in floats {
            let bytes: Vec<u8> = plane.iter().flat_map(|v| v.to_le_bytes()).collect();
            out.write_all(&bytes)?;
        }
        for view in &self.views {
            let bytes: Vec<u8> = view.known.iter().map(|&k| u8::from(k)).collect();
            out.write_all(&bytes)?;
        }
        Ok(())
    }

    /// A record written by [`PairRecord::write_to`]; `None` when the bytes
    /// are not one (a damaged file).
    fn parse(bytes: &[u8]) -> Option<PairRecord> {
        let mut rest = bytes.strip_prefix(MAGIC)?;
        let mut take = |n: usize| -> Option<&[u8]> {
            let (head, tail) = rest.split_at_checked(n)?;
            rest = tail;
            Some(head)
        };
        let mut dims = [0usize; 6];
        for d in &mut dims {
            *d = usize::try_from(u64::from_le_bytes(take(8)?.try_into().ok()?)).ok()?;
        }
        let [x, y, width, height, ww, wh] = dims;
        let scale = f32::from_le_bytes(take(4)?.try_into().ok()?);
        let n = ww.checked_mul(wh)?;
        let mut floats = |len: usize| -> Option<Vec<f32>> {
            let b = take(len.checked_mul(4)?)?;
            Some(
                b.chunks_exact(4)
                    .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                    .collect(),
            )
        };
        let flow = |u, v| Flow {
            width: ww,
            height: wh,
            u,
            v,
        };
        let forward = flow(floats(n)?, floats(n)?);
        let backward = flow(floats(n)?, floats(n)?);
        // Stored rather than recomputed: a record is read many times.
        let forward_error = floats(n)?;
        let backward_error = floats(n)?;
        let rgb = [floats(n * 3)?, floats(n * 3)?];
        let known_a = take(n)?.iter().map(|&k| k != 0).collect();
        let known_b = take(n)?.iter().map(|&k| k != 0).collect();
        if !rest.is_empty() {
            return None;
        }
        let [rgb_a, rgb_b] = rgb;
        Some(PairRecord {
            flow: Arc::new(PairFlow {
                region: Rect {
                    x,
                    y,
                    width,
                    height,
                },
                scale,
                forward,
                backward,
                forward_error,
                backward_error,
            }),
            views: [
                View {
                    rgb: rgb_a,
                    known: known_a,
                },
                View {
                    rgb: rgb_b,
                    known: known_b,
                },
            ],
        })
    }
}

const MAGIC: &[u8] = b"RTKREACH1\n";

/// A frame's RGB on `region`, resized to the working size `ww x wh`.
fn working_rgb(f: &Frame, region: Rect, ww: usize, wh: usize) -> Vec<f32> {
    let mut rgb = Vec::with_capacity(region.width * region.height * 3);
    for y in region.y..region.y + region.height {
        let row = (y * f.width + region.x) * f.channels;
        for p in f.data[row..row + region.width * f.channels].chunks_exact(f.channels) {
            rgb.extend_from_slice(&p[..3]);
        }
    }
    if (ww, wh) == (region.width, region.height) {
        return rgb;
    }
    resize(Plane::new(&rgb, region.width, region.height, 3), ww, wh)
}

/// The pair records of a run, one file per pair in a temporary folder that
/// is deleted with the store.
pub struct ReachStore {
    dir: tempfile::TempDir,
}

impl ReachStore {
    /// Read `source` from frame `from` to frame `to` (or its end), analyse
    /// each frame with `analyse` and write the record of each consecutive
    /// pair. Holds two frames at a time.
    pub(crate) fn build(
        source: &mut dyn FrameSource,
        from: i64,
        to: Option<i64>,
        analyse: impl Fn(&Frame) -> Result<RemoveAnalysis>,
        params: &FlowParams,
    ) -> Result<ReachStore> {
        let dir = tempfile::Builder::new()
            .prefix("retake-reach-")
            .tempdir()
            .map_err(|e| {
                Error::output(
                    std::env::temp_dir(),
                    format!("cannot make the long-range cache folder ({e}); free space there or set TMPDIR, or give --reach 0"),
                )
            })?;
        let store = ReachStore { dir };
        if from > source.info().first_frame {
            source.seek(from)?;
        }
        let mut previous: Option<Item<RemoveAnalysis>> = None;
        let mut done = 0u64;
        while let Some(frame) = source.next_frame()? {
            retake_core::cancel::check()?;
            if frame.index < from {
                continue;
            }
            if to.is_some_and(|to| frame.index > to) {
                break;
            }
            let analysis = analyse(&frame)?;
            let item = Item {
                frame: Arc::new(frame),
                analysis,
            };
            if let Some(a) = &previous {
                if let Some(record) = PairRecord::make(a, &item, params) {
                    store.put(a.frame.index, &record)?;
                }
            }
            previous = Some(item);
            done += 1;
            if done.is_multiple_of(50) {
                log::info!("remove: long-range pass read {done} frames");
            }
        }
        log::info!(
            "remove: long-range pass read {done} frames, {} MB of crops and flows",
            store.bytes() / 1_000_000
        );
        Ok(store)
    }

    fn path(&self, first: i64) -> PathBuf {
        self.dir.path().join(format!("pair.{first}.bin"))
    }

    fn put(&self, first: i64, record: &PairRecord) -> Result<()> {
        let path = self.path(first);
        let write = || -> std::io::Result<()> {
            let mut out = std::io::BufWriter::new(std::fs::File::create(&path)?);
            record.write_to(&mut out)?;
            // A private scratch file read back in the same run: no sync.
            out.flush()
        };
        write().map_err(|e| {
            Error::output(
                &path,
                format!("cannot write the long-range cache ({e}); free space in the temporary folder (TMPDIR) or give --reach 0"),
            )
        })
    }

    /// The record of frames `first` and `first + 1`; `None` when the pass
    /// wrote none (outside its frames, or neither frame has a hole).
    pub(crate) fn get(&self, first: i64) -> Result<Option<PairRecord>> {
        let path = self.path(first);
        let mut bytes = Vec::new();
        match std::fs::File::open(&path) {
            Ok(mut f) => f.read_to_end(&mut bytes).map_err(|e| {
                Error::input(&path, format!("cannot read the long-range cache ({e})"))
            })?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => {
                return Err(Error::input(
                    &path,
                    format!("cannot read the long-range cache ({e})"),
                ))
            }
        };
        PairRecord::parse(&bytes).map(Some).ok_or_else(|| {
            Error::input(
                &path,
                "the long-range cache is damaged (was the temporary folder cleaned during the run?); render again",
            )
        })
    }

    /// Bytes on disk, summed over the records.
    pub fn bytes(&self) -> u64 {
        std::fs::read_dir(self.dir.path())
            .map(|entries| {
                entries
                    .flatten()
                    .filter_map(|e| e.metadata().ok())
                    .map(|m| m.len())
                    .sum()
            })
            .unwrap_or(0)
    }

    /// Pair records written.
    pub fn records(&self) -> usize {
        std::fs::read_dir(self.dir.path()).map_or(0, |entries| entries.count())
    }
}

/// Follow points further along the chain, beyond the window: `pos` holds
/// each pending point where the window's search left it (frame
/// `t + dir * radius`), `None` for points not pending. Returns, per point,
/// the first frame (distance from `t`) within `reach` that shows it and its
/// colour there.
pub(crate) fn search(
    store: &ReachStore,
    t: i64,
    dir: i64,
    radius: i64,
    reach: i64,
    (w, h): (usize, usize),
    mut pos: Chain,
) -> Result<Vec<Found>> {
    let mut found = vec![None; pos.len()];
    let later = dir > 0;
    for k in radius + 1..=reach {
        retake_core::cancel::check()?;
        if pos.iter().all(|p| p.is_none()) {
            break;
        }
        // The pair between frames t + dir * (k - 1) and t + dir * k, by
        // its earlier frame.
        let first = if later { t + k - 1 } else { t - k };
        let Some(record) = store.get(first)? else {
            break;
        };
        for (n, p) in pos.iter_mut().enumerate() {
            let Some((x, y)) = *p else { continue };
            *p = None;
            let Some((nx, ny)) = record.flow.step(later, x, y) else {
                continue;
            };
            if !(nx >= 0.0 && ny >= 0.0 && nx <= (w - 1) as f32 && ny <= (h - 1) as f32) {
                continue;
            }
            match record.seen(later, nx, ny) {
                Some(c) => found[n] = Some((k, c)),
                None => *p = Some((nx, ny)),
            }
        }
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_reads_back_bit_for_bit() {
        let (w, h) = (48, 40);
        let item = |t: i64, dx: usize| {
            let data: Vec<f32> = (0..w * h)
                .flat_map(|i| {
                    let (x, y) = ((i % w + dx) as f32, (i / w) as f32);
                    [
                        (0.3 * x).sin() * 0.4 + 0.5,
                        (0.2 * y).cos() * 0.3 + 0.5,
                        0.2,
                    ]
                })
                .collect();
            let hole: Vec<bool> = (0..w * h)
                .map(|i| (10..20).contains(&(i % w)) && (12..22).contains(&(i / w)))
                .collect();
            let bbox = Rect::bounding(&hole, w, h);
            Item {
                frame: Arc::new(Frame::from_data(t, w, h, 3, data).unwrap()),
                analysis: RemoveAnalysis::from_parts(hole, bbox),
            }
        };
        let (a, b) = (item(0, 0), item(1, 1));
        let record = PairRecord::make(&a, &b, &FlowParams::default()).unwrap();
        let mut bytes = Vec::new();
        record.write_to(&mut bytes).unwrap();
        let back = PairRecord::parse(&bytes).unwrap();
        let (x, y) = (&record.flow, &back.flow);
        assert_eq!(x.region, y.region);
        assert_eq!(x.scale.to_bits(), y.scale.to_bits());
        assert_eq!(x.forward.u, y.forward.u);
        assert_eq!(x.backward.v, y.backward.v);
        assert_eq!(x.forward_error, y.forward_error);
        assert_eq!(x.backward_error, y.backward_error);
        for (v, u) in record.views.iter().zip(&back.views) {
            assert_eq!(v.rgb, u.rgb);
            assert_eq!(v.known, u.known);
        }
        // A cut or padded file is refused, not misread.
        assert!(PairRecord::parse(&bytes[..bytes.len() - 1]).is_none());
        bytes.push(0);
        assert!(PairRecord::parse(&bytes).is_none());
    }
}
