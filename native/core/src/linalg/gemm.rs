//! Blocked `A·Bᵀ` for two row-major matrices with the same number of columns (`dim`): every
//! user's score against every item is a dot product of two rows. Both operands are packed into
//! panels stored column by column, so the innermost loop is an `MR × NR` register tile updated
//! with one broadcast and one contiguous load per factor: the layout of every fast SGEMM.

use std::ops::Range;

use super::{dot, dot4, fma_dispatch, fmadd, four_rows};

/// Rows of `A` in one register tile.
pub const MR: usize = 6;
/// Rows of `B` (columns of the product) in one register tile: two AVX registers.
pub const NR: usize = 16;

/// Rows of a matrix packed in panels of `W` rows; inside a panel, entry `k` of row `j` is at
/// `k·W + j`. The last panel is padded with zero rows.
pub struct PackedRows<const W: usize> {
    data: Vec<f32>,
    rows: usize,
    dim: usize,
}

impl<const W: usize> PackedRows<W> {
    /// Packs the given rows (each of `dim` entries), in order.
    pub fn pack<'a>(dim: usize, rows: impl ExactSizeIterator<Item = &'a [f32]>) -> Self {
        let n = rows.len();
        let mut data = vec![0f32; n.div_ceil(W) * W * dim];
        for (r, row) in rows.enumerate() {
            let panel = &mut data[(r / W) * W * dim..][..W * dim];
            for (k, v) in row[..dim].iter().enumerate() {
                panel[k * W + r % W] = *v;
            }
        }
        PackedRows { data, rows: n, dim }
    }

    pub fn panels(&self) -> usize {
        self.rows.div_ceil(W)
    }

    fn panel(&self, p: usize) -> &[[f32; W]] {
        self.data[p * W * self.dim..][..W * self.dim].as_chunks::<W>().0
    }
}

#[inline(always)]
fn multiply_block_generic<const FMA: bool>(
    a: &PackedRows<MR>,
    a_panel: usize,
    b: &PackedRows<NR>,
    cols: Range<usize>,
    out: &mut [f32],
    stride: usize,
) {
    debug_assert!(cols.start.is_multiple_of(NR) && cols.end <= b.rows && a.dim == b.dim);
    let a_rows = &a.panel(a_panel);
    let m = MR.min(a.rows - a_panel * MR);
    for p in cols.start / NR..cols.end.div_ceil(NR) {
        let mut acc = [[0f32; NR]; MR];
        for (ak, bk) in a_rows.iter().zip(b.panel(p)) {
            for r in 0..MR {
                for j in 0..NR {
                    acc[r][j] = fmadd::<FMA>(ak[r], bk[j], acc[r][j]);
                }
            }
        }
        let c0 = p * NR;
        let width = NR.min(cols.end - c0);
        for (r, tile_row) in acc.iter().enumerate().take(m) {
            out[r * stride + c0 - cols.start..][..width].copy_from_slice(&tile_row[..width]);
        }
    }
}

fma_dispatch!(
    /// Scores of the rows of panel `a_panel` of `a` against rows `cols` of `b`:
    /// `out[r·stride + (c − cols.start)] = a_r · b_c` for the panel's real rows.
    /// `cols.start` must be a multiple of [`NR`].
    pub fn multiply_block(
        a: &PackedRows<MR>,
        a_panel: usize,
        b: &PackedRows<NR>,
        cols: Range<usize>,
        out: &mut [f32],
        stride: usize,
    ) => multiply_block_generic
);

#[inline(always)]
fn multiply_rows_generic<const FMA: bool>(a: &[f32], b: &[f32], rows: Range<usize>, out: &mut [f32]) {
    let dim = a.len();
    let b = &b[rows.start * dim..rows.end * dim];
    let mut quads = b.chunks_exact(4 * dim);
    let mut outs = out.chunks_exact_mut(4);
    for (quad, o) in (&mut quads).zip(&mut outs) {
        o.copy_from_slice(&dot4::<FMA>(a, four_rows(quad, dim)));
    }
    for (o, row) in outs.into_remainder().iter_mut().zip(quads.remainder().chunks_exact(dim)) {
        *o = dot::<FMA>(a, row);
    }
}

fma_dispatch!(
    /// One row against unpacked rows: `out[i − rows.start] = a · b_i` with `b` row-major with
    /// `a.len()` columns. For a few users, where packing `b` would cost more than the product.
    /// Rows go four at a time from `rows.start` (the last few one by one), and a row's result
    /// depends only on that, not on the other rows: ranges that start at multiples of 4 give
    /// every row the same bits, which lets top-k rescore a few rows exactly as a scan did.
    pub fn multiply_rows(a: &[f32], b: &[f32], rows: Range<usize>, out: &mut [f32]) => multiply_rows_generic
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_equal_row_dot_products() {
        let dim = 13;
        let a: Vec<f32> = (0..8 * dim).map(|i| (i % 7) as f32 - 3.0).collect();
        let b: Vec<f32> = (0..37 * dim).map(|i| (i % 5) as f32 * 0.5 - 1.0).collect();
        let pa = PackedRows::<MR>::pack(dim, a.chunks_exact(dim));
        let pb = PackedRows::<NR>::pack(dim, b.chunks_exact(dim));
        let cols = 16..37;
        let mut out = vec![f32::NAN; MR * cols.len()];
        for panel in 0..pa.panels() {
            multiply_block(&pa, panel, &pb, cols.clone(), &mut out, cols.len());
            let rows = MR.min(8 - panel * MR);
            for r in 0..rows {
                let ar = &a[(panel * MR + r) * dim..][..dim];
                let mut want = vec![0f32; cols.len()];
                multiply_rows(ar, &b, cols.clone(), &mut want);
                assert_eq!(&out[r * cols.len()..(r + 1) * cols.len()], &want[..]);
            }
        }
    }
}
