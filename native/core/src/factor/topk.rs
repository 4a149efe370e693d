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
//! never read). The result is the one the plain scan returns, to the bit. The scan is cut into
//! parts that the calling thread shares with the idle cores' standing helpers
//! ([`par::share`]): the parts share one heap of lower bounds, whose worst is the bar (read
//! through an atomic), and a busy machine never keeps the caller waiting for a helper (a thread started per call did: p99 7 ms when another
//! process kept the other core busy).

use std::cmp::Ordering;
use std::collections::BinaryHeap;
use std::ops::Range;
use std::sync::atomic::{self, AtomicBool, AtomicU32};
use std::sync::{Arc, Mutex};

use super::{factor_rows, CsrRef};
use crate::error::{Code, Error, Result};
use crate::linalg::gemm::{self, PackedRows, MR, NR};
use crate::linalg::quantized::{
    code_stride, coarse_block_bytes, coarse_bounds, norm_bound, quantize_row, quantize_row_coarse, score_bounds_at, zero_coarse_block, CoarseRows,
    QuantizedRows, Query, COARSE_ROWS,
};
use crate::linalg::{dot, fma_dispatch, row_norms};
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
/// Items per part of the quantised scan shared between threads: some 20 µs of work.
const BOUND_PART: usize = 16 * BOUND_BLOCK;
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
/// read 4- and 8-bit codes instead of the factors, with the idle cores' help; the result is
/// the same. A single user with a short `allowed` list gets those items scored, nothing else.
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
    quantized: Option<&Arc<QuantizedItems>>,
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
    if let Some(q) = quantized.filter(|q| q.order.len() != n_items || q.dim != factors) {
        return Err(Error::invalid(format!("the quantised items are {} × {}, the model's {n_items} × {factors}", q.order.len(), q.dim)));
    }
    let width = n.min(allowed.map_or(n_items, |a| a.len()));
    let mut out_items = vec![u32::MAX; users.len() * width];
    let mut out_scores = vec![f32::NEG_INFINITY; users.len() * width];
    if width == 0 {
        return Ok((out_items, out_scores));
    }

    let mut scorer = Scorer { user_factors, item_factors, factors, users, packed: None, exclude, allowed, allowed_mask: None, width };
    if users.len() == 1 {
        if let Some(best) = scorer.one_user(quantized, threads) {
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
/// norm. Made by [`quantize_items`], shared (`Arc`) with the threads that help a scan.
#[derive(Clone, Debug, PartialEq)]
pub struct QuantizedItems {
    dim: usize,
    /// 4-bit codes of the rows in `order`, in blocks of eight rows ([`CoarseRows`]).
    coarse: Vec<u8>,
    /// Scale of each row's 4-bit codes, in `order`.
    coarse_scales: Vec<f32>,
    /// Bound of the norm of each row's 4-bit rounding, in `order`.
    coarse_errors: Vec<f32>,
    /// 8-bit codes of the rows in `order`, `code_stride(dim)` per row.
    codes: Vec<i8>,
    /// Scale of each row's 8-bit codes, in `order`.
    scales: Vec<f32>,
    /// The items by decreasing norm (ties: lower item first).
    order: Vec<u32>,
    /// The norm of each row in `order`, rounded up ([`norm_bound`]).
    norms: Vec<f32>,
}

impl QuantizedItems {
    fn coarse(&self) -> CoarseRows<'_> {
        CoarseRows::new(&self.coarse, &self.coarse_scales, &self.coarse_errors, self.dim, self.order.len()).expect("consistent by construction")
    }

    fn rows(&self) -> QuantizedRows<'_> {
        QuantizedRows::new(&self.codes, &self.scales, self.dim, self.order.len()).expect("consistent by construction")
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
    Ok(QuantizedItems { dim: factors, coarse, coarse_scales, coarse_errors, codes, scales, order, norms })
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
    fn one_user(&self, quantized: Option<&Arc<QuantizedItems>>, threads: usize) -> Option<TopN> {
        let n_items = self.item_factors.len() / self.factors;
        if let Some(list) = self.allowed.filter(|a| a.len() * SHORT_LIST_FRACTION <= n_items) {
            let seen = self.excluded(0);
            return Some(self.exact_best(list.iter().copied().filter(|i| seen.binary_search(i).is_err())));
        }
        quantized.filter(|_| self.width * QUANTIZED_MIN_ITEMS_PER_PLACE <= n_items).and_then(|q| self.certified_best(q, threads))
    }

    /// The only listed user's heap from the quantised items ([`BoundScan`], its parts shared
    /// with the helper threads): every item whose interval reaches the `width`-th best lower
    /// bound is kept and then scored exactly ([`Scorer::exact_best`]), so scores and order are
    /// the plain scan's. `None` when the user's factors cannot be quantised or too many items
    /// stay in doubt.
    fn certified_best(&self, quantized: &Arc<QuantizedItems>, threads: usize) -> Option<TopN> {
        let scan = Arc::new(BoundScan {
            items: quantized.clone(),
            query: Query::new(self.user_row(self.users[0]))?,
            seen: self.excluded(0).to_vec(),
            allowed: self.allowed.map(<[u32]>::to_vec),
            width: self.width,
            bounds: Mutex::new(TopN::new(self.width)),
            bar: AtomicU32::new(ordered(f32::NEG_INFINITY)),
            started: (0..quantized.order.len().div_ceil(BOUND_PART)).map(|_| AtomicBool::new(false)).collect(),
        });
        let parts = par::share(&scan, threads);
        let mut lower = scan.bounds.lock().unwrap_or_else(|e| e.into_inner()).clone().into_sorted();
        let mut candidates = Vec::new();
        for part in parts.into_iter().flatten() {
            let (again, part_candidates) = part?;
            lower.extend(again);
            candidates.extend(part_candidates);
        }
        // An item bounded by both runs of a part counts once.
        lower.sort_unstable_by_key(|&(_, item)| item);
        lower.dedup_by_key(|&mut (_, item)| item);
        let mut bounds = TopN::new(self.width);
        lower.into_iter().for_each(|(s, i)| bounds.push(s, i));
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
}

/// One user's certified scan over the quantised rows by decreasing norm, in parts of
/// [`BOUND_PART`] rows ([`par::Parts`]). Each block of a part is bounded from its 4-bit codes;
/// the rows still in the running are bounded again from their 8-bit codes (about 1 % of them),
/// whose lower bounds go to the best `width` lower bounds of the whole scan: the worst of them
/// is the bar. A part's result: every eligible item whose upper bound reached the bar when it
/// was read, with that bound; `None` when too many items stay in doubt.
struct BoundScan {
    items: Arc<QuantizedItems>,
    query: Query,
    /// The user's excluded items and the allowed items (if any), sorted.
    seen: Vec<u32>,
    allowed: Option<Vec<u32>>,
    width: usize,
    /// The best `width` lower bounds found by the parts' first runs. A second run of a part
    /// (see [`par::share`]) keeps its own, returned with its result: an item is never counted
    /// twice.
    bounds: Mutex<TopN>,
    /// The threshold of `bounds`, as [`ordered`] bits: read without the lock.
    bar: AtomicU32,
    /// Whether each part has started a run.
    started: Vec<AtomicBool>,
}

/// The bits of `v` as a `u32` in the order of the values (for `v` not NaN).
fn ordered(v: f32) -> u32 {
    let bits = v.to_bits();
    if bits >> 31 == 1 { !bits } else { bits | 1 << 31 }
}

/// The value of [`ordered`] bits.
fn from_ordered(bits: u32) -> f32 {
    f32::from_bits(if bits >> 31 == 1 { bits & !(1 << 31) } else { !bits })
}

impl BoundScan {
    fn shared_bar(&self) -> f32 {
        from_ordered(self.bar.load(atomic::Ordering::Relaxed))
    }

    /// Adds a lower bound to the scan's best (a first run) or to `again`'s (a second run);
    /// returns the threshold it raised.
    fn raise(&self, again: &mut TopN, first: bool, lower: f32, item: u32) -> f32 {
        if !first {
            again.push(lower, item);
            return again.threshold();
        }
        let mut bounds = self.bounds.lock().unwrap_or_else(|e| e.into_inner());
        bounds.push(lower, item);
        let bar = bounds.threshold();
        self.bar.store(ordered(bar), atomic::Ordering::Relaxed);
        bar
    }

    fn eligible(&self, item: u32) -> bool {
        self.allowed.as_ref().is_none_or(|a| a.binary_search(&item).is_ok()) && self.seen.binary_search(&item).is_err()
    }
}

impl par::Parts for BoundScan {
    /// The lower bounds a second run found, and the candidates.
    type Out = Option<(Vec<(f32, u32)>, Vec<(u32, f32)>)>;

    fn count(&self) -> usize {
        self.items.order.len().div_ceil(BOUND_PART)
    }

    /// Rows come by decreasing norm: a part whose first row cannot reach the bar has none that can.
    fn needless(&self, part: usize) -> bool {
        self.query.cannot_reach(self.items.norms[part * BOUND_PART], self.shared_bar())
    }

    fn run(&self, part: usize) -> Self::Out {
        let (query, quantized) = (&self.query, &*self.items);
        let (coarse, rows) = (quantized.coarse(), quantized.rows());
        let part_rows = part * BOUND_PART..quantized.order.len().min((part + 1) * BOUND_PART);
        let first = !self.started[part].swap(true, atomic::Ordering::Relaxed);
        let mut again = TopN::new(self.width);
        let mut candidates: Vec<(u32, f32)> = Vec::new();
        let most = (16 * self.width).max(4096);
        let (mut coarse_lower, mut coarse_upper, mut picked) = ([0f32; BOUND_BLOCK], [0f32; BOUND_BLOCK], [0u32; BOUND_BLOCK]);
        let (mut group, mut lower, mut upper) = ([0u32; OFFER_CHUNK], [0f32; OFFER_CHUNK], [0f32; OFFER_CHUNK]);
        for start in part_rows.clone().step_by(BOUND_BLOCK) {
            let mut bar = again.threshold().max(self.shared_bar());
            if query.cannot_reach(quantized.norms[start], bar) {
                break;
            }
            let block = start..part_rows.end.min(start + BOUND_BLOCK);
            let len = block.len();
            // The rows whose 4-bit interval reaches the bar; their 8-bit rows, read here and
            // there, are fetched all at once.
            let count = coarse_bounds(query, &coarse, block, &mut coarse_lower[..len], &mut coarse_upper[..len], bar, &mut picked[..len]);
            picked[..count].iter().for_each(|&k| rows.prefetch(start + k as usize));
            // Bounded again from their 8-bit codes, a few at a time, each few against the bar
            // that the ones before them raised; only the rows still in the running then are
            // looked up (item id, eligibility), which costs a cache miss each.
            for few in picked[..count].chunks(OFFER_CHUNK) {
                let mut n = 0;
                for &k in few.iter().filter(|&&k| may_reach(coarse_upper[k as usize], bar)) {
                    group[n] = (start + k as usize) as u32;
                    n += 1;
                }
                score_bounds_at(query, &rows, &group[..n], &mut lower[..n], &mut upper[..n]);
                for k in 0..n {
                    if !may_reach(upper[k], bar) {
                        continue;
                    }
                    let item = quantized.order[group[k] as usize];
                    if self.eligible(item) {
                        candidates.push((item, upper[k]));
                        if lower[k] > bar {
                            bar = bar.max(self.raise(&mut again, first, lower[k], item));
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
        Some((again.into_sorted(), candidates))
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

/// Maximal marginal relevance: the order in which to show `k` of `items` (positions in
/// `items`), each next one maximising `λ·relevance − (1 − λ)·(its largest cosine similarity to
/// those already chosen)`, relevance being `scores` scaled to 0–1. Ties: the earlier position.
pub fn diversify(item_factors: &[f32], factors: usize, items: &[u32], scores: &[f32], k: usize, lambda: f32) -> Result<Vec<u32>> {
    let n_items = factor_rows(item_factors, factors, "item_factors")?;
    if items.len() != scores.len() {
        return Err(Error::invalid(format!("{} items but {} scores", items.len(), scores.len())));
    }
    if let Some(&i) = items.iter().find(|&&i| i as usize >= n_items) {
        return Err(Error::new(Code::UnknownItem, format!("item {i} out of range (the model has {n_items} items)")));
    }
    if !(0.0..=1.0).contains(&lambda) || scores.iter().any(|s| !s.is_finite()) {
        return Err(Error::invalid("lambda must be in 0..=1 and the scores finite"));
    }
    // The items' rows scaled to unit length, side by side; relevance in 0..=1.
    let mut unit: Vec<f32> = items.iter().flat_map(|&i| &item_factors[i as usize * factors..][..factors]).copied().collect();
    let mut norms = vec![0f32; items.len()];
    row_norms(&unit, factors, &mut norms);
    for (row, &norm) in unit.chunks_exact_mut(factors).zip(&norms) {
        row.iter_mut().for_each(|v| *v = if norm > 0.0 { *v / norm } else { 0.0 });
    }
    let (lo, hi) = scores.iter().fold((f32::INFINITY, f32::NEG_INFINITY), |(lo, hi), &s| (lo.min(s), hi.max(s)));
    let span = if hi > lo { hi - lo } else { 1.0 };
    let relevance: Vec<f32> = scores.iter().map(|s| (s - lo) / span).collect();
    Ok(mmr_order(&unit, factors, &relevance, k.min(items.len()), lambda))
}

#[inline(always)]
fn mmr_order_generic<const FMA: bool>(unit: &[f32], dim: usize, relevance: &[f32], k: usize, lambda: f32) -> Vec<u32> {
    let n = relevance.len();
    let (mut max_sim, mut used, mut order) = (vec![f32::NEG_INFINITY; n], vec![false; n], Vec::with_capacity(k));
    while order.len() < k {
        let value = |c: usize| lambda * relevance[c] - (1.0 - lambda) * if order.is_empty() { 0.0 } else { max_sim[c] };
        let best = (0..n).filter(|&c| !used[c]).fold(None, |best: Option<usize>, c| match best {
            Some(b) if value(b) >= value(c) => Some(b),
            _ => Some(c),
        });
        let Some(best) = best else { break };
        used[best] = true;
        order.push(best as u32);
        let chosen = &unit[best * dim..][..dim];
        for c in (0..n).filter(|&c| !used[c]) {
            max_sim[c] = max_sim[c].max(dot::<FMA>(&unit[c * dim..][..dim], chosen));
        }
    }
    order
}

fma_dispatch!(
    fn mmr_order(unit: &[f32], dim: usize, relevance: &[f32], k: usize, lambda: f32) -> Vec<u32> => mmr_order_generic
);

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
#[derive(Clone)]
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

    /// The quantised scan of user `u` on `threads` threads (`None`: it gave up) and the plain
    /// scan.
    fn both_scans(user: &[f32], item: &[f32], f: usize, u: u32, threads: usize) -> (Option<Ranked>, Ranked) {
        let q = Arc::new(quantize_items(item, f).unwrap());
        let users = [u];
        let scorer =
            Scorer { user_factors: user, item_factors: item, factors: f, users: &users, packed: None, exclude: None, allowed: None, allowed_mask: None, width: 10 };
        let bits = |heap: TopN| heap.into_sorted().into_iter().map(|(s, i)| (s.to_bits(), i)).collect::<Vec<_>>();
        (scorer.certified_best(&q, threads).map(bits), bits(scorer.best(0..1, 0..item.len() / f).pop().unwrap()))
    }

    #[test]
    fn the_quantized_scan_decides_typical_users_itself() {
        // 70,000 × 64 is the size of the latency bench, 20,000 × 32 one 4-bit block per row.
        for (f, n_items, users) in [(32, 20_000, 8), (64, 70_000, 6)] {
            let (user, item) = (data(users * f, f as u64), data(n_items * f, 2));
            for u in 0..users as u32 {
                // Alone, and with the helper threads (each part's bar its own or shared).
                for threads in [1, 2, 4] {
                    let (quantized, plain) = both_scans(&user, &item, f, u, threads);
                    assert_eq!(quantized.expect("decided without the plain scan"), plain, "{f} factors, user {u}, {threads} threads");
                }
            }
        }
    }

    #[test]
    fn the_quantized_scan_gives_up_when_everything_ties() {
        let (f, n_items) = (8, 10_000);
        let user = data(f, 3);
        let item: Vec<f32> = data(f, 4).into_iter().cycle().take(n_items * f).collect();
        let (quantized, plain) = both_scans(&user, &item, f, 0, 1);
        assert!(quantized.is_none());
        assert_eq!(plain.iter().map(|c| c.1).collect::<Vec<_>>(), (0..10).collect::<Vec<_>>());
    }

    #[test]
    fn ordered_bits_keep_the_order_of_values() {
        let values = [f32::NEG_INFINITY, f32::MIN, -1.5, -f32::MIN_POSITIVE, -1e-45, -0.0, 0.0, 1e-45, 1.0, f32::MAX, f32::INFINITY];
        for w in values.windows(2) {
            assert!(ordered(w[0]) <= ordered(w[1]), "{} {}", w[0], w[1]);
        }
        for v in values {
            assert_eq!(from_ordered(ordered(v)).to_bits(), v.to_bits());
        }
    }
}
