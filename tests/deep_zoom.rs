//! The perturbation kernel against independent references, without MPI:
//! - the direct f64 kernels, where f64 suffices (shallow views and a 1e-12 one);
//! - a test-only oracle iterating `z = z^2 + c` per pixel in exact fixed point with num-bigint
//!   (an arbitrary-precision library we do not otherwise use), at 1e-20, 1e-60, 1e-120, 1e-320.

use num_bigint::BigInt;
use rayon::prelude::*;

use mpi_examples::mandel::deep::bignum::Decimal;
use mpi_examples::mandel::deep::render::{DeepRenderer, Reference};
use mpi_examples::mandel::deep::view::{decimal_to_fe, DeepView};
use mpi_examples::mandel::{escape_count, Viewport};
use mpi_examples::progress::Progress;

fn dec(s: &str) -> Decimal {
    s.parse().expect("a decimal")
}

fn deep_view(re: &str, im: &str, scale: &str, w: u32, h: u32) -> DeepView {
    let s = decimal_to_fe(&dec(scale)).expect("in range");
    DeepView::from_center(&dec(re), &dec(im), s, scale.into(), w, h).expect("valid")
}

/// Counts of every pixel, row 0 first, by perturbation.
fn perturbation_counts(view: &DeepView, max_iter: u32, bla: bool) -> Vec<u32> {
    let reference = Reference::compute(view, max_iter, bla.then_some(53), &mut Progress::off());
    let r = DeepRenderer::new(view, &reference, max_iter, false, 1);
    (0..view.height())
        .into_par_iter()
        .flat_map_iter(|row| {
            let r = &r;
            (0..view.width()).map(move |col| r.pixel(col, row).count)
        })
        .collect()
}

#[test]
fn perturbation_matches_the_direct_kernel_where_f64_suffices() {
    // (centre, scale, max_iter): the whole set, seahorse valley, a bulb's edge, and 1e-12.
    let views = [
        ("-0.5", "0", "3", 200),
        ("-0.7453", "0.1127", "0.01", 600),
        ("-1.25", "0.02", "0.05", 1000),
        ("-0.743643887037151", "0.131825904205330", "1e-12", 5000),
    ];
    let (w, h) = (120, 80);
    for (re, im, scale, max_iter) in views {
        let f64_view = Viewport::from_center(
            re.parse().unwrap(),
            im.parse().unwrap(),
            scale.parse().unwrap(),
            w,
            h,
        )
        .expect("f64 resolves it");
        let direct: Vec<u32> = (0..h)
            .flat_map(|r| {
                let v = &f64_view;
                (0..w).map(move |j| escape_count(v.c_at(j, r), max_iter))
            })
            .collect();
        let view = deep_view(re, im, scale, w, h);
        for bla in [false, true] {
            let got = perturbation_counts(&view, max_iter, bla);
            let same = got.iter().zip(&direct).filter(|(a, b)| a == b).count();
            let share = same as f64 / direct.len() as f64;
            eprintln!(
                "{re},{im} scale {scale} bla {bla}: {same}/{} same",
                direct.len()
            );
            assert!(
                share >= 0.999,
                "{re},{im} scale {scale}, bla {bla}: only {same} of {} pixels agree",
                direct.len()
            );
        }
        // The same grid given by its f64 edges: its centre and half step are the f64 grid's
        // (`xmin + W dx / 2`, `dx / 2`) rather than the decimal's, a few ulps apart, which
        // moves a handful of boundary pixels on the shallow views.
        let from_edges = DeepView::from_viewport(&f64_view).expect("valid");
        let got = perturbation_counts(&from_edges, max_iter, true);
        let same = got.iter().zip(&direct).filter(|(a, b)| a == b).count();
        assert!(same as f64 >= 0.995 * direct.len() as f64, "edges: {same}");
    }
}

/// `floor(x * 2^bits)` for a decimal string, exactly.
fn to_fixed(s: &str, bits: u32) -> BigInt {
    let s = s.trim();
    let (neg, s) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s),
    };
    let (mantissa, exp) = match s.split_once(['e', 'E']) {
        Some((m, e)) => (m, e.parse::<i64>().expect("exponent")),
        None => (s, 0),
    };
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let digits: BigInt = format!("{int}{frac}").parse().expect("digits");
    let exp10 = exp - frac.len() as i64;
    let scaled = if exp10 >= 0 {
        (digits * BigInt::from(10).pow(exp10 as u32)) << bits
    } else {
        (digits << bits) / BigInt::from(10).pow((-exp10) as u32)
    };
    if neg {
        -scaled
    } else {
        scaled
    }
}

/// The direct iteration in exact fixed point (products truncated to `bits` fraction bits).
fn oracle_count(cx: &BigInt, cy: &BigInt, bits: u32, max_iter: u32) -> u32 {
    let four = BigInt::from(4) << (2 * bits);
    let (mut x, mut y) = (BigInt::from(0), BigInt::from(0));
    for i in 0..max_iter {
        let xx = &x * &x;
        let yy = &y * &y;
        let xy = &x * &y;
        x = ((xx - yy) >> bits) + cx;
        y = ((xy << 1) >> bits) + cy;
        if &x * &x + &y * &y >= four {
            return i;
        }
    }
    max_iter
}

#[test]
fn perturbation_agrees_with_an_arbitrary_precision_oracle_at_every_depth() {
    let (w, h) = (32u32, 24u32);
    // Near the Misiurewicz point c = i, offset by a fraction of each view so that the point
    // and its spirals sit inside it: the centre needs all of the view's digits.
    for (k, max_iter) in [(20u32, 4000u32), (60, 4000), (120, 6000), (320, 12000)] {
        let re = format!("0.37e-{k}");
        let im = format!("1.{}185", "0".repeat(k as usize));
        let scale = format!("1e-{k}");
        let view = deep_view(&re, &im, &scale, w, h);
        let got = perturbation_counts(&view, max_iter, true);
        // The oracle's grid: centre + ((2j - W), (2(H-1-r) - H)) * scale / (2W), exactly.
        let bits = (k as f64 * std::f64::consts::LOG2_10) as u32 + 128;
        let (cre, cim) = (to_fixed(&re, bits), to_fixed(&im, bits));
        let half = to_fixed(&scale, bits) / BigInt::from(2 * w);
        let want: Vec<u32> = (0..h)
            .into_par_iter()
            .flat_map_iter(|r| {
                let (cre, cim, half) = (&cre, &cim, &half);
                (0..w).map(move |j| {
                    let cx = cre + half * BigInt::from(2 * i64::from(j) - i64::from(w));
                    let cy = cim
                        + half * BigInt::from(2 * (i64::from(h) - 1 - i64::from(r)) - i64::from(h));
                    oracle_count(&cx, &cy, bits, max_iter)
                })
            })
            .collect();
        let same = got.iter().zip(&want).filter(|(a, b)| a == b).count();
        let worst = got
            .iter()
            .zip(&want)
            .map(|(&a, &b)| (i64::from(a) - i64::from(b)).abs())
            .max()
            .unwrap_or(0);
        let spread = want.iter().max().unwrap() - want.iter().min().unwrap();
        eprintln!(
            "1e-{k}: {same}/{} same, worst difference {worst}, counts span {spread}",
            want.len()
        );
        assert!(
            spread > 10,
            "1e-{k}: the view shows structure (counts span {spread})"
        );
        assert!(
            same as f64 >= 0.995 * want.len() as f64,
            "1e-{k}: only {same} of {} pixels agree with the oracle",
            want.len()
        );
        assert!(worst <= 3, "1e-{k}: a pixel differs by {worst} iterations");
    }
}
