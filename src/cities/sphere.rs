//! The sphere: the notebook's haversine formula, the Earth's radius it uses, and the units a
//! distance can be reported in. (The kernel that applies the formula to every pair is
//! [`super::haversine`].)

use std::fmt;

/// Mean Earth radius of the notebook's formula, in kilometres.
pub const EARTH_RADIUS_KM: f64 = 6371.0;

/// The great-circle distance in km between two points given in radians, with the cosines of
/// their latitudes precomputed: the notebook's haversine formula.
///
/// `a` is clamped to 1 so rounding near antipodes cannot produce `sqrt` of a negative number.
#[inline]
pub fn haversine_km_pre(
    lat1: f64,
    lon1: f64,
    cos_lat1: f64,
    lat2: f64,
    lon2: f64,
    cos_lat2: f64,
) -> f64 {
    let s_lat = ((lat2 - lat1) * 0.5).sin();
    let s_lon = ((lon2 - lon1) * 0.5).sin();
    let a = (s_lat * s_lat + cos_lat1 * cos_lat2 * s_lon * s_lon).min(1.0);
    let c = 2.0 * a.sqrt().atan2((1.0 - a).sqrt());
    EARTH_RADIUS_KM * c
}

/// The great-circle distance in km between two points given in degrees.
pub fn haversine_km(lat1_deg: f64, lon1_deg: f64, lat2_deg: f64, lon2_deg: f64) -> f64 {
    let (la1, lo1, la2, lo2) = (
        lat1_deg.to_radians(),
        lon1_deg.to_radians(),
        lat2_deg.to_radians(),
        lon2_deg.to_radians(),
    );
    haversine_km_pre(la1, lo1, la1.cos(), la2, lo2, la2.cos())
}

/// A unit of length for the report; JSON always keeps kilometres too.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Units {
    /// Kilometres.
    #[default]
    Km,
    /// Statute miles (1.609344 km).
    Mi,
    /// Nautical miles (1.852 km).
    Nmi,
}

impl Units {
    /// Kilometres per one of this unit.
    pub fn km_per_unit(self) -> f64 {
        match self {
            Units::Km => 1.0,
            Units::Mi => 1.609344,
            Units::Nmi => 1.852,
        }
    }

    /// Converts a distance in kilometres into this unit.
    pub fn from_km(self, km: f64) -> f64 {
        km / self.km_per_unit()
    }
}

impl fmt::Display for Units {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Units::Km => "km",
            Units::Mi => "mi",
            Units::Nmi => "nmi",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_distances() {
        assert_eq!(haversine_km(10.0, 20.0, 10.0, 20.0), 0.0);
        // A quarter of the equator, pole to equator, and antipodes: exact fractions of 2 pi R.
        let quarter = std::f64::consts::PI / 2.0 * EARTH_RADIUS_KM;
        assert!((haversine_km(0.0, 0.0, 0.0, 90.0) - quarter).abs() < 1e-6);
        assert!((haversine_km(90.0, 0.0, 0.0, 123.0) - quarter).abs() < 1e-6);
        let half = std::f64::consts::PI * EARTH_RADIUS_KM;
        // Haversine is ill-conditioned at antipodes: an ulp in `a` moves `sqrt(1 - a)` by ~1e-8,
        // a few centimetres. Within 1 m is the promise.
        assert!((haversine_km(35.0, 140.0, -35.0, -40.0) - half).abs() < 1e-3);
        assert!((haversine_km(90.0, 0.0, -90.0, 0.0) - half).abs() < 1e-3);
        // Across the antimeridian.
        assert!((haversine_km(0.0, 179.5, 0.0, -179.5) - quarter / 90.0).abs() < 1e-6);
    }

    #[test]
    fn unit_conversions() {
        assert_eq!(Units::Km.from_km(12.5), 12.5);
        assert!((Units::Mi.from_km(19982.978621) - 12416.8).abs() < 0.1);
        assert!((Units::Nmi.from_km(1.852) - 1.0).abs() < 1e-12);
    }
}
