//! The city-file reader on arbitrary bytes in the CSV layout: never a panic; either at least two
//! cities with finite coordinates in range, or an error whose message is one line.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use mpi_examples::cities::read::parse_cities;
use mpi_examples::cities::{Format, ReadOptions};

fuzz_target!(|data: &[u8]| {
    let options = ReadOptions {
        format: Format::Csv,
        ..ReadOptions::default()
    };
    check(parse_cities(Path::new("fuzz.csv"), data, &options));
});

fn check(result: Result<mpi_examples::cities::CityTable, mpi_examples::cities::ReadError>) {
    match result {
        Ok(table) => {
            assert!(table.len() >= 2, "accepted {} cities", table.len());
            assert_eq!(table.lon_deg.len(), table.len());
            assert_eq!(table.names.len(), table.len());
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
