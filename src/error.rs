//! The one error type that bubbles up to `main`, printed once by rank 0 as `error: <what>, <where>`.

use crate::{cities::ReadError, mandel::MandelError, output::OutputError};

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
