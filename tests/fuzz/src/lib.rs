//! What every fuzz target of the city reader checks, whatever the layout.

use std::path::Path;

use mpi_examples::cities::read::parse_cities;
use mpi_examples::cities::{Format, ReadOptions};

/// Reads `data` as a city file in `format`: never a panic; either at least two cities with
/// finite coordinates in range, or an error whose message is one line.
pub fn check_city_file(data: &[u8], format: Format, name: &str) {
    let options = ReadOptions {
        format,
        ..ReadOptions::default()
    };
    match parse_cities(Path::new(name), data, &options) {
        Ok(table) => {
            assert!(table.len() >= 2, "accepted {} cities", table.len());
            assert_eq!(table.lon_deg.len(), table.len());
            for k in 0..table.len() {
                let _ = (table.name(k), table.country(k), table.label(k));
            }
            for (&lat, &lon) in table.lat_deg.iter().zip(&table.lon_deg) {
                assert!(
                    lat.is_finite() && (-90.0..=90.0).contains(&lat),
                    "latitude {lat}"
                );
                assert!(
                    lon.is_finite() && (-180.0..=180.0).contains(&lon),
                    "longitude {lon}"
                );
            }
        }
        Err(e) => {
            let message = e.to_string();
            assert!(!message.is_empty());
            assert!(
                !message.contains('\n') && !message.contains('\r'),
                "{message:?}"
            );
        }
    }
}
