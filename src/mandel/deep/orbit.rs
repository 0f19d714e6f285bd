//! The reference orbit `Z -> Z^2 + c` in fixed point, each `Z_n` stored rounded to `f64`:
//! array-specialised loops for small limb counts, plain `f64` past the fixed range.

use num_complex::Complex;

use super::bignum::fixed::Fixed;
use super::bignum::limbs::{abs_into, mag_to_f64, sqr_rows, sqr_trunc, MAX_SMALL_LIMBS};

/// While `|Z|^2` (in f64) is at most this, `Z^2 + c` cannot leave the fixed
/// range: `|Z|^2 < 2^60`, so `|x+y|^2 < 2^62`, and `|c| < 2^61`.
const FIXED_NORM_LIMIT: f64 = 576_460_752_303_423_488.0; // 2^59
/// Orbits with `|c_re|` or `|c_im|` from `2^61` on are computed in f64 only.
const FIXED_C_LIMIT: u64 = 1 << 61;
/// Progress is reported after every multiple of this many iterations.
const PROGRESS_INTERVAL: u64 = 1 << 16;

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mandel::deep::bignum::decimal::Decimal;
    use crate::mandel::deep::bignum::test_support::biguint_from_limbs;
    use num_bigint::{BigInt, BigUint, Sign};

    fn dec(s: &str) -> Decimal {
        s.parse().unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    fn fixed_to_bigint(f: &Fixed) -> BigInt {
        let sign = if f.negative { Sign::Minus } else { Sign::Plus };
        BigInt::from_biguint(sign, biguint_from_limbs(&f.mag))
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
