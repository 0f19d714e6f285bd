//! Pure work splits: contiguous blocks, round-robin rows, and ranges of the triangular pair index.
//!
//! The pairs `(i, j)` with `i < j < n` are numbered row by row: row `i` holds the `n - 1 - i`
//! pairs `(i, i+1) .. (i, n-1)`, so pair `(i, j)` has index `row_start(n, i) + (j - i - 1)`.
//! Splitting that index space into equal ranges balances the work by pair count exactly,
//! without ever materialising the pairs.

use std::ops::Range;

/// The `part`-th of `parts` contiguous, nearly equal pieces of `0..len` (sizes differ by at most 1).
///
/// Works for more parts than items: the surplus parts get empty ranges.
pub fn block_range(len: u64, parts: u64, part: u64) -> Range<u64> {
    assert!(parts > 0 && part < parts, "part {part} of {parts}");
    let bound = |k: u64| ((len as u128 * k as u128) / parts as u128) as u64;
    bound(part)..bound(part + 1)
}

/// Rows `0..rows` dealt in contiguous bands, one band per part (the naive split).
pub fn block_rows(rows: u32, parts: u32) -> Vec<Vec<u32>> {
    (0..parts)
        .map(|p| {
            let r = block_range(rows as u64, parts as u64, p as u64);
            (r.start as u32..r.end as u32).collect()
        })
        .collect()
}

/// Rows `0..rows` dealt round-robin: part `p` gets rows `p, p + parts, p + 2 parts, ...`.
pub fn cyclic_rows(rows: u32, parts: u32) -> Vec<Vec<u32>> {
    assert!(parts > 0);
    (0..parts)
        .map(|p| (p..rows).step_by(parts as usize).collect())
        .collect()
}

/// One rank's rows under a static schedule, as an arithmetic progression: `first`, `first +
/// step`, ... (`count` rows). A block band has step 1, a cyclic share has step `parts`; three
/// numbers describe any share, so rank 0 scatters descriptions, never row lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RowStride {
    /// The first row.
    pub first: u32,
    /// The distance between consecutive rows (at least 1).
    pub step: u32,
    /// How many rows.
    pub count: u32,
}

impl RowStride {
    /// The `k`-th row of the share.
    pub fn row(&self, k: u32) -> u32 {
        self.first + k * self.step
    }

    /// The rows `k` in `ks`, in order.
    pub fn rows(&self, ks: Range<u32>) -> impl Iterator<Item = u32> + '_ {
        ks.map(|k| self.row(k))
    }

    /// As three numbers, for a scatter.
    pub fn to_array(self) -> [u32; 3] {
        [self.first, self.step, self.count]
    }

    /// From three numbers of [`RowStride::to_array`].
    pub fn from_slice(v: &[u32]) -> RowStride {
        RowStride {
            first: v[0],
            step: v[1].max(1),
            count: v[2],
        }
    }
}

/// Part `part`'s band of `0..rows` under the block split, as [`block_rows`] deals it.
pub fn block_stride(rows: u32, parts: u32, part: u32) -> RowStride {
    let r = block_range(u64::from(rows), u64::from(parts), u64::from(part));
    RowStride {
        first: r.start as u32,
        step: 1,
        count: (r.end - r.start) as u32,
    }
}

/// Part `part`'s rows of `0..rows` under the cyclic split, as [`cyclic_rows`] deals them.
pub fn cyclic_stride(rows: u32, parts: u32, part: u32) -> RowStride {
    assert!(parts > 0 && part < parts, "part {part} of {parts}");
    let count = if part < rows {
        (rows - part).div_ceil(parts)
    } else {
        0
    };
    RowStride {
        first: part.min(rows),
        step: parts,
        count,
    }
}

/// Which part holds `row` under the block split of `0..rows` into `parts` (the inverse of
/// [`block_stride`]): the last part whose band starts at or before `row`.
pub fn block_owner(rows: u32, parts: u32, row: u32) -> u32 {
    // bound(k) = floor(rows * k / parts) is monotone: binary search for the last k <= row.
    let bound = |k: u32| (u64::from(rows) * u64::from(k) / u64::from(parts)) as u32;
    let (mut lo, mut hi) = (0u32, parts); // invariant: bound(lo) <= row < bound(hi)
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if bound(mid) <= row {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    lo
}

/// The number of unordered pairs of `n` items, `n (n - 1) / 2`.
pub fn pair_count(n: u64) -> u64 {
    if n < 2 {
        0
    } else {
        // n (n - 1) is even, so halving the even factor first avoids overflow for large n.
        if n.is_multiple_of(2) {
            (n / 2) * (n - 1)
        } else {
            n * ((n - 1) / 2)
        }
    }
}

/// Index of the first pair of row `i`, that is of pair `(i, i + 1)`.
pub fn row_start(n: u64, i: u64) -> u64 {
    debug_assert!(i < n.max(1));
    pair_count(n) - pair_count(n - i)
}

/// The pair `(i, j)`, `i < j`, with index `p` among the pairs of `n` items.
pub fn pair_at(n: u64, p: u64) -> (u64, u64) {
    assert!(p < pair_count(n), "pair index {p} out of range for n = {n}");
    // Pairs from row i on: m = pair_count(n - i). Solve m(m-1)/2 > total - p for the row with a
    // floating-point estimate, then correct it exactly with integer arithmetic.
    let remaining = pair_count(n) - p; // pairs from p to the end, at least 1
    let est = ((1.0 + (1.0 + 8.0 * remaining as f64).sqrt()) / 2.0).ceil() as u64;
    let mut k = est.clamp(2, n); // k = n - i: the number of items from row i on
    while k > 2 && pair_count(k - 1) >= remaining {
        k -= 1;
    }
    while pair_count(k) < remaining {
        k += 1;
    }
    let i = n - k;
    let j = i + 1 + (p - row_start(n, i));
    (i, j)
}

/// The pair indices rank `rank` of `size` scans: an equal share of all pairs of `n` items.
pub fn pair_range_for_rank(n: u64, size: u32, rank: u32) -> Range<u64> {
    block_range(pair_count(n), size as u64, rank as u64)
}

/// Visits the pairs of a range of pair indices row by row, as `(i, j_start..j_end)`.
///
/// This is how a kernel walks its slice: a tight inner loop over `j` for each row `i`.
pub fn for_each_row_segment(n: u64, range: Range<u64>, mut visit: impl FnMut(u64, Range<u64>)) {
    if range.is_empty() {
        return;
    }
    let (mut i, mut j) = pair_at(n, range.start);
    let mut left = range.end - range.start;
    while left > 0 {
        let take = (n - j).min(left);
        visit(i, j..j + take);
        left -= take;
        i += 1;
        j = i + 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn block_range_covers_everything_once() {
        for len in [0u64, 1, 2, 7, 100, 1001] {
            for parts in 1..=9u64 {
                let mut next = 0;
                for part in 0..parts {
                    let r = block_range(len, parts, part);
                    assert_eq!(r.start, next);
                    assert!(r.end - r.start <= len / parts + 1);
                    next = r.end;
                }
                assert_eq!(next, len);
            }
        }
    }

    #[test]
    fn row_splits_deal_every_row_once() {
        for rows in [0u32, 1, 5, 200, 801] {
            for parts in 1..=7u32 {
                for split in [block_rows(rows, parts), cyclic_rows(rows, parts)] {
                    assert_eq!(split.len(), parts as usize);
                    let mut all: Vec<u32> = split.concat();
                    all.sort_unstable();
                    assert_eq!(all, (0..rows).collect::<Vec<_>>());
                }
            }
        }
        assert_eq!(
            cyclic_rows(7, 3),
            vec![vec![0, 3, 6], vec![1, 4], vec![2, 5]]
        );
        assert_eq!(
            block_rows(7, 3),
            vec![vec![0, 1], vec![2, 3], vec![4, 5, 6]]
        );
    }

    #[test]
    fn pair_count_matches_formula() {
        for n in 0..200u64 {
            assert_eq!(pair_count(n), if n < 2 { 0 } else { n * (n - 1) / 2 });
        }
        assert_eq!(pair_count(34_006), 578_187_015);
        // No overflow near the top of u64.
        assert_eq!(pair_count(1 << 32), (1u64 << 31) * ((1u64 << 32) - 1));
    }

    #[test]
    fn pair_at_inverts_the_numbering() {
        for n in 2..60u64 {
            let mut p = 0;
            for i in 0..n {
                for j in i + 1..n {
                    assert_eq!(pair_at(n, p), (i, j), "n={n} p={p}");
                    assert_eq!(row_start(n, i) + (j - i - 1), p);
                    p += 1;
                }
            }
        }
        // Large n: first and last pairs, and a pair in the middle of a row.
        let n = 34_006;
        assert_eq!(pair_at(n, 0), (0, 1));
        assert_eq!(pair_at(n, pair_count(n) - 1), (n - 2, n - 1));
        assert_eq!(pair_at(n, row_start(n, 12_345) + 7), (12_345, 12_353));
        let n = 3_000_000_000;
        assert_eq!(pair_at(n, pair_count(n) - 2), (n - 3, n - 1));
    }

    #[test]
    fn rank_ranges_visit_every_pair_exactly_once() {
        for n in [0u64, 1, 2, 3, 5, 17, 64, 101] {
            for size in 1..=12u32 {
                let mut seen = vec![0u32; (n * n) as usize];
                let mut total = 0;
                for rank in 0..size {
                    let r = pair_range_for_rank(n, size, rank);
                    let share = r.end - r.start;
                    assert!(
                        share <= pair_count(n) / size as u64 + 1,
                        "balanced by pair count"
                    );
                    for_each_row_segment(n, r, |i, js| {
                        for j in js {
                            assert!(i < j && j < n);
                            seen[(i * n + j) as usize] += 1;
                            total += 1;
                        }
                    });
                }
                assert_eq!(total, pair_count(n));
                for i in 0..n {
                    for j in 0..n {
                        let want = u32::from(i < j);
                        assert_eq!(
                            seen[(i * n + j) as usize],
                            want,
                            "n={n} size={size} ({i},{j})"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn strides_and_owners_match_the_row_lists() {
        for rows in [0u32, 1, 2, 7, 10, 61, 100] {
            for parts in 1..=9u32 {
                let (block, cyclic) = (block_rows(rows, parts), cyclic_rows(rows, parts));
                for p in 0..parts {
                    let b = block_stride(rows, parts, p);
                    let c = cyclic_stride(rows, parts, p);
                    assert_eq!(b.rows(0..b.count).collect::<Vec<_>>(), block[p as usize]);
                    assert_eq!(c.rows(0..c.count).collect::<Vec<_>>(), cyclic[p as usize]);
                    assert_eq!(RowStride::from_slice(&c.to_array()), c);
                    for &row in &block[p as usize] {
                        assert_eq!(block_owner(rows, parts, row), p, "{rows} {parts} {row}");
                    }
                }
            }
        }
    }
}
