//! Bilinear approximation (BLA): runs of perturbation steps merged into one linear step.
//!
//! Near the reference, a pixel's delta `dz` evolves as `dz -> 2 Z_m dz + dz^2 + dc`. While
//! `|dz|` is small enough that `dz^2` is negligible, `l` steps starting at reference iteration
//! `m` are one linear map `dz -> A dz + B dc`. The table holds, for every level `k >= 1`, the
//! map of the `2^k` steps starting at `m = 1 + i 2^k`, with the radius `R` of `dz` within which
//! it is valid. Single steps have `A = 2 Z_m`, `B = 1` and `R = eps |A|` (then `|dz|^2 <= eps
//! |A dz|`); merging `x` (first) with `y` gives `A = A_y A_x`, `B = A_y B_x + B_y` and
//! `R = min(R_x, max(0, (R_y - |B_x| |dc|max) / |A_x|))`, with `|dc|max` the largest pixel
//! offset of the image, so one table serves every pixel. A merged radius never exceeds its first
//! half's, so the largest valid skip is found by climbing levels until one fails.
//!
//! The table is built once per image from the reference alone: a pure function of the view,
//! the same on every rank. This follows the method Claude Heiland-Allen describes for
//! Fraktaler 3 and Zhuoran's merging of linear steps (our own code).

use num_complex::Complex;
use rayon::prelude::*;

use super::floatexp::{Cfe, Fe};

/// The accuracy asked of each merged step: `|dz|^2` stays below `EPSILON |A dz|`, about the
/// rounding of the f64 arithmetic itself.
pub const EPSILON: f64 = 1.0 / (1u64 << 53) as f64;

/// One merged step in f64: `dz -> a dz + b dc`, valid while `|dz|^2 < r2`.
#[derive(Debug, Clone, Copy)]
pub struct Step64 {
    pub a_re: f64,
    pub a_im: f64,
    pub b_re: f64,
    pub b_im: f64,
    pub r2: f64,
}

/// One merged step with extended exponents, for deltas below f64's range.
#[derive(Debug, Clone, Copy)]
pub struct StepFe {
    pub a: Cfe,
    pub b: Cfe,
    pub r2: Fe,
}

/// A merged step while it is built.
#[derive(Debug, Clone, Copy)]
struct Merge {
    a: Cfe,
    b: Cfe,
    r: Fe,
}

/// Most levels a table has: skips of up to 2^47 iterations, far past any `u32` count.
const MAX_LEVELS: usize = 32;

/// One level's place in the flat tables: its first entry and its length.
#[derive(Debug, Clone, Copy, Default)]
struct Level {
    start: usize,
    len: usize,
}

/// The table of merged steps for one reference orbit and one image: every level in one flat
/// array (level `k >= 1` holds the `2^k` steps from `m = 1 + i 2^k` at `start_k + i`).
#[derive(Debug, Default)]
pub struct Bla {
    levels: Vec<Level>,
    /// Where level `k` starts in the flat arrays (`start[0]` unused).
    start: [usize; MAX_LEVELS],
    /// Iterations in the reference orbit (`M`).
    big_m: usize,
    steps64: Vec<Step64>,
    /// `steps64[i].r2` on its own, so that probing the levels touches one dense array.
    r2: Vec<f64>,
    /// The same in extended range (deep images only).
    steps_fe: Vec<StepFe>,
}

/// Bytes the table takes per reference iteration (for the memory check before a run).
pub fn bytes_per_iteration(deep: bool) -> u64 {
    let per = std::mem::size_of::<Step64>()
        + if deep {
            std::mem::size_of::<StepFe>()
        } else {
            0
        };
    // Levels 1, 2, ... hold 1/2, 1/4, ... entries per iteration; while building, a level of
    // `Merge`s (one per 2 iterations at most) lives beside them.
    (per + std::mem::size_of::<Merge>() / 2) as u64
}

impl Bla {
    /// The table for `orbit` (`Z_0 ..= Z_M`) and pixel offsets up to `dc_max` in magnitude;
    /// the extended-range levels too when `deep`. Empty when the orbit is too short to merge.
    pub fn build(orbit: &[Complex<f64>], dc_max: Fe, deep: bool) -> Bla {
        Bla::build_with(orbit, dc_max, deep, EPSILON)
    }

    /// [`Bla::build`] with another accuracy `eps` (for measuring its effect).
    pub fn build_with(orbit: &[Complex<f64>], dc_max: Fe, deep: bool, eps: f64) -> Bla {
        let big_m = orbit.len().saturating_sub(1);
        let eps = Fe::from_f64(eps);
        let single = |m: usize| {
            let a = Cfe::from_f64(2.0 * orbit[m].re, 2.0 * orbit[m].im);
            Merge {
                a,
                b: Cfe::from_f64(1.0, 0.0),
                r: eps.mul(a.norm()),
            }
        };
        let merge = |x: &Merge, y: &Merge| {
            let a = y.a.mul(x.a);
            let b = y.a.mul(x.b).add(y.b);
            let ax = x.a.norm();
            let ry = if ax.is_zero() {
                Fe::ZERO
            } else {
                y.r.sub(x.b.norm().mul(dc_max)).max_zero().div(ax)
            };
            Merge {
                a,
                b,
                r: x.r.min(ry),
            }
        };
        let mut table = Bla {
            big_m,
            ..Bla::default()
        };
        // Level 0 is never looked up (a plain step is as cheap and exact).
        table.levels.push(Level::default());
        // Level 1: steps m and m + 1 for m = 1, 3, 5, ... while m + 2 <= M.
        let n1 = big_m.saturating_sub(1) / 2;
        let mut level: Vec<Merge> = (0..n1)
            .into_par_iter()
            .map(|i| {
                let m = 1 + 2 * i;
                merge(&single(m), &single(m + 1))
            })
            .collect();
        while !level.is_empty() && table.levels.len() < MAX_LEVELS {
            table.levels.push(Level {
                start: table.steps64.len(),
                len: level.len(),
            });
            table.start[table.levels.len() - 1] = table.steps64.len();
            table.steps64.extend(level.iter().map(to_f64));
            if deep {
                table.steps_fe.extend(level.iter().map(|s| StepFe {
                    a: s.a,
                    b: s.b,
                    r2: s.r.mul(s.r),
                }));
            }
            let next: Vec<Merge> = level
                .par_chunks_exact(2)
                .map(|p| merge(&p[0], &p[1]))
                .collect();
            level = next;
        }
        table.r2 = table.steps64.iter().map(|s| s.r2).collect();
        table
    }

    /// The number of levels (the longest skip is `2^levels` iterations).
    pub fn levels(&self) -> usize {
        self.levels.len().saturating_sub(1)
    }

    /// The entries in all levels.
    pub fn len(&self) -> usize {
        self.steps64.len()
    }

    /// Whether the table has no entries.
    pub fn is_empty(&self) -> bool {
        self.steps64.is_empty()
    }

    /// The highest level worth trying from reference iteration `m` (`m - 1` a multiple of
    /// `2^k`) for a skip of at most `most` iterations; 0 for none.
    #[inline]
    fn top_level(&self, m: usize, most: u32) -> usize {
        // Level k has an entry at m exactly when m + 2^k <= M, so within the top every
        // level's entry exists.
        let room = (most as usize).min(self.big_m.saturating_sub(m));
        if m == 0 || room < 2 {
            return 0;
        }
        let aligned = (m - 1).trailing_zeros() as usize;
        let fits = (usize::BITS - 1 - room.leading_zeros()) as usize;
        aligned.min(fits).min(self.levels())
    }

    /// The index of level `k`'s entry at `m` (which exists for `k <= top_level`).
    #[inline]
    fn index(&self, k: usize, m: usize) -> usize {
        self.start[k] + ((m - 1) >> k)
    }

    /// The entry of level `k` starting at `m`, if the table has one.
    #[inline]
    fn entry(&self, k: usize, m: usize) -> Option<usize> {
        let level = self.levels[k];
        let i = (m - 1) >> k;
        (i < level.len).then_some(level.start + i)
    }

    /// The longest valid skip from reference iteration `m` for a delta of squared size
    /// `dz_norm`, at most `most` iterations: the step and its level (it skips `2^level`).
    /// Validity only shrinks with the level, so the search walks from level `hint` (the one
    /// the pixel used last: runs of BLA steps move a level or two at a time) up or down to
    /// the last valid one.
    #[inline]
    pub fn lookup64_from(
        &self,
        m: usize,
        dz_norm: f64,
        most: u32,
        hint: usize,
    ) -> Option<(&Step64, usize)> {
        let top = self.top_level(m, most);
        if top == 0 {
            return None;
        }
        let r2 = &self.r2;
        let valid = |k: usize| dz_norm < r2[self.index(k, m)];
        let mut k = hint.clamp(1, top);
        if valid(k) {
            while k < top && valid(k + 1) {
                k += 1;
            }
        } else {
            loop {
                if k == 1 {
                    return None;
                }
                k -= 1;
                if valid(k) {
                    break;
                }
            }
        }
        Some((&self.steps64[self.index(k, m)], k))
    }

    /// [`Bla::lookup64_from`] in extended range (tables built `deep` only), by a binary
    /// search over the levels.
    #[inline]
    pub fn lookup_fe(&self, m: usize, dz_norm: Fe, most: u32) -> Option<(&StepFe, u32)> {
        let top = self.top_level(m, most);
        let valid = |k: usize| {
            self.entry(k, m)
                .filter(|&e| dz_norm.lt(self.steps_fe[e].r2))
        };
        if top == 0 {
            return None;
        }
        let mut best = valid(1)?;
        let (mut lo, mut hi) = (1, top);
        while lo < hi {
            let mid = (lo + hi).div_ceil(2);
            match valid(mid) {
                Some(e) => {
                    best = e;
                    lo = mid;
                }
                None => hi = mid - 1,
            }
        }
        Some((&self.steps_fe[best], 1 << lo))
    }
}

/// The f64 form of a merged step; one whose coefficients leave f64's range is never valid.
fn to_f64(s: &Merge) -> Step64 {
    let (a_re, a_im) = s.a.to_f64();
    let (b_re, b_im) = s.b.to_f64();
    let r2 = s.r.mul(s.r).to_f64();
    let finite = [a_re, a_im, b_re, b_im, r2].iter().all(|v| v.is_finite());
    Step64 {
        a_re,
        a_im,
        b_re,
        b_im,
        r2: if finite { r2 } else { 0.0 },
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    /// The orbit of `c` in f64, `Z_0 = 0` to `Z_n` (past an escape too): the test orbit of the
    /// BLA and perturbation tests.
    pub(in crate::mandel::deep) fn orbit(c: Complex<f64>, n: usize) -> Vec<Complex<f64>> {
        let mut z = Complex::new(0.0, 0.0);
        let mut out = vec![z];
        for _ in 0..n {
            z = z * z + c;
            out.push(z);
        }
        out
    }

    /// The reference orbit of `c`: [`orbit`] up to its first `|Z|^2 > 4`, where a reference
    /// ends.
    pub(in crate::mandel::deep) fn reference_orbit(c: Complex<f64>, n: u32) -> Vec<Complex<f64>> {
        let mut z = orbit(c, n as usize);
        if let Some(k) = z.iter().position(|z| z.norm_sqr() > 4.0) {
            z.truncate(k + 1);
        }
        z
    }

    #[test]
    fn a_merged_step_is_the_composition_of_its_single_steps() {
        let c = Complex::new(-0.1, 0.65);
        let z = orbit(c, 64);
        let bla = Bla::build(&z, Fe::from_f64(1e-30), true);
        assert_eq!(bla.levels(), 5, "levels of 2, 4, ..., 32 steps within 63");
        let at = |k: usize, i: usize| bla.levels[k].start + i;
        // Level 3 entry 2: the 8 steps from m = 17, applied to a tiny delta, against the
        // perturbation recurrence itself.
        let (dz0, dc) = (Complex::new(1e-14, -2e-14), Complex::new(3e-13, 1e-13));
        let mut dz = dz0;
        for zm in &z[17..25] {
            dz = 2.0 * zm * dz + dz * dz + dc;
        }
        let s = &bla.steps64[at(3, 2)];
        let lin = Complex::new(s.a_re, s.a_im) * dz0 + Complex::new(s.b_re, s.b_im) * dc;
        assert!((lin - dz).norm() <= 1e-9 * dz.norm(), "{lin} vs {dz}");
        assert!(s.r2 > 0.0);
        let fe = &bla.steps_fe[at(3, 2)];
        assert_eq!(fe.a.to_f64(), (s.a_re, s.a_im));
        // Radii shrink with the level from one start.
        assert!(bla.steps64[at(2, 0)].r2 <= bla.steps64[at(1, 0)].r2);
    }

    #[test]
    fn lookup_takes_the_longest_valid_aligned_skip() {
        let c = Complex::new(-0.1, 0.65);
        let z = orbit(c, 200);
        let bla = Bla::build(&z, Fe::from_f64(1e-30), false);
        let lookup = |m, dz_norm, most| {
            bla.lookup64_from(m, dz_norm, most, 1)
                .map(|(s, k)| (s, 1u32 << k))
        };
        let (_, len) = lookup(1, 1e-60, u32::MAX).expect("valid at m = 1");
        assert!(len >= 4);
        assert!(lookup(1, 1e-60, 3).is_some_and(|(_, l)| l == 2));
        // m = 2 starts no merged step; m = 3 only steps of 2.
        assert!(lookup(2, 1e-60, u32::MAX).is_none());
        assert_eq!(lookup(3, 1e-60, u32::MAX).map(|s| s.1), Some(2));
        // A large delta invalidates everything.
        assert!(lookup(1, 1.0, u32::MAX).is_none());
        assert!(lookup(0, 0.0, u32::MAX).is_none());
    }
}
