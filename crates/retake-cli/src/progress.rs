//! Progress for people and for farm managers: a redrawn bar on a terminal,
//! plain lines in logs, `openjd_progress:`/`openjd_status:` lines that an
//! Open Job Description session parses, or `Progress: N%` lines for
//! regex-based handlers such as Deadline's.

use std::io::{IsTerminal, Write};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use retake_core::pipeline::Progress;

/// The `--progress` choice.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ProgressMode {
    /// OpenJD lines inside an OpenJD session (`OPENJD_SESSION_WORKING_DIR`
    /// set), a bar on a terminal, plain lines otherwise.
    Auto,
    /// A line redrawn in place.
    Bar,
    /// A full line every few seconds.
    Plain,
    /// `openjd_progress: N` and `openjd_status: ...` lines on stdout.
    Openjd,
    /// `Progress: N%` lines, one per whole percent.
    Percent,
}

/// What `auto` resolves to in this process.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Style {
    Bar,
    Plain,
    Openjd,
    Percent,
}

/// Set by an Open Job Description session for every action it runs.
const OPENJD_SESSION_VAR: &str = "OPENJD_SESSION_WORKING_DIR";

impl ProgressMode {
    pub fn style(self) -> Style {
        match self {
            ProgressMode::Auto if std::env::var_os(OPENJD_SESSION_VAR).is_some() => Style::Openjd,
            ProgressMode::Auto if std::io::stderr().is_terminal() => Style::Bar,
            ProgressMode::Auto | ProgressMode::Plain => Style::Plain,
            ProgressMode::Bar => Style::Bar,
            ProgressMode::Openjd => Style::Openjd,
            ProgressMode::Percent => Style::Percent,
        }
    }
}

/// The one line an OpenJD session turns into the task's failure message;
/// other styles print nothing beyond the error itself.
pub fn failure_line(style: Style, message: &str) -> Option<String> {
    (style == Style::Openjd).then(|| format!("openjd_fail: {}", one_line(message)))
}

/// Manager protocols are line-based: a message must not break the line.
fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

pub struct Reporter {
    label: String,
    start: Instant,
    style: Style,
    quiet: bool,
    state: Mutex<State>,
}

struct State {
    last: Instant,
    /// Last whole percent printed (percent style).
    percent: Option<u64>,
}

/// How often plain progress lines are printed.
const PLAIN_EVERY: Duration = Duration::from_secs(5);
/// How often a bar is redrawn, and OpenJD is told.
const BAR_EVERY: Duration = Duration::from_millis(100);
const OPENJD_EVERY: Duration = Duration::from_secs(1);

impl Reporter {
    pub fn new(label: &str, quiet: bool, mode: ProgressMode) -> Self {
        let now = Instant::now();
        Reporter {
            label: label.to_string(),
            start: now,
            style: mode.style(),
            quiet,
            state: Mutex::new(State {
                last: now,
                percent: None,
            }),
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
        let Ok(mut state) = self.state.lock() else {
            return;
        };
        let finished = p.total == Some(p.done);
        let percent = p
            .total
            .filter(|&t| t > 0)
            .map(|t| (100 * p.done / t).min(100));
        let due = match self.style {
            Style::Bar => state.last.elapsed() >= BAR_EVERY,
            Style::Plain => state.last.elapsed() >= PLAIN_EVERY,
            Style::Openjd => state.last.elapsed() >= OPENJD_EVERY,
            Style::Percent => percent.is_some() && percent != state.percent,
        };
        if !due && !finished {
            return;
        }
        state.last = Instant::now();
        match self.style {
            Style::Bar => {
                let mut err = std::io::stderr().lock();
                let _ = write!(err, "\r\x1b[2K{}", self.line(&p));
                if finished {
                    let _ = writeln!(err);
                }
            }
            Style::Plain => {
                let _ = writeln!(std::io::stderr().lock(), "{}", self.line(&p));
            }
            Style::Openjd => {
                let mut out = std::io::stdout().lock();
                if let Some(total) = p.total.filter(|&t| t > 0) {
                    let _ = writeln!(
                        out,
                        "openjd_progress: {:.1}",
                        100.0 * p.done as f64 / total as f64
                    );
                }
                let _ = writeln!(out, "openjd_status: {}", self.line(&p));
                let _ = out.flush();
            }
            Style::Percent => {
                if percent != state.percent {
                    if let Some(n) = percent {
                        let mut out = std::io::stdout().lock();
                        let _ = writeln!(out, "Progress: {n}%");
                        let _ = out.flush();
                    }
                    state.percent = percent;
                }
            }
        }
    }

    /// Summary after a successful run.
    pub fn done(&self, frames: u64, output: &str) {
        if self.quiet {
            return;
        }
        let secs = self.start.elapsed().as_secs_f64();
        let summary = format!(
            "{}: wrote {frames} frames to {output} in {secs:.1}s ({:.2} fps)",
            self.label,
            frames as f64 / secs.max(1e-9)
        );
        match self.style {
            Style::Openjd => {
                let mut out = std::io::stdout().lock();
                let _ = writeln!(out, "openjd_progress: 100.0");
                let _ = writeln!(out, "openjd_status: {summary}");
                let _ = out.flush();
            }
            Style::Bar => {
                let _ = writeln!(std::io::stderr().lock(), "\r\x1b[2K{summary}");
            }
            Style::Plain | Style::Percent => {
                let _ = writeln!(std::io::stderr().lock(), "{summary}");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn openjd_failure_is_one_line() {
        let line = failure_line(Style::Openjd, "shot.mov: bad\n  header").unwrap();
        assert_eq!(line, "openjd_fail: shot.mov: bad header");
        assert!(failure_line(Style::Plain, "x").is_none());
    }

    #[test]
    fn explicit_modes_ignore_the_environment() {
        assert_eq!(ProgressMode::Percent.style(), Style::Percent);
        assert_eq!(ProgressMode::Openjd.style(), Style::Openjd);
        assert_eq!(ProgressMode::Plain.style(), Style::Plain);
    }
}
