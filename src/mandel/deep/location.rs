//! Location files written by other deep-zoom programs.
//!
//! Two formats are read:
//!
//! * **rust-fractal-core** `.toml` files (keys `real`, `imag`, `zoom`, `iterations`);
//! * **Kalles Fraktaler 2+** `.kfr` files (lines `Re: …`, `Im: …`, `Zoom: …`, `Iterations: …`).
//!
//! The numbers are kept as the decimal strings that were written (any length), after a
//! syntax check; an arbitrary-precision parser elsewhere turns them into numbers.
//!
//! # Our pixel grid
//!
//! `mandel --center RE,IM --scale S --width W --height H` samples, with `d = S/W`,
//! column `j` (0..W) at `x = RE + d·(j − W/2)` and row `r` (0..H, row 0 at the top) at
//! `y = IM + d·((H−1−r) − H/2)`. Pixels are square, north (larger imaginary part) is up,
//! and the centre `RE + i·IM` falls at column `W/2` and row `H−1−H/2` (real division, so
//! half-way between two pixels when `W`, or `H`, is odd).
//!
//! # What the two programs do (facts read from their source code)
//!
//! **rust-fractal-core** (github.com/rust-fractal/rust-fractal-core, commit 6af4724c,
//! 2022-11-21):
//! * pixel spacing `d = 4 / ((H−1)·zoom)` (`src/renderer.rs` line 340), so the centres of
//!   the top and bottom rows are `4/zoom` apart;
//! * pixel `(i, j)` (column `i`, row `j` of the saved PNG, row 0 first; `src/renderer.rs`
//!   lines 400–401 and 425–428, `src/util/data_export.rs` `save_colour`) samples
//!   `x = real + d·(i − W(H−1)/(2H))`, `y = imag + d·(j − (H−1)/2)` (top-left offset from
//!   `get_delta_top_left`, `src/util/mod.rs` lines 141–150). So the imaginary part grows
//!   *downwards* (row 0 has the smallest imaginary part) and the centre lands at column
//!   `W(H−1)/(2H)` (which is `(W−1)/2` only for square images) and row `(H−1)/2`;
//! * `rotate` (degrees) turns the pixel grid about the centre;
//! * it reads `zoom`, `real` and `imag` with `get_str` and `iterations` with `get_int`
//!   (`src/renderer.rs` lines 61–65) through the `config` 0.9 crate, which lower-cases
//!   TOML keys, turns numbers into strings and parses integer strings (config 0.9.3
//!   `src/file/format/toml.rs` line 32, `src/value.rs` lines 201–224 and 291–297). Its
//!   zoom parser (`string_to_extended`, `src/util/mod.rs` lines 71–87) needs an exponent
//!   (`E`/`e`); every file in its `benchmarks/` and `locations/` folders writes `real`,
//!   `imag`, `zoom` as strings and `iterations` as a TOML integer.
//!
//! **Kalles Fraktaler 2+** (KF 2.15.2, the history of code.mathr.co.uk/kalles-fraktaler-2
//! as mirrored at github.com/LegalizeAdulthood/kalles-fraktaler, commit d7fd346f):
//! * `Zoom` sets the radius `2/zoom` (`fraktal_sft/fraktal_sft.cpp` `SetPosition`, line
//!   1516) and the pixel spacing is `2·radius / H` = `4 / (H·zoom)` (`fraktal_sft/render.cpp`
//!   line 335): the image *height* (not the shorter side) spans `4/zoom`, whatever the width;
//! * pixel `(i, j)` samples `x = Re + d·(i − ⌊W/2⌋)`, `y = Im + d·(j − ⌊H/2⌋)` (`GetPixelCoordinates`,
//!   `fraktal_sft/fraktal_sft.cpp` lines 3877–3902, integer division), and row `j` is the
//!   `j`-th row from the top of the saved image (bottom-up bitmap written at row `H−1−j`,
//!   `fraktal_sft/fraktal_sft.cpp` line 465, and flipped again by `bmp2rgb` in
//!   `fraktal_sft/main.cpp`), so here too the imaginary part grows downwards;
//! * `RotateAngle`, `StretchAngle`, `StretchAmount` transform the grid (`Parameter.cpp` lines
//!   465–483); files from KF before 2.15.1 carry `Rotate` and `Ratio` instead (`Ratio: 360`
//!   meant square pixels), which KF 2.15 no longer reads (commit a35ed017, 2020-10-13), so
//!   we ignore them too;
//! * keys are matched exactly and case-sensitively, the *first* matching line wins, and the
//!   row separator is CRLF (`Parameter.cpp` line 133, `common/StringVector.cpp`
//!   `FindString`); `Zoom` is written as `d.dddE<exp>` and read by an MPFR-backed decimal
//!   parser, so `1e1000`, `1.5E1000` or plain `1000` all work; `Re`/`Im` are written as long
//!   fixed-point decimals (thousands of digits at deep zooms).
//!
//! # Mapping to our grid
//!
//! We do not flip anything: a point is a point. Because both programs put the smallest
//! imaginary part at the top, our north-up image of the same location is *their image
//! mirrored top to bottom* (our row `r` shows their row `H−1−r`).
//!
//! With `S = scale_factor(W, H) / zoom` our pixel spacing equals theirs. Using the file's
//! `re`/`im` as our centre then samples their points shifted by a fraction of a pixel
//! (by `W/(2H)` pixels horizontally for rust-fractal-core, so more for very wide images);
//! to sample exactly their points, move the centre by [`Location::centre_offset`] pixels:
//! `RE = re + dx·S/W`, `IM = im + dy·S/W`.
//!
//! | format | `scale_factor` (S·zoom) | `centre_offset` (dx, dy) in pixels |
//! |---|---|---|
//! | rust-fractal-core | `4·W/(H−1)` | `(W/(2H), 1/2)` |
//! | Kalles Fraktaler | `4·W/H` | `(½ if W odd else 0, ½ if H odd else 0)` |
//!
//! # What we refuse
//!
//! Our renderer draws the plain Mandelbrot set `z² + c`, north up, with square pixels.
//! Files that ask for something else are refused with
//! [`LocationError::Unsupported`] instead of being rendered wrongly: a non-zero rotation or
//! stretch, another fractal type or power, a hybrid formula or a non-zero starting `z`.

use std::collections::BTreeMap;
use std::path::Path;

/// Which program's file a location came from (their zoom conventions differ).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LocationFormat {
    /// rust-fractal-core `.toml`: pixel spacing `4 / ((H−1)·zoom)`.
    RustFractal,
    /// Kalles Fraktaler 2+ `.kfr`: pixel spacing `4 / (H·zoom)`.
    Kalles,
}

/// A location file's view, its numbers kept as the decimal strings written (validated syntax,
/// any length): `re`, `im` and `zoom` go to an arbitrary-precision parser elsewhere.
///
/// `re`/`im` are the point the file names as its view centre (where exactly that point lands
/// in the other program's pixel grid: see [`Location::centre_offset`]); `zoom` is that
/// program's zoom (its meaning depends on `format`, see [`Location::scale_factor`]).
/// Strings are stored trimmed of surrounding whitespace and satisfy [`is_decimal`]; `zoom`
/// is greater than zero. `iterations` is `None` when the file has none (rust-fractal-core
/// then uses 1000; Kalles Fraktaler keeps its current setting).
#[derive(Debug, Clone, PartialEq)]
pub struct Location {
    pub format: LocationFormat,
    pub re: String,
    pub im: String,
    pub zoom: String,
    pub iterations: Option<u64>,
}

/// Why a location file could not be used. Every message is one line that starts with the
/// file name (as given), then ` line N` where the line is known, then what is wrong.
/// Keys are shown as the format spells them: `zoom` for TOML, `Zoom:` for KFR.
/// Long values are shortened to their first 60 characters in messages.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LocationError {
    #[error("{file}: cannot read: {reason}")]
    Unreadable { file: String, reason: String },

    #[error(
        "{file}: unknown location format (expected .toml from rust-fractal-core or .kfr from Kalles Fraktaler)"
    )]
    UnknownFormat { file: String },

    #[error("{file}{}: not a TOML file: {message}", at(.line))]
    NotToml {
        file: String,
        line: Option<usize>,
        message: String,
    },

    #[error("{file}: missing key `{key}`")]
    MissingKey { file: String, key: String },

    #[error("{file} line {line}: key `{key}` is given again (first on line {first_line})")]
    DuplicateKey {
        file: String,
        line: usize,
        key: String,
        first_line: usize,
    },

    #[error("{file}{}: `{key}` value {value} is not a decimal number", at(.line))]
    NotDecimal {
        file: String,
        line: Option<usize>,
        key: String,
        value: String,
    },

    #[error(
        "{file}{}: `{key}` must be a quoted string, not the TOML {kind} {value} (a TOML number keeps only about 17 significant digits; put the digits in quotes)",
        at(.line)
    )]
    NotAString {
        file: String,
        line: Option<usize>,
        key: String,
        kind: String,
        value: String,
    },

    #[error("{file}{}: `{key}` must be greater than zero, not {value}", at(.line))]
    NotPositive {
        file: String,
        line: Option<usize>,
        key: String,
        value: String,
    },

    #[error(
        "{file}{}: `{key}` must be a whole number from 1 to 18446744073709551615, not {value}",
        at(.line)
    )]
    BadIterations {
        file: String,
        line: Option<usize>,
        key: String,
        value: String,
    },

    #[error("{file}{}: `{key}` is {value}, but {reason}", at(.line))]
    Unsupported {
        file: String,
        line: Option<usize>,
        key: String,
        value: String,
        reason: String,
    },
}

fn at(line: &Option<usize>) -> String {
    match line {
        Some(n) => format!(" line {n}"),
        None => String::new(),
    }
}

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
fn decimal_is_zero(s: &str) -> bool {
    s.bytes()
        .take_while(|c| *c != b'e' && *c != b'E')
        .all(|c| !c.is_ascii_digit() || c == b'0')
}

/// For a string that passed [`is_decimal`]: is it greater than zero?
fn decimal_is_positive(s: &str) -> bool {
    !s.starts_with('-') && !decimal_is_zero(s)
}

/// A positive integer that fits `u64`, written as ASCII digits only.
fn parse_count(s: &str) -> Option<u64> {
    if s.is_empty() || !s.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    s.parse::<u64>().ok().filter(|n| *n > 0)
}

/// A value as shown in messages: first line only, at most 60 characters.
fn shorten(s: &str) -> String {
    let first = s.lines().next().unwrap_or("");
    let mut out: String = first.chars().take(60).collect();
    if out.len() < s.len() {
        out.push('…');
    }
    out
}

fn quoted(s: &str) -> String {
    format!("\"{}\"", shorten(s))
}

/// 1-based line number of byte offset `pos` in `text`.
fn line_of(text: &str, pos: usize) -> usize {
    let pos = pos.min(text.len());
    text.as_bytes()[..pos]
        .iter()
        .filter(|c| **c == b'\n')
        .count()
        + 1
}

fn one_line(s: &str) -> String {
    s.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("; ")
}

impl Location {
    /// Reads a location file; the format is chosen by the extension alone, ignoring case:
    /// `.toml` is rust-fractal-core, `.kfr` is Kalles Fraktaler. There is no content
    /// sniffing: KF itself picks its reader by extension, and guessing would turn a broken
    /// TOML file into a misleading "missing key `Re:`". Anything else is
    /// [`LocationError::UnknownFormat`] (checked before the file is opened). Messages name
    /// the file as `path` is given. A `.toml` file must be UTF-8; in a `.kfr` file bytes
    /// that are not UTF-8 (KF writes ANSI text) are replaced, which only matters in values
    /// we do not read.
    pub fn read(path: &Path) -> Result<Location, LocationError> {
        let file = crate::error::shown(path);
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase);
        let format = match ext.as_deref() {
            Some("toml") => LocationFormat::RustFractal,
            Some("kfr") => LocationFormat::Kalles,
            _ => return Err(LocationError::UnknownFormat { file }),
        };
        let bytes = std::fs::read(path).map_err(|e| LocationError::Unreadable {
            file: file.clone(),
            reason: e.to_string(),
        })?;
        let text = match format {
            LocationFormat::RustFractal => match String::from_utf8(bytes) {
                Ok(t) => t,
                Err(e) => {
                    let good = e.utf8_error().valid_up_to();
                    let line = e.as_bytes()[..good].iter().filter(|c| **c == b'\n').count() + 1;
                    return Err(LocationError::NotToml {
                        file,
                        line: Some(line),
                        message: "the text is not UTF-8".to_string(),
                    });
                }
            },
            LocationFormat::Kalles => String::from_utf8_lossy(&bytes).into_owned(),
        };
        Self::parse(&text, format, &file)
    }

    /// Parses text of the given format; `name` is used in messages.
    ///
    /// **rust-fractal-core TOML**: top-level `real`, `imag`, `zoom` are required and must be
    /// TOML *strings* holding decimal numbers. A TOML float or integer is refused
    /// ([`LocationError::NotAString`]) rather than accepted when it "round-trips": TOML
    /// floats hold about 17 significant digits, so a deep-zoom coordinate written unquoted
    /// has already lost its digits, and rust-fractal-core cannot read an unquoted `zoom`
    /// either (it panics without an exponent). `iterations` is optional and may be a TOML
    /// integer or a string of digits (rust-fractal-core accepts both, since `config` parses
    /// integer strings; it would also round a float, which we refuse). Keys are matched
    /// ignoring case, as rust-fractal-core does; two spellings of one key are an error.
    /// We also check `rotate` (must be 0), `fractal_type` (not `BurningShip`) and
    /// `fractal_power` (must be 2). Other keys (image size, palette, …) are ignored. Unlike
    /// rust-fractal-core we do not default a missing `real`/`imag`/`zoom` to
    /// -0.75/0/1E0, nor accept a `zoom` of zero or below.
    ///
    /// **Kalles Fraktaler KFR**: lines `Key: value`; the key is what precedes the first `:`,
    /// both sides are trimmed, CRLF or LF line ends, a leading BOM and lines without `:`
    /// are ignored, keys are case-sensitive (KFR also has unrelated lower-case `real:` and
    /// `imag:` keys). `Re`, `Im`, `Zoom` are required; `Iterations` is optional. A key we
    /// read that appears twice is an error ([`LocationError::DuplicateKey`]): KF takes the
    /// first, a careless reader the last, so such a file is ambiguous. Other keys are
    /// ignored except these, which must keep their plain-Mandelbrot values:
    /// `FractalType: 0`, `Power: 2`, `UseHybridFormula: 0`, `RotateAngle: 0`,
    /// `StretchAmount: 0`, `SeedR: 0`, `SeedI: 0`. The older (KF < 2.15.1) `Rotate` and `Ratio`
    /// are ignored, as KF 2.15 ignores them.
    pub fn parse(
        text: &str,
        format: LocationFormat,
        name: &str,
    ) -> Result<Location, LocationError> {
        match format {
            LocationFormat::RustFractal => parse_toml(text, name),
            LocationFormat::Kalles => parse_kfr(text, name),
        }
    }

    /// The view width S in the complex plane for an image W x H pixels in OUR grid, as a
    /// factor k with S = k / zoom, chosen so that our pixel spacing S/W equals the other
    /// program's pixel spacing for the same W x H:
    ///
    /// * rust-fractal-core: spacing `4/((H−1)·zoom)`, so `k = 4·W/(H−1)`;
    /// * Kalles Fraktaler: spacing `4/(H·zoom)` (its height spans `4/zoom`), so `k = 4·W/H`.
    ///
    /// Sizes are not checked: `width == 0` gives 0 (or NaN), `height == 0` — and
    /// `height == 1` for rust-fractal-core, where that program itself divides by zero —
    /// give a non-finite value. Callers should reject such sizes first.
    pub fn scale_factor(&self, width: u32, height: u32) -> f64 {
        let w = f64::from(width);
        let h = f64::from(height);
        match self.format {
            LocationFormat::RustFractal => 4.0 * w / (h - 1.0),
            LocationFormat::Kalles => 4.0 * w / h,
        }
    }

    /// How far, in pixels, to move our centre from (`re`, `im`) so that our W x H grid
    /// (with the spacing from [`Location::scale_factor`]) samples exactly the other
    /// program's points: use `RE = re + dx·S/W`, `IM = im + dy·S/W`. Returns `(dx, dy)`:
    ///
    /// * rust-fractal-core: `(W/(2H), 1/2)` — its centre sits at column `W(H−1)/(2H)`, row
    ///   `(H−1)/2`;
    /// * Kalles Fraktaler: `dx = 1/2` if W is odd else 0, `dy = 1/2` if H is odd else 0 —
    ///   its centre sits at column `⌊W/2⌋`, row `⌊H/2⌋`.
    ///
    /// With that centre our row `r` holds their row `H−1−r` (see the module notes).
    pub fn centre_offset(&self, width: u32, height: u32) -> (f64, f64) {
        match self.format {
            LocationFormat::RustFractal => (f64::from(width) / (2.0 * f64::from(height)), 0.5),
            LocationFormat::Kalles => {
                let half = |n: u32| if n % 2 == 1 { 0.5 } else { 0.0 };
                (half(width), half(height))
            }
        }
    }
}

// ---------------------------------------------------------------- rust-fractal-core TOML

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

fn parse_toml(text: &str, name: &str) -> Result<Location, LocationError> {
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

// ------------------------------------------------------------------ Kalles Fraktaler KFR

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

fn parse_kfr(text: &str, name: &str) -> Result<Location, LocationError> {
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

// ------------------------------------------------------------------------------- tests

/// A location's values as bytes for rank 0 to broadcast (empty: none).
pub fn location_to_wire(location: Option<&Location>) -> Vec<u8> {
    let Some(l) = location else {
        return Vec::new();
    };
    let format = match l.format {
        LocationFormat::RustFractal => "toml",
        LocationFormat::Kalles => "kfr",
    };
    let iterations = l
        .iterations
        .map_or_else(|| "-".to_string(), |n| n.to_string());
    [format, &l.re, &l.im, &l.zoom, &iterations]
        .join("\n")
        .into_bytes()
}

/// The location [`location_to_wire`] encoded.
///
/// # Panics
/// On bytes it did not make: a bug.
pub fn location_from_wire(bytes: &[u8]) -> Option<Location> {
    if bytes.is_empty() {
        return None;
    }
    let text = std::str::from_utf8(bytes).expect("rank 0 sent UTF-8");
    let f: Vec<&str> = text.split('\n').collect();
    assert_eq!(f.len(), 5, "a location travels as five lines");
    Some(Location {
        format: if f[0] == "kfr" {
            LocationFormat::Kalles
        } else {
            LocationFormat::RustFractal
        },
        re: f[1].to_string(),
        im: f[2].to_string(),
        zoom: f[3].to_string(),
        iterations: f[4].parse().ok(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    // rust-fractal-core's benchmark locations, verbatim (benchmarks/*.toml at 6af4724c).
    const RFC_1E14: &str = include_str!("../../../data/locations/1e14.toml");
    const RFC_1E50: &str = include_str!("../../../data/locations/1e50.toml");
    const RFC_5E113: &str = include_str!("../../../data/locations/5e113.toml");
    const RFC_5E227: &str = include_str!("../../../data/locations/5e227.toml");

    fn toml(text: &str) -> Result<Location, LocationError> {
        Location::parse(text, LocationFormat::RustFractal, "x.toml")
    }
    fn kfr(text: &str) -> Result<Location, LocationError> {
        Location::parse(text, LocationFormat::Kalles, "view.kfr")
    }
    fn msg(r: Result<Location, LocationError>) -> String {
        r.expect_err("expected an error").to_string()
    }

    const KFR_RE: &str = "-0.04947002906310409375169222672735363011874571248822487931810494023264219477268690342799154997475941900000000000000";
    const KFR_IM: &str = "-0.67478757584467536401139205313059765633477070682240348069799979479099419834548451115142084995403102999999999999999";

    /// A .kfr in KF 2.15's layout (CRLF, many keys we ignore), written for these tests,
    /// with the 1e50 benchmark's location.
    fn sample_kfr() -> String {
        [
            &format!("Re: {KFR_RE}"),
            &format!("Im: {KFR_IM}"),
            "Zoom: 1.0000000000000000E50",
            "Iterations: 263010",
            "IterDiv: 0.010000",
            "SmoothMethod: 0",
            "SmoothingMethod: 0",
            "BailoutRadiusPreset: 1",
            "ColorMethod: 7",
            "Differences: 3",
            "ColorOffset: 0",
            "Colors: 255,255,255,128,0,64,160,0,0,192,128,0,",
            "InteriorColor: 0,0,0,",
            "Smooth: 1",
            "MultiColor: 0",
            "Power: 2",
            "FractalType: 0",
            "Slopes: 1",
            "SlopeRatio: 50",
            "real: 1",
            "imag: 1",
            "SeedR: 0",
            "SeedI: 0",
            "RotateAngle: 0",
            "StretchAngle: 0",
            "StretchAmount: 0",
            "Version: 2150200",
            "",
        ]
        .join("\r\n")
    }

    #[test]
    fn decimal_syntax() {
        for ok in [
            "0", "-1", "+1.5", ".5", "5.", "1e5", "1.00E050", "-2.5e-3", "007", "1E+1000",
        ] {
            assert!(is_decimal(ok), "{ok}");
        }
        let long = format!("-0.{}e-99999", "1234567890".repeat(2000));
        assert!(is_decimal(&long));
        for bad in [
            "", "-", ".", "e5", "1e", "1e+", "1.2.3", "1,5", " 1", "1 ", "abc", "inf", "NaN",
            "1_000", "0x10", "--1", "1e5.0", "١",
        ] {
            assert!(!is_decimal(bad), "{bad:?}");
        }
        assert!(
            decimal_is_zero("-0.000e77") && decimal_is_zero("0") && !decimal_is_zero("0.001e-5")
        );
        assert!(
            decimal_is_positive("1e-5")
                && !decimal_is_positive("-1e5")
                && !decimal_is_positive("0.0e5")
        );
    }

    #[test]
    fn rust_fractal_benchmarks() {
        let l = toml(RFC_1E14).unwrap();
        assert_eq!(l.format, LocationFormat::RustFractal);
        assert_eq!(
            l.re,
            "-1.759817130804847813610825010561798238243999999999999999999800"
        );
        assert_eq!(
            l.im,
            "-0.012593310799749865383746631843264858450340000000000000000000"
        );
        assert_eq!(l.zoom, "1.00E14");
        assert_eq!(l.iterations, Some(4036));

        // Each file's centre (its first digits), zoom and iterations, one file a line.
        #[rustfmt::skip]
        let cases = [
            (RFC_1E50, "-0.0494700290631040937516922267273536301187457124882248793", "-0.6747875758446753640113920531305976563347707068224034806", "1.00E050", 263010),
            (RFC_5E113, "-1.47981577613247326072298452597877854692240725774045369", "-0.00063911193261361727152139632255671572957303918943984", "5.00E113", 35494),
            (RFC_5E227, "-0.74962449737876168207862620426836138684529527812364025", "0.034270108740460169451729515457494748680515346724391118", "5.00E227", 1200000),
        ];
        for (text, re, im, zoom, iterations) in cases {
            let l = toml(text).unwrap();
            assert!(l.re.starts_with(re) && l.im.starts_with(im), "{zoom}");
            assert_eq!((l.zoom.as_str(), l.iterations), (zoom, Some(iterations)));
        }
        let l = toml(RFC_1E50).unwrap();
        assert_eq!((l.re.len(), l.im.len()), (121, 121));
        for text in [RFC_1E14, RFC_1E50, RFC_5E113, RFC_5E227] {
            let l = toml(text).unwrap();
            assert!(is_decimal(&l.re) && is_decimal(&l.im) && is_decimal(&l.zoom));
        }
    }

    #[test]
    fn rust_fractal_keys_and_types() {
        // other keys ignored, keys matched ignoring case (as config 0.9 does), string iterations
        let l = toml("image_width = 640\nReal = \" -0.75 \"\nimag = \"0.1\"\nZOOM = \"1e1000\"\niterations = \"5000\"\nrotate = 0.0\nfractal_type = \"mandelbrot\"\nfractal_power = 2\n[extra]\nzoom = 1\n").unwrap();
        assert_eq!(
            (l.re.as_str(), l.im.as_str(), l.zoom.as_str()),
            ("-0.75", "0.1", "1e1000")
        );
        assert_eq!(l.iterations, Some(5000));
        let l = toml("real = '1'\nimag = '2'\nzoom = '3'\n").unwrap();
        assert_eq!(l.iterations, None);
        assert_eq!(
            msg(toml(
                "zoom = \"1\"\nreal = \"1\"\nimag = \"0\"\nZoom = \"2\"\n"
            )),
            "x.toml line 4: key `Zoom` is given again (first on line 1)"
        );
    }

    #[test]
    fn rust_fractal_errors() {
        let base = |real: &str, imag: &str, zoom: &str, extra: &str| {
            let mut s = String::new();
            for (k, v) in [("real", real), ("imag", imag), ("zoom", zoom)] {
                if !v.is_empty() {
                    s += &format!("{k} = {v}\n");
                }
            }
            s + extra
        };
        // (real, imag, zoom) as TOML values ("" leaves the key out), and the one message.
        #[rustfmt::skip]
        let refused = [
            ("", "\"0\"", "\"1e5\"", "x.toml: missing key `real`"),
            ("\"0\"", "", "\"1e5\"", "x.toml: missing key `imag`"),
            ("\"0\"", "\"0\"", "", "x.toml: missing key `zoom`"),
            ("\"abc\"", "\"0\"", "\"1e5\"", "x.toml line 1: `real` value \"abc\" is not a decimal number"),
            ("\"0\"", "\"1.2.3\"", "\"1e5\"", "x.toml line 2: `imag` value \"1.2.3\" is not a decimal number"),
            ("\"0\"", "\"0\"", "\"1E\"", "x.toml line 3: `zoom` value \"1E\" is not a decimal number"),
        ];
        for (real, imag, zoom, want) in refused {
            assert_eq!(msg(toml(&base(real, imag, zoom, ""))), want);
        }
        assert_eq!(msg(toml("")), "x.toml: missing key `real`");
        // an options file is not a location
        assert_eq!(
            msg(toml("image_width = 1024\nimage_height = 1024\n")),
            "x.toml: missing key `real`"
        );
        for z in ["\"0\"", "\"0.0e5\"", "\"-0\"", "\"-1e5\""] {
            assert_eq!(
                msg(toml(&base("\"0\"", "\"0\"", z, ""))),
                format!("x.toml line 3: `zoom` must be greater than zero, not {z}")
            );
        }
        let e = toml(&base("-0.75", "\"0\"", "\"1e5\"", "")).unwrap_err();
        assert!(
            matches!(&e, LocationError::NotAString { key, kind, .. } if key == "real" && kind == "float")
        );
        assert!(e.to_string().starts_with(
            "x.toml line 1: `real` must be a quoted string, not the TOML float -0.75"
        ));
        let e = toml(&base("\"0\"", "\"0\"", "1e50", "")).unwrap_err();
        assert!(
            matches!(&e, LocationError::NotAString { key, kind, .. } if key == "zoom" && kind == "float")
        );
        let e = toml(&base("\"0\"", "\"0\"", "1000", "")).unwrap_err();
        assert!(matches!(&e, LocationError::NotAString { kind, .. } if kind == "integer"));

        for it in [
            "0",
            "-5",
            "1.5",
            "\"abc\"",
            "\"-5\"",
            "\"1.5\"",
            "\"\"",
            "true",
            "\"99999999999999999999\"",
        ] {
            assert_eq!(
                msg(toml(&base("\"0\"", "\"0\"", "\"1e5\"", &format!("iterations = {it}\n")))),
                format!("x.toml line 4: `iterations` must be a whole number from 1 to 18446744073709551615, not {it}")
            );
        }
        let ok = toml(&base(
            "\"0\"",
            "\"0\"",
            "\"1e5\"",
            "iterations = \"18446744073709551615\"\n",
        ))
        .unwrap();
        assert_eq!(ok.iterations, Some(u64::MAX));

        let e = msg(toml(
            "real = \"0\"\nimag = \"0\"\nzoom = \"1e5\"\nrotate = 45\n",
        ));
        assert_eq!(
            e,
            "x.toml line 4: `rotate` is 45, but rotated views are not supported (set it to 0)"
        );
        let e =
            toml("real = \"0\"\nimag = \"0\"\nzoom = \"1e5\"\nfractal_type = \"BurningShip\"\n")
                .unwrap_err();
        assert!(matches!(e, LocationError::Unsupported { .. }));
        let e =
            toml("real = \"0\"\nimag = \"0\"\nzoom = \"1e5\"\nfractal_power = 3\n").unwrap_err();
        assert!(matches!(e, LocationError::Unsupported { .. }));
        let e = toml("real = \"0\"\nimag = \"0\"\nzoom = \"1e5\"\nrotate = [1]\n").unwrap_err();
        assert!(matches!(e, LocationError::NotDecimal { .. }));

        let e = toml("real = \"0\nimag = 1\n").unwrap_err();
        let s = e.to_string();
        assert!(s.starts_with("x.toml line 1: not a TOML file: "), "{s}");
        assert!(!s.contains('\n'));
        assert!(matches!(e, LocationError::NotToml { .. }));
        let s = msg(toml("Re: -0.75\nIm: 0\nZoom: 1\n"));
        assert!(s.starts_with("x.toml line 1: not a TOML file: "), "{s}");
    }

    #[test]
    fn kalles_sample() {
        let l = kfr(&sample_kfr()).unwrap();
        assert_eq!(l.format, LocationFormat::Kalles);
        assert_eq!((l.re.as_str(), l.im.as_str()), (KFR_RE, KFR_IM));
        assert_eq!(l.zoom, "1.0000000000000000E50");
        assert_eq!(l.iterations, Some(263010));
        // same text with LF endings, spaces, a BOM, an old-style (KF < 2.15) file
        let lf =
            "\u{feff}Re:  -0.75 \nIm:0.1\n  Zoom : 1.5E1000\nRotate: 0.000000\nRatio: 360.000000\n";
        let l = kfr(lf).unwrap();
        assert_eq!(
            (l.re.as_str(), l.im.as_str(), l.zoom.as_str(), l.iterations),
            ("-0.75", "0.1", "1.5E1000", None)
        );
        let l = kfr("Re: 1\r\nIm: 2\r\nZoom: 1000\r\n").unwrap();
        assert_eq!(l.zoom, "1000");
    }

    #[test]
    fn kalles_errors() {
        let full = sample_kfr();
        let without = |key: &str| -> String {
            full.split("\r\n")
                .filter(|l| !l.starts_with(&format!("{key}:")))
                .collect::<Vec<_>>()
                .join("\r\n")
        };
        let replace = |key: &str, value: &str| -> String {
            full.split("\r\n")
                .map(|l| {
                    if l.starts_with(&format!("{key}:")) {
                        format!("{key}: {value}")
                    } else {
                        l.to_string()
                    }
                })
                .collect::<Vec<_>>()
                .join("\r\n")
        };
        assert_eq!(msg(kfr(&without("Re"))), "view.kfr: missing key `Re:`");
        assert_eq!(msg(kfr(&without("Im"))), "view.kfr: missing key `Im:`");
        assert_eq!(msg(kfr(&without("Zoom"))), "view.kfr: missing key `Zoom:`");
        assert_eq!(msg(kfr("")), "view.kfr: missing key `Re:`");
        assert!(kfr(&without("Iterations")).unwrap().iterations.is_none());

        assert_eq!(
            msg(kfr(&replace("Zoom", "abc"))),
            "view.kfr line 3: `Zoom:` value \"abc\" is not a decimal number"
        );
        assert_eq!(
            msg(kfr(&replace("Re", "-0.75i"))),
            "view.kfr line 1: `Re:` value \"-0.75i\" is not a decimal number"
        );
        assert_eq!(
            msg(kfr(&replace("Im", ""))),
            "view.kfr line 2: `Im:` value \"\" is not a decimal number"
        );
        for z in ["0", "0.0e5", "-0", "-1e5"] {
            assert_eq!(
                msg(kfr(&replace("Zoom", z))),
                format!("view.kfr line 3: `Zoom:` must be greater than zero, not \"{z}\"")
            );
        }
        for it in ["0", "-5", "1.5", "abc", "", "18446744073709551616"] {
            assert_eq!(
                msg(kfr(&replace("Iterations", it))),
                format!("view.kfr line 4: `Iterations:` must be a whole number from 1 to 18446744073709551615, not \"{it}\"")
            );
        }
        assert_eq!(
            msg(kfr(&format!("{full}Zoom: 1E60\r\n"))),
            "view.kfr line 28: key `Zoom:` is given again (first on line 3)"
        );
        assert_eq!(
            msg(kfr(&replace("RotateAngle", "30"))),
            "view.kfr line 24: `RotateAngle:` is \"30\", but rotated views are not supported (set it to 0)"
        );
        for (k, v) in [
            ("FractalType", "1"),
            ("Power", "3"),
            ("StretchAmount", "0.5"),
            ("SeedR", "0.1"),
        ] {
            assert!(
                matches!(kfr(&replace(k, v)), Err(LocationError::Unsupported { .. })),
                "{k}"
            );
        }
        assert!(matches!(
            kfr(&format!("{full}UseHybridFormula: 1\r\n")),
            Err(LocationError::Unsupported { .. })
        ));
        // the pre-2.15.1 keys are ignored, as KF 2.15 does
        assert!(kfr("Re: 0\nIm: 0\nZoom: 1\nRatio: 381.176471\nRotate: 30\n").is_ok());
        assert!(matches!(
            kfr(&replace("Power", "two")),
            Err(LocationError::NotDecimal { .. })
        ));
        // long values are shortened in messages
        let long = format!("x{}", "1".repeat(5000));
        let s = msg(kfr(&replace("Re", &long)));
        assert!(s.len() < 140 && s.contains('…'), "{s}");
    }

    #[test]
    fn read_files() {
        let dir = std::env::temp_dir().join(format!("h-location-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let write = |name: &str, text: &[u8]| -> PathBuf {
            let p = dir.join(name);
            std::fs::write(&p, text).unwrap();
            p
        };
        let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/locations/1e50.toml");
        let l = Location::read(&data).unwrap();
        assert_eq!(
            (l.format, l.zoom.as_str()),
            (LocationFormat::RustFractal, "1.00E050")
        );

        let p = write("view.KFR", sample_kfr().as_bytes());
        assert_eq!(Location::read(&p).unwrap().format, LocationFormat::Kalles);
        let p = write("loc.Toml", RFC_1E14.as_bytes());
        assert_eq!(Location::read(&p).unwrap().iterations, Some(4036));

        let p = write("x.txt", sample_kfr().as_bytes());
        assert_eq!(
            Location::read(&p).unwrap_err().to_string(),
            format!("{}: unknown location format (expected .toml from rust-fractal-core or .kfr from Kalles Fraktaler)", p.display())
        );
        assert!(matches!(
            Location::read(&dir.join("noext")),
            Err(LocationError::UnknownFormat { .. })
        ));

        let missing = dir.join("absent.toml");
        let e = Location::read(&missing).unwrap_err();
        assert_eq!(
            e.to_string(),
            format!(
                "{}: cannot read: No such file or directory (os error 2)",
                missing.display()
            )
        );
        let sub = dir.join("folder.kfr");
        std::fs::create_dir_all(&sub).unwrap();
        assert!(matches!(
            Location::read(&sub),
            Err(LocationError::Unreadable { .. })
        ));

        let p = write("bad.toml", b"real = \"0\"\nimag = \"\xff\"\n");
        assert_eq!(
            Location::read(&p).unwrap_err().to_string(),
            format!(
                "{} line 2: not a TOML file: the text is not UTF-8",
                p.display()
            )
        );
        let p = write(
            "latin1.kfr",
            b"Re: 1\r\nIm: 2\r\nZoom: 3\r\nTextureFile: C:\\m\xe9\r\n",
        );
        assert_eq!(Location::read(&p).unwrap().zoom, "3");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// Image sizes for the grid tests: square, wide, tall, odd, even, tiny (at least 2 rows,
    /// which rust-fractal-core's spacing needs).
    #[rustfmt::skip]
    const IMAGE_SIZES: [(u32, u32); 11] = [
        (1000, 1000), (3840, 2160), (640, 360), (1, 2), (1001, 777), (360, 640),
        (8, 6), (7, 5), (5, 9), (2, 2), (641, 360),
    ];

    #[test]
    fn scale_factors() {
        let rfc = toml(RFC_1E50).unwrap();
        let kf = kfr(&sample_kfr()).unwrap();
        let zoom = 1.0e50;
        for (w, h) in IMAGE_SIZES {
            let (wf, hf) = (f64::from(w), f64::from(h));
            // rust-fractal-core: d = 4/((H-1) zoom)  (src/renderer.rs line 340)
            let s = rfc.scale_factor(w, h) / zoom;
            let want = 4.0 / ((hf - 1.0) * zoom);
            assert!(((s / wf) - want).abs() <= 1e-12 * want, "{w}x{h}");
            // Kalles Fraktaler: d = 2 * (2/zoom) / H  (render.cpp line 335)
            let s = kf.scale_factor(w, h) / zoom;
            let want = 2.0 * (2.0 / zoom) / hf;
            assert!(((s / wf) - want).abs() <= 1e-12 * want, "{w}x{h}");
        }
        assert_eq!(rfc.scale_factor(1000, 1000), 4000.0 / 999.0);
        assert_eq!(kf.scale_factor(3840, 2160), 4.0 * 3840.0 / 2160.0);
        assert!(!rfc.scale_factor(100, 1).is_finite());
    }

    /// With the centre moved by `centre_offset`, every pixel of our grid is the mirror
    /// image (row r <-> row H-1-r) of the other program's pixel, computed here the way
    /// each program computes it.
    #[test]
    fn centre_offsets_reproduce_their_grid() {
        let rfc = toml(RFC_1E14).unwrap();
        let kf = kfr("Re: 0\nIm: 0\nZoom: 1\n").unwrap();
        for (w, h) in IMAGE_SIZES {
            let (wf, hf) = (f64::from(w), f64::from(h));
            for (loc, name) in [(&rfc, "rfc"), (&kf, "kf")] {
                let zoom = 1.0; // points relative to the centre, in units where zoom = 1
                let s = loc.scale_factor(w, h) / zoom;
                let d = s / wf;
                let (dx, dy) = loc.centre_offset(w, h);
                let (cx, cy) = (dx * d, dy * d);
                for j in [0, w / 3, w - 1] {
                    for r in [0, h / 2, h - 1] {
                        // ours (the mandel grid from the background notes)
                        let x = cx - s / 2.0 + f64::from(j) * d;
                        let y = cy - (s * hf / wf) / 2.0 + f64::from(h - 1 - r) * d;
                        // theirs, at column j and row H-1-r from the top
                        let (i, jj) = (f64::from(j), f64::from(h - 1 - r));
                        let (tx, ty) = match loc.format {
                            LocationFormat::RustFractal => {
                                let d = 4.0 / ((hf - 1.0) * zoom);
                                (
                                    i * d - 0.5 * (hf - 1.0) * d * (wf / hf),
                                    jj * d - 0.5 * (hf - 1.0) * d,
                                )
                            }
                            LocationFormat::Kalles => {
                                let d = 2.0 * (2.0 / zoom) / hf;
                                ((i - f64::from(w / 2)) * d, (jj - f64::from(h / 2)) * d)
                            }
                        };
                        let tol = 1e-9 * d;
                        assert!(
                            (x - tx).abs() <= tol && (y - ty).abs() <= tol,
                            "{name} {w}x{h} ({j},{r}): ({x},{y}) vs ({tx},{ty})"
                        );
                    }
                }
            }
        }
        assert_eq!(kf.centre_offset(8, 6), (0.0, 0.0));
        assert_eq!(kf.centre_offset(7, 5), (0.5, 0.5));
        assert_eq!(rfc.centre_offset(1000, 1000), (0.5, 0.5));
    }
}
