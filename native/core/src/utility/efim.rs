//! EFIM (Zida, Fournier-Viger, Lin, Wu & Tseng, 2015): high-utility itemsets by depth-first
//! search over items in ascending TWU order, on flat projected databases.
//!
//! - Items whose TWU (the summed utility of the transactions holding them) is below the
//!   threshold are dropped; the rest are renumbered in ascending TWU order and every
//!   transaction is sorted in that order ("revised transactions").
//! - A node's projected database holds, per transaction containing the itemset, the items
//!   after its last item and the itemset's own utility there (the "prefix utility").
//! - Identical projected transactions are merged (utilities added). Transactions are sorted
//!   once, comparing items from the last, so identical ones (and identical projections, which
//!   are equal tails) sit next to each other: one comparison with the previous transaction
//!   finds them. Dropping items (below) can separate a few; they then stay unmerged, which
//!   costs time, never correctness.
//! - Two upper bounds from one backward pass per transaction: the sub-tree utility decides
//!   which items to extend with (primary), the local utility which items may still appear
//!   further down (secondary); the node's database then drops every item that is not secondary.

use crate::error::{Code, Error, Result};
use crate::par;

/// High-utility itemsets in CSR form: itemset `s` is `items[offsets[s]..offsets[s + 1]]`
/// (item codes ascending) and `utilities[s]` is its total utility.
#[derive(Debug, Clone, PartialEq)]
pub struct HighUtility {
    pub offsets: Vec<u32>,
    pub items: Vec<u32>,
    pub utilities: Vec<f64>,
}

impl HighUtility {
    fn new() -> Self {
        HighUtility { offsets: vec![0], items: Vec::new(), utilities: Vec::new() }
    }

    /// The number of itemsets.
    pub fn len(&self) -> usize {
        self.utilities.len()
    }

    pub fn is_empty(&self) -> bool {
        self.utilities.is_empty()
    }

    /// The items of itemset `s`, ascending.
    pub fn itemset(&self, s: usize) -> &[u32] {
        &self.items[self.offsets[s] as usize..self.offsets[s + 1] as usize]
    }

    fn append(&mut self, other: HighUtility) {
        let base = self.items.len() as u32;
        self.offsets.extend(other.offsets[1..].iter().map(|&o| o + base));
        self.items.extend(other.items);
        self.utilities.extend(other.utilities);
    }
}

/// All itemsets whose utility (summed over the transactions that hold the whole itemset, of the
/// utilities of its items there) is at least `min_utility`, with at most `max_len` items
/// (0 = unlimited). Transaction `t` holds `items[offsets[t]..offsets[t + 1]]` with
/// `utilities` at the same positions (finite, >= 0; an item repeated in one transaction has its
/// utilities added). The order of the result does not depend on `threads`.
pub fn efim(
    offsets: &[u32],
    items: &[u32],
    utilities: &[f64],
    n_items: u32,
    min_utility: f64,
    max_len: usize,
    threads: usize,
) -> Result<HighUtility> {
    if min_utility.is_nan() || min_utility <= 0.0 {
        return Err(Error::invalid(format!("minUtility must be a number > 0, got {min_utility}")));
    }
    if utilities.len() != items.len() {
        let m = format!("utilities has {} values but items has {}", utilities.len(), items.len());
        return Err(Error::new(Code::InvalidFormat, m));
    }
    crate::sequence::check_csr(offsets, items, n_items)?;
    if let Some(p) = utilities.iter().position(|u| !(u.is_finite() && *u >= 0.0)) {
        return Err(Error::invalid(format!("utilities[{p}] = {} is not a finite number >= 0", utilities[p])));
    }
    let mut ctx = Context::revise(offsets, items, utilities, n_items, min_utility, max_len);
    let n = ctx.decode.len();
    let all: Vec<u32> = (0..n as u32).collect();
    // The root obeys the rule of every node: its database holds secondary items only.
    let (primary, secondary) = Miner::new(&ctx).bounds(&ctx.db, &all);
    if secondary.len() < n {
        let mut db = Db::default();
        compact(&ctx.db, &secondary, &mut vec![false; n], &mut db);
        ctx.db = db;
    }
    let parts = par::map_dynamic(primary.len(), threads, |k, _| {
        let mut miner = Miner::new(&ctx);
        miner.visit(0, &ctx.db, primary[k], &secondary);
        miner.out
    });
    let mut out = HighUtility::new();
    for part in parts {
        out.append(part);
    }
    Ok(out)
}

/// One (projected) database: transactions are ranges of the flat `items` / `utils` arrays.
#[derive(Default)]
struct Db {
    items: Vec<u32>,
    utils: Vec<f64>,
    txns: Vec<Txn>,
}

/// A transaction: its items `start..end` (ascending) and the utility of the itemset being grown.
struct Txn {
    start: u32,
    end: u32,
    prefix: f64,
}

impl Db {
    fn clear(&mut self) {
        self.items.clear();
        self.utils.clear();
        self.txns.clear();
    }

    /// Ends the transaction written from `start` on: merged into the previous one when both
    /// hold the same items, dropped when empty (it can support no extension).
    fn close(&mut self, start: usize, prefix: f64) {
        let end = self.items.len();
        if end == start {
            return;
        }
        if let Some(last) = self.txns.last_mut() {
            let (ls, le) = (last.start as usize, last.end as usize);
            if le - ls == end - start && self.items[ls..le] == self.items[start..end] {
                let (kept, new) = self.utils.split_at_mut(start);
                kept[ls..le].iter_mut().zip(new.iter()).for_each(|(a, b)| *a += b);
                last.prefix += prefix;
                self.items.truncate(start);
                self.utils.truncate(start);
                return;
            }
        }
        self.txns.push(Txn { start: start as u32, end: end as u32, prefix });
    }
}

/// The revised database and what every task reads.
struct Context {
    db: Db,
    /// Internal item (ascending TWU) → the caller's item code.
    decode: Vec<u32>,
    min_utility: f64,
    /// Bounds below this prune; a hair under `min_utility` so that rounding in a sum of
    /// fractional utilities never prunes an itemset that reaches the threshold.
    prune_below: f64,
    max_len: usize,
}

impl Context {
    fn revise(offsets: &[u32], items: &[u32], utilities: &[f64], n_items: u32, min_utility: f64, max_len: usize) -> Self {
        let prune_below = min_utility * (1.0 - 1e-9);
        let txn = |t: usize| offsets[t] as usize..offsets[t + 1] as usize;
        let n_txns = offsets.len() - 1;

        // TWU, counting a repeated item once per transaction.
        let mut twu = vec![0.0f64; n_items as usize];
        let mut last_txn = vec![u32::MAX; n_items as usize];
        for t in 0..n_txns {
            let tu: f64 = utilities[txn(t)].iter().sum();
            for &i in &items[txn(t)] {
                if last_txn[i as usize] != t as u32 {
                    last_txn[i as usize] = t as u32;
                    twu[i as usize] += tu;
                }
            }
        }
        let mut decode: Vec<u32> = (0..n_items).filter(|&i| twu[i as usize] >= prune_below).collect();
        decode.sort_by(|&a, &b| twu[a as usize].total_cmp(&twu[b as usize]).then(a.cmp(&b)));
        let mut rank = vec![u32::MAX; n_items as usize];
        for (r, &i) in decode.iter().enumerate() {
            rank[i as usize] = r as u32;
        }

        // Revised transactions: promising items only, in rank order, repeats added together.
        let mut revised = Db::default();
        let mut pairs: Vec<(u32, f64)> = Vec::new();
        for t in 0..n_txns {
            pairs.clear();
            pairs.extend(txn(t).map(|p| (rank[items[p] as usize], utilities[p])).filter(|&(r, _)| r != u32::MAX));
            pairs.sort_unstable_by_key(|&(r, _)| r);
            let start = revised.items.len();
            for &(r, u) in &pairs {
                if revised.items.len() > start && revised.items.last() == Some(&r) {
                    *revised.utils.last_mut().expect("same length as items") += u;
                } else {
                    revised.items.push(r);
                    revised.utils.push(u);
                }
            }
            if revised.items.len() > start {
                revised.txns.push(Txn { start: start as u32, end: revised.items.len() as u32, prefix: 0.0 });
            }
        }

        // Sorted comparing items from the last one, equal transactions (and, later, equal
        // projections, which are equal tails) become neighbours.
        let tail = |t: &Txn| revised.items[t.start as usize..t.end as usize].iter().rev();
        let mut order: Vec<usize> = (0..revised.txns.len()).collect();
        order.sort_by(|&a, &b| tail(&revised.txns[a]).cmp(tail(&revised.txns[b])));
        let mut db = Db::default();
        for &k in &order {
            let t = &revised.txns[k];
            let start = db.items.len();
            db.items.extend_from_slice(&revised.items[t.start as usize..t.end as usize]);
            db.utils.extend_from_slice(&revised.utils[t.start as usize..t.end as usize]);
            db.close(start, 0.0);
        }
        let max_len = if max_len == 0 { usize::MAX } else { max_len };
        Context { db, decode, min_utility, prune_below, max_len }
    }
}

/// Depth-first miner of one subtree, with its own scratch space and output.
struct Miner<'c> {
    ctx: &'c Context,
    /// Per-item sums: sub-tree utility (also utilities at the last level) and local utility.
    sub_tree: Vec<f64>,
    local: Vec<f64>,
    /// Items kept by the projection being compacted.
    keep: Vec<bool>,
    /// `levels[d]`: the projected database of the itemset of `d + 1` items being explored.
    levels: Vec<Db>,
    /// A second buffer to compact a projected database into.
    spare: Db,
    /// The current itemset, internal items.
    prefix: Vec<u32>,
    out: HighUtility,
}

impl<'c> Miner<'c> {
    fn new(ctx: &'c Context) -> Self {
        let n = ctx.decode.len();
        Miner {
            ctx,
            sub_tree: vec![0.0; n],
            local: vec![0.0; n],
            keep: vec![false; n],
            levels: Vec::new(),
            spare: Db::default(),
            prefix: Vec::new(),
            out: HighUtility::new(),
        }
    }

    /// Sub-tree and local utility of every candidate in `db` (one backward pass per
    /// transaction); returns the candidates worth extending with (primary), those that may
    /// still appear in an extension (secondary). `db` must hold candidates only: they are the
    /// entries reset afterwards.
    fn bounds(&mut self, db: &Db, candidates: &[u32]) -> (Vec<u32>, Vec<u32>) {
        for t in &db.txns {
            let (s, e) = (t.start as usize, t.end as usize);
            let total = t.prefix + db.utils[s..e].iter().sum::<f64>();
            let mut rest = t.prefix;
            for p in (s..e).rev() {
                let i = db.items[p] as usize;
                rest += db.utils[p];
                self.sub_tree[i] += rest;
                self.local[i] += total;
            }
        }
        let floor = self.ctx.prune_below;
        let primary = candidates.iter().copied().filter(|&i| self.sub_tree[i as usize] >= floor).collect();
        let secondary = candidates.iter().copied().filter(|&i| self.local[i as usize] >= floor).collect();
        for &i in candidates {
            self.sub_tree[i as usize] = 0.0;
            self.local[i as usize] = 0.0;
        }
        (primary, secondary)
    }

    /// Explores the current itemset extended by `item`, whose parent projection is `db` and
    /// whose later items may only come from `secondary` (ascending, contains `item`).
    fn visit(&mut self, depth: usize, db: &Db, item: u32, secondary: &[u32]) {
        if self.levels.len() <= depth {
            self.levels.resize_with(depth + 1, Db::default);
        }
        let mut projected = std::mem::take(&mut self.levels[depth]);
        let utility = project(db, item, &mut projected);
        self.prefix.push(item);
        if utility >= self.ctx.min_utility {
            self.emit(utility);
        }
        if self.prefix.len() < self.ctx.max_len && !projected.txns.is_empty() {
            let later = &secondary[secondary.partition_point(|&i| i <= item)..];
            let (primary, secondary) = self.bounds(&projected, later);
            if !primary.is_empty() {
                if secondary.len() < later.len() {
                    compact(&projected, &secondary, &mut self.keep, &mut self.spare);
                    std::mem::swap(&mut projected, &mut self.spare);
                }
                self.search(depth + 1, &projected, &primary, &secondary);
            }
        }
        self.prefix.pop();
        self.levels[depth] = projected;
    }

    /// Explores every extension of the current itemset by one item of `primary`.
    fn search(&mut self, depth: usize, db: &Db, primary: &[u32], secondary: &[u32]) {
        if self.prefix.len() + 1 < self.ctx.max_len {
            for &item in primary {
                self.visit(depth, db, item, secondary);
            }
            return;
        }
        // The extensions are the last level: their utilities come from one pass, no projection.
        for t in &db.txns {
            for p in t.start as usize..t.end as usize {
                self.sub_tree[db.items[p] as usize] += t.prefix + db.utils[p];
            }
        }
        for &item in primary {
            let utility = self.sub_tree[item as usize];
            if utility >= self.ctx.min_utility {
                self.prefix.push(item);
                self.emit(utility);
                self.prefix.pop();
            }
        }
        for &item in secondary {
            self.sub_tree[item as usize] = 0.0;
        }
    }

    fn emit(&mut self, utility: f64) {
        let start = self.out.items.len();
        self.out.items.extend(self.prefix.iter().map(|&i| self.ctx.decode[i as usize]));
        self.out.items[start..].sort_unstable();
        self.out.offsets.push(self.out.items.len() as u32);
        self.out.utilities.push(utility);
    }
}

/// Writes into `out` the projection of `db` on `item` (the items after it, with the prefix
/// utility grown by its utility) and returns the utility of the itemset grown by `item`.
fn project(db: &Db, item: u32, out: &mut Db) -> f64 {
    out.clear();
    let mut utility = 0.0;
    for t in &db.txns {
        let (s, e) = (t.start as usize, t.end as usize);
        if let Ok(j) = db.items[s..e].binary_search(&item) {
            let p = s + j;
            let prefix = t.prefix + db.utils[p];
            utility += prefix;
            let start = out.items.len();
            out.items.extend_from_slice(&db.items[p + 1..e]);
            out.utils.extend_from_slice(&db.utils[p + 1..e]);
            out.close(start, prefix);
        }
    }
    utility
}

/// Writes into `out` the transactions of `db` without the items outside `secondary`, merging
/// transactions that become equal. `keep` is all false, and is left so.
fn compact(db: &Db, secondary: &[u32], keep: &mut [bool], out: &mut Db) {
    secondary.iter().for_each(|&i| keep[i as usize] = true);
    out.clear();
    for t in &db.txns {
        let start = out.items.len();
        for p in t.start as usize..t.end as usize {
            if keep[db.items[p] as usize] {
                out.items.push(db.items[p]);
                out.utils.push(db.utils[p]);
            }
        }
        out.close(start, t.prefix);
    }
    secondary.iter().for_each(|&i| keep[i as usize] = false);
}
