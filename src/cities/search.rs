//! One rank's share of the farthest-pair search, with either kernel and any number of threads.
//!
//! Both kernels are reduced the same way, and so is every other search here: a [`Candidate`] has
//! a key (smaller is better) and a pair index (lower wins a tie), so the answer never depends on
//! how the pairs were split among ranks and threads.

use std::cmp::Ordering;
use std::ops::Range;

use rayon::prelude::*;

use super::dot::UnitVectors;
use super::haversine::Points;
use crate::partition::{block_range, pair_at};

/// Which all-pairs kernel scans the pairs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kernel {
    /// Smallest dot product of unit vectors, SIMD lanes over cache tiles.
    #[default]
    Fast,
    /// The notebook's per-pair haversine: the reference.
    Haversine,
}

/// How the pairs are searched.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Algorithm {
    /// The tree from 5,000 cities on with the fast kernel, else brute force.
    #[default]
    Auto,
    /// The exact k-d tree: the brute force's answer in about O(n log n).
    Tree,
    /// Every pair, split evenly between ranks and threads.
    Brute,
}

/// From this many cities `auto` takes the tree. Measured here, one rank, computing time
/// (median of 3, `scripts/gen-cities` points): 1,000 cities brute force 0.56 ms, tree 0.80 ms;
/// 3,000: 2.6 and 2.4 ms; 10,000: 22.6 and 8.6 ms; 30,000: 182 and 29 ms.
pub const AUTO_TREE_MIN: u64 = 5_000;

impl Algorithm {
    /// What `self` means for `n` cities and `kernel`: [`Algorithm::Tree`] or
    /// [`Algorithm::Brute`], or an error when the tree is asked for with a kernel it cannot
    /// reproduce.
    pub fn resolve(self, n: u64, kernel: Kernel) -> Result<Algorithm, String> {
        match (self, kernel) {
            (Algorithm::Tree, Kernel::Haversine) => Err(
                "--algorithm tree finds the fast kernel's pair (the smallest dot product); with \
                 --kernel haversine use --algorithm brute"
                    .into(),
            ),
            (Algorithm::Auto, Kernel::Fast) if n >= AUTO_TREE_MIN => Ok(Algorithm::Tree),
            (Algorithm::Auto, _) => Ok(Algorithm::Brute),
            (a, _) => Ok(a),
        }
    }
}

/// The one tie rule of every pair search here (brute force, tree, top K, ellipsoid): keys in
/// order, the smaller first, and an equal key goes to the lower pair index, so the winner never
/// depends on how the pairs were split between ranks and threads. Keys are never NaN; `-0.0`
/// equals `0.0`, as in the kernel's own compare. A search whose best is the largest value (a
/// distance) orders by the value's negation, which is exact.
#[inline]
pub fn key_order<P: Ord>(a_key: f64, a_pair: P, b_key: f64, b_pair: P) -> Ordering {
    if a_key < b_key {
        Ordering::Less
    } else if a_key > b_key {
        Ordering::Greater
    } else {
        a_pair.cmp(&b_pair)
    }
}

/// A pair some search found, in the one order of [`key_order`]: the smaller key wins, an equal
/// key goes to the lower pair index. Every search ranks with it (brute force with either kernel,
/// threads, the tree, top K, the ellipsoid), each with its own key: the fast kernel's dot product
/// for the farthest pairs (the smallest is the farthest), minus the dot for the closest, minus the
/// distance for a search by distance ([`Candidate::farthest`]; negation is exact, so equal
/// distances stay equal keys). The cities are `crate::partition::pair_at(n, pair_index)`.
#[derive(Debug, Clone, Copy)]
pub struct Candidate {
    /// What the pair is ranked by: the smaller is the better pair.
    pub key: f64,
    /// The pair's index in the row-by-row numbering of [`crate::partition`].
    pub pair_index: u64,
}

impl Candidate {
    /// The pair `pair_index` ranked by `key`.
    #[inline]
    pub fn new(key: f64, pair_index: u64) -> Candidate {
        Candidate { key, pair_index }
    }

    /// The pair `pair_index` ranked by its distance, the longest first: the key is `-distance`.
    #[inline]
    pub fn farthest(distance: f64, pair_index: u64) -> Candidate {
        Candidate::new(-distance, pair_index)
    }

    /// Whether `self` beats `other`: a smaller key, or an equal key and a lower pair index.
    #[inline]
    pub fn beats(&self, other: &Candidate) -> bool {
        self < other
    }

    /// The better of two candidates (`a` if they are equal).
    #[inline]
    pub fn better(a: Candidate, b: Candidate) -> Candidate {
        if b.beats(&a) {
            b
        } else {
            a
        }
    }

    /// The best of several candidates, or `None` if there are none.
    pub fn best(candidates: impl IntoIterator<Item = Candidate>) -> Option<Candidate> {
        candidates.into_iter().reduce(Candidate::better)
    }
}

impl Ord for Candidate {
    #[inline]
    fn cmp(&self, other: &Self) -> Ordering {
        key_order(self.key, self.pair_index, other.key, other.pair_index)
    }
}

impl PartialOrd for Candidate {
    #[inline]
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Candidate {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Candidate {}

/// The coordinates prepared for one kernel, built once per rank.
pub enum Prepared {
    /// Radians and latitude cosines for the haversine.
    Haversine(Points),
    /// Unit vectors for the fast kernel.
    Fast(UnitVectors),
}

impl Prepared {
    /// Prepares `[lat0, lon0, lat1, lon1, ...]` (degrees) for `kernel`.
    pub fn new(kernel: Kernel, coords_deg: &[f64]) -> Prepared {
        match kernel {
            Kernel::Haversine => Prepared::Haversine(Points::from_interleaved_degrees(coords_deg)),
            Kernel::Fast => Prepared::Fast(UnitVectors::from_interleaved_degrees(coords_deg)),
        }
    }

    /// The best pair among the pair indices in `range`, on the calling thread.
    pub fn best_in_range(&self, range: Range<u64>) -> Option<Candidate> {
        match self {
            Prepared::Haversine(p) => super::haversine::best_in_range(p, range),
            Prepared::Fast(v) => super::dot::best_in_range(v, range),
        }
    }

    /// The best pair in `range`, split into `threads` equal shares run on rayon's global pool.
    pub fn best_in_range_threaded(&self, range: Range<u64>, threads: usize) -> Option<Candidate> {
        if threads <= 1 {
            return self.best_in_range(range);
        }
        let share = |t: usize| {
            let r = block_range(range.end - range.start, threads as u64, t as u64);
            range.start + r.start..range.start + r.end
        };
        // On rayon's global pool: its size is set once per process (`spmd::use_threads`).
        (0..threads)
            .into_par_iter()
            .filter_map(|t| self.best_in_range(share(t)))
            .reduce_with(Candidate::better)
    }

    /// The great-circle distance in km of the pair with index `pair_index` among `n` points.
    pub fn distance_km(&self, n: u64, pair_index: u64) -> f64 {
        let (i, j) = pair_at(n, pair_index);
        match self {
            Prepared::Haversine(p) => p.distance_km(i as usize, j as usize),
            Prepared::Fast(v) => v.distance_km(i as usize, j as usize),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::partition::pair_count;

    #[test]
    fn the_help_text_names_the_auto_threshold() {
        use clap::ValueEnum as _;
        let help = Algorithm::Auto
            .to_possible_value()
            .and_then(|v| v.get_help().map(|h| h.to_string()))
            .expect("auto has help");
        let n = AUTO_TREE_MIN.to_string();
        let with_commas = format!("{},{}", &n[..n.len() - 3], &n[n.len() - 3..]);
        assert!(help.contains(&with_commas), "{help:?} vs {AUTO_TREE_MIN}");
    }

    #[test]
    fn threads_and_kernels_agree() {
        let mut s = 11u64;
        let mut next = || {
            s = s
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (s >> 11) as f64 / (1u64 << 53) as f64
        };
        let coords: Vec<f64> = (0..700)
            .flat_map(|_| [next() * 180.0 - 90.0, next() * 360.0 - 180.0])
            .collect();
        let n = 700;
        let all = 0..pair_count(n);
        let fast = Prepared::new(Kernel::Fast, &coords);
        let hav = Prepared::new(Kernel::Haversine, &coords);
        let f1 = fast.best_in_range(all.clone()).expect("pairs");
        let h1 = hav.best_in_range(all.clone()).expect("pairs");
        assert_eq!(f1.pair_index, h1.pair_index);
        assert!((fast.distance_km(n, f1.pair_index) - -h1.key).abs() < 1e-3);
        for threads in [2, 3, 8] {
            assert_eq!(fast.best_in_range_threaded(all.clone(), threads), Some(f1));
            assert_eq!(hav.best_in_range_threaded(all.clone(), threads), Some(h1));
        }
        assert_eq!(fast.best_in_range_threaded(5..5, 4), None);
    }
}
