//! Rank 0's rows put back in order before they reach the sink, whatever order the ranks deliver
//! them in: a ring of rows waiting for their turn.

use crate::mandel::sink::RowSink;

/// Rank 0's rows put back in order: rows that arrive ahead of their turn wait in a ring of
/// `capacity` rows; rows whose turn it is go to the sink at once.
pub(super) struct InOrder {
    /// The next row the sink gets.
    pub(super) next: u32,
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
    pub(super) fn new(width: usize, smooth: bool, capacity: u32) -> InOrder {
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
    pub(super) fn put(
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
}
