//! The all-pairs farthest search over a slice of the pair index space, with the notebook's
//! per-pair haversine: the reference every faster kernel is checked against.

use std::ops::Range;

use super::candidate::Candidate;
use super::sphere::haversine_km_pre;
use crate::partition::{for_each_row_segment, row_start};

/// The coordinates every rank holds, in radians, with the latitude cosines computed once.
#[derive(Debug, Clone, Default)]
pub struct Points {
    lat: Vec<f64>,
    lon: Vec<f64>,
    cos_lat: Vec<f64>,
}

impl Points {
    /// Builds the points from `[lat0, lon0, lat1, lon1, ...]` in degrees.
    pub fn from_interleaved_degrees(coords: &[f64]) -> Points {
        let lat: Vec<f64> = coords.iter().step_by(2).map(|d| d.to_radians()).collect();
        let lon: Vec<f64> = coords
            .iter()
            .skip(1)
            .step_by(2)
            .map(|d| d.to_radians())
            .collect();
        let cos_lat = lat.iter().map(|l| l.cos()).collect();
        Points { lat, lon, cos_lat }
    }

    /// The number of points.
    pub fn len(&self) -> usize {
        self.lat.len()
    }

    /// Whether there are no points.
    pub fn is_empty(&self) -> bool {
        self.lat.is_empty()
    }

    /// The haversine distance in km between points `i` and `j`.
    pub fn distance_km(&self, i: usize, j: usize) -> f64 {
        haversine_km_pre(
            self.lat[i],
            self.lon[i],
            self.cos_lat[i],
            self.lat[j],
            self.lon[j],
            self.cos_lat[j],
        )
    }
}

/// The farthest pair among the pairs with indices in `range`, keyed by minus its distance in km
/// (`None` for an empty range); the lowest pair index wins a tie.
pub fn best_in_range(points: &Points, range: Range<u64>) -> Option<Candidate> {
    let n = points.len() as u64;
    let mut best: Option<Candidate> = None;
    for_each_row_segment(n, range, |i, js| {
        let iu = i as usize;
        let (lat1, lon1, cos1) = (points.lat[iu], points.lon[iu], points.cos_lat[iu]);
        let (mut best_d, mut best_j) = (f64::NEG_INFINITY, u64::MAX);
        for j in js.clone() {
            let ju = j as usize;
            let d = haversine_km_pre(
                lat1,
                lon1,
                cos1,
                points.lat[ju],
                points.lon[ju],
                points.cos_lat[ju],
            );
            if d > best_d {
                best_d = d;
                best_j = j;
            }
        }
        if best_j != u64::MAX {
            let row = Candidate::farthest(best_d, row_start(n, i) + (best_j - i - 1));
            best = Some(best.map_or(row, |b| Candidate::better(b, row)));
        }
    });
    best
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cities::sphere::haversine_km;
    use crate::cities::test_points::random_coords;
    use crate::partition::{pair_at, pair_count, pair_range_for_rank};

    /// The plainest possible reference: every pair, the degree-based formula, first max wins.
    fn brute_force(coords: &[f64]) -> (u64, u64, f64) {
        let n = coords.len() / 2;
        let mut best = (0, 0, f64::NEG_INFINITY);
        for i in 0..n {
            for j in i + 1..n {
                let d = haversine_km(
                    coords[2 * i],
                    coords[2 * i + 1],
                    coords[2 * j],
                    coords[2 * j + 1],
                );
                if d > best.2 {
                    best = (i as u64, j as u64, d);
                }
            }
        }
        best
    }

    #[test]
    fn matches_brute_force_for_any_split() {
        for (n, seed) in [(2, 1), (3, 2), (10, 3), (57, 4), (200, 5)] {
            let coords = random_coords(n, seed);
            let points = Points::from_interleaved_degrees(&coords);
            let want = brute_force(&coords);
            for size in [1u32, 2, 3, 4, 7, 16] {
                let parts = (0..size)
                    .filter_map(|r| best_in_range(&points, pair_range_for_rank(n as u64, size, r)));
                let got = Candidate::best(parts).expect("at least one pair");
                let (i, j) = pair_at(n as u64, got.pair_index);
                assert_eq!((i, j), (want.0, want.1), "n={n} size={size}");
                assert!((-got.key - want.2).abs() < 1e-9);
                assert_eq!(got.pair_index, row_start(n as u64, i) + j - i - 1);
            }
        }
    }

    #[test]
    fn ties_go_to_the_lowest_pair_index() {
        // Four copies of the same antipodal pair: pairs (0,1), (0,3), (1,2), (2,3) tie.
        let coords = [10.0, 20.0, -10.0, -160.0, 10.0, 20.0, -10.0, -160.0];
        let points = Points::from_interleaved_degrees(&coords);
        for size in 1..=6u32 {
            let parts =
                (0..size).filter_map(|r| best_in_range(&points, pair_range_for_rank(4, size, r)));
            let got = Candidate::best(parts).expect("pairs");
            let (i, j) = pair_at(4, got.pair_index);
            assert_eq!((i, j, got.pair_index), (0, 1, 0), "size={size}");
        }
    }

    #[test]
    fn empty_ranges_find_nothing() {
        let points = Points::from_interleaved_degrees(&random_coords(5, 9));
        assert_eq!(best_in_range(&points, 3..3), None);
        assert!(best_in_range(&points, 0..pair_count(5)).is_some());
    }
}
