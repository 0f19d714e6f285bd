//! `dist-cities` argument parsing on arbitrary argument lists (one token per line of the input),
//! then what the program does with parsed arguments short of MPI: the reader's options applied
//! to a small in-memory city file in each layout, and the distance converted to the asked unit.
//! Never a panic; the invariant is `check_dist_cities_args`, which tests/properties.rs checks too.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mpi_examples_fuzz::{argv_from_lines, check_dist_cities_args};

fuzz_target!(|data: &[u8]| check_dist_cities_args(&argv_from_lines("dist-cities", data)));
