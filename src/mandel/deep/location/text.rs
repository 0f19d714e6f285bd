//! Values as text: the decimal syntax check the readers apply, and how values and lines are
//! quoted in messages.

/// True if `s` is a decimal number: optional `+`/`-`, digits with an optional `.` (at least
/// one digit in all), then optionally `e`/`E`, an optional sign and at least one digit.
/// Any length; ASCII only; no surrounding whitespace (trim first), no `_`, `inf` or `nan`.
pub fn is_decimal(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
        i += 1;
    }
    let mut digits = 0;
    while i < b.len() && b[i].is_ascii_digit() {
        i += 1;
        digits += 1;
    }
    if i < b.len() && b[i] == b'.' {
        i += 1;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
            digits += 1;
        }
    }
    if digits == 0 {
        return false;
    }
    if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
        i += 1;
        if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
            i += 1;
        }
        let start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i == start {
            return false;
        }
    }
    i == b.len()
}

/// For a string that passed [`is_decimal`]: is its value zero (all mantissa digits `0`)?
pub(super) fn decimal_is_zero(s: &str) -> bool {
    s.bytes()
        .take_while(|c| *c != b'e' && *c != b'E')
        .all(|c| !c.is_ascii_digit() || c == b'0')
}

/// For a string that passed [`is_decimal`]: is it greater than zero?
pub(super) fn decimal_is_positive(s: &str) -> bool {
    !s.starts_with('-') && !decimal_is_zero(s)
}

/// A positive integer that fits `u64`, written as ASCII digits only.
pub(super) fn parse_count(s: &str) -> Option<u64> {
    if s.is_empty() || !s.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    s.parse::<u64>().ok().filter(|n| *n > 0)
}

/// A value as shown in messages: first line only, at most 60 characters.
pub(super) fn shorten(s: &str) -> String {
    let first = s.lines().next().unwrap_or("");
    let mut out: String = first.chars().take(60).collect();
    if out.len() < s.len() {
        out.push('…');
    }
    out
}

pub(super) fn quoted(s: &str) -> String {
    format!("\"{}\"", shorten(s))
}

/// 1-based line number of byte offset `pos` in `text`.
pub(super) fn line_of(text: &str, pos: usize) -> usize {
    let pos = pos.min(text.len());
    text.as_bytes()[..pos]
        .iter()
        .filter(|c| **c == b'\n')
        .count()
        + 1
}

pub(super) fn one_line(s: &str) -> String {
    s.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("; ")
}
