//! `dist-cities`: the largest great-circle distance between any two cities of a file, under MPI.
//!
//! Rank 0 reads and validates the cities, every rank receives the coordinates, rank 0 scatters
//! each rank an equal share of the pair index space, every rank finds its farthest pair, and rank 0
//! gathers and reduces them. Memory per rank is O(n), never O(n^2).

use std::process::ExitCode;

use mpi::collective::{CommunicatorCollectives, SystemOperation};
use mpi_examples::cities::top::{top_in_range_threaded, Order, TopK};
use mpi_examples::cities::tree::{SharedBound, Tree};
use mpi_examples::cities::wgs84::{self, Earth};
use mpi_examples::cities::{
    read_cities, Algorithm, Candidate, CityTable, Kernel, Prepared, UnitVectors, Units,
};
use mpi_examples::cli::{DistCitiesArgs as Args, OptionName};
use mpi_examples::partition::{for_each_row_segment, pair_at, pair_count, pair_range_for_rank};
use mpi_examples::spmd::{exit_code, use_threads, Halt, Spmd};
use mpi_examples::summary;
use rayon::prelude::*;
use serde::Serialize;

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

fn main() -> ExitCode {
    exit_code(run())
}

fn run() -> Result<(), Halt> {
    let spmd = Spmd::init()?;
    let args: Args = spmd.parse_args()?;
    spmd.agree(
        spmd.is_root()
            .then(|| args.check_ranking().map_err(mpi_examples::Error::Usage)),
    )?;
    let order = if args.closest {
        Order::Closest
    } else {
        Order::Farthest
    };
    let ranked = args.top.is_some() || args.closest;
    use_threads(args.run.threads as usize);
    let options = args.read_options();

    // Rank 0 reads and validates; everyone learns the outcome before any other collective.
    let t_read = spmd.now();
    let table = spmd.agree(
        spmd.is_root()
            .then(|| read_cities(&args.path, &options).map_err(Into::into)),
    )?;
    let read_s = spmd.now() - t_read;
    // Every rank knows n from here on; the algorithm follows from it, the same everywhere.
    let n_cities = spmd.broadcast_value(table.as_ref().map(|t| t.len() as u64));
    let algorithm = spmd.agree(spmd.is_root().then(|| {
        args.algorithm
            .resolve(n_cities, args.kernel)
            .map_err(mpi_examples::Error::Usage)
    }))?;
    let algorithm = spmd.broadcast_value(algorithm.map(|a| a as u8));
    let algorithm = [Algorithm::Auto, Algorithm::Tree, Algorithm::Brute][algorithm as usize];

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

    // Compute this rank's farthest pair, or its K best pairs in the order asked for.
    let t_start = spmd.now();
    let threads = args.run.threads as usize;
    let prepared = Prepared::new(args.kernel, &coords);
    let mut tree = None;
    let local = match (ranked, algorithm, &prepared) {
        (true, algorithm, Prepared::Fast(vecs)) => {
            let k = local_k(&args, n);
            Local::Ranked(match algorithm {
                Algorithm::Tree => {
                    let tree = Tree::build(vecs);
                    tree_top_search(&spmd, &tree, threads, TopK::new(k, order))
                }
                _ => top_in_range_threaded(vecs, my_range[0]..my_range[1], k, order, threads),
            })
        }
        (_, Algorithm::Tree, Prepared::Fast(vecs)) => {
            let (best, t) = tree_search(&spmd, vecs, threads);
            tree = Some(t);
            Local::Best(best)
        }
        _ => Local::Best(prepared.best_in_range_threaded(my_range[0]..my_range[1], threads)),
    };
    let mut my_time = spmd.now() - t_start;

    // Gather every rank's candidate (pair index u64::MAX for an empty share), or every rank's
    // list, which rank 0 merges.
    let (best, list) = match local {
        Local::Best(local) => (gather_best(&spmd, local), None),
        Local::Ranked(local) => {
            let list = gather_lists(&spmd, &local, order, local_k(&args, n));
            (list.as_ref().map(|l| l[0].pair_index), list)
        }
    };
    let spherical = spmd.broadcast_value(best);

    // On the ellipsoid: the sphere's farthest pair bounds the answer from below, and only
    // pairs whose dot a proven bound cannot rule out get Karney's geodesic (rank 0).
    let geodesic = match args.earth {
        Earth::Sphere => None,
        Earth::Wgs84 => {
            let t_geo = spmd.now();
            let (si, sj) = pair_at(n, spherical);
            let s_lo = wgs84::geodesic_m(
                coords[2 * si as usize],
                coords[2 * si as usize + 1],
                coords[2 * sj as usize],
                coords[2 * sj as usize + 1],
            );
            let t = wgs84::dot_threshold(s_lo);
            let mine = match &tree {
                Some(tree) => Deal::new(&spmd, tree.distinct(), threads)
                    .my_chunks()
                    .flat_map(|r| tree.pairs_with_dot_at_most(r, t))
                    .collect(),
                None => brute_pairs_with_dot_at_most(&coords, my_range[0]..my_range[1], t),
            };
            let flat: Vec<u64> = mine.iter().flat_map(|&(i, j)| [i, j]).collect();
            let all = spmd.gather_slices(&flat);
            my_time += spmd.now() - t_geo;
            all.map(|all| {
                let pairs: Vec<(usize, usize)> = all
                    .into_flat()
                    .chunks_exact(2)
                    .map(|p| (p[0] as usize, p[1] as usize))
                    .collect();
                wgs84::farthest_geodesic(&coords, (si as usize, sj as usize), &mut |_| {
                    pairs.clone()
                })
            })
        }
    };
    let figures = spmd.gather_slices(&[my_time]);
    let t1 = spmd.now();
    let peaks = spmd.gather_slices(&[summary::peak_rss_bytes()]);

    let (Some(table), Some(figures), Some(peaks)) = (table, figures, peaks) else {
        return Ok(()); // not rank 0
    };
    let sphere_pair = |pair_index: u64| {
        let (i, j) = pair_at(n, pair_index);
        Pair {
            i,
            j,
            distance_km: prepared.distance_km(n, pair_index),
        }
    };
    let answer = Answer {
        order,
        best: match geodesic {
            Some(g) => Pair {
                i: g.i as u64,
                j: g.j as u64,
                distance_km: g.distance_m / 1000.0,
            },
            None => sphere_pair(spherical),
        },
        top: args
            .top
            .and(list)
            .map(|l| l.iter().map(|b| sphere_pair(b.pair_index)).collect()),
    };
    let rank_times: Vec<f64> = figures.parts().map(|f| f[0]).collect();
    let figures = RankFigures {
        times: &rank_times,
        peak_rss: &peaks.into_flat(),
    };
    let times = Times {
        computing: t1 - t0,
        read: read_s,
    };
    print_report(
        &args,
        algorithm,
        &table,
        &answer,
        &times,
        &figures,
        spmd.size(),
    );
    Ok(())
}

/// Queries handed out at a time, in the tree's leaf order.
const CHUNK: usize = 4096;

/// How the tree's queries are dealt: in rounds, chunk `(round * ranks + rank) * threads + t` of
/// [`CHUNK`] positions to thread `t` of `rank`. Every rank goes through the same number of
/// rounds (some chunks empty), so every rank makes the same collective calls.
#[derive(Debug, Clone, Copy)]
struct Deal {
    distinct: usize,
    ranks: usize,
    rank: usize,
    threads: usize,
}

impl Deal {
    fn new(spmd: &Spmd, distinct: usize, threads: usize) -> Deal {
        Deal {
            distinct,
            ranks: spmd.size() as usize,
            rank: spmd.rank() as usize,
            threads,
        }
    }

    /// The number of rounds, the same on every rank.
    fn rounds(self) -> usize {
        self.distinct
            .div_ceil(CHUNK)
            .div_ceil(self.ranks * self.threads)
    }

    /// The tree positions of thread `t`'s chunk in `round` (empty past the last query).
    fn chunk(self, round: usize, t: usize) -> std::ops::Range<usize> {
        let c = (round * self.ranks + self.rank) * self.threads + t;
        let start = (c * CHUNK).min(self.distinct);
        start..(start + CHUNK).min(self.distinct)
    }

    /// This rank's chunks of every round, in order.
    fn my_chunks(self) -> impl Iterator<Item = std::ops::Range<usize>> {
        (0..self.rounds())
            .flat_map(move |round| (0..self.threads).map(move |t| self.chunk(round, t)))
    }
}

/// This rank's farthest pair by the tree ([`tree_top_search`] with K = 1), and the tree.
fn tree_search(spmd: &Spmd, vecs: &UnitVectors, threads: usize) -> (Option<Candidate>, Tree) {
    let tree = Tree::build(vecs);
    let best = tree_top_search(spmd, &tree, threads, TopK::new(1, Order::Farthest));
    (best.first().copied(), tree)
}

/// This rank's K best pairs by the tree (every rank builds the same one), in `top`'s order:
/// its queries as [`Deal`] hands them out, each thread keeping its own list across its chunks.
/// After each round the ranks share the best K-th key of any list (an allreduce started with
/// the round and finished after it), a bound no worse than the global K-th best, which only
/// lets later queries prune more: the answer never depends on it.
fn tree_top_search(spmd: &Spmd, tree: &Tree, threads: usize, top: TopK) -> Vec<Candidate> {
    let deal = Deal::new(spmd, tree.distinct(), threads);
    let bound = SharedBound::new();
    let mut tops = vec![top; threads];
    for round in 0..deal.rounds() {
        let send = bound.get();
        let mut recv = f64::INFINITY;
        mpi::request::scope(|scope| {
            let request = spmd.world().immediate_all_reduce_into(
                scope,
                &send,
                &mut recv,
                SystemOperation::min(),
            );
            let chunk = |t: usize, top: &mut TopK| tree.top_in(deal.chunk(round, t), top, &bound);
            if threads > 1 {
                tops.par_iter_mut()
                    .enumerate()
                    .for_each(|(t, top)| chunk(t, top));
            } else {
                chunk(0, &mut tops[0]);
            }
            request.wait();
        });
        bound.lower(recv);
    }
    let mut tops = tops.into_iter();
    let mut all = tops.next().expect("at least one thread");
    for t in tops {
        all.merge(t);
    }
    all.into_sorted()
}

/// The pairs of the pair-index `range` whose unit vectors' dot (the kernel's) is at most `t`.
fn brute_pairs_with_dot_at_most(
    coords: &[f64],
    range: std::ops::Range<u64>,
    t: f64,
) -> Vec<(u64, u64)> {
    let vecs = UnitVectors::from_interleaved_degrees(coords);
    let n = vecs.len() as u64;
    let mut out = Vec::new();
    for_each_row_segment(n, range, |i, js| {
        for j in js {
            if vecs.dot(i as usize, j as usize) <= t {
                out.push((i, j));
            }
        }
    });
    out
}

/// Rank 0's reading time and the job's computing time.
struct Times {
    computing: f64,
    read: f64,
}

/// What one rank found: its best pair, or its list of the K best.
enum Local {
    Best(Option<Candidate>),
    Ranked(Vec<Candidate>),
}

/// The number of pairs a list keeps: `--top`, or 1, never more than there are pairs.
fn local_k(args: &Args, n: u64) -> usize {
    args.top.unwrap_or(1).min(pair_count(n)) as usize
}

/// Rank 0 gets the best of every rank's candidate (other ranks get `None`).
fn gather_best(spmd: &Spmd, local: Option<Candidate>) -> Option<u64> {
    let (index, key) = local.map_or((u64::MAX, f64::INFINITY), |c| (c.pair_index, c.key));
    let indices = spmd.gather_slices(&[index]);
    let keys = spmd.gather_slices(&[key]);
    indices.zip(keys).map(|(indices, keys)| {
        let found = indices
            .parts()
            .zip(keys.parts())
            .filter(|(ix, _)| ix[0] != u64::MAX)
            .map(|(ix, k)| Candidate::new(k[0], ix[0]));
        Candidate::best(found)
            .expect("at least two cities were validated, so one pair exists")
            .pair_index
    })
}

/// Rank 0 gets the `k` best of every rank's list, the best first (other ranks get `None`):
/// each rank's list holds its `k` best (keyed in `order`), so the global `k` best are among them.
fn gather_lists(
    spmd: &Spmd,
    local: &[Candidate],
    order: Order,
    k: usize,
) -> Option<Vec<Candidate>> {
    let indices: Vec<u64> = local.iter().map(|c| c.pair_index).collect();
    let keys: Vec<f64> = local.iter().map(|c| c.key).collect();
    let indices = spmd.gather_slices(&indices);
    let keys = spmd.gather_slices(&keys);
    indices.zip(keys).map(|(indices, keys)| {
        let mut top = TopK::new(k, order);
        for (&pair_index, &key) in indices.into_flat().iter().zip(&keys.into_flat()) {
            top.offer(key, pair_index);
        }
        let list = top.into_sorted();
        assert!(!list.is_empty(), "at least two cities, so one pair exists");
        list
    })
}

/// A pair as the report shows it.
struct Pair {
    i: u64,
    j: u64,
    distance_km: f64,
}

/// The answer: the best pair in `order`, and the `--top` list.
struct Answer {
    order: Order,
    best: Pair,
    top: Option<Vec<Pair>>,
}

/// Each rank's compute time and peak memory, on rank 0.
struct RankFigures<'a> {
    times: &'a [f64],
    peak_rss: &'a [u64],
}

fn print_report(
    args: &Args,
    algorithm: Algorithm,
    table: &CityTable,
    answer: &Answer,
    times: &Times,
    figures: &RankFigures,
    ranks: i32,
) {
    let computing_time = times.computing;
    let rank_times = figures.times;
    let n = table.len() as u64;
    let best = &answer.best;
    let closest = answer.order == Order::Closest;
    if args.run.json {
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
        let (km, m, dist) = (
            Some(best.distance_km),
            Some((best.distance_km * 1e6).round() / 1e3),
            Some(args.units.from_km(best.distance_km)),
        );
        let pair = Some([city(best.i), city(best.j)]);
        let none = (None, None, None);
        let (max, min) = if closest {
            (none, (km, m, dist))
        } else {
            ((km, m, dist), none)
        };
        let json = ReportJson {
            file: args.path.display().to_string(),
            cities: n,
            pairs: pair_count(n),
            ranks,
            threads: args.run.threads,
            kernel: args.kernel,
            algorithm,
            earth: args.earth,
            max_distance_km: max.0,
            max_distance_m: max.1,
            max_distance: max.2,
            min_distance_km: min.0,
            min_distance_m: min.1,
            min_distance: min.2,
            units: args.units,
            farthest: if closest { None } else { pair.clone() },
            closest: if closest { pair } else { None },
            top: answer.top.as_ref().map(|top| {
                top.iter()
                    .map(|p| PairJson {
                        distance_km: p.distance_km,
                        cities: [city(p.i), city(p.j)],
                    })
                    .collect()
            }),
            computing_time_s: computing_time,
            read_s: times.read,
            rank_compute_s: rank_times.to_vec(),
            rank_peak_rss_bytes: figures.peak_rss.to_vec(),
            load_balance: summary::load_balance(rank_times),
        };
        println!(
            "{}",
            serde_json::to_string_pretty(&json).expect("the report serialises")
        );
    } else {
        let (distance, unit) = (args.units.from_km(best.distance_km), args.units.to_string());
        let (line, which) = if closest {
            (summary::min_distance_line(distance, &unit), "Closest")
        } else {
            (summary::max_distance_line(distance, &unit), "Farthest")
        };
        println!("{line}");
        println!(
            "{which} pair: {} and {}",
            table.label(best.i as usize),
            table.label(best.j as usize)
        );
        println!(
            "Cities: {n}, pairs: {}, ranks: {ranks}, threads per rank: {}, kernel: {}, algorithm: {}",
            pair_count(n),
            args.run.threads,
            args.kernel.name(),
            algorithm.name()
        );
        println!("{}", summary::computing_time_line(computing_time));
        println!("{}", summary::rank_times_line(rank_times));
        println!("{}", summary::balance_line("time", rank_times));
        if let Some(top) = &answer.top {
            let s = if top.len() == 1 { "" } else { "s" };
            println!("Top {} {} pair{s}:", top.len(), which.to_lowercase());
            for (r, p) in top.iter().enumerate() {
                println!(
                    "{:>4}. {:.3} {unit}: {} and {}",
                    r + 1,
                    args.units.from_km(p.distance_km),
                    table.label(p.i as usize),
                    table.label(p.j as usize)
                );
            }
        }
    }
}
