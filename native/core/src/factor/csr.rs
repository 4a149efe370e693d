//! The sparse user × item matrix in scipy's CSR layout: row `r` holds the columns
//! `indices[indptr[r]..indptr[r + 1]]` with values in `data`. The factor models require sorted
//! columns without duplicates, which is what [`Csr::from_coo`] builds and
//! [`CsrRef::validate`] checks.

use crate::error::{Code, Error, Result};

/// A borrowed CSR matrix (for example the typed arrays handed over by the binding).
#[derive(Clone, Copy, Debug)]
pub struct CsrRef<'a> {
    pub indptr: &'a [u64],
    pub indices: &'a [u32],
    pub data: &'a [f32],
    pub rows: usize,
    pub cols: usize,
}

/// An owned CSR matrix.
#[derive(Clone, Debug, PartialEq)]
pub struct Csr {
    pub indptr: Vec<u64>,
    pub indices: Vec<u32>,
    pub data: Vec<f32>,
    pub rows: usize,
    pub cols: usize,
}

fn bad(what: String) -> Error {
    Error::new(Code::InvalidFormat, format!("CSR matrix: {what}"))
}

impl<'a> CsrRef<'a> {
    /// Checks the layout: `rows + 1` non-decreasing offsets from 0 to the number of entries,
    /// as many values as indices, and in each row strictly increasing columns below `cols`.
    pub fn validate(&self) -> Result<()> {
        self.validate_shape()?;
        let nnz = self.indices.len() as u64;
        for r in 0..self.rows {
            if self.indptr[r] > self.indptr[r + 1] || self.indptr[r + 1] > nnz {
                return Err(bad(format!("indptr decreases or overruns at row {r}")));
            }
            let cols = self.row_indices(r);
            if let Some(&c) = cols.iter().find(|&&c| c as usize >= self.cols) {
                return Err(bad(format!("row {r} has column {c}, but there are {} columns", self.cols)));
            }
            if cols.windows(2).any(|w| w[0] >= w[1]) {
                return Err(bad(format!("row {r}: columns must be sorted and without duplicates")));
            }
        }
        Ok(())
    }

    /// The overall shape only (O(1)): `rows + 1` offsets from 0 to the number of entries, as
    /// many values as indices; for callers whose reader checks the rows it reads.
    pub fn validate_shape(&self) -> Result<()> {
        let nnz = self.indices.len() as u64;
        if self.indptr.len() != self.rows + 1 {
            return Err(bad(format!("indptr has {} entries, expected rows + 1 = {}", self.indptr.len(), self.rows + 1)));
        }
        if self.indices.len() != self.data.len() {
            return Err(bad(format!("{} indices but {} values", self.indices.len(), self.data.len())));
        }
        if self.indptr[0] != 0 || self.indptr[self.rows] != nnz {
            return Err(bad(format!(
                "indptr must run from 0 to the number of entries {nnz}, got {}..{}",
                self.indptr[0], self.indptr[self.rows]
            )));
        }
        Ok(())
    }

    pub fn nnz(&self) -> usize {
        self.indices.len()
    }

    fn range(&self, r: usize) -> std::ops::Range<usize> {
        self.indptr[r] as usize..self.indptr[r + 1] as usize
    }

    /// The columns of row `r`.
    pub fn row_indices(&self, r: usize) -> &'a [u32] {
        &self.indices[self.range(r)]
    }

    /// The columns and values of row `r`.
    pub fn row(&self, r: usize) -> (&'a [u32], &'a [f32]) {
        let range = self.range(r);
        (&self.indices[range.clone()], &self.data[range])
    }

    /// The column-major view as a new CSR (items × users for a users × items matrix). A
    /// counting sort: rows are visited in order, so the new rows come out sorted.
    pub fn transpose(&self) -> Csr {
        let mut indptr = vec![0u64; self.cols + 1];
        for &c in self.indices {
            indptr[c as usize + 1] += 1;
        }
        for c in 0..self.cols {
            indptr[c + 1] += indptr[c];
        }
        let mut next: Vec<u64> = indptr[..self.cols].to_vec();
        let mut indices = vec![0u32; self.nnz()];
        let mut data = vec![0f32; self.nnz()];
        for r in 0..self.rows {
            let (cols, vals) = self.row(r);
            for (&c, &v) in cols.iter().zip(vals) {
                let at = next[c as usize] as usize;
                indices[at] = r as u32;
                data[at] = v;
                next[c as usize] += 1;
            }
        }
        Csr { indptr, indices, data, rows: self.cols, cols: self.rows }
    }
}

impl Csr {
    /// Builds a CSR matrix from coordinate triplets: duplicates summed (in input order),
    /// columns sorted. Fails on unequal lengths or an index out of range.
    pub fn from_coo(rows: &[u32], cols: &[u32], vals: &[f32], n_rows: usize, n_cols: usize) -> Result<Csr> {
        if rows.len() != cols.len() || rows.len() != vals.len() {
            return Err(Error::invalid(format!(
                "COO arrays differ in length: rows {}, cols {}, vals {}",
                rows.len(),
                cols.len(),
                vals.len()
            )));
        }
        if let Some(&r) = rows.iter().find(|&&r| r as usize >= n_rows) {
            return Err(Error::invalid(format!("row index {r} out of range (n_rows = {n_rows})")));
        }
        if let Some(&c) = cols.iter().find(|&&c| c as usize >= n_cols) {
            return Err(Error::invalid(format!("column index {c} out of range (n_cols = {n_cols})")));
        }
        // Group by row (a counting sort, stable), then sort each row by column.
        let mut start = vec![0usize; n_rows + 1];
        for &r in rows {
            start[r as usize + 1] += 1;
        }
        for r in 0..n_rows {
            start[r + 1] += start[r];
        }
        let mut next = start[..n_rows].to_vec();
        let mut entries = vec![(0u32, 0f32); rows.len()];
        for ((&r, &c), &v) in rows.iter().zip(cols).zip(vals) {
            entries[next[r as usize]] = (c, v);
            next[r as usize] += 1;
        }
        let mut indptr = Vec::with_capacity(n_rows + 1);
        let mut indices = Vec::with_capacity(entries.len());
        let mut data = Vec::with_capacity(entries.len());
        indptr.push(0u64);
        for r in 0..n_rows {
            let row = &mut entries[start[r]..start[r + 1]];
            row.sort_by_key(|e| e.0);
            for &(c, v) in row.iter() {
                if indices.len() > *indptr.last().unwrap() as usize && indices.last() == Some(&c) {
                    *data.last_mut().unwrap() += v;
                } else {
                    indices.push(c);
                    data.push(v);
                }
            }
            indptr.push(indices.len() as u64);
        }
        Ok(Csr { indptr, indices, data, rows: n_rows, cols: n_cols })
    }

    pub fn transpose(&self) -> Csr {
        self.as_ref().transpose()
    }

    pub fn as_ref(&self) -> CsrRef<'_> {
        CsrRef { indptr: &self.indptr, indices: &self.indices, data: &self.data, rows: self.rows, cols: self.cols }
    }
}
