//! The command-line arguments of both programs, in the library so that tests and fuzzers can
//! parse argument lists (`try_parse_from`) and build the validated job without MPI.
//!
//! The binaries under `src/bin/` parse these with [`crate::spmd::Spmd::parse_args`].

use std::path::PathBuf;

use clap::Parser;

use crate::atomic_file::{bytes_text, check_output_path, check_room};
use crate::cities::read::DEFAULT_MAX_CITIES;
use crate::cities::{Format, Kernel as CityKernel, ReadOptions, Units};
use crate::mandel::png::PngCompression;
use crate::mandel::sink::npy::npy_size;
use crate::mandel::sink::png::encoder_threads;
use crate::mandel::{
    check_max_iter, Colormap, Kernel as MandelKernel, Viewport, DEFAULT_HEIGHT, DEFAULT_MAX_ITER,
    DEFAULT_WIDTH, DEFAULT_XMAX, DEFAULT_XMIN, DEFAULT_YMAX, DEFAULT_YMIN,
};
use crate::progress::ProgressMode;
use crate::Error;

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
    /// The most cities accepted from the file: a larger one is refused before it exhausts memory
    /// (each city takes about 150 bytes on rank 0 and 24 on every rank).
    #[arg(long, default_value_t = DEFAULT_MAX_CITIES)]
    pub max_cities: usize,
    /// Threads per rank (rayon). Under mpirun, let ranks use several cores: `--bind-to none` or
    /// `--map-by slot:PE=N` (SLURM: `--cpus-per-task=N`).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..))]
    pub threads: u16,
    /// Print one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
}

impl DistCitiesArgs {
    /// The reader's options these arguments ask for.
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

pub use crate::mandel::distribute::Schedule;

/// Computes the Mandelbrot set in parallel and writes it as a PNG (and the counts as .npy).
///
/// Pixel column j samples x = xmin + j*dx and row r samples y = ymin + (H-1-r)*dy, with
/// dx = (xmax-xmin)/W and dy = (ymax-ymin)/H: the notebook's grid, north up.
#[derive(Parser, Debug)]
#[command(version, after_help = AFTER_HELP)]
pub struct MandelArgs {
    /// Write the image to this PNG file.
    #[arg(long, value_name = "FILE.png")]
    pub out: Option<PathBuf>,
    /// Write the escape counts to this NumPy file (uint32, shape (height, width), row 0 on top).
    #[arg(long, value_name = "FILE.npy")]
    pub counts: Option<PathBuf>,
    /// Image width in pixels.
    #[arg(long, default_value_t = DEFAULT_WIDTH)]
    pub width: u32,
    /// Image height in pixels.
    #[arg(long, default_value_t = DEFAULT_HEIGHT)]
    pub height: u32,
    /// Left edge of the view (real part) [default: -2].
    #[arg(long, allow_negative_numbers = true, conflicts_with_all = ["center", "scale"])]
    pub xmin: Option<f64>,
    /// Right edge of the view, excluded [default: 1].
    #[arg(long, allow_negative_numbers = true, conflicts_with_all = ["center", "scale"])]
    pub xmax: Option<f64>,
    /// Bottom edge of the view (imaginary part) [default: -1].
    #[arg(long, allow_negative_numbers = true, conflicts_with_all = ["center", "scale"])]
    pub ymin: Option<f64>,
    /// Top edge of the view, excluded [default: 1].
    #[arg(long, allow_negative_numbers = true, conflicts_with_all = ["center", "scale"])]
    pub ymax: Option<f64>,
    /// Centre of the view as RE,IM (instead of the four edges); needs --scale.
    #[arg(long, value_name = "RE,IM", allow_hyphen_values = true, value_parser = parse_center, requires = "scale")]
    pub center: Option<(f64, f64)>,
    /// Width of the view in the complex plane; its height follows the image's aspect ratio.
    #[arg(long, allow_negative_numbers = true, requires = "center")]
    pub scale: Option<f64>,
    /// Iterations before a point counts as inside the set.
    #[arg(long, default_value_t = DEFAULT_MAX_ITER)]
    pub max_iter: u32,
    #[arg(long, default_value = "jet", help = colormap_help())]
    pub colormap: String,
    /// Colour by the continuous iteration count, so the bands disappear.
    #[arg(long)]
    pub smooth: bool,
    /// PNG compression: `fast` keeps encoding off the critical path (on the rank's spare
    /// cores); `default` and `best` make smaller files, slower. Same pixels at every level.
    #[arg(long, value_enum, default_value_t = PngCompression::Fast)]
    pub png_compression: PngCompression,
    /// How rows are shared among the ranks.
    #[arg(long, value_enum, default_value_t = Schedule::Cyclic)]
    pub schedule: Schedule,
    /// Escape-count kernel: `fast` (SIMD, cardioid and bulb skipped) or the `scalar` reference.
    #[arg(long, value_enum, default_value_t = MandelKernel::Fast)]
    pub kernel: MandelKernel,
    /// Threads per rank (rayon). Under mpirun, let ranks use several cores: `--bind-to none` or
    /// `--map-by slot:PE=N` (SLURM: `--cpus-per-task=N`).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..))]
    pub threads: u16,
    /// Progress on stderr: `auto` draws a bar on a terminal after the first second, and
    /// elsewhere (batch logs, Open MPI's forwarded stderr) prints a line every 10 s after the
    /// first 10 s; `always` reports short runs too; `never` says nothing.
    #[arg(long, value_enum, default_value_t = ProgressMode::Auto)]
    pub progress: ProgressMode,
    /// Print one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
}

const AFTER_HELP: &str = "Examples:
  mpirun -n 4 mandel --out set.png
  mpirun -n 4 mandel --center -0.7453,0.1127 --scale 0.01 --max-iter 400 --colormap turbo --smooth --out zoom.png
  mpirun -n 3 mandel --width 300 --height 200 --counts counts.npy   # the notebook's 0.01 grid";

/// The --colormap help names every map, so `--help` lists them as `--colormap list` does.
fn colormap_help() -> String {
    format!(
        "Colour map: {}; or `list` to print the names",
        Colormap::names().join(", ")
    )
}

/// Parses `--center RE,IM` into two numbers.
pub fn parse_center(s: &str) -> Result<(f64, f64), String> {
    let (re, im) = s
        .split_once(',')
        .ok_or_else(|| format!("expected RE,IM, found {s:?}"))?;
    let num = |t: &str| {
        t.trim()
            .parse::<f64>()
            .map_err(|_| format!("{t:?} is not a number"))
    };
    Ok((num(re)?, num(im)?))
}

/// Everything a rank needs to compute: built from the arguments, identically on every rank.
pub struct MandelJob {
    pub view: Viewport,
    pub max_iter: u32,
    pub colormap: Colormap,
}

impl MandelJob {
    /// Validates the request (view, iterations, colour map); output paths are checked apart.
    pub fn from_args(args: &MandelArgs) -> Result<MandelJob, Error> {
        let view = match (args.center, args.scale) {
            (Some((re, im)), Some(scale)) => {
                Viewport::from_center(re, im, scale, args.width, args.height)?
            }
            _ => Viewport::new(
                args.xmin.unwrap_or(DEFAULT_XMIN),
                args.xmax.unwrap_or(DEFAULT_XMAX),
                args.ymin.unwrap_or(DEFAULT_YMIN),
                args.ymax.unwrap_or(DEFAULT_YMAX),
                args.width,
                args.height,
            )?,
        };
        Ok(MandelJob {
            view,
            max_iter: check_max_iter(args.max_iter)?,
            colormap: Colormap::from_name(&args.colormap)?,
        })
    }
}

impl MandelJob {
    /// Rank 0's checks before any computing: the request, the output paths, room on disk for
    /// the `.npy` file (its size is exact; a PNG's is not known before it is written), and
    /// memory for the rows in flight on rank 0 (which grows with the width, not the height).
    pub fn validate(args: &MandelArgs, ranks: u32) -> Result<MandelJob, Error> {
        let job = MandelJob::from_args(args)?;
        if let Some(out) = &args.out {
            check_output_path(out, &["png"])?;
        }
        if let Some(counts) = &args.counts {
            check_output_path(counts, &["npy"])?;
            let size = npy_size(job.view.width(), job.view.height());
            check_room(counts, size)?;
        }
        let streaming = args.out.is_some() || args.counts.is_some();
        let needed = rank0_bytes_at_least(job.view.width(), ranks, streaming, args.smooth);
        if let Some(available) = mem_available_bytes() {
            if needed > available {
                return Err(Error::Usage(format!(
                    "rows of {} pixels need at least {} of memory on rank 0 (rows in flight) but {} \
                     are available; choose a smaller --width",
                    job.view.width(),
                    bytes_text(needed),
                    bytes_text(available)
                )));
            }
        }
        Ok(job)
    }
}

/// The least memory rank 0's buffers take for rows `width` pixels wide, whatever the height:
/// with output, about one row each for the pieces rendered and received, one per rank waiting
/// its turn, the batches queued for the output threads and the PNG blocks in flight, at up to
/// 16 bytes a pixel (counts, smooth value, RGB, copies); without, two rows of counts (and
/// smooth values).
pub fn rank0_bytes_at_least(width: u32, ranks: u32, streaming: bool, smooth: bool) -> u64 {
    let width = u64::from(width);
    if !streaming {
        return width * if smooth { 8 } else { 4 } * 2;
    }
    let rows = 2 + u64::from(ranks) + 12 + 2 * encoder_threads() as u64 + 1;
    width * 16 * rows
}

/// `MemAvailable` from /proc/meminfo, in bytes (Linux); `None` elsewhere.
fn mem_available_bytes() -> Option<u64> {
    let info = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = info.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}
