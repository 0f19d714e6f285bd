//! Groups of neighbouring pixels in lock step: which columns form a group, and the steps the
//! whole group takes together (one BLA entry or one orbit point for all its lanes).

use num_complex::Complex;

use super::bla::Step64;
use super::lanes::{LaneStep, Lanes, LANES};

/// Neighbouring pixels that start in lock step (see the perturbation's `group64`).
pub(super) const GROUP: usize = LANES;

/// The columns `first..end` of the group that column `col` of a row `width` wide belongs to.
pub fn group_of(col: u32, width: u32) -> (u32, u32) {
    let first = col - col % GROUP as u32;
    (first, (first + GROUP as u32).min(width))
}

/// The largest `|dz|^2` of the lanes, each computed as a lone pixel's lookup computes it.
#[inline(always)]
pub(super) fn group_max_norm(v: &Lanes) -> f64 {
    let mut most = 0.0f64;
    for l in 0..LANES {
        most = most.max(v.x[l] * v.x[l] + v.y[l] * v.y[l]);
    }
    most
}

/// One BLA step of every lane with the same entry `e`, landing on reference point `z` (the
/// orbit's last when `at_end`): commits it and returns no event, or leaves the lanes as they
/// were and returns the step's values with the lanes that escape or rebase.
#[inline(always)]
pub(super) fn group_bla_step(v: &mut Lanes, e: &Step64, z: Complex<f64>, at_end: bool) -> LaneStep {
    let mut step = LaneStep::default();
    let mut event = [false; LANES];
    for (l, event) in event.iter_mut().enumerate() {
        let (x, y) = (v.x[l], v.y[l]);
        let nx = e.a_re * x - e.a_im * y + (e.b_re * v.cx[l] - e.b_im * v.cy[l]);
        let ny = e.a_re * y + e.a_im * x + (e.b_re * v.cy[l] + e.b_im * v.cx[l]);
        let (zx, zy) = (z.re + nx, z.im + ny);
        let norm = zx * zx + zy * zy;
        *event = (norm >= 4.0) | (norm < nx * nx + ny * ny) | at_end;
        (step.nx[l], step.ny[l], step.zx[l], step.zy[l], step.norm[l]) = (nx, ny, zx, zy, norm);
    }
    step.event = (0..LANES).map(|l| u32::from(event[l]) << l).sum();
    if step.event == 0 {
        (v.x, v.y) = (step.nx, step.ny);
    }
    step
}

/// When every lane of a step rebases and none escapes, the group rebases as one (to reference
/// iteration 0) and goes on: true. Otherwise the lanes are left as they were: false.
#[inline(always)]
pub(super) fn rebase_all(v: &mut Lanes, step: &LaneStep) -> bool {
    let all = step.event == (1 << LANES) - 1 && step.norm.iter().all(|&n| n < 4.0);
    if all {
        (v.x, v.y) = (step.zx, step.zy);
    }
    all
}

/// Up to `run` plain steps of every lane from the shared reference iteration `m`: the steps
/// taken, and the values of the step where some lane escaped or rebased (the lanes left as
/// they were before it), if one did.
#[inline(always)]
pub(super) fn group_plain_steps(
    orbit: &[Complex<f64>],
    v: &mut Lanes,
    m: usize,
    run: u32,
    last: usize,
) -> (u32, Option<LaneStep>) {
    for j in 0..run as usize {
        let (zr, z) = (orbit[m + j], orbit[m + j + 1]);
        let mut nx = [0.0; LANES];
        let mut ny = [0.0; LANES];
        let mut any = false;
        for l in 0..LANES {
            let (x, y) = (v.x[l], v.y[l]);
            let tx = 2.0 * zr.re + x;
            let ty = 2.0 * zr.im + y;
            nx[l] = tx * x - ty * y + v.cx[l];
            ny[l] = tx * y + ty * x + v.cy[l];
            let (zx, zy) = (z.re + nx[l], z.im + ny[l]);
            let norm = zx * zx + zy * zy;
            any |= (norm >= 4.0) | (norm < nx[l] * nx[l] + ny[l] * ny[l]);
        }
        if any || m + j + 1 == last {
            let mut step = LaneStep {
                nx,
                ny,
                ..LaneStep::default()
            };
            for l in 0..LANES {
                let (zx, zy) = (z.re + nx[l], z.im + ny[l]);
                let norm = zx * zx + zy * zy;
                let e =
                    (norm >= 4.0) | (norm < nx[l] * nx[l] + ny[l] * ny[l]) | (m + j + 1 == last);
                (step.zx[l], step.zy[l], step.norm[l]) = (zx, zy, norm);
                step.event |= u32::from(e) << l;
            }
            return (j as u32 + 1, Some(step));
        }
        (v.x, v.y) = (nx, ny);
    }
    (run, None)
}
