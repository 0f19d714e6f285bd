//! The dynamic schedule: rank 0 hands out chunks of consecutive rows to whichever rank reports
//! back, and renders single rows itself between messages; a chunk is handed out only while it
//! lies within a window of rows after the next one to write, which bounds rank 0's memory.

use std::ops::Range;

use mpi::traits::*;

use super::context::{Image, Tally, PIECE_BYTES, WINDOW_BYTES};
use super::in_order::InOrder;
use crate::mandel::sink::RowSink;
use crate::spmd::{max_count, ROOT};

/// Message tag of a worker's report: its last chunk's rows (empty at first, or without
/// output), which also asks for the next chunk.
const TAG_DATA: i32 = 13;
/// Message tag of rank 0's answer to a report: the next chunk of rows, or an empty one: stop.
const TAG_ASSIGN: i32 = 14;

/// The dynamic schedule: chunks of rows on demand, within a window of the next row to write.
pub(super) fn render(image: &Image, sink: Option<&mut dyn RowSink>, tally: &mut Tally) {
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
