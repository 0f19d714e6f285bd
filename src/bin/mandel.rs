//! `mandel`: the Mandelbrot set under MPI, written as a PNG and/or the raw escape counts.
//!
//! Rank 0 validates the request and the output paths, plans the rows and scatters each rank its
//! share (or hands out chunks on demand with `--schedule dynamic`); every rank computes its rows;
//! rank 0 gathers the counts, reassembles the image and writes it atomically. The result is the
//! same bytes whatever the number of ranks or the schedule.

use std::process::ExitCode;

use mpi::traits::Equivalence;
use mpi_examples::atomic_file::{check_output_path, write_atomically};
use mpi_examples::cli::{MandelArgs as Args, MandelJob as Job, Schedule};
use mpi_examples::mandel::{colorize, render_share, write_npy, write_png, Colormap, Kernel};
use mpi_examples::partition::{block_rows, cyclic_rows};
use mpi_examples::report;
use mpi_examples::spmd::{exit_code, use_threads, Gathered, Halt, Spmd};
use mpi_examples::Error;
use serde::Serialize;

/// Rank 0's checks before any computing: the request, then the output paths.
fn validate(args: &Args) -> Result<Job, Error> {
    let job = Job::from_args(args)?;
    check_memory(&job, args)?;
    if let Some(out) = &args.out {
        check_output_path(out, &["png"])?;
    }
    if let Some(counts) = &args.counts {
        check_output_path(counts, &["npy"])?;
    }
    Ok(job)
}

/// Bytes rank 0 holds per pixel at its peak: received counts, its own, the widened and the
/// assembled image (4 bytes each) and the RGB image (3); smooth values add 3 x 4 more.
fn bytes_per_pixel(smooth: bool) -> u64 {
    4 * 4 + 3 + if smooth { 12 } else { 0 }
}

/// Refuses, before any computing, an image whose buffers would not fit rank 0's free memory,
/// instead of letting the kernel's OOM killer end the job half-way.
fn check_memory(job: &Job, args: &Args) -> Result<(), Error> {
    let Some(available) = mem_available_bytes() else {
        return Ok(()); // not Linux: no figure to check against
    };
    let needed = job.view.pixels() as u64 * bytes_per_pixel(args.smooth);
    if needed > available {
        let gib = |b: u64| b as f64 / f64::from(1u32 << 30);
        return Err(Error::Usage(format!(
            "a {}x{} image needs about {:.1} GiB on rank 0 but {:.1} GiB of memory are available; \
             choose a smaller --width/--height (or run rank 0 where more memory is free)",
            job.view.width(),
            job.view.height(),
            gib(needed),
            gib(available)
        )));
    }
    Ok(())
}

/// `MemAvailable` from /proc/meminfo, in bytes (Linux); `None` elsewhere.
fn mem_available_bytes() -> Option<u64> {
    let info = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = info.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

/// The gathered result on rank 0.
struct Image {
    counts: Vec<u32>,
    smooth: Option<Vec<f32>>,
    computing_time: f64,
    ranks: RankFigures,
}

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

    // Rank 0 validates (request and output paths); everyone learns the outcome.
    let job = spmd.agree(spmd.is_root().then(|| validate(&args)))?;
    let job = match job {
        Some(job) => job,
        None => Job::from_args(&args).expect("rank 0 validated these same arguments"),
    };

    let image = match args.schedule {
        Schedule::Block | Schedule::Cyclic => compute_static(&spmd, &job, &args),
        Schedule::Dynamic => compute_dynamic(&spmd, &job, &args),
    };

    // Rank 0 writes the files; everyone learns whether that worked, and exits alike.
    let written = spmd
        .is_root()
        .then(|| write_outputs(&args, &job, image.as_ref().expect("rank 0 has the image")));
    spmd.agree(written)?;
    if let Some(image) = image {
        print_report(&spmd, &args, &job, &image);
    }
    Ok(())
}

/// One rank's rendering of some rows: counts, smooth values if asked, its time and its work.
struct Rendered {
    counts: Vec<u32>,
    smooth: Option<Vec<f32>>,
    seconds: f64,
    work: u64,
    computed: u64,
}

fn render(spmd: &Spmd, job: &Job, args: &Args, rows: &[u32]) -> Rendered {
    let start = spmd.now();
    let pixels = rows.len() * job.view.width() as usize;
    let mut counts = vec![0u32; pixels];
    let mut smooth = args.smooth.then(|| vec![0f32; pixels]);
    let computed = render_share(
        args.kernel,
        args.threads as usize,
        &job.view,
        rows,
        job.max_iter,
        &mut counts,
        smooth.as_deref_mut(),
    );
    let seconds = spmd.now() - start;
    let work = counts.iter().map(|&c| u64::from(c)).sum();
    Rendered {
        counts,
        smooth,
        seconds,
        work,
        computed,
    }
}

/// Every rank's compute time, pixel-iterations and computed iterations, on rank 0.
struct RankFigures {
    times: Vec<f64>,
    work: Vec<u64>,
    computed: Vec<u64>,
}

/// Gathers every rank's figures to rank 0.
fn gather_rank_figures(spmd: &Spmd, seconds: f64, work: u64, computed: u64) -> Option<RankFigures> {
    let times = spmd.gather_slices(&[seconds]);
    let counted = spmd.gather_slices(&[work, computed]);
    let (times, counted) = (times?, counted?);
    Some(RankFigures {
        times: times.into_flat(),
        work: counted.parts().map(|c| c[0]).collect(),
        computed: counted.parts().map(|c| c[1]).collect(),
    })
}

/// How many pieces each rank's rows are computed and sent in: each piece travels to rank 0 while
/// the next is computed, so only the last one is sent after the computing ends.
const STREAM_PIECES: usize = 16;

/// Block or cyclic: rank 0 scatters each rank its list of rows, then gathers the counts as they
/// are computed.
fn compute_static(spmd: &Spmd, job: &Job, args: &Args) -> Option<Image> {
    let w = job.view.width() as usize;
    let t0 = spmd.now();
    let plan: Option<Vec<Vec<u32>>> = spmd.is_root().then(|| match args.schedule {
        Schedule::Block => block_rows(job.view.height(), spmd.size() as u32),
        _ => cyclic_rows(job.view.height(), spmd.size() as u32),
    });
    let my_rows = spmd.scatter_slices(plan.as_deref());
    let lens: Option<Vec<usize>> = plan
        .as_ref()
        .map(|p| p.iter().map(|rows| rows.len() * w).collect());
    let mut my_smooth = args.smooth.then(|| vec![0f32; my_rows.len() * w]);
    // Counts travel as u16 (half the bytes) when max_iter allows; rank 0 widens them afterwards.
    let streamed = if spmd.size() == 1 {
        // A single rank has nothing to send: it renders in one piece, in place.
        let start = spmd.now();
        let mut mine = vec![0u32; my_rows.len() * job.view.width() as usize];
        let computed = render_share(
            args.kernel,
            args.threads as usize,
            &job.view,
            &my_rows,
            job.max_iter,
            &mut mine,
            my_smooth.as_deref_mut(),
        );
        let seconds = spmd.now() - start;
        Counts::Wide(Streamed {
            mine,
            others: None,
            seconds,
            computed,
        })
    } else if job.max_iter <= u32::from(u16::MAX) {
        Counts::Narrow(render_streamed::<u16>(
            spmd,
            job,
            args,
            &my_rows,
            lens.as_deref(),
            &mut my_smooth,
        ))
    } else {
        Counts::Wide(render_streamed::<u32>(
            spmd,
            job,
            args,
            &my_rows,
            lens.as_deref(),
            &mut my_smooth,
        ))
    };
    // Smooth values (only with --smooth) follow in one gather; rank 0 keeps its own.
    let all_smooth = my_smooth
        .as_ref()
        .map(|s| spmd.gather_slices(if spmd.is_root() { &[] } else { s }));
    let t1 = spmd.now();
    let Streamed {
        mine: my_counts,
        others: all_counts,
        seconds,
        computed,
    } = streamed.widen();
    let work = my_counts.iter().map(|&c| u64::from(c)).sum();
    let figures = gather_rank_figures(spmd, seconds, work, computed);

    let (plan, figures) = (plan?, figures?);
    let w = job.view.width() as usize;
    let mut counts = vec![0u32; job.view.pixels()];
    let mut smooth = args.smooth.then(|| vec![0f32; job.view.pixels()]);
    for (rank, rows) in plan.iter().enumerate() {
        let src_counts = match &all_counts {
            Some(others) if rank != 0 => others.part(rank),
            _ => &my_counts[..],
        };
        let src_smooth = match (&my_smooth, &all_smooth) {
            (Some(own), _) if rank == 0 => Some(&own[..]),
            (_, Some(Some(all))) => Some(all.part(rank)),
            _ => None,
        };
        for (k, &row) in rows.iter().enumerate() {
            let (dst, src) = (row as usize * w..(row as usize + 1) * w, k * w..(k + 1) * w);
            counts[dst.clone()].copy_from_slice(&src_counts[src.clone()]);
            if let (Some(smooth), Some(from)) = (smooth.as_mut(), src_smooth) {
                smooth[dst].copy_from_slice(&from[src]);
            }
        }
    }
    Some(Image {
        counts,
        smooth,
        computing_time: t1 - t0,
        ranks: figures,
    })
}

/// This rank's counts and, on rank 0, everyone else's, as they travelled; with this rank's figures.
struct Streamed<W> {
    mine: Vec<W>,
    others: Option<Gathered<W>>,
    seconds: f64,
    computed: u64,
}

/// Streamed counts in their wire type.
enum Counts {
    Narrow(Streamed<u16>),
    Wide(Streamed<u32>),
}

impl Counts {
    /// The counts as u32, whatever they travelled as.
    fn widen(self) -> Streamed<u32> {
        match self {
            Counts::Wide(s) => s,
            Counts::Narrow(s) => Streamed {
                mine: s.mine.iter().map(|&c| u32::from(c)).collect(),
                others: s.others.map(|g| g.map(u32::from)),
                seconds: s.seconds,
                computed: s.computed,
            },
        }
    }
}

/// Renders this rank's rows piece by piece and streams the counts to rank 0 as `W` while the
/// next piece is computed ([`Spmd::gather_streamed`]); smooth values go to `smooth`.
fn render_streamed<W>(
    spmd: &Spmd,
    job: &Job,
    args: &Args,
    my_rows: &[u32],
    lens: Option<&[usize]>,
    smooth: &mut Option<Vec<f32>>,
) -> Streamed<W>
where
    W: Equivalence + Default + Clone + Copy + TryFrom<u32>,
{
    let w = job.view.width() as usize;
    let (mut seconds, mut computed) = (0.0, 0u64);
    let mut scratch: Vec<u32> = Vec::new();
    let (mine, others) = spmd.gather_streamed(
        my_rows.len() * w,
        w,
        STREAM_PIECES,
        lens,
        |range, out: &mut [W]| {
            let start = spmd.now();
            let rows = &my_rows[range.start / w..range.end / w];
            let smooth = smooth.as_mut().map(|s| &mut s[range.clone()]);
            scratch.resize(range.len(), 0);
            computed += render_share(
                args.kernel,
                args.threads as usize,
                &job.view,
                rows,
                job.max_iter,
                &mut scratch,
                smooth,
            );
            for (o, &c) in out.iter_mut().zip(&scratch) {
                // The caller chose W wide enough for max_iter, so every count fits.
                *o = W::try_from(c).unwrap_or_default();
            }
            seconds += spmd.now() - start;
        },
    );
    Streamed {
        mine,
        others,
        seconds,
        computed,
    }
}

/// Dynamic: rank 0 hands out chunks of rows on demand and computes rows itself in between.
fn compute_dynamic(spmd: &Spmd, job: &Job, args: &Args) -> Option<Image> {
    let height = job.view.height();
    // Small chunks balance well; a few rows each keep the messages few.
    let chunk_rows = (height / (spmd.size() as u32 * 16)).clamp(1, 16);
    let (mut my_time, mut my_work, mut my_computed) = (0.0, 0u64, 0u64);
    let t0 = spmd.now();
    let chunks = spmd.dynamic_chunks(height, chunk_rows, |rows| {
        let rows: Vec<u32> = rows.collect();
        let mut part = render(spmd, job, args, &rows);
        my_time += part.seconds;
        my_work += part.work;
        my_computed += part.computed;
        // One message per chunk: the counts, then the smooth values as their bit patterns.
        part.counts
            .extend(part.smooth.iter().flatten().map(|s| s.to_bits()));
        part.counts
    });
    let t1 = spmd.now();
    let figures = gather_rank_figures(spmd, my_time, my_work, my_computed);

    let (chunks, figures) = (chunks?, figures?);
    let w = job.view.width() as usize;
    let mut counts = vec![0u32; job.view.pixels()];
    let mut smooth = args.smooth.then(|| vec![0f32; job.view.pixels()]);
    for chunk in &chunks {
        let dst = chunk.items.start as usize * w..chunk.items.end as usize * w;
        let n = dst.len();
        counts[dst.clone()].copy_from_slice(&chunk.data[..n]);
        if let Some(smooth) = smooth.as_mut() {
            for (d, &bits) in smooth[dst].iter_mut().zip(&chunk.data[n..]) {
                *d = f32::from_bits(bits);
            }
        }
    }
    Some(Image {
        counts,
        smooth,
        computing_time: t1 - t0,
        ranks: figures,
    })
}

fn write_outputs(args: &Args, job: &Job, image: &Image) -> Result<(), Error> {
    let (width, height) = (job.view.width(), job.view.height());
    if let Some(path) = &args.counts {
        write_atomically(path, |w| write_npy(w, width, height, &image.counts))?;
    }
    if let Some(path) = &args.out {
        let rgb = colorize(
            &image.counts,
            image.smooth.as_deref(),
            job.max_iter,
            &job.colormap,
        );
        write_atomically(path, |w| write_png(w, width, height, &rgb))?;
    }
    Ok(())
}

/// The JSON report.
#[derive(Serialize)]
struct ReportJson<'a> {
    width: u32,
    height: u32,
    xmin: f64,
    xmax: f64,
    ymin: f64,
    ymax: f64,
    max_iter: u32,
    colormap: &'static str,
    smooth: bool,
    ranks: i32,
    threads: u16,
    schedule: Schedule,
    kernel: Kernel,
    computing_time_s: f64,
    rank_compute_s: &'a [f64],
    rank_pixel_iterations: &'a [u64],
    load_balance: f64,
    work_balance: f64,
    pixel_iterations: u64,
    pixel_iterations_per_s: f64,
    computed_iterations: u64,
    computed_iterations_per_s: f64,
    rank_computed_iterations: &'a [u64],
    out: Option<String>,
    counts: Option<String>,
}

fn print_report(spmd: &Spmd, args: &Args, job: &Job, image: &Image) {
    let v = &job.view;
    let total: u64 = image.ranks.work.iter().sum();
    let work: Vec<f64> = image.ranks.work.iter().map(|&w| w as f64).collect();
    let per_second = |n: u64| {
        if image.computing_time > 0.0 {
            n as f64 / image.computing_time
        } else {
            0.0
        }
    };
    let computed: u64 = image.ranks.computed.iter().sum();
    let (rate, computed_rate) = (per_second(total), per_second(computed));
    if args.json {
        let json = ReportJson {
            width: v.width(),
            height: v.height(),
            xmin: v.xmin(),
            xmax: v.xmax(),
            ymin: v.ymin(),
            ymax: v.ymax(),
            max_iter: job.max_iter,
            colormap: job.colormap.name(),
            smooth: args.smooth,
            ranks: spmd.size(),
            schedule: args.schedule,
            threads: args.threads,
            kernel: args.kernel,
            computing_time_s: image.computing_time,
            rank_compute_s: &image.ranks.times,
            rank_pixel_iterations: &image.ranks.work,
            load_balance: report::load_balance(&image.ranks.times),
            work_balance: report::load_balance(&work),
            pixel_iterations: total,
            pixel_iterations_per_s: rate,
            computed_iterations: computed,
            computed_iterations_per_s: computed_rate,
            rank_computed_iterations: &image.ranks.computed,
            out: args.out.as_ref().map(|p| p.display().to_string()),
            counts: args.counts.as_ref().map(|p| p.display().to_string()),
        };
        println!(
            "{}",
            serde_json::to_string_pretty(&json).expect("the report serialises")
        );
        return;
    }
    println!(
        "Mandelbrot {}x{}, x in [{}, {}), y in [{}, {}), max_iter {}",
        v.width(),
        v.height(),
        v.xmin(),
        v.xmax(),
        v.ymin(),
        v.ymax(),
        job.max_iter
    );
    println!(
        "Ranks: {}, threads per rank: {}, schedule: {}, kernel: {}",
        spmd.size(),
        args.threads,
        args.schedule.name(),
        args.kernel.name()
    );
    println!("{}", report::computing_time_line(image.computing_time));
    println!("{}", report::rank_times_line(&image.ranks.times));
    let work_line: Vec<String> = image.ranks.work.iter().map(u64::to_string).collect();
    println!("Rank pixel-iterations: {}", work_line.join(" "));
    println!("{}", report::balance_line("time", &image.ranks.times));
    println!("{}", report::balance_line("work", &work));
    println!("Pixel-iterations: {total} ({rate:.3e} per second)");
    println!("Computed iterations: {computed} ({computed_rate:.3e} per second)");
    if let Some(path) = &args.counts {
        println!(
            "Wrote {} (uint32 counts, shape ({}, {}))",
            path.display(),
            v.height(),
            v.width()
        );
    }
    if let Some(path) = &args.out {
        println!(
            "Wrote {} ({}x{} PNG, colour map {})",
            path.display(),
            v.width(),
            v.height(),
            job.colormap.name()
        );
    }
}
