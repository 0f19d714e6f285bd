//! [`LocationError`]: why a location file could not be used, as one line that names the file,
//! the line and the key.

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
