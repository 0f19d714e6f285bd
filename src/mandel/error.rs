//! What can be wrong with a Mandelbrot request, found before any pixel is computed.
//!
//! Every variant names the option and the value at fault, so rank 0 can print one line and stop.
//! The option names are the `mandel` binary's flags (`--xmin`, `--width`, `--max-iter`, ...).

use std::fmt;

/// A Mandelbrot request that makes no sense; refused before computing (exit code 2).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum MandelError {
    /// An image dimension is zero.
    #[error("{option} {value} must be at least 1")]
    BadSize {
        /// The flag, e.g. `--width`.
        option: &'static str,
        /// The value given.
        value: u64,
    },
    /// A bound that is NaN or infinite.
    #[error("{option} {} must be a finite number", Num(*.value))]
    NonFinite {
        /// The flag, e.g. `--xmin`.
        option: &'static str,
        /// The value given.
        value: f64,
    },
    /// A lower bound that is not below its upper bound.
    #[error("{min_option} {} must be less than {max_option} {}", Num(*.min), Num(*.max))]
    BadBounds {
        /// The lower flag, e.g. `--xmin`.
        min_option: &'static str,
        /// Its value.
        min: f64,
        /// The upper flag, e.g. `--xmax`.
        max_option: &'static str,
        /// Its value.
        max: f64,
    },
    /// Bounds whose pixel step is not a positive finite `f64` (too wide or too narrow a view).
    #[error(
        "{min_option} {} to {max_option} {} over {pixels} pixels gives no finite positive step",
        Num(*.min),
        Num(*.max)
    )]
    BadStep {
        /// The lower flag, e.g. `--xmin`.
        min_option: &'static str,
        /// Its value.
        min: f64,
        /// The upper flag, e.g. `--xmax`.
        max_option: &'static str,
        /// Its value.
        max: f64,
        /// Pixels along that axis.
        pixels: u32,
    },
    /// A `--scale` that is not positive, or too small to resolve around its centre.
    #[error(
        "--scale {} must be positive and resolvable around --center {},{}",
        Num(*.scale),
        Num(*.re),
        Num(*.im)
    )]
    BadScale {
        /// The view width asked for.
        scale: f64,
        /// The centre's real part.
        re: f64,
        /// The centre's imaginary part.
        im: f64,
    },
    /// A deep-zoom request that cannot be rendered (a bad centre or scale, a depth past the
    /// precision limit, a reference that would not fit in memory); the message is complete.
    #[error("{0}")]
    Deep(String),
    /// `--max-iter 0` would leave nothing to compute.
    #[error("--max-iter 0 must be at least 1")]
    ZeroMaxIter,
    /// A colour map name that is not offered.
    #[error("--colormap {} is not one of {}", crate::message::escape_controls(name), valid.join(", "))]
    UnknownColormap {
        /// The name given.
        name: String,
        /// The names offered.
        valid: &'static [&'static str],
    },
    /// A side longer than a PNG may be (2^31 - 1 pixels); the counts would fit, the image not.
    #[error(
        "--{option} {value} is more than {}, the most pixels a PNG side may have",
        i32::MAX
    )]
    TooLong {
        /// `width` or `height`.
        option: &'static str,
        /// The length given.
        value: u32,
    },
}

/// Prints an `f64` the way a person typed it: `-1`, `0.25`, `1e300`, `NaN`, `inf`.
struct Num(f64);

impl fmt::Display for Num {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let a = self.0.abs();
        if a.is_finite() && a != 0.0 && !(1e-5..1e16).contains(&a) {
            write!(f, "{:e}", self.0)
        } else {
            write!(f, "{}", self.0)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_one_lowercase_line_without_period() {
        let all = [
            MandelError::BadSize {
                option: "--width",
                value: 0,
            },
            MandelError::NonFinite {
                option: "--xmin",
                value: f64::NAN,
            },
            MandelError::BadBounds {
                min_option: "--xmin",
                min: -1.0,
                max_option: "--xmax",
                max: -2.0,
            },
            MandelError::BadStep {
                min_option: "--xmin",
                min: -1e308,
                max_option: "--xmax",
                max: 1e308,
                pixels: 1200,
            },
            MandelError::BadScale {
                scale: 0.0,
                re: -0.5,
                im: 0.0,
            },
            MandelError::ZeroMaxIter,
            MandelError::UnknownColormap {
                name: "foo".into(),
                valid: &["jet", "gray"],
            },
            MandelError::TooLong {
                option: "width",
                value: u32::MAX,
            },
        ];
        for e in all {
            let s = e.to_string();
            assert!(s.starts_with("--"), "{s}");
            assert!(!s.contains('\n') && !s.ends_with('.'), "{s}");
        }
    }

    #[test]
    fn bounds_message_names_both_options_and_values() {
        let e = MandelError::BadBounds {
            min_option: "--xmin",
            min: -1.0,
            max_option: "--xmax",
            max: -2.0,
        };
        assert_eq!(e.to_string(), "--xmin -1 must be less than --xmax -2");
    }

    #[test]
    fn too_long_names_the_png_limit() {
        let e = MandelError::TooLong {
            option: "height",
            value: 3_000_000_000,
        };
        assert_eq!(
            e.to_string(),
            "--height 3000000000 is more than 2147483647, the most pixels a PNG side may have"
        );
    }

    #[test]
    fn unknown_colormap_lists_valid_names() {
        let e = MandelError::UnknownColormap {
            name: "Foo".into(),
            valid: &["jet", "gray"],
        };
        assert_eq!(e.to_string(), "--colormap Foo is not one of jet, gray");
    }

    #[test]
    fn numbers_print_as_typed() {
        assert_eq!(Num(-1.0).to_string(), "-1");
        assert_eq!(Num(0.25).to_string(), "0.25");
        assert_eq!(Num(1e300).to_string(), "1e300");
        assert_eq!(Num(-2.5e-9).to_string(), "-2.5e-9");
        assert_eq!(Num(f64::INFINITY).to_string(), "inf");
        assert_eq!(Num(0.0).to_string(), "0");
    }
}
