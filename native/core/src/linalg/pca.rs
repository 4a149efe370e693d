//! Principal component analysis with scikit-learn's semantics (SPEC M15): the `k` directions of
//! largest variance of the mean-centred rows, their variances (`ddof = 1`), the share of the
//! total variance each explains, and the projection of rows onto them. Everything is computed
//! in `f64`, whatever the input's precision.
//!
//! Two solvers, as scikit-learn's `covariance_eigh` and `randomized`:
//! - [`Solver::Full`]: the covariance matrix (two passes over the data, a blocked
//!   `XᵀX` kernel over cache-sized row blocks), then every eigenpair of it (Householder
//!   tridiagonalisation + implicit QR with Wilkinson shifts). Exact; cheap while `cols` is a few
//!   hundred, whatever `rows` is.
//! - [`Solver::Randomized`]: the range finder of Halko, Martinsson & Tropp (2011, Alg. 4.4):
//!   a random `cols × (k + 10)` test matrix, power iterations with orthonormalisation, then the
//!   exact SVD of the small projected matrix. For wide data (`cols` > 500), where the covariance
//!   matrix and its eigendecomposition would cost `cols³`.
//!
//! Signs are fixed as scikit-learn ≥ 1.5 does: each component's entry of largest absolute value
//! (the first such entry on ties) is positive.
//!
//! Work on rows is split in fixed row ranges whatever the thread count, and partial sums are
//! added in range order, so the result does not depend on `threads`.

use super::fma_dispatch;
use crate::error::{Code, Error, Result};
use crate::par;

/// Input element types: rows are read as `f32` or `f64` and widened to `f64`.
pub trait Sample: Copy + Send + Sync + 'static {
    fn to_f64(self) -> f64;
}
impl Sample for f32 {
    #[inline(always)]
    fn to_f64(self) -> f64 {
        self as f64
    }
}
impl Sample for f64 {
    #[inline(always)]
    fn to_f64(self) -> f64 {
        self
    }
}

/// How the components are computed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Solver {
    /// [`Solver::Full`] when `cols ≤ 500` or `k ≥ 0.8 · min(rows, cols)`, else
    /// [`Solver::Randomized`] (scikit-learn's rule for its exact and randomized solvers).
    Auto,
    /// Eigendecomposition of the covariance matrix: exact.
    Full,
    /// Randomized range finder: approximate, for wide data and few components.
    Randomized,
}

/// Options of [`pca_fit`].
#[derive(Clone, Debug)]
pub struct PcaOptions {
    /// Components to keep (`1..=min(rows, cols)`).
    pub n_components: usize,
    pub solver: Solver,
    /// Seed of the randomized solver's test matrix.
    pub seed: u64,
    /// Worker threads (0 = every core).
    pub threads: usize,
}

/// A fitted PCA.
#[derive(Clone, Debug, PartialEq)]
pub struct Pca {
    /// `k × cols`, row-major: component `i` is row `i`, unit length, by decreasing variance.
    pub components: Vec<f64>,
    /// Variance of the data along each component (`ddof = 1`).
    pub explained_variance: Vec<f64>,
    /// `explained_variance / total variance` (0 when the data has no variance at all).
    pub explained_variance_ratio: Vec<f64>,
    /// Singular values of the centred data: `sqrt(explained_variance · (rows − 1))`.
    pub singular_values: Vec<f64>,
    /// Column means of the training data.
    pub mean: Vec<f64>,
    /// The solver that ran ([`Solver::Full`] or [`Solver::Randomized`]).
    pub solver: Solver,
}

/// Widest data the automatic choice still gives to the exact solver.
const FULL_MAX_COLS: usize = 500;
/// Extra columns of the randomized test matrix (scikit-learn's `n_oversamples`).
const OVERSAMPLES: usize = 10;
/// Rows per task of the passes over the data: fixed, so that sums do not depend on `threads`.
const ROWS_PER_TASK: usize = 4096;
/// Rows centred into one cache-resident `f64` block before a kernel runs on them.
const BLOCK_ROWS: usize = 64;
/// Covariance tile: `TILE_I` rows × `TILE_J` columns of `XᵀX` held in registers.
const TILE_I: usize = 4;
const TILE_J: usize = 8;
/// Memory allowed for the per-task partial covariance matrices.
const PARTIALS_BYTES: usize = 64 << 20;

/// Fits a PCA to the row-major matrix `x` with `cols` columns (`x.len() / cols` rows).
pub fn pca_fit<T: Sample>(x: &[T], cols: usize, o: &PcaOptions) -> Result<Pca> {
    let rows = check_shape(x, cols, "x")?;
    if rows < 2 {
        return Err(Error::invalid(format!("PCA needs at least 2 rows (variance uses rows − 1), got {rows}")));
    }
    let k = o.n_components;
    if k == 0 || k > rows.min(cols) {
        return Err(Error::invalid(format!(
            "nComponents must be in 1..={} (min(rows, cols) for {rows} × {cols}), got {k}",
            rows.min(cols)
        )));
    }
    let mean = column_means(x, cols, o.threads)?;
    let solver = match o.solver {
        Solver::Auto if cols <= FULL_MAX_COLS || 5 * k >= 4 * rows.min(cols) => Solver::Full,
        Solver::Auto => Solver::Randomized,
        s => s,
    };
    let (mut components, variance, total) = match solver {
        Solver::Full => full(x, cols, &mean, k, o.threads),
        _ => randomized(x, cols, &mean, k, o.seed, o.threads),
    };
    fix_signs(&mut components, cols);
    let explained_variance: Vec<f64> = variance.iter().map(|&v| v.max(0.0)).collect();
    let explained_variance_ratio = explained_variance.iter().map(|&v| if total > 0.0 { v / total } else { 0.0 }).collect();
    let singular_values = explained_variance.iter().map(|&v| (v * (rows - 1) as f64).sqrt()).collect();
    Ok(Pca { components, explained_variance, explained_variance_ratio, singular_values, mean, solver })
}

/// Projects the rows of `x` onto `components` (`k × cols`) after subtracting `mean`:
/// `(x − mean)·componentsᵀ`, row-major `rows × k`.
pub fn pca_transform<T: Sample>(x: &[T], mean: &[f64], components: &[f64], threads: usize) -> Result<Vec<f64>> {
    let cols = mean.len();
    check_shape(x, cols, "x")?;
    if cols == 0 || components.is_empty() || components.len() % cols != 0 {
        return Err(Error::invalid(format!("components hold {} values, not rows of {cols} (the mean's length)", components.len())));
    }
    Ok(project(x, mean, components, threads))
}

/// The number of rows of `x`, checking that it holds whole rows of `cols` values.
fn check_shape<T>(x: &[T], cols: usize, name: &str) -> Result<usize> {
    if x.is_empty() {
        return Err(Error::new(Code::EmptyInput, format!("{name} is empty (0 rows)")));
    }
    if cols == 0 || x.len() % cols != 0 {
        return Err(Error::invalid(format!("{name} has {} values, not rows of {cols} columns", x.len())));
    }
    Ok(x.len() / cols)
}

/// Consecutive row ranges of at most [`ROWS_PER_TASK`] rows, each as its slice of `x`.
fn row_tasks<T>(x: &[T], cols: usize, rows_per_task: usize) -> Vec<&[T]> {
    x.chunks(rows_per_task * cols).collect()
}

/// Column means; a NaN or infinite value is an `INVALID_FORMAT` error.
fn column_means<T: Sample>(x: &[T], cols: usize, threads: usize) -> Result<Vec<f64>> {
    let tasks = row_tasks(x, cols, ROWS_PER_TASK);
    let partials = par::map_dynamic(tasks.len(), threads, |t, _| {
        let mut sums = vec![0f64; cols];
        for row in tasks[t].chunks_exact(cols) {
            sums.iter_mut().zip(row).for_each(|(s, v)| *s += v.to_f64());
        }
        sums
    });
    let mut mean = vec![0f64; cols];
    for p in &partials {
        mean.iter_mut().zip(p).for_each(|(m, s)| *m += s);
    }
    if mean.iter().any(|m| !m.is_finite()) {
        return Err(Error::new(Code::InvalidFormat, "x holds NaN or infinite values"));
    }
    let rows = (x.len() / cols) as f64;
    mean.iter_mut().for_each(|m| *m /= rows);
    Ok(mean)
}

/// Writes `row − mean` into `out` (as long as `row`; any entries past it are left alone).
#[inline(always)]
fn center<T: Sample>(row: &[T], mean: &[f64], out: &mut [f64]) {
    for ((o, v), m) in out.iter_mut().zip(row).zip(mean) {
        *o = v.to_f64() - m;
    }
}

/// Centres the rows of `rows` into consecutive rows of `width` (≥ `mean.len()`) values of
/// `block`, leaving any padding past `mean.len()` alone; returns the number of rows.
fn center_rows<T: Sample>(rows: &[T], mean: &[f64], width: usize, block: &mut [f64]) -> usize {
    let cols = mean.len();
    for (row, out) in rows.chunks_exact(cols).zip(block.chunks_exact_mut(width)) {
        center(row, mean, out);
    }
    rows.len() / cols
}

/// `a·b + c`, fused (one rounding) in the FMA build.
#[inline(always)]
fn fmadd<const FMA: bool>(a: f64, b: f64, c: f64) -> f64 {
    if FMA {
        a.mul_add(b, c)
    } else {
        a * b + c
    }
}

// ---------------------------------------------------------------------------------------------
// Exact solver: covariance matrix + symmetric eigendecomposition.

/// Components (`k × cols`), their variances and the total variance, exactly.
fn full<T: Sample>(x: &[T], cols: usize, mean: &[f64], k: usize, threads: usize) -> (Vec<f64>, Vec<f64>, f64) {
    let cov = covariance(x, cols, mean, threads);
    let total = (0..cols).map(|j| cov[j * cols + j]).sum();
    let (values, vectors) = symmetric_eigen(cov, cols);
    (vectors[..k * cols].to_vec(), values[..k].to_vec(), total)
}

#[inline(always)]
fn syrk_block_generic<const FMA: bool>(block: &[f64], width: usize, acc: &mut [f64]) {
    for i0 in (0..width).step_by(TILE_I) {
        // Tiles on or above the diagonal only: the lower triangle is mirrored at the end.
        for j0 in (i0 / TILE_J * TILE_J..width).step_by(TILE_J) {
            let mut tile = [[0f64; TILE_J]; TILE_I];
            for row in block.chunks_exact(width) {
                let a: [f64; TILE_I] = row[i0..i0 + TILE_I].try_into().expect("a tile row");
                let b: [f64; TILE_J] = row[j0..j0 + TILE_J].try_into().expect("a tile row");
                for r in 0..TILE_I {
                    for c in 0..TILE_J {
                        tile[r][c] = fmadd::<FMA>(a[r], b[c], tile[r][c]);
                    }
                }
            }
            for (r, tile_row) in tile.iter().enumerate() {
                let out = &mut acc[(i0 + r) * width + j0..][..TILE_J];
                out.iter_mut().zip(tile_row).for_each(|(o, t)| *o += t);
            }
        }
    }
}

fma_dispatch!(
    /// `acc += blockᵀ·block` on and above the diagonal, for a row-major block whose `width`
    /// (a multiple of `TILE_J`) is also `acc`'s side.
    fn syrk_block(block: &[f64], width: usize, acc: &mut [f64]) => syrk_block_generic
);

/// The covariance matrix (`cols × cols`, row-major, `ddof = 1`) of the rows of `x`, from the
/// centred rows (no loss of precision when the mean is large against the spread).
fn covariance<T: Sample>(x: &[T], cols: usize, mean: &[f64], threads: usize) -> Vec<f64> {
    let rows = x.len() / cols;
    // Columns padded with zeros to a whole number of tiles.
    let width = cols.div_ceil(TILE_J) * TILE_J;
    let max_tasks = (PARTIALS_BYTES / (width * width * 8)).clamp(1, 64);
    let rows_per_task = rows.div_ceil(max_tasks).max(ROWS_PER_TASK.min(rows));
    let tasks = row_tasks(x, cols, rows_per_task);
    let partials = par::map_dynamic(tasks.len(), threads, |t, _| {
        let mut acc = vec![0f64; width * width];
        let mut block = vec![0f64; BLOCK_ROWS * width];
        for rows in tasks[t].chunks(BLOCK_ROWS * cols) {
            let n = center_rows(rows, mean, width, &mut block);
            syrk_block(&block[..n * width], width, &mut acc);
        }
        acc
    });
    let mut cov = vec![0f64; cols * cols];
    let scale = 1.0 / (rows - 1) as f64;
    for i in 0..cols {
        for j in i..cols {
            let s: f64 = partials.iter().map(|p| p[i * width + j]).sum::<f64>() * scale;
            cov[i * cols + j] = s;
            cov[j * cols + i] = s;
        }
    }
    cov
}

/// Every eigenpair of the symmetric `n × n` matrix `a` (row-major; both triangles are read):
/// eigenvalues in decreasing order, and the unit eigenvectors as the rows of an `n × n` matrix.
pub fn symmetric_eigen(mut a: Vec<f64>, n: usize) -> (Vec<f64>, Vec<f64>) {
    assert_eq!(a.len(), n * n, "symmetric_eigen: a must be n × n");
    let (mut d, mut e, mut z) = tridiagonalize(&mut a, n);
    tridiagonal_qr(&mut d, &mut e, &mut z, n);
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&i, &j| d[j].total_cmp(&d[i]));
    let values = order.iter().map(|&i| d[i]).collect();
    let vectors = order.iter().flat_map(|&i| z[i * n..(i + 1) * n].iter().copied()).collect();
    (values, vectors)
}

/// Householder reduction `A = Q·T·Qᵀ` (Golub & Van Loan, §8.3.1): returns the diagonal `d` and
/// the off-diagonal `e` of `T` and `Qᵀ` (rows = the columns of `Q`). Destroys `a`.
fn tridiagonalize(a: &mut [f64], n: usize) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
    let mut e = vec![0f64; n.saturating_sub(1)];
    // Householder vectors v_k (acting on indices k+1..n) with their β = 2 / vᵀv.
    let mut reflectors: Vec<(Vec<f64>, f64)> = Vec::new();
    let (mut p, mut w) = (vec![0f64; n], vec![0f64; n]);
    for k in 0..n.saturating_sub(2) {
        // Column k below the diagonal = row k right of it (A stays symmetric).
        let x = &a[k * n + k + 1..(k + 1) * n];
        let norm = dot(x, x).sqrt();
        let alpha = if x[0] > 0.0 { -norm } else { norm };
        let mut v = x.to_vec();
        v[0] -= alpha;
        let vv = dot(&v, &v);
        e[k] = alpha;
        if vv == 0.0 {
            // Already reduced: H = I.
            e[k] = x[0];
            continue;
        }
        let beta = 2.0 / vv;
        // S ← H·S·H on the trailing block S = A[k+1.., k+1..]:
        // p = β·S·v, w = p − (β/2)(pᵀv)·v, S ← S − v·wᵀ − w·vᵀ.
        let m = n - k - 1;
        let off = k + 1;
        for i in 0..m {
            let row = &a[(off + i) * n + off..(off + i) * n + n];
            p[i] = beta * dot(row, &v);
        }
        let half = 0.5 * beta * dot(&p[..m], &v);
        for i in 0..m {
            w[i] = p[i] - half * v[i];
        }
        for i in 0..m {
            let row = &mut a[(off + i) * n + off..(off + i) * n + n];
            axpy(-v[i], &w[..m], row);
            axpy(-w[i], &v, row);
        }
        reflectors.push((v, beta));
    }
    let d: Vec<f64> = (0..n).map(|i| a[i * n + i]).collect();
    if n >= 2 {
        e[n - 2] = a[(n - 2) * n + n - 1];
    }
    // Qᵀ = H_{last}·…·H_1·H_0 (each H symmetric): apply H_0 first to the identity.
    let mut z = vec![0f64; n * n];
    (0..n).for_each(|i| z[i * n + i] = 1.0);
    let mut u = vec![0f64; n];
    for (k, (v, beta)) in reflectors.iter().enumerate() {
        // Z[k+1.., :] ← Z[k+1.., :] − β·v·(vᵀ·Z[k+1.., :]).
        u.fill(0.0);
        for (i, vi) in v.iter().enumerate() {
            axpy(*vi, &z[(k + 1 + i) * n..(k + 2 + i) * n], &mut u);
        }
        for (i, vi) in v.iter().enumerate() {
            axpy(-beta * vi, &u, &mut z[(k + 1 + i) * n..(k + 2 + i) * n]);
        }
    }
    (d, e, z)
}

/// Diagonalises the symmetric tridiagonal `(d, e)` by implicit QR steps with Wilkinson shifts
/// (Golub & Van Loan, Alg. 8.3.2), deflating from the bottom; `d` becomes the eigenvalues and
/// every rotation is applied to the rows of `z`, which become the eigenvectors.
fn tridiagonal_qr(d: &mut [f64], e: &mut [f64], z: &mut [f64], n: usize) {
    let negligible = |e: f64, a: f64, b: f64| e.abs() <= f64::EPSILON * (a.abs() + b.abs()) || e.abs() < f64::MIN_POSITIVE;
    let mut hi = n.saturating_sub(1);
    let mut steps = 0;
    while hi > 0 {
        if negligible(e[hi - 1], d[hi - 1], d[hi]) {
            e[hi - 1] = 0.0;
            hi -= 1;
            continue;
        }
        let mut lo = hi - 1;
        while lo > 0 && !negligible(e[lo - 1], d[lo - 1], d[lo]) {
            lo -= 1;
        }
        steps += 1;
        // Convergence is cubic; this bound is never reached in practice.
        if steps > 60 * n {
            break;
        }
        qr_step(d, e, z, n, lo, hi);
    }
}

/// One implicit QR step on the unreduced block `lo..=hi`: a Givens rotation from the shifted
/// first column, then rotations chasing the bulge down the band.
fn qr_step(d: &mut [f64], e: &mut [f64], z: &mut [f64], n: usize, lo: usize, hi: usize) {
    let delta = (d[hi - 1] - d[hi]) / 2.0;
    let eh = e[hi - 1];
    let shift = d[hi] - eh * eh / (delta + delta.signum() * delta.hypot(eh));
    let (mut x, mut y) = (d[lo] - shift, e[lo]);
    for k in lo..hi {
        let r = x.hypot(y);
        let (c, s) = if r == 0.0 { (1.0, 0.0) } else { (x / r, y / r) };
        if k > lo {
            e[k - 1] = r;
        }
        // Rows/columns k, k+1 of T ← G·T·Gᵀ with G = [[c, s], [−s, c]].
        let (a, b, dd) = (d[k], e[k], d[k + 1]);
        d[k] = c * c * a + 2.0 * c * s * b + s * s * dd;
        d[k + 1] = s * s * a - 2.0 * c * s * b + c * c * dd;
        e[k] = c * s * (dd - a) + (c * c - s * s) * b;
        if k + 1 < hi {
            // The rotation pushes e[k+1] into a bulge at (k+2, k), removed by the next one.
            x = e[k];
            y = s * e[k + 1];
            e[k + 1] *= c;
        }
        let (zk, zk1) = z.split_at_mut((k + 1) * n);
        rotate(c, s, &mut zk[k * n..], &mut zk1[..n]);
    }
}

#[inline(always)]
fn rotate_generic<const FMA: bool>(c: f64, s: f64, a: &mut [f64], b: &mut [f64]) {
    for (p, q) in a.iter_mut().zip(b.iter_mut()) {
        let (u, v) = (*p, *q);
        *p = fmadd::<FMA>(c, u, s * v);
        *q = fmadd::<FMA>(c, v, -(s * u));
    }
}

fma_dispatch!(
    /// The plane rotation `(a, b) ← (c·a + s·b, c·b − s·a)` of two equally long rows.
    fn rotate(c: f64, s: f64, a: &mut [f64], b: &mut [f64]) => rotate_generic
);

/// Makes the entry of largest absolute value of each row (the first on ties) positive.
fn fix_signs(components: &mut [f64], cols: usize) {
    for row in components.chunks_exact_mut(cols) {
        let top = row.iter().enumerate().fold(0, |best, (j, v)| if v.abs() > row[best].abs() { j } else { best });
        if row[top] < 0.0 {
            row.iter_mut().for_each(|v| *v = -*v);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Randomized solver and the two products over the data it is made of.

#[inline(always)]
fn dot_generic<const FMA: bool>(a: &[f64], b: &[f64]) -> f64 {
    let mut acc = [0f64; 8];
    let (ca, cb) = (a.chunks_exact(8), b.chunks_exact(8));
    let tail: f64 = ca.remainder().iter().zip(cb.remainder()).map(|(x, y)| x * y).sum();
    for (x, y) in ca.zip(cb) {
        for l in 0..8 {
            acc[l] = fmadd::<FMA>(x[l], y[l], acc[l]);
        }
    }
    acc.iter().sum::<f64>() + tail
}

fma_dispatch!(
    /// Dot product of two equally long vectors.
    fn dot(a: &[f64], b: &[f64]) -> f64 => dot_generic
);

#[inline(always)]
fn axpy_generic<const FMA: bool>(alpha: f64, x: &[f64], y: &mut [f64]) {
    for (yi, xi) in y.iter_mut().zip(x) {
        *yi = fmadd::<FMA>(alpha, *xi, *yi);
    }
}

fma_dispatch!(
    /// `y += alpha · x`.
    fn axpy(alpha: f64, x: &[f64], y: &mut [f64]) => axpy_generic
);

#[inline(always)]
fn project_rows_generic<const FMA: bool>(centered: &[f64], cols: usize, basis: &[f64], out: &mut [f64]) {
    let l = basis.len() / cols;
    for (row, o) in centered.chunks_exact(cols).zip(out.chunks_exact_mut(l)) {
        for (oj, b) in o.iter_mut().zip(basis.chunks_exact(cols)) {
            *oj = dot_generic::<FMA>(row, b);
        }
    }
}

fma_dispatch!(
    /// `out_r[j] = centered_r · basis_j` for the rows `centered_r` of `centered` and `basis_j` of
    /// `basis` (both `cols` long); `out` is row-major.
    fn project_rows(centered: &[f64], cols: usize, basis: &[f64], out: &mut [f64]) => project_rows_generic
);

#[inline(always)]
fn combine_row_generic<const FMA: bool>(centered: &[f64], coefs: &[f64], acc: &mut [f64]) {
    for (c, out) in coefs.iter().zip(acc.chunks_exact_mut(centered.len())) {
        axpy_generic::<FMA>(*c, centered, out);
    }
}

fma_dispatch!(
    /// `acc_j += coefs[j] · centered` for the rows `acc_j` of `acc`.
    fn combine_row(centered: &[f64], coefs: &[f64], acc: &mut [f64]) => combine_row_generic
);

/// `(x − mean)·basisᵀ`: row-major `rows × l` for a `l × cols` basis.
fn project<T: Sample>(x: &[T], mean: &[f64], basis: &[f64], threads: usize) -> Vec<f64> {
    let cols = mean.len();
    let l = basis.len() / cols;
    let mut out = vec![0f64; x.len() / cols * l];
    par::for_each_chunk_mut(&mut out, ROWS_PER_TASK * l, threads, |t, chunk| {
        let mut block = vec![0f64; BLOCK_ROWS * cols];
        let rows = &x[t * ROWS_PER_TASK * cols..][..chunk.len() / l * cols];
        for (rows, o) in rows.chunks(BLOCK_ROWS * cols).zip(chunk.chunks_mut(BLOCK_ROWS * l)) {
            let n = center_rows(rows, mean, cols, &mut block);
            project_rows(&block[..n * cols], cols, basis, o);
        }
    });
    out
}

/// `coefs·(x − mean)`: `l × cols` for `l × rows` coefficients (each output row is a combination
/// of the centred data rows).
fn combine<T: Sample>(x: &[T], mean: &[f64], coefs: &[f64], threads: usize) -> Vec<f64> {
    let cols = mean.len();
    let rows = x.len() / cols;
    let l = coefs.len() / rows;
    let tasks = row_tasks(x, cols, ROWS_PER_TASK);
    let partials = par::map_dynamic(tasks.len(), threads, |t, _| {
        let mut acc = vec![0f64; l * cols];
        let (mut centered, mut row_coefs) = (vec![0f64; cols], vec![0f64; l]);
        for (r, row) in tasks[t].chunks_exact(cols).enumerate() {
            center(row, mean, &mut centered);
            let r = t * ROWS_PER_TASK + r;
            row_coefs.iter_mut().enumerate().for_each(|(j, c)| *c = coefs[j * rows + r]);
            combine_row(&centered, &row_coefs, &mut acc);
        }
        acc
    });
    let mut out = vec![0f64; l * cols];
    for p in &partials {
        out.iter_mut().zip(p).for_each(|(o, v)| *o += v);
    }
    out
}

/// The transpose of a row-major `rows × cols` matrix.
fn transpose(m: &[f64], rows: usize, cols: usize) -> Vec<f64> {
    let mut t = vec![0f64; m.len()];
    for (i, row) in m.chunks_exact(cols).enumerate() {
        row.iter().enumerate().for_each(|(j, v)| t[j * rows + i] = *v);
    }
    t
}

/// Orthonormalises the rows (each `len` long) of `m` in place by modified Gram–Schmidt, twice
/// ("twice is enough"). A row that depends on the ones before it is replaced by the unit vector
/// `e_j` farthest from their span, so the result is always an orthonormal set.
fn orthonormalize_rows(m: &mut [f64], len: usize) {
    let norm = |row: &[f64]| dot(row, row).sqrt();
    for i in 0..m.len() / len {
        let (done, rest) = m.split_at_mut(i * len);
        let row = &mut rest[..len];
        let remove_done = |row: &mut [f64]| {
            for _ in 0..2 {
                for q in done.chunks_exact(len) {
                    axpy(-dot(row, q), q, row);
                }
            }
        };
        let before = norm(row);
        remove_done(row);
        if !(norm(row) > 1e-10 * before) {
            // |e_j − its projection|² = 1 − Σ_q q_j²: take the j where that is largest.
            let mut left = vec![1f64; len];
            for q in done.chunks_exact(len) {
                left.iter_mut().zip(q).for_each(|(l, v)| *l -= v * v);
            }
            let j = (0..len).fold(0, |best, j| if left[j] > left[best] { j } else { best });
            row.fill(0.0);
            row[j] = 1.0;
            remove_done(row);
        }
        let n = norm(row);
        row.iter_mut().for_each(|v| *v /= n);
    }
}

/// Deterministic noise in `[-1, 1)` from a seed and an index (SplitMix64's output mix).
fn noise(seed: u64, i: u64) -> f64 {
    let mut z = seed.wrapping_add(i.wrapping_add(1).wrapping_mul(0x9E37_79B9_7F4A_7C15));
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^= z >> 31;
    (z >> 11) as f64 / (1u64 << 52) as f64 - 1.0
}

/// The sum of the column variances (`ddof = 1`): the total variance.
fn total_variance<T: Sample>(x: &[T], mean: &[f64], threads: usize) -> f64 {
    let cols = mean.len();
    let tasks = row_tasks(x, cols, ROWS_PER_TASK);
    let partials = par::map_dynamic(tasks.len(), threads, |t, _| {
        tasks[t].chunks_exact(cols).map(|row| row.iter().zip(mean).map(|(v, m)| (v.to_f64() - m).powi(2)).sum::<f64>()).sum::<f64>()
    });
    partials.iter().sum::<f64>() / (x.len() / cols - 1) as f64
}

/// Components, their variances and the total variance by the randomized range finder.
fn randomized<T: Sample>(x: &[T], cols: usize, mean: &[f64], k: usize, seed: u64, threads: usize) -> (Vec<f64>, Vec<f64>, f64) {
    let rows = x.len() / cols;
    let l = (k + OVERSAMPLES).min(rows).min(cols);
    // scikit-learn's n_iter = "auto".
    let power_iterations = if (k as f64) < 0.1 * rows.min(cols) as f64 { 7 } else { 4 };
    // Bases are stored as rows: `features` is l × cols, `samples` is l × rows.
    let mut features: Vec<f64> = (0..l * cols).map(|i| noise(seed, i as u64)).collect();
    let mut samples = transpose(&project(x, mean, &features, threads), rows, l);
    orthonormalize_rows(&mut samples, rows);
    for _ in 0..power_iterations {
        features = combine(x, mean, &samples, threads);
        orthonormalize_rows(&mut features, cols);
        samples = transpose(&project(x, mean, &features, threads), rows, l);
        orthonormalize_rows(&mut samples, rows);
    }
    // B = Qᵀ·Xc (l × cols); its SVD from the eigenpairs of B·Bᵀ: B = U·Σ·Vᵀ, Vᵀ = Σ⁻¹·Uᵀ·B.
    let b = combine(x, mean, &samples, threads);
    let mut gram = vec![0f64; l * l];
    for (i, bi) in b.chunks_exact(cols).enumerate() {
        for (j, bj) in b.chunks_exact(cols).enumerate() {
            gram[i * l + j] = dot(bi, bj);
        }
    }
    let (values, u) = symmetric_eigen(gram, l);
    let mut vt = vec![0f64; l * cols];
    for (out, ui) in vt.chunks_exact_mut(cols).zip(u.chunks_exact(l)) {
        for (c, brow) in ui.iter().zip(b.chunks_exact(cols)) {
            axpy(*c, brow, out);
        }
    }
    // The rows of Uᵀ·B are orthogonal with norms σᵢ: normalising them divides by σᵢ.
    orthonormalize_rows(&mut vt, cols);
    let variance = values[..k].iter().map(|v| v / (rows - 1) as f64).collect();
    vt.truncate(k * cols);
    (vt, variance, total_variance(x, mean, threads))
}
