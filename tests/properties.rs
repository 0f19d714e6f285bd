//! Property tests (proptest) for the pure parts: the work splits, the pixel mapping, the city-file
//! reader and the argument parsing. No MPI; case counts are bounded so the file runs in seconds.
//!
//! The invariants themselves (a valid view, the reader's promise, what parsed arguments give)
//! are the fuzz targets' own, from tests/fuzz/src/lib.rs: one copy, checked by both.

use std::io::Write;
use std::path::Path;

use clap::Parser;
use mpi_examples::cities::read::parse_cities;
use mpi_examples::cities::{read_cities, CityTable, Format, ReadError, ReadOptions};
use mpi_examples::cli::{DistCitiesArgs, MandelArgs};
use mpi_examples::mandel::Request;
use mpi_examples::mandel::Viewport;
use mpi_examples::partition::{
    block_rows, cyclic_rows, for_each_row_segment, pair_at, pair_count, pair_range_for_rank,
    row_start,
};
use proptest::prelude::*;

mod common;

/// The invariants the fuzz targets check (a library of the fuzz crate, included as a module so
/// that the property tests build on stable without libFuzzer).
#[path = "fuzz/src/lib.rs"]
mod invariants;

use invariants::{
    argv_from_lines, check_city_file, check_city_read, check_dist_cities_args, check_mandel_args,
    check_one_line, check_view,
};

fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases,
        // Failures are printed and turned into unit tests by hand; no files in tests/.
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

// ---------------------------------------------------------------------------------------------
// Partition

proptest! {
    #![proptest_config(config(500))]

    /// The ranks' pair ranges tile `0..pair_count(n)` in order with equal shares, and walking
    /// them segment by segment visits every pair `(i, j)`, `i < j < n`, exactly once, in order.
    #[test]
    fn every_pair_exactly_once(n in 0u64..=2000, size in 1u32..=64) {
        let total = pair_count(n);
        let (mut next_index, mut next_pair) = (0u64, (0u64, 1u64));
        let (mut least, mut most) = (u64::MAX, 0u64);
        for rank in 0..size {
            let range = pair_range_for_rank(n, size, rank);
            prop_assert_eq!(range.start, next_index);
            prop_assert!(range.start <= range.end);
            least = least.min(range.end - range.start);
            most = most.max(range.end - range.start);
            next_index = range.end;
            for_each_row_segment(n, range, |i, js| {
                // Each segment continues exactly where the previous one stopped.
                assert_eq!((i, js.start), next_pair, "n = {n}, size = {size}, rank = {rank}");
                assert!(js.start < js.end && js.end <= n);
                next_pair = if js.end == n { (i + 1, i + 2) } else { (i, js.end) };
            });
        }
        prop_assert_eq!(next_index, total);
        prop_assert!(most - least <= 1, "shares {}..={}", least, most);
        // Every pair was visited: the walk ended after the last row (n - 2, n - 1).
        if n >= 2 {
            prop_assert_eq!(next_pair, (n - 1, n));
        } else {
            prop_assert_eq!(next_pair, (0, 1));
        }
    }

    /// `pair_at` inverts the numbering `row_start(n, i) + (j - i - 1)`, at every row start and
    /// at random indices, for small and very large `n`.
    #[test]
    fn pair_at_inverts_row_start(
        n in prop_oneof![2u64..=2000, 2u64..=(1u64 << 32)],
        pick in any::<u64>(),
        offset in any::<u64>(),
    ) {
        let i = pick % (n - 1);
        let start = row_start(n, i);
        prop_assert_eq!(pair_at(n, start), (i, i + 1));
        let k = offset % (n - 1 - i);
        prop_assert_eq!(pair_at(n, start + k), (i, i + 1 + k));
        let p = offset % pair_count(n);
        let (a, b) = pair_at(n, p);
        prop_assert!(a < b && b < n);
        prop_assert_eq!(row_start(n, a) + (b - a - 1), p);
    }

    /// Block and cyclic splits hand out every row exactly once; blocks are contiguous bands of
    /// nearly equal size, cyclic parts take every `parts`-th row.
    #[test]
    fn rows_are_covered_once(rows in 0u32..=5000, parts in 1u32..=64) {
        let block = block_rows(rows, parts);
        let cyclic = cyclic_rows(rows, parts);
        prop_assert_eq!(block.len(), parts as usize);
        prop_assert_eq!(cyclic.len(), parts as usize);
        let flat: Vec<u32> = block.iter().flatten().copied().collect();
        prop_assert_eq!(flat, (0..rows).collect::<Vec<_>>());
        let sizes: Vec<usize> = block.iter().map(Vec::len).collect();
        prop_assert!(sizes.iter().max().unwrap() - sizes.iter().min().unwrap() <= 1);
        let mut seen = vec![false; rows as usize];
        for (p, part) in cyclic.iter().enumerate() {
            for (k, &row) in part.iter().enumerate() {
                prop_assert_eq!(row as usize, p + k * parts as usize);
                prop_assert!(!seen[row as usize], "row {} twice", row);
                seen[row as usize] = true;
            }
        }
        prop_assert!(seen.iter().all(|&s| s));
    }
}

// ---------------------------------------------------------------------------------------------
// Viewport

/// Any f64, with the awkward ones (NaN, infinities, huge, tiny, signed zero) often.
fn awkward_f64() -> impl Strategy<Value = f64> {
    prop_oneof![
        3 => any::<f64>(),
        3 => -4.0f64..4.0,
        1 => Just(f64::NAN),
        1 => Just(f64::INFINITY),
        1 => Just(f64::NEG_INFINITY),
        1 => Just(f64::MAX),
        1 => Just(f64::MIN),
        1 => Just(f64::MIN_POSITIVE),
        1 => Just(-0.0),
        1 => Just(1e300),
        1 => Just(5e-324),
    ]
}

/// Any u32, with zero, one and the limits often.
fn awkward_size() -> impl Strategy<Value = u32> {
    prop_oneof![
        3 => 0u32..5000,
        1 => any::<u32>(),
        1 => Just(0u32),
        1 => Just(1u32),
        1 => Just(u32::MAX),
        1 => Just(46341u32),
    ]
}

proptest! {
    #![proptest_config(config(2000))]

    /// `Viewport::new` returns Ok or Err for any input, never panics, and an Ok view holds.
    #[test]
    fn new_never_panics(
        xmin in awkward_f64(), xmax in awkward_f64(), ymin in awkward_f64(), ymax in awkward_f64(),
        width in awkward_size(), height in awkward_size(),
    ) {
        match Viewport::new(xmin, xmax, ymin, ymax, width, height) {
            Ok(v) => {
                check_view(&v);
                prop_assert_eq!((v.xmin(), v.xmax(), v.ymin(), v.ymax()), (xmin, xmax, ymin, ymax));
            }
            Err(e) => check_one_line(&e.to_string()),
        }
    }

    /// `Viewport::from_center` likewise.
    #[test]
    fn from_center_never_panics(
        re in awkward_f64(), im in awkward_f64(), scale in awkward_f64(),
        width in awkward_size(), height in awkward_size(),
    ) {
        match Viewport::from_center(re, im, scale, width, height) {
            Ok(v) => check_view(&v),
            Err(e) => check_one_line(&e.to_string()),
        }
    }
}

proptest! {
    #![proptest_config(config(300))]

    /// For well-conditioned views: columns move right, rows move down (row 0 is the top, the last
    /// row samples ymin), and every sample lies in [min, max).
    #[test]
    fn pixel_mapping_is_monotone_and_inside(
        xmin in -10.0f64..10.0, xspan in 1e-6f64..100.0,
        ymin in -10.0f64..10.0, yspan in 1e-6f64..100.0,
        width in 1u32..=2048, height in 1u32..=2048,
    ) {
        let v = Viewport::new(xmin, xmin + xspan, ymin, ymin + yspan, width, height)
            .expect("a well-conditioned view validates");
        check_view(&v);
        let mut last = f64::NEG_INFINITY;
        for col in 0..width {
            let x = v.x_at(col);
            prop_assert!(x > last, "column {} at {} after {}", col, x, last);
            prop_assert!(v.xmin() <= x && x < v.xmax(), "column {} at {}", col, x);
            last = x;
        }
        prop_assert_eq!(v.x_at(0), v.xmin());
        let mut last = f64::INFINITY;
        for row in 0..height {
            let y = v.y_at(row);
            prop_assert!(y < last, "row {} at {} after {}", row, y, last);
            prop_assert!(v.ymin() <= y && y < v.ymax(), "row {} at {}", row, y);
            last = y;
        }
        prop_assert_eq!(v.y_at(height - 1), v.ymin());
    }

    /// A centred view is centred: its edges straddle the centre and its width is `scale`.
    #[test]
    fn from_center_is_centred(
        re in -2.0f64..2.0, im in -2.0f64..2.0, scale in 1e-6f64..10.0,
        width in 1u32..=4096, height in 1u32..=4096,
    ) {
        let v = Viewport::from_center(re, im, scale, width, height).expect("a valid centred view");
        prop_assert!(v.xmin() < re && re < v.xmax());
        prop_assert!(v.ymin() < im && im < v.ymax());
        prop_assert!(((v.xmax() - v.xmin()) - scale).abs() <= 1e-9 * scale.max(1.0));
    }
}

// ---------------------------------------------------------------------------------------------
// The city-file reader

/// The same outcome, compared by value (tables) or by message (errors).
fn same_outcome(
    a: &Result<CityTable, ReadError>,
    b: &Result<CityTable, ReadError>,
) -> Result<(), TestCaseError> {
    match (a, b) {
        (Ok(x), Ok(y)) => prop_assert_eq!(x, y),
        (Err(x), Err(y)) => prop_assert_eq!(x.to_string(), y.to_string()),
        _ => prop_assert!(false, "{:?} versus {:?}", a, b),
    }
    Ok(())
}

/// Bytes that look like city files more often than uniform noise does.
fn city_bytes() -> impl Strategy<Value = Vec<u8>> {
    let cityish = prop::collection::vec(
        prop_oneof![
            4 => prop::sample::select(b"0123456789.-+eE ,;\t\n\r\"#".to_vec()),
            1 => prop::sample::select(b"latlongitudenamecityNaNinf".to_vec()),
            1 => any::<u8>(),
        ],
        0..600,
    );
    let headed = (
        prop::sample::select(vec![
            &b"name,lat,lon\n"[..],
            b"city,latitude,longitude,country\n",
            b"\xef\xbb\xbflat,lng\r\n",
            b"",
        ]),
        cityish.clone(),
    )
        .prop_map(|(head, body)| [head, &body[..]].concat());
    prop_oneof![
        1 => prop::collection::vec(any::<u8>(), 0..600),
        2 => cityish,
        2 => headed,
    ]
}

fn options(format: Format) -> ReadOptions {
    ReadOptions {
        format,
        ..ReadOptions::default()
    }
}

proptest! {
    #![proptest_config(config(3000))]

    /// Arbitrary bytes in a file: `read_cities` never panics, keeps its promise, and agrees with
    /// `parse_cities` on the same bytes.
    #[test]
    fn reader_never_panics(
        bytes in city_bytes(),
        format in prop::sample::select(vec![Format::Auto, Format::Csv, Format::Txt]),
    ) {
        let mut file = tempfile::NamedTempFile::new().expect("a temporary file");
        file.write_all(&bytes).expect("written");
        file.flush().expect("flushed");
        let from_file = read_cities(file.path(), &options(format));
        check_city_read(&from_file);
        let from_bytes = parse_cities(file.path(), &bytes[..], &options(format));
        same_outcome(&from_file, &from_bytes)?;
    }
}

/// A city name that survives both layouts: no leading or trailing space, any script, and for CSV
/// commas and quotes too.
fn csv_name() -> impl Strategy<Value = String> {
    "[A-Za-zé東Ж]([A-Za-z0-9 ,\"'é東Ж-]{0,12}[A-Za-z])?"
}

fn txt_name() -> impl Strategy<Value = String> {
    "[A-Za-zé東Ж][A-Za-z0-9é東Ж'-]{0,8}( [A-Za-z0-9é東Ж'-]{1,8}){0,2}"
}

fn lat() -> impl Strategy<Value = f64> {
    prop_oneof![
        4 => -90.0f64..=90.0,
        1 => prop::sample::select(vec![-90.0, 90.0, 0.0, -0.0, 1e-300, -45.5]),
    ]
}

fn lon() -> impl Strategy<Value = f64> {
    prop_oneof![
        4 => -180.0f64..=180.0,
        1 => prop::sample::select(vec![-180.0, 180.0, 0.0, -0.0, 1e-300, 179.999_999_999]),
    ]
}

fn check_round_trip(table: &CityTable, cities: &[(f64, f64, String)]) -> Result<(), TestCaseError> {
    prop_assert_eq!(table.len(), cities.len());
    for (k, (la, lo, name)) in cities.iter().enumerate() {
        prop_assert_eq!(
            table.lat_deg[k].to_bits(),
            la.to_bits(),
            "latitude of city {}",
            k
        );
        prop_assert_eq!(
            table.lon_deg[k].to_bits(),
            lo.to_bits(),
            "longitude of city {}",
            k
        );
        prop_assert_eq!(table.name(k), name);
    }
    Ok(())
}

proptest! {
    #![proptest_config(config(1000))]

    /// A generated CSV file (quoted names, CRLF or LF, optional BOM and trailing blank lines) reads
    /// back every coordinate bit for bit, and every name.
    #[test]
    fn csv_round_trips(
        cities in prop::collection::vec((lat(), lon(), csv_name()), 2..40),
        crlf in any::<bool>(),
        bom in any::<bool>(),
        blank_tail in 0usize..3,
        format in prop::sample::select(vec![Format::Auto, Format::Csv]),
    ) {
        let eol = if crlf { "\r\n" } else { "\n" };
        let mut text = String::new();
        if bom {
            text.push('\u{feff}');
        }
        text.push_str(&format!("name,lat,lon{eol}"));
        for (la, lo, name) in &cities {
            let quoted = format!("\"{}\"", name.replace('"', "\"\""));
            text.push_str(&format!("{quoted},{la},{lo}{eol}"));
        }
        text.push_str(&eol.repeat(blank_tail));
        let table = parse_cities(Path::new("gen.csv"), text.as_bytes(), &options(format));
        let table = table.map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
        check_round_trip(&table, &cities)?;
    }

    /// A generated whitespace-layout file (comments, blank lines, tabs) reads back likewise.
    #[test]
    fn txt_round_trips(
        cities in prop::collection::vec((lat(), lon(), txt_name()), 2..40),
        crlf in any::<bool>(),
        comment in any::<bool>(),
        tabs in any::<bool>(),
        format in prop::sample::select(vec![Format::Auto, Format::Txt]),
    ) {
        let eol = if crlf { "\r\n" } else { "\n" };
        let sep = if tabs { "\t" } else { " " };
        let mut text = String::new();
        if comment && format == Format::Txt {
            text.push_str(&format!("# generated{eol}{eol}"));
        }
        for (la, lo, name) in &cities {
            text.push_str(&format!("{la}{sep}{lo}{sep}{name}{eol}"));
        }
        let table = parse_cities(Path::new("gen.txt"), text.as_bytes(), &options(format));
        let table = table.map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
        check_round_trip(&table, &cities)?;
    }
}

// ---------------------------------------------------------------------------------------------
// Argument parsing

/// Argument lists built from the programs' own flags and awkward values.
fn argv(flags: &'static [&'static str]) -> impl Strategy<Value = Vec<String>> {
    let token = prop_oneof![
        3 => prop::sample::select(flags.to_vec()).prop_map(String::from),
        2 => prop::sample::select(vec![
            "0", "1", "-1", "2", "65535", "65536", "4294967295", "4294967296", "nan", "inf",
            "-inf", "1e308", "-1e308", "1e-320", "-0.7453,0.1127", "nan,0", "1,", ",", "", "tab",
            "\\t", ";", "jet", "turbo", "list", "LIST", "fast", "scalar", "haversine", "csv",
            "txt", "auto", "km", "mi", "nmi", "block", "cyclic", "dynamic", "x.png", "x.npy",
            "perturbation", "log", "sqrt", "max-iter", "1e-1000", "4.0078E-50", "#ff8000", "black",
        ]).prop_map(String::from),
        // Printable text: control characters in values are echoed raw by some messages (reported).
        1 => "[ -~é東]{0,8}",
    ];
    prop::collection::vec(token, 0..12)
}

/// `program` and then `tokens`, as the argument lists the checks take.
fn program_and(program: &str, tokens: Vec<String>) -> Vec<std::ffi::OsString> {
    std::iter::once(program.to_owned())
        .chain(tokens)
        .map(Into::into)
        .collect()
}

const DIST_FLAGS: &[&str] = &[
    "--max-cities",
    "--format",
    "--delimiter",
    "--lat-col",
    "--lon-col",
    "--name-col",
    "--units",
    "--kernel",
    "--threads",
    "--json",
    "--help",
    "--version",
    "data/cities.csv",
];

const MANDEL_FLAGS: &[&str] = &[
    "--out",
    "--counts",
    "--width",
    "--height",
    "--xmin",
    "--xmax",
    "--ymin",
    "--ymax",
    "--center",
    "--scale",
    "--max-iter",
    "--colormap",
    "--smooth",
    "--schedule",
    "--kernel",
    "--threads",
    "--json",
    "--color-scale",
    "--palette-period",
    "--palette-cycles",
    "--inside",
    "--no-bla",
    "--bla-bits",
];

proptest! {
    #![proptest_config(config(1000))]

    /// `dist-cities` arguments: the fuzz target's invariant (`check_dist_cities_args`).
    #[test]
    fn dist_cities_args_never_panic(tokens in argv(DIST_FLAGS)) {
        check_dist_cities_args(&program_and("dist-cities", tokens));
    }

    /// `mandel` arguments: the fuzz target's invariant (`check_mandel_args`).
    #[test]
    fn mandel_args_never_panic(tokens in argv(MANDEL_FLAGS)) {
        check_mandel_args(&program_and("mandel", tokens));
    }
}

/// The defaults parse and give the notebook's view.
#[test]
fn default_arguments_give_the_default_job() {
    let args = MandelArgs::try_parse_from(["mandel"]).expect("no arguments parse");
    let job = Request::from_options(&args.options(), None).expect("the defaults are valid");
    assert_eq!(job.view, Some(Viewport::default_view()));
    assert!(job.deep.is_none(), "the notebook's view is f64's");
    let args = DistCitiesArgs::try_parse_from(["dist-cities"]).expect("no arguments parse");
    assert_eq!(args.read_options().delimiter, b',');
    assert_eq!(args.path, Path::new("data/cities.csv"));
}

/// Regression for a finding: a view whose step is below the resolution of its coordinates used
/// to validate, yet its samples collapsed (every column rounded to one of two values and the
/// last column sampled `xmax` itself, outside `[xmin, xmax)`). It is refused now.
#[test]
fn sub_resolution_step_is_refused() {
    let (xmin, xmax) = (1e15, 1e15 + 0.125);
    match Viewport::new(xmin, xmax, -1.0, 1.0, 1000, 10) {
        Err(_) => {}
        Ok(v) => {
            let last = v.x_at(v.width() - 1);
            assert!(
                last < v.xmax(),
                "column {} samples {last} = xmax",
                v.width() - 1
            );
        }
    }
}

/// One fuzz target's check of one input.
type Invariant = fn(&[u8]);

/// The fuzz corpus's seeds (tests/fuzz/corpus/TARGET) through each target's own invariant, as
/// `scripts/fuzz` starts from them, here on stable without libFuzzer: a seed that breaks its
/// invariant fails, and an empty or missing corpus fails too (the test could not do its job).
#[test]
fn the_fuzz_seeds_keep_their_targets_invariants() {
    let targets: [(&str, Invariant); 4] = [
        ("city_csv", |d| check_city_file(d, Format::Csv, "fuzz.csv")),
        ("city_txt", |d| check_city_file(d, Format::Txt, "fuzz.txt")),
        ("dist_cities_args", |d| {
            check_dist_cities_args(&argv_from_lines("dist-cities", d))
        }),
        ("mandel_args", |d| {
            check_mandel_args(&argv_from_lines("mandel", d))
        }),
    ];
    for (target, check) in targets {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fuzz/corpus")
            .join(target);
        let seeds = common::listing(&dir);
        assert!(!seeds.is_empty(), "no seeds in {}", dir.display());
        for seed in seeds {
            check(&std::fs::read(dir.join(&seed)).expect("a seed"));
        }
    }
}
