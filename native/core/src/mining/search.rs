//! The search both miners share. Itemsets are enumerated depth first over frequency ranks:
//! below a prefix, its frequent extensions by items of lower rank, least frequent first. A
//! miner only says how to *project* (compute the frequent extensions of "prefix + x" and their
//! counts from the data of "prefix"); [`visit`] does the rest, so FP-growth and Eclat report the
//! same itemsets in the same order.
//!
//! Extensions present in every basket that holds the prefix (perfect extensions) are left out
//! of the search: any subset of them can be added to any itemset below that prefix with the
//! same count, and the [`Sink`] adds the subsets back when it writes an itemset. Nodes with at
//! most 64 candidates may be handed over to the bit-mask tail (`masks.rs`), which projects the
//! same way, only faster on small nodes. The first level of the search is cut into one task per
//! frequent item, run on the thread pool; the tasks' outputs are concatenated in task order, so
//! the result does not depend on scheduling.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use super::masks::{MaskBuffers, MaskMiner, Masks};
use super::{Itemsets, MAX_RESULT_ITEMS};
use crate::error::{Error, Result};
use crate::par;

/// The itemsets found by one task, in the order they were found: itemset i ends at `ends[i]`.
#[derive(Default)]
struct Found {
    ends: Vec<u32>,
    items: Vec<u32>,
    counts: Vec<u32>,
}

/// Writes itemsets as item codes, adding the perfect extensions back.
struct Sink<'a> {
    /// Rank -> item code.
    code: &'a [u32],
    max_len: usize,
    /// The prefix's codes in search order, and sorted.
    prefix: Vec<u32>,
    sorted: Vec<u32>,
    /// Codes of the perfect extensions along the prefix.
    perfect: Vec<u32>,
    /// Indices into `perfect` of the subset being written, and its codes sorted.
    chosen: Vec<usize>,
    extra: Vec<u32>,
    found: Found,
    /// Items written by all tasks so far, counted in steps of `PUBLISH_EVERY`; past
    /// `ITEM_LIMIT` every task stops (`full`).
    written: &'a AtomicU64,
    published: usize,
    full: bool,
}

/// Most items the itemsets may hold (see [`MAX_RESULT_ITEMS`]).
const ITEM_LIMIT: u64 = MAX_RESULT_ITEMS as u64;
/// Items a task writes between two updates of the shared count.
const PUBLISH_EVERY: usize = 1 << 16;

impl<'a> Sink<'a> {
    fn new(code: &'a [u32], max_len: usize, written: &'a AtomicU64) -> Self {
        let max_len = if max_len == 0 { usize::MAX } else { max_len };
        let (prefix, sorted, perfect, chosen, extra) = Default::default();
        let found = Found::default();
        Sink { code, max_len, prefix, sorted, perfect, chosen, extra, found, written, published: 0, full: false }
    }

    /// Adds the items written since the last call to the shared count.
    fn publish(&mut self) {
        let new = (self.found.items.len() - self.published) as u64;
        self.published = self.found.items.len();
        self.full |= self.written.fetch_add(new, Ordering::Relaxed) + new > ITEM_LIMIT;
    }

    fn push(&mut self, rank: u32) {
        let c = self.code[rank as usize];
        self.prefix.push(c);
        self.sorted.insert(self.sorted.partition_point(|&s| s < c), c);
    }

    fn pop(&mut self) {
        let c = self.prefix.pop().expect("pushed before");
        self.sorted.remove(self.sorted.partition_point(|&s| s < c));
    }

    /// Whether itemsets longer than the current prefix may still be reported.
    fn can_extend(&self) -> bool {
        self.prefix.len() < self.max_len
    }

    /// Adds perfect extensions (ranks) of the current prefix; returns the mark to restore with
    /// [`Sink::drop_perfect`] when the search leaves the prefix.
    fn add_perfect(&mut self, ranks: &[u32]) -> usize {
        let mark = self.perfect.len();
        self.perfect.extend(ranks.iter().map(|&r| self.code[r as usize]));
        mark
    }

    fn drop_perfect(&mut self, mark: usize) {
        self.perfect.truncate(mark);
    }

    /// Reports the prefix with every subset of the perfect extensions that fits `max_len`.
    fn emit(&mut self, count: u32) {
        self.found.items.extend_from_slice(&self.sorted);
        self.close(count);
        let room = self.max_len - self.prefix.len();
        let mut next = 0;
        while !self.full {
            if self.chosen.len() < room && next < self.perfect.len() {
                self.chosen.push(next);
                self.write_with_chosen(count);
                next += 1;
            } else {
                match self.chosen.pop() {
                    Some(last) => next = last + 1,
                    None => break,
                }
            }
        }
    }

    /// Writes the prefix plus the chosen perfect extensions: two sorted runs merged.
    fn write_with_chosen(&mut self, count: u32) {
        self.extra.clear();
        self.extra.extend(self.chosen.iter().map(|&k| self.perfect[k]));
        self.extra.sort_unstable();
        let (a, b) = (&self.sorted, &self.extra);
        let (mut i, mut j) = (0, 0);
        while i < a.len() || j < b.len() {
            if j == b.len() || (i < a.len() && a[i] < b[j]) {
                self.found.items.push(a[i]);
                i += 1;
            } else {
                self.found.items.push(b[j]);
                j += 1;
            }
        }
        self.close(count);
    }

    /// Ends the itemset whose items were just written.
    fn close(&mut self, count: u32) {
        // Below u32::MAX: `search` stops at MAX_RESULT_ITEMS.
        let end = self.found.items.len() as u32;
        self.found.ends.push(end);
        self.found.counts.push(count);
        if self.found.items.len() - self.published >= PUBLISH_EVERY {
            self.publish();
        }
    }
}

/// The candidate extensions of one node of the search ("prefix"), in ascending rank, with
/// the count of "prefix + candidate".
#[derive(Default)]
pub(crate) struct Candidates {
    pub rank: Vec<u32>,
    pub support: Vec<u32>,
}

impl Candidates {
    /// Every frequent item: the root of the search.
    pub fn all(support: &[u32]) -> Candidates {
        Candidates { rank: (0..support.len() as u32).collect(), support: support.to_vec() }
    }
    pub fn len(&self) -> usize {
        self.rank.len()
    }
    pub fn clear(&mut self) {
        self.rank.clear();
        self.support.clear();
    }
    pub fn push(&mut self, rank: u32, support: u32) {
        self.rank.push(rank);
        self.support.push(support);
    }
}

/// The data of one node of the search: its candidates, and how a miner counts below them.
pub(crate) trait Node: Default + Send {
    fn candidates(&self) -> &Candidates;
}

/// A miner: how to go from a node to the node of "prefix + x".
pub(crate) trait Project: Sync {
    type Node: Node;
    /// Per-worker buffers.
    type Buffers: Send;
    /// Computes the node of "prefix + x": the frequent, non-perfect extensions of it among the
    /// candidates of `node` below x, and `perfect` gets the perfect ones (as global ranks).
    /// The node goes to `into`, or, when `masks` is given and the miner can, to `masks` (see
    /// `masks.rs`); returns whether it went to `masks`.
    fn project(
        &self,
        node: &Self::Node,
        x: u32,
        into: &mut Self::Node,
        masks: Option<&mut Masks>,
        buf: &mut Self::Buffers,
        perfect: &mut Vec<u32>,
    ) -> bool;
}

/// What becomes of a candidate extension of a prefix.
pub(crate) enum Fate {
    /// In every basket holding the prefix: goes to the sink, not the search.
    Perfect,
    Frequent,
    Infrequent,
}

/// The fate of an extension with count `count` of a prefix with count `support`.
pub(crate) fn fate(count: u32, support: u32, min_count: u32) -> Fate {
    if count == support {
        Fate::Perfect
    } else if count >= min_count {
        Fate::Frequent
    } else {
        Fate::Infrequent
    }
}

/// No index.
pub(crate) const NIL: u32 = u32::MAX;

/// Splits the candidates below x of `node`, counted together with x in `count[i]` (zeroed on
/// the way): perfect ones go to `perfect`, frequent ones to `next`, and for each candidate that
/// occurs, `keep[i]` becomes its index in `next` or NIL (the others are never looked up).
/// Returns whether some candidate that occurs was dropped.
pub(crate) fn split_candidates(
    node: &Candidates,
    x: u32,
    min_count: u32,
    count: &mut [u32],
    keep: &mut [u32],
    next: &mut Candidates,
    perfect: &mut Vec<u32>,
) -> bool {
    let support = node.support[x as usize];
    next.clear();
    perfect.clear();
    let mut dropped = false;
    for (i, c) in count[..x as usize].iter_mut().enumerate() {
        // Sparse data: most candidates do not occur at all.
        if *c == 0 {
            continue;
        }
        keep[i] = NIL;
        match fate(*c, support, min_count) {
            Fate::Perfect => perfect.push(node.rank[i]),
            Fate::Frequent => {
                keep[i] = next.len() as u32;
                next.push(node.rank[i], *c);
            }
            Fate::Infrequent => {}
        }
        dropped |= keep[i] == NIL;
        *c = 0;
    }
    dropped
}

/// One worker's nodes (one per search depth) and buffers, for the miner and for the tail.
pub(crate) struct Scratch<N, B> {
    levels: Vec<N>,
    buf: B,
    perfect: Vec<u32>,
    tail: Tail,
}

/// The tail of the search (see `masks.rs`): its miner, nodes and buffers.
struct Tail {
    miner: MaskMiner,
    levels: Vec<Masks>,
    buf: MaskBuffers,
}

impl<N: Node, B> Scratch<N, B> {
    /// `depth` bounds the search depth (the longest basket, or `max_len`).
    pub fn new(depth: usize, min_count: u32, buf: B) -> Self {
        let tail = Tail {
            miner: MaskMiner { min_count },
            levels: (0..depth).map(|_| Masks::default()).collect(),
            buf: MaskBuffers::default(),
        };
        Scratch { levels: (0..depth).map(|_| N::default()).collect(), buf, perfect: Vec::new(), tail }
    }
}

/// A worker's scratch, made on its first task.
type WorkerSlot<P> = Mutex<Option<Scratch<<P as Project>::Node, <P as Project>::Buffers>>>;

/// Mines below every candidate of `top`, one task per candidate on up to `threads` workers
/// (each owning one `Scratch` made by `new_scratch`), and joins the itemsets in task order.
pub(crate) fn search<P, N>(
    miner: &P,
    top: &P::Node,
    threads: usize,
    code: &[u32],
    max_len: usize,
    new_scratch: N,
) -> Result<Itemsets>
where
    P: Project,
    P::Node: Sync,
    N: Fn() -> Scratch<P::Node, P::Buffers> + Sync,
{
    let m = top.candidates().len();
    let workers = par::num_threads(threads).min(m.max(1));
    let scratch: Vec<WorkerSlot<P>> = (0..workers).map(|_| Mutex::new(None)).collect();
    let written = AtomicU64::new(0);
    let parts = par::map_dynamic(m, workers, |task, worker| {
        let mut slot = scratch[worker].lock().unwrap_or_else(|e| e.into_inner());
        let s = slot.get_or_insert_with(&new_scratch);
        let mut sink = Sink::new(code, max_len, &written);
        // Least frequent candidate first, as at every depth.
        let x = (m - 1 - task) as u32;
        visit(miner, top, x, &mut s.levels, &mut s.buf, &mut s.perfect, &mut sink, Some(&mut s.tail));
        sink.publish();
        sink.found
    });
    if written.load(Ordering::Relaxed) > ITEM_LIMIT {
        return Err(Error::invalid(format!(
            "the frequent itemsets hold more than {ITEM_LIMIT} items: raise the minimum support or set maxLen"
        )));
    }
    Ok(join(parts))
}

/// Reports "prefix + x" and every frequent itemset extending it with candidates below x;
/// `levels[0]` receives the node of "prefix + x", deeper levels the recursion's. While the
/// tail is free, the miner may hand small nodes over to it as masks.
#[allow(clippy::too_many_arguments)]
fn visit<P: Project>(
    miner: &P,
    node: &P::Node,
    x: u32,
    levels: &mut [P::Node],
    buf: &mut P::Buffers,
    perfect: &mut Vec<u32>,
    sink: &mut Sink,
    mut tail: Option<&mut Tail>,
) {
    if sink.full {
        return;
    }
    let (rank, support) = (node.candidates().rank[x as usize], node.candidates().support[x as usize]);
    sink.push(rank);
    match levels.split_first_mut() {
        // The lowest candidate has no candidates below it.
        Some((next, deeper)) if x > 0 && sink.can_extend() => {
            let masked = miner.project(node, x, next, tail.as_deref_mut().map(|t| &mut t.levels[0]), buf, perfect);
            let mark = sink.add_perfect(perfect);
            sink.emit(support);
            match tail.as_deref_mut() {
                Some(t) if masked => {
                    let (masks, deeper_masks) = t.levels.split_first_mut().expect("one level at least");
                    for y in (0..masks.cand.len() as u32).rev() {
                        visit(&t.miner, masks, y, deeper_masks, &mut t.buf, perfect, sink, None);
                    }
                }
                _ => {
                    for y in (0..next.candidates().len() as u32).rev() {
                        visit(miner, next, y, deeper, buf, perfect, sink, tail.as_deref_mut());
                    }
                }
            }
            sink.drop_perfect(mark);
        }
        _ => sink.emit(support),
    }
    sink.pop();
}

/// Concatenates the tasks' itemsets into one CSR (of at most `ITEM_LIMIT` items).
fn join(parts: Vec<Found>) -> Itemsets {
    let n_sets: usize = parts.iter().map(|p| p.counts.len()).sum();
    let n_items: usize = parts.iter().map(|p| p.items.len()).sum();
    let mut out = Itemsets {
        offsets: Vec::with_capacity(n_sets + 1),
        items: Vec::with_capacity(n_items),
        counts: Vec::with_capacity(n_sets),
    };
    out.offsets.push(0);
    for p in parts {
        let base = out.items.len() as u32;
        out.offsets.extend(p.ends.iter().map(|&e| base + e));
        out.items.extend_from_slice(&p.items);
        out.counts.extend_from_slice(&p.counts);
    }
    out
}
