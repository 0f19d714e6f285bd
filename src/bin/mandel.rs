//! `mandel`: the Mandelbrot set under MPI, written as a PNG and/or the raw escape counts.
//!
//! Arguments -> job -> render -> write -> report. Rank 0 validates the request and the output
//! paths and everyone learns the outcome; the rows are shared among the ranks and come back to
//! rank 0 in order ([`mpi_examples::mandel::distribute`]), which writes them as they arrive
//! ([`mpi_examples::mandel::sink`]). The result is the same bytes whatever the number of ranks,
//! threads or the schedule.

use std::process::ExitCode;

use mpi_examples::cli::{MandelArgs as Args, MandelJob as Job};
use mpi_examples::mandel::report::RunReport;
use mpi_examples::mandel::sink::npy::npy_output;
use mpi_examples::mandel::sink::png::{encoder_threads, png_output, PngJob};
use mpi_examples::mandel::{render_image, Colormap, Outputs, Painter, Renderer, RowSink};
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

    // Rank 0 validates (request, output paths, room on disk); everyone learns the outcome.
    let job = spmd.agree(
        spmd.is_root()
            .then(|| Job::validate(&args, spmd.size() as u32)),
    )?;
    let job = match job {
        Some(job) => job,
        None => Job::from_args(&args).expect("rank 0 validated these same arguments"),
    };

    // Rank 0 opens the outputs (nothing appears on disk until each file is whole).
    let streaming = args.out.is_some() || args.counts.is_some();
    let outputs = spmd
        .agree(spmd.is_root().then(|| open_outputs(&args, &job)))?
        .flatten();

    let renderer = Renderer {
        kernel: args.kernel,
        threads: args.threads as usize,
        view: &job.view,
        max_iter: job.max_iter,
        smooth: args.smooth,
    };
    let mut outputs = outputs.map(|o| Box::new(o) as Box<dyn RowSink>);
    let height = job.view.height();
    let sink = outputs.as_mut().map(|o| o.as_mut() as &mut dyn RowSink);
    let mut progress = if spmd.is_root() {
        Progress::new(args.progress, "mandel", u64::from(height), "rows")
    } else {
        Progress::off()
    };
    let rendered = render_image(
        &spmd,
        &renderer,
        height,
        args.schedule,
        streaming,
        sink,
        &mut progress,
    );

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
        }
        .print();
    }
    Ok(())
}

/// The output threads for the files asked for (none: nothing is assembled at all).
fn open_outputs(args: &Args, job: &Job) -> Result<Option<Outputs>, Error> {
    let (width, height) = (job.view.width(), job.view.height());
    let mut outputs = Outputs::new(width, args.smooth);
    if let Some(path) = &args.counts {
        outputs.add("the counts", npy_output(path.clone(), width, height))?;
    }
    if let Some(path) = &args.out {
        let png = PngJob {
            path: path.clone(),
            width,
            height,
            level: args.png_compression,
            threads: encoder_threads(),
            painter: Painter::new(&job.colormap, job.max_iter),
        };
        outputs.add("the image", png_output(png))?;
    }
    Ok((!outputs.is_empty()).then_some(outputs))
}
