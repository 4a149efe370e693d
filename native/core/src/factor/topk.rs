//! Scoring with fitted factors: the best `n` items per user, the items most similar to an
//! item, and full user × target score matrices.
//!
//! Scores are dot products `x_u·y_i`, computed as blocked matrix products
//! ([`crate::linalg::gemm`]): a task takes a block of users and streams the items past them in
//! blocks that stay in the L2 cache, keeping one bounded heap per user, so memory is
//! O(users × n), never users × items. Ranking: higher score first, ties to the lower item.
//!
//! One user against many items is bound by memory bandwidth: the scan reads every item's
//! factors once. Given the item factors quantised ([`QuantizedItems`]), it reads an eighth of
//! the bytes instead and certifies the result: each item gets an interval from its 4-bit codes
//! that holds its exact score; the few whose interval reaches the `n`-th best lower bound get a
//! narrower one from their 8-bit codes, and only those still in the running then are scored
//! exactly. The quantised rows are stored by decreasing norm, so the scan stops as soon as no
//! remaining item can reach that bound (items without interactions, whose factors are zero, are
//! never read). The result is the one the plain scan returns, to the bit. It runs on the
//! calling thread, allocating nothing but a few small vectors: a second thread only pays while
//! the other core is idle, and when another process keeps both busy it waits for one (bench,
//! 100k × 64: p99 7 ms on two threads, 0.9 ms on one).

use std::cmp::Ordering;
use std::collections::BinaryHeap;
use std::ops::Range;

use super::{factor_rows, CsrRef};
use crate::error::{Code, Error, Result};
use crate::linalg::gemm::{self, PackedRows, MR, NR};
use crate::linalg::quantized::{
    code_stride, coarse_block_bytes, coarse_bounds, norm_bound, quantize_row, quantize_row_coarse, score_bounds_at, zero_coarse_block, CoarseRows,
    QuantizedRows, Query, COARSE_ROWS,
};
use crate::linalg::row_norms;
use crate::par;

/// Users per task: their heaps stay live while one block of items is reused from cache.
const USERS_PER_TASK: usize = 16 * MR;
/// With fewer users, items are scored straight from their rows: packing would cost more than
/// it saves.
const PACK_MIN_USERS: usize = 2 * MR;
/// Size of one block of packed item factors: well inside a core's L2 cache.
const BLOCK_BYTES: usize = 256 * 1024;
/// Item factors a thread must have to read before splitting the items pays for starting it
/// (tens of µs).
const SPLIT_MIN_BYTES: usize = 4 << 20;

/// Scores tested together against a heap's threshold.
const OFFER_CHUNK: usize = 32;

/// Items per block of the quantised scan: their bounds stay in the L1 cache.
const BOUND_BLOCK: usize = 512;
/// The quantised scan is used when at least this many items compete for each place.
const QUANTIZED_MIN_ITEMS_PER_PLACE: usize = 64;
/// One user's allowed items are scored one by one, without a scan, when they are at most this
/// fraction of the catalogue (each reads four rows of factors, a scan 32 bytes per item).
const SHORT_LIST_FRACTION: usize = 64;

/// Items per block for `dim` factors: a multiple of the tile width [`NR`].
fn block_items(dim: usize) -> usize {
    (BLOCK_BYTES / (4 * dim)).max(NR) / NR * NR
}

/// Top-`n` items for each of `users`: scores `x_u·y_i`, without the items `exclude[k]` for
/// `users[k]` (if given: one sorted list per listed user) and keeping only the items in
/// `allowed` (if given: sorted, without duplicates). Returns `(items, scores)`, row-major
/// users × `n'` with `n' = min(n, number of allowed items)`, best first; a user with fewer
/// candidates is padded with `u32::MAX` / `-inf`. Parallel over blocks of users (and over item
/// ranges when there are fewer blocks than threads and enough items).
///
/// `quantized`, the item factors prepared by [`quantize_items`], lets a single user's scan
/// read 4- and 8-bit codes instead of the factors; the result is the same. A single user with
/// a short `allowed` list gets those items scored, nothing else.
///
/// Recommending users for an item is the same call with the roles swapped.
#[allow(clippy::too_many_arguments)]
pub fn top_k(
    user_factors: &[f32],
    item_factors: &[f32],
    factors: usize,
    users: &[u32],
    n: usize,
    exclude: Option<&[&[u32]]>,
    allowed: Option<&[u32]>,
    quantized: Option<QuantizedItemsRef>,
    threads: usize,
) -> Result<(Vec<u32>, Vec<f32>)> {
    let n_users = factor_rows(user_factors, factors, "user_factors")?;
    let n_items = factor_rows(item_factors, factors, "item_factors")?;
    if let Some(&u) = users.iter().find(|&&u| u as usize >= n_users) {
        return Err(Error::new(Code::UnknownUser, format!("user {u} out of range (the model has {n_users} users)")));
    }
    if let Some(ex) = exclude {
        check_exclusions(ex, users.len(), n_items)?;
    }
    if allowed.is_some_and(|a| !is_item_list(a, n_items)) {
        return Err(Error::new(Code::InvalidFormat, format!("the allowed items must be sorted, without duplicates and below {n_items}")));
    }
    if let Some(q) = quantized.filter(|q| q.rows.rows() != n_items || q.rows.dim() != factors) {
        return Err(Error::invalid(format!(
            "the quantised items are {} × {}, the model's {n_items} × {factors}",
            q.rows.rows(),
            q.rows.dim()
        )));
    }
    let width = n.min(allowed.map_or(n_items, |a| a.len()));
    let mut out_items = vec![u32::MAX; users.len() * width];
    let mut out_scores = vec![f32::NEG_INFINITY; users.len() * width];
    if width == 0 {
        return Ok((out_items, out_scores));
    }

    let mut scorer = Scorer { user_factors, item_factors, factors, users, packed: None, exclude, allowed, allowed_mask: None, width };
    if users.len() == 1 {
        if let Some(best) = scorer.one_user(quantized) {
            write_rows([best], width, &mut out_items, &mut out_scores);
            return Ok((out_items, out_scores));
        }
    }
    // The scan over every item: the allowed items as a mask.
    let mask = allowed.map(|a| {
        let mut mask = vec![false; n_items];
        a.iter().for_each(|&i| mask[i as usize] = true);
        mask
    });
    let packed = (users.len() >= PACK_MIN_USERS).then(|| PackedRows::<NR>::pack(factors, item_factors.chunks_exact(factors)));
    (scorer.allowed_mask, scorer.packed) = (mask.as_deref(), packed.as_ref());
    let blocks: Vec<Range<usize>> = (0..users.len()).step_by(USERS_PER_TASK).map(|s| s..users.len().min(s + USERS_PER_TASK)).collect();
    let threads = par::num_threads(threads);
    // Too few user blocks to keep every thread busy: split the items as well, if they are many.
    let splits = if blocks.len() >= threads {
        1
    } else {
        threads.min(n_items.div_ceil(NR)).min((item_factors.len() * 4 / SPLIT_MIN_BYTES).max(1))
    };
    let split_start = |s: usize| (n_items.div_ceil(NR) * s / splits * NR).min(n_items);
    let mut results = par::map_dynamic(blocks.len() * splits, threads, |t, _| {
        let (b, s) = (t / splits, t % splits);
        scorer.best(blocks[b].clone(), split_start(s)..split_start(s + 1))
    });

    // Each block's heaps: the splits' partial heaps merged into the first split's.
    let merged = results.chunks_exact_mut(splits).flat_map(|parts| {
        let (first, rest) = parts.split_first_mut().expect("at least one split");
        for other in rest {
            for (heap, partial) in first.iter_mut().zip(std::mem::take(other)) {
                partial.into_sorted().into_iter().for_each(|(s, i)| heap.push(s, i));
            }
        }
        std::mem::take(first)
    });
    write_rows(merged, width, &mut out_items, &mut out_scores);
    Ok((out_items, out_scores))
}

/// The item factors prepared for one user's scan in [`top_k`]: rows quantised to 4 bits
/// ([`CoarseRows`]) and to 8 bits ([`QuantizedRows`]), stored in order of decreasing Euclidean
/// norm.
#[derive(Clone, Debug, PartialEq)]
pub struct QuantizedItems {
    /// 4-bit codes of the rows in `order`, in blocks of eight rows ([`CoarseRows`]).
    pub coarse: Vec<u8>,
    /// Scale of each row's 4-bit codes, in `order`.
    pub coarse_scales: Vec<f32>,
    /// Bound of the norm of each row's 4-bit rounding, in `order`.
    pub coarse_errors: Vec<f32>,
    /// 8-bit codes of the rows in `order`, `code_stride(factors)` per row.
    pub codes: Vec<i8>,
    /// Scale of each row's 8-bit codes, in `order`.
    pub scales: Vec<f32>,
    /// The items by decreasing norm (ties: lower item first).
    pub order: Vec<u32>,
    /// The norm of each row in `order`, rounded up ([`norm_bound`]).
    pub norms: Vec<f32>,
}

/// [`QuantizedItems`] borrowed, with its shape checked.
#[derive(Clone, Copy, Debug)]
pub struct QuantizedItemsRef<'a> {
    coarse: CoarseRows<'a>,
    rows: QuantizedRows<'a>,
    order: &'a [u32],
    norms: &'a [f32],
}

impl<'a> QuantizedItemsRef<'a> {
    /// Checks that the arrays of `q` describe `n_items` rows of `factors` entries (their
    /// lengths only: an item id out of range in `order` is caught when read).
    pub fn new(q: QuantizedItemsParts<'a>, factors: usize, n_items: usize) -> Result<Self> {
        let coarse = CoarseRows::new(q.coarse, q.coarse_scales, q.coarse_errors, factors, n_items)?;
        let rows = QuantizedRows::new(q.codes, q.scales, factors, n_items)?;
        if q.order.len() != n_items || q.norms.len() != n_items {
            return Err(Error::invalid(format!(
                "quantised items: {} ids and {} norms for {n_items} items",
                q.order.len(),
                q.norms.len()
            )));
        }
        Ok(QuantizedItemsRef { coarse, rows, order: q.order, norms: q.norms })
    }
}

/// The arrays of a [`QuantizedItems`], borrowed from wherever they are kept.
#[derive(Clone, Copy)]
pub struct QuantizedItemsParts<'a> {
    pub coarse: &'a [u8],
    pub coarse_scales: &'a [f32],
    pub coarse_errors: &'a [f32],
    pub codes: &'a [i8],
    pub scales: &'a [f32],
    pub order: &'a [u32],
    pub norms: &'a [f32],
}

impl QuantizedItems {
    /// Its arrays, borrowed.
    pub fn parts(&self) -> QuantizedItemsParts<'_> {
        QuantizedItemsParts {
            coarse: &self.coarse,
            coarse_scales: &self.coarse_scales,
            coarse_errors: &self.coarse_errors,
            codes: &self.codes,
            scales: &self.scales,
            order: &self.order,
            norms: &self.norms,
        }
    }
}

/// Prepares the item factors for [`top_k`] (once per model: a sort and one pass).
pub fn quantize_items(item_factors: &[f32], factors: usize) -> Result<QuantizedItems> {
    let n_items = factor_rows(item_factors, factors, "item_factors")?;
    let norms: Vec<f32> = item_factors.chunks_exact(factors).map(norm_bound).collect();
    let mut order: Vec<u32> = (0..n_items as u32).collect();
    order.sort_by(|&a, &b| norms[b as usize].total_cmp(&norms[a as usize]));
    let mut position = vec![0usize; n_items];
    order.iter().enumerate().for_each(|(p, &i)| position[i as usize] = p);
    // Rows read in item order (a stream), each row's codes written to its place in `order`.
    let (stride, bytes) = (code_stride(factors), coarse_block_bytes(factors));
    let (mut codes, mut scales) = (vec![0i8; n_items * stride], vec![0f32; n_items]);
    let mut coarse = zero_coarse_block(factors).repeat(n_items.div_ceil(COARSE_ROWS));
    let (mut coarse_scales, mut coarse_errors) = (vec![0f32; n_items], vec![0f32; n_items]);
    for (row, &p) in item_factors.chunks_exact(factors).zip(&position) {
        scales[p] = quantize_row(row, &mut codes[p * stride..][..stride]);
        (coarse_scales[p], coarse_errors[p]) = quantize_row_coarse(row, &mut coarse[p / COARSE_ROWS * bytes..][..bytes], p % COARSE_ROWS);
    }
    let norms = order.iter().map(|&i| norms[i as usize]).collect();
    Ok(QuantizedItems { coarse, coarse_scales, coarse_errors, codes, scales, order, norms })
}

/// Whether `items` is strictly increasing and below `n_items`.
fn is_item_list(items: &[u32], n_items: usize) -> bool {
    items.windows(2).all(|w| w[0] < w[1]) && items.last().is_none_or(|&i| (i as usize) < n_items)
}

/// Checks the exclusion lists: one per listed user, each strictly increasing and below
/// `n_items` (only these rows are read: checking a whole matrix would cost more than one
/// user's recommendation).
fn check_exclusions(exclude: &[&[u32]], users: usize, n_items: usize) -> Result<()> {
    if exclude.len() != users {
        return Err(Error::invalid(format!("{} exclusion lists for {users} users", exclude.len())));
    }
    for (k, row) in exclude.iter().enumerate() {
        if !is_item_list(row, n_items) {
            return Err(Error::new(
                Code::InvalidFormat,
                format!("the excluded items of user {k} must be sorted, without duplicates and below {n_items}"),
            ));
        }
    }
    Ok(())
}

/// Writes each heap, best first, as one row of `width` results.
fn write_rows(heaps: impl IntoIterator<Item = TopN>, width: usize, items: &mut [u32], scores: &mut [f32]) {
    for ((heap, items), scores) in heaps.into_iter().zip(items.chunks_exact_mut(width)).zip(scores.chunks_exact_mut(width)) {
        for ((s, i), (item, score)) in heap.into_sorted().into_iter().zip(items.iter_mut().zip(scores)) {
            (*item, *score) = (i, s);
        }
    }
}

/// Everything a top-k task reads.
struct Scorer<'a> {
    user_factors: &'a [f32],
    item_factors: &'a [f32],
    factors: usize,
    users: &'a [u32],
    packed: Option<&'a PackedRows<NR>>,
    exclude: Option<&'a [&'a [u32]]>,
    /// The allowed items, sorted; as a mask for the scans over every item.
    allowed: Option<&'a [u32]>,
    allowed_mask: Option<&'a [bool]>,
    width: usize,
}

impl Scorer<'_> {
    fn user_row(&self, u: u32) -> &[f32] {
        &self.user_factors[u as usize * self.factors..][..self.factors]
    }

    /// The items excluded for the `k`-th listed user.
    fn excluded(&self, k: usize) -> &[u32] {
        self.exclude.map_or(&[], |ex| ex[k])
    }

    /// One heap per listed user in `block` (positions in `users`), over the items in `items`.
    fn best(&self, block: Range<usize>, items: Range<usize>) -> Vec<TopN> {
        let users = &self.users[block.clone()];
        let mut heaps: Vec<TopN> = users.iter().map(|_| TopN::new(self.width)).collect();
        // Position of each user's next excluded item in its exclusion list.
        let mut cursors: Vec<usize> = block.clone().map(|k| self.excluded(k).partition_point(|&i| (i as usize) < items.start)).collect();
        let packed_users = self.packed.map(|_| PackedRows::<MR>::pack(self.factors, users.iter().map(|&u| self.user_row(u))));
        let block_len = block_items(self.factors);
        let mut scores = vec![0f32; MR.min(users.len()) * block_len];
        for start in items.clone().step_by(block_len) {
            let cols = start..items.end.min(start + block_len);
            for (g, group) in users.chunks(MR).enumerate() {
                match (self.packed, &packed_users) {
                    (Some(items_packed), Some(a)) => gemm::multiply_block(a, g, items_packed, cols.clone(), &mut scores, block_len),
                    _ => {
                        for (r, &u) in group.iter().enumerate() {
                            gemm::multiply_rows(self.user_row(u), self.item_factors, cols.clone(), &mut scores[r * block_len..][..cols.len()]);
                        }
                    }
                }
                for r in 0..group.len() {
                    let k = g * MR + r;
                    let row = &mut scores[r * block_len..][..cols.len()];
                    let seen = self.excluded(block.start + k);
                    while let Some(&i) = seen.get(cursors[k]).filter(|&&i| (i as usize) < cols.end) {
                        row[i as usize - cols.start] = f32::NEG_INFINITY;
                        cursors[k] += 1;
                    }
                    heaps[k].offer(row, cols.start, self.allowed_mask);
                }
            }
        }
        heaps
    }

    /// The only listed user's heap without the plain scan: from their allowed items when they
    /// are few, else from the quantised items (if given and the items are many). `None`: the
    /// plain scan decides.
    fn one_user(&self, quantized: Option<QuantizedItemsRef>) -> Option<TopN> {
        let n_items = self.item_factors.len() / self.factors;
        if let Some(list) = self.allowed.filter(|a| a.len() * SHORT_LIST_FRACTION <= n_items) {
            let seen = self.excluded(0);
            return Some(self.exact_best(list.iter().copied().filter(|i| seen.binary_search(i).is_err())));
        }
        quantized.filter(|_| self.width * QUANTIZED_MIN_ITEMS_PER_PLACE <= n_items).and_then(|q| self.certified_best(&q))
    }

    /// The only listed user's heap from the quantised items: every item whose interval
    /// reaches the `width`-th best lower bound is kept and then scored exactly
    /// ([`Scorer::exact_best`]), so scores and order are the plain scan's. `None` when the
    /// user's factors cannot be quantised or too many items stay in doubt.
    fn certified_best(&self, quantized: &QuantizedItemsRef) -> Option<TopN> {
        let query = Query::new(self.user_row(self.users[0]))?;
        let (bounds, mut candidates) = self.bound_scan(&query, quantized)?;
        let bar = bounds.threshold();
        candidates.retain(|&(_, u)| may_reach(u, bar));
        candidates.sort_unstable_by_key(|&(item, _)| item);
        Some(self.exact_best(candidates.iter().map(|&(item, _)| item)))
    }

    /// The best `width` of `items` (increasing ids) for the only listed user, scored with the
    /// same kernel on the same aligned rows as [`Scorer::best`]: four rows at a time from a
    /// multiple of 4, as the plain scan's blocks (which start at multiples of NR) see them.
    fn exact_best(&self, items: impl Iterator<Item = u32>) -> TopN {
        let x = self.user_row(self.users[0]);
        let n_items = self.item_factors.len() / self.factors;
        let mut best = TopN::new(self.width);
        let (mut quad, mut exact) = (usize::MAX, [0f32; 4]);
        for item in items {
            let i = item as usize;
            if i & !3 != quad {
                quad = i & !3;
                let rows = quad..n_items.min(quad + 4);
                gemm::multiply_rows(x, self.item_factors, rows.clone(), &mut exact[..rows.len()]);
            }
            best.consider(exact[i - quad], item);
        }
        best
    }

    /// The certified scan over the rows by decreasing norm: the best `width` lower bounds, and
    /// every eligible item whose upper bound reached the bar when it was read, with that bound.
    /// Each block is bounded from its 4-bit codes; the rows still in the running are bounded
    /// again from their 8-bit codes (about 1 % of them), whose lower bounds raise the bar.
    /// `None` when too many items stay in doubt.
    fn bound_scan(&self, query: &Query, quantized: &QuantizedItemsRef) -> Option<(TopN, Vec<(u32, f32)>)> {
        let n_items = quantized.order.len();
        let seen = self.excluded(0);
        let eligible = |i: u32| self.allowed.is_none_or(|a| a.binary_search(&i).is_ok()) && seen.binary_search(&i).is_err();
        // The best `width` lower bounds: the worst of them is the bar an item's upper bound
        // must reach to stay in the running.
        let mut bounds = TopN::new(self.width);
        let mut candidates: Vec<(u32, f32)> = Vec::new();
        let most = (16 * self.width).max(4096);
        let (mut coarse_lower, mut coarse_upper, mut picked) = ([0f32; BOUND_BLOCK], [0f32; BOUND_BLOCK], [0u32; BOUND_BLOCK]);
        let (mut group, mut lower, mut upper) = ([0u32; OFFER_CHUNK], [0f32; OFFER_CHUNK], [0f32; OFFER_CHUNK]);
        for start in (0..n_items).step_by(BOUND_BLOCK) {
            let mut bar = bounds.threshold();
            // Rows come by decreasing norm: if this one cannot reach the bar, none after it can.
            if query.cannot_reach(quantized.norms[start], bar) {
                break;
            }
            let rows = start..n_items.min(start + BOUND_BLOCK);
            let len = rows.len();
            coarse_bounds(query, &quantized.coarse, rows, &mut coarse_lower[..len], &mut coarse_upper[..len]);
            // The rows whose 4-bit interval reaches the bar; their 8-bit rows, read here and
            // there, are fetched all at once.
            let mut count = 0;
            for (c, chunk) in coarse_upper[..len].chunks(OFFER_CHUNK).enumerate() {
                if !chunk.iter().fold(false, |any, &u| any | may_reach(u, bar)) {
                    continue;
                }
                for (k, &u) in chunk.iter().enumerate() {
                    let position = start + c * OFFER_CHUNK + k;
                    if may_reach(u, bar) {
                        quantized.rows.prefetch(position);
                        picked[count] = position as u32;
                        count += 1;
                    }
                }
            }
            // Bounded again from their 8-bit codes, a few at a time, each few against the bar
            // that the ones before them raised; only the rows still in the running then are
            // looked up (item id, eligibility), which costs a cache miss each.
            for few in picked[..count].chunks(OFFER_CHUNK) {
                let mut n = 0;
                for &p in few.iter().filter(|&&p| may_reach(coarse_upper[p as usize - start], bar)) {
                    group[n] = p;
                    n += 1;
                }
                score_bounds_at(query, &quantized.rows, &group[..n], &mut lower[..n], &mut upper[..n]);
                for k in 0..n {
                    if !may_reach(upper[k], bar) {
                        continue;
                    }
                    let item = quantized.order[group[k] as usize];
                    if eligible(item) {
                        candidates.push((item, upper[k]));
                        if lower[k] > bar {
                            bounds.push(lower[k], item);
                            bar = bounds.threshold();
                        }
                    }
                }
            }
            if candidates.len() >= most {
                candidates.retain(|&(_, u)| may_reach(u, bar));
                if candidates.len() > most / 2 {
                    return None;
                }
            }
        }
        Some((bounds, candidates))
    }
}

/// Whether an item whose upper bound is `upper` may still reach `bar`: also when the bound is
/// NaN (an item without certificate, to be scored exactly).
#[allow(clippy::neg_cmp_op_on_partial_ord)]
fn may_reach(upper: f32, bar: f32) -> bool {
    !(upper < bar)
}

/// Cosine similarity of `item` with every other item; the best `n` (at most items − 1), as
/// `(items, similarities)`, best first. An item with zero factors has similarity 0.
pub fn similar_items(item_factors: &[f32], factors: usize, item: u32, n: usize) -> Result<(Vec<u32>, Vec<f32>)> {
    let n_items = factor_rows(item_factors, factors, "item_factors")?;
    if item as usize >= n_items {
        return Err(Error::new(Code::UnknownItem, format!("item {item} out of range (the model has {n_items} items)")));
    }
    let mut norms = vec![0f32; n_items];
    row_norms(item_factors, factors, &mut norms);
    let mut scores = vec![0f32; n_items];
    let query = &item_factors[item as usize * factors..][..factors];
    gemm::multiply_rows(query, item_factors, 0..n_items, &mut scores);
    let q = norms[item as usize];
    for (s, norm) in scores.iter_mut().zip(&norms) {
        *s = if q > 0.0 && *norm > 0.0 { *s / (q * norm) } else { 0.0 };
    }
    scores[item as usize] = f32::NEG_INFINITY;
    let mut heap = TopN::new(n.min(n_items - 1));
    heap.offer(&scores, 0, None);
    Ok(heap.into_sorted().into_iter().map(|(s, i)| (i, s)).unzip())
}

/// Scores of every user (the rows of `history`, whose factors are the rows of
/// `user_factors`) against each of `targets`: users × targets, row-major. An item the user
/// already has in `history` scores `-inf`.
pub fn score_potential(
    user_factors: &[f32],
    item_factors: &[f32],
    factors: usize,
    history: CsrRef,
    targets: &[u32],
    threads: usize,
) -> Result<Vec<f32>> {
    let n_users = factor_rows(user_factors, factors, "user_factors")?;
    let n_items = factor_rows(item_factors, factors, "item_factors")?;
    history.validate()?;
    if history.rows != n_users || history.cols != n_items {
        return Err(Error::invalid(format!(
            "history is {} × {}, the model {n_users} × {n_items}",
            history.rows, history.cols
        )));
    }
    if let Some(&i) = targets.iter().find(|&&i| i as usize >= n_items) {
        return Err(Error::new(Code::UnknownItem, format!("target item {i} out of range (the model has {n_items} items)")));
    }
    let t = targets.len();
    let mut out = vec![0f32; n_users * t];
    if t == 0 {
        return Ok(out);
    }
    let packed = PackedRows::<NR>::pack(factors, targets.iter().map(|&i| &item_factors[i as usize * factors..][..factors]));
    let block = block_items(factors);
    par::for_each_chunk_mut(&mut out, USERS_PER_TASK * t, threads, |task, chunk| {
        let first = task * USERS_PER_TASK;
        let rows = chunk.len() / t;
        let users = PackedRows::<MR>::pack(factors, user_factors[first * factors..(first + rows) * factors].chunks_exact(factors));
        for start in (0..t).step_by(block) {
            let cols = start..t.min(start + block);
            for g in 0..users.panels() {
                gemm::multiply_block(&users, g, &packed, cols.clone(), &mut chunk[g * MR * t + start..], t);
            }
        }
        let mut seen = vec![false; n_items];
        for (r, row) in chunk.chunks_exact_mut(t).enumerate() {
            let history_row = history.row_indices(first + r);
            history_row.iter().for_each(|&i| seen[i as usize] = true);
            for (s, &i) in row.iter_mut().zip(targets) {
                if seen[i as usize] {
                    *s = f32::NEG_INFINITY;
                }
            }
            history_row.iter().for_each(|&i| seen[i as usize] = false);
        }
    });
    Ok(out)
}

/// A candidate in a [`TopN`] heap, ordered so that the heap's maximum is the worst kept
/// candidate: lower score is worse, and at equal scores the higher item.
#[derive(Clone, Copy)]
struct Candidate {
    score: f32,
    item: u32,
}

impl Ord for Candidate {
    fn cmp(&self, other: &Self) -> Ordering {
        other.score.total_cmp(&self.score).then(self.item.cmp(&other.item))
    }
}

impl PartialOrd for Candidate {
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

/// The best `capacity` (score, item) pairs seen so far.
struct TopN {
    heap: BinaryHeap<Candidate>,
    capacity: usize,
}

impl TopN {
    fn new(capacity: usize) -> Self {
        TopN { heap: BinaryHeap::with_capacity(capacity + 1), capacity }
    }

    /// The score a candidate must reach to enter.
    fn threshold(&self) -> f32 {
        match self.heap.peek() {
            Some(worst) if self.heap.len() >= self.capacity => worst.score,
            _ => f32::NEG_INFINITY,
        }
    }

    fn push(&mut self, score: f32, item: u32) {
        let candidate = Candidate { score, item };
        if self.heap.len() < self.capacity {
            self.heap.push(candidate);
        } else if let Some(mut worst) = self.heap.peek_mut() {
            if candidate < *worst {
                *worst = candidate;
            }
        }
    }

    /// Offers `score` for `item`; `-inf` (masked) and NaN never enter.
    fn consider(&mut self, score: f32, item: u32) {
        if score >= self.threshold() && score > f32::NEG_INFINITY {
            self.push(score, item);
        }
    }

    /// Offers `scores[k]` for item `first_item + k` (see [`TopN::consider`]); disallowed items
    /// never enter.
    fn offer(&mut self, scores: &[f32], first_item: usize, allowed: Option<&[bool]>) {
        let mut threshold = self.threshold();
        for (c, chunk) in scores.chunks(OFFER_CHUNK).enumerate() {
            // Once the heap is full almost no score qualifies: test a whole chunk at once
            // (a branch-free comparison the compiler vectorises) before looking closer.
            if !chunk.iter().fold(false, |any, &s| any | (s >= threshold)) {
                continue;
            }
            for (k, &s) in chunk.iter().enumerate() {
                let item = first_item + c * OFFER_CHUNK + k;
                if s >= threshold && allowed.is_none_or(|a| a[item]) {
                    self.consider(s, item as u32);
                    threshold = self.threshold();
                }
            }
        }
    }

    /// (score, item) pairs, best first.
    fn into_sorted(self) -> Vec<(f32, u32)> {
        self.heap.into_sorted_vec().into_iter().map(|c| (c.score, c.item)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::linalg::test_data as data;

    /// A heap's content, best first, as (score bits, item).
    type Ranked = Vec<(u32, u32)>;

    /// The quantised scan of user `u` (`None`: it gave up) and the plain scan.
    fn both_scans(user: &[f32], item: &[f32], f: usize, u: u32) -> (Option<Ranked>, Ranked) {
        let q = quantize_items(item, f).unwrap();
        let q = QuantizedItemsRef::new(q.parts(), f, item.len() / f).unwrap();
        let users = [u];
        let scorer =
            Scorer { user_factors: user, item_factors: item, factors: f, users: &users, packed: None, exclude: None, allowed: None, allowed_mask: None, width: 10 };
        let bits = |heap: TopN| heap.into_sorted().into_iter().map(|(s, i)| (s.to_bits(), i)).collect::<Vec<_>>();
        (scorer.certified_best(&q).map(bits), bits(scorer.best(0..1, 0..item.len() / f).pop().unwrap()))
    }

    #[test]
    fn the_quantized_scan_decides_typical_users_itself() {
        // 70,000 × 64 is the size of the latency bench, 20,000 × 32 one 4-bit block per row.
        for (f, n_items, users) in [(32, 20_000, 8), (64, 70_000, 6)] {
            let (user, item) = (data(users * f, f as u64), data(n_items * f, 2));
            for u in 0..users as u32 {
                let (quantized, plain) = both_scans(&user, &item, f, u);
                assert_eq!(quantized.expect("decided without the plain scan"), plain, "{f} factors, user {u}");
            }
        }
    }

    #[test]
    fn the_quantized_scan_gives_up_when_everything_ties() {
        let (f, n_items) = (8, 10_000);
        let user = data(f, 3);
        let item: Vec<f32> = data(f, 4).into_iter().cycle().take(n_items * f).collect();
        let (quantized, plain) = both_scans(&user, &item, f, 0);
        assert!(quantized.is_none());
        assert_eq!(plain.iter().map(|c| c.1).collect::<Vec<_>>(), (0..10).collect::<Vec<_>>());
    }
}
