//! `mandel`'s flags, and the validated job they describe.

use std::path::PathBuf;

use clap::Parser;

use super::RunArgs;
use crate::mandel::colormap::DEFAULT_CYCLES;
use crate::mandel::deep::bignum::Decimal;
use crate::mandel::deep::floatexp::Fe;
use crate::mandel::deep::location::Location;
use crate::mandel::deep::render::reference_bytes;
use crate::mandel::deep::view::{decimal_to_fe, DeepView};
use crate::mandel::png::PngCompression;
use crate::mandel::sink::npy::npy_size;
use crate::mandel::sink::png::encoder_threads;
use crate::mandel::{
    check_max_iter, Colormap, ColourScale, Kernel as MandelKernel, Viewport, DEFAULT_HEIGHT,
    DEFAULT_MAX_ITER, DEFAULT_WIDTH, DEFAULT_XMAX, DEFAULT_XMIN, DEFAULT_YMAX, DEFAULT_YMIN,
};
use crate::message::bytes_text;
use crate::output::{check_output_path, check_room};
use crate::progress::ProgressMode;
use crate::Error;

pub use crate::mandel::distribute::Schedule;

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

/// `--color-scale`: the notebook's map over `[0, max-iter]`, or a cycled one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ColorScale {
    /// `t = count / max-iter`.
    MaxIter,
    /// Cycled over log2(1 + count).
    Log,
    /// Cycled over sqrt(count).
    Sqrt,
    /// Cycled over the count.
    Linear,
}

/// How a job colours its pixels, once the defaults are resolved.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Colouring {
    /// `t = count / max-iter`.
    MaxIter,
    /// A cycled palette; `period: None` is fitted to a sample of the picture.
    Cycle {
        scale: ColourScale,
        period: Option<f64>,
        cycles: f64,
        inside: [u8; 3],
    },
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

/// Everything a rank needs to compute: built from the arguments, identically on every rank.
pub struct MandelJob {
    /// Image width in pixels.
    pub width: u32,
    /// Image height in pixels.
    pub height: u32,
    /// The view in f64, where f64 can hold it (always, for the f64 kernels).
    pub view: Option<Viewport>,
    /// The view at any depth, for the perturbation kernel.
    pub deep: Option<DeepView>,
    /// The kernel that renders: never [`MandelKernel::Auto`].
    pub kernel: MandelKernel,
    /// The iteration limit.
    pub max_iter: u32,
    /// The colour map.
    pub colormap: Colormap,
    /// The location file's values, when one was given.
    pub location: Option<Location>,
    /// How pixels are coloured.
    pub colouring: Colouring,
    /// Whether smooth counts are computed (asked for, or needed by a cycled scale).
    pub smooth: bool,
}

/// The default BLA accuracy in bits (`--bla-bits`).
pub const DEFAULT_BLA_BITS: u32 = 24;

/// A pixel step below `2^-AUTO_FAST_BITS` of the view's largest coordinate is left to the
/// perturbation kernel by `--kernel auto`: f64 samples such pixels only to within a few
/// thousandths of a step, and its direct iteration loses the rest of their digits.
pub const AUTO_FAST_BITS: i32 = 40;

/// Whether the f64 kernels resolve `view` well (see [`AUTO_FAST_BITS`]).
pub fn f64_resolves(view: &Viewport) -> bool {
    let m = [view.xmin(), view.xmax(), view.ymin(), view.ymax()]
        .iter()
        .fold(f64::MIN_POSITIVE, |m, v| m.max(v.abs()));
    let limit = m * (-f64::from(AUTO_FAST_BITS)).exp2();
    view.dx() >= limit && view.dy() >= limit
}

/// Whether `kernel` renders by perturbation a view whose f64 form is `view` (`None`: f64
/// cannot hold it): when asked to, or for `auto` where f64 does not resolve it well.
fn wants_perturbation(kernel: MandelKernel, view: Option<&Viewport>) -> bool {
    match kernel {
        MandelKernel::Perturbation => true,
        MandelKernel::Auto => !view.is_some_and(f64_resolves),
        MandelKernel::Fast | MandelKernel::Scalar => false,
    }
}

impl MandelJob {
    /// Validates the request (view, iterations, colour map, kernel); output paths are checked
    /// apart. `location` is the `--location` file's content, read by rank 0 and shared.
    pub fn from_args(args: &MandelArgs, location: Option<Location>) -> Result<MandelJob, Error> {
        let (width, height) = (args.width, args.height);
        if args.frames.is_none() {
            if let Some(s) = &args.zoom_to {
                return Err(Error::Usage(format!(
                    "--zoom-to {s} is the last frame's width: it needs --frames N"
                )));
            }
            if args.resume {
                return Err(Error::Usage(
                    "--resume is for movies (--frames N); one image takes up where it stopped \
                     with --checkpoint DIR"
                        .into(),
                ));
            }
        }
        if args.checkpoint.is_some() && args.out.is_none() && args.counts.is_none() {
            return Err(Error::Usage(
                "--checkpoint saves rows of an image being written: it needs --out or --counts"
                    .into(),
            ));
        }
        let max_iter = match (args.max_iter, location.as_ref().and_then(|l| l.iterations)) {
            (Some(n), _) => n,
            (None, Some(n)) => u32::try_from(n).map_err(|_| {
                Error::Usage(format!(
                    "the location's {n} iterations are more than --max-iter allows ({}); \
                     give a smaller --max-iter",
                    u32::MAX
                ))
            })?,
            (None, None) => DEFAULT_MAX_ITER,
        };
        let max_iter = check_max_iter(max_iter)?;
        let colormap = Colormap::from_name(&args.colormap)?;
        // Centre and scale: the flags, else the location file.
        let centre = match (&args.center, &location) {
            (Some(c), _) => Some(c.clone()),
            (None, Some(l)) => Some(location_centre(l)?),
            (None, None) => None,
        };
        let scale: Option<(Fe, String)> = match (&args.scale, &location) {
            (Some(s), _) => {
                let fe = decimal_to_fe(s)
                    .ok_or_else(|| Error::Usage(format!("--scale {s} is out of range")))?;
                if fe.mantissa() <= 0.0 {
                    return Err(Error::Usage(format!(
                        "--scale {s} must be greater than zero"
                    )));
                }
                Some((fe, s.to_string()))
            }
            (None, Some(l)) => {
                let s = location_scale(l, width, height)?;
                Some((s, s.to_sci_string(6)))
            }
            (None, None) => None,
        };
        let (view, deep) = match (centre, scale) {
            (Some((re, im)), Some((s, s_text))) => {
                let (re64, im64, s64) = (re.to_f64(), im.to_f64(), s.to_f64());
                let view = Viewport::from_center(re64, im64, s64, width, height).ok();
                let wants_deep = wants_perturbation(args.kernel, view.as_ref());
                if !wants_deep && view.is_none() {
                    // The f64 kernel's own reason, naming the flags.
                    Viewport::from_center(re64, im64, s64, width, height)?;
                }
                let deep = if wants_deep {
                    Some(DeepView::from_center(&re, &im, s, s_text, width, height)?)
                } else {
                    None
                };
                (view, deep)
            }
            (Some(_), None) => {
                return Err(Error::Usage(
                    "--center needs --scale (or a --location)".into(),
                ))
            }
            (None, Some(_)) => {
                return Err(Error::Usage(
                    "--scale needs --center (or a --location)".into(),
                ))
            }
            (None, None) => {
                let view = Viewport::new(
                    args.xmin.unwrap_or(DEFAULT_XMIN),
                    args.xmax.unwrap_or(DEFAULT_XMAX),
                    args.ymin.unwrap_or(DEFAULT_YMIN),
                    args.ymax.unwrap_or(DEFAULT_YMAX),
                    width,
                    height,
                )?;
                let wants_deep = wants_perturbation(args.kernel, Some(&view));
                let deep = if wants_deep {
                    Some(DeepView::from_viewport(&view)?)
                } else {
                    None
                };
                (Some(view), deep)
            }
        };
        let kernel = match (args.kernel, &deep) {
            (_, Some(_)) => MandelKernel::Perturbation,
            (MandelKernel::Auto, None) => MandelKernel::Fast,
            (k, None) => k,
        };
        let scale = args.color_scale.unwrap_or(if deep.is_some() {
            ColorScale::Log
        } else {
            ColorScale::MaxIter
        });
        if let Some(p) = args.palette_period {
            if !(p.is_finite() && p > 0.0) {
                return Err(Error::Usage(format!(
                    "--palette-period {p} must be a positive number"
                )));
            }
        }
        let cycles = args.palette_cycles;
        if !(cycles.is_finite() && cycles > 0.0) {
            return Err(Error::Usage(format!(
                "--palette-cycles {cycles} must be a positive number"
            )));
        }
        let cycled = |scale| Colouring::Cycle {
            scale,
            period: args.palette_period,
            cycles,
            inside: args.inside,
        };
        let colouring = match scale {
            ColorScale::MaxIter => Colouring::MaxIter,
            ColorScale::Log => cycled(ColourScale::Log),
            ColorScale::Sqrt => cycled(ColourScale::Sqrt),
            ColorScale::Linear => cycled(ColourScale::Linear),
        };
        let smooth = args.smooth || colouring != Colouring::MaxIter;
        Ok(MandelJob {
            width,
            height,
            view,
            deep,
            kernel,
            max_iter,
            colormap,
            location,
            colouring,
            smooth,
        })
    }
}

impl MandelJob {
    /// Everything that decides the counts and smooth values of this job's rows, in words: what
    /// a checkpoint's hash is taken of (the colours are not in it: they are painted afresh).
    pub fn rows_request(&self, args: &MandelArgs) -> String {
        format!(
            "mandel rows v1: {}x{}, view {:?}, deep {:?}, max_iter {}, kernel {}, smooth {}, \
             bla {}",
            self.width,
            self.height,
            self.view,
            self.deep,
            self.max_iter,
            self.kernel.name(),
            self.smooth,
            if args.no_bla {
                "off".to_string()
            } else {
                args.bla_bits.to_string()
            }
        )
    }
}

impl MandelArgs {
    /// The `--location` file, read, or `None` without one; a file that cannot be read or
    /// parsed is the user's mistake.
    pub fn read_location(&self) -> Result<Option<Location>, Error> {
        self.location
            .as_deref()
            .map(|path| Location::read(path).map_err(|e| Error::Usage(e.to_string())))
            .transpose()
    }
}

/// One of a location file's numbers as a decimal, or the user's mistake naming it.
fn location_number(what: &str, text: &str) -> Result<Decimal, Error> {
    text.parse::<Decimal>()
        .map_err(|e| Error::Usage(format!("the location's {what} {text:?}: {e}")))
}

/// A location file's centre, as `--center` would give it.
pub fn location_centre(l: &Location) -> Result<(Decimal, Decimal), Error> {
    Ok((
        location_number("real part", &l.re)?,
        location_number("imaginary part", &l.im)?,
    ))
}

/// The width of a location file's view for a `width` x `height` image, as `--scale` means it:
/// the program's own scale factor over the file's zoom.
pub fn location_scale(l: &Location, width: u32, height: u32) -> Result<Fe, Error> {
    let zoom = location_number("zoom", &l.zoom)?;
    let z = decimal_to_fe(&zoom)
        .filter(|z| z.mantissa() > 0.0)
        .ok_or_else(|| {
            Error::Usage(format!(
                "the location's zoom {} must be a positive number in range",
                l.zoom
            ))
        })?;
    Ok(Fe::from_f64(l.scale_factor(width, height)).div(z))
}

impl MandelJob {
    /// Rank 0's checks before any computing: the request, the output paths, room on disk for
    /// the `.npy` file (its size is exact; a PNG's is not known before it is written), and
    /// memory for the rows in flight on rank 0 (which grows with the width, not the height).
    pub fn validate(args: &MandelArgs, ranks: u32) -> Result<MandelJob, Error> {
        let location = args.read_location()?;
        let job = MandelJob::from_args(args, location)?;
        if job.deep.is_some() {
            let needed = reference_bytes(
                job.max_iter,
                job.deep.as_ref().is_some_and(DeepView::is_deep),
                !args.no_bla,
            );
            if let Some(available) = mem_available_bytes() {
                if needed > available {
                    return Err(Error::Usage(format!(
                        "the reference orbit of up to {} iterations and its BLA table need {} on \
                         every rank but {} are available; lower --max-iter",
                        job.max_iter,
                        bytes_text(needed),
                        bytes_text(available)
                    )));
                }
            }
        }
        if let Some(out) = &args.out {
            check_output_path(out, &["png"])?;
        }
        if let Some(counts) = &args.counts {
            check_output_path(counts, &["npy"])?;
            let size = npy_size(job.width, job.height);
            check_room(counts, size)?;
        }
        let streaming = args.out.is_some() || args.counts.is_some();
        let needed = rank0_bytes_at_least(job.width, ranks, streaming, job.smooth);
        if let Some(available) = mem_available_bytes() {
            if needed > available {
                return Err(Error::Usage(format!(
                    "rows of {} pixels need at least {} of memory on rank 0 (rows in flight) but {} \
                     are available; choose a smaller --width",
                    job.width,
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
