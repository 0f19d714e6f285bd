//! What rank 0 of `dist-cities` prints: the notebook's lines and the pair in text, or one JSON
//! object ([`print()`]), from the [`Request`], the cities, the [`Answer`] and the ranks'
//! [`Figures`].

use serde::Serialize;

use super::request::Request;
use super::search::{Algorithm, Kernel};
use super::sphere::Units;
use super::table::CityTable;
use super::top::Order;
use super::wgs84::Earth;
use crate::names::OptionName;
use crate::partition::pair_count;
use crate::summary;

/// A pair as the report shows it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Pair {
    /// The first city's index.
    pub i: u64,
    /// The second city's index.
    pub j: u64,
    /// Their distance in kilometres.
    pub distance_km: f64,
}

/// The answer: the best pair in `order`, and the `--top` list.
#[derive(Debug, Clone, PartialEq)]
pub struct Answer {
    /// Farthest or closest.
    pub order: Order,
    /// The best pair.
    pub best: Pair,
    /// The `--top` list, best first.
    pub top: Option<Vec<Pair>>,
}

/// Rank 0's timings and each rank's compute time and peak memory.
#[derive(Debug, Clone, PartialEq)]
pub struct Figures {
    /// The job's computing time in seconds (from the distribution to the last rank's time).
    pub computing_s: f64,
    /// Rank 0's reading and validating time in seconds.
    pub read_s: f64,
    /// Each rank's own compute time in seconds.
    pub rank_compute_s: Vec<f64>,
    /// Each rank's peak resident memory in bytes.
    pub rank_peak_rss_bytes: Vec<u64>,
}

/// One city of a pair, as the JSON report shows it.
#[derive(Serialize, Clone)]
struct CityJson {
    name: String,
    country: Option<String>,
    latitude: f64,
    longitude: f64,
    index: u64,
}

/// One pair of the `--top` list.
#[derive(Serialize)]
struct PairJson {
    distance_km: f64,
    cities: [CityJson; 2],
}

/// The whole report as one JSON object: `max_*` and `farthest`, or with `--closest`, `min_*`
/// and `closest`; `top` with `--top`.
#[derive(Serialize)]
struct ReportJson {
    file: String,
    cities: u64,
    pairs: u64,
    ranks: i32,
    threads: u16,
    kernel: Kernel,
    algorithm: Algorithm,
    earth: Earth,
    #[serde(skip_serializing_if = "Option::is_none")]
    max_distance_km: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    max_distance_m: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    max_distance: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    min_distance_km: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    min_distance_m: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    min_distance: Option<f64>,
    units: Units,
    #[serde(skip_serializing_if = "Option::is_none")]
    farthest: Option<[CityJson; 2]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    closest: Option<[CityJson; 2]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    top: Option<Vec<PairJson>>,
    computing_time_s: f64,
    read_s: f64,
    rank_compute_s: Vec<f64>,
    rank_peak_rss_bytes: Vec<u64>,
    load_balance: f64,
}

/// What a report tells of: the request, the algorithm it resolved to for the file, the cities,
/// the answer, the ranks' figures and how many ranks there were.
pub struct Run<'a> {
    /// The validated request.
    pub request: &'a Request,
    /// The algorithm `auto` resolved to (or the one asked for).
    pub algorithm: Algorithm,
    /// The cities, with their names (rank 0's).
    pub table: &'a CityTable,
    /// The pair found (and the `--top` list).
    pub answer: &'a Answer,
    /// Times and memory, every rank's.
    pub figures: &'a Figures,
    /// The number of ranks.
    pub ranks: i32,
}

/// Prints the report of a run: text, or one JSON object with `request.json`.
pub fn print(run: &Run) {
    if run.request.json {
        print_json(run);
    } else {
        print_text(run);
    }
}

/// The report as one pretty-printed JSON object.
fn print_json(run: &Run) {
    let n = run.table.len() as u64;
    let best = &run.answer.best;
    let closest = run.answer.order == Order::Closest;
    let city = |k: u64| {
        let k_us = k as usize;
        CityJson {
            name: run.table.name(k_us).to_owned(),
            country: run.table.country(k_us).map(str::to_owned),
            latitude: run.table.lat_deg[k_us],
            longitude: run.table.lon_deg[k_us],
            index: k,
        }
    };
    let (km, m, dist) = (
        Some(best.distance_km),
        Some((best.distance_km * 1e6).round() / 1e3),
        Some(run.request.units.from_km(best.distance_km)),
    );
    let pair = Some([city(best.i), city(best.j)]);
    let none = (None, None, None);
    let (max, min) = if closest {
        (none, (km, m, dist))
    } else {
        ((km, m, dist), none)
    };
    let json = ReportJson {
        file: run.request.path.display().to_string(),
        cities: n,
        pairs: pair_count(n),
        ranks: run.ranks,
        threads: run.request.threads,
        kernel: run.request.kernel,
        algorithm: run.algorithm,
        earth: run.request.earth,
        max_distance_km: max.0,
        max_distance_m: max.1,
        max_distance: max.2,
        min_distance_km: min.0,
        min_distance_m: min.1,
        min_distance: min.2,
        units: run.request.units,
        farthest: if closest { None } else { pair.clone() },
        closest: if closest { pair } else { None },
        top: run.answer.top.as_ref().map(|top| {
            top.iter()
                .map(|p| PairJson {
                    distance_km: p.distance_km,
                    cities: [city(p.i), city(p.j)],
                })
                .collect()
        }),
        computing_time_s: run.figures.computing_s,
        read_s: run.figures.read_s,
        rank_compute_s: run.figures.rank_compute_s.clone(),
        rank_peak_rss_bytes: run.figures.rank_peak_rss_bytes.clone(),
        load_balance: summary::load_balance(&run.figures.rank_compute_s),
    };
    println!(
        "{}",
        serde_json::to_string_pretty(&json).expect("the report serialises")
    );
}

/// The report as text: the notebook's lines, the pair, the run's shape, the ranks' times and
/// the `--top` list.
fn print_text(run: &Run) {
    let n = run.table.len() as u64;
    let best = &run.answer.best;
    let rank_times = &run.figures.rank_compute_s;
    let units = run.request.units;
    let (distance, unit) = (units.from_km(best.distance_km), units.to_string());
    let (line, which) = if run.answer.order == Order::Closest {
        (summary::min_distance_line(distance, &unit), "Closest")
    } else {
        (summary::max_distance_line(distance, &unit), "Farthest")
    };
    println!("{line}");
    println!(
        "{which} pair: {} and {}",
        run.table.label(best.i as usize),
        run.table.label(best.j as usize)
    );
    println!(
        "Cities: {n}, pairs: {}, ranks: {}, threads per rank: {}, kernel: {}, algorithm: {}",
        pair_count(n),
        run.ranks,
        run.request.threads,
        run.request.kernel.name(),
        run.algorithm.name()
    );
    println!("{}", summary::computing_time_line(run.figures.computing_s));
    println!("{}", summary::rank_times_line(rank_times));
    println!("{}", summary::balance_line("time", rank_times));
    if let Some(top) = &run.answer.top {
        let s = if top.len() == 1 { "" } else { "s" };
        println!("Top {} {} pair{s}:", top.len(), which.to_lowercase());
        for (r, p) in top.iter().enumerate() {
            println!(
                "{:>4}. {:.3} {unit}: {} and {}",
                r + 1,
                units.from_km(p.distance_km),
                run.table.label(p.i as usize),
                run.table.label(p.j as usize)
            );
        }
    }
}
