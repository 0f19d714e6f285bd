//! [`Location`] and [`LocationFormat`]: a location file's values as written, and what its zoom
//! and centre mean in our pixel grid (see the module notes of [`super`]).

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
/// Strings are stored trimmed of surrounding whitespace and satisfy [`is_decimal`](super::is_decimal); `zoom`
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

impl Location {
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
