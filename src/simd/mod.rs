//! One SIMD abstraction for the kernels of both programs: the instruction sets, chosen at run
//! time, one vector trait implemented for each, and one way to run a kernel on any of them.
//!
//! A kernel is written once, generic over [`Simd`], as a [`SimdKernel`]; [`dispatch`] runs it
//! on the chosen [`Isa`] through a `#[target_feature]` trampoline (written once per instruction
//! set, in `x86`), into which the kernel is inlined, so its vector operations compile to that
//! set's instructions. Every operation is one IEEE operation per lane, rounded on its own (no
//! fused multiply-add anywhere), so a kernel gives the same bits on every instruction set.
//!
//! | implementation | lanes | vectors, masks |
//! |----------------|-------|----------------|
//! | [`Portable`]   | 4     | `[f64; 4]` arrays the compiler vectorises (SSE2, NEON); masks all-ones lanes |
//! | `x86::Avx2`    | 4     | `__m256d`, `__m256i`; masks all-ones lanes of a `__m256d` |
//! | `x86::Avx512`  | 8     | `__m512d`, `__m512i`; masks in `__mmask8` registers |
//!
//! The x86-64 implementations exist only as tokens made by detection, so holding one proves the
//! CPU has its instructions and their methods are safe to call.

mod portable;
#[cfg(target_arch = "x86_64")]
pub mod x86;

pub use portable::Portable;

/// An instruction set a fast kernel can run on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Isa {
    /// Plain Rust over lane arrays that the compiler vectorises (SSE2, NEON); runs anywhere.
    Portable,
    /// x86-64 AVX2: four `f64` lanes per register.
    Avx2,
    /// x86-64 AVX-512F: eight `f64` lanes per register.
    Avx512,
}

impl Isa {
    /// The fastest variant this CPU can run (the detection is cached, so this is cheap).
    pub fn detect() -> Isa {
        [Isa::Avx512, Isa::Avx2]
            .into_iter()
            .find(|isa| isa.is_available())
            .unwrap_or(Isa::Portable)
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
            Isa::Avx2 => std::arch::is_x86_feature_detected!("avx2"),
            #[cfg(target_arch = "x86_64")]
            Isa::Avx512 => std::arch::is_x86_feature_detected!("avx512f"),
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

/// A computation written once, generic over the instruction set, that [`dispatch`] runs.
///
/// Implement `run` with `#[inline(always)]`: it must be inlined into the trampoline that
/// enables the instruction set, or its vector operations become calls.
pub trait SimdKernel {
    /// What the kernel returns.
    type Output;
    /// The kernel on the instruction set of `s`.
    fn run<S: Simd>(self, s: S) -> Self::Output;
}

/// Runs `kernel` on `isa`, compiled for that instruction set.
///
/// # Panics
/// If this CPU cannot run `isa` (see [`Isa::available`]).
pub fn dispatch<K: SimdKernel>(isa: Isa, kernel: K) -> K::Output {
    match isa {
        Isa::Portable => kernel.run(Portable),
        #[cfg(target_arch = "x86_64")]
        Isa::Avx2 => x86::Avx2::new()
            .expect("this CPU cannot run the avx2 kernels")
            .dispatch(kernel),
        #[cfg(target_arch = "x86_64")]
        Isa::Avx512 => x86::Avx512::new()
            .expect("this CPU cannot run the avx512 kernels")
            .dispatch(kernel),
        #[cfg(not(target_arch = "x86_64"))]
        Isa::Avx2 | Isa::Avx512 => panic!("this CPU cannot run the {} kernels", isa.name()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detection_is_consistent() {
        let all = Isa::available();
        assert_eq!(all.first(), Some(&Isa::Portable));
        assert_eq!(all.last(), Some(&Isa::detect()));
        assert!(all.iter().all(|isa| isa.is_available()));
    }

    /// A kernel touching every operation once on eight lanes (one vector or two), with NaNs,
    /// signed zeros, equal values and wrapping integers (no operation makes a NaN, whose sign
    /// the hardware picks): every instruction set must give the
    /// portable bits.
    struct EveryOperation;

    impl SimdKernel for EveryOperation {
        type Output = Vec<u64>;

        #[inline(always)]
        fn run<S: Simd>(self, s: S) -> Vec<u64> {
            let a_src = [1.5, -0.0, f64::NAN, 3.0, -7.0, 0.1, 1e-300, f64::INFINITY];
            let b_src = [1.5, 0.0, 2.0, 1e300, -7.5, 0.3, -1e-300, 2.5];
            let i_src = [i64::MAX, -3, 7, 0, 5, i64::MIN, 2, 9];
            let j_src = [1, -3, 8, 0, 4, -1, 2, 10];
            let k_src = [3, 0, 7, 1, 1, 6, 2, 5];
            let pairs: Vec<f64> = (0..16).map(|k| f64::from(k) * 0.25 - 1.0).collect();
            let mut out = Vec::new();
            let mut packed = [0i64; 16];
            let mut kept = 0;
            // Expands take the next values of one stream across the vectors, as compresses
            // write them: the bits cannot depend on how the lanes are split into vectors.
            let stream: Vec<f64> = (0..16).map(|k| f64::from(k) + 0.5).collect();
            let stream_i: Vec<i64> = (0..16).map(|k| 100 - k).collect();
            let (mut taken, mut taken_i) = (0, 0);
            for h in (0..8).step_by(S::LANES) {
                let (a, b) = (s.load(&a_src[h..]), s.load(&b_src[h..]));
                let (i, j) = (s.load_i(&i_src[h..]), s.load_i(&j_src[h..]));
                let lt = s.lt(a, b);
                let ge = s.ge(a, b);
                let m = s.or(s.and(lt, s.eq_i(i, j)), s.not(s.or(ge, s.lt_i(i, j))));
                let m = s.or(m, s.lt_within(s.mask(0b0110_0011 >> h), b, a));
                // SAFETY: every index is in 0..8, and `pairs` holds 16 values.
                let (re, im) = unsafe { s.gather_pairs(&pairs, s.load_i(&k_src[h..])) };
                let floats = [
                    s.add(a, b),
                    s.sub(a, b),
                    s.mul(a, b),
                    s.splat(-2.5),
                    s.add(s.lane_indices(), s.splat(h as f64)),
                    s.select(m, a, b),
                    s.expand(a, lt, &stream[taken..]),
                    re,
                    im,
                ];
                for v in floats {
                    let mut x = [0.0; 8];
                    s.store(&mut x, v);
                    out.extend(x[..S::LANES].iter().map(|x| x.to_bits()));
                }
                let ints = [
                    s.add_i(i, j),
                    s.inc_where(i, ge),
                    s.expand_i(s.splat_i(-1), ge, &stream_i[taken_i..]),
                ];
                taken += s.bits(lt).count_ones() as usize;
                taken_i += s.bits(ge).count_ones() as usize;
                for v in ints {
                    let mut x = [0i64; 8];
                    s.store_i(&mut x, v);
                    out.extend(x[..S::LANES].iter().map(|&n| n as u64));
                }
                s.compress_i(&mut packed[kept..], lt, j);
                kept += s.bits(lt).count_ones() as usize;
                for mask in [lt, ge, m, s.all(), s.none(), s.mask(0b1010_0110 >> h)] {
                    out.push(u64::from(s.bits(mask)) << h);
                }
            }
            out.extend(packed[..kept].iter().map(|&n| n as u64));
            out
        }
    }

    /// Sorts the per-vector groups of [`EveryOperation`]'s output into lane order, so one
    /// vector of eight and two of four compare equal.
    fn by_lane(out: &[u64], lanes: usize) -> Vec<Vec<u64>> {
        let group = 12 * lanes + 6;
        let vectors = 8 / lanes;
        let mut rows: Vec<Vec<u64>> = vec![Vec::new(); 12 + 6 + 1];
        for v in 0..vectors {
            let g = &out[v * group..(v + 1) * group];
            for (op, lane_values) in g[..12 * lanes].chunks(lanes).enumerate() {
                rows[op].extend_from_slice(lane_values);
            }
            for (k, &bits) in g[12 * lanes..].iter().enumerate() {
                rows[12 + k].push(bits);
            }
        }
        for row in &mut rows[12..18] {
            let merged = row.iter().fold(0, |acc, b| acc | b);
            *row = vec![merged];
        }
        rows[18] = out[vectors * group..].to_vec();
        rows
    }

    #[test]
    fn every_operation_gives_the_portable_bits_on_every_isa() {
        let want = by_lane(&dispatch(Isa::Portable, EveryOperation), Portable::LANES);
        assert_eq!(want[5].len(), 8, "eight lanes of select");
        for isa in Isa::available() {
            let lanes = match isa {
                Isa::Avx512 => 8,
                _ => 4,
            };
            let got = by_lane(&dispatch(isa, EveryOperation), lanes);
            assert_eq!(got, want, "{isa:?}");
        }
    }
}
