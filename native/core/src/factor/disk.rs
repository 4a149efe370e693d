//! Out of core (SPEC M14): the user × item matrix built on disk from chunks, then
//! memory-mapped, so a model fits with resident memory well below the matrix size: the OS keeps
//! the pages it reads in its cache and drops them when memory is short.
//!
//! A matrix directory holds `coo.bin` (the rows as they were appended: user u32, item u32,
//! value f32) and, once built, two CSR orientations, `ui.*` (users × items) and `iu.*` (items ×
//! users), each as `indptr` (f64), `indices` (u32) and `data` (f32) files, little-endian, with
//! sorted columns and repeated (user, item) pairs summed. Building reads `coo.bin` once per
//! block of rows whose entries fit the memory budget, and writes sequentially.

use std::fs::{File, OpenOptions};
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::Path;

use super::csr::CsrRef;
use crate::error::{Code, Error, Result};
use crate::mapped::Mapped;

const COO: &str = "coo.bin";
const RECORD: usize = 12;

/// Appends rows to `dir/coo.bin` (the directory is created if missing): entry `k` says user
/// `users[k]` interacted with item `items[k]` with strength `values[k]` (1 when absent).
pub fn append(dir: &Path, users: &[u32], items: &[u32], values: Option<&[f32]>) -> Result<()> {
    if users.len() != items.len() || values.is_some_and(|v| v.len() != users.len()) {
        return Err(Error::invalid(format!("{} users, {} items and {} values differ in length", users.len(), items.len(), values.map_or(users.len(), |v| v.len()))));
    }
    if let Some(v) = values.and_then(|v| v.iter().find(|x| !x.is_finite() || **x < 0.0)) {
        return Err(Error::invalid(format!("interaction strengths must be finite and >= 0, found {v}")));
    }
    std::fs::create_dir_all(dir).map_err(|e| Error::io(e, dir))?;
    let path = dir.join(COO);
    let file = OpenOptions::new().create(true).append(true).open(&path).map_err(|e| Error::io(e, &path))?;
    let mut w = BufWriter::with_capacity(1 << 20, file);
    for k in 0..users.len() {
        let v = values.map_or(1.0, |v| v[k]);
        w.write_all(&users[k].to_le_bytes()).and_then(|_| w.write_all(&items[k].to_le_bytes())).and_then(|_| w.write_all(&v.to_le_bytes())).map_err(|e| Error::io(e, &path))?;
    }
    w.flush().map_err(|e| Error::io(e, &path))
}

/// Calls `f(user, item, value)` for every appended row, reading `coo.bin` sequentially.
fn scan(dir: &Path, mut f: impl FnMut(u32, u32, f32) -> Result<()>) -> Result<()> {
    let path = dir.join(COO);
    let file = File::open(&path).map_err(|e| Error::io(e, &path))?;
    let mut r = BufReader::with_capacity(1 << 20, file);
    let mut rec = [0u8; RECORD * 4096];
    loop {
        let mut got = 0;
        while got < rec.len() {
            match r.read(&mut rec[got..]).map_err(|e| Error::io(e, &path))? {
                0 => break,
                n => got += n,
            }
        }
        if got % RECORD != 0 {
            return Err(Error::new(Code::InvalidFormat, format!("{} is truncated", path.display())));
        }
        for c in rec[..got].chunks_exact(RECORD) {
            let word = |k: usize| [c[4 * k], c[4 * k + 1], c[4 * k + 2], c[4 * k + 3]];
            f(u32::from_le_bytes(word(0)), u32::from_le_bytes(word(1)), f32::from_le_bytes(word(2)))?;
        }
        if got < rec.len() {
            return Ok(());
        }
    }
}

/// Builds the two CSR orientations of the appended rows in `dir` for a `n_rows` × `n_cols`
/// matrix, holding at most about `budget_bytes` of entries in memory at once (plus one count
/// per row and column). Returns the number of distinct (user, item) entries.
pub fn build(dir: &Path, n_rows: usize, n_cols: usize, budget_bytes: usize) -> Result<usize> {
    let (mut per_row, mut per_col) = (vec![0u64; n_rows], vec![0u64; n_cols]);
    scan(dir, |u, i, _| {
        if u as usize >= n_rows || i as usize >= n_cols {
            return Err(Error::invalid(format!("entry ({u}, {i}) outside the {n_rows} × {n_cols} matrix")));
        }
        per_row[u as usize] += 1;
        per_col[i as usize] += 1;
        Ok(())
    })?;
    let budget = (budget_bytes / 16).max(1) as u64; // entries: (row, col, value) while sorting
    let nnz = write_orientation(dir, "ui", &per_row, budget, false)?;
    write_orientation(dir, "iu", &per_col, budget, true)?;
    Ok(nnz)
}

/// Writes one orientation (`swap`: items as rows), a block of rows at a time.
fn write_orientation(dir: &Path, name: &str, per_row: &[u64], budget: u64, swap: bool) -> Result<usize> {
    let create = |part: &str| -> Result<BufWriter<File>> {
        let path = dir.join(format!("{name}.{part}"));
        Ok(BufWriter::with_capacity(1 << 20, File::create(&path).map_err(|e| Error::io(e, &path))?))
    };
    let (mut indices, mut data) = (create("indices")?, create("data")?);
    let written_to = dir.join(format!("{name}.indices"));
    let mut indptr = Vec::with_capacity(per_row.len() + 1);
    indptr.push(0f64);
    let (mut start, mut written) = (0usize, 0u64);
    while start < per_row.len() {
        // The block: rows start..end, their entries within the budget (a larger row alone).
        let (mut end, mut size) = (start, 0u64);
        while end < per_row.len() && (end == start || size + per_row[end] <= budget) {
            size += per_row[end];
            end += 1;
        }
        let mut entries: Vec<(u32, u32, f32)> = Vec::with_capacity(size as usize);
        scan(dir, |u, i, v| {
            let (r, c) = if swap { (i, u) } else { (u, i) };
            if (start..end).contains(&(r as usize)) {
                entries.push((r, c, v));
            }
            Ok(())
        })?;
        entries.sort_unstable_by_key(|&(r, c, _)| (r, c));
        let mut k = 0;
        for r in start..end {
            while k < entries.len() && entries[k].0 as usize == r {
                let (c, mut v) = (entries[k].1, entries[k].2);
                k += 1;
                while k < entries.len() && entries[k].0 as usize == r && entries[k].1 == c {
                    v += entries[k].2;
                    k += 1;
                }
                indices.write_all(&c.to_le_bytes()).and_then(|_| data.write_all(&v.to_le_bytes())).map_err(|e| Error::io(e, &written_to))?;
                written += 1;
            }
            indptr.push(written as f64);
        }
        start = end;
    }
    let mut ptr = create("indptr")?;
    let path = dir.join(format!("{name}.indptr"));
    for p in &indptr {
        ptr.write_all(&p.to_le_bytes()).map_err(|e| Error::io(e, &path))?;
    }
    for mut w in [indices, data, ptr] {
        w.flush().map_err(|e| Error::io(e, &path))?;
    }
    Ok(written as usize)
}

/// One orientation of a built matrix, mapped: `indptr` (f64), `indices`, `data`.
pub struct MappedCsr {
    pub indptr: Mapped,
    pub indices: Mapped,
    pub data: Mapped,
    pub rows: usize,
    pub cols: usize,
    dir: std::path::PathBuf,
    name: &'static str,
}

impl MappedCsr {
    /// Maps `dir/<name>.*` ("ui" or "iu") and checks the shape (not every row: the fit reads them).
    pub fn open(dir: &Path, name: &'static str, cols: usize) -> Result<MappedCsr> {
        let file = |part: &str| dir.join(format!("{name}.{part}"));
        let m = MappedCsr {
            indptr: Mapped::open(&file("indptr"), false)?,
            indices: Mapped::open(&file("indices"), false)?,
            data: Mapped::open(&file("data"), false)?,
            rows: 0,
            cols,
            dir: dir.to_path_buf(),
            name,
        };
        let rows = m.indptr.slice::<f64>(&file("indptr"))?.len().saturating_sub(1);
        Ok(MappedCsr { rows, ..m })
    }

    fn path(&self, part: &str) -> std::path::PathBuf {
        self.dir.join(format!("{}.{part}", self.name))
    }

    pub fn indptr(&self) -> Result<&[f64]> {
        self.indptr.slice(&self.path("indptr"))
    }
    pub fn indices(&self) -> Result<&[u32]> {
        self.indices.slice(&self.path("indices"))
    }
    pub fn data(&self) -> Result<&[f32]> {
        self.data.slice(&self.path("data"))
    }

    /// The matrix as the factor models read it: `indptr` converted to u64 (one value per row in
    /// memory), indices and values straight from the mapping; the shape is checked here, the
    /// rows by the model that reads them.
    pub fn with_ref<R>(&self, f: impl FnOnce(CsrRef) -> Result<R>) -> Result<R> {
        let indptr: Vec<u64> = self.indptr()?.iter().map(|&p| p as u64).collect();
        let m = CsrRef { indptr: &indptr, indices: self.indices()?, data: self.data()?, rows: self.rows, cols: self.cols };
        m.validate_shape().map_err(|e| Error::new(Code::CorruptFile, format!("{}: {}", self.path("indptr").display(), e.message)))?;
        f(m)
    }
}
