//! Baskets in CSR form, built from the three shapes callers have: long (transaction, item)
//! pairs, a column-major one-hot matrix, or a raw CSR. Every basket ends up as a sorted set of
//! item codes, so the miners never see repeats.

use crate::error::{Error, Result};

/// Basket `b` holds `items[offsets[b]..offsets[b+1]]`, sorted ascending, no repeats.
/// Items are codes below `n_items`; empty baskets are kept (they count as transactions).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Baskets {
    pub offsets: Vec<u32>,
    pub items: Vec<u32>,
    pub n_items: u32,
}

impl Baskets {
    /// Long format: row `r` says basket `txn[r]` holds item `item[r]`. A basket is a set, so a
    /// repeated pair counts once. Counting sort by basket: O(rows).
    pub fn from_pairs(txn: &[u32], item: &[u32], n_txn: u32, n_items: u32) -> Result<Baskets> {
        if txn.len() != item.len() {
            return Err(Error::invalid(format!(
                "transaction and item columns differ in length: {} vs {}",
                txn.len(),
                item.len()
            )));
        }
        check_row_count(txn.len())?;
        let mut offsets = vec![0u32; n_txn as usize + 1];
        let (mut grouped, mut last) = (true, 0);
        for (&t, &i) in txn.iter().zip(item) {
            if t >= n_txn {
                return Err(Error::invalid(format!("transaction code {t} is not below n_txn = {n_txn}")));
            }
            if i >= n_items {
                return Err(Error::invalid(format!("item code {i} is not below n_items = {n_items}")));
            }
            offsets[t as usize + 1] += 1;
            grouped &= t >= last;
            last = t;
        }
        prefix_sum(&mut offsets);
        let mut items = if grouped || txn.len() <= BLOCK_ITEMS {
            scatter(txn.iter().copied().zip(item.iter().copied()), &offsets, txn.len())
        } else {
            scatter_in_blocks(txn, item, &offsets)
        };
        normalize(&mut offsets, &mut items);
        Ok(Baskets { offsets, items, n_items })
    }

    /// One-hot: `cells` is column-major `n_rows * n_cols`; a nonzero cell means the row's basket
    /// holds the column's item. Columns are item codes.
    pub fn from_onehot(cells: &[u8], n_rows: usize, n_cols: usize) -> Result<Baskets> {
        if n_rows.checked_mul(n_cols) != Some(cells.len()) {
            return Err(Error::invalid(format!(
                "one-hot matrix has {} cells, expected {n_rows} rows x {n_cols} columns",
                cells.len()
            )));
        }
        if n_rows >= u32::MAX as usize || n_cols > u32::MAX as usize {
            return Err(Error::invalid(format!("one-hot matrix of {n_rows} x {n_cols} is too large")));
        }
        let mut offsets = vec![0u32; n_rows + 1];
        for column in cells.chunks_exact(n_rows.max(1)).take(n_cols) {
            for (count, &cell) in offsets[1..].iter_mut().zip(column) {
                *count += (cell != 0) as u32;
            }
        }
        let total = offsets.iter().map(|&c| c as u64).sum::<u64>() as usize;
        check_row_count(total)?;
        prefix_sum(&mut offsets);
        let mut fill = offsets[..n_rows].to_vec();
        let mut items = vec![0u32; total];
        // Columns in ascending order, so every basket comes out sorted.
        for (col, column) in cells.chunks_exact(n_rows.max(1)).take(n_cols).enumerate() {
            for (slot, _) in fill.iter_mut().zip(column).filter(|(_, &c)| c != 0) {
                items[*slot as usize] = col as u32;
                *slot += 1;
            }
        }
        Ok(Baskets { offsets, items, n_items: n_cols as u32 })
    }

    /// Any CSR (items unsorted, repeats allowed) -> sorted sets.
    pub fn from_csr(offsets: &[u32], items: &[u32], n_items: u32) -> Result<Baskets> {
        if offsets.first() != Some(&0) || *offsets.last().unwrap_or(&0) as usize != items.len() {
            return Err(Error::invalid(format!(
                "CSR offsets must start at 0 and end at the item count {}",
                items.len()
            )));
        }
        if let Some(w) = offsets.windows(2).position(|w| w[0] > w[1]) {
            return Err(Error::invalid(format!("CSR offsets decrease at basket {w}")));
        }
        if let Some(&i) = items.iter().find(|&&i| i >= n_items) {
            return Err(Error::invalid(format!("item code {i} is not below n_items = {n_items}")));
        }
        let mut offsets = offsets.to_vec();
        let mut items = items.to_vec();
        normalize(&mut offsets, &mut items);
        Ok(Baskets { offsets, items, n_items })
    }

    pub fn n_transactions(&self) -> usize {
        self.offsets.len() - 1
    }

    /// The items of basket `b`.
    pub fn basket(&self, b: usize) -> &[u32] {
        &self.items[self.offsets[b] as usize..self.offsets[b + 1] as usize]
    }
}

/// Offsets are u32, so at most u32::MAX (basket, item) entries fit.
fn check_row_count(rows: usize) -> Result<()> {
    if rows > u32::MAX as usize {
        return Err(Error::invalid(format!("{rows} basket entries exceed the limit of {}", u32::MAX)));
    }
    Ok(())
}

/// Items per block of baskets in [`scatter_in_blocks`]: the block's part of the output and
/// its fill pointers stay in L2.
const BLOCK_ITEMS: usize = 1 << 15;

/// Places each (basket, item) row at its basket's next free slot.
fn scatter(rows: impl Iterator<Item = (u32, u32)>, offsets: &[u32], n_rows: usize) -> Vec<u32> {
    let mut fill = offsets[..offsets.len() - 1].to_vec();
    let mut items = vec![0u32; n_rows];
    for (t, i) in rows {
        let slot = &mut fill[t as usize];
        items[*slot as usize] = i;
        *slot += 1;
    }
    items
}

/// [`scatter`] for rows in random basket order: writing straight to the baskets would miss
/// the cache on every row, so rows first go to their block of baskets (a few hundred
/// sequential streams), then are placed within the block, which stays in cache.
fn scatter_in_blocks(txn: &[u32], item: &[u32], offsets: &[u32]) -> Vec<u32> {
    let n = offsets.len() - 1;
    let per_block = (BLOCK_ITEMS * n / txn.len().max(1)).max(1);
    let shift = usize::BITS - 1 - per_block.leading_zeros();
    let mut cursor: Vec<u32> = (0..=(n >> shift)).map(|k| offsets[(k << shift).min(n)]).collect();
    let mut staged = vec![0u64; txn.len()];
    for (&t, &i) in txn.iter().zip(item) {
        let c = &mut cursor[t as usize >> shift];
        staged[*c as usize] = (t as u64) << 32 | i as u64;
        *c += 1;
    }
    scatter(staged.into_iter().map(|r| ((r >> 32) as u32, r as u32)), offsets, txn.len())
}

/// Turns per-basket counts stored at `offsets[b + 1]` into offsets.
fn prefix_sum(offsets: &mut [u32]) {
    for b in 1..offsets.len() {
        offsets[b] += offsets[b - 1];
    }
}

/// Sorts every basket and drops repeats, compacting `items` and rewriting `offsets`.
fn normalize(offsets: &mut [u32], items: &mut Vec<u32>) {
    let mut write = 0usize;
    let mut start = offsets[0] as usize;
    for end_slot in &mut offsets[1..] {
        let end = *end_slot as usize;
        let basket = &mut items[start..end];
        if !basket.windows(2).all(|w| w[0] < w[1]) {
            basket.sort_unstable();
        }
        let mut last = None;
        for k in start..end {
            let i = items[k];
            if last != Some(i) {
                items[write] = i;
                write += 1;
                last = Some(i);
            }
        }
        start = end;
        *end_slot = write as u32;
    }
    items.truncate(write);
}
