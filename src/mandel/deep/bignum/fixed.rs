//! [`Fixed`]: a signed fixed-point number with `64 * frac_limbs` fraction bits, the reference's
//! arithmetic (exact sums, truncated products) and its conversions from decimals and `f64`.

use std::cmp::Ordering;

use super::decimal::Decimal;
use super::limbs::{mag_add, mag_sub, mag_to_f64, mul_trunc, negate_in_place, sqr_trunc};
use super::natural;
use super::rounding::split_f64;

/// A signed fixed-point number: value = mantissa / 2^(64 * frac_limbs), |value| < 2^63.
///
/// Sign-magnitude: `frac_limbs + 1` little-endian `u64` limbs, the top one the
/// integer part. Zero is never negative, so `==` compares values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fixed {
    pub(in crate::mandel::deep) negative: bool,
    pub(in crate::mandel::deep) mag: Vec<u64>,
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

    pub(super) fn from_mag(negative: bool, mag: Vec<u64>) -> Fixed {
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
    /// Linear in the digits: those below `10^-(64 frac_limbs)` cannot change the result and are
    /// not read, so a coordinate of millions of digits converts in milliseconds.
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
        let d = natural::from_digits(digits);
        let v = if exp10 >= 0 {
            natural::shl(&natural::mul(&d, &natural::pow10(exp10 as u64)), fb)
        } else {
            natural::divrem(&natural::shl(&d, fb), &natural::pow10(exp10.unsigned_abs())).0
        };
        if natural::bit_len(&v) > fb + 62 {
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
            natural::shl(&[m], shift as u64)
        } else {
            natural::shr(&[m], shift.unsigned_abs())
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
        let bl = natural::bit_len(&self.mag);
        if bl == 0 {
            return self.clone();
        }
        let v = if k >= 0 {
            let limit = 64 * self.frac_limbs() as u64 + 63;
            assert!(
                (k as u64) <= limit - bl,
                "Fixed::mul_pow2: result out of range (|value| >= 2^63)"
            );
            natural::shl(&self.mag, k as u64)
        } else {
            natural::shr(&self.mag, k.unsigned_abs())
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
    pub(in crate::mandel::deep) fn to_twos_complement(&self) -> Vec<u64> {
        let mut v = self.mag.clone();
        if self.negative {
            negate_in_place(&mut v);
        }
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mandel::deep::bignum::test_support::{
        biguint_from_limbs, limbs_from_biguint, within, Rng,
    };
    use num_bigint::{BigInt, BigUint, Sign};

    fn dec(s: &str) -> Decimal {
        s.parse().unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    fn fixed_to_bigint(f: &Fixed) -> BigInt {
        let sign = if f.negative { Sign::Minus } else { Sign::Plus };
        BigInt::from_biguint(sign, biguint_from_limbs(&f.mag))
    }

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

    /// `f(rng, n)` `cases` times for every limb count `n` of [`LIMB_COUNTS`], from one seed.
    fn for_limb_counts(seed: u64, cases: usize, mut f: impl FnMut(&mut Rng, usize)) {
        let mut rng = Rng(seed);
        for &n in &LIMB_COUNTS {
            for _ in 0..cases {
                f(&mut rng, n);
            }
        }
    }

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
}
