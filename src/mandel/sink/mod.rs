//! Where finished rows go on rank 0, top to bottom: a `.npy` file, a PNG, both, or nowhere.
//!
//! The distribution ([`super::distribute`]) hands rows to a [`RowSink`] in order and never waits
//! for a file: [`Outputs`] copies them into batches and passes each batch to one thread per
//! file ([`npy`], [`png`]), which encodes and writes it while the next rows are computed. Each
//! file is written atomically ([`crate::output::write_atomically`]): it appears whole, in
//! place, or not at all. An output is one file here, behind [`OutputThread`]; adding a format is
//! adding a file.

pub mod checkpoint;
pub mod npy;
pub mod png;

use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::sync::Arc;
use std::thread::JoinHandle;

use crate::Error;

/// What the distribution writes finished rows into, in order from the top.
pub trait RowSink {
    /// Takes the next `counts.len() / width` rows (and their smooth values, when rendered).
    fn push(&mut self, counts: &[u32], smooth: Option<&[f32]>);
    /// Finishes every output: whole files in place, or the first error (and no file).
    fn finish(self: Box<Self>) -> Result<(), Error>;
}

/// Consecutive rows of counts (and smooth values), shared by every output thread.
#[derive(Debug, Default)]
pub struct Batch {
    /// The counts, row after row.
    pub counts: Vec<u32>,
    /// The smooth values, one per count, when rendered.
    pub smooth: Option<Vec<f32>>,
}

/// What an output thread runs: it takes batches until the channel closes, then finishes its
/// file (or fails, e.g. when fewer rows came than the image has).
pub type OutputThread = Box<dyn FnOnce(Receiver<Arc<Batch>>) -> Result<(), Error> + Send>;

/// A running output thread: its queue and its handle.
type Running = (SyncSender<Arc<Batch>>, JoinHandle<Result<(), Error>>);

/// Batches in the queue of each output thread: enough to smooth out bursts, few enough that
/// rank 0's memory stays a handful of batches.
const QUEUE: usize = 4;

/// Bytes of counts per batch (at least one row).
const BATCH_BYTES: usize = 1 << 20;

/// The outputs of one image, each on its own thread, fed the same batches.
pub struct Outputs {
    width: usize,
    smooth: bool,
    batch_pixels: usize,
    current: Batch,
    threads: Vec<Running>,
    /// Batches handed out earlier, reused once every thread is done with them.
    spent: Vec<Arc<Batch>>,
}

impl Outputs {
    /// Outputs for rows of `width` pixels (with smooth values when `smooth`).
    pub fn new(width: u32, smooth: bool) -> Outputs {
        let width = width.max(1) as usize;
        let rows = (BATCH_BYTES / (width * 4)).max(1);
        Outputs {
            width,
            smooth,
            batch_pixels: rows * width,
            current: Batch::default(),
            threads: Vec::new(),
            spent: Vec::new(),
        }
    }

    /// Starts an output thread.
    pub fn add(&mut self, name: &str, run: OutputThread) -> Result<(), Error> {
        let (tx, rx) = sync_channel(QUEUE);
        let handle = std::thread::Builder::new()
            .name(format!("write {name}"))
            .spawn(move || run(rx))
            .map_err(|e| Error::Runtime(format!("cannot start a thread to write {name}: {e}")))?;
        self.threads.push((tx, handle));
        Ok(())
    }

    /// Whether any output was added.
    pub fn is_empty(&self) -> bool {
        self.threads.is_empty()
    }

    /// Sends the current batch to every thread and starts a new one (reusing a spent batch).
    fn send(&mut self) {
        if self.current.counts.is_empty() {
            return;
        }
        let fresh = match self.spent.iter().position(|b| Arc::strong_count(b) == 1) {
            Some(i) => {
                let mut batch = Arc::try_unwrap(self.spent.swap_remove(i)).unwrap_or_default();
                batch.counts.clear();
                if let Some(s) = batch.smooth.as_mut() {
                    s.clear();
                }
                batch
            }
            None => Batch {
                counts: Vec::with_capacity(self.batch_pixels),
                smooth: self.smooth.then(|| Vec::with_capacity(self.batch_pixels)),
            },
        };
        let batch = Arc::new(std::mem::replace(&mut self.current, fresh));
        for (tx, _) in &self.threads {
            // A thread that stopped early (a write error) has said why; it reports at finish.
            let _ = tx.send(Arc::clone(&batch));
        }
        if self.spent.len() < 2 * QUEUE + 2 {
            self.spent.push(batch);
        }
    }
}

impl RowSink for Outputs {
    fn push(&mut self, mut counts: &[u32], mut smooth: Option<&[f32]>) {
        if self.current.counts.capacity() == 0 {
            self.current.counts.reserve(self.batch_pixels);
            if self.smooth {
                self.current.smooth = Some(Vec::with_capacity(self.batch_pixels));
            }
        }
        while !counts.is_empty() {
            let room = self.batch_pixels - self.current.counts.len();
            let take = room.min(counts.len());
            self.current.counts.extend_from_slice(&counts[..take]);
            if let (Some(dst), Some(src)) = (self.current.smooth.as_mut(), smooth) {
                dst.extend_from_slice(&src[..take]);
                smooth = Some(&src[take..]);
            }
            counts = &counts[take..];
            if self.current.counts.len() == self.batch_pixels {
                self.send();
            }
        }
        debug_assert_eq!(self.current.counts.len() % self.width, 0);
    }

    fn finish(mut self: Box<Self>) -> Result<(), Error> {
        self.send();
        self.spent.clear();
        let mut first_error = None;
        for (tx, handle) in std::mem::take(&mut self.threads) {
            drop(tx); // closes the channel: the thread finishes its file
            let result = handle
                .join()
                .unwrap_or_else(|_| Err(Error::Runtime("an output thread panicked".into())));
            if let (Err(e), None) = (result, &first_error) {
                first_error = Some(e);
            }
        }
        first_error.map_or(Ok(()), Err)
    }
}

/// Rows delivered to an output thread, counted against the image's height.
pub(crate) fn incomplete(path: &std::path::Path, got: u64, want: u64) -> std::io::Error {
    std::io::Error::other(format!(
        "only {got} of {want} rows reached {} before the end",
        crate::message::shown(path)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    #[test]
    fn every_thread_gets_every_row_in_order_and_errors_come_back() {
        let width = 7u32;
        let seen = Arc::new(Mutex::new(Vec::<u32>::new()));
        let mut outputs = Outputs::new(width, true);
        let s = Arc::clone(&seen);
        outputs
            .add(
                "a",
                Box::new(move |rx: Receiver<Arc<Batch>>| {
                    for b in rx {
                        assert_eq!(b.smooth.as_ref().map(Vec::len), Some(b.counts.len()));
                        s.lock().expect("lock").extend_from_slice(&b.counts);
                    }
                    Ok(())
                }),
            )
            .expect("thread");
        outputs
            .add(
                "b",
                Box::new(|rx: Receiver<Arc<Batch>>| {
                    drop(rx);
                    Err(Error::Runtime("disk full".into()))
                }),
            )
            .expect("thread");
        let rows = 100_000u32;
        let mut sink: Box<dyn RowSink> = Box::new(outputs);
        for chunk in (0..rows * width)
            .collect::<Vec<_>>()
            .chunks(width as usize * 3)
        {
            let smooth: Vec<f32> = chunk.iter().map(|&c| c as f32).collect();
            sink.push(chunk, Some(&smooth));
        }
        let err = sink.finish().unwrap_err();
        assert!(err.to_string().contains("disk full"));
        let seen = seen.lock().expect("lock");
        assert_eq!(seen.len(), (rows * width) as usize);
        assert!(seen.iter().enumerate().all(|(i, &c)| c == i as u32));
    }
}
