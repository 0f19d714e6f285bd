//! Decimal numbers to `f64`, quickly for the short plain decimals city files hold.
//!
//! Clinger's fast path (W. D. Clinger, "How to read floating point numbers accurately", PLDI
//! 1990; also the first step of Rust's own `dec2flt`): a decimal `±m / 10^s` with integer `m`
//! below 2^53 and `s <= 22` is `m as f64 / 10^s as f64` exactly rounded, because both operands
//! are exact in `f64` and IEEE division rounds correctly. So the result is the correctly rounded
//! value, the same bits `str::parse` gives; any other text (exponents, long mantissas, `inf`,
//! `nan`, errors) goes to `str::parse` itself, which therefore also decides what is a number.

use std::num::ParseFloatError;

/// 10^0 to 10^22: the powers of ten that `f64` holds exactly.
const EXACT_POWERS_OF_TEN: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
];

/// `text` as `f64`, bit for bit as `text.parse::<f64>()`, and failing exactly when it fails.
pub(super) fn parse_f64(text: &str) -> Result<f64, ParseFloatError> {
    match plain_decimal(text.as_bytes()) {
        Some(v) => Ok(v),
        None => text.parse(),
    }
}

/// `[+-]digits[.digits]` (either side may be empty, not both) within the fast path's
/// conditions, or `None`.
fn plain_decimal(text: &[u8]) -> Option<f64> {
    let (negative, body) = match text.first()? {
        b'-' => (true, &text[1..]),
        b'+' => (false, &text[1..]),
        _ => (false, text),
    };
    let mut mantissa = 0u64;
    let mut digits = 0usize;
    let mut point = None;
    for &c in body {
        match c {
            b'0'..=b'9' => {
                // 19 digits cannot overflow a u64; more go to the slow path.
                digits += 1;
                if digits > 19 {
                    return None;
                }
                mantissa = 10 * mantissa + u64::from(c - b'0');
            }
            b'.' if point.is_none() => point = Some(digits),
            _ => return None,
        }
    }
    let scale = digits - point.unwrap_or(digits);
    if digits == 0 || mantissa > 1 << 53 || scale >= EXACT_POWERS_OF_TEN.len() {
        return None;
    }
    let magnitude = mantissa as f64 / EXACT_POWERS_OF_TEN[scale];
    Some(if negative { -magnitude } else { magnitude })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn same_as_std(text: &str) -> Result<(), TestCaseError> {
        match (parse_f64(text), text.parse::<f64>()) {
            (Ok(a), Ok(b)) => prop_assert_eq!(a.to_bits(), b.to_bits(), "{:?}", text),
            (Err(_), Err(_)) => {}
            (a, b) => prop_assert!(false, "{:?}: {:?} versus {:?}", text, a, b),
        }
        Ok(())
    }

    #[test]
    fn edge_cases_match_str_parse() {
        for text in [
            "",
            "-",
            "+",
            ".",
            "-.",
            "1.",
            ".5",
            "-0",
            "-0.0",
            "+0",
            "00012.50",
            "1..2",
            "1.2.3",
            "9007199254740992",
            "9007199254740993",
            "0.1",
            "-179.99999",
            "90.000001",
            "1234567890123456789",
            "12345678901234567890",
            "0.0000000000000000000001",
            "0.00000000000000000000001",
            "1e5",
            "inf",
            "NaN",
            " 1",
            "1 ",
            "١",
            "0x10",
            "1_0",
        ] {
            same_as_std(text).unwrap_or_else(|e| panic!("{e}"));
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(20_000))]

        /// Decimals of every shape the fast path takes, and some it must refuse.
        #[test]
        fn matches_str_parse(text in "[+-]?[0-9]{0,20}(\\.[0-9]{0,24})?") {
            same_as_std(&text)?;
        }

        #[test]
        fn matches_str_parse_on_coordinates(v in -180.0f64..180.0, decimals in 0usize..12) {
            same_as_std(&format!("{v:.decimals$}"))?;
        }
    }
}
