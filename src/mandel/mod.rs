//! The Mandelbrot set, pure: which point each pixel samples, how many iterations it takes to
//! escape, what colour that is, and how the result is written.
//!
//! Nothing here knows about MPI. A rank calls [`render_rows`] on its share of rows; rank 0
//! assembles the gathered counts, then [`colorize`] + [`write_png`] or [`write_npy`].
//!
//! | module       | what it holds |
//! |--------------|---------------|
//! | [`viewport`] | the validated view and the exact pixel -> `c` mapping (row 0 is the top) |
//! | [`kernel`]   | the scalar escape-count reference (`mandel1`) and the smooth count |
//! | [`fast`]     | the SIMD escape-count kernel, identical counts, picked for the CPU at run time |
//! | [`colormap`] | matplotlib's `jet` and `gray` byte-exact, colorous gradients, [`colorize`] |
//! | [`npy`]      | counts as a NumPy `.npy` array of shape `(height, width)` |
//! | [`png`]      | RGB bytes as an 8-bit PNG |

pub mod colormap;
mod error;
pub mod fast;
pub mod kernel;
pub mod npy;
pub mod png;
pub mod render;
pub mod viewport;

pub use colormap::{colorize, Colormap};
pub use error::MandelError;
pub use fast::{computed_iterations_scalar, render_rows_fast, render_rows_fast_with_isa, Isa};
pub use kernel::{check_max_iter, escape_count, render_row, render_rows, smooth_count};
pub use npy::write_npy;
pub use png::write_png;
pub use render::{render_share, Kernel};
pub use viewport::{
    Viewport, DEFAULT_HEIGHT, DEFAULT_MAX_ITER, DEFAULT_WIDTH, DEFAULT_XMAX, DEFAULT_XMIN,
    DEFAULT_YMAX, DEFAULT_YMIN, MAX_PIXELS,
};
