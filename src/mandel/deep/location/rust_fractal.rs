//! The reader of rust-fractal-core's `.toml` location files (keys `real`, `imag`, `zoom`,
//! `iterations`; see [`super::Location::parse`] for what is accepted).

use std::collections::BTreeMap;

use super::error::LocationError;
use super::text::{decimal_is_positive, is_decimal, line_of, one_line, parse_count, shorten};
use super::values::{Location, LocationFormat};

type Spanned = toml::Spanned<toml::Value>;

struct TomlDoc<'a> {
    text: &'a str,
    name: &'a str,
    /// lower-cased key -> (key as written, value)
    entries: BTreeMap<String, (String, Spanned)>,
}

const TOML_KEYS: [&str; 7] = [
    "real",
    "imag",
    "zoom",
    "iterations",
    "rotate",
    "fractal_type",
    "fractal_power",
];

fn toml_kind(v: &toml::Value) -> &'static str {
    match v {
        toml::Value::String(_) => "string",
        toml::Value::Integer(_) => "integer",
        toml::Value::Float(_) => "float",
        toml::Value::Boolean(_) => "boolean",
        toml::Value::Datetime(_) => "date-time",
        toml::Value::Array(_) => "array",
        toml::Value::Table(_) => "table",
    }
}

impl<'a> TomlDoc<'a> {
    fn parse(text: &'a str, name: &'a str) -> Result<Self, LocationError> {
        let table: BTreeMap<String, Spanned> =
            toml::from_str(text).map_err(|e| LocationError::NotToml {
                file: name.to_string(),
                line: e.span().map(|s| line_of(text, s.start)),
                message: one_line(e.message()),
            })?;
        let mut entries: BTreeMap<String, (String, Spanned)> = BTreeMap::new();
        for (key, value) in table {
            let lower = key.to_ascii_lowercase();
            if !TOML_KEYS.contains(&lower.as_str()) {
                continue;
            }
            if let Some((_, earlier)) = entries.get(&lower) {
                let (a, b) = (
                    line_of(text, earlier.span().start),
                    line_of(text, value.span().start),
                );
                return Err(LocationError::DuplicateKey {
                    file: name.to_string(),
                    line: a.max(b),
                    key: if b >= a {
                        key
                    } else {
                        entries[&lower].0.clone()
                    },
                    first_line: a.min(b),
                });
            }
            entries.insert(lower, (key, value));
        }
        Ok(TomlDoc {
            text,
            name,
            entries,
        })
    }

    fn get(&self, key: &str) -> Option<(&str, &toml::Value, usize, String)> {
        self.entries.get(key).map(|(written, v)| {
            let span = v.span();
            let raw = self.text.get(span.clone()).unwrap_or("");
            (
                written.as_str(),
                v.get_ref(),
                line_of(self.text, span.start),
                shorten(raw),
            )
        })
    }

    /// A required decimal string.
    fn decimal(&self, key: &str) -> Result<(String, usize, String), LocationError> {
        let file = self.name.to_string();
        let Some((written, value, line, raw)) = self.get(key) else {
            return Err(LocationError::MissingKey {
                file,
                key: key.to_string(),
            });
        };
        match value {
            toml::Value::String(s) => {
                let t = s.trim();
                if is_decimal(t) {
                    Ok((t.to_string(), line, raw))
                } else {
                    Err(LocationError::NotDecimal {
                        file,
                        line: Some(line),
                        key: written.into(),
                        value: raw,
                    })
                }
            }
            other => Err(LocationError::NotAString {
                file,
                line: Some(line),
                key: written.into(),
                kind: toml_kind(other).into(),
                value: raw,
            }),
        }
    }

    fn iterations(&self) -> Result<Option<u64>, LocationError> {
        let Some((written, value, line, raw)) = self.get("iterations") else {
            return Ok(None);
        };
        let n = match value {
            toml::Value::Integer(i) if *i > 0 => Some(*i as u64),
            toml::Value::String(s) => parse_count(s.trim()),
            _ => None,
        };
        n.map(Some).ok_or_else(|| LocationError::BadIterations {
            file: self.name.into(),
            line: Some(line),
            key: written.into(),
            value: raw,
        })
    }

    /// An optional numeric setting (number or numeric string) as f64, with its line and
    /// raw text; a value that is no number is an error.
    fn number(&self, key: &str) -> Result<Option<(f64, &str, usize, String)>, LocationError> {
        let Some((written, value, line, raw)) = self.get(key) else {
            return Ok(None);
        };
        let n = match value {
            toml::Value::Integer(i) => Some(*i as f64),
            toml::Value::Float(f) => Some(*f),
            toml::Value::String(s) if is_decimal(s.trim()) => s.trim().parse::<f64>().ok(),
            _ => None,
        };
        match n {
            Some(n) if !n.is_nan() => Ok(Some((n, written, line, raw))),
            _ => Err(LocationError::NotDecimal {
                file: self.name.into(),
                line: Some(line),
                key: written.into(),
                value: raw,
            }),
        }
    }

    fn unsupported(&self, key: &str, line: usize, raw: String, reason: &str) -> LocationError {
        LocationError::Unsupported {
            file: self.name.into(),
            line: Some(line),
            key: key.into(),
            value: raw,
            reason: reason.into(),
        }
    }
}

pub(super) fn parse_toml(text: &str, name: &str) -> Result<Location, LocationError> {
    let doc = TomlDoc::parse(text, name)?;
    let (re, _, _) = doc.decimal("real")?;
    let (im, _, _) = doc.decimal("imag")?;
    let (zoom, zline, zraw) = doc.decimal("zoom")?;
    if !decimal_is_positive(&zoom) {
        let key = doc.get("zoom").map(|g| g.0.to_string()).unwrap_or_default();
        return Err(LocationError::NotPositive {
            file: name.into(),
            line: Some(zline),
            key,
            value: zraw,
        });
    }
    let iterations = doc.iterations()?;

    if let Some((r, key, line, raw)) = doc.number("rotate")? {
        if r != 0.0 {
            return Err(doc.unsupported(
                key,
                line,
                raw,
                "rotated views are not supported (set it to 0)",
            ));
        }
    }
    if let Some((key, toml::Value::String(s), line, raw)) = doc.get("fractal_type") {
        // rust-fractal-core treats every other name as the Mandelbrot set (src/util/mod.rs 180-184).
        if s.trim().eq_ignore_ascii_case("burningship") {
            return Err(doc.unsupported(key, line, raw, "only the Mandelbrot set is supported"));
        }
    }
    if let Some((p, key, line, raw)) = doc.number("fractal_power")? {
        if p != 2.0 {
            return Err(doc.unsupported(key, line, raw, "only power 2 (z² + c) is supported"));
        }
    }
    Ok(Location {
        format: LocationFormat::RustFractal,
        re,
        im,
        zoom,
        iterations,
    })
}
