//! What rank 0 prints after a render: the request, the seed-style timing line, per-rank times,
//! work and memory, the balance, and the files written; as text or as one JSON object.

use serde::Serialize;

use super::distribute::RankFigures;
use super::movie::{FrameDone, Movie};
use super::request::Request;
use crate::mandel::{Kernel, PngCompression, Rendered, Schedule, Viewport};
use crate::names::OptionName;
use crate::summary;

/// Everything the report says, gathered on rank 0.
pub struct RunReport<'a> {
    /// The validated request.
    pub request: &'a Request,
    /// Ranks in the job.
    pub ranks: i32,
    /// The distributed render's figures.
    pub rendered: &'a Rendered,
    /// Seconds rank 0 spent finishing the files after the last row (encoding's tail, sync).
    pub finish_s: f64,
    /// Each rank's peak resident memory, in bytes (where the system says).
    pub peak_rss: &'a [u64],
    /// The perturbation kernel's figures, when it rendered.
    pub deep: Option<&'a DeepFigures>,
    /// With `--checkpoint`: the rows read back from it (the rest were computed).
    pub rows_restored: Option<u32>,
}

/// What the perturbation kernel adds to the report.
#[derive(Debug, Clone, Serialize)]
pub struct DeepFigures {
    /// Seconds for the reference (orbit and BLA table; part of the computing time).
    pub reference_s: f64,
    /// Of which the orbit.
    pub orbit_s: f64,
    /// Of which the BLA table.
    pub bla_s: f64,
    /// Iterations in the reference orbit.
    pub reference_iterations: u64,
    /// Bits of precision of the reference.
    pub precision_bits: u32,
    /// Merged steps in the BLA table.
    pub bla_entries: u64,
    /// Pixel-iterations skipped by BLA, all ranks.
    pub skipped: u64,
}

/// The per-rank figures and their balance, as both JSON reports give them (in this order).
#[derive(Serialize)]
struct PerRankJson<'a> {
    rank_compute_s: &'a [f64],
    rank_pixel_iterations: &'a [u64],
    rank_peak_rss_bytes: &'a [u64],
    load_balance: f64,
    work_balance: f64,
    pixel_iterations: u64,
}

impl<'a> PerRankJson<'a> {
    fn new(figures: &'a RankFigures, peak_rss: &'a [u64]) -> Self {
        let work: Vec<f64> = figures.work.iter().map(|&w| w as f64).collect();
        PerRankJson {
            rank_compute_s: &figures.times,
            rank_pixel_iterations: &figures.work,
            rank_peak_rss_bytes: peak_rss,
            load_balance: summary::load_balance(&figures.times),
            work_balance: summary::load_balance(&work),
            pixel_iterations: figures.work.iter().sum(),
        }
    }
}

/// The JSON report.
#[derive(Serialize)]
struct ReportJson<'a> {
    width: u32,
    height: u32,
    xmin: Option<f64>,
    xmax: Option<f64>,
    ymin: Option<f64>,
    ymax: Option<f64>,
    center_re: Option<&'a str>,
    center_im: Option<&'a str>,
    scale: Option<&'a str>,
    max_iter: u32,
    colormap: &'static str,
    smooth: bool,
    ranks: i32,
    threads: u16,
    schedule: Schedule,
    kernel: Kernel,
    png_compression: PngCompression,
    computing_time_s: f64,
    reference_s: Option<f64>,
    reference_orbit_s: Option<f64>,
    reference_bla_s: Option<f64>,
    reference_iterations: Option<u64>,
    precision_bits: Option<u32>,
    bla_entries: Option<u64>,
    bla_skipped_iterations: Option<u64>,
    no_bla: bool,
    finish_s: f64,
    #[serde(flatten)]
    per_rank: PerRankJson<'a>,
    pixel_iterations_per_s: f64,
    computed_iterations: u64,
    computed_iterations_per_s: f64,
    rank_computed_iterations: &'a [u64],
    out: Option<String>,
    counts: Option<String>,
    checkpoint: Option<String>,
    rows_restored: u32,
    rows_computed: u32,
}

impl RunReport<'_> {
    /// Prints the report on stdout (rank 0 only calls this).
    pub fn print(&self) {
        let (request, figures) = (self.request, &self.rendered.ranks);
        let v = request.view.as_ref();
        let deep = self.deep;
        let texts = request.deep.as_ref().map(|d| d.texts());
        let time = self.rendered.computing_time + deep.map_or(0.0, |d| d.reference_s);
        let total: u64 = figures.work.iter().sum();
        let computed: u64 = figures.computed.iter().sum();
        let work: Vec<f64> = figures.work.iter().map(|&w| w as f64).collect();
        let per_second = |n: u64| if time > 0.0 { n as f64 / time } else { 0.0 };
        let (rate, computed_rate) = (per_second(total), per_second(computed));
        if request.json {
            let json = ReportJson {
                width: request.width,
                height: request.height,
                xmin: v.map(Viewport::xmin),
                xmax: v.map(Viewport::xmax),
                ymin: v.map(Viewport::ymin),
                ymax: v.map(Viewport::ymax),
                center_re: texts.map(|t| t.0),
                center_im: texts.map(|t| t.1),
                scale: texts.map(|t| t.2),
                max_iter: request.max_iter,
                colormap: request.colormap.name(),
                smooth: request.smooth,
                ranks: self.ranks,
                threads: request.threads,
                schedule: request.schedule,
                kernel: request.kernel,
                png_compression: request.png_compression,
                computing_time_s: time,
                reference_s: deep.map(|d| d.reference_s),
                reference_orbit_s: deep.map(|d| d.orbit_s),
                reference_bla_s: deep.map(|d| d.bla_s),
                reference_iterations: deep.map(|d| d.reference_iterations),
                precision_bits: deep.map(|d| d.precision_bits),
                bla_entries: deep.map(|d| d.bla_entries),
                bla_skipped_iterations: deep.map(|d| d.skipped),
                no_bla: request.bla.is_none(),
                finish_s: self.finish_s,
                per_rank: PerRankJson::new(figures, self.peak_rss),
                pixel_iterations_per_s: rate,
                computed_iterations: computed,
                computed_iterations_per_s: computed_rate,
                rank_computed_iterations: &figures.computed,
                out: request.out.as_ref().map(|p| p.display().to_string()),
                counts: request.counts.as_ref().map(|p| p.display().to_string()),
                checkpoint: request.checkpoint.as_ref().map(|p| p.display().to_string()),
                rows_restored: self.rows_restored.unwrap_or(0),
                rows_computed: request.height - self.rows_restored.unwrap_or(0),
            };
            println!(
                "{}",
                serde_json::to_string_pretty(&json).expect("the report serialises")
            );
            return;
        }
        match (texts, v) {
            (Some((re, im, scale)), _) => println!(
                "Mandelbrot {}x{}, centre {re} {im}i, scale {scale}, max_iter {}",
                request.width, request.height, request.max_iter
            ),
            (None, Some(v)) => println!(
                "Mandelbrot {}x{}, x in [{}, {}), y in [{}, {}), max_iter {}",
                v.width(),
                v.height(),
                v.xmin(),
                v.xmax(),
                v.ymin(),
                v.ymax(),
                request.max_iter
            ),
            (None, None) => {}
        }
        println!(
            "Ranks: {}, threads per rank: {}, schedule: {}, kernel: {}",
            self.ranks,
            request.threads,
            request.schedule.name(),
            request.kernel.name()
        );
        println!("{}", summary::computing_time_line(time));
        if let Some(d) = deep {
            println!(
                "Reference: {} iterations at {} bits in {:.3} sec (orbit {:.3}, BLA table {:.3}, {} entries)",
                d.reference_iterations, d.precision_bits, d.reference_s, d.orbit_s, d.bla_s, d.bla_entries
            );
            let share = if total > 0 {
                d.skipped as f64 / total as f64
            } else {
                0.0
            };
            println!(
                "BLA skipped {} of {} pixel-iterations ({:.2}%)",
                d.skipped,
                total,
                100.0 * share
            );
        }
        println!("{}", summary::rank_times_line(&figures.times));
        let work_line: Vec<String> = figures.work.iter().map(u64::to_string).collect();
        println!("Rank pixel-iterations: {}", work_line.join(" "));
        println!("{}", summary::balance_line("time", &figures.times));
        println!("{}", summary::balance_line("work", &work));
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
        if let Some(path) = &request.counts {
            println!(
                "Wrote {} (uint32 counts, shape ({}, {}))",
                crate::message::shown(path),
                request.height,
                request.width
            );
        }
        if let Some(path) = &request.out {
            println!(
                "Wrote {} ({}x{} PNG, colour map {})",
                crate::message::shown(path),
                request.width,
                request.height,
                request.colormap.name()
            );
        }
        if request.streaming() {
            println!(
                "Finishing the files after the last row: {:.3} sec",
                self.finish_s
            );
        }
        if let (Some(dir), Some(restored)) = (&request.checkpoint, self.rows_restored) {
            println!(
                "Checkpoint {}: {restored} rows read back, {} computed; removed",
                crate::message::shown(dir),
                request.height - restored
            );
        }
    }
}

/// Everything a movie's report says, gathered on rank 0.
pub struct MovieReport<'a> {
    /// The movie.
    pub movie: &'a Movie,
    /// Ranks in the job.
    pub ranks: i32,
    /// The distributed render's figures (all frames rendered, as one tall image).
    pub rendered: &'a Rendered,
    /// Seconds for the shared reference orbit, if any frame is deep.
    pub reference_s: Option<f64>,
    /// Bits of precision of that orbit.
    pub precision_bits: Option<u32>,
    /// The frames rendered this run.
    pub slots: &'a [u32],
    /// Those written, in order, with their times (none without output).
    pub done: &'a [FrameDone],
    /// Frames left alone because their files were whole (`--resume`).
    pub skipped: u64,
    /// Each rank's peak resident memory, in bytes.
    pub peak_rss: &'a [u64],
}

/// One frame in the JSON report.
#[derive(Serialize)]
struct FrameJson {
    index: u64,
    scale: String,
    file: Option<String>,
    counts: Option<String>,
    kernel: Kernel,
    rendered: bool,
    seconds: Option<f64>,
    pixel_iterations: Option<u64>,
}

/// The JSON report of a movie: one object for the whole run.
#[derive(Serialize)]
struct MovieJson<'a> {
    width: u32,
    height: u32,
    center_re: String,
    center_im: String,
    zoom_from: String,
    zoom_to: String,
    max_iter: u32,
    colormap: &'static str,
    ranks: i32,
    threads: u16,
    schedule: Schedule,
    frames_total: usize,
    frames_done: usize,
    frames_skipped: u64,
    computing_time_s: f64,
    frames_per_s: f64,
    reference_s: Option<f64>,
    precision_bits: Option<u32>,
    #[serde(flatten)]
    per_rank: PerRankJson<'a>,
    frames: Vec<FrameJson>,
}

impl MovieReport<'_> {
    /// Prints the report on stdout (rank 0 only calls this).
    pub fn print(&self) {
        let figures = &self.rendered.ranks;
        let time = self.rendered.computing_time + self.reference_s.unwrap_or(0.0);
        let work: Vec<f64> = figures.work.iter().map(|&w| w as f64).collect();
        let fps = if time > 0.0 {
            self.slots.len() as f64 / time
        } else {
            0.0
        };
        let frames = &self.movie.frames;
        let (first, last) = (&frames[0], &frames[frames.len() - 1]);
        let done_of = |i: u64| self.done.iter().find(|d| d.index == i);
        let run = &first.request;
        if run.json {
            let json = MovieJson {
                width: first.request.width,
                height: first.request.height,
                center_re: self.movie.centre.0.to_string(),
                center_im: self.movie.centre.1.to_string(),
                zoom_from: first.scale.to_string(),
                zoom_to: last.scale.to_string(),
                max_iter: first.request.max_iter,
                colormap: first.request.colormap.name(),
                ranks: self.ranks,
                threads: run.threads,
                schedule: run.schedule,
                frames_total: frames.len(),
                frames_done: self.slots.len(),
                frames_skipped: self.skipped,
                computing_time_s: time,
                frames_per_s: fps,
                reference_s: self.reference_s,
                precision_bits: self.precision_bits,
                per_rank: PerRankJson::new(figures, self.peak_rss),
                frames: frames
                    .iter()
                    .map(|f| {
                        let d = done_of(f.index);
                        FrameJson {
                            index: f.index,
                            scale: f.scale.to_string(),
                            file: f.request.out.as_ref().map(|p| p.display().to_string()),
                            counts: f.request.counts.as_ref().map(|p| p.display().to_string()),
                            kernel: f.request.kernel,
                            rendered: self.slots.contains(&(f.index as u32)),
                            seconds: d.map(|d| d.seconds),
                            pixel_iterations: d.map(|d| d.pixel_iterations),
                        }
                    })
                    .collect(),
            };
            println!(
                "{}",
                serde_json::to_string_pretty(&json).expect("the report serialises")
            );
            return;
        }
        println!(
            "Mandelbrot movie {}x{}, {} frames, centre {} {}i, scale {} to {}, max_iter {}",
            first.request.width,
            first.request.height,
            frames.len(),
            self.movie.centre.0,
            self.movie.centre.1,
            first.scale,
            last.scale,
            first.request.max_iter
        );
        println!(
            "Ranks: {}, threads per rank: {}, schedule: {}",
            self.ranks,
            run.threads,
            run.schedule.name()
        );
        println!("{}", summary::computing_time_line(time));
        println!(
            "Frames: {} rendered ({fps:.2} per second), {} left alone (already whole)",
            self.slots.len(),
            self.skipped
        );
        if let (Some(s), Some(bits)) = (self.reference_s, self.precision_bits) {
            println!("Reference for the deepest frame: {bits} bits in {s:.3} sec, shared by every deep frame");
        }
        println!("{}", summary::rank_times_line(&figures.times));
        println!("{}", summary::balance_line("time", &figures.times));
        println!("{}", summary::balance_line("work", &work));
        for f in frames {
            let file = f
                .request
                .out
                .as_ref()
                .or(f.request.counts.as_ref())
                .map_or(String::new(), |p| format!(" {}", crate::message::shown(p)));
            match done_of(f.index) {
                Some(d) => println!(
                    "Frame {}: scale {}, {} kernel, {:.3} sec{file}",
                    f.index,
                    f.scale,
                    f.request.kernel.name(),
                    d.seconds
                ),
                None if self.slots.contains(&(f.index as u32)) => println!(
                    "Frame {}: scale {}, {} kernel, not written",
                    f.index,
                    f.scale,
                    f.request.kernel.name()
                ),
                None => println!("Frame {}: scale {}, already whole{file}", f.index, f.scale),
            }
        }
    }
}
