//! The first step of both miners: drop infrequent items and recode the others by frequency
//! ("ranks", 0 = most frequent). Frequent-first ranks make FP-trees share long prefixes and let
//! both miners enumerate extensions in the same order.

use std::sync::Mutex;

use super::masks::Masks;
use super::search::{Candidates, NIL};
use super::Baskets;
use crate::par;

/// Baskets restricted to frequent items, in rank codes, both horizontally (each basket's
/// ranks) and vertically (each rank's baskets).
pub(crate) struct Ranked {
    /// Rank -> original item code.
    pub code: Vec<u32>,
    /// Rank -> support count (non-increasing).
    pub support: Vec<u32>,
    /// Basket `b` holds ranks `ranks[offsets[b]..offsets[b+1]]`, ascending.
    pub offsets: Vec<u32>,
    pub ranks: Vec<u32>,
    /// Rank x is in the baskets `tids[tid_start[x]..tid_start[x+1]]`, ascending.
    pub tid_start: Vec<usize>,
    pub tids: Vec<u32>,
    pairs: Option<Pairs>,
}

impl Ranked {
    pub fn n_ranks(&self) -> usize {
        self.code.len()
    }
    pub fn n_transactions(&self) -> usize {
        self.offsets.len() - 1
    }
    pub fn basket(&self, b: usize) -> &[u32] {
        &self.ranks[self.offsets[b] as usize..self.offsets[b + 1] as usize]
    }
    /// Whether a frequent item is, on average, in at least a tenth of the baskets: then Eclat
    /// uses bit sets and FP-growth one full tree.
    pub fn is_dense(&self) -> bool {
        let density = self.ranks.len() as f64 / (self.n_ranks().max(1) as f64 * self.n_transactions().max(1) as f64);
        density >= 0.1
    }

    /// The baskets holding rank x.
    pub fn tids_of(&self, x: u32) -> &[u32] {
        &self.tids[self.tid_start[x as usize]..self.tid_start[x as usize + 1]]
    }

    /// Tables the pair counts (see [`Pairs`]) when there are few enough frequent items.
    pub fn count_pairs(&mut self, threads: usize) {
        self.pairs = Pairs::count(&self.offsets, &self.ranks, &self.support, threads);
    }

    /// Counts {x, y} for every y < x into `count[..x]` (all zero before): from the pair table
    /// when there is one, else by gathering x's conditional database into `db`. Returns
    /// whether `db` was gathered.
    pub fn count_extensions(&self, x: u32, db: &mut Conditional, count: &mut [u32]) -> bool {
        match &self.pairs {
            Some(p) => {
                count[..x as usize].copy_from_slice(p.row(x));
                false
            }
            None => {
                self.gather(x, db);
                db.ranks.iter().for_each(|&y| count[y as usize] += 1);
                true
            }
        }
    }

    /// Occurrence delivery: gathers x's conditional database (the ranks below x of every
    /// basket holding x) into `db`. The baskets are read once, in random order; the miners
    /// then work on `db`, which stays in cache.
    pub fn gather(&self, x: u32, db: &mut Conditional) {
        db.ranks.clear();
        db.ends.clear();
        let tids = self.tids_of(x);
        for (k, &t) in tids.iter().enumerate() {
            // The baskets are scattered: ask for the ones a few steps ahead now.
            if let Some(&ahead) = tids.get(k + PREFETCH_DISTANCE) {
                prefetch(&self.offsets[ahead as usize + 1]);
            }
            if let Some(&ahead) = tids.get(k + PREFETCH_DISTANCE / 2) {
                prefetch(&self.ranks[self.offsets[ahead as usize] as usize..]);
            }
            db.ranks.extend(self.basket(t as usize).iter().take_while(|&&y| y < x));
            db.ends.push(db.ranks.len());
        }
    }
}

/// Support counts of all pairs of frequent items, counted in one sequential pass over the
/// baskets: far cheaper than gathering every item's conditional database, and it tells which
/// items have fewer than two frequent extensions and need no gathering at all.
pub(crate) struct Pairs {
    /// Row x (the pairs {x, y}, y < x) starts at x (x - 1) / 2.
    counts: Vec<u32>,
}

/// Pairs are tabled up to this many frequent items: a table of at most 2 MiB, mostly in L2,
/// since every increment is a random access.
const PAIR_TABLE_MAX_ITEMS: usize = 1024;

impl Pairs {
    fn row_start(x: usize) -> usize {
        x * x.saturating_sub(1) / 2
    }

    pub fn row(&self, x: u32) -> &[u32] {
        let s = Self::row_start(x as usize);
        &self.counts[s..s + x as usize]
    }

    /// The table for the baskets, rows split over up to `threads` workers (each scans every basket
    /// and counts the pairs of its rows), or None when it would be too large.
    fn count(offsets: &[u32], ranks: &[u32], support: &[u32], threads: usize) -> Option<Pairs> {
        let m = support.len();
        if m > PAIR_TABLE_MAX_ITEMS {
            return None;
        }
        // Row x costs about support(x) * x increments; cut the rows into equal shares.
        let workers = par::num_threads(threads).min(m.max(1));
        let total: f64 = support.iter().enumerate().map(|(x, &s)| s as f64 * x as f64).sum();
        let mut bounds = vec![0usize];
        let mut acc = 0.0;
        for (x, &s) in support.iter().enumerate() {
            acc += s as f64 * x as f64;
            if acc * workers as f64 >= total * bounds.len() as f64 && bounds.len() < workers {
                bounds.push(x + 1);
            }
        }
        bounds.push(m);
        bounds.dedup();
        let mut counts = vec![0u32; Self::row_start(m)];
        let cuts: Vec<usize> = bounds.iter().map(|&x| Self::row_start(x)).collect();
        for_each_part(&mut counts, &cuts, workers, |k, part| {
            let (lo, hi) = (bounds[k], bounds[k + 1]);
            let base = Self::row_start(lo);
            for b in offsets.windows(2) {
                let basket = &ranks[b[0] as usize..b[1] as usize];
                let first = basket.partition_point(|&x| (x as usize) < lo);
                for (i, &x) in basket.iter().enumerate().skip(first) {
                    if x as usize >= hi {
                        break;
                    }
                    let row = &mut part[Self::row_start(x as usize) - base..];
                    basket[..i].iter().for_each(|&y| row[y as usize] += 1);
                }
            }
        });
        Some(Pairs { counts })
    }
}

/// How many baskets ahead [`Ranked::gather`] prefetches.
const PREFETCH_DISTANCE: usize = 16;

/// A hint to load the cache line holding `p` (no effect off x86-64).
#[inline(always)]
fn prefetch<T: ?Sized>(p: &T) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: prefetching is a hint on a valid reference; SSE is part of x86-64.
    unsafe {
        use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
        _mm_prefetch::<_MM_HINT_T0>((p as *const T).cast());
    }
}

/// The part below x of each basket holding x (see [`Ranked::gather`]): basket k of
/// `Ranked::tids_of(x)` gives `ranks[ends[k-1]..ends[k]]` (from 0 for k = 0).
#[derive(Default)]
pub(crate) struct Conditional {
    pub ranks: Vec<u32>,
    pub ends: Vec<usize>,
}

impl Conditional {
    /// Each basket's part, in the order of `Ranked::tids_of(x)`.
    pub fn parts(&self) -> impl Iterator<Item = &[u32]> + '_ {
        let starts = std::iter::once(0).chain(self.ends.iter().copied());
        starts.zip(&self.ends).map(|(s, &e)| &self.ranks[s..e])
    }

    /// Writes the parts as mask rows over the candidates `cand`, rank y being bit `keep[y]`
    /// (NIL: not a candidate).
    pub fn write_masks(&self, cand: &Candidates, keep: &[u32], out: &mut Masks) {
        out.start(cand);
        for part in self.parts() {
            let mask = part.iter().map(|&y| keep[y as usize]).filter(|&k| k != NIL).fold(0, |m, k| m | 1 << k);
            out.add(mask, 1);
        }
        out.merge_repeats();
    }
}

/// Entries per task when the preparation runs in parallel; smaller inputs stay on one thread.
const ENTRIES_PER_TASK: usize = 1 << 16;

/// Recodes the items with count >= `min_count` by descending count (ties by code). The
/// baskets are cut into ranges of about equal size, one task each: a task counts its items,
/// then writes its share of every tid list; reading the lists rank by rank then writes every
/// basket already sorted.
pub(crate) fn rank_items(b: &Baskets, min_count: u32, threads: usize) -> Ranked {
    let n_items = b.n_items as usize;
    let parts = basket_ranges(&b.offsets, n_items, threads);
    let n_parts = parts.len() - 1;
    let part_counts = par::map_dynamic(n_parts, threads, |p, _| {
        let mut counts = vec![0u32; n_items];
        let span = b.offsets[parts[p]] as usize..b.offsets[parts[p + 1]] as usize;
        b.items[span].iter().for_each(|&i| counts[i as usize] += 1);
        counts
    });
    let mut counts = vec![0u32; n_items];
    for part in &part_counts {
        counts.iter_mut().zip(part).for_each(|(c, &p)| *c += p);
    }
    let mut code: Vec<u32> = (0..b.n_items).filter(|&i| counts[i as usize] >= min_count).collect();
    code.sort_unstable_by_key(|&i| (std::cmp::Reverse(counts[i as usize]), i));
    let support: Vec<u32> = code.iter().map(|&i| counts[i as usize]).collect();
    let mut rank_of = vec![NIL; n_items];
    for (r, &i) in code.iter().enumerate() {
        rank_of[i as usize] = r as u32;
    }
    let m = code.len();
    let mut tid_start = Vec::with_capacity(m + 1);
    tid_start.push(0);
    for &s in &support {
        tid_start.push(tid_start[tid_start.len() - 1] + s as usize);
    }
    // Rank r's list is its baskets in range 0, then in range 1, ...: cut it into those shares.
    let mut tids = vec![0u32; tid_start[m]];
    let mut shares: Vec<Vec<&mut [u32]>> = (0..n_parts).map(|_| Vec::with_capacity(m)).collect();
    let mut rest = tids.as_mut_slice();
    for &i in &code {
        for (p, share) in shares.iter_mut().enumerate() {
            let (mine, tail) = rest.split_at_mut(part_counts[p][i as usize] as usize);
            share.push(mine);
            rest = tail;
        }
    }
    let shares: Vec<Mutex<Vec<&mut [u32]>>> = shares.into_iter().map(Mutex::new).collect();
    // Each range fills its shares and counts the frequent items of its baskets.
    let lens = par::map_dynamic(n_parts, threads, |p, _| {
        let mut share = shares[p].lock().unwrap_or_else(|e| e.into_inner());
        let mut fill = vec![0usize; m];
        let mut lens = Vec::with_capacity(parts[p + 1] - parts[p]);
        for t in parts[p]..parts[p + 1] {
            let mut len = 0;
            for &i in b.basket(t) {
                let r = rank_of[i as usize] as usize;
                if r != NIL as usize {
                    share[r][fill[r]] = t as u32;
                    fill[r] += 1;
                    len += 1;
                }
            }
            lens.push(len);
        }
        lens
    });
    drop(shares);
    let mut offsets = Vec::with_capacity(b.n_transactions() + 1);
    offsets.push(0u32);
    for &len in lens.iter().flatten() {
        offsets.push(offsets[offsets.len() - 1] + len);
    }
    let ranks = horizontal(&offsets, &tid_start, &tids, threads);
    Ranked { code, support, offsets, ranks, tid_start, tids, pairs: None }
}

/// Cuts the baskets into ranges of about `ENTRIES_PER_TASK` entries, at least one and no more
/// than the item counts per range fit in the size of the input: range p is baskets
/// `cuts[p]..cuts[p + 1]`.
fn basket_ranges(offsets: &[u32], n_items: usize, threads: usize) -> Vec<usize> {
    let n = offsets.len() - 1;
    let entries = offsets[n] as usize;
    let most = (4 * par::num_threads(threads)).min(entries / n_items.max(1)).max(1);
    let ranges = (entries / ENTRIES_PER_TASK).clamp(1, most);
    let mut cuts: Vec<usize> = (0..ranges).map(|p| offsets.partition_point(|&o| (o as usize) < p * entries / ranges).min(n)).collect();
    cuts[0] = 0;
    cuts.push(n);
    cuts.dedup();
    cuts
}

/// Runs `f(k, part)` on up to `threads` workers for the parts of `data` cut at `cuts` (part k
/// is `data[cuts[k]..cuts[k + 1]]`).
fn for_each_part<T: Send, F>(data: &mut [T], cuts: &[usize], threads: usize, f: F)
where
    F: Fn(usize, &mut [T]) + Sync,
{
    let mut parts = Vec::with_capacity(cuts.len());
    let mut rest = data;
    for w in cuts.windows(2) {
        let (part, tail) = rest.split_at_mut(w[1] - w[0]);
        parts.push(Mutex::new(Some(part)));
        rest = tail;
    }
    par::run_dynamic(parts.len(), threads, |k, _| {
        let part = parts[k].lock().unwrap_or_else(|e| e.into_inner()).take().expect("each part once");
        f(k, part);
    });
}

/// Entries written per block of baskets by [`horizontal`]: 256 KiB, a share of L2.
const BLOCK_ENTRIES: usize = 1 << 16;

/// Each basket's ranks, ascending, from the tid lists: reading the lists rank by rank appends
/// ranks in order. Blocks of baskets small enough to stay in cache are filled one at a time
/// (the writes scatter over the block's baskets), in parallel.
fn horizontal(offsets: &[u32], tid_start: &[usize], tids: &[u32], threads: usize) -> Vec<u32> {
    let (n, m) = (offsets.len() - 1, tid_start.len() - 1);
    let nnz = tids.len();
    // Every block visits every rank: at most about nnz / m blocks.
    let n_blocks = (nnz / BLOCK_ENTRIES).min(nnz / m.max(1)).max(1);
    let per_block = n.div_ceil(n_blocks).max(1);
    let blocks: Vec<usize> = (0..n).step_by(per_block).chain([n]).collect();
    let cuts: Vec<usize> = blocks.iter().map(|&t| offsets[t] as usize).collect();
    let mut ranks = vec![0u32; nnz];
    for_each_part(&mut ranks, &cuts, threads, |k, part| {
        let (first, end) = (blocks[k], blocks[k + 1] as u32);
        let mut next: Vec<u32> = offsets[first..blocks[k + 1]].iter().map(|&o| o - offsets[first]).collect();
        for r in 0..m {
            let list = &tids[tid_start[r]..tid_start[r + 1]];
            let from = list.partition_point(|&t| (t as usize) < first);
            for &t in list[from..].iter().take_while(|&&t| t < end) {
                let slot = &mut next[t as usize - first];
                part[*slot as usize] = r as u32;
                *slot += 1;
            }
        }
    });
    ranks
}

/// How deep the search can go: no itemset is longer than the longest basket or `max_len`.
pub(crate) fn search_depth(r: &Ranked, max_len: usize) -> usize {
    let longest = (0..r.n_transactions()).map(|t| r.basket(t).len()).max().unwrap_or(0);
    if max_len == 0 {
        longest
    } else {
        longest.min(max_len)
    }
}
