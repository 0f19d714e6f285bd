//! Eight pixels' plain perturbation steps at once, one array per quantity, on the best vector
//! instructions the CPU has: the same operations in the same order as one pixel's step (no fused
//! multiply-adds), so the same bits whichever instruction set runs them.

use num_complex::Complex;

use crate::simd::{dispatch, Isa, Simd, SimdKernel};

/// One pixel's state while it takes plain steps (held in registers).
#[derive(Debug, Clone, Copy)]
pub(super) struct Plain {
    pub(super) x: f64,
    pub(super) y: f64,
    pub(super) cx: f64,
    pub(super) cy: f64,
    pub(super) m: usize,
}

impl Plain {
    /// An idle lane's state.
    pub(super) const IDLE: Plain = Plain {
        x: 0.0,
        y: 0.0,
        cx: 0.0,
        cy: 0.0,
        m: 0,
    };
}

/// Pixels in flight together in the perturbation's `run_lanes`.
pub(super) const LANES: usize = 8;

/// The plain-step state of `LANES` pixels, one array per quantity. An idle lane (no pixel)
/// has zero deltas and follows the reference itself.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Lanes {
    pub(super) x: [f64; LANES],
    pub(super) y: [f64; LANES],
    pub(super) cx: [f64; LANES],
    pub(super) cy: [f64; LANES],
    /// Reference iterations, as the vectors' integers.
    pub(super) m: [i64; LANES],
}

impl Lanes {
    pub(super) fn get(&self, l: usize) -> Plain {
        Plain {
            x: self.x[l],
            y: self.y[l],
            cx: self.cx[l],
            cy: self.cy[l],
            m: self.m[l] as usize,
        }
    }

    pub(super) fn set(&mut self, l: usize, p: &Plain) {
        (self.x[l], self.y[l], self.cx[l], self.cy[l], self.m[l]) =
            (p.x, p.y, p.cx, p.cy, p.m as i64);
    }
}

/// Up to `run` plain steps of every lane at once, each exactly the perturbation's `plain_step`'s
/// arithmetic, rebasing in place: the steps taken and the lanes of `live` that escaped at the
/// last of them. Idle lanes never escape: they restart at the reference's start. On the best
/// vector instructions this CPU has (the same operations in the same order, without fused
/// multiply-adds, so the same bits on each).
pub(super) fn plain_lanes(
    orbit: &[Complex<f64>],
    v: &mut Lanes,
    run: u32,
    last: usize,
    live: u32,
) -> (u32, u32) {
    plain_lanes_on(Isa::detect(), orbit, v, run, last, live)
}

/// [`plain_lanes`] on a chosen instruction set, one of [`Isa::available`].
pub(super) fn plain_lanes_on(
    isa: Isa,
    orbit: &[Complex<f64>],
    v: &mut Lanes,
    run: u32,
    last: usize,
    live: u32,
) -> (u32, u32) {
    assert!(last < orbit.len(), "the orbit ends at `last`");
    assert!(
        v.m.iter().all(|&m| (0..last as i64).contains(&m)),
        "lanes start inside the orbit"
    );
    let kernel = PlainLanes {
        orbit,
        v,
        run,
        last,
        live,
    };
    dispatch(isa, kernel)
}

/// One call of [`plain_lanes`], as the kernel [`dispatch`] runs.
struct PlainLanes<'a> {
    orbit: &'a [Complex<f64>],
    v: &'a mut Lanes,
    run: u32,
    last: usize,
    live: u32,
}

impl SimdKernel for PlainLanes<'_> {
    type Output = (u32, u32);

    /// The eight lanes are one AVX-512 vector, or two of AVX2 or the portable variant.
    #[inline(always)]
    fn run<S: Simd>(self, s: S) -> (u32, u32) {
        if S::LANES == LANES {
            self.steps::<S, 1>(s)
        } else {
            self.steps::<S, 2>(s)
        }
    }
}

impl PlainLanes<'_> {
    /// [`plain_lanes`] with the lanes in `H` vectors of `S`, the state in registers between
    /// events; a step in which some lane has an event is settled lane by lane
    /// ([`settle_events`]).
    #[inline(always)]
    fn steps<S: Simd, const H: usize>(self, s: S) -> (u32, u32) {
        let PlainLanes {
            orbit,
            v,
            run,
            last,
            live,
        } = self;
        let l = S::LANES;
        assert_eq!(H * l, LANES, "{H} vectors of {l} lanes hold the lanes");
        // SAFETY: `Complex<f64>` is `repr(C)`, two `f64`s, so the orbit is `2 * len` of them:
        // the real part of Z_k is number 2k, the imaginary part number 2k + 1.
        let pairs =
            unsafe { std::slice::from_raw_parts(orbit.as_ptr().cast::<f64>(), 2 * orbit.len()) };
        // SAFETY (gathers): every lane's m is in 0..last (checked on entry, and a step that
        // reaches `last` rebases to 0), so m and m + 1 <= last < orbit.len() index the orbit.
        let gather = |k: S::I| unsafe { s.gather_pairs(pairs, k) };
        let load = |a: &[f64; LANES]| -> [S::F; H] { std::array::from_fn(|h| s.load(&a[h * l..])) };
        let load_m =
            |a: &[i64; LANES]| -> [S::I; H] { std::array::from_fn(|h| s.load_i(&a[h * l..])) };
        let one = s.splat_i(1);
        let last_v = s.splat_i(last as i64);
        let two = s.splat(2.0);
        let four = s.splat(4.0);
        let zero = s.splat(0.0);
        let (mut x, mut y, mut cx, mut cy) = (load(&v.x), load(&v.y), load(&v.cx), load(&v.cy));
        let mut m = load_m(&v.m);
        let (mut zr, mut zi) = ([zero; H], [zero; H]);
        for h in 0..H {
            (zr[h], zi[h]) = gather(m[h]);
        }
        for j in 0..run {
            let (mut nx, mut ny, mut zx, mut zy, mut norm) =
                ([zero; H], [zero; H], [zero; H], [zero; H], [zero; H]);
            let mut w = [(zero, zero); H];
            let mut m1 = m;
            let mut event = 0;
            for h in 0..H {
                m1[h] = s.add_i(m[h], one);
                w[h] = gather(m1[h]);
                let tx = s.add(s.mul(two, zr[h]), x[h]);
                let ty = s.add(s.mul(two, zi[h]), y[h]);
                nx[h] = s.add(s.sub(s.mul(tx, x[h]), s.mul(ty, y[h])), cx[h]);
                ny[h] = s.add(s.add(s.mul(tx, y[h]), s.mul(ty, x[h])), cy[h]);
                zx[h] = s.add(w[h].0, nx[h]);
                zy[h] = s.add(w[h].1, ny[h]);
                norm[h] = s.add(s.mul(zx[h], zx[h]), s.mul(zy[h], zy[h]));
                let dn = s.add(s.mul(nx[h], nx[h]), s.mul(ny[h], ny[h]));
                let e = s.or(
                    s.or(s.ge(norm[h], four), s.lt(norm[h], dn)),
                    s.eq_i(m1[h], last_v),
                );
                event |= s.bits(e) << (h * l);
            }
            if event == 0 {
                for h in 0..H {
                    (x[h], y[h], m[h], zr[h], zi[h]) = (nx[h], ny[h], m1[h], w[h].0, w[h].1);
                }
                continue;
            }
            let mut step = LaneStep {
                event,
                ..LaneStep::default()
            };
            for h in 0..H {
                s.store(&mut step.nx[h * l..], nx[h]);
                s.store(&mut step.ny[h * l..], ny[h]);
                s.store(&mut step.zx[h * l..], zx[h]);
                s.store(&mut step.zy[h * l..], zy[h]);
                s.store(&mut step.norm[h * l..], norm[h]);
                s.store_i(&mut v.m[h * l..], m[h]);
            }
            let escaped = settle_events(v, &step, live);
            if escaped != 0 {
                return (j + 1, escaped);
            }
            (x, y, cx, cy) = (load(&v.x), load(&v.y), load(&v.cx), load(&v.cy));
            m = load_m(&v.m);
            for h in 0..H {
                (zr[h], zi[h]) = gather(m[h]);
            }
        }
        for h in 0..H {
            s.store(&mut v.x[h * l..], x[h]);
            s.store(&mut v.y[h * l..], y[h]);
            s.store_i(&mut v.m[h * l..], m[h]);
        }
        (run, 0)
    }
}

/// After a vector step in which some lane had an event: every lane's new state from the step's
/// values (as a lone pixel's step gives them), and the lanes of `live` that escaped.
#[inline(always)]
fn settle_events(v: &mut Lanes, step: &LaneStep, live: u32) -> u32 {
    let mut escaped = 0;
    for l in 0..LANES {
        if step.event & (1 << l) == 0 {
            (v.x[l], v.y[l], v.m[l]) = (step.nx[l], step.ny[l], v.m[l] + 1);
        } else if live & (1 << l) != 0 {
            (v.x[l], v.y[l], v.m[l]) = (step.zx[l], step.zy[l], 0);
            if step.norm[l] >= 4.0 {
                escaped |= 1 << l;
            }
        } else {
            v.set(l, &Plain::IDLE);
        }
    }
    escaped
}

/// One vector step's values, spilled when a lane has an event.
#[derive(Default)]
pub(super) struct LaneStep {
    pub(super) nx: [f64; LANES],
    pub(super) ny: [f64; LANES],
    pub(super) zx: [f64; LANES],
    pub(super) zy: [f64; LANES],
    pub(super) norm: [f64; LANES],
    pub(super) event: u32,
}

#[cfg(test)]
mod tests {
    use super::super::bla::tests::reference_orbit as orbit;
    use super::*;

    /// Every vector variant of the lane step this CPU has gives the portable code's bits,
    /// through escapes, rebases, the end of the orbit and idle lanes.
    #[test]
    fn vector_lane_steps_match_the_portable_ones() {
        let z = orbit(Complex::new(-0.7453, 0.1127), 3000);
        let last = z.len() - 1;
        let mut start = Lanes::default();
        for l in 0..LANES {
            start.cx[l] = (l as f64 - 3.5) * 1e-3;
            start.cy[l] = (l as f64 * 0.37).sin() * 1e-3;
            start.m[l] = ((l * 97) % last) as i64;
        }
        let live = 0b1011_1110;
        let mut variants: Vec<(&str, Lanes)> = Vec::new();
        for isa in Isa::available() {
            let name = isa.name();
            let mut v = start;
            let mut trace = Vec::new();
            for _ in 0..400 {
                let run = 7;
                let r = plain_lanes_on(isa, &z, &mut v, run, last, live);
                trace.push(r);
                for l in 0..LANES {
                    if r.1 & (1 << l) != 0 {
                        // An escaped lane starts again nearby, as a new pixel would.
                        v.set(
                            l,
                            &Plain {
                                x: 0.0,
                                y: 0.0,
                                cx: start.cx[l] * 0.5,
                                cy: start.cy[l],
                                m: 0,
                            },
                        );
                    }
                }
            }
            if trace.len() == 400 {
                assert!(trace.iter().any(|r| r.1 != 0), "{name}: some lane escaped");
                variants.push((name, v));
            }
        }
        let bits = |v: &Lanes| {
            (0..LANES)
                .map(|l| (v.x[l].to_bits(), v.y[l].to_bits(), v.m[l]))
                .collect::<Vec<_>>()
        };
        assert_eq!(variants.len(), Isa::available().len(), "every variant ran");
        assert_eq!(variants[0].0, "portable");
        for (name, v) in &variants[1..] {
            assert_eq!(bits(v), bits(&variants[0].1), "{name} against portable");
        }
    }
}
