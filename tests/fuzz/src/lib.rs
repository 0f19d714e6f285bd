//! The invariants the fuzz targets and the property tests (tests/properties.rs) both check: one
//! copy of each, in plain Rust that panics on a violation (libFuzzer reports the panic as a
//! crash; proptest catches it and shrinks the input). It builds on stable: the property tests
//! include this file with `#[path = "fuzz/src/lib.rs"] mod invariants;`, so it names nothing of
//! libfuzzer-sys or proptest.

use std::ffi::OsString;
use std::os::unix::ffi::OsStringExt;
use std::path::Path;

use clap::Parser;
use mpi_examples::cities::read::parse_cities;
use mpi_examples::cities::{CityTable, Format, ReadError, ReadOptions};
use mpi_examples::cli::{DistCitiesArgs, MandelArgs, OptionName};
use mpi_examples::mandel::viewport::MAX_PIXELS;
use mpi_examples::mandel::Request;
use mpi_examples::mandel::Viewport;

/// An error is one line, as the program prints it after `error: `.
pub fn check_one_line(message: &str) {
    assert!(!message.is_empty(), "an empty message");
    assert!(
        !message.contains('\n') && !message.contains('\r'),
        "{message:?}"
    );
}

/// What every view that validated guarantees: finite, ordered edges; at least one pixel and no
/// more than the limit; finite positive steps; finite samples at both corners.
pub fn check_view(v: &Viewport) {
    assert!(v.xmin().is_finite() && v.xmax().is_finite(), "{v:?}");
    assert!(v.ymin().is_finite() && v.ymax().is_finite(), "{v:?}");
    assert!(v.xmin() < v.xmax() && v.ymin() < v.ymax(), "{v:?}");
    assert!(v.width() >= 1 && v.height() >= 1, "{v:?}");
    assert!(v.pixels() as u64 <= MAX_PIXELS, "{v:?}");
    assert!(v.dx() > 0.0 && v.dx().is_finite(), "{v:?}");
    assert!(v.dy() > 0.0 && v.dy().is_finite(), "{v:?}");
    for (col, row) in [(0, 0), (v.width() - 1, v.height() - 1)] {
        let c = v.c_at(col, row);
        assert!(
            c.re.is_finite() && c.im.is_finite(),
            "{v:?} at {col}, {row}"
        );
    }
}

/// What the reader promises for any input: at least two cities, every column as long as the
/// table, a name (and a country, with a country column) for each, finite coordinates in range;
/// or an error of one line.
pub fn check_city_read(result: &Result<CityTable, ReadError>) {
    match result {
        Ok(table) => {
            assert!(table.len() >= 2, "accepted {} cities", table.len());
            assert_eq!(table.lon_deg.len(), table.len());
            assert_eq!(table.lines.len(), table.len());
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
        Err(e) => check_one_line(&e.to_string()),
    }
}

/// Reads `data` as a city file named `name` in `format`: never a panic, and the reader's promise.
pub fn check_city_file(data: &[u8], format: Format, name: &str) {
    let options = ReadOptions {
        format,
        ..ReadOptions::default()
    };
    check_city_read(&parse_cities(Path::new(name), data, &options));
}

/// An argument list, one token per line of `data` (the fuzz targets' input), after `program`.
pub fn argv_from_lines(program: &str, data: &[u8]) -> Vec<OsString> {
    std::iter::once(OsString::from(program))
        .chain(
            data.split(|&b| b == b'\n')
                .map(|t| OsString::from_vec(t.to_vec())),
        )
        .collect()
}

/// A small city file in each layout, for the parsed options to read.
const ARGS_CITIES: [(&str, &[u8]); 2] = [
    ("args.csv", b"name,lat,lon\nA,1.5,2.5\nB,-45,170\n"),
    ("args.txt", b"1.5 2.5 A\n-45 170 B\n"),
];

/// `dist-cities` arguments (`argv[0]` included): parsing returns Ok or a clap error, never a
/// panic; parsed arguments have at least one thread, give reader options with which both small
/// files read (under their own names and under the path the arguments give) keeping the
/// reader's promise, and a unit that converts and prints.
pub fn check_dist_cities_args(argv: &[OsString]) {
    let Ok(args) = DistCitiesArgs::try_parse_from(argv) else {
        return;
    };
    assert!(args.run.threads >= 1);
    let options = args.read_options();
    for (name, file) in ARGS_CITIES {
        for path in [Path::new(name), &args.path] {
            check_city_read(&parse_cities(path, file, &options));
        }
    }
    let _ = args.units.from_km(1000.0);
    let _ = args.units.to_string();
}

/// `mandel` arguments (`argv[0]` included): parsing returns Ok or a clap error, never a panic;
/// parsed arguments give a valid job (a valid view, or a deep one; at least one iteration; a
/// colour map that maps) or a one-line error.
pub fn check_mandel_args(argv: &[OsString]) {
    let Ok(args) = MandelArgs::try_parse_from(argv) else {
        return;
    };
    let _ = args.schedule.name();
    match Request::from_options(&args.options(), None) {
        Ok(job) => {
            match &job.view {
                Some(view) => check_view(view),
                None => assert!(job.deep.is_some(), "a job has a view"),
            }
            assert!(job.max_iter >= 1);
            let _ = job.colormap.rgb(0.5);
        }
        Err(e) => check_one_line(&e.to_string()),
    }
}
