//! A deep view rendered by perturbation: the reference (computed once, identically on every
//! rank), its BLA table, and the rows of one rank on its threads.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

use num_complex::Complex;

use super::bla::{bytes_per_iteration, Bla};
use super::group::group_of;
use super::orbit::reference_orbit;
use super::perturb::{Perturbation, PixelResult};
use super::view::DeepView;
use crate::mandel::render::{on_threads, RowShape};
use crate::mandel::scalar::smooth_from_escape;
use crate::mandel::RowRenderer;
use crate::progress::Progress;

/// Bytes one reference iteration stored as f64 takes.
const ORBIT_BYTES: u64 = std::mem::size_of::<Complex<f64>>() as u64;

/// The memory a reference of up to `max_iter` iterations and its table take on every rank.
pub fn reference_bytes(max_iter: u32, deep: bool, bla: bool) -> u64 {
    let per = ORBIT_BYTES + if bla { bytes_per_iteration(deep) } else { 0 };
    (u64::from(max_iter) + 1) * per
}

/// The reference orbit of a view's centre, and its BLA table.
pub struct Reference {
    /// `Z_0 ..= Z_M`, each rounded to f64 (shared by the frames of a movie).
    pub orbit: Arc<Vec<Complex<f64>>>,
    /// The merged steps (`None` when turned off).
    pub bla: Option<Bla>,
    /// Seconds spent on the orbit.
    pub orbit_s: f64,
    /// Seconds spent on the table.
    pub bla_s: f64,
}

impl Reference {
    /// Computes the orbit of `view`'s centre for up to `max_iter` iterations, at the view's
    /// precision, reporting to `progress` (iterations), then the BLA table if `bla` gives its
    /// accuracy in bits (steps are merged while what they neglect stays below `2^-bits`).
    pub fn compute(
        view: &DeepView,
        max_iter: u32,
        bla: Option<u32>,
        progress: &mut Progress,
    ) -> Self {
        let t0 = Instant::now();
        let (re, im) = view.centre();
        let orbit = reference_orbit(re, im, u64::from(max_iter), 4.0, &mut |n| progress.set(n));
        progress.finish();
        let orbit_s = t0.elapsed().as_secs_f64();
        let t1 = Instant::now();
        let bla = bla.map(|bits| {
            Bla::build_with(
                &orbit,
                view.dc_max(),
                view.is_deep(),
                (-f64::from(bits)).exp2(),
            )
        });
        Reference {
            orbit: Arc::new(orbit),
            bla,
            orbit_s,
            bla_s: t1.elapsed().as_secs_f64(),
        }
    }

    /// The same orbit with a BLA table for another `view` centred on the same point (a
    /// shallower frame of a movie): the orbit of the centre at the deepest frame's precision
    /// serves every shallower view, but the table's validity radii depend on the view's largest
    /// pixel offset, so each view gets its own.
    pub fn for_view(&self, view: &DeepView, bla: Option<u32>) -> Reference {
        let t0 = Instant::now();
        let bla = bla.map(|bits| {
            Bla::build_with(
                &self.orbit,
                view.dc_max(),
                view.is_deep(),
                (-f64::from(bits)).exp2(),
            )
        });
        Reference {
            orbit: Arc::clone(&self.orbit),
            bla,
            orbit_s: 0.0,
            bla_s: t0.elapsed().as_secs_f64(),
        }
    }

    /// Iterations in the orbit (`M`: it ends at `max_iter` or where the centre escapes).
    pub fn iterations(&self) -> usize {
        self.orbit.len() - 1
    }
}

/// Rows of a deep view by perturbation, on `threads` threads (rayon's global pool).
pub struct DeepRenderer<'a> {
    /// The view.
    pub view: &'a DeepView,
    /// Its reference.
    pub reference: &'a Reference,
    /// The iteration limit.
    pub max_iter: u32,
    /// Whether smooth values are wanted.
    pub smooth: bool,
    /// Threads per rank.
    pub threads: usize,
    /// Pixel-iterations skipped by BLA (added up as rows are rendered).
    pub skipped: AtomicU64,
}

impl DeepRenderer<'_> {
    /// A new renderer with nothing skipped yet.
    pub fn new<'a>(
        view: &'a DeepView,
        reference: &'a Reference,
        max_iter: u32,
        smooth: bool,
        threads: usize,
    ) -> DeepRenderer<'a> {
        DeepRenderer {
            view,
            reference,
            max_iter,
            smooth,
            threads,
            skipped: AtomicU64::new(0),
        }
    }

    fn perturbation(&self) -> Perturbation<'_> {
        Perturbation {
            orbit: &self.reference.orbit,
            bla: self.reference.bla.as_ref(),
            max_iter: self.max_iter,
        }
    }

    /// One pixel, as the image has it: computed with the neighbours it starts in lock step with
    /// (see [`Perturbation::pixels64`]).
    pub fn pixel(&self, col: u32, row: u32) -> PixelResult {
        let p = self.perturbation();
        if self.view.is_deep() {
            return p.pixel_fe(self.view.dc_fe(col, row));
        }
        let (first, end) = group_of(col, self.view.width());
        let dcs: Vec<_> = (first..end).map(|c| self.view.dc64(c, row)).collect();
        let mut out = vec![PixelResult::default(); dcs.len()];
        p.pixels64(&dcs, &mut out);
        out[(col - first) as usize]
    }

    /// One pixel alone (no neighbours: its BLA decisions are its own, so in rare pixels its
    /// count differs from the image's), cheaply: for samples such as the palette's.
    pub fn pixel_alone(&self, col: u32, row: u32) -> PixelResult {
        let p = self.perturbation();
        if self.view.is_deep() {
            p.pixel_fe(self.view.dc_fe(col, row))
        } else {
            p.pixel64(self.view.dc64(col, row))
        }
    }

    /// One row's pixels, column 0 first.
    pub fn row(&self, row: u32, out: &mut [PixelResult]) {
        let p = self.perturbation();
        let w = self.view.width();
        if self.view.is_deep() {
            let dcs: Vec<_> = (0..w).map(|col| self.view.dc_fe(col, row)).collect();
            p.pixels_fe(&dcs, out);
        } else {
            let dcs: Vec<_> = (0..w).map(|col| self.view.dc64(col, row)).collect();
            p.pixels64(&dcs, out);
        }
    }

    /// One pixel's smooth count, the pixel taken alone ([`DeepRenderer::pixel_alone`]).
    pub fn smooth_at(&self, col: u32, row: u32) -> f32 {
        let px = self.pixel_alone(col, row);
        let c = self.view.centre_f64() + self.view.dc64(col, row);
        smooth_from_escape(c, px.count, px.z, self.max_iter)
    }

    /// Renders rows in order into `counts` (and `smooth`); returns the steps taken.
    fn render_rows(&self, rows: &[u32], counts: &mut [u32], mut smooth: Option<&mut [f32]>) -> u64 {
        let w = self.view.width() as usize;
        let centre = self.view.centre_f64();
        let mut steps = 0;
        let mut iterations = 0u64;
        let mut results = vec![PixelResult::default(); w];
        for (i, &row) in rows.iter().enumerate() {
            self.row(row, &mut results);
            for (col, px) in results.iter().enumerate() {
                counts[i * w + col] = px.count;
                steps += px.steps;
                iterations += u64::from(px.count);
                if let Some(s) = smooth.as_deref_mut() {
                    let c = centre + self.view.dc64(col as u32, row);
                    s[i * w + col] = smooth_from_escape(c, px.count, px.z, self.max_iter);
                }
            }
        }
        self.skipped
            .fetch_add(iterations.saturating_sub(steps), Ordering::Relaxed);
        steps
    }
}

impl RowRenderer for DeepRenderer<'_> {
    fn shape(&self) -> RowShape {
        RowShape::new(self.view.width(), self.smooth, self.max_iter)
    }

    fn render(&self, rows: &[u32], counts: &mut [u32], smooth: Option<&mut [f32]>) -> u64 {
        let w = self.view.width() as usize;
        on_threads(self.threads, w, rows, counts, smooth, |r, c, s| {
            self.render_rows(r, c, s)
        })
    }
}
