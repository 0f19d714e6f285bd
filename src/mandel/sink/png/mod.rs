//! The PNG output thread: the coloured image encoded block by block on the encoder's own threads
//! as batches arrive ([`encoder::PngStream`], the hand-written streaming encoder beside it):
//! counts are painted into RGB on those threads too.

pub mod encoder;

use std::path::PathBuf;
use std::sync::mpsc::Receiver;
use std::sync::Arc;

use super::{incomplete, Batch, OutputThread};
use crate::mandel::colormap::Painter;
use crate::output::write_atomically;
use encoder::{PngCompression, PngStream};

/// What a PNG output needs to know.
pub struct PngJob {
    /// Where it goes.
    pub path: PathBuf,
    /// Image width in pixels.
    pub width: u32,
    /// Image height in pixels.
    pub height: u32,
    /// How hard to compress.
    pub level: PngCompression,
    /// Encoding threads.
    pub threads: usize,
    /// Counts to colours.
    pub painter: Painter,
}

/// The encoding threads for a rank: the cores it may run on (its affinity mask), which the
/// encoder shares with the computing threads.
pub fn encoder_threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// An output thread writing the PNG.
pub fn png_output(job: PngJob) -> OutputThread {
    Box::new(move |rx: Receiver<Arc<Batch>>| {
        let PngJob {
            path,
            width,
            height,
            level,
            threads,
            painter,
        } = job;
        let painter = Arc::new(painter);
        write_atomically(&path, |w| {
            let mut png = PngStream::new(w, width, height, level, threads)?;
            let block = png.block_rows() as usize * width as usize;
            let mut counts: Vec<u32> = Vec::with_capacity(block);
            let mut smooth: Option<Vec<f32>> = None;
            let mut got = 0u64;
            let submit = |png: &mut PngStream<_>,
                          counts: &mut Vec<u32>,
                          smooth: &mut Option<Vec<f32>>|
             -> std::io::Result<()> {
                let c = std::mem::replace(counts, Vec::with_capacity(block));
                let s = smooth
                    .as_mut()
                    .map(|s| std::mem::replace(s, Vec::with_capacity(block)));
                let painter = Arc::clone(&painter);
                png.submit_block(move |rgb: &mut [u8]| painter.paint(&c, s.as_deref(), rgb))
            };
            for batch in rx {
                got += batch.counts.len() as u64;
                if smooth.is_none() && batch.smooth.is_some() {
                    smooth = Some(Vec::with_capacity(block));
                }
                let mut at = 0;
                while at < batch.counts.len() {
                    let take = (block - counts.len()).min(batch.counts.len() - at);
                    counts.extend_from_slice(&batch.counts[at..at + take]);
                    if let (Some(dst), Some(src)) = (smooth.as_mut(), batch.smooth.as_ref()) {
                        dst.extend_from_slice(&src[at..at + take]);
                    }
                    at += take;
                    if counts.len() == block {
                        submit(&mut png, &mut counts, &mut smooth)?;
                    }
                }
            }
            let want = u64::from(width) * u64::from(height);
            if got != want {
                let w = u64::from(width.max(1));
                return Err(incomplete(&path, got / w, want / w));
            }
            if !counts.is_empty() {
                submit(&mut png, &mut counts, &mut smooth)?;
            }
            png.finish()?;
            Ok(())
        })?;
        Ok(())
    })
}
