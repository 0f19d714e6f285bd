//! A location as bytes, for rank 0 to broadcast to the other ranks, and back.

use super::values::{Location, LocationFormat};

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
