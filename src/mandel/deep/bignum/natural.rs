//! Natural numbers as little-endian `u64` limb vectors of any length: decimal digits in and
//! out, products, powers of five and ten, shifts and long division, for the exact conversions
//! between decimals and binary.

use std::cmp::Ordering;

/// Removes high zero limbs.
pub(super) fn trim(v: &mut Vec<u64>) {
    while v.last() == Some(&0) {
        v.pop();
    }
}

/// Number of significant bits (0 for zero). `v` need not be trimmed.
pub(super) fn bit_len(v: &[u64]) -> u64 {
    match v.iter().rposition(|&w| w != 0) {
        None => 0,
        Some(i) => 64 * i as u64 + u64::from(64 - v[i].leading_zeros()),
    }
}

/// `v = v * m + a`.
pub(super) fn mul_small_add(v: &mut Vec<u64>, m: u64, a: u64) {
    let mut carry = u128::from(a);
    for w in v.iter_mut() {
        // (2^64-1)^2 + (2^64-1) < 2^128: no overflow.
        let t = u128::from(*w) * u128::from(m) + carry;
        *w = t as u64;
        carry = t >> 64;
    }
    if carry != 0 {
        v.push(carry as u64);
    }
}

/// Divides `v` in place by `d` (non-zero) and returns the remainder.
pub(super) fn div_small(v: &mut Vec<u64>, d: u64) -> u64 {
    let mut rem: u128 = 0;
    for w in v.iter_mut().rev() {
        let cur = (rem << 64) | u128::from(*w);
        *w = (cur / u128::from(d)) as u64;
        rem = cur % u128::from(d);
    }
    trim(v);
    rem as u64
}

/// The integer whose decimal digits (0..=9, most significant first) are given.
pub(super) fn from_digits(digits: &[u8]) -> Vec<u64> {
    let mut v = Vec::with_capacity(digits.len() / 19 + 1);
    for chunk in digits.chunks(19) {
        let mut val = 0u64;
        let mut scale = 1u64;
        for &d in chunk {
            val = val * 10 + u64::from(d);
            scale *= 10;
        }
        mul_small_add(&mut v, scale, val);
    }
    trim(&mut v);
    v
}

/// Decimal digits of `v`, most significant first, no leading zeros (empty for zero).
pub(super) fn to_digits(v: &[u64]) -> Vec<u8> {
    const TEN19: u64 = 10_000_000_000_000_000_000;
    let mut v = v.to_vec();
    trim(&mut v);
    let mut chunks = Vec::new();
    while !v.is_empty() {
        chunks.push(div_small(&mut v, TEN19));
    }
    let mut out = Vec::with_capacity(chunks.len() * 19);
    for (i, &c) in chunks.iter().rev().enumerate() {
        let s = if i == 0 {
            format!("{c}")
        } else {
            format!("{c:019}")
        };
        out.extend(s.bytes().map(|b| b - b'0'));
    }
    out
}

/// Schoolbook product.
pub(super) fn mul(a: &[u64], b: &[u64]) -> Vec<u64> {
    if a.is_empty() || b.is_empty() {
        return Vec::new();
    }
    let mut r = vec![0u64; a.len() + b.len()];
    for (i, &ai) in a.iter().enumerate() {
        let mut carry: u128 = 0;
        for (rj, &bj) in r[i..].iter_mut().zip(b) {
            // (2^64-1)^2 + 2 (2^64-1) = 2^128 - 1: no overflow.
            let t = u128::from(ai) * u128::from(bj) + u128::from(*rj) + carry;
            *rj = t as u64;
            carry = t >> 64;
        }
        r[i + b.len()] = carry as u64;
    }
    trim(&mut r);
    r
}

/// `5^k`.
pub(super) fn pow5(k: u64) -> Vec<u64> {
    const P27: u64 = 7_450_580_596_923_828_125; // 5^27, the largest power in a u64
    let mut v = vec![1u64];
    let mut k = k;
    while k >= 27 {
        mul_small_add(&mut v, P27, 0);
        k -= 27;
    }
    mul_small_add(&mut v, 5u64.pow(k as u32), 0);
    v
}

/// `10^k`.
pub(super) fn pow10(k: u64) -> Vec<u64> {
    shl(&pow5(k), k)
}

/// `v * 2^bits`.
pub(super) fn shl(v: &[u64], bits: u64) -> Vec<u64> {
    let limbs = (bits / 64) as usize;
    let off = (bits % 64) as u32;
    let mut r = vec![0u64; limbs];
    r.reserve(v.len() + 1);
    if off == 0 {
        r.extend_from_slice(v);
    } else {
        let mut prev = 0u64;
        for &w in v {
            r.push((w << off) | (prev >> (64 - off)));
            prev = w;
        }
        r.push(prev >> (64 - off));
    }
    trim(&mut r);
    r
}

/// `floor(v / 2^bits)`.
pub(super) fn shr(v: &[u64], bits: u64) -> Vec<u64> {
    let limbs = (bits / 64) as usize;
    if limbs >= v.len() {
        return Vec::new();
    }
    let off = (bits % 64) as u32;
    let src = &v[limbs..];
    let mut r: Vec<u64> = if off == 0 {
        src.to_vec()
    } else {
        src.iter()
            .enumerate()
            .map(|(i, &w)| {
                let hi = src.get(i + 1).copied().unwrap_or(0);
                (w >> off) | (hi << (64 - off))
            })
            .collect()
    };
    trim(&mut r);
    r
}

/// Compares two trimmed numbers.
pub(super) fn cmp(a: &[u64], b: &[u64]) -> Ordering {
    a.len()
        .cmp(&b.len())
        .then_with(|| a.iter().rev().cmp(b.iter().rev()))
}

/// Quotient and remainder of `u / v` (Knuth's algorithm D, base 2^64).
///
/// Both results are trimmed. Panics if `v` is zero.
pub(super) fn divrem(u: &[u64], v: &[u64]) -> (Vec<u64>, Vec<u64>) {
    let mut u = u.to_vec();
    trim(&mut u);
    let mut v = v.to_vec();
    trim(&mut v);
    assert!(!v.is_empty(), "division by zero");
    if cmp(&u, &v) == Ordering::Less {
        return (Vec::new(), u);
    }
    if v.len() == 1 {
        let r = div_small(&mut u, v[0]);
        let mut rem = vec![r];
        trim(&mut rem);
        return (u, rem);
    }
    let n = v.len();
    let m = u.len() - n;
    let s = v[n - 1].leading_zeros();
    let vn = shl(&v, u64::from(s));
    debug_assert_eq!(vn.len(), n);
    let mut un = shl(&u, u64::from(s));
    un.resize(u.len() + 1, 0);
    let mut q = vec![0u64; m + 1];
    let vtop = u128::from(vn[n - 1]);
    let vsec = u128::from(vn[n - 2]);
    for j in (0..=m).rev() {
        let num = (u128::from(un[j + n]) << 64) | u128::from(un[j + n - 1]);
        let mut qhat = num / vtop;
        let mut rhat = num % vtop;
        // qhat < 2^65 here; the product is only formed once qhat < 2^64,
        // and rhat < 2^64 whenever it is shifted.
        while qhat > u128::from(u64::MAX)
            || qhat * vsec > ((rhat << 64) | u128::from(un[j + n - 2]))
        {
            qhat -= 1;
            rhat += vtop;
            if rhat > u128::from(u64::MAX) {
                break;
            }
        }
        // un[j..=j+n] -= qhat * vn
        let mut carry: u128 = 0;
        let mut borrow = false;
        for (w, &d) in un[j..j + n].iter_mut().zip(&vn) {
            let p = qhat * u128::from(d) + carry;
            carry = p >> 64;
            let (t1, b1) = w.overflowing_sub(p as u64);
            let (t2, b2) = t1.overflowing_sub(u64::from(borrow));
            *w = t2;
            borrow = b1 || b2;
        }
        let (t1, b1) = un[j + n].overflowing_sub(carry as u64);
        let (t2, b2) = t1.overflowing_sub(u64::from(borrow));
        un[j + n] = t2;
        if b1 || b2 {
            // qhat was one too large: add the divisor back.
            qhat -= 1;
            let mut c = false;
            for (w, &d) in un[j..j + n].iter_mut().zip(&vn) {
                let (s1, c1) = w.overflowing_add(d);
                let (s2, c2) = s1.overflowing_add(u64::from(c));
                *w = s2;
                c = c1 || c2;
            }
            un[j + n] = un[j + n].wrapping_add(u64::from(c));
        }
        q[j] = qhat as u64;
    }
    trim(&mut q);
    let rem = shr(&un[..n], u64::from(s));
    (q, rem)
}

/// For non-zero `v`: `(q, e2, sticky)` with `v = (q + d) * 2^e2`, `q` in
/// `[2^63, 2^64)`, `d` in `[0, 1)` and `sticky == (d != 0)`. `None` for zero.
/// `v` need not be trimmed.
pub(super) fn top64(v: &[u64]) -> Option<(u64, i64, bool)> {
    let b = bit_len(v);
    if b == 0 {
        return None;
    }
    if b <= 64 {
        return Some((v[0] << (64 - b), b as i64 - 64, false));
    }
    let pos = b - 64;
    let limb = (pos / 64) as usize;
    let off = (pos % 64) as u32;
    let lo = v[limb];
    let (q, below) = if off == 0 {
        (lo, 0)
    } else {
        let hi = v.get(limb + 1).copied().unwrap_or(0);
        ((lo >> off) | (hi << (64 - off)), lo & ((1u64 << off) - 1))
    };
    let sticky = below != 0 || v[..limb].iter().any(|&w| w != 0);
    Some((q, pos as i64, sticky))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mandel::deep::bignum::test_support::{biguint_from_limbs, limbs_from_biguint, Rng};
    use num_bigint::BigUint;

    // ----- big-integer helpers against num-bigint -----

    #[test]
    fn divrem_matches_bigint() {
        let mut rng = Rng(555);
        for i in 0..3000 {
            let nu = 1 + rng.below(12) as usize;
            let nv = 1 + rng.below(nu as u64 + 1) as usize;
            let pick = |rng: &mut Rng| match rng.below(6) {
                0 => u64::MAX,
                1 => 0,
                2 => 1u64 << 63,
                3 => rng.below(4),
                _ => rng.next(),
            };
            let u: Vec<u64> = (0..nu).map(|_| pick(&mut rng)).collect();
            let mut v: Vec<u64> = (0..nv).map(|_| pick(&mut rng)).collect();
            if i % 3 == 0 {
                // force top-limb patterns that exercise qhat correction
                let last = v.len() - 1;
                v[last] = (1u64 << 63) | rng.below(3);
            }
            if v.iter().all(|&w| w == 0) {
                v[0] = 1;
            }
            let (q, r) = divrem(&u, &v);
            let bu = biguint_from_limbs(&u);
            let bv = biguint_from_limbs(&v);
            assert_eq!(q, limbs_from_biguint(&(&bu / &bv)), "{u:x?} / {v:x?}");
            assert_eq!(r, limbs_from_biguint(&(&bu % &bv)), "{u:x?} % {v:x?}");
        }
    }

    #[test]
    fn nat_helpers_match_bigint() {
        let mut rng = Rng(8);
        for k in [0u64, 1, 26, 27, 28, 100, 1074] {
            assert_eq!(
                pow5(k),
                limbs_from_biguint(&BigUint::from(5u32).pow(k as u32))
            );
        }
        for _ in 0..200 {
            let a: Vec<u64> = (0..rng.below(6)).map(|_| rng.next()).collect();
            let b: Vec<u64> = (0..rng.below(6)).map(|_| rng.next()).collect();
            let (ba, bb) = (biguint_from_limbs(&a), biguint_from_limbs(&b));
            assert_eq!(mul(&a, &b), limbs_from_biguint(&(&ba * &bb)));
            let s = rng.below(200);
            assert_eq!(shl(&a, s), limbs_from_biguint(&(&ba << s)));
            assert_eq!(shr(&a, s), limbs_from_biguint(&(&ba >> s)));
            let ds = ba.to_string();
            let digits: Vec<u8> = ds.bytes().map(|c| c - b'0').collect();
            assert_eq!(from_digits(&digits), limbs_from_biguint(&ba));
            let back: Vec<u8> = if a.iter().all(|&w| w == 0) {
                vec![]
            } else {
                digits
            };
            assert_eq!(to_digits(&a), back);
        }
    }
}
