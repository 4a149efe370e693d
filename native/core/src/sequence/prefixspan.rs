//! PrefixSpan (Pei et al., 2001) with pseudo-projection: a pattern's projected database is the
//! list of suffixes, one per sequence that contains the pattern, that follow the pattern's
//! leftmost occurrence. A suffix is a few positions into the flat arrays of one index of the
//! sequences, so a projection is a flat vector and no sequence is ever copied. Events carry one
//! item each, so a pattern is a list of items.
//!
//! - Items infrequent on their own are left out of the index, the rest numbered densely.
//! - The index makes a suffix's distinct items one contiguous run of an array (the positions
//!   holding the last occurrence of their item), and an item's first occurrence in a suffix a
//!   short walk back from its last: counting the extensions of a pattern reads each distinct
//!   item of each suffix once, never the repeats.
//! - A second pass lays out all the children's projections in one buffer (a counting sort).

use crate::error::{Error, Result};
use crate::par;
use std::ops::Range;

/// Sequential patterns in CSR form: pattern `p` is `items[offsets[p]..offsets[p + 1]]`, in event
/// order, and `supports[p]` is the number of sequences that contain it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Patterns {
    pub offsets: Vec<u32>,
    pub items: Vec<u32>,
    pub supports: Vec<u32>,
}

impl Patterns {
    fn new() -> Self {
        Patterns { offsets: vec![0], items: Vec::new(), supports: Vec::new() }
    }

    /// The number of patterns.
    pub fn len(&self) -> usize {
        self.supports.len()
    }

    pub fn is_empty(&self) -> bool {
        self.supports.is_empty()
    }

    /// The items of pattern `p`, in event order.
    pub fn pattern(&self, p: usize) -> &[u32] {
        &self.items[self.offsets[p] as usize..self.offsets[p + 1] as usize]
    }

    fn push(&mut self, pattern: &[u32], support: u32) {
        self.items.extend_from_slice(pattern);
        self.offsets.push(self.items.len() as u32);
        self.supports.push(support);
    }

    fn append(&mut self, other: Patterns) {
        let base = self.items.len() as u32;
        self.offsets.extend(other.offsets[1..].iter().map(|&o| o + base));
        self.items.extend(other.items);
        self.supports.extend(other.supports);
    }
}

/// All sequential patterns (subsequences: order kept, gaps allowed) contained in at least
/// `min_count` of the sequences, with at most `max_len` items (0 = unlimited).
/// Sequence `s` is the ordered events `items[offsets[s]..offsets[s + 1]]`, item codes `< n_items`.
/// Patterns come depth-first: each pattern, then its extensions, items ascending at each step;
/// the result does not depend on `threads`.
pub fn prefixspan(offsets: &[u32], items: &[u32], n_items: u32, min_count: u32, max_len: usize, threads: usize) -> Result<Patterns> {
    if min_count == 0 {
        return Err(Error::invalid("minCount must be at least 1, got 0"));
    }
    super::check_csr(offsets, items, n_items)?;
    let max_len = if max_len == 0 { usize::MAX } else { max_len };
    let index = Index::new(offsets, items, n_items, min_count);

    // The first level is mined serially, then each first item's subtree is one parallel task,
    // the most frequent items (the biggest subtrees, roughly) first so that no big task starts
    // last; the parts are put back in item order.
    let n = index.decode.len();
    let (children, projections) = Miner::new(n, min_count, max_len).extend(&index, &index.sequences, max_len > 1);
    let mut order: Vec<usize> = (0..children.len()).collect();
    order.sort_by_key(|&k| std::cmp::Reverse(children[k].support));
    let parts = par::map_dynamic(children.len(), threads, |t, _| {
        let mut miner = Miner::new(n, min_count, max_len);
        miner.descend(&index, &children[order[t]], &projections);
        miner.out
    });
    let mut in_item_order: Vec<Option<Patterns>> = (0..parts.len()).map(|_| None).collect();
    for (t, part) in parts.into_iter().enumerate() {
        in_item_order[order[t]] = Some(part);
    }
    let mut out = Patterns::new();
    for part in in_item_order.into_iter().flatten() {
        out.append(part);
    }
    Ok(out)
}

const NONE: u32 = u32::MAX;

/// A suffix of one sequence of the index: it starts at position `from` and its distinct items
/// are `last_item[first..end]` (a suffix always runs to the end of its sequence).
#[derive(Clone, Copy, Default)]
struct Suffix {
    from: u32,
    first: u32,
    end: u32,
}

/// The sequences with their frequent items only, indexed so that a suffix's distinct items
/// and their first occurrences come without a scan of the suffix. Positions are into the
/// sequences laid one after the other.
struct Index {
    /// The whole sequences (those left with at least one item).
    sequences: Vec<Suffix>,
    /// Dense item → the caller's item code.
    decode: Vec<u32>,
    /// 1 + the position of the previous occurrence of the same item in the same sequence, or
    /// 0 if none (so that "is there one at or after `s`" is the one test `> s`).
    after_prev: Vec<u32>,
    /// Every position that holds the last occurrence of its item in its sequence, in order,
    /// and that item: a suffix's distinct items are a contiguous run of these.
    last_pos: Vec<u32>,
    last_item: Vec<u32>,
    /// Position `p` → index in `last_pos` of the first last occurrence at or after `p`.
    first_last: Vec<u32>,
}

impl Index {
    fn new(offsets: &[u32], items: &[u32], n_items: u32, min_count: u32) -> Self {
        let mut support = vec![0u32; n_items as usize];
        let mut last_seq = vec![NONE; n_items as usize];
        for (s, w) in offsets.windows(2).enumerate() {
            for &i in &items[w[0] as usize..w[1] as usize] {
                if last_seq[i as usize] != s as u32 {
                    last_seq[i as usize] = s as u32;
                    support[i as usize] += 1;
                }
            }
        }
        // Dense numbers follow the codes, so "ascending" means the same in both.
        let decode: Vec<u32> = (0..n_items).filter(|&i| support[i as usize] >= min_count).collect();
        let mut dense = vec![NONE; n_items as usize];
        for (d, &i) in decode.iter().enumerate() {
            dense[i as usize] = d as u32;
        }
        let mut kept = Vec::with_capacity(items.len());
        let mut bounds = Vec::with_capacity(offsets.len() - 1);
        for w in offsets.windows(2) {
            let start = kept.len() as u32;
            kept.extend(items[w[0] as usize..w[1] as usize].iter().map(|&i| dense[i as usize]).filter(|&d| d != NONE));
            if kept.len() as u32 > start {
                bounds.push((start, kept.len() as u32));
            }
        }

        let mut after_prev = vec![0; kept.len()];
        let mut is_last = vec![true; kept.len()];
        let mut seen_at = vec![NONE; decode.len()];
        for &(s, e) in &bounds {
            for p in s..e {
                let seen = &mut seen_at[kept[p as usize] as usize];
                // Positions only grow, so an earlier sequence's position is below `s`.
                if *seen != NONE && *seen >= s {
                    after_prev[p as usize] = *seen + 1;
                    is_last[*seen as usize] = false;
                }
                *seen = p;
            }
        }
        let last_pos: Vec<u32> = (0..kept.len() as u32).filter(|&p| is_last[p as usize]).collect();
        let last_item = last_pos.iter().map(|&p| kept[p as usize]).collect();
        let mut first_last = vec![0u32; kept.len() + 1];
        let mut k = last_pos.len();
        for p in (0..kept.len()).rev() {
            if is_last[p] {
                k -= 1;
            }
            first_last[p] = k as u32;
        }
        first_last[kept.len()] = last_pos.len() as u32;
        let sequences = bounds.iter().map(|&(s, e)| Suffix { from: s, first: first_last[s as usize], end: first_last[e as usize] }).collect();
        Index { sequences, decode, after_prev, last_pos, last_item, first_last }
    }

    /// The first position at or after `s` holding the item whose last occurrence is at `last`.
    #[inline]
    fn first_from(&self, s: u32, last: u32) -> u32 {
        let mut p = last;
        while self.after_prev[p as usize] > s {
            p = self.after_prev[p as usize] - 1;
        }
        p
    }
}

/// A frequent one-item extension of the current pattern and where its projection lies.
struct Child {
    item: u32,
    support: u32,
    projection: Range<usize>,
}

/// Depth-first miner of one subtree, with its own scratch space and output.
struct Miner {
    min_count: u32,
    max_len: usize,
    /// Per item, the number of suffixes that hold it; `touched` lists the items counted.
    count: Vec<u32>,
    touched: Vec<u32>,
    /// Item → index of its child at the node being extended, `NONE` otherwise.
    slot: Vec<u32>,
    /// The current pattern, in the caller's item codes.
    prefix: Vec<u32>,
    out: Patterns,
}

impl Miner {
    fn new(n_items: usize, min_count: u32, max_len: usize) -> Self {
        Miner {
            min_count,
            max_len,
            count: vec![0; n_items],
            touched: Vec::new(),
            slot: vec![NONE; n_items],
            prefix: Vec::new(),
            out: Patterns::new(),
        }
    }

    /// The frequent one-item extensions of the pattern whose projection is `proj`, items
    /// ascending, and (when `project`) their projections, one after the other in one buffer.
    fn extend(&mut self, index: &Index, proj: &[Suffix], project: bool) -> (Vec<Child>, Vec<Suffix>) {
        let frequent = self.count(index, proj);
        let mut children = Vec::with_capacity(frequent.len());
        let mut at = 0;
        for (k, &(item, support)) in frequent.iter().enumerate() {
            self.slot[item as usize] = k as u32;
            children.push(Child { item, support, projection: at..at });
            at += support as usize;
        }
        if !project {
            return (children, Vec::new());
        }
        let mut buffer = vec![Suffix::default(); at];
        for suffix in proj {
            for d in suffix.first as usize..suffix.end as usize {
                let k = self.slot[index.last_item[d] as usize];
                if k == NONE {
                    continue;
                }
                // Project on the leftmost occurrence; an empty rest is dropped (it supports
                // the child but none of its extensions).
                let from = index.first_from(suffix.from, index.last_pos[d]) + 1;
                let first = index.first_last[from as usize];
                if first < suffix.end {
                    let child = &mut children[k as usize];
                    buffer[child.projection.end] = Suffix { from, first, end: suffix.end };
                    child.projection.end += 1;
                }
            }
        }
        children.iter().for_each(|c| self.slot[c.item as usize] = NONE);
        (children, buffer)
    }

    /// The items held by at least `min_count` suffixes of `proj`, with that number, ascending.
    fn count(&mut self, index: &Index, proj: &[Suffix]) -> Vec<(u32, u32)> {
        let (count, touched, min_count) = (&mut self.count[..], &mut self.touched, self.min_count);
        let runs = proj.iter().map(|x| &index.last_item[x.first as usize..x.end as usize]);
        // Every suffix holds an item: when the alphabet is not much larger than the projection,
        // reading all counters afterwards is cheaper than noting which ones were touched.
        if count.len() <= 4 * proj.len() {
            runs.for_each(|run| run.iter().for_each(|&item| count[item as usize] += 1));
            let frequent = count.iter().enumerate().filter(|&(_, &c)| c >= min_count).map(|(i, &c)| (i as u32, c)).collect();
            count.fill(0);
            return frequent;
        }
        for run in runs {
            for &item in run {
                let c = &mut count[item as usize];
                if *c == 0 {
                    touched.push(item);
                }
                *c += 1;
            }
        }
        let mut frequent: Vec<(u32, u32)> = touched
            .drain(..)
            .map(|item| (item, std::mem::take(&mut count[item as usize])))
            .filter(|&(_, c)| c >= min_count)
            .collect();
        frequent.sort_unstable();
        frequent
    }

    /// Reports the current pattern extended by `child`, then everything that grows from it.
    fn descend(&mut self, index: &Index, child: &Child, projections: &[Suffix]) {
        self.prefix.push(index.decode[child.item as usize]);
        self.out.push(&self.prefix, child.support);
        // Fewer non-empty suffixes than `min_count`: no extension can be frequent.
        if self.prefix.len() < self.max_len && child.projection.len() >= self.min_count as usize {
            let project = self.prefix.len() + 1 < self.max_len;
            let (children, buffer) = self.extend(index, &projections[child.projection.clone()], project);
            for grandchild in &children {
                self.descend(index, grandchild, &buffer);
            }
        }
        self.prefix.pop();
    }
}
