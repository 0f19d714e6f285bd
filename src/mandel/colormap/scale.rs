//! [`ColorScale`]: how a pixel's value (count or smooth count) meets the colour map, the one
//! choice behind `--color-scale`, the painter and the JSON's `"scale"`.

use crate::mandel::scalar::log2_portable;

/// How a value (count or smooth count) becomes a position on the colour map: the notebook's
/// map over `[0, max-iter]`, or a palette cycled there and back.
///
/// `MaxIter` paints `t = value / max_iter`, once over the map ([`super::Painter::new`]). In a
/// [`super::Cycle`] each other scale names the function `f` whose differences the palette
/// cycles over: `f(v) = v` (`Linear`, a period in iterations), `log2(1 + v)` (`Log`, a period in
/// doublings of `1 + v`; `log2` is computed with `+ - * /` only, not the platform's libm, so it
/// gives the same bits on every machine) or `sqrt(v)` (`Sqrt`; IEEE `sqrt` is correctly
/// rounded, so the same bits everywhere). Negative values and NaN are taken as 0 (counts never
/// are), so `f` is defined, finite for finite `v` and non-decreasing everywhere.
///
/// Serde's names (`max-iter`, `log`, `sqrt`, `linear`) are the command line's too (`cli::values`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ColorScale {
    /// `t = count / max-iter`.
    MaxIter,
    /// Cycled over log2(1 + count).
    Log,
    /// Cycled over sqrt(count).
    Sqrt,
    /// Cycled over the count.
    Linear,
}

impl ColorScale {
    /// `f(v)` on this scale (`MaxIter` and `Linear`: `v` itself); `v` below 0, and NaN, are
    /// taken as 0.
    pub fn apply(self, v: f64) -> f64 {
        // `!(v > 0)` catches NaN as well as negatives and -0.
        let v = if v > 0.0 { v } else { 0.0 };
        match self {
            ColorScale::MaxIter | ColorScale::Linear => v,
            ColorScale::Log => log2_portable(1.0 + v),
            ColorScale::Sqrt => v.sqrt(),
        }
    }

    /// Whether the palette is cycled (every scale but `MaxIter`): such a scale needs smooth
    /// counts.
    pub fn is_cycled(self) -> bool {
        self != ColorScale::MaxIter
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn portable_log2_matches_the_platform_closely() {
        for k in -1074..=1023 {
            let x = f64::from(k).exp2();
            assert_eq!(log2_portable(x), f64::from(k), "2^{k}");
        }
        let mut x = 1e-310;
        while x < 1e300 {
            let (got, want) = (log2_portable(x), x.log2());
            assert!(
                (got - want).abs() <= 4.0 * f64::EPSILON * want.abs().max(1.0),
                "{x}: {got} vs {want}"
            );
            x *= 1.0137;
        }
        for x in [
            1.0 + f64::EPSILON,
            1.0 - f64::EPSILON / 2.0,
            1.5,
            std::f64::consts::SQRT_2,
            f64::from_bits(std::f64::consts::SQRT_2.to_bits() + 1),
            263_011.0,
        ] {
            let (got, want) = (log2_portable(x), x.log2());
            assert!((got - want).abs() <= 4.0 * f64::EPSILON * want.abs(), "{x}");
        }
        assert_eq!(log2_portable(0.0), f64::NEG_INFINITY);
        assert_eq!(log2_portable(f64::INFINITY), f64::INFINITY);
        assert!(log2_portable(-1.0).is_nan() && log2_portable(f64::NAN).is_nan());
    }

    #[test]
    fn scales_serialize_in_kebab_case() {
        for (name, scale) in [
            ("max-iter", ColorScale::MaxIter),
            ("linear", ColorScale::Linear),
            ("log", ColorScale::Log),
            ("sqrt", ColorScale::Sqrt),
        ] {
            assert_eq!(
                serde_json::to_string(&scale).expect("json"),
                format!("\"{name}\"")
            );
        }
    }
}
