//! Key columns (transaction, user, item ids) → dense codes 0..k-1, numbered in order of first
//! appearance or in label order, with each code's label.
//!
//! Values are compared exactly, by their bytes: a value of up to 16 bytes is its own key (two
//! words and a length, kept in the hash table), a longer one is compared against the bytes of
//! the code's first value. Floats are read by value (0 and -0 are one key, every NaN another).
//! Label order is the one JavaScript sorts by: numbers ascending, strings by UTF-16 code unit.

use crate::arrow_ipc::read::{offset, Chunk, IpcColumn, Layout, Number};
use std::cmp::Ordering;
use crate::error::{Code, Error, Result};

/// Each code's label: text (`data[offsets[c]..offsets[c + 1]]`) or a number.
#[derive(Debug, PartialEq)]
pub enum Labels {
    Text { offsets: Vec<u32>, data: Vec<u8> },
    Numbers(Vec<f64>),
}

impl Labels {
    pub fn len(&self) -> usize {
        match self {
            Labels::Text { offsets, .. } => offsets.len() - 1,
            Labels::Numbers(v) => v.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A key column as codes: `codes[row]` is in `0..labels.len()`.
pub struct Dense {
    pub codes: Vec<u32>,
    pub labels: Labels,
}

/// Rewrites `codes` (any u32 values) as 0..k-1 in order of first appearance, in place; returns
/// the first row of each.
pub fn dense_in_place(codes: &mut [u32]) -> Vec<u32> {
    let max = codes.iter().copied().max().map_or(0, |m| m as usize + 1);
    let mut map = vec![u32::MAX; max];
    let mut first_rows = Vec::new();
    for (row, c) in codes.iter_mut().enumerate() {
        let slot = &mut map[*c as usize];
        if *slot == u32::MAX {
            *slot = first_rows.len() as u32;
            first_rows.push(row as u32);
        }
        *c = *slot;
    }
    first_rows
}

/// A value's key: up to 16 bytes of it in two little-endian words (the bytes past its end
/// zeroed) and its length. Equal keys are equal values when `long` is empty; a longer value
/// keeps its whole bytes in `long` and is compared by them too (its key holds its first 16
/// bytes and its full length, so it never equals a short value's).
#[derive(Clone, Copy, PartialEq, Eq)]
struct Key {
    lo: u64,
    hi: u64,
    len: u64,
}

const P0: u64 = 0x9E37_79B9_7F4A_7C15;
const P1: u64 = 0xC2B2_AE3D_27D4_EB4F;
const P2: u64 = 0x1656_67B1_9E37_79F9;

/// The high and low halves of the 128-bit product, folded together.
#[inline]
fn fold(a: u64, b: u64) -> u64 {
    let p = a as u128 * b as u128;
    (p as u64) ^ ((p >> 64) as u64)
}

/// `n` low bytes of a word kept (n ≤ 16, counted from the word's first byte), the others zeroed:
/// `LOW_BYTES[n]`, a table, so that masking takes no branch.
const LOW_BYTES: [u64; 17] = {
    let mut t = [u64::MAX; 17];
    let mut n = 0;
    while n < 8 {
        t[n] = (1u64 << (8 * n)) - 1;
        n += 1;
    }
    t
};

#[inline]
fn low_bytes(w: u64, n: usize) -> u64 {
    w & LOW_BYTES[n.min(16)]
}

#[inline]
fn word(b: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(b[at..at + 8].try_into().unwrap())
}

/// The key of `buf[at..at + len]` for len ≤ 16: two word loads when the buffer has room past
/// the value, a copy otherwise.
#[inline]
fn short_key(buf: &[u8], at: usize, len: usize) -> Key {
    let (lo, hi) = if at + 16 <= buf.len() {
        (word(buf, at), word(buf, at + 8))
    } else {
        let mut b = [0u8; 16];
        b[..len].copy_from_slice(&buf[at..at + len]);
        (word(&b, 0), word(&b, 8))
    };
    Key { lo: low_bytes(lo, len), hi: low_bytes(hi, len.saturating_sub(8)), len: len as u64 }
}

#[inline]
fn hash(key: Key, long: &[u8]) -> u64 {
    let mut h = fold(key.lo ^ P0, key.hi ^ P1 ^ key.len.wrapping_mul(P2));
    if !long.is_empty() {
        for block in long.chunks(16) {
            let k = short_key(block, 0, block.len());
            h = fold(k.lo ^ h ^ P0, k.hi ^ P1);
        }
    }
    h
}

/// Whether two values' long bytes are equal (without a library call when both are short).
#[inline]
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && (a.is_empty() || a == b)
}

#[derive(Clone, Copy)]
struct Slot {
    key: Key,
    code: u32,
    hash: u32,
}

const EMPTY: u32 = u32::MAX;
const EMPTY_SLOT: Slot = Slot { key: Key { lo: 0, hi: 0, len: 0 }, code: EMPTY, hash: 0 };

/// An open-addressing table (linear probing, at most half full) from keys to codes.
struct Codes<'a> {
    slots: Vec<Slot>,
    mask: usize,
    /// Each code's key, and its whole bytes when longer than a key (else empty).
    keys: Vec<Key>,
    longs: Vec<&'a [u8]>,
}

impl<'a> Codes<'a> {
    fn new() -> Self {
        Codes { slots: vec![EMPTY_SLOT; 1024], mask: 1023, keys: Vec::new(), longs: Vec::new() }
    }

    /// The key's code, a new one if it is new.
    #[inline]
    fn code(&mut self, key: Key, long: &'a [u8]) -> u32 {
        let h = hash(key, long);
        let i = (h >> 32) as usize & self.mask;
        let s = self.slots[i];
        // A short value's key is never a long value's (their lengths differ), so only long
        // values look at the code's bytes.
        if s.code != EMPTY && s.key == key && long.is_empty() {
            return s.code;
        }
        self.probe(i, key, h, long)
    }

    /// [`Codes::code`] past the first slot it looks at.
    #[inline(never)]
    fn probe(&mut self, mut i: usize, key: Key, h: u64, long: &'a [u8]) -> u32 {
        loop {
            let s = self.slots[i];
            if s.code == EMPTY {
                return self.insert(i, key, h as u32, long);
            }
            if s.key == key && s.hash == h as u32 && (long.is_empty() || self.longs[s.code as usize] == long) {
                return s.code;
            }
            i = (i + 1) & self.mask;
        }
    }

    #[cold]
    fn insert(&mut self, at: usize, key: Key, hash: u32, long: &'a [u8]) -> u32 {
        let code = self.keys.len() as u32;
        self.slots[at] = Slot { key, code, hash };
        self.keys.push(key);
        self.longs.push(long);
        if self.keys.len() * 2 > self.slots.len() {
            self.grow();
        }
        code
    }

    fn grow(&mut self) {
        let grown = vec![EMPTY_SLOT; self.slots.len() * 2];
        let old = std::mem::replace(&mut self.slots, grown);
        self.mask = self.slots.len() - 1;
        for s in old.into_iter().filter(|s| s.code != EMPTY) {
            let mut i = (hash(s.key, self.longs[s.code as usize]) >> 32) as usize & self.mask;
            while self.slots[i].code != EMPTY {
                i = (i + 1) & self.mask;
            }
            self.slots[i] = s;
        }
    }
}

/// A float's bits with 0/-0 and the NaNs made one value each.
fn canonical_float(x: f64) -> u64 {
    (if x == 0.0 { 0.0 } else if x.is_nan() { f64::NAN } else { x }).to_bits()
}

fn out_of_bounds(column: &IpcColumn) -> Error {
    Error::new(Code::CorruptFile, format!("Arrow IPC file: column \"{}\" has values outside its buffers", column.name))
}

/// Fixed-width numbers: the value (floats made canonical) is the key.
fn fixed_keys<'a>(chunk: &'a Chunk<'a>, width: usize, number: Number) -> impl Iterator<Item = (Key, &'a [u8])> + 'a {
    chunk.buffers[0][..chunk.rows * width].chunks_exact(width).map(move |v| {
        let mut b = [0u8; 8];
        b[..width].copy_from_slice(v);
        let lo = match (number, width) {
            (Number::Float, 4) => canonical_float(f32::from_le_bytes(v.try_into().unwrap()) as f64),
            (Number::Float, _) => canonical_float(f64::from_le_bytes(b)),
            _ => u64::from_le_bytes(b),
        };
        (Key { lo, hi: 0, len: width as u64 }, &[][..])
    })
}

/// Values given by offsets into one data buffer; a value outside it sets `bad`.
fn offset_keys<'a: 'b, 'b>(chunk: &'a Chunk<'a>, large: bool, bad: &'b std::cell::Cell<bool>) -> impl Iterator<Item = (Key, &'a [u8])> + 'b {
    let (offsets, data) = (chunk.buffers[0], chunk.buffers[1]);
    (0..chunk.rows).map(move |i| {
        let (start, end) = (offset(offsets, large, i), offset(offsets, large, i + 1));
        match data.get(start..end) {
            None => {
                bad.set(true);
                (Key { lo: 0, hi: 0, len: 0 }, &[][..])
            }
            Some(v) if v.len() <= 16 => (short_key(data, start, v.len()), &[][..]),
            Some(v) => (Key { len: v.len() as u64, ..short_key(data, start, 16) }, v),
        }
    })
}

/// Views: a u32 length, then up to 12 bytes inline (the view is the key), or a 4-byte
/// prefix, the number of the data buffer and the offset in it; a view outside its buffers
/// sets `bad`.
fn view_keys<'a: 'b, 'b>(chunk: &'a Chunk<'a>, bad: &'b std::cell::Cell<bool>) -> impl Iterator<Item = (Key, &'a [u8])> + 'b {
    chunk.buffers[0][..chunk.rows * 16].chunks_exact(16).map(move |v| {
        let (w0, w1) = (word(v, 0), word(v, 8));
        let len = w0 as u32 as usize;
        if len <= 12 {
            return (Key { lo: low_bytes(w0, 4 + len), hi: low_bytes(w1, len.saturating_sub(4)), len: 0 }, &[][..]);
        }
        let (b, at) = ((w1 & 0xFFFF_FFFF) as usize, (w1 >> 32) as usize);
        match chunk.buffers.get(1 + b).and_then(|d| d.get(at..at + len)) {
            Some(long) => (Key { lo: w0, hi: 0, len: 0 }, long),
            None => {
                bad.set(true);
                (Key { lo: 0, hi: 0, len: 0 }, &[][..])
            }
        }
    })
}

/// Writes the codes of one chunk's keys into `out`.
#[inline]
fn encode_keys<'a>(keys: impl Iterator<Item = (Key, &'a [u8])>, table: &mut Codes<'a>, out: &mut [u32]) {
    // Rows of one transaction usually come together: a value equal to the previous one takes
    // its code without a lookup.
    let (mut last, mut last_long, mut last_code) = (Key { lo: 0, hi: 0, len: u64::MAX }, &[][..], EMPTY);
    for (slot, (key, long)) in out.iter_mut().zip(keys) {
        if key != last || !same(long, last_long) {
            (last, last_long, last_code) = (key, long, table.code(key, long));
        }
        *slot = last_code;
    }
}

/// Numbers the values of chunks `chunks` of a column on their own, into `out` (their rows):
/// codes in order of first appearance within them; returns their table.
fn encode_part<'a>(column: &'a IpcColumn<'a>, chunks: std::ops::Range<usize>, out: &mut [u32]) -> Result<Codes<'a>> {
    let mut table = Codes::new();
    let bad = std::cell::Cell::new(false);
    let mut row = 0;
    for chunk in &column.chunks[chunks] {
        let out = &mut out[row..row + chunk.rows];
        match column.layout {
            Layout::Fixed { width, number } => encode_keys(fixed_keys(chunk, width, number), &mut table, out),
            Layout::Offsets { large } => encode_keys(offset_keys(chunk, large, &bad), &mut table, out),
            Layout::Views => encode_keys(view_keys(chunk, &bad), &mut table, out),
        }
        if bad.get() {
            return Err(out_of_bounds(column));
        }
        row += chunk.rows;
    }
    Ok(table)
}

/// Rows a part of a column gets at least: below this, a thread costs more than it saves.
const PART_ROWS: usize = 1 << 16;

/// Dense codes for the values of each column (exact comparison of values), numbered in order
/// of first appearance, or in label order where `sorted[c]`. Each column is cut into parts of
/// whole chunks, numbered by up to `threads` threads on their own, then merged part after
/// part: the codes come out as if one thread had read every row in order.
pub fn encode_columns<'a>(columns: &'a [IpcColumn<'a>], sorted: &[bool], threads: usize) -> Vec<Result<Dense>> {
    let threads = crate::par::num_threads(threads);
    let total: usize = columns.iter().map(|c| c.rows()).sum();
    let part_rows = (total / (2 * threads)).max(PART_ROWS);
    let mut codes: Vec<Vec<u32>> = columns.iter().map(|c| vec![0u32; c.rows()]).collect();
    // (column, chunk range, its rows' codes): parts of about `part_rows` rows.
    let mut parts = Vec::new();
    for (c, out) in codes.iter_mut().enumerate() {
        let (mut first, mut rows, mut rest) = (0, 0, &mut out[..]);
        for (k, chunk) in columns[c].chunks.iter().enumerate() {
            rows += chunk.rows;
            if rows >= part_rows || k + 1 == columns[c].chunks.len() {
                let (part, tail) = std::mem::take(&mut rest).split_at_mut(rows);
                parts.push((c, first..k + 1, std::sync::Mutex::new(part)));
                (first, rows, rest) = (k + 1, 0, tail);
            }
        }
    }
    let tables = crate::par::map_dynamic(parts.len(), threads, |p, _| {
        let (c, chunks, out) = &parts[p];
        encode_part(&columns[*c], chunks.clone(), &mut out.lock().unwrap_or_else(|e| e.into_inner()))
    });
    let mut merged: Vec<Result<Codes>> = columns.iter().map(|_| Ok(Codes::new())).collect();
    for ((c, _, out), local) in parts.into_iter().zip(tables) {
        let local = match local {
            Ok(local) => local,
            Err(e) => {
                merged[c] = Err(e);
                continue;
            }
        };
        let Ok(table) = &mut merged[c] else { continue };
        let global: Vec<u32> = local.keys.iter().zip(&local.longs).map(|(&k, &long)| table.code(k, long)).collect();
        if global.iter().enumerate().any(|(i, &g)| g != i as u32) {
            out.into_inner().unwrap_or_else(|e| e.into_inner()).iter_mut().for_each(|x| *x = global[*x as usize]);
        }
    }
    merged.into_iter().zip(codes).enumerate().map(|(c, (table, codes))| {
        let labels = labels(columns[c].layout, &table?);
        Ok(if sorted.get(c) == Some(&true) { label_order(codes, &labels) } else { Dense { codes, labels } })
    }).collect()
}

/// [`encode_columns`] for one column on one thread.
pub fn encode<'a>(column: &'a IpcColumn<'a>, sorted: bool) -> Result<Dense> {
    encode_columns(std::slice::from_ref(column), &[sorted], 1).pop().expect("one column")
}

/// Each code's label, rebuilt from its key (or its whole bytes when longer).
fn labels(layout: Layout, table: &Codes) -> Labels {
    if let Layout::Fixed { width, number } = layout {
        return Labels::Numbers(table.keys.iter().map(|k| match number {
            Number::Float => f64::from_bits(k.lo),
            Number::Signed => ((k.lo << (64 - 8 * width)) as i64 >> (64 - 8 * width)) as f64,
            Number::Unsigned => k.lo as f64,
        }).collect());
    }
    let (mut offsets, mut data) = (vec![0u32], Vec::new());
    for (k, long) in table.keys.iter().zip(&table.longs) {
        if !long.is_empty() {
            data.extend_from_slice(long);
        } else {
            // A view's key holds its length and 4 bytes, then 8 more; an offset value's key
            // holds 16 bytes and its length.
            let (lo, len) = if layout == Layout::Views { (k.lo >> 32, k.lo as u32 as usize) } else { (k.lo, k.len as usize) };
            let lo_bytes = if layout == Layout::Views { 4 } else { 8 };
            let mut b = [0u8; 16];
            b[..lo_bytes].copy_from_slice(&lo.to_le_bytes()[..lo_bytes]);
            b[lo_bytes..lo_bytes + 8].copy_from_slice(&k.hi.to_le_bytes());
            data.extend_from_slice(&b[..len]);
        }
        offsets.push(data.len() as u32);
    }
    Labels::Text { offsets, data }
}

/// Compares UTF-8 texts in UTF-16 code-unit order (JavaScript's): byte order, except that a
/// character above U+FFFF (lead byte F0–F4, surrogates in UTF-16) sorts before U+E000–U+FFFF
/// (lead byte EE–EF). Texts that are not UTF-8 compare as bytes all the same.
pub fn cmp_utf16(a: &[u8], b: &[u8]) -> Ordering {
    match a.iter().zip(b).position(|(x, y)| x != y) {
        None => a.len().cmp(&b.len()),
        Some(i) => {
            let (x, y) = (a[i], b[i]);
            let supplementary = |v: u8| v >= 0xF0;
            let high_bmp = |v: u8| v == 0xEE || v == 0xEF;
            if supplementary(x) && high_bmp(y) {
                Ordering::Less
            } else if high_bmp(x) && supplementary(y) {
                Ordering::Greater
            } else {
                x.cmp(&y)
            }
        }
    }
}

/// Renumbers codes so that code order is label order; labels come back sorted.
fn label_order(mut codes: Vec<u32>, labels: &Labels) -> Dense {
    let mut order: Vec<u32> = (0..labels.len() as u32).collect();
    let sorted = match labels {
        Labels::Numbers(v) => {
            order.sort_by(|&a, &b| v[a as usize].total_cmp(&v[b as usize]));
            Labels::Numbers(order.iter().map(|&c| v[c as usize]).collect())
        }
        Labels::Text { offsets, data } => {
            let text = |c: u32| &data[offsets[c as usize] as usize..offsets[c as usize + 1] as usize];
            order.sort_by(|&a, &b| cmp_utf16(text(a), text(b)));
            let (mut o, mut d) = (vec![0u32], Vec::with_capacity(data.len()));
            for &c in &order {
                d.extend_from_slice(text(c));
                o.push(d.len() as u32);
            }
            Labels::Text { offsets: o, data: d }
        }
    };
    let mut rank = vec![0u32; order.len()];
    for (r, &c) in order.iter().enumerate() {
        rank[c as usize] = r as u32;
    }
    codes.iter_mut().for_each(|c| *c = rank[*c as usize]);
    Dense { codes, labels: sorted }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text_labels(dense: &Dense) -> Vec<Vec<u8>> {
        match &dense.labels {
            Labels::Text { offsets, data } => offsets.windows(2).map(|w| data[w[0] as usize..w[1] as usize].to_vec()).collect(),
            Labels::Numbers(_) => panic!("numbers"),
        }
    }

    /// Each row's label through the codes, and the distinct values in first-appearance order.
    fn check_text(dense: &Dense, values: &[Vec<u8>]) {
        let labels = text_labels(dense);
        let rows: Vec<Vec<u8>> = dense.codes.iter().map(|&c| labels[c as usize].clone()).collect();
        assert_eq!(rows, values);
        let mut distinct = labels.clone();
        distinct.sort();
        distinct.dedup();
        assert_eq!(distinct.len(), labels.len(), "one code per distinct value");
    }

    fn utf8_column<'a>(offsets: &'a [u8], data: &'a [u8], rows: usize) -> IpcColumn<'a> {
        IpcColumn { name: "k".into(), layout: Layout::Offsets { large: false }, chunks: vec![Chunk { rows, buffers: vec![offsets, data] }] }
    }

    #[test]
    fn strings_of_every_length_get_exact_dense_codes() {
        // Values that share 16-byte prefixes, lengths 0..40, repeats in and out of runs, and
        // enough distinct values to make the table grow several times.
        let mut values: Vec<Vec<u8>> = Vec::new();
        for i in 0..5000u32 {
            let len = (i % 41) as usize;
            let mut v = vec![b'x'; len];
            if len > 0 {
                v[len - 1] = b'a' + (i % 7) as u8;
            }
            values.push(v.clone());
            if i % 3 == 0 {
                values.push(v);
            }
            values.push(format!("{}", i % 1777).into_bytes());
        }
        let mut offsets = vec![0i32];
        let mut data = Vec::new();
        for v in &values {
            data.extend_from_slice(v);
            offsets.push(data.len() as i32);
        }
        let off_bytes: Vec<u8> = offsets.iter().flat_map(|o| o.to_le_bytes()).collect();
        let column = utf8_column(&off_bytes, &data, values.len());
        let first = encode(&column, false).unwrap();
        check_text(&first, &values);
        // First appearance: code c first shows up after codes 0..c did.
        let mut seen = 0;
        for &c in &first.codes {
            assert!(c <= seen);
            seen = seen.max(c + 1);
        }
        let sorted = encode(&column, true).unwrap();
        check_text(&sorted, &values);
        assert!(text_labels(&sorted).windows(2).all(|w| w[0] < w[1]), "labels ascending");
    }

    #[test]
    fn views_inline_and_out_of_line_across_chunks() {
        let values: Vec<&[u8]> = vec![b"short", b"exactly12byt", b"a much longer value, 32 bytes..", b"short", b"exactly12byt", b"a much longer value, 32 bytes!!", b""];
        let mut views = Vec::new();
        let mut data = Vec::new();
        for v in &values {
            views.extend_from_slice(&(v.len() as u32).to_le_bytes());
            if v.len() <= 12 {
                let mut inline = [0u8; 12];
                inline[..v.len()].copy_from_slice(v);
                views.extend_from_slice(&inline);
            } else {
                views.extend_from_slice(&v[..4]);
                views.extend_from_slice(&0u32.to_le_bytes());
                views.extend_from_slice(&(data.len() as u32).to_le_bytes());
                data.extend_from_slice(v);
            }
        }
        let column = IpcColumn {
            name: "k".into(),
            layout: Layout::Views,
            chunks: vec![Chunk { rows: 4, buffers: vec![&views[..64], &data] }, Chunk { rows: 3, buffers: vec![&views[64..], &data] }],
        };
        let dense = encode(&column, false).unwrap();
        assert_eq!(dense.codes, vec![0, 1, 2, 0, 1, 3, 4]);
        check_text(&dense, &values.iter().map(|v| v.to_vec()).collect::<Vec<_>>());
        // A view pointing past its data buffer is a corrupt file, not a crash.
        let mut bad = views.clone();
        bad[2 * 16 + 12..2 * 16 + 16].copy_from_slice(&1000u32.to_le_bytes());
        let column = IpcColumn { name: "k".into(), layout: Layout::Views, chunks: vec![Chunk { rows: 7, buffers: vec![&bad, &data] }] };
        assert_eq!(encode(&column, false).err().map(|e| e.code), Some(Code::CorruptFile));
    }

    #[test]
    fn floats_by_value_and_integers_by_bytes() {
        let floats: Vec<u8> = [1.5f64, -0.0, 0.0, f64::NAN, -f64::NAN, 1.5, -3.0].iter().flat_map(|x| x.to_le_bytes()).collect();
        let column = IpcColumn { name: "f".into(), layout: Layout::Fixed { width: 8, number: Number::Float }, chunks: vec![Chunk { rows: 7, buffers: vec![&floats] }] };
        assert_eq!(encode(&column, false).unwrap().codes, vec![0, 1, 1, 2, 2, 0, 3]);
        let sorted = encode(&column, true).unwrap();
        assert_eq!(sorted.codes, vec![2, 1, 1, 3, 3, 2, 0]);
        match sorted.labels {
            Labels::Numbers(v) => assert_eq!(format!("{v:?}"), "[-3.0, 0.0, 1.5, NaN]"),
            _ => panic!("numbers"),
        }
        let ints: Vec<u8> = [7i32, -7, 7, 0].iter().flat_map(|x| x.to_le_bytes()).collect();
        let column = IpcColumn { name: "i".into(), layout: Layout::Fixed { width: 4, number: Number::Signed }, chunks: vec![Chunk { rows: 4, buffers: vec![&ints] }] };
        let dense = encode(&column, false).unwrap();
        assert_eq!((dense.codes, dense.labels), (vec![0, 1, 0, 2], Labels::Numbers(vec![7.0, -7.0, 0.0])));
        let dense = encode(&column, true).unwrap();
        assert_eq!((dense.codes, dense.labels), (vec![2, 0, 2, 1], Labels::Numbers(vec![-7.0, 0.0, 7.0])));
    }

    #[test]
    fn utf16_order_puts_astral_characters_before_the_last_bmp_block() {
        let (astral, private_use, ascii) = ("\u{1F600}".as_bytes(), "\u{E000}".as_bytes(), "z".as_bytes());
        assert_eq!(cmp_utf16(astral, private_use), Ordering::Less); // "\ud83d" < "\ue000" in JS
        assert_eq!(cmp_utf16(private_use, astral), Ordering::Greater);
        assert_eq!(cmp_utf16(ascii, astral), Ordering::Less);
        assert_eq!(cmp_utf16(b"ab", b"abc"), Ordering::Less);
    }

    #[test]
    fn columns_written_as_an_ipc_stream_read_back_as_codes_and_labels() {
        use crate::arrow_ipc::{read::read_stream, write_stream, Column};
        let words = ["b", "a long label past sixteen bytes", "", "a", "b"];
        let (mut offsets, mut data) = (vec![0i32], Vec::new());
        for w in words {
            data.extend_from_slice(w.as_bytes());
            offsets.push(data.len() as i32);
        }
        let stream = write_stream(&[
            ("f", Column::F64(&[2.5, -1.0, 2.5, 0.0, -0.0])),
            ("u", Column::U32(&[9, 9, 3, 4_000_000_000, 3])),
            ("i", Column::I32(&[-5, 7, -5, 7, 0])),
            ("l", Column::I64(vec![1 << 40, -(1 << 40), 1 << 40, 0, 0])),
            ("s", Column::Utf8 { offsets, data }),
        ]);
        let columns = read_stream(&stream).unwrap();
        assert_eq!(columns.iter().map(|c| c.name.as_str()).collect::<Vec<_>>(), ["f", "u", "i", "l", "s"]);
        let numbers = |c: usize, sorted: bool| {
            let d = encode(&columns[c], sorted).unwrap();
            let Labels::Numbers(v) = d.labels else { panic!("numbers") };
            (d.codes, v)
        };
        assert_eq!(numbers(0, false), (vec![0, 1, 0, 2, 2], vec![2.5, -1.0, 0.0]));
        assert_eq!(numbers(0, true), (vec![2, 0, 2, 1, 1], vec![-1.0, 0.0, 2.5]));
        assert_eq!(numbers(1, true), (vec![1, 1, 0, 2, 0], vec![3.0, 9.0, 4e9]));
        assert_eq!(numbers(2, true), (vec![0, 2, 0, 2, 1], vec![-5.0, 0.0, 7.0]));
        assert_eq!(numbers(3, true), (vec![2, 0, 2, 1, 1], vec![-(2f64.powi(40)), 0.0, 2f64.powi(40)]));
        let text = encode(&columns[4], true).unwrap();
        assert_eq!(text.codes, vec![3, 2, 0, 1, 3]);
        assert_eq!(text_labels(&text), [&b""[..], b"a", b"a long label past sixteen bytes", b"b"]);
        // A truncated stream is an error, not a panic.
        for cut in [10, stream.len() / 2, stream.len() - 9] {
            assert!(read_stream(&stream[..cut]).is_err(), "cut at {cut}");
        }
    }

    #[test]
    fn parts_numbered_by_threads_merge_into_first_appearance_order() {
        // 12 chunks of 20,000 rows, values recurring across chunks (and some only late), some
        // longer than a key: cut into parts for 4 threads, the codes must be those of one pass.
        let values: Vec<Vec<u8>> = (0..240_000u64)
            .map(|r| {
                let v = (r * 2_654_435_761 % 7_919) + if r > 200_000 { 10_000 } else { 0 };
                if v % 5 == 0 { format!("a long shared prefix for value {v}").into_bytes() } else { v.to_string().into_bytes() }
            })
            .collect();
        let (mut offsets, mut data) = (Vec::new(), Vec::new());
        let mut chunks_offsets = Vec::new();
        for chunk in values.chunks(20_000) {
            offsets.clear();
            offsets.push(data.len() as i32);
            for v in chunk {
                data.extend_from_slice(v);
                offsets.push(data.len() as i32);
            }
            chunks_offsets.push(offsets.iter().flat_map(|o| o.to_le_bytes()).collect::<Vec<u8>>());
        }
        let column = IpcColumn {
            name: "k".into(),
            layout: Layout::Offsets { large: false },
            chunks: chunks_offsets.iter().map(|o| Chunk { rows: 20_000, buffers: vec![o, &data] }).collect(),
        };
        let one = encode(&column, false).unwrap();
        check_text(&one, &values);
        for threads in [2, 4] {
            let many = encode_columns(std::slice::from_ref(&column), &[false], threads).pop().unwrap().unwrap();
            assert_eq!(many.codes, one.codes, "{threads} threads");
            assert_eq!(many.labels, one.labels);
            let sorted = encode_columns(std::slice::from_ref(&column), &[true], threads).pop().unwrap().unwrap();
            check_text(&sorted, &values);
        }
        // A bad value in a later part is the column's error.
        let mut bad_offsets = chunks_offsets[11].clone();
        bad_offsets[4..8].copy_from_slice(&i32::MAX.to_le_bytes());
        let mut chunks: Vec<Chunk> = chunks_offsets.iter().map(|o| Chunk { rows: 20_000, buffers: vec![o, &data] }).collect();
        chunks[11] = Chunk { rows: 20_000, buffers: vec![&bad_offsets, &data] };
        let column = IpcColumn { name: "k".into(), layout: Layout::Offsets { large: false }, chunks };
        assert!(encode_columns(std::slice::from_ref(&column), &[false], 4).pop().unwrap().is_err());
    }

    #[test]
    fn dense_in_place_numbers_by_first_appearance() {
        let mut codes = vec![40, 3, 40, 7, 3];
        assert_eq!(dense_in_place(&mut codes), vec![0, 1, 3]);
        assert_eq!(codes, vec![0, 1, 0, 2, 1]);
    }
}
