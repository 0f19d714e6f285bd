//! One image rendered by every rank, step by step as `src/bin/mandel.rs` runs it: rank 0
//! validates the request and everyone learns it; each rank sets up its kernel (the reference
//! orbit of a deep view); rank 0 opens the outputs (and a checkpoint's rows); the rows are
//! shared among the ranks, rendered and streamed back to rank 0 in order; rank 0 finishes the
//! files and reports.

use std::sync::atomic::Ordering;

use super::deep::location::{location_from_wire, location_to_wire};
use super::deep::render::{DeepRenderer, Reference};
use super::deep::view::DeepView;
use super::image_outputs::{open_outputs, painter};
use super::report::{DeepFigures, RunReport};
use super::request::{Options, Request};
use super::sink::checkpoint::{Checkpoint, CheckpointSink, Remaining};
use crate::mandel::{render_image, Rendered, Renderer, RowRenderer, RowSink};
use crate::progress::{Progress, ProgressMode};
use crate::signals;
use crate::spmd::{Halt, Spmd};
use crate::summary::peak_rss_bytes;

/// Rank 0 reads the location file and validates `options` (request, output paths, room on
/// disk, memory); everyone learns the outcome, and the file's values, and builds the same
/// request from them.
pub fn agree_request(spmd: &Spmd, options: &Options) -> Result<Request, Halt> {
    let ranks = spmd.size() as u32;
    let request = spmd.agree(spmd.is_root().then(|| Request::validate(options, ranks)))?;
    let wire = spmd.broadcast_vec(
        request
            .as_ref()
            .map(|r| location_to_wire(r.location.as_ref())),
    );
    Ok(match request {
        Some(request) => request,
        None => Request::from_options(options, location_from_wire(&wire))
            .expect("rank 0 validated these same options"),
    })
}

/// Progress of `total` `unit`s on rank 0's stderr as the request says; nothing on the other
/// ranks.
pub fn progress(spmd: &Spmd, mode: ProgressMode, total: u64, unit: &'static str) -> Progress {
    if spmd.is_root() {
        Progress::new(mode, "mandel", total, unit)
    } else {
        Progress::off()
    }
}

/// A deep view's reference orbit (and BLA table, with `bla` bits), computed on every rank alike
/// (integer arithmetic: the same bits everywhere, so nothing needs sending), and the seconds it
/// took, which count as computing.
pub fn timed_reference(
    spmd: &Spmd,
    view: &DeepView,
    max_iter: u32,
    bla: Option<u32>,
    mode: ProgressMode,
) -> (Reference, f64) {
    let t0 = spmd.now();
    let mut p = progress(spmd, mode, u64::from(max_iter), "reference iterations");
    let r = Reference::compute(view, max_iter, bla, &mut p);
    (r, spmd.now() - t0)
}

/// The perturbation kernel's reference and the seconds it took ([`timed_reference`]); `None`
/// for an f64 view.
pub fn reference(spmd: &Spmd, request: &Request) -> Option<(Reference, f64)> {
    request
        .deep
        .as_ref()
        .map(|view| timed_reference(spmd, view, request.max_iter, request.bla, request.progress))
}

/// The kernel of one image on this rank: perturbation from the reference, or an f64 kernel.
pub enum ImageKernel<'a> {
    /// The perturbation kernel.
    Deep(DeepRenderer<'a>),
    /// An f64 kernel.
    Flat(Renderer<'a>),
}

impl<'a> ImageKernel<'a> {
    /// The kernel of `request`, deep from `reference` when it has one.
    pub fn new(request: &'a Request, reference: Option<&'a (Reference, f64)>) -> ImageKernel<'a> {
        let threads = request.threads as usize;
        match (&request.deep, reference, &request.view) {
            (Some(view), Some((r, _)), _) => ImageKernel::Deep(DeepRenderer::new(
                view,
                r,
                request.max_iter,
                request.smooth,
                threads,
            )),
            (_, _, Some(view)) => ImageKernel::Flat(Renderer {
                kernel: request.kernel,
                threads,
                view,
                max_iter: request.max_iter,
                smooth: request.smooth,
            }),
            _ => unreachable!("a request has an f64 view or a deep one"),
        }
    }

    /// The kernel as the distribution takes it.
    pub fn renderer(&self) -> &dyn RowRenderer {
        match self {
            ImageKernel::Deep(d) => d,
            ImageKernel::Flat(f) => f,
        }
    }

    /// The perturbation kernel, if this is it.
    pub fn deep(&self) -> Option<&DeepRenderer<'a>> {
        match self {
            ImageKernel::Deep(d) => Some(d),
            ImageKernel::Flat(_) => None,
        }
    }
}

/// Rank 0's outputs, and the rows a checkpoint restored (every rank learns how many).
pub struct Opened {
    /// The outputs on rank 0 (with a checkpoint, its sink in front of them); `None` elsewhere
    /// or without files.
    pub outputs: Option<Box<dyn RowSink>>,
    /// The rows read back from the checkpoint, the image's first (0 without one).
    pub restored: u32,
}

/// Rank 0 opens the outputs (nothing appears on disk until each file is whole); a cycled
/// palette is fitted to a sample of the picture first. With a checkpoint, the rows it holds go
/// to the outputs first, and only the rest are rendered. Everyone learns the outcome.
pub fn open(spmd: &Spmd, request: &Request, kernel: &ImageKernel) -> Result<Opened, Halt> {
    let opened = spmd.agree(spmd.is_root().then(|| {
        // The palette's sample is rendered only when there is a picture to paint.
        let painter = request
            .out
            .as_ref()
            .map(|_| painter(request, kernel.deep()));
        let outputs = open_outputs(request, painter)?;
        let mut outputs = outputs.map(|o| Box::new(o) as Box<dyn RowSink>);
        let Some(dir) = &request.checkpoint else {
            return Ok((outputs, 0));
        };
        let rows = request.rows_request();
        let (checkpoint, restored) =
            Checkpoint::open(dir, &rows, request.width, request.height, request.smooth)?;
        if let Some(o) = outputs.as_mut() {
            let smooth = request.smooth.then_some(&restored.smooth[..]);
            o.push(&restored.counts, smooth);
        }
        let sink = CheckpointSink::new(outputs, checkpoint, restored.rows);
        Ok((Some(Box::new(sink) as Box<dyn RowSink>), restored.rows))
    }))?;
    let (outputs, restored) = match opened {
        Some((o, r)) => (o, Some(r)),
        None => (None, None),
    };
    let restored = spmd.broadcast_value(restored);
    Ok(Opened { outputs, restored })
}

/// The rows not restored, shared among the ranks by the request's schedule, rendered by
/// `kernel` and streamed back to rank 0 in order into its outputs; rank 0's figures.
pub fn render(
    spmd: &Spmd,
    request: &Request,
    kernel: &ImageKernel,
    opened: &mut Opened,
) -> Option<Rendered> {
    let restored = opened.restored;
    let remaining = Remaining {
        inner: kernel.renderer(),
        offset: restored,
        piece_rows: (request.height / (32 * spmd.size() as u32)).max(1),
    };
    let renderer: &dyn RowRenderer = if request.checkpoint.is_some() {
        &remaining
    } else {
        kernel.renderer()
    };
    // On a signal rank 0 saves the rows it holds; the others outlive it meanwhile.
    let _linger = (!spmd.is_root() && request.checkpoint.is_some()).then(signals::linger_on_stop);
    let sink = opened
        .outputs
        .as_mut()
        .map(|o| o.as_mut() as &mut dyn RowSink);
    let rows = request.height - restored;
    render_image(
        spmd,
        renderer,
        rows,
        request.schedule,
        request.streaming(),
        sink,
        &mut progress(spmd, request.progress, u64::from(rows), "rows"),
    )
}

/// Rank 0 finishes the files, everyone learns whether that worked (and exits alike), and rank
/// 0 prints the report of `rendered`.
pub fn finish(
    spmd: &Spmd,
    request: &Request,
    kernel: &ImageKernel,
    reference: Option<&(Reference, f64)>,
    opened: Opened,
    rendered: Option<Rendered>,
) -> Result<(), Halt> {
    let skipped = kernel
        .deep()
        .map(|d| spmd.gather_slices(&[d.skipped.load(Ordering::Relaxed)]));
    let deep_figures = match (reference, &request.deep, skipped) {
        (Some((r, reference_s)), Some(view), Some(Some(skipped))) => Some(DeepFigures {
            reference_s: *reference_s,
            orbit_s: r.orbit_s,
            bla_s: r.bla_s,
            reference_iterations: r.iterations() as u64,
            precision_bits: view.precision_bits(),
            bla_entries: r.bla.as_ref().map_or(0, |b| b.len()) as u64,
            skipped: skipped.into_flat().iter().sum(),
        }),
        _ => None,
    };
    let finish_start = spmd.now();
    let written = spmd
        .is_root()
        .then(|| opened.outputs.map_or(Ok(()), |o| o.finish()));
    spmd.agree(written)?;
    let finish_s = spmd.now() - finish_start;
    let peak_rss = spmd.gather_slices(&[peak_rss_bytes()]);
    if let (Some(rendered), Some(peak_rss)) = (rendered, peak_rss) {
        RunReport {
            request,
            ranks: spmd.size(),
            rendered: &rendered,
            finish_s,
            peak_rss: &peak_rss.into_flat(),
            deep: deep_figures.as_ref(),
            rows_restored: request.checkpoint.as_ref().map(|_| opened.restored),
        }
        .print();
    }
    Ok(())
}
