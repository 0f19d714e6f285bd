//! `dist-cities` argument parsing on arbitrary argument lists (one token per line of the input),
//! then what the program does with parsed arguments short of MPI: the reader's options applied
//! to a small in-memory city file, and the distance converted to the asked unit. Never a panic.
#![no_main]

use std::ffi::OsString;
use std::os::unix::ffi::OsStringExt;

use clap::Parser;
use libfuzzer_sys::fuzz_target;
use mpi_examples::cities::read::parse_cities;
use mpi_examples::cli::DistCitiesArgs;

const CITIES: &[u8] = b"name,lat,lon\nA,1.5,2.5\nB,-45,170\n";
const CITIES_TXT: &[u8] = b"1.5 2.5 A\n-45 170 B\n";

fuzz_target!(|data: &[u8]| {
    let argv = std::iter::once(OsString::from("dist-cities")).chain(
        data.split(|&b| b == b'\n')
            .map(|t| OsString::from_vec(t.to_vec())),
    );
    let Ok(args) = DistCitiesArgs::try_parse_from(argv) else {
        return;
    };
    assert!(args.run.threads >= 1);
    let options = args.read_options();
    for file in [CITIES, CITIES_TXT] {
        if let Err(e) = parse_cities(&args.path, file, &options) {
            assert!(!e.to_string().contains('\n'), "{e}");
        }
    }
    let _ = args.units.from_km(1000.0);
    let _ = args.units.to_string();
});
