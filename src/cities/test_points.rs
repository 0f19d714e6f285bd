//! Deterministic random point sets shared by the kernels' tests (no extra crate needed).

/// The next number of a linear congruential sequence, uniform in [0, 1).
pub(crate) fn lcg(seed: &mut u64) -> f64 {
    *seed = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    (*seed >> 11) as f64 / (1u64 << 53) as f64
}

/// `n` points as `[lat0, lon0, lat1, lon1, ...]` in degrees, the same for the same seed.
pub(crate) fn random_coords(n: usize, seed: u64) -> Vec<f64> {
    let mut s = seed;
    (0..n)
        .flat_map(|_| [lcg(&mut s) * 180.0 - 90.0, lcg(&mut s) * 360.0 - 180.0])
        .collect()
}

/// Two tight clusters around antipodes, alternating: point `k` is `(lat, lon)` (even `k`) or
/// its antipode `(-lat, lon -+ 180)` (odd `k`), moved by the `k`-th of `offsets` (degrees,
/// added as they are to both centres), as `[lat0, lon0, lat1, lon1, ...]`.
pub(crate) fn antipodal_clusters(
    lat: f64,
    lon: f64,
    offsets: impl IntoIterator<Item = (f64, f64)>,
) -> Vec<f64> {
    let antipode = (-lat, if lon > 0.0 { lon - 180.0 } else { lon + 180.0 });
    offsets
        .into_iter()
        .enumerate()
        .flat_map(|(k, (dlat, dlon))| {
            let centre = if k % 2 == 0 { (lat, lon) } else { antipode };
            [centre.0 + dlat, centre.1 + dlon]
        })
        .collect()
}
