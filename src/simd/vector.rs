//! The vector operations every SIMD kernel is written in ([`Simd`]), and the shape of a kernel
//! written once for all instruction sets ([`SimdKernel`]).

use super::isa::Isa;

/// The vector operations the kernels need, for one instruction set.
///
/// An implementation is a token: holding one proves the CPU has the instructions, so the
/// methods are safe to call (except [`Simd::gather_pairs`], whose indices the caller vouches
/// for). Slices passed to loads, stores, expands and compresses hold at least `LANES` elements
/// (indexing checks it). Masks are sets of lanes; comparisons with a NaN give false, as IEEE
/// ordered comparisons do.
pub trait Simd: Copy {
    /// `f64` lanes per vector.
    const LANES: usize;
    /// The instruction set this is.
    const ISA: Isa;
    /// A vector of `f64`.
    type F: Copy;
    /// A set of lanes.
    type M: Copy;
    /// A vector of `i64`: counts, pixel and orbit indices.
    type I: Copy;

    /// Every lane `x`.
    fn splat(self, x: f64) -> Self::F;
    /// Every lane `n`.
    fn splat_i(self, n: i64) -> Self::I;
    /// Lane `k` is `k` (exact as an `f64`): lane positions, e.g. to track where a minimum was.
    #[inline(always)]
    fn lane_indices(self) -> Self::F {
        const INDICES: [f64; 8] = [0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0];
        self.load(&INDICES)
    }
    /// `src[0..LANES]`.
    fn load(self, src: &[f64]) -> Self::F;
    /// Writes `dst[0..LANES]`.
    fn store(self, dst: &mut [f64], v: Self::F);
    /// `src[0..LANES]`.
    fn load_i(self, src: &[i64]) -> Self::I;
    /// Writes `dst[0..LANES]`.
    fn store_i(self, dst: &mut [i64], v: Self::I);
    /// `a + b`, each lane rounded.
    fn add(self, a: Self::F, b: Self::F) -> Self::F;
    /// `a - b`, each lane rounded.
    fn sub(self, a: Self::F, b: Self::F) -> Self::F;
    /// `a * b`, each lane rounded.
    fn mul(self, a: Self::F, b: Self::F) -> Self::F;
    /// `a + b` (wrapping) for `i64`.
    fn add_i(self, a: Self::I, b: Self::I) -> Self::I;
    /// The lanes where `a < b`.
    fn lt(self, a: Self::F, b: Self::F) -> Self::M;
    /// The lanes of `within` where `a < b` (one masked compare where the set has it).
    #[inline(always)]
    fn lt_within(self, within: Self::M, a: Self::F, b: Self::F) -> Self::M {
        self.and(within, self.lt(a, b))
    }
    /// The lanes where `a >= b`.
    fn ge(self, a: Self::F, b: Self::F) -> Self::M;
    /// The lanes where `a < b` for `i64`.
    fn lt_i(self, a: Self::I, b: Self::I) -> Self::M;
    /// The lanes where `a == b` for `i64`.
    fn eq_i(self, a: Self::I, b: Self::I) -> Self::M;
    /// Every lane.
    fn all(self) -> Self::M;
    /// No lane.
    fn none(self) -> Self::M;
    /// The lanes in both.
    fn and(self, a: Self::M, b: Self::M) -> Self::M;
    /// The lanes in either.
    fn or(self, a: Self::M, b: Self::M) -> Self::M;
    /// The lanes not in `m`.
    fn not(self, m: Self::M) -> Self::M;
    /// Bit `i` set if lane `i` is in `m`.
    fn bits(self, m: Self::M) -> u32;
    /// The lanes whose bit is set in the low `LANES` bits.
    fn mask(self, bits: u32) -> Self::M;
    /// `count + 1` in the lanes of `m`, `count` elsewhere.
    fn inc_where(self, count: Self::I, m: Self::M) -> Self::I;
    /// `a` in the lanes of `m`, `b` elsewhere.
    fn select(self, m: Self::M, a: Self::F, b: Self::F) -> Self::F;
    /// `v` with the lanes of `m` replaced, in order, by `src[0]`, `src[1]`, ...
    fn expand(self, v: Self::F, m: Self::M, src: &[f64]) -> Self::F;
    /// [`Simd::expand`] for `i64`.
    fn expand_i(self, v: Self::I, m: Self::M, src: &[i64]) -> Self::I;
    /// Writes the lanes of `m` of `v`, in order, to `dst[0]`, `dst[1]`, ...; may clobber the
    /// rest of `dst[..LANES]`.
    fn compress_i(self, dst: &mut [i64], m: Self::M, v: Self::I);
    /// The pairs `(pairs[2k], pairs[2k + 1])` for the `k` of each lane of `k`: e.g. the real
    /// and imaginary parts of `Z_k` from an orbit stored as `[re0, im0, re1, im1, ...]`.
    ///
    /// # Safety
    /// Every lane of `k` must be at least 0 and `2k + 1 < pairs.len()`.
    unsafe fn gather_pairs(self, pairs: &[f64], k: Self::I) -> (Self::F, Self::F);
}

/// A computation written once, generic over the instruction set, that [`dispatch`](super::dispatch) runs.
///
/// Implement `run` with `#[inline(always)]`: it must be inlined into the trampoline that
/// enables the instruction set, or its vector operations become calls.
pub trait SimdKernel {
    /// What the kernel returns.
    type Output;
    /// The kernel on the instruction set of `s`.
    fn run<S: Simd>(self, s: S) -> Self::Output;
}
