//! The city reader against the reader it replaced, built on the `csv` crate: on any bytes, both
//! accept the same cities (same bits, names, countries and lines) or fail with the same message.
//!
//! The reference is that reader's logic kept whole, with two deliberate changes of the new one
//! applied to it: a record's line is the line its first byte is on (the csv crate counted from
//! the end of the previous record, one line short after a CRLF or a blank line), and a header
//! naming a used column twice is refused. Inputs here are small, so the old 1 MiB line limit,
//! enforced by 8 KiB reads, never differs.

use std::io::Read;
use std::path::Path;

use mpi_examples::cities::read::parse_cities;
use mpi_examples::cities::{CityTable, Format, ReadOptions};
use proptest::prelude::*;

/// A table as plain vectors, the old representation.
#[derive(Debug, PartialEq)]
struct Cities {
    names: Vec<String>,
    countries: Vec<Option<String>>,
    lat_bits: Vec<u64>,
    lon_bits: Vec<u64>,
    lines: Vec<u64>,
}

impl From<&CityTable> for Cities {
    fn from(t: &CityTable) -> Self {
        Cities {
            names: (0..t.len()).map(|k| t.name(k).to_owned()).collect(),
            countries: (0..t.len())
                .map(|k| t.country(k).map(str::to_owned))
                .collect(),
            lat_bits: t.lat_deg.iter().map(|v| v.to_bits()).collect(),
            lon_bits: t.lon_deg.iter().map(|v| v.to_bits()).collect(),
            lines: t.lines.clone(),
        }
    }
}

mod reference {
    //! The previous reader, on a whole input in memory; errors as their messages.

    use super::Cities;
    use mpi_examples::cities::{Format, ReadOptions};

    const BOM: &[u8] = b"\xef\xbb\xbf";
    const PATH: &str = "ref.csv";

    fn at(what: String, line: u64) -> String {
        format!("{what}, {PATH} line {line}")
    }

    #[derive(Default)]
    struct Table {
        names: Vec<String>,
        countries: Vec<Option<String>>,
        lat: Vec<f64>,
        lon: Vec<f64>,
        lines: Vec<u64>,
    }

    pub fn read(bytes: &[u8], options: &ReadOptions) -> Result<Cities, String> {
        // The head: up to the first line neither blank nor a comment.
        let mut body = bytes;
        let mut first = None;
        let mut offset = 0;
        for (k, raw) in bytes.split_inclusive(|&b| b == b'\n').enumerate() {
            let line = if k == 0 && raw.starts_with(BOM) {
                body = &bytes[3..];
                &raw[3..]
            } else {
                raw
            };
            offset += raw.len();
            let text = std::str::from_utf8(line)
                .map_err(|_| at("the city file is not valid UTF-8".into(), k as u64 + 1))?;
            if !text.trim().is_empty() && !text.trim_start().starts_with('#') {
                first = Some(text.trim().to_owned());
                break;
            }
        }
        let _ = offset;
        let Some(first) = first else {
            return Err(format!("the city file is empty, {PATH}"));
        };
        // The whitespace layout's first line starts with two numbers; a CSV's is its header.
        let numbers = first.split_whitespace().take(2);
        let two_numbers = numbers.filter(|f| f.parse::<f64>().is_ok()).count() == 2;
        let format = match options.format {
            Format::Auto if two_numbers => Format::Txt,
            Format::Auto => Format::Csv,
            f => f,
        };
        let table = match format {
            Format::Txt => read_txt(body, options.max_cities)?,
            _ => read_csv(body, options)?,
        };
        if table.lat.len() < 2 {
            return Err(format!(
                "need at least two cities, found {}, {PATH}",
                table.lat.len()
            ));
        }
        Ok(Cities {
            names: table.names,
            countries: table.countries,
            lat_bits: table.lat.iter().map(|v| v.to_bits()).collect(),
            lon_bits: table.lon.iter().map(|v| v.to_bits()).collect(),
            lines: table.lines,
        })
    }

    fn parse_coord(line: u64, coord: &str, limit: f64, raw: &str) -> Result<f64, String> {
        let value = raw.trim();
        let v: f64 = value
            .parse()
            .map_err(|_| at(format!("{coord} {value:?} is not a number"), line))?;
        if !v.is_finite() {
            return Err(at(
                format!("{coord} {value:?} is not a finite number"),
                line,
            ));
        }
        if v.abs() > limit {
            return Err(at(
                format!("{coord} {value} is out of range [-{limit}, {limit}]"),
                line,
            ));
        }
        Ok(v)
    }

    fn read_txt(body: &[u8], max_cities: usize) -> Result<Table, String> {
        let mut table = Table::default();
        for (k, raw) in body.split_inclusive(|&b| b == b'\n').enumerate() {
            let line = k as u64 + 1;
            let text = std::str::from_utf8(raw)
                .map_err(|_| at("the city file is not valid UTF-8".into(), line))?;
            let trimmed = text.trim();
            if trimmed.is_empty() || trimmed.starts_with('#') {
                continue;
            }
            let mut fields = trimmed.split_whitespace();
            let (Some(lat), Some(lon)) = (fields.next(), fields.next()) else {
                return Err(at(
                    format!("expected `latitude longitude [name]`, found {trimmed:?}"),
                    line,
                ));
            };
            if table.lat.len() == max_cities {
                return Err(too_many(max_cities, line));
            }
            table.lat.push(parse_coord(line, "latitude", 90.0, lat)?);
            table.lon.push(parse_coord(line, "longitude", 180.0, lon)?);
            table.names.push(fields.collect::<Vec<_>>().join(" "));
            table.countries.push(None);
            table.lines.push(line);
        }
        Ok(table)
    }

    fn too_many(limit: usize, line: u64) -> String {
        at(
            format!(
                "more than {limit} cities (the limit; raise it with --max-cities if the memory allows)"
            ),
            line,
        )
    }

    /// The header's names as the lookups compare them: trimmed, in lower case.
    fn normalised(header: &[String]) -> Vec<String> {
        header.iter().map(|h| h.trim().to_lowercase()).collect()
    }

    /// The column of the first name looked for (the explicit one, or the usual ones in order)
    /// that the header holds; or, for the message, the names looked for.
    fn find_column(
        header: &[String],
        explicit: Option<&str>,
        usual: &[&str],
    ) -> Result<usize, String> {
        let looked_for: Vec<String> = match explicit {
            Some(name) => vec![name.trim().to_lowercase()],
            None => usual.iter().map(|u| u.to_string()).collect(),
        };
        let names = normalised(header);
        for wanted in &looked_for {
            if let Some(col) = names.iter().position(|n| n == wanted) {
                return Ok(col);
            }
        }
        Err(looked_for.join(", "))
    }

    /// The new rule, applied here too: a later column of the same name makes `col` ambiguous.
    fn refuse_repeated(header: &[String], col: usize, wanted: &str) -> Result<usize, String> {
        let names = normalised(header);
        let again = names
            .iter()
            .enumerate()
            .skip(col + 1)
            .find_map(|(k, n)| (*n == names[col]).then_some(k));
        let Some(again) = again else {
            return Ok(col);
        };
        Err(at(
            format!(
                "{wanted} column {:?} appears twice in the header (columns {} and {})",
                header[col],
                col + 1,
                again + 1
            ),
            1,
        ))
    }

    fn read_csv(body: &[u8], options: &ReadOptions) -> Result<Table, String> {
        let mut reader = csv::ReaderBuilder::new()
            .delimiter(options.delimiter)
            .has_headers(true)
            .trim(csv::Trim::All)
            .from_reader(body);
        // The line a record starts on: where the csv crate's position points, past the line
        // ends it skips first (and a byte-order mark at the very start).
        let line_of = |pos: Option<&csv::Position>| {
            let mut b = pos.map_or(0, |p| p.byte() as usize);
            if b == 0 && body.starts_with(BOM) {
                b = 3;
            }
            while b < body.len() && (body[b] == b'\n' || body[b] == b'\r') {
                b += 1;
            }
            1 + body[..b].iter().filter(|&&c| c == b'\n').count() as u64
        };
        let csv_error = |e: csv::Error| {
            let message = match e.kind() {
                csv::ErrorKind::UnequalLengths {
                    expected_len, len, ..
                } => format!("expected {expected_len} fields like the header, found {len}"),
                _ => e.to_string(),
            };
            match e.kind() {
                csv::ErrorKind::Utf8 { pos, .. } => at(
                    "the city file is not valid UTF-8".into(),
                    line_of(pos.as_ref()),
                ),
                _ => at(message, line_of(e.position())),
            }
        };
        let header: Vec<String> = reader
            .headers()
            .map_err(csv_error)?
            .iter()
            .map(str::to_owned)
            .collect();
        let missing = |wanted: &str, looked_for: String| {
            let hint = if header.len() == 1 && header[0].contains([',', ';', '\t', '|']) {
                "; is --delimiter right?"
            } else {
                ""
            };
            at(
                format!(
                    "no {wanted} column (looked for {looked_for}; the header has {header:?}{hint})"
                ),
                1,
            )
        };
        let lat_col = find_column(&header, options.lat_col.as_deref(), &["lat", "latitude"])
            .map_err(|w| missing("latitude", w))?;
        let lat_col = refuse_repeated(&header, lat_col, "latitude")?;
        let lon_col = find_column(
            &header,
            options.lon_col.as_deref(),
            &["lon", "lng", "long", "longitude"],
        )
        .map_err(|w| missing("longitude", w))?;
        let lon_col = refuse_repeated(&header, lon_col, "longitude")?;
        let name_col = match find_column(&header, options.name_col.as_deref(), &["name", "city"]) {
            Ok(c) => Some(refuse_repeated(&header, c, "name")?),
            Err(w) if options.name_col.is_some() => return Err(missing("name", w)),
            Err(_) => None,
        };
        let country_col = match find_column(&header, None, &["country"]) {
            Ok(c) => Some(refuse_repeated(&header, c, "country")?),
            Err(_) => None,
        };

        let mut table = Table::default();
        let mut record = csv::StringRecord::new();
        while reader.read_record(&mut record).map_err(csv_error)? {
            let line = line_of(record.position());
            if record.iter().all(str::is_empty) {
                continue;
            }
            if table.lat.len() == options.max_cities {
                return Err(too_many(options.max_cities, line));
            }
            let field = |c: usize| record.get(c).unwrap_or("");
            table
                .lat
                .push(parse_coord(line, "latitude", 90.0, field(lat_col))?);
            table
                .lon
                .push(parse_coord(line, "longitude", 180.0, field(lon_col))?);
            table
                .names
                .push(name_col.map_or(String::new(), |c| field(c).to_owned()));
            table
                .countries
                .push(country_col.map(|c| field(c).to_owned()));
            table.lines.push(line);
        }
        Ok(table)
    }
}

/// Gives its bytes a few at a time, so records straddle every possible read boundary.
struct Trickle<'a> {
    bytes: &'a [u8],
    sizes: Vec<usize>,
    next: usize,
}

impl Read for Trickle<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let size = self.sizes[self.next % self.sizes.len()].min(buf.len());
        self.next += 1;
        let n = size.min(self.bytes.len());
        buf[..n].copy_from_slice(&self.bytes[..n]);
        self.bytes = &self.bytes[n..];
        Ok(n)
    }
}

/// The new reader's outcome, errors as messages.
fn new_outcome<R: Read>(reader: R, options: &ReadOptions) -> Result<Cities, String> {
    parse_cities(Path::new("ref.csv"), reader, options)
        .map(|t| Cities::from(&t))
        .map_err(|e| e.to_string())
}

fn check(bytes: &[u8], options: &ReadOptions, sizes: Vec<usize>) -> Result<(), TestCaseError> {
    let want = reference::read(bytes, options);
    let whole = new_outcome(bytes, options);
    prop_assert_eq!(&whole, &want, "input {:?}", String::from_utf8_lossy(bytes));
    let trickled = new_outcome(
        Trickle {
            bytes,
            sizes,
            next: 0,
        },
        options,
    );
    prop_assert_eq!(
        &trickled,
        &want,
        "trickled {:?}",
        String::from_utf8_lossy(bytes)
    );
    Ok(())
}

/// City-file-like bytes: headers, numbers, quotes, every kind of line end and white space, and
/// text that is or is not UTF-8.
fn cityish() -> impl Strategy<Value = Vec<u8>> {
    let piece = prop_oneof![
        6 => prop::sample::select(vec![
            &b"name,lat,lon"[..], b"city;latitude;lng", b"lat,lon,country,name", b"Lat,LON,lat",
            b"name,country,latitude,longitude,population", b"lat\tlon\tname",
        ]),
        10 => prop::sample::select(vec![
            &b"1"[..], b"-2.5", b"+3.", b".25", b"90", b"-180", b"180.0000001", b"91", b"1e2",
            b"NaN", b"inf", b"-0", b"12345678901234567890", b"0.30000000000000004", b"x",
        ]),
        10 => prop::sample::select(vec![
            &b","[..], b";", b"\t", b" ", b"\n", b"\r\n", b"\r", b"\n\n", b"\"", b"\"\"",
            b"#", b"\x0b", b"\x0c",
        ]),
        3 => prop::sample::select(vec![
            &b"Quito"[..], b"S\xc3\xa3o Paulo", b"\xe6\x9d\xb1\xe4\xba\xac", b"\xc2\xa0",
            b"\xe3\x80\x80", b"\xef\xbb\xbf", b"\xff", b"\xc3", b"\xa9", b"\xc3\"\xa9",
        ]),
    ];
    prop::collection::vec(piece, 0..40).prop_map(|pieces| pieces.concat())
}

fn options() -> impl Strategy<Value = ReadOptions> {
    (
        prop::sample::select(vec![Format::Auto, Format::Csv, Format::Txt]),
        prop::sample::select(vec![b',', b',', b';', b'\t', b' ', b'"', b'\n', b'\r', 0]),
        prop::sample::select(vec![None, Some("lat".to_string()), Some("LON".to_string())]),
        prop::sample::select(vec![2usize, 3, 1000]),
    )
        .prop_map(|(format, delimiter, lat_col, max_cities)| ReadOptions {
            format,
            delimiter,
            lat_col,
            max_cities,
            ..ReadOptions::default()
        })
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 20_000,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn the_new_reader_agrees_with_the_csv_crate(
        bytes in cityish(),
        options in options(),
        sizes in prop::collection::vec(1usize..9, 1..4),
    ) {
        check(&bytes, &options, sizes)?;
    }

    /// Mostly valid files, so that long runs of good rows are compared too.
    #[test]
    fn valid_looking_files_agree(
        rows in prop::collection::vec(
            (-95.0f64..95.0, -185.0f64..185.0, prop::sample::select(vec![
                "A", "\"B, b\"", "\"C \"\"c\"\"\"", " D ", "É", "\"x\ny\"", "",
            ]), prop::sample::select(vec!["\n", "\r\n", "\n\n", "\r"])),
            0..30,
        ),
        bom in any::<bool>(),
        sizes in prop::collection::vec(1usize..64, 1..4),
    ) {
        let mut text = String::new();
        if bom {
            text.push('\u{feff}');
        }
        text.push_str("name,country,lat,lon\n");
        for (la, lo, name, eol) in &rows {
            text.push_str(&format!("{name},XX,{la:.3},{lo}{eol}"));
        }
        check(text.as_bytes(), &ReadOptions::default(), sizes)?;
    }
}

/// Known tricky inputs, each compared on its own.
#[test]
fn tricky_inputs_agree() {
    let cases: &[&[u8]] = &[
        b"name,lat,lon\r\nA,1,2\r\nB,3,4\r\n",
        b"name,lat,lon\n\n\nA,1,2\n\n\nB,3,x\n",
        b"\xef\xbb\xbf\xef\xbb\xbfname,lat,lon\nA,1,2\nB,3,4\n",
        b"name,lat,lon\nA,1,2\n\"\xc3\"\xa9,3,4\n",
        b"name,lat,lon\nA,1,2\n,,\n \t, ,\xc2\xa0\nB,3,4\n",
        b"name,lat,lon\n\"unclosed,1,2\nB,3,4\n",
        b"name,lat,lon\nA,1,2\nB,3,4",
        b"\n\n  \n# c\nname,lat,lon\nA,1,2\nB,3,4\n",
        b"lat,lon,lat\n1,2,3\n4,5,6\n",
    ];
    for bytes in cases {
        check(bytes, &ReadOptions::default(), vec![3]).unwrap_or_else(|e| panic!("{e}"));
    }
}

/// The csv crate's reading speed against this reader's on a big file, both from memory, best of
/// 3 (the reason the reader is hand-written, in `cities::read`'s module doc):
/// `CITIES_BENCH=big.csv cargo test --release --test reader_reference reader_speeds -- --ignored
/// --nocapture` (make one with `scripts/gen-cities 1000000 1 big.csv`). The csv side is the
/// crate's own record loop with the same work per row (trimmed fields, the two coordinates
/// parsed, name and country kept), not [`reference`], whose line numbers are counted from the
/// start for every record (fine for small inputs, quadratic on a big one).
#[test]
#[ignore = "a benchmark; needs CITIES_BENCH naming a big city file"]
fn reader_speeds() {
    let Some(path) = std::env::var_os("CITIES_BENCH") else {
        eprintln!("set CITIES_BENCH to a city file");
        return;
    };
    let bytes = std::fs::read(&path).expect("the bench file");
    let megabytes = bytes.len() as f64 / 1e6;
    let best_of_3 = |read: &dyn Fn() -> usize| {
        let mut best = f64::INFINITY;
        let mut cities = 0;
        for _ in 0..3 {
            let start = std::time::Instant::now();
            cities = read();
            best = best.min(start.elapsed().as_secs_f64());
        }
        (best, cities)
    };
    let ours = || {
        parse_cities(Path::new("big.csv"), &bytes[..], &ReadOptions::default())
            .expect("a valid file")
            .len()
    };
    let with_csv = || {
        let mut reader = csv::ReaderBuilder::new()
            .trim(csv::Trim::All)
            .from_reader(&bytes[..]);
        let header = reader.headers().expect("a header").clone();
        let col = |name: &str| header.iter().position(|h| h == name).expect("a column");
        let (lat, lon, name, country) = (
            col("latitude"),
            col("longitude"),
            col("name"),
            col("country"),
        );
        let (mut lats, mut lons, mut labels) = (Vec::new(), Vec::new(), String::new());
        let mut record = csv::StringRecord::new();
        while reader.read_record(&mut record).expect("a valid record") {
            lats.push(record[lat].parse::<f64>().expect("a latitude"));
            lons.push(record[lon].parse::<f64>().expect("a longitude"));
            labels.push_str(&record[name]);
            labels.push_str(&record[country]);
        }
        lats.len()
    };
    let (ours_s, a) = best_of_3(&ours);
    let (csv_s, b) = best_of_3(&with_csv);
    assert_eq!(a, b, "the two readers count different cities");
    println!(
        "{a} cities, {megabytes:.1} MB, best of 3: this reader {ours_s:.3} s ({:.0} MB/s), the \
         csv crate {csv_s:.3} s ({:.0} MB/s): {:.1}x",
        megabytes / ours_s,
        megabytes / csv_s,
        csv_s / ours_s
    );
}
