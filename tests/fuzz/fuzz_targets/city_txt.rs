//! The city-file reader on arbitrary bytes in the whitespace (txt) layout: never a panic; either
//! at least two cities with finite coordinates in range, or an error whose message is one line
//! (`check_city_file`, the invariant tests/properties.rs checks too).
#![no_main]

use libfuzzer_sys::fuzz_target;
use mpi_examples::cities::Format;
use mpi_examples_fuzz::check_city_file;

fuzz_target!(|data: &[u8]| check_city_file(data, Format::Txt, "fuzz.txt"));
