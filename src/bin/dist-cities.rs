//! `dist-cities`: the largest great-circle distance between any two cities of a file, under MPI.
//!
//! Rank 0 reads and validates the cities, every rank receives the coordinates, rank 0 scatters
//! each rank an equal share of the pair index space, every rank finds its farthest pair, and rank 0
//! gathers and reduces them. Memory per rank is O(n), never O(n^2).

use std::process::ExitCode;

use clap::ValueEnum;
use mpi_examples::cities::{read_cities, Candidate, CityTable, Kernel, Prepared, Units};
use mpi_examples::cli::DistCitiesArgs as Args;
use mpi_examples::partition::{pair_at, pair_count, pair_range_for_rank};
use mpi_examples::report;
use mpi_examples::spmd::{exit_code, use_threads, Halt, Spmd};
use serde::Serialize;

/// One city of the farthest pair, as the JSON report shows it.
#[derive(Serialize)]
struct CityJson {
    name: String,
    country: Option<String>,
    latitude: f64,
    longitude: f64,
    index: u64,
}

/// The whole report as one JSON object.
#[derive(Serialize)]
struct ReportJson {
    file: String,
    cities: u64,
    pairs: u64,
    ranks: i32,
    threads: u16,
    kernel: Kernel,
    max_distance_km: f64,
    max_distance: f64,
    units: Units,
    farthest: [CityJson; 2],
    computing_time_s: f64,
    rank_compute_s: Vec<f64>,
    rank_peak_rss_bytes: Vec<u64>,
    load_balance: f64,
}

fn main() -> ExitCode {
    exit_code(run())
}

fn run() -> Result<(), Halt> {
    let spmd = Spmd::init()?;
    let args: Args = spmd.parse_args()?;
    use_threads(args.threads as usize);
    let options = args.read_options();

    // Rank 0 reads and validates; everyone learns the outcome before any other collective.
    let table = spmd.agree(
        spmd.is_root()
            .then(|| read_cities(&args.path, &options).map_err(Into::into)),
    )?;

    // Distribute: every rank gets the coordinates (O(n)), then its own range of pair indices.
    let t0 = spmd.now();
    let coords = spmd.broadcast_vec(table.as_ref().map(CityTable::interleaved_degrees));
    let n = (coords.len() / 2) as u64;
    let plan: Option<Vec<Vec<u64>>> = spmd.is_root().then(|| {
        (0..spmd.size() as u32)
            .map(|r| {
                let range = pair_range_for_rank(n, spmd.size() as u32, r);
                vec![range.start, range.end]
            })
            .collect()
    });
    let my_range = spmd.scatter_slices(plan.as_deref());

    // Compute this rank's farthest pair.
    let t_start = spmd.now();
    let prepared = Prepared::new(args.kernel, &coords);
    let local = prepared.best_in_range_threaded(my_range[0]..my_range[1], args.threads as usize);
    let my_time = spmd.now() - t_start;

    // Gather every rank's candidate (pair index u64::MAX for an empty share) and its time.
    let (index, score) = local.map_or((u64::MAX, f64::NEG_INFINITY), |c| (c.pair_index, c.score));
    let indices = spmd.gather_slices(&[index]);
    let figures = spmd.gather_slices(&[score, my_time]);
    let t1 = spmd.now();
    let peaks = spmd.gather_slices(&[report::peak_rss_bytes()]);

    let (Some(table), Some(indices), Some(figures), Some(peaks)) = (table, indices, figures, peaks)
    else {
        return Ok(()); // not rank 0
    };
    let best = indices
        .parts()
        .zip(figures.parts())
        .filter(|(ix, _)| ix[0] != u64::MAX)
        .map(|(ix, fig)| Candidate {
            pair_index: ix[0],
            score: fig[0],
        })
        .reduce(Candidate::better)
        .expect("at least two cities were validated, so one pair exists");
    let (i, j) = pair_at(n, best.pair_index);
    let farthest = Farthest {
        i,
        j,
        distance_km: prepared.distance_km(n, best.pair_index),
    };
    let rank_times: Vec<f64> = figures.parts().map(|f| f[1]).collect();
    let figures = RankFigures {
        times: &rank_times,
        peak_rss: &peaks.into_flat(),
    };
    print_report(&args, &table, &farthest, t1 - t0, &figures, spmd.size());
    Ok(())
}

/// The answer as the report shows it.
struct Farthest {
    i: u64,
    j: u64,
    distance_km: f64,
}

/// Each rank's compute time and peak memory, on rank 0.
struct RankFigures<'a> {
    times: &'a [f64],
    peak_rss: &'a [u64],
}

fn print_report(
    args: &Args,
    table: &CityTable,
    best: &Farthest,
    computing_time: f64,
    figures: &RankFigures,
    ranks: i32,
) {
    let rank_times = figures.times;
    let n = table.len() as u64;
    if args.json {
        let city = |k: u64| {
            let k_us = k as usize;
            CityJson {
                name: table.name(k_us).to_owned(),
                country: table.country(k_us).map(str::to_owned),
                latitude: table.lat_deg[k_us],
                longitude: table.lon_deg[k_us],
                index: k,
            }
        };
        let json = ReportJson {
            file: args.path.display().to_string(),
            cities: n,
            pairs: pair_count(n),
            ranks,
            threads: args.threads,
            kernel: args.kernel,
            max_distance_km: best.distance_km,
            max_distance: args.units.from_km(best.distance_km),
            units: args.units,
            farthest: [city(best.i), city(best.j)],
            computing_time_s: computing_time,
            rank_compute_s: rank_times.to_vec(),
            rank_peak_rss_bytes: figures.peak_rss.to_vec(),
            load_balance: report::load_balance(rank_times),
        };
        println!(
            "{}",
            serde_json::to_string_pretty(&json).expect("the report serialises")
        );
    } else {
        println!(
            "{}",
            report::max_distance_line(
                args.units.from_km(best.distance_km),
                &args.units.to_string()
            )
        );
        println!(
            "Farthest pair: {} and {}",
            table.label(best.i as usize),
            table.label(best.j as usize)
        );
        println!(
            "Cities: {n}, pairs: {}, ranks: {ranks}, threads per rank: {}, kernel: {}",
            pair_count(n),
            args.threads,
            args.kernel
                .to_possible_value()
                .map_or("?".into(), |v| v.get_name().to_owned())
        );
        println!("{}", report::computing_time_line(computing_time));
        println!("{}", report::rank_times_line(rank_times));
        println!("{}", report::balance_line("time", rank_times));
    }
}
