//! FP-growth (Han, Pei & Yin 2000) on prefix trees stored as flat arrays.
//!
//! A prefix's conditional database is a prefix tree of the baskets holding it, over its
//! candidate items (node = item + count + parent, plus a chain through each item's nodes). For
//! a candidate x, the paths above x's nodes are the baskets holding "prefix + x"; projecting
//! them gives that prefix's tree, mined the same way, depth first (see `search.rs`).
//!
//! The first level runs one task per item on the thread pool. Dense data projects one full
//! tree of all baskets, which is compact. Sparse data builds each item's tree straight from the
//! baskets holding it (occurrence delivery): a full tree of sparse data is large, and walking
//! it jumps all over memory. Below, a projection touches each ancestor node once, not once per
//! path through it: walking up from x's nodes stops at the first node already seen, counts flow
//! up the touched nodes in one reverse pass, and the new tree is built top-down with each
//! touched node mapped to its image. Items present in every basket of the projection (perfect
//! extensions) leave the tree and go to the sink.

use super::ranked::{search_depth, Conditional, Ranked};
use super::masks::{Masks, MAX_CANDIDATES};
use super::search::{search, split_candidates, Candidates, Node, Project, Scratch, NIL};
use super::{Itemsets, MineOptions};
use crate::error::Result;

/// Initial size of the hash of children while building the full tree of dense data.
const TOP_TREE_NODES_HINT: usize = 1 << 12;
/// Marks a node reached during a projection whose image is not built yet.
const SEEN: u32 = u32::MAX - 1;

/// A prefix tree over local item indices (candidate indices), node 0 being the root. Along every
/// path from the root, local items increase, and a parent's index is below its children's.
#[derive(Default)]
struct Tree {
    item: Vec<u32>,
    parent: Vec<u32>,
    count: Vec<u32>,
    /// Next node holding the same item, or NIL.
    next: Vec<u32>,
    /// First node of each local item, or NIL.
    head: Vec<u32>,
    /// The local items.
    cand: Candidates,
}

impl Tree {
    fn clear(&mut self) {
        let all = [&mut self.item, &mut self.parent, &mut self.count, &mut self.next, &mut self.head];
        all.into_iter().for_each(Vec::clear);
        self.cand.clear();
        self.add_node(NIL, NIL);
    }

    fn len(&self) -> usize {
        self.item.len()
    }

    fn add_node(&mut self, item: u32, parent: u32) -> u32 {
        self.item.push(item);
        self.parent.push(parent);
        self.count.push(0);
        self.item.len() as u32 - 1
    }

    /// Completes a tree whose counts were deposited at path ends: counts flow up (a node
    /// counts every path through it; children come after parents), and the nodes of each item
    /// are linked in ascending node order, for cache-friendly walks.
    fn finish(&mut self) {
        for v in (1..self.len()).rev() {
            let (p, c) = (self.parent[v] as usize, self.count[v]);
            self.count[p] += c;
        }
        self.head.clear();
        self.head.resize(self.cand.len(), NIL);
        self.next.clear();
        self.next.resize(self.len(), NIL);
        for v in (1..self.len()).rev() {
            let it = self.item[v] as usize;
            self.next[v] = self.head[it];
            self.head[it] = v as u32;
        }
    }

    /// The root of the search: every frequent item, and with `full` the tree of all baskets.
    fn top(r: &Ranked, full: bool) -> Tree {
        let mut t = Tree::default();
        t.clear();
        t.cand = Candidates::all(&r.support);
        if full {
            let mut children = Children::default();
            children.reset(TOP_TREE_NODES_HINT);
            for b in 0..r.n_transactions() {
                t.add_path(r.basket(b).iter().copied(), &mut children);
            }
        }
        t.finish();
        t
    }

    /// Adds one basket's path of local items (ascending) with count 1, deposited at its end.
    fn add_path(&mut self, path: impl Iterator<Item = u32>, children: &mut Children) {
        let end = path.fold(0, |node, item| children.find_or_add(node, item, self));
        self.count[end as usize] += 1;
    }
}

impl Node for Tree {
    fn candidates(&self) -> &Candidates {
        &self.cand
    }
}

/// Per-worker buffers, indexed by nodes or local items of the tree being projected. Between
/// projections `deposit`, `below` and `item_count` are all zero and `image` all NIL; `keep`
/// is written before it is read.
struct Buffers {
    /// Count deposited directly on a node by x's nodes just below it.
    deposit: Vec<u32>,
    /// Count flowing up from touched children.
    below: Vec<u32>,
    /// Image of a touched node in the conditional tree (NIL = untouched).
    image: Vec<u32>,
    /// Touched nodes, every node after its parent.
    touched: Vec<u32>,
    climb: Vec<u32>,
    /// Count of each item below x in the projection.
    item_count: Vec<u32>,
    /// Local item in the tree being projected -> local item in the new tree, or NIL.
    keep: Vec<u32>,
    children: Children,
    /// The first level's conditional database.
    db: Conditional,
    /// Per touched node, while a projection writes masks: the kept items on its path.
    mask: Vec<u64>,
}

/// The nodes of a conditional tree by (parent, item), while a projection merges paths: open
/// addressing, at most half full, cleared per projection.
#[derive(Default)]
struct Children {
    keys: Vec<u64>,
    nodes: Vec<u32>,
    len: usize,
}

impl Children {
    const EMPTY: u64 = u64::MAX;

    /// Empties the table, sized for `expected` nodes (it doubles if more come).
    fn reset(&mut self, expected: usize) {
        let slots = (2 * expected).next_power_of_two().max(16);
        self.keys.clear();
        self.keys.resize(slots, Self::EMPTY);
        self.nodes.resize(slots, 0);
        self.len = 0;
    }

    /// The slot holding `key`, or the empty slot where it belongs.
    fn slot(&self, key: u64) -> usize {
        let mask = self.keys.len() - 1;
        let mut slot = (key.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 32) as usize & mask;
        while self.keys[slot] != key && self.keys[slot] != Self::EMPTY {
            slot = (slot + 1) & mask;
        }
        slot
    }

    /// The child of `parent` holding `item` in `t`, added if missing.
    fn find_or_add(&mut self, parent: u32, item: u32, t: &mut Tree) -> u32 {
        let key = (parent as u64) << 32 | item as u64;
        let slot = self.slot(key);
        if self.keys[slot] == key {
            return self.nodes[slot];
        }
        let node = t.add_node(item, parent);
        self.keys[slot] = key;
        self.nodes[slot] = node;
        self.len += 1;
        if 2 * self.len > self.keys.len() {
            self.grow();
        }
        node
    }

    fn grow(&mut self) {
        let slots = 2 * self.keys.len();
        let keys = std::mem::replace(&mut self.keys, vec![Self::EMPTY; slots]);
        let nodes = std::mem::replace(&mut self.nodes, vec![0; slots]);
        for (key, node) in keys.into_iter().zip(nodes).filter(|&(k, _)| k != Self::EMPTY) {
            let slot = self.slot(key);
            self.keys[slot] = key;
            self.nodes[slot] = node;
        }
    }
}

struct FpGrowth<'a> {
    min_count: u32,
    ranked: &'a Ranked,
    /// The root of the search: every frequent item, and on dense data the full tree.
    top: Tree,
    /// Whether the first level is gathered from the baskets (sparse data) rather than
    /// projected from the full tree.
    gather: bool,
}

/// Frequent itemsets by FP-growth from the prepared baskets.
pub(super) fn mine_ranked(ranked: &Ranked, o: &MineOptions) -> Result<Itemsets> {
    let m = ranked.n_ranks();
    let dense = ranked.is_dense();
    let top = Tree::top(ranked, dense);
    let miner = FpGrowth { min_count: o.min_count, ranked, top, gather: !dense };
    let new_scratch = || {
        Scratch::new(
            search_depth(ranked, o.max_len),
            o.min_count,
            Buffers {
                deposit: Vec::new(),
                below: Vec::new(),
                image: Vec::new(),
                touched: Vec::new(),
                climb: Vec::new(),
                item_count: vec![0; m],
                keep: vec![NIL; m],
                children: Children::default(),
                db: Conditional::default(),
                mask: Vec::new(),
            },
        )
    };
    search(&miner, &miner.top, o.threads, &ranked.code, o.max_len, new_scratch)
}

impl Project for FpGrowth<'_> {
    type Node = Tree;
    type Buffers = Buffers;

    fn project(
        &self,
        t: &Tree,
        x: u32,
        cond: &mut Tree,
        masks: Option<&mut Masks>,
        buf: &mut Buffers,
        perfect: &mut Vec<u32>,
    ) -> bool {
        if self.gather && std::ptr::eq(t, &self.top) {
            self.deliver(x, cond, masks, buf, perfect)
        } else {
            self.project_tree(t, x, cond, masks, buf, perfect)
        }
    }
}

impl FpGrowth<'_> {
    /// Sets the local items of `cond` from `buf.item_count` (see `split_candidates`).
    fn choose_items(&self, t: &Tree, x: u32, cond: &mut Tree, buf: &mut Buffers, perfect: &mut Vec<u32>) -> bool {
        cond.clear();
        split_candidates(&t.cand, x, self.min_count, &mut buf.item_count, &mut buf.keep, &mut cond.cand, perfect)
    }

    /// The first level: x's node from the baskets holding x, one path per basket.
    fn deliver(&self, x: u32, cond: &mut Tree, masks: Option<&mut Masks>, buf: &mut Buffers, perfect: &mut Vec<u32>) -> bool {
        let gathered = self.ranked.count_extensions(x, &mut buf.db, &mut buf.item_count);
        self.choose_items(&self.top, x, cond, buf, perfect);
        // A single extension has no extensions below it: its baskets are never read.
        let needed = cond.cand.len() >= 2;
        if needed && !gathered {
            self.ranked.gather(x, &mut buf.db);
        }
        if let Some(out) = masks.filter(|_| needed && cond.cand.len() <= MAX_CANDIDATES) {
            buf.db.write_masks(&cond.cand, &buf.keep, out);
            return true;
        }
        if needed {
            buf.children.reset(buf.db.ends.len());
            let keep = &buf.keep;
            for part in buf.db.parts() {
                let path = part.iter().map(|&y| keep[y as usize]).filter(|&k| k != NIL);
                cond.add_path(path, &mut buf.children);
            }
        }
        cond.finish();
        false
    }

    /// Deeper levels: x's node from the paths above x's nodes in `t`.
    fn project_tree(
        &self,
        t: &Tree,
        x: u32,
        cond: &mut Tree,
        masks: Option<&mut Masks>,
        buf: &mut Buffers,
        perfect: &mut Vec<u32>,
    ) -> bool {
        if buf.image.len() < t.len() {
            buf.deposit.resize(t.len(), 0);
            buf.below.resize(t.len(), 0);
            buf.image.resize(t.len(), NIL);
            buf.mask.resize(t.len(), 0);
        }
        // Touch every ancestor of x's nodes once, parents before children.
        buf.touched.clear();
        let mut v = t.head[x as usize];
        while v != NIL {
            let p = t.parent[v as usize];
            if p != 0 {
                buf.deposit[p as usize] += t.count[v as usize];
                buf.climb.clear();
                let mut a = p;
                while a != 0 && buf.image[a as usize] == NIL {
                    buf.image[a as usize] = SEEN;
                    buf.climb.push(a);
                    a = t.parent[a as usize];
                }
                buf.touched.extend(buf.climb.iter().rev());
            }
            v = t.next[v as usize];
        }
        // Children before parents: each touched node's count is its deposit plus its children's.
        for &a in buf.touched.iter().rev() {
            let c = buf.deposit[a as usize] + buf.below[a as usize];
            buf.below[a as usize] = 0;
            buf.item_count[t.item[a as usize] as usize] += c;
            let p = t.parent[a as usize];
            if p != 0 {
                buf.below[p as usize] += c;
            }
        }
        let merge = self.choose_items(t, x, cond, buf, perfect);
        let as_masks = match masks.filter(|_| cond.cand.len() <= MAX_CANDIDATES) {
            // One row per touched node where paths from x's nodes end: the kept items above.
            Some(out) => {
                out.start(&cond.cand);
                for &a in &buf.touched {
                    let p = t.parent[a as usize];
                    let it = buf.keep[t.item[a as usize] as usize];
                    let up = if p == 0 { 0 } else { buf.mask[p as usize] };
                    let mask = if it == NIL { up } else { up | 1 << it };
                    buf.mask[a as usize] = mask;
                    out.add(mask, buf.deposit[a as usize]);
                }
                // Distinct paths give distinct masks unless an item was dropped.
                if merge {
                    out.merge_repeats();
                }
                true
            }
            // The same paths as a tree; paths can only meet again where an item was dropped.
            None => {
                if merge {
                    buf.children.reset(buf.touched.len());
                }
                for &a in &buf.touched {
                    let p = t.parent[a as usize];
                    let up = if p == 0 { 0 } else { buf.image[p as usize] };
                    let it = buf.keep[t.item[a as usize] as usize];
                    let img = if it == NIL {
                        up
                    } else if merge {
                        buf.children.find_or_add(up, it, cond)
                    } else {
                        cond.add_node(it, up)
                    };
                    buf.image[a as usize] = img;
                    cond.count[img as usize] += buf.deposit[a as usize];
                }
                cond.finish();
                false
            }
        };
        for &a in &buf.touched {
            buf.image[a as usize] = NIL;
            buf.deposit[a as usize] = 0;
        }
        as_masks
    }
}
