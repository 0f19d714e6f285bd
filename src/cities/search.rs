//! One rank's share of the farthest-pair search, with either kernel and any number of threads.
//!
//! Which kernel ([`Kernel`]) and which algorithm ([`Algorithm`]); the coordinates prepared for
//! the kernel ([`Prepared`]) and its best pair over a range of the pair index. Both kernels are
//! reduced the same way, and so is every other search here: by the one [`Candidate`] order.

use std::ops::Range;

use rayon::prelude::*;

use super::candidate::Candidate;
use super::dot::UnitVectors;
use super::haversine::Points;
use crate::partition::{block_range, pair_at};

/// Which all-pairs kernel scans the pairs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kernel {
    /// Smallest dot product of unit vectors, SIMD lanes over cache tiles.
    #[default]
    Fast,
    /// The notebook's per-pair haversine: the reference.
    Haversine,
}

/// How the pairs are searched.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
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
        // On rayon's global pool: its size is set once per process (`threads::start`).
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
