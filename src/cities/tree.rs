//! The exact farthest pair in about `O(n log n)`: a k-d tree over the unit vectors.
//!
//! For unit vectors `|(-u) - v|^2 = 2 + 2 u.v`, so the point farthest from `u` is the point
//! nearest to `-u`, and the farthest pair is the pair with the smallest dot product, the brute
//! force kernel's key ([`super::dot`]). Every point queries the tree for its smallest dot with
//! the points after it; a node is skipped only when even the smallest dot its bounding box
//! allows, less a margin that covers every rounding in the bound and in the kernel's own dot,
//! is strictly above the best dot found so far, by this query or any other (on any thread or
//! rank: sharing that bound changes only the speed). Every pair that survives is scored by
//! the kernel's own `(xi*xj + yi*yj) + zi*zj` and compared as the kernel compares (the smaller
//! dot, then the lower pair index), so the answer is the brute force's, bit for bit. One walk
//! serves every search: the farthest pair is [`Tree::top_in`] with K = 1, and the closest pairs
//! are the same walk keyed by minus the dot ([`Order`]).
//!
//! What trips trees is handled before the tree: points with bitwise identical unit vectors
//! (duplicates, a city listed twice, all points equal) become one point that remembers all its
//! original indices. Their dots with anything are identical, so the pairs two groups make (and
//! the pairs inside one group) all have one dot, and are offered in rising pair index until the
//! list refuses one: for the farthest pair alone, just the lowest. Unique points are numbered by
//! their first appearance, so a query `a` looks only at points numbered after it, and its own
//! group's pairs are offered by its query alone.
//!
//! The tree is built the same on every rank (median splits on the widest side of each box, ties
//! broken by number), and the queries are split between ranks and threads in the tree's leaf
//! order, in chunks, so neighbouring queries share the parts of the tree they visit.

use std::sync::atomic::{AtomicU64, Ordering};

use super::candidate::Candidate;
use super::dot::UnitVectors;
use super::top::{Order, TopK};
use crate::partition::row_start;

/// Points a leaf holds at most.
const LEAF: usize = 32;

/// What the bound of a box and the kernel's dot may each be off by: both are sums of three
/// products of numbers within [-1, 1], each operation rounded once (at most about 4 units of
/// 2^-53, 4.4e-16, apart from the exact value), so 1e-14 is a wide margin.
const MARGIN: f64 = 1e-14;

/// A node of the tree: the bounding box of its points (`start..end` in tree order), its
/// children (none for a leaf) and the highest point number below it.
#[derive(Debug, Clone, Copy)]
struct Node {
    lo: [f64; 3],
    hi: [f64; 3],
    start: u32,
    end: u32,
    /// Index of the first child; the second follows it. 0 for a leaf.
    child: u32,
    max_id: u32,
}

/// The smallest dot found so far by anyone, shared between threads (an `f64` kept in the
/// order-preserving bits of `ordered`). Only ever lowered, only ever to a real pair's dot.
pub struct SharedBound(AtomicU64);

impl SharedBound {
    /// No pair known yet.
    pub fn new() -> SharedBound {
        SharedBound(AtomicU64::new(ordered(f64::INFINITY)))
    }

    /// The smallest dot known.
    pub fn get(&self) -> f64 {
        unordered(self.0.load(Ordering::Relaxed))
    }

    /// Lowers the bound to `dot` if that is lower.
    pub fn lower(&self, dot: f64) {
        self.0.fetch_min(ordered(dot), Ordering::Relaxed);
    }
}

impl Default for SharedBound {
    fn default() -> Self {
        SharedBound::new()
    }
}

/// `x`'s bits, flipped so that unsigned order is `f64` order (for non-NaN `x`).
fn ordered(x: f64) -> u64 {
    let b = x.to_bits();
    if b >> 63 == 1 {
        !b
    } else {
        b | (1 << 63)
    }
}

fn unordered(b: u64) -> f64 {
    f64::from_bits(if b >> 63 == 1 { b & !(1 << 63) } else { !b })
}

/// The k-d tree over the distinct unit vectors of `n` points.
#[derive(Debug, Clone)]
pub struct Tree {
    /// Points in the input.
    n: u64,
    /// The distinct vectors in tree order, and their numbers.
    x: Vec<f64>,
    y: Vec<f64>,
    z: Vec<f64>,
    id: Vec<u32>,
    /// Every original index, grouped by number (`members[member_start[a]..member_start[a+1]]`,
    /// ascending, so the first of each group, its lowest, rises with the number).
    members: Vec<u32>,
    member_start: Vec<u32>,
    nodes: Vec<Node>,
}

impl Tree {
    /// Builds the tree over `vecs` (deterministic: the same on every rank).
    pub fn build(vecs: &UnitVectors) -> Tree {
        let n = vecs.len();
        assert!(n < u32::MAX as usize, "at most 2^32 - 2 points");
        // Group bitwise-equal vectors: sort by their bits, then by index (the keys laid out
        // once, so the sort reads memory in order).
        let mut keyed: Vec<([u64; 3], u32)> = (0..n)
            .map(|i| {
                let (x, y, z) = vecs.xyz(i);
                ([x.to_bits(), y.to_bits(), z.to_bits()], i as u32)
            })
            .collect();
        keyed.sort_unstable();
        let same = |a: usize, b: usize| keyed[a].0 == keyed[b].0;
        let order: Vec<u32> = keyed.iter().map(|k| k.1).collect();
        // Every distinct vector: its original indices, ascending (`order` is sorted by index
        // within equal keys).
        let mut groups: Vec<(u32, u32)> = Vec::new(); // (start, end) in `order`
        let mut k = 0;
        while k < order.len() {
            let mut e = k + 1;
            while e < order.len() && same(e, k) {
                e += 1;
            }
            groups.push((k as u32, e as u32));
            k = e;
        }
        drop(keyed);
        // Numbered by first appearance.
        groups.sort_unstable_by_key(|&(s, _)| order[s as usize]);
        let mut members = Vec::with_capacity(n);
        let mut member_start = Vec::with_capacity(groups.len() + 1);
        for &(s, e) in &groups {
            member_start.push(members.len() as u32);
            members.extend_from_slice(&order[s as usize..e as usize]);
        }
        member_start.push(members.len() as u32);
        drop(order);
        let u = groups.len();
        drop(groups);
        // The points to split, each with its number, moved as one so that every level of the
        // build reads memory in order.
        let mut pts: Vec<([f64; 3], u32)> = member_start[..u]
            .iter()
            .enumerate()
            .map(|(a, &m)| {
                let (x, y, z) = vecs.xyz(members[m as usize] as usize);
                ([x, y, z], a as u32)
            })
            .collect();
        let mut nodes = Vec::with_capacity(2 * u / LEAF + 2);
        nodes.push(Node {
            lo: [0.0; 3],
            hi: [0.0; 3],
            start: 0,
            end: u as u32,
            child: 0,
            max_id: 0,
        });
        let mut todo = vec![0usize];
        while let Some(k) = todo.pop() {
            let (s, e) = (nodes[k].start as usize, nodes[k].end as usize);
            let mut lo = [f64::INFINITY; 3];
            let mut hi = [f64::NEG_INFINITY; 3];
            let mut max_id = 0;
            for (p, i) in &pts[s..e] {
                for c in 0..3 {
                    lo[c] = lo[c].min(p[c]);
                    hi[c] = hi[c].max(p[c]);
                }
                max_id = max_id.max(*i);
            }
            (nodes[k].lo, nodes[k].hi, nodes[k].max_id) = (lo, hi, max_id);
            if e - s <= LEAF {
                continue;
            }
            let c = (0..3)
                .max_by(|&a, &b| (hi[a] - lo[a]).total_cmp(&(hi[b] - lo[b])))
                .unwrap_or(0);
            let mid = (e - s) / 2;
            pts[s..e]
                .select_nth_unstable_by(mid, |a, b| a.0[c].total_cmp(&b.0[c]).then(a.1.cmp(&b.1)));
            let child = nodes.len();
            nodes[k].child = child as u32;
            for (a, b) in [(s, s + mid), (s + mid, e)] {
                nodes.push(Node {
                    lo: [0.0; 3],
                    hi: [0.0; 3],
                    start: a as u32,
                    end: b as u32,
                    child: 0,
                    max_id: 0,
                });
            }
            todo.push(child);
            todo.push(child + 1);
        }
        let (tx, ty, tz) = (
            pts.iter().map(|p| p.0[0]).collect(),
            pts.iter().map(|p| p.0[1]).collect(),
            pts.iter().map(|p| p.0[2]).collect(),
        );
        let id = pts.iter().map(|p| p.1).collect();
        drop(pts);
        Tree {
            n: n as u64,
            x: tx,
            y: ty,
            z: tz,
            id,
            members,
            member_start,
            nodes,
        }
    }

    /// Every pair `(i, j)`, `i < j` original indices, whose dot is at most `t`, among the pairs
    /// of the queries at tree positions `range` (each query: its vector's points with their
    /// own group's later points and with the points of later-numbered vectors), so that the
    /// queries of all positions give every such pair once. A pair is kept when the kernel's dot
    /// of its vectors is `<= t`.
    pub fn pairs_with_dot_at_most(&self, range: std::ops::Range<usize>, t: f64) -> Vec<(u64, u64)> {
        let mut out = Vec::new();
        let mut stack: Vec<u32> = Vec::with_capacity(64);
        let push_pairs = |ga: &[u32], gb: &[u32], out: &mut Vec<(u64, u64)>| {
            for &i in ga {
                for &j in gb {
                    out.push((u64::from(i.min(j)), u64::from(i.max(j))));
                }
            }
        };
        for pos in range {
            let a = self.id[pos];
            let q = [self.x[pos], self.y[pos], self.z[pos]];
            let d = key_direction(Order::Farthest, &q);
            let ga = self.group(a);
            if ga.len() >= 2 && super::dot::dot3(q[0], q[1], q[2], q[0], q[1], q[2]) <= t {
                for (k, &i) in ga.iter().enumerate() {
                    for &j in &ga[k + 1..] {
                        out.push((u64::from(i), u64::from(j)));
                    }
                }
            }
            self.walk(&mut stack, a, &q, &d, t, |b, dot, t| {
                if dot <= t {
                    push_pairs(ga, self.group(b), &mut out);
                }
                t
            });
        }
        out
    }

    /// Distinct vectors in the tree: the number of queries.
    pub fn distinct(&self) -> usize {
        self.id.len()
    }

    /// The best pair over the queries at tree positions `range`, keyed by its dot:
    /// [`Tree::top_in`] with K = 1, farthest first.
    pub fn best_in(&self, range: std::ops::Range<usize>, bound: &SharedBound) -> Option<Candidate> {
        let mut top = TopK::new(1, Order::Farthest);
        self.top_in(range, &mut top, bound);
        top.into_sorted().first().copied()
    }

    /// The original indices of vector number `a`, ascending.
    fn group(&self, a: u32) -> &[u32] {
        &self.members
            [self.member_start[a as usize] as usize..self.member_start[a as usize + 1] as usize]
    }

    /// The K best pairs in `top`'s order over the queries at tree positions `range`, added to
    /// `top`: each query offers its group's own pairs and its pairs with the vectors numbered
    /// after it, so the queries of all positions offer every pair once. `bound` holds a key no
    /// worse than the global K-th best (another list's [`TopK::limit`]); it prunes, and is
    /// lowered as `top` fills. A box is skipped only when its bound on the key, less `MARGIN`,
    /// is strictly above the limit, so a pair that ties the K-th best is still seen.
    pub fn top_in(&self, range: std::ops::Range<usize>, top: &mut TopK, bound: &SharedBound) {
        let order = top.order();
        let mut stack: Vec<u32> = Vec::with_capacity(64);
        let mut limit = top.limit().min(bound.get());
        for pos in range {
            let a = self.id[pos];
            let q = [self.x[pos], self.y[pos], self.z[pos]];
            let d = key_direction(order, &q);
            let ga = self.group(a);
            if ga.len() >= 2 {
                let key = order.key(super::dot::dot3(q[0], q[1], q[2], q[0], q[1], q[2]));
                if key <= limit && offer_within(self.n, ga, key, top) {
                    bound.lower(top.limit());
                }
                limit = top.limit().min(bound.get());
            }
            self.walk(&mut stack, a, &q, &d, limit, |b, dot, limit| {
                let key = order.key(dot);
                if key <= limit && offer_cross(self.n, ga, self.group(b), key, top) {
                    bound.lower(top.limit());
                    return top.limit().min(bound.get());
                }
                limit
            });
            limit = top.limit().min(bound.get());
        }
    }

    /// One query's walk, the same for both searches: query number `a` (vector `q`, key direction
    /// `d`, [`key_direction`]) calls `visit(b, dot, limit)` for every vector number `b > a` in a
    /// leaf whose box is not pruned, with the kernel's dot of `q` and `b`, and `visit` returns
    /// the limit from then on. A box is pruned when `b > a` holds for none of its vectors or its
    /// [`key_bound`], less `MARGIN`, is strictly above the limit; of two children, the one with
    /// the better bound is visited first.
    #[inline]
    fn walk(
        &self,
        stack: &mut Vec<u32>,
        a: u32,
        q: &[f64; 3],
        d: &[f64; 3],
        mut limit: f64,
        mut visit: impl FnMut(u32, f64, f64) -> f64,
    ) {
        stack.clear();
        stack.push(0);
        while let Some(k) = stack.pop() {
            let node = &self.nodes[k as usize];
            if node.max_id <= a || key_bound(d, node) - MARGIN > limit {
                continue;
            }
            if node.child == 0 {
                for p in node.start as usize..node.end as usize {
                    let b = self.id[p];
                    if b > a {
                        let dot =
                            super::dot::dot3(q[0], q[1], q[2], self.x[p], self.y[p], self.z[p]);
                        limit = visit(b, dot, limit);
                    }
                }
                continue;
            }
            // The child with the better bound is visited first: pushed last.
            let (c0, c1) = (node.child, node.child + 1);
            let (b0, b1) = (
                key_bound(d, &self.nodes[c0 as usize]),
                key_bound(d, &self.nodes[c1 as usize]),
            );
            if b0 <= b1 {
                stack.push(c1);
                stack.push(c0);
            } else {
                stack.push(c0);
                stack.push(c1);
            }
        }
    }
}

/// The pair index of `(i, j)`, `i < j`, among `n` points.
#[inline]
fn pair_index(n: u64, i: u32, j: u32) -> u64 {
    row_start(n, u64::from(i)) + u64::from(j - i - 1)
}

/// Offers the pairs inside one group (original indices `g`, ascending), all of key `key`, in
/// rising pair index, until `top` refuses one (it then refuses the rest: same key, higher
/// index). Whether any was kept.
fn offer_within(n: u64, g: &[u32], key: f64, top: &mut TopK) -> bool {
    let mut kept = false;
    for (k, &i) in g.iter().enumerate() {
        for &j in &g[k + 1..] {
            if !top.offer(key, pair_index(n, i, j)) {
                return kept;
            }
            kept = true;
        }
    }
    kept
}

/// Offers the pairs of two groups (disjoint, each ascending), all of key `key`, in rising pair
/// index (the lower index of each pair rising, then the higher), until `top` refuses one.
/// Whether any was kept.
fn offer_cross(n: u64, ga: &[u32], gb: &[u32], key: f64, top: &mut TopK) -> bool {
    if let ([i], [j]) = (ga, gb) {
        let (i, j) = ((*i).min(*j), (*i).max(*j));
        return top.offer(key, pair_index(n, i, j));
    }
    let mut kept = false;
    let (mut ia, mut ib) = (0, 0);
    while ia < ga.len() || ib < gb.len() {
        let (low, other) = if ib == gb.len() || (ia < ga.len() && ga[ia] < gb[ib]) {
            ia += 1;
            (ga[ia - 1], gb)
        } else {
            ib += 1;
            (gb[ib - 1], ga)
        };
        let from = other.partition_point(|&x| x < low);
        for &high in &other[from..] {
            if !top.offer(key, pair_index(n, low, high)) {
                return kept;
            }
            kept = true;
        }
    }
    kept
}

/// `q` as the key's direction in `order`: the key of `q` with `v` is `-(d . v)`, so for the
/// farthest pairs (key `q.v`) `d = -q`, for the closest (key `-q.v`) `d = q`. Negation is exact,
/// so [`key_bound`] with `d` bounds the very products the kernel rounds.
#[inline]
fn key_direction(order: Order, q: &[f64; 3]) -> [f64; 3] {
    match order {
        Order::Farthest => q.map(|c| -c),
        Order::Closest => *q,
    }
}

/// A lower bound (up to [`MARGIN`]) on the key of the query with any vector in `node`'s box,
/// given the key's direction `d` ([`key_direction`]): minus the largest dot product the unit
/// vector `d` can have with a unit vector in the box. For the farthest pairs that is the smallest
/// dot of `q` itself, `min q.v = -max (-q).v`, for the closest minus the largest.
///
/// The largest dot is the smaller of two true bounds (up to rounding, which [`MARGIN`] covers):
/// the box's own maximum of the linear `d.v` (its best corner), and `1 - e^2 / 2` with `e` the
/// distance from `d` to the box (for unit vectors `d.v = 1 - |d - v|^2 / 2`). The second is
/// tight near `d`, where the best partner is: for the farthest pairs near `-q`, where a box of
/// side `s` at angle `t` from `-q` is bounded to within about `s t`, while the corner bound is
/// off by `s` itself and would keep every box within `sqrt(s)` of `-q`. The corner bound is the
/// tighter one far from `d`.
#[inline]
fn key_bound(d: &[f64; 3], node: &Node) -> f64 {
    let mut corner = 0.0;
    let mut e2 = 0.0;
    for (c, &dc) in d.iter().enumerate() {
        corner += (dc * node.lo[c]).max(dc * node.hi[c]);
        let gap = (node.lo[c] - dc).max(dc - node.hi[c]).max(0.0);
        e2 += gap * gap;
    }
    -corner.min(1.0 - 0.5 * e2)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cities::dot::best_in_range;
    use crate::cities::test_points::{antipodal_clusters, random_coords};
    use crate::partition::pair_count;

    /// The tree's answer (pairs inside groups included) over all queries, in `chunks` pieces.
    fn tree_best(coords: &[f64], chunks: usize) -> Option<Candidate> {
        let v = UnitVectors::from_interleaved_degrees(coords);
        let t = Tree::build(&v);
        let bound = SharedBound::new();
        let u = t.distinct();
        Candidate::best((0..chunks).filter_map(|c| {
            let r = crate::partition::block_range(u as u64, chunks as u64, c as u64);
            t.best_in(r.start as usize..r.end as usize, &bound)
        }))
    }

    fn brute(coords: &[f64]) -> Option<Candidate> {
        let v = UnitVectors::from_interleaved_degrees(coords);
        best_in_range(&v, 0..pair_count(v.len() as u64))
    }

    fn check(name: &str, coords: &[f64]) {
        let want = brute(coords);
        for chunks in [1, 3, 7] {
            let got = tree_best(coords, chunks);
            assert_eq!(
                got.map(|b| (b.key.to_bits(), b.pair_index)),
                want.map(|b| (b.key.to_bits(), b.pair_index)),
                "{name}, {chunks} chunks: tree {got:?}, brute force {want:?}"
            );
        }
    }

    #[test]
    fn random_sets_match_brute_force_bit_for_bit() {
        for (n, seed) in [(2, 1), (3, 2), (13, 3), (100, 4), (1000, 5), (3000, 6)] {
            check(&format!("random {n}"), &random_coords(n, seed));
        }
    }

    #[test]
    fn degenerate_sets_match_brute_force_bit_for_bit() {
        for (name, coords) in &degenerate_sets() {
            check(name, coords);
        }
    }

    /// All points equal, duplicates, the poles, exact antipodes, one great circle, one meridian,
    /// two tight antipodal clusters, two points, and (for the closest pairs) tight clusters.
    fn degenerate_sets() -> Vec<(&'static str, Vec<f64>)> {
        let mut sets: Vec<(&str, Vec<f64>)> = Vec::new();
        sets.push(("all equal", [12.5, -40.0].repeat(500)));
        sets.push(("two points", vec![10.0, 20.0, -10.0, -160.0]));
        let mut dups = random_coords(50, 7).repeat(20);
        dups.extend([0.0, 0.0].repeat(100));
        sets.push(("duplicates", dups));
        let mut poles = Vec::new();
        for k in 0..200 {
            let lon = f64::from(k) * 1.8 - 180.0;
            poles.extend([90.0, lon, -90.0, lon, 89.999, lon]);
        }
        sets.push(("poles", poles));
        let mut antipodes = Vec::new();
        for (lat, lon) in random_coords(300, 8).chunks(2).map(|c| (c[0], c[1])) {
            let alon = if lon > 0.0 { lon - 180.0 } else { lon + 180.0 };
            antipodes.extend([lat, lon, -lat, alon]);
        }
        sets.push(("exact antipodes", antipodes));
        let circle: Vec<f64> = (0..720)
            .flat_map(|k| [0.0, f64::from(k) * 0.5 - 180.0])
            .collect();
        sets.push(("one great circle", circle));
        let meridian: Vec<f64> = (0..721)
            .flat_map(|k| [f64::from(k) * 0.25 - 90.0, 30.0 + 180.0 * f64::from(k % 2)])
            .collect();
        sets.push(("one meridian both sides", meridian));
        let offsets = random_coords(1000, 9);
        let offsets = offsets.chunks(2).map(|c| (c[0] * 1e-7, c[1] * 1e-7));
        let clusters = antipodal_clusters(35.0, 139.0, offsets);
        sets.push(("two tight antipodal clusters", clusters));
        let mut tight = Vec::new();
        for (k, c) in random_coords(600, 10).chunks(2).enumerate() {
            let (dlat, dlon) = (c[0] * 1e-9, c[1] * 1e-9);
            let centre = [(10.0, 10.0), (10.0, 10.000001), (-60.0, 100.0)][k % 3];
            tight.extend([centre.0 + dlat, centre.1 + dlon]);
        }
        tight.extend([10.0, 10.0, 10.0, 10.0, -60.0, 100.0]);
        sets.push(("tight clusters with duplicates", tight));
        sets
    }

    /// The tree's K best over all queries in `chunks` pieces, each piece into its own list
    /// (as threads and ranks keep them), sharing one bound, then merged.
    fn tree_top(tree: &Tree, k: usize, order: Order, chunks: usize) -> Vec<Candidate> {
        let bound = SharedBound::new();
        let u = tree.distinct() as u64;
        let mut all = TopK::new(k, order);
        for c in 0..chunks {
            let r = crate::partition::block_range(u, chunks as u64, c as u64);
            let mut top = TopK::new(k, order);
            tree.top_in(r.start as usize..r.end as usize, &mut top, &bound);
            all.merge(top);
        }
        all.into_sorted()
    }

    /// Each pair's dot product (its bits) and index.
    fn bits(v: &[Candidate], order: Order) -> Vec<(u64, u64)> {
        v.iter()
            .map(|c| (order.dot(c.key).to_bits(), c.pair_index))
            .collect()
    }

    /// Top-K and closest by the tree against every pair sorted, bit for bit, for several K
    /// (1, a few, past the number of pairs) and chunkings; K = 1 farthest is also the plain
    /// search's answer.
    fn check_top(name: &str, coords: &[f64]) {
        let v = UnitVectors::from_interleaved_degrees(coords);
        let tree = Tree::build(&v);
        let pairs = pair_count(v.len() as u64) as usize;
        for order in [Order::Farthest, Order::Closest] {
            let all = crate::cities::top::sorted_pairs(&v, order);
            for k in [1, 2, 10, 57, pairs + 3] {
                let want = bits(&all[..k.min(pairs)], order);
                for chunks in [1, 3, 7] {
                    let got = tree_top(&tree, k, order, chunks);
                    assert_eq!(
                        bits(&got, order),
                        want,
                        "{name}: {order:?}, k {k}, {chunks} chunks"
                    );
                }
            }
        }
        let plain = tree_best(coords, 1).map(|b| (b.key.to_bits(), b.pair_index));
        let top1 = tree_top(&tree, 1, Order::Farthest, 1);
        assert_eq!(
            bits(&top1, Order::Farthest).first().copied(),
            plain,
            "{name}: top 1"
        );
    }

    #[test]
    fn top_k_and_closest_match_every_pair_sorted_bit_for_bit() {
        for (n, seed) in [(2, 1), (3, 2), (13, 3), (100, 4), (700, 5)] {
            check_top(&format!("random {n}"), &random_coords(n, seed));
        }
        for (name, coords) in degenerate_sets() {
            check_top(name, &coords);
        }
    }

    #[test]
    fn pairs_below_a_dot_are_exactly_the_brute_force_list() {
        let mut sets = vec![random_coords(800, 11), [12.5, -40.0].repeat(30)];
        let mut dups = random_coords(40, 12).repeat(5);
        dups.extend([90.0, 0.0, -90.0, 0.0, 90.0, 0.0]);
        sets.push(dups);
        for coords in &sets {
            let v = UnitVectors::from_interleaved_degrees(coords);
            let tree = Tree::build(&v);
            let n = v.len();
            for t in [-0.999, -0.9, 0.0, 0.5, 1.0, 2.0] {
                let mut want = Vec::new();
                for i in 0..n {
                    for j in i + 1..n {
                        if v.dot(i, j) <= t {
                            want.push((i as u64, j as u64));
                        }
                    }
                }
                let mut got = Vec::new();
                for c in 0..3 {
                    let r = crate::partition::block_range(tree.distinct() as u64, 3, c);
                    got.extend(tree.pairs_with_dot_at_most(r.start as usize..r.end as usize, t));
                }
                got.sort_unstable();
                assert_eq!(got, want, "n {n}, t {t}");
            }
        }
    }

    #[test]
    fn the_bound_only_ever_holds_real_dots() {
        let b = SharedBound::new();
        assert_eq!(b.get(), f64::INFINITY);
        for d in [0.5, -0.25, 0.75, -1.0, -0.0, -0.9999999999] {
            b.lower(d);
        }
        assert_eq!(b.get(), -1.0);
        for x in [-1.0, -0.5, -0.0, 0.0, 1e-300, 0.5, 1.0] {
            assert_eq!(unordered(ordered(x)).to_bits(), f64::to_bits(x));
        }
        assert!(ordered(-0.5) < ordered(-0.25) && ordered(-0.0) <= ordered(0.0));
    }
}

#[cfg(test)]
mod speed {
    use super::*;
    use crate::cities::test_points::random_coords;

    #[test]
    #[ignore]
    fn tree_speed() {
        let sizes: Vec<usize> = std::env::var("SIZES")
            .unwrap_or("10000".into())
            .split(",")
            .map(|s| s.parse().unwrap())
            .collect();
        for n in sizes {
            let coords = random_coords(n, 42);
            let t0 = std::time::Instant::now();
            let v = UnitVectors::from_interleaved_degrees(&coords);
            let t = Tree::build(&v);
            let t1 = t0.elapsed();
            let bound = SharedBound::new();
            let best = t.best_in(0..t.distinct(), &bound);
            eprintln!(
                "n {n}: build {:.3}s, queries {:.3}s, {best:?}",
                t1.as_secs_f64(),
                (t0.elapsed() - t1).as_secs_f64()
            );
        }
    }
}
