//! What a `mandel` run asks for: [`Options`], the raw choices as the command line gave them
//! (plain data, no clap), and [`Request`], one image's validated request built from them, with
//! the checks rank 0 makes before any computing (output paths, room on disk, memory).
//!
//! The command line fills [`Options`] once; everything after (a movie's frames, the kernels,
//! the outputs, the report) is derived from a [`Request`], never from the flags. Error messages
//! still name the flag a value came from.

use std::path::PathBuf;

use super::colormap::{ColorScale, Colormap};
use super::deep::bignum::Decimal;
use super::deep::floatexp::Fe;
use super::deep::location::Location;
use super::deep::render::reference_bytes;
use super::deep::view::{decimal_to_fe, DeepView};
use super::meminfo::mem_available_bytes;
use super::sink::npy::npy_size;
use super::sink::png::encoder_threads;
use crate::mandel::{
    check_max_iter, Kernel, PngCompression, Schedule, Viewport, DEFAULT_MAX_ITER, DEFAULT_XMAX,
    DEFAULT_XMIN, DEFAULT_YMAX, DEFAULT_YMIN,
};
use crate::message::bytes_text;
use crate::output::{check_output_path, check_room};
use crate::progress::ProgressMode;
use crate::Error;

/// The default BLA accuracy in bits (`--bla-bits`).
pub const DEFAULT_BLA_BITS: u32 = 24;

/// A pixel step below `2^-AUTO_FAST_BITS` of the view's largest coordinate is left to the
/// perturbation kernel by `--kernel auto`: f64 samples such pixels only to within a few
/// thousandths of a step, and its direct iteration loses the rest of their digits.
pub const AUTO_FAST_BITS: i32 = 40;

/// Every choice of a `mandel` run as given, before validation: one field a flag (see
/// `mandel --help` for each one's meaning and default).
#[derive(Debug, Clone)]
pub struct Options {
    /// `--out`: the PNG (a pattern with `--frames`).
    pub out: Option<PathBuf>,
    /// `--counts`: the `.npy` of counts (a pattern with `--frames`).
    pub counts: Option<PathBuf>,
    /// `--frames`: a zoom movie of this many frames.
    pub frames: Option<u64>,
    /// `--zoom-to`: the last frame's view width.
    pub zoom_to: Option<Decimal>,
    /// `--resume`: leave a movie's whole frames alone.
    pub resume: bool,
    /// `--checkpoint`: the folder of one image's finished rows.
    pub checkpoint: Option<PathBuf>,
    /// `--width`, in pixels.
    pub width: u32,
    /// `--height`, in pixels.
    pub height: u32,
    /// `--xmin`.
    pub xmin: Option<f64>,
    /// `--xmax`.
    pub xmax: Option<f64>,
    /// `--ymin`.
    pub ymin: Option<f64>,
    /// `--ymax`.
    pub ymax: Option<f64>,
    /// `--center`, real and imaginary parts.
    pub center: Option<(Decimal, Decimal)>,
    /// `--scale`: the view's width.
    pub scale: Option<Decimal>,
    /// `--location`: a location file.
    pub location: Option<PathBuf>,
    /// `--max-iter`.
    pub max_iter: Option<u32>,
    /// `--colormap`, by name.
    pub colormap: String,
    /// `--smooth`.
    pub smooth: bool,
    /// `--color-scale` (`None`: by the kernel).
    pub color_scale: Option<ColorScale>,
    /// `--palette-period`.
    pub palette_period: Option<f64>,
    /// `--palette-cycles`.
    pub palette_cycles: f64,
    /// `--inside`: the set's colour on a cycled scale.
    pub inside: [u8; 3],
    /// `--png-compression`.
    pub png_compression: PngCompression,
    /// `--schedule`.
    pub schedule: Schedule,
    /// `--kernel`.
    pub kernel: Kernel,
    /// `--no-bla`.
    pub no_bla: bool,
    /// `--bla-bits`.
    pub bla_bits: u32,
    /// `--progress`.
    pub progress: ProgressMode,
    /// `--threads`, per rank.
    pub threads: u16,
    /// `--json`.
    pub json: bool,
}

impl Options {
    /// The `--location` file, read, or `None` without one; a file that cannot be read or
    /// parsed is the user's mistake.
    pub fn read_location(&self) -> Result<Option<Location>, Error> {
        self.location
            .as_deref()
            .map(|path| Location::read(path).map_err(|e| Error::Usage(e.to_string())))
            .transpose()
    }

    /// The BLA accuracy in bits, or `None` without BLA (`--no-bla`).
    pub fn bla(&self) -> Option<u32> {
        (!self.no_bla).then_some(self.bla_bits)
    }
}

/// One image's validated request: what it computes, how it is painted, where it goes and how
/// it runs. Built from [`Options`] identically on every rank.
pub struct Request {
    /// Image width in pixels.
    pub width: u32,
    /// Image height in pixels.
    pub height: u32,
    /// The view in f64, where f64 can hold it (always, for the f64 kernels).
    pub view: Option<Viewport>,
    /// The view at any depth, for the perturbation kernel.
    pub deep: Option<DeepView>,
    /// The kernel that renders: never [`Kernel::Auto`].
    pub kernel: Kernel,
    /// The iteration limit.
    pub max_iter: u32,
    /// The colour map.
    pub colormap: Colormap,
    /// The location file's values, when one was given.
    pub location: Option<Location>,
    /// How values meet the colour map, the default resolved by the kernel.
    pub color_scale: ColorScale,
    /// One palette cycle, in the scale's units (`None`: fitted to a sample of the picture).
    pub palette_period: Option<f64>,
    /// Palette cycles the picture spans when the period is fitted.
    pub palette_cycles: f64,
    /// The colour of the points inside the set on a cycled scale.
    pub inside: [u8; 3],
    /// Whether smooth counts are computed (asked for, or needed by a cycled scale).
    pub smooth: bool,
    /// The BLA accuracy in bits, `None` without BLA.
    pub bla: Option<u32>,
    /// The PNG to write.
    pub out: Option<PathBuf>,
    /// The `.npy` of counts to write.
    pub counts: Option<PathBuf>,
    /// The folder of finished rows to save and take up from.
    pub checkpoint: Option<PathBuf>,
    /// PNG compression level.
    pub png_compression: PngCompression,
    /// How rows are shared among the ranks.
    pub schedule: Schedule,
    /// Progress on stderr.
    pub progress: ProgressMode,
    /// Threads per rank.
    pub threads: u16,
    /// One JSON object instead of the text report.
    pub json: bool,
}

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
fn wants_perturbation(kernel: Kernel, view: Option<&Viewport>) -> bool {
    match kernel {
        Kernel::Perturbation => true,
        Kernel::Auto => !view.is_some_and(f64_resolves),
        Kernel::Fast | Kernel::Scalar => false,
    }
}

impl Request {
    /// Validates one image's request (view, iterations, colour map, kernel); output paths are
    /// checked apart ([`Request::check`]). `location` is the `--location` file's content, read
    /// by rank 0 and shared.
    pub fn from_options(o: &Options, location: Option<Location>) -> Result<Request, Error> {
        if o.frames.is_none() {
            if let Some(s) = &o.zoom_to {
                return Err(Error::Usage(format!(
                    "--zoom-to {s} is the last frame's width: it needs --frames N"
                )));
            }
            if o.resume {
                return Err(Error::Usage(
                    "--resume is for movies (--frames N); one image takes up where it stopped \
                     with --checkpoint DIR"
                        .into(),
                ));
            }
        }
        if o.checkpoint.is_some() && o.out.is_none() && o.counts.is_none() {
            return Err(Error::Usage(
                "--checkpoint saves rows of an image being written: it needs --out or --counts"
                    .into(),
            ));
        }
        let files = (o.out.clone(), o.counts.clone());
        let mut request = Request::build(o, location, o.center.clone(), o.scale.as_ref(), files)?;
        request.checkpoint = o.checkpoint.clone();
        Ok(request)
    }

    /// One frame of a movie: the image `o` asks for, centred on `centre`, `scale` wide, written
    /// to `out` and `counts`; exactly the request of that view rendered alone.
    pub fn for_frame(
        o: &Options,
        location: Option<Location>,
        centre: &(Decimal, Decimal),
        scale: &Decimal,
        out: Option<PathBuf>,
        counts: Option<PathBuf>,
    ) -> Result<Request, Error> {
        Request::build(
            o,
            location,
            Some(centre.clone()),
            Some(scale),
            (out, counts),
        )
    }

    /// The request of `o`'s image with this centre and scale (either, when `None`, from the
    /// location file or the default edges) and these files.
    fn build(
        o: &Options,
        location: Option<Location>,
        centre: Option<(Decimal, Decimal)>,
        scale: Option<&Decimal>,
        (out, counts): (Option<PathBuf>, Option<PathBuf>),
    ) -> Result<Request, Error> {
        let (width, height) = (o.width, o.height);
        let max_iter = match (o.max_iter, location.as_ref().and_then(|l| l.iterations)) {
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
        let colormap = Colormap::from_name(&o.colormap)?;
        // Centre and scale: the flags, else the location file.
        let centre = match (centre, &location) {
            (Some(c), _) => Some(c),
            (None, Some(l)) => Some(location_centre(l)?),
            (None, None) => None,
        };
        let scale: Option<(Fe, String)> = match (scale, &location) {
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
                let wants_deep = wants_perturbation(o.kernel, view.as_ref());
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
                    o.xmin.unwrap_or(DEFAULT_XMIN),
                    o.xmax.unwrap_or(DEFAULT_XMAX),
                    o.ymin.unwrap_or(DEFAULT_YMIN),
                    o.ymax.unwrap_or(DEFAULT_YMAX),
                    width,
                    height,
                )?;
                let wants_deep = wants_perturbation(o.kernel, Some(&view));
                let deep = if wants_deep {
                    Some(DeepView::from_viewport(&view)?)
                } else {
                    None
                };
                (Some(view), deep)
            }
        };
        let kernel = match (o.kernel, &deep) {
            (_, Some(_)) => Kernel::Perturbation,
            (Kernel::Auto, None) => Kernel::Fast,
            (k, None) => k,
        };
        let color_scale = o.color_scale.unwrap_or(if deep.is_some() {
            ColorScale::Log
        } else {
            ColorScale::MaxIter
        });
        if let Some(p) = o.palette_period {
            if !(p.is_finite() && p > 0.0) {
                return Err(Error::Usage(format!(
                    "--palette-period {p} must be a positive number"
                )));
            }
        }
        let cycles = o.palette_cycles;
        if !(cycles.is_finite() && cycles > 0.0) {
            return Err(Error::Usage(format!(
                "--palette-cycles {cycles} must be a positive number"
            )));
        }
        let smooth = o.smooth || color_scale.is_cycled();
        Ok(Request {
            width,
            height,
            view,
            deep,
            kernel,
            max_iter,
            colormap,
            location,
            color_scale,
            palette_period: o.palette_period,
            palette_cycles: cycles,
            inside: o.inside,
            smooth,
            bla: o.bla(),
            out,
            counts,
            checkpoint: None,
            png_compression: o.png_compression,
            schedule: o.schedule,
            progress: o.progress,
            threads: o.threads,
            json: o.json,
        })
    }

    /// Everything that decides the counts and smooth values of this request's rows, in words:
    /// what a checkpoint's hash is taken of (the colours are not in it: they are painted
    /// afresh).
    pub fn rows_request(&self) -> String {
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
            match self.bla {
                None => "off".to_string(),
                Some(bits) => bits.to_string(),
            }
        )
    }

    /// Whether any file is written (`--out` or `--counts`).
    pub fn streaming(&self) -> bool {
        self.out.is_some() || self.counts.is_some()
    }

    /// Rank 0's checks before any computing: reads the location file, validates the request
    /// and [`Request::check`]s it.
    pub fn validate(o: &Options, ranks: u32) -> Result<Request, Error> {
        let location = o.read_location()?;
        let request = Request::from_options(o, location)?;
        request.check(ranks)?;
        Ok(request)
    }

    /// The checks of a valid request on rank 0 before any computing: the output paths, room on
    /// disk for the `.npy` file (its size is exact; a PNG's is not known before it is written),
    /// and memory for the reference orbit and for the rows in flight on rank 0 (which grows
    /// with the width, not the height).
    pub fn check(&self, ranks: u32) -> Result<(), Error> {
        if self.deep.is_some() {
            let needed = reference_bytes(
                self.max_iter,
                self.deep.as_ref().is_some_and(DeepView::is_deep),
                self.bla.is_some(),
            );
            if let Some(available) = mem_available_bytes() {
                if needed > available {
                    return Err(Error::Usage(format!(
                        "the reference orbit of up to {} iterations and its BLA table need {} on \
                         every rank but {} are available; lower --max-iter",
                        self.max_iter,
                        bytes_text(needed),
                        bytes_text(available)
                    )));
                }
            }
        }
        if let Some(out) = &self.out {
            check_output_path(out, &["png"])?;
        }
        if let Some(counts) = &self.counts {
            check_output_path(counts, &["npy"])?;
            let size = npy_size(self.width, self.height);
            check_room(counts, size)?;
        }
        let needed = rank0_bytes_at_least(self.width, ranks, self.streaming(), self.smooth);
        if let Some(available) = mem_available_bytes() {
            if needed > available {
                return Err(Error::Usage(format!(
                    "rows of {} pixels need at least {} of memory on rank 0 (rows in flight) but {} \
                     are available; choose a smaller --width",
                    self.width,
                    bytes_text(needed),
                    bytes_text(available)
                )));
            }
        }
        Ok(())
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
