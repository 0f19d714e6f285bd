//! Progress of long work, on rank 0's stderr: a bar redrawn in place on a terminal, plain
//! periodic lines elsewhere (batch logs, Open MPI's forwarded stderr). Nothing goes to stdout,
//! and short runs print nothing at all.

use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

/// When to report progress (`--progress`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ProgressMode {
    /// A bar on a terminal after the first second; elsewhere a line every 10 s after the first
    /// 10 s, so short runs say nothing.
    #[default]
    Auto,
    /// A bar on a terminal, else a line every second, from the first second on.
    Always,
    /// Nothing.
    Never,
}

/// How progress is shown, once decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Style {
    Off,
    Bar,
    Lines { every: Duration },
}

/// A progress reporter for `total` units of work.
#[derive(Debug)]
pub struct Progress {
    style: Style,
    what: &'static str,
    unit: &'static str,
    total: u64,
    start: Instant,
    /// Nothing is shown before this much time has passed.
    quiet_for: Duration,
    last: Option<Instant>,
    drawn: bool,
    /// Frames of a movie: (units per frame, frames in all, frames done before the first unit).
    frames: Option<(u64, u64, u64)>,
}

impl Progress {
    /// A reporter for `total` `unit`s of `what` (e.g. "mandel", "rows"), as `mode` asks.
    pub fn new(mode: ProgressMode, what: &'static str, total: u64, unit: &'static str) -> Progress {
        let terminal = std::io::stderr().is_terminal();
        let (style, quiet_for) = match (mode, terminal) {
            (ProgressMode::Never, _) => (Style::Off, Duration::ZERO),
            (_, true) => (Style::Bar, Duration::from_secs(1)),
            (ProgressMode::Auto, false) => (
                Style::Lines {
                    every: Duration::from_secs(10),
                },
                Duration::from_secs(10),
            ),
            (ProgressMode::Always, false) => (
                Style::Lines {
                    every: Duration::from_secs(1),
                },
                Duration::from_secs(1),
            ),
        };
        Progress {
            style,
            what,
            unit,
            total: total.max(1),
            start: Instant::now(),
            quiet_for,
            last: None,
            drawn: false,
            frames: None,
        }
    }

    /// Also counts frames of `per` units each, `of` in all, of which `already` were done before
    /// (a resumed movie): `7/24 frames` in every line.
    pub fn with_frames(mut self, per: u64, of: u64, already: u64) -> Progress {
        self.frames = Some((per.max(1), of, already));
        self
    }

    /// A reporter that never shows anything (the ranks other than 0).
    pub fn off() -> Progress {
        Progress::new(ProgressMode::Never, "", 1, "")
    }

    /// `done` units are finished; shows it if it is time to.
    pub fn set(&mut self, done: u64) {
        if self.style == Style::Off {
            return;
        }
        let now = Instant::now();
        let elapsed = now - self.start;
        if elapsed < self.quiet_for {
            return;
        }
        let every = match self.style {
            Style::Bar => Duration::from_millis(200),
            Style::Lines { every } => every,
            Style::Off => return,
        };
        if self.last.is_some_and(|t| now - t < every) {
            return;
        }
        self.last = Some(now);
        let line = self.line(done.min(self.total), elapsed);
        let mut err = std::io::stderr().lock();
        // Progress is a courtesy: a closed stderr is no reason to stop the work.
        let _ = match self.style {
            Style::Bar => write!(err, "\r\x1b[K{line}"),
            _ => writeln!(err, "{line}"),
        };
        let _ = err.flush();
        self.drawn = true;
    }

    /// The work is over: a shown bar is drawn full and its line ended (lines need nothing).
    pub fn finish(&mut self) {
        if self.style == Style::Bar && self.drawn {
            let line = self.line(self.total, self.start.elapsed());
            let _ = writeln!(std::io::stderr(), "\r\x1b[K{line}");
        }
        self.drawn = false;
    }

    /// `mandel: [=======>    ] 61% 29280/48000 rows, 2110 rows/s, ETA 9 s`.
    fn line(&self, done: u64, elapsed: Duration) -> String {
        let fraction = done as f64 / self.total as f64;
        let rate = done as f64 / elapsed.as_secs_f64().max(1e-9);
        let eta = if done > 0 {
            format!("ETA {}", clock((self.total - done) as f64 / rate))
        } else {
            "ETA unknown".into()
        };
        let frames = self.frames.map_or(String::new(), |(per, of, already)| {
            format!(", {}/{of} frames", (already + done / per).min(of))
        });
        let counts = format!(
            "{:.0}% {done}/{} {}{frames}, {} {}/s, {eta}",
            100.0 * fraction,
            self.total,
            self.unit,
            rate_text(rate),
            self.unit
        );
        match self.style {
            Style::Bar => {
                const WIDTH: usize = 24;
                let full = ((fraction * WIDTH as f64) as usize).min(WIDTH);
                let mut bar = "=".repeat(full);
                if full < WIDTH {
                    bar.push('>');
                    bar.push_str(&" ".repeat(WIDTH - full - 1));
                }
                format!("{}: [{bar}] {counts}", self.what)
            }
            _ => format!("{}: {counts}", self.what),
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.finish();
    }
}

/// Seconds as `42 s`, `3 min 20 s` or `2 h 05 min`.
fn clock(seconds: f64) -> String {
    let s = seconds.round().max(0.0) as u64;
    match s {
        0..=59 => format!("{s} s"),
        60..=3599 => format!("{} min {:02} s", s / 60, s % 60),
        _ => format!("{} h {:02} min", s / 3600, s % 3600 / 60),
    }
}

/// A rate with three significant figures at most: `2110`, `35.2`, `1.2e6`.
fn rate_text(rate: f64) -> String {
    if rate >= 1e6 {
        format!("{rate:.2e}")
    } else if rate >= 100.0 {
        format!("{rate:.0}")
    } else {
        format!("{rate:.1}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_style(style: Style) -> Progress {
        let mut p = Progress::new(ProgressMode::Always, "mandel", 48000, "rows");
        p.style = style;
        p
    }

    #[test]
    fn lines_and_bars_say_how_far_how_fast_and_how_long() {
        let lines = with_style(Style::Lines {
            every: Duration::from_secs(1),
        });
        assert_eq!(
            lines.line(24000, Duration::from_secs(10)),
            "mandel: 50% 24000/48000 rows, 2400 rows/s, ETA 10 s"
        );
        let bar = with_style(Style::Bar);
        let text = bar.line(12000, Duration::from_secs(60));
        assert_eq!(
            text,
            "mandel: [======>                 ] 25% 12000/48000 rows, 200 rows/s, ETA 3 min 00 s"
        );
        assert!(bar
            .line(48000, Duration::from_secs(1))
            .contains("[========================] 100%"));
        assert!(lines
            .line(0, Duration::from_secs(1))
            .ends_with("ETA unknown"));
    }

    #[test]
    fn clocks_and_rates_read_naturally() {
        assert_eq!(clock(59.4), "59 s");
        assert_eq!(clock(200.0), "3 min 20 s");
        assert_eq!(clock(7500.0), "2 h 05 min");
        assert_eq!(rate_text(35.24), "35.2");
        assert_eq!(rate_text(1.5e7), "1.50e7");
    }

    #[test]
    fn never_and_short_runs_print_nothing() {
        let mut never = Progress::new(ProgressMode::Never, "mandel", 10, "rows");
        never.set(5);
        assert!(!never.drawn);
        let mut auto = Progress::new(ProgressMode::Auto, "mandel", 10, "rows");
        auto.set(5); // within the quiet first second (terminal) or ten seconds (lines)
        assert!(!auto.drawn);
    }
}
