//! Placeholder: atomic output files are being written.

/// An output file that cannot be checked or written.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct OutputError(pub String);

impl OutputError {
    /// 2 when the path was refused before computing, 1 when writing failed at run time.
    pub fn exit_code(&self) -> u8 {
        2
    }
}
