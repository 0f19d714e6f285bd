//! Cities: reading and validating city files, sphere geometry, and the pair searches.
//!
//! | module        | what it holds |
//! |---------------|---------------|
//! | [`read`]      | the city reader (CSV and the notebook's whitespace layout) and its validation |
//! | [`geo`]       | the sphere: haversine distance, units, the Earth's radius |
//! | [`haversine`] | the notebook's per-pair haversine over a slice of the pair index: the reference |
//! | [`dot`]       | the fast kernel: unit vectors, the smallest dot product in SIMD lanes |
//! | [`search`]    | kernels and algorithms, the one candidate type ([`Candidate`], ordered by [`search::key_order`]), a rank's search |
//! | [`tree`]      | the exact k-d tree: brute force's answer in about O(n log n) |
//! | [`top`]       | the K best pairs, farthest or closest |
//! | [`wgs84`]     | the ellipsoid: Karney's geodesic, filtered by a proven bound on the sphere |

pub mod dot;
pub mod geo;
pub mod haversine;
pub mod read;
pub mod search;
pub mod top;
pub mod tree;
pub mod wgs84;

/// Deterministic random point sets shared by the kernels' tests (no extra crate needed).
#[cfg(test)]
pub(crate) mod test_points {
    /// The next number of a linear congruential sequence, uniform in [0, 1).
    pub(crate) fn lcg(seed: &mut u64) -> f64 {
        *seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (*seed >> 11) as f64 / (1u64 << 53) as f64
    }

    /// `n` points as `[lat0, lon0, lat1, lon1, ...]` in degrees, the same for the same seed.
    pub(crate) fn random_coords(n: usize, seed: u64) -> Vec<f64> {
        let mut s = seed;
        (0..n)
            .flat_map(|_| [lcg(&mut s) * 180.0 - 90.0, lcg(&mut s) * 360.0 - 180.0])
            .collect()
    }

    /// Two tight clusters around antipodes, alternating: point `k` is `(lat, lon)` (even `k`) or
    /// its antipode `(-lat, lon -+ 180)` (odd `k`), moved by the `k`-th of `offsets` (degrees,
    /// added as they are to both centres), as `[lat0, lon0, lat1, lon1, ...]`.
    pub(crate) fn antipodal_clusters(
        lat: f64,
        lon: f64,
        offsets: impl IntoIterator<Item = (f64, f64)>,
    ) -> Vec<f64> {
        let antipode = (-lat, if lon > 0.0 { lon - 180.0 } else { lon + 180.0 });
        offsets
            .into_iter()
            .enumerate()
            .flat_map(|(k, (dlat, dlon))| {
                let centre = if k % 2 == 0 { (lat, lon) } else { antipode };
                [centre.0 + dlat, centre.1 + dlon]
            })
            .collect()
    }
}

pub use dot::UnitVectors;
pub use geo::{haversine_km, Units, EARTH_RADIUS_KM};
pub use haversine::Points;
pub use read::{read_cities, Format, ReadError, ReadOptions};
pub use search::{Algorithm, Candidate, Kernel, Prepared, AUTO_TREE_MIN};

pub use crate::error::escape_controls;

/// The cities of one file, as rank 0 holds them: labels for the report, coordinates in degrees.
///
/// Names and countries are not one `String` each (two allocations and 48 bytes a city before
/// any text): they sit end to end in one buffer, and each city keeps where its two end.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CityTable {
    /// Latitude in degrees, in [-90, 90].
    pub lat_deg: Vec<f64>,
    /// Longitude in degrees, in [-180, 180].
    pub lon_deg: Vec<f64>,
    /// The 1-based line of the file each city came from, for messages.
    pub lines: Vec<u64>,
    /// Every city's name, then its country (empty without a country column), end to end.
    labels: String,
    /// Where each label in `labels` ends: city i's name at `2i`, its country at `2i + 1`.
    label_ends: Vec<usize>,
    /// Whether the file has a country column.
    has_countries: bool,
}

impl CityTable {
    /// The number of cities.
    pub fn len(&self) -> usize {
        self.lat_deg.len()
    }

    /// Whether the table holds no city.
    pub fn is_empty(&self) -> bool {
        self.lat_deg.is_empty()
    }

    /// The city's name as the file writes it (unquoted, trimmed), empty when the file has none.
    pub fn name(&self, i: usize) -> &str {
        self.label_text(2 * i)
    }

    /// The city's country code, or `None` when the file has no country column.
    pub fn country(&self, i: usize) -> Option<&str> {
        self.has_countries.then(|| self.label_text(2 * i + 1))
    }

    /// Label `k` of [`Self::label_ends`].
    fn label_text(&self, k: usize) -> &str {
        let start = if k == 0 { 0 } else { self.label_ends[k - 1] };
        &self.labels[start..self.label_ends[k]]
    }

    /// Ends the label being written at the end of `labels` (a name or a country).
    fn end_label(&mut self) {
        self.label_ends.push(self.labels.len());
    }

    /// How a city is named in the report: its name (or its line), and its country when known,
    /// with control characters escaped so a hostile name cannot move the terminal's cursor.
    pub fn label(&self, i: usize) -> String {
        let name = if self.name(i).is_empty() {
            format!("the city on line {}", self.lines[i])
        } else {
            escape_controls(self.name(i))
        };
        match self.country(i) {
            Some(c) if !c.is_empty() => format!("{name} ({})", escape_controls(c)),
            _ => name,
        }
    }

    /// The coordinates as `[lat0, lon0, lat1, lon1, ...]` in degrees: what every rank receives.
    pub fn interleaved_degrees(&self) -> Vec<f64> {
        self.lat_deg
            .iter()
            .zip(&self.lon_deg)
            .flat_map(|(&la, &lo)| [la, lo])
            .collect()
    }
}
