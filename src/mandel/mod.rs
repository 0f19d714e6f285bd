//! Placeholder: the Mandelbrot modules are being written.

/// A Mandelbrot request that makes no sense.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct MandelError(pub String);
