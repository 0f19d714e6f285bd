//! What rank 0 prints after a render: the request, the seed-style timing line, per-rank times,
//! work and memory, the balance, and the files written; as text or as one JSON object.

use serde::Serialize;

use super::distribute::{Rendered, Schedule};
use super::png::PngCompression;
use super::render::Kernel;
use crate::cli::{MandelArgs, MandelJob};
use crate::report;

/// Everything the report says, gathered on rank 0.
pub struct RunReport<'a> {
    /// The arguments.
    pub args: &'a MandelArgs,
    /// The validated job.
    pub job: &'a MandelJob,
    /// Ranks in the job.
    pub ranks: i32,
    /// The distributed render's figures.
    pub rendered: &'a Rendered,
    /// Seconds rank 0 spent finishing the files after the last row (encoding's tail, sync).
    pub finish_s: f64,
    /// Each rank's peak resident memory, in bytes (where the system says).
    pub peak_rss: &'a [u64],
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
    png_compression: PngCompression,
    computing_time_s: f64,
    finish_s: f64,
    rank_compute_s: &'a [f64],
    rank_pixel_iterations: &'a [u64],
    rank_peak_rss_bytes: &'a [u64],
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

impl RunReport<'_> {
    /// Prints the report on stdout (rank 0 only calls this).
    pub fn print(&self) {
        let (args, job, figures) = (self.args, self.job, &self.rendered.ranks);
        let v = &job.view;
        let time = self.rendered.computing_time;
        let total: u64 = figures.work.iter().sum();
        let computed: u64 = figures.computed.iter().sum();
        let work: Vec<f64> = figures.work.iter().map(|&w| w as f64).collect();
        let per_second = |n: u64| if time > 0.0 { n as f64 / time } else { 0.0 };
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
                ranks: self.ranks,
                threads: args.threads,
                schedule: args.schedule,
                kernel: args.kernel,
                png_compression: args.png_compression,
                computing_time_s: time,
                finish_s: self.finish_s,
                rank_compute_s: &figures.times,
                rank_pixel_iterations: &figures.work,
                rank_peak_rss_bytes: self.peak_rss,
                load_balance: report::load_balance(&figures.times),
                work_balance: report::load_balance(&work),
                pixel_iterations: total,
                pixel_iterations_per_s: rate,
                computed_iterations: computed,
                computed_iterations_per_s: computed_rate,
                rank_computed_iterations: &figures.computed,
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
            self.ranks,
            args.threads,
            args.schedule.name(),
            args.kernel.name()
        );
        println!("{}", report::computing_time_line(time));
        println!("{}", report::rank_times_line(&figures.times));
        let work_line: Vec<String> = figures.work.iter().map(u64::to_string).collect();
        println!("Rank pixel-iterations: {}", work_line.join(" "));
        println!("{}", report::balance_line("time", &figures.times));
        println!("{}", report::balance_line("work", &work));
        println!("Pixel-iterations: {total} ({rate:.3e} per second)");
        println!("Computed iterations: {computed} ({computed_rate:.3e} per second)");
        if !self.peak_rss.is_empty() {
            let mib: Vec<String> = self
                .peak_rss
                .iter()
                .map(|&b| format!("{:.0}", b as f64 / f64::from(1u32 << 20)))
                .collect();
            println!("Rank peak memory: {} MiB", mib.join(" "));
        }
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
        if args.out.is_some() || args.counts.is_some() {
            println!(
                "Finishing the files after the last row: {:.3} sec",
                self.finish_s
            );
        }
    }
}
