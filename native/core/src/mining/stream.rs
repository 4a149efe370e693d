//! Streaming mining (SPEC M4): (transaction, item) rows arrive in chunks of any size and any
//! order, and are kept compressed; mining merges the chunks. Memory is bounded by the compressed
//! store (one or two bytes per distinct basket item, and about two per transaction of a chunk),
//! not by the rows read.
//!
//! A chunk is one byte buffer of LEB128 varints, read front to back: its distinct transaction
//! keys ascending (as gaps), the byte length of each transaction's items, and each transaction's
//! sorted distinct items (as gaps). A transaction split over several chunks is united when the
//! chunks are merged.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use super::{mine, Baskets, Itemsets, MineOptions};
use crate::error::{Code, Error, Result};

const MAGIC: &[u8; 4] = b"RKC2";

/// Largest whole number a transaction id may be (in absolute value): f64 integers are exact to it.
const MAX_ID: f64 = 9_007_199_254_740_992.0;

/// A transaction id (a whole number, |id| <= 2^53) as a key; keys order like the ids.
pub fn txn_key(id: f64) -> Result<u64> {
    if !(id.fract() == 0.0 && id.abs() <= MAX_ID) {
        return Err(Error::invalid(format!("transaction id {id} is not a whole number within ±2^53 (give other ids as strings)")));
    }
    Ok((id as i64 + MAX_ID as i64) as u64)
}

fn put_varint(out: &mut Vec<u8>, mut x: u64) {
    while x >= 0x80 {
        out.push(x as u8 | 0x80);
        x >>= 7;
    }
    out.push(x as u8);
}

/// A LEB128 varint at `*pos` of `bytes`, moving `*pos` past it.
fn varint(bytes: &[u8], pos: &mut usize) -> Result<u64> {
    let (mut x, mut shift) = (0u64, 0);
    loop {
        let b = *bytes.get(*pos).ok_or_else(corrupt)?;
        *pos += 1;
        if shift > 63 || (shift == 63 && b > 1) {
            return Err(corrupt());
        }
        x |= ((b & 0x7f) as u64) << shift;
        if b & 0x80 == 0 {
            return Ok(x);
        }
        shift += 7;
    }
}

/// Compresses one chunk of rows: row `r` says transaction `keys[r]` (see [`txn_key`]) holds item
/// `items[r]` (< `n_items`).
pub fn compress(keys: &[u64], items: &[u32], n_items: u32) -> Result<Vec<u8>> {
    if keys.len() != items.len() {
        return Err(Error::invalid(format!("{} transaction ids but {} items", keys.len(), items.len())));
    }
    if let Some(&i) = items.iter().find(|&&i| i >= n_items) {
        return Err(Error::invalid(format!("item {i} is not below nItems = {n_items}")));
    }
    let mut rows: Vec<(u64, u32)> = keys.iter().copied().zip(items.iter().copied()).collect();
    rows.sort_unstable();
    rows.dedup();
    let (mut ids, mut lens, mut data) = (Vec::new(), Vec::new(), Vec::new());
    let (mut n, mut last_key, mut txn_start) = (0u64, 0u64, 0usize);
    for (r, &(k, i)) in rows.iter().enumerate() {
        if r > 0 && rows[r - 1].0 == k {
            put_varint(&mut data, (i - rows[r - 1].1) as u64);
            continue;
        }
        if r > 0 {
            put_varint(&mut lens, (data.len() - txn_start) as u64);
        }
        put_varint(&mut ids, k - last_key);
        (n, last_key, txn_start) = (n + 1, k, data.len());
        put_varint(&mut data, i as u64);
    }
    if !rows.is_empty() {
        put_varint(&mut lens, (data.len() - txn_start) as u64);
    }
    let mut out = Vec::with_capacity(28 + ids.len() + lens.len() + data.len());
    out.extend_from_slice(MAGIC);
    for x in [n, ids.len() as u64, lens.len() as u64] {
        out.extend_from_slice(&x.to_le_bytes());
    }
    out.extend_from_slice(&ids);
    out.extend_from_slice(&lens);
    out.extend_from_slice(&data);
    Ok(out)
}

fn corrupt() -> Error {
    Error::new(Code::InvalidFormat, "not a rusket stream chunk (or a corrupted one)")
}

/// A compressed chunk, checked whole by [`Chunk::parse`], then read front to back.
pub struct Chunk<'a> {
    n: u64,
    ids: &'a [u8],
    lens: &'a [u8],
    data: &'a [u8],
}

/// Where the merge is in one chunk: the next transaction's key and the read positions.
struct Cursor {
    left: u64,
    key: u64,
    ids: usize,
    lens: usize,
    data: usize,
}

impl<'a> Chunk<'a> {
    /// Reads a buffer made by [`compress`], checking every varint and length.
    pub fn parse(bytes: &'a [u8]) -> Result<Chunk<'a>> {
        if bytes.len() < 28 || &bytes[..4] != MAGIC {
            return Err(corrupt());
        }
        let word = |k: usize| u64::from_le_bytes(bytes[4 + 8 * k..12 + 8 * k].try_into().unwrap());
        let (n, n_ids, n_lens) = (word(0), word(1) as usize, word(2) as usize);
        let lens_at = 28usize.checked_add(n_ids).ok_or_else(corrupt)?;
        let data_at = lens_at.checked_add(n_lens).filter(|&x| x <= bytes.len()).ok_or_else(corrupt)?;
        let c = Chunk { n, ids: &bytes[28..lens_at], lens: &bytes[lens_at..data_at], data: &bytes[data_at..] };
        // Every transaction: a key gap, a length within the data, items that add up without overflow.
        let (mut cur, mut items) = (c.start()?, Vec::new());
        while cur.left > 0 {
            items.clear();
            c.next(&mut cur, &mut items)?;
        }
        if cur.ids != c.ids.len() || cur.lens != c.lens.len() || cur.data != c.data.len() {
            return Err(corrupt());
        }
        Ok(c)
    }

    /// A cursor on the first transaction.
    fn start(&self) -> Result<Cursor> {
        let mut cur = Cursor { left: self.n, key: 0, ids: 0, lens: 0, data: 0 };
        if cur.left > 0 {
            cur.key = varint(self.ids, &mut cur.ids)?;
        }
        Ok(cur)
    }

    /// Appends the cursor's transaction's items to `out` and moves to the next transaction.
    fn next(&self, cur: &mut Cursor, out: &mut Vec<u32>) -> Result<()> {
        let len = varint(self.lens, &mut cur.lens)? as usize;
        let end = cur.data.checked_add(len).filter(|&e| e <= self.data.len()).ok_or_else(corrupt)?;
        let mut item = 0u64;
        let first = out.len();
        while cur.data < end {
            let gap = varint(&self.data[..end], &mut cur.data)?;
            item = if out.len() == first { gap } else { item.checked_add(gap).filter(|&g| gap > 0 && g <= u32::MAX as u64).ok_or_else(corrupt)? };
            out.push(u32::try_from(item).map_err(|_| corrupt())?);
        }
        cur.left -= 1;
        if cur.left > 0 {
            let gap = varint(self.ids, &mut cur.ids)?;
            cur.key = cur.key.checked_add(gap).filter(|_| gap > 0).ok_or_else(corrupt)?;
        }
        Ok(())
    }
}

/// Calls `f` with each transaction's sorted distinct items, in key order, uniting the parts a
/// transaction has in several chunks.
fn for_each_transaction(chunks: &[Chunk], mut f: impl FnMut(&[u32])) -> Result<()> {
    let mut cursors = chunks.iter().map(|c| c.start()).collect::<Result<Vec<_>>>()?;
    let mut heap: BinaryHeap<Reverse<(u64, usize)>> =
        cursors.iter().enumerate().filter(|(_, c)| c.left > 0).map(|(k, c)| Reverse((c.key, k))).collect();
    let mut basket = Vec::new();
    while let Some(&Reverse((key, _))) = heap.peek() {
        basket.clear();
        let mut parts = 0;
        while let Some(&Reverse((k, c))) = heap.peek() {
            if k != key {
                break;
            }
            heap.pop();
            chunks[c].next(&mut cursors[c], &mut basket)?;
            parts += 1;
            if cursors[c].left > 0 {
                heap.push(Reverse((cursors[c].key, c)));
            }
        }
        if parts > 1 {
            basket.sort_unstable();
            basket.dedup();
        }
        f(&basket);
    }
    Ok(())
}

/// The number of transactions and each item's support count over all chunks.
pub fn counts(chunks: &[Chunk], n_items: u32) -> Result<(usize, Vec<u32>)> {
    let (mut n, mut support) = (0usize, vec![0u32; n_items as usize]);
    let mut bad = None;
    for_each_transaction(chunks, |b| {
        n += 1;
        for &i in b {
            match support.get_mut(i as usize) {
                Some(s) => *s += 1,
                None => bad = Some(i),
            }
        }
    })?;
    match bad {
        Some(i) => Err(Error::invalid(format!("item {i} is not below nItems = {n_items}"))),
        None => Ok((n, support)),
    }
}

/// Frequent itemsets of all chunks, given each item's support count (from [`counts`]): the
/// baskets are rebuilt with their frequent items only (every transaction kept, so supports stay
/// fractions of all of them), then mined. With `recode`, item `i` is mined (and reported) as
/// `recode[i]`, e.g. to put codes given in order of appearance into label order.
pub fn mine_chunks(chunks: &[Chunk], support: &[u32], recode: Option<&[u32]>, o: &MineOptions) -> Result<Itemsets> {
    let n_items = support.len();
    if let Some(r) = recode {
        let mut hit = vec![false; n_items];
        if r.len() != n_items || !r.iter().all(|&c| (c as usize) < n_items && !std::mem::replace(&mut hit[c as usize], true)) {
            return Err(Error::invalid(format!("recode must be a permutation of 0..{n_items}")));
        }
    }
    let frequent: Vec<bool> = support.iter().map(|&s| s >= o.min_count).collect();
    let (mut offsets, mut items) = (vec![0u32], Vec::new());
    let mut bad = None;
    for_each_transaction(chunks, |b| {
        let start = items.len();
        for &i in b {
            match frequent.get(i as usize) {
                Some(true) => items.push(recode.map_or(i, |r| r[i as usize])),
                Some(false) => {}
                None => bad = Some(i),
            }
        }
        if recode.is_some() {
            items[start..].sort_unstable();
        }
        offsets.push(items.len().min(u32::MAX as usize) as u32);
    })?;
    if let Some(i) = bad {
        return Err(Error::invalid(format!("item {i} is not below nItems = {n_items}")));
    }
    if items.len() >= u32::MAX as usize {
        return Err(Error::invalid("more than 2^32 frequent basket items: raise the minimum support"));
    }
    mine(&Baskets::from_csr(&offsets, &items, n_items as u32)?, o)
}
