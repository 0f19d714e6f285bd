//! `mandel`: the Mandelbrot set under MPI, written as a PNG and/or the raw escape counts.
//!
//! Arguments -> job -> render -> write -> report. Rank 0 validates the request and the output
//! paths and everyone learns the outcome; the rows are shared among the ranks and come back to
//! rank 0 in order ([`mpi_examples::mandel::distribute`]), which writes them as they arrive
//! ([`mpi_examples::mandel::sink`]). The result is the same bytes whatever the number of ranks,
//! threads or the schedule.

use std::process::ExitCode;

use std::sync::atomic::Ordering;

use mpi_examples::cli::{
    location_from_wire, location_to_wire, Colouring, MandelArgs as Args, MandelJob as Job,
};
use mpi_examples::mandel::deep::render::{DeepRenderer, Reference};
use mpi_examples::mandel::render::probe_pixels;
use mpi_examples::mandel::report::{DeepFigures, RunReport};
use mpi_examples::mandel::sink::npy::npy_output;
use mpi_examples::mandel::sink::png::{encoder_threads, png_output, PngJob};
use mpi_examples::mandel::{
    render_image, smooth_count, Colormap, Cycle, Outputs, Painter, Renderer, RowRenderer, RowSink,
};
use mpi_examples::progress::Progress;
use mpi_examples::report::peak_rss_bytes;
use mpi_examples::spmd::{exit_code, use_threads, Halt, Spmd};
use mpi_examples::Error;

fn main() -> ExitCode {
    exit_code(run())
}

fn run() -> Result<(), Halt> {
    let spmd = Spmd::init()?;
    let args: Args = spmd.parse_args()?;
    use_threads(args.threads as usize);
    if args.colormap.eq_ignore_ascii_case("list") {
        if spmd.is_root() {
            println!("{}", Colormap::names().join("\n"));
        }
        return Ok(());
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
            DeepRenderer::new(view, r, job.max_iter, job.smooth, args.threads as usize)
        });
    let flat = job
        .view
        .as_ref()
        .filter(|_| deep.is_none())
        .map(|view| Renderer {
            kernel: job.kernel,
            threads: args.threads as usize,
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
    // palette is fitted to a sample of the picture first.
    let streaming = args.out.is_some() || args.counts.is_some();
    let outputs = spmd
        .agree(spmd.is_root().then(|| {
            // The palette's sample is rendered only when there is a picture to paint.
            let painter = args.out.as_ref().map(|_| painter(&job, deep.as_ref()));
            open_outputs(&args, &job, painter)
        }))?
        .flatten();
    let mut outputs = outputs.map(|o| Box::new(o) as Box<dyn RowSink>);
    let sink = outputs.as_mut().map(|o| o.as_mut() as &mut dyn RowSink);
    let rendered = render_image(
        &spmd,
        renderer,
        job.height,
        args.schedule,
        streaming,
        sink,
        &mut progress(u64::from(job.height), "rows"),
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
        }
        .print();
    }
    Ok(())
}

/// The painter for the job's colouring: a cycled palette is fitted to a sample of the picture
/// (the same pixels at any rank count), unless its period is given.
fn painter(job: &Job, deep: Option<&DeepRenderer>) -> Painter {
    match job.colouring {
        Colouring::MaxIter => Painter::new(&job.colormap, job.max_iter),
        Colouring::Cycle {
            scale,
            period,
            cycles,
            inside,
        } => {
            let samples: Vec<f64> = probe_pixels(job.width, job.height)
                .into_iter()
                .map(|(col, row)| match (deep, &job.view) {
                    (Some(d), _) => f64::from(d.smooth_at(col, row)),
                    (None, Some(v)) => f64::from(smooth_count(v.c_at(col, row), job.max_iter)),
                    (None, None) => 0.0,
                })
                .collect();
            let mut cycle = Cycle::auto(&samples, job.max_iter, scale, cycles, inside);
            if let Some(p) = period {
                cycle.period = p;
            }
            Painter::with_cycle(&job.colormap, job.max_iter, cycle)
        }
    }
}

/// The output threads for the files asked for (none: nothing is assembled at all).
fn open_outputs(
    args: &Args,
    job: &Job,
    painter: Option<Painter>,
) -> Result<Option<Outputs>, Error> {
    let (width, height) = (job.width, job.height);
    let mut outputs = Outputs::new(width, job.smooth);
    if let Some(path) = &args.counts {
        outputs.add("the counts", npy_output(path.clone(), width, height))?;
    }
    if let (Some(path), Some(painter)) = (&args.out, painter) {
        let png = PngJob {
            path: path.clone(),
            width,
            height,
            level: args.png_compression,
            threads: encoder_threads(),
            painter,
        };
        outputs.add("the image", png_output(png))?;
    }
    Ok((!outputs.is_empty()).then_some(outputs))
}
