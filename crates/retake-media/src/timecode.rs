//! SMPTE timecode arithmetic, done by FFmpeg's own `av_timecode` so that
//! drop-frame counting and the 24-hour wrap match what editing systems
//! read back from the files Retake writes.

use ff::ffi;
use ffmpeg_next as ff;
use retake_core::Rational;

/// A start timecode at a frame rate: frame 0 of the clip is `start`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Timecode {
    start: String,
    rate: Rational,
}

impl Timecode {
    /// `HH:MM:SS:FF` (or `HH:MM:SS;FF`, drop frame) at `rate`; `None`
    /// when FFmpeg does not accept the text for that rate.
    pub fn parse(text: &str, rate: Rational) -> Option<Timecode> {
        let tc = Timecode {
            start: text.trim().to_string(),
            rate,
        };
        tc.raw().map(|_| tc)
    }

    /// The timecode of frame 0.
    pub fn start(&self) -> &str {
        &self.start
    }

    fn raw(&self) -> Option<ffi::AVTimecode> {
        if !self.rate.is_valid() {
            return None;
        }
        let text = std::ffi::CString::new(self.start.as_str()).ok()?;
        let mut tc = std::mem::MaybeUninit::<ffi::AVTimecode>::zeroed();
        let rate = ffi::AVRational {
            num: i32::try_from(self.rate.num).ok()?,
            den: i32::try_from(self.rate.den).ok()?,
        };
        // SAFETY: `tc` is written by the call; the text is NUL-terminated;
        // a null log context is allowed.
        let ret = unsafe {
            ffi::av_timecode_init_from_string(
                tc.as_mut_ptr(),
                rate,
                text.as_ptr(),
                std::ptr::null_mut(),
            )
        };
        // SAFETY: initialised when the call succeeded.
        (ret >= 0).then(|| unsafe { tc.assume_init() })
    }

    /// The timecode `frames` frames after the start (before it when
    /// negative), as `HH:MM:SS:FF`, wrapping at 24 hours.
    pub fn at(&self, frames: i64) -> String {
        let Some(mut tc) = self.raw() else {
            return self.start.clone();
        };
        tc.flags |= ffi::AVTimecodeFlag::AV_TIMECODE_FLAG_24HOURSMAX as u32;
        // Negative offsets wrap through a day so FFmpeg sees a positive count.
        let per_day = i64::from(tc.fps) * 86_400;
        let per_day = if tc.flags & ffi::AVTimecodeFlag::AV_TIMECODE_FLAG_DROPFRAME as u32 != 0 {
            // Drop frame skips 2 (or 4 at 60) numbers per minute except every tenth.
            per_day - (i64::from(tc.fps) / 15) * (24 * 60 - 24 * 6)
        } else {
            per_day
        };
        let frames = if per_day > 0 {
            frames.rem_euclid(per_day)
        } else {
            frames.max(0)
        };
        let mut buf = [0 as std::ffi::c_char; ffi::AV_TIMECODE_STR_SIZE as usize];
        // SAFETY: `buf` has the size FFmpeg documents for the result.
        unsafe {
            ffi::av_timecode_make_string(&tc, buf.as_mut_ptr(), frames.min(i32::MAX as i64) as i32);
            std::ffi::CStr::from_ptr(buf.as_ptr())
                .to_string_lossy()
                .into_owned()
        }
    }

    /// Whether the count skips frame numbers (29.97 and 59.94 drop frame).
    pub fn drop_frame(&self) -> bool {
        self.start.contains(';') || self.start.contains('.')
    }

    /// The EXR `timeCode` attribute of the frame `frames` after the start.
    pub fn exr_at(&self, frames: i64) -> Option<exr::meta::attribute::TimeCode> {
        let text = self.at(frames);
        let parts: Vec<u8> = text
            .split([':', ';', '.'])
            .map(|p| p.parse::<u8>().ok())
            .collect::<Option<Vec<u8>>>()?;
        let [hours, minutes, seconds, frame] = parts[..] else {
            return None;
        };
        Some(exr::meta::attribute::TimeCode {
            hours,
            minutes,
            seconds,
            frame,
            drop_frame: self.drop_frame(),
            ..Default::default()
        })
    }
}

/// `HH:MM:SS:FF` text of an EXR `timeCode` attribute (`;` for drop frame).
pub fn exr_text(tc: &exr::meta::attribute::TimeCode) -> String {
    let sep = if tc.drop_frame { ';' } else { ':' };
    format!(
        "{:02}:{:02}:{:02}{sep}{:02}",
        tc.hours, tc.minutes, tc.seconds, tc.frame
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_frames_from_the_start() {
        let tc = Timecode::parse("01:00:00:00", Rational::new(25, 1)).unwrap();
        assert_eq!(tc.at(0), "01:00:00:00");
        assert_eq!(tc.at(26), "01:00:01:01");
        assert_eq!(tc.at(-1), "00:59:59:24");
    }

    #[test]
    fn drop_frame_skips_numbers_at_the_minute() {
        let tc = Timecode::parse("00:00:59;29", Rational::new(30000, 1001)).unwrap();
        assert_eq!(tc.at(1), "00:01:00;02");
        let exr = tc.exr_at(1).unwrap();
        assert!(exr.drop_frame);
        assert_eq!(exr_text(&exr), "00:01:00;02");
    }

    #[test]
    fn refuses_what_ffmpeg_refuses() {
        assert!(Timecode::parse("not a timecode", Rational::new(25, 1)).is_none());
        assert!(Timecode::parse("01:00:00:00", Rational::new(0, 1)).is_none());
    }
}
