//! The coloured image as an 8-bit RGB PNG, through the `image` crate's encoder.
//!
//! Returns `io::Result` so it composes with [`crate::atomic_file::write_atomically`].

use std::io::{self, Write};

use image::codecs::png::PngEncoder;
use image::{ExtendedColorType, ImageEncoder, ImageError};

/// Encodes `rgb` (row-major, 3 bytes a pixel, row 0 at the top) as a `width` x `height` PNG.
///
/// Refuses (`InvalidInput`) a buffer of the wrong length instead of panicking as the encoder would.
pub fn write_png<W: Write>(w: W, width: u32, height: u32, rgb: &[u8]) -> io::Result<()> {
    let expected = u64::from(width) * u64::from(height) * 3;
    if rgb.len() as u64 != expected {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!(
                "{} RGB bytes do not fill a {width} x {height} image ({expected} needed)",
                rgb.len()
            ),
        ));
    }
    PngEncoder::new(w)
        .write_image(rgb, width, height, ExtendedColorType::Rgb8)
        .map_err(|e| match e {
            ImageError::IoError(io) => io,
            other => io::Error::other(other),
        })
}

/// TEMPORARY stand-in for the streaming encoder (being written): buffers everything.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PngCompression {
    /// Fast.
    #[default]
    Fast,
    /// Default.
    Default,
    /// Best.
    Best,
}

/// TEMPORARY.
pub struct PngStream<W: Write> {
    out: W,
    width: u32,
    height: u32,
    rgb: Vec<u8>,
}

impl<W: Write> PngStream<W> {
    /// TEMPORARY.
    pub fn new(out: W, width: u32, height: u32, _level: PngCompression, _threads: usize) -> io::Result<Self> {
        Ok(PngStream { out, width, height, rgb: Vec::new() })
    }
    /// TEMPORARY.
    pub fn block_rows(&self) -> u32 {
        7
    }
    /// TEMPORARY.
    pub fn submit_block<F: FnOnce(&mut [u8]) + Send + 'static>(&mut self, fill: F) -> io::Result<()> {
        let rows = (self.height as usize - self.rgb.len() / (3 * self.width as usize)).min(7);
        let at = self.rgb.len();
        self.rgb.resize(at + rows * self.width as usize * 3, 0);
        fill(&mut self.rgb[at..]);
        Ok(())
    }
    /// TEMPORARY.
    pub fn finish(self) -> io::Result<W> {
        let mut out = self.out;
        write_png(&mut out, self.width, self.height, &self.rgb)?;
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_size_and_pixels() {
        let (w, h) = (5u32, 3u32);
        let rgb: Vec<u8> = (0..w * h * 3).map(|i| (i * 17 % 256) as u8).collect();
        let mut out = Vec::new();
        write_png(&mut out, w, h, &rgb).expect("in-memory write");
        assert_eq!(&out[..8], b"\x89PNG\r\n\x1a\n");
        let img =
            image::load_from_memory_with_format(&out, image::ImageFormat::Png).expect("decodes");
        assert_eq!((img.width(), img.height()), (w, h));
        let back = img.to_rgb8();
        assert_eq!(back.as_raw(), &rgb);
        // Row 0 is the top: pixel (0, 0) is the first three bytes.
        assert_eq!(back.get_pixel(0, 0).0, [rgb[0], rgb[1], rgb[2]]);
        assert!(matches!(img.color(), image::ColorType::Rgb8));
    }

    #[test]
    fn refuses_a_wrong_length() {
        let err = write_png(Vec::new(), 2, 2, &[0; 11]).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
    }

    #[test]
    fn passes_write_errors_through() {
        struct Full;
        impl Write for Full {
            fn write(&mut self, _: &[u8]) -> io::Result<usize> {
                Err(io::Error::new(io::ErrorKind::StorageFull, "disk full"))
            }
            fn flush(&mut self) -> io::Result<()> {
                Ok(())
            }
        }
        // The png crate keeps the system's words but not the error kind.
        let err = write_png(Full, 1, 1, &[1, 2, 3]).unwrap_err();
        assert!(err.to_string().contains("disk full"), "{err}");
    }
}
