//! Mattes that come from files: a still (a logo, a rig that does not move)
//! or a clip with a frame per frame of the shot. Checked against the shot
//! (size, length) before they are used, and read as data: no colour curve.

use crate::clip::ClipInfo;
use crate::error::{Error, Result};
use crate::frame::Frame;
use crate::io::FrameSource;

/// Where a shot's matte comes from.
pub enum Matte {
    /// One picture for every frame.
    Still { path: String, mask: Frame },
    /// A clip whose k-th frame belongs to the shot's k-th frame.
    Clip {
        path: String,
        source: Box<dyn FrameSource>,
        values: MatteValues,
    },
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
        Ok(Matte::Clip {
            path,
            source,
            values,
        })
    }

    fn path(&self) -> &str {
        match self {
            Matte::Still { path, .. } | Matte::Clip { path, .. } => path,
        }
    }

    /// Check size and length against the shot before any frame is made.
    pub fn check(&self, shot: &ClipInfo) -> Result<()> {
        let (w, h, frames) = match self {
            Matte::Still { mask, .. } => (mask.width, mask.height, None),
            Matte::Clip { source, .. } => {
                let i = source.info();
                (i.width, i.height, i.frames)
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
        if let (Some(m), Some(s)) = (frames, shot.frames) {
            if m < s {
                return Err(Error::input(
                    self.path(),
                    format!(
                        "matte has {m} frames but the shot {} has {s}; give a matte frame for every frame (or a single still)",
                        shot.path
                    ),
                ));
            }
        }
        Ok(())
    }

    /// The matte of the next shot frame (`index` is only for messages).
    fn next(&mut self, index: i64) -> Result<Frame> {
        match self {
            Matte::Still { mask, .. } => {
                let mut m = mask.clone();
                m.index = index;
                Ok(m)
            }
            Matte::Clip {
                path,
                source,
                values,
            } => {
                let f = source.next_frame()?.ok_or_else(|| {
                    Error::input(
                        path.as_str(),
                        format!("matte ended before shot frame {index}; it needs a frame for every frame of the shot"),
                    )
                })?;
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

/// A shot whose frames carry their matte as the alpha channel, so the
/// pipeline moves shot and matte together.
pub struct MattedSource {
    shot: Box<dyn FrameSource>,
    matte: Matte,
    info: ClipInfo,
}

impl MattedSource {
    pub fn new(shot: Box<dyn FrameSource>, matte: Matte) -> Result<Self> {
        matte.check(shot.info())?;
        let mut info = shot.info().clone();
        info.has_alpha = true;
        Ok(MattedSource { shot, matte, info })
    }
}

impl FrameSource for MattedSource {
    fn info(&self) -> &ClipInfo {
        &self.info
    }

    fn next_frame(&mut self) -> Result<Option<Frame>> {
        let Some(frame) = self.shot.next_frame()? else {
            return Ok(None);
        };
        let mask = self.matte.next(frame.index)?;
        if (mask.width, mask.height) != (frame.width, frame.height) {
            return Err(Error::input(
                self.matte.path(),
                format!(
                    "matte frame for shot frame {} is {}x{}, the shot frame is {}x{}",
                    frame.index, mask.width, mask.height, frame.width, frame.height
                ),
            ));
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

    #[test]
    fn attaches_matte_as_alpha() {
        let matte = Matte::from_source(clip(3, 4, 2, 1.0, "matte.mov")).unwrap();
        let mut s = MattedSource::new(clip(3, 4, 2, 0.5, "shot.mov"), matte).unwrap();
        let f = s.next_frame().unwrap().unwrap();
        assert_eq!(f.channels, 4);
        assert_eq!(f.pixel(0, 0), &[0.5, 0.5, 0.5, 1.0]);
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
        assert!(err.contains("2 frames") && err.contains("has 3"), "{err}");
    }
}
