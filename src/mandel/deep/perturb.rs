//! The perturbation kernel: every pixel iterated as a small difference from one reference orbit.
//!
//! With `z = Z_m + dz` and `c = C + dc`, `z^2 + c = Z_{m+1} + (2 Z_m + dz) dz + dc`, so a pixel
//! needs only `dz`, which is small, in f64 (or, below f64's range, [`Cfe`]). Glitches are
//! avoided by rebasing (Zhuoran, 2021): whenever `|Z_m + dz| < |dz|`, or the reference ends,
//! the pixel continues from `dz = Z_m + dz` at `m = 0`. There is one reference and no glitch
//! detection, so a pixel's count depends only on the view and the pixel: never on the ranks,
//! threads or schedule. [`Bla`] skips runs of steps where `dz^2` is negligible.
//!
//! A pixel's count means what the direct kernels' does: the 0-based index of the step at which
//! `|z|^2 >= 4`, or `max_iter`.

use num_complex::Complex;

use super::bla::Bla;
use super::floatexp::{Cfe, Fe};

/// Below this binary exponent of `|dz|` a deep pixel stays in extended range; above it, f64
/// holds `dz` and `dz^2` (about 1e-150 and 1e-300) and the pixel continues in f64.
const F64_FROM_EXP: i32 = -500;

/// Where one pixel stands: `n` iterations done, at reference iteration `m`, `z = Z_m + dz`.
#[derive(Debug, Clone, Copy)]
struct State {
    n: u32,
    m: usize,
    dz: Complex<f64>,
}

/// What one pixel's iteration gave.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct PixelResult {
    /// The escape count (`max_iter` inside).
    pub count: u32,
    /// The first `z` with `|z|^2 >= 4` (for the smooth count); undefined inside.
    pub z: Complex<f64>,
    /// Steps really taken: plain perturbation steps plus BLA steps.
    pub steps: u64,
}

/// A reference orbit `Z_0 ..= Z_M` (rounded to f64) and its BLA table, shared by all pixels.
pub struct Perturbation<'a> {
    /// `Z_0 ..= Z_M`.
    pub orbit: &'a [Complex<f64>],
    /// Merged steps, or `None` for plain perturbation (for testing).
    pub bla: Option<&'a Bla>,
    /// The iteration limit.
    pub max_iter: u32,
}

/// Each pixel runs one algorithm: a BLA lookup at each decision point, else a run ("burst") of
/// plain perturbation steps, `2^k` long after `k` failed lookups in a row (at most
/// `2^MAX_BURST_LOG`), so the tail of an orbit, where BLA no longer applies, is not slowed by a
/// lookup at every step.
/// The longest run of plain steps between two BLA lookups is `2^MAX_BURST_LOG`.
const MAX_BURST_LOG: u32 = 6;

/// The rare outcomes of a plain step: escape (true, `z` kept for the smooth count) or a rebase
/// to `dz = z` at `m = 0`. Kept out of line so the common path stays a straight run.
#[cold]
#[inline(never)]
fn rebase_or_escape(p: &mut Plain, zx: f64, zy: f64, norm: f64) -> bool {
    p.x = zx;
    p.y = zy;
    p.m = 0;
    norm >= 4.0
}

/// One pixel's state while it takes plain steps (held in registers).
#[derive(Debug, Clone, Copy)]
struct Plain {
    x: f64,
    y: f64,
    cx: f64,
    cy: f64,
    m: usize,
}

impl Perturbation<'_> {
    /// One pixel whose offset `dc` from the reference is an f64.
    pub fn pixel64(&self, dc: Complex<f64>) -> PixelResult {
        let mut out = [PixelResult::default()];
        self.pixels64(&[dc], &mut out);
        out[0]
    }

    /// Pixels whose offsets `dc` from the reference are f64s, into `out` (same length).
    pub fn pixels64(&self, dcs: &[Complex<f64>], out: &mut [PixelResult]) {
        let starts = dcs.iter().enumerate().map(|(slot, dc)| {
            (
                slot,
                State {
                    n: 0,
                    m: 0,
                    dz: Complex::new(0.0, 0.0),
                },
                *dc,
                0,
            )
        });
        self.run_scalar(starts, out);
    }

    /// Runs pixels from their states to escape or `max_iter`, one at a time, all state in
    /// registers. (Pixels interleaved in lanes, in lock step or round robin, measured no faster:
    /// a step's time is mostly the cache misses of its jumps through the orbit and the table.)
    fn run_scalar(
        &self,
        starts: impl Iterator<Item = (usize, State, Complex<f64>, u64)>,
        out: &mut [PixelResult],
    ) {
        let orbit = self.orbit;
        let last = orbit.len() - 1;
        let max_iter = self.max_iter;
        for (slot, s, dc, steps0) in starts {
            let mut p = Plain {
                x: s.dz.re,
                y: s.dz.im,
                cx: dc.re,
                cy: dc.im,
                m: s.m,
            };
            let mut n = s.n;
            let mut steps = steps0;
            let mut fails = 0u32;
            let mut level = 1usize;
            out[slot] = 'pixel: loop {
                if n >= max_iter {
                    break PixelResult {
                        count: max_iter,
                        z: Complex::new(p.x, p.y),
                        steps,
                    };
                }
                let aligned = p.m > 0 && (p.m - 1).is_multiple_of(2);
                let mut burst = 1;
                if let Some(bla) = self.bla.filter(|_| aligned) {
                    let dz_norm = p.x * p.x + p.y * p.y;
                    match bla.lookup64_from(p.m, dz_norm, max_iter - n, level) {
                        Some((e, k)) => {
                            fails = 0;
                            level = k;
                            let (x, y) = (p.x, p.y);
                            let nx = e.a_re * x - e.a_im * y + (e.b_re * p.cx - e.b_im * p.cy);
                            let ny = e.a_re * y + e.a_im * x + (e.b_re * p.cy + e.b_im * p.cx);
                            let m = p.m + (1usize << k);
                            n += 1 << k;
                            steps += 1;
                            let z = orbit[m];
                            let (zx, zy) = (z.re + nx, z.im + ny);
                            let norm = zx * zx + zy * zy;
                            if norm >= 4.0 {
                                break 'pixel PixelResult {
                                    count: n - 1,
                                    z: Complex::new(zx, zy),
                                    steps,
                                };
                            }
                            if norm < nx * nx + ny * ny || m == last {
                                (p.x, p.y, p.m) = (zx, zy, 0);
                            } else {
                                (p.x, p.y, p.m) = (nx, ny, m);
                            }
                            continue;
                        }
                        None => {
                            fails += 1;
                            burst = (1u32 << (fails - 1).min(MAX_BURST_LOG)).min(max_iter - n);
                        }
                    }
                }
                let (taken, escaped) = self.plain1(&mut p, burst, last);
                n += taken;
                steps += u64::from(taken);
                if escaped {
                    break PixelResult {
                        count: n - 1,
                        z: Complex::new(p.x, p.y),
                        steps,
                    };
                }
            };
        }
    }

    /// Up to `run` plain steps of one pixel: the steps taken, and whether it escaped (then
    /// `p.x, p.y` hold the escaping `z`).
    #[inline(always)]
    fn plain1(&self, p: &mut Plain, run: u32, last: usize) -> (u32, bool) {
        for k in 0..run {
            if self.plain_step(p, last) {
                return (k + 1, true);
            }
        }
        (run, false)
    }

    /// One plain perturbation step with its escape and rebase tests; true if it escaped.
    ///
    /// Both tests are branches, rarely taken, rather than selects: so the next step's chain of
    /// operations starts from the new delta without waiting for the tests (a select would put
    /// `|z|^2` on the critical path, doubling the latency of a step).
    #[inline(always)]
    fn plain_step(&self, p: &mut Plain, last: usize) -> bool {
        let orbit = self.orbit;
        let (x, y) = (p.x, p.y);
        let zr = orbit[p.m];
        let tx = 2.0 * zr.re + x;
        let ty = 2.0 * zr.im + y;
        let nx = tx * x - ty * y + p.cx;
        let ny = tx * y + ty * x + p.cy;
        let m = p.m + 1;
        let z = orbit[m];
        let zx = z.re + nx;
        let zy = z.im + ny;
        let norm = zx * zx + zy * zy;
        if (norm >= 4.0) | (norm < nx * nx + ny * ny) | (m == last) {
            return rebase_or_escape(p, zx, zy, norm);
        }
        p.x = nx;
        p.y = ny;
        p.m = m;
        false
    }

    /// Pixels whose offsets may lie below f64's range, into `out` (same length): each in
    /// extended range while its `|dz|` is that small, then all in f64 lanes.
    pub fn pixels_fe(&self, dcs: &[Cfe], out: &mut [PixelResult]) {
        let mut rest = Vec::with_capacity(dcs.len());
        for (slot, dc) in dcs.iter().enumerate() {
            match self.prefix_fe(*dc) {
                Ok(done) => out[slot] = done,
                Err((state, steps)) => {
                    let (cx, cy) = dc.to_f64();
                    rest.push((slot, state, Complex::new(cx, cy), steps));
                }
            }
        }
        self.run_scalar(rest.into_iter(), out);
    }

    /// One pixel whose offset may lie below f64's range.
    pub fn pixel_fe(&self, dc: Cfe) -> PixelResult {
        let mut out = [PixelResult::default()];
        self.pixels_fe(&[dc], &mut out);
        out[0]
    }

    /// A pixel in extended range while its `|dz|` is below f64's reach: its result if it ends
    /// there, else its state and steps so far to continue in f64 (where `dc`, rounded to f64,
    /// is too small to matter).
    fn prefix_fe(&self, dc: Cfe) -> Result<PixelResult, (State, u64)> {
        let orbit = self.orbit;
        let big_m = orbit.len() - 1;
        let max_iter = self.max_iter;
        let four = Fe::from_f64(4.0);
        let mut dz = Cfe::ZERO;
        let (mut n, mut m) = (0u32, 0usize);
        let mut steps = 0u64;
        while n < max_iter {
            if dz.exp() > F64_FROM_EXP {
                let (x, y) = dz.to_f64();
                let state = State {
                    n,
                    m,
                    dz: Complex::new(x, y),
                };
                return Err((state, steps));
            }
            let skip = match self.bla {
                Some(bla) if m > 0 => bla.lookup_fe(m, dz.norm_sqr(), max_iter - n),
                _ => None,
            };
            if let Some((e, len)) = skip {
                dz = e.a.mul(dz).add(e.b.mul(dc));
                m += len as usize;
                n += len;
            } else {
                let zr = orbit[m];
                let two_z = Cfe::from_f64(2.0 * zr.re, 2.0 * zr.im);
                dz = two_z.add(dz).mul(dz).add(dc);
                m += 1;
                n += 1;
            }
            steps += 1;
            let zr = orbit[m];
            let z = Cfe::from_f64(zr.re, zr.im).add(dz);
            let norm = z.norm_sqr();
            if !norm.lt(four) {
                let (zx, zy) = z.to_f64();
                return Ok(PixelResult {
                    count: n - 1,
                    z: Complex::new(zx, zy),
                    steps,
                });
            }
            if norm.lt(dz.norm_sqr()) || m == big_m {
                dz = z;
                m = 0;
            }
        }
        Ok(PixelResult {
            count: max_iter,
            z: Complex::new(0.0, 0.0),
            steps,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mandel::escape_count;

    fn orbit(c: Complex<f64>, n: u32) -> Vec<Complex<f64>> {
        let mut z = Complex::new(0.0, 0.0);
        let mut out = vec![z];
        for _ in 0..n {
            z = z * z + c;
            out.push(z);
            if z.norm_sqr() > 4.0 {
                break;
            }
        }
        out
    }

    /// Counts over a small grid around `centre` against the direct scalar kernel.
    fn agreement(centre: Complex<f64>, width: f64, max_iter: u32, bla: bool, fe: bool) -> f64 {
        let z = orbit(centre, max_iter);
        let table = Bla::build(&z, Fe::from_f64(width), true);
        let p = Perturbation {
            orbit: &z,
            bla: bla.then_some(&table),
            max_iter,
        };
        let (w, h) = (60, 40);
        let mut same = 0;
        for r in 0..h {
            for j in 0..w {
                let dc = Complex::new(
                    (j as f64 - w as f64 / 2.0) * width / w as f64,
                    (r as f64 - h as f64 / 2.0) * width / w as f64,
                );
                let direct = escape_count(centre + dc, max_iter);
                let got = if fe {
                    p.pixel_fe(Cfe::from_f64(dc.re, dc.im)).count
                } else {
                    p.pixel64(dc).count
                };
                same += usize::from(got == direct);
            }
        }
        same as f64 / (w * h) as f64
    }

    #[test]
    fn perturbation_matches_direct_iteration_on_shallow_views() {
        for (centre, width, iters) in [
            (Complex::new(-0.75, 0.0), 2.5, 200),
            (Complex::new(-0.7453, 0.1127), 0.01, 600),
            (Complex::new(-1.25, 0.02), 0.05, 1000),
            (Complex::new(0.3, 0.5), 0.2, 300), // reference outside the set
        ] {
            for (bla, fe) in [(false, false), (true, false), (true, true), (false, true)] {
                let a = agreement(centre, width, iters, bla, fe);
                assert!(
                    a >= 0.995,
                    "{centre} width {width}, bla {bla}, fe {fe}: {a}"
                );
            }
        }
    }
}

#[cfg(test)]
mod speed {
    use super::*;

    #[test]
    #[ignore]
    fn plain_step_speed() {
        let c = Complex::new(-0.5, 0.1);
        let mut z = Complex::new(0.0, 0.0);
        let mut orbit = vec![z];
        for _ in 0..1_000_000 {
            z = z * z + c;
            orbit.push(z);
        }
        let p = Perturbation {
            orbit: &orbit,
            bla: None,
            max_iter: u32::MAX,
        };
        let last = orbit.len() - 1;
        let t = std::time::Instant::now();
        let mut a = Plain {
            x: 0.0,
            y: 0.0,
            cx: 1e-30,
            cy: 1e-30,
            m: 0,
        };
        let (k1, _) = p.plain1(&mut a, 900_000, last);
        let t1 = t.elapsed();
        eprintln!(
            "plain steps: {:.2} ns each ({k1}, {})",
            t1.as_nanos() as f64 / f64::from(k1),
            a.x
        );
    }
}
