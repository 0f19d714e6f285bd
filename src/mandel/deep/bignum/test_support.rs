//! Test helpers shared by the big-number and orbit tests: a deterministic generator, a time
//! limit, and conversions to and from num-bigint, the independent oracle.

use num_bigint::BigUint;

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

pub(crate) fn biguint_from_limbs(v: &[u64]) -> BigUint {
    v.iter().rev().fold(BigUint::from(0u32), |acc, &w| {
        (acc << 64u32) + BigUint::from(w)
    })
}

pub(crate) fn limbs_from_biguint(v: &BigUint) -> Vec<u64> {
    let mut r = v.to_u64_digits();
    while r.last() == Some(&0) {
        r.pop();
    }
    r
}
