//! Eclat (Zaki 2000): vertical mining. Every candidate "prefix + y" carries the set of baskets
//! (tids) holding it; the tid set of "prefix + x + y" is the intersection of those of
//! "prefix + x" and "prefix + y", and its size is the count.
//!
//! Tid sets are bit sets when the frequent items are dense (mushroom: one AND + popcount per
//! 64 baskets) and sorted tid lists otherwise (retail: merge, or galloping when one list is
//! much shorter). With lists, the first level is built by *occurrence delivery* instead: one
//! pass over the baskets holding x fills the lists of all of x's extensions at once, which is
//! far cheaper than intersecting x's short list with every long list of a frequent item.

use super::bitset::{and_count, AndCount};
use super::masks::{Masks, MAX_CANDIDATES};
use super::ranked::{search_depth, Conditional, Ranked};
use super::search::{fate, search, split_candidates, Candidates, Fate, Node, Project, Scratch, NIL};
use super::{Itemsets, MineOptions};
use crate::error::Result;

/// Length ratio from which an intersection gallops through the longer list.
const GALLOP_RATIO: usize = 16;

/// The candidates of one search node with their tid sets, stored back to back.
struct Level<W> {
    cand: Candidates,
    start: Vec<usize>,
    words: Vec<W>,
}

impl<W> Default for Level<W> {
    fn default() -> Self {
        Level { cand: Candidates::default(), start: Vec::new(), words: Vec::new() }
    }
}

impl<W: Send> Node for Level<W> {
    fn candidates(&self) -> &Candidates {
        &self.cand
    }
}

impl<W> Level<W> {
    fn tids(&self, i: usize) -> &[W] {
        &self.words[self.start[i]..self.start[i + 1]]
    }
    fn clear(&mut self) {
        self.cand.clear();
        self.start.clear();
        self.start.push(0);
        self.words.clear();
    }
    /// Keeps the tid set appended to `words` since the last candidate, as candidate `rank`.
    fn accept(&mut self, rank: u32, support: u32) {
        self.cand.push(rank, support);
        self.start.push(self.words.len());
    }
    /// Drops the tid set appended to `words` since the last candidate.
    fn reject(&mut self) {
        self.words.truncate(*self.start.last().expect("cleared level"));
    }
}

/// How tid sets are stored and intersected.
trait Tids: Sync {
    type Word: Copy + Default + Send + Sync;
    /// Appends `a ∩ b` to `out` and returns its size; may stop early, returning a size below
    /// `min_count`, once the intersection cannot reach `min_count`.
    fn intersect(&self, a: &[Self::Word], b: &[Self::Word], min_count: u32, out: &mut Vec<Self::Word>) -> u32;
}

struct Bits {
    and_count: AndCount,
}

impl Tids for Bits {
    type Word = u64;
    fn intersect(&self, a: &[u64], b: &[u64], _min_count: u32, out: &mut Vec<u64>) -> u32 {
        let start = out.len();
        out.resize(start + a.len(), 0);
        (self.and_count)(a, b, &mut out[start..])
    }
}

/// Sorted tid lists; the first level comes from the baskets themselves.
struct Lists<'a> {
    ranked: &'a Ranked,
    /// The root of the search: every frequent item, without tid sets.
    top: &'a Level<u32>,
}

impl Tids for Lists<'_> {
    type Word = u32;
    fn intersect(&self, a: &[u32], b: &[u32], min_count: u32, out: &mut Vec<u32>) -> u32 {
        let min = min_count as usize;
        let (short, long) = if a.len() <= b.len() { (a, b) } else { (b, a) };
        if short.len() < min {
            return 0;
        }
        let start = out.len();
        out.resize(start + short.len(), 0);
        let found = if short.len() * GALLOP_RATIO < long.len() {
            gallop(short, long, min, &mut out[start..])
        } else {
            merge(short, long, min, &mut out[start..])
        };
        out.truncate(start + found);
        found as u32
    }
}

/// Sorted-list intersection into `out`, stopping once fewer than `min` common tids remain possible.
fn merge(a: &[u32], b: &[u32], min: usize, out: &mut [u32]) -> usize {
    let (mut i, mut j, mut k) = (0, 0, 0);
    while i < a.len() && j < b.len() {
        let (x, y) = (a[i], b[j]);
        // Branch-free steps: which list advances is unpredictable.
        out[k] = x;
        k += (x == y) as usize;
        i += (x <= y) as usize;
        j += (y <= x) as usize;
        if k + (a.len() - i).min(b.len() - j) < min {
            break;
        }
    }
    k
}

/// Intersection of a short list with a much longer one by exponential search in the long one.
fn gallop(short: &[u32], long: &[u32], min: usize, out: &mut [u32]) -> usize {
    let (mut lo, mut k) = (0, 0);
    for (i, &x) in short.iter().enumerate() {
        let mut step = 1;
        let mut hi = lo;
        while hi < long.len() && long[hi] < x {
            lo = hi + 1;
            hi += step;
            step *= 2;
        }
        let hi = hi.min(long.len());
        lo += long[lo..hi].partition_point(|&y| y < x);
        if lo == long.len() {
            break;
        }
        if long[lo] == x {
            out[k] = x;
            k += 1;
        }
        if k + short.len() - i - 1 < min {
            break;
        }
    }
    k
}

/// Per-worker buffers of the first level's occurrence delivery, indexed by rank.
struct Buffers {
    /// All zero between deliveries.
    count: Vec<u32>,
    /// Rank -> index among x's extensions, or NIL; written before it is read.
    keep: Vec<u32>,
    fill: Vec<usize>,
    db: Conditional,
}

struct Eclat<T: Tids> {
    tids: T,
    min_count: u32,
}

/// Frequent itemsets by Eclat from the prepared baskets.
pub(super) fn mine_ranked(ranked: &Ranked, o: &MineOptions) -> Result<Itemsets> {
    let m = ranked.n_ranks();
    let depth = search_depth(ranked, o.max_len);
    if ranked.is_dense() {
        let top = bit_sets(ranked);
        let miner = Eclat { tids: Bits { and_count: and_count() }, min_count: o.min_count };
        search(&miner, &top, o.threads, &ranked.code, o.max_len, || scratch(depth, o.min_count, m))
    } else {
        let top = Level { cand: Candidates::all(&ranked.support), ..Level::default() };
        let miner = Eclat { tids: Lists { ranked, top: &top }, min_count: o.min_count };
        search(&miner, &top, o.threads, &ranked.code, o.max_len, || scratch(depth, o.min_count, m))
    }
}

fn scratch<W: Send>(depth: usize, min_count: u32, m: usize) -> Scratch<Level<W>, Buffers> {
    Scratch::new(depth, min_count, Buffers { count: vec![0; m], keep: vec![NIL; m], fill: Vec::new(), db: Conditional::default() })
}

/// The same tid sets as bit sets of one word per 64 baskets.
fn bit_sets(r: &Ranked) -> Level<u64> {
    let words = r.n_transactions().div_ceil(64);
    let mut level = Level { cand: Candidates::all(&r.support), start: vec![0], words: vec![0; words * r.n_ranks()] };
    for x in 0..r.n_ranks() {
        let set = &mut level.words[x * words..(x + 1) * words];
        for &t in r.tids_of(x as u32) {
            set[t as usize / 64] |= 1 << (t % 64);
        }
        level.start.push((x + 1) * words);
    }
    level
}

impl<T: Tids> Eclat<T> {
    /// Intersects x's tid set with those of the candidates below it.
    fn intersect_all(&self, node: &Level<T::Word>, x: u32, into: &mut Level<T::Word>, perfect: &mut Vec<u32>) {
        into.clear();
        perfect.clear();
        let support = node.cand.support[x as usize];
        let a = node.tids(x as usize);
        for j in 0..x as usize {
            let y = node.cand.rank[j];
            let c = self.tids.intersect(a, node.tids(j), self.min_count, &mut into.words);
            match fate(c, support, self.min_count) {
                Fate::Perfect => {
                    perfect.push(y);
                    into.reject();
                }
                Fate::Frequent => into.accept(y, c),
                Fate::Infrequent => into.reject(),
            }
        }
    }
}

impl Project for Eclat<Bits> {
    type Node = Level<u64>;
    type Buffers = Buffers;

    fn project(&self, node: &Level<u64>, x: u32, into: &mut Level<u64>, _: Option<&mut Masks>, _: &mut Buffers, perfect: &mut Vec<u32>) -> bool {
        self.intersect_all(node, x, into, perfect);
        false
    }
}

impl Project for Eclat<Lists<'_>> {
    type Node = Level<u32>;
    type Buffers = Buffers;

    fn project(&self, node: &Level<u32>, x: u32, into: &mut Level<u32>, masks: Option<&mut Masks>, buf: &mut Buffers, perfect: &mut Vec<u32>) -> bool {
        if std::ptr::eq(node, self.tids.top) {
            return self.deliver(x, into, masks, buf, perfect);
        }
        self.intersect_all(node, x, into, perfect);
        false
    }
}

impl Eclat<Lists<'_>> {
    /// The first level below x by occurrence delivery: the counts of x's extensions (see
    /// `Ranked::count_extensions`), then their tid lists from the baskets holding x, or mask
    /// rows when there are few enough (returns true then).
    fn deliver(&self, x: u32, into: &mut Level<u32>, masks: Option<&mut Masks>, buf: &mut Buffers, perfect: &mut Vec<u32>) -> bool {
        let ranked = self.tids.ranked;
        let Buffers { count, keep, fill, db } = buf;
        let gathered = ranked.count_extensions(x, db, count);
        into.clear();
        split_candidates(&self.tids.top.cand, x, self.min_count, count, keep, &mut into.cand, perfect);
        for &c in &into.cand.support {
            into.start.push(into.start[into.start.len() - 1] + c as usize);
        }
        // A single extension has nothing to intersect with: its list is never read.
        let needed = into.cand.len() >= 2;
        if needed && !gathered {
            ranked.gather(x, db);
        }
        if let Some(out) = masks.filter(|_| needed && into.cand.len() <= MAX_CANDIDATES) {
            db.write_masks(&into.cand, keep, out);
            return true;
        }
        if needed {
            into.words.resize(*into.start.last().expect("cleared level"), 0);
            fill.clear();
            fill.extend_from_slice(&into.start);
            for (&t, part) in ranked.tids_of(x).iter().zip(db.parts()) {
                for &y in part {
                    let k = keep[y as usize];
                    if k != NIL {
                        into.words[fill[k as usize]] = t;
                        fill[k as usize] += 1;
                    }
                }
            }
        } else {
            into.start.fill(0);
        }
        false
    }
}
