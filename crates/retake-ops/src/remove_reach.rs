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
use retake_imageops::distance::chamfer_to_set;
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
        // In the order of [`Plane`]: each plane converted into one reused
        // buffer (collecting a byte iterator per value was most of a write).
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
        let mut bytes = Vec::new();
        for plane in floats {
            bytes.clear();
            bytes.reserve(plane.len() * 4);
            for v in plane.iter() {
                bytes.extend_from_slice(&v.to_le_bytes());
            }
            out.write_all(&bytes)?;
        }
        for view in &self.views {
            bytes.clear();
            bytes.extend(view.known.iter().map(|&k| u8::from(k)));
            out.write_all(&bytes)?;
        }
        Ok(())
    }

    /// A record written by [`PairRecord::write_to`]; `None` when the bytes
    /// are not one (a damaged file).
    fn parse(bytes: &[u8]) -> Option<PairRecord> {
        let header = Header::parse(bytes)?;
        if header.file_len()? != bytes.len() {
            return None;
        }
        assemble(&header, [true, true], &mut { bytes })
    }
}

const MAGIC: &[u8] = b"RTKREACH1\n";

/// Bytes before the planes: the magic, six dimensions, the scale.
const HEADER: usize = MAGIC.len() + 6 * 8 + 4;

/// The planes of a record file after its header, in the order written:
/// each as (offset, length) in units of one byte per working pixel.
const PARTS: [(usize, usize); 10] = [
    (0, 4),   // forward u
    (4, 4),   // forward v
    (8, 4),   // backward u
    (12, 4),  // backward v
    (16, 4),  // forward error
    (20, 4),  // backward error
    (24, 12), // earlier frame's RGB
    (36, 12), // later frame's RGB
    (48, 1),  // earlier frame's known flags
    (49, 1),  // later frame's known flags
];
const FORWARD_U: usize = 0;
const FORWARD_V: usize = 1;
const BACKWARD_U: usize = 2;
const BACKWARD_V: usize = 3;
const FORWARD_ERROR: usize = 4;
const BACKWARD_ERROR: usize = 5;
const RGB: [usize; 2] = [6, 7];
const KNOWN: [usize; 2] = [8, 9];

/// A record's length in the same units.
const RECORD_UNITS: usize = 50;

/// A record file's header: the flow crop, its working size and scale.
struct Header {
    region: Rect,
    ww: usize,
    wh: usize,
    scale: f32,
}

impl Header {
    fn parse(bytes: &[u8]) -> Option<Header> {
        let rest = bytes.get(..HEADER)?.strip_prefix(MAGIC)?;
        let mut dims = [0usize; 6];
        for (d, b) in dims.iter_mut().zip(rest.chunks_exact(8)) {
            *d = usize::try_from(u64::from_le_bytes(b.try_into().ok()?)).ok()?;
        }
        let scale = f32::from_le_bytes(rest.get(48..52)?.try_into().ok()?);
        let [x, y, width, height, ww, wh] = dims;
        Some(Header {
            region: Rect {
                x,
                y,
                width,
                height,
            },
            ww,
            wh,
            scale,
        })
    }

    /// The whole file's length in bytes; `None` when it would overflow.
    fn file_len(&self) -> Option<usize> {
        self.ww
            .checked_mul(self.wh)?
            .checked_mul(RECORD_UNITS)?
            .checked_add(HEADER)
    }

    /// Where part `part` lies in the file (valid once `file_len` is).
    fn range(&self, part: usize) -> std::ops::Range<usize> {
        let n = self.ww * self.wh;
        let (offset, len) = PARTS[part];
        HEADER + offset * n..HEADER + (offset + len) * n
    }
}

/// Reads the byte ranges of a record's parts.
trait Parts {
    fn part(&mut self, range: std::ops::Range<usize>) -> Option<&[u8]>;
}

impl Parts for &[u8] {
    fn part(&mut self, range: std::ops::Range<usize>) -> Option<&[u8]> {
        self.get(range)
    }
}

/// A record file read part by part: a chain's step needs one direction's
/// flow and one frame's view, about half of the file, and reading the
/// whole file at every step was most of long range's cost.
struct FileParts {
    file: std::fs::File,
    buffer: Vec<u8>,
    error: Option<std::io::Error>,
}

impl Parts for FileParts {
    fn part(&mut self, range: std::ops::Range<usize>) -> Option<&[u8]> {
        use std::io::Seek;
        self.buffer.resize(range.len(), 0);
        let read = self
            .file
            .seek(std::io::SeekFrom::Start(range.start as u64))
            .and_then(|_| self.file.read_exact(&mut self.buffer));
        match read {
            Ok(()) => Some(&self.buffer),
            Err(e) => {
                self.error = Some(e);
                None
            }
        }
    }
}

fn to_floats(bytes: &[u8]) -> Vec<f32> {
    let mut out = vec![0.0f32; bytes.len() / 4];
    for (v, b) in out.iter_mut().zip(bytes.chunks_exact(4)) {
        *v = f32::from_le_bytes([b[0], b[1], b[2], b[3]]);
    }
    out
}

/// The record `header` describes, its parts read from `parts`: for each
/// frame (earlier, later) whose entry of `sides` is set, that frame's view
/// and the flow that steps onto it (backward for the earlier, forward for
/// the later). The parts not read are left empty: a record read for one
/// side must only be used for that side.
fn assemble(header: &Header, sides: [bool; 2], parts: &mut impl Parts) -> Option<PairRecord> {
    let (ww, wh) = (header.ww, header.wh);
    let mut floats = |part: usize, side: bool| -> Option<Vec<f32>> {
        if !side {
            return Some(Vec::new());
        }
        parts.part(header.range(part)).map(to_floats)
    };
    let flow = |u, v| Flow {
        width: ww,
        height: wh,
        u,
        v,
    };
    let forward = flow(floats(FORWARD_U, sides[1])?, floats(FORWARD_V, sides[1])?);
    let backward = flow(floats(BACKWARD_U, sides[0])?, floats(BACKWARD_V, sides[0])?);
    // Stored rather than recomputed: a record is read many times.
    let forward_error = floats(FORWARD_ERROR, sides[1])?;
    let backward_error = floats(BACKWARD_ERROR, sides[0])?;
    let rgb = [floats(RGB[0], sides[0])?, floats(RGB[1], sides[1])?];
    let mut known = [Vec::new(), Vec::new()];
    for k in (0..2).filter(|&k| sides[k]) {
        known[k] = parts
            .part(header.range(KNOWN[k]))?
            .iter()
            .map(|&b| b != 0)
            .collect();
    }
    let [rgb_a, rgb_b] = rgb;
    let [known_a, known_b] = known;
    Some(PairRecord {
        flow: Arc::new(PairFlow {
            region: header.region,
            scale: header.scale,
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

    /// The part of the record of frames `first` and `first + 1` that a
    /// chain stepping onto the later (`later`) or the earlier frame uses:
    /// that direction's flow and that frame's view (see [`assemble`]; the
    /// rest is left empty). `None` as [`ReachStore::get`].
    pub(crate) fn get_side(&self, first: i64, later: bool) -> Result<Option<PairRecord>> {
        let path = self.path(first);
        let damaged = |e: Option<std::io::Error>| {
            let cause = e.map_or(String::new(), |e| format!(" ({e})"));
            Error::input(
                &path,
                format!("the long-range cache is damaged or unreadable{cause} (was the temporary folder cleaned during the run?); render again"),
            )
        };
        let mut file = match std::fs::File::open(&path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(damaged(Some(e))),
        };
        let mut head = [0u8; HEADER];
        let len = file.metadata().map_err(|e| damaged(Some(e)))?.len();
        file.read_exact(&mut head).map_err(|e| damaged(Some(e)))?;
        let header = Header::parse(&head).ok_or_else(|| damaged(None))?;
        if header.file_len().and_then(|n| u64::try_from(n).ok()) != Some(len) {
            return Err(damaged(None));
        }
        let mut parts = FileParts {
            file,
            buffer: Vec::new(),
            error: None,
        };
        let sides = [!later, later];
        match assemble(&header, sides, &mut parts) {
            Some(record) => Ok(Some(record)),
            None => Err(damaged(parts.error)),
        }
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

/// Largest drift, in working pixels, that aligning a far frame on the
/// hole's surroundings corrects; a best match on the edge of the search
/// means the drift is larger, and nothing is copied from that frame.
const ALIGN_RADIUS: i32 = 4;

/// Width (working pixels) of the band of known pixels around the hole
/// that far frames are aligned on.
const BAND: f32 = 4.5;

/// Band pixels used for the alignment, at most (evenly spread): enough
/// for a translation, and a bounded cost per far frame.
const BAND_POINTS: usize = 256;

/// Fewest band pixels a far frame must show to be judged at all.
const MIN_BAND: usize = 16;

/// The known pixels of the rendered frame around its hole, followed along
/// the same chain of stored flows as the hole's pixels. Their colours are
/// known in the rendered frame, so a far frame can be checked and aligned
/// on them: a chain's drift (flow errors accumulated over many steps)
/// moves them as it moves the hole's pixels.
struct Band {
    /// Where each band pixel is in the rendered frame.
    start: Vec<(f32, f32)>,
    /// Where each band pixel is in the frame the chain has reached.
    pos: Chain,
    /// Its colour in the rendered frame.
    colour: Vec<[f32; 3]>,
    /// Per band pixel, the squared deviation of its colour from its local
    /// mean: about the least error a smooth fill makes on this texture, so
    /// a copy that cannot beat it is worse than the fill it would replace.
    smooth_error: Vec<f32>,
}

/// A band pixel a far frame shows at the aligned offset.
struct Shown {
    at: (f32, f32),
    moved: (f32, f32),
    mismatch: f32,
    smooth: f32,
}

/// A far frame aligned on the band: the offset to apply to the chain's
/// landing points, and the band pixels that frame shows at that offset,
/// which judge the copies near them.
struct Aligned {
    offset: (f32, f32),
    /// Each band pixel shown: where it is (in the far frame, before the
    /// offset), how far the chain moved it from the rendered frame, its
    /// squared mismatch after alignment and its smooth error.
    shown: Vec<Shown>,
}

impl Aligned {
    /// Whether a copy landing at `(x, y)` can be trusted, judged by the
    /// band pixels nearest to it: aligned, they must match better than a
    /// smooth fill would there, and the chain must have moved them
    /// together (spread below a working pixel of `scale`). Where the
    /// surroundings deform (a person walking past one side of the hole,
    /// parallax) the flow interpolated inside the hole is a guess, and the
    /// one offset the alignment applies cannot put the copy right.
    fn trusts(&self, x: f32, y: f32, scale: f32) -> bool {
        let mut near: Vec<(f32, &Shown)> = self
            .shown
            .iter()
            .map(|b| ((b.at.0 - x).powi(2) + (b.at.1 - y).powi(2), b))
            .collect();
        let k = MIN_BAND.min(near.len());
        if k < near.len() {
            near.select_nth_unstable_by(k, |a, b| a.0.total_cmp(&b.0));
        }
        let near = &near[..k];
        let n = k as f32;
        let (mismatch, smooth) = near
            .iter()
            .fold((0.0, 0.0), |(m, s), (_, b)| (m + b.mismatch, s + b.smooth));
        let (mx, my) = near.iter().fold((0.0, 0.0), |(x, y), (_, b)| {
            (x + b.moved.0 / n, y + b.moved.1 / n)
        });
        let spread = near
            .iter()
            .map(|(_, b)| (b.moved.0 - mx).powi(2) + (b.moved.1 - my).powi(2))
            .sum::<f32>()
            / n;
        mismatch < smooth && spread * scale * scale < 1.0
    }
}

impl Band {
    /// The band of frame `t`, read from a stored pair that holds `t`;
    /// `None` when the store holds none or the hole has no known
    /// surroundings on its crop.
    fn of(store: &ReachStore, t: i64) -> Result<Option<Band>> {
        let (record, later) = match store.get_side(t, false)? {
            Some(r) => (r, false),
            None => match store.get_side(t - 1, true)? {
                Some(r) => (r, true),
                None => return Ok(None),
            },
        };
        let f = &record.flow;
        let (ww, wh) = (f.forward.width, f.forward.height);
        let view = &record.views[usize::from(later)];
        let unknown: Vec<bool> = view.known.iter().map(|k| !k).collect();
        let dist = chamfer_to_set(&unknown, ww, wh);
        let near: Vec<usize> = (0..ww * wh)
            .filter(|&i| view.known[i] && dist[i] <= BAND)
            .collect();
        if near.len() < MIN_BAND {
            return Ok(None);
        }
        let stride = near.len().div_ceil(BAND_POINTS);
        let mut band = Band {
            start: Vec::new(),
            pos: Vec::new(),
            colour: Vec::new(),
            smooth_error: Vec::new(),
        };
        for &i in near.iter().step_by(stride) {
            let (wx, wy) = (i % ww, i / ww);
            let c = [view.rgb[i * 3], view.rgb[i * 3 + 1], view.rgb[i * 3 + 2]];
            let mean = local_mean(view, ww, wh, wx, wy);
            let deviation = (0..3).map(|k| (c[k] - mean[k]).powi(2)).sum::<f32>();
            band.smooth_error.push(deviation);
            let start = (
                (wx as f32 + 0.5) / f.scale - 0.5 + f.region.x as f32,
                (wy as f32 + 0.5) / f.scale - 0.5 + f.region.y as f32,
            );
            band.start.push(start);
            band.pos.push(Some(start));
            band.colour.push(c);
        }
        Ok(Some(band))
    }

    /// Move the band one step along `record` (forward when `later`).
    fn step(&mut self, record: &PairRecord, later: bool, (w, h): (usize, usize)) {
        for p in &mut self.pos {
            *p = p
                .and_then(|(x, y)| record.flow.step(later, x, y))
                .filter(|&(x, y)| inside(x, y, w, h));
        }
    }

    /// Whether too little of the band is still followed for any frame to
    /// be aligned on it ([`Band::align`]). A band pixel once lost stays
    /// lost, so from then on no far frame can give anything.
    fn lost(&self) -> bool {
        self.pos.iter().flatten().count() < MIN_BAND
    }

    /// The offset (full-frame pixels) that best aligns the frame the chain
    /// has reached (the later or earlier frame of `record`) with the band,
    /// after an exposure change is taken out; `None` when that frame cannot
    /// be trusted: it shows too little of the band, its best match lies on
    /// the edge of the search (more drift than it corrects), or even
    /// aligned it matches worse than a smooth fill would.
    fn align(&self, record: &PairRecord, later: bool) -> Option<Aligned> {
        let tracked = self.pos.iter().flatten().count();
        let needed = MIN_BAND.max(tracked / 2);
        if tracked < needed {
            return None;
        }
        let s = record.flow.scale;
        let mut best: Option<(f32, (i32, i32))> = None;
        for dy in -ALIGN_RADIUS..=ALIGN_RADIUS {
            for dx in -ALIGN_RADIUS..=ALIGN_RADIUS {
                let offset = (dx as f32 / s, dy as f32 / s);
                let (mut n, mut sum, mut sq) = (0usize, [0.0f64; 3], 0.0f64);
                for (_, d) in self.differences(record, later, offset) {
                    n += 1;
                    for k in 0..3 {
                        sum[k] += f64::from(d[k]);
                        sq += f64::from(d[k]).powi(2);
                    }
                }
                if n < needed {
                    continue;
                }
                let n = n as f64;
                let residual = (sq / n - sum.iter().map(|v| (v / n).powi(2)).sum::<f64>()) as f32;
                if best.is_none_or(|(r, _)| residual < r) {
                    best = Some((residual, (dx, dy)));
                }
            }
        }
        let (residual, (dx, dy)) = best?;
        let on_edge = dx.abs() == ALIGN_RADIUS || dy.abs() == ALIGN_RADIUS;
        let smooth = self.smooth_error.iter().sum::<f32>() / self.smooth_error.len() as f32;
        if on_edge || residual >= smooth {
            return None;
        }
        let offset = (dx as f32 / s, dy as f32 / s);
        let found: Vec<(usize, [f32; 3])> = self.differences(record, later, offset).collect();
        let n = found.len() as f32;
        let mut exposure = [0.0f32; 3];
        for (_, d) in &found {
            for k in 0..3 {
                exposure[k] += d[k] / n;
            }
        }
        let shown = found
            .into_iter()
            .filter_map(|(i, d)| {
                let p = self.pos[i]?;
                let mismatch = (0..3).map(|k| (d[k] - exposure[k]).powi(2)).sum::<f32>();
                let (sx, sy) = self.start[i];
                Some(Shown {
                    at: p,
                    moved: (p.0 - sx, p.1 - sy),
                    mismatch,
                    smooth: self.smooth_error[i],
                })
            })
            .collect();
        Some(Aligned { offset, shown })
    }

    /// Per band pixel the far frame shows at `offset`: its index and its
    /// colour in the rendered frame minus its colour there.
    fn differences<'a>(
        &'a self,
        record: &'a PairRecord,
        later: bool,
        (ox, oy): (f32, f32),
    ) -> impl Iterator<Item = (usize, [f32; 3])> + 'a {
        self.pos
            .iter()
            .zip(&self.colour)
            .enumerate()
            .filter_map(move |(i, (p, c))| {
                let (x, y) = (*p)?;
                let far = record.seen(later, x + ox, y + oy)?;
                Some((i, [c[0] - far[0], c[1] - far[1], c[2] - far[2]]))
            })
    }
}

/// Mean colour of the known working pixels within 2 of `(x, y)`.
fn local_mean(view: &View, ww: usize, wh: usize, x: usize, y: usize) -> [f32; 3] {
    let (mut sum, mut n) = ([0.0f32; 3], 0.0f32);
    for yy in y.saturating_sub(2)..(y + 3).min(wh) {
        for xx in x.saturating_sub(2)..(x + 3).min(ww) {
            let i = yy * ww + xx;
            if view.known[i] {
                for (s, v) in sum.iter_mut().zip(&view.rgb[i * 3..i * 3 + 3]) {
                    *s += v;
                }
                n += 1.0;
            }
        }
    }
    sum.map(|v| v / n)
}

fn inside(x: f32, y: f32, w: usize, h: usize) -> bool {
    x >= 0.0 && y >= 0.0 && x <= (w - 1) as f32 && y <= (h - 1) as f32
}

/// Follow points further along the chain, beyond the window: `pos` holds
/// each pending point where the window's search left it (frame
/// `t + dir * radius`), `None` for points not pending. Returns, per point,
/// the first frame (distance from `t`) within `reach` that shows it and its
/// colour there.
///
/// A chain through a hole follows flow that is only interpolated from the
/// hole's border, so it drifts with distance, and a copy a few pixels off
/// is worse than the smooth fill it replaces. So each far frame is first
/// aligned on the known band around the rendered frame's hole, followed
/// along the same chain ([`Band::align`]): the copy is taken at the
/// aligned place, and a frame the band does not match (better than a
/// smooth fill would) gives nothing.
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
    if pos.iter().all(|p| p.is_none()) {
        return Ok(found);
    }
    let Some(mut band) = Band::of(store, t)? else {
        return Ok(found);
    };
    let later = dir > 0;
    for k in 1..=reach {
        retake_core::cancel::check()?;
        if pos.iter().all(|p| p.is_none()) {
            break;
        }
        // The pair between frames t + dir * (k - 1) and t + dir * k, by
        // its earlier frame.
        let first = if later { t + k - 1 } else { t - k };
        let Some(record) = store.get_side(first, later)? else {
            break;
        };
        band.step(&record, later, (w, h));
        // No frame further on could be aligned either: the rest of the
        // chain (a file read per frame) would give nothing.
        if band.lost() {
            break;
        }
        if k <= radius {
            continue;
        }
        for p in pos.iter_mut() {
            *p = p
                .and_then(|(x, y)| record.flow.step(later, x, y))
                .filter(|&(x, y)| inside(x, y, w, h));
        }
        let Some(aligned) = band.align(&record, later) else {
            continue;
        };
        let (ox, oy) = aligned.offset;
        for (n, p) in pos.iter_mut().enumerate() {
            let Some((x, y)) = *p else { continue };
            let Some(c) = record.seen(later, x + ox, y + oy) else {
                continue;
            };
            if aligned.trusts(x, y, record.flow.scale) {
                found[n] = Some((k, c));
                *p = None;
            }
        }
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texture(x: usize, y: usize) -> [f32; 3] {
        let (x, y) = (x as f32, y as f32);
        [
            0.5 + 0.3 * (0.41 * x).sin() * (0.33 * y).cos(),
            0.5 + 0.25 * (0.23 * x + 0.37 * y).sin(),
            0.3 + 0.3 * (0.29 * x - 0.17 * y).cos(),
        ]
    }

    /// A texture unrelated to [`texture`].
    fn other(x: usize, y: usize) -> [f32; 3] {
        let (x, y) = (x as f32, y as f32);
        [
            0.5 + 0.3 * (0.67 * y + 0.11 * x).sin(),
            0.4 + 0.3 * (0.53 * x).cos() * (0.19 * y).sin(),
            0.5 + 0.2 * (0.31 * x + 0.47 * y).cos(),
        ]
    }

    const SIZE: (usize, usize) = (64, 48);

    /// The still hole of frames `0..open`; frame `open` shows everything.
    fn in_hole(frame: i64, open: i64, x: usize, y: usize) -> bool {
        frame < open && (16..40).contains(&x) && (14..34).contains(&y)
    }

    /// Pixels a frame the flow says row `y` moves right.
    type Drift<'a> = &'a dyn Fn(usize) -> f32;

    /// The stored pair `first, first + 1` of a still scene (`picture` per
    /// frame) under the hole, whose flow says each row moves `drift`
    /// pixels right a frame: what a chain through a hole follows when the
    /// flow interpolated there is wrong (the scene is still).
    fn drifting_pair(
        first: i64,
        open: i64,
        drift: Drift,
        picture: &dyn Fn(i64, usize, usize) -> [f32; 3],
    ) -> PairRecord {
        let (w, h) = SIZE;
        let flow = |sign: f32| Flow {
            width: w,
            height: h,
            u: (0..w * h).map(|i| sign * drift(i / w)).collect(),
            v: vec![0.0; w * h],
        };
        let view = |frame: i64| View {
            rgb: (0..w * h)
                .flat_map(|i| picture(frame, i % w, i / w))
                .collect(),
            known: (0..w * h)
                .map(|i| !in_hole(frame, open, i % w, i / w))
                .collect(),
        };
        PairRecord {
            flow: Arc::new(PairFlow {
                region: Rect {
                    x: 0,
                    y: 0,
                    width: w,
                    height: h,
                },
                scale: 1.0,
                forward: flow(1.0),
                backward: flow(-1.0),
                forward_error: vec![0.0; w * h],
                backward_error: vec![0.0; w * h],
            }),
            views: [view(first), view(first + 1)],
        }
    }

    /// Follow the pixel `(28, y)` of frame 0 (inside the hole) forward
    /// through a stored shot whose hole opens at frame `open`, from where
    /// a window of 2 frames left it: the first frame that shows it, and
    /// the colour taken there.
    fn far_copy(
        open: i64,
        y: usize,
        drift: Drift,
        picture: &dyn Fn(i64, usize, usize) -> [f32; 3],
    ) -> Found {
        let store = ReachStore {
            dir: tempfile::tempdir().unwrap(),
        };
        for first in 0..open {
            store
                .put(first, &drifting_pair(first, open, drift, picture))
                .unwrap();
        }
        let radius = 2;
        let pending = vec![Some((28.0 + radius as f32 * drift(y), y as f32))];
        search(&store, 0, 1, radius, open, SIZE, pending).unwrap()[0]
    }

    #[test]
    fn a_drifting_chain_copies_where_the_band_around_the_hole_aligns() {
        let still = |_: i64, x: usize, y: usize| texture(x, y);
        // Exact flow: the pixel itself.
        let (k, c) = far_copy(10, 24, &|_| 0.0, &still).expect("frame 10 shows the pixel");
        assert_eq!((k, c), (10, texture(28, 24)));
        // Flow drifting 0.3 px a frame lands the chain 3 px off at frame
        // 10; the band around the hole drifted alike, so aligning on it
        // takes the pixel itself, not the one the chain landed on.
        let (k, c) = far_copy(10, 24, &|_| 0.3, &still).expect("frame 10 shows the pixel");
        assert_eq!(k, 10);
        let error =
            |a: [f32; 3], b: [f32; 3]| (0..3).map(|i| (a[i] - b[i]).abs()).fold(0.0, f32::max);
        assert!(error(c, texture(28, 24)) < 1e-5, "{c:?}");
        assert!(error(texture(31, 24), texture(28, 24)) > 0.05);
    }

    #[test]
    fn a_far_frame_the_band_does_not_match_gives_nothing() {
        // Drift beyond what the alignment corrects (7 px at frame 10): a
        // copy would be the wrong pixel, so none is taken.
        let still = |_: i64, x: usize, y: usize| texture(x, y);
        assert_eq!(far_copy(10, 24, &|_| 0.7, &still), None);
        // The chain reaches a frame showing something else than the hole's
        // surroundings (the flow through a cut): no alignment matches it
        // better than a smooth fill would.
        let cut = |frame: i64, x: usize, y: usize| {
            if frame >= 10 {
                other(x, y)
            } else {
                texture(x, y)
            }
        };
        assert_eq!(far_copy(10, 24, &|_| 0.0, &cut), None);
    }

    #[test]
    fn a_chain_that_lost_the_band_reads_no_further() {
        let still = |_: i64, x: usize, y: usize| texture(x, y);
        let (w, h) = SIZE;
        let open = 10;
        let store = ReachStore {
            dir: tempfile::tempdir().unwrap(),
        };
        for first in 0..open {
            let mut record = drifting_pair(first, open, &|_| 0.0, &still);
            if first == 3 {
                // Flow trusted only in the middle of the hole: the chain
                // of the pending pixel goes on, the band around the hole
                // is lost.
                let mut flow = Arc::try_unwrap(record.flow).ok().expect("one owner");
                flow.forward_error = (0..w * h)
                    .map(|i| {
                        let middle = (24..33).contains(&(i % w)) && (20..29).contains(&(i / w));
                        if middle {
                            0.0
                        } else {
                            10.0
                        }
                    })
                    .collect();
                record.flow = Arc::new(flow);
            }
            store.put(first, &record).unwrap();
        }
        // A record further on that cannot be read: the search must not
        // get there, as no frame after the band is lost can be aligned.
        std::fs::write(store.path(6), b"not a record").unwrap();
        let pending = vec![Some((28.0, 24.0))];
        let found = search(&store, 0, 1, 2, open, SIZE, pending)
            .expect("the search stops where the band is lost");
        assert_eq!(found, vec![None]);
    }

    #[test]
    fn a_chain_whose_surroundings_deform_copies_nothing_wrong() {
        // The flow says the upper half of the picture (the hole's upper
        // half and the band above and beside it) moves 0.25 px a frame
        // while the lower half stays: a shear no single offset undoes. A
        // pixel of the upper half lands 2.5 px off at frame 10; whatever
        // is copied must be the pixel itself, never the one landed on.
        let still = |_: i64, x: usize, y: usize| texture(x, y);
        let shear = |y: usize| if y < 24 { 0.25 } else { 0.0 };
        for y in [16, 20, 23] {
            if let Some((_, c)) = far_copy(10, y, &shear, &still) {
                let error = (0..3)
                    .map(|i| (c[i] - texture(28, y)[i]).abs())
                    .fold(0.0, f32::max);
                assert!(error < 1e-3, "row {y}: copied {c:?}, not the pixel itself");
            }
        }
    }

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
        // Each side read on its own from the store: the same bits as the
        // whole record's side.
        let store = ReachStore {
            dir: tempfile::tempdir().unwrap(),
        };
        store.put(0, &record).unwrap();
        for later in [false, true] {
            let side = store.get_side(0, later).unwrap().unwrap();
            let (x, y) = (&record.flow, &side.flow);
            assert_eq!(x.region, y.region);
            assert_eq!(x.scale.to_bits(), y.scale.to_bits());
            let (flow, error, other) = if later {
                (&y.forward, &y.forward_error, &y.backward)
            } else {
                (&y.backward, &y.backward_error, &y.forward)
            };
            let (whole, whole_error) = if later {
                (&x.forward, &x.forward_error)
            } else {
                (&x.backward, &x.backward_error)
            };
            assert_eq!((flow.width, flow.height), (whole.width, whole.height));
            assert_eq!((&flow.u, &flow.v), (&whole.u, &whole.v));
            assert_eq!(error, whole_error);
            assert!(other.u.is_empty(), "the other direction is not read");
            let k = usize::from(later);
            assert_eq!(side.views[k].rgb, record.views[k].rgb);
            assert_eq!(side.views[k].known, record.views[k].known);
            assert!(side.views[1 - k].rgb.is_empty());
            // The same steps and the same colours where the chain lands.
            for (px, py) in [(12.5, 15.0), (30.25, 8.5), (5.0, 30.0)] {
                assert_eq!(x.step(later, px, py), y.step(later, px, py));
                assert_eq!(record.seen(later, px, py), side.seen(later, px, py));
            }
        }
        // A cut or padded file is refused, not misread.
        assert!(PairRecord::parse(&bytes[..bytes.len() - 1]).is_none());
        let path = store.path(0);
        std::fs::write(&path, &bytes[..bytes.len() - 1]).unwrap();
        let err = store
            .get_side(0, true)
            .err()
            .expect("a cut file is refused");
        assert!(err.to_string().contains("damaged"), "{err}");
        bytes.push(0);
        assert!(PairRecord::parse(&bytes).is_none());
    }
}
