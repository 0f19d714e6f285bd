//! Exact decimal input, multi-limb fixed-point arithmetic and the
//! high-precision reference orbit for perturbation-based Mandelbrot deep zooms.
//!
//! * [`Decimal`] holds a decimal number exactly as written and converts it to
//!   binary (an `f64`, or a mantissa/exponent pair with an unbounded exponent)
//!   with correct rounding.
//! * [`Fixed`] is a signed fixed-point number with `64 * frac_limbs` fraction
//!   bits.
//! * [`reference_orbit`] iterates `Z -> Z^2 + c` in fixed point.
//!
//! Everything is integer arithmetic on `u64` limbs; the conversions to `f64`
//! are done with integer operations too, so all results are bit-identical on
//! every machine.

use num_complex::Complex;
use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

// ---------------------------------------------------------------------------
// Natural numbers as little-endian `u64` limb vectors (private helpers).
// ---------------------------------------------------------------------------

mod nat {
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
}

// ---------------------------------------------------------------------------
// Rounding to binary floating point.
// ---------------------------------------------------------------------------

/// Rounds `(-1)^negative * (q + d) * 2^e2` to the nearest `f64`, ties to even,
/// where `q >= 2^63`, `0 <= d < 1` and `sticky == (d != 0)`. Handles
/// overflow to infinity, subnormals and underflow to (signed) zero.
fn round_to_f64(negative: bool, q: u64, e2: i64, sticky: bool) -> f64 {
    debug_assert!(q >> 63 == 1);
    let sign = if negative { 1u64 << 63 } else { 0 };
    let inf = sign | 0x7ff0_0000_0000_0000;
    let top = e2.saturating_add(63); // exponent of the leading bit
    if top > 1023 {
        return f64::from_bits(inf);
    }
    let keep = if top >= -1022 { 53 } else { top + 1075 };
    if keep < 0 {
        return f64::from_bits(sign);
    }
    let drop = (64 - keep) as u32; // 11..=64
    let (mut mant, rem, half) = if drop == 64 {
        (0u64, q, 1u64 << 63)
    } else {
        (q >> drop, q & ((1u64 << drop) - 1), 1u64 << (drop - 1))
    };
    if rem > half || (rem == half && (sticky || mant & 1 == 1)) {
        mant += 1;
    }
    let bits = if top >= -1022 {
        let mut exp = top;
        if mant == 1u64 << 53 {
            mant >>= 1;
            exp += 1;
        }
        if exp > 1023 {
            return f64::from_bits(inf);
        }
        (((exp + 1023) as u64) << 52) | (mant & ((1u64 << 52) - 1))
    } else {
        // Subnormal; a carry into bit 52 correctly yields the smallest normal.
        mant
    };
    f64::from_bits(sign | bits)
}

/// Rounds `(q + d) * 2^e2` (as in [`round_to_f64`]) to 53 significant bits,
/// ties to even, with an unbounded exponent: returns `(m, e)`, `m` in `[1, 2)`.
fn round_to_53(q: u64, e2: i64, sticky: bool) -> (f64, i64) {
    debug_assert!(q >> 63 == 1);
    let mut mant = q >> 11;
    let rem = q & 0x7ff;
    if rem > 0x400 || (rem == 0x400 && (sticky || mant & 1 == 1)) {
        mant += 1;
    }
    let mut e = e2 + 63;
    if mant == 1u64 << 53 {
        mant = 1u64 << 52;
        e += 1;
    }
    let m = f64::from_bits((1023u64 << 52) | (mant & ((1u64 << 52) - 1)));
    (m, e)
}

/// Splits a finite non-zero `f64` into `(negative, m, e)` with `|x| = m * 2^e`.
fn split_f64(x: f64) -> (bool, u64, i64) {
    let bits = x.to_bits();
    let negative = bits >> 63 == 1;
    let biased = ((bits >> 52) & 0x7ff) as i64;
    let frac = bits & ((1u64 << 52) - 1);
    if biased == 0 {
        (negative, frac, -1074)
    } else {
        (negative, frac | (1u64 << 52), biased - 1075)
    }
}

// ---------------------------------------------------------------------------
// Decimal
// ---------------------------------------------------------------------------

/// Largest allowed `|decimal exponent|` of a [`Decimal`]'s digits (`2^61`):
/// keeps every derived binary exponent comfortably inside `i64`.
const MAX_DECIMAL_EXPONENT: i128 = 1 << 61;

/// Above these sizes [`Decimal::to_binary`] switches from exact big-integer
/// arithmetic to a 128-bit approximation (see its documentation).
const EXACT_MAX_EXP10: u64 = 200_000;
/// See [`EXACT_MAX_EXP10`].
const EXACT_MAX_DIGITS: usize = 50_000;

/// A decimal number exactly as written: value = (-1)^negative * digits * 10^exp10.
///
/// The representation is normalised (no leading or trailing zero digits,
/// zero is never negative), so equal values compare equal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decimal {
    negative: bool,
    /// Decimal digits 0..=9, most significant first; empty means zero.
    digits: Vec<u8>,
    exp10: i64,
}

/// Shortens user input for error messages.
fn quote_input(s: &str) -> String {
    const MAX: usize = 40;
    if s.chars().count() > MAX {
        let head: String = s.chars().take(MAX).collect();
        format!("{:?}", head + "...")
    } else {
        format!("{s:?}")
    }
}

impl FromStr for Decimal {
    type Err = String;

    /// Parses `[+-]digits[.digits][(e|E)[+-]digits]` (digits may be omitted on
    /// one side of the point, e.g. `.5` or `5.`), of any length, ignoring
    /// leading and trailing ASCII whitespace.
    ///
    /// Refuses anything else (`inf`, `nan`, hex, `1,5`, internal spaces, ...)
    /// and numbers whose decimal exponent exceeds `2^61` in magnitude.
    fn from_str(s: &str) -> Result<Decimal, String> {
        let bad = || format!("{} is not a decimal number", quote_input(s));
        let range = || format!("exponent out of range in {}", quote_input(s));
        let b = s.trim_matches(|c: char| c.is_ascii_whitespace()).as_bytes();
        let mut i = 0;
        let mut negative = false;
        if let Some(&c) = b.first() {
            if c == b'+' || c == b'-' {
                negative = c == b'-';
                i = 1;
            }
        }
        let mut digits: Vec<u8> = Vec::new();
        let mut frac_len: i128 = 0;
        let mut seen_point = false;
        let mut any_digit = false;
        while i < b.len() {
            match b[i] {
                c @ b'0'..=b'9' => {
                    any_digit = true;
                    if !(digits.is_empty() && c == b'0') {
                        digits.push(c - b'0');
                    }
                    if seen_point {
                        frac_len += 1;
                    }
                }
                b'.' if !seen_point => seen_point = true,
                _ => break,
            }
            i += 1;
        }
        if !any_digit {
            return Err(bad());
        }
        let mut exp: i128 = 0;
        if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
            i += 1;
            let mut exp_negative = false;
            if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
                exp_negative = b[i] == b'-';
                i += 1;
            }
            let start = i;
            while i < b.len() && b[i].is_ascii_digit() {
                // Saturate far above the limit; leading zeros are harmless.
                exp = (exp * 10 + i128::from(b[i] - b'0')).min(1 << 100);
                i += 1;
            }
            if i == start {
                return Err(bad());
            }
            if exp_negative {
                exp = -exp;
            }
        }
        if i != b.len() {
            return Err(bad());
        }
        if exp.abs() > i128::from(i64::MAX) {
            return Err(range());
        }
        let trailing = digits.iter().rev().take_while(|&&d| d == 0).count();
        digits.truncate(digits.len() - trailing);
        if digits.is_empty() {
            return Ok(Decimal::zero());
        }
        let exp10 = exp - frac_len + trailing as i128;
        let top = exp10 + digits.len() as i128 - 1;
        if exp10 < -MAX_DECIMAL_EXPONENT || top > MAX_DECIMAL_EXPONENT {
            return Err(range());
        }
        Ok(Decimal {
            negative,
            digits,
            exp10: exp10 as i64,
        })
    }
}

impl fmt::Display for Decimal {
    /// Canonical scientific form: `-4.0078e-50`, `5e-1`, `123.45` is `1.2345e2`,
    /// `7` (exponent omitted when 0), and `0` for zero.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Some(e) = self.log10_floor() else {
            return f.write_str("0");
        };
        let mut s = String::with_capacity(self.digits.len() + 24);
        if self.negative {
            s.push('-');
        }
        s.push(char::from(b'0' + self.digits[0]));
        if self.digits.len() > 1 {
            s.push('.');
            s.extend(self.digits[1..].iter().map(|&d| char::from(b'0' + d)));
        }
        if e != 0 {
            s.push('e');
            s.push_str(&e.to_string());
        }
        f.write_str(&s)
    }
}

impl Decimal {
    fn zero() -> Decimal {
        Decimal {
            negative: false,
            digits: Vec::new(),
            exp10: 0,
        }
    }

    /// Builds a normalised value from possibly unnormalised digits.
    fn normalised(negative: bool, mut digits: Vec<u8>, mut exp10: i64) -> Decimal {
        let lead = digits.iter().take_while(|&&d| d == 0).count();
        digits.drain(..lead);
        let trailing = digits.iter().rev().take_while(|&&d| d == 0).count();
        digits.truncate(digits.len() - trailing);
        exp10 += trailing as i64;
        if digits.is_empty() {
            return Decimal::zero();
        }
        Decimal {
            negative,
            digits,
            exp10,
        }
    }

    /// True for zero (however it was written, e.g. `-0.000e7`).
    pub fn is_zero(&self) -> bool {
        self.digits.is_empty()
    }

    /// True for values below zero (zero is never negative).
    pub fn is_negative(&self) -> bool {
        self.negative
    }

    /// The exact value of a finite `f64` (its full binary expansion, e.g.
    /// `0.1` becomes `0.1000000000000000055511151231257827021181583404541015625`).
    /// `-0.0` gives zero.
    ///
    /// # Panics
    /// If `x` is infinite or NaN.
    pub fn from_f64(x: f64) -> Decimal {
        assert!(x.is_finite(), "Decimal::from_f64: {x} is not finite");
        if x == 0.0 {
            return Decimal::zero();
        }
        let (negative, m, e) = split_f64(x);
        let (n, exp10) = if e >= 0 {
            (nat::shl(&[m], e as u64), 0)
        } else {
            // m * 2^e = m * 5^-e * 10^e
            (nat::mul(&[m], &nat::pow5(e.unsigned_abs())), e)
        };
        Decimal::normalised(negative, nat::to_digits(&n), exp10)
    }

    /// The nearest `f64` (round half to even), overflowing to `±inf` and
    /// underflowing to subnormals or `±0.0` exactly as correctly rounded
    /// parsing does. Fast for any exponent (values beyond `1e±400` are
    /// decided from the exponent alone).
    pub fn to_f64(&self) -> f64 {
        let Some(lf) = self.log10_floor() else {
            return 0.0;
        };
        let sign = if self.negative { -1.0 } else { 1.0 };
        if lf > 400 {
            return sign * f64::INFINITY;
        }
        if lf < -400 {
            return sign * 0.0;
        }
        // Every f64 and every midpoint between neighbours (subnormals and the
        // overflow threshold included) has at most 767 significant digits, so
        // cutting to 800 digits plus a non-zero sticky digit cannot change the
        // rounding.
        const KEEP: usize = 800;
        let (q, e2, sticky) = if self.digits.len() > KEEP {
            let mut d = self.digits[..KEEP].to_vec();
            d.push(1);
            let exp10 = self.exp10 + (self.digits.len() - KEEP - 1) as i64;
            exact_top64(&d, exp10)
        } else {
            exact_top64(&self.digits, self.exp10)
        };
        round_to_f64(self.negative, q, e2, sticky)
    }

    /// `floor(log10(|x|))` exactly; `None` for zero.
    pub fn log10_floor(&self) -> Option<i64> {
        if self.digits.is_empty() {
            None
        } else {
            Some(self.exp10 + (self.digits.len() as i64 - 1))
        }
    }

    /// `(negative, m, e)` with `|x| ≈ m * 2^e`, `m` in `[1, 2)` rounded to 53
    /// significant bits (round half to even) and an unbounded exponent;
    /// `None` for zero.
    ///
    /// Exact (correctly rounded) whenever the decimal exponent is at most
    /// 200 000 in magnitude and there are at most 50 000 digits; this takes
    /// well under 50 ms in release builds at those limits (`1e-100000` takes a
    /// few ms). Beyond them, to stay fast, the value is computed from its
    /// first 38 digits with 128-bit arithmetic: the relative error before the
    /// final rounding is below `2^-60` (about `2^-100` for exponents below
    /// `10^9`), so `m` can be off by one unit in the last place only for
    /// values that lie that close to a rounding boundary.
    pub fn to_binary(&self) -> Option<(bool, f64, i64)> {
        if self.is_zero() {
            return None;
        }
        let (q, e2, sticky) = if self.digits.len() <= EXACT_MAX_DIGITS
            && self.exp10.unsigned_abs() <= EXACT_MAX_EXP10
        {
            exact_top64(&self.digits, self.exp10)
        } else {
            approx_top64(&self.digits, self.exp10)
        };
        let (m, e) = round_to_53(q, e2, sticky);
        Some((self.negative, m, e))
    }
}

/// `(q, e2, sticky)` (see [`nat::top64`]) of `digits * 10^exp10` (non-zero), exactly.
fn exact_top64(digits: &[u8], exp10: i64) -> (u64, i64, bool) {
    let d = nat::from_digits(digits);
    if exp10 >= 0 {
        let k = exp10 as u64;
        let n = nat::mul(&d, &nat::pow5(k));
        let (q, e2, sticky) = nat::top64(&n).expect("non-zero");
        (q, e2 + exp10, sticky)
    } else {
        // d * 10^-k = d * 2^s / 5^k * 2^(-s-k), s chosen for a >= 64-bit quotient.
        let k = exp10.unsigned_abs();
        let p = nat::pow5(k);
        let s = (64 + nat::bit_len(&p) as i64 - nat::bit_len(&d) as i64).max(0);
        let num = nat::shl(&d, s as u64);
        let (quot, rem) = nat::divrem(&num, &p);
        let (q, e2, sticky) = nat::top64(&quot).expect("quotient has >= 64 bits");
        (q, e2 - s - k as i64, sticky || !rem.is_empty())
    }
}

/// Like [`exact_top64`] but with 128-bit intermediate precision (for huge
/// exponents or digit counts); the result is always flagged inexact.
fn approx_top64(digits: &[u8], exp10: i64) -> (u64, i64, bool) {
    let used = digits.len().min(38); // 10^38 < 2^127
    let d = digits[..used]
        .iter()
        .fold(0u128, |acc, &x| acc * 10 + u128::from(x));
    let k = i128::from(exp10) + (digits.len() - used) as i128;
    let dv = u128_limbs(d);
    let (pm, pe) = soft_pow10(k.unsigned_abs());
    if k >= 0 {
        let n = nat::mul(&dv, &u128_limbs(pm));
        let (q, e2, _) = nat::top64(&n).expect("non-zero");
        (q, e2 + pe as i64, true)
    } else {
        let num = nat::shl(&dv, 192);
        let (quot, _) = nat::divrem(&num, &u128_limbs(pm));
        let (q, e2, _) = nat::top64(&quot).expect("quotient has >= 64 bits");
        (q, e2 - 192 - pe as i64, true)
    }
}

fn u128_limbs(x: u128) -> Vec<u64> {
    let mut v = vec![x as u64, (x >> 64) as u64];
    nat::trim(&mut v);
    v
}

/// `10^k ≈ m * 2^e` with `m` in `[2^127, 2^128)`, by binary powering with
/// truncated 128-bit products.
fn soft_pow10(mut k: u128) -> (u128, i128) {
    fn soft_mul(a: (u128, i128), b: (u128, i128)) -> (u128, i128) {
        const M: u128 = u64::MAX as u128;
        let (a1, a0) = (a.0 >> 64, a.0 & M);
        let (b1, b0) = (b.0 >> 64, b.0 & M);
        let p00 = a0 * b0;
        let p01 = a0 * b1;
        let p10 = a1 * b0;
        let p11 = a1 * b1;
        let mid = (p00 >> 64) + (p01 & M) + (p10 & M);
        let lo = (p00 & M) | (mid << 64);
        let hi = p11 + (p01 >> 64) + (p10 >> 64) + (mid >> 64);
        if hi >> 127 == 1 {
            (hi, a.1 + b.1 + 128)
        } else {
            ((hi << 1) | (lo >> 127), a.1 + b.1 + 127)
        }
    }
    let mut r = (1u128 << 127, -127i128);
    let mut base = (10u128 << 124, -124i128);
    loop {
        if k & 1 == 1 {
            r = soft_mul(r, base);
        }
        k >>= 1;
        if k == 0 {
            return r;
        }
        base = soft_mul(base, base);
    }
}

// ---------------------------------------------------------------------------
// Fixed
// ---------------------------------------------------------------------------

/// Number of extra low columns computed by the truncated products.
const GUARD_LIMBS: usize = 2;

/// A signed fixed-point number: value = mantissa / 2^(64 * frac_limbs), |value| < 2^63.
///
/// Sign-magnitude: `frac_limbs + 1` little-endian `u64` limbs, the top one the
/// integer part. Zero is never negative, so `==` compares values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fixed {
    negative: bool,
    mag: Vec<u64>,
}

/// `r = a + b` on equal-length limb slices; returns the carry out.
fn mag_add(a: &[u64], b: &[u64], r: &mut [u64]) -> bool {
    limb_chain(a, b, r, u64::overflowing_add)
}

/// `r = a - b` on equal-length limb slices (wrapping); returns the borrow out.
fn mag_sub(a: &[u64], b: &[u64], r: &mut [u64]) -> bool {
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
fn mul_trunc(a: &[u64], b: &[u64], r: &mut [u64]) -> u128 {
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
fn sqr_trunc(a: &[u64], r: &mut [u64]) -> u64 {
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
const MAX_SMALL_LIMBS: usize = 9;

/// [`sqr_trunc`] for at most [`MAX_SMALL_LIMBS`] limbs, bit-identical to it:
/// the same set of partial products (columns from `n - 2`, rounded down to
/// even, on), summed exactly, but row by row with bounds that are constants
/// once the length is known, so that with arrays it unrolls completely (about
/// 2x faster per orbit iteration at 2 fraction limbs than the column loops).
#[inline(always)]
fn sqr_rows(a: &[u64], r: &mut [u64]) -> u64 {
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
fn mag_to_f64(mag: &[u64], frac_limbs: usize, negative: bool) -> f64 {
    match nat::top64(mag) {
        None => 0.0,
        Some((q, e2, sticky)) => round_to_f64(negative, q, e2 - 64 * frac_limbs as i64, sticky),
    }
}

impl Fixed {
    /// Zero with the given number of 64-bit fraction limbs.
    pub fn zero(frac_limbs: usize) -> Fixed {
        Fixed {
            negative: false,
            mag: vec![0; frac_limbs + 1],
        }
    }

    /// Number of 64-bit fraction limbs (the precision is `64 * frac_limbs` bits).
    pub fn frac_limbs(&self) -> usize {
        self.mag.len() - 1
    }

    fn from_mag(negative: bool, mag: Vec<u64>) -> Fixed {
        let negative = negative && mag.iter().any(|&w| w != 0);
        Fixed { negative, mag }
    }

    /// Places the trimmed magnitude `v` into `frac_limbs + 1` limbs.
    fn fit(negative: bool, v: &[u64], frac_limbs: usize) -> Fixed {
        let mut mag = vec![0; frac_limbs + 1];
        mag[..v.len()].copy_from_slice(v);
        Fixed::from_mag(negative, mag)
    }

    /// The decimal truncated toward zero to 64*frac_limbs fraction bits; Err (message) if |x| >= 2^62.
    pub fn from_decimal(x: &Decimal, frac_limbs: usize) -> Result<Fixed, String> {
        let Some(lf) = x.log10_floor() else {
            return Ok(Fixed::zero(frac_limbs));
        };
        let too_large = || format!("{x} is too large for fixed point (|x| >= 2^62)");
        if lf >= 19 {
            return Err(too_large());
        }
        let fb = 64 * frac_limbs as u64;
        // |x| < 10^(lf+1) <= 2^-fb (with a margin of one decade): truncates to zero.
        if ((lf + 1) as f64) < -(fb as f64) * std::f64::consts::LOG10_2 - 1.0 {
            return Ok(Fixed::zero(frac_limbs));
        }
        // Digits below 10^-fb never change the truncation, so they are dropped (which keeps
        // this linear in the digits: a million-digit coordinate converts in milliseconds).
        // Proof: let x' be |x| cut to P >= fb decimals and M the first multiple of 2^-fb above
        // x'. M has at most fb decimals (2^-fb = 5^fb 10^-fb), so M and x' are both multiples
        // of 10^-P and M >= x' + 10^-P > |x|: |x| and x' share one step [M - 2^-fb, M).
        let (digits, exp10) = if x.exp10 < 0 && x.exp10.unsigned_abs() > fb {
            let dropped = usize::try_from(x.exp10.unsigned_abs() - fb).unwrap_or(usize::MAX);
            let kept = x.digits.len().saturating_sub(dropped);
            (&x.digits[..kept], -(fb as i64))
        } else {
            (&x.digits[..], x.exp10)
        };
        let d = nat::from_digits(digits);
        let v = if exp10 >= 0 {
            nat::shl(&nat::mul(&d, &nat::pow10(exp10 as u64)), fb)
        } else {
            nat::divrem(&nat::shl(&d, fb), &nat::pow10(exp10.unsigned_abs())).0
        };
        if nat::bit_len(&v) > fb + 62 {
            return Err(too_large());
        }
        Ok(Fixed::fit(x.negative, &v, frac_limbs))
    }

    /// Exact when the f64's bits fit in the fraction (else truncated toward zero); Err if non-finite or |x| >= 2^62.
    pub fn from_f64(x: f64, frac_limbs: usize) -> Result<Fixed, String> {
        if !x.is_finite() || x.abs() >= 4_611_686_018_427_387_904.0 {
            return Err(format!(
                "{x} cannot be converted to fixed point (needs a finite |x| < 2^62)"
            ));
        }
        if x == 0.0 {
            return Ok(Fixed::zero(frac_limbs));
        }
        let (negative, m, e) = split_f64(x);
        let shift = e + 64 * frac_limbs as i64;
        let v = if shift >= 0 {
            nat::shl(&[m], shift as u64)
        } else {
            nat::shr(&[m], shift.unsigned_abs())
        };
        Ok(Fixed::fit(negative, &v, frac_limbs))
    }

    /// Correctly rounded (round-half-even) to the nearest f64 (subnormals/underflow handled).
    pub fn to_f64(&self) -> f64 {
        mag_to_f64(&self.mag, self.frac_limbs(), self.negative)
    }

    /// `-x`.
    pub fn neg(&self) -> Fixed {
        Fixed::from_mag(!self.negative, self.mag.clone())
    }

    /// x * 2^k exactly if representable, else truncated toward zero: (for computing pixel offsets) k may be negative.
    ///
    /// # Panics
    /// If `|x| * 2^k >= 2^63`.
    pub fn mul_pow2(&self, k: i64) -> Fixed {
        let bl = nat::bit_len(&self.mag);
        if bl == 0 {
            return self.clone();
        }
        let v = if k >= 0 {
            let limit = 64 * self.frac_limbs() as u64 + 63;
            assert!(
                (k as u64) <= limit - bl,
                "Fixed::mul_pow2: result out of range (|value| >= 2^63)"
            );
            nat::shl(&self.mag, k as u64)
        } else {
            nat::shr(&self.mag, k.unsigned_abs())
        };
        Fixed::fit(self.negative, &v, self.frac_limbs())
    }

    fn add_signed(&self, other: &Fixed, other_negative: bool) -> Fixed {
        assert_eq!(
            self.frac_limbs(),
            other.frac_limbs(),
            "Fixed: operands have different precisions"
        );
        let mut r = vec![0u64; self.mag.len()];
        let negative = if self.negative == other_negative {
            let carry = mag_add(&self.mag, &other.mag, &mut r);
            assert!(!carry, "Fixed: result out of range (|value| >= 2^63)");
            self.negative
        } else if self.mag.iter().rev().cmp(other.mag.iter().rev()) == Ordering::Less {
            mag_sub(&other.mag, &self.mag, &mut r);
            other_negative
        } else {
            mag_sub(&self.mag, &other.mag, &mut r);
            self.negative
        };
        assert!(
            r[r.len() - 1] >> 63 == 0,
            "Fixed: result out of range (|value| >= 2^63)"
        );
        Fixed::from_mag(negative, r)
    }

    /// `x + y`, exact.
    ///
    /// # Panics
    /// If the precisions differ or `|x + y| >= 2^63`.
    pub fn add(&self, other: &Fixed) -> Fixed {
        self.add_signed(other, other.negative)
    }

    /// `x - y`, exact.
    ///
    /// # Panics
    /// If the precisions differ or `|x - y| >= 2^63`.
    pub fn sub(&self, other: &Fixed) -> Fixed {
        self.add_signed(other, !other.negative)
    }

    /// `x * y`, truncated: the magnitude is `floor(|x||y| * 2^(64 n))` or one
    /// unit (`2^-(64 n)`) less, so the error is below 2 ulps (and the result
    /// is exact-truncated for `frac_limbs <= 2`).
    ///
    /// # Panics
    /// If the precisions differ or `|x * y| >= 2^63`.
    pub fn mul(&self, other: &Fixed) -> Fixed {
        assert_eq!(
            self.frac_limbs(),
            other.frac_limbs(),
            "Fixed: operands have different precisions"
        );
        let mut r = vec![0u64; self.mag.len()];
        let carry = mul_trunc(&self.mag, &other.mag, &mut r);
        assert!(
            carry == 0 && r[r.len() - 1] >> 63 == 0,
            "Fixed::mul: result out of range (|value| >= 2^63)"
        );
        Fixed::from_mag(self.negative != other.negative, r)
    }

    /// `x * x`, truncated with the same error bound as [`Fixed::mul`].
    ///
    /// # Panics
    /// If `x * x >= 2^63`.
    pub fn sqr(&self) -> Fixed {
        let mut r = vec![0u64; self.mag.len()];
        let carry = sqr_trunc(&self.mag, &mut r);
        assert!(
            carry == 0 && r[r.len() - 1] >> 63 == 0,
            "Fixed::sqr: result out of range (|value| >= 2^63)"
        );
        Fixed::from_mag(false, r)
    }

    /// The value in decimal with `digits` digits after the point, truncated
    /// toward zero (not rounded), e.g. `"-0.04947002906310409375"`. With
    /// `digits >= 64 * frac_limbs` the string is exact.
    pub fn to_decimal_string(&self, digits: usize) -> String {
        let n = self.frac_limbs();
        let mut s = String::with_capacity(digits + 24);
        if self.negative {
            s.push('-');
        }
        s.push_str(&self.mag[n].to_string());
        if digits > 0 {
            s.push('.');
            let mut frac = self.mag[..n].to_vec();
            for _ in 0..digits {
                let mut carry = 0u128;
                for w in frac.iter_mut() {
                    let t = u128::from(*w) * 10 + carry;
                    *w = t as u64;
                    carry = t >> 64;
                }
                s.push(char::from(b'0' + carry as u8));
            }
        }
        s
    }

    /// Two's complement limbs of the value (only used for `|x| < 2^63`).
    fn to_twos_complement(&self) -> Vec<u64> {
        let mut v = self.mag.clone();
        if self.negative {
            negate_in_place(&mut v);
        }
        v
    }
}

// ---------------------------------------------------------------------------
// Reference orbit
// ---------------------------------------------------------------------------

/// While `|Z|^2` (in f64) is at most this, `Z^2 + c` cannot leave the fixed
/// range: `|Z|^2 < 2^60`, so `|x+y|^2 < 2^62`, and `|c| < 2^61`.
const FIXED_NORM_LIMIT: f64 = 576_460_752_303_423_488.0; // 2^59
/// Orbits with `|c_re|` or `|c_im|` from `2^61` on are computed in f64 only.
const FIXED_C_LIMIT: u64 = 1 << 61;
/// Progress is reported after every multiple of this many iterations.
const PROGRESS_INTERVAL: u64 = 1 << 16;

fn negate_in_place(v: &mut [u64]) {
    let mut carry = true;
    for w in v.iter_mut() {
        let (s, c) = (!*w).overflowing_add(u64::from(carry));
        *w = s;
        carry = c;
    }
}

/// `dst = |src|` for two's complement `src`; returns whether `src < 0`.
#[inline(always)]
fn abs_into(src: &[u64], dst: &mut [u64]) -> bool {
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

/// Stop test: `|Z|^2 > escape_norm`, or a non-finite norm.
#[inline(always)]
fn stops(norm: f64, escape_norm: f64) -> bool {
    norm > escape_norm || !norm.is_finite()
}

/// The reference orbit Z_0 = 0, Z_{n+1} = Z_n^2 + c in fixed point with `c`'s fraction limbs,
/// each Z_n stored rounded to the nearest f64. It stops after Z_M where M = max_iter, or at the
/// first M with |Z_M|^2 > escape_norm (that Z_M is included). Returns Z_0..=Z_M (length M+1).
/// `progress(n)` is called about every 2^16 iterations with the number done (for a progress bar),
/// and must not change the result.
///
/// Details:
/// * Per iteration, with `Z = x + iy` in two's complement fixed point:
///   `x' = x^2 - y^2 + c_re`, `y' = (x+y)^2 - x^2 - y^2 + c_im`, using three
///   truncated squares (each is the exact square truncated to the fraction
///   bits, or one unit less: within 2 ulps below the exact square, see
///   [`Fixed::sqr`]). So, given `Z_n`, `x'` is within 2 ulps and `y'` within
///   4 ulps of the exact `Z_n^2 + c`, where 1 ulp is `2^-(64 * frac_limbs)`.
/// * The escape test uses the stored f64 values: `re*re + im*im` in f64. The
///   orbit also stops at the first non-finite norm.
/// * `progress` is called with `n` after every `n` that is a multiple of 2^16.
/// * Fixed point is used while `|Z_n|^2 <= 2^59`; should an orbit go beyond
///   that without escaping (only possible with `escape_norm > 2^59`), it is
///   continued in plain f64 arithmetic (as it is if `|c_re|` or `|c_im|` is
///   `2^61` or more).
/// * No allocation in the loop except the output vector's amortised growth
///   (it reserves up to 2^20 entries up front).
///
/// # Panics
/// If `c_re` and `c_im` have different `frac_limbs`.
pub fn reference_orbit(
    c_re: &Fixed,
    c_im: &Fixed,
    max_iter: u64,
    escape_norm: f64,
    progress: &mut dyn FnMut(u64),
) -> Vec<Complex<f64>> {
    assert_eq!(
        c_re.frac_limbs(),
        c_im.frac_limbs(),
        "reference_orbit: c_re and c_im have different precisions"
    );
    let cap = max_iter.min(1 << 20) as usize + 1;
    let mut out = Vec::with_capacity(cap);
    out.push(Complex::new(0.0, 0.0));
    let c64 = Complex::new(c_re.to_f64(), c_im.to_f64());
    let l = c_re.mag.len();
    if c_re.mag[l - 1] >= FIXED_C_LIMIT || c_im.mag[l - 1] >= FIXED_C_LIMIT {
        f64_tail(&mut out, c64, 0, max_iter, escape_norm, progress);
        return out;
    }
    let cx = c_re.to_twos_complement();
    let cy = c_im.to_twos_complement();
    macro_rules! dispatch {
        ($($n:literal)*) => {
            match l {
                $($n => {
                    let mut a = [0u64; $n];
                    let mut b = [0u64; $n];
                    a.copy_from_slice(&cx);
                    b.copy_from_slice(&cy);
                    orbit_fixed(&mut out, [0u64; $n], a, b, max_iter, escape_norm, progress);
                })*
                _ => orbit_fixed(&mut out, vec![0u64; l], cx, cy, max_iter, escape_norm, progress),
            }
        };
    }
    dispatch!(1 2 3 4 5 6 7 8 9);
    out
}

/// Continues an orbit in plain f64 from the last entry of `out` (after `done`
/// iterations). Deterministic: only IEEE basic operations, no fused multiply-add.
fn f64_tail(
    out: &mut Vec<Complex<f64>>,
    c: Complex<f64>,
    mut done: u64,
    max_iter: u64,
    escape_norm: f64,
    progress: &mut dyn FnMut(u64),
) {
    let mut z = out[out.len() - 1];
    if stops(z.re * z.re + z.im * z.im, escape_norm) {
        return;
    }
    while done < max_iter {
        z = Complex::new(z.re * z.re - z.im * z.im + c.re, 2.0 * z.re * z.im + c.im);
        out.push(z);
        done += 1;
        if done.is_multiple_of(PROGRESS_INTERVAL) {
            progress(done);
        }
        if stops(z.re * z.re + z.im * z.im, escape_norm) {
            return;
        }
    }
}

/// The fixed-point orbit loop, generic over the limb storage so that small
/// sizes get arrays of constant length (and fully specialised code).
/// `out` holds `Z_0` on entry.
fn orbit_fixed<B: AsRef<[u64]> + AsMut<[u64]> + Clone>(
    out: &mut Vec<Complex<f64>>,
    zero: B,
    cx: B,
    cy: B,
    max_iter: u64,
    escape_norm: f64,
    progress: &mut dyn FnMut(u64),
) {
    if stops(0.0, escape_norm) {
        return;
    }
    let frac = zero.as_ref().len() - 1;
    let mut x = zero.clone(); // Z, two's complement
    let mut y = zero.clone();
    let mut ax = zero.clone(); // |x|, |y|, x + y, |x + y|
    let mut ay = zero.clone();
    let mut s = zero.clone();
    let mut a_s = zero.clone();
    let mut xx = zero.clone(); // squares
    let mut yy = zero.clone();
    let mut ss = zero;
    let mut done = 0u64;
    while done < max_iter {
        // s = x + y (two's complement, wrapping), a_s = |s|
        {
            let mut carry = false;
            for ((d, &p), &q) in s.as_mut().iter_mut().zip(x.as_ref()).zip(y.as_ref()) {
                let (t1, c1) = p.overflowing_add(q);
                let (t2, c2) = t1.overflowing_add(u64::from(carry));
                *d = t2;
                carry = c1 || c2;
            }
        }
        abs_into(s.as_ref(), a_s.as_mut());
        let (c1, c2, c3) = if frac < MAX_SMALL_LIMBS {
            (
                sqr_rows(ax.as_ref(), xx.as_mut()),
                sqr_rows(ay.as_ref(), yy.as_mut()),
                sqr_rows(a_s.as_ref(), ss.as_mut()),
            )
        } else {
            (
                sqr_trunc(ax.as_ref(), xx.as_mut()),
                sqr_trunc(ay.as_ref(), yy.as_mut()),
                sqr_trunc(a_s.as_ref(), ss.as_mut()),
            )
        };
        debug_assert!(c1 == 0 && c2 == 0 && c3 == 0);
        // x = x^2 - y^2 + cx; y = (x+y)^2 - x^2 - y^2 + cy (mod 2^(64 L))
        {
            let mut kx: i128 = 0;
            let mut ky: i128 = 0;
            for ((((((xo, yo), &a), &b), &c), &p), &q) in x
                .as_mut()
                .iter_mut()
                .zip(y.as_mut().iter_mut())
                .zip(xx.as_ref())
                .zip(yy.as_ref())
                .zip(ss.as_ref())
                .zip(cx.as_ref())
                .zip(cy.as_ref())
            {
                let (a, b, c) = (i128::from(a), i128::from(b), i128::from(c));
                let tx = a - b + i128::from(p) + kx;
                *xo = tx as u64;
                kx = tx >> 64;
                let ty = c - a - b + i128::from(q) + ky;
                *yo = ty as u64;
                ky = ty >> 64;
            }
        }
        let nx = abs_into(x.as_ref(), ax.as_mut());
        let ny = abs_into(y.as_ref(), ay.as_mut());
        let re = mag_to_f64(ax.as_ref(), frac, nx);
        let im = mag_to_f64(ay.as_ref(), frac, ny);
        out.push(Complex::new(re, im));
        done += 1;
        if done.is_multiple_of(PROGRESS_INTERVAL) {
            progress(done);
        }
        let norm = re * re + im * im;
        if stops(norm, escape_norm) {
            return;
        }
        if norm > FIXED_NORM_LIMIT {
            let c = Complex::new(
                mag_to_f64_twos(cx.as_ref(), frac),
                mag_to_f64_twos(cy.as_ref(), frac),
            );
            f64_tail(out, c, done, max_iter, escape_norm, progress);
            return;
        }
    }
}

/// Correctly rounded f64 of a two's complement fixed-point value.
fn mag_to_f64_twos(v: &[u64], frac: usize) -> f64 {
    let mut m = v.to_vec();
    let negative = abs_into(v, &mut m);
    mag_to_f64(&m, frac, negative)
}

// ---------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------

#[cfg(test)]
mod tests {
    use super::*;
    use num_bigint::{BigInt, BigUint, Sign};

    /// xorshift64* generator, deterministic.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
        }
        fn below(&mut self, n: u64) -> u64 {
            self.next() % n
        }
        fn range(&mut self, lo: i64, hi: i64) -> i64 {
            lo + self.below((hi - lo + 1) as u64) as i64
        }
        fn digits(&mut self, n: usize) -> String {
            (0..n)
                .map(|_| char::from(b'0' + self.below(10) as u8))
                .collect()
        }
        /// `n` digits, with a point somewhere in half the cases and a minus in half.
        fn signed_digits(&mut self, n: usize) -> String {
            let mut s = self.digits(n);
            if self.below(2) == 0 {
                let p = self.below(n as u64 + 1) as usize;
                s.insert(p, '.');
            }
            if self.below(2) == 0 {
                s.insert(0, '-');
            }
            s
        }
    }

    /// Runs `f`, which must finish within `limit` (these paths must not be quadratic).
    fn within(limit: std::time::Duration, f: impl FnOnce()) {
        let t = std::time::Instant::now();
        f();
        assert!(t.elapsed() < limit, "{:?} > {limit:?}", t.elapsed());
    }

    /// `f(rng, n)` `cases` times for every limb count `n` of [`LIMB_COUNTS`], from one seed.
    fn for_limb_counts(seed: u64, cases: usize, mut f: impl FnMut(&mut Rng, usize)) {
        let mut rng = Rng(seed);
        for &n in &LIMB_COUNTS {
            for _ in 0..cases {
                f(&mut rng, n);
            }
        }
    }

    fn dec(s: &str) -> Decimal {
        s.parse().unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    fn parts(d: &Decimal) -> (bool, String, i64) {
        let digits = d.digits.iter().map(|&x| char::from(b'0' + x)).collect();
        (d.negative, digits, d.exp10)
    }

    fn biguint_from_limbs(v: &[u64]) -> BigUint {
        v.iter().rev().fold(BigUint::from(0u32), |acc, &w| {
            (acc << 64u32) + BigUint::from(w)
        })
    }

    fn limbs_from_biguint(v: &BigUint) -> Vec<u64> {
        let mut r = v.to_u64_digits();
        nat::trim(&mut r);
        r
    }

    fn fixed_to_bigint(f: &Fixed) -> BigInt {
        let sign = if f.negative { Sign::Minus } else { Sign::Plus };
        BigInt::from_biguint(sign, biguint_from_limbs(&f.mag))
    }

    fn digits_biguint(d: &Decimal) -> BigUint {
        let s: String = d.digits.iter().map(|&x| char::from(b'0' + x)).collect();
        BigUint::parse_bytes(s.as_bytes(), 10).expect("digits")
    }

    // ----- Decimal parsing -----

    #[test]
    fn parse_accepts() {
        let cases: &[(&str, (bool, &str, i64))] = &[
            ("1", (false, "1", 0)),
            ("-12.5", (true, "125", -1)),
            ("+12.50", (false, "125", -1)),
            ("1e-1000", (false, "1", -1000)),
            ("4.0078E-50", (false, "40078", -54)),
            ("1.00E050", (false, "1", 50)),
            (".5", (false, "5", -1)),
            ("5.", (false, "5", 0)),
            ("-0", (false, "", 0)),
            ("-0.000e7", (false, "", 0)),
            ("1E+3", (false, "1", 3)),
            ("  \t7000\n", (false, "7", 3)),
            ("000123.4500", (false, "12345", -2)),
            ("0.000", (false, "", 0)),
            ("1e0000000000000000000000000005", (false, "1", 5)),
        ];
        for (s, (neg, digits, exp)) in cases {
            let d = dec(s);
            assert_eq!(parts(&d), (*neg, digits.to_string(), *exp), "{s}");
        }
        let long = "-0.0494700290631040937516922267273536301187457124882248793181049402326421947726869034279915499747594190000000000000000000";
        let d = dec(long);
        assert!(d.is_negative() && !d.is_zero());
        assert_eq!(d.digits.len(), 98);
        assert_eq!(d.exp10, -99);
        assert_eq!(d.log10_floor(), Some(-2));
        assert!(dec("-0").is_zero() && !dec("-0").is_negative());
    }

    #[test]
    fn parse_refuses() {
        for s in [
            "", " ", "+", "-", ".", "+.", "1e", "1e+", "e5", "1.2.3", "inf", "-inf", "nan", "NaN",
            "0x1A", "1,5", "1 5", "1e 5", "1.5f", "--1", "+-1", "1e5.0", "١", "abc",
        ] {
            let r = s.parse::<Decimal>();
            assert!(r.is_err(), "{s:?} accepted as {r:?}");
            assert!(r.unwrap_err().contains("is not a decimal number"));
        }
        let e = "abc".parse::<Decimal>().unwrap_err();
        assert_eq!(e, "\"abc\" is not a decimal number");
        let long = "x".repeat(1000).parse::<Decimal>().unwrap_err();
        assert!(long.len() < 100, "{long}");
    }

    #[test]
    fn parse_exponent_range() {
        for s in [
            "1e9223372036854775807",
            "1e-9223372036854775808",
            "1e99999999999999999999999999999999",
            "0e99999999999999999999999999999999",
            "10e2305843009213693952",
            "1e-2305843009213693953",
        ] {
            let r = s.parse::<Decimal>();
            assert!(
                r.as_ref()
                    .is_err_and(|e| e.contains("exponent out of range")),
                "{s}: {r:?}"
            );
        }
        assert_eq!(dec("1e2305843009213693952").log10_floor(), Some(1 << 61));
        assert_eq!(
            dec("1e-2305843009213693952").log10_floor(),
            Some(-(1 << 61))
        );
        assert!(dec("0e999").is_zero());
    }

    #[test]
    fn normalisation_and_display() {
        assert_eq!(dec("1.50"), dec("15e-1"));
        assert_eq!(dec("0.15e1"), dec("1500e-3"));
        assert_eq!(dec("-0"), dec("0"));
        assert_ne!(dec("1.5"), dec("-1.5"));
        assert_eq!(dec("-4.0078E-50").to_string(), "-4.0078e-50");
        assert_eq!(dec("0").to_string(), "0");
        assert_eq!(dec("7").to_string(), "7");
        assert_eq!(dec("123.45").to_string(), "1.2345e2");
        assert_eq!(dec(".5").to_string(), "5e-1");
        assert_eq!(dec("1e-1000").to_string(), "1e-1000");
        let mut rng = Rng(42);
        for _ in 0..2000 {
            let n = 1 + rng.below(70) as usize;
            let mut s = rng.signed_digits(n);
            if rng.below(2) == 0 {
                s += &format!("e{}", rng.range(-5000, 5000));
            }
            let d = dec(&s);
            assert_eq!(dec(&d.to_string()), d, "{s}");
        }
    }

    #[test]
    fn log10_floor_exact() {
        assert_eq!(dec("0").log10_floor(), None);
        assert_eq!(dec("9.999").log10_floor(), Some(0));
        assert_eq!(dec("10").log10_floor(), Some(1));
        assert_eq!(dec("-0.01").log10_floor(), Some(-2));
        assert_eq!(dec("0.0999").log10_floor(), Some(-2));
        assert_eq!(dec("1e-1000").log10_floor(), Some(-1000));
    }

    #[test]
    fn from_f64_exact() {
        assert_eq!(
            Decimal::from_f64(0.1),
            dec("0.1000000000000000055511151231257827021181583404541015625")
        );
        assert_eq!(Decimal::from_f64(-0.0), dec("0"));
        assert_eq!(Decimal::from_f64(-2.5), dec("-2.5"));
        assert_eq!(Decimal::from_f64(1e22), dec("1e22"));
        // 2^-1074 = 5^1074 * 10^-1074, and 5^1074 has 751 digits.
        let tiny = Decimal::from_f64(f64::from_bits(1));
        assert_eq!((tiny.digits.len(), tiny.exp10), (751, -1074));
        assert!(tiny
            .to_string()
            .starts_with("4.940656458412465441765687928682213723650"));
        let mut rng = Rng(7);
        for _ in 0..3000 {
            let x = f64::from_bits(rng.next());
            if !x.is_finite() {
                continue;
            }
            let d = Decimal::from_f64(x);
            assert_eq!(d.to_f64().to_bits(), if x == 0.0 { 0 } else { x.to_bits() });
            // Independent exactness check: digits * 10^exp10 == m * 2^e.
            if x != 0.0 {
                let (neg, m, e) = split_f64(x);
                assert_eq!(d.is_negative(), neg);
                let mut lhs = digits_biguint(&d);
                let mut rhs = BigUint::from(m);
                if d.exp10 >= 0 {
                    lhs *= BigUint::from(10u32).pow(d.exp10 as u32);
                } else {
                    rhs *= BigUint::from(10u32).pow(d.exp10.unsigned_abs() as u32);
                }
                if e >= 0 {
                    rhs <<= e as u32;
                } else {
                    lhs <<= e.unsigned_abs() as u32;
                }
                assert_eq!(lhs, rhs, "{x:e}");
            }
        }
    }

    // ----- to_f64 -----

    fn check_to_f64(s: &str) {
        let d = dec(s);
        let want: f64 = s.trim().parse().expect("std parse");
        let got = d.to_f64();
        if d.is_zero() {
            assert_eq!(got.to_bits(), 0, "{s}");
        } else {
            assert_eq!(
                got.to_bits(),
                want.to_bits(),
                "{s}: got {got:e}, want {want:e}"
            );
        }
    }

    /// Exact decimal string of `(2m+1) * 2^(e-1)` (the midpoint above `m * 2^e`).
    fn midpoint_string(m: u64, e: i64) -> (BigUint, i64) {
        let odd = BigUint::from(2 * m + 1);
        let e = e - 1;
        if e >= 0 {
            (odd << (e as u32), 0)
        } else {
            (odd * BigUint::from(5u32).pow(e.unsigned_abs() as u32), e)
        }
    }

    #[test]
    fn to_f64_matches_std_random() {
        let mut rng = Rng(1234);
        for i in 0..20_000 {
            let n = 1 + rng.below(if i % 4 == 0 { 120 } else { 25 }) as usize;
            let mut s = rng.signed_digits(n);
            let e = match rng.below(4) {
                0 => rng.range(-30, 30),
                1 => rng.range(-360, 340),
                2 => rng.range(300, 320) - n as i64,
                _ => rng.range(-345, -300) - n as i64 / 2,
            };
            s += &format!("e{e}");
            check_to_f64(&s);
        }
    }

    #[test]
    fn to_f64_halfway_and_boundaries() {
        let mut rng = Rng(99);
        let mut xs: Vec<f64> = vec![
            0.0,
            f64::from_bits(1),
            f64::from_bits(2),
            f64::from_bits(0x000f_ffff_ffff_ffff),
            f64::MIN_POSITIVE,
            1.0,
            0.1,
            f64::MAX,
            f64::from_bits(f64::MAX.to_bits() - 1),
        ];
        for i in 0..1500 {
            let bits = rng.next() & 0x7fff_ffff_ffff_ffff;
            let bits = if i % 3 == 0 {
                bits & 0x800f_ffff_ffff_ffff
            } else {
                bits
            };
            let x = f64::from_bits(bits);
            if x.is_finite() {
                xs.push(x);
            }
        }
        for x in xs {
            let (m, e) = if x == 0.0 {
                (0, -1074)
            } else {
                let (_, m, e) = split_f64(x);
                (m, e)
            };
            let (digits, exp) = midpoint_string(m, e);
            let ds = digits.to_string();
            // exact midpoint, slightly above, slightly below
            check_to_f64(&format!("{ds}e{exp}"));
            check_to_f64(&format!("-{ds}e{exp}"));
            check_to_f64(&format!("{ds}0000000000000000000000001e{}", exp - 25));
            let below = digits * BigUint::from(10u32).pow(25) - BigUint::from(1u32);
            check_to_f64(&format!("{below}e{}", exp - 25));
            // the value itself
            if x != 0.0 {
                let d = Decimal::from_f64(x).to_string();
                check_to_f64(&d);
            }
        }
        for s in [
            "1e-400",
            "-1e-401",
            "1e400",
            "-1e401",
            "2.4703282292062327e-324",
            "2.4703282292062328e-324",
            "1.7976931348623158e308",
            "1.7976931348623159e308",
            "1e-100000",
            "1e100000",
            "-1e100000",
        ] {
            check_to_f64(s);
        }
        // very long mantissa (beyond the 800-digit cut)
        let mut rng = Rng(5);
        for _ in 0..50 {
            let s = format!("{}e{}", rng.digits(1500), rng.range(-2000, -1000));
            check_to_f64(&s);
        }
    }

    #[test]
    fn to_f64_fast_for_huge_exponents() {
        within(std::time::Duration::from_millis(50), || {
            assert_eq!(dec("1e-100000").to_f64(), 0.0);
            assert_eq!(dec("1e100000").to_f64(), f64::INFINITY);
            assert_eq!(dec("-1e100000").to_f64(), f64::NEG_INFINITY);
        });
    }

    // ----- to_binary -----

    #[test]
    fn to_binary_matches_to_f64_in_range() {
        let mut rng = Rng(321);
        for _ in 0..5000 {
            let n = 1 + rng.below(40) as usize;
            let s = format!("{}e{}", rng.digits(n), rng.range(-300, 290));
            let d = dec(&s);
            let Some((neg, m, e)) = d.to_binary() else {
                assert!(d.is_zero());
                continue;
            };
            assert!(!neg && (1.0..2.0).contains(&m), "{s}");
            let v = d.to_f64();
            if v.is_normal() {
                assert_eq!(v, m * 2f64.powi(e as i32), "{s}");
            }
        }
        assert_eq!(dec("-3").to_binary(), Some((true, 1.5, 1)));
        assert_eq!(dec("0").to_binary(), None);
    }

    /// Checks with exact integers that m * 2^e is the correctly rounded 53-bit
    /// value of the decimal.
    fn check_binary_oracle(d: &Decimal) {
        let (_, m, e) = d.to_binary().expect("non-zero");
        assert!((1.0..2.0).contains(&m));
        let mi = (m * 2f64.powi(52)) as u64;
        assert_eq!(mi as f64, m * 2f64.powi(52));
        let f = e - 52; // value = mi * 2^f
                        // Scale by S = 2^a * 10^b so that all quantities are integers.
        let a = (1 - f).max(0) as u32;
        let b = d.exp10.min(0).unsigned_abs() as u32;
        let k_plus = (d.exp10 + i64::from(b)) as u32;
        let x = (digits_biguint(d) * BigUint::from(10u32).pow(k_plus)) << a;
        let pow10b = BigUint::from(10u32).pow(b);
        let y = (BigUint::from(mi) * &pow10b) << ((f + i64::from(a)) as u32);
        let half = &pow10b << ((f - 1 + i64::from(a)) as u32);
        let (diff, x_below) = if x >= y {
            (&x - &y, false)
        } else {
            (&y - &x, true)
        };
        let tol = if mi == 1u64 << 52 && x_below {
            &half >> 1u32
        } else {
            half.clone()
        };
        assert!(
            diff < tol || (diff == tol && mi.is_multiple_of(2)),
            "{d}: m={m} e={e} not correctly rounded"
        );
    }

    #[test]
    fn to_binary_exact_far_out_of_range() {
        for s in [
            "1e-1000",
            "3.7e5000",
            "-4.0078E-50",
            "1e-100000",
            "1e100000",
            "9.999999e-77777",
        ] {
            check_binary_oracle(&dec(s));
        }
        // 1e-1000: independent estimate of the exponent.
        let (_, m, e) = dec("1e-1000").to_binary().expect("non-zero");
        assert_eq!(e, (-1000.0f64 * std::f64::consts::LOG2_10).floor() as i64);
        assert!((1.0..2.0).contains(&m));
        let mut rng = Rng(77);
        for i in 0..300 {
            let n = 1 + rng.below(if i % 10 == 0 { 400 } else { 30 }) as usize;
            let s = format!("{}e{}", rng.digits(n), rng.range(-3000, 3000));
            let d = dec(&s);
            if !d.is_zero() {
                check_binary_oracle(&d);
            }
        }
        // Exact halfway cases with huge exponents: (2^53 + 1) * 2^-3000 and
        // (2^53 + 3) * 2^2999 in decimal, and just above/below.
        for (odd, e2) in [(1u64 << 53 | 1, -3000i64), (1u64 << 53 | 3, 2999)] {
            let (digits, exp) = if e2 >= 0 {
                (BigUint::from(odd) << (e2 as u32), 0)
            } else {
                (
                    BigUint::from(odd) * BigUint::from(5u32).pow(e2.unsigned_abs() as u32),
                    e2,
                )
            };
            let d = dec(&format!("{digits}e{exp}"));
            check_binary_oracle(&d);
            let up = dec(&format!("{digits}000001e{}", exp - 6));
            check_binary_oracle(&up);
            let down = dec(&format!(
                "{}e{}",
                digits * BigUint::from(10u32).pow(6) - 1u32,
                exp - 6
            ));
            check_binary_oracle(&down);
            let m_tie = d.to_binary().expect("x").1;
            let m_up = up.to_binary().expect("x").1;
            let m_down = down.to_binary().expect("x").1;
            assert_eq!(
                ((m_tie * 2f64.powi(52)) as u64) % 2,
                0,
                "tie must round to even"
            );
            assert_eq!(m_up - m_down, 2f64.powi(-52), "neighbours of a tie");
            assert!(m_tie == m_up || m_tie == m_down);
        }
    }

    #[test]
    fn to_binary_huge_is_fast_and_sane() {
        within(std::time::Duration::from_secs(5), || {
            for s in [
                "1e-1000000000000",
                "7.5e999999999999",
                "1e-2305843009213693952",
            ] {
                let d = dec(s);
                let (_, m, e) = d.to_binary().expect("non-zero");
                let lf = d.log10_floor().expect("non-zero") as f64;
                let est = lf * std::f64::consts::LOG2_10;
                assert!((1.0..2.0).contains(&m));
                assert!(
                    (e as f64 - est).abs() < 4.0 + est.abs() * 1e-15,
                    "{s}: {e} vs {est}"
                );
            }
            let (_, m, e) = dec("1e-1000000000000").to_binary().expect("x");
            // log2(10^-1e12) = -3321928094887.362347870319429489390175864831393...
            assert_eq!(e, -3_321_928_094_888);
            let frac = 1.0 - 0.362_347_870_319_429_5_f64;
            assert!((m.log2() - frac).abs() < 1e-3, "{m}");
        });
    }

    #[test]
    fn approx_path_agrees_with_exact_path() {
        let mut rng = Rng(2024);
        for i in 0..400 {
            let n = 1 + rng.below(60) as usize;
            let digits: Vec<u8> = rng.digits(n).bytes().map(|b| b - b'0').collect();
            let Decimal { digits, exp10, .. } = Decimal::normalised(false, digits, 0);
            if digits.is_empty() {
                continue;
            }
            let k = if i % 50 == 0 {
                rng.range(-150_000, 150_000)
            } else {
                rng.range(-4000, 4000)
            };
            let exp = exp10 + k;
            let (q1, e1, s1) = exact_top64(&digits, exp);
            let (q2, e2, _) = approx_top64(&digits, exp);
            assert_eq!(
                round_to_53(q1, e1, s1),
                round_to_53(q2, e2, true),
                "{digits:?}e{exp}"
            );
        }
    }

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
            let (q, r) = nat::divrem(&u, &v);
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
                nat::pow5(k),
                limbs_from_biguint(&BigUint::from(5u32).pow(k as u32))
            );
        }
        for _ in 0..200 {
            let a: Vec<u64> = (0..rng.below(6)).map(|_| rng.next()).collect();
            let b: Vec<u64> = (0..rng.below(6)).map(|_| rng.next()).collect();
            let (ba, bb) = (biguint_from_limbs(&a), biguint_from_limbs(&b));
            assert_eq!(nat::mul(&a, &b), limbs_from_biguint(&(&ba * &bb)));
            let s = rng.below(200);
            assert_eq!(nat::shl(&a, s), limbs_from_biguint(&(&ba << s)));
            assert_eq!(nat::shr(&a, s), limbs_from_biguint(&(&ba >> s)));
            let ds = ba.to_string();
            let digits: Vec<u8> = ds.bytes().map(|c| c - b'0').collect();
            assert_eq!(nat::from_digits(&digits), limbs_from_biguint(&ba));
            let back: Vec<u8> = if a.iter().all(|&w| w == 0) {
                vec![]
            } else {
                digits
            };
            assert_eq!(nat::to_digits(&a), back);
        }
    }

    // ----- Fixed -----

    fn random_fixed(rng: &mut Rng, n: usize, top_bits: u32) -> Fixed {
        let mut mag: Vec<u64> = (0..=n)
            .map(|_| match rng.below(8) {
                0 => 0,
                1 => u64::MAX,
                _ => rng.next(),
            })
            .collect();
        mag[n] = if top_bits == 0 {
            0
        } else {
            rng.next() >> (64 - top_bits)
        };
        Fixed::from_mag(rng.below(2) == 0, mag)
    }

    fn fixed_from_bigint(v: &BigInt, n: usize) -> Fixed {
        let mut mag = limbs_from_biguint(v.magnitude());
        assert!(mag.len() <= n + 1);
        mag.resize(n + 1, 0);
        Fixed::from_mag(v.sign() == Sign::Minus, mag)
    }

    const LIMB_COUNTS: [usize; 7] = [0, 1, 2, 3, 5, 17, 60];

    #[test]
    fn fixed_add_sub_exact() {
        for_limb_counts(11, 300, |rng, n| {
            let a = random_fixed(rng, n, 61);
            let b = random_fixed(rng, n, 61);
            let (ba, bb) = (fixed_to_bigint(&a), fixed_to_bigint(&b));
            assert_eq!(a.add(&b), fixed_from_bigint(&(&ba + &bb), n));
            assert_eq!(a.sub(&b), fixed_from_bigint(&(&ba - &bb), n));
            assert_eq!(a.sub(&a), Fixed::zero(n));
            assert!(!a.sub(&a).negative);
            assert_eq!(a.neg().add(&a), Fixed::zero(n));
        });
    }

    #[test]
    fn fixed_mul_sqr_within_bound() {
        let mut rng = Rng(12);
        let mut inexact = 0;
        for &n in &LIMB_COUNTS {
            let fb = 64 * n as u32;
            for _ in 0..300 {
                let a = random_fixed(&mut rng, n, 30);
                let b = random_fixed(&mut rng, n, 31);
                for (got, exact) in [
                    (a.mul(&b), fixed_to_bigint(&a) * fixed_to_bigint(&b)),
                    (a.sqr(), fixed_to_bigint(&a) * fixed_to_bigint(&a)),
                ] {
                    let t = BigInt::from_biguint(exact.sign(), exact.magnitude() >> fb);
                    let g = fixed_to_bigint(&got);
                    // |got| is floor(|exact| / 2^fb) or one less, same sign.
                    let d = t.magnitude() - g.magnitude();
                    assert!(d <= BigUint::from(1u32), "n={n} off by {d}");
                    if d == BigUint::from(1u32) {
                        inexact += 1;
                        assert!(n > 2, "must be exact for n <= 2");
                    }
                    if g.magnitude() != &BigUint::from(0u32) {
                        assert_eq!(g.sign(), exact.sign());
                    }
                }
            }
        }
        // Worst cases for the omitted columns: all-ones fractions. With a zero
        // integer part the exact truncation of (1 - u)^2 is 1 - 2u, and the
        // omitted columns push the result one unit lower whenever columns are
        // omitted at all (n >= 4): the bound is attained.
        for &n in &LIMB_COUNTS {
            for int_part in [0u64, 1, 3] {
                let a = Fixed::from_mag(
                    false,
                    (0..=n)
                        .map(|i| if i == n { int_part } else { u64::MAX })
                        .collect(),
                );
                let exact = fixed_to_bigint(&a) * fixed_to_bigint(&a);
                let t = exact.magnitude() >> (64 * n as u32);
                for got in [a.sqr(), a.mul(&a)] {
                    let d = &t - fixed_to_bigint(&got).magnitude();
                    assert!(d <= BigUint::from(1u32), "n={n}");
                    if d == BigUint::from(1u32) {
                        inexact += 1;
                    }
                    if int_part == 0 && n >= 4 {
                        assert_eq!(d, BigUint::from(1u32), "n={n}: truncation not exercised");
                    }
                }
            }
        }
        assert!(inexact > 0);
    }

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

    #[test]
    #[should_panic(expected = "out of range")]
    fn fixed_mul_overflow_panics() {
        let a = Fixed::from_f64(4e9, 2).expect("fits");
        let _ = a.mul(&a);
    }

    #[test]
    fn fixed_conversions() {
        for_limb_counts(13, 500, |rng, n| {
            // from_f64 / to_f64 round trip when the bits fit
            let e = rng.range(-64 * n as i64 + 53, 61);
            let x = (rng.next() >> 11) as f64
                * 2f64.powi(e as i32 - 53)
                * if rng.below(2) == 0 { -1.0 } else { 1.0 };
            let f = Fixed::from_f64(x, n).expect("in range");
            assert_eq!(f.to_f64(), x);
            assert_eq!(Fixed::from_decimal(&Decimal::from_f64(x), n), Ok(f.clone()));
            // to_f64 correctly rounded: compare with std parse of the exact decimal.
            let top_bits = rng.below(62) as u32;
            let g = random_fixed(rng, n, top_bits);
            let exact = g.to_decimal_string(64 * n);
            let want: f64 = exact.parse().expect("std parse");
            assert_eq!(g.to_f64().to_bits(), want.to_bits(), "{exact}");
            // from_decimal of the exact string is exact.
            assert_eq!(Fixed::from_decimal(&dec(&exact), n), Ok(g));
        });
        // Truncation toward zero.
        let f = Fixed::from_decimal(&dec("-0.3"), 1).expect("fits");
        assert_eq!(f.mag, vec![0x4ccc_cccc_cccc_cccc, 0]);
        assert!(f.negative);
        let f = Fixed::from_f64(1.0 + 2f64.powi(-52), 0).expect("fits");
        assert_eq!(f, Fixed::from_f64(1.0, 0).expect("fits"));
        assert_eq!(Fixed::from_f64(-1e-30, 1).expect("fits"), Fixed::zero(1));
        // Tiny and subnormal results.
        let tiny = Fixed::from_decimal(&dec("1e-330"), 20).expect("fits");
        assert_eq!(tiny.to_f64(), "1e-330".parse::<f64>().expect("std"));
        assert_eq!(
            Fixed::from_decimal(&dec("1e-100000"), 60),
            Ok(Fixed::zero(60))
        );
        // Range limits.
        assert!(Fixed::from_decimal(&dec("4611686018427387904"), 2).is_err());
        assert!(Fixed::from_decimal(&dec("-4611686018427387903.99"), 2).is_ok());
        assert!(Fixed::from_decimal(&dec("1e19"), 2).is_err());
        assert!(Fixed::from_f64(f64::NAN, 2).is_err());
        assert!(Fixed::from_f64(-4_611_686_018_427_387_904.0, 2).is_err());
        assert!(Fixed::from_f64(f64::INFINITY, 2).is_err());
        // Display.
        let s = "-0.0494700290631040937516922267273536301187457124882248793181049402326421947726869034279915499747594190000000000000000000";
        let f = Fixed::from_decimal(&dec(s), 4).expect("fits");
        assert_eq!(f.to_decimal_string(20), "-0.04947002906310409375");
        assert_eq!(f.to_decimal_string(60), &s[..63]);
        assert_eq!(Fixed::zero(3).to_decimal_string(3), "0.000");
        assert_eq!(
            Fixed::from_f64(-12.5, 1).expect("x").to_decimal_string(0),
            "-12"
        );
    }

    /// `from_decimal` drops the digits below `10^-fb`: the result is still the exact truncation
    /// of all the digits (num-bigint from every digit), also just above and below a multiple of
    /// `2^-fb`, where a dropped digit could matter if the cut were any higher.
    #[test]
    fn fixed_from_decimal_with_digits_past_its_precision_is_exact() {
        let mut rng = Rng(23);
        for n in [0usize, 1, 2, 3, 5] {
            let fb = 64 * n;
            for _ in 0..200 {
                let top_bits = rng.below(8) as u32;
                let g = random_fixed(&mut rng, n, top_bits);
                // |g| * 10^fb: a multiple of 2^-fb written with fb decimals, as an integer.
                let on_grid = biguint_from_limbs(&g.mag) * BigUint::from(5u32).pow(fb as u32);
                let extra = [1u32, 2, 19, 60, 400][rng.below(5) as usize];
                let places = fb as u32 + extra;
                let base = on_grid * BigUint::from(10u32).pow(extra);
                let tail = BigUint::parse_bytes(rng.digits(extra as usize).as_bytes(), 10)
                    .expect("digits");
                for digits in [
                    base.clone(),
                    &base + 1u32,
                    &base + &tail,
                    if base.bits() > 0 {
                        &base - 1u32
                    } else {
                        base.clone()
                    },
                ] {
                    let mut text = format!("{digits:0>width$}", width = places as usize + 1);
                    text.insert(text.len() - places as usize, '.');
                    if g.negative {
                        text.insert(0, '-');
                    }
                    let want = (&digits << fb) / BigUint::from(10u32).pow(places);
                    let got = Fixed::from_decimal(&dec(&text), n).expect("fits");
                    assert_eq!(biguint_from_limbs(&got.mag), want, "{text} at {n} limbs");
                    assert_eq!(got.negative, g.negative && want.bits() > 0, "{text}");
                }
            }
        }
    }

    /// A million-digit coordinate converts quickly at the deepest precision (linear, not
    /// quadratic, in the digits) and equals the conversion of its first digits that matter.
    #[test]
    fn fixed_from_a_million_digits_is_fast_and_exact() {
        let mut rng = Rng(24);
        let text = format!("-1.{}", rng.digits(1_000_000));
        let x = dec(&text);
        for n in [2usize, 1025] {
            let cut = dec(&text[..3 + 64 * n]);
            let mut got = None;
            within(std::time::Duration::from_secs(10), || {
                got = Some(Fixed::from_decimal(&x, n).expect("fits"));
            });
            assert_eq!(got, Some(Fixed::from_decimal(&cut, n).expect("fits")));
        }
    }

    #[test]
    fn fixed_mul_pow2() {
        for_limb_counts(14, 200, |rng, n| {
            let a = random_fixed(rng, n, 20);
            let k = rng.range(-(64 * n as i64) - 70, 40);
            let ba = fixed_to_bigint(&a);
            let mag = if k >= 0 {
                ba.magnitude() << (k as u32)
            } else {
                ba.magnitude() >> (k.unsigned_abs() as u32)
            };
            let want = fixed_from_bigint(&BigInt::from_biguint(ba.sign(), mag), n);
            assert_eq!(a.mul_pow2(k), want);
        });
        assert_eq!(Fixed::zero(3).mul_pow2(1 << 60), Fixed::zero(3));
        assert_eq!(
            Fixed::from_f64(1.5, 2).expect("x").mul_pow2(-1 << 60),
            Fixed::zero(2)
        );
    }

    // ----- reference orbit -----

    /// Independent orbit: num-bigint fixed point with `fbits` fraction bits and
    /// exact products, stored values rounded via std's decimal parser.
    fn oracle_orbit(
        c_re: &Fixed,
        c_im: &Fixed,
        fbits: u32,
        iters: u64,
        escape: f64,
    ) -> Vec<Complex<f64>> {
        let cbits = 64 * c_re.frac_limbs() as u32;
        let cx = fixed_to_bigint(c_re) << (fbits - cbits);
        let cy = fixed_to_bigint(c_im) << (fbits - cbits);
        let pow5 = BigUint::from(5u32).pow(fbits);
        let to_f64 = |v: &BigInt| -> f64 {
            let sign = if v.sign() == Sign::Minus { "-" } else { "" };
            format!("{sign}{}e-{fbits}", v.magnitude() * &pow5)
                .parse()
                .expect("std parse")
        };
        let (mut x, mut y) = (BigInt::from(0), BigInt::from(0));
        let mut out = vec![Complex::new(0.0, 0.0)];
        for _ in 0..iters {
            let xx = &x * &x;
            let yy = &y * &y;
            let xy = &x * &y;
            x = ((xx - yy) >> fbits) + &cx;
            y = ((xy << 1u32) >> fbits) + &cy;
            let z = Complex::new(to_f64(&x), to_f64(&y));
            out.push(z);
            if z.norm_sqr() > escape {
                break;
            }
        }
        out
    }

    fn c_of(re: &str, im: &str, n: usize) -> (Fixed, Fixed) {
        (
            Fixed::from_decimal(&dec(re), n).expect("fits"),
            Fixed::from_decimal(&dec(im), n).expect("fits"),
        )
    }

    #[test]
    fn orbit_matches_oracle_stable() {
        for (n, iters) in [(3usize, 2000u64), (40, 300), (1, 500), (12, 300)] {
            let (cr, ci) = c_of("-0.1", "0.2", n);
            let got = reference_orbit(&cr, &ci, iters, 4.0, &mut |_| {});
            let want = oracle_orbit(&cr, &ci, 64 * (n as u32 + 4), iters, 4.0);
            assert_eq!(got.len(), iters as usize + 1);
            assert_eq!(got, want, "n={n}");
        }
    }

    #[test]
    fn orbit_matches_oracle_chaotic_prefix() {
        // Near the tip of the antenna the orbit is chaotic: compare a prefix.
        for n in [2usize, 8, 20] {
            let (cr, ci) = c_of("-1.77", "0.01", n);
            let got = reference_orbit(&cr, &ci, 50, 1e6, &mut |_| {});
            let want = oracle_orbit(&cr, &ci, 64 * (n as u32 + 4), 50, 1e6);
            assert_eq!(got, want, "n={n}");
        }
        let (cr, ci) = c_of("-0.75", "0.1", 3);
        let got = reference_orbit(&cr, &ci, 1000, 4.0, &mut |_| {});
        let want = oracle_orbit(&cr, &ci, 64 * 8, 1000, 4.0);
        assert_eq!(got.len(), 34, "escapes at 33");
        assert_eq!(got, want);
    }

    /// Plain f64 iteration (escape index, last value).
    fn f64_escape(c: Complex<f64>, max_iter: usize) -> (usize, Complex<f64>) {
        let mut z = Complex::new(0.0f64, 0.0);
        let mut m = 0;
        while z.norm_sqr() <= 4.0 && m < max_iter {
            z = z * z + c;
            m += 1;
        }
        (m, z)
    }

    #[test]
    fn orbit_escape_matches_f64() {
        // (The brief's 0.3+0.5i lies inside the set: it never escapes, in
        // either arithmetic; checked as well.)
        for (re, im, escapes) in [
            ("0.35", "0.5", true),
            ("0.3", "0.6", true),
            ("-0.75", "0.1", true),
            ("0.3", "0.5", false),
        ] {
            let (cr, ci) = c_of(re, im, 2);
            let got = reference_orbit(&cr, &ci, 10_000, 4.0, &mut |_| {});
            let c = Complex::new(dec(re).to_f64(), dec(im).to_f64());
            let (m, z) = f64_escape(c, 10_000);
            assert_eq!(m < 10_000, escapes, "{re}+{im}i");
            assert_eq!(got.len(), m + 1, "{re}+{im}i");
            if escapes {
                assert!(got[m].norm_sqr() > 4.0 && got[m - 1].norm_sqr() <= 4.0);
                assert!((got[m] - z).norm() < 1e-6);
            }
            assert_eq!(got[0], Complex::new(0.0, 0.0));
            assert_eq!(got[1], c);
        }
    }

    #[test]
    fn orbit_edge_cases() {
        let (cr, ci) = c_of("0.35", "0.5", 2);
        assert_eq!(
            reference_orbit(&cr, &ci, 0, 4.0, &mut |_| {}),
            vec![Complex::new(0.0, 0.0)]
        );
        assert_eq!(reference_orbit(&cr, &ci, 10, -1.0, &mut |_| {}).len(), 1);
        // Huge escape norm: continues in f64 beyond the fixed range, then escapes.
        let big = reference_orbit(&cr, &ci, 10_000, 1e300, &mut |_| {});
        let small = reference_orbit(&cr, &ci, 10_000, 4.0, &mut |_| {});
        assert_eq!(big[..small.len()], small[..]);
        assert!(big.len() > small.len() && big.len() < 100);
        assert!(big[big.len() - 1].norm_sqr() > 1e300);
        assert!(big[big.len() - 2].norm_sqr() <= 1e300);
        // Infinite escape norm stops at the first non-finite norm.
        let inf = reference_orbit(&cr, &ci, 10_000, f64::INFINITY, &mut |_| {});
        assert!(inf.len() < 100);
        // frac_limbs = 0 works (integer-only c).
        let (cr, ci) = c_of("-1", "0", 0);
        let o = reference_orbit(&cr, &ci, 5, 4.0, &mut |_| {});
        assert_eq!(
            o.iter().map(|z| z.re).collect::<Vec<_>>(),
            [0.0, -1.0, 0.0, -1.0, 0.0, -1.0]
        );
        // Escape at the very first step, in fixed point.
        let (cr, ci) = c_of("3", "-0.5", 2);
        let o = reference_orbit(&cr, &ci, 100, 4.0, &mut |_| {});
        assert_eq!(o, vec![Complex::new(0.0, 0.0), Complex::new(3.0, -0.5)]);
        // Huge c: f64 only.
        let (cr, ci) = c_of("3e18", "1", 1);
        let o = reference_orbit(&cr, &ci, 5, 4.0, &mut |_| {});
        assert_eq!(o, vec![Complex::new(0.0, 0.0), Complex::new(3e18, 1.0)]);
    }

    #[test]
    fn orbit_array_and_vec_paths_agree() {
        for n in [1usize, 4, 8] {
            let (cr, ci) = c_of("-0.7436438870371587", "0.1318259042053119", n);
            let got = reference_orbit(&cr, &ci, 3000, 4.0, &mut |_| {});
            let mut out = vec![Complex::new(0.0, 0.0)];
            orbit_fixed(
                &mut out,
                vec![0u64; n + 1],
                cr.to_twos_complement(),
                ci.to_twos_complement(),
                3000,
                4.0,
                &mut |_| {},
            );
            assert_eq!(got, out, "n={n}");
        }
    }

    #[test]
    fn orbit_progress_does_not_change_result() {
        let (cr, ci) = c_of("-0.1", "0.2", 2);
        let mut calls = Vec::new();
        let a = reference_orbit(&cr, &ci, 200_000, 4.0, &mut |n| calls.push(n));
        let b = reference_orbit(&cr, &ci, 200_000, 4.0, &mut |_| {});
        assert_eq!(a, b);
        assert_eq!(a.len(), 200_001);
        assert_eq!(calls, vec![65_536, 131_072, 196_608]);
    }

    #[test]
    #[should_panic(expected = "different precisions")]
    fn orbit_rejects_mixed_precision() {
        let _ = reference_orbit(&Fixed::zero(2), &Fixed::zero(3), 10, 4.0, &mut |_| {});
    }
}
