//! The one candidate type every pair search ranks with ([`Candidate`]), and its order
//! ([`key_order`]): a key (smaller is better) and a pair index (lower wins a tie), so an answer
//! never depends on how the pairs were split among ranks and threads.
//!
//! A leaf: the kernels, the tree, top K and the ellipsoid all use it, and it uses none of them.

use std::cmp::Ordering;

/// The one tie rule of every pair search here (brute force, tree, top K, ellipsoid): keys in
/// order, the smaller first, and an equal key goes to the lower pair index, so the winner never
/// depends on how the pairs were split between ranks and threads. Keys are never NaN; `-0.0`
/// equals `0.0`, as in the kernel's own compare. A search whose best is the largest value (a
/// distance) orders by the value's negation, which is exact.
#[inline]
pub fn key_order<P: Ord>(a_key: f64, a_pair: P, b_key: f64, b_pair: P) -> Ordering {
    if a_key < b_key {
        Ordering::Less
    } else if a_key > b_key {
        Ordering::Greater
    } else {
        a_pair.cmp(&b_pair)
    }
}

/// A pair some search found, in the one order of [`key_order`]: the smaller key wins, an equal
/// key goes to the lower pair index. Every search ranks with it (brute force with either kernel,
/// threads, the tree, top K, the ellipsoid), each with its own key: the fast kernel's dot product
/// for the farthest pairs (the smallest is the farthest), minus the dot for the closest, minus the
/// distance for a search by distance ([`Candidate::farthest`]; negation is exact, so equal
/// distances stay equal keys). The cities are `crate::partition::pair_at(n, pair_index)`.
#[derive(Debug, Clone, Copy)]
pub struct Candidate {
    /// What the pair is ranked by: the smaller is the better pair.
    pub key: f64,
    /// The pair's index in the row-by-row numbering of [`crate::partition`].
    pub pair_index: u64,
}

impl Candidate {
    /// The pair `pair_index` ranked by `key`.
    #[inline]
    pub fn new(key: f64, pair_index: u64) -> Candidate {
        Candidate { key, pair_index }
    }

    /// The pair `pair_index` ranked by its distance, the longest first: the key is `-distance`.
    #[inline]
    pub fn farthest(distance: f64, pair_index: u64) -> Candidate {
        Candidate::new(-distance, pair_index)
    }

    /// Whether `self` beats `other`: a smaller key, or an equal key and a lower pair index.
    #[inline]
    pub fn beats(&self, other: &Candidate) -> bool {
        self < other
    }

    /// The better of two candidates (`a` if they are equal).
    #[inline]
    pub fn better(a: Candidate, b: Candidate) -> Candidate {
        if b.beats(&a) {
            b
        } else {
            a
        }
    }

    /// The best of several candidates, or `None` if there are none.
    pub fn best(candidates: impl IntoIterator<Item = Candidate>) -> Option<Candidate> {
        candidates.into_iter().reduce(Candidate::better)
    }
}

impl Ord for Candidate {
    #[inline]
    fn cmp(&self, other: &Self) -> Ordering {
        key_order(self.key, self.pair_index, other.key, other.pair_index)
    }
}

impl PartialOrd for Candidate {
    #[inline]
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Candidate {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Candidate {}
