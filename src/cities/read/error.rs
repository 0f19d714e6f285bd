//! What can be wrong with a city file ([`ReadError`], and for a coordinate [`Coord`] and
//! [`CoordProblem`]): every message names the file and, where there is one, the line and the
//! bad value.

use std::fmt;
use std::path::PathBuf;

/// Which coordinate a value was meant to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Coord {
    /// Latitude, in [-90, 90].
    Latitude,
    /// Longitude, in [-180, 180].
    Longitude,
}

impl Coord {
    pub(super) fn limit(self) -> f64 {
        match self {
            Coord::Latitude => 90.0,
            Coord::Longitude => 180.0,
        }
    }
}

impl fmt::Display for Coord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Coord::Latitude => "latitude",
            Coord::Longitude => "longitude",
        })
    }
}

/// A city file that cannot be read or does not validate; the message says what and where.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// The file cannot be opened or read.
    #[error(
        "cannot read the city file ({source}), {}",
        crate::message::shown(path)
    )]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The file has no content at all.
    #[error("the city file is empty, {}", crate::message::shown(path))]
    Empty {
        /// The file.
        path: PathBuf,
    },
    /// Bytes that are not UTF-8.
    #[error(
        "the city file is not valid UTF-8, {} line {line}",
        crate::message::shown(path)
    )]
    NotUtf8 {
        /// The file.
        path: PathBuf,
        /// The first line with a bad byte.
        line: u64,
    },
    /// A CSV header without a column the program needs.
    #[error(
        "no {wanted} column (looked for {looked_for}; the header has {found:?}{hint}), {} line 1",
        crate::message::shown(path)
    )]
    MissingColumn {
        /// The file.
        path: PathBuf,
        /// What the column holds.
        wanted: &'static str,
        /// The names that were tried.
        looked_for: String,
        /// The header's fields as read.
        found: Vec<String>,
        /// A suggestion when the header looks split by another delimiter.
        hint: &'static str,
    },
    /// A CSV header naming a column the program uses twice: which one is meant is unclear.
    #[error(
        "{wanted} column {name:?} appears twice in the header (columns {first} and {second}), {} line 1",
        crate::message::shown(path)
    )]
    RepeatedColumn {
        /// The file.
        path: PathBuf,
        /// What the column holds.
        wanted: &'static str,
        /// The column's name as the header writes it (first time).
        name: String,
        /// The 1-based position of its first appearance.
        first: usize,
        /// The 1-based position of its second appearance.
        second: usize,
    },
    /// A malformed CSV record (e.g. a different number of fields than the header).
    #[error("{message}, {} line {line}", crate::message::shown(path))]
    Csv {
        /// The file.
        path: PathBuf,
        /// The line of the record.
        line: u64,
        /// What the CSV reader said.
        message: String,
    },
    /// A line of the whitespace layout with fewer than two fields.
    #[error(
        "expected `latitude longitude [name]`, found {text:?}, {} line {line}",
        crate::message::shown(path)
    )]
    ShortLine {
        /// The file.
        path: PathBuf,
        /// The line.
        line: u64,
        /// The line's text.
        text: String,
    },
    /// A coordinate that is not a number, not finite, or out of its range.
    #[error("{coord} {}, {} line {line}", problem.says(value, *coord), crate::message::shown(path))]
    BadCoordinate {
        /// The file.
        path: PathBuf,
        /// The line.
        line: u64,
        /// Which coordinate.
        coord: Coord,
        /// The text found.
        value: String,
        /// What is wrong with it.
        problem: CoordProblem,
    },
    /// An empty path was given.
    #[error("the city file path is empty")]
    EmptyPath,
    /// A line longer than the reader accepts (e.g. /dev/zero, or a binary file).
    #[error(
        "line {line} is longer than {limit} bytes (is this a city file?), {}",
        crate::message::shown(path)
    )]
    LineTooLong {
        /// The file.
        path: PathBuf,
        /// The line.
        line: u64,
        /// The limit, [`MAX_LINE_BYTES`](super::MAX_LINE_BYTES).
        limit: usize,
    },
    /// More cities than the limit (an endless stream, or a file too large for memory).
    #[error(
        "more than {limit} cities (the limit; raise it with --max-cities if the memory allows), {} line {line}",
        crate::message::shown(path)
    )]
    TooMany {
        /// The file.
        path: PathBuf,
        /// The line where the limit was passed.
        line: u64,
        /// The limit.
        limit: usize,
    },
    /// Fewer than two cities: there is no pair.
    #[error(
        "need at least two cities, found {found}, {}",
        crate::message::shown(path)
    )]
    TooFew {
        /// The file.
        path: PathBuf,
        /// How many cities the file holds.
        found: usize,
    },
}

/// What is wrong with a coordinate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CoordProblem {
    /// Not a number at all.
    NotANumber,
    /// A number, but NaN or infinite.
    NotFinite,
    /// Outside the coordinate's range (90 for a latitude, 180 for a longitude).
    OutOfRange,
}

impl CoordProblem {
    /// The message's words for `value` of `coord`.
    pub(super) fn says(self, value: &str, coord: Coord) -> String {
        match self {
            CoordProblem::NotANumber => format!("{value:?} is not a number"),
            CoordProblem::NotFinite => format!("{value:?} is not a finite number"),
            CoordProblem::OutOfRange => {
                format!("{value} is out of range [-{0}, {0}]", coord.limit())
            }
        }
    }
}
