//! `dist-cities`' flags, turned once into the library's plain [`Request`]
//! ([`DistCitiesArgs::request`]).

use std::path::PathBuf;

use clap::Parser;

use super::RunArgs;
use crate::cities::read::DEFAULT_MAX_CITIES;
use crate::cities::wgs84::Earth;
use crate::cities::{Algorithm, Format, Kernel as CityKernel, ReadOptions, Request, Units};

/// Finds the two cities of a file that are farthest apart on a sphere of radius 6371 km.
#[derive(Parser, Debug)]
#[command(
    version,
    after_help = "Run it in parallel with: mpirun -n 4 dist-cities data/cities.csv"
)]
pub struct DistCitiesArgs {
    /// The city file: CSV with a header row, or the whitespace layout `lat lon name...`.
    #[arg(default_value = "data/cities.csv")]
    pub path: PathBuf,
    /// File layout; `auto` recognises the whitespace layout by its leading numbers.
    #[arg(long, value_enum, default_value_t = Format::Auto)]
    pub format: Format,
    /// CSV field delimiter (one ASCII character; `\t` for tab).
    #[arg(long, default_value = ",", value_parser = parse_delimiter)]
    pub delimiter: u8,
    /// Latitude column name [default: lat or latitude].
    #[arg(long)]
    pub lat_col: Option<String>,
    /// Longitude column name [default: lon, lng, long or longitude].
    #[arg(long)]
    pub lon_col: Option<String>,
    /// City name column [default: name or city].
    #[arg(long)]
    pub name_col: Option<String>,
    /// Unit of the printed distance (JSON always has kilometres too).
    #[arg(long, value_enum, default_value_t = Units::Km)]
    pub units: Units,
    /// All-pairs kernel: `fast` (SIMD dot products of unit vectors) or the notebook's `haversine`.
    #[arg(long, value_enum, default_value_t = CityKernel::Fast)]
    pub kernel: CityKernel,
    /// How pairs are searched: `tree` (exact k-d tree, about O(n log n), the fast kernel's
    /// answer bit for bit), `brute` (every pair) or `auto` (the tree from 5,000 cities on).
    #[arg(long, value_enum, default_value_t = Algorithm::Auto)]
    pub algorithm: Algorithm,
    /// The Earth's shape: the notebook's `sphere` (radius 6371 km) or the `wgs84` ellipsoid
    /// (the exact farthest pair by Karney's geodesic distance).
    #[arg(long, value_enum, default_value_t = Earth::Sphere)]
    pub earth: Earth,
    /// The most cities accepted from the file: a larger one is refused before it exhausts memory
    /// (each city takes about 150 bytes on rank 0 and 24 on every rank).
    #[arg(long, default_value_t = DEFAULT_MAX_CITIES)]
    pub max_cities: usize,
    /// Also list the K best pairs (the farthest, or the closest with --closest), best first,
    /// ties by the lower pair index; more than there are pairs lists them all.
    #[arg(long, value_name = "K", value_parser = clap::value_parser!(u64).range(1..))]
    pub top: Option<u64>,
    /// Find the closest pair instead of the farthest (cities at the same place give 0 km).
    #[arg(long)]
    pub closest: bool,
    /// The options both programs share.
    #[command(flatten)]
    pub run: RunArgs,
}

impl DistCitiesArgs {
    /// The run these flags ask for, as the library's plain data.
    pub fn request(&self) -> Request {
        Request {
            path: self.path.clone(),
            read: self.read_options(),
            kernel: self.kernel,
            algorithm: self.algorithm,
            earth: self.earth,
            units: self.units,
            top: self.top,
            closest: self.closest,
            threads: self.run.threads,
            json: self.run.json,
        }
    }

    /// The reader's options these flags ask for (the [`Request`]'s `read`).
    pub fn read_options(&self) -> ReadOptions {
        ReadOptions {
            format: self.format,
            delimiter: self.delimiter,
            lat_col: self.lat_col.clone(),
            lon_col: self.lon_col.clone(),
            name_col: self.name_col.clone(),
            max_cities: self.max_cities,
        }
    }
}

/// Parses `--delimiter`: one ASCII character, or `\t` / `tab` for a tab.
pub fn parse_delimiter(s: &str) -> Result<u8, String> {
    match s {
        "\\t" | "tab" => Ok(b'\t'),
        _ if s.len() == 1 && s.is_ascii() => Ok(s.as_bytes()[0]),
        _ => Err(format!(
            "the delimiter must be one ASCII character, not {s:?}"
        )),
    }
}
