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
//!
//! Why a layer of our own: `std::simd` needs a nightly compiler, and the kernels need more than
//! a portable vector type gives: AVX-512 chosen at run time beside AVX2 and a fallback, its mask
//! registers, expand and compress, and gathers, with the same bits on every set (one rounding
//! per operation, never a fused multiply-add). That is about thirty operations over
//! `core::arch`, each checked lane for lane against [`Portable`] on every set this CPU has
//! (`every_operation_gives_the_portable_bits_on_every_isa`), so the whole layer stays small
//! enough to read.

mod isa;
mod portable;
mod vector;
#[cfg(target_arch = "x86_64")]
pub mod x86;

pub use isa::Isa;
pub use portable::Portable;
pub use vector::{Simd, SimdKernel};

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
