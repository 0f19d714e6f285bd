//! `mandel` argument parsing on arbitrary argument lists (one token per line of the input), then
//! the validated job the program builds from them (view, iterations, colour map) and its pixel
//! mapping at the corners. Never a panic; the invariant is `check_mandel_args`, which
//! tests/properties.rs checks too.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mpi_examples_fuzz::{argv_from_lines, check_mandel_args};

fuzz_target!(|data: &[u8]| check_mandel_args(&argv_from_lines("mandel", data)));
