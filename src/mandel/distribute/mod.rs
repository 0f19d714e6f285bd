//! How the rows of an image are shared among the ranks and come back to rank 0, in order.
//!
//! Every rank renders its rows through a [`RowRenderer`] (the one interface a kernel offers);
//! rank 0 hands finished rows, top to bottom, to a [`RowSink`] (the one interface an output
//! offers). Nothing here knows which kernel or which output it serves. A schedule is a file:
//!
//! - `block` and `cyclic` (`static_rows.rs`): rank 0 scatters each rank a three-number
//!   description of its rows (a [`RowStride`](crate::partition::RowStride)); each rank renders
//!   them in pieces. Without output nothing travels but the figures. With output, rank 0 takes
//!   the pieces in row order, each from the rank that owns the next row, through synchronous
//!   sends, so a rank can be at most one piece ahead (it renders the next while the last one
//!   waits): rank 0 holds at most one piece per rank, O(width x ranks x piece rows), whatever the
//!   height. Block bands are the exception: a rank computes its whole band at once and keeps it
//!   until rank 0 asks (memory on that rank, not on rank 0), because waiting for rank 0 to reach
//!   its band would serialise the ranks.
//! - `dynamic` (`dynamic.rs`): rank 0 hands out chunks of consecutive rows to whichever rank
//!   reports back, and renders single rows itself between messages; a chunk is handed out only
//!   while it lies within a window of rows after the next one to write, which bounds rank 0's
//!   memory.
//!
//! Both share what every schedule works with (`context.rs`: the image, each rank's tally, the
//! byte budgets) and rank 0's ring of rows waiting for their turn (`in_order.rs`).
//!
//! Counts travel as `u16` when the kernel's largest count allows (half the bytes), otherwise as
//! `u32`; every message is cut into pieces of at most [`max_count`](crate::spmd::max_count)
//! elements, so no image size meets MPI's `i32` counts. The bytes rank 0 writes are the same for
//! any ranks and schedule.

mod context;
mod dynamic;
mod in_order;
mod static_rows;

use serde::Serialize;

use crate::mandel::render::RowRenderer;
use crate::mandel::sink::RowSink;
use crate::progress::Progress;
use crate::spmd::Spmd;
use context::{Image, Tally};
use static_rows::Split;

/// How rows are shared among the ranks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Schedule {
    /// Contiguous bands, one per rank: the naive split (the middle bands cost the most).
    Block,
    /// Rows dealt round-robin: every rank gets a fair sample of cheap and costly rows.
    Cyclic,
    /// Rank 0 hands out small chunks of rows to whichever rank is free, and computes too.
    Dynamic,
}

/// Every rank's compute time, pixel-iterations and computed iterations, on rank 0.
#[derive(Debug, Clone)]
pub struct RankFigures {
    /// Seconds each rank spent in its kernel.
    pub times: Vec<f64>,
    /// Pixel-iterations (the sum of the counts) of each rank's rows.
    pub work: Vec<u64>,
    /// Iterations each rank's kernel really computed.
    pub computed: Vec<u64>,
}

/// What rank 0 learns from a distributed render.
#[derive(Debug, Clone)]
pub struct Rendered {
    /// Seconds from the scatter of the work to the last row handed to the sink.
    pub computing_time: f64,
    /// Every rank's figures.
    pub ranks: RankFigures,
}

/// Renders every row of a `height`-row image across the ranks with `schedule`. Every rank calls
/// this with the same arguments, except `sink`: rank 0 passes where the rows go (or `None`: then
/// nothing is sent or assembled at all), the other ranks `None`; `streaming` tells every rank
/// whether rank 0 has a sink. Rank 0 reports the rows done to `progress` and gets the figures
/// back.
pub fn render_image(
    spmd: &Spmd,
    renderer: &dyn RowRenderer,
    height: u32,
    schedule: Schedule,
    streaming: bool,
    sink: Option<&mut dyn RowSink>,
    progress: &mut Progress,
) -> Option<Rendered> {
    let mut tally = Tally {
        progress: Some(progress),
        ..Tally::default()
    };
    let t0 = spmd.now();
    let sink = if streaming { sink } else { None };
    let image = Image {
        spmd,
        renderer,
        height,
        streaming,
    };
    match schedule {
        Schedule::Block => static_rows::render(&image, Split::Block, sink, &mut tally),
        Schedule::Cyclic => static_rows::render(&image, Split::Cyclic, sink, &mut tally),
        Schedule::Dynamic => dynamic::render(&image, sink, &mut tally),
    }
    let t1 = spmd.now();
    if let Some(p) = tally.progress.take() {
        p.finish();
    }
    let times = spmd.gather_slices(&[tally.seconds]);
    let counted = spmd.gather_slices(&[tally.work, tally.computed]);
    let (times, counted) = (times?, counted?);
    Some(Rendered {
        computing_time: t1 - t0,
        ranks: RankFigures {
            times: times.into_flat(),
            work: counted.parts().map(|c| c[0]).collect(),
            computed: counted.parts().map(|c| c[1]).collect(),
        },
    })
}
