//! `mandel`: the Mandelbrot set under MPI, written as a PNG and/or the raw escape counts.
//!
//! Flags -> request -> render -> write -> report. Rank 0 validates the request and the output
//! paths and everyone learns the outcome; the rows are shared among the ranks and come back to
//! rank 0 in order ([`mpi_examples::mandel::distribute`]), which writes them as they arrive
//! ([`mpi_examples::mandel::sink`]). The result is the same bytes whatever the number of ranks,
//! threads or the schedule. The steps live in [`mpi_examples::mandel::job`] (one image) and
//! [`mpi_examples::mandel::movie_job`] (a zoom movie).

use std::process::ExitCode;

use mpi_examples::cli::{self, MandelArgs as Args};
use mpi_examples::mandel::job::{self, ImageKernel};
use mpi_examples::mandel::{movie_job, Colormap, Options};
use mpi_examples::spmd::{exit_code, Halt, Spmd};
use mpi_examples::threads;

fn main() -> ExitCode {
    exit_code(run())
}

fn run() -> Result<(), Halt> {
    // MPI init; every rank parses the same flags into the library's plain options.
    let spmd = Spmd::init()?;
    let mut options = cli::parse_args::<Args>(&spmd)?.options();
    // The threads of each rank: at most the node's CPUs (rank 0 notes a clamp once agreed).
    let asked = options.threads;
    options.threads = threads::start(asked);
    if options.colormap.eq_ignore_ascii_case("list") {
        if spmd.is_root() {
            println!("{}", Colormap::names().join("\n"));
        }
        return Ok(());
    }
    if options.frames.is_some() {
        return run_movie(&spmd, &options, asked);
    }
    // Rank 0 reads the location file and validates the request; everyone learns the outcome.
    let request = job::agree_request(&spmd, &options)?;
    threads::note_clamp(spmd.is_root(), asked, options.threads);
    // Every rank sets up the kernel: a deep view's reference orbit, the same bits on each.
    let reference = job::reference(&spmd, &request);
    let kernel = ImageKernel::new(&request, reference.as_ref());
    // Rank 0 opens the outputs (a checkpoint's rows first); everyone learns the rows left.
    let mut opened = job::open(&spmd, &request, &kernel)?;
    // The rows shared among the ranks, rendered locally, gathered to rank 0 in order.
    let rendered = job::render(&spmd, &request, &kernel, &mut opened);
    // Rank 0 finishes the files (everyone learns whether that worked) and reports.
    job::finish(
        &spmd,
        &request,
        &kernel,
        reference.as_ref(),
        opened,
        rendered,
    )
}

/// A zoom movie: the same steps, its frames rendered as one tall image.
fn run_movie(spmd: &Spmd, options: &Options, asked_threads: u16) -> Result<(), Halt> {
    // Rank 0 reads the location file and validates every frame; everyone learns the outcome.
    let movie = movie_job::agree_movie(spmd, options)?;
    threads::note_clamp(spmd.is_root(), asked_threads, options.threads);
    // Rank 0 looks at the files; everyone learns which frames are left to render.
    let slots = movie_job::agree_pending(spmd, &movie, options.resume);
    // Every rank computes the deepest frame's reference orbit, shared by every deep frame.
    let reference = movie_job::shared_reference(spmd, options, &movie, &slots);
    // The rows of the frames shared, rendered and gathered; rank 0 writes each frame and reports.
    movie_job::render_and_report(spmd, options, &movie, &slots, reference.as_ref())
}
