//! Rounding a binary fraction with a sticky bit to `f64` (bounded exponent) or to 53 bits
//! (unbounded exponent), and splitting an `f64` into its integer mantissa and exponent.

/// Rounds `(-1)^negative * (q + d) * 2^e2` to the nearest `f64`, ties to even,
/// where `q >= 2^63`, `0 <= d < 1` and `sticky == (d != 0)`. Handles
/// overflow to infinity, subnormals and underflow to (signed) zero.
pub(super) fn round_to_f64(negative: bool, q: u64, e2: i64, sticky: bool) -> f64 {
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
pub(super) fn round_to_53(q: u64, e2: i64, sticky: bool) -> (f64, i64) {
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
pub(super) fn split_f64(x: f64) -> (bool, u64, i64) {
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
