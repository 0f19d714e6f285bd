//! The fast all-pairs kernel: the farthest pair is the pair of unit vectors with the smallest dot
//! product, found with SIMD lanes over cache-sized tiles.
//!
//! Each city becomes a unit vector `(x, y, z)` once. A pair costs three multiplications, two
//! additions and a compare, instead of the haversine's two sines, two square roots and an
//! `atan2`. The dot product is always evaluated as `(xi*xj + yi*yj) + zi*zj`, each operation
//! separately rounded (never a fused multiply-add), in SIMD lanes and in the scalar tail alike, so
//! the winner is the same on every CPU, at every rank and thread count: the smallest dot, the
//! lowest pair index among equals. Only the winning pair is turned into kilometres, with
//! `atan2(|u x v|, u . v)`, which stays accurate near antipodes where `acos` and the haversine
//! lose digits.
//!
//! Lanes: one scan, generic over [`crate::simd::Simd`] and run through
//! [`crate::simd::dispatch`] on the instruction set chosen at run time: AVX-512 (mask
//! registers) and AVX2 (blends) with four independent vectors in flight; every other CPU
//! (aarch64, x86-64 without AVX2) runs it on the portable lane arrays, two vectors of four,
//! with the same arithmetic. Measured
//! on this machine (Zen 4), one core: AVX-512 about 4e9 pairs/s, AVX2 3.7e9, portable 7e8.

use std::ops::Range;

pub use crate::simd::Isa;

use super::candidate::Candidate;
use super::sphere::EARTH_RADIUS_KM;
use crate::partition::{for_each_row_segment, row_start};
use crate::simd::{dispatch, Simd, SimdKernel};

/// Points per tile of the `j` scan: three coordinates of 8192 points (192 KiB) stay in L2 while
/// every row of the slice passes over them (measured on Zen 4: 1024 to 16384 all within 15%,
/// no tiling 10% slower).
const TILE: usize = 8192;

/// The cities as unit vectors in structure-of-arrays form, the layout the SIMD scan reads.
#[derive(Debug, Clone, Default)]
pub struct UnitVectors {
    x: Vec<f64>,
    y: Vec<f64>,
    z: Vec<f64>,
}

impl UnitVectors {
    /// Builds the unit vectors from `[lat0, lon0, lat1, lon1, ...]` in degrees.
    pub fn from_interleaved_degrees(coords: &[f64]) -> UnitVectors {
        let n = coords.len() / 2;
        let mut v = UnitVectors {
            x: Vec::with_capacity(n),
            y: Vec::with_capacity(n),
            z: Vec::with_capacity(n),
        };
        for c in coords.chunks_exact(2) {
            let (lat, lon) = (c[0].to_radians(), c[1].to_radians());
            let (sin_lat, cos_lat) = lat.sin_cos();
            let (sin_lon, cos_lon) = lon.sin_cos();
            v.x.push(cos_lat * cos_lon);
            v.y.push(cos_lat * sin_lon);
            v.z.push(sin_lat);
        }
        v
    }

    /// The number of points.
    pub fn len(&self) -> usize {
        self.x.len()
    }

    /// Whether there are no points.
    pub fn is_empty(&self) -> bool {
        self.x.is_empty()
    }

    /// Point `i`'s vector.
    pub fn xyz(&self, i: usize) -> (f64, f64, f64) {
        (self.x[i], self.y[i], self.z[i])
    }

    /// The dot product of points `i` and `j`, in the kernel's exact order of operations.
    pub fn dot(&self, i: usize, j: usize) -> f64 {
        dot3(
            self.x[i], self.y[i], self.z[i], self.x[j], self.y[j], self.z[j],
        )
    }

    /// The great-circle distance in km between points `i` and `j`, well conditioned everywhere:
    /// `R atan2(|u x v|, u . v)`.
    pub fn distance_km(&self, i: usize, j: usize) -> f64 {
        let (ax, ay, az) = (self.x[i], self.y[i], self.z[i]);
        let (bx, by, bz) = (self.x[j], self.y[j], self.z[j]);
        let (cx, cy, cz) = (ay * bz - az * by, az * bx - ax * bz, ax * by - ay * bx);
        let cross = (cx * cx + cy * cy + cz * cz).sqrt();
        EARTH_RADIUS_KM * cross.atan2(self.dot(i, j))
    }
}

/// The dot product in the kernel's order of operations, `(xi*xj + yi*yj) + zi*zj`, each
/// operation rounded once (no fused multiply-add): every kernel and the tree score pairs with it.
#[inline(always)]
pub(crate) fn dot3(xi: f64, yi: f64, zi: f64, xj: f64, yj: f64, zj: f64) -> f64 {
    (xi * xj + yi * yj) + zi * zj
}

/// The pair with the smallest dot product (the farthest pair) among the pair indices in `range`,
/// keyed by its dot, on the fastest instruction set of this CPU (`None` for an empty range).
pub fn best_in_range(vecs: &UnitVectors, range: Range<u64>) -> Option<Candidate> {
    best_in_range_with(vecs, range, Isa::detect())
}

/// [`best_in_range`] on a chosen instruction set, which must be one of [`Isa::available`].
pub fn best_in_range_with(vecs: &UnitVectors, range: Range<u64>, isa: Isa) -> Option<Candidate> {
    assert!(
        Isa::available().contains(&isa),
        "{isa:?} is not available on this CPU"
    );
    let n = vecs.len() as u64;
    // The rows of the slice, each with its range of j; a row's best so far.
    let mut rows: Vec<(usize, Range<usize>)> = Vec::new();
    for_each_row_segment(n, range, |i, js| {
        rows.push((i as usize, js.start as usize..js.end as usize))
    });
    let mut best: Vec<(f64, usize)> = vec![(f64::INFINITY, usize::MAX); rows.len()];
    let (Some(first), Some(last)) = (rows.first(), rows.last()) else {
        return None;
    };
    let (j_lo, j_hi) = (
        rows.iter()
            .map(|r| r.1.start)
            .min()
            .unwrap_or(first.1.start),
        last.1.end.max(first.1.end),
    );
    let j_hi = rows.iter().map(|r| r.1.end).max().unwrap_or(j_hi);

    // Tiles of j outermost, so the tile's coordinates stay in L1 across all rows.
    let mut tile_start = j_lo;
    while tile_start < j_hi {
        let tile_end = (tile_start + TILE).min(j_hi);
        for ((i, js), slot) in rows.iter().zip(best.iter_mut()) {
            let (a, b) = (js.start.max(tile_start), js.end.min(tile_end));
            if a < b {
                let (d, j) = scan(vecs, *i, a..b, isa);
                // Strictly smaller: an earlier tile (lower j) keeps a tie.
                if d < slot.0 {
                    *slot = (d, j);
                }
            }
        }
        tile_start = tile_end;
    }

    let candidates = rows
        .iter()
        .zip(&best)
        .filter(|(_, b)| b.1 != usize::MAX)
        .map(|((i, _), &(dot, j))| {
            let (i, j) = (*i as u64, j as u64);
            Candidate::new(dot, row_start(n, i) + (j - i - 1))
        });
    Candidate::best(candidates)
}

/// The smallest dot of point `i` with the points `js`, and the lowest `j` that reaches it.
fn scan(vecs: &UnitVectors, i: usize, js: Range<usize>, isa: Isa) -> (f64, usize) {
    let kernel = Scan {
        xyz: (vecs.x[i], vecs.y[i], vecs.z[i]),
        x: &vecs.x[js.clone()],
        y: &vecs.y[js.clone()],
        z: &vecs.z[js.clone()],
    };
    let (d, k) = dispatch(isa, kernel);
    (d, js.start + k)
}

/// One point's scan over a run of others, as the kernel [`dispatch`] runs.
struct Scan<'a> {
    /// Point `i`'s vector.
    xyz: (f64, f64, f64),
    x: &'a [f64],
    y: &'a [f64],
    z: &'a [f64],
}

/// Lanes in flight in [`Scan`]: 32 on AVX-512 (four vectors of eight), 16 on AVX2 (four of
/// four), 8 on the portable variant (two of four, which the compiler keeps in SSE2 or NEON
/// registers).
const fn scan_vectors(isa: Isa) -> usize {
    match isa {
        Isa::Portable => 2,
        Isa::Avx2 | Isa::Avx512 => 4,
    }
}

impl SimdKernel for Scan<'_> {
    type Output = (f64, usize);

    #[inline(always)]
    fn run<S: Simd>(self, s: S) -> (f64, usize) {
        const PORTABLE: usize = scan_vectors(Isa::Portable);
        const X86: usize = scan_vectors(Isa::Avx512);
        match S::ISA {
            Isa::Portable => self.smallest::<S, PORTABLE>(s),
            Isa::Avx2 | Isa::Avx512 => self.smallest::<S, X86>(s),
        }
    }
}

impl Scan<'_> {
    /// The smallest `dot3(i, k)` over `k` and the lowest `k` reaching it, `U` vectors of lanes
    /// at a time, the scalar tail after them.
    ///
    /// Each lane keeps its own minimum and index (strictly smaller replaces, so each lane keeps
    /// its earliest minimum); the lanes are merged at the end, lowest index first among equal
    /// minima. Indices are kept as `f64` (exact below 2^53), so they blend like the values.
    #[inline(always)]
    fn smallest<S: Simd, const U: usize>(self, s: S) -> (f64, usize) {
        let w = S::LANES;
        let (xi, yi, zi) = self.xyz;
        let n = self.x.len();
        let (x, y, z) = (self.x, &self.y[..n], &self.z[..n]);
        let (vx, vy, vz) = (s.splat(xi), s.splat(yi), s.splat(zi));
        let mut best = [s.splat(f64::INFINITY); U];
        let mut best_k = [s.splat(0.0); U];
        let lane = s.lane_indices();
        let mut k: [S::F; U] = std::array::from_fn(|u| s.add(lane, s.splat((u * w) as f64)));
        let step = s.splat((U * w) as f64);
        let chunk = U * w;
        let chunks = n / chunk;
        let whole = chunks * chunk;
        let tiles = x[..whole]
            .chunks_exact(chunk)
            .zip(y[..whole].chunks_exact(chunk))
            .zip(z[..whole].chunks_exact(chunk));
        for ((xc, yc), zc) in tiles {
            for u in 0..U {
                let p = u * w;
                let (xs, ys, zs) = (s.load(&xc[p..]), s.load(&yc[p..]), s.load(&zc[p..]));
                let d = s.add(s.add(s.mul(vx, xs), s.mul(vy, ys)), s.mul(vz, zs));
                let smaller = s.lt(d, best[u]);
                best[u] = s.select(smaller, d, best[u]);
                best_k[u] = s.select(smaller, k[u], best_k[u]);
                k[u] = s.add(k[u], step);
            }
        }
        let mut lanes = [0f64; 32];
        let mut lane_k = [0f64; 32];
        for u in 0..U {
            s.store(&mut lanes[u * w..], best[u]);
            s.store(&mut lane_k[u * w..], best_k[u]);
        }
        finish(
            self.xyz,
            (x, y, z),
            &lanes[..chunk],
            &lane_k[..chunk],
            whole,
        )
    }
}

/// Merges the lanes' minima (lowest index among equals) and scans the tail from `tail` on.
#[inline(always)]
fn finish(
    (xi, yi, zi): (f64, f64, f64),
    (x, y, z): (&[f64], &[f64], &[f64]),
    lanes: &[f64],
    lane_k: &[f64],
    tail: usize,
) -> (f64, usize) {
    let (mut min, mut min_k) = (f64::INFINITY, usize::MAX);
    for (&d, &k) in lanes.iter().zip(lane_k) {
        let k = k as usize;
        if d < min || (d == min && k < min_k) {
            (min, min_k) = (d, k);
        }
    }
    for k in tail..x.len() {
        let d = dot3(xi, yi, zi, x[k], y[k], z[k]);
        if d < min {
            (min, min_k) = (d, k);
        }
    }
    (min, min_k)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cities::haversine::{self, Points};
    use crate::cities::test_points::random_coords;
    use crate::partition::{pair_at, pair_count, pair_range_for_rank};

    /// Every pair, scalar, in index order: the smallest dot, first one wins.
    fn brute_force(v: &UnitVectors) -> (u64, u64, f64) {
        let mut best = (0, 0, f64::INFINITY);
        for i in 0..v.len() {
            for j in i + 1..v.len() {
                let d = v.dot(i, j);
                if d < best.2 {
                    best = (i as u64, j as u64, d);
                }
            }
        }
        best
    }

    fn check(coords: &[f64], what: &str) {
        let v = UnitVectors::from_interleaved_degrees(coords);
        let n = v.len() as u64;
        let want = brute_force(&v);
        for isa in Isa::available() {
            for size in [1u32, 2, 3, 5, 16] {
                let parts = (0..size)
                    .filter_map(|r| best_in_range_with(&v, pair_range_for_rank(n, size, r), isa));
                let got = Candidate::best(parts).expect("pairs");
                let (i, j) = pair_at(n, got.pair_index);
                assert_eq!(
                    (i, j, got.key.to_bits()),
                    (want.0, want.1, want.2.to_bits()),
                    "{what} {isa:?} size={size}"
                );
            }
        }
        // The same pair distance as the haversine reference, within 1 m.
        let p = Points::from_interleaved_degrees(coords);
        let h = haversine::best_in_range(&p, 0..pair_count(n)).expect("pairs");
        assert!(
            (v.distance_km(want.0 as usize, want.1 as usize) + h.key).abs() < 1e-3,
            "{what}"
        );
    }

    #[test]
    fn matches_brute_force_on_random_sets() {
        for (n, seed) in [(2, 1), (3, 2), (17, 3), (100, 4), (1500, 5), (2100, 6)] {
            check(&random_coords(n, seed), &format!("random n={n}"));
        }
    }

    #[test]
    fn handles_antipodes_duplicates_poles_and_the_antimeridian() {
        // Exact antipodes twice (a tie: the lower pair index wins), duplicates, both poles.
        let mut c = random_coords(300, 7);
        c.extend_from_slice(&[10.0, 20.0, -10.0, -160.0, 10.0, 20.0, -10.0, -160.0]);
        check(&c, "antipodes");
        check(&[90.0, 0.0, -90.0, 0.0, 90.0, 45.0, 0.0, 0.0], "poles");
        check(
            &[0.0, 179.9, 0.0, -179.9, 0.0, 0.0, 1.0, 180.0, -1.0, -180.0],
            "antimeridian",
        );
        check(&[5.0, 5.0, 5.0, 5.0, 5.0, 5.0], "all the same");
        check(&[0.0, 0.0, 0.0, 180.0], "n = 2, antipodes");
    }

    #[test]
    fn ties_go_to_the_lowest_pair_index_on_every_isa() {
        // Many exact copies: every cross pair ties.
        let mut c = Vec::new();
        for _ in 0..40 {
            c.extend_from_slice(&[30.0, 40.0]);
        }
        for _ in 0..40 {
            c.extend_from_slice(&[-30.0, -140.0]);
        }
        let v = UnitVectors::from_interleaved_degrees(&c);
        for isa in Isa::available() {
            for size in [1u32, 3, 7] {
                let parts = (0..size)
                    .filter_map(|r| best_in_range_with(&v, pair_range_for_rank(80, size, r), isa));
                let got = Candidate::best(parts).expect("pairs");
                assert_eq!(pair_at(80, got.pair_index), (0, 40), "{isa:?} size={size}");
            }
        }
    }

    #[test]
    fn antipodal_distance_is_accurate() {
        let v = UnitVectors::from_interleaved_degrees(&[
            35.0, 140.0, -35.0, -40.0, 0.0, 0.0, 0.0, 90.0,
        ]);
        let half = std::f64::consts::PI * EARTH_RADIUS_KM;
        assert!((v.distance_km(0, 1) - half).abs() < 1e-6);
        assert!((v.distance_km(2, 3) - half / 2.0).abs() < 1e-9);
        assert_eq!(v.distance_km(2, 2), 0.0);
    }
}
