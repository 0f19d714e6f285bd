//! The distributed search of `dist-cities`, step by step as its `run()` shows it: rank 0 reads
//! and validates and every rank learns the outcome ([`Cities::read`]), every rank gets the
//! coordinates and its range of the pair index ([`Share::scatter`]), each rank searches
//! ([`Local::search`]: brute force over its range, or the tree's queries dealt in rounds with a
//! nonblocking allreduce of the bound), and rank 0 gathers and reduces ([`Local::gather`]: on
//! the ellipsoid, a second round filtered by a proven bound). Memory per rank is O(n), never
//! O(n^2).

use std::ops::Range;

use mpi::collective::{CommunicatorCollectives, SystemOperation};
use rayon::prelude::*;

use super::candidate::Candidate;
use super::dot::UnitVectors;
use super::read::read_cities;
use super::report::{Answer, Figures, Pair};
use super::request::Request;
use super::search::{Algorithm, Prepared};
use super::table::CityTable;
use super::top::{top_in_range_threaded, Order, TopK};
use super::tree::{SharedBound, Tree};
use super::wgs84::{self, Earth};
use crate::error::Error;
use crate::partition::{for_each_row_segment, pair_at, pair_range_for_rank};
use crate::spmd::{Halt, Spmd};
use crate::summary;

/// What rank 0 read and every rank agreed on.
pub struct Cities {
    /// The cities, on rank 0 (`None` on the others).
    pub table: Option<CityTable>,
    /// The number of cities, on every rank.
    pub n: u64,
    /// The algorithm resolved for the `n` cities and the kernel, the same on every rank.
    pub algorithm: Algorithm,
    /// The time the reading took, in seconds (rank 0's is the one reported).
    pub read_s: f64,
}

impl Cities {
    /// Rank 0 checks the request and reads and validates the file; every rank learns the
    /// outcome (an error ends every rank the same way) before any other collective, then the
    /// number of cities and the algorithm it resolves to.
    pub fn read(spmd: &Spmd, request: &Request) -> Result<Cities, Halt> {
        spmd.agree(
            spmd.is_root()
                .then(|| request.check_ranking().map_err(Error::Usage)),
        )?;
        let t_read = spmd.now();
        let table = spmd.agree(
            spmd.is_root()
                .then(|| read_cities(&request.path, &request.read).map_err(Into::into)),
        )?;
        let read_s = spmd.now() - t_read;
        // Every rank knows n from here on; the algorithm follows from it, the same everywhere.
        let n = spmd.broadcast_value(table.as_ref().map(|t| t.len() as u64));
        let algorithm = spmd.agree(spmd.is_root().then(|| {
            request
                .algorithm
                .resolve(n, request.kernel)
                .map_err(Error::Usage)
        }))?;
        let algorithm = spmd.broadcast_value(algorithm.map(|a| a as u8));
        let algorithm = [Algorithm::Auto, Algorithm::Tree, Algorithm::Brute][algorithm as usize];
        Ok(Cities {
            table,
            n,
            algorithm,
            read_s,
        })
    }
}

/// This rank's share of the work: every city's coordinates (O(n)) and its own range of pair
/// indices.
pub struct Share {
    /// Every city's coordinates, `[lat0, lon0, lat1, lon1, ...]` in degrees.
    pub coords: Vec<f64>,
    /// The number of cities.
    pub n: u64,
    /// This rank's pair indices.
    pub range: Range<u64>,
    /// When the distribution began: the start of the computing time.
    start: f64,
}

impl Share {
    /// Every rank receives the coordinates from rank 0, then rank 0 scatters each rank an
    /// equal range of the pair index.
    pub fn scatter(spmd: &Spmd, cities: &Cities) -> Share {
        let start = spmd.now();
        let coords = spmd.broadcast_vec(cities.table.as_ref().map(CityTable::interleaved_degrees));
        let n = (coords.len() / 2) as u64;
        let plan: Option<Vec<Vec<u64>>> = spmd.is_root().then(|| {
            (0..spmd.size() as u32)
                .map(|r| {
                    let range = pair_range_for_rank(n, spmd.size() as u32, r);
                    vec![range.start, range.end]
                })
                .collect()
        });
        let mine = spmd.scatter_slices(plan.as_deref());
        Share {
            coords,
            n,
            range: mine[0]..mine[1],
            start,
        }
    }
}

/// What one rank found: its best pair, or its list of the K best.
enum Found {
    Best(Option<Candidate>),
    Ranked(Vec<Candidate>),
}

/// One rank's search: what it found, what it built on the way (kept for the ellipsoid and the
/// report's distances), and its compute time.
pub struct Local {
    found: Found,
    prepared: Prepared,
    tree: Option<Tree>,
    time: f64,
}

impl Local {
    /// This rank's farthest pair, or its K best pairs in the order asked for, by `algorithm`.
    /// The tree's search is collective (every rank builds the same tree and shares a bound).
    pub fn search(spmd: &Spmd, request: &Request, algorithm: Algorithm, share: &Share) -> Local {
        let t_start = spmd.now();
        let threads = request.threads as usize;
        let prepared = Prepared::new(request.kernel, &share.coords);
        let mut tree = None;
        let found = match (request.ranked(), algorithm, &prepared) {
            (true, algorithm, Prepared::Fast(vecs)) => {
                let (k, order) = (request.list_len(share.n), request.order());
                Found::Ranked(match algorithm {
                    Algorithm::Tree => {
                        tree_top_search(spmd, &Tree::build(vecs), threads, TopK::new(k, order))
                    }
                    _ => top_in_range_threaded(vecs, share.range.clone(), k, order, threads),
                })
            }
            (_, Algorithm::Tree, Prepared::Fast(vecs)) => {
                let (best, t) = tree_search(spmd, vecs, threads);
                tree = Some(t);
                Found::Best(best)
            }
            _ => Found::Best(prepared.best_in_range_threaded(share.range.clone(), threads)),
        };
        Local {
            found,
            prepared,
            tree,
            time: spmd.now() - t_start,
        }
    }

    /// Rank 0 gathers every rank's candidate (pair index `u64::MAX` for an empty share), or
    /// every rank's list, and merges them; on the ellipsoid the ranks then list the pairs the
    /// sphere's answer cannot rule out, for rank 0's geodesics. Then every rank's time and peak
    /// memory. Rank 0 gets the answer and the figures (with `read_s`, its reading time); the
    /// others get `None`.
    pub fn gather(
        self,
        spmd: &Spmd,
        request: &Request,
        share: &Share,
        read_s: f64,
    ) -> Option<(Answer, Figures)> {
        let Local {
            found,
            prepared,
            tree,
            mut time,
        } = self;
        let (order, n) = (request.order(), share.n);
        let (best, list) = match found {
            Found::Best(local) => (gather_best(spmd, local), None),
            Found::Ranked(local) => {
                let list = gather_lists(spmd, &local, order, request.list_len(n));
                (list.as_ref().map(|l| l[0].pair_index), list)
            }
        };
        let spherical = spmd.broadcast_value(best);
        let geodesic = match request.earth {
            Earth::Sphere => None,
            Earth::Wgs84 => {
                let threads = request.threads as usize;
                let t_geo = spmd.now();
                let (si, sj) = pair_at(n, spherical);
                let pairs = ellipsoid_candidates(spmd, share, tree.as_ref(), (si, sj), threads);
                time += spmd.now() - t_geo;
                let best = (si as usize, sj as usize);
                pairs.map(|pairs| {
                    wgs84::farthest_geodesic(&share.coords, best, &mut |_| pairs.clone())
                })
            }
        };
        let times = spmd.gather_slices(&[time]);
        let t1 = spmd.now();
        let peaks = spmd.gather_slices(&[summary::peak_rss_bytes()]);

        let (Some(times), Some(peaks)) = (times, peaks) else {
            return None; // not rank 0
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
            top: request
                .top
                .and(list)
                .map(|l| l.iter().map(|b| sphere_pair(b.pair_index)).collect()),
        };
        let figures = Figures {
            computing_s: t1 - share.start,
            read_s,
            rank_compute_s: times.parts().map(|f| f[0]).collect(),
            rank_peak_rss_bytes: peaks.into_flat(),
        };
        Some((answer, figures))
    }
}

/// On the ellipsoid: the sphere's farthest pair (`si`, `sj`) bounds the answer from below, and
/// only pairs whose dot a proven bound cannot rule out need Karney's geodesic. Every rank lists
/// those of its share (the tree's queries as [`Deal`] hands them out, or its range of pairs);
/// rank 0 gets all the lists (the others get `None`).
fn ellipsoid_candidates(
    spmd: &Spmd,
    share: &Share,
    tree: Option<&Tree>,
    (si, sj): (u64, u64),
    threads: usize,
) -> Option<Vec<(usize, usize)>> {
    let coords = &share.coords;
    let s_lo = wgs84::geodesic_m(
        coords[2 * si as usize],
        coords[2 * si as usize + 1],
        coords[2 * sj as usize],
        coords[2 * sj as usize + 1],
    );
    let t = wgs84::dot_threshold(s_lo);
    let mine = match tree {
        Some(tree) => Deal::new(spmd, tree.distinct(), threads)
            .my_chunks()
            .flat_map(|r| tree.pairs_with_dot_at_most(r, t))
            .collect(),
        None => brute_pairs_with_dot_at_most(coords, share.range.clone(), t),
    };
    let flat: Vec<u64> = mine.iter().flat_map(|&(i, j)| [i, j]).collect();
    let all = spmd.gather_slices(&flat);
    all.map(|all| {
        all.into_flat()
            .chunks_exact(2)
            .map(|p| (p[0] as usize, p[1] as usize))
            .collect()
    })
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
    fn chunk(self, round: usize, t: usize) -> Range<usize> {
        let c = (round * self.ranks + self.rank) * self.threads + t;
        let start = (c * CHUNK).min(self.distinct);
        start..(start + CHUNK).min(self.distinct)
    }

    /// This rank's chunks of every round, in order.
    fn my_chunks(self) -> impl Iterator<Item = Range<usize>> {
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
fn brute_pairs_with_dot_at_most(coords: &[f64], range: Range<u64>, t: f64) -> Vec<(u64, u64)> {
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
