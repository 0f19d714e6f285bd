//! The static schedules, `block` and `cyclic`: each rank's rows are fixed before the render (a
//! three-number [`RowStride`] each, scattered by rank 0) and rendered in pieces; with output,
//! rank 0 takes the pieces in row order, each from the rank that owns the next row.

use std::ops::Range;

use mpi::datatype::Equivalence;
use mpi::traits::*;

use super::context::{Image, Tally, PIECE_BYTES, WINDOW_BYTES};
use super::in_order::InOrder;
use crate::mandel::render::RowRenderer;
use crate::mandel::sink::RowSink;
use crate::partition::{block_owner, block_stride, cyclic_stride, RowStride};
use crate::spmd::{max_count, Spmd, ROOT};

/// How a static schedule splits the rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Split {
    /// Contiguous bands, one per rank.
    Block,
    /// Rows dealt round-robin.
    Cyclic,
}

/// Message tag of a piece's counts.
const TAG_COUNTS: i32 = 11;
/// Message tag of a piece's smooth values.
const TAG_SMOOTH: i32 = 12;
/// Message tag of a rank's rows done, without output.
const TAG_PROGRESS: i32 = 15;

/// Renders the image with `split`, counts travelling as `u16` when the kernel's largest count
/// allows (half the bytes), otherwise as `u32`.
pub(super) fn render(
    image: &Image,
    split: Split,
    sink: Option<&mut dyn RowSink>,
    tally: &mut Tally,
) {
    if image.renderer.max_count() <= u32::from(u16::MAX) {
        render_static::<u16>(image, split, sink, tally);
    } else {
        render_static::<u32>(image, split, sink, tally);
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
    split: Split,
    sink: Option<&mut dyn RowSink>,
    tally: &mut Tally,
) {
    let (spmd, renderer, height, streaming) =
        (image.spmd, image.renderer, image.height, image.streaming);
    let ranks = spmd.size() as u32;
    // Rank 0 plans; every rank gets the three numbers of its share.
    let plan: Option<Vec<RowStride>> = spmd.is_root().then(|| {
        (0..ranks)
            .map(|r| match split {
                Split::Block => block_stride(height, ranks, r),
                Split::Cyclic => cyclic_stride(height, ranks, r),
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
            split,
            height,
            rows_per_piece,
        };
        take_static::<W>(spmd, renderer, &rows, sink, tally);
        return;
    }
    // A rank other than 0 with output: send each piece when rank 0 takes it.
    if split == Split::Block {
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
    split: Split,
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
        split,
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
        let owner = match split {
            Split::Block => block_owner(height, ranks, row),
            Split::Cyclic => row % ranks,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pieces_respect_both_budgets_and_hold_a_row() {
        assert_eq!(piece_rows(1000, 1, 2, false), (PIECE_BYTES / 2000) as u32);
        assert_eq!(piece_rows(1 << 30, 4, 4, true), 1);
        let many = piece_rows(1000, 10_000, 2, false);
        assert!(many as usize * 10_000 * 1000 * 4 <= WINDOW_BYTES.max(10_000 * 1000 * 4));
    }
}
