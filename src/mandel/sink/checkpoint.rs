//! Finished rows of one long image saved in a folder as they come, so that a rerun of the same
//! request (after a kill or a time limit) computes only the rows that are missing.
//!
//! Rank 0 gets rows in order from the top, so what is saved is always a prefix of the image.
//! The folder holds `request.txt` (a hash of everything that decides the counts and smooth
//! values, and the request in words) and chunk files `rows-<first>-<end>.bin`, each written
//! atomically ([`write_atomically`]): a header (magic, the hash, first row, end row, width,
//! whether smooth values follow), the CRC-32 of the body, then the body: the counts as
//! little-endian `u32`, then the smooth values as `f32` bits. A chunk is saved every
//! [`SAVE_EVERY`] or [`CHUNK_BYTES`], whichever comes first. A chunk is restored only if its
//! header, length and checksum all agree; from the first one that does not (a torn or corrupt
//! file, or one of an older format), the rows are computed again, never trusted.
//! A folder whose hash differs is refused (exit 2), so another request never reuses it; it is
//! removed once the image is written.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use super::RowSink;
use crate::mandel::render::{RowRenderer, RowShape};
use crate::output::write_atomically;
use crate::signals::{self, Deferral};
use crate::Error;

/// Time between saves at most (a chunk is saved once this has passed since the last one).
pub const SAVE_EVERY: Duration = Duration::from_secs(2);

/// [`SAVE_EVERY`], or `MPI_EXAMPLES_CHECKPOINT_MS` milliseconds when set (the tests save often,
/// so that a short image is interrupted after a save).
fn save_every() -> Duration {
    std::env::var("MPI_EXAMPLES_CHECKPOINT_MS")
        .ok()
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map_or(SAVE_EVERY, Duration::from_millis)
}

/// Bytes of rows a chunk holds at most.
pub const CHUNK_BYTES: usize = 64 << 20;

/// The chunk header's first bytes; the digit is the format's version (2: with the body's
/// checksum), so chunks of another version are not restored but computed again.
const MAGIC: &[u8; 8] = b"MANDCKP2";

/// The checksum of a chunk's body: CRC-32 (zlib's), stored after the header.
fn body_checksum(body: &[u8]) -> u32 {
    zlib_rs::crc32::crc32(0, body)
}

/// The request file's name.
const REQUEST: &str = "request.txt";

/// FNV-1a, 64 bits: a stable hash (the same on every machine and build) of the request text.
pub fn request_hash(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// A checkpoint folder for one request.
#[derive(Debug, Clone)]
pub struct Checkpoint {
    dir: PathBuf,
    hash: u64,
    width: u32,
    height: u32,
    smooth: bool,
}

/// Rows read back from a checkpoint: the first `rows` rows of the image.
#[derive(Debug, Default)]
pub struct Restored {
    /// How many rows, from the top.
    pub rows: u32,
    /// Their counts.
    pub counts: Vec<u32>,
    /// Their smooth values (empty unless the image has them).
    pub smooth: Vec<f32>,
}

fn io_error(dir: &Path, what: &str, e: std::io::Error) -> Error {
    Error::Runtime(format!(
        "cannot {what} the checkpoint ({e}), {}",
        crate::message::shown(dir)
    ))
}

impl Checkpoint {
    /// Opens (creating it if need be) the checkpoint folder `dir` for the request described by
    /// `request` and reads back the rows it holds; refuses a folder saved for another request.
    pub fn open(
        dir: &Path,
        request: &str,
        width: u32,
        height: u32,
        smooth: bool,
    ) -> Result<(Checkpoint, Restored), Error> {
        let hash = request_hash(request);
        let cp = Checkpoint {
            dir: dir.to_path_buf(),
            hash,
            width,
            height,
            smooth,
        };
        match fs::metadata(dir) {
            Ok(m) if !m.is_dir() => {
                return Err(Error::Usage(format!(
                    "--checkpoint names a file, not a folder, {}",
                    crate::message::shown(dir)
                )))
            }
            Ok(_) => {}
            Err(_) => fs::create_dir(dir).map_err(|e| {
                Error::Usage(format!(
                    "cannot create the checkpoint folder ({e}), {}",
                    crate::message::shown(dir)
                ))
            })?,
        }
        let request_file = dir.join(REQUEST);
        match fs::read_to_string(&request_file) {
            Ok(text) => {
                let saved = text
                    .lines()
                    .next()
                    .and_then(|l| l.strip_prefix("hash "))
                    .and_then(|h| u64::from_str_radix(h.trim(), 16).ok());
                if saved != Some(hash) {
                    return Err(Error::Usage(format!(
                        "the checkpoint was saved for another request (other size, view, \
                         iterations or kernel); remove it or choose another --checkpoint, {}",
                        crate::message::shown(dir)
                    )));
                }
            }
            Err(_) => {
                let text = format!("hash {hash:016x}\n{request}\n");
                write_atomically(&request_file, |w| w.write_all(text.as_bytes()))?;
            }
        }
        let restored = cp.read()?;
        Ok((cp, restored))
    }

    /// The chunk files present, sorted by first row: `(first, end, path)`.
    fn chunks(&self) -> Result<Vec<(u32, u32, PathBuf)>, Error> {
        let entries = fs::read_dir(&self.dir).map_err(|e| io_error(&self.dir, "read", e))?;
        let mut found = Vec::new();
        for entry in entries.flatten() {
            let name = entry.file_name();
            let Some(name) = name.to_str() else { continue };
            let Some(span) = name
                .strip_prefix("rows-")
                .and_then(|n| n.strip_suffix(".bin"))
            else {
                continue;
            };
            let Some((a, b)) = span.split_once('-') else {
                continue;
            };
            if let (Ok(a), Ok(b)) = (a.parse::<u32>(), b.parse::<u32>()) {
                found.push((a, b, entry.path()));
            }
        }
        found.sort();
        Ok(found)
    }

    /// The longest run of valid chunks from row 0. A chunk whose header, length or checksum
    /// is wrong is passed over (another chunk may start at the same row); the rows from the
    /// first one missing are computed again.
    fn read(&self) -> Result<Restored, Error> {
        let mut restored = Restored::default();
        let w = self.width as usize;
        for (first, end, path) in self.chunks()? {
            if first != restored.rows || end <= first || end > self.height {
                break;
            }
            let bytes = fs::read(&path).map_err(|e| io_error(&path, "read", e))?;
            let rows = (end - first) as usize;
            let values = if self.smooth { 2 } else { 1 };
            let header = self.header(first, end);
            let Some(body) = checked_body(&bytes, &header, rows * w * 4 * values) else {
                continue;
            };
            let words = body
                .chunks_exact(4)
                .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]));
            restored.counts.extend(words.clone().take(rows * w));
            if self.smooth {
                restored
                    .smooth
                    .extend(words.skip(rows * w).map(f32::from_bits));
            }
            restored.rows = end;
        }
        Ok(restored)
    }

    fn header(&self, first: u32, end: u32) -> Vec<u8> {
        let mut h = Vec::with_capacity(29);
        h.extend_from_slice(MAGIC);
        h.extend_from_slice(&self.hash.to_le_bytes());
        h.extend_from_slice(&first.to_le_bytes());
        h.extend_from_slice(&end.to_le_bytes());
        h.extend_from_slice(&self.width.to_le_bytes());
        h.push(u8::from(self.smooth));
        h
    }

    /// Saves rows `first..` (their counts and smooth values) as one chunk, atomically.
    pub fn save(&self, first: u32, counts: &[u32], smooth: &[f32]) -> Result<(), Error> {
        let rows = (counts.len() / self.width.max(1) as usize) as u32;
        if rows == 0 {
            return Ok(());
        }
        let end = first + rows;
        let path = self.dir.join(format!("rows-{first:010}-{end:010}.bin"));
        write_atomically(&path, |w| {
            w.write_all(&self.header(first, end))?;
            let mut bytes = Vec::with_capacity(counts.len() * 4);
            bytes.extend(counts.iter().flat_map(|c| c.to_le_bytes()));
            if self.smooth {
                bytes.extend(smooth.iter().flat_map(|s| s.to_bits().to_le_bytes()));
            }
            w.write_all(&body_checksum(&bytes).to_le_bytes())?;
            w.write_all(&bytes)
        })?;
        Ok(())
    }

    /// Removes the chunks and the request file, then the folder if nothing else is in it.
    pub fn remove(&self) -> Result<(), Error> {
        for (_, _, path) in self.chunks()? {
            fs::remove_file(&path).map_err(|e| io_error(&path, "remove", e))?;
        }
        let request = self.dir.join(REQUEST);
        fs::remove_file(&request).map_err(|e| io_error(&request, "remove", e))?;
        let _ = fs::remove_dir(&self.dir);
        Ok(())
    }
}

/// The body of a chunk file (`bytes`), if it opens with `header`, then the body's checksum, then
/// `body_len` bytes that match it; `None` for a torn, corrupt or foreign chunk.
fn checked_body<'b>(bytes: &'b [u8], header: &[u8], body_len: usize) -> Option<&'b [u8]> {
    let rest = bytes.strip_prefix(header)?;
    let (sum, body) = rest.split_first_chunk::<4>()?;
    (body.len() == body_len && u32::from_le_bytes(*sum) == body_checksum(body)).then_some(body)
}

/// Rank 0's sink with a checkpoint: rows go on to the image's outputs and are saved in chunks;
/// once the image is written the checkpoint is removed, and if writing fails the rows not yet
/// saved are saved, so a rerun needs only the rest.
///
/// On SIGINT or SIGTERM ([`signals::on_stop`]) the rows received since the last chunk are saved
/// as one more chunk before the process ends, so an interrupted run loses none of the rows that
/// reached rank 0; an image whose rows have all arrived is written first.
pub struct CheckpointSink {
    inner: Option<Box<dyn RowSink>>,
    /// The rows not yet saved, shared with the save that runs on a signal.
    unsaved: Arc<Mutex<Unsaved>>,
    smooth: bool,
    every: Duration,
    _stop: Deferral,
}

/// Rows received and not yet saved, and where they go.
struct Unsaved {
    checkpoint: Checkpoint,
    width: usize,
    /// The row the buffer starts at.
    first: u32,
    counts: Vec<u32>,
    smooth: Vec<f32>,
    last_save: Instant,
    error: Option<Error>,
}

impl Unsaved {
    /// Saves the buffered rows as a chunk.
    fn save(&mut self) {
        if self.counts.is_empty() || self.error.is_some() {
            return;
        }
        match self.checkpoint.save(self.first, &self.counts, &self.smooth) {
            Ok(()) => {
                self.first += (self.counts.len() / self.width) as u32;
                self.counts.clear();
                self.smooth.clear();
                self.last_save = Instant::now();
            }
            Err(e) => self.error = Some(e),
        }
    }
}

fn lock(m: &Mutex<Unsaved>) -> MutexGuard<'_, Unsaved> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl CheckpointSink {
    /// Rows after `restored` (already pushed into `inner`, which may be `None`: no outputs)
    /// saved in `checkpoint`.
    pub fn new(
        inner: Option<Box<dyn RowSink>>,
        checkpoint: Checkpoint,
        restored: u32,
    ) -> CheckpointSink {
        let smooth = checkpoint.smooth;
        let unsaved = Arc::new(Mutex::new(Unsaved {
            width: checkpoint.width.max(1) as usize,
            checkpoint,
            first: restored,
            counts: Vec::new(),
            smooth: Vec::new(),
            last_save: Instant::now(),
            error: None,
        }));
        let on_signal = Arc::clone(&unsaved);
        let stop = signals::on_stop(move || {
            let mut unsaved = lock(&on_signal);
            unsaved.save();
            let signal = signals::pending_signal_name();
            let dir = crate::message::shown(&unsaved.checkpoint.dir);
            match &unsaved.error {
                Some(e) => eprintln!("mandel: stopped by {signal}; the checkpoint was not saved: {e}"),
                None => eprintln!(
                    "mandel: stopped by {signal}; the first {} of {} rows are saved in the checkpoint {dir}: \
                     run the same command again to compute only the rest",
                    unsaved.first, unsaved.checkpoint.height
                ),
            }
            // The process ends next: keep the rows locked, so nothing saves after this.
            std::mem::forget(unsaved);
        });
        CheckpointSink {
            inner,
            unsaved,
            smooth,
            every: save_every(),
            _stop: stop,
        }
    }
}

impl RowSink for CheckpointSink {
    fn push(&mut self, counts: &[u32], smooth: Option<&[f32]>) {
        if let Some(inner) = self.inner.as_mut() {
            inner.push(counts, smooth);
        }
        let mut unsaved = lock(&self.unsaved);
        unsaved.counts.extend_from_slice(counts);
        if let (true, Some(s)) = (self.smooth, smooth) {
            unsaved.smooth.extend_from_slice(s);
        }
        if unsaved.counts.len() * 8 >= CHUNK_BYTES || unsaved.last_save.elapsed() >= self.every {
            unsaved.save();
        }
    }

    fn finish(mut self: Box<Self>) -> Result<(), Error> {
        // A signal from here on waits until the image is written and the checkpoint removed
        // (or the rows saved, if writing failed).
        let _finishing = signals::finishing();
        let written = self.inner.take().map_or(Ok(()), |o| o.finish());
        let mut unsaved = lock(&self.unsaved);
        if let Some(e) = unsaved.error.take() {
            return Err(e);
        }
        match written {
            Ok(()) => {
                unsaved.counts.clear();
                unsaved.smooth.clear();
                unsaved.checkpoint.remove()
            }
            Err(e) => {
                unsaved.save();
                Err(e)
            }
        }
    }
}

/// An image's rows from `offset` on, as rows `0..`: what a rerun still has to compute; pieces
/// of at most `piece_rows` rows reach rank 0, so rows are saved as they are done.
pub struct Remaining<'a> {
    /// The whole image's renderer.
    pub inner: &'a dyn RowRenderer,
    /// Rows already restored.
    pub offset: u32,
    /// Rows per piece at most.
    pub piece_rows: u32,
}

impl RowRenderer for Remaining<'_> {
    fn shape(&self) -> RowShape {
        self.inner.shape()
    }

    fn max_piece_rows(&self) -> u32 {
        self.piece_rows.min(self.inner.max_piece_rows())
    }

    fn render(&self, rows: &[u32], counts: &mut [u32], smooth: Option<&mut [f32]>) -> u64 {
        let shifted: Vec<u32> = rows.iter().map(|r| r + self.offset).collect();
        self.inner.render(&shifted, counts, smooth)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn saved_rows_come_back_and_another_request_is_refused() {
        let dir = tempfile::tempdir().expect("dir");
        let cp_dir = dir.path().join("cp");
        let (cp, r) = Checkpoint::open(&cp_dir, "request a", 3, 10, true).expect("open");
        assert_eq!(r.rows, 0);
        cp.save(0, &[1, 2, 3, 4, 5, 6], &[0.5; 6]).expect("save");
        cp.save(2, &[7, 8, 9], &[1.5; 3]).expect("save");
        // A chunk that does not follow on is ignored.
        cp.save(5, &[0, 0, 0], &[0.0; 3]).expect("save");
        let (cp, r) = Checkpoint::open(&cp_dir, "request a", 3, 10, true).expect("reopen");
        assert_eq!(r.rows, 3);
        assert_eq!(r.counts, (1..=9).collect::<Vec<u32>>());
        assert_eq!(r.smooth, [[0.5f32; 6].as_slice(), &[1.5; 3]].concat());
        let err = Checkpoint::open(&cp_dir, "request b", 3, 10, true).unwrap_err();
        assert_eq!(err.exit_code(), 2);
        assert!(err.to_string().contains("another request"), "{err}");
        cp.remove().expect("remove");
        assert!(!cp_dir.exists());
    }

    /// The chunk files in `dir`, sorted.
    fn chunk_files(dir: &Path) -> Vec<PathBuf> {
        let mut files: Vec<PathBuf> = fs::read_dir(dir)
            .expect("read dir")
            .map(|e| e.expect("entry").path())
            .filter(|p| p.extension().is_some_and(|e| e == "bin"))
            .collect();
        files.sort();
        files
    }

    #[test]
    fn a_chunk_with_one_flipped_byte_in_its_body_is_not_restored() {
        let dir = tempfile::tempdir().expect("dir");
        let cp_dir = dir.path().join("cp");
        let (cp, _) = Checkpoint::open(&cp_dir, "request", 2, 10, true).expect("open");
        cp.save(0, &[1, 2, 3, 4], &[0.5; 4]).expect("save");
        cp.save(2, &[5, 6], &[1.5; 2]).expect("save");
        cp.save(3, &[7, 8], &[2.5; 2]).expect("save");
        let files = chunk_files(&cp_dir);
        assert_eq!(files.len(), 3);
        // Every byte of the second chunk's body, flipped in turn, makes it (and what follows)
        // be computed again; the chunk before it is still restored.
        let whole = fs::read(&files[1]).expect("read");
        let header = cp.header(2, 3).len() + 4;
        assert_eq!(whole.len(), header + 2 * 4 * 2);
        for at in header..whole.len() {
            let mut bytes = whole.clone();
            bytes[at] ^= 0x10;
            fs::write(&files[1], &bytes).expect("write");
            let (_, r) = Checkpoint::open(&cp_dir, "request", 2, 10, true).expect("reopen");
            assert_eq!(r.rows, 2, "byte {at} flipped");
            assert_eq!(r.counts, [1, 2, 3, 4]);
            assert_eq!(r.smooth, [0.5; 4]);
        }
        // Whole again, every chunk comes back.
        fs::write(&files[1], &whole).expect("write");
        let (_, r) = Checkpoint::open(&cp_dir, "request", 2, 10, true).expect("reopen");
        assert_eq!(r.rows, 4);
        assert_eq!(r.counts, (1..=8).collect::<Vec<u32>>());
        // A flipped checksum is caught the same way; so is a chunk of the previous format.
        let mut bytes = whole.clone();
        bytes[header - 1] ^= 1;
        fs::write(&files[1], &bytes).expect("write");
        let (_, r) = Checkpoint::open(&cp_dir, "request", 2, 10, true).expect("reopen");
        assert_eq!(r.rows, 2);
        let mut old = fs::read(&files[0]).expect("read");
        old[..8].copy_from_slice(b"MANDCKP1");
        fs::write(&files[0], &old).expect("write");
        let (_, r) = Checkpoint::open(&cp_dir, "request", 2, 10, true).expect("reopen");
        assert_eq!(r.rows, 0);
    }

    #[test]
    fn a_corrupt_chunk_gives_way_to_a_whole_one_from_the_same_row() {
        let dir = tempfile::tempdir().expect("dir");
        let cp_dir = dir.path().join("cp");
        let (cp, _) = Checkpoint::open(&cp_dir, "request", 1, 10, false).expect("open");
        cp.save(0, &[1, 2], &[]).expect("save");
        let first = chunk_files(&cp_dir).remove(0);
        let mut bytes = fs::read(&first).expect("read");
        *bytes.last_mut().expect("body") ^= 0x80;
        fs::write(&first, &bytes).expect("write");
        // The rerun saved the same rows again, cut differently.
        cp.save(0, &[1, 2, 3], &[]).expect("save");
        let (_, r) = Checkpoint::open(&cp_dir, "request", 1, 10, false).expect("reopen");
        assert_eq!(r.rows, 3);
        assert_eq!(r.counts, [1, 2, 3]);
    }
}
