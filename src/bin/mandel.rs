//! `mandel`: the Mandelbrot set under MPI, written as a PNG and/or the raw escape counts.
//!
//! Arguments -> job -> render -> write -> report. Rank 0 validates the request and the output
//! paths and everyone learns the outcome; the rows are shared among the ranks and come back to
//! rank 0 in order ([`mpi_examples::mandel::distribute`]), which writes them as they arrive
//! ([`mpi_examples::mandel::sink`]). The result is the same bytes whatever the number of ranks,
//! threads or the schedule.

use std::process::ExitCode;

use std::sync::atomic::Ordering;

use mpi_examples::cli::{MandelArgs as Args, MandelJob as Job};
use mpi_examples::mandel::deep::location::{location_from_wire, location_to_wire};
use mpi_examples::mandel::deep::render::{DeepRenderer, Reference};
use mpi_examples::mandel::frame::{open_outputs, painter};
use mpi_examples::mandel::movie::{Movie, MovieRenderer, MovieSink};
use mpi_examples::mandel::report::{DeepFigures, MovieReport, RunReport};
use mpi_examples::mandel::sink::checkpoint::{Checkpoint, CheckpointSink, Remaining};
use mpi_examples::mandel::{render_image, Colormap, Renderer, RowRenderer, RowSink};
use mpi_examples::progress::Progress;
use mpi_examples::signals;
use mpi_examples::spmd::{exit_code, use_threads, Halt, Spmd};
use mpi_examples::summary::peak_rss_bytes;

fn main() -> ExitCode {
    exit_code(run())
}

fn run() -> Result<(), Halt> {
    let spmd = Spmd::init()?;
    let args: Args = spmd.parse_args()?;
    use_threads(args.run.threads as usize);
    if args.colormap.eq_ignore_ascii_case("list") {
        if spmd.is_root() {
            println!("{}", Colormap::names().join("\n"));
        }
        return Ok(());
    }
    if args.frames.is_some() {
        return run_movie(&spmd, &args);
    }

    // Rank 0 validates (request, output paths, room on disk, memory) and reads the location
    // file; everyone learns the outcome, and the file's values.
    let job = spmd.agree(
        spmd.is_root()
            .then(|| Job::validate(&args, spmd.size() as u32)),
    )?;
    let wire = spmd.broadcast_vec(job.as_ref().map(|j| location_to_wire(j.location.as_ref())));
    let job = match job {
        Some(job) => job,
        None => Job::from_args(&args, location_from_wire(&wire))
            .expect("rank 0 validated these same arguments"),
    };

    let progress = |total: u64, unit: &'static str| {
        if spmd.is_root() {
            Progress::new(args.progress, "mandel", total, unit)
        } else {
            Progress::off()
        }
    };

    // The perturbation kernel's reference, computed on every rank alike (integer arithmetic:
    // the same bits everywhere, so nothing needs sending) and timed as part of the computing.
    let reference = job.deep.as_ref().map(|view| {
        let t0 = spmd.now();
        let mut p = progress(u64::from(job.max_iter), "reference iterations");
        let r = Reference::compute(
            view,
            job.max_iter,
            (!args.no_bla).then_some(args.bla_bits),
            &mut p,
        );
        (r, spmd.now() - t0)
    });
    let deep = job
        .deep
        .as_ref()
        .zip(reference.as_ref())
        .map(|(view, (r, _))| {
            DeepRenderer::new(view, r, job.max_iter, job.smooth, args.run.threads as usize)
        });
    let flat = job
        .view
        .as_ref()
        .filter(|_| deep.is_none())
        .map(|view| Renderer {
            kernel: job.kernel,
            threads: args.run.threads as usize,
            view,
            max_iter: job.max_iter,
            smooth: job.smooth,
        });
    let renderer: &dyn RowRenderer = match (&deep, &flat) {
        (Some(d), _) => d,
        (None, Some(f)) => f,
        (None, None) => unreachable!("a job has an f64 view or a deep one"),
    };

    // Rank 0 opens the outputs (nothing appears on disk until each file is whole); a cycled
    // palette is fitted to a sample of the picture first. With a checkpoint, the rows it holds
    // go to the outputs first, and only the rest are rendered.
    let streaming = args.out.is_some() || args.counts.is_some();
    let opened = spmd.agree(spmd.is_root().then(|| {
        // The palette's sample is rendered only when there is a picture to paint.
        let painter = args.out.as_ref().map(|_| painter(&job, deep.as_ref()));
        let outputs = open_outputs(
            &job,
            args.out.as_deref(),
            args.counts.as_deref(),
            args.png_compression,
            painter,
        )?;
        let mut outputs = outputs.map(|o| Box::new(o) as Box<dyn RowSink>);
        let Some(dir) = &args.checkpoint else {
            return Ok((outputs, 0));
        };
        let request = job.rows_request(&args);
        let (checkpoint, restored) =
            Checkpoint::open(dir, &request, job.width, job.height, job.smooth)?;
        if let Some(o) = outputs.as_mut() {
            let smooth = job.smooth.then_some(&restored.smooth[..]);
            o.push(&restored.counts, smooth);
        }
        let sink = CheckpointSink::new(outputs, checkpoint, restored.rows);
        Ok((Some(Box::new(sink) as Box<dyn RowSink>), restored.rows))
    }))?;
    let (mut outputs, restored) = match opened {
        Some((o, r)) => (o, Some(r)),
        None => (None, None),
    };
    let restored = spmd.broadcast_value(restored);
    let remaining = Remaining {
        inner: renderer,
        offset: restored,
        piece_rows: (job.height / (32 * spmd.size() as u32)).max(1),
    };
    let renderer: &dyn RowRenderer = if args.checkpoint.is_some() {
        &remaining
    } else {
        renderer
    };
    // On a signal rank 0 saves the rows it holds; the others outlive it meanwhile.
    let _linger = (!spmd.is_root() && args.checkpoint.is_some()).then(signals::linger_on_stop);
    let sink = outputs.as_mut().map(|o| o.as_mut() as &mut dyn RowSink);
    let rendered = render_image(
        &spmd,
        renderer,
        job.height - restored,
        args.schedule,
        streaming,
        sink,
        &mut progress(u64::from(job.height - restored), "rows"),
    );
    let skipped = deep
        .as_ref()
        .map(|d| spmd.gather_slices(&[d.skipped.load(Ordering::Relaxed)]));
    let deep_figures = match (&reference, &job.deep, skipped) {
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

    // Rank 0 finishes the files; everyone learns whether that worked, and exits alike.
    let finish_start = spmd.now();
    let written = spmd
        .is_root()
        .then(|| outputs.map_or(Ok(()), |o| o.finish()));
    spmd.agree(written)?;
    let finish_s = spmd.now() - finish_start;
    let peak_rss = spmd.gather_slices(&[peak_rss_bytes()]);
    if let (Some(rendered), Some(peak_rss)) = (rendered, peak_rss) {
        RunReport {
            args: &args,
            job: &job,
            ranks: spmd.size(),
            rendered: &rendered,
            finish_s,
            peak_rss: &peak_rss.into_flat(),
            deep: deep_figures.as_ref(),
            rows_restored: args.checkpoint.as_ref().map(|_| restored),
        }
        .print();
    }
    Ok(())
}

/// A zoom movie: rank 0 validates it and picks the frames still to render, everyone renders
/// them as one tall image (one reference orbit for every deep frame), and rank 0 writes each
/// frame as its last row arrives.
fn run_movie(spmd: &Spmd, args: &Args) -> Result<(), Halt> {
    let ranks = spmd.size() as u32;
    let checked = spmd.agree(spmd.is_root().then(|| Movie::validate(args, ranks)))?;
    let wire = spmd.broadcast_vec(checked.as_ref().map(|(_, l)| location_to_wire(l.as_ref())));
    let movie = match checked {
        Some((movie, _)) => movie,
        None => Movie::from_args(args, location_from_wire(&wire))
            .expect("rank 0 validated these same arguments"),
    };
    // Rank 0 looks at the files; everyone learns which frames are left to render.
    let slots = spmd.broadcast_vec(spmd.is_root().then(|| movie.pending(args.resume)));
    let height = movie.frames[0].job.height;
    let root = spmd.is_root();
    let progress = |total: u64, unit: &'static str| {
        if root {
            Progress::new(args.progress, "mandel", total, unit)
        } else {
            Progress::off()
        }
    };

    // One reference for every deep frame: the deepest frame's, whether or not it is left to
    // render, so a resumed movie's frames are those of an uninterrupted one.
    let deepest = movie.deepest();
    let any_deep = slots
        .iter()
        .any(|&s| movie.frames[s as usize].job.deep.is_some());
    let reference = deepest.filter(|_| any_deep).map(|i| {
        let view = movie.frames[i]
            .job
            .deep
            .as_ref()
            .expect("the deepest frame is deep");
        let t0 = spmd.now();
        let mut p = progress(
            u64::from(movie.frames[i].job.max_iter),
            "reference iterations",
        );
        let r = Reference::compute(view, movie.frames[i].job.max_iter, None, &mut p);
        (r, spmd.now() - t0, view.precision_bits())
    });
    let bla = (!args.no_bla).then_some(args.bla_bits);
    let renderer = MovieRenderer::new(
        &movie,
        &slots,
        reference.as_ref().map(|(r, _, _)| r),
        bla,
        args.run.threads as usize,
        ranks,
    );
    let streaming = args.out.is_some() || args.counts.is_some();
    let mut sink = (root && streaming).then(|| MovieSink::new(&renderer, args.png_compression));
    // On a signal rank 0 finishes the frame being written; the others outlive it meanwhile.
    let _linger = (!root && streaming).then(signals::linger_on_stop);
    let already = (movie.frames.len() - slots.len()) as u64;
    let mut p = progress(u64::from(renderer.rows()), "rows").with_frames(
        u64::from(height),
        movie.frames.len() as u64,
        already,
    );
    let rendered = render_image(
        spmd,
        &renderer,
        renderer.rows(),
        args.schedule,
        streaming,
        sink.as_mut().map(|s| s as &mut dyn RowSink),
        &mut p,
    );
    drop(p);
    // Rank 0 has finished every frame's files; everyone learns whether that worked.
    let done = spmd.agree(root.then(|| sink.map_or(Ok(Vec::new()), MovieSink::close)))?;
    let peak_rss = spmd.gather_slices(&[peak_rss_bytes()]);
    if let (Some(rendered), Some(peak_rss), Some(done)) = (rendered, peak_rss, done) {
        MovieReport {
            args,
            movie: &movie,
            ranks: spmd.size(),
            rendered: &rendered,
            reference_s: reference.as_ref().map(|(_, s, _)| *s),
            precision_bits: reference.as_ref().map(|(_, _, b)| *b),
            slots: &slots,
            done: &done,
            skipped: already,
            peak_rss: &peak_rss.into_flat(),
        }
        .print();
    }
    Ok(())
}
