//! The K best pairs, farthest or closest: the order, the bounded heap every search keeps, and
//! the brute-force scan that is their reference.
//!
//! Pairs are ranked as the fast kernel ranks them: by its dot product `(xi*xj + yi*yj) + zi*zj`
//! (the smallest is the farthest pair, the largest the closest), ties to the lower pair index.
//! Both orders become one: the best pair has the smallest *key*, the dot itself for the farthest
//! and minus the dot for the closest (negation is exact, so equal dots stay equal keys). Since a
//! pair's dot does not depend on who computes it and the order is total, the K best are the same
//! set in the same order however the pairs are split between ranks and threads.

use std::collections::BinaryHeap;
use std::ops::Range;

use rayon::prelude::*;

use super::candidate::Candidate;
use super::dot::UnitVectors;
use crate::partition::{block_range, for_each_row_segment, row_start};

/// Which end of the distances is wanted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Order {
    /// The farthest pairs: the smallest dots first.
    #[default]
    Farthest,
    /// The closest pairs: the largest dots first (bitwise duplicates have the largest).
    Closest,
}

impl Order {
    /// The pair's key in this order: the smallest key is the best pair.
    #[inline]
    pub fn key(self, dot: f64) -> f64 {
        match self {
            Order::Farthest => dot,
            Order::Closest => -dot,
        }
    }

    /// The dot product a key stands for (the inverse of [`Order::key`], exact).
    #[inline]
    pub fn dot(self, key: f64) -> f64 {
        self.key(key)
    }
}

/// The K best pairs seen so far in one [`Order`]: a max-heap of K whose top is the worst kept.
#[derive(Debug, Clone)]
pub struct TopK {
    k: usize,
    order: Order,
    heap: BinaryHeap<Candidate>,
}

impl TopK {
    /// An empty list that keeps at most `k` (at least 1) pairs.
    pub fn new(k: usize, order: Order) -> TopK {
        TopK {
            k: k.max(1),
            order,
            heap: BinaryHeap::with_capacity(k.clamp(1, 1 << 16)),
        }
    }

    /// The order it ranks by.
    pub fn order(&self) -> Order {
        self.order
    }

    /// The K-th best key once K pairs are kept (no pair with a larger key can enter), else
    /// infinity. It is a real pair's key, so it also bounds the K-th best of any superset.
    #[inline]
    pub fn limit(&self) -> f64 {
        if self.heap.len() < self.k {
            f64::INFINITY
        } else {
            self.heap.peek().map_or(f64::INFINITY, |r| r.key)
        }
    }

    /// Offers the pair `pair_index` with key `key`; whether it was kept. A pair refused when
    /// the list is full is worse than all K kept, so with equal keys and rising pair indices
    /// every later offer is refused too.
    #[inline]
    pub fn offer(&mut self, key: f64, pair_index: u64) -> bool {
        let r = Candidate::new(key, pair_index);
        if self.heap.len() < self.k {
            self.heap.push(r);
            true
        } else if self.heap.peek().is_some_and(|worst| r < *worst) {
            self.heap.pop();
            self.heap.push(r);
            true
        } else {
            false
        }
    }

    /// Keeps the K best of both lists.
    pub fn merge(&mut self, other: TopK) {
        for r in other.heap {
            self.offer(r.key, r.pair_index);
        }
    }

    /// The pairs kept, the best first, with their keys in [`TopK::order`].
    pub fn into_sorted(self) -> Vec<Candidate> {
        self.heap.into_sorted_vec()
    }
}

/// The `k` best pairs in `order` among the pair indices in `range`, the best first: every pair
/// scored with the kernel's dot, one at a time (the reference, not SIMD).
pub fn top_in_range(
    vecs: &UnitVectors,
    range: Range<u64>,
    k: usize,
    order: Order,
) -> Vec<Candidate> {
    top_list_in_range(vecs, range, k, order).into_sorted()
}

fn top_list_in_range(vecs: &UnitVectors, range: Range<u64>, k: usize, order: Order) -> TopK {
    let n = vecs.len() as u64;
    let mut top = TopK::new(k, order);
    let mut limit = top.limit();
    for_each_row_segment(n, range, |i, js| {
        let row = row_start(n, i);
        let (xi, yi, zi) = vecs.xyz(i as usize);
        for j in js {
            let (xj, yj, zj) = vecs.xyz(j as usize);
            let key = order.key(super::dot::dot3(xi, yi, zi, xj, yj, zj));
            if key <= limit && top.offer(key, row + (j - i - 1)) {
                limit = top.limit();
            }
        }
    });
    top
}

/// [`top_in_range`] split into `threads` equal shares on rayon's global pool.
pub fn top_in_range_threaded(
    vecs: &UnitVectors,
    range: Range<u64>,
    k: usize,
    order: Order,
    threads: usize,
) -> Vec<Candidate> {
    let share = |t: usize| {
        let r = block_range(range.end - range.start, threads.max(1) as u64, t as u64);
        range.start + r.start..range.start + r.end
    };
    (0..threads.max(1))
        .into_par_iter()
        .map(|t| top_list_in_range(vecs, share(t), k, order))
        .reduce(
            || TopK::new(k, order),
            |mut a, b| {
                a.merge(b);
                a
            },
        )
        .into_sorted()
}

/// Every pair, keyed in `order` and sorted best first: the plain definition the searches are
/// tested against.
#[cfg(test)]
pub(crate) fn sorted_pairs(vecs: &UnitVectors, order: Order) -> Vec<Candidate> {
    let n = vecs.len();
    let mut all = Vec::new();
    for i in 0..n {
        for j in i + 1..n {
            let pair_index = row_start(n as u64, i as u64) + (j - i - 1) as u64;
            all.push(Candidate::new(order.key(vecs.dot(i, j)), pair_index));
        }
    }
    all.sort_by(|a, b| {
        a.key
            .partial_cmp(&b.key)
            .expect("no NaN")
            .then(a.pair_index.cmp(&b.pair_index))
    });
    all
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cities::test_points::random_coords;
    use crate::partition::pair_count;

    /// Each pair's dot product (its bits) and index.
    fn bits(v: &[Candidate], order: Order) -> Vec<(u64, u64)> {
        v.iter()
            .map(|c| (order.dot(c.key).to_bits(), c.pair_index))
            .collect()
    }

    #[test]
    fn the_brute_force_lists_are_the_sorted_prefix_at_any_thread_count() {
        let mut dups = random_coords(30, 3).repeat(4);
        dups.extend([0.0, 0.0].repeat(10));
        for coords in [random_coords(200, 1), dups, [1.0, 2.0].repeat(20)] {
            let v = UnitVectors::from_interleaved_degrees(&coords);
            let pairs = pair_count(v.len() as u64);
            for order in [Order::Farthest, Order::Closest] {
                let all = sorted_pairs(&v, order);
                for k in [1, 2, 7, 100, pairs as usize, pairs as usize + 5] {
                    let want = bits(&all[..k.min(all.len())], order);
                    for threads in [1, 3] {
                        let got = top_in_range_threaded(&v, 0..pairs, k, order, threads);
                        assert_eq!(bits(&got, order), want, "{order:?} k {k} x{threads}");
                    }
                }
            }
        }
    }

    #[test]
    fn the_heap_keeps_the_k_smallest_keys_ties_by_pair_index() {
        let mut top = TopK::new(3, Order::Farthest);
        assert_eq!(top.limit(), f64::INFINITY);
        for (key, p) in [(0.5, 9), (0.5, 3), (-0.0, 7), (0.0, 2), (0.5, 1), (0.7, 0)] {
            top.offer(key, p);
        }
        assert_eq!(top.limit(), 0.5);
        let got: Vec<u64> = top.into_sorted().iter().map(|b| b.pair_index).collect();
        // -0.0 and 0.0 tie, as in the kernel's compare: the lower pair index first.
        assert_eq!(got, [2, 7, 1]);
        let mut close = TopK::new(2, Order::Closest);
        for (dot, p) in [(0.25, 4), (1.0, 8), (-1.0, 0)] {
            close.offer(Order::Closest.key(dot), p);
        }
        let got: Vec<(f64, u64)> = close
            .into_sorted()
            .iter()
            .map(|c| (Order::Closest.dot(c.key), c.pair_index))
            .collect();
        assert_eq!(got, [(1.0, 8), (0.25, 4)]);
    }
}
