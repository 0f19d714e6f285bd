//! Zoom movies: N frames whose view width goes geometrically from `S_0` to `S_END`, all centred
//! on one point, rendered by every rank as one tall image and written frame by frame.
//!
//! - [`frame_scale`]: `S_k = S_0 (S_END/S_0)^(k/(N-1))` as a decimal of 17 significant digits,
//!   the exponent's integer part in exact integer arithmetic and the rest in double-double, so
//!   it is accurate to about 1e-16 at any depth (1e-300000 included). The decimal *is* the
//!   frame's scale: `--scale` with it renders the same view, bytes for bytes. Frame 0 is
//!   `--scale` and frame N-1 `--zoom-to`, exactly as given.
//! - [`FramePattern`]: `f%05d.png` and the like, the frame number from 0.
//! - [`MovieRenderer`]: the frames still to render, stacked into one image of `frames x height`
//!   rows, so any schedule shares whole frames and rows within frames among the ranks, and
//!   [`MovieSink`] on rank 0 cuts the rows back into frames, each written atomically through
//!   the same painter and outputs as a single render ([`super::image_outputs`]).
//! - Each [`Frame`] is a [`Request`] derived from the movie's: its own scale and files, the
//!   rest as asked.
//! - Deep frames share one reference orbit, computed for the deepest frame: the orbit of the
//!   centre at that precision is valid for every shallower view centred on it. Each frame gets
//!   its own BLA table (its validity radii depend on the frame's largest pixel offset). A frame
//!   can differ from the same view rendered alone only where the two orbits' f64 roundings
//!   differ (README: Movies, for how much).
//! - [`is_whole_png`] and [`is_whole_npy`]: what `--resume` leaves alone.

use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::deep::bignum::Decimal;
use super::deep::floatexp::Fe;
use super::deep::location::Location;
use super::deep::render::{DeepRenderer, Reference};
use super::deep::view::decimal_to_fe;
use super::image_outputs::{open_outputs, painter};
use super::request::{location_centre, location_scale, Options, Request};
use crate::mandel::sink::npy::npy_header;
use crate::mandel::{Outputs, Renderer, RowRenderer, RowShape, RowSink};
use crate::signals::{self, Deferral};
use crate::Error;

/// The most frames a movie may have.
pub const MAX_FRAMES: u64 = 1_000_000;

/// A file-name pattern with at most one printf-style integer field (`%d`, `%5d`, `%05d`); `%%`
/// is a literal `%`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FramePattern {
    head: String,
    tail: String,
    /// `(width, zero-padded)` of the field, if there is one.
    field: Option<(usize, bool)>,
}

impl FramePattern {
    /// Parses `path` as a pattern; the field must be in the file name, not in a folder.
    pub fn parse(path: &Path) -> Result<FramePattern, String> {
        let text = path
            .to_str()
            .ok_or_else(|| format!("{} is not valid UTF-8", crate::message::shown(path)))?;
        let bad = |why: &str| format!("{why} in {text:?}");
        let (mut head, mut tail) = (String::new(), String::new());
        let mut field = None;
        let mut chars = text.char_indices().peekable();
        let name_start = text.rfind('/').map_or(0, |i| i + 1);
        while let Some((i, c)) = chars.next() {
            let into = if field.is_some() {
                &mut tail
            } else {
                &mut head
            };
            if c != '%' {
                into.push(c);
                continue;
            }
            if chars.peek().map(|&(_, c)| c) == Some('%') {
                chars.next();
                into.push('%');
                continue;
            }
            let zero = chars.peek().map(|&(_, c)| c) == Some('0');
            if zero {
                chars.next();
            }
            let mut width = String::new();
            while let Some(&(_, d)) = chars.peek().filter(|(_, d)| d.is_ascii_digit()) {
                width.push(d);
                chars.next();
            }
            match chars.next() {
                Some((_, 'd')) | Some((_, 'u')) | Some((_, 'i')) => {}
                _ => return Err(bad("a % that is not a %d-style field (write %% for a %)")),
            }
            if field.is_some() {
                return Err(bad("more than one %d-style field"));
            }
            if i < name_start {
                return Err(bad(
                    "the frame number's field is in a folder, not the file name",
                ));
            }
            let width: usize = width
                .parse::<usize>()
                .ok()
                .filter(|&w| w <= 20)
                .or(width.is_empty().then_some(0))
                .ok_or_else(|| bad("a field wider than 20 digits"))?;
            field = Some((width, zero));
        }
        Ok(FramePattern { head, tail, field })
    }

    /// Whether there is a field for the frame number.
    pub fn has_field(&self) -> bool {
        self.field.is_some()
    }

    /// The path of frame `k`.
    pub fn path(&self, k: u64) -> PathBuf {
        let number = match self.field {
            None => String::new(),
            Some((width, true)) => format!("{k:0width$}"),
            Some((width, false)) => format!("{k:width$}"),
        };
        PathBuf::from(format!("{}{number}{}", self.head, self.tail))
    }
}

/// log10(2) as a double-double: the high part and what it misses.
const LOG10_2_HI: f64 = std::f64::consts::LOG10_2;
const LOG10_2_LO: f64 = -2.803_728_127_785_170_4e-18;

/// `2^(q + f)` (`f` small, a few units at most) as a decimal of 17 significant digits,
/// accurate to about 1e-16 relative for any `|q| < 2^53`: `q log10(2)` is taken in
/// double-double (an exact product by FMA plus the low part), so the decimal exponent and the
/// digits do not lose the precision a plain `f64` product would at large `q`.
pub fn decimal_from_log2(q: i64, f: f64) -> Decimal {
    let qf = q as f64;
    let p = qf * LOG10_2_HI;
    let err = qf.mul_add(LOG10_2_HI, -p);
    let whole = p.floor();
    let rest = (p - whole) + err + qf * LOG10_2_LO + f * std::f64::consts::LOG10_2;
    let extra = rest.floor();
    let mantissa = 10f64.powf(rest - extra);
    let text = format!("{mantissa:.16e}");
    let (digits, e) = text.split_once('e').expect("{:e} has an exponent");
    let e: i64 = e.parse().expect("{:e}'s exponent is an integer");
    let exp10 = whole as i64 + extra as i64 + e;
    format!("{digits}e{exp10}")
        .parse()
        .expect("digits and an exponent make a decimal")
}

/// The width of frame `k` of `n`: `S_k = S_0 (S_END/S_0)^(k/(n-1))`, frame 0 exactly `s0` and
/// frame `n-1` exactly `s_end` (both positive), the others to 17 significant digits.
///
/// With `S = m 2^e` (`m` in [1, 2)), `log2 S_k = e_0 + k (e_1 - e_0)/(n-1) + log2 m_0 +
/// k/(n-1) (log2 m_1 - log2 m_0)`: the first two terms are a fraction of integers, split
/// exactly into an integer and a remainder, so only quantities of a few units meet f64.
pub fn frame_scale(s0: &Decimal, s_end: &Decimal, k: u64, n: u64) -> Decimal {
    if k == 0 {
        return s0.clone();
    }
    if k + 1 >= n {
        return s_end.clone();
    }
    let (_, m0, e0) = s0.to_binary().expect("a positive scale");
    let (_, m1, e1) = s_end.to_binary().expect("a positive scale");
    let d = i128::from(n - 1);
    let num = i128::from(e0) * d + i128::from(k) * (i128::from(e1) - i128::from(e0));
    let (q, r) = (num.div_euclid(d), num.rem_euclid(d));
    let t = k as f64 / d as f64;
    let (l0, l1) = (m0.log2(), m1.log2());
    let f = r as f64 / d as f64 + l0 + t * (l1 - l0);
    decimal_from_log2(q as i64, f)
}

/// Whether `path` is a whole PNG of `width` x `height`: the signature, an IHDR of that size
/// first and the IEND chunk last (what an interrupted write could not have left).
pub fn is_whole_png(path: &Path, width: u32, height: u32) -> bool {
    let check = || -> std::io::Result<bool> {
        let mut f = std::fs::File::open(path)?;
        let len = f.metadata()?.len();
        if len < 8 + 25 + 12 {
            return Ok(false);
        }
        let mut head = [0u8; 33];
        f.read_exact(&mut head)?;
        let mut want = Vec::with_capacity(24);
        want.extend_from_slice(b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR");
        want.extend_from_slice(&width.to_be_bytes());
        want.extend_from_slice(&height.to_be_bytes());
        if head[..24] != want[..] {
            return Ok(false);
        }
        let mut end = [0u8; 12];
        f.seek(SeekFrom::End(-12))?;
        f.read_exact(&mut end)?;
        Ok(end == *b"\0\0\0\0IEND\xae\x42\x60\x82")
    };
    check().unwrap_or(false)
}

/// Whether `path` is a whole `.npy` of a `width` x `height` image: its header, and exactly the
/// length that shape takes.
pub fn is_whole_npy(path: &Path, width: u32, height: u32) -> bool {
    let header = npy_header(width, height);
    let check = || -> std::io::Result<bool> {
        let mut f = std::fs::File::open(path)?;
        let want = header.len() as u64 + 4 * u64::from(width) * u64::from(height);
        if f.metadata()?.len() != want {
            return Ok(false);
        }
        let mut head = vec![0u8; header.len()];
        f.read_exact(&mut head)?;
        Ok(head == header)
    };
    check().unwrap_or(false)
}

/// One frame of a movie: its number, width, and the request a single render of it would run
/// (its files among it).
pub struct Frame {
    /// From 0.
    pub index: u64,
    /// The view's width, as `--scale` takes it.
    pub scale: Decimal,
    /// The validated request of the same view rendered alone.
    pub request: Request,
}

impl Frame {
    /// Whether every file of this frame exists whole (none asked for: never).
    pub fn is_whole(&self) -> bool {
        let (w, h) = (self.request.width, self.request.height);
        let png = self.request.out.as_deref().map(|p| is_whole_png(p, w, h));
        let npy = self
            .request
            .counts
            .as_deref()
            .map(|p| is_whole_npy(p, w, h));
        match (png, npy) {
            (None, None) => false,
            (a, b) => a.unwrap_or(true) && b.unwrap_or(true),
        }
    }
}

/// A movie: its centre, its frames, and which frames are rendered.
pub struct Movie {
    /// The centre, real and imaginary parts.
    pub centre: (Decimal, Decimal),
    /// Every frame, from 0.
    pub frames: Vec<Frame>,
}

impl Movie {
    /// The movie `options` ask for (`options.frames` is set), `location` the location file's
    /// values.
    pub fn from_options(options: &Options, location: Option<Location>) -> Result<Movie, Error> {
        let n = options.frames.expect("a movie has --frames");
        let usage = |s: String| Err(Error::Usage(s));
        if n == 0 {
            return usage("--frames 0 asks for no frame; give at least 1".into());
        }
        if n > MAX_FRAMES {
            return usage(format!("--frames {n} is more than {MAX_FRAMES}"));
        }
        if options.checkpoint.is_some() {
            return usage(
                "--checkpoint is for one image; a movie takes up where it stopped with --resume"
                    .into(),
            );
        }
        if options.xmin.is_some()
            || options.xmax.is_some()
            || options.ymin.is_some()
            || options.ymax.is_some()
        {
            return usage(
                "--frames zooms on a centre: give --center (or a --location), not the edges".into(),
            );
        }
        if u64::from(options.height) * n > u64::from(u32::MAX) {
            return usage(format!(
                "--frames {n} of {} rows are more than {} rows in all; fewer frames or rows",
                options.height,
                u32::MAX
            ));
        }
        let s_end = match (&options.zoom_to, n) {
            (Some(s), _) => Some(s.clone()),
            (None, 1) => None,
            (None, _) => return usage(format!("--frames {n} needs --zoom-to S_END")),
        };
        if let Some(s) = &s_end {
            if s.is_zero() || s.is_negative() {
                return usage(format!("--zoom-to {s} must be greater than zero"));
            }
            if decimal_to_fe(s).is_none() {
                return usage(format!("--zoom-to {s} is out of range"));
            }
        }
        let centre = match (&options.center, &location) {
            (Some(c), _) => c.clone(),
            (None, Some(l)) => location_centre(l)?,
            (None, None) => ("-0.5".parse().expect("a number"), Decimal::from_f64(0.0)),
        };
        let s0 = match (&options.scale, &location) {
            (Some(s), _) => {
                if s.is_zero() || s.is_negative() {
                    return usage(format!("--scale {s} must be greater than zero"));
                }
                s.clone()
            }
            (None, Some(l)) => {
                // The location's width, to 17 digits: the decimal is frame 0's --scale.
                let s = location_scale(l, options.width, options.height)?;
                decimal_from_log2(i64::from(s.exp()), s.mantissa().log2())
            }
            (None, None) => Decimal::from_f64(3.0),
        };
        let s_end = s_end.unwrap_or_else(|| s0.clone());
        let pattern = |p: &Option<PathBuf>, flag: &str| -> Result<Option<FramePattern>, Error> {
            let Some(p) = p else { return Ok(None) };
            let pattern =
                FramePattern::parse(p).map_err(|e| Error::Usage(format!("{flag}: {e}")))?;
            if n > 1 && !pattern.has_field() {
                return Err(Error::Usage(format!(
                    "{flag} {} has no %d-style field for the frame number, which --frames {n} \
                     needs (e.g. frames/f%05d.png)",
                    crate::message::shown(p)
                )));
            }
            Ok(Some(pattern))
        };
        let out = pattern(&options.out, "--out")?;
        let counts = pattern(&options.counts, "--counts")?;
        let mut frames = Vec::with_capacity(n as usize);
        for k in 0..n {
            let scale = frame_scale(&s0, &s_end, k, n);
            let out = out.as_ref().map(|p| p.path(k));
            let counts = counts.as_ref().map(|p| p.path(k));
            let request =
                Request::for_frame(options, location.clone(), &centre, &scale, out, counts)
                    .map_err(|e| match e {
                        Error::Runtime(_) | Error::Output(_) | Error::Cities(_) => e,
                        e => Error::Usage(format!("frame {k} (--scale {scale}): {e}")),
                    })?;
            frames.push(Frame {
                index: k,
                scale,
                request,
            });
        }
        Ok(Movie { centre, frames })
    }

    /// Rank 0's checks before any computing: reads the location file, builds every frame, and
    /// checks the first and the deepest frame as a single render of each would be checked
    /// (output folder and extension, memory for the reference), and room for the counts.
    pub fn validate(options: &Options, ranks: u32) -> Result<(Movie, Option<Location>), Error> {
        let location = options.read_location()?;
        let movie = Movie::from_options(options, location.clone())?;
        // The frames' folder (one level, like the acceptance's `f/f%03d.png`) is made when it is
        // missing, and removed again if the request turns out bad, so a refused movie leaves
        // nothing behind.
        let first = &movie.frames[0];
        let mut made = Vec::new();
        for path in [&first.request.out, &first.request.counts]
            .into_iter()
            .flatten()
        {
            let dir = crate::output::folder_of(path);
            let parent_exists = dir
                .parent()
                .is_none_or(|p| p.as_os_str().is_empty() || p.is_dir());
            if !dir.exists() && parent_exists && std::fs::create_dir(dir).is_ok() {
                made.push(dir.to_path_buf());
            }
        }
        let checked = (|| {
            first.request.check(ranks)?;
            if let Some(i) = movie.deepest() {
                movie.frames[i].request.check(ranks)?;
            }
            if let Some(p) = &first.request.counts {
                let f = &first.request;
                let each = crate::mandel::sink::npy::npy_size(f.width, f.height);
                crate::output::check_room(p, each * movie.frames.len() as u64)?;
            }
            Ok::<(), Error>(())
        })();
        if let Err(e) = checked {
            for dir in made.iter().rev() {
                let _ = std::fs::remove_dir(dir);
            }
            return Err(e);
        }
        Ok((movie, location))
    }

    /// The deepest frame rendered by perturbation (the smallest pixel step), whose reference
    /// orbit serves them all.
    pub fn deepest(&self) -> Option<usize> {
        let mut best: Option<(usize, Fe)> = None;
        for (i, f) in self.frames.iter().enumerate() {
            if let Some(d) = &f.request.deep {
                if best.is_none_or(|(_, dx)| d.dx().lt(dx)) {
                    best = Some((i, d.dx()));
                }
            }
        }
        best.map(|(i, _)| i)
    }

    /// The frames to render: all, or with `resume` those whose files are not all whole.
    pub fn pending(&self, resume: bool) -> Vec<u32> {
        self.frames
            .iter()
            .filter(|f| !(resume && f.is_whole()))
            .map(|f| f.index as u32)
            .collect()
    }
}

/// Per-frame BLA tables kept at once on a rank: rows of a rank move forward through the frames,
/// so a few recent ones suffice.
const TABLES_KEPT: usize = 3;

/// The frames still to render as one tall image: row `s * height + r` is row `r` of frame
/// `slots[s]`. Every rank holds one; rank 0's also paints the frames.
pub struct MovieRenderer<'a> {
    frames: &'a [Frame],
    slots: &'a [u32],
    reference: Option<&'a Reference>,
    bla: Option<u32>,
    threads: usize,
    width: usize,
    height: u32,
    smooth: bool,
    max_count: u32,
    piece_rows: u32,
    tables: Mutex<Vec<(usize, Arc<Reference>)>>,
    /// Pixel-iterations skipped by BLA on this rank.
    pub skipped: AtomicU64,
}

impl<'a> MovieRenderer<'a> {
    /// The frames `slots` of `movie`, deep ones from `reference` (the deepest frame's orbit;
    /// tables are built per frame with `bla`'s accuracy), on `threads` threads; pieces of at
    /// most a frame's rows per rank reach rank 0, so frames are written as they are done.
    pub fn new(
        movie: &'a Movie,
        slots: &'a [u32],
        reference: Option<&'a Reference>,
        bla: Option<u32>,
        threads: usize,
        ranks: u32,
    ) -> MovieRenderer<'a> {
        let first = &movie.frames[0].request;
        MovieRenderer {
            frames: &movie.frames,
            slots,
            reference,
            bla,
            threads,
            width: first.width as usize,
            height: first.height,
            smooth: movie.frames.iter().any(|f| f.request.smooth),
            max_count: first.max_iter,
            piece_rows: (first.height / ranks.max(1)).max(1),
            tables: Mutex::new(Vec::new()),
            skipped: AtomicU64::new(0),
        }
    }

    /// Rows in the tall image.
    pub fn rows(&self) -> u32 {
        self.slots.len() as u32 * self.height
    }

    /// Frame `frame`'s reference: the shared orbit with that frame's own table.
    fn reference_for(&self, frame: usize) -> Arc<Reference> {
        let mut tables = self.tables.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((_, r)) = tables.iter().find(|(f, _)| *f == frame) {
            return Arc::clone(r);
        }
        let view = self.frames[frame]
            .request
            .deep
            .as_ref()
            .expect("a deep frame");
        let shared = self.reference.expect("deep frames have a reference");
        let r = Arc::new(shared.for_view(view, self.bla));
        if tables.len() >= TABLES_KEPT {
            tables.remove(0);
        }
        tables.push((frame, Arc::clone(&r)));
        r
    }

    /// Runs `f` with frame `frame`'s renderer (and its deep renderer, for the painter).
    pub fn with_frame<R>(
        &self,
        frame: usize,
        smooth: bool,
        f: impl FnOnce(&dyn RowRenderer, Option<&DeepRenderer>) -> R,
    ) -> R {
        let request = &self.frames[frame].request;
        match (&request.deep, &request.view) {
            (Some(view), _) => {
                let reference = self.reference_for(frame);
                let d = DeepRenderer::new(view, &reference, request.max_iter, smooth, self.threads);
                let r = f(&d, Some(&d));
                self.skipped
                    .fetch_add(d.skipped.load(Ordering::Relaxed), Ordering::Relaxed);
                r
            }
            (None, Some(view)) => {
                let r = Renderer {
                    kernel: request.kernel,
                    threads: self.threads,
                    view,
                    max_iter: request.max_iter,
                    smooth,
                };
                f(&r, None)
            }
            (None, None) => unreachable!("a request has an f64 view or a deep one"),
        }
    }
}

impl RowRenderer for MovieRenderer<'_> {
    fn shape(&self) -> RowShape {
        RowShape::new(self.width as u32, self.smooth, self.max_count)
    }

    fn max_piece_rows(&self) -> u32 {
        self.piece_rows
    }

    fn render(&self, rows: &[u32], counts: &mut [u32], smooth: Option<&mut [f32]>) -> u64 {
        let (w, h) = (self.width, self.height);
        let (mut counts, mut smooth) = (counts, smooth);
        let mut computed = 0;
        let mut at = 0;
        while at < rows.len() {
            let slot = rows[at] / h;
            let end = at + rows[at..].iter().take_while(|&&r| r / h == slot).count();
            let local: Vec<u32> = rows[at..end].iter().map(|r| r % h).collect();
            let n = local.len() * w;
            let (c, rest) = std::mem::take(&mut counts).split_at_mut(n);
            counts = rest;
            let s = smooth.take().map(|s| {
                let (a, b) = s.split_at_mut(n);
                smooth = Some(b);
                a
            });
            let frame = self.slots[slot as usize] as usize;
            let frame_smooth = self.frames[frame].request.smooth;
            let s = if frame_smooth { s } else { None };
            computed += self.with_frame(frame, frame_smooth, |r, _| r.render(&local, c, s));
            at = end;
        }
        computed
    }
}

/// What rank 0 learned of one frame it wrote.
#[derive(Debug, Clone)]
pub struct FrameDone {
    /// The frame's number.
    pub index: u64,
    /// Seconds since the previous frame was written (or the render began).
    pub seconds: f64,
    /// The sum of its counts.
    pub pixel_iterations: u64,
}

/// Rank 0's sink of the tall image: cuts it into frames, each painted and written as a single
/// render of its view would be, and finished (in place, whole) as soon as its last row comes.
///
/// On SIGINT or SIGTERM ([`signals::on_stop`]) a frame whose rows have all arrived and whose
/// files are being finished is finished before the process ends; the frames after it are not.
pub struct MovieSink<'a> {
    movie: &'a MovieRenderer<'a>,
    slot: usize,
    rows: u32,
    work: u64,
    current: Option<Box<Outputs>>,
    error: Option<Error>,
    last: Instant,
    done: Vec<FrameDone>,
    finish_delay: Option<Duration>,
    _stop: Deferral,
}

/// `MPI_EXAMPLES_FRAME_FINISH_MS` milliseconds, when set: how long rank 0 waits before finishing
/// each frame's files, so that a test's signal surely lands while a whole frame is finished.
fn finish_delay() -> Option<Duration> {
    std::env::var("MPI_EXAMPLES_FRAME_FINISH_MS")
        .ok()
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(Duration::from_millis)
}

impl<'a> MovieSink<'a> {
    /// A sink for `movie`'s frames, each written as its request says.
    pub fn new(movie: &'a MovieRenderer<'a>) -> MovieSink<'a> {
        MovieSink {
            movie,
            slot: 0,
            rows: 0,
            work: 0,
            current: None,
            error: None,
            last: Instant::now(),
            done: Vec::new(),
            finish_delay: finish_delay(),
            // On a signal, the frame being finished is written whole; the rest are not begun.
            _stop: signals::on_stop(|| {
                eprintln!(
                    "mandel: stopped by {}; every frame written so far is whole: run the same \
                     command with --resume to render the rest",
                    signals::pending_signal_name()
                );
            }),
        }
    }

    /// Opens the current frame's outputs.
    fn open(&mut self) -> Result<Option<Box<Outputs>>, Error> {
        let frame = self.movie.slots[self.slot] as usize;
        let f = &self.movie.frames[frame];
        let painter = f.request.out.as_ref().map(|_| {
            self.movie
                .with_frame(frame, f.request.smooth, |_, d| painter(&f.request, d))
        });
        let outputs = open_outputs(&f.request, painter)?;
        Ok(outputs.map(Box::new))
    }

    /// Finishes the files of every frame; the frames written, or the first error.
    pub fn close(mut self) -> Result<Vec<FrameDone>, Error> {
        if let Some(e) = self.error.take() {
            return Err(e);
        }
        if self.slot < self.movie.slots.len() {
            return Err(Error::Runtime(format!(
                "only {} of {} frames reached rank 0 before the end",
                self.slot,
                self.movie.slots.len()
            )));
        }
        Ok(self.done)
    }
}

impl RowSink for MovieSink<'_> {
    fn push(&mut self, mut counts: &[u32], mut smooth: Option<&[f32]>) {
        let (w, h) = (self.movie.width, self.movie.height);
        while !counts.is_empty() {
            let take = ((h - self.rows) as usize).min(counts.len() / w);
            let n = take * w;
            if self.rows == 0 && self.error.is_none() {
                match self.open() {
                    Ok(o) => self.current = o,
                    Err(e) => self.error = Some(e),
                }
            }
            if let Some(o) = self.current.as_mut() {
                o.push(&counts[..n], smooth.map(|s| &s[..n]));
            }
            self.work += counts[..n].iter().map(|&c| u64::from(c)).sum::<u64>();
            counts = &counts[n..];
            smooth = smooth.map(|s| &s[n..]);
            self.rows += take as u32;
            if self.rows == h {
                // Every row is in: a signal from here on waits for the files to be whole.
                let finishing = signals::finishing();
                if let Some(delay) = self.finish_delay {
                    std::thread::sleep(delay);
                }
                if let Some(o) = self.current.take() {
                    if let Err(e) = o.finish() {
                        self.error.get_or_insert(e);
                    }
                }
                drop(finishing);
                let now = Instant::now();
                self.done.push(FrameDone {
                    index: u64::from(self.movie.slots[self.slot]),
                    seconds: (now - self.last).as_secs_f64(),
                    pixel_iterations: std::mem::take(&mut self.work),
                });
                self.last = now;
                self.slot += 1;
                self.rows = 0;
            }
        }
    }

    fn finish(self: Box<Self>) -> Result<(), Error> {
        self.close().map(|_| ())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        s.parse().expect("a decimal")
    }

    #[test]
    fn patterns_take_one_field_in_the_file_name() {
        let p = FramePattern::parse(Path::new("f/f%05d.png")).expect("pattern");
        assert_eq!(p.path(7), PathBuf::from("f/f00007.png"));
        assert_eq!(p.path(123456), PathBuf::from("f/f123456.png"));
        let p = FramePattern::parse(Path::new("a%%b%d.npy")).expect("pattern");
        assert_eq!(p.path(3), PathBuf::from("a%b3.npy"));
        let p = FramePattern::parse(Path::new("x%3d.png")).expect("pattern");
        assert_eq!(p.path(4), PathBuf::from("x  4.png"));
        assert!(!FramePattern::parse(Path::new("x.png"))
            .expect("pattern")
            .has_field());
        for bad in [
            "f%d/x%d.png",
            "f%d/x.png",
            "x%s.png",
            "x%05.png",
            "x%d%d.png",
        ] {
            assert!(FramePattern::parse(Path::new(bad)).is_err(), "{bad}");
        }
    }

    #[test]
    fn ends_are_exact_and_the_middle_is_geometric() {
        let (s0, s1) = (d("3"), d("1e-9"));
        assert_eq!(frame_scale(&s0, &s1, 0, 24), s0);
        assert_eq!(frame_scale(&s0, &s1, 23, 24), s1);
        for k in 1..23u64 {
            let want = 3.0 * (1e-9f64 / 3.0).powf(k as f64 / 23.0);
            let got = frame_scale(&s0, &s1, k, 24).to_f64();
            assert!(
                (got / want - 1.0).abs() < 1e-14,
                "frame {k}: {got} vs {want}"
            );
        }
        // Halfway between 1 and 1e-600000 is 1e-300000, to every digit kept.
        let mid = frame_scale(&d("1"), &d("1e-600000"), 1, 3);
        let text = mid.to_string();
        let (digits, exp) = text.split_once('e').expect("exponent");
        assert!(exp == "-300000" || exp == "-300001", "{text}");
        let m: f64 = digits.parse().expect("digits");
        let m = if exp == "-300001" { m / 10.0 } else { m };
        assert!((m - 1.0).abs() < 1e-9, "{text}");
    }

    #[test]
    fn deep_scales_keep_sixteen_digits() {
        // 2^-1000000 = 1.0099...e-301030: check against log10 computed in pieces.
        let x = decimal_from_log2(-1_000_000, 0.0);
        assert!(x.to_string().ends_with("e-301030"), "{x}");
        assert!(x.to_string().starts_with("1.010034059198030"), "{x}");
        let (_, m, e) = x.to_binary().expect("non-zero");
        let log2 = (e + 1_000_000) as f64 + m.log2();
        assert!(log2.abs() < 1e-14, "{m} 2^{e}");
        let y = decimal_from_log2(12345, 0.5);
        let (_, m, e) = y.to_binary().expect("non-zero");
        assert_eq!(e, 12345);
        assert!((m - std::f64::consts::SQRT_2).abs() < 1e-14, "{m}");
    }

    #[test]
    fn whole_files_are_told_from_cut_ones() {
        let dir = tempfile::tempdir().expect("dir");
        let mut png = Vec::new();
        crate::mandel::write_png(&mut png, 5, 4, &[0u8; 5 * 4 * 3]).expect("png");
        let mut npy = Vec::new();
        crate::mandel::write_npy(&mut npy, 5, 4, &[1u32; 20]).expect("npy");
        type Check = fn(&Path, u32, u32) -> bool;
        // Each format's whole file, its check, and how many bytes a cut one lacks.
        let formats: [(&str, Vec<u8>, Check, usize); 2] = [
            ("a.png", png, is_whole_png, 1),
            ("a.npy", npy, is_whole_npy, 4),
        ];
        for (name, bytes, is_whole, cut) in formats {
            let path = dir.path().join(name);
            std::fs::write(&path, &bytes).expect("write");
            assert!(is_whole(&path, 5, 4), "{name}");
            assert!(!is_whole(&path, 4, 5), "{name} of another shape");
            std::fs::write(&path, &bytes[..bytes.len() - cut]).expect("cut");
            assert!(!is_whole(&path, 5, 4), "{name} cut short");
            assert!(
                !is_whole(&dir.path().join("none").join(name), 5, 4),
                "no {name}"
            );
        }
    }
}
