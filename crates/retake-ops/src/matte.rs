//! Mattes that come from files: a still (a logo, a rig that does not move)
//! or a clip with a frame per frame of the shot. Checked against the shot
//! (size, length) before they are used, and read as data: no colour curve.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use crate::track::Tracker;
use retake_core::clip::ClipInfo;
use retake_core::error::{Error, Result};
use retake_core::frame::Frame;
use retake_core::io::FrameSource;

/// Where a shot's matte comes from.
pub enum Matte {
    /// One picture for every frame.
    Still { path: String, mask: Frame },
    /// A clip of matte frames; which one belongs to a shot frame is
    /// [`pass_offset`]'s rule.
    Clip {
        path: String,
        source: Box<dyn FrameSource>,
        values: MatteValues,
        /// Matte frame = shot frame + offset.
        offset: i64,
        /// Number of the matte frame `source` gives next.
        next: i64,
    },
    /// Tracked from keyframes through the shot (`retake track`'s masks,
    /// made during the run that uses them).
    Tracked(Box<Tracker>),
}

/// Which frame of a pass (a matte, depth or normal pass) goes with which
/// frame of the shot, as `pass frame = shot frame + offset`. An image
/// sequence is numbered, so it is matched by number (offset 0: mask frame
/// 1001 with shot frame 1001; a video's frames count from 0); a video
/// pass has no numbers of its own and is matched by order; `explicit`
/// (`--mask-offset`) overrides both.
pub fn pass_offset(shot: &ClipInfo, pass: &ClipInfo, explicit: Option<i64>) -> i64 {
    if let Some(o) = explicit {
        return o;
    }
    if is_numbered(pass) {
        0
    } else {
        pass.first_frame - shot.first_frame
    }
}

/// True for image sequences, whose file numbers are frame numbers.
fn is_numbered(clip: &ClipInfo) -> bool {
    clip.format.ends_with(" sequence")
}

/// Refuse a pass that lacks frames for the shot's frames under `offset`,
/// naming both numberings and the flag that changes the matching.
pub fn check_pass_covers(shot: &ClipInfo, pass: &ClipInfo, offset: i64, what: &str) -> Result<()> {
    let (Some(shot_last), Some(pass_last)) = (shot.last_frame(), pass.last_frame()) else {
        return Ok(());
    };
    let want_first = shot.first_frame + offset;
    let want_last = shot_last + offset;
    if want_first >= pass.first_frame && want_last <= pass_last {
        return Ok(());
    }
    let how = if offset == 0 {
        "by frame number".to_string()
    } else {
        format!("with offset {offset}")
    };
    let hint = if is_numbered(pass) && want_first != pass.first_frame {
        format!(
            "; if its frame {} belongs to shot frame {}, pass [[mask_offset]] {}",
            pass.first_frame,
            shot.first_frame,
            pass.first_frame - shot.first_frame
        )
    } else {
        "; give a frame for every frame of the shot (or a single still)".to_string()
    };
    Err(Error::input(
        &pass.path,
        format!(
            "{what} has {} frames ({}-{pass_last}) but the shot {} (frames {}-{shot_last}) \
             needs {what} frames {want_first}-{want_last}, matched {how}{hint}",
            pass_last - pass.first_frame + 1,
            pass.first_frame,
            shot.path,
            shot.first_frame
        ),
    ))
}

/// How a matte clip's pictures become one channel.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MatteValues {
    /// Coverage: the alpha (or luminance), clamped to 0..1.
    Coverage,
    /// Data such as a depth pass: the luminance (the single channel) as is.
    Data,
}

impl Matte {
    /// Take a matte clip: a one-frame clip becomes a still.
    pub fn from_source(source: Box<dyn FrameSource>) -> Result<Matte> {
        Self::with_values(source, MatteValues::Coverage)
    }

    /// Take a clip of data (a depth pass) to carry as alpha, unclamped.
    pub fn data_from_source(source: Box<dyn FrameSource>) -> Result<Matte> {
        Self::with_values(source, MatteValues::Data)
    }

    fn with_values(mut source: Box<dyn FrameSource>, values: MatteValues) -> Result<Matte> {
        let path = source.info().path.clone();
        if source.info().frames == Some(1) {
            let frame = source
                .next_frame()?
                .ok_or_else(|| Error::input(&path, "the matte has no frames"))?;
            return Ok(Matte::Still {
                mask: one_channel(&frame, values),
                path,
            });
        }
        let next = source.info().first_frame;
        Ok(Matte::Clip {
            path,
            source,
            values,
            offset: 0,
            next,
        })
    }

    fn path(&self) -> &str {
        match self {
            Matte::Still { path, .. } | Matte::Clip { path, .. } => path,
            Matte::Tracked(t) => t.path(),
        }
    }

    /// Match the matte's frames to `shot`'s (see [`pass_offset`]).
    fn match_to(&mut self, shot: &ClipInfo, explicit: Option<i64>) {
        if let Matte::Clip { source, offset, .. } = self {
            *offset = pass_offset(shot, source.info(), explicit);
        }
    }

    /// Check size and length against the shot before any frame is made.
    pub fn check(&self, shot: &ClipInfo) -> Result<()> {
        let (w, h) = match self {
            // Checked against its own decoder of the shot when made.
            Matte::Tracked(_) => return Ok(()),
            Matte::Still { mask, .. } => (mask.width, mask.height),
            Matte::Clip { source, .. } => {
                let i = source.info();
                (i.width, i.height)
            }
        };
        if (w, h) != (shot.width, shot.height) {
            return Err(Error::input(
                self.path(),
                format!(
                    "matte is {w}x{h} but the shot {} is {}x{}; give a matte of the shot's size",
                    shot.path, shot.width, shot.height
                ),
            ));
        }
        if let Matte::Clip { source, offset, .. } = self {
            check_pass_covers(shot, source.info(), *offset, "matte")?;
        }
        Ok(())
    }

    /// The matte of the shot frame `frame` (frames come in shot order).
    fn next(&mut self, frame: &Frame) -> Result<Frame> {
        let index = frame.index;
        match self {
            Matte::Tracked(t) => t.mask(frame),
            Matte::Still { mask, .. } => {
                let mut m = mask.clone();
                m.index = index;
                Ok(m)
            }
            Matte::Clip {
                path,
                source,
                values,
                offset,
                next,
            } => {
                let want = index + *offset;
                if *next != want {
                    source.seek(want)?;
                }
                let f = source.next_frame()?.ok_or_else(|| {
                    Error::input(
                        path.as_str(),
                        format!("matte ended before shot frame {index}; it needs a frame for every frame of the shot"),
                    )
                })?;
                *next = f.index + 1;
                let mut m = one_channel(&f, *values);
                m.index = index;
                Ok(m)
            }
        }
    }
}

fn one_channel(f: &Frame, values: MatteValues) -> Frame {
    match values {
        MatteValues::Coverage => to_mask(f),
        MatteValues::Data => Frame {
            index: f.index,
            width: f.width,
            height: f.height,
            channels: 1,
            data: f.luminance(),
        },
    }
}

/// One channel from a matte picture: its alpha where it has a real one,
/// else its luminance; clamped to 0..1.
pub fn to_mask(f: &Frame) -> Frame {
    let use_alpha = f.channels == 4 && f.data.chunks_exact(4).any(|p| p[3] < 1.0);
    let data = if use_alpha {
        f.data
            .chunks_exact(4)
            .map(|p| p[3].clamp(0.0, 1.0))
            .collect()
    } else {
        f.luminance()
            .into_iter()
            .map(|v| v.clamp(0.0, 1.0))
            .collect()
    };
    Frame {
        index: f.index,
        width: f.width,
        height: f.height,
        channels: 1,
        data,
    }
}

/// Mattes kept beside their shot's frames instead of inside them, keyed
/// by shot frame number: [`MattedSource::beside`] puts each frame's matte
/// here as it gives the frame, and the operation takes it when it analyses
/// that frame. Attaching a 1080p matte as alpha costs a 33 MB RGBA copy of
/// every frame, above glibc's largest mmap threshold, so each one is fresh
/// pages the kernel has to zero; the frames then also stay a third larger
/// in the operation's window. Shared (cloned) between the source and the
/// operation.
#[derive(Clone, Default)]
pub struct MatteShelf {
    mattes: Arc<Mutex<BTreeMap<i64, Frame>>>,
}

/// Frames behind the newest one whose mattes are still kept. Only frames
/// decoded but not yet analysed have a matte on the shelf (a few per
/// worker thread); one a reader skipped (a frame before the range it
/// wants) would otherwise stay forever.
const SHELF_SPAN: i64 = 256;

impl MatteShelf {
    fn put(&self, matte: Frame) {
        let mut m = self.mattes.lock().unwrap_or_else(|e| e.into_inner());
        let oldest = matte.index - SHELF_SPAN.max(4 * workers_hint());
        m.retain(|k, _| *k >= oldest);
        m.insert(matte.index, matte);
    }

    /// Forget every matte (the source moved: what it gave is not read).
    fn clear(&self) {
        self.mattes
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
    }

    /// The matte of shot frame `index`, taken off the shelf; `None` when
    /// the source has not given that frame.
    pub fn take(&self, index: i64) -> Option<Frame> {
        self.mattes
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&index)
    }

    /// Mattes on the shelf (for memory tests).
    pub fn len(&self) -> usize {
        self.mattes.lock().map_or(0, |m| m.len())
    }

    /// Whether the shelf holds no matte.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Cores, as the pipeline counts its default workers.
fn workers_hint() -> i64 {
    std::thread::available_parallelism().map_or(2, |n| n.get()) as i64
}

/// A shot whose frames carry their matte as the alpha channel, so the
/// pipeline moves shot and matte together; or, [`MattedSource::beside`],
/// whose frames come as decoded while their mattes go to a [`MatteShelf`].
pub struct MattedSource {
    shot: Box<dyn FrameSource>,
    matte: Matte,
    info: ClipInfo,
    shelf: Option<MatteShelf>,
}

impl MattedSource {
    /// Matte frames matched to shot frames by [`pass_offset`]'s rule.
    pub fn new(shot: Box<dyn FrameSource>, matte: Matte) -> Result<Self> {
        Self::with_offset(shot, matte, None)
    }

    /// As [`MattedSource::new`], with `--mask-offset` when given.
    pub fn with_offset(
        shot: Box<dyn FrameSource>,
        mut matte: Matte,
        offset: Option<i64>,
    ) -> Result<Self> {
        matte.match_to(shot.info(), offset);
        matte.check(shot.info())?;
        let mut info = shot.info().clone();
        info.has_alpha = true;
        Ok(MattedSource {
            shot,
            matte,
            info,
            shelf: None,
        })
    }

    /// As [`MattedSource::with_offset`], but each frame comes as decoded
    /// and its matte goes to `shelf` under the frame's number, for an
    /// operation that takes it from there (remove).
    pub fn beside(
        shot: Box<dyn FrameSource>,
        matte: Matte,
        offset: Option<i64>,
        shelf: MatteShelf,
    ) -> Result<Self> {
        let mut s = Self::with_offset(shot, matte, offset)?;
        s.info.has_alpha = s.shot.info().has_alpha;
        s.shelf = Some(shelf);
        Ok(s)
    }
}

impl FrameSource for MattedSource {
    fn info(&self) -> &ClipInfo {
        &self.info
    }

    /// Only the shot moves; the matte finds its frame when it is asked.
    fn seek(&mut self, index: i64) -> Result<()> {
        if let Some(shelf) = &self.shelf {
            shelf.clear();
        }
        self.shot.seek(index)
    }

    fn next_frame(&mut self) -> Result<Option<Frame>> {
        let Some(frame) = self.shot.next_frame()? else {
            return Ok(None);
        };
        let mask = self.matte.next(&frame)?;
        if (mask.width, mask.height) != (frame.width, frame.height) {
            return Err(Error::input(
                self.matte.path(),
                format!(
                    "matte frame for shot frame {} is {}x{}, the shot frame is {}x{}",
                    frame.index, mask.width, mask.height, frame.width, frame.height
                ),
            ));
        }
        if let Some(shelf) = &self.shelf {
            shelf.put(mask);
            return Ok(Some(frame));
        }
        let mut out = frame.with_channels(4);
        for (p, m) in out.data.chunks_exact_mut(4).zip(&mask.data) {
            p[3] = *m;
        }
        Ok(Some(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Frames(Vec<Frame>, ClipInfo);

    fn clip(n: usize, w: usize, h: usize, value: f32, path: &str) -> Box<dyn FrameSource> {
        let frames: Vec<Frame> = (0..n)
            .rev()
            .map(|i| Frame::filled(i as i64, w, h, 3, value))
            .collect();
        Box::new(Frames(
            frames,
            ClipInfo::in_memory(path, w, h, Some(n as u64)),
        ))
    }

    impl FrameSource for Frames {
        fn info(&self) -> &ClipInfo {
            &self.1
        }
        fn next_frame(&mut self) -> Result<Option<Frame>> {
            Ok(self.0.pop())
        }
    }

    /// A clip of `n` frames numbered from `first`, each filled with its
    /// own number / 10000, like an image sequence when `numbered`.
    fn numbered(n: usize, first: i64, numbered: bool, path: &str) -> Box<dyn FrameSource> {
        let frames: Vec<Frame> = (0..n as i64)
            .rev()
            .map(|i| Frame::filled(first + i, 2, 2, 3, (first + i) as f32 / 10000.0))
            .collect();
        let mut info = ClipInfo::in_memory(path, 2, 2, Some(n as u64));
        info.first_frame = first;
        if numbered {
            info.format = "png sequence".into();
        }
        Box::new(Frames(frames, info))
    }

    /// The matte frame number a frame's alpha came from.
    fn number(f: &Frame) -> i64 {
        (f.pixel(0, 0)[3] * 10000.0).round() as i64
    }

    #[test]
    fn numbered_mattes_match_by_number_and_videos_by_order() {
        // Shot and matte both numbered 1001...: matte frame N with shot frame N.
        let shot = numbered(3, 1001, true, "shot.####.exr");
        let matte = Matte::data_from_source(numbered(5, 1000, true, "m.####.png")).unwrap();
        let mut s = MattedSource::new(shot, matte).unwrap();
        let f = s.next_frame().unwrap().unwrap();
        assert_eq!((f.index, number(&f)), (1001, 1001));

        // A numbered matte on a video (frames from 0) is refused with the flag
        // that would match it, and matched by offset with the flag.
        let err = MattedSource::new(
            numbered(3, 0, false, "shot.mov"),
            Matte::data_from_source(numbered(3, 1001, true, "m.####.png")).unwrap(),
        )
        .err()
        .unwrap()
        .to_string();
        assert!(
            err.contains("m.####.png") && err.contains("[[mask_offset]] 1001"),
            "{err}"
        );
        let mut s = MattedSource::with_offset(
            numbered(3, 0, false, "shot.mov"),
            Matte::data_from_source(numbered(3, 1001, true, "m.####.png")).unwrap(),
            Some(1001),
        )
        .unwrap();
        s.next_frame().unwrap();
        let f = s.next_frame().unwrap().unwrap();
        assert_eq!((f.index, number(&f)), (1, 1002));

        // A matte video goes by order whatever the shot's numbers.
        let matte = Matte::data_from_source(numbered(3, 0, false, "m.mov")).unwrap();
        let mut s = MattedSource::new(numbered(3, 1001, true, "shot.####.exr"), matte).unwrap();
        let f = s.next_frame().unwrap().unwrap();
        assert_eq!((f.index, number(&f)), (1001, 0));
    }

    #[test]
    fn attaches_matte_as_alpha() {
        let matte = Matte::from_source(clip(3, 4, 2, 1.0, "matte.mov")).unwrap();
        let mut s = MattedSource::new(clip(3, 4, 2, 0.5, "shot.mov"), matte).unwrap();
        let f = s.next_frame().unwrap().unwrap();
        assert_eq!(f.channels, 4);
        assert_eq!(f.pixel(0, 0), &[0.5, 0.5, 0.5, 1.0]);
    }

    #[test]
    fn beside_gives_frames_as_decoded_and_shelves_their_mattes() {
        let shelf = MatteShelf::default();
        let matte = Matte::from_source(clip(3, 4, 2, 0.75, "matte.mov")).unwrap();
        let mut s =
            MattedSource::beside(clip(3, 4, 2, 0.5, "shot.mov"), matte, None, shelf.clone())
                .unwrap();
        assert!(!s.info().has_alpha);
        let f = s.next_frame().unwrap().unwrap();
        assert_eq!((f.channels, f.pixel(1, 1)), (3, &[0.5, 0.5, 0.5][..]));
        let m = shelf.take(0).unwrap();
        assert_eq!((m.index, m.channels, m.data.len()), (0, 1, 8));
        assert!(m.data.iter().all(|v| *v == 0.75));
        assert!(shelf.take(0).is_none(), "a matte is taken once");
        // A matte given but not read is dropped when the reader moves.
        s.next_frame().unwrap();
        assert_eq!(shelf.len(), 1);
        s.seek(3).unwrap();
        assert!(shelf.is_empty());
    }

    #[test]
    fn the_shelf_forgets_mattes_far_behind_the_newest() {
        let shelf = MatteShelf::default();
        let span = SHELF_SPAN.max(4 * workers_hint());
        for i in [0, 1, span + 1] {
            shelf.put(Frame::filled(i, 2, 2, 1, 1.0));
        }
        assert!(
            shelf.take(0).is_none(),
            "frame 0 is more than the span behind"
        );
        assert!(shelf.take(1).is_some() && shelf.take(span + 1).is_some());
    }

    #[test]
    fn a_single_frame_matte_is_a_still() {
        let matte = Matte::from_source(clip(1, 4, 2, 1.0, "logo.png")).unwrap();
        let mut s = MattedSource::new(clip(5, 4, 2, 0.5, "shot.mov"), matte).unwrap();
        let mut n = 0;
        while let Some(f) = s.next_frame().unwrap() {
            assert_eq!(f.pixel(3, 1)[3], 1.0);
            n += 1;
        }
        assert_eq!(n, 5);
    }

    #[test]
    fn wrong_size_and_short_mattes_are_rejected_with_both_files_named() {
        let matte = Matte::from_source(clip(3, 8, 2, 1.0, "matte.mov")).unwrap();
        let err = MattedSource::new(clip(3, 4, 2, 0.5, "shot.mov"), matte)
            .err()
            .unwrap()
            .to_string();
        assert!(
            err.contains("matte.mov") && err.contains("8x2") && err.contains("4x2"),
            "{err}"
        );
        let matte = Matte::from_source(clip(2, 4, 2, 1.0, "matte.mov")).unwrap();
        let err = MattedSource::new(clip(3, 4, 2, 0.5, "shot.mov"), matte)
            .err()
            .unwrap()
            .to_string();
        assert!(
            err.contains("2 frames (0-1)") && err.contains("frames 0-2"),
            "{err}"
        );
    }
}
