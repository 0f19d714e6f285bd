//! Test helpers shared by the big-number and orbit tests: a deterministic generator, a time
//! limit, and conversions to and from num-bigint, the independent oracle.

use num_bigint::{BigInt, BigUint, Sign};

use super::decimal::Decimal;
use super::fixed::Fixed;
use super::natural;

/// xorshift64* generator, deterministic.
pub(crate) struct Rng(pub(crate) u64);
impl Rng {
    pub(crate) fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    pub(crate) fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    pub(crate) fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + self.below((hi - lo + 1) as u64) as i64
    }
    pub(crate) fn digits(&mut self, n: usize) -> String {
        (0..n)
            .map(|_| char::from(b'0' + self.below(10) as u8))
            .collect()
    }
    /// `n` digits, with a point somewhere in half the cases and a minus in half.
    pub(crate) fn signed_digits(&mut self, n: usize) -> String {
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
pub(crate) fn within(limit: std::time::Duration, f: impl FnOnce()) {
    let t = std::time::Instant::now();
    f();
    assert!(t.elapsed() < limit, "{:?} > {limit:?}", t.elapsed());
}

/// `f(rng, n)` `cases` times for every limb count `n` of [`LIMB_COUNTS`], from one seed.
pub(crate) fn for_limb_counts(seed: u64, cases: usize, mut f: impl FnMut(&mut Rng, usize)) {
    let mut rng = Rng(seed);
    for &n in &LIMB_COUNTS {
        for _ in 0..cases {
            f(&mut rng, n);
        }
    }
}

pub(crate) fn dec(s: &str) -> Decimal {
    s.parse().unwrap_or_else(|e| panic!("{s}: {e}"))
}

pub(crate) fn parts(d: &Decimal) -> (bool, String, i64) {
    let digits = d.digits.iter().map(|&x| char::from(b'0' + x)).collect();
    (d.negative, digits, d.exp10)
}

pub(crate) fn biguint_from_limbs(v: &[u64]) -> BigUint {
    v.iter().rev().fold(BigUint::from(0u32), |acc, &w| {
        (acc << 64u32) + BigUint::from(w)
    })
}

pub(crate) fn limbs_from_biguint(v: &BigUint) -> Vec<u64> {
    let mut r = v.to_u64_digits();
    natural::trim(&mut r);
    r
}

pub(crate) fn fixed_to_bigint(f: &Fixed) -> BigInt {
    let sign = if f.negative { Sign::Minus } else { Sign::Plus };
    BigInt::from_biguint(sign, biguint_from_limbs(&f.mag))
}

pub(crate) fn digits_biguint(d: &Decimal) -> BigUint {
    let s: String = d.digits.iter().map(|&x| char::from(b'0' + x)).collect();
    BigUint::parse_bytes(s.as_bytes(), 10).expect("digits")
}

pub(crate) fn random_fixed(rng: &mut Rng, n: usize, top_bits: u32) -> Fixed {
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

pub(crate) fn fixed_from_bigint(v: &BigInt, n: usize) -> Fixed {
    let mut mag = limbs_from_biguint(v.magnitude());
    assert!(mag.len() <= n + 1);
    mag.resize(n + 1, 0);
    Fixed::from_mag(v.sign() == Sign::Minus, mag)
}

pub(crate) const LIMB_COUNTS: [usize; 7] = [0, 1, 2, 3, 5, 17, 60];
