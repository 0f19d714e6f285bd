//! One rank's rows rendered with the chosen kernel on the chosen number of threads.

use rayon::prelude::*;

use super::fast::{computed_iterations_scalar, render_rows_fast};
use super::scalar::{render_rows, RowsJob};
use super::viewport::Viewport;

/// Which escape-count kernel renders the rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kernel {
    /// `fast` where f64 resolves the pixels well, `perturbation` beyond: the default.
    #[default]
    Auto,
    /// SIMD lanes, several vectors in flight, cardioid and bulb skipped.
    Fast,
    /// The notebook's `mandel1` with `num_complex`: the reference.
    Scalar,
    /// Perturbation from an arbitrary-precision reference orbit, with BLA: any depth.
    Perturbation,
}

impl Kernel {
    /// The name as written on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Kernel::Auto => "auto",
            Kernel::Fast => "fast",
            Kernel::Scalar => "scalar",
            Kernel::Perturbation => "perturbation",
        }
    }
}

/// Rows handed to one thread task at a time: small enough to balance, large enough to amortise.
const ROWS_PER_TASK: usize = 2;

/// Renders `rows` into `counts` (and `smooth`) with an f64 `kernel` (`Auto` is `Fast` here), on
/// rayon's global pool when `threads > 1`; returns the iterations the kernel really computed.
/// The result does not depend on `threads`.
///
/// # Panics
/// For [`Kernel::Perturbation`], which renders through [`crate::mandel::deep::render::DeepRenderer`].
pub fn render_share(kernel: Kernel, threads: usize, job: RowsJob) -> u64 {
    let (view, max_iter) = (job.view, job.max_iter);
    let render = |rows: &[u32], counts: &mut [u32], smooth: Option<&mut [f32]>| {
        let job = RowsJob::new(view, rows, max_iter, counts, smooth);
        match kernel {
            Kernel::Fast | Kernel::Auto => render_rows_fast(job),
            Kernel::Perturbation => panic!("the perturbation kernel renders through DeepRenderer"),
            Kernel::Scalar => {
                render_rows(job);
                computed_iterations_scalar(counts, max_iter)
            }
        }
    };
    let width = view.width() as usize;
    on_threads(threads, width, job.rows, job.counts, job.smooth, render)
}

/// Runs `render` over `rows` (and their slices of `counts` and `smooth`, `width` values a
/// row) on rayon's global pool when `threads > 1`, a few rows a task; the sum of what it
/// returns. Every kernel's rows are split this way, so no result depends on `threads`.
pub fn on_threads(
    threads: usize,
    width: usize,
    rows: &[u32],
    counts: &mut [u32],
    smooth: Option<&mut [f32]>,
    render: impl Fn(&[u32], &mut [u32], Option<&mut [f32]>) -> u64 + Sync,
) -> u64 {
    if threads <= 1 || rows.len() <= 1 {
        return render(rows, counts, smooth);
    }
    // On rayon's global pool: its size is set once per process (`threads::start`).
    let tasks = rows
        .par_chunks(ROWS_PER_TASK)
        .zip(counts.par_chunks_mut(ROWS_PER_TASK * width));
    match smooth {
        None => tasks.map(|(r, c)| render(r, c, None)).sum(),
        Some(smooth) => tasks
            .zip(smooth.par_chunks_mut(ROWS_PER_TASK * width))
            .map(|((r, c), s)| render(r, c, Some(s)))
            .sum(),
    }
}

/// The pixels a cycled palette is fitted to: a grid of about 48 columns and as many rows as
/// keep it square, at fixed positions, so the fit is the same at any rank count.
pub fn probe_pixels(width: u32, height: u32) -> Vec<(u32, u32)> {
    let nx = width.min(48);
    let ny = ((u64::from(nx) * u64::from(height) / u64::from(width)) as u32).clamp(1, height);
    let at = |i: u32, n: u32, len: u32| {
        ((2 * u64::from(i) + 1) * u64::from(len) / (2 * u64::from(n))) as u32
    };
    (0..ny)
        .flat_map(|r| (0..nx).map(move |j| (at(j, nx, width), at(r, ny, height))))
        .collect()
}

/// The one interface a kernel offers the distribution ([`super::distribute`]): render these rows
/// of the image into these buffers. Any kernel behind it runs under any schedule into any sink.
pub trait RowRenderer: Sync {
    /// The rows' shape: width, smooth values or not, the largest count.
    fn shape(&self) -> RowShape;
    /// Pixels per row.
    fn width(&self) -> usize {
        self.shape().width as usize
    }
    /// Whether [`RowRenderer::render`] is asked for smooth values too.
    fn smooth(&self) -> bool {
        self.shape().smooth
    }
    /// The largest count a pixel can get (so the distribution can pick a narrower wire type).
    fn max_count(&self) -> u32 {
        self.shape().max_count
    }
    /// Renders `rows` (in any order) into `counts` and, when [`RowRenderer::smooth`], `smooth`
    /// (`rows.len() * width` each); returns the iterations really computed.
    fn render(&self, rows: &[u32], counts: &mut [u32], smooth: Option<&mut [f32]>) -> u64;
    /// The most rows a rank renders before sending them to rank 0 (static schedules): a movie
    /// or a checkpointed image caps it so rows reach rank 0, and the disk, as they are done.
    fn max_piece_rows(&self) -> u32 {
        u32::MAX
    }
}

/// What the distribution needs to know of a renderer's rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RowShape {
    /// Pixels per row.
    pub width: u32,
    /// Whether smooth values come with the counts.
    pub smooth: bool,
    /// The largest count a pixel can get.
    pub max_count: u32,
}

impl RowShape {
    /// Rows `width` pixels wide, with smooth values or not, counts up to `max_count`.
    pub fn new(width: u32, smooth: bool, max_count: u32) -> RowShape {
        RowShape {
            width,
            smooth,
            max_count,
        }
    }
}

/// A view rendered by one of the f64 kernels on a number of threads.
pub struct Renderer<'a> {
    /// The kernel.
    pub kernel: Kernel,
    /// Threads per rank (rayon's global pool).
    pub threads: usize,
    /// The view.
    pub view: &'a Viewport,
    /// The iteration limit.
    pub max_iter: u32,
    /// Whether smooth values are wanted.
    pub smooth: bool,
}

impl RowRenderer for Renderer<'_> {
    fn shape(&self) -> RowShape {
        RowShape::new(self.view.width(), self.smooth, self.max_iter)
    }

    fn render(&self, rows: &[u32], counts: &mut [u32], smooth: Option<&mut [f32]>) -> u64 {
        let job = RowsJob::new(self.view, rows, self.max_iter, counts, smooth);
        render_share(self.kernel, self.threads, job)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn threads_and_kernels_give_the_same_counts() {
        let view = Viewport::new(-2.0, 1.0, -1.0, 1.0, 90, 61).expect("view");
        let rows: Vec<u32> = (0..61).rev().step_by(2).collect();
        let n = rows.len() * 90;
        let mut want = vec![0u32; n];
        let mut want_s = vec![0f32; n];
        let job = RowsJob::new(&view, &rows, 200, &mut want, Some(&mut want_s));
        let computed = render_share(Kernel::Scalar, 1, job);
        assert_eq!(computed, computed_iterations_scalar(&want, 200));
        for kernel in [Kernel::Scalar, Kernel::Fast] {
            for threads in [1, 2, 3, 7] {
                let mut got = vec![0u32; n];
                let mut got_s = vec![0f32; n];
                let job = RowsJob::new(&view, &rows, 200, &mut got, Some(&mut got_s));
                render_share(kernel, threads, job);
                assert_eq!(got, want, "{kernel:?} x {threads}");
                assert!(got_s
                    .iter()
                    .zip(&want_s)
                    .all(|(a, b)| a.to_bits() == b.to_bits()));
                let mut plain = vec![0u32; n];
                let c = render_share(
                    kernel,
                    threads,
                    RowsJob::new(&view, &rows, 200, &mut plain, None),
                );
                assert_eq!(plain, want);
                if kernel == Kernel::Scalar {
                    assert_eq!(c, computed);
                } else {
                    assert!(c < computed, "the fast kernel skips the cardioid");
                }
            }
        }
    }
}
