//! How the rows of an image are shared among the ranks and come back to rank 0, in order.
//!
//! Every rank renders its rows through a [`RowRenderer`] (the one interface a kernel offers);
//! rank 0 hands finished rows, top to bottom, to a [`RowSink`] (the one interface an output
//! offers). Nothing here knows which kernel or which output it serves.
//!
//! - `block` and `cyclic`: rank 0 scatters each rank a three-number description of its rows (a
//!   [`RowStride`]); each rank renders them in pieces. Without output nothing travels but the
//!   figures. With output, rank 0 takes the pieces in row order, each from the rank that owns the
//!   next row, through synchronous sends, so a rank can be at most one piece ahead (it renders the
//!   next while the last one waits): rank 0 holds at most one piece per rank, O(width x ranks x
//!   piece rows), whatever the height. Block bands are the exception: a rank computes its whole
//!   band at once and keeps it until rank 0 asks (memory on that rank, not on rank 0), because
//!   waiting for rank 0 to reach its band would serialise the ranks.
//! - `dynamic`: rank 0 hands out chunks of consecutive rows to whichever rank reports back, and
//!   renders single rows itself between messages; a chunk is handed out only while it lies
//!   within a window of rows after the next one to write, which bounds rank 0's memory.
//!
//! Counts travel as `u16` when the kernel's largest count allows (half the bytes), otherwise as
//! `u32`; every message is cut into pieces of at most [`max_count`] elements, so no image size
//! meets MPI's `i32` counts. The bytes rank 0 writes are the same for any ranks and schedule.

use std::ops::Range;

use mpi::datatype::Equivalence;
use mpi::traits::*;
use serde::Serialize;

use super::render::RowRenderer;
use super::sink::RowSink;
use crate::partition::{block_owner, block_stride, cyclic_stride, RowStride};
use crate::progress::Progress;
use crate::spmd::{max_count, Spmd, ROOT};

/// How rows are shared among the ranks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Schedule {
    /// Contiguous bands, one per rank: the naive split (the middle bands cost the most).
    Block,
    /// Rows dealt round-robin: every rank gets a fair sample of cheap and costly rows.
    Cyclic,
    /// Rank 0 hands out small chunks of rows to whichever rank is free, and computes too.
    Dynamic,
}

/// Bytes of counts one piece of a rank's rows aims for: few messages, each far above any eager
/// limit, and small enough that a piece is quickly rendered.
const PIECE_BYTES: usize = 2 << 20;

/// Bytes the rows waiting on rank 0 for their turn may take, all ranks together.
const WINDOW_BYTES: usize = 64 << 20;

/// Message tag of a piece's counts (static schedules).
const TAG_COUNTS: i32 = 11;
/// Message tag of a piece's smooth values (static schedules).
const TAG_SMOOTH: i32 = 12;
/// Message tag of a dynamic worker's report: its last chunk's rows (empty at first, or without
/// output), which also asks for the next chunk.
const TAG_DATA: i32 = 13;
/// Message tag of a rank's rows done, without output (static schedules).
const TAG_PROGRESS: i32 = 15;
/// Message tag of rank 0's answer to a report: the next chunk of rows, or an empty one: stop.
const TAG_ASSIGN: i32 = 14;

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
        Schedule::Block | Schedule::Cyclic if renderer.max_count() <= u32::from(u16::MAX) => {
            render_static::<u16>(&image, schedule, sink, &mut tally)
        }
        Schedule::Block | Schedule::Cyclic => {
            render_static::<u32>(&image, schedule, sink, &mut tally)
        }
        Schedule::Dynamic => render_dynamic(&image, sink, &mut tally),
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

/// What every schedule is given: the ranks, the rows' renderer, the image's height, and whether
/// rank 0 has a sink for the rows (as [`render_image`] takes them).
struct Image<'a> {
    spmd: &'a Spmd,
    renderer: &'a dyn RowRenderer,
    height: u32,
    streaming: bool,
}

/// One rank's running figures, and where rank 0 reports the rows done.
#[derive(Default)]
struct Tally<'p> {
    seconds: f64,
    work: u64,
    computed: u64,
    progress: Option<&'p mut Progress>,
}

impl Tally<'_> {
    /// Reports that `rows` rows of the image are done (rank 0).
    fn done(&mut self, rows: u64) {
        if let Some(p) = self.progress.as_deref_mut() {
            p.set(rows);
        }
    }

    /// Renders `rows` into the buffers (resized to fit) and counts the time and the work.
    fn render(
        &mut self,
        spmd: &Spmd,
        renderer: &dyn RowRenderer,
        rows: &[u32],
        counts: &mut Vec<u32>,
        smooth: &mut Vec<f32>,
    ) {
        let pixels = rows.len() * renderer.width();
        counts.resize(pixels, 0);
        let smooth = if renderer.smooth() {
            smooth.resize(pixels, 0.0);
            Some(&mut smooth[..])
        } else {
            None
        };
        let start = spmd.now();
        self.computed += renderer.render(rows, counts, smooth);
        self.seconds += spmd.now() - start;
        self.work += counts.iter().map(|&c| u64::from(c)).sum::<u64>();
    }
}

/// The element type counts travel as.
trait Wire: Equivalence + Copy + Default {
    /// A count that the caller knows fits.
    fn narrow(count: u32) -> Self;
    /// Back to `u32`.
    fn widen(self) -> u32;
}

impl Wire for u16 {
    fn narrow(count: u32) -> Self {
        count as u16
    }
    fn widen(self) -> u32 {
        u32::from(self)
    }
}

impl Wire for u32 {
    fn narrow(count: u32) -> Self {
        count
    }
    fn widen(self) -> u32 {
        self
    }
}

/// Rows per piece of a static share: about [`PIECE_BYTES`] of counts on the wire, and few enough
/// that one piece per rank fits [`WINDOW_BYTES`] on rank 0; at least one row.
fn piece_rows(width: usize, ranks: usize, wire_bytes: usize, smooth: bool) -> u32 {
    let extra = if smooth { 4 } else { 0 };
    let by_piece = PIECE_BYTES / (width * (wire_bytes + extra)).max(1);
    let by_window = WINDOW_BYTES / (ranks * width * (4 + extra)).max(1);
    by_piece.min(by_window).clamp(1, u32::MAX as usize) as u32
}

/// One rank's rows of a static schedule, rank 0 sorting them into order with everyone else's.
fn render_static<W: Wire>(
    image: &Image,
    schedule: Schedule,
    sink: Option<&mut dyn RowSink>,
    tally: &mut Tally,
) {
    let (spmd, renderer, height, streaming) =
        (image.spmd, image.renderer, image.height, image.streaming);
    let ranks = spmd.size() as u32;
    // Rank 0 plans; every rank gets the three numbers of its share.
    let plan: Option<Vec<RowStride>> = spmd.is_root().then(|| {
        (0..ranks)
            .map(|r| match schedule {
                Schedule::Block => block_stride(height, ranks, r),
                _ => cyclic_stride(height, ranks, r),
            })
            .collect()
    });
    let described: Option<Vec<Vec<u32>>> = plan
        .as_ref()
        .map(|p| p.iter().map(|s| s.to_array().to_vec()).collect());
    let mine = RowStride::from_slice(&spmd.scatter_slices(described.as_deref()));
    let width = renderer.width();
    let rows_per_piece = piece_rows(
        width,
        ranks as usize,
        std::mem::size_of::<W>(),
        renderer.smooth(),
    )
    .min(renderer.max_piece_rows())
    .max(1);
    let pieces = move |stride: RowStride| {
        (0..stride.count)
            .step_by(rows_per_piece as usize)
            .map(move |k| k..(k + rows_per_piece).min(stride.count))
    };

    if !streaming {
        // Nothing to send: render the share piece by piece into the same buffers.
        // Nothing to send but how far each rank is: one small message per piece, so rank 0
        // can report the whole image's progress.
        let mut piece = Piece::<W>::default();
        if !spmd.is_root() {
            let root = spmd.world().process_at_rank(ROOT);
            for ks in pieces(mine) {
                let rows = u64::from(ks.end - ks.start);
                piece.render(spmd, renderer, mine, ks, tally);
                root.send_with_tag(&rows, TAG_PROGRESS);
            }
            return;
        }
        let any = spmd.world().any_process();
        let mut done = 0u64;
        let take = |done: &mut u64, (message, _): (mpi::point_to_point::Message, _)| {
            let (rows, _) = message.matched_receive::<u64>();
            *done += rows;
        };
        for ks in pieces(mine) {
            done += u64::from(ks.end - ks.start);
            piece.render(spmd, renderer, mine, ks, tally);
            while let Some(matched) = any.immediate_matched_probe_with_tag(TAG_PROGRESS) {
                take(&mut done, matched);
            }
            tally.done(done);
        }
        while done < u64::from(height) {
            take(&mut done, any.matched_probe_with_tag(TAG_PROGRESS));
            tally.done(done);
        }
        return;
    }
    if let (Some(sink), Some(plan)) = (sink, plan) {
        let rows = StaticRows {
            plan: &plan,
            schedule,
            height,
            rows_per_piece,
        };
        take_static::<W>(spmd, renderer, &rows, sink, tally);
        return;
    }
    // A rank other than 0 with output: send each piece when rank 0 takes it.
    if schedule == Schedule::Block {
        // Render the whole band first, and keep it until rank 0 takes it piece by piece.
        let mut band: Vec<Piece<W>> = pieces(mine)
            .map(|ks| {
                let mut piece = Piece::default();
                piece.render(spmd, renderer, mine, ks, tally);
                piece
            })
            .collect();
        mpi::request::scope(|scope| {
            let mut pending = Pending::new();
            for piece in band.iter_mut() {
                piece.post(spmd, scope, renderer.smooth(), &mut pending);
            }
            pending.wait();
        });
        return;
    }
    // Cyclic: render the next piece while rank 0 takes the last one (two buffers).
    let mut all = pieces(mine);
    let Some(first) = all.next() else { return };
    let mut ready = Piece::<W>::default();
    ready.render(spmd, renderer, mine, first, tally);
    let mut spare = Piece::<W>::default();
    loop {
        let next = all.next();
        mpi::request::scope(|scope| {
            let mut pending = Pending::new();
            ready.post(spmd, scope, renderer.smooth(), &mut pending);
            if let Some(ks) = next.clone() {
                spare.render(spmd, renderer, mine, ks, tally);
            }
            pending.wait();
        });
        if next.is_none() {
            return;
        }
        std::mem::swap(&mut ready, &mut spare);
    }
}

/// Rank 0's view of a static schedule with output.
struct StaticRows<'a> {
    plan: &'a [RowStride],
    schedule: Schedule,
    height: u32,
    rows_per_piece: u32,
}

/// Rank 0 with output: renders its own pieces and takes everyone else's, always the piece that
/// holds the next row to write, and hands the rows to the sink in order.
fn take_static<W: Wire>(
    spmd: &Spmd,
    renderer: &dyn RowRenderer,
    rows: &StaticRows,
    sink: &mut dyn RowSink,
    tally: &mut Tally,
) {
    let StaticRows {
        plan,
        schedule,
        height,
        rows_per_piece,
    } = *rows;
    let ranks = plan.len() as u32;
    let width = renderer.width();
    let mut order = InOrder::new(width, renderer.smooth(), rows_per_piece * ranks);
    let mut next_piece = vec![0u32; ranks as usize];
    let mut own = Piece::<W>::default();
    let mut received = Piece::<W>::default();
    while order.next < height {
        let row = order.next;
        let owner = match schedule {
            Schedule::Block => block_owner(height, ranks, row),
            _ => row % ranks,
        } as usize;
        let stride = plan[owner];
        let start = next_piece[owner] * rows_per_piece;
        let ks = start..(start + rows_per_piece).min(stride.count);
        next_piece[owner] += 1;
        assert_eq!(
            stride.row(start),
            row,
            "the next row opens its owner's next piece"
        );
        let piece = if owner == ROOT as usize {
            own.render(spmd, renderer, stride, ks, tally);
            &own
        } else {
            received.receive(spmd, owner as i32, stride, ks, width, renderer.smooth());
            &received
        };
        let smooth = renderer.smooth().then_some(&piece.smooth[..]);
        order.put(&piece.rows, &piece.counts, smooth, sink);
        tally.done(u64::from(order.next));
    }
}

/// A piece of one rank's rows: which rows, their counts (and as they travel), smooth values.
#[derive(Default)]
struct Piece<W> {
    rows: Vec<u32>,
    counts: Vec<u32>,
    wire: Vec<W>,
    smooth: Vec<f32>,
}

/// Immediate sends in flight, waited for together.
struct Pending<'a, S: mpi::request::Scope<'a>, W: Wire> {
    counts: Vec<mpi::request::Request<'a, [W], S>>,
    smooth: Vec<mpi::request::Request<'a, [f32], S>>,
}

impl<'a, S: mpi::request::Scope<'a>, W: Wire> Pending<'a, S, W> {
    fn new() -> Self {
        Pending {
            counts: Vec::new(),
            smooth: Vec::new(),
        }
    }

    fn wait(self) {
        for r in self.counts {
            r.wait();
        }
        for r in self.smooth {
            r.wait();
        }
    }
}

impl<W: Wire> Piece<W> {
    /// Renders the share's rows `ks` into this piece.
    fn render(
        &mut self,
        spmd: &Spmd,
        renderer: &dyn RowRenderer,
        share: RowStride,
        ks: Range<u32>,
        tally: &mut Tally,
    ) {
        self.rows.clear();
        self.rows.extend(share.rows(ks));
        tally.render(
            spmd,
            renderer,
            &self.rows,
            &mut self.counts,
            &mut self.smooth,
        );
    }

    /// Sends this piece to rank 0 with synchronous immediate sends (complete only once rank 0
    /// has started to receive it), cut into messages of at most [`max_count`] elements.
    fn post<'a, S: mpi::request::Scope<'a> + Copy>(
        &'a mut self,
        spmd: &Spmd,
        scope: S,
        smooth: bool,
        pending: &mut Pending<'a, S, W>,
    ) {
        self.wire.clear();
        self.wire.extend(self.counts.iter().map(|&c| W::narrow(c)));
        let root = spmd.world().process_at_rank(ROOT);
        for chunk in self.wire.chunks(max_count()) {
            pending
                .counts
                .push(root.immediate_synchronous_send_with_tag(scope, chunk, TAG_COUNTS));
        }
        if smooth {
            for chunk in self.smooth.chunks(max_count()) {
                pending
                    .smooth
                    .push(root.immediate_synchronous_send_with_tag(scope, chunk, TAG_SMOOTH));
            }
        }
    }

    /// Receives the piece `ks` of `source`'s share (on rank 0).
    fn receive(
        &mut self,
        spmd: &Spmd,
        source: i32,
        share: RowStride,
        ks: Range<u32>,
        width: usize,
        smooth: bool,
    ) {
        self.rows.clear();
        self.rows.extend(share.rows(ks));
        let pixels = self.rows.len() * width;
        self.wire.resize(pixels, W::default());
        spmd.receive_chunked(source, TAG_COUNTS, &mut self.wire);
        self.counts.clear();
        self.counts.extend(self.wire.iter().map(|w| w.widen()));
        if smooth {
            self.smooth.resize(pixels, 0.0);
            spmd.receive_chunked(source, TAG_SMOOTH, &mut self.smooth);
        }
    }
}

/// Rank 0's rows put back in order: rows that arrive ahead of their turn wait in a ring of
/// `capacity` rows; rows whose turn it is go to the sink at once.
struct InOrder {
    /// The next row the sink gets.
    next: u32,
    width: usize,
    smooth: bool,
    capacity: u32,
    /// Allocated on first use: a single rank, or block bands, never need it.
    counts: Vec<u32>,
    smooth_values: Vec<f32>,
    present: Vec<bool>,
    waiting: usize,
}

impl InOrder {
    fn new(width: usize, smooth: bool, capacity: u32) -> InOrder {
        InOrder {
            next: 0,
            width,
            smooth,
            capacity: capacity.max(1),
            counts: Vec::new(),
            smooth_values: Vec::new(),
            present: Vec::new(),
            waiting: 0,
        }
    }

    /// Rows `rows` (ascending; `counts` and `smooth` hold them back to back), none before
    /// `next` and all within the ring's reach of it; passes on every row whose turn has come.
    fn put(
        &mut self,
        rows: &[u32],
        counts: &[u32],
        smooth: Option<&[f32]>,
        sink: &mut dyn RowSink,
    ) {
        let w = self.width;
        let consecutive = rows
            .iter()
            .enumerate()
            .all(|(i, &r)| r == self.next + i as u32);
        if self.waiting == 0 && consecutive {
            sink.push(counts, smooth);
            self.next += rows.len() as u32;
            return;
        }
        if self.present.is_empty() {
            let cap = self.capacity as usize;
            self.counts = vec![0; cap * w];
            if self.smooth {
                self.smooth_values = vec![0.0; cap * w];
            }
            self.present = vec![false; cap];
        }
        for (i, &row) in rows.iter().enumerate() {
            assert!(
                row >= self.next && row - self.next < self.capacity,
                "row {row} outside the window after {}",
                self.next
            );
            let slot = (row % self.capacity) as usize;
            self.counts[slot * w..(slot + 1) * w].copy_from_slice(&counts[i * w..(i + 1) * w]);
            if let Some(s) = smooth {
                self.smooth_values[slot * w..(slot + 1) * w]
                    .copy_from_slice(&s[i * w..(i + 1) * w]);
            }
            self.present[slot] = true;
            self.waiting += 1;
        }
        loop {
            let slot = (self.next % self.capacity) as usize;
            if !self.present[slot] {
                break;
            }
            let span = slot * w..(slot + 1) * w;
            let smooth = self.smooth.then(|| &self.smooth_values[span.clone()]);
            sink.push(&self.counts[span], smooth);
            self.present[slot] = false;
            self.waiting -= 1;
            self.next += 1;
        }
    }
}

/// The dynamic schedule: chunks of rows on demand, within a window of the next row to write.
fn render_dynamic(image: &Image, sink: Option<&mut dyn RowSink>, tally: &mut Tally) {
    let (spmd, renderer, height, streaming) =
        (image.spmd, image.renderer, image.height, image.streaming);
    let ranks = spmd.size() as u32;
    let width = renderer.width();
    let values = if renderer.smooth() { 2 } else { 1 };
    // Small chunks balance well; a few rows each keep the messages few.
    let by_bytes = (PIECE_BYTES / (width * 4 * values).max(1)).clamp(1, 16) as u32;
    let chunk_rows = (height / (ranks * 16)).clamp(1, 16).min(by_bytes);
    let (mut rows, mut counts, mut smooth) = (Vec::new(), Vec::new(), Vec::new());
    if !spmd.is_root() {
        let root = spmd.world().process_at_rank(ROOT);
        let mut payload: Vec<u32> = Vec::new();
        loop {
            spmd.send_chunked(ROOT, TAG_DATA, &payload);
            let mut job = [0u32; 2];
            root.receive_into_with_tag(&mut job[..], TAG_ASSIGN);
            if job[0] == job[1] {
                return;
            }
            rows.clear();
            rows.extend(job[0]..job[1]);
            tally.render(spmd, renderer, &rows, &mut counts, &mut smooth);
            payload.clear();
            if streaming {
                payload.extend_from_slice(&counts);
                if renderer.smooth() {
                    payload.extend(smooth.iter().map(|s| s.to_bits()));
                }
            }
        }
    }

    // Rank 0: the window is unbounded without output (nothing waits), else a few chunks per rank.
    let row_bytes = width * 4 * values;
    let capacity = if streaming {
        let fit = (WINDOW_BYTES / row_bytes.max(1)) as u32;
        fit.min(chunk_rows * ranks * 4)
            .max(chunk_rows * (ranks + 1))
    } else {
        u32::MAX
    };
    let mut order = InOrder::new(width, renderer.smooth(), capacity);
    let mut sink = sink;
    let mut next = 0u32; // the next row to hand out
    let mut assigned: Vec<Range<u32>> = vec![0..0; ranks as usize];
    let mut waiting: std::collections::VecDeque<i32> = Default::default();
    let mut workers_left = ranks - 1;
    let mut payload: Vec<u32> = Vec::new();
    let mut rows_done = 0u64;
    let any = spmd.world().any_process();
    let within = |next: u32, len: u32, written: u32| {
        u64::from(next) + u64::from(len) <= u64::from(written) + u64::from(capacity)
    };
    loop {
        // Answer the workers that reported, while their chunk fits the window.
        while let Some(&worker) = waiting.front() {
            let job = if next >= height {
                workers_left -= 1;
                0..0
            } else {
                let len = chunk_rows.min(height - next);
                if !within(next, len, order.next) {
                    break;
                }
                next += len;
                next - len..next
            };
            waiting.pop_front();
            spmd.world()
                .process_at_rank(worker)
                .send_with_tag(&[job.start, job.end][..], TAG_ASSIGN);
            assigned[worker as usize] = job;
        }
        if workers_left == 0 && next >= height {
            break;
        }
        let can_work = next < height && within(next, 1, order.next);
        let message = if can_work {
            any.immediate_matched_probe_with_tag(TAG_DATA)
        } else {
            Some(any.matched_probe_with_tag(TAG_DATA))
        };
        match message {
            Some((message, status)) => {
                let source = status.source_rank();
                let job = std::mem::replace(&mut assigned[source as usize], 0..0);
                rows_done += job.len() as u64;
                let len = if streaming {
                    job.len() * width * values
                } else {
                    0
                };
                payload.resize(len, 0);
                let first = len.min(max_count());
                message.matched_receive_into(&mut payload[..first]);
                if len > first {
                    spmd.receive_chunked(source, TAG_DATA, &mut payload[first..]);
                }
                if let (Some(sink), false) = (sink.as_deref_mut(), job.is_empty()) {
                    let rows: Vec<u32> = job.collect();
                    let pixels = rows.len() * width;
                    let (c, s) = payload.split_at(pixels);
                    smooth.clear();
                    smooth.extend(s.iter().map(|&b| f32::from_bits(b)));
                    order.put(&rows, c, renderer.smooth().then_some(&smooth[..]), sink);
                }
                waiting.push_back(source);
                tally.done(rows_done);
            }
            None => {
                // Rank 0 renders one row at a time, so a report waits at most one row.
                rows.clear();
                rows.push(next);
                next += 1;
                tally.render(spmd, renderer, &rows, &mut counts, &mut smooth);
                if let Some(sink) = sink.as_deref_mut() {
                    order.put(
                        &rows,
                        &counts,
                        renderer.smooth().then_some(&smooth[..]),
                        sink,
                    );
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Collects what it is given.
    #[derive(Default)]
    struct Collect {
        counts: Vec<u32>,
        smooth: Vec<f32>,
    }

    impl RowSink for Collect {
        fn push(&mut self, counts: &[u32], smooth: Option<&[f32]>) {
            self.counts.extend_from_slice(counts);
            self.smooth.extend_from_slice(smooth.unwrap_or(&[]));
        }
        fn finish(self: Box<Self>) -> Result<(), crate::Error> {
            Ok(())
        }
    }

    #[test]
    fn rows_come_out_in_order_whatever_order_they_arrive_in() {
        let width = 3;
        let height = 40u32;
        // Arrival: cyclic pieces of 2 rows from 4 ranks, rank 3 first, then 1, 0, 2.
        let mut order = InOrder::new(width, true, 2 * 4);
        let mut sink = Collect::default();
        let value = |row: u32, col: usize| row * 10 + col as u32;
        for piece in 0..height / 8 {
            for rank in [3u32, 1, 0, 2] {
                let rows: Vec<u32> = (0..2).map(|k| piece * 8 + rank + 4 * k).collect();
                let counts: Vec<u32> = rows
                    .iter()
                    .flat_map(|&r| (0..width).map(move |c| value(r, c)))
                    .collect();
                let smooth: Vec<f32> = counts.iter().map(|&c| c as f32 + 0.5).collect();
                order.put(&rows, &counts, Some(&smooth), &mut sink);
            }
        }
        assert_eq!(order.next, height);
        let want: Vec<u32> = (0..height)
            .flat_map(|r| (0..width).map(move |c| value(r, c)))
            .collect();
        assert_eq!(sink.counts, want);
        assert_eq!(sink.smooth.len(), want.len());
        assert!(sink
            .smooth
            .iter()
            .zip(&want)
            .all(|(&s, &c)| s == c as f32 + 0.5));
    }

    #[test]
    #[should_panic(expected = "outside the window")]
    fn a_row_beyond_the_window_is_a_bug() {
        let mut order = InOrder::new(1, false, 4);
        order.put(&[5], &[1], None, &mut Collect::default());
    }

    #[test]
    fn pieces_respect_both_budgets_and_hold_a_row() {
        assert_eq!(piece_rows(1000, 1, 2, false), (PIECE_BYTES / 2000) as u32);
        assert_eq!(piece_rows(1 << 30, 4, 4, true), 1);
        let many = piece_rows(1000, 10_000, 2, false);
        assert!(many as usize * 10_000 * 1000 * 4 <= WINDOW_BYTES.max(10_000 * 1000 * 4));
    }
}
