//! The one error type that bubbles up to `main`, printed once by rank 0 as `error: <what>, <where>`.

use std::path::Path;

use crate::{atomic_file::OutputError, cities::ReadError, mandel::MandelError};

/// Every failure a program can report, carrying the exit code all ranks return for it.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A city file that cannot be read or does not validate.
    #[error(transparent)]
    Cities(#[from] ReadError),
    /// A Mandelbrot request that makes no sense (empty view, zero size, unknown colour map, ...).
    #[error(transparent)]
    Mandel(#[from] MandelError),
    /// An output file that cannot be checked or written.
    #[error(transparent)]
    Output(#[from] OutputError),
    /// Options that parse but do not fit together.
    #[error("{0}")]
    Usage(String),
    /// A failure at run time that is not the user's input (MPI limits, I/O mid-run).
    #[error("{0}")]
    Runtime(String),
}

/// Exit code for bad usage or bad input.
pub const EXIT_USAGE: u8 = 2;
/// Exit code for failures at run time.
pub const EXIT_RUNTIME: u8 = 1;

impl Error {
    /// The code every rank exits with: 2 for the user's mistakes, 1 for run-time failures.
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::Cities(_) | Error::Mandel(_) | Error::Usage(_) => EXIT_USAGE,
            Error::Output(e) => e.exit_code(),
            Error::Runtime(_) => EXIT_RUNTIME,
        }
    }
}

/// `text` with control characters written as escapes (`\u{1b}`, `\n`), everything else as is.
pub fn escape_controls(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_control() {
                c.escape_default().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

/// A path as every message shows it: as given, with control characters escaped
/// ([`escape_controls`]), so that a message stays one line whatever the file is called.
pub fn shown(path: &Path) -> String {
    escape_controls(&path.display().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_in_messages_stay_on_one_line() {
        let p = Path::new("out\n\u{1b}[31mred.png");
        assert_eq!(shown(p), "out\\n\\u{1b}[31mred.png");
        assert_eq!(shown(Path::new("plain/ü.png")), "plain/ü.png");
    }
}
