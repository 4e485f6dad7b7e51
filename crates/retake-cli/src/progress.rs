//! Progress for people and for farm logs: a redrawn line on a terminal,
//! plain lines at intervals otherwise.

use std::io::{IsTerminal, Write};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use retake_core::pipeline::Progress;

pub struct Reporter {
    label: String,
    start: Instant,
    terminal: bool,
    quiet: bool,
    last: Mutex<Instant>,
}

/// How often plain (non-terminal) progress lines are printed.
const PLAIN_EVERY: Duration = Duration::from_secs(5);

impl Reporter {
    pub fn new(label: &str, quiet: bool) -> Self {
        let now = Instant::now();
        Reporter {
            label: label.to_string(),
            start: now,
            terminal: std::io::stderr().is_terminal(),
            quiet,
            last: Mutex::new(now),
        }
    }

    fn line(&self, p: &Progress) -> String {
        let secs = self.start.elapsed().as_secs_f64();
        let fps = if secs > 0.0 {
            p.done as f64 / secs
        } else {
            0.0
        };
        match p.total {
            Some(total) if total > 0 => {
                let left = total.saturating_sub(p.done) as f64 / fps.max(1e-9);
                format!(
                    "{}: frame {}/{} ({:.0}%) {:.2} fps, {:.0}s left",
                    self.label,
                    p.done,
                    total,
                    100.0 * p.done as f64 / total as f64,
                    fps,
                    left
                )
            }
            _ => format!("{}: frame {} {:.2} fps", self.label, p.done, fps),
        }
    }

    pub fn update(&self, p: Progress) {
        if self.quiet {
            return;
        }
        let Ok(mut last) = self.last.lock() else {
            return;
        };
        let due = last.elapsed()
            >= if self.terminal {
                Duration::from_millis(100)
            } else {
                PLAIN_EVERY
            };
        let finished = p.total == Some(p.done);
        if !due && !finished {
            return;
        }
        *last = Instant::now();
        let mut err = std::io::stderr().lock();
        if self.terminal {
            let _ = write!(err, "\r\x1b[2K{}", self.line(&p));
            if finished {
                let _ = writeln!(err);
            }
        } else {
            let _ = writeln!(err, "{}", self.line(&p));
        }
    }

    /// Summary after a successful run.
    pub fn done(&self, frames: u64, output: &str) {
        if self.quiet {
            return;
        }
        let secs = self.start.elapsed().as_secs_f64();
        let mut err = std::io::stderr().lock();
        if self.terminal {
            let _ = write!(err, "\r\x1b[2K");
        }
        let _ = writeln!(
            err,
            "{}: wrote {frames} frames to {output} in {secs:.1}s ({:.2} fps)",
            self.label,
            frames as f64 / secs.max(1e-9)
        );
    }
}
