//! The command line's names and help for the library's enumerated options: clap's value tables
//! live here, at the edge, so the library's enumerations know nothing of clap. Each name is the
//! one the JSON reports print (serde's), which a unit test in [`super`] keeps equal.

use clap::builder::PossibleValue;
use clap::ValueEnum;

use crate::cities::wgs84::Earth;
use crate::cities::{Algorithm, Format, Kernel as CityKernel, Units};
use crate::mandel::{ColorScale, Kernel as MandelKernel, PngCompression, Schedule};
use crate::progress::ProgressMode;

/// `impl ValueEnum for T` from one table: each variant, its name on the command line, its help.
macro_rules! values {
    ($ty:ty { $($variant:ident => $name:literal: $help:literal),+ $(,)? }) => {
        impl ValueEnum for $ty {
            fn value_variants<'a>() -> &'a [Self] {
                &[$(<$ty>::$variant),+]
            }
            fn to_possible_value(&self) -> Option<PossibleValue> {
                Some(match self {
                    $(<$ty>::$variant => PossibleValue::new($name).help($help)),+
                })
            }
        }
    };
}

values!(Schedule {
    Block => "block": "Contiguous bands, one per rank: the naive split (the middle bands cost the most)",
    Cyclic => "cyclic": "Rows dealt round-robin: every rank gets a fair sample of cheap and costly rows",
    Dynamic => "dynamic": "Rank 0 hands out small chunks of rows to whichever rank is free, and computes too",
});

values!(MandelKernel {
    Auto => "auto": "`fast` where f64 resolves the pixels well, `perturbation` beyond: the default",
    Fast => "fast": "SIMD lanes, several vectors in flight, cardioid and bulb skipped",
    Scalar => "scalar": "The notebook's `mandel1` with `num_complex`: the reference",
    Perturbation => "perturbation": "Perturbation from an arbitrary-precision reference orbit, with BLA: any depth",
});

values!(PngCompression {
    Fast => "fast": "Up filter and run-length deflate: near 1 GB/s a core on Mandelbrot images, so that encoding never dominates a render",
    Default => "default": "zlib level 6, each block trying filters None and Up and keeping the smaller",
    Best => "best": "zlib level 9, each block trying filters None and Up: smallest, many times slower",
});

values!(ColorScale {
    MaxIter => "max-iter": "`t = count / max-iter`",
    Log => "log": "Cycled over log2(1 + count)",
    Sqrt => "sqrt": "Cycled over sqrt(count)",
    Linear => "linear": "Cycled over the count",
});

values!(ProgressMode {
    Auto => "auto": "A bar on a terminal after the first second; elsewhere a line every 10 s after the first 10 s, so short runs say nothing",
    Always => "always": "A bar on a terminal, else a line every second, from the first second on",
    Never => "never": "Nothing",
});

values!(Format {
    Auto => "auto": "CSV when the first line is a header, the notebook's `lat lon name` layout when it starts with two numbers",
    Csv => "csv": "CSV with a header row; columns are found by name",
    Txt => "txt": "One city a line, `lat lon name words...` separated by white space, no header",
});

values!(Units {
    Km => "km": "Kilometres",
    Mi => "mi": "Statute miles (1.609344 km)",
    Nmi => "nmi": "Nautical miles (1.852 km)",
});

values!(CityKernel {
    Fast => "fast": "Smallest dot product of unit vectors, SIMD lanes over cache tiles",
    Haversine => "haversine": "The notebook's per-pair haversine: the reference",
});

values!(Algorithm {
    Auto => "auto": "The tree from 5,000 cities on with the fast kernel, else brute force",
    Tree => "tree": "The exact k-d tree: the brute force's answer in about O(n log n)",
    Brute => "brute": "Every pair, split evenly between ranks and threads",
});

values!(Earth {
    Sphere => "sphere": "The notebook's sphere of radius 6371 km (great-circle distance)",
    Wgs84 => "wgs84": "The WGS84 ellipsoid (Karney's geodesic distance)",
});

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cities::AUTO_TREE_MIN;

    #[test]
    fn the_help_text_names_the_auto_threshold() {
        let help = Algorithm::Auto
            .to_possible_value()
            .and_then(|v| v.get_help().map(|h| h.to_string()))
            .expect("auto has help");
        let n = AUTO_TREE_MIN.to_string();
        let with_commas = format!("{},{}", &n[..n.len() - 3], &n[n.len() - 3..]);
        assert!(help.contains(&with_commas), "{help:?} vs {AUTO_TREE_MIN}");
    }
}
