//! Arithmetic on limb slices of one fixed length: add and subtract with carry, the truncated
//! products and squares the fixed-point numbers and the reference orbit use, two's complement
//! and the correctly rounded `f64` of a magnitude.

use super::natural;
use super::rounding::round_to_f64;

/// Number of extra low columns computed by the truncated products.
const GUARD_LIMBS: usize = 2;

/// `r = a + b` on equal-length limb slices; returns the carry out.
pub(super) fn mag_add(a: &[u64], b: &[u64], r: &mut [u64]) -> bool {
    limb_chain(a, b, r, u64::overflowing_add)
}

/// `r = a - b` on equal-length limb slices (wrapping); returns the borrow out.
pub(super) fn mag_sub(a: &[u64], b: &[u64], r: &mut [u64]) -> bool {
    limb_chain(a, b, r, u64::overflowing_sub)
}

/// `r = a op b` limb by limb from the lowest, `op` one of `overflowing_add` or
/// `overflowing_sub`, each limb also taking the previous limb's carry (or borrow); returns the
/// last one out.
#[inline(always)]
fn limb_chain(a: &[u64], b: &[u64], r: &mut [u64], op: fn(u64, u64) -> (u64, bool)) -> bool {
    let mut carry = false;
    for ((w, &x), &y) in r.iter_mut().zip(a).zip(b) {
        let (s1, c1) = op(x, y);
        let (s2, c2) = op(s1, u64::from(carry));
        *w = s2;
        carry = c1 || c2;
    }
    carry
}

/// Truncated product of two `L`-limb magnitudes with `n = L - 1` fraction
/// limbs: writes the limbs `n..=2n` of `a * b` into `r`, computing only the
/// product columns `>= n - GUARD_LIMBS`. Returns the carry out of the top
/// limb (non-zero means the product does not fit).
///
/// The omitted columns sum to less than `(n - 2) * 2^(64(n-1)) * (1 + 2^-63)`,
/// i.e. below one unit of limb `n`, so `r` is `floor(a*b / 2^(64n))` or one
/// less.
#[inline(always)]
pub(super) fn mul_trunc(a: &[u64], b: &[u64], r: &mut [u64]) -> u128 {
    let l = a.len();
    assert!(l > 0 && b.len() == l && r.len() == l);
    let n = l - 1;
    let mut acc: u128 = 0;
    let mut hi: u64 = 0;
    for k in n.saturating_sub(GUARD_LIMBS)..=2 * n {
        let i0 = k.saturating_sub(n);
        let i1 = k.min(n);
        for (&x, &y) in a[i0..=i1].iter().zip(b[k - i1..=k - i0].iter().rev()) {
            let (s, o) = acc.overflowing_add(u128::from(x) * u128::from(y));
            acc = s;
            hi += u64::from(o);
        }
        if k >= n {
            r[k - n] = acc as u64;
        }
        acc = (acc >> 64) | (u128::from(hi) << 64);
        hi = 0;
    }
    acc
}

/// `(lo, mid, top) += p`: a three-limb column accumulator.
#[inline(always)]
fn acc3(lo: &mut u64, mid: &mut u64, top: &mut u64, p: u128) {
    let t = u128::from(*lo) + u128::from(p as u64);
    *lo = t as u64;
    let t2 = u128::from(*mid) + (p >> 64) + (t >> 64);
    *mid = t2 as u64;
    *top += (t2 >> 64) as u64;
}

/// Adds a column of cross products, doubled: `(r2:r1:r0) += 2 * (c2:c1:c0)`.
#[inline(always)]
fn add_doubled(r: (&mut u64, &mut u64, &mut u64), c0: u64, c1: u64, c2: u64) {
    let d2 = (c2 << 1) | (c1 >> 63);
    let d1 = (c1 << 1) | (c0 >> 63);
    let d0 = c0 << 1;
    let t = u128::from(*r.0) + u128::from(d0);
    *r.0 = t as u64;
    let t2 = u128::from(*r.1) + u128::from(d1) + (t >> 64);
    *r.1 = t2 as u64;
    *r.2 += d2 + (t2 >> 64) as u64;
}

/// Truncated square: the same contract and error bound as [`mul_trunc`]
/// (it computes the columns from `n - 2`, rounded down to even, on).
///
/// Uses the symmetry `a_i a_j = a_j a_i`: each column sums its cross
/// products once and doubles them. Two adjacent columns are accumulated in
/// the same inner loop (two independent carry chains, half the loop
/// overhead), which measured about 1.4x faster than one column at a time.
/// Returns the carry out of the top limb (non-zero means overflow).
#[inline(always)]
pub(in crate::mandel::deep) fn sqr_trunc(a: &[u64], r: &mut [u64]) -> u64 {
    let l = a.len();
    assert!(l > 0 && r.len() == l);
    let n = l - 1;
    // Running total (r2:r1:r0): carries into the current column.
    let (mut r0, mut r1, mut r2) = (0u64, 0u64, 0u64);
    let mut k = n.saturating_sub(GUARD_LIMBS) & !1;
    while k <= 2 * n {
        // Column k (even): a_i a_{k-i} for i in [max(0, k-n), u);
        // column k+1: a_i a_{k+1-i} for i in [max(0, k+1-n), u].
        let u = k / 2;
        let (mut e0, mut e1, mut e2) = (0u64, 0u64, 0u64);
        let (mut o0, mut o1, mut o2) = (0u64, 0u64, 0u64);
        let ic = (k + 1).saturating_sub(n); // start of the common range
        if k >= n && k - n < u {
            // column k's extra term i = k - n, j = n
            let p = u128::from(a[k - n]) * u128::from(a[n]);
            acc3(&mut e0, &mut e1, &mut e2, p);
        }
        if ic < u {
            let cnt = u - ic;
            let xs = &a[ic..u][..cnt];
            // ys[m] = a[k + 1 - u + m]; for i = ic + q, column k uses
            // ys[cnt - 1 - q] and column k + 1 uses ys[cnt - q].
            let ys = &a[k + 1 - u..k + 2 - ic][..cnt + 1];
            for q in 0..cnt {
                let x = u128::from(xs[q]);
                acc3(&mut e0, &mut e1, &mut e2, x * u128::from(ys[cnt - 1 - q]));
                acc3(&mut o0, &mut o1, &mut o2, x * u128::from(ys[cnt - q]));
            }
        }
        if u < n && ic <= u {
            // column k+1's extra term i = u, j = u + 1
            let p = u128::from(a[u]) * u128::from(a[u + 1]);
            acc3(&mut o0, &mut o1, &mut o2, p);
        }
        // Finish column k: twice the cross products plus a_u^2.
        add_doubled((&mut r0, &mut r1, &mut r2), e0, e1, e2);
        let x = u128::from(a[u]);
        acc3(&mut r0, &mut r1, &mut r2, x * x);
        if k >= n {
            r[k - n] = r0;
        }
        (r0, r1, r2) = (r1, r2, 0);
        if k < 2 * n {
            add_doubled((&mut r0, &mut r1, &mut r2), o0, o1, o2);
            if k + 1 >= n {
                r[k + 1 - n] = r0;
            }
            (r0, r1, r2) = (r1, r2, 0);
        }
        k += 2;
    }
    r0 | r1
}

/// Largest limb count handled by [`sqr_rows`] (and by the array-based,
/// fully specialised orbit loops).
pub(in crate::mandel::deep) const MAX_SMALL_LIMBS: usize = 9;

/// [`sqr_trunc`] for at most [`MAX_SMALL_LIMBS`] limbs, bit-identical to it:
/// the same set of partial products (columns from `n - 2`, rounded down to
/// even, on), summed exactly, but row by row with bounds that are constants
/// once the length is known, so that with arrays it unrolls completely (about
/// 2x faster per orbit iteration at 2 fraction limbs than the column loops).
#[inline(always)]
pub(in crate::mandel::deep) fn sqr_rows(a: &[u64], r: &mut [u64]) -> u64 {
    let l = a.len();
    assert!(l > 0 && l <= MAX_SMALL_LIMBS && r.len() == l);
    let n = l - 1;
    let k0 = n.saturating_sub(GUARD_LIMBS) & !1;
    // t = sum of the cross products a_i a_j (i < j, i + j >= k0) at column i + j.
    let mut t = [0u64; 2 * MAX_SMALL_LIMBS];
    for i in 0..l {
        let mut carry = 0u64;
        for j in i + 1..l {
            if i + j >= k0 {
                let p =
                    u128::from(a[i]) * u128::from(a[j]) + u128::from(t[i + j]) + u128::from(carry);
                t[i + j] = p as u64;
                carry = (p >> 64) as u64;
            }
        }
        // Rows so far reached column i + l - 1 at most: this limb is fresh.
        t[i + l] = carry;
    }
    // 2 t + the squares a_u^2 at columns 2u >= k0.
    let mut carry: u128 = 0;
    let mut shifted_out = 0u64;
    for (c, &w) in t.iter().enumerate().take(2 * l).skip(k0) {
        let d = (w << 1) | shifted_out;
        shifted_out = w >> 63;
        let sq = if c % 2 == 0 && c / 2 <= n {
            u128::from(a[c / 2]) * u128::from(a[c / 2])
        } else {
            0
        };
        // d + carry + low half of sq < 2^66; the high half joins the carry.
        let sum = u128::from(d) + carry + (sq & u128::from(u64::MAX));
        if c >= n && c <= 2 * n {
            r[c - n] = sum as u64;
        } else if c > 2 * n && sum as u64 != 0 {
            return sum as u64;
        }
        carry = (sum >> 64) + (sq >> 64);
    }
    (carry as u64) | shifted_out
}

/// Correctly rounded `f64` of `(-1)^negative * mag / 2^(64 * frac_limbs)`.
#[inline(always)]
pub(in crate::mandel::deep) fn mag_to_f64(mag: &[u64], frac_limbs: usize, negative: bool) -> f64 {
    match natural::top64(mag) {
        None => 0.0,
        Some((q, e2, sticky)) => round_to_f64(negative, q, e2 - 64 * frac_limbs as i64, sticky),
    }
}

pub(super) fn negate_in_place(v: &mut [u64]) {
    let mut carry = true;
    for w in v.iter_mut() {
        let (s, c) = (!*w).overflowing_add(u64::from(carry));
        *w = s;
        carry = c;
    }
}

/// `dst = |src|` for two's complement `src`; returns whether `src < 0`.
#[inline(always)]
pub(in crate::mandel::deep) fn abs_into(src: &[u64], dst: &mut [u64]) -> bool {
    let negative = src[src.len() - 1] >> 63 == 1;
    if negative {
        let mut carry = true;
        for (d, &w) in dst.iter_mut().zip(src) {
            let (s, c) = (!w).overflowing_add(u64::from(carry));
            *d = s;
            carry = c;
        }
    } else {
        dst.copy_from_slice(src);
    }
    negative
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mandel::deep::bignum::test_support::Rng;

    #[test]
    fn sqr_rows_is_identical_to_sqr_trunc() {
        let mut rng = Rng(15);
        for l in 1..=MAX_SMALL_LIMBS {
            for case in 0..3000 {
                let mut a: Vec<u64> = (0..l)
                    .map(|_| match rng.below(4) {
                        0 => u64::MAX,
                        1 => 0,
                        _ => rng.next(),
                    })
                    .collect();
                // keep the square in range, except sometimes (overflow flag)
                if case % 10 != 0 {
                    a[l - 1] >>= 33;
                }
                let mut r1 = vec![0u64; l];
                let mut r2 = vec![0u64; l];
                let c1 = sqr_trunc(&a, &mut r1);
                let c2 = sqr_rows(&a, &mut r2);
                assert_eq!(r1, r2, "{a:x?}");
                assert_eq!(c1 == 0, c2 == 0, "{a:x?}");
            }
        }
    }
}
