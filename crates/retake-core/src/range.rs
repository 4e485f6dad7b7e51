//! Frame ranges as users type them: `1001-1100`, `1-10,20,30-40`, `50-`.

use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};

/// A set of frame numbers, kept as sorted, merged inclusive spans.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FrameRange {
    spans: Vec<(i64, Option<i64>)>,
    text: String,
}

impl FrameRange {
    /// Parse `A-B`, `A`, `A-` (to the end) and comma lists of those.
    pub fn parse(text: &str) -> Result<Self> {
        let bad = |why: &str| Error::parameter("frames", format!("`{text}`: {why}"));
        let mut spans = Vec::new();
        for part in text.split(',').map(str::trim) {
            if part.is_empty() {
                return Err(bad("empty item; use e.g. 1001-1100 or 1,5,9-12"));
            }
            // A leading '-' would be a negative number; allow it only as a
            // sign. Char indices, so non-ASCII text is an error, not a panic.
            let dash = part.char_indices().skip(1).find(|&(_, c)| c == '-');
            let (a, b) = match dash {
                Some((i, _)) => (&part[..i], Some(&part[i + 1..])),
                None => (part, None),
            };
            let num = |s: &str| {
                s.trim()
                    .parse::<i64>()
                    .map_err(|_| bad(&format!("`{s}` is not a frame number")))
            };
            let start = num(a)?;
            let end = match b {
                None => Some(start),
                Some(s) if s.trim().is_empty() => None,
                Some(s) => Some(num(s)?),
            };
            if let Some(e) = end {
                if e < start {
                    return Err(bad(&format!("{start}-{e} ends before it starts")));
                }
            }
            spans.push((start, end));
        }
        spans.sort_by_key(|s| s.0);
        Ok(FrameRange {
            spans,
            text: text.to_string(),
        })
    }

    /// The range holding exactly `frames` (in any order), written as
    /// compactly as a user would type it; `None` when there are none.
    pub fn from_frames(frames: impl IntoIterator<Item = i64>) -> Option<Self> {
        let mut v: Vec<i64> = frames.into_iter().collect();
        v.sort_unstable();
        v.dedup();
        let mut spans: Vec<(i64, Option<i64>)> = Vec::new();
        for f in v {
            match spans.last_mut() {
                Some((_, Some(end))) if *end + 1 == f => *end = f,
                _ => spans.push((f, Some(f))),
            }
        }
        if spans.is_empty() {
            return None;
        }
        let text = spans
            .iter()
            .map(|&(a, b)| match b {
                Some(b) if b != a => format!("{a}-{b}"),
                _ => a.to_string(),
            })
            .collect::<Vec<_>>()
            .join(",");
        Some(FrameRange { spans, text })
    }

    pub fn contains(&self, frame: i64) -> bool {
        self.spans
            .iter()
            .any(|&(a, b)| frame >= a && b.is_none_or(|b| frame <= b))
    }

    pub fn first(&self) -> i64 {
        self.spans.first().map_or(0, |s| s.0)
    }

    /// Last frame, or `None` for an open range (`50-`).
    pub fn last(&self) -> Option<i64> {
        let mut last = Some(i64::MIN);
        for &(_, b) in &self.spans {
            last = match (last, b) {
                (Some(l), Some(b)) => Some(l.max(b)),
                _ => None,
            };
        }
        last
    }

    /// Check the range against the frames a clip holds, naming the clip: the
    /// one refusal (and exit code) every path that reads a clip gives.
    pub fn check_within_clip(&self, info: &crate::clip::ClipInfo) -> Result<()> {
        self.check_within(
            std::path::Path::new(&info.path),
            info.first_frame,
            info.last_frame(),
        )
    }

    /// Check the range against a clip's frames `first..=last`, naming the clip.
    pub fn check_within(
        &self,
        path: &std::path::Path,
        first: i64,
        last: Option<i64>,
    ) -> Result<()> {
        let outside = self.first() < first
            || match (self.last(), last) {
                (Some(a), Some(b)) => a > b,
                _ => false,
            }
            || last.is_some_and(|l| self.first() > l);
        if outside {
            return Err(Error::Range {
                path: path.to_path_buf(),
                range: self.text.clone(),
                first,
                last: last.unwrap_or(i64::MAX),
            });
        }
        Ok(())
    }

    pub fn text(&self) -> &str {
        &self.text
    }
}

/// How many of a clip's `count` frames (numbered from `first`) a render
/// limited to `range` writes; `None` when the clip's length is unknown
/// and the range is open or absent. Progress reports count on it.
pub fn frames_written(range: Option<&FrameRange>, first: i64, count: Option<u64>) -> Option<u64> {
    match (range, count) {
        (Some(r), Some(n)) => {
            Some((first..first + n as i64).filter(|&i| r.contains(i)).count() as u64)
        }
        (None, n) => n,
        (Some(_), None) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_spans_and_lists() {
        let r = FrameRange::parse("1001-1100").unwrap();
        assert!(r.contains(1001) && r.contains(1100) && !r.contains(1101));
        let r = FrameRange::parse("1-3, 7,10-").unwrap();
        assert!(r.contains(2) && r.contains(7) && !r.contains(8) && r.contains(99999));
        assert_eq!(r.last(), None);
        assert_eq!(FrameRange::parse("-5--2").unwrap().first(), -5);
    }

    #[test]
    fn builds_ranges_from_frame_lists() {
        let r = FrameRange::from_frames([9, 3, 4, 5, 3, 12]).unwrap();
        assert_eq!(r.text(), "3-5,9,12");
        assert!(r.contains(4) && !r.contains(6) && r.contains(12));
        assert_eq!((r.first(), r.last()), (3, Some(12)));
        assert_eq!(FrameRange::parse(r.text()).unwrap(), r);
        assert!(FrameRange::from_frames([]).is_none());
    }

    #[test]
    fn rejects_bad_ranges() {
        // Non-ASCII text is a clear error, never a panic (it once was).
        for bad in [
            "", "a-b", "10-5", "1,,2", "1-2-3", "é", "é-3", "1-é", "—5", "5—7", "１",
        ] {
            assert!(FrameRange::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn checks_against_clip() {
        let p = std::path::Path::new("clip.mov");
        let r = FrameRange::parse("0-10").unwrap();
        assert!(r.check_within(p, 0, Some(20)).is_ok());
        let err = r.check_within(p, 0, Some(5)).unwrap_err().to_string();
        assert!(err.contains("clip.mov") && err.contains("0-10"), "{err}");
    }
}
