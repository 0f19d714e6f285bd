//! The reader of Kalles Fraktaler 2+'s `.kfr` location files (lines `Re: …`, `Im: …`,
//! `Zoom: …`, `Iterations: …`; see [`super::Location::parse`] for what is accepted).

use std::collections::BTreeMap;

use super::error::LocationError;
use super::text::{decimal_is_positive, is_decimal, parse_count, quoted};
use super::values::{Location, LocationFormat};

/// Keys we read, each with the value a plain north-up Mandelbrot view needs
/// (`None`: a key whose value we use). The pre-2.15.1 keys `Rotate` and `Ratio` are not
/// here: KF 2.15 ignores them (even its own `benchmarks/1e1086.kfr` has `Ratio: 381.176471`),
/// and so do we.
const KFR_KEYS: [(&str, Option<(f64, &str)>); 11] = [
    ("Re", None),
    ("Im", None),
    ("Zoom", None),
    ("Iterations", None),
    (
        "FractalType",
        Some((0.0, "only FractalType 0 (the Mandelbrot set) is supported")),
    ),
    ("Power", Some((2.0, "only power 2 (z² + c) is supported"))),
    (
        "UseHybridFormula",
        Some((0.0, "hybrid formulas are not supported")),
    ),
    (
        "RotateAngle",
        Some((0.0, "rotated views are not supported (set it to 0)")),
    ),
    (
        "StretchAmount",
        Some((0.0, "stretched views are not supported (set it to 0)")),
    ),
    ("SeedR", Some((0.0, "only z₀ = 0 is supported"))),
    ("SeedI", Some((0.0, "only z₀ = 0 is supported"))),
];

pub(super) fn parse_kfr(text: &str, name: &str) -> Result<Location, LocationError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    // key -> (line number, trimmed value)
    let mut found: BTreeMap<&str, (usize, &str)> = BTreeMap::new();
    for (index, line) in text.split('\n').enumerate() {
        // a CR before the LF goes with the value's trailing whitespace
        let Some((key, value)) = line.split_once(':') else {
            continue;
        };
        let key = key.trim();
        if !KFR_KEYS.iter().any(|(k, _)| *k == key) {
            continue;
        }
        if let Some((first_line, _)) = found.get(key) {
            return Err(LocationError::DuplicateKey {
                file: name.into(),
                line: index + 1,
                key: format!("{key}:"),
                first_line: *first_line,
            });
        }
        found.insert(key, (index + 1, value.trim()));
    }

    let not_decimal = |key: &str, line: usize, value: &str| LocationError::NotDecimal {
        file: name.into(),
        line: Some(line),
        key: format!("{key}:"),
        value: quoted(value),
    };
    let decimal = |key: &str| -> Result<String, LocationError> {
        let Some(&(line, value)) = found.get(key) else {
            return Err(LocationError::MissingKey {
                file: name.into(),
                key: format!("{key}:"),
            });
        };
        if is_decimal(value) {
            Ok(value.to_string())
        } else {
            Err(not_decimal(key, line, value))
        }
    };
    let re = decimal("Re")?;
    let im = decimal("Im")?;
    let zoom = decimal("Zoom")?;
    if !decimal_is_positive(&zoom) {
        return Err(LocationError::NotPositive {
            file: name.into(),
            line: found.get("Zoom").map(|f| f.0),
            key: "Zoom:".into(),
            value: quoted(&zoom),
        });
    }
    let iterations = match found.get("Iterations") {
        None => None,
        Some(&(line, value)) => {
            Some(
                parse_count(value).ok_or_else(|| LocationError::BadIterations {
                    file: name.into(),
                    line: Some(line),
                    key: "Iterations:".into(),
                    value: quoted(value),
                })?,
            )
        }
    };

    for (key, wanted) in KFR_KEYS {
        let (Some((want, reason)), Some(&(line, value))) = (wanted, found.get(key)) else {
            continue;
        };
        let n = if is_decimal(value) {
            value.parse::<f64>().ok()
        } else {
            None
        };
        let Some(n) = n else {
            return Err(not_decimal(key, line, value));
        };
        if (n - want).abs() > 1e-9 * want.abs().max(1.0) {
            return Err(LocationError::Unsupported {
                file: name.into(),
                line: Some(line),
                key: format!("{key}:"),
                value: quoted(value),
                reason: reason.into(),
            });
        }
    }
    Ok(Location {
        format: LocationFormat::Kalles,
        re,
        im,
        zoom,
        iterations,
    })
}
