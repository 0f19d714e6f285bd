//! The perturbation kernel: every pixel iterated as a small difference from one reference orbit.
//!
//! With `z = Z_m + dz` and `c = C + dc`, `z^2 + c = Z_{m+1} + (2 Z_m + dz) dz + dc`, so a pixel
//! needs only `dz`, which is small, in f64 (or, below f64's range, [`Cfe`]). Glitches are
//! avoided by rebasing (Zhuoran, 2021): whenever `|Z_m + dz| < |dz|`, or the reference ends,
//! the pixel continues from `dz = Z_m + dz` at `m = 0`. There is one reference and no glitch
//! detection, so a pixel's count depends only on the view and the pixel: never on the ranks,
//! threads or schedule. [`Bla`] skips runs of steps where `dz^2` is negligible.
//!
//! Speed comes from doing pixels together without changing what any of them computes: groups
//! of eight neighbouring pixels start in lock step, one lookup and one orbit point serving all
//! eight (their decisions made for the largest delta among them), until one of them escapes or
//! rebases alone; then each goes on by itself, its long runs of plain steps shared out to
//! eight vector lanes. The group of a pixel is fixed by the view (columns `8g .. 8g + 7`).
//!
//! A pixel's count means what the direct kernels' does: the 0-based index of the step at which
//! `|z|^2 >= 4`, or `max_iter`.

use num_complex::Complex;

use super::bla::Bla;
use super::floatexp::{Cfe, Fe};
use super::group::{group_bla_step, group_max_norm, group_plain_steps, rebase_all, GROUP};
use super::lanes::{plain_lanes, LaneStep, Lanes, Plain, LANES};
use crate::simd::{dispatch, Isa, Simd, SimdKernel};

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

/// The shortest run of plain steps a pixel takes in the lanes; shorter ones it takes alone.
const LANE_MIN_RUN: u32 = 32;

/// One pixel's bookkeeping besides its delta: iterations done, steps taken, failed lookups in a
/// row and the BLA level last used.
#[derive(Debug, Clone, Copy)]
struct Control {
    n: u32,
    steps: u64,
    fails: u32,
    level: usize,
}

impl Control {
    fn new(s: &State, steps: u64) -> Control {
        Control {
            n: s.n,
            steps,
            fails: 0,
            level: 1,
        }
    }

    /// The result of a pixel whose last plain step escaped with `z` in `p`.
    fn escaped(&self, p: &Plain) -> PixelResult {
        PixelResult {
            count: self.n - 1,
            z: Complex::new(p.x, p.y),
            steps: self.steps,
        }
    }
}

/// A pixel on its way: its output slot, delta, bookkeeping, and the plain steps left of the
/// run it is in (0 when it is to decide next).
#[derive(Debug, Clone, Copy)]
struct Flight {
    slot: usize,
    p: Plain,
    c: Control,
    left: u32,
}

impl Flight {
    fn start(slot: usize, s: &State, dc: Complex<f64>, steps: u64) -> Flight {
        Flight {
            slot,
            p: Plain {
                x: s.dz.re,
                y: s.dz.im,
                cx: dc.re,
                cy: dc.im,
                m: s.m,
            },
            c: Control::new(s, steps),
            left: 0,
        }
    }
}

/// What a pixel does next.
enum Next {
    /// It has its count.
    Done(PixelResult),
    /// It takes this many plain steps.
    Plain(u32),
    /// It took a BLA step and decides again.
    Bla,
}

impl Perturbation<'_> {
    /// One pixel whose offset `dc` from the reference is an f64.
    pub fn pixel64(&self, dc: Complex<f64>) -> PixelResult {
        let mut out = [PixelResult::default()];
        self.pixels64(&[dc], &mut out);
        out[0]
    }

    /// Pixels whose offsets `dc` from the reference are f64s, into `out` (same length): each
    /// run of `GROUP` in lock step from the start (a row's pixels, passed whole, so give every
    /// pixel the count the image has).
    pub fn pixels64(&self, dcs: &[Complex<f64>], out: &mut [PixelResult]) {
        let mut flights = Vec::with_capacity(dcs.len());
        self.groups64(dcs, out, &mut flights);
        let n = flights.len();
        self.run(flights.into_iter(), n, out);
    }

    /// [`Perturbation::group64`] for every group of `dcs`, compiled for the best vector
    /// instructions this CPU has (the same operations, so the same bits).
    fn groups64(&self, dcs: &[Complex<f64>], out: &mut [PixelResult], flights: &mut Vec<Flight>) {
        #[inline(always)]
        fn all(
            p: &Perturbation,
            dcs: &[Complex<f64>],
            out: &mut [PixelResult],
            f: &mut Vec<Flight>,
        ) {
            for (g, group) in dcs.chunks(GROUP).enumerate() {
                p.group64(group, g * GROUP, out, f);
            }
        }
        /// [`all`] as a kernel: it uses no vector type itself, but compiled in the dispatch's
        /// trampoline, the compiler vectorises the lanes' loops for the instruction set.
        struct Groups<'p, 'a> {
            p: &'p Perturbation<'a>,
            dcs: &'p [Complex<f64>],
            out: &'p mut [PixelResult],
            flights: &'p mut Vec<Flight>,
        }
        impl SimdKernel for Groups<'_, '_> {
            type Output = ();
            #[inline(always)]
            fn run<S: Simd>(self, _: S) {
                all(self.p, self.dcs, self.out, self.flights);
            }
        }
        let kernel = Groups {
            p: self,
            dcs,
            out,
            flights,
        };
        dispatch(Isa::detect(), kernel);
    }

    /// Up to [`GROUP`] neighbouring pixels (slots from `base`) in lock step from the start, as
    /// far as they go together: every decision is the group's, made for the largest delta
    /// among them (so it is right for each: a BLA step valid for the largest `|dz|` is valid for
    /// every smaller one), and all share one reference iteration, so each BLA step is one table
    /// entry and each plain step one orbit point for the whole group. Through the long stretch
    /// where neighbouring pixels follow the reference alike, that is one lookup for eight
    /// pixels. At the first escape or rebase of any of them (or the iteration limit) the group
    /// ends: finished pixels go to `out`, the others on alone into `flights`.
    ///
    /// A pixel's count so depends on its group, which is fixed by the view (columns `8g ..
    /// 8g + 7` of a row), never on the ranks, threads or schedule.
    #[inline(always)]
    fn group64(
        &self,
        dcs: &[Complex<f64>],
        base: usize,
        out: &mut [PixelResult],
        flights: &mut Vec<Flight>,
    ) {
        let g = dcs.len();
        assert!((1..=GROUP).contains(&g), "groups have 1 to {GROUP} pixels");
        let orbit = self.orbit;
        let last = orbit.len() - 1;
        let max_iter = self.max_iter;
        // Lanes past the group's end repeat its last pixel, so they change no maximum.
        let mut v = Lanes::default();
        for l in 0..LANES {
            let dc = dcs[l.min(g - 1)];
            (v.cx[l], v.cy[l]) = (dc.re, dc.im);
        }
        let mut c = Control::new(
            &State {
                n: 0,
                m: 0,
                dz: Complex::new(0.0, 0.0),
            },
            0,
        );
        let mut m = 0usize;
        // What ends the group: the lanes' values after the step in which it ended, the plain
        // steps left of the run it was in, and the step's event lanes.
        let ended: (LaneStep, u32, usize) = 'group: loop {
            if c.n >= max_iter {
                for l in 0..g {
                    out[base + l] = PixelResult {
                        count: max_iter,
                        z: Complex::new(v.x[l], v.y[l]),
                        steps: c.steps,
                    };
                }
                return;
            }
            let aligned = m > 0 && (m - 1).is_multiple_of(2);
            let mut burst = 1;
            if let Some(bla) = self.bla.filter(|_| aligned) {
                let dz_norm = group_max_norm(&v);
                match bla.lookup64_from(m, dz_norm, max_iter - c.n, c.level) {
                    Some((e, k)) => {
                        c.fails = 0;
                        c.level = k;
                        let m1 = m + (1usize << k);
                        c.n += 1 << k;
                        c.steps += 1;
                        let step = group_bla_step(&mut v, e, orbit[m1], m1 == last);
                        m = m1;
                        if step.event != 0 {
                            if !rebase_all(&mut v, &step) {
                                break 'group (step, 0, m1);
                            }
                            m = 0;
                        }
                        continue;
                    }
                    None => {
                        c.fails += 1;
                        burst = (1u32 << (c.fails - 1).min(MAX_BURST_LOG)).min(max_iter - c.n);
                    }
                }
            }
            let mut run = burst;
            while run > 0 {
                let (taken, step) = group_plain_steps(orbit, &mut v, m, run, last);
                c.n += taken;
                c.steps += u64::from(taken);
                m += taken as usize;
                run -= taken;
                if let Some(step) = step {
                    if !rebase_all(&mut v, &step) {
                        break 'group (step, run, m);
                    }
                    m = 0;
                }
            }
        };
        let (step, left, m1) = ended;
        for l in 0..g {
            let mut p = v.get(l);
            if step.event & (1 << l) == 0 {
                (p.x, p.y, p.m) = (step.nx[l], step.ny[l], m1);
            } else {
                (p.x, p.y, p.m) = (step.zx[l], step.zy[l], 0);
                if step.norm[l] >= 4.0 {
                    out[base + l] = c.escaped(&p);
                    continue;
                }
            }
            flights.push(Flight {
                slot: base + l,
                p,
                c,
                left,
            });
        }
    }

    /// Where a pixel's own algorithm goes next: BLA steps while a lookup succeeds, then either
    /// its result or the length of the run of plain steps it takes before deciding again.
    /// Used alike by [`Perturbation::run_scalar`] and the lanes, so both give the same bits.
    #[inline(always)]
    fn decide(&self, p: &mut Plain, c: &mut Control, last: usize) -> Next {
        loop {
            match self.decide_one(p, c, last) {
                Next::Bla => {}
                next => return next,
            }
        }
    }

    /// One move of [`Perturbation::decide`]: the pixel's result, a run of plain steps to
    /// take, or one BLA step taken ([`Next::Bla`]).
    #[inline(always)]
    fn decide_one(&self, p: &mut Plain, c: &mut Control, last: usize) -> Next {
        let orbit = self.orbit;
        let max_iter = self.max_iter;
        if c.n >= max_iter {
            return Next::Done(PixelResult {
                count: max_iter,
                z: Complex::new(p.x, p.y),
                steps: c.steps,
            });
        }
        let aligned = p.m > 0 && (p.m - 1).is_multiple_of(2);
        let Some(bla) = self.bla.filter(|_| aligned) else {
            return Next::Plain(1);
        };
        let dz_norm = p.x * p.x + p.y * p.y;
        let Some((e, k)) = bla.lookup64_from(p.m, dz_norm, max_iter - c.n, c.level) else {
            c.fails += 1;
            let burst = 1u32 << (c.fails - 1).min(MAX_BURST_LOG);
            return Next::Plain(burst.min(max_iter - c.n));
        };
        c.fails = 0;
        c.level = k;
        let (x, y) = (p.x, p.y);
        let nx = e.a_re * x - e.a_im * y + (e.b_re * p.cx - e.b_im * p.cy);
        let ny = e.a_re * y + e.a_im * x + (e.b_re * p.cy + e.b_im * p.cx);
        let m = p.m + (1usize << k);
        c.n += 1 << k;
        c.steps += 1;
        let z = orbit[m];
        let (zx, zy) = (z.re + nx, z.im + ny);
        let norm = zx * zx + zy * zy;
        if norm >= 4.0 {
            return Next::Done(PixelResult {
                count: c.n - 1,
                z: Complex::new(zx, zy),
                steps: c.steps,
            });
        }
        if norm < nx * nx + ny * ny || m == last {
            (p.x, p.y, p.m) = (zx, zy, 0);
        } else {
            (p.x, p.y, p.m) = (nx, ny, m);
        }
        Next::Bla
    }

    /// Runs `n` pixels from their states: in lanes when there are enough to fill them, else
    /// one at a time (the same bits either way).
    fn run(&self, starts: impl Iterator<Item = Flight>, n: usize, out: &mut [PixelResult]) {
        if n < LANES {
            self.run_scalar(starts, out);
        } else {
            self.run_lanes(starts, out);
        }
    }

    /// Runs pixels from their states to escape or `max_iter`, one at a time, all state in
    /// registers.
    fn run_scalar(&self, starts: impl Iterator<Item = Flight>, out: &mut [PixelResult]) {
        let last = self.orbit.len() - 1;
        for f in starts {
            let (mut p, mut c) = (f.p, f.c);
            let mut next = match f.left {
                0 => None,
                run => Some(Next::Plain(run)),
            };
            out[f.slot] = loop {
                match next
                    .take()
                    .unwrap_or_else(|| self.decide(&mut p, &mut c, last))
                {
                    Next::Done(r) => break r,
                    Next::Plain(burst) => {
                        let (taken, escaped) = self.plain1(&mut p, burst, last);
                        c.n += taken;
                        c.steps += u64::from(taken);
                        if escaped {
                            break c.escaped(&p);
                        }
                    }
                    Next::Bla => unreachable!("decide returns after its BLA steps"),
                }
            };
        }
    }

    /// Runs pixels as [`Perturbation::run_scalar`] does, with the same bits, `LANES` at a time:
    /// each pixel decides alone (BLA steps, then a run of plain steps), and the runs of plain
    /// steps of all lanes go together, so that their chains of operations overlap (one pixel's
    /// step waits on its last; eight pixels' steps fill the pipeline) and vectorise.
    fn run_lanes(&self, mut starts: impl Iterator<Item = Flight>, out: &mut [PixelResult]) {
        let last = self.orbit.len() - 1;
        let mut v = Lanes::default();
        let mut ctl: [Option<(usize, Control)>; LANES] = [None; LANES];
        let mut left = [0u32; LANES];
        loop {
            let mut live = 0u32;
            for l in 0..LANES {
                while left[l] == 0 {
                    if ctl[l].is_none() {
                        let Some(f) = starts.next() else {
                            break;
                        };
                        v.set(l, &f.p);
                        ctl[l] = Some((f.slot, f.c));
                        if f.left > 0 {
                            left[l] = f.left;
                            break;
                        }
                    }
                    let Some((slot, c)) = ctl[l].as_mut() else {
                        unreachable!("lane {l} was just filled")
                    };
                    let mut p = v.get(l);
                    // The pixel goes on alone, short runs of plain steps included, until it
                    // ends or wants a run long enough to share.
                    loop {
                        match self.decide(&mut p, c, last) {
                            Next::Plain(burst) if burst >= LANE_MIN_RUN => {
                                left[l] = burst;
                                break;
                            }
                            Next::Plain(burst) => {
                                let (taken, escaped) = self.plain1(&mut p, burst, last);
                                c.n += taken;
                                c.steps += u64::from(taken);
                                if escaped {
                                    out[*slot] = c.escaped(&p);
                                    (ctl[l], p) = (None, Plain::IDLE);
                                    break;
                                }
                            }
                            Next::Done(r) => {
                                out[*slot] = r;
                                (ctl[l], p) = (None, Plain::IDLE);
                                break;
                            }
                            Next::Bla => unreachable!("decide returns after its BLA steps"),
                        }
                    }
                    v.set(l, &p);
                }
                if ctl[l].is_some() {
                    live |= 1 << l;
                }
            }
            if live == 0 {
                return;
            }
            let run = (0..LANES)
                .filter(|l| live & (1 << l) != 0)
                .map(|l| left[l])
                .min()
                .unwrap_or(0);
            let (done, escaped) = plain_lanes(self.orbit, &mut v, run, last, live);
            for l in 0..LANES {
                if let Some((slot, c)) = ctl[l].as_mut() {
                    left[l] -= done;
                    c.n += done;
                    c.steps += u64::from(done);
                    if escaped & (1 << l) != 0 {
                        out[*slot] = c.escaped(&v.get(l));
                        ctl[l] = None;
                        left[l] = 0;
                        v.set(l, &Plain::IDLE);
                    }
                }
            }
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
                    rest.push(Flight::start(slot, &state, Complex::new(cx, cy), steps));
                }
            }
        }
        let n = rest.len();
        self.run(rest.into_iter(), n, out);
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
    use super::super::bla::tests::reference_orbit as orbit;
    use super::*;
    use crate::mandel::escape_count;

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
            let dcs: Vec<_> = (0..w)
                .map(|j| {
                    Complex::new(
                        (j as f64 - w as f64 / 2.0) * width / w as f64,
                        (r as f64 - h as f64 / 2.0) * width / w as f64,
                    )
                })
                .collect();
            // Whole rows, so the groups of eight run as in an image.
            let mut got = vec![PixelResult::default(); w];
            if fe {
                let fes: Vec<_> = dcs.iter().map(|dc| Cfe::from_f64(dc.re, dc.im)).collect();
                p.pixels_fe(&fes, &mut got);
            } else {
                p.pixels64(&dcs, &mut got);
            }
            for (dc, px) in dcs.iter().zip(&got) {
                same += usize::from(px.count == escape_count(centre + dc, max_iter));
            }
        }
        same as f64 / (w * h) as f64
    }

    /// Views of the lane and group tests: centre, width and iterations. The whole set, a
    /// seahorse, a minibrot's edge, a deep spiral at 2e-9 and a view whose centre escapes.
    const VIEWS: [(Complex<f64>, f64, u32); 5] = [
        (Complex::new(-0.75, 0.0), 2.5, 200),
        (Complex::new(-0.7453, 0.1127), 0.01, 600),
        (Complex::new(-1.25, 0.02), 0.05, 1000),
        (
            Complex::new(-0.743_643_887_037, 0.131_825_904_205),
            2e-9,
            5000,
        ),
        (Complex::new(0.3, 0.5), 0.2, 300),
    ];

    /// Groups of neighbours in lock step against the same pixels alone: nearly always the same
    /// counts (a group's decisions are made for its largest delta, so a BLA step a pixel alone
    /// would take can be a few plain steps in its group); groups of every size from 1 to 8
    /// (rows whose width is no multiple of 8); and a view whose centre escapes, so groups end
    /// at the end of the reference.
    #[test]
    fn groups_agree_with_pixels_alone() {
        for &(centre, width, iters) in [&VIEWS[1], &VIEWS[3], &VIEWS[4]] {
            let z = orbit(centre, iters);
            let table = Bla::build(&z, Fe::from_f64(width), false);
            let p = Perturbation {
                orbit: &z,
                bla: Some(&table),
                max_iter: iters,
            };
            let (mut same, mut all) = (0, 0);
            for w in [61usize, 57, 8, 3] {
                for r in 0..w.min(20) {
                    let dcs: Vec<_> = (0..w)
                        .map(|j| {
                            Complex::new(
                                (j as f64 / w as f64 - 0.5) * width,
                                (r as f64 / 20.0 - 0.5) * width,
                            )
                        })
                        .collect();
                    let mut row = vec![PixelResult::default(); w];
                    p.pixels64(&dcs, &mut row);
                    for (dc, px) in dcs.iter().zip(&row) {
                        let alone = p.pixel64(*dc);
                        same += usize::from(px.count == alone.count);
                        all += 1;
                        assert!(
                            px.count.abs_diff(alone.count) <= 2
                                || px.count == iters
                                || alone.count == iters,
                            "{centre}: {} in its group, {} alone",
                            px.count,
                            alone.count
                        );
                    }
                }
            }
            assert!(
                same as f64 >= 0.99 * all as f64,
                "{centre}: {same} of {all} alike"
            );
        }
    }

    /// Pixels of a grid around `centre`, one at a time and in lanes: the same bits, BLA on and
    /// off (counts, the escaping z and the steps taken).
    #[test]
    fn lanes_give_the_bits_of_one_pixel_at_a_time() {
        for (centre, width, iters) in VIEWS {
            let z = orbit(centre, iters);
            let table = Bla::build(&z, Fe::from_f64(width), false);
            for bla in [true, false] {
                let p = Perturbation {
                    orbit: &z,
                    bla: bla.then_some(&table),
                    max_iter: iters,
                };
                let (w, h) = (37usize, 23usize);
                let dcs: Vec<_> = (0..w * h)
                    .map(|i| {
                        Complex::new(
                            ((i % w) as f64 / w as f64 - 0.5) * width,
                            ((i / w) as f64 / w as f64 - 0.3) * width,
                        )
                    })
                    .collect();
                let starts = || {
                    dcs.iter().enumerate().map(|(slot, &dc)| {
                        let s = State {
                            n: 0,
                            m: 0,
                            dz: Complex::new(0.0, 0.0),
                        };
                        Flight::start(slot, &s, dc, 0)
                    })
                };
                let mut one = vec![PixelResult::default(); dcs.len()];
                let mut lanes = one.clone();
                p.run_scalar(starts(), &mut one);
                p.run_lanes(starts(), &mut lanes);
                let bits = |r: &PixelResult| (r.count, r.z.re.to_bits(), r.z.im.to_bits(), r.steps);
                for (i, (a, b)) in one.iter().zip(&lanes).enumerate() {
                    assert_eq!(
                        bits(a),
                        bits(b),
                        "{centre} width {width} bla {bla} pixel {i}"
                    );
                }
                let distinct: std::collections::BTreeSet<u32> =
                    one.iter().map(|r| r.count).collect();
                assert!(distinct.len() > 10, "{centre}: a view with structure");
            }
        }
    }

    #[test]
    fn perturbation_matches_direct_iteration_on_shallow_views() {
        // The f64-resolvable views, the last with its reference outside the set.
        for &(centre, width, iters) in [&VIEWS[0], &VIEWS[1], &VIEWS[2], &VIEWS[4]] {
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
        let mut a = Plain {
            x: 0.0,
            y: 0.0,
            cx: 1e-30,
            cy: 1e-30,
            m: 0,
        };
        let mut v = Lanes::default();
        for l in 0..LANES {
            v.cx[l] = 1e-30 * (l as f64 + 1.0);
        }
        let t = std::time::Instant::now();
        let (k2, _) = plain_lanes(&orbit, &mut v, 900_000, last, 255);
        eprintln!(
            "lane steps: {:.2} ns per pixel-step ({k2}, {})",
            t.elapsed().as_nanos() as f64 / f64::from(k2) / LANES as f64,
            v.x[3]
        );
        let t = std::time::Instant::now();
        let (k1, _) = p.plain1(&mut a, 900_000, last);
        let t1 = t.elapsed();
        eprintln!(
            "plain steps: {:.2} ns each ({k1}, {})",
            t1.as_nanos() as f64 / f64::from(k1),
            a.x
        );
    }
}
