//! The cities of one file as rank 0 holds them ([`CityTable`]): coordinates in degrees for the
//! search, and names, countries and lines for the report.

use crate::message::escape_controls;

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
    pub(super) labels: String,
    /// Where each label in `labels` ends: city i's name at `2i`, its country at `2i + 1`.
    label_ends: Vec<usize>,
    /// Whether the file has a country column.
    has_countries: bool,
}

impl CityTable {
    /// An empty table, with a country for every city when `has_countries`.
    pub(super) fn with_countries(has_countries: bool) -> CityTable {
        CityTable {
            has_countries,
            ..CityTable::default()
        }
    }

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
    pub(super) fn end_label(&mut self) {
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
