//! The exact farthest pair by geodesic distance on the WGS84 ellipsoid (Karney's algorithm, from
//! `geographiclib-rs`), found by evaluating the geodesic only on the few pairs that a proven bound
//! in terms of the spherical kernel's dot product cannot rule out.
//!
//! The kernels of [`super::dot`] treat each city as the unit vector of its geodetic normal,
//! `n = (cos φ cos λ, cos φ sin λ, sin φ)`, and find the pair with the smallest dot product. Here
//! `σ(p, q) = acos(n_p · n_q)` is the angle between the normals, and [`geodesic_upper_bound_m`]
//! bounds the geodesic distance `s(p, q)` by a function of `σ` alone, so that every pair that can
//! beat a known geodesic `s_lo` has `dot <= t(s_lo)` ([`dot_threshold`]): the spatial tree's
//! query.
//!
//! # The bound
//!
//! WGS84: `a` the equatorial radius, `f` the flattening, `b = a (1 - f)`, `e'² = (a² - b²) / b²`,
//! `D` half the meridian (the largest geodesic distance there is, about 20003.93 km).
//!
//! **Everywhere: `(b²/a) σ <= s <= (a²/b) σ`.** The normal `n` is the Gauss map of the ellipsoid,
//! a diffeomorphism onto the unit sphere whose differential is the shape operator, with principal
//! curvatures `1/M` and `1/N` (meridian and prime-vertical radii), so it stretches lengths by at
//! least `1/max(M, N) >= b/a²` and at most `1/min(M, N) <= a/b²` (`M = b²/a` at the equator,
//! `M = N = a²/b` at the poles). The geodesic maps to a path between the normals of length
//! `>= σ`, so `s >= (b²/a) σ`; the great-circle arc between the normals maps back to a path on
//! the ellipsoid of length `<= (a²/b) σ`, so `s <= (a²/b) σ`. The upper constant is reached by
//! short pairs near a pole, so no constant does better; near antipodes it is 0.5% loose.
//!
//! **Near antipodes: `s <= S(π - σ)`**, a bound that falls quadratically from `D`. On Karney's
//! auxiliary sphere (Karney 2013, "Algorithms for geodesics", J. Geod. 87, section 2) a geodesic
//! is a great-circle arc of length `σ12` between the points of reduced latitude `β` and
//! auxiliary longitude `ω`, with
//! `s = b ∫ sqrt(1 + k² sin² t) dt` over an interval of length `σ12`, `k² = e'² (1 - u²)`,
//! `u = sin α0 ∈ [0, 1]`, and `ω12 - λ12 = f u I3` with `0 <= I3 <= σ12` (I3's integrand is at
//! most 1). For the shortest geodesic `σ12 <= π` (checked here on every test pair: `a12 <= 180°`).
//! Three steps:
//! 1. The integrand has period π and is at least 1, so
//!    `s <= b (E(k) - (π - σ12))`, `E(k) = ∫_0^π sqrt(1 + k² sin² t) dt`; from
//!    `sqrt(1 + x) <= 1 + x/2 - x²/8 + x³/16` (`x >= 0`, the next Taylor term is negative),
//!    `b E(k) <= D⁺ - α u²` with `D⁺ = b π P(e'²)`, `P(x) = 1 + x/4 - 3x²/64 + 5x³/256`
//!    (`D⁺ - D` is 0.4 mm) and `α = b π e'² (1/4 - 3e'²/32)` (the least slope of `P`, about 33.5 km).
//! 2. The map `(φ, λ) -> (β, λ)` of the unit sphere commutes with the antipodal map and its
//!    inverse stretches lengths by at most `1/(1 - f)` (`dφ/dβ <= 1/(1 - f)`,
//!    `cos φ / cos β <= 1`), so the angle between `(β1, λ1)` and `(β2, λ2)` is at most
//!    `π - (1 - f) δ`, `δ = π - σ`. Moving the second point along its parallel by `ω12 - λ12`
//!    adds at most `f u π`: `σ12 <= π - (1 - f) δ + f π u`.
//! 3. Together, `s <= D⁺ - α u² - b max(0, (1 - f) δ - f π u)`, maximised over the unknown `u`
//!    in closed form: with `u* = (1 - f) δ / (f π)` and `u_v = b f π / (2 α)` (about 0.995),
//!    `S(δ) = D⁺ - α u*²` when `u* <= u_v`, else `D⁺ - α u_v² - b (1 - f) δ + b f π u_v`.
//!
//! So `s <= U(σ) = min((a²/b) σ, S(π - σ))`. `S` is tight where it matters: an equatorial pair
//! `δ = f π` apart in longitude has `s = π b = D - 33.6 km` while `S(f π) = D - 33.5 km`. A pair
//! that can beat `s_lo` needs `π - σ <= (f π / (1 - f)) sqrt((D⁺ - s_lo) / α)` (quadratic
//! regime), 1.8e-4 rad for `s_lo = D - 10 m`, against 1.6e-2 rad from `(a²/b) σ` alone.
//!
//! **Floating point.** Karney's `s12` is accurate to about 15 nm; every bound is used with a
//! margin of [`DISTANCE_MARGIN_M`] (1 mm) on distances and [`DOT_MARGIN`] (1e-12) on dot
//! products (the kernel's dot is within a few 1e-16 of the exact one), both far above the
//! rounding of the bounds themselves (relative 1e-15).

use std::f64::consts::PI;
use std::sync::OnceLock;

use geographiclib_rs::{Geodesic, InverseGeodesic};

use super::candidate::Candidate;
use super::dot::UnitVectors;
use crate::partition::{pair_at, row_start};

/// The model of the Earth distances are measured on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Earth {
    /// The notebook's sphere of radius 6371 km (great-circle distance).
    #[default]
    Sphere,
    /// The WGS84 ellipsoid (Karney's geodesic distance).
    Wgs84,
}

/// WGS84 equatorial radius in metres.
pub const WGS84_A_M: f64 = 6_378_137.0;
/// WGS84 flattening.
pub const WGS84_F: f64 = 1.0 / 298.257_223_563;
/// WGS84 polar semi-axis in metres.
pub const WGS84_B_M: f64 = WGS84_A_M * (1.0 - WGS84_F);
/// `K_LO = b²/a`: `s >= K_LO σ` for every pair (the Gauss map argument in the module docs).
pub const K_LO_M: f64 = WGS84_B_M * WGS84_B_M / WGS84_A_M;
/// `K_HI = a²/b`: `s <= K_HI σ` for every pair, reached by short pairs near a pole.
pub const K_HI_M: f64 = WGS84_A_M * WGS84_A_M / WGS84_B_M;
/// Absolute slack on distances in metres: far above Karney's 15 nm and the bounds' rounding.
pub const DISTANCE_MARGIN_M: f64 = 1e-3;
/// Absolute slack on dot products: far above the kernel's rounding (a few 1e-16).
pub const DOT_MARGIN: f64 = 1e-12;

/// `e'²`, the second eccentricity squared.
const EP2: f64 = WGS84_F * (2.0 - WGS84_F) / ((1.0 - WGS84_F) * (1.0 - WGS84_F));

/// The WGS84 geodesic solver, built once.
fn wgs84() -> &'static Geodesic {
    static GEOD: OnceLock<Geodesic> = OnceLock::new();
    GEOD.get_or_init(Geodesic::wgs84)
}

/// The geodesic (shortest path) distance in metres between two points given in degrees, by
/// Karney's algorithm: accurate to nanometres everywhere, nearly antipodal pairs included.
pub fn geodesic_m(lat1: f64, lon1: f64, lat2: f64, lon2: f64) -> f64 {
    wgs84().inverse(lat1, lon1, lat2, lon2)
}

/// The constants of the near-antipodal bound `S` (module docs, steps 1 to 3).
#[derive(Debug, Clone, Copy)]
struct AntipodalBound {
    /// `D⁺ = b π P(e'²)`, an upper bound of half the meridian.
    d_plus: f64,
    /// `α = b π e'² (1/4 - 3e'²/32)`.
    alpha: f64,
    /// `u_v = b f π / (2 α)`, the vertex of the linear regime.
    u_v: f64,
}

impl AntipodalBound {
    fn wgs84() -> AntipodalBound {
        let b = WGS84_B_M;
        let p = 1.0 + EP2 / 4.0 - 3.0 * EP2 * EP2 / 64.0 + 5.0 * EP2 * EP2 * EP2 / 256.0;
        let d_plus = b * PI * p;
        let alpha = b * PI * EP2 * (0.25 - 3.0 * EP2 / 32.0);
        let u_v = b * WGS84_F * PI / (2.0 * alpha);
        debug_assert!(u_v <= 1.0);
        AntipodalBound { d_plus, alpha, u_v }
    }

    /// `δ` where the quadratic regime ends.
    fn delta_v(&self) -> f64 {
        self.u_v * WGS84_F * PI / (1.0 - WGS84_F)
    }

    /// `S(δ)`: an upper bound of `s` for every pair whose normals are `π - δ` apart.
    fn s_of_delta(&self, delta: f64) -> f64 {
        let u_star = (1.0 - WGS84_F) * delta / (WGS84_F * PI);
        if u_star <= self.u_v {
            self.d_plus - self.alpha * u_star * u_star
        } else {
            let b = WGS84_B_M;
            self.d_plus - self.alpha * self.u_v * self.u_v - b * (1.0 - WGS84_F) * delta
                + b * WGS84_F * PI * self.u_v
        }
    }

    /// The largest `δ` with `S(δ) >= s` (`S` falls strictly).
    fn delta_reaching(&self, s: f64) -> f64 {
        let gap = (self.d_plus - s).max(0.0);
        let s_v = self.s_of_delta(self.delta_v());
        if s >= s_v {
            (gap / self.alpha).sqrt() * WGS84_F * PI / (1.0 - WGS84_F)
        } else {
            let b = WGS84_B_M;
            (self.d_plus - self.alpha * self.u_v * self.u_v + b * WGS84_F * PI * self.u_v - s)
                / (b * (1.0 - WGS84_F))
        }
    }
}

/// `U(σ) = min((a²/b) σ, S(π - σ))` in metres: at least the geodesic distance of every pair whose
/// geodetic normals are `σ` radians apart (`0 <= σ <= π`; proof in the module docs).
pub fn geodesic_upper_bound_m(sigma: f64) -> f64 {
    let sigma = sigma.clamp(0.0, PI);
    (K_HI_M * sigma).min(AntipodalBound::wgs84().s_of_delta(PI - sigma))
}

/// The least central angle `σ_t` with `U(σ_t) >= s`: a pair with `σ < σ_t` is shorter than `s`.
pub fn sigma_reaching(s: f64) -> f64 {
    let by_constant = s / K_HI_M;
    let by_antipodal = PI - AntipodalBound::wgs84().delta_reaching(s);
    by_constant.max(by_antipodal).clamp(0.0, PI)
}

/// The dot-product threshold that keeps every pair whose geodesic can reach `s_lo` metres (as
/// Karney computes it, so with [`DISTANCE_MARGIN_M`]): such a pair has kernel `dot <= t`.
pub fn dot_threshold(s_lo: f64) -> f64 {
    let target = s_lo - DISTANCE_MARGIN_M;
    let sigma_t = sigma_reaching(target);
    // cos(π - δ) as -cos(δ), which keeps its digits near -1.
    let cos_t = if sigma_t > PI / 2.0 {
        -(PI - sigma_t).cos()
    } else {
        sigma_t.cos()
    };
    cos_t + DOT_MARGIN
}

/// An upper bound in metres of the geodesic of a pair whose kernel dot product is `dot`,
/// margins included (the dot lowered by [`DOT_MARGIN`], the distance raised by
/// [`DISTANCE_MARGIN_M`]).
pub fn geodesic_upper_bound_for_dot(dot: f64) -> f64 {
    let sigma_up = (dot - DOT_MARGIN).clamp(-1.0, 1.0).acos();
    geodesic_upper_bound_m(sigma_up) + DISTANCE_MARGIN_M
}

/// The farthest pair by geodesic distance on the WGS84 ellipsoid, as the report shows it. The
/// searches rank [`Candidate`]s (keyed by minus the distance, by pair index on a tie, which is
/// `(i, j)` order); this is the winner with its cities.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GeodesicFarthest {
    /// The first city (the lower index).
    pub i: usize,
    /// The second city.
    pub j: usize,
    /// Karney's geodesic distance between them, in metres.
    pub distance_m: f64,
}

impl GeodesicFarthest {
    /// The pair and distance of `best`, a candidate among `n` points keyed by minus its metres.
    fn of(n: usize, best: Candidate) -> GeodesicFarthest {
        let (i, j) = pair_at(n as u64, best.pair_index);
        GeodesicFarthest {
            i: i as usize,
            j: j as usize,
            distance_m: -best.key,
        }
    }
}

/// The pair `(i, j)` (either order, `i != j`) of the `n` points `coords_deg` (`[lat0, lon0, ...]`)
/// keyed by minus its geodesic distance in metres.
fn pair_geodesic(coords_deg: &[f64], n: usize, i: usize, j: usize) -> Candidate {
    let (i, j) = (i.min(j), i.max(j));
    let distance_m = geodesic_m(
        coords_deg[2 * i],
        coords_deg[2 * i + 1],
        coords_deg[2 * j],
        coords_deg[2 * j + 1],
    );
    Candidate::farthest(distance_m, pair_index(n, i, j))
}

/// The index of the pair `(i, j)`, `i < j`, among `n` points.
fn pair_index(n: usize, i: usize, j: usize) -> u64 {
    row_start(n as u64, i as u64) + (j - i - 1) as u64
}

/// How [`farthest_geodesic_counted`] got its answer: the work the bound left.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FilterStats {
    /// The dot threshold asked of the tree.
    pub dot_threshold: f64,
    /// The pairs the tree returned.
    pub candidates: usize,
    /// The candidates whose geodesic was computed before the bound stopped the scan.
    pub evaluated: usize,
}

/// The exact farthest pair by Karney geodesic distance, ties to the lowest `(i, j)`, from the
/// spherical farthest pair and a query for every pair with kernel `dot <= t` (`i < j`).
///
/// Panics when `coords_deg` holds fewer than two points or `spherical_best` is not a pair of them.
pub fn farthest_geodesic(
    coords_deg: &[f64],
    spherical_best: (usize, usize),
    pairs_with_dot_at_most: &mut dyn FnMut(f64) -> Vec<(usize, usize)>,
) -> GeodesicFarthest {
    farthest_geodesic_counted(coords_deg, spherical_best, pairs_with_dot_at_most).0
}

/// [`farthest_geodesic`] with the filter's counts, for measurements.
pub fn farthest_geodesic_counted(
    coords_deg: &[f64],
    spherical_best: (usize, usize),
    pairs_with_dot_at_most: &mut dyn FnMut(f64) -> Vec<(usize, usize)>,
) -> (GeodesicFarthest, FilterStats) {
    let n = coords_deg.len() / 2;
    let (si, sj) = spherical_best;
    assert!(
        n >= 2 && si < n && sj < n && si != sj,
        "farthest_geodesic needs two distinct points of the set, got {spherical_best:?} of {n}"
    );
    // A real pair: its geodesic is a lower bound of the answer.
    let mut best = pair_geodesic(coords_deg, n, si, sj);
    let t = dot_threshold(-best.key);
    let vecs = UnitVectors::from_interleaved_degrees(coords_deg);
    // Keyed by the kernel's dot: sorted by dot, then by pair index, which is `(i, j)` order.
    let mut candidates: Vec<Candidate> = pairs_with_dot_at_most(t)
        .into_iter()
        .filter(|&(i, j)| i != j)
        .map(|(i, j)| {
            let (i, j) = (i.min(j), i.max(j));
            Candidate::new(vecs.dot(i, j), pair_index(n, i, j))
        })
        .collect();
    candidates.sort_unstable();
    candidates.dedup_by_key(|c| c.pair_index);
    let mut evaluated = 0;
    for c in &candidates {
        // Sorted by dot, so the bound only falls from here: nothing later can reach the best.
        if geodesic_upper_bound_for_dot(c.key) < -best.key {
            break;
        }
        evaluated += 1;
        let (i, j) = pair_at(n as u64, c.pair_index);
        best = Candidate::better(best, pair_geodesic(coords_deg, n, i as usize, j as usize));
    }
    let stats = FilterStats {
        dot_threshold: t,
        candidates: candidates.len(),
        evaluated,
    };
    (GeodesicFarthest::of(n, best), stats)
}

/// The reference: Karney's geodesic on every pair, the longest, ties to the lowest `(i, j)`.
///
/// Panics when `coords_deg` holds fewer than two points.
pub fn farthest_geodesic_brute(coords_deg: &[f64]) -> GeodesicFarthest {
    let n = coords_deg.len() / 2;
    assert!(n >= 2, "farthest_geodesic_brute needs two points, got {n}");
    let mut best = pair_geodesic(coords_deg, n, 0, 1);
    for i in 0..n {
        for j in i + 1..n {
            best = Candidate::better(best, pair_geodesic(coords_deg, n, i, j));
        }
    }
    GeodesicFarthest::of(n, best)
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use super::*;
    use crate::cities::dot::best_in_range;
    use crate::cities::test_points::{antipodal_clusters, lcg, random_coords};
    use crate::partition::pair_count;

    /// Half the meridian of WGS84 in metres (twice GeographicLib's quarter meridian, 10001965.7293127 m).
    /// The geodesic distance in metres and the arc length `a12` in degrees on the auxiliary
    /// sphere.
    fn geodesic_and_arc(lat1: f64, lon1: f64, lat2: f64, lon2: f64) -> (f64, f64) {
        wgs84().inverse(lat1, lon1, lat2, lon2)
    }

    const HALF_MERIDIAN_M: f64 = 20_003_931.458_625_4;

    /// The exact angle between two geodetic normals, `atan2(|u x v|, u . v)`.
    fn central_angle(lat1: f64, lon1: f64, lat2: f64, lon2: f64) -> f64 {
        let v = UnitVectors::from_interleaved_degrees(&[lat1, lon1, lat2, lon2]);
        v.distance_km(0, 1) / crate::cities::EARTH_RADIUS_KM
    }

    /// The spherical kernel's farthest pair over all pairs.
    fn spherical_best(coords: &[f64]) -> (usize, usize) {
        let vecs = UnitVectors::from_interleaved_degrees(coords);
        let n = vecs.len() as u64;
        let c = best_in_range(&vecs, 0..pair_count(n)).expect("two points");
        let (i, j) = pair_at(n, c.pair_index);
        (i as usize, j as usize)
    }

    /// What the tree's query returns, by brute force in the kernel's order of operations.
    fn all_pairs_with_dot_at_most(coords: &[f64]) -> impl FnMut(f64) -> Vec<(usize, usize)> {
        let vecs = UnitVectors::from_interleaved_degrees(coords);
        move |t| {
            let n = vecs.len();
            let mut out = Vec::new();
            for i in 0..n {
                for j in i + 1..n {
                    if vecs.dot(i, j) <= t {
                        out.push((i, j));
                    }
                }
            }
            out
        }
    }

    fn filtered(coords: &[f64]) -> (GeodesicFarthest, FilterStats) {
        let mut query = all_pairs_with_dot_at_most(coords);
        farthest_geodesic_counted(coords, spherical_best(coords), &mut query)
    }

    fn assert_same(got: GeodesicFarthest, want: GeodesicFarthest, what: &str) {
        assert_eq!(
            (got.i, got.j, got.distance_m.to_bits()),
            (want.i, want.j, want.distance_m.to_bits()),
            "{what}: {got:?} against brute force {want:?}"
        );
    }

    #[test]
    fn geodesic_is_finite_and_bounded_in_hard_cases() {
        let cases = [
            (45.0, 0.0, -45.0, 179.572719),
            (0.0, 0.0, 0.0, 180.0),
            (90.0, 0.0, -90.0, 0.0),
            (90.0, 12.0, -90.0, -77.0),
            (30.0, 40.0, -30.0, -140.0),
            (0.0, 0.0, 0.5, 179.5),
            (0.0, 0.0, 0.0, 179.4),
            (0.0, 0.0, 1e-9, 179.999999999),
            (10.0, 20.0, 10.0 + 1e-9, 20.0 + 1e-9),
            (89.999999999, 0.0, -89.999999999, 180.0),
            (-90.0, 0.0, 90.0, 180.0),
            (0.0, -180.0, 0.0, 180.0),
            (12.0, 34.0, 12.0, 34.0),
        ];
        for (la1, lo1, la2, lo2) in cases {
            let (s, a12) = geodesic_and_arc(la1, lo1, la2, lo2);
            assert!(s.is_finite(), "{s} for {la1} {lo1} {la2} {lo2}");
            assert!(
                (0.0..=HALF_MERIDIAN_M + 1e-3).contains(&s),
                "{s} for {la1} {lo1} {la2} {lo2}"
            );
            assert!((0.0..=180.0).contains(&a12), "a12 {a12}");
            assert_eq!(s.to_bits(), geodesic_m(la1, lo1, la2, lo2).to_bits());
        }
        // Antipodes are half a meridian apart, over a pole even on the equator.
        for (la, lo) in [(0.0, 0.0), (45.0, 10.0), (90.0, 0.0), (-33.0, -170.0)] {
            let s = geodesic_m(la, lo, -la, lo + 180.0);
            assert!((s - HALF_MERIDIAN_M).abs() < 1e-6, "{s} at ({la}, {lo})");
        }
        let s = geodesic_m(10.0, 20.0, 10.0 + 1e-9, 20.0 + 1e-9);
        assert!(s > 0.0 && s < 1e-3, "{s}");
        // The equatorial conjugate point is π b away, along the equator.
        let s = geodesic_m(0.0, 0.0, 0.0, 180.0 * (1.0 - WGS84_F));
        assert!((s - PI * WGS84_B_M).abs() < 1e-3, "{s}");
    }

    #[test]
    fn antipodal_bound_constants_are_as_documented() {
        let ab = AntipodalBound::wgs84();
        assert!(ab.d_plus >= HALF_MERIDIAN_M && ab.d_plus - HALF_MERIDIAN_M < 0.1);
        assert!((ab.alpha - 33_500.0).abs() < 200.0, "{}", ab.alpha);
        assert!(ab.u_v < 1.0 && ab.u_v > 0.99, "{}", ab.u_v);
        // S is continuous where the regimes meet, and delta_reaching inverts it.
        let dv = ab.delta_v();
        let (l, r) = (
            ab.s_of_delta(dv * (1.0 - 1e-12)),
            ab.s_of_delta(dv * (1.0 + 1e-12)),
        );
        assert!((l - r).abs() < 1e-6, "{l} {r}");
        for delta in [0.0, 1e-6, 1e-4, 1e-3, 0.01, dv, 0.02, 0.5, 3.0] {
            let s = ab.s_of_delta(delta);
            let back = ab.delta_reaching(s);
            assert!(
                (back - delta).abs() <= 1e-9 * (1.0 + delta),
                "{delta} {back}"
            );
        }
        // The tight pair: equatorial points f π apart in longitude.
        let delta = WGS84_F * PI;
        let s = geodesic_m(0.0, 0.0, 0.0, 180.0 - delta.to_degrees());
        let u = geodesic_upper_bound_m(PI - delta);
        assert!(s <= u && u - s < 500.0, "s {s} U {u}");
    }

    /// One pair of the empirical check: `(lat1, lon1, lat2, lon2)`.
    fn random_pair(seed: &mut u64, k: usize) -> (f64, f64, f64, f64) {
        let mut r = || lcg(seed);
        let lat = |x: f64| (x * 2.0 - 1.0).asin().to_degrees();
        let (la1, lo1) = (lat(r()), r() * 360.0 - 180.0);
        match k % 8 {
            // Uniform on the sphere.
            0 | 1 => (la1, lo1, lat(r()), r() * 360.0 - 180.0),
            // Near-antipodal, offsets from 1e-10 to 1 degree.
            2..=4 => {
                let scale = 10f64.powf(-10.0 * r());
                let (dla, dlo) = ((r() - 0.5) * scale, (r() - 0.5) * scale * 2.0);
                let la2 = (-la1 + dla).clamp(-90.0, 90.0);
                (la1, lo1, la2, lo1 + 180.0 + dlo)
            }
            // Near-antipodal on the equator and along its cut locus.
            5 => {
                let la1 = (r() - 0.5) * 10f64.powf(-6.0 * r());
                let dlo = r() * 0.7;
                (la1, lo1, -la1 + (r() - 0.5) * 1e-3, lo1 + 180.0 - dlo)
            }
            // Short pairs near a pole, where K_HI is reached.
            6 => {
                let la1 = 90.0 - r() * 1e-2;
                let d = 10f64.powf(-8.0 * r());
                (la1, lo1, (la1 - d * r()).clamp(-90.0, 90.0), lo1 + d * r())
            }
            // Poles, equator and meridians exactly.
            _ => match (k / 8) % 5 {
                0 => (90.0, lo1, -90.0, r() * 360.0 - 180.0),
                1 => (0.0, lo1, 0.0, r() * 360.0 - 180.0),
                2 => (la1, lo1, lat(r()), lo1),
                3 => (la1, lo1, lat(r()), lo1 + 180.0),
                _ => (90.0, 0.0, la1, lo1),
            },
        }
    }

    #[test]
    fn bound_holds_on_a_million_pairs() {
        let mut seed = 0x5eed_0084;
        let (mut lo_ratio, mut hi_ratio) = (f64::INFINITY, 0.0f64);
        let mut least_gap_to_u = f64::INFINITY;
        let mut least_gap_pair = (0.0, 0.0, 0.0, 0.0);
        let (mut max_a12, mut max_s) = (0.0f64, 0.0f64);
        let mut near = 0usize;
        let pairs = 1_000_000;
        for k in 0..pairs {
            let (la1, lo1, la2, lo2) = random_pair(&mut seed, k);
            let (s, a12) = geodesic_and_arc(la1, lo1, la2, lo2);
            assert!((0.0..=HALF_MERIDIAN_M + 1e-3).contains(&s), "{s}");
            max_a12 = max_a12.max(a12);
            max_s = max_s.max(s);
            let sigma = central_angle(la1, lo1, la2, lo2);
            // The kernel's own dot, as the filter sees it.
            let v = UnitVectors::from_interleaved_degrees(&[la1, lo1, la2, lo2]);
            let u_dot = geodesic_upper_bound_for_dot(v.dot(0, 1));
            assert!(s <= u_dot, "s {s} > U {u_dot} at {la1} {lo1} {la2} {lo2}");
            let u = geodesic_upper_bound_m(sigma);
            assert!(
                s <= u + DISTANCE_MARGIN_M,
                "s {s} > U {u} at {la1} {lo1} {la2} {lo2}"
            );
            assert!(K_LO_M * sigma <= s + DISTANCE_MARGIN_M, "{s} {sigma}");
            if sigma > 1e-6 {
                let r = s / sigma;
                lo_ratio = lo_ratio.min(r);
                hi_ratio = hi_ratio.max(r);
            }
            if PI - sigma < 0.05 {
                near += 1;
                if u - s < least_gap_to_u {
                    least_gap_to_u = u - s;
                    least_gap_pair = (la1, lo1, la2, lo2);
                }
            }
        }
        assert!(max_a12 <= 180.0, "a12 {max_a12}");
        // σ of a short pair carries the unit vectors' rounding (1e-16 absolute).
        assert!(
            lo_ratio >= K_LO_M * (1.0 - 1e-9) && hi_ratio <= K_HI_M * (1.0 + 1e-9),
            "s/σ in [{lo_ratio}, {hi_ratio}]"
        );
        eprintln!(
            "{pairs} pairs ({near} within 0.05 rad of antipodal): s/σ in [{lo_ratio:.3}, \
             {hi_ratio:.3}] m against [K_LO, K_HI] = [{K_LO_M:.3}, {K_HI_M:.3}]; \
             least U(σ) - s near antipodes {least_gap_to_u:.3} m at {least_gap_pair:?}; \
             largest a12 {max_a12}°, largest s {max_s:.4} m"
        );
    }

    #[test]
    fn filtered_equals_brute_force_on_random_sets() {
        for (n, seed) in [
            (2, 1),
            (3, 2),
            (5, 3),
            (17, 4),
            (64, 5),
            (200, 6),
            (777, 7),
            (2000, 8),
        ] {
            let coords = random_coords(n, seed);
            let (got, stats) = filtered(&coords);
            assert_same(got, farthest_geodesic_brute(&coords), &format!("n {n}"));
            assert!(stats.evaluated <= stats.candidates);
        }
    }

    /// `data/cities.csv` (`name,country,latitude,longitude,population`) as coordinates.
    fn cities_csv() -> Vec<f64> {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/data/cities.csv");
        let text = std::fs::read_to_string(path).expect("data/cities.csv");
        text.lines()
            .skip(1)
            .filter(|l| !l.trim().is_empty())
            .flat_map(|l| {
                let f: Vec<&str> = l.split(',').collect();
                let n = f.len();
                [f[n - 3], f[n - 2]].map(|x| x.trim().parse::<f64>().expect("a number"))
            })
            .collect()
    }

    #[test]
    fn filtered_equals_brute_force_on_the_cities_file() {
        let coords = cities_csv();
        assert_eq!(coords.len(), 2000);
        let (got, stats) = filtered(&coords);
        assert_same(got, farthest_geodesic_brute(&coords), "data/cities.csv");
        eprintln!(
            "cities.csv: {got:?}, {} candidates, {} evaluated",
            stats.candidates, stats.evaluated
        );
    }

    #[test]
    fn filtered_equals_brute_force_on_degenerate_sets() {
        let mut sets: Vec<(&str, Vec<f64>)> = vec![
            ("all equal", [12.5, -7.25].repeat(40)),
            ("two points equal", vec![1.0, 2.0, 1.0, 2.0]),
            (
                "poles",
                [90.0, 0.0, -90.0, 0.0, 90.0, 45.0, -90.0, -120.0].repeat(3),
            ),
            (
                "exact antipodes",
                vec![
                    0.0, 0.0, 0.0, 180.0, 45.0, 10.0, -45.0, -170.0, 30.0, 0.0, -30.0, 180.0,
                    -60.0, 33.0, 60.0, -147.0,
                ],
            ),
        ];
        let mut dup = random_coords(50, 11);
        dup.extend_from_within(..);
        sets.push(("duplicates", dup));
        sets.push((
            "one meridian",
            (0..60)
                .flat_map(|k| {
                    [
                        -90.0 + 3.0 * k as f64,
                        if k % 2 == 0 { 20.0 } else { -160.0 },
                    ]
                })
                .collect(),
        ));
        let mut seed = 99;
        let offsets = (0..120).map(|_| {
            let dla = (lcg(&mut seed) - 0.5) * 1e-3;
            (dla, (lcg(&mut seed) - 0.5) * 1e-3)
        });
        let clusters = antipodal_clusters(10.0, 40.0, offsets);
        sets.push(("two tight antipodal clusters", clusters));
        let mut eq = Vec::new();
        for k in 0..100 {
            let dlo = lcg(&mut seed) * 0.8;
            if k % 2 == 0 {
                eq.extend([0.0, dlo]);
            } else {
                eq.extend([0.0, 180.0 - dlo]);
            }
        }
        sets.push(("equatorial near antipodes (the cut locus)", eq));
        for (what, coords) in sets {
            let (got, _) = filtered(&coords);
            assert_same(got, farthest_geodesic_brute(&coords), what);
        }
    }

    #[test]
    fn filtered_is_deterministic_and_ignores_duplicate_candidates() {
        let coords = random_coords(300, 21);
        let best = spherical_best(&coords);
        let mut plain = all_pairs_with_dot_at_most(&coords);
        let mut inner = all_pairs_with_dot_at_most(&coords);
        let mut doubled_reversed = move |t: f64| {
            let mut v: Vec<(usize, usize)> = inner(t).into_iter().map(|(i, j)| (j, i)).collect();
            v.extend_from_within(..);
            v.reverse();
            v
        };
        let a = farthest_geodesic(&coords, best, &mut plain);
        let b = farthest_geodesic(&coords, best, &mut doubled_reversed);
        assert_same(a, b, "doubled, reversed candidates");
    }

    /// Every pair `i < j` with kernel `dot <= t`, for `t` near -1, from a grid of cells of side
    /// `h >= |n_i + n_j|` hashed on the unit vectors: a point's partners lie in the 27 cells
    /// around its antipode. The same pairs as [`all_pairs_with_dot_at_most`], in O(n + pairs).
    fn near_antipodal_pairs(coords: &[f64]) -> impl FnMut(f64) -> Vec<(usize, usize)> {
        let vecs = UnitVectors::from_interleaved_degrees(coords);
        let n = vecs.len();
        let xyz: Vec<[f64; 3]> = (0..n)
            .map(|i| {
                let (la, lo) = (coords[2 * i].to_radians(), coords[2 * i + 1].to_radians());
                [la.cos() * lo.cos(), la.cos() * lo.sin(), la.sin()]
            })
            .collect();
        move |t| {
            // dot <= t means |n_i + n_j|² = 2 + 2 dot <= 2 + 2t; slack for rounding.
            let h = (2.0 + 2.0 * t).max(0.0).sqrt() + 1e-7;
            let cell = |p: [f64; 3]| p.map(|c| (c / h).floor() as i64);
            let mut grid: std::collections::HashMap<[i64; 3], Vec<usize>> =
                std::collections::HashMap::new();
            for (i, p) in xyz.iter().enumerate() {
                grid.entry(cell(*p)).or_default().push(i);
            }
            let mut out = Vec::new();
            for (i, p) in xyz.iter().enumerate() {
                let c = cell(p.map(|v| -v));
                for dx in -1..=1 {
                    for dy in -1..=1 {
                        for dz in -1..=1 {
                            let Some(js) = grid.get(&[c[0] + dx, c[1] + dy, c[2] + dz]) else {
                                continue;
                            };
                            for &j in js {
                                if j > i && vecs.dot(i, j) <= t {
                                    out.push((i, j));
                                }
                            }
                        }
                    }
                }
            }
            out.sort_unstable();
            out
        }
    }

    /// The kernel's farthest pair (smallest dot, lowest pair index) from the grid enumerator.
    fn spherical_best_by_grid(coords: &[f64]) -> (usize, usize) {
        let vecs = UnitVectors::from_interleaved_degrees(coords);
        let mut query = near_antipodal_pairs(coords);
        let mut t = -1.0 + 1e-8;
        loop {
            let pairs = query(t);
            if let Some(&(i, j)) = pairs.iter().min_by(|p, q| {
                vecs.dot(p.0, p.1)
                    .total_cmp(&vecs.dot(q.0, q.1))
                    .then(p.cmp(q))
            }) {
                return (i, j);
            }
            t = -1.0 + (t + 1.0) * 16.0;
        }
    }

    #[test]
    fn grid_enumerator_matches_all_pairs() {
        let coords = random_coords(3000, 5);
        let mut grid = near_antipodal_pairs(&coords);
        let mut all = all_pairs_with_dot_at_most(&coords);
        for t in [-1.0, -0.999_999_9, -0.999_99, -0.9995] {
            assert_eq!(grid(t), all(t), "t {t}");
        }
        assert_eq!(spherical_best_by_grid(&coords), spherical_best(&coords));
    }

    /// Points uniform on the sphere (`random_coords` is uniform in degrees, denser at the poles).
    fn sphere_uniform_coords(n: usize, seed: u64) -> Vec<f64> {
        let mut s = seed;
        (0..n)
            .flat_map(|_| {
                let z: f64 = lcg(&mut s) * 2.0 - 1.0;
                [z.asin().to_degrees(), lcg(&mut s) * 360.0 - 180.0]
            })
            .collect()
    }

    /// Candidates and time for random points (`cargo test --release -- --ignored measure
    /// --nocapture`): O(n²) all-pairs enumeration up to 1e5, the grid enumerator beyond.
    #[test]
    #[ignore]
    fn measure_filter() {
        let t0 = Instant::now();
        let calls = 1_000_000;
        let mut seed = 7;
        let mut acc = 0.0;
        for _ in 0..calls {
            let (la1, lo1, la2, lo2) = random_pair(&mut seed, 0);
            acc += geodesic_m(la1, lo1, la2, lo2);
        }
        let per_call = t0.elapsed().as_secs_f64() / calls as f64;
        eprintln!(
            "Karney inverse: {:.3} us per call ({acc:.0})",
            per_call * 1e6
        );
        for (n, dist) in [
            (10_000usize, "degrees"),
            (10_000, "sphere"),
            (100_000, "degrees"),
            (100_000, "sphere"),
            (1_000_000, "degrees"),
            (1_000_000, "sphere"),
        ] {
            let coords = if dist == "degrees" {
                random_coords(n, 1234 + n as u64)
            } else {
                sphere_uniform_coords(n, 4321 + n as u64)
            };
            let brute = n <= 100_000;
            let t0 = Instant::now();
            let best = if brute {
                spherical_best(&coords)
            } else {
                spherical_best_by_grid(&coords)
            };
            let t_sph = t0.elapsed();
            let mut all = all_pairs_with_dot_at_most(&coords);
            let mut grid = near_antipodal_pairs(&coords);
            let query: &mut dyn FnMut(f64) -> Vec<(usize, usize)> =
                if brute { &mut all } else { &mut grid };
            let t1 = Instant::now();
            let (got, stats) = farthest_geodesic_counted(&coords, best, query);
            let t_all = t1.elapsed();
            let s_lo = -pair_geodesic(&coords, n, best.0, best.1).key;
            let t_const = (s_lo - DISTANCE_MARGIN_M) / K_HI_M;
            // A uniform random pair has σ >= θ with probability (1 + cos θ) / 2.
            let frac_const = (1.0 + t_const.cos()) / 2.0;
            eprintln!(
                "n {n} uniform in {dist}: spherical best {best:?} s_lo {s_lo:.3} m (D - {:.3}); \
                 answer {got:?}; threshold dot <= {:.12} (π - σ_t = {:.3e} rad); {} \
                 candidates, {} evaluated; spherical best {t_sph:.2?}, query + Karney \
                 {t_all:.2?} ({}); K_HI alone: π - σ_t = {:.3e}, ~{:.0} pairs on the sphere",
                HALF_MERIDIAN_M - s_lo,
                stats.dot_threshold,
                (-stats.dot_threshold).acos(),
                stats.candidates,
                stats.evaluated,
                if brute { "O(n²) query" } else { "grid query" },
                PI - t_const,
                frac_const * pair_count(n as u64) as f64,
            );
        }
    }
}
