//! Numbers past f64's exponent range: an f64 mantissa with a separate `i32` binary exponent.
//!
//! Beyond about 1e-300 the differences between neighbouring pixels underflow f64, so the
//! perturbation kernel carries them as [`Fe`] (real) and [`Cfe`] (complex, one exponent shared
//! by both parts, as the parts of a pixel delta are of the same size). Every operation is a few
//! IEEE operations plus exact exponent arithmetic: the same bits on every machine.

/// Exponent given to zero, far below any real value's, so sums keep the other term.
const ZERO_EXP: i32 = i32::MIN / 4;

/// `2^k` for `k` in the normal range `[-1022, 1023]`, built from its bits.
#[inline]
fn pow2(k: i32) -> f64 {
    debug_assert!((-1022..=1023).contains(&k));
    f64::from_bits(((k + 1023) as u64) << 52)
}

/// `x * 2^k` for any `k`: exact unless the result leaves f64's range.
#[inline]
pub fn ldexp(x: f64, k: i32) -> f64 {
    if (-1022..=1023).contains(&k) {
        x * pow2(k)
    } else if k > 1023 {
        if k > 2046 {
            x * f64::INFINITY
        } else {
            x * pow2(1023) * pow2(k - 1023)
        }
    } else if k < -2100 {
        x * 0.0
    } else {
        // Two steps, the second into the subnormals: rounded once, there.
        let k1 = k.max(-1022);
        x * pow2(k1) * pow2((k - k1).max(-1022))
    }
}

/// The binary exponent of a finite non-zero normal `x` (`floor(log2 |x|)`).
#[inline]
fn exponent(x: f64) -> i32 {
    (((x.to_bits() >> 52) & 0x7ff) as i32) - 1023
}

/// A real number `m * 2^e` with `1 <= |m| < 2`, or zero.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Fe {
    m: f64,
    e: i32,
}

impl Fe {
    /// Zero.
    pub const ZERO: Fe = Fe {
        m: 0.0,
        e: ZERO_EXP,
    };

    /// `m * 2^e`, normalised.
    #[inline]
    pub fn new(m: f64, e: i32) -> Fe {
        if m == 0.0 || !m.is_finite() {
            return Fe {
                m: if m.is_finite() { 0.0 } else { m },
                e: if m.is_finite() { ZERO_EXP } else { 0 },
            };
        }
        let (m, k) = if m.abs() < f64::MIN_POSITIVE {
            // Subnormal: scale up first so the exponent field is meaningful.
            let s = m * pow2(600);
            (s, -600)
        } else {
            (m, 0)
        };
        let x = exponent(m);
        Fe {
            m: m * pow2(-x),
            e: e.saturating_add(x + k),
        }
    }

    /// The value of an f64.
    #[inline]
    pub fn from_f64(x: f64) -> Fe {
        Fe::new(x, 0)
    }

    /// The nearest f64 (0 or a subnormal below its range, infinite above).
    #[inline]
    pub fn to_f64(self) -> f64 {
        ldexp(self.m, self.e)
    }

    /// The mantissa, in `[1, 2)` in magnitude (0 for zero).
    pub fn mantissa(self) -> f64 {
        self.m
    }

    /// The binary exponent (meaningless for zero).
    pub fn exp(self) -> i32 {
        self.e
    }

    /// Whether this is zero.
    pub fn is_zero(self) -> bool {
        self.m == 0.0
    }

    /// `log2 |x|`, approximately (for choosing precisions and kernels); `-inf` for zero.
    pub fn log2_abs(self) -> f64 {
        if self.m == 0.0 {
            f64::NEG_INFINITY
        } else {
            f64::from(self.e) + self.m.abs().log2()
        }
    }

    /// Scientific notation with `digits` after the point (`4.0078e-1000`), for reports.
    pub fn to_sci_string(self, digits: usize) -> String {
        if self.m == 0.0 {
            return "0".into();
        }
        let l = self.m.abs().log10() + f64::from(self.e) * std::f64::consts::LOG10_2;
        let mut k = l.floor();
        let mut mant = 10f64.powf(l - k);
        if format!("{mant:.digits$}").starts_with("10") {
            mant /= 10.0;
            k += 1.0;
        }
        let sign = if self.m < 0.0 { "-" } else { "" };
        format!("{sign}{mant:.digits$}e{k}")
    }

    /// Product.
    #[inline]
    #[allow(clippy::should_implement_trait)]
    pub fn mul(self, o: Fe) -> Fe {
        Fe::new(self.m * o.m, self.e.saturating_add(o.e))
    }

    /// Quotient (`o` non-zero).
    #[inline]
    #[allow(clippy::should_implement_trait)]
    pub fn div(self, o: Fe) -> Fe {
        Fe::new(self.m / o.m, self.e.saturating_sub(o.e))
    }

    /// Sum.
    #[inline]
    #[allow(clippy::should_implement_trait)]
    pub fn add(self, o: Fe) -> Fe {
        if self.m == 0.0 {
            return o;
        }
        if o.m == 0.0 {
            return self;
        }
        let (big, small) = if self.e >= o.e { (self, o) } else { (o, self) };
        let d = big.e - small.e;
        if d > 60 {
            return big;
        }
        Fe::new(big.m + small.m * pow2(-d), big.e)
    }

    /// Difference.
    #[inline]
    #[allow(clippy::should_implement_trait)]
    pub fn sub(self, o: Fe) -> Fe {
        self.add(Fe { m: -o.m, e: o.e })
    }

    /// The square root of a non-negative value.
    pub fn sqrt(self) -> Fe {
        if self.m == 0.0 {
            return Fe::ZERO;
        }
        let odd = self.e.rem_euclid(2);
        Fe::new((self.m * f64::from(1 + odd)).sqrt(), (self.e - odd) / 2)
    }

    /// `max(self, 0)`.
    pub fn max_zero(self) -> Fe {
        if self.m < 0.0 {
            Fe::ZERO
        } else {
            self
        }
    }

    /// `self < o` for values of any sign.
    #[inline]
    pub fn lt(self, o: Fe) -> bool {
        match (self.m < 0.0, o.m < 0.0) {
            (false, true) => false,
            (true, false) => true,
            (false, false) => {
                if self.m == 0.0 || o.m == 0.0 {
                    return self.m < o.m;
                }
                self.e < o.e || (self.e == o.e && self.m < o.m)
            }
            (true, true) => o.neg().lt(self.neg()),
        }
    }

    /// The smaller of two values.
    pub fn min(self, o: Fe) -> Fe {
        if o.lt(self) {
            o
        } else {
            self
        }
    }

    /// Negation.
    #[allow(clippy::should_implement_trait)]
    pub fn neg(self) -> Fe {
        Fe {
            m: -self.m,
            e: self.e,
        }
    }
}

/// A complex number `(re + i im) * 2^e` with `1 <= max(|re|, |im|) < 2`, or zero.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Cfe {
    re: f64,
    im: f64,
    e: i32,
}

impl Cfe {
    /// Zero.
    pub const ZERO: Cfe = Cfe {
        re: 0.0,
        im: 0.0,
        e: ZERO_EXP,
    };

    /// `(re + i im) * 2^e`, normalised.
    #[inline]
    pub fn new(re: f64, im: f64, e: i32) -> Cfe {
        let big = re.abs().max(im.abs());
        if big == 0.0 || !big.is_finite() {
            return if big == 0.0 {
                Cfe::ZERO
            } else {
                Cfe { re, im, e: 0 }
            };
        }
        let (re, im, k) = if big < f64::MIN_POSITIVE {
            (re * pow2(600), im * pow2(600), -600)
        } else {
            (re, im, 0)
        };
        let x = exponent(re.abs().max(im.abs()));
        let s = pow2(-x);
        Cfe {
            re: re * s,
            im: im * s,
            e: e.saturating_add(x + k),
        }
    }

    /// The value of two f64s.
    pub fn from_f64(re: f64, im: f64) -> Cfe {
        Cfe::new(re, im, 0)
    }

    /// From a real and an imaginary part of any exponents.
    pub fn from_parts(re: Fe, im: Fe) -> Cfe {
        let e = if re.is_zero() {
            im.e
        } else if im.is_zero() {
            re.e
        } else {
            re.e.max(im.e)
        };
        if re.is_zero() && im.is_zero() {
            return Cfe::ZERO;
        }
        Cfe::new(ldexp(re.m, re.e - e), ldexp(im.m, im.e - e), e)
    }

    /// The nearest pair of f64s.
    #[inline]
    pub fn to_f64(self) -> (f64, f64) {
        (ldexp(self.re, self.e), ldexp(self.im, self.e))
    }

    /// The binary exponent (`floor(log2 max(|re|, |im|))`; very negative for zero).
    #[inline]
    pub fn exp(self) -> i32 {
        self.e
    }

    /// Whether this is zero.
    pub fn is_zero(self) -> bool {
        self.re == 0.0 && self.im == 0.0
    }

    /// Product.
    #[inline]
    #[allow(clippy::should_implement_trait)]
    pub fn mul(self, o: Cfe) -> Cfe {
        Cfe::new(
            self.re * o.re - self.im * o.im,
            self.re * o.im + self.im * o.re,
            self.e.saturating_add(o.e),
        )
    }

    /// Product with a real number.
    #[inline]
    pub fn scale(self, k: Fe) -> Cfe {
        Cfe::new(self.re * k.m, self.im * k.m, self.e.saturating_add(k.e))
    }

    /// Square.
    #[inline]
    pub fn sqr(self) -> Cfe {
        Cfe::new(
            (self.re + self.im) * (self.re - self.im),
            2.0 * self.re * self.im,
            self.e.saturating_mul(2),
        )
    }

    /// Sum.
    #[inline]
    #[allow(clippy::should_implement_trait)]
    pub fn add(self, o: Cfe) -> Cfe {
        if self.is_zero() {
            return o;
        }
        if o.is_zero() {
            return self;
        }
        let (big, small) = if self.e >= o.e { (self, o) } else { (o, self) };
        let d = big.e - small.e;
        if d > 1100 {
            return big;
        }
        let s = ldexp(1.0, -d);
        Cfe::new(big.re + small.re * s, big.im + small.im * s, big.e)
    }

    /// `|x|^2`.
    #[inline]
    pub fn norm_sqr(self) -> Fe {
        Fe::new(
            self.re * self.re + self.im * self.im,
            self.e.saturating_mul(2),
        )
    }

    /// `|x|`.
    pub fn norm(self) -> Fe {
        self.norm_sqr().sqrt()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn real_values_round_trip_and_normalise() {
        for x in [1.0, -3.5, 1e-300, 2.5e-320, 1e300, 0.1] {
            let f = Fe::from_f64(x);
            assert_eq!(f.to_f64(), x, "{x}");
            assert!(f.mantissa().abs() >= 1.0 && f.mantissa().abs() < 2.0);
        }
        assert!(Fe::from_f64(0.0).is_zero());
        let tiny = Fe::new(1.5, -5000);
        assert_eq!(tiny.to_f64(), 0.0);
        assert_eq!(tiny.exp(), -5000);
        assert!((tiny.log2_abs() - (-5000.0 + 1.5f64.log2())).abs() < 1e-12);
    }

    #[test]
    fn real_arithmetic_far_past_f64() {
        let a = Fe::new(1.5, -4000);
        let b = Fe::new(1.25, -4001);
        let s = a.add(b);
        assert_eq!((s.mantissa(), s.exp()), (1.0625, -3999));
        let p = a.mul(b);
        assert_eq!((p.mantissa(), p.exp()), (1.875, -8001));
        assert_eq!(a.div(a).to_f64(), 1.0);
        assert_eq!(a.sub(a).to_f64(), 0.0);
        assert_eq!(Fe::new(1.0, -3000).sqrt().exp(), -1500);
        assert_eq!(Fe::new(2.0, -3001).sqrt().to_f64(), 0.0);
        assert!(
            (Fe::new(1.0, -3001).sqrt().mul(Fe::new(1.0, 1500)).to_f64()
                - std::f64::consts::FRAC_1_SQRT_2)
                .abs()
                < 1e-15
        );
        assert!(Fe::new(1.0, -3000).lt(Fe::new(1.0, -2999)));
        assert!(Fe::new(-1.0, -2999).lt(Fe::new(-1.0, -3000)));
        assert!(Fe::ZERO.lt(Fe::new(1.0, -3000)));
        assert!(Fe::new(-1.0, 5).lt(Fe::ZERO));
        assert_eq!(Fe::new(-1.0, 5).max_zero(), Fe::ZERO);
    }

    #[test]
    fn complex_arithmetic_matches_f64_where_f64_suffices() {
        let a = (0.3, -1.7);
        let b = (-2.25, 0.125);
        let (ca, cb) = (Cfe::from_f64(a.0, a.1), Cfe::from_f64(b.0, b.1));
        let p = ca.mul(cb).to_f64();
        assert!((p.0 - (a.0 * b.0 - a.1 * b.1)).abs() < 1e-15);
        assert!((p.1 - (a.0 * b.1 + a.1 * b.0)).abs() < 1e-15);
        let s = ca.add(cb).to_f64();
        assert_eq!(s, (a.0 + b.0, a.1 + b.1));
        let q = ca.sqr().to_f64();
        assert!((q.0 - (a.0 * a.0 - a.1 * a.1)).abs() < 1e-15);
        assert!((q.1 - 2.0 * a.0 * a.1).abs() < 1e-15);
        assert!((ca.norm_sqr().to_f64() - (a.0 * a.0 + a.1 * a.1)).abs() < 1e-15);
    }

    #[test]
    fn complex_values_keep_their_digits_below_f64() {
        // Scale by 2^-3000 and back: the same as the f64 computation.
        let k = Fe::new(1.0, -3000);
        let a = Cfe::from_f64(0.3, -1.7).scale(k);
        let b = Cfe::from_f64(-2.25, 0.125).scale(k);
        assert_eq!(a.to_f64(), (0.0, 0.0));
        let back = a.add(b).scale(Fe::new(1.0, 3000)).to_f64();
        assert_eq!(back, (0.3 - 2.25, -1.7 + 0.125));
        let p = a.mul(b).scale(Fe::new(1.0, 6000)).to_f64();
        assert!((p.0 - (0.3 * -2.25 - -1.7 * 0.125)).abs() < 1e-15);
        let parts = Cfe::from_parts(Fe::new(1.0, -3000), Fe::new(-1.5, -3002));
        let back = parts.scale(Fe::new(1.0, 3000)).to_f64();
        assert_eq!(back, (1.0, -0.375));
        assert!(Cfe::ZERO.add(a) == a && a.add(Cfe::ZERO) == a);
    }

    #[test]
    fn scientific_text_past_f64() {
        assert_eq!(Fe::from_f64(4.0078e-50).to_sci_string(4), "4.0078e-50");
        assert_eq!(Fe::from_f64(-1234.5).to_sci_string(2), "-1.23e3");
        assert_eq!(Fe::new(1.0, -3322).to_sci_string(3), "9.514e-1001");
        assert_eq!(Fe::ZERO.to_sci_string(3), "0");
    }

    #[test]
    fn ldexp_reaches_subnormals_and_infinity() {
        assert_eq!(ldexp(1.0, -1074), 5e-324);
        assert_eq!(ldexp(1.0, -1075), 0.0);
        assert_eq!(ldexp(1.5, 1023), 1.5 * 2f64.powi(1023));
        assert_eq!(ldexp(1.0, 1024), f64::INFINITY);
        assert_eq!(ldexp(3.0, -1), 1.5);
    }
}
