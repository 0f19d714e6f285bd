//! The coloured image as an 8-bit RGB PNG, streamed: rows go in as they arrive, compressed bytes
//! go out, and only a bounded window of rows is ever held.
//!
//! The image is cut into blocks of [`PngStream::block_rows`] rows (about 1 MiB of RGB, a function
//! of the width only). Each block is filtered and deflated on its own, as a raw deflate segment
//! that ends byte-aligned (a sync flush, or the final block for the last one), so segments simply
//! concatenate into one zlib stream whose Adler-32 is combined from the blocks'. A block's first
//! row uses filter None or Sub, which never look at the row above, so no block needs its
//! neighbour. Blocks are compressed on the encoder's own threads, at most `2 x threads + 1` in
//! flight, and written in order by the caller's thread: the output bytes are a pure function of
//! (pixels, width, height, level), whatever the thread count or the way rows are handed in.
//!
//! Why hand-written: the general encoder used before (the `image` crate's) takes the whole image
//! at once and compresses on one thread; this one holds a bounded window of rows whatever the
//! height (the image never exists whole on rank 0) and compresses blocks in parallel. Levels:
//! `fast` = Up filter and zlib-rs's run-length mode; `default` = zlib level 6, `best` = level 9,
//! each trying None and Up per block and keeping the smaller. Measured on the Benchmarks Game
//! image (16000², jet, by the encoder alone, with a harness that is not in the repository;
//! recorded in commit 27e7b8e): `fast` 1.06 GB/s of RGB on one thread and 2.4 GB/s on two,
//! 1.73% of the raw size; `default` 0.29 / 0.61 GB/s, 1.63%; `best` 35 / 68 MB/s, 1.47%; the
//! `image` crate's encoder: 1.06 GB/s on one thread only, 2.56%.
//!
//! Returns `io::Result` so it composes with [`crate::output::write_atomically`].

use std::cell::Cell;
use std::collections::BTreeMap;
use std::io::{self, Write};
use std::panic::{self, AssertUnwindSafe};
use std::sync::mpsc;

use zlib_rs::{Deflate, DeflateConfig, DeflateFlush, Status, Strategy};

/// How hard to compress: a speed-for-size trade, chosen on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PngCompression {
    /// Up filter and run-length deflate: near 1 GB/s a core on Mandelbrot images, so that
    /// encoding never dominates a render.
    #[default]
    Fast,
    /// zlib level 6, each block trying filters None and Up and keeping the smaller.
    Default,
    /// zlib level 9, each block trying filters None and Up: smallest, many times slower.
    Best,
}

/// A PNG row filter, as the filter-type byte that starts each filtered row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Filter {
    None = 0,
    Sub = 1,
    Up = 2,
}

impl PngCompression {
    /// The filters a block tries, in order; the smallest result wins, the earlier on a tie.
    fn filters(self) -> &'static [Filter] {
        match self {
            PngCompression::Fast => &[Filter::Up],
            PngCompression::Default | PngCompression::Best => &[Filter::None, Filter::Up],
        }
    }

    /// zlib-rs settings: raw deflate (negative window bits), no zlib header or checksum.
    fn deflate_config(self) -> DeflateConfig {
        let (level, strategy) = match self {
            PngCompression::Fast => (1, Strategy::Rle),
            PngCompression::Default => (6, Strategy::Default),
            PngCompression::Best => (9, Strategy::Default),
        };
        DeflateConfig {
            level,
            strategy,
            window_bits: -15,
            ..DeflateConfig::default()
        }
    }

    /// The zlib header: deflate with a 32 KiB window, FLEVEL as the level, a multiple of 31.
    fn zlib_header(self) -> [u8; 2] {
        match self {
            PngCompression::Fast => [0x78, 0x01],
            PngCompression::Default => [0x78, 0x9c],
            PngCompression::Best => [0x78, 0xda],
        }
    }
}

/// Raw RGB bytes aimed at per block: big enough to compress well, small enough to keep many
/// blocks in flight in little memory.
const BLOCK_BYTES: usize = 1 << 20;

/// Most data bytes in one IDAT chunk (the format allows 2^31 - 1); segments split at this size.
const MAX_IDAT: usize = 1 << 20;

/// Most input bytes handed to zlib-rs in one call, well below its `u32` counters.
const MAX_DEFLATE_INPUT: usize = 1 << 30;

/// Largest width or height PNG allows.
const MAX_DIMENSION: u32 = (1 << 31) - 1;

/// The 8-byte PNG signature.
const SIGNATURE: &[u8; 8] = b"\x89PNG\r\n\x1a\n";

/// What a pool thread hands back for one block: framed IDAT chunks and the checksum of the
/// filtered bytes they hold.
struct Segment {
    chunks: Vec<u8>,
    adler: u32,
    filtered_len: u64,
}

/// Where a block's RGB bytes come from: the caller's closure, run on a pool thread, or bytes
/// that [`PngStream::write_rows`] already gathered.
enum Source {
    Fill(FillFn),
    Owned(Vec<u8>),
}

/// A caller's closure that writes one block's RGB bytes, boxed to cross into the pool.
type FillFn = Box<dyn FnOnce(&mut [u8]) + Send>;

/// A finished block as a pool thread reports it: its index and its segment or error.
type Done = (u64, io::Result<Segment>);

/// A PNG being written block by block, for a sink that receives rows in order and must never
/// hold the whole image.
pub struct PngStream<W: Write> {
    out: W,
    height: u32,
    level: PngCompression,
    /// RGB bytes in one row; `usize` because a row may exceed 4 GiB.
    stride: usize,
    block_rows: u32,
    rows_queued: u64,
    next_block: u64,
    next_to_write: u64,
    window: u64,
    pool: rayon::ThreadPool,
    sender: mpsc::Sender<Done>,
    receiver: mpsc::Receiver<Done>,
    finished: BTreeMap<u64, Segment>,
    adler: u32,
    /// Bytes from [`PngStream::write_rows`] that do not fill a block yet.
    pending: Vec<u8>,
    /// Set by a failed write or job: a block is lost, so nothing more may be written.
    broken: bool,
}

impl<W: Write> PngStream<W> {
    /// Writes the signature and IHDR; `threads` >= 1 compression threads, a pool of their own so
    /// they never compete in the renderer's rayon pool.
    pub fn new(
        out: W,
        width: u32,
        height: u32,
        level: PngCompression,
        threads: usize,
    ) -> io::Result<Self> {
        Self::with_block_bytes(out, width, height, level, threads, BLOCK_BYTES)
    }

    /// [`PngStream::new`] with another block size, so tests can cut small images into many
    /// blocks.
    fn with_block_bytes(
        mut out: W,
        width: u32,
        height: u32,
        level: PngCompression,
        threads: usize,
        block_bytes: usize,
    ) -> io::Result<Self> {
        if !(1..=MAX_DIMENSION).contains(&width) || !(1..=MAX_DIMENSION).contains(&height) {
            return Err(invalid(format!(
                "a PNG is 1 to {MAX_DIMENSION} pixels each way, not {width} x {height}"
            )));
        }
        if threads == 0 {
            return Err(invalid("a PNG encoder needs at least one thread".into()));
        }
        let stride = usize::try_from(width)
            .ok()
            .and_then(|w| w.checked_mul(3))
            .ok_or_else(|| invalid(format!("a row {width} pixels wide does not fit in memory")))?;
        let block_rows = u32::try_from((block_bytes / stride).max(1)).unwrap_or(u32::MAX);
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .thread_name(|i| format!("png-deflate-{i}"))
            .build()
            .map_err(io::Error::other)?;
        let (sender, receiver) = mpsc::channel();

        let mut ihdr = [0u8; 13];
        ihdr[..4].copy_from_slice(&width.to_be_bytes());
        ihdr[4..8].copy_from_slice(&height.to_be_bytes());
        ihdr[8] = 8; // bit depth
        ihdr[9] = 2; // colour type: RGB; compression, filter method, interlace stay 0
        let mut head = SIGNATURE.to_vec();
        push_chunk(&mut head, b"IHDR", &[&ihdr]);
        out.write_all(&head)?;

        Ok(Self {
            out,
            height,
            level,
            stride,
            block_rows,
            rows_queued: 0,
            next_block: 0,
            next_to_write: 0,
            window: 2 * threads as u64 + 1,
            pool,
            sender,
            receiver,
            finished: BTreeMap::new(),
            adler: 1,
            pending: Vec::new(),
            broken: false,
        })
    }

    /// Rows per block (a function of the width only), so a caller can produce whole blocks.
    pub fn block_rows(&self) -> u32 {
        self.block_rows
    }

    /// Hands the next block to the pool: `fill` writes its RGB rows (`block_rows` of them, fewer
    /// for the last block) on a pool thread, so colouring runs in parallel too. Returns once the
    /// block is queued, writing finished blocks while the window is full.
    pub fn submit_block<F: FnOnce(&mut [u8]) + Send + 'static>(
        &mut self,
        fill: F,
    ) -> io::Result<()> {
        self.check_usable()?;
        if !self.pending.is_empty() {
            return Err(invalid(
                "a block was submitted while write_rows held part of one".into(),
            ));
        }
        let rows = self.next_block_rows()?;
        self.queue(rows, Source::Fill(Box::new(fill)))
    }

    /// Takes RGB bytes in any amount (rows may be split across calls) and queues each block as
    /// it fills, for callers that do not work in blocks.
    pub fn write_rows(&mut self, mut rgb: &[u8]) -> io::Result<()> {
        self.check_usable()?;
        while !rgb.is_empty() {
            let rows = self.next_block_rows()?;
            let block_len = rows as usize * self.stride;
            if self.pending.capacity() < block_len {
                self.pending.reserve_exact(block_len - self.pending.len());
            }
            let take = (block_len - self.pending.len()).min(rgb.len());
            self.pending.extend_from_slice(&rgb[..take]);
            rgb = &rgb[take..];
            if self.pending.len() == block_len {
                let block = std::mem::take(&mut self.pending);
                self.queue(rows, Source::Owned(block))?;
            }
        }
        Ok(())
    }

    /// Waits for every block, then writes the Adler-32 and IEND; refuses (`InvalidInput`) a stream
    /// that got fewer rows than its height, since that PNG would be truncated.
    pub fn finish(mut self) -> io::Result<W> {
        self.check_usable()?;
        if self.rows_queued != u64::from(self.height) || !self.pending.is_empty() {
            let rows = self.rows_queued + (self.pending.len() / self.stride) as u64;
            let extra = self.pending.len() % self.stride;
            return Err(invalid(format!(
                "the PNG encoder got {rows} of {} rows and {extra} bytes of a partial row",
                self.height
            )));
        }
        while self.next_to_write < self.next_block {
            self.receive_one()?;
        }
        let mut tail = Vec::with_capacity(36);
        push_chunk(&mut tail, b"IDAT", &[&self.adler.to_be_bytes()]);
        push_chunk(&mut tail, b"IEND", &[]);
        self.out.write_all(&tail)?;
        self.out.flush()?;
        Ok(self.out)
    }

    /// Rows in the next block, or `InvalidInput` once every row has been given.
    fn next_block_rows(&self) -> io::Result<u32> {
        let left = u64::from(self.height) - self.rows_queued;
        if left == 0 {
            return Err(invalid(format!(
                "more rows than the image's {} were given to the PNG encoder",
                self.height
            )));
        }
        Ok(u64::from(self.block_rows).min(left) as u32)
    }

    /// Waits for room in the window, then spawns the block's job.
    fn queue(&mut self, rows: u32, source: Source) -> io::Result<()> {
        while self.next_block - self.next_to_write >= self.window {
            self.receive_one()?;
        }
        let index = self.next_block;
        let job = BlockJob {
            rows: rows as usize,
            stride: self.stride,
            level: self.level,
            first: index == 0,
            last: self.rows_queued + u64::from(rows) == u64::from(self.height),
        };
        let sender = self.sender.clone();
        self.pool.spawn(move || {
            let result = panic::catch_unwind(AssertUnwindSafe(|| job.run(source)))
                .unwrap_or_else(|payload| Err(io::Error::other(panic_text(&*payload))));
            // The receiver is gone only if the stream was dropped: nobody wants the block.
            let _ = sender.send((index, result));
        });
        self.next_block += 1;
        self.rows_queued += u64::from(rows);
        Ok(())
    }

    /// Refuses to go on after a failure, which would wait forever for the lost block.
    fn check_usable(&self) -> io::Result<()> {
        if self.broken {
            return Err(io::Error::other("the PNG stream already failed"));
        }
        Ok(())
    }

    /// Waits for one block to finish and writes what is next in order; any failure breaks the
    /// stream.
    fn receive_one(&mut self) -> io::Result<()> {
        let result = self.receive_and_write();
        self.broken |= result.is_err();
        result
    }

    /// Waits for one block to finish, then writes every block that is next in order.
    fn receive_and_write(&mut self) -> io::Result<()> {
        // Every job sends exactly once (panics are caught), and `self` holds a sender, so this
        // returns once some job is done.
        let (index, result) = self
            .receiver
            .recv()
            .map_err(|_| io::Error::other("the PNG compression threads stopped"))?;
        self.finished.insert(index, result?);
        while let Some(segment) = self.finished.remove(&self.next_to_write) {
            self.out.write_all(&segment.chunks)?;
            self.adler = adler32_combine(self.adler, segment.adler, segment.filtered_len);
            self.next_to_write += 1;
        }
        Ok(())
    }
}

/// Whole-image convenience for callers that already hold every pixel: Fast level, one thread a
/// core. Refuses (`InvalidInput`) a buffer of the wrong length.
pub fn write_png<W: Write>(w: W, width: u32, height: u32, rgb: &[u8]) -> io::Result<()> {
    let expected = u64::from(width) * u64::from(height) * 3;
    if rgb.len() as u64 != expected {
        return Err(invalid(format!(
            "{} RGB bytes do not fill a {width} x {height} image ({expected} needed)",
            rgb.len()
        )));
    }
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut png = PngStream::new(w, width, height, PngCompression::Fast, threads)?;
    png.write_rows(rgb)?;
    png.finish().map(drop)
}

/// Everything a pool thread needs to turn one block of RGB rows into IDAT chunks.
struct BlockJob {
    rows: usize,
    stride: usize,
    level: PngCompression,
    first: bool,
    last: bool,
}

impl BlockJob {
    /// Fills, filters and deflates the block with each of the level's filters, keeping the
    /// smallest, then frames it as IDAT chunks.
    fn run(self, source: Source) -> io::Result<Segment> {
        // Taken, not borrowed: a fill that waits on another rayon pool may run a second block
        // on this thread meanwhile, which then simply starts from empty buffers.
        let mut scratch = SCRATCH.take();
        let result = self.run_with(source, &mut scratch);
        SCRATCH.set(scratch);
        result
    }

    /// [`BlockJob::run`] with the thread's reusable buffers.
    fn run_with(&self, source: Source, scratch: &mut Scratch) -> io::Result<Segment> {
        let len = self.rows * self.stride;
        let rgb = match source {
            Source::Owned(rgb) => rgb,
            Source::Fill(fill) => {
                // Zeroed, so that a fill which skips bytes still gives the same PNG every time.
                let mut rgb = std::mem::take(&mut scratch.rgb);
                rgb.clear();
                rgb.resize(len, 0);
                fill(&mut rgb);
                rgb
            }
        };
        let Scratch {
            filtered,
            deflated,
            best_filtered,
            best_deflated,
            ..
        } = scratch;
        let mut best_len = None;
        for &filter in self.level.filters() {
            filter_rows(&rgb, self.stride, filter, filtered);
            let n = deflate_segment(filtered, self.level.deflate_config(), self.last, deflated)?;
            if best_len.is_none_or(|kept| n < kept) {
                best_len = Some(n);
                std::mem::swap(filtered, best_filtered);
                std::mem::swap(deflated, best_deflated);
            }
        }
        scratch.rgb = rgb;
        let deflated = &best_deflated[..best_len.unwrap_or(0)];
        let header = if self.first {
            &self.level.zlib_header()[..]
        } else {
            &[]
        };
        let data_len = header.len() + deflated.len();
        let mut chunks = Vec::with_capacity(data_len + 12 * (data_len / MAX_IDAT + 1));
        // The header is only 2 bytes, so it never needs a chunk of its own.
        let mut pieces = deflated.chunks(MAX_IDAT);
        let first_piece = pieces.next().unwrap_or(&[]);
        push_chunk(&mut chunks, b"IDAT", &[header, first_piece]);
        for piece in pieces {
            push_chunk(&mut chunks, b"IDAT", &[piece]);
        }
        Ok(Segment {
            chunks,
            adler: zlib_rs::adler32::adler32(1, best_filtered),
            filtered_len: best_filtered.len() as u64,
        })
    }
}

/// Buffers a pool thread keeps from block to block, so that each block does not pay for fresh
/// pages and zeroing.
#[derive(Default)]
struct Scratch {
    rgb: Vec<u8>,
    filtered: Vec<u8>,
    deflated: Vec<u8>,
    best_filtered: Vec<u8>,
    best_deflated: Vec<u8>,
}

thread_local! {
    /// This thread's [`Scratch`]; the encoder's threads are its own, so nothing else uses it.
    static SCRATCH: Cell<Scratch> = Cell::new(Scratch::default());
}

/// Filters whole RGB rows into `out` (cleared first), each row led by its filter byte. The first
/// row uses Sub instead of Up, since the row above belongs to another block.
fn filter_rows(rgb: &[u8], stride: usize, filter: Filter, out: &mut Vec<u8>) {
    out.clear();
    let mut above: Option<&[u8]> = None;
    for row in rgb.chunks_exact(stride) {
        match (filter, above) {
            (Filter::None, _) => {
                out.push(Filter::None as u8);
                out.extend_from_slice(row);
            }
            (Filter::Up, Some(above)) => {
                out.push(Filter::Up as u8);
                out.extend(row.iter().zip(above).map(|(&x, &b)| x.wrapping_sub(b)));
            }
            (Filter::Sub | Filter::Up, _) => {
                // Sub: each byte minus the same channel of the pixel to its left (0 at the edge).
                out.push(Filter::Sub as u8);
                out.extend_from_slice(&row[..3]);
                out.extend(row[3..].iter().zip(row).map(|(&x, &a)| x.wrapping_sub(a)));
            }
        }
        above = Some(row);
    }
}

/// Deflates `data` as a raw segment that ends byte-aligned: with a sync flush (an empty stored
/// block) so the next segment can follow, or with the final block when `last`. The segment is
/// the first bytes of `out`, grown as needed; returns its length.
fn deflate_segment(
    data: &[u8],
    config: DeflateConfig,
    last: bool,
    out: &mut Vec<u8>,
) -> io::Result<usize> {
    let mut deflate = Deflate::new_with_config(config);
    if out.len() < data.len() / 8 + 1024 {
        out.resize(data.len() / 8 + 1024, 0);
    }
    loop {
        let consumed = deflate.total_in() as usize;
        let before = deflate.total_out() as usize;
        if before == out.len() {
            out.resize(out.len() * 2, 0);
        }
        let rest = &data[consumed..];
        let piece = rest.len().min(MAX_DEFLATE_INPUT);
        let flush = match (piece < rest.len(), last) {
            (true, _) => DeflateFlush::NoFlush,
            (false, true) => DeflateFlush::Finish,
            (false, false) => DeflateFlush::SyncFlush,
        };
        let status = deflate
            .compress(&rest[..piece], &mut out[before..], flush)
            .map_err(|e| io::Error::other(format!("deflate failed: {}", e.as_str())))?;
        let written = deflate.total_out() as usize;
        let done = match flush {
            DeflateFlush::Finish => status == Status::StreamEnd,
            _ => deflate.total_in() as usize == data.len() && written < out.len(),
        };
        if done {
            return Ok(written);
        }
        if written < out.len() && consumed == deflate.total_in() as usize && written == before {
            return Err(io::Error::other("deflate stopped making progress"));
        }
    }
}

/// Adler-32 of A followed by B, from the Adler-32s of A and B and the length of B.
///
/// With `a = 1 + sum of the bytes` and `b = sum of the running a after each byte` (both mod
/// 65521, RFC 1950 section 8.2): `a(AB) = a(A) + a(B) - 1`, since B's sum starts from 1 not
/// a(A); and each of B's `len` running sums grows by `a(A) - 1`, so
/// `b(AB) = b(A) + b(B) + len * (a(A) - 1)`.
fn adler32_combine(adler_a: u32, adler_b: u32, len_b: u64) -> u32 {
    const BASE: u64 = 65521;
    let (a1, b1) = (u64::from(adler_a & 0xffff), u64::from(adler_a >> 16));
    let (a2, b2) = (u64::from(adler_b & 0xffff), u64::from(adler_b >> 16));
    let a = (a1 + a2 + BASE - 1) % BASE;
    let b = (b1 + b2 + (len_b % BASE) * ((a1 + BASE - 1) % BASE)) % BASE;
    ((b << 16) | a) as u32
}

/// Appends one PNG chunk: length, type, data (the concatenation of `parts`), CRC-32 of type and
/// data. The data is at most [`MAX_IDAT`] + 2 bytes here, far below the format's 2^31 - 1.
fn push_chunk(out: &mut Vec<u8>, kind: &[u8; 4], parts: &[&[u8]]) {
    let len: usize = parts.iter().map(|part| part.len()).sum();
    debug_assert!(len <= MAX_IDAT + 2);
    out.extend_from_slice(&(len as u32).to_be_bytes());
    out.extend_from_slice(kind);
    let mut crc = zlib_rs::crc32::crc32(0, kind);
    for part in parts {
        out.extend_from_slice(part);
        crc = zlib_rs::crc32::crc32(crc, part);
    }
    out.extend_from_slice(&crc.to_be_bytes());
}

/// An `InvalidInput` error, the kind for a caller's mistake.
fn invalid(message: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, message)
}

/// The message of a panic in a block's job, for the error the caller sees instead.
fn panic_text(payload: &(dyn std::any::Any + Send)) -> String {
    let text = payload
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("(no message)");
    format!("a PNG block job panicked: {text}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use zlib_rs::{Inflate, InflateFlush};

    const LEVELS: [PngCompression; 3] = [
        PngCompression::Fast,
        PngCompression::Default,
        PngCompression::Best,
    ];

    /// A small xorshift generator: tests need varied, repeatable data, not quality randomness.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }
    }

    /// Flat bands in the top half (None wins there), a noisy gradient below (Up wins).
    fn test_image(width: u32, height: u32) -> Vec<u8> {
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15 ^ u64::from(width) << 32 ^ u64::from(height));
        let mut rgb = Vec::new();
        for y in 0..height as usize {
            for x in 0..width as usize {
                let pixel = if y < height as usize / 2 {
                    let band = (x / 5 + y / 3) % 7;
                    [band as u8 * 36, 255 - band as u8 * 20, (band * band) as u8]
                } else {
                    let noise = (rng.next() % 3) as u8;
                    [(x + y) as u8, (2 * x) as u8 ^ noise, y as u8]
                };
                rgb.extend_from_slice(&pixel);
            }
        }
        rgb
    }

    /// How rows reach the encoder; every way must give the same bytes.
    #[derive(Debug, Clone, Copy)]
    enum Feed {
        AllAtOnce,
        RowByRow,
        RandomBytes,
        Blocks,
    }

    fn encode(
        rgb: &[u8],
        (width, height): (u32, u32),
        level: PngCompression,
        threads: usize,
        feed: Feed,
        block_bytes: usize,
    ) -> Vec<u8> {
        let mut png =
            PngStream::with_block_bytes(Vec::new(), width, height, level, threads, block_bytes)
                .expect("valid image");
        let stride = width as usize * 3;
        match feed {
            Feed::AllAtOnce => png.write_rows(rgb).expect("rows"),
            Feed::RowByRow => rgb
                .chunks(stride)
                .for_each(|row| png.write_rows(row).expect("row")),
            Feed::RandomBytes => {
                let mut rng = Rng(42);
                let mut rest = rgb;
                while !rest.is_empty() {
                    let take = (1 + rng.below(3 * stride)).min(rest.len());
                    png.write_rows(&rest[..take]).expect("bytes");
                    rest = &rest[take..];
                }
            }
            Feed::Blocks => {
                let shared = std::sync::Arc::new(rgb.to_vec());
                let block_len = png.block_rows() as usize * stride;
                for start in (0..rgb.len()).step_by(block_len) {
                    let shared = shared.clone();
                    png.submit_block(move |out| {
                        out.copy_from_slice(&shared[start..start + out.len()]);
                    })
                    .expect("block");
                }
            }
        }
        png.finish().expect("finish")
    }

    /// Decodes with the `image` crate (which checks every CRC) and inflates the IDAT data again
    /// with zlib's own framing, which checks the Adler-32 that `image` skips.
    fn decode(png: &[u8], width: u32, height: u32) -> Vec<u8> {
        decode_with_filtered(png, width, height).0
    }

    /// [`decode`], also returning the filtered rows.
    fn decode_with_filtered(png: &[u8], width: u32, height: u32) -> (Vec<u8>, Vec<u8>) {
        let img = image::load_from_memory_with_format(png, image::ImageFormat::Png).expect("PNG");
        assert_eq!((img.width(), img.height()), (width, height));
        assert!(matches!(img.color(), image::ColorType::Rgb8));

        let mut idat = Vec::new();
        let mut at = 8;
        while at < png.len() {
            let len = u32::from_be_bytes(png[at..at + 4].try_into().expect("4 bytes")) as usize;
            assert!(len <= MAX_IDAT + 2);
            if &png[at + 4..at + 8] == b"IDAT" {
                idat.extend_from_slice(&png[at + 8..at + 8 + len]);
            }
            at += 12 + len;
        }
        let mut filtered = vec![0; height as usize * (width as usize * 3 + 1)];
        let status = Inflate::new(true, 15)
            .decompress(&idat, &mut filtered, InflateFlush::Finish)
            .expect("a zlib stream with the right Adler-32");
        assert_eq!(status, Status::StreamEnd);
        (img.to_rgb8().into_raw(), filtered)
    }

    #[test]
    fn round_trips_every_level_and_shape() {
        // (width, height, block bytes): one pixel; odd widths; heights that leave a short last
        // block; one row per block, from the real block size and from a tiny one.
        let shapes = [
            (1, 1, BLOCK_BYTES),
            (1, 40, 10),
            (7, 3, BLOCK_BYTES),
            (13, 51, 100),
            (31, 17, 1),
            (349_526, 2, BLOCK_BYTES),
        ];
        for (width, height, block_bytes) in shapes {
            let (rgb, size) = (test_image(width, height), (width, height));
            let stride = width as usize * 3;
            let block_rows = (block_bytes / stride).max(1);
            for level in LEVELS {
                let png = encode(&rgb, size, level, 2, Feed::AllAtOnce, block_bytes);
                let (back, filtered) = decode_with_filtered(&png, width, height);
                assert_eq!(back, rgb, "{width}x{height} {level:?}");
                // A block's first row never looks at the row above: filter None or Sub.
                for first_row in filtered.chunks(stride + 1).step_by(block_rows) {
                    assert!(first_row[0] <= 1, "{width}x{height} {level:?}");
                }
            }
        }
        let wide = PngStream::new(Vec::new(), 349_526, 2, PngCompression::Fast, 1).expect("ok");
        assert_eq!(wide.block_rows(), 1);
    }

    #[test]
    fn bytes_do_not_depend_on_threads_or_feeding() {
        let (width, height) = (37, 101);
        let rgb = test_image(width, height);
        for level in LEVELS {
            let reference = encode(&rgb, (width, height), level, 1, Feed::AllAtOnce, 300);
            assert_eq!(decode(&reference, width, height), rgb);
            for threads in [1, 2, 3, 8] {
                for feed in [
                    Feed::AllAtOnce,
                    Feed::RowByRow,
                    Feed::RandomBytes,
                    Feed::Blocks,
                ] {
                    let png = encode(&rgb, (width, height), level, threads, feed, 300);
                    assert!(png == reference, "{level:?}, {threads} threads, {feed:?}");
                }
            }
        }
    }

    #[test]
    fn levels_change_bytes_not_pixels() {
        let (width, height) = (200, 120);
        let rgb = test_image(width, height);
        let pngs: Vec<Vec<u8>> = LEVELS
            .iter()
            .map(|&level| encode(&rgb, (width, height), level, 2, Feed::AllAtOnce, 4096))
            .collect();
        for png in &pngs {
            assert_eq!(decode(png, width, height), rgb);
        }
        assert_ne!(pngs[0], pngs[2]);
        assert!(pngs[2].len() <= pngs[1].len() && pngs[1].len() < pngs[0].len());
    }

    #[test]
    fn round_trips_size_and_pixels() {
        let (w, h) = (5u32, 3u32);
        let rgb: Vec<u8> = (0..w * h * 3).map(|i| (i * 17 % 256) as u8).collect();
        let mut out = Vec::new();
        write_png(&mut out, w, h, &rgb).expect("in-memory write");
        assert_eq!(&out[..8], SIGNATURE);
        let back = decode(&out, w, h);
        assert_eq!(back, rgb);
        // Row 0 is the top: pixel (0, 0) is the first three bytes.
        assert_eq!(back[..3], rgb[..3]);
    }

    #[test]
    fn refuses_a_wrong_length() {
        let err = write_png(Vec::new(), 2, 2, &[0; 11]).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
    }

    #[test]
    fn refuses_missing_or_extra_rows_and_empty_images() {
        let level = PngCompression::Fast;
        let mut png = PngStream::new(Vec::new(), 4, 3, level, 1).expect("ok");
        png.write_rows(&[0; 4 * 3 * 2 + 1])
            .expect("two rows and a byte");
        let err = png.finish().unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput, "{err}");

        let mut png = PngStream::new(Vec::new(), 4, 3, level, 1).expect("ok");
        let err = png.write_rows(&[0; 4 * 3 * 4]).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput, "{err}");

        let mut png = PngStream::new(Vec::new(), 4, 3, level, 1).expect("ok");
        png.submit_block(|rgb| rgb.fill(9)).expect("the only block");
        let err = png.submit_block(|rgb| rgb.fill(9)).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput, "{err}");
        assert_eq!(decode(&png.finish().expect("complete"), 4, 3), vec![9; 36]);

        for (w, h, threads) in [(0, 5, 1), (5, 0, 1), (1 << 31, 1, 1), (5, 5, 0)] {
            let err = PngStream::new(Vec::new(), w, h, level, threads)
                .err()
                .expect("refused");
            assert_eq!(err.kind(), io::ErrorKind::InvalidInput, "{err}");
        }
    }

    #[test]
    fn passes_write_errors_through() {
        /// Takes `room` bytes, then fails the way a full disk does.
        struct Full {
            room: usize,
        }
        impl Write for Full {
            fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
                if self.room == 0 {
                    return Err(io::Error::new(io::ErrorKind::StorageFull, "disk full"));
                }
                let n = buf.len().min(self.room);
                self.room -= n;
                Ok(n)
            }
            fn flush(&mut self) -> io::Result<()> {
                Ok(())
            }
        }
        let err = write_png(Full { room: 0 }, 1, 1, &[1, 2, 3]).unwrap_err();
        assert!(err.to_string().contains("disk full"), "{err}");

        // Failing in the middle of the IDAT chunks, while blocks are in flight.
        let rgb = test_image(64, 64);
        let mut png =
            PngStream::with_block_bytes(Full { room: 100 }, 64, 64, PngCompression::Fast, 2, 200)
                .expect("the header fits");
        let err = png.write_rows(&rgb).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::StorageFull, "{err}");
        assert!(png.write_rows(&rgb).is_err() && png.finish().is_err());
    }

    #[test]
    fn a_panicking_fill_is_an_error_not_a_hang() {
        let mut png =
            PngStream::with_block_bytes(Vec::new(), 8, 8, PngCompression::Fast, 2, 24).expect("ok");
        let mut submit = |i| {
            png.submit_block(move |rgb| {
                assert!(i != 3, "colouring failed");
                rgb.fill(1);
            })
        };
        let err = (0..8).try_for_each(&mut submit).err();
        let err = err.or_else(|| png.finish().err()).expect("an error");
        assert!(err.to_string().contains("colouring failed"), "{err}");
    }

    /// Adler-32 straight from its definition (RFC 1950 section 8.2), one byte at a time.
    fn adler32_direct(data: &[u8]) -> u32 {
        let (mut a, mut b) = (1u32, 0u32);
        for &byte in data {
            a = (a + u32::from(byte)) % 65521;
            b = (b + a) % 65521;
        }
        (b << 16) | a
    }

    #[test]
    fn adler32_combines_like_the_concatenation() {
        let mut rng = Rng(7);
        for round in 0..200 {
            // Every 10th A and every 7th B is empty.
            let len_a = rng.below(200_000) * usize::from(round % 10 != 0);
            let len_b = rng.below(200_000) * usize::from(round % 7 != 0);
            let data: Vec<u8> = (0..len_a + len_b).map(|_| rng.next() as u8).collect();
            let (a, b) = data.split_at(len_a);
            let whole = adler32_direct(&data);
            assert_eq!(zlib_rs::adler32::adler32(1, &data), whole);
            let combined = adler32_combine(adler32_direct(a), adler32_direct(b), len_b as u64);
            assert_eq!(combined, whole, "lengths {len_a} + {len_b}");
        }
        // All 0xff bytes drive both sums to their largest values.
        let ones = vec![0xff; 100_000];
        let (a, b) = ones.split_at(777);
        let combined = adler32_combine(adler32_direct(a), adler32_direct(b), b.len() as u64);
        assert_eq!(combined, adler32_direct(&ones));
    }

    #[test]
    fn fixed_bytes_follow_the_specs() {
        for level in LEVELS {
            let [cmf, flg] = level.zlib_header();
            assert_eq!((u16::from(cmf) << 8 | u16::from(flg)) % 31, 0, "{level:?}");
        }
        let mut iend = Vec::new();
        push_chunk(&mut iend, b"IEND", &[]);
        assert_eq!(iend, b"\0\0\0\0IEND\xae\x42\x60\x82");
    }
}
