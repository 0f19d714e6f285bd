//! The x86-64 implementations, [`Avx2`] and [`Avx512`], each a token that exists only where the
//! CPU has its instructions, and the `#[target_feature]` trampoline each runs kernels through.
//!
//! The operations that are one intrinsic on both (arithmetic, loads, stores, float compares)
//! come from one macro given each set's intrinsic names; only what differs in shape (masks:
//! all-ones lanes in AVX2, mask registers in AVX-512; blends; expand and compress; gathers) is
//! written per set.

use std::arch::x86_64::*;

use super::isa::Isa;
use super::vector::{Simd, SimdKernel};

/// Defines a token type for one instruction set: its detection, its trampoline and its
/// [`Simd`] implementation, with the one-intrinsic operations written from the given names and
/// the rest (`$($specific)*`) written out by the caller.
macro_rules! x86_simd {
    (
        $(#[$doc:meta])*
        $token:ident, $isa:expr, $feature:tt, $lanes:literal lanes,
        F = $f:ty, M = $m:ty, I = $i:ty;
        splat: $splat:ident, splat_i: $splat_i:ident,
        load: $load:ident, store: $store:ident, load_i: $load_i:ident, store_i: $store_i:ident,
        add: $add:ident, sub: $sub:ident, mul: $mul:ident, add_i: $add_i:ident, cmp: $cmp:ident;
        $($specific:tt)*
    ) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy)]
        pub struct $token(());

        impl $token {
            /// The token, if this CPU has the instructions.
            pub fn new() -> Option<Self> {
                is_x86_feature_detected!($feature).then_some(Self(()))
            }

            /// `kernel` compiled for this instruction set.
            pub fn dispatch<K: SimdKernel>(self, kernel: K) -> K::Output {
                /// The trampoline: `kernel.run` is inlined here, with the instructions enabled.
                #[target_feature(enable = $feature)]
                fn trampoline<K: SimdKernel>(s: $token, kernel: K) -> K::Output {
                    kernel.run(s)
                }
                // SAFETY: `self` exists only if the CPU has the instructions (see `new`).
                unsafe { trampoline(self, kernel) }
            }
        }

        // A token exists only if the CPU has the instructions (see `new`), so its intrinsics
        // may run; loads and stores go through slices cut to `LANES` elements.
        impl Simd for $token {
            const LANES: usize = $lanes;
            const ISA: Isa = $isa;
            type F = $f;
            type M = $m;
            type I = $i;

            #[inline(always)]
            fn splat(self, x: f64) -> Self::F {
                // SAFETY: the CPU has the instructions (`self` proves it).
                unsafe { $splat(x) }
            }
            #[inline(always)]
            fn splat_i(self, n: i64) -> Self::I {
                // SAFETY: the CPU has the instructions (`self` proves it).
                unsafe { $splat_i(n) }
            }
            #[inline(always)]
            fn load(self, src: &[f64]) -> Self::F {
                let src = &src[..$lanes];
                // SAFETY: the CPU has the instructions; the slice holds `LANES` elements.
                unsafe { $load(src.as_ptr()) }
            }
            #[inline(always)]
            fn store(self, dst: &mut [f64], v: Self::F) {
                let dst = &mut dst[..$lanes];
                // SAFETY: the CPU has the instructions; the slice holds `LANES` elements.
                unsafe { $store(dst.as_mut_ptr(), v) }
            }
            #[inline(always)]
            fn load_i(self, src: &[i64]) -> Self::I {
                let src = &src[..$lanes];
                // SAFETY: the CPU has the instructions; the slice holds `LANES` elements.
                unsafe { $load_i(src.as_ptr().cast()) }
            }
            #[inline(always)]
            fn store_i(self, dst: &mut [i64], v: Self::I) {
                let dst = &mut dst[..$lanes];
                // SAFETY: the CPU has the instructions; the slice holds `LANES` elements.
                unsafe { $store_i(dst.as_mut_ptr().cast(), v) }
            }
            #[inline(always)]
            fn add(self, a: Self::F, b: Self::F) -> Self::F {
                // SAFETY: the CPU has the instructions (`self` proves it).
                unsafe { $add(a, b) }
            }
            #[inline(always)]
            fn sub(self, a: Self::F, b: Self::F) -> Self::F {
                // SAFETY: the CPU has the instructions (`self` proves it).
                unsafe { $sub(a, b) }
            }
            #[inline(always)]
            fn mul(self, a: Self::F, b: Self::F) -> Self::F {
                // SAFETY: the CPU has the instructions (`self` proves it).
                unsafe { $mul(a, b) }
            }
            #[inline(always)]
            fn add_i(self, a: Self::I, b: Self::I) -> Self::I {
                // SAFETY: the CPU has the instructions (`self` proves it).
                unsafe { $add_i(a, b) }
            }
            #[inline(always)]
            fn lt(self, a: Self::F, b: Self::F) -> Self::M {
                // SAFETY: the CPU has the instructions (`self` proves it).
                unsafe { $cmp::<_CMP_LT_OQ>(a, b) }
            }
            #[inline(always)]
            fn ge(self, a: Self::F, b: Self::F) -> Self::M {
                // SAFETY: the CPU has the instructions (`self` proves it).
                unsafe { $cmp::<_CMP_GE_OQ>(a, b) }
            }

            $($specific)*
        }
    };
}

x86_simd! {
    /// Proof that this CPU has AVX2: four lanes per register, masks as all-ones lanes.
    Avx2, Isa::Avx2, "avx2", 4 lanes,
    F = __m256d, M = __m256d, I = __m256i;
    splat: _mm256_set1_pd, splat_i: _mm256_set1_epi64x,
    load: _mm256_loadu_pd, store: _mm256_storeu_pd,
    load_i: _mm256_loadu_si256, store_i: _mm256_storeu_si256,
    add: _mm256_add_pd, sub: _mm256_sub_pd, mul: _mm256_mul_pd, add_i: _mm256_add_epi64,
    cmp: _mm256_cmp_pd;

    #[inline(always)]
    fn lt_i(self, a: Self::I, b: Self::I) -> Self::M {
        // SAFETY: AVX2 is present (`self` proves it).
        unsafe { _mm256_castsi256_pd(_mm256_cmpgt_epi64(b, a)) }
    }
    #[inline(always)]
    fn eq_i(self, a: Self::I, b: Self::I) -> Self::M {
        // SAFETY: AVX2 is present (`self` proves it).
        unsafe { _mm256_castsi256_pd(_mm256_cmpeq_epi64(a, b)) }
    }
    #[inline(always)]
    fn all(self) -> Self::M {
        // SAFETY: AVX2 is present (`self` proves it).
        unsafe { _mm256_castsi256_pd(_mm256_set1_epi64x(-1)) }
    }
    #[inline(always)]
    fn none(self) -> Self::M {
        // SAFETY: AVX2 is present (`self` proves it).
        unsafe { _mm256_setzero_pd() }
    }
    #[inline(always)]
    fn and(self, a: Self::M, b: Self::M) -> Self::M {
        // SAFETY: AVX2 is present (`self` proves it).
        unsafe { _mm256_and_pd(a, b) }
    }
    #[inline(always)]
    fn or(self, a: Self::M, b: Self::M) -> Self::M {
        // SAFETY: AVX2 is present (`self` proves it).
        unsafe { _mm256_or_pd(a, b) }
    }
    #[inline(always)]
    fn not(self, m: Self::M) -> Self::M {
        // SAFETY: AVX2 is present (`self` proves it).
        unsafe { _mm256_xor_pd(m, self.all()) }
    }
    #[inline(always)]
    fn bits(self, m: Self::M) -> u32 {
        // SAFETY: AVX2 is present (`self` proves it).
        unsafe { _mm256_movemask_pd(m) as u32 }
    }
    #[inline(always)]
    fn mask(self, bits: u32) -> Self::M {
        // SAFETY: AVX2 is present (`self` proves it).
        unsafe {
            let lane_bits = _mm256_set_epi64x(8, 4, 2, 1);
            let set = _mm256_and_si256(_mm256_set1_epi64x(i64::from(bits)), lane_bits);
            _mm256_castsi256_pd(_mm256_cmpeq_epi64(set, lane_bits))
        }
    }
    #[inline(always)]
    fn inc_where(self, count: Self::I, m: Self::M) -> Self::I {
        // A lane of the set is -1.
        // SAFETY: AVX2 is present (`self` proves it).
        unsafe { _mm256_sub_epi64(count, _mm256_castpd_si256(m)) }
    }
    #[inline(always)]
    fn select(self, m: Self::M, a: Self::F, b: Self::F) -> Self::F {
        // SAFETY: AVX2 is present (`self` proves it).
        unsafe { _mm256_blendv_pd(b, a, m) }
    }
    #[inline(always)]
    fn expand(self, v: Self::F, m: Self::M, src: &[f64]) -> Self::F {
        let src = &src[..4];
        // SAFETY: AVX2 is present (`self` proves it); the slice holds four elements.
        let loaded = unsafe { _mm256_loadu_si256(src.as_ptr().cast()) };
        let moved = self.permute(&EXPAND, m, loaded);
        // SAFETY: AVX2 is present (`self` proves it).
        self.select(m, unsafe { _mm256_castsi256_pd(moved) }, v)
    }
    #[inline(always)]
    fn expand_i(self, v: Self::I, m: Self::M, src: &[i64]) -> Self::I {
        let moved = self.permute(&EXPAND, m, self.load_i(src));
        // SAFETY: AVX2 is present (`self` proves it).
        unsafe {
            let v = _mm256_castsi256_pd(v);
            _mm256_castpd_si256(self.select(m, _mm256_castsi256_pd(moved), v))
        }
    }
    #[inline(always)]
    fn compress_i(self, dst: &mut [i64], m: Self::M, v: Self::I) {
        let moved = self.permute(&COMPRESS, m, v);
        self.store_i(dst, moved);
    }
    #[inline(always)]
    unsafe fn gather_pairs(self, pairs: &[f64], k: Self::I) -> (Self::F, Self::F) {
        let base = pairs.as_ptr();
        // SAFETY: AVX2 is present (`self` proves it); the caller vouches that 2k and 2k + 1
        // index `pairs` in every lane.
        unsafe {
            let i = _mm256_slli_epi64::<1>(k);
            (
                _mm256_i64gather_pd::<8>(base, i),
                _mm256_i64gather_pd::<8>(base, _mm256_add_epi64(i, _mm256_set1_epi64x(1))),
            )
        }
    }
}

/// For a 4-bit lane mask, the 32-bit permutation that moves 64-bit element `k` to the `k`-th
/// lane of the mask (expand) or the `k`-th lane of the mask to element `k` (compress).
const fn lane_permutations(expand: bool) -> [[i32; 8]; 16] {
    let mut table = [[0; 8]; 16];
    let mut mask = 0;
    while mask < 16 {
        let mut k = 0;
        let mut lane = 0;
        while lane < 4 {
            if mask & (1 << lane) != 0 {
                let (to, from) = if expand { (lane, k) } else { (k, lane) };
                table[mask][2 * to] = 2 * from as i32;
                table[mask][2 * to + 1] = 2 * from as i32 + 1;
                k += 1;
            }
            lane += 1;
        }
        mask += 1;
    }
    table
}
static EXPAND: [[i32; 8]; 16] = lane_permutations(true);
static COMPRESS: [[i32; 8]; 16] = lane_permutations(false);

impl Avx2 {
    /// The 64-bit elements of `v` moved by the permutation for `m` from `table`.
    #[inline(always)]
    fn permute(self, table: &[[i32; 8]; 16], m: __m256d, v: __m256i) -> __m256i {
        let perm = &table[self.bits(m) as usize];
        // SAFETY: AVX2 is present; `perm` is eight `i32`.
        unsafe {
            let perm = _mm256_loadu_si256(perm.as_ptr().cast());
            _mm256_permutevar8x32_epi32(v, perm)
        }
    }
}

x86_simd! {
    /// Proof that this CPU has AVX-512F: eight lanes per register, masks in mask registers.
    Avx512, Isa::Avx512, "avx512f", 8 lanes,
    F = __m512d, M = __mmask8, I = __m512i;
    splat: _mm512_set1_pd, splat_i: _mm512_set1_epi64,
    load: _mm512_loadu_pd, store: _mm512_storeu_pd,
    load_i: _mm512_loadu_si512, store_i: _mm512_storeu_si512,
    add: _mm512_add_pd, sub: _mm512_sub_pd, mul: _mm512_mul_pd, add_i: _mm512_add_epi64,
    cmp: _mm512_cmp_pd_mask;

    #[inline(always)]
    fn lt_within(self, within: Self::M, a: Self::F, b: Self::F) -> Self::M {
        // SAFETY: AVX-512F is present (`self` proves it).
        unsafe { _mm512_mask_cmp_pd_mask::<_CMP_LT_OQ>(within, a, b) }
    }
    #[inline(always)]
    fn lt_i(self, a: Self::I, b: Self::I) -> Self::M {
        // SAFETY: AVX-512F is present (`self` proves it).
        unsafe { _mm512_cmpgt_epi64_mask(b, a) }
    }
    #[inline(always)]
    fn eq_i(self, a: Self::I, b: Self::I) -> Self::M {
        // SAFETY: AVX-512F is present (`self` proves it).
        unsafe { _mm512_cmpeq_epi64_mask(a, b) }
    }
    #[inline(always)]
    fn all(self) -> Self::M {
        0xff
    }
    #[inline(always)]
    fn none(self) -> Self::M {
        0
    }
    #[inline(always)]
    fn and(self, a: Self::M, b: Self::M) -> Self::M {
        a & b
    }
    #[inline(always)]
    fn or(self, a: Self::M, b: Self::M) -> Self::M {
        a | b
    }
    #[inline(always)]
    fn not(self, m: Self::M) -> Self::M {
        !m
    }
    #[inline(always)]
    fn bits(self, m: Self::M) -> u32 {
        u32::from(m)
    }
    #[inline(always)]
    fn mask(self, bits: u32) -> Self::M {
        bits as u8
    }
    #[inline(always)]
    fn inc_where(self, count: Self::I, m: Self::M) -> Self::I {
        // SAFETY: AVX-512F is present (`self` proves it).
        unsafe { _mm512_mask_add_epi64(count, m, count, _mm512_set1_epi64(1)) }
    }
    #[inline(always)]
    fn select(self, m: Self::M, a: Self::F, b: Self::F) -> Self::F {
        // SAFETY: AVX-512F is present (`self` proves it).
        unsafe { _mm512_mask_mov_pd(b, m, a) }
    }
    // Expand and compress in registers: their memory forms are microcoded and slow on Zen 4.
    #[inline(always)]
    fn expand(self, v: Self::F, m: Self::M, src: &[f64]) -> Self::F {
        // SAFETY: AVX-512F is present (`self` proves it).
        unsafe { _mm512_mask_expand_pd(v, m, self.load(src)) }
    }
    #[inline(always)]
    fn expand_i(self, v: Self::I, m: Self::M, src: &[i64]) -> Self::I {
        // SAFETY: AVX-512F is present (`self` proves it).
        unsafe { _mm512_mask_expand_epi64(v, m, self.load_i(src)) }
    }
    #[inline(always)]
    fn compress_i(self, dst: &mut [i64], m: Self::M, v: Self::I) {
        // SAFETY: AVX-512F is present (`self` proves it).
        self.store_i(dst, unsafe { _mm512_maskz_compress_epi64(m, v) });
    }
    #[inline(always)]
    unsafe fn gather_pairs(self, pairs: &[f64], k: Self::I) -> (Self::F, Self::F) {
        let base = pairs.as_ptr();
        // SAFETY: AVX-512F is present (`self` proves it); the caller vouches that 2k and
        // 2k + 1 index `pairs` in every lane.
        unsafe {
            let i = _mm512_slli_epi64::<1>(k);
            (
                _mm512_i64gather_pd::<8>(i, base),
                _mm512_i64gather_pd::<8>(_mm512_add_epi64(i, _mm512_set1_epi64(1)), base),
            )
        }
    }
}
