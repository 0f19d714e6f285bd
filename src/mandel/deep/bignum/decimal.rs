//! [`Decimal`]: a decimal number exactly as written, of any length, and its correctly rounded
//! conversions to binary (an `f64`, or a mantissa and an unbounded exponent).

use std::fmt;
use std::str::FromStr;

use super::natural;
use super::rounding::{round_to_53, round_to_f64, split_f64};

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
    pub(super) negative: bool,
    /// Decimal digits 0..=9, most significant first; empty means zero.
    pub(super) digits: Vec<u8>,
    pub(super) exp10: i64,
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
            (natural::shl(&[m], e as u64), 0)
        } else {
            // m * 2^e = m * 5^-e * 10^e
            (natural::mul(&[m], &natural::pow5(e.unsigned_abs())), e)
        };
        Decimal::normalised(negative, natural::to_digits(&n), exp10)
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

/// `(q, e2, sticky)` (see [`natural::top64`]) of `digits * 10^exp10` (non-zero), exactly.
fn exact_top64(digits: &[u8], exp10: i64) -> (u64, i64, bool) {
    let d = natural::from_digits(digits);
    if exp10 >= 0 {
        let k = exp10 as u64;
        let n = natural::mul(&d, &natural::pow5(k));
        let (q, e2, sticky) = natural::top64(&n).expect("non-zero");
        (q, e2 + exp10, sticky)
    } else {
        // d * 10^-k = d * 2^s / 5^k * 2^(-s-k), s chosen for a >= 64-bit quotient.
        let k = exp10.unsigned_abs();
        let p = natural::pow5(k);
        let s = (64 + natural::bit_len(&p) as i64 - natural::bit_len(&d) as i64).max(0);
        let num = natural::shl(&d, s as u64);
        let (quot, rem) = natural::divrem(&num, &p);
        let (q, e2, sticky) = natural::top64(&quot).expect("quotient has >= 64 bits");
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
        let n = natural::mul(&dv, &u128_limbs(pm));
        let (q, e2, _) = natural::top64(&n).expect("non-zero");
        (q, e2 + pe as i64, true)
    } else {
        let num = natural::shl(&dv, 192);
        let (quot, _) = natural::divrem(&num, &u128_limbs(pm));
        let (q, e2, _) = natural::top64(&quot).expect("quotient has >= 64 bits");
        (q, e2 - 192 - pe as i64, true)
    }
}

fn u128_limbs(x: u128) -> Vec<u64> {
    let mut v = vec![x as u64, (x >> 64) as u64];
    natural::trim(&mut v);
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mandel::deep::bignum::test_support::{within, Rng};
    use num_bigint::BigUint;

    fn dec(s: &str) -> Decimal {
        s.parse().unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    fn parts(d: &Decimal) -> (bool, String, i64) {
        let digits = d.digits.iter().map(|&x| char::from(b'0' + x)).collect();
        (d.negative, digits, d.exp10)
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
}
