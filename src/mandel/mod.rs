//! The Mandelbrot set: which point each pixel samples, how many iterations it takes to escape,
//! how the rows are shared among the ranks, what colour they are and where they go.
//!
//! A render is `kernel -> distribution -> sink`: a [`RowRenderer`] fills rows, [`distribute`]
//! shares them among the ranks and brings them back to rank 0 in order, and a [`RowSink`]
//! writes them as they come. Each is one small interface, so any kernel runs under any
//! schedule into any output.
//!
//! | module         | what it holds |
//! |----------------|---------------|
//! | [`viewport`]   | the validated view and the exact pixel -> `c` mapping (row 0 is the top) |
//! | [`scalar`]     | the scalar escape-count reference (`mandel1`) and the smooth count |
//! | [`fast`]       | the SIMD escape-count kernel, identical counts, picked for the CPU at run time |
//! | [`render`]     | the kernel interface ([`RowRenderer`]) and the threads within a rank |
//! | [`distribute`] | the schedules (block, cyclic, dynamic), rows streamed back to rank 0 in order |
//! | [`sink`]       | where rows go: output threads writing `.npy` and PNG (its block-parallel encoder) as rows arrive, the checkpoint |
//! | [`colormap`]   | the colour maps (`jet` and `gray` byte-exact), [`ColorScale`], [`Painter`] |
//! | [`request`]    | [`Options`] (the raw choices) and the validated [`Request`] of one image |
//! | [`meminfo`]    | the memory available, for rank 0's checks |
//! | [`job`]        | one image, step by step across the ranks: agree, reference, open, render, finish |
//! | [`report`]     | what rank 0 prints after a render |
//! | [`image_outputs`] | one image's painter and output threads, for a single render and each movie frame |
//! | [`movie`]      | zoom movies: frame scales and file patterns, frames as one tall image |
//! | [`movie_job`]  | a movie, step by step across the ranks: agree, pending frames, reference, render |
//! | [`deep`]       | deep zoom: decimals, the fixed-point reference orbit, perturbation and BLA |
//! | `error`        | [`MandelError`]: what a bad mandel request is, with its message |

pub mod colormap;
pub mod deep;
pub mod distribute;
mod error;
pub mod fast;
pub mod image_outputs;
pub mod job;
pub mod meminfo;
pub mod movie;
pub mod movie_job;
pub mod render;
pub mod report;
pub mod request;
pub mod scalar;
pub mod sink;
pub mod viewport;

pub use colormap::{auto_cycle, colorize, ColorScale, Colormap, Cycle, Painter};
pub use distribute::{render_image, Rendered, Schedule};
pub use error::MandelError;
pub use fast::{computed_iterations_scalar, render_rows_fast, render_rows_fast_with_isa, Isa};
pub use render::{render_share, Kernel, Renderer, RowRenderer, RowShape};
pub use request::{Options, Request};
pub use scalar::{check_max_iter, escape_count, render_row, render_rows, smooth_count, RowsJob};
pub use sink::npy::write_npy;
pub use sink::png::encoder::{write_png, PngCompression};
pub use sink::{Outputs, RowSink};
pub use viewport::{
    Viewport, DEFAULT_HEIGHT, DEFAULT_MAX_ITER, DEFAULT_WIDTH, DEFAULT_XMAX, DEFAULT_XMIN,
    DEFAULT_YMAX, DEFAULT_YMIN, MAX_PIXELS,
};
