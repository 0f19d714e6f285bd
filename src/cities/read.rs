//! Reading and validating city files: CSV with a header, or the notebook's whitespace layout.
//!
//! Every error names the file and, where there is one, the line and the bad value
//! ([`ReadError`]).
//!
//! Why by hand and not the `csv` crate: rank 0 reads the whole file while every other rank waits,
//! so the reading is the serial share of every run and bounds what more ranks can give. On 1
//! million generated cities (45.9 MB, `scripts/gen-cities 1000000 1 big.csv`), both from memory,
//! best of 3, this reader took 0.189 s (242 MB/s) and the `csv` crate's record loop (trimmed
//! fields, both coordinates parsed, name and country kept; no line numbers and no per-field UTF-8
//! messages, so if anything it does less) 0.595 s (77 MB/s): 3.1x (`reader_speeds` in
//! `tests/reader_reference.rs`, this 2-core Xeon at d805250 with other builds running). The README
//! at 67f7f38 said the same of the whole files: 0.23 s here, 1.3 s for the `csv`-crate reader this
//! one replaced; at 1d11f38 rank 0 read 214 MB/s, against 88 MB/s for pandas' `read_csv` of the
//! same three columns. What makes the difference: one 1 MiB buffer reused for the whole file
//! (`read/input.rs`), a splitter that keeps fields as byte ranges and copies only quoted ones
//! (`read/records.rs`), UTF-8 checked a buffer at a time, coordinates parsed by an exact fast path
//! (`read/decimal.rs`: the bits `str::parse` gives), and names kept end to end in one buffer
//! instead of a `String` per field. The splitter follows the `csv` crate's rules, and
//! `tests/reader_reference.rs` holds the two readers to the same cities and the same messages on
//! random and tricky bytes.

use std::fs::File;
use std::io::Read;
use std::path::Path;

use super::table::CityTable;
use input::Input;
use records::{Split, Splitter};

mod decimal;
mod error;
mod input;
mod records;

pub use error::{Coord, CoordProblem, ReadError};
pub use input::MAX_LINE_BYTES;

/// The UTF-8 byte-order mark, dropped at the start of a file.
const UTF8_BOM: &[u8] = b"\xef\xbb\xbf";

/// The default limit on the cities of one file: 20 million cities take about 1.4 GB on rank 0
/// (with names of about ten bytes) and 480 MB on every rank (and 2e14 pairs).
pub const DEFAULT_MAX_CITIES: usize = 20_000_000;

/// The layout of a city file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Format {
    /// CSV when the first line is a header, the notebook's `lat lon name` layout when it starts
    /// with two numbers.
    #[default]
    Auto,
    /// CSV with a header row; columns are found by name.
    Csv,
    /// One city a line, `lat lon name words...` separated by white space, no header.
    Txt,
}

/// How to read a city file; the defaults suit `data/cities.csv`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadOptions {
    /// The file layout, detected by default.
    pub format: Format,
    /// The CSV field delimiter.
    pub delimiter: u8,
    /// Latitude column name, instead of looking for `lat` or `latitude`.
    pub lat_col: Option<String>,
    /// Longitude column name, instead of looking for `lon`, `lng`, `long` or `longitude`.
    pub lon_col: Option<String>,
    /// Name column, instead of looking for `name` or `city`.
    pub name_col: Option<String>,
    /// The most cities accepted: a larger file is refused before it exhausts memory.
    pub max_cities: usize,
}

impl Default for ReadOptions {
    fn default() -> Self {
        ReadOptions {
            format: Format::Auto,
            delimiter: b',',
            lat_col: None,
            lon_col: None,
            name_col: None,
            max_cities: DEFAULT_MAX_CITIES,
        }
    }
}

/// Reads and validates a city file, streaming through a buffer of about a megabyte: memory grows
/// with the cities kept (their coordinates, lines and names), and lines are limited to
/// [`MAX_LINE_BYTES`].
pub fn read_cities(path: &Path, options: &ReadOptions) -> Result<CityTable, ReadError> {
    if path.as_os_str().is_empty() {
        return Err(ReadError::EmptyPath);
    }
    let file = File::open(path).map_err(|source| ReadError::Io {
        path: path.to_owned(),
        source,
    })?;
    parse_cities(path, file, options)
}

/// Reads and validates cities from any reader; `path` names it in messages.
pub fn parse_cities<R: Read>(
    path: &Path,
    reader: R,
    options: &ReadOptions,
) -> Result<CityTable, ReadError> {
    let mut input = Input::new(path, reader);
    let Some(first) = first_content_line(path, &mut input)? else {
        return Err(ReadError::Empty {
            path: path.to_owned(),
        });
    };
    let format = match options.format {
        Format::Auto => detect_format(&first),
        f => f,
    };
    if input.available().starts_with(UTF8_BOM) {
        input.consume(UTF8_BOM.len());
    }
    let table = match format {
        Format::Txt => read_txt(path, &mut input, options.max_cities)?,
        _ => read_csv(path, &mut input, options)?,
    };
    if table.len() < 2 {
        return Err(ReadError::TooFew {
            path: path.to_owned(),
            found: table.len(),
        });
    }
    Ok(table)
}

/// Reads until the first line that is neither blank nor a comment (the lines before it stay in
/// `input`) and returns it trimmed, or `None` when there is none; every line on the way must be
/// UTF-8, a byte-order mark at the start aside.
fn first_content_line<R: Read>(
    path: &Path,
    input: &mut Input<'_, R>,
) -> Result<Option<String>, ReadError> {
    let mut line_start = 0;
    let mut line = 0u64;
    loop {
        let bytes = input.available();
        let line_end = match memchr::memchr(b'\n', &bytes[line_start..]) {
            Some(k) => line_start + k + 1,
            None if input.at_eof() => bytes.len(),
            None => {
                input.fill()?;
                continue;
            }
        };
        if line_start == line_end {
            return Ok(None);
        }
        line += 1;
        let mut raw = &bytes[line_start..line_end];
        if line == 1 {
            raw = raw.strip_prefix(UTF8_BOM).unwrap_or(raw);
        }
        let text = std::str::from_utf8(raw).map_err(|_| ReadError::NotUtf8 {
            path: path.to_owned(),
            line,
        })?;
        // Comment lines of the whitespace layout do not decide the layout.
        if !text.trim().is_empty() && !text.trim_start().starts_with('#') {
            return Ok(Some(text.trim().to_owned()));
        }
        line_start = line_end;
    }
}

/// The notebook's layout starts with two numbers on its first non-blank line; a CSV starts with
/// a header.
fn detect_format(first_line: &str) -> Format {
    let mut fields = first_line.split_whitespace();
    let numeric = |f: Option<&str>| f.is_some_and(|s| s.parse::<f64>().is_ok());
    if numeric(fields.next()) && numeric(fields.next()) {
        Format::Txt
    } else {
        Format::Csv
    }
}

/// Parses and range-checks one coordinate: the bits `str::parse` gives, and the numbers it takes.
fn parse_coord(path: &Path, line: u64, coord: Coord, raw: &str) -> Result<f64, ReadError> {
    let value = trim(raw);
    let bad = |problem| ReadError::BadCoordinate {
        path: path.to_owned(),
        line,
        coord,
        value: value.to_owned(),
        problem,
    };
    let v = decimal::parse_f64(value).map_err(|_| bad(CoordProblem::NotANumber))?;
    if !v.is_finite() {
        return Err(bad(CoordProblem::NotFinite));
    }
    if v.abs() > coord.limit() {
        return Err(bad(CoordProblem::OutOfRange));
    }
    Ok(v)
}

/// Adds a city's coordinates to `table`, both readers' one way: refused past `max_cities`, then
/// the latitude checked, then the longitude fetched (`lon`, which may fail: a CSV field's UTF-8)
/// and checked, so the first thing wrong on the line is what is reported.
fn push_coords<'a>(
    table: &mut CityTable,
    path: &Path,
    line: u64,
    max_cities: usize,
    lat: &str,
    lon: impl FnOnce() -> Result<&'a str, ReadError>,
) -> Result<(), ReadError> {
    if table.len() == max_cities {
        return Err(ReadError::TooMany {
            path: path.to_owned(),
            line,
            limit: max_cities,
        });
    }
    let lat = parse_coord(path, line, Coord::Latitude, lat)?;
    let lon = parse_coord(path, line, Coord::Longitude, lon()?)?;
    table.lat_deg.push(lat);
    table.lon_deg.push(lon);
    Ok(())
}

fn read_txt<R: Read>(
    path: &Path,
    input: &mut Input<'_, R>,
    max_cities: usize,
) -> Result<CityTable, ReadError> {
    let mut table = CityTable::default();
    let mut line = 0u64;
    loop {
        let bytes = input.available();
        let line_end = match memchr::memchr(b'\n', bytes) {
            Some(k) => k + 1,
            None if input.at_eof() => bytes.len(),
            None => {
                input.fill()?;
                continue;
            }
        };
        if line_end == 0 {
            break;
        }
        line += 1;
        let text = std::str::from_utf8(&bytes[..line_end]).map_err(|_| ReadError::NotUtf8 {
            path: path.to_owned(),
            line,
        })?;
        let trimmed = text.trim();
        if !trimmed.is_empty() && !trimmed.starts_with('#') {
            let mut fields = trimmed.split_whitespace();
            let (Some(lat), Some(lon)) = (fields.next(), fields.next()) else {
                return Err(ReadError::ShortLine {
                    path: path.to_owned(),
                    line,
                    text: trimmed.to_owned(),
                });
            };
            push_coords(&mut table, path, line, max_cities, lat, || Ok(lon))?;
            // The name: the remaining words, one space apart.
            for (k, word) in fields.enumerate() {
                if k > 0 {
                    table.labels.push(' ');
                }
                table.labels.push_str(word);
            }
            table.end_label();
            table.end_label();
            table.lines.push(line);
        }
        input.consume(line_end);
    }
    Ok(table)
}

/// Finds a column by an explicit name or by the first of the usual names, case-insensitively.
fn find_column(header: &[String], explicit: Option<&str>, usual: &[&str]) -> Result<usize, String> {
    let wanted: Vec<String> = match explicit {
        Some(name) => vec![name.trim().to_lowercase()],
        None => usual.iter().map(|s| s.to_string()).collect(),
    };
    wanted
        .iter()
        .find_map(|w| header.iter().position(|h| h.trim().to_lowercase() == *w))
        .ok_or_else(|| wanted.join(", "))
}

/// Refuses a header that names column `col` again later: which of the two is meant is unclear.
fn refuse_repeated(
    path: &Path,
    header: &[String],
    col: usize,
    wanted: &'static str,
) -> Result<usize, ReadError> {
    let name = header[col].trim().to_lowercase();
    match (col + 1..header.len()).find(|&k| header[k].trim().to_lowercase() == name) {
        None => Ok(col),
        Some(again) => Err(ReadError::RepeatedColumn {
            path: path.to_owned(),
            wanted,
            name: header[col].clone(),
            first: col + 1,
            second: again + 1,
        }),
    }
}

/// The next record of the CSV into `splitter`, reading more input as needed; `false` at the end.
fn next_record<R: Read>(
    input: &mut Input<'_, R>,
    splitter: &mut Splitter,
) -> Result<bool, ReadError> {
    loop {
        match splitter.split(input.available(), input.at_eof()) {
            Split::Record => return Ok(true),
            Split::End => return Ok(false),
            Split::NeedMore => {
                input.consume(splitter.consumed());
                input.fill()?;
            }
        }
    }
}

/// `text` without the white space around it, as `str::trim`, quicker when there is none.
fn trim(text: &str) -> &str {
    let text = match text.as_bytes().first() {
        Some(a) if a.is_ascii_graphic() => text,
        _ => text.trim_start(),
    };
    match text.as_bytes().last() {
        Some(z) if z.is_ascii_graphic() => text,
        _ => text.trim_end(),
    }
}

/// Whether `bytes` is empty once trimmed as `str::trim` does (the csv crate's `Trim::All`).
fn is_blank(bytes: &[u8]) -> bool {
    std::str::from_utf8(bytes).is_ok_and(|s| s.trim().is_empty())
}

fn read_csv<R: Read>(
    path: &Path,
    input: &mut Input<'_, R>,
    options: &ReadOptions,
) -> Result<CityTable, ReadError> {
    // The csv crate drops a byte-order mark at the start of what it reads, a second one too.
    if input.available().starts_with(UTF8_BOM) {
        input.consume(UTF8_BOM.len());
    }
    let mut splitter = Splitter::new(options.delimiter);
    let not_utf8 = |line| ReadError::NotUtf8 {
        path: path.to_owned(),
        line,
    };

    let mut header = Vec::new();
    if next_record(input, &mut splitter)? {
        let bytes = input.available();
        for k in 0..splitter.field_count() {
            let field = std::str::from_utf8(splitter.field(bytes, k))
                .map_err(|_| not_utf8(splitter.record_line()))?;
            header.push(field.trim().to_owned());
        }
        input.consume(splitter.consumed());
    }
    let missing = |wanted: &'static str, looked_for: String| {
        // One field holding another common delimiter suggests the wrong --delimiter.
        let hint = if header.len() == 1 && header[0].contains([',', ';', '\t', '|']) {
            "; is --delimiter right?"
        } else {
            ""
        };
        ReadError::MissingColumn {
            path: path.to_owned(),
            wanted,
            looked_for,
            found: header.clone(),
            hint,
        }
    };
    let lat_col = find_column(&header, options.lat_col.as_deref(), &["lat", "latitude"])
        .map_err(|w| missing("latitude", w))?;
    let lat_col = refuse_repeated(path, &header, lat_col, "latitude")?;
    let lon_col = find_column(
        &header,
        options.lon_col.as_deref(),
        &["lon", "lng", "long", "longitude"],
    )
    .map_err(|w| missing("longitude", w))?;
    let lon_col = refuse_repeated(path, &header, lon_col, "longitude")?;
    let name_col = match find_column(&header, options.name_col.as_deref(), &["name", "city"]) {
        Ok(c) => Some(refuse_repeated(path, &header, c, "name")?),
        Err(w) if options.name_col.is_some() => return Err(missing("name", w)),
        Err(_) => None,
    };
    let country_col = match find_column(&header, None, &["country"]) {
        Ok(c) => Some(refuse_repeated(path, &header, c, "country")?),
        Err(_) => None,
    };

    let columns = Columns {
        count: header.len(),
        lat: lat_col,
        lon: lon_col,
        name: name_col,
        country: country_col,
    };
    let mut table = CityTable::with_countries(country_col.is_some());
    // One window of input at a time: its UTF-8 is checked in one go, then split into records.
    loop {
        let bytes = input.available();
        let at_eof = input.at_eof();
        let valid = valid_utf8_prefix(bytes);
        let mut pos = 0;
        let more = loop {
            match splitter.split(&bytes[pos..], at_eof) {
                Split::Record => {
                    let text = valid.get(pos..pos + splitter.consumed());
                    let record = Record {
                        bytes: &bytes[pos..],
                        text,
                        splitter: &splitter,
                    };
                    add_city(path, &mut table, &record, &columns, options.max_cities)?;
                    pos += splitter.consumed();
                }
                Split::NeedMore => break true,
                Split::End => break false,
            }
        };
        input.consume(pos + splitter.consumed());
        if !more {
            return Ok(table);
        }
        input.fill()?;
    }
}

/// The longest start of `bytes` that is UTF-8.
fn valid_utf8_prefix(bytes: &[u8]) -> &str {
    match simdutf8::basic::from_utf8(bytes) {
        Ok(text) => text,
        Err(_) => {
            let valid = simdutf8::compat::from_utf8(bytes).map_or_else(|e| e.valid_up_to(), |_| 0);
            std::str::from_utf8(&bytes[..valid]).unwrap_or_default()
        }
    }
}

/// Where the columns the reader uses are, and how many there are.
struct Columns {
    count: usize,
    lat: usize,
    lon: usize,
    name: Option<usize>,
    country: Option<usize>,
}

/// One record just split: its bytes (from where the split began) and, when they are UTF-8, the
/// same bytes as text.
struct Record<'a> {
    bytes: &'a [u8],
    text: Option<&'a str>,
    splitter: &'a Splitter,
}

/// Validates one CSV record and adds its city to `table` (a record of empty fields adds none).
fn add_city(
    path: &Path,
    table: &mut CityTable,
    record: &Record<'_>,
    columns: &Columns,
    max_cities: usize,
) -> Result<(), ReadError> {
    let splitter = record.splitter;
    let line = splitter.record_line();
    let count = splitter.field_count();
    if count != columns.count {
        return Err(ReadError::Csv {
            path: path.to_owned(),
            line,
            message: format!(
                "expected {} fields like the header, found {count}",
                columns.count
            ),
        });
    }
    let not_utf8 = || ReadError::NotUtf8 {
        path: path.to_owned(),
        line,
    };
    // Every field must be UTF-8, used or not. A record valid as a whole has valid fields; the
    // reverse can fail only by quotes between the bytes of a character (`"\xc3"\xa9`).
    let raw = |k: usize| splitter.field(record.bytes, k);
    if record.text.is_none() && (0..count).any(|k| std::str::from_utf8(raw(k)).is_err()) {
        return Err(not_utf8());
    }
    let text = |k: usize| {
        match record.text {
            Some(whole) => splitter.field_str(whole, k),
            None => std::str::from_utf8(raw(k)).ok(),
        }
        .map(trim)
        .ok_or_else(not_utf8)
    };
    let lat = text(columns.lat)?;
    if lat.is_empty() && (0..count).all(|k| is_blank(raw(k))) {
        return Ok(());
    }
    push_coords(table, path, line, max_cities, lat, || text(columns.lon))?;
    if let Some(c) = columns.name {
        table.labels.push_str(text(c)?);
    }
    table.end_label();
    if let Some(c) = columns.country {
        table.labels.push_str(text(c)?);
    }
    table.end_label();
    table.lines.push(line);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{self, Write};

    /// Every city's name.
    fn names(t: &CityTable) -> Vec<&str> {
        (0..t.len()).map(|i| t.name(i)).collect()
    }

    fn file_with(content: &[u8]) -> tempfile::NamedTempFile {
        let mut f = tempfile::NamedTempFile::new().expect("temp file");
        f.write_all(content).expect("write");
        f
    }

    fn read(content: &str) -> Result<CityTable, ReadError> {
        read_cities(
            file_with(content.as_bytes()).path(),
            &ReadOptions::default(),
        )
    }

    #[test]
    fn reads_csv_with_usual_names_and_quotes() {
        let t = read("name,country,latitude,longitude,population\n\"Mianzhu, Deyang\",CN,31.3,104.2,5\nQuito,EC,-0.22985,-78.52495,1\n")
            .expect("valid");
        assert_eq!(t.len(), 2);
        assert_eq!(t.name(0), "Mianzhu, Deyang");
        assert_eq!(t.country(1), Some("EC"));
        assert_eq!((t.lat_deg[1], t.lon_deg[1]), (-0.22985, -78.52495));
        assert_eq!(t.lines, vec![2, 3]);
        assert_eq!(t.label(1), "Quito (EC)");
    }

    #[test]
    fn finds_other_column_names_case_insensitively() {
        let t = read("City,LAT,Lng,Country\nA,1,2,X\nB,3,4,Y\n").expect("valid");
        assert_eq!((t.name(1), t.lat_deg[1], t.lon_deg[1]), ("B", 3.0, 4.0));
        let opts = ReadOptions {
            lat_col: Some("phi".into()),
            lon_col: Some("lambda".into()),
            name_col: Some("where".into()),
            delimiter: b';',
            ..ReadOptions::default()
        };
        let f = file_with(b"where;phi;lambda\nA;1;2\nB;3;4\n");
        let t = read_cities(f.path(), &opts).expect("valid");
        assert_eq!((t.name(0), t.lat_deg[0], t.lon_deg[1]), ("A", 1.0, 4.0));
        assert_eq!(t.country(0), None);
    }

    #[test]
    fn reads_the_notebook_txt_layout() {
        let t = read("31.22 121.46 Shanghai\n\n-0.23 -78.52 San Francisco de Quito\n10 20\n")
            .expect("valid");
        assert_eq!(t.len(), 3);
        assert_eq!(names(&t), vec!["Shanghai", "San Francisco de Quito", ""]);
        assert_eq!(t.lines, vec![1, 3, 4]);
        assert_eq!(t.label(2), "the city on line 4");
    }

    #[test]
    fn every_bad_input_names_the_problem_and_the_place() {
        let cases: &[(&str, &str)] = &[
            ("", "the city file is empty"),
            ("name,lat,lon\n", "need at least two cities, found 0"),
            ("name,lat,lon\nA,1,2\n", "need at least two cities, found 1"),
            (
                "name,lat,lon\nA,1,2\nB,north,3\n",
                "latitude \"north\" is not a number",
            ),
            (
                "name,lat,lon\nA,1,2\nB,NaN,3\n",
                "latitude \"NaN\" is not a finite number",
            ),
            (
                "name,lat,lon\nA,1,2\nB,3,inf\n",
                "longitude \"inf\" is not a finite number",
            ),
            (
                "name,lat,lon\nA,1,2\nB,95.5,3\n",
                "latitude 95.5 is out of range [-90, 90]",
            ),
            (
                "name,lat,lon\nA,1,2\nB,3,-180.01\n",
                "longitude -180.01 is out of range [-180, 180]",
            ),
            (
                "name,lat,lon\nA,1,2\nB,3\n",
                "expected 3 fields like the header, found 2",
            ),
            (
                "name,x,lon\nA,1,2\nB,3,4\n",
                "no latitude column (looked for lat, latitude",
            ),
            ("name;lat;lon\nA;1;2\nB;3;4\n", "is --delimiter right?"),
            ("1 2 A\n3 x B\n", "longitude \"x\" is not a number"),
        ];
        for (content, want) in cases {
            let err = read(content).expect_err(content).to_string();
            assert!(err.contains(want), "{content:?}: {err}");
            assert!(!err.contains('\n'), "one line: {err}");
        }
        let err = read("name,lat,lon\nA,1,2\nB,95.5,3\n")
            .expect_err("range")
            .to_string();
        assert!(err.ends_with(" line 3"), "{err}");
        let err = read_cities(
            Path::new("/nonexistent/cities.csv"),
            &ReadOptions::default(),
        )
        .expect_err("missing");
        assert!(
            err.to_string().starts_with("cannot read the city file"),
            "{err}"
        );
        let err = read_cities(
            file_with(b"name,lat,lon\nA,1,2\n\xff,3,4\n").path(),
            &ReadOptions::default(),
        )
        .expect_err("utf8");
        assert!(
            err.to_string().contains("not valid UTF-8") && err.to_string().ends_with("line 3"),
            "{err}"
        );
    }

    #[test]
    fn awkward_but_valid_files_read_right() {
        // BOM, CRLF line ends, trailing blank lines, quoted names with commas and quotes, other
        // scripts, extra columns.
        let csv =
            "\u{feff}name,country,lat,lon,extra\r\n\"Say \"\"hi\"\", ok\",JP,35.7,139.7,x\r\n\
                   Αθήνα,GR,37.98,23.73,y\r\nالقاهرة,EG,30.04,31.24,z\r\n\r\n\r\n";
        let t = read(csv).expect("valid");
        assert_eq!(names(&t), vec!["Say \"hi\", ok", "Αθήνα", "القاهرة"]);
        assert_eq!((t.lat_deg[2], t.lon_deg[2]), (30.04, 31.24));
        // The txt layout with comments, CRLF and a BOM.
        let t = read("\u{feff}# cities\r\n10 20 A b\r\n# more\r\n-5 7.5 C\r\n\r\n").expect("valid");
        assert_eq!((names(&t), t.lines.clone()), (vec!["A b", "C"], vec![2, 4]));
    }

    #[test]
    fn a_used_column_named_twice_is_refused() {
        let err = read("lat,lon,lat\n1,2,3\n4,5,6\n").expect_err("lat twice");
        assert!(
            err.to_string().starts_with(
                "latitude column \"lat\" appears twice in the header (columns 1 and 3), "
            ) && err.to_string().ends_with(" line 1"),
            "{err}"
        );
        let err = read("Name,lat,lon,NAME\nA,1,2,B\nC,3,4,D\n").expect_err("name twice");
        assert!(
            err.to_string()
                .starts_with("name column \"Name\" appears twice in the header (columns 1 and 4)"),
            "{err}"
        );
        // Columns the reader does not use may repeat, and so may two names for one thing.
        let t = read("x,lat,x,lon,latitude\n0,1,0,2,9\n0,3,0,4,9\n").expect("valid");
        assert_eq!((t.lat_deg[1], t.lon_deg[1]), (3.0, 4.0));
    }

    #[test]
    fn lines_are_where_records_start() {
        // CRLF ends, blank lines and a name running over two lines.
        let t = read("name,lat,lon\r\nA,1,2\r\n\r\n\"B\nb\",3,4\r\nC,5,6\r\n").expect("valid");
        assert_eq!(t.lines, vec![2, 4, 6]);
        let err = read("name,lat,lon\r\nA,1,2\r\n\r\nB,x,4\r\n").expect_err("not a number");
        assert!(err.to_string().ends_with(" line 4"), "{err}");
    }

    #[test]
    fn a_record_bigger_than_the_buffer_reads_whole_through_small_reads() {
        // A quoted name of 5 MB over many lines, given 64 KiB a read like a pipe.
        let name = "x".repeat(99) + "\n";
        let name = name.repeat(50_000);
        let text = format!("name,lat,lon\n\"{name}\",1,2\nB,3,4\n");
        let pipe = Pipe {
            bytes: text.as_bytes(),
        };
        let t = parse_cities(Path::new("pipe"), pipe, &ReadOptions::default()).expect("valid");
        assert_eq!((t.name(0).len(), t.name(1)), (name.trim().len(), "B"));
        assert_eq!(t.lines, vec![2, 50_003]);
    }

    /// Gives at most 64 KiB a read.
    struct Pipe<'a> {
        bytes: &'a [u8],
    }

    impl Read for Pipe<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = buf.len().min(self.bytes.len()).min(1 << 16);
            buf[..n].copy_from_slice(&self.bytes[..n]);
            self.bytes = &self.bytes[n..];
            Ok(n)
        }
    }

    #[test]
    fn messages_stay_on_one_line_whatever_the_path() {
        let err = read_cities(Path::new("no\nsuch\u{1b}.csv"), &ReadOptions::default())
            .expect_err("missing");
        let text = err.to_string();
        assert!(!text.contains('\n') && !text.contains('\u{1b}'), "{text:?}");
        assert!(text.ends_with("no\\nsuch\\u{1b}.csv"), "{text}");
    }

    #[test]
    fn names_with_control_characters_are_printed_escaped() {
        let t = read("name,lat,lon\n\"evil\u{1b}[2J\nname\",1,2\nok,3,4\n").expect("valid");
        assert_eq!(t.label(0), "evil\\u{1b}[2J\\nname");
    }

    #[test]
    fn endless_or_binary_input_stops_at_a_limit() {
        // /dev/zero: no newline ever.
        let zeros = io::repeat(0).take(3 * MAX_LINE_BYTES as u64);
        let err = parse_cities(Path::new("/dev/zero"), zeros, &ReadOptions::default())
            .expect_err("zeros");
        assert!(
            err.to_string()
                .starts_with("line 1 is longer than 1048576 bytes"),
            "{err}"
        );
        // An endless stream of valid rows (a FIFO fed by `yes`).
        let endless = io::Cursor::new(b"name,lat,lon\n".to_vec())
            .chain(io::repeat(b'x').take(0))
            .chain(Rows(0));
        let opts = ReadOptions {
            max_cities: 1000,
            ..ReadOptions::default()
        };
        let err = parse_cities(Path::new("fifo"), endless, &opts).expect_err("endless");
        assert_eq!(err.to_string(), "more than 1000 cities (the limit; raise it with --max-cities if the memory allows), fifo line 1002");
        let err = read_cities(Path::new(""), &ReadOptions::default()).expect_err("empty path");
        assert_eq!(err.to_string(), "the city file path is empty");
        let dir = tempfile::tempdir().expect("dir");
        let err = read_cities(dir.path(), &ReadOptions::default()).expect_err("a directory");
        assert!(err.to_string().contains("Is a directory"), "{err}");
    }

    /// The reader's speed on a big file: `CITIES_BENCH=big.csv cargo test --release --lib
    /// read_speed -- --ignored --nocapture` (make one with `scripts/gen-cities 1000000 1 big.csv`).
    #[test]
    #[ignore = "a benchmark; needs CITIES_BENCH naming a big city file"]
    fn read_speed() {
        let Some(path) = std::env::var_os("CITIES_BENCH") else {
            eprintln!("set CITIES_BENCH to a city file");
            return;
        };
        let path = Path::new(&path);
        let megabytes = std::fs::metadata(path).expect("the bench file").len() as f64 / 1e6;
        // The thread's CPU time too: on a busy machine the wall clock also counts others' work.
        let cpu_seconds = || {
            let mut t = libc::timespec {
                tv_sec: 0,
                tv_nsec: 0,
            };
            // SAFETY: `t` is a valid timespec for the call to fill.
            unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut t) };
            t.tv_sec as f64 + t.tv_nsec as f64 * 1e-9
        };
        let (mut wall, mut cpu, mut cities) = (f64::INFINITY, f64::INFINITY, 0);
        for _ in 0..3 {
            let (start, start_cpu) = (std::time::Instant::now(), cpu_seconds());
            let table = read_cities(path, &ReadOptions::default()).expect("a valid file");
            wall = wall.min(start.elapsed().as_secs_f64());
            cpu = cpu.min(cpu_seconds() - start_cpu);
            cities = table.len();
        }
        println!(
            "{cities} cities, {megabytes:.1} MB, best of 3: {wall:.3} s wall ({:.1} MB/s), \
             {cpu:.3} s CPU ({:.1} MB/s)",
            megabytes / wall,
            megabytes / cpu
        );
    }

    /// An endless source of valid CSV rows.
    struct Rows(u64);

    impl Read for Rows {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let row = format!("c{},{}.5,{}.25\n", self.0, self.0 % 90, self.0 % 180);
            self.0 += 1;
            let n = row.len().min(buf.len());
            buf[..n].copy_from_slice(&row.as_bytes()[..n]);
            Ok(n)
        }
    }

    #[test]
    fn a_million_rows_stream_through() {
        let rows = io::Cursor::new(b"name,lat,lon\n".to_vec()).chain(Rows(0).take_rows(1_000_000));
        let t =
            parse_cities(Path::new("million.csv"), rows, &ReadOptions::default()).expect("valid");
        assert_eq!(t.len(), 1_000_000);
        assert_eq!((t.name(999_999), t.lat_deg[999_999]), ("c999999", 9.5));
    }

    impl Rows {
        /// At most `n` rows, each whole.
        fn take_rows(self, n: u64) -> impl Read {
            RowsUpTo {
                rows: self,
                end: n,
                pending: Vec::new(),
            }
        }
    }

    struct RowsUpTo {
        rows: Rows,
        end: u64,
        pending: Vec<u8>,
    }

    impl Read for RowsUpTo {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            if self.pending.is_empty() {
                if self.rows.0 == self.end {
                    return Ok(0);
                }
                let mut row = vec![0u8; 64];
                let n = self.rows.read(&mut row)?;
                row.truncate(n);
                self.pending = row;
            }
            let n = self.pending.len().min(buf.len());
            buf[..n].copy_from_slice(&self.pending[..n]);
            self.pending.drain(..n);
            Ok(n)
        }
    }
}
