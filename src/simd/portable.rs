//! [`Portable`]: plain Rust over four-lane arrays, which the compiler turns into SSE2 or NEON.

use super::isa::Isa;
use super::vector::Simd;

/// Plain Rust over `[f64; 4]`; runs on every CPU.
#[derive(Debug, Clone, Copy)]
pub struct Portable;

/// `f(0)`, ..., `f(3)` as an array.
#[inline(always)]
fn lanes<T>(f: impl FnMut(usize) -> T) -> [T; 4] {
    std::array::from_fn(f)
}

/// The all-ones mask lane for true, as SIMD compares give.
#[inline(always)]
fn lane_mask(b: bool) -> u64 {
    u64::from(b).wrapping_neg()
}

/// `v` with the lanes of `m` replaced, in order, by `src[0]`, `src[1]`, ...
#[inline(always)]
fn expand<T: Copy>(mut v: [T; 4], m: [u64; 4], src: &[T]) -> [T; 4] {
    let mut next = 0;
    for (lane, &take) in v.iter_mut().zip(&m) {
        if take != 0 {
            *lane = src[next];
            next += 1;
        }
    }
    v
}

/// Trait methods whose body is one expression, each written on one line.
macro_rules! one_line_ops {
    ($($name:ident($($arg:ident: $t:ty),*) -> $ret:ty $body:block)*) => {
        $(
            #[inline(always)]
            fn $name(self, $($arg: $t),*) -> $ret $body
        )*
    };
}

impl Simd for Portable {
    const LANES: usize = 4;
    const ISA: Isa = Isa::Portable;
    type F = [f64; 4];
    /// All ones in a lane of the set, zero elsewhere, as SIMD compares give.
    type M = [u64; 4];
    type I = [i64; 4];

    one_line_ops! {
        splat(x: f64) -> Self::F { [x; 4] }
        splat_i(n: i64) -> Self::I { [n; 4] }
        load(src: &[f64]) -> Self::F { [src[0], src[1], src[2], src[3]] }
        store(dst: &mut [f64], v: Self::F) -> () { dst[..4].copy_from_slice(&v); }
        load_i(src: &[i64]) -> Self::I { [src[0], src[1], src[2], src[3]] }
        store_i(dst: &mut [i64], v: Self::I) -> () { dst[..4].copy_from_slice(&v); }
        add(a: Self::F, b: Self::F) -> Self::F { [a[0] + b[0], a[1] + b[1], a[2] + b[2], a[3] + b[3]] }
        sub(a: Self::F, b: Self::F) -> Self::F { [a[0] - b[0], a[1] - b[1], a[2] - b[2], a[3] - b[3]] }
        mul(a: Self::F, b: Self::F) -> Self::F { [a[0] * b[0], a[1] * b[1], a[2] * b[2], a[3] * b[3]] }
        add_i(a: Self::I, b: Self::I) -> Self::I { lanes(|i| a[i].wrapping_add(b[i])) }
        lt(a: Self::F, b: Self::F) -> Self::M { lanes(|i| lane_mask(a[i] < b[i])) }
        ge(a: Self::F, b: Self::F) -> Self::M { lanes(|i| lane_mask(a[i] >= b[i])) }
        lt_i(a: Self::I, b: Self::I) -> Self::M { lanes(|i| lane_mask(a[i] < b[i])) }
        eq_i(a: Self::I, b: Self::I) -> Self::M { lanes(|i| lane_mask(a[i] == b[i])) }
        all() -> Self::M { [u64::MAX; 4] }
        none() -> Self::M { [0; 4] }
        and(a: Self::M, b: Self::M) -> Self::M { lanes(|i| a[i] & b[i]) }
        or(a: Self::M, b: Self::M) -> Self::M { lanes(|i| a[i] | b[i]) }
        not(m: Self::M) -> Self::M { lanes(|i| !m[i]) }
        bits(m: Self::M) -> u32 { (0..4).map(|i| ((m[i] & 1) as u32) << i).sum() }
        mask(bits: u32) -> Self::M { lanes(|i| lane_mask(bits & (1 << i) != 0)) }
        select(m: Self::M, a: Self::F, b: Self::F) -> Self::F { lanes(|i| if m[i] != 0 { a[i] } else { b[i] }) }
        expand(v: Self::F, m: Self::M, src: &[f64]) -> Self::F { expand(v, m, src) }
        expand_i(v: Self::I, m: Self::M, src: &[i64]) -> Self::I { expand(v, m, src) }
    }
    #[inline(always)]
    fn inc_where(self, count: Self::I, m: Self::M) -> Self::I {
        // A lane of the set is -1.
        lanes(|i| count[i].wrapping_sub(m[i] as i64))
    }
    #[inline(always)]
    fn compress_i(self, dst: &mut [i64], m: Self::M, v: Self::I) {
        let mut to = 0;
        for (&lane, &keep) in v.iter().zip(&m) {
            if keep != 0 {
                dst[to] = lane;
                to += 1;
            }
        }
    }
    #[inline(always)]
    unsafe fn gather_pairs(self, pairs: &[f64], k: Self::I) -> (Self::F, Self::F) {
        // SAFETY: the caller vouches that 0 <= k and 2k + 1 < pairs.len() in every lane.
        unsafe {
            (
                lanes(|i| *pairs.get_unchecked(2 * k[i] as usize)),
                lanes(|i| *pairs.get_unchecked(2 * k[i] as usize + 1)),
            )
        }
    }
}
