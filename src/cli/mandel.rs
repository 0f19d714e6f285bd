//! `mandel`'s flags, turned once into the library's plain [`Options`]; the library validates
//! them ([`crate::mandel::Request`]).

use std::path::PathBuf;

use clap::Parser;

use super::run::RunArgs;
use crate::mandel::colormap::{ColorScale, Colormap, DEFAULT_CYCLES};
use crate::mandel::deep::bignum::Decimal;
use crate::mandel::request::Options;
use crate::mandel::{Kernel as MandelKernel, PngCompression, DEFAULT_HEIGHT, DEFAULT_WIDTH};
use crate::progress::ProgressMode;

pub use crate::mandel::request::DEFAULT_BLA_BITS;
pub use crate::mandel::Schedule;

/// Computes the Mandelbrot set in parallel and writes it as a PNG (and the counts as .npy).
///
/// Pixel column j samples x = xmin + j*dx and row r samples y = ymin + (H-1-r)*dy, with
/// dx = (xmax-xmin)/W and dy = (ymax-ymin)/H: the notebook's grid, north up.
#[derive(Parser, Debug, Clone)]
#[command(version, after_help = AFTER_HELP)]
pub struct MandelArgs {
    /// Write the image to this PNG file (with --frames: a pattern such as `f/f%05d.png`, the
    /// frame number from 0 in its printf-style `%d` field).
    #[arg(long, value_name = "FILE.png")]
    pub out: Option<PathBuf>,
    /// Write the escape counts to this NumPy file (uint32, shape (height, width), row 0 on top);
    /// with --frames a pattern, as for --out.
    #[arg(long, value_name = "FILE.npy")]
    pub counts: Option<PathBuf>,
    /// Render a zoom movie of N frames, their view widths geometric from --scale (or the
    /// default view's, 3) to --zoom-to, all centred on --center (or the location's).
    #[arg(long, value_name = "N")]
    pub frames: Option<u64>,
    /// The last frame's view width (any depth, like --scale); needs --frames.
    #[arg(long, value_name = "S_END", allow_hyphen_values = true, value_parser = parse_decimal)]
    pub zoom_to: Option<Decimal>,
    /// With --frames: leave every frame whose files already exist whole, render the rest.
    #[arg(long)]
    pub resume: bool,
    /// Save finished rows of one image in this folder as they come, and take up from them on a
    /// rerun of the same request; removed once the image is written.
    #[arg(long, value_name = "DIR")]
    pub checkpoint: Option<PathBuf>,
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
    /// Centre of the view as RE,IM (instead of the four edges): decimal numbers of any length
    /// and exponent; needs --scale (or a --location).
    #[arg(long, value_name = "RE,IM", allow_hyphen_values = true, value_parser = parse_center,
          conflicts_with_all = ["xmin", "xmax", "ymin", "ymax"])]
    pub center: Option<(Decimal, Decimal)>,
    /// Width of the view in the complex plane, any depth (`1e-1000`, `4.0078E-50`); its height
    /// follows the image's aspect ratio.
    #[arg(long, allow_hyphen_values = true, value_parser = parse_decimal,
          conflicts_with_all = ["xmin", "xmax", "ymin", "ymax"])]
    pub scale: Option<Decimal>,
    /// A location file: rust-fractal-core's TOML (`real`, `imag`, `zoom`, `iterations`) or
    /// Kalles Fraktaler's `.kfr` (`Re:`, `Im:`, `Zoom:`, `Iterations:`); --center, --scale and
    /// --max-iter override its values.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["xmin", "xmax", "ymin", "ymax"])]
    pub location: Option<PathBuf>,
    /// Iterations before a point counts as inside the set [default: the location's, else 80].
    #[arg(long)]
    pub max_iter: Option<u32>,
    #[arg(long, default_value = "jet", help = colormap_help())]
    pub colormap: String,
    /// Colour by the continuous iteration count, so the bands disappear (always on for the
    /// cycled colour scales).
    #[arg(long)]
    pub smooth: bool,
    /// How values meet the colour map: `max-iter` (t = count / max-iter, the notebook's), or
    /// the map cycled there and back over the `log` (in doublings), `sqrt` or `linear` (in
    /// iterations) count, as deep zooms need [default: max-iter with the f64 kernels, log with
    /// perturbation].
    #[arg(long, value_enum)]
    pub color_scale: Option<ColorScale>,
    /// One palette cycle, in the scale's units [default: fitted so the picture spans
    /// --palette-cycles, from a sample of its pixels].
    #[arg(long)]
    pub palette_period: Option<f64>,
    /// Palette cycles the picture spans when --palette-period is not given.
    #[arg(long, default_value_t = DEFAULT_CYCLES)]
    pub palette_cycles: f64,
    /// Colour of the points inside the set on a cycled scale: `#rrggbb`, `black` or `white`.
    #[arg(long, value_parser = parse_colour, default_value = "black")]
    pub inside: [u8; 3],
    /// PNG compression: `fast` keeps encoding off the critical path (on the rank's spare
    /// cores); `default` and `best` make smaller files, slower. Same pixels at every level.
    #[arg(long, value_enum, default_value_t = PngCompression::Fast)]
    pub png_compression: PngCompression,
    /// How rows are shared among the ranks.
    #[arg(long, value_enum, default_value_t = Schedule::Cyclic)]
    pub schedule: Schedule,
    /// Escape-count kernel: `auto` takes `fast` where f64 resolves the pixels well and
    /// `perturbation` beyond; `fast` (SIMD, cardioid and bulb skipped), the `scalar` reference,
    /// or `perturbation` (from an arbitrary-precision reference orbit, any depth).
    #[arg(long, value_enum, default_value_t = MandelKernel::Auto)]
    pub kernel: MandelKernel,
    /// Perturbation without the bilinear approximation (every iteration stepped; for testing).
    #[arg(long)]
    pub no_bla: bool,
    /// BLA accuracy: runs of iterations are merged into one linear step only while the terms
    /// it drops stay below 2^-BITS of those it keeps; more bits, fewer skips.
    #[arg(long, default_value_t = DEFAULT_BLA_BITS, value_parser = clap::value_parser!(u32).range(8..=60))]
    pub bla_bits: u32,
    /// Progress on stderr: `auto` draws a bar on a terminal after the first second, and
    /// elsewhere (batch logs, Open MPI's forwarded stderr) prints a line every 10 s after the
    /// first 10 s; `always` reports short runs too; `never` says nothing.
    #[arg(long, value_enum, default_value_t = ProgressMode::Auto)]
    pub progress: ProgressMode,
    /// The options both programs share.
    #[command(flatten)]
    pub run: RunArgs,
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

/// Parses `--inside`: `#rrggbb` (or `rrggbb`), `black` or `white`.
pub fn parse_colour(s: &str) -> Result<[u8; 3], String> {
    match s.trim().to_ascii_lowercase().as_str() {
        "black" => Ok([0, 0, 0]),
        "white" => Ok([255, 255, 255]),
        t => {
            let hex = t.strip_prefix('#').unwrap_or(t);
            let bad = || format!("{s:?} is not a colour (#rrggbb, black or white)");
            if hex.len() != 6 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(bad());
            }
            let byte = |i: usize| u8::from_str_radix(&hex[i..i + 2], 16).map_err(|_| bad());
            Ok([byte(0)?, byte(2)?, byte(4)?])
        }
    }
}

/// Parses `--center RE,IM` into two decimal numbers of any length.
pub fn parse_center(s: &str) -> Result<(Decimal, Decimal), String> {
    let (re, im) = s
        .split_once(',')
        .ok_or_else(|| format!("expected RE,IM, found {s:?}"))?;
    Ok((parse_decimal(re)?, parse_decimal(im)?))
}

/// Parses a decimal number of any length and exponent (`-0.75`, `1e-1000`, `4.0078E-50`).
pub fn parse_decimal(s: &str) -> Result<Decimal, String> {
    s.trim()
        .parse::<Decimal>()
        .map_err(|_| format!("{:?} is not a number", s.trim()))
}

impl MandelArgs {
    /// The choices these flags make, as the library's plain data.
    pub fn options(&self) -> Options {
        Options {
            out: self.out.clone(),
            counts: self.counts.clone(),
            frames: self.frames,
            zoom_to: self.zoom_to.clone(),
            resume: self.resume,
            checkpoint: self.checkpoint.clone(),
            width: self.width,
            height: self.height,
            xmin: self.xmin,
            xmax: self.xmax,
            ymin: self.ymin,
            ymax: self.ymax,
            center: self.center.clone(),
            scale: self.scale.clone(),
            location: self.location.clone(),
            max_iter: self.max_iter,
            colormap: self.colormap.clone(),
            smooth: self.smooth,
            color_scale: self.color_scale,
            palette_period: self.palette_period,
            palette_cycles: self.palette_cycles,
            inside: self.inside,
            png_compression: self.png_compression,
            schedule: self.schedule,
            kernel: self.kernel,
            no_bla: self.no_bla,
            bla_bits: self.bla_bits,
            progress: self.progress,
            threads: self.run.threads,
            json: self.run.json,
        }
    }
}
