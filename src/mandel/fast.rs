//! The fast escape-count kernel: several pixels per SIMD register, counts identical to
//! [`escape_count`](super::kernel::escape_count) bit for bit.
//!
//! Each lane runs the reference's operations in the reference's order (`(zr*zr - zi*zi) + cr`,
//! `(zr*zi + zi*zr) + ci`, `zr*zr + zi*zi`, each rounded on its own, never a fused multiply-add),
//! so a lane's orbit is the reference's orbit. Lanes count exactly with masks: every iteration a
//! lane stays active while `|z|^2 < 4` and adds its mask to its count; a NaN norm compares false,
//! so it can never wake a finished lane. Only every [`BLOCK`] iterations does the kernel look
//! whether a lane is done (escaped, or counted up to `max_iter`); the count of a lane that ran
//! past `max_iter` inside a block is clamped, which is exact since the reference's count is
//! `min(escape index, max_iter)`. A done lane is written out and refilled with the next pixel,
//! so vectors stay full on rows whose counts differ widely.
//!
//! Pixels a margin inside the main cardioid or the period-2 bulb are not iterated: their count
//! is `max_iter` for any `max_iter` (see [`surely_in_cardioid_or_bulb`]).
//!
//! The instruction set is picked at run time ([`Isa::detect`]); every variant gives the same
//! counts, and tests force each one ([`render_rows_fast_with_isa`]).

use num_complex::Complex;

use super::kernel::smooth_count;
use super::Viewport;

/// Iterations between two looks at whether a lane is done.
const BLOCK: usize = 8;

/// Most lanes any variant keeps in flight (the width of a done-lanes bit mask).
const MAX_LANES: usize = 32;

/// How far inside (in `|multiplier|^2`) a point must be to be skipped as never escaping.
const SKIP_MARGIN: f64 = 1e-3;

/// An instruction set the fast kernel can run on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Isa {
    /// Plain Rust over `[f64; 4]` lanes that the compiler vectorises (SSE2, NEON); runs anywhere.
    Portable,
    /// x86-64 AVX2: four `f64` lanes per register.
    Avx2,
    /// x86-64 AVX-512F: eight `f64` lanes per register.
    Avx512,
}

impl Isa {
    /// The fastest variant this CPU can run.
    pub fn detect() -> Isa {
        *Self::available().last().unwrap_or(&Isa::Portable)
    }

    /// Every variant this CPU can run, slowest first; [`Isa::Portable`] is always there.
    pub fn available() -> Vec<Isa> {
        [Isa::Portable, Isa::Avx2, Isa::Avx512]
            .into_iter()
            .filter(|isa| isa.is_available())
            .collect()
    }

    /// Whether this CPU can run the variant.
    pub fn is_available(self) -> bool {
        match self {
            Isa::Portable => true,
            #[cfg(target_arch = "x86_64")]
            Isa::Avx2 => x86::Avx2::new().is_some(),
            #[cfg(target_arch = "x86_64")]
            Isa::Avx512 => x86::Avx512::new().is_some(),
            #[cfg(not(target_arch = "x86_64"))]
            Isa::Avx2 | Isa::Avx512 => false,
        }
    }

    /// Lower-case name for reports, e.g. `"avx2"`.
    pub fn name(self) -> &'static str {
        match self {
            Isa::Portable => "portable",
            Isa::Avx2 => "avx2",
            Isa::Avx512 => "avx512",
        }
    }
}

/// [`render_rows`](super::kernel::render_rows) on the fastest variant; returns the computed
/// iterations.
///
/// Counts are exactly [`escape_count`](super::kernel::escape_count)'s and smooth values exactly
/// `render_rows`'s. The computed iterations are the work the kernel really did: for each pixel
/// it iterated (not skipped inside the cardioid or bulb), `count + 1` if it escaped, else
/// `max_iter`.
///
/// # Panics
/// If a row is past the bottom or a buffer's length is not `rows.len() * view.width()`.
pub fn render_rows_fast(
    view: &Viewport,
    rows: &[u32],
    max_iter: u32,
    counts: &mut [u32],
    smooth: Option<&mut [f32]>,
) -> u64 {
    render_rows_fast_with_isa(Isa::detect(), view, rows, max_iter, counts, smooth)
}

/// [`render_rows_fast`] on a chosen variant, so tests can check each one.
///
/// # Panics
/// As [`render_rows_fast`], and if this CPU cannot run `isa`.
pub fn render_rows_fast_with_isa(
    isa: Isa,
    view: &Viewport,
    rows: &[u32],
    max_iter: u32,
    counts: &mut [u32],
    smooth: Option<&mut [f32]>,
) -> u64 {
    let width = view.width() as usize;
    assert_eq!(
        counts.len(),
        rows.len() * width,
        "counts buffer must hold every listed row"
    );
    if let Some(smooth) = smooth.as_ref() {
        assert_eq!(
            smooth.len(),
            rows.len() * width,
            "smooth buffer must hold every listed row"
        );
    }
    let mut queue = PixelQueue::new(view, rows, max_iter);
    let computed = match isa {
        Isa::Portable => drive(
            Portable::LANES * PORTABLE_VECTORS,
            &mut queue,
            counts,
            max_iter,
            |lanes, live| iterate::<Portable, PORTABLE_VECTORS>(Portable, lanes, live, max_iter),
        ),
        #[cfg(target_arch = "x86_64")]
        Isa::Avx2 => {
            let avx2 = x86::Avx2::new().expect("this CPU cannot run the AVX2 kernel");
            drive(
                x86::Avx2::LANES * x86::AVX2_VECTORS,
                &mut queue,
                counts,
                max_iter,
                |lanes, live| avx2.iterate(lanes, live, max_iter),
            )
        }
        #[cfg(target_arch = "x86_64")]
        Isa::Avx512 => {
            let avx512 = x86::Avx512::new().expect("this CPU cannot run the AVX-512 kernel");
            drive(
                x86::Avx512::LANES * x86::AVX512_VECTORS,
                &mut queue,
                counts,
                max_iter,
                |lanes, live| avx512.iterate(lanes, live, max_iter),
            )
        }
        #[cfg(not(target_arch = "x86_64"))]
        Isa::Avx2 | Isa::Avx512 => panic!("this CPU cannot run the {} kernel", isa.name()),
    };
    if let Some(smooth) = smooth {
        fill_smooth(view, rows, max_iter, counts, smooth);
    }
    computed
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
/// their counts are exact too.
fn surely_in_cardioid_or_bulb(x: f64, y: f64) -> bool {
    // The cardioid spans -0.75 <= x <= 0.375, |y| <= 0.65; the bulb lies within it.
    if !(-1.25..=0.375).contains(&x) || y.abs() > 0.65 {
        return false;
    }
    let xp1 = x + 1.0;
    if 16.0 * (xp1 * xp1 + y * y) < 1.0 - SKIP_MARGIN {
        return true;
    }
    // With a + ib = 1 - 4c and w = sqrt(1 - 4c): |1 - w|^2 = 1 - 2 Re(w) + |w|^2, where
    // |w|^2 = m = |a + ib| and Re(w) = sqrt((m + a) / 2); m + a = b^2 / (m - a) when a < 0.
    let a = 1.0 - 4.0 * x;
    let b = 4.0 * y;
    let m = (a * a + b * b).sqrt();
    let m_plus_a = if a >= 0.0 { m + a } else { b * b / (m - a) };
    let re_w = (m_plus_a * 0.5).sqrt();
    2.0 * re_w - m > SKIP_MARGIN
}

/// Smooth values for pixels whose counts are known: the scalar path for the escaped ones.
fn fill_smooth(view: &Viewport, rows: &[u32], max_iter: u32, counts: &[u32], smooth: &mut [f32]) {
    let width = view.width() as usize;
    for ((&row, counts), smooth) in rows
        .iter()
        .zip(counts.chunks_exact(width))
        .zip(smooth.chunks_exact_mut(width))
    {
        let y = view.y_at(row);
        for ((col, &n), mu) in (0u32..).zip(counts).zip(smooth.iter_mut()) {
            *mu = if n < max_iter {
                smooth_count(Complex::new(view.x_at(col), y), max_iter)
            } else {
                max_iter as f32
            };
        }
    }
}

/// The pixels of the listed rows in order, minus those skipped inside the cardioid or bulb
/// (whose counts it writes as it passes them).
struct PixelQueue<'a> {
    view: &'a Viewport,
    rows: &'a [u32],
    max_iter: u32,
    /// Index into `rows` of the row being walked.
    k: usize,
    /// Next column of that row.
    col: u32,
    /// The row's imaginary part.
    y: f64,
}

/// One pixel to iterate: where its count goes and its `c`.
#[derive(Clone, Copy)]
struct Pixel {
    index: usize,
    cr: f64,
    ci: f64,
}

impl<'a> PixelQueue<'a> {
    fn new(view: &'a Viewport, rows: &'a [u32], max_iter: u32) -> Self {
        let y = rows.first().map_or(0.0, |&row| view.y_at(row));
        Self {
            view,
            rows,
            max_iter,
            k: 0,
            col: 0,
            y,
        }
    }

    /// The next pixel to iterate, or `None` when every pixel was handed out or skipped.
    fn next(&mut self, counts: &mut [u32]) -> Option<Pixel> {
        let width = self.view.width();
        while self.k < self.rows.len() {
            if self.col == width {
                self.k += 1;
                self.col = 0;
                if let Some(&row) = self.rows.get(self.k) {
                    self.y = self.view.y_at(row);
                }
                continue;
            }
            let col = self.col;
            self.col += 1;
            let index = self.k * width as usize + col as usize;
            let cr = self.view.x_at(col);
            if surely_in_cardioid_or_bulb(cr, self.y) {
                counts[index] = self.max_iter;
                continue;
            }
            return Some(Pixel {
                index,
                cr,
                ci: self.y,
            });
        }
        None
    }
}

/// Every lane's state between two calls of a kernel: `c`, `z` and the count so far.
///
/// A live lane is active at every call (the kernel returns as soon as one finishes), so no
/// mask is kept; a parked lane iterates `c = 0` harmlessly and is ignored.
#[repr(C, align(64))]
struct Lanes {
    cr: [f64; MAX_LANES],
    ci: [f64; MAX_LANES],
    zr: [f64; MAX_LANES],
    zi: [f64; MAX_LANES],
    count: [u64; MAX_LANES],
}

impl Lanes {
    fn parked() -> Self {
        Self {
            cr: [0.0; MAX_LANES],
            ci: [0.0; MAX_LANES],
            zr: [0.0; MAX_LANES],
            zi: [0.0; MAX_LANES],
            count: [0; MAX_LANES],
        }
    }

    /// Starts `pixel`'s orbit at `z = 0` in `lane`.
    fn start(&mut self, lane: usize, pixel: Pixel) {
        self.cr[lane] = pixel.cr;
        self.ci[lane] = pixel.ci;
        self.zr[lane] = 0.0;
        self.zi[lane] = 0.0;
        self.count[lane] = 0;
    }

    /// Parks `lane` on `c = 0`, where it stays at `z = 0`.
    fn park(&mut self, lane: usize) {
        self.start(
            lane,
            Pixel {
                index: 0,
                cr: 0.0,
                ci: 0.0,
            },
        );
    }
}

/// Feeds pixels from `queue` to `lanes` lanes of `iterate` until all are counted; returns the
/// computed iterations.
///
/// `iterate(lanes, live)` runs the live lanes (bit mask) until at least one is done and returns
/// the done ones.
fn drive(
    lane_count: usize,
    queue: &mut PixelQueue,
    counts: &mut [u32],
    max_iter: u32,
    mut iterate: impl FnMut(&mut Lanes, u32) -> u32,
) -> u64 {
    debug_assert!(lane_count <= MAX_LANES);
    let mut lanes = Lanes::parked();
    let mut pixel_of = [0usize; MAX_LANES];
    let mut live = 0u32;
    for (lane, slot) in pixel_of.iter_mut().enumerate().take(lane_count) {
        if let Some(pixel) = queue.next(counts) {
            lanes.start(lane, pixel);
            *slot = pixel.index;
            live |= 1 << lane;
        }
    }
    let mut computed = 0;
    while live != 0 {
        let mut done = iterate(&mut lanes, live) & live;
        while done != 0 {
            let lane = done.trailing_zeros() as usize;
            done &= done - 1;
            let n = lanes.count[lane].min(u64::from(max_iter)) as u32;
            counts[pixel_of[lane]] = n;
            computed += iterations_for_count(n, max_iter);
            match queue.next(counts) {
                Some(pixel) => {
                    lanes.start(lane, pixel);
                    pixel_of[lane] = pixel.index;
                }
                None => {
                    lanes.park(lane);
                    live &= !(1 << lane);
                }
            }
        }
    }
    computed
}

/// The handful of vector operations the kernel needs, for one instruction set.
///
/// Implementations exist only as proof that the CPU has the instructions (see `x86`), so the
/// methods are safe to call.
trait Simd: Copy {
    /// `f64` lanes per vector.
    const LANES: usize;
    /// A vector of `f64`.
    type F: Copy;
    /// Which lanes are active.
    type M: Copy;
    /// A vector of `u64` counts.
    type I: Copy;

    fn splat(self, x: f64) -> Self::F;
    fn splat_count(self, n: u64) -> Self::I;
    fn all_active(self) -> Self::M;
    /// `src[..LANES]`.
    fn load(self, src: &[f64]) -> Self::F;
    fn store(self, dst: &mut [f64], v: Self::F);
    fn load_count(self, src: &[u64]) -> Self::I;
    fn store_count(self, dst: &mut [u64], v: Self::I);
    fn add(self, a: Self::F, b: Self::F) -> Self::F;
    fn sub(self, a: Self::F, b: Self::F) -> Self::F;
    fn mul(self, a: Self::F, b: Self::F) -> Self::F;
    /// `active & (norm < limit)`; a NaN norm gives false.
    fn still_below(self, active: Self::M, norm: Self::F, limit: Self::F) -> Self::M;
    /// `count + 1` in the active lanes.
    fn count_active(self, count: Self::I, active: Self::M) -> Self::I;
    /// Bit `i` set if lane `i` is inactive or its count reached `max_iter`.
    fn done_bits(self, active: Self::M, count: Self::I, max_iter: Self::I) -> u32;
}

/// Runs `V` vectors of `S` lanes, [`BLOCK`] iterations at a time, until a live lane is done.
///
/// Returns the done lanes (a bit per lane) and leaves every lane's `z` and count in `lanes`.
#[inline(always)]
fn iterate<S: Simd, const V: usize>(s: S, lanes: &mut Lanes, live: u32, max_iter: u32) -> u32 {
    let l = S::LANES;
    debug_assert!(V * l <= MAX_LANES);
    if live == 0 {
        return 0;
    }
    let four = s.splat(4.0);
    let limit = s.splat_count(u64::from(max_iter));
    let cr: [S::F; V] = std::array::from_fn(|v| s.load(&lanes.cr[v * l..]));
    let ci: [S::F; V] = std::array::from_fn(|v| s.load(&lanes.ci[v * l..]));
    let mut zr: [S::F; V] = std::array::from_fn(|v| s.load(&lanes.zr[v * l..]));
    let mut zi: [S::F; V] = std::array::from_fn(|v| s.load(&lanes.zi[v * l..]));
    let mut count: [S::I; V] = std::array::from_fn(|v| s.load_count(&lanes.count[v * l..]));
    let mut zr2: [S::F; V] = std::array::from_fn(|v| s.mul(zr[v], zr[v]));
    let mut zi2: [S::F; V] = std::array::from_fn(|v| s.mul(zi[v], zi[v]));
    loop {
        let mut active = [s.all_active(); V];
        for _ in 0..BLOCK {
            for v in 0..V {
                // zr * zi + zi * zr == (zr * zi) + (zr * zi) exactly.
                let zri = s.mul(zr[v], zi[v]);
                zr[v] = s.add(s.sub(zr2[v], zi2[v]), cr[v]);
                zi[v] = s.add(s.add(zri, zri), ci[v]);
                zr2[v] = s.mul(zr[v], zr[v]);
                zi2[v] = s.mul(zi[v], zi[v]);
                active[v] = s.still_below(active[v], s.add(zr2[v], zi2[v]), four);
                count[v] = s.count_active(count[v], active[v]);
            }
        }
        let mut done = 0;
        for v in 0..V {
            done |= s.done_bits(active[v], count[v], limit) << (v * l);
        }
        if done & live != 0 {
            for v in 0..V {
                s.store(&mut lanes.zr[v * l..], zr[v]);
                s.store(&mut lanes.zi[v * l..], zi[v]);
                s.store_count(&mut lanes.count[v * l..], count[v]);
            }
            return done & live;
        }
    }
}

/// Vectors of the portable variant in flight.
const PORTABLE_VECTORS: usize = 4;

/// Plain Rust over `[f64; 4]`; the compiler turns it into SSE2 or NEON.
#[derive(Clone, Copy)]
struct Portable;

impl Simd for Portable {
    const LANES: usize = 4;
    type F = [f64; 4];
    type M = [u64; 4];
    type I = [u64; 4];

    #[inline(always)]
    fn splat(self, x: f64) -> Self::F {
        [x; 4]
    }
    #[inline(always)]
    fn splat_count(self, n: u64) -> Self::I {
        [n; 4]
    }
    #[inline(always)]
    fn all_active(self) -> Self::M {
        [u64::MAX; 4]
    }
    #[inline(always)]
    fn load(self, src: &[f64]) -> Self::F {
        [src[0], src[1], src[2], src[3]]
    }
    #[inline(always)]
    fn store(self, dst: &mut [f64], v: Self::F) {
        dst[..4].copy_from_slice(&v);
    }
    #[inline(always)]
    fn load_count(self, src: &[u64]) -> Self::I {
        [src[0], src[1], src[2], src[3]]
    }
    #[inline(always)]
    fn store_count(self, dst: &mut [u64], v: Self::I) {
        dst[..4].copy_from_slice(&v);
    }
    #[inline(always)]
    fn add(self, a: Self::F, b: Self::F) -> Self::F {
        [a[0] + b[0], a[1] + b[1], a[2] + b[2], a[3] + b[3]]
    }
    #[inline(always)]
    fn sub(self, a: Self::F, b: Self::F) -> Self::F {
        [a[0] - b[0], a[1] - b[1], a[2] - b[2], a[3] - b[3]]
    }
    #[inline(always)]
    fn mul(self, a: Self::F, b: Self::F) -> Self::F {
        [a[0] * b[0], a[1] * b[1], a[2] * b[2], a[3] * b[3]]
    }
    #[inline(always)]
    fn still_below(self, active: Self::M, norm: Self::F, limit: Self::F) -> Self::M {
        std::array::from_fn(|i| active[i] & (u64::from(norm[i] < limit[i])).wrapping_neg())
    }
    #[inline(always)]
    fn count_active(self, count: Self::I, active: Self::M) -> Self::I {
        std::array::from_fn(|i| count[i].wrapping_sub(active[i]))
    }
    #[inline(always)]
    fn done_bits(self, active: Self::M, count: Self::I, max_iter: Self::I) -> u32 {
        let mut bits = 0;
        for i in 0..4 {
            let going = active[i] != 0 && count[i] < max_iter[i];
            bits |= u32::from(!going) << i;
        }
        bits
    }
}

/// The x86-64 variants, each behind a token that exists only where the CPU has its
/// instructions.
#[cfg(target_arch = "x86_64")]
mod x86 {
    use std::arch::x86_64::*;

    use super::{iterate, Lanes, Simd};

    /// Vectors of four lanes in flight for AVX2.
    pub(super) const AVX2_VECTORS: usize = 4;
    /// Vectors of eight lanes in flight for AVX-512.
    pub(super) const AVX512_VECTORS: usize = 4;

    /// Proof that this CPU has AVX2.
    #[derive(Clone, Copy)]
    pub(super) struct Avx2(());

    impl Avx2 {
        pub(super) fn new() -> Option<Self> {
            is_x86_feature_detected!("avx2").then_some(Self(()))
        }

        /// [`iterate`] compiled for AVX2.
        pub(super) fn iterate(self, lanes: &mut Lanes, live: u32, max_iter: u32) -> u32 {
            #[target_feature(enable = "avx2")]
            unsafe fn inner(s: Avx2, lanes: &mut Lanes, live: u32, max_iter: u32) -> u32 {
                iterate::<Avx2, AVX2_VECTORS>(s, lanes, live, max_iter)
            }
            // SAFETY: `self` exists only if AVX2 was detected.
            unsafe { inner(self, lanes, live, max_iter) }
        }
    }

    impl Simd for Avx2 {
        const LANES: usize = 4;
        type F = __m256d;
        type M = __m256d;
        type I = __m256i;

        // SAFETY (every method): an `Avx2` exists only if AVX2 was detected, and loads and
        // stores go through slices of at least four elements.
        #[inline(always)]
        fn splat(self, x: f64) -> Self::F {
            unsafe { _mm256_set1_pd(x) }
        }
        #[inline(always)]
        fn splat_count(self, n: u64) -> Self::I {
            unsafe { _mm256_set1_epi64x(n as i64) }
        }
        #[inline(always)]
        fn all_active(self) -> Self::M {
            unsafe { _mm256_castsi256_pd(_mm256_set1_epi64x(-1)) }
        }
        #[inline(always)]
        fn load(self, src: &[f64]) -> Self::F {
            let src = &src[..4];
            unsafe { _mm256_loadu_pd(src.as_ptr()) }
        }
        #[inline(always)]
        fn store(self, dst: &mut [f64], v: Self::F) {
            let dst = &mut dst[..4];
            unsafe { _mm256_storeu_pd(dst.as_mut_ptr(), v) }
        }
        #[inline(always)]
        fn load_count(self, src: &[u64]) -> Self::I {
            let src = &src[..4];
            unsafe { _mm256_loadu_si256(src.as_ptr().cast()) }
        }
        #[inline(always)]
        fn store_count(self, dst: &mut [u64], v: Self::I) {
            let dst = &mut dst[..4];
            unsafe { _mm256_storeu_si256(dst.as_mut_ptr().cast(), v) }
        }
        #[inline(always)]
        fn add(self, a: Self::F, b: Self::F) -> Self::F {
            unsafe { _mm256_add_pd(a, b) }
        }
        #[inline(always)]
        fn sub(self, a: Self::F, b: Self::F) -> Self::F {
            unsafe { _mm256_sub_pd(a, b) }
        }
        #[inline(always)]
        fn mul(self, a: Self::F, b: Self::F) -> Self::F {
            unsafe { _mm256_mul_pd(a, b) }
        }
        #[inline(always)]
        fn still_below(self, active: Self::M, norm: Self::F, limit: Self::F) -> Self::M {
            unsafe { _mm256_and_pd(active, _mm256_cmp_pd::<_CMP_LT_OQ>(norm, limit)) }
        }
        #[inline(always)]
        fn count_active(self, count: Self::I, active: Self::M) -> Self::I {
            unsafe { _mm256_sub_epi64(count, _mm256_castpd_si256(active)) }
        }
        #[inline(always)]
        fn done_bits(self, active: Self::M, count: Self::I, max_iter: Self::I) -> u32 {
            unsafe {
                let below = _mm256_castsi256_pd(_mm256_cmpgt_epi64(max_iter, count));
                let going = _mm256_movemask_pd(_mm256_and_pd(active, below)) as u32;
                !going & 0xf
            }
        }
    }

    /// Proof that this CPU has AVX-512F.
    #[derive(Clone, Copy)]
    pub(super) struct Avx512(());

    impl Avx512 {
        pub(super) fn new() -> Option<Self> {
            is_x86_feature_detected!("avx512f").then_some(Self(()))
        }

        /// [`iterate`] compiled for AVX-512F.
        pub(super) fn iterate(self, lanes: &mut Lanes, live: u32, max_iter: u32) -> u32 {
            #[target_feature(enable = "avx512f")]
            unsafe fn inner(s: Avx512, lanes: &mut Lanes, live: u32, max_iter: u32) -> u32 {
                iterate::<Avx512, AVX512_VECTORS>(s, lanes, live, max_iter)
            }
            // SAFETY: `self` exists only if AVX-512F was detected.
            unsafe { inner(self, lanes, live, max_iter) }
        }
    }

    impl Simd for Avx512 {
        const LANES: usize = 8;
        type F = __m512d;
        type M = __mmask8;
        type I = __m512i;

        // SAFETY (every method): an `Avx512` exists only if AVX-512F was detected, and loads
        // and stores go through slices of at least eight elements.
        #[inline(always)]
        fn splat(self, x: f64) -> Self::F {
            unsafe { _mm512_set1_pd(x) }
        }
        #[inline(always)]
        fn splat_count(self, n: u64) -> Self::I {
            unsafe { _mm512_set1_epi64(n as i64) }
        }
        #[inline(always)]
        fn all_active(self) -> Self::M {
            0xff
        }
        #[inline(always)]
        fn load(self, src: &[f64]) -> Self::F {
            let src = &src[..8];
            unsafe { _mm512_loadu_pd(src.as_ptr()) }
        }
        #[inline(always)]
        fn store(self, dst: &mut [f64], v: Self::F) {
            let dst = &mut dst[..8];
            unsafe { _mm512_storeu_pd(dst.as_mut_ptr(), v) }
        }
        #[inline(always)]
        fn load_count(self, src: &[u64]) -> Self::I {
            let src = &src[..8];
            unsafe { _mm512_loadu_si512(src.as_ptr().cast()) }
        }
        #[inline(always)]
        fn store_count(self, dst: &mut [u64], v: Self::I) {
            let dst = &mut dst[..8];
            unsafe { _mm512_storeu_si512(dst.as_mut_ptr().cast(), v) }
        }
        #[inline(always)]
        fn add(self, a: Self::F, b: Self::F) -> Self::F {
            unsafe { _mm512_add_pd(a, b) }
        }
        #[inline(always)]
        fn sub(self, a: Self::F, b: Self::F) -> Self::F {
            unsafe { _mm512_sub_pd(a, b) }
        }
        #[inline(always)]
        fn mul(self, a: Self::F, b: Self::F) -> Self::F {
            unsafe { _mm512_mul_pd(a, b) }
        }
        #[inline(always)]
        fn still_below(self, active: Self::M, norm: Self::F, limit: Self::F) -> Self::M {
            unsafe { _mm512_mask_cmp_pd_mask::<_CMP_LT_OQ>(active, norm, limit) }
        }
        #[inline(always)]
        fn count_active(self, count: Self::I, active: Self::M) -> Self::I {
            unsafe { _mm512_mask_add_epi64(count, active, count, _mm512_set1_epi64(1)) }
        }
        #[inline(always)]
        fn done_bits(self, active: Self::M, count: Self::I, max_iter: Self::I) -> u32 {
            let below = unsafe { _mm512_cmpgt_epi64_mask(max_iter, count) };
            u32::from(!(active & below))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::kernel::{escape_count, render_rows};
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
            let computed = render_rows_fast_with_isa(isa, view, &rows, max_iter, &mut counts, None);
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
        assert!(isas.contains(&Isa::detect()));
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
    fn listed_rows_land_in_order() {
        let v = Viewport::new(-2.0, 1.0, -1.0, 1.0, 45, 30).unwrap();
        let rows = [29, 0, 13, 14, 2];
        let want = reference(&v, &rows, 200);
        for isa in Isa::available() {
            let mut counts = vec![0; want.len()];
            render_rows_fast_with_isa(isa, &v, &rows, 200, &mut counts, None);
            assert_eq!(counts, want, "{isa:?}");
            let computed = render_rows_fast_with_isa(isa, &v, &[], 200, &mut [], None);
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

    #[test]
    fn smooth_values_are_the_scalar_kernels() {
        let v = Viewport::new(-2.0, 1.0, -1.0, 1.0, 61, 40).unwrap();
        let rows: Vec<u32> = (0..v.height()).rev().collect();
        let n = rows.len() * v.width() as usize;
        let (mut want, mut want_mu) = (vec![0; n], vec![0.0f32; n]);
        render_rows(&v, &rows, 100, &mut want, Some(&mut want_mu));
        for isa in Isa::available() {
            let (mut got, mut got_mu) = (vec![0; n], vec![f32::NAN; n]);
            render_rows_fast_with_isa(isa, &v, &rows, 100, &mut got, Some(&mut got_mu));
            assert_eq!(got, want, "{isa:?}");
            let bits = |s: &[f32]| s.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
            assert_eq!(bits(&got_mu), bits(&want_mu), "{isa:?}");
        }
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

    /// Release-mode timing: `cargo test --release --lib mandel::fast::tests::bench -- --ignored
    /// --nocapture`.
    #[test]
    #[ignore]
    fn bench() {
        use std::time::Instant;
        let views = [
            (
                "seahorse 0.008 1000x1000 @1000",
                Viewport::from_center(-0.7453, 0.1127, 0.008, 1000, 1000).unwrap(),
                1000,
            ),
            (
                "default 4000x4000 @1000",
                Viewport::new(-2.0, 1.0, -1.0, 1.0, 4000, 4000).unwrap(),
                1000,
            ),
        ];
        let reps: usize = std::env::var("BENCH_REPS")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(3);
        for (name, view, max_iter) in views {
            let rows: Vec<u32> = (0..view.height()).collect();
            let mut want = vec![0; view.pixels()];
            let mut best = f64::INFINITY;
            let scalar_reps = if std::env::var("BENCH_SCALAR").is_ok() {
                reps
            } else {
                1
            };
            if std::env::var("BENCH_FAST_ONLY").is_ok() {
                render_rows_fast_with_isa(Isa::Portable, &view, &rows, max_iter, &mut want, None);
                best = f64::NAN;
            } else {
                for _ in 0..scalar_reps {
                    let t = Instant::now();
                    render_rows(&view, &rows, max_iter, &mut want, None);
                    best = best.min(t.elapsed().as_secs_f64());
                }
            }
            let all = computed_iterations_scalar(&want, max_iter);
            println!(
                "{name}: skipped {} px; scalar {:.3} s, {:.3e} it/s",
                skipped_pixels(&view),
                best,
                all as f64 / best
            );
            let scalar_time = best;
            for isa in Isa::available() {
                let mut counts = vec![0; view.pixels()];
                let mut best = f64::INFINITY;
                let mut computed = 0;
                for _ in 0..reps {
                    let t = Instant::now();
                    computed =
                        render_rows_fast_with_isa(isa, &view, &rows, max_iter, &mut counts, None);
                    best = best.min(t.elapsed().as_secs_f64());
                }
                assert_eq!(counts, want, "{isa:?}");
                println!(
                    "  {:9} {:.3} s, {:.3e} computed it/s, {:.1}x scalar time",
                    isa.name(),
                    best,
                    computed as f64 / best,
                    scalar_time / best
                );
            }
        }
    }
}
