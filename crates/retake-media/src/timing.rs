//! The true frame count and frame timing of a video stream. Containers
//! such as Matroska store no frame count, only a duration, and a header can
//! lie; farm chunks, `--resume` and range checks need the real last frame,
//! and a variable frame rate must never be flattened without the user
//! asking. So a container's own frame count (MOV/MP4 sample tables) is
//! used with its index's timestamps; a container without one is read
//! through once, packets only (no decoding), and its packets counted.

use ff::ffi;
use ff::format::context::Input;
use ff::packet::Ref as _;
use ffmpeg_next as ff;
use retake_core::{Error, Rational, Result};

/// What the packet timestamps of a video stream say.
#[derive(Clone, Debug, PartialEq)]
pub struct Timing {
    /// Pictures in the stream.
    pub frames: u64,
    /// Shortest and longest frame duration in seconds when they differ by
    /// more than the container's timestamp rounding: a variable frame rate.
    pub variable: Option<(f64, f64)>,
}

/// Timestamps of every picture of stream `index` of `path`, from the
/// index of `input` (`path` as just opened, nothing read yet) when it is
/// complete, else by reading all packets. Only that read-through opens the
/// file afresh, so the caller's reading position is untouched; a file
/// with a complete index costs no second open (each open probes the
/// streams, which decodes pictures: the start-up a short clip feels).
pub fn scan(input: &Input, path: &str, index: usize) -> Result<Timing> {
    if index >= input.nb_streams() as usize {
        return Err(Error::input(path, "its streams changed while it was read"));
    }
    // SAFETY: the stream index is within this input's streams.
    let (st, listed) = unsafe {
        let st = *(*input.as_ptr()).streams.add(index);
        (st, (*st).nb_frames)
    };
    // SAFETY: reading the stream's time base and rate.
    let (tb, avg) = unsafe { ((*st).time_base, (*st).avg_frame_rate) };
    let tb = Rational::new(tb.num as i64, tb.den as i64);
    let avg = Rational::new(avg.num as i64, avg.den as i64);
    if listed > 0 {
        // The container counts its frames (a sample table): trust it, and
        // judge the rate from the index when the index lists every frame
        // (an edit list can add entries; then the count alone is used).
        // Reading a large MOV through would cost its whole size in I/O.
        let variable = from_index(st, listed).and_then(|s| variability(&s, tb, avg));
        return Ok(Timing {
            frames: listed as u64,
            variable,
        });
    }
    let mut again = ff::format::input(&path).map_err(|e| {
        Error::input(
            path,
            format!("cannot read it again to count its frames: {e}"),
        )
    })?;
    if index >= again.nb_streams() as usize {
        return Err(Error::input(path, "its streams changed while it was read"));
    }
    let stamps = from_packets(&mut again, index, path);
    Ok(Timing {
        frames: stamps.len() as u64,
        variable: variability(&stamps, tb, avg),
    })
}

/// Presentation timestamps from the container's index, when it holds one
/// entry per frame (MOV/MP4 sample tables); `None` otherwise.
fn from_index(st: *mut ffi::AVStream, listed: i64) -> Option<Vec<i64>> {
    // SAFETY: the stream is open; entries are read-only views.
    unsafe {
        let count = ffi::avformat_index_get_entries_count(st);
        if listed <= 0 || i64::from(count) != listed {
            return None;
        }
        let mut stamps = Vec::with_capacity(count as usize);
        for i in 0..count {
            let e = ffi::avformat_index_get_entry(st, i);
            if e.is_null() {
                return None;
            }
            stamps.push((*e).timestamp);
        }
        Some(stamps)
    }
}

/// Timestamps of every packet of the stream, read through the whole file.
fn from_packets(input: &mut Input, index: usize, path: &str) -> Vec<i64> {
    let mut stamps = Vec::new();
    let mut last = 0i64;
    loop {
        let mut packet = ff::Packet::empty();
        match packet.read(input) {
            Ok(()) => {
                if packet.stream() != index {
                    continue;
                }
                // SAFETY: reading the flags of a packet we own.
                let discard = unsafe { (*packet.as_ptr()).flags } & ffi::AV_PKT_FLAG_DISCARD != 0;
                if discard {
                    continue;
                }
                let t = packet.pts().or(packet.dts()).unwrap_or(last + 1);
                last = t;
                stamps.push(t);
            }
            Err(ff::Error::Eof) => break,
            Err(e) => {
                log::warn!(
                    "{path}: reading stopped after {} frames: {e}; the file may be truncated",
                    stamps.len()
                );
                break;
            }
        }
    }
    stamps
}

/// `Some((shortest, longest))` frame duration when the gaps between
/// consecutive timestamps differ by more than one tick of the time base
/// from the average rate (one tick is how far a millisecond container
/// rounds 29.97 fps).
fn variability(stamps: &[i64], tb: Rational, avg: Rational) -> Option<(f64, f64)> {
    if stamps.len() < 3 || !tb.is_valid() {
        return None;
    }
    let mut sorted = stamps.to_vec();
    sorted.sort_unstable();
    let gaps: Vec<i64> = sorted.windows(2).map(|w| w[1] - w[0]).collect();
    let expected = if avg.is_valid() {
        1.0 / avg.as_f64() / tb.as_f64()
    } else {
        gaps.iter().sum::<i64>() as f64 / gaps.len() as f64
    };
    let tolerance = 1.0 + expected * 0.01;
    let off = gaps
        .iter()
        .any(|&g| (g as f64 - expected).abs() > tolerance);
    if !off {
        return None;
    }
    let secs = |g: i64| g as f64 * tb.as_f64();
    let min = gaps.iter().copied().min().unwrap_or(0);
    let max = gaps.iter().copied().max().unwrap_or(0);
    Some((secs(min), secs(max)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn millisecond_rounding_is_not_a_variable_rate() {
        // 29.97 fps in a 1/1000 time base: gaps of 33 and 34.
        let stamps: Vec<i64> = (0..30).map(|i| (i as f64 * 1001.0 / 30.0) as i64).collect();
        let v = variability(&stamps, Rational::new(1, 1000), Rational::new(30000, 1001));
        assert_eq!(v, None);
    }

    #[test]
    fn mixed_durations_are_a_variable_rate() {
        let stamps = [0, 40, 80, 160, 200, 280];
        let v = variability(&stamps, Rational::new(1, 1000), Rational::new(20, 1));
        assert_eq!(v, Some((0.04, 0.08)));
    }

    #[test]
    fn b_frame_order_is_sorted_first() {
        let stamps = [0, 120, 40, 80, 240, 160, 200];
        let v = variability(&stamps, Rational::new(1, 1000), Rational::new(25, 1));
        assert_eq!(v, None);
    }
}
