//! [`Location::read`] and [`Location::parse`]: the format chosen by the file's extension, then
//! that format's reader.

use std::path::Path;

use super::error::LocationError;
use super::kalles::parse_kfr;
use super::rust_fractal::parse_toml;
use super::values::{Location, LocationFormat};

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
        let file = crate::message::shown(path);
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
}
