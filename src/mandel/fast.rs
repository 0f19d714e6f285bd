//! The fast escape-count kernel: several pixels per SIMD register, counts identical to
//! [`escape_count`](super::scalar::escape_count) bit for bit.
//!
//! Each lane runs the reference's operations in the reference's order (`(zr*zr - zi*zi) + cr`,
//! `(zr*zi + zi*zr) + ci`, `zr*zr + zi*zi`, each rounded on its own, never a fused multiply-add;
//! `zr*zi + zi*zr` is computed as `(zr*zi) * 2`, the same bits), so a lane's orbit is the
//! reference's orbit. Lanes count exactly with masks: every iteration a lane stays active while
//! `|z|^2 < 4` and adds its mask to its count; a NaN norm compares false, so it can never wake a
//! finished lane. Only every `BLOCK` (8) iterations does the kernel look whether a lane is done
//! (escaped, or counted up to `max_iter`); the count of a lane that ran past `max_iter` inside a
//! block is clamped, which is exact since the reference's count is `min(escape index,
//! max_iter)`. A done lane hands its result to a log and takes the next pixel from a queue, in
//! registers (compress and expand), so vectors stay full on rows whose counts differ widely
//! (about 1.4x faster than running groups of pixels until all are done).
//!
//! Pixels a margin inside the main cardioid or the period-2 bulb are not iterated: their count
//! is `max_iter` for any `max_iter` (see `surely_in_cardioid_or_bulb`).
//!
//! Smooth values need the first `z` outside the disc, which a lane has overshot by the time it
//! is seen to be done. So in that mode each lane's `z` and count are saved at the start of
//! every block, logged with the pixel, and the escaped pixel's last few steps (at most
//! `BLOCK`, 8) are replayed in scalar code from there, with the same operations, before the
//! reference's smooth formula runs, 16 pixels at a time: the same bits as
//! [`smooth_count`](super::smooth_count), and 3.8x faster than re-running every escaped orbit
//! in scalar code on a seahorse-valley zoom (0.084 s against 0.318 s; 0.050 s without smooth
//! values).
//!
//! The variant is picked at run time ([`Isa::detect`]); every one gives the same counts, and
//! tests force each one ([`render_rows_fast_with_isa`]). Measured on the AMD EPYC (Zen 4) build
//! machine, one thread, 1000 iterations, in computed iterations per second (the scalar kernel
//! does 3.3e8), on the seahorse valley (centre `-0.7453 + 0.1127i`, scale 0.008, 1000 x 1000,
//! no pixel skipped) and on the default region at 4000 x 4000:
//!
//! | variant    | lanes in flight | seahorse valley       | default region |
//! |------------|-----------------|-----------------------|----------------|
//! | `avx512`   | 3 x 8           | 3.5e9 (10.6x scalar)  | 2.6e9          |
//! | `avx2`     | 3 x 4           | 2.1e9 (6.4x)          | 1.7e9          |
//! | `portable` | 2 x 4           | 1.1e9 (3.3x)          | 0.9e9          |
//!
//! All three are kept: AVX-512 wins even on Zen 4, which runs 512-bit operations in two
//! halves, through its mask registers, 32 vector registers and native compress and expand;
//! AVX2 serves x86-64 CPUs without AVX-512 (four vectors there spill registers and run at half
//! speed); the portable variant (SSE2 on x86-64, NEON on aarch64) serves every other CPU. The
//! AVX-512 intrinsics need Rust 1.89.

use num_complex::Complex;

pub use crate::simd::Isa;

use crate::simd::{dispatch, Simd, SimdKernel};

use super::scalar::{smooth_from_block, RowsJob};
use super::viewport::Viewport;

/// Iterations between two looks at whether a lane is done.
const BLOCK: usize = 8;

/// Most lanes any variant keeps in flight (the width of a done-lanes bit mask).
const MAX_LANES: usize = 32;

/// How far inside (in `|multiplier|^2`) a point must be to be skipped as never escaping.
const SKIP_MARGIN: f64 = 1e-3;

/// Pixels the queue takes from the rows at a time.
const CHUNK: usize = 1024;

/// Room in the queue: a few left-over entries, a chunk, the parked padding, and slack for
/// full-vector reads past the end.
const QUEUE_CAP: usize = CHUNK + 3 * MAX_LANES;

/// Room in the log: an entry for every queue entry, and slack for full-vector writes.
const LOG_CAP: usize = QUEUE_CAP + MAX_LANES;

/// The pixel index of a parked lane, which holds no pixel.
const PARKED: i64 = -1;

/// The count a parked lane starts from, so far below any `max_iter` that it is never done.
const PARKED_COUNT: i64 = i64::MIN / 2;

/// [`render_rows`](super::scalar::render_rows) on the fastest variant; returns the computed
/// iterations.
///
/// Counts are exactly [`escape_count`](super::scalar::escape_count)'s and smooth values exactly
/// `render_rows`'s. The computed iterations are the work the kernel really did: for each pixel
/// it iterated (not skipped inside the cardioid or bulb), `count + 1` if it escaped, else
/// `max_iter`.
///
/// # Panics
/// If a row is past the bottom or a buffer's length is not `rows.len() * view.width()`.
pub fn render_rows_fast(job: RowsJob) -> u64 {
    render_rows_fast_with_isa(Isa::detect(), job)
}

/// [`render_rows_fast`] on a chosen variant, so tests can check each one.
///
/// # Panics
/// As [`render_rows_fast`], and if this CPU cannot run `isa`.
pub fn render_rows_fast_with_isa(isa: Isa, job: RowsJob) -> u64 {
    job.check_buffers();
    dispatch(isa, FastRows(job))
}

/// The fast kernel on one job, as [`dispatch`] runs it on the chosen instruction set.
struct FastRows<'a>(RowsJob<'a>);

impl SimdKernel for FastRows<'_> {
    type Output = u64;

    /// Two vectors in flight on the portable variant, three on AVX2 and AVX-512 (measured
    /// fastest for each: more spill registers).
    #[inline(always)]
    fn run<S: Simd>(self, s: S) -> u64 {
        match S::ISA {
            Isa::Portable => render::<S, 2>(s, self.0),
            Isa::Avx2 | Isa::Avx512 => render::<S, 3>(s, self.0),
        }
    }
}

/// The computed iterations of the scalar kernel, which iterates every pixel: for each count,
/// `count + 1` if it escaped, else `max_iter`.
pub fn computed_iterations_scalar(counts: &[u32], max_iter: u32) -> u64 {
    counts
        .iter()
        .map(|&n| iterations_for_count(n, max_iter))
        .sum()
}

/// Iterations the reference runs for a pixel whose count is `n`.
fn iterations_for_count(n: u32, max_iter: u32) -> u64 {
    if n < max_iter {
        u64::from(n) + 1
    } else {
        u64::from(max_iter)
    }
}

/// True only for points so far inside the main cardioid or the period-2 bulb that the
/// reference orbit provably never escapes, whatever `max_iter`.
///
/// Inside the cardioid the fixed point attracts with multiplier `lambda = 1 - sqrt(1 - 4c)`;
/// inside the bulb the 2-cycle attracts with `lambda = 4 (c + 1)`. A point is skipped only if
/// `|lambda|^2 < 1 - SKIP_MARGIN`: then rounding (about 1e-16 per step) is damped by a factor
/// `|lambda| <= 1 - 5e-4` per step and the orbit stays within about 1e-13 of the attractor, far
/// from escaping. The test itself is off by about 1e-14 at most (it never subtracts nearly
/// equal numbers), far below the margin. Points nearer the boundary are iterated normally, so
/// their counts are exact too. Branch-free, so a row of tests vectorises.
#[inline(always)]
fn surely_in_cardioid_or_bulb(x: f64, y: f64) -> bool {
    // The cardioid spans -0.75 <= x <= 0.375, |y| <= 0.65; the bulb lies within it.
    let in_box = (-1.25..=0.375).contains(&x) & (y.abs() <= 0.65);
    let xp1 = x + 1.0;
    let in_bulb = 16.0 * (xp1 * xp1 + y * y) < 1.0 - SKIP_MARGIN;
    // With a + ib = 1 - 4c and w = sqrt(1 - 4c): |1 - w|^2 = 1 - 2 Re(w) + |w|^2, where
    // |w|^2 = m = |a + ib| and Re(w) = sqrt((m + a) / 2); m + a = b^2 / (m - a) when a < 0.
    let a = 1.0 - 4.0 * x;
    let b = 4.0 * y;
    let m = (a * a + b * b).sqrt();
    let m_plus_a = if a >= 0.0 { m + a } else { b * b / (m - a) };
    let in_cardioid = 2.0 * (m_plus_a * 0.5).sqrt() - m > SKIP_MARGIN;
    in_box & (in_bulb | in_cardioid)
}

/// One variant's whole render, with or without smooth values.
#[inline(always)]
fn render<S: Simd, const V: usize>(s: S, job: RowsJob) -> u64 {
    let (view, rows, max_iter) = (job.view, job.rows, job.max_iter);
    match job.smooth {
        None => render_with::<S, V, false>(s, view, rows, max_iter, job.counts, &mut []),
        Some(smooth) => render_with::<S, V, true>(s, view, rows, max_iter, job.counts, smooth),
    }
}

/// Counts `max_iter` everywhere (and smooth values, if `SMOOTH`), then the queue feeds the
/// lanes chunk by chunk and the log of finished pixels overwrites their values.
#[inline(always)]
fn render_with<S: Simd, const V: usize, const SMOOTH: bool>(
    s: S,
    view: &Viewport,
    rows: &[u32],
    max_iter: u32,
    counts: &mut [u32],
    smooth: &mut [f32],
) -> u64 {
    counts.fill(max_iter);
    smooth.fill(max_iter as f32);
    let mut source = Source::new(view, rows);
    let mut queue = Queue::new();
    let mut log = Log::new();
    let mut lanes = Lanes::parked(S::LANES * V);
    let mut computed = 0;
    loop {
        queue.refill(&mut source);
        let finished = run_lanes::<S, V, SMOOTH>(s, &mut lanes, &mut queue, &mut log, max_iter);
        if SMOOTH {
            log.replay_smooth(view, rows, max_iter, smooth);
        }
        computed += log.flush(counts, max_iter);
        if finished {
            return computed;
        }
    }
}

/// Walks the listed rows, pixel by pixel, leaving out those skipped inside the cardioid or bulb.
struct Source<'a> {
    view: &'a Viewport,
    rows: &'a [u32],
    /// Every column's real part.
    xs: Vec<f64>,
    /// The columns whose real part lies where a skipped pixel can.
    skip_cols: std::ops::Range<usize>,
    /// Index into `rows` of the row being walked, and its next column.
    k: usize,
    col: usize,
}

impl<'a> Source<'a> {
    fn new(view: &'a Viewport, rows: &'a [u32]) -> Self {
        let xs: Vec<f64> = (0..view.width()).map(|col| view.x_at(col)).collect();
        let start = xs.partition_point(|&x| x < -1.25);
        let end = xs.partition_point(|&x| x <= 0.375);
        Self {
            view,
            rows,
            xs,
            skip_cols: start..end.max(start),
            k: 0,
            col: 0,
        }
    }

    /// Appends pixels to `queue` until it holds `CHUNK` of them or the rows are done.
    ///
    /// Returns true when every pixel was taken.
    #[inline(always)]
    fn fill(&mut self, queue: &mut Queue) -> bool {
        let width = self.xs.len();
        while queue.real < CHUNK {
            let Some(&row) = self.rows.get(self.k) else {
                return true;
            };
            let y = self.view.y_at(row);
            let base = self.k * width;
            let end = width.min(self.col + (CHUNK - queue.real));
            let mut col = self.col;
            if y.abs() <= 0.65 {
                let before = end.min(self.skip_cols.start);
                queue.push_all(&self.xs[col..before.max(col)], y, base + col);
                col = col.max(before);
                let inside = end.min(self.skip_cols.end);
                while col < inside {
                    let run = (inside - col).min(64);
                    let mut skip = [false; 64];
                    for (flag, &x) in skip.iter_mut().zip(&self.xs[col..col + run]) {
                        *flag = surely_in_cardioid_or_bulb(x, y);
                    }
                    queue.push_unskipped(&self.xs[col..col + run], &skip[..run], y, base + col);
                    col += run;
                }
            }
            queue.push_all(&self.xs[col..end], y, base + col);
            self.col = end;
            if end == width {
                self.k += 1;
                self.col = 0;
            }
        }
        false
    }
}

/// Pixels waiting for a lane: entries `pos..real` are pixels, `real..len` parked padding.
struct Queue {
    cr: Vec<f64>,
    ci: Vec<f64>,
    index: Vec<i64>,
    /// The count each entry starts from: 0, or [`PARKED_COUNT`] for padding.
    count: Vec<i64>,
    pos: usize,
    real: usize,
    len: usize,
}

impl Queue {
    fn new() -> Self {
        Self {
            cr: vec![0.0; QUEUE_CAP],
            ci: vec![0.0; QUEUE_CAP],
            index: vec![PARKED; QUEUE_CAP],
            count: vec![PARKED_COUNT; QUEUE_CAP],
            pos: 0,
            real: 0,
            len: 0,
        }
    }

    /// Moves the entries not yet taken to the front and tops the queue up from `source`; once
    /// the source is done, pads it with a parked entry for every lane.
    #[inline(always)]
    fn refill(&mut self, source: &mut Source) {
        let left = self.pos..self.real;
        self.cr.copy_within(left.clone(), 0);
        self.ci.copy_within(left.clone(), 0);
        self.index.copy_within(left.clone(), 0);
        self.count.copy_within(left.clone(), 0);
        self.real = left.len();
        self.pos = 0;
        self.len = self.real;
        if source.fill(self) {
            let padding = self.real..self.real + MAX_LANES;
            self.cr[padding.clone()].fill(0.0);
            self.ci[padding.clone()].fill(0.0);
            self.index[padding.clone()].fill(PARKED);
            self.count[padding.clone()].fill(PARKED_COUNT);
            self.len = padding.end;
        } else {
            self.len = self.real;
        }
    }

    /// Appends the pixels at `xs` on the row at `y`; the first one's index is `index`.
    #[inline(always)]
    fn push_all(&mut self, xs: &[f64], y: f64, index: usize) {
        let to = self.real..self.real + xs.len();
        self.cr[to.clone()].copy_from_slice(xs);
        self.ci[to.clone()].fill(y);
        for (slot, i) in self.index[to.clone()].iter_mut().zip(index..) {
            *slot = i as i64;
        }
        self.count[to.clone()].fill(0);
        self.real = to.end;
    }

    /// [`Queue::push_all`] for the pixels whose `skip` flag is false.
    #[inline(always)]
    fn push_unskipped(&mut self, xs: &[f64], skip: &[bool], y: f64, index: usize) {
        for ((&x, &skip), i) in xs.iter().zip(skip).zip(index..) {
            // Written always, kept only if not skipped: no branch to mispredict.
            let at = self.real;
            self.cr[at] = x;
            self.ci[at] = y;
            self.index[at] = i as i64;
            self.count[at] = 0;
            self.real += usize::from(!skip);
        }
    }
}

/// Finished pixels, as the lanes hand them over: pixel index and count (unclamped), and in
/// smooth mode the lane's `z` and count at the start of its last block.
struct Log {
    index: Vec<i64>,
    count: Vec<i64>,
    block_zr: Vec<f64>,
    block_zi: Vec<f64>,
    block_count: Vec<i64>,
    len: usize,
}

impl Log {
    fn new() -> Self {
        Self {
            index: vec![0; LOG_CAP],
            count: vec![0; LOG_CAP],
            block_zr: vec![0.0; LOG_CAP],
            block_zi: vec![0.0; LOG_CAP],
            block_count: vec![0; LOG_CAP],
            len: 0,
        }
    }

    /// Smooth values of the logged pixels that escaped: their last steps replayed from the
    /// start of their last block up to the escaping step, then the reference's formula, for
    /// [`SMOOTH_BATCH`] pixels at a time.
    fn replay_smooth(&self, view: &Viewport, rows: &[u32], max_iter: u32, smooth: &mut [f32]) {
        let width = view.width() as usize;
        let mut batch = SmoothBatch::new();
        for k in 0..self.len {
            let (index, count) = (self.index[k], self.count[k]);
            if index == PARKED || count >= i64::from(max_iter) {
                continue; // Parked, or never escaped: max_iter is already there.
            }
            let index = index as usize;
            let row = rows[index / width];
            let c = Complex::new(view.x_at((index % width) as u32), view.y_at(row));
            // The lane was below the limit for every step it counted: `block_count` steps
            // gave the block's `z`, and step `count` (0-based) was the first outside.
            let z = Complex::new(self.block_zr[k], self.block_zi[k]);
            let steps = (count - self.block_count[k] + 1) as u32;
            batch.push(index, c, z, steps, count as u32);
            if batch.len == SMOOTH_BATCH {
                batch.finish(max_iter, smooth);
            }
        }
        batch.finish(max_iter, smooth);
    }

    /// Writes the logged counts, clamped to `max_iter`, and empties the log; returns their
    /// computed iterations.
    #[inline(always)]
    fn flush(&mut self, counts: &mut [u32], max_iter: u32) -> u64 {
        let mut computed = 0;
        for (&index, &count) in self.index[..self.len].iter().zip(&self.count[..self.len]) {
            if index != PARKED {
                let n = count.min(i64::from(max_iter)) as u32;
                counts[index as usize] = n;
                computed += iterations_for_count(n, max_iter);
            }
        }
        self.len = 0;
        computed
    }
}

/// Escaped pixels whose smooth values are computed together.
const SMOOTH_BATCH: usize = 16;

/// Up to [`SMOOTH_BATCH`] escaped pixels waiting for their smooth values; entries past `len`
/// hold earlier pixels (or zeros), computed along and dropped.
struct SmoothBatch {
    index: [usize; SMOOTH_BATCH],
    c: [Complex<f64>; SMOOTH_BATCH],
    z: [Complex<f64>; SMOOTH_BATCH],
    steps: [u32; SMOOTH_BATCH],
    count: [u32; SMOOTH_BATCH],
    len: usize,
}

impl SmoothBatch {
    fn new() -> Self {
        Self {
            index: [0; SMOOTH_BATCH],
            c: [Complex::new(0.0, 0.0); SMOOTH_BATCH],
            z: [Complex::new(0.0, 0.0); SMOOTH_BATCH],
            steps: [0; SMOOTH_BATCH],
            count: [0; SMOOTH_BATCH],
            len: 0,
        }
    }

    fn push(&mut self, index: usize, c: Complex<f64>, z: Complex<f64>, steps: u32, count: u32) {
        let k = self.len;
        (self.index[k], self.c[k], self.z[k]) = (index, c, z);
        (self.steps[k], self.count[k]) = (steps, count);
        self.len += 1;
    }

    /// Writes the smooth values of the pixels held, and empties the batch.
    fn finish(&mut self, max_iter: u32, smooth: &mut [f32]) {
        if self.len == 0 {
            return;
        }
        let mu = smooth_from_block(&self.c, self.z, &self.steps, &self.count, max_iter);
        for k in 0..self.len {
            smooth[self.index[k]] = mu[k];
        }
        self.len = 0;
    }
}

/// Every lane's state between two calls of [`run_lanes`].
#[repr(C, align(64))]
struct Lanes {
    cr: [f64; MAX_LANES],
    ci: [f64; MAX_LANES],
    zr: [f64; MAX_LANES],
    zi: [f64; MAX_LANES],
    count: [i64; MAX_LANES],
    index: [i64; MAX_LANES],
    /// `z` and count at the start of the last block (kept in smooth mode only).
    block_zr: [f64; MAX_LANES],
    block_zi: [f64; MAX_LANES],
    block_count: [i64; MAX_LANES],
    /// Lanes whose pixel is done and that wait for the next one.
    done: u32,
    /// Lanes that hold a pixel, or wait to log one.
    live: usize,
}

impl Lanes {
    /// `lane_count` parked lanes, all waiting for a pixel: the first refill logs them as
    /// parked (ignored) and counts off the ones it cannot fill.
    fn parked(lane_count: usize) -> Self {
        debug_assert!(lane_count <= MAX_LANES);
        Self {
            cr: [0.0; MAX_LANES],
            ci: [0.0; MAX_LANES],
            zr: [0.0; MAX_LANES],
            zi: [0.0; MAX_LANES],
            count: [PARKED_COUNT; MAX_LANES],
            index: [PARKED; MAX_LANES],
            block_zr: [0.0; MAX_LANES],
            block_zi: [0.0; MAX_LANES],
            block_count: [PARKED_COUNT; MAX_LANES],
            done: (u64::MAX >> (64 - lane_count)) as u32,
            live: lane_count,
        }
    }
}

/// Runs `V` vectors of `S` lanes over the queue until it runs short (returns false) or every
/// pixel is done (true); finished pixels go to the log.
///
/// Between looks, [`BLOCK`] iterations run on every lane; then the done lanes log their pixel
/// and take the queue's next ones, in registers. With `SMOOTH`, every lane's `z` and count are
/// saved at the start of each block and logged with its pixel.
#[inline(always)]
fn run_lanes<S: Simd, const V: usize, const SMOOTH: bool>(
    s: S,
    lanes: &mut Lanes,
    queue: &mut Queue,
    log: &mut Log,
    max_iter: u32,
) -> bool {
    let l = S::LANES;
    debug_assert!(V * l <= MAX_LANES);
    let zero = s.splat(0.0);
    let two = s.splat(2.0);
    let four = s.splat(4.0);
    let limit = s.splat_i(i64::from(max_iter));
    // Fixed-size views, so that (with the clamps below) indexing needs no run-time checks.
    let q_cr: &[f64; QUEUE_CAP] = queue.cr[..].try_into().expect("queue capacity");
    let q_ci: &[f64; QUEUE_CAP] = queue.ci[..].try_into().expect("queue capacity");
    let q_index: &[i64; QUEUE_CAP] = queue.index[..].try_into().expect("queue capacity");
    let q_count: &[i64; QUEUE_CAP] = queue.count[..].try_into().expect("queue capacity");
    let log_index: &mut [i64; LOG_CAP] = (&mut log.index[..]).try_into().expect("log capacity");
    let log_count: &mut [i64; LOG_CAP] = (&mut log.count[..]).try_into().expect("log capacity");
    let mut cr: [S::F; V] = std::array::from_fn(|v| s.load(&lanes.cr[v * l..]));
    let mut ci: [S::F; V] = std::array::from_fn(|v| s.load(&lanes.ci[v * l..]));
    let mut zr: [S::F; V] = std::array::from_fn(|v| s.load(&lanes.zr[v * l..]));
    let mut zi: [S::F; V] = std::array::from_fn(|v| s.load(&lanes.zi[v * l..]));
    let mut count: [S::I; V] = std::array::from_fn(|v| s.load_i(&lanes.count[v * l..]));
    let mut done: [S::M; V] = std::array::from_fn(|v| s.mask(lanes.done >> (v * l)));
    let mut zr2: [S::F; V] = std::array::from_fn(|v| s.mul(zr[v], zr[v]));
    let mut zi2: [S::F; V] = std::array::from_fn(|v| s.mul(zi[v], zi[v]));
    let (mut pos, mut logged, mut live) = (queue.pos, log.len, lanes.live);
    let finished = loop {
        let waiting: usize = (0..V).map(|v| s.bits(done[v]).count_ones() as usize).sum();
        if pos + waiting > queue.len {
            break false;
        }
        unrolled::<V>(
            #[inline(always)]
            |v| {
                let k = s.bits(done[v]).count_ones() as usize;
                if k == 0 {
                    return;
                }
                // Both clamps are no-ops: pos + k <= len <= QUEUE_CAP - MAX_LANES, and the log
                // holds at most one entry per queue entry.
                let p = pos.min(QUEUE_CAP - MAX_LANES);
                let at = logged.min(LOG_CAP - MAX_LANES);
                let index = s.load_i(&lanes.index[v * l..]);
                s.compress_i(&mut log_index[at..], done[v], index);
                s.compress_i(&mut log_count[at..], done[v], count[v]);
                if SMOOTH {
                    // In lane order, as the compressions above.
                    let bits = s.bits(done[v]);
                    let taken = (0..l).filter(|lane| bits >> lane & 1 != 0);
                    for (to, lane) in (at..).zip(taken) {
                        log.block_zr[to] = lanes.block_zr[v * l + lane];
                        log.block_zi[to] = lanes.block_zi[v * l + lane];
                        log.block_count[to] = lanes.block_count[v * l + lane];
                    }
                }
                let index = s.expand_i(index, done[v], &q_index[p..]);
                s.store_i(&mut lanes.index[v * l..], index);
                cr[v] = s.expand(cr[v], done[v], &q_cr[p..]);
                ci[v] = s.expand(ci[v], done[v], &q_ci[p..]);
                count[v] = s.expand_i(count[v], done[v], &q_count[p..]);
                zr[v] = s.select(done[v], zero, zr[v]);
                zi[v] = s.select(done[v], zero, zi[v]);
                zr2[v] = s.select(done[v], zero, zr2[v]);
                zi2[v] = s.select(done[v], zero, zi2[v]);
                live = live - k + k.min(queue.real.saturating_sub(p));
                pos = p + k;
                logged = at + k;
                done[v] = s.none();
            },
        );
        if live == 0 {
            break true;
        }
        if SMOOTH {
            for v in 0..V {
                s.store(&mut lanes.block_zr[v * l..], zr[v]);
                s.store(&mut lanes.block_zi[v * l..], zi[v]);
                s.store_i(&mut lanes.block_count[v * l..], count[v]);
            }
        }
        let mut active = [s.all(); V];
        for _ in 0..BLOCK {
            for v in 0..V {
                // zr * zi + zi * zr == (zr * zi) * 2 exactly.
                let zri = s.mul(zr[v], zi[v]);
                zr[v] = s.add(s.sub(zr2[v], zi2[v]), cr[v]);
                zi[v] = s.add(s.mul(zri, two), ci[v]);
                zr2[v] = s.mul(zr[v], zr[v]);
                zi2[v] = s.mul(zi[v], zi[v]);
                let norm = s.add(zr2[v], zi2[v]);
                // A NaN norm compares false, so it never wakes a finished lane.
                active[v] = s.lt_within(active[v], norm, four);
                count[v] = s.inc_where(count[v], active[v]);
            }
        }
        for v in 0..V {
            // Done: inactive, or counted up to `max_iter`.
            done[v] = s.not(s.and(active[v], s.lt_i(count[v], limit)));
        }
    };
    lanes.done = 0;
    for v in 0..V {
        s.store(&mut lanes.cr[v * l..], cr[v]);
        s.store(&mut lanes.ci[v * l..], ci[v]);
        s.store(&mut lanes.zr[v * l..], zr[v]);
        s.store(&mut lanes.zi[v * l..], zi[v]);
        s.store_i(&mut lanes.count[v * l..], count[v]);
        lanes.done |= s.bits(done[v]) << (v * l);
    }
    (queue.pos, log.len, lanes.live) = (pos, logged, live);
    finished
}

/// `f(0)`, ..., `f(V - 1)` written out one after another, so that the vectors' state stays in
/// registers (the compiler keeps a loop over them, with the state in memory, otherwise).
#[inline(always)]
fn unrolled<const V: usize>(mut f: impl FnMut(usize)) {
    assert!(V <= 4, "unrolled by hand up to 4 vectors");
    if V > 0 {
        f(0);
    }
    if V > 1 {
        f(1);
    }
    if V > 2 {
        f(2);
    }
    if V > 3 {
        f(3);
    }
}

#[cfg(test)]
mod tests {
    use super::super::scalar::{escape_count, render_rows};
    use super::*;

    /// Counts straight from the reference, pixel by pixel.
    fn reference(view: &Viewport, rows: &[u32], max_iter: u32) -> Vec<u32> {
        rows.iter()
            .flat_map(|&r| (0..view.width()).map(move |j| escape_count(view.c_at(j, r), max_iter)))
            .collect()
    }

    /// Every available variant gives the reference's counts on every row of `view`.
    fn check_view(view: &Viewport, max_iter: u32) {
        let rows: Vec<u32> = (0..view.height()).collect();
        let want = reference(view, &rows, max_iter);
        for isa in Isa::available() {
            let mut counts = vec![u32::MAX; want.len()];
            let computed = render_rows_fast_with_isa(
                isa,
                RowsJob::new(view, &rows, max_iter, &mut counts, None),
            );
            for (k, (&got, &want)) in counts.iter().zip(&want).enumerate() {
                let (r, j) = (k / view.width() as usize, k % view.width() as usize);
                assert_eq!(got, want, "{isa:?} pixel ({j}, {r}) of {view:?}");
            }
            let skipped = skipped_pixels(view);
            let all = computed_iterations_scalar(&counts, max_iter);
            assert_eq!(computed, all - skipped * u64::from(max_iter), "{isa:?}");
        }
    }

    fn skipped_pixels(view: &Viewport) -> u64 {
        let mut n = 0;
        for r in 0..view.height() {
            for j in 0..view.width() {
                n += u64::from(surely_in_cardioid_or_bulb(view.x_at(j), view.y_at(r)));
            }
        }
        n
    }

    /// A one-pixel view that samples exactly `c`.
    fn point(c: Complex<f64>) -> Viewport {
        Viewport::new(c.re, c.re + 1.0, c.im, c.im + 1.0, 1, 1).expect("valid view")
    }

    #[test]
    fn the_portable_variant_is_always_there() {
        let isas = Isa::available();
        assert_eq!(isas[0], Isa::Portable);
        assert_eq!(isas.last(), Some(&Isa::detect()));
        assert_eq!(
            Isa::detect().name(),
            format!("{:?}", Isa::detect()).to_lowercase()
        );
    }

    #[test]
    fn default_view_matches_reference() {
        check_view(&Viewport::new(-2.0, 1.0, -1.0, 1.0, 300, 200).unwrap(), 80);
    }

    #[test]
    fn boundary_zoom_matches_reference() {
        check_view(
            &Viewport::new(-0.75, -0.74, 0.1, 0.11, 60, 50).unwrap(),
            1000,
        );
    }

    #[test]
    fn deep_zoom_matches_reference() {
        let v = Viewport::from_center(-0.743643887037151, 0.131825904205330, 1e-10, 40, 30);
        check_view(&v.unwrap(), 2000);
    }

    #[test]
    fn views_wholly_inside_are_skipped_and_exact() {
        let cardioid = Viewport::new(-0.2, 0.1, -0.2, 0.2, 30, 40).unwrap();
        let bulb = Viewport::new(-1.1, -0.9, -0.1, 0.1, 20, 20).unwrap();
        for view in [cardioid, bulb] {
            assert_eq!(skipped_pixels(&view), view.pixels() as u64);
            check_view(&view, 500);
        }
    }

    #[test]
    fn odd_sizes_and_tiny_limits_match_reference() {
        check_view(&Viewport::new(-2.0, 1.0, -1.0, 1.0, 37, 5).unwrap(), 80);
        check_view(&Viewport::new(-2.0, 1.0, -1.0, 1.0, 1, 1).unwrap(), 80);
        check_view(&Viewport::new(-0.3, 0.1, 0.5, 0.9, 1, 9).unwrap(), 300);
        check_view(&Viewport::new(-2.0, 1.0, -1.0, 1.0, 31, 17).unwrap(), 1);
        check_view(&Viewport::new(-2.0, 1.0, -1.0, 1.0, 31, 17).unwrap(), 2);
        check_view(&Viewport::new(-2.0, 1.0, -1.0, 1.0, 33, 19).unwrap(), 9);
        // Far outside: |z|^2 overflows to infinity at the first step.
        check_view(
            &Viewport::new(1e200, 1e201, 1e200, 1e201, 7, 3).unwrap(),
            80,
        );
    }

    #[test]
    fn rows_wider_than_a_queue_chunk_match_reference() {
        // Rows of 2500 pixels cross chunk boundaries mid-row, with skipped pixels in between.
        check_view(&Viewport::new(-2.0, 1.0, -0.3, 0.3, 2500, 3).unwrap(), 300);
        let v = Viewport::new(-1.5, 0.5, -0.9, 0.9, 1100, 9).unwrap();
        let rows = [8, 0, 4];
        let want = reference(&v, &rows, 100);
        for isa in Isa::available() {
            let mut counts = vec![0; want.len()];
            render_rows_fast_with_isa(isa, RowsJob::new(&v, &rows, 100, &mut counts, None));
            assert_eq!(counts, want, "{isa:?}");
        }
    }

    #[test]
    fn skipped_pixels_are_in_the_set_on_a_grid() {
        // Every pixel of a grid over the cardioid and bulb, at a limit where slow ones show.
        let max_iter = if cfg!(debug_assertions) {
            2_000
        } else {
            20_000
        };
        check_view(
            &Viewport::new(-1.3, 0.4, -0.7, 0.7, 97, 81).unwrap(),
            max_iter,
        );
    }

    #[test]
    fn listed_rows_land_in_order() {
        let v = Viewport::new(-2.0, 1.0, -1.0, 1.0, 45, 30).unwrap();
        let rows = [29, 0, 13, 14, 2];
        let want = reference(&v, &rows, 200);
        for isa in Isa::available() {
            let mut counts = vec![0; want.len()];
            render_rows_fast_with_isa(isa, RowsJob::new(&v, &rows, 200, &mut counts, None));
            assert_eq!(counts, want, "{isa:?}");
            let computed =
                render_rows_fast_with_isa(isa, RowsJob::new(&v, &[], 200, &mut [], None));
            assert_eq!(computed, 0);
        }
    }

    /// Points on, just inside and just outside the cardioid and bulb boundaries.
    fn boundary_points() -> Vec<Complex<f64>> {
        let mut points = vec![
            Complex::new(0.25, 0.0),
            Complex::new(-0.75, 0.0),
            Complex::new(-1.25, 0.0),
            Complex::new(0.25 - 1e-15, 0.0),
            Complex::new(0.25 + 1e-15, 0.0),
            Complex::new(-0.75 + 1e-15, 0.0),
            Complex::new(-0.75 - 1e-15, 0.0),
            Complex::new(-1.25 + 1e-15, 0.0),
        ];
        for k in 1..12 {
            let t = std::f64::consts::TAU * f64::from(k) / 12.3;
            let lambda = Complex::from_polar(1.0, t);
            let on_cardioid = lambda / 2.0 - lambda * lambda / 4.0;
            let on_bulb = Complex::new(-1.0, 0.0) + lambda / 4.0;
            for c in [on_cardioid, on_bulb] {
                let out = c / c.norm();
                for d in [-1e-15, 0.0, 1e-15, -1e-9] {
                    points.push(c + out * d);
                }
            }
        }
        points
    }

    #[test]
    fn boundary_points_match_reference_at_large_limits() {
        let max_iter = if cfg!(debug_assertions) {
            20_000
        } else {
            200_000
        };
        for c in boundary_points() {
            assert!(!surely_in_cardioid_or_bulb(c.re, c.im), "{c} skipped");
            check_view(&point(c), max_iter);
        }
    }

    #[test]
    fn skipped_points_never_escape() {
        // Points just past the skip threshold, where the attractor is weakest.
        let max_iter = if cfg!(debug_assertions) {
            20_000
        } else {
            200_000
        };
        let mut skipped = 0;
        for k in 0..200 {
            let t = std::f64::consts::TAU * (f64::from(k) + 0.5) / 200.0;
            let r = (1.0 - SKIP_MARGIN * 1.000_001).sqrt();
            let lambda = Complex::from_polar(r, t);
            let in_cardioid = lambda / 2.0 - lambda * lambda / 4.0;
            let in_bulb = Complex::new(-1.0, 0.0) + lambda / 4.0;
            for c in [in_cardioid, in_bulb] {
                if surely_in_cardioid_or_bulb(c.re, c.im) {
                    skipped += 1;
                    assert_eq!(escape_count(c, max_iter), max_iter, "{c}");
                }
            }
            let outside = Complex::from_polar((1.0 - SKIP_MARGIN * 0.999).sqrt(), t);
            let c = outside / 2.0 - outside * outside / 4.0;
            assert!(!surely_in_cardioid_or_bulb(c.re, c.im), "{c}");
        }
        // All bulb points; the cardioid points except near the cusp, where the box cuts.
        assert!(skipped > 390, "{skipped}");
        assert!(surely_in_cardioid_or_bulb(0.0, 0.0));
        assert!(surely_in_cardioid_or_bulb(-1.0, 0.0));
        assert!(!surely_in_cardioid_or_bulb(0.25, 0.0));
        assert!(!surely_in_cardioid_or_bulb(-0.75, 0.0));
        assert!(!surely_in_cardioid_or_bulb(-0.75, 1e-3));
    }

    /// Every variant's smooth values (and counts, and computed iterations) on the listed rows
    /// are the scalar kernel's, bit for bit.
    fn check_smooth(v: &Viewport, rows: &[u32], max_iter: u32) {
        let n = rows.len() * v.width() as usize;
        let (mut want, mut want_mu) = (vec![0; n], vec![0.0f32; n]);
        render_rows(RowsJob::new(
            v,
            rows,
            max_iter,
            &mut want,
            Some(&mut want_mu),
        ));
        let bits = |s: &[f32]| s.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        for isa in Isa::available() {
            let (mut got, mut got_mu) = (vec![0; n], vec![f32::NAN; n]);
            let with = render_rows_fast_with_isa(
                isa,
                RowsJob::new(v, rows, max_iter, &mut got, Some(&mut got_mu)),
            );
            assert_eq!(got, want, "{isa:?} {v:?}");
            assert_eq!(
                bits(&got_mu),
                bits(&want_mu),
                "{isa:?} {v:?} max_iter {max_iter}"
            );
            let without =
                render_rows_fast_with_isa(isa, RowsJob::new(v, rows, max_iter, &mut got, None));
            assert_eq!(with, without, "{isa:?}: smooth values change no work");
        }
    }

    #[test]
    fn smooth_values_are_the_scalar_kernels() {
        let v = Viewport::new(-2.0, 1.0, -1.0, 1.0, 61, 40).unwrap();
        let rows: Vec<u32> = (0..v.height()).rev().collect();
        check_smooth(&v, &rows, 100);
        // Limits below, at and just past a block of iterations, escapes at every step.
        for max_iter in [1, 2, 7, 8, 9, 17] {
            check_smooth(&v, &rows, max_iter);
        }
        // The boundary, a deep zoom, the cardioid (skipped pixels), far outside (overflow at
        // the first step), rows wider than a queue chunk, listed out of order.
        let views = [
            (
                Viewport::new(-0.75, -0.74, 0.1, 0.11, 60, 50).unwrap(),
                1000,
            ),
            (
                Viewport::from_center(-0.743643887037151, 0.131825904205330, 1e-10, 40, 30)
                    .unwrap(),
                2000,
            ),
            (Viewport::new(-0.2, 0.1, -0.2, 0.2, 30, 40).unwrap(), 500),
            (Viewport::new(1e200, 1e201, 1e200, 1e201, 7, 3).unwrap(), 80),
            (Viewport::new(-2.0, 1.0, -0.3, 0.3, 2500, 3).unwrap(), 300),
        ];
        for (v, max_iter) in views {
            let rows: Vec<u32> = (0..v.height()).collect();
            check_smooth(&v, &rows, max_iter);
        }
        let v = Viewport::new(-1.5, 0.5, -0.9, 0.9, 1100, 9).unwrap();
        check_smooth(&v, &[8, 0, 4], 100);
    }

    #[test]
    fn scalar_computed_iterations_count_every_step() {
        // Escaped at index 0 took one step; never escaping took max_iter.
        assert_eq!(
            computed_iterations_scalar(&[0, 3, 10, 10], 10),
            1 + 4 + 10 + 10
        );
        assert_eq!(computed_iterations_scalar(&[], 10), 0);
    }
}
