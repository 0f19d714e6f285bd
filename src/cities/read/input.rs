//! The bytes of a city file, read in big chunks into one reused buffer.
//!
//! Two limits are kept here, on the raw bytes as they arrive: no line may pass
//! [`MAX_LINE_BYTES`], and a read error stops the input. Neither is reported at once: the bytes
//! before the fault are offered as usual, and the fault becomes the error of whoever asks for
//! more, so an earlier bad row is still reported first.

use std::io::{self, Read};
use std::path::Path;

use super::error::ReadError;

/// The longest line the reader accepts; a longer one (a binary file, `/dev/zero`) is an error
/// instead of an ever-growing buffer.
pub const MAX_LINE_BYTES: usize = 1 << 20;

/// The first buffer size: big enough that reads and compaction are rare, small enough to stay in
/// the cache while it is parsed.
const CHUNK_BYTES: usize = 1 << 20;

/// Why no bytes come after the ones read so far.
enum End {
    /// More may come.
    Open,
    /// The source is exhausted.
    Eof,
    /// The source failed, or the line at the end of the buffer grew too long.
    Failed(ReadError),
}

/// A growing window on the input: `buf[start..filled]` is read but not yet consumed.
pub(super) struct Input<'p, R> {
    reader: R,
    path: &'p Path,
    buf: Vec<u8>,
    start: usize,
    filled: usize,
    end: End,
    /// Bytes since the last newline, over the whole stream.
    since_newline: usize,
    /// Newlines read so far, over the whole stream.
    newlines: u64,
}

impl<'p, R: Read> Input<'p, R> {
    /// An input with nothing read yet; `path` names it in messages.
    pub(super) fn new(path: &'p Path, reader: R) -> Self {
        Input {
            reader,
            path,
            buf: Vec::new(),
            start: 0,
            filled: 0,
            end: End::Open,
            since_newline: 0,
            newlines: 0,
        }
    }

    /// The bytes read and not yet consumed.
    pub(super) fn available(&self) -> &[u8] {
        &self.buf[self.start..self.filled]
    }

    /// Whether [`Self::available`] is all there will be, and the input ended cleanly.
    pub(super) fn at_eof(&self) -> bool {
        matches!(self.end, End::Eof)
    }

    /// Drops the first `n` available bytes.
    pub(super) fn consume(&mut self, n: usize) {
        debug_assert!(n <= self.filled - self.start);
        self.start += n;
    }

    /// Reads more bytes after the available ones (which stay), or returns the fault that ended
    /// the input. At EOF it returns without adding any.
    pub(super) fn fill(&mut self) -> Result<(), ReadError> {
        match std::mem::replace(&mut self.end, End::Open) {
            End::Open => {}
            End::Eof => {
                self.end = End::Eof;
                return Ok(());
            }
            End::Failed(e) => return Err(e),
        }
        if self.start > 0 {
            self.buf.copy_within(self.start..self.filled, 0);
            self.filled -= self.start;
            self.start = 0;
        }
        if self.filled == self.buf.len() {
            let grown = (2 * self.buf.len()).max(CHUNK_BYTES);
            self.buf.resize(grown, 0);
        }
        // Fill the buffer whole: a record longer than it is then rescanned a logarithmic number
        // of times as the buffer doubles, not once per read (a pipe gives 64 KiB at a time).
        let before = self.filled;
        while self.filled < self.buf.len() {
            match self.reader.read(&mut self.buf[self.filled..]) {
                Ok(0) => {
                    self.end = End::Eof;
                    break;
                }
                Ok(n) => {
                    let kept = self.guard_line_length(n);
                    self.filled += kept;
                    if kept < n {
                        self.end = End::Failed(ReadError::LineTooLong {
                            path: self.path.to_owned(),
                            line: self.newlines + 1,
                            limit: MAX_LINE_BYTES,
                        });
                        break;
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(source) => {
                    self.end = End::Failed(ReadError::Io {
                        path: self.path.to_owned(),
                        source,
                    });
                    break;
                }
            }
        }
        if self.filled > before {
            Ok(())
        } else {
            // Nothing new: the end says why (EOF, or the fault to report now).
            self.fill()
        }
    }

    /// Counts the `n` new bytes into the line lengths; returns how many of them come before the
    /// first byte that makes a line longer than [`MAX_LINE_BYTES`] (all `n` when none does).
    fn guard_line_length(&mut self, n: usize) -> usize {
        let new = &self.buf[self.filled..self.filled + n];
        let mut line_start = 0;
        for nl in memchr::memchr_iter(b'\n', new) {
            if self.since_newline + (nl - line_start) > MAX_LINE_BYTES {
                return line_start + (MAX_LINE_BYTES - self.since_newline);
            }
            self.newlines += 1;
            self.since_newline = 0;
            line_start = nl + 1;
        }
        let tail = n - line_start;
        if self.since_newline + tail > MAX_LINE_BYTES {
            return line_start + (MAX_LINE_BYTES - self.since_newline);
        }
        self.since_newline += tail;
        n
    }
}
