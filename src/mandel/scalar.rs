//! The escape-count kernel: the seed notebook's `mandel1`, one pixel at a time.
//!
//! This is the scalar reference every faster kernel must match exactly. It uses plain `f64`
//! arithmetic in a fixed order and no `mul_add` (Rust never contracts to FMA by itself), so a
//! pixel's count is the same bits on every rank. The smooth count uses only `+ - * /` too,
//! through [`log2_portable`], so it does not depend on the platform's `libm`.

use num_complex::Complex;

use super::error::MandelError;
use super::viewport::Viewport;

/// `|z|^2` past which the smooth count stops its extra iterations (`|z| >= 10^5`).
pub const SMOOTH_BAILOUT_NORM_SQR: f64 = 1e10;

/// Most extra iterations the smooth count runs past escape; an orbit stuck at `|z| = 2`
/// (as for `c = -2`) would otherwise never reach the larger bailout.
pub const SMOOTH_EXTRA_ITER: u32 = 16;

/// Refuses `--max-iter 0`, which would leave every pixel uncomputed.
pub fn check_max_iter(max_iter: u32) -> Result<u32, MandelError> {
    if max_iter == 0 {
        Err(MandelError::ZeroMaxIter)
    } else {
        Ok(max_iter)
    }
}

/// Iterations before `z -> z^2 + c` leaves the disc `|z| < 2`, or `max_iter` if it never does.
///
/// Exactly the notebook's `mandel1`: the count is the 0-based index of the escaping step.
pub fn escape_count(c: Complex<f64>, max_iter: u32) -> u32 {
    let mut z = Complex::new(0.0, 0.0);
    for i in 0..max_iter {
        z = z * z + c;
        if z.norm_sqr() >= 4.0 {
            return i;
        }
    }
    max_iter
}

/// [`escape_count`] that also returns the first `z` outside the disc (same operations, same bits).
fn escape_count_and_z(c: Complex<f64>, max_iter: u32) -> (u32, Complex<f64>) {
    let mut z = Complex::new(0.0, 0.0);
    for i in 0..max_iter {
        z = z * z + c;
        if z.norm_sqr() >= 4.0 {
            return (i, z);
        }
    }
    (max_iter, z)
}

/// Continuous iteration count in `[0, max_iter]` that removes the colour bands of integer counts.
///
/// `count` is the exact count and `z` the first value outside the disc; the orbit then runs
/// up to [`SMOOTH_EXTRA_ITER`] more steps, until `|z|^2 >= SMOOTH_BAILOUT_NORM_SQR`, and
/// `mu = k - log2(log2 |z_k|)` for the final step `k` (with `z_1 = c`). Ignoring the `+ c`
/// term, an orbit leaving at `|z| = 2` gives `count + 1` and one leaving at `|z| = 4` gives
/// `count`, so bands join up; near `|c| = 2` mu strays from `count` by up to about one more.
/// An orbit that lingers at `|z| ~ 2` for all the extra steps (the tip `c = -2`, which is in the
/// set) gets a large mu, as befits it. Never-escaping pixels give `max_iter`.
pub(super) fn smooth_from_escape(
    c: Complex<f64>,
    count: u32,
    mut z: Complex<f64>,
    max_iter: u32,
) -> f32 {
    if count >= max_iter {
        return max_iter as f32;
    }
    let mut k = f64::from(count) + 1.0;
    let mut extra = 0;
    while z.norm_sqr() < SMOOTH_BAILOUT_NORM_SQR && extra < SMOOTH_EXTRA_ITER {
        z = z * z + c;
        k += 1.0;
        extra += 1;
    }
    let mu = k - log2_portable(0.5 * log2_portable(z.norm_sqr()));
    if mu.is_nan() {
        return 0.0;
    }
    mu.clamp(0.0, f64::from(max_iter)) as f32
}

/// [`smooth_from_escape`] for `N` escaped pixels at once (`count[i] < max_iter`), each first
/// advanced `steps[i]` steps from `z[i]` to its first value outside the disc.
///
/// The same operations in the same order per pixel, so the same bits, with the pixels as the
/// inner loop: their chains of dependent operations (the steps, then two `log2`s) overlap, or
/// run in SIMD lanes, instead of one pixel's latency after another's.
pub(super) fn smooth_from_block<const N: usize>(
    c: &[Complex<f64>; N],
    mut z: [Complex<f64>; N],
    steps: &[u32; N],
    count: &[u32; N],
    max_iter: u32,
) -> [f32; N] {
    let most = steps.iter().copied().max().unwrap_or(0);
    for step in 0..most {
        for i in 0..N {
            let next = z[i] * z[i] + c[i];
            z[i] = if step < steps[i] { next } else { z[i] };
        }
    }
    let mut k: [f64; N] = std::array::from_fn(|i| f64::from(count[i]) + 1.0);
    // Once a pixel's |z|^2 reaches the bailout (or is NaN) it stays put, as the scalar loop stops.
    for _ in 0..SMOOTH_EXTRA_ITER {
        for i in 0..N {
            let go = z[i].norm_sqr() < SMOOTH_BAILOUT_NORM_SQR;
            let next = z[i] * z[i] + c[i];
            z[i] = if go { next } else { z[i] };
            k[i] += if go { 1.0 } else { 0.0 };
        }
    }
    let log_norm = log2_lanes(z.map(|z| z.norm_sqr()));
    let log_log = log2_lanes(log_norm.map(|l| 0.5 * l));
    std::array::from_fn(|i| {
        let mu = k[i] - log_log[i];
        if count[i] >= max_iter {
            max_iter as f32
        } else if mu.is_nan() {
            0.0
        } else {
            mu.clamp(0.0, f64::from(max_iter)) as f32
        }
    })
}

/// The continuous count of one point, as [`render_row`] stores it when asked for smooth values.
pub fn smooth_count(c: Complex<f64>, max_iter: u32) -> f32 {
    let (count, z) = escape_count_and_z(c, max_iter);
    smooth_from_escape(c, count, z, max_iter)
}

/// Fills `counts` (and `smooth`, if given) for image row `row`, column 0 first.
///
/// `counts` are exactly [`escape_count`]'s; `smooth` gets a continuous count in
/// `[0, max_iter]` for colouring without bands (see [`smooth_count`]), the same bits on any rank.
///
/// # Panics
/// If `row >= view.height()` or a buffer's length is not `view.width()`: a caller's bug.
pub fn render_row(
    view: &Viewport,
    row: u32,
    max_iter: u32,
    counts: &mut [u32],
    smooth: Option<&mut [f32]>,
) {
    let width = view.width() as usize;
    assert_eq!(counts.len(), width, "counts buffer must hold one row");
    let y = view.y_at(row);
    match smooth {
        None => {
            for (col, count) in (0u32..).zip(counts.iter_mut()) {
                *count = escape_count(Complex::new(view.x_at(col), y), max_iter);
            }
        }
        Some(smooth) => {
            assert_eq!(smooth.len(), width, "smooth buffer must hold one row");
            for ((col, count), mu) in (0u32..).zip(counts.iter_mut()).zip(smooth.iter_mut()) {
                let c = Complex::new(view.x_at(col), y);
                let (n, z) = escape_count_and_z(c, max_iter);
                *count = n;
                *mu = smooth_from_escape(c, n, z, max_iter);
            }
        }
    }
}

/// One call's work for an f64 kernel: listed rows of a view (in any order) and the buffers
/// they go into, `rows.len() * view.width()` values each; smooth values only where `smooth` is
/// given.
pub struct RowsJob<'a> {
    /// The view.
    pub view: &'a Viewport,
    /// The rows to render, each at most `view.height() - 1`.
    pub rows: &'a [u32],
    /// The iteration limit.
    pub max_iter: u32,
    /// The rows' counts, one row after another.
    pub counts: &'a mut [u32],
    /// The rows' smooth values, if wanted.
    pub smooth: Option<&'a mut [f32]>,
}

impl<'a> RowsJob<'a> {
    /// The job of rendering `rows` of `view` into `counts` (and `smooth`).
    pub fn new(
        view: &'a Viewport,
        rows: &'a [u32],
        max_iter: u32,
        counts: &'a mut [u32],
        smooth: Option<&'a mut [f32]>,
    ) -> RowsJob<'a> {
        RowsJob {
            view,
            rows,
            max_iter,
            counts,
            smooth,
        }
    }

    /// Checks that each buffer holds every listed row.
    ///
    /// # Panics
    /// If a buffer's length is not `rows.len() * view.width()`.
    pub fn check_buffers(&self) {
        let values = self.rows.len() * self.view.width() as usize;
        assert_eq!(
            self.counts.len(),
            values,
            "counts buffer must hold every listed row"
        );
        if let Some(smooth) = self.smooth.as_ref() {
            assert_eq!(
                smooth.len(),
                values,
                "smooth buffer must hold every listed row"
            );
        }
    }
}

/// Renders the listed rows one after another into the job's buffers, e.g. a rank's share.
///
/// # Panics
/// If a row is past the bottom or a buffer's length is not `rows.len() * view.width()`.
pub fn render_rows(job: RowsJob) {
    job.check_buffers();
    let (view, rows, max_iter) = (job.view, job.rows, job.max_iter);
    let width = view.width() as usize;
    let counts = job.counts.chunks_exact_mut(width);
    match job.smooth {
        None => {
            for (&row, out) in rows.iter().zip(counts) {
                render_row(view, row, max_iter, out, None);
            }
        }
        Some(smooth) => {
            let smooth = smooth.chunks_exact_mut(width);
            for ((&row, out), mu) in rows.iter().zip(counts).zip(smooth) {
                render_row(view, row, max_iter, out, Some(mu));
            }
        }
    }
}

/// `1 / (2k + 1)` for k in 0..13, the atanh series' coefficients, rounded once at compile time
/// (the same bits as dividing at run time, without 13 divisions per call).
const ODD_RECIPROCALS: [f64; 13] = {
    let mut table = [0.0; 13];
    let mut k = 0;
    while k < 13 {
        table[k] = 1.0 / (2 * k + 1) as f64;
        k += 1;
    }
    table
};

/// `log2(x)` from `+ - * /` and bit manipulation only, so it gives the same bits everywhere.
///
/// Accurate to a few ulp for positive finite `x`; `0 -> -inf`, `inf -> inf`, negative or NaN
/// -> NaN.
pub fn log2_portable(x: f64) -> f64 {
    const TWO_POW_54: f64 = 18_014_398_509_481_984.0;
    if x.is_nan() || x < 0.0 {
        return f64::NAN;
    }
    if x == 0.0 {
        return f64::NEG_INFINITY;
    }
    if x.is_infinite() {
        return f64::INFINITY;
    }
    if !is_positive_normal(x) {
        // Subnormal: scale into the normal range first.
        return log2_portable(x * TWO_POW_54) - 54.0;
    }
    log2_lanes([x])[0]
}

/// Whether `x` is a positive, finite, normal number: [`log2_lanes`]' domain.
#[inline(always)]
fn is_positive_normal(x: f64) -> bool {
    x.is_normal() && x > 0.0
}

/// [`log2_portable`] of `N` numbers, the lanes innermost; outside the positive normal numbers
/// it falls back to [`log2_portable`] itself.
#[inline(always)]
fn log2_lanes<const N: usize>(x: [f64; N]) -> [f64; N] {
    const LOG2_E: f64 = std::f64::consts::LOG2_E;
    let mut e = [0.0; N];
    let mut s = [0.0; N];
    for i in 0..N {
        let bits = x[i].to_bits();
        let biased = ((bits >> 52) & 0x7ff) as i32;
        let m = f64::from_bits((bits & ((1u64 << 52) - 1)) | (1023u64 << 52));
        let high = m > std::f64::consts::SQRT_2;
        let m = if high { m * 0.5 } else { m };
        e[i] = f64::from(biased - 1023 + i32::from(high));
        s[i] = (m - 1.0) / (m + 1.0);
    }
    // ln m = 2 atanh(s) = 2 (s + s^3/3 + s^5/5 + ...) with |s| <= 0.1716, so 13 terms reach 1e-20.
    let s2 = s.map(|s| s * s);
    let mut series = [0.0; N];
    for &reciprocal in ODD_RECIPROCALS.iter().rev() {
        for i in 0..N {
            series[i] = series[i] * s2[i] + reciprocal;
        }
    }
    std::array::from_fn(|i| {
        if is_positive_normal(x[i]) {
            e[i] + 2.0 * s[i] * series[i] * LOG2_E
        } else {
            log2_portable(x[i])
        }
    })
}

#[cfg(test)]
mod tests {
    use super::super::viewport::DEFAULT_MAX_ITER;
    use super::*;

    #[test]
    fn known_counts() {
        assert_eq!(escape_count(Complex::new(0.0, 0.0), 80), 80);
        assert_eq!(escape_count(Complex::new(-1.0, 0.0), 80), 80);
        // c = 1: z = 1, 2 -> escapes at the second step, index 1.
        assert_eq!(escape_count(Complex::new(1.0, 0.0), 80), 1);
        // c = 2: z = 2 already has |z|^2 = 4.
        assert_eq!(escape_count(Complex::new(2.0, 0.0), 80), 0);
        assert_eq!(escape_count(Complex::new(-2.0, 0.0), 80), 0);
        // c = i: 0 -> i -> -1+i -> -i -> -1+i ... is periodic, never escapes.
        assert_eq!(escape_count(Complex::new(0.0, 1.0), 1000), 1000);
        // c = 0.26 is just outside the cusp at 1/4: escapes late.
        let n = escape_count(Complex::new(0.26, 0.0), 1000);
        assert!((10..1000).contains(&n), "{n}");
    }

    #[test]
    fn max_iter_zero_gives_zero_and_is_refused() {
        assert_eq!(escape_count(Complex::new(0.0, 0.0), 0), 0);
        assert_eq!(check_max_iter(0), Err(MandelError::ZeroMaxIter));
        assert_eq!(check_max_iter(DEFAULT_MAX_ITER), Ok(80));
    }

    #[test]
    fn count_and_z_agree_with_reference() {
        let v = Viewport::new(-2.2, 0.8, -1.3, 1.3, 97, 61).expect("valid view");
        for r in 0..v.height() {
            for j in 0..v.width() {
                let c = v.c_at(j, r);
                assert_eq!(escape_count_and_z(c, 200).0, escape_count(c, 200));
            }
        }
    }

    #[test]
    fn default_view_rows_match_direct_calls() {
        let v = Viewport::new(-2.0, 1.0, -1.0, 1.0, 300, 200).expect("valid view");
        let w = v.width() as usize;
        let mut counts = vec![u32::MAX; w];
        let mut smooth = vec![f32::NAN; w];
        let mut inside = 0;
        for r in 0..v.height() {
            render_row(&v, r, DEFAULT_MAX_ITER, &mut counts, None);
            for j in 0..v.width() {
                let expect = escape_count(v.c_at(j, r), DEFAULT_MAX_ITER);
                assert_eq!(counts[j as usize], expect, "pixel ({j}, {r})");
                inside += usize::from(expect == DEFAULT_MAX_ITER);
            }
            let plain = counts.clone();
            render_row(&v, r, DEFAULT_MAX_ITER, &mut counts, Some(&mut smooth));
            assert_eq!(counts, plain, "smooth path changes no count");
        }
        // The set covers a sizeable part of this view, but not all of it.
        assert!(inside > 5_000 && inside < 30_000, "{inside}");
    }

    #[test]
    fn render_rows_concatenates_rows() {
        let v = Viewport::new(-2.0, 1.0, -1.0, 1.0, 30, 20).expect("valid view");
        let rows = [19, 0, 7];
        let mut counts = vec![0; rows.len() * 30];
        let mut smooth = vec![0.0; rows.len() * 30];
        render_rows(RowsJob::new(&v, &rows, 50, &mut counts, Some(&mut smooth)));
        for (k, &r) in rows.iter().enumerate() {
            let mut one = vec![0; 30];
            let mut mu = vec![0.0; 30];
            render_row(&v, r, 50, &mut one, Some(&mut mu));
            assert_eq!(&counts[k * 30..(k + 1) * 30], &one[..]);
            assert_eq!(&smooth[k * 30..(k + 1) * 30], &mu[..]);
        }
        let mut plain = vec![0; rows.len() * 30];
        render_rows(RowsJob::new(&v, &rows, 50, &mut plain, None));
        assert_eq!(plain, counts);
    }

    #[test]
    fn smooth_count_lies_near_the_exact_count() {
        let v = Viewport::new(-2.0, 1.0, -1.0, 1.0, 150, 100).expect("valid view");
        let max_iter = 100;
        for r in 0..v.height() {
            for j in 0..v.width() {
                let c = v.c_at(j, r);
                let n = escape_count(c, max_iter);
                let mu = smooth_count(c, max_iter);
                assert!((0.0..=max_iter as f32).contains(&mu), "{c}: {mu}");
                if n == max_iter {
                    assert_eq!(mu, max_iter as f32);
                } else {
                    // mu follows the continuous potential, not the |z| >= 2 bands, so it strays
                    // from n by up to about a step where the +c term still matters.
                    let d = mu - n as f32;
                    if n >= 1 {
                        assert!(d > -0.5 && d < 2.5, "{c}: n {n} mu {mu}");
                    }
                }
            }
        }
    }

    #[test]
    fn smooth_count_is_continuous_across_a_band_edge() {
        // Walk along the real axis right of the cusp: counts drop by steps, mu changes gently.
        let max_iter = 1000;
        let mut prev = smooth_count(Complex::new(0.3, 0.0), max_iter);
        let mut x: f64 = 0.3;
        while x < 0.6 {
            x += 1e-4;
            let mu = smooth_count(Complex::new(x, 0.0), max_iter);
            assert!((mu - prev).abs() < 0.5, "jump at {x}: {prev} -> {mu}");
            prev = mu;
        }
    }

    #[test]
    fn smooth_count_handles_extremes() {
        // Stuck at |z| = 2 forever: the extra iterations are capped.
        let mu = smooth_count(Complex::new(-2.0, 0.0), 80);
        assert!(mu.is_finite() && (0.0..=80.0).contains(&mu));
        // Huge c: |z|^2 overflows to inf, mu clamps to 0.
        assert_eq!(smooth_count(Complex::new(1e200, 1e200), 80), 0.0);
        assert_eq!(smooth_count(Complex::new(0.0, 0.0), 80), 80.0);
    }

    #[test]
    fn portable_log2_matches_std() {
        let mut x: f64 = 1e-310;
        while x < 1e300 {
            let want = x.log2();
            let got = log2_portable(x);
            assert!(
                (got - want).abs() <= 4.0 * f64::EPSILON * want.abs().max(1.0),
                "{x}: {got} vs {want}"
            );
            x *= 1.37;
        }
        for x in [1.0f64, 2.0, 4.0, 0.5, 1024.0] {
            assert_eq!(log2_portable(x), x.log2());
        }
        assert_eq!(log2_portable(0.0), f64::NEG_INFINITY);
        assert_eq!(log2_portable(f64::INFINITY), f64::INFINITY);
        assert!(log2_portable(-1.0).is_nan() && log2_portable(f64::NAN).is_nan());
    }

    #[test]
    fn series_coefficients_are_the_run_time_quotients() {
        for (k, &c) in (0u32..).zip(&ODD_RECIPROCALS) {
            let run_time = 1.0 / std::hint::black_box(f64::from(2 * k + 1));
            assert_eq!(c.to_bits(), run_time.to_bits(), "k = {k}");
        }
    }
}
