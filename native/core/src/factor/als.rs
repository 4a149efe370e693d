//! Implicit-feedback alternating least squares (Hu, Koren & Volinsky, "Collaborative Filtering
//! for Implicit Feedback Datasets", 2008).
//!
//! Every cell of the user × item matrix gets a preference `p` (1 for a stored value r > 0,
//! else 0) and a confidence `c = 1 + alpha·|r|` (1 for cells not stored). The model minimises
//! `Σ c·(p − x_u·y_i)² + λ(Σ|x_u|² + Σ|y_i|²)` by alternately solving, with the item factors Y
//! fixed, one small least-squares system per user,
//! `(YᵀY + λI + Σ_{i∈u} (c−1)·y_i·y_iᵀ) x_u = Σ_{i∈u} c·p·y_i`,
//! and the same for the items with X fixed. `YᵀY` is computed once per half-sweep, so a row
//! costs O(factors² + nnz(row)·factors), never a pass over all items.
//!
//! The systems are solved either exactly (Cholesky, O(nnz·factors² + factors³) per row) or by
//! `cg_iters` conjugate-gradient steps warm-started from the previous factors (Takács, Pilászy
//! & Tikk 2011; the approach of benfred/implicit), which never forms the matrix.
//! Rows are independent given the other side, so they are solved in parallel; results do not
//! depend on the thread count.

use std::time::Instant;

use super::rng::SplitMix64;
use super::{check_fit_input, check_non_negative, factor_rows, report_progress, CsrRef, Factors};
use crate::error::{Code, Error, Result};
use crate::linalg::{self, axpy, cholesky, dot, fma_dispatch, sym_matvec};
use crate::par;

/// Settings of [`als_fit`].
#[derive(Clone, Debug)]
pub struct AlsOptions {
    pub factors: usize,
    pub iterations: usize,
    /// λ, the weight of the squared norms of all factors.
    pub regularization: f32,
    /// Confidence slope: `c = 1 + alpha·|r|`.
    pub alpha: f32,
    /// Conjugate-gradient steps per row and half-sweep (ignored with `cholesky`).
    pub cg_iters: usize,
    /// Solve each row exactly instead of by conjugate gradient.
    pub cholesky: bool,
    pub seed: u64,
    /// 0 = every core.
    pub threads: usize,
    /// Print one line per iteration (time, loss) on stderr.
    pub verbose: bool,
}

impl Default for AlsOptions {
    /// The defaults of the SPEC (M7).
    fn default() -> Self {
        AlsOptions {
            factors: 64,
            iterations: 15,
            regularization: 0.01,
            alpha: 40.0,
            cg_iters: 3,
            cholesky: false,
            seed: 0,
            threads: 0,
            verbose: false,
        }
    }
}

/// Rows of the factor matrix per parallel task.
const ROWS_PER_TASK: usize = 64;

/// Factor rows requested from memory this many entries before they are used.
const PREFETCH_AHEAD: usize = 8;

/// How each row's system is solved.
struct Solver {
    alpha: f32,
    cg_iters: usize,
    cholesky: bool,
}

/// Fits implicit ALS to a users × items matrix of interaction strengths `r`.
///
/// Factors start uniform in `[0, 0.01)` from `seed`; rows without any entry end as zeros.
/// `loss` holds, after each iteration, the objective above divided by the total confidence
/// `Σ c` over all cells (benfred/implicit's `calculate_training_loss`).
/// Same seed, same input: bit-identical factors, whatever `threads`.
pub fn als_fit(ui: CsrRef, o: &AlsOptions) -> Result<Factors> {
    check_fit_input(&ui, o.factors)?;
    fit(ui, ui.transpose().as_ref(), o)
}

/// [`als_fit`] given the transpose `iu` (items × users) too, e.g. both memory-mapped from disk
/// ([`super::disk`]): nothing of the size of the matrix is allocated.
pub fn als_fit_transposed(ui: CsrRef, iu: CsrRef, o: &AlsOptions) -> Result<Factors> {
    check_fit_input(&ui, o.factors)?;
    if iu.rows != ui.cols || iu.cols != ui.rows || iu.nnz() != ui.nnz() {
        return Err(Error::invalid(format!("the transpose is {} × {} with {} entries, the matrix {} × {} with {}", iu.rows, iu.cols, iu.nnz(), ui.rows, ui.cols, ui.nnz())));
    }
    iu.validate()?;
    fit(ui, iu, o)
}

fn fit(ui: CsrRef, iu: CsrRef, o: &AlsOptions) -> Result<Factors> {
    check_non_negative(o.regularization, "regularization")?;
    check_non_negative(o.alpha, "alpha")?;
    if !o.cholesky && o.cg_iters == 0 {
        return Err(Error::invalid("cg_iters must be at least 1 with the conjugate-gradient solver"));
    }
    let f = o.factors;
    let mut rng = SplitMix64::new(o.seed);
    let mut user: Vec<f32> = (0..ui.rows * f).map(|_| rng.next_f32() * 0.01).collect();
    let mut item: Vec<f32> = (0..ui.cols * f).map(|_| rng.next_f32() * 0.01).collect();
    let solver = Solver { alpha: o.alpha, cg_iters: o.cg_iters, cholesky: o.cholesky };

    let start = Instant::now();
    let mut loss = Vec::with_capacity(o.iterations);
    let mut item_gram = linalg::gram(&item, f, o.threads);
    for it in 0..o.iterations {
        solve_side(ui, &item, &item_gram, &mut user, o.regularization, &solver, false, o.threads);
        let user_gram = linalg::gram(&user, f, o.threads);
        let cells = solve_side(iu, &user, &user_gram, &mut item, o.regularization, &solver, true, o.threads);
        // The new item Gram serves the loss now and the user half-sweep of the next iteration.
        item_gram = linalg::gram(&item, f, o.threads);
        let value = training_loss(cells, &user_gram, &item_gram, ui, o.regularization);
        loss.push(value);
        if o.verbose {
            report_progress("ALS iteration", it, o.iterations, value, start);
        }
    }
    Ok(Factors { user, item, factors: f, loss })
}

/// Solves the factors of one new user from `(item, weight)` pairs against fixed item factors
/// ("fold-in"), exactly (Cholesky), with the confidences of [`als_fit`]. Repeated items have
/// their weights summed. No items: a zero vector.
/// `gram`, the item factors' Gram matrix ([`item_gram`]), saves computing it here: it costs
/// O(items · factors²), the solve itself O(the user's items · factors² + factors³).
pub fn als_user_vector(
    item_factors: &[f32],
    factors: usize,
    items: &[u32],
    weights: &[f32],
    regularization: f32,
    alpha: f32,
    gram: Option<&[f32]>,
) -> Result<Vec<f32>> {
    let n_items = factor_rows(item_factors, factors, "item_factors")?;
    check_non_negative(regularization, "regularization")?;
    check_non_negative(alpha, "alpha")?;
    if items.len() != weights.len() {
        return Err(Error::invalid(format!("{} items but {} weights", items.len(), weights.len())));
    }
    if let Some(&i) = items.iter().find(|&&i| i as usize >= n_items) {
        return Err(Error::new(Code::UnknownItem, format!("item {i} out of range (the model has {n_items} items)")));
    }
    if let Some(w) = weights.iter().find(|w| !w.is_finite()) {
        return Err(Error::invalid(format!("weights must be finite, got {w}")));
    }
    if let Some(g) = gram.filter(|g| g.len() != factors * factors) {
        return Err(Error::invalid(format!("the Gram matrix has {} values, expected {factors} × {factors}", g.len())));
    }
    let rows = vec![0u32; items.len()];
    let row = super::Csr::from_coo(&rows, items, weights, 1, n_items)?;
    let gram = gram.map_or_else(|| linalg::gram(item_factors, factors, 1), <[f32]>::to_vec);
    let mut x = vec![0f32; factors];
    let solver = Solver { alpha, cg_iters: 0, cholesky: true };
    solve_side(row.as_ref(), item_factors, &gram, &mut x, regularization, &solver, false, 1);
    Ok(x)
}

/// `YᵀY` of the item factors (factors × factors, row-major), as [`als_user_vector`] takes it.
pub fn item_gram(item_factors: &[f32], factors: usize) -> Result<Vec<f32>> {
    factor_rows(item_factors, factors, "item_factors")?;
    Ok(linalg::gram(item_factors, factors, 0))
}

/// Sums over stored cells, for the loss: `Σ c·(p − d)² − d²` (`d = x_u·y_i`) and `Σ c`.
#[derive(Clone, Copy, Default)]
struct CellSums {
    loss: f64,
    confidence: f64,
}

/// One half-sweep: every row of `x` solved against the fixed factors `other`, whose Gram
/// matrix is `gram`. With `cell_sums`, also returns the [`CellSums`] of the new factors,
/// computed while each row's data is still in cache.
#[allow(clippy::too_many_arguments)]
fn solve_side(
    rows: CsrRef,
    other: &[f32],
    gram: &[f32],
    x: &mut [f32],
    reg: f32,
    s: &Solver,
    cell_sums: bool,
    threads: usize,
) -> CellSums {
    let f = gram.len().isqrt();
    let mut a = gram.to_vec();
    (0..f).for_each(|j| a[j * f + j] += reg);
    let mut tasks: Vec<(&mut [f32], CellSums)> = x.chunks_mut(ROWS_PER_TASK * f).map(|c| (c, CellSums::default())).collect();
    par::for_each_chunk_mut(&mut tasks, 1, threads, |t, task| {
        let (chunk, sums) = &mut task[0];
        *sums = solve_rows(rows, t * ROWS_PER_TASK, other, &a, chunk, s, cell_sums);
    });
    // Summed in task order: the total does not depend on the threads.
    tasks.iter().fold(CellSums::default(), |acc, (_, t)| CellSums {
        loss: acc.loss + t.loss,
        confidence: acc.confidence + t.confidence,
    })
}

fma_dispatch!(
    /// Solves rows `first..` of `rows` into the consecutive rows of `x`; `a = YᵀY + λI`.
    fn solve_rows(
        rows: CsrRef<'_>,
        first: usize,
        other: &[f32],
        a: &[f32],
        x: &mut [f32],
        s: &Solver,
        cell_sums: bool,
    ) -> CellSums => solve_rows_generic
);

#[inline(always)]
fn solve_rows_generic<const FMA: bool>(
    rows: CsrRef,
    first: usize,
    other: &[f32],
    a: &[f32],
    x: &mut [f32],
    s: &Solver,
    cell_sums: bool,
) -> CellSums {
    let f = a.len().isqrt();
    let mut scratch = vec![0f32; 3 * f];
    let mut exact = if s.cholesky { vec![0f32; f * f] } else { Vec::new() };
    let mut sums = CellSums::default();
    for (k, xu) in x.chunks_exact_mut(f).enumerate() {
        // The next row's first factor rows load while this row is being solved.
        if let Some(next) = (first + k + 1 < rows.rows).then(|| rows.row_indices(first + k + 1)) {
            next.iter().take(PREFETCH_AHEAD).for_each(|&c| linalg::prefetch(&other[c as usize * f..][..f]));
        }
        let (cols, vals) = rows.row(first + k);
        if cols.is_empty() {
            xu.fill(0.0);
            continue;
        }
        if s.cholesky {
            solve_exact::<FMA>(a, other, cols, vals, s.alpha, xu, &mut exact);
        } else {
            solve_cg::<FMA>(a, other, cols, vals, s, xu, &mut scratch);
        }
        if cell_sums {
            for (&c, &r) in cols.iter().zip(vals) {
                let d = dot::<FMA>(xu, &other[c as usize * f..][..f]) as f64;
                let conf = 1.0 + s.alpha as f64 * r.abs() as f64;
                let p = if r > 0.0 { 1.0 } else { 0.0 };
                sums.loss += conf * (p - d) * (p - d) - d * d;
                sums.confidence += conf;
            }
        }
    }
    sums
}

/// `out += Σ_i (target_i + sign·(c_i − 1)·(y_i·v))·y_i` over the row's entries, with
/// `target_i = c_i·p_i` when `with_target`, else 0: the sparse part of `A·v` or of `b − A·v`.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn add_confidence_terms<const FMA: bool>(
    other: &[f32],
    cols: &[u32],
    vals: &[f32],
    alpha: f32,
    v: &[f32],
    sign: f32,
    with_target: bool,
    out: &mut [f32],
) {
    let f = v.len();
    let row = |c: u32| &other[c as usize * f..][..f];
    let coefficient = |r: f32, d: f32| {
        let conf = 1.0 + alpha * r.abs();
        let target = if with_target && r > 0.0 { conf } else { 0.0 };
        target + sign * (conf - 1.0) * d
    };
    // Four entries at a time: their dot products share one reduction, and `out` is updated
    // once for the four.
    let whole = cols.len() / 4 * 4;
    for k in (0..whole).step_by(4) {
        // The first pass over the row meets its factor rows for the first time.
        if with_target {
            cols.iter().skip(k + PREFETCH_AHEAD).take(4).for_each(|&c| linalg::prefetch(row(c)));
        }
        let ys = [row(cols[k]), row(cols[k + 1]), row(cols[k + 2]), row(cols[k + 3])];
        let d = linalg::dot4::<FMA>(v, ys);
        let t = std::array::from_fn(|j| coefficient(vals[k + j], d[j]));
        linalg::axpy4::<FMA>(t, ys, out);
    }
    for (&c, &r) in cols[whole..].iter().zip(&vals[whole..]) {
        axpy::<FMA>(coefficient(r, dot::<FMA>(row(c), v)), row(c), out);
    }
}

/// `cg_iters` conjugate-gradient steps on the row's system, starting from the current `x`.
#[inline(always)]
fn solve_cg<const FMA: bool>(a: &[f32], other: &[f32], cols: &[u32], vals: &[f32], s: &Solver, x: &mut [f32], scratch: &mut [f32]) {
    let f = x.len();
    let (r, rest) = scratch.split_at_mut(f);
    let (p, ap) = rest.split_at_mut(f);
    // r = b − A·x
    sym_matvec::<FMA>(a, x, r);
    r.iter_mut().for_each(|v| *v = -*v);
    add_confidence_terms::<FMA>(other, cols, vals, s.alpha, x, -1.0, true, r);
    p.copy_from_slice(r);
    let mut rs_old = dot::<FMA>(r, r);
    for _ in 0..s.cg_iters {
        if rs_old < 1e-20 {
            break;
        }
        sym_matvec::<FMA>(a, p, ap);
        add_confidence_terms::<FMA>(other, cols, vals, s.alpha, p, 1.0, false, ap);
        let p_ap = dot::<FMA>(p, ap);
        // Only a singular system (λ = 0) gets here with pᵀAp ≤ 0 (or NaN): stop rather than divide.
        if p_ap.partial_cmp(&0.0) != Some(std::cmp::Ordering::Greater) {
            break;
        }
        let step = rs_old / p_ap;
        axpy::<FMA>(step, p, x);
        axpy::<FMA>(-step, ap, r);
        let rs_new = dot::<FMA>(r, r);
        let beta = rs_new / rs_old;
        p.iter_mut().zip(r.iter()).for_each(|(pj, rj)| *pj = linalg::fmadd::<FMA>(beta, *pj, *rj));
        rs_old = rs_new;
    }
}

/// Builds the row's system explicitly and solves it by Cholesky (in f64). A system that is
/// not positive definite (possible only with λ = 0) leaves `x` unchanged.
#[inline(always)]
fn solve_exact<const FMA: bool>(a: &[f32], other: &[f32], cols: &[u32], vals: &[f32], alpha: f32, x: &mut [f32], m: &mut [f32]) {
    let f = x.len();
    m.copy_from_slice(a);
    let rows = cols.iter().zip(vals).map(|(&c, &r)| (&other[c as usize * f..][..f], alpha * r.abs()));
    linalg::add_outer_products::<FMA>(m, f, rows);
    let mut b = vec![0f32; f];
    for (&c, &r) in cols.iter().zip(vals).filter(|(_, &r)| r > 0.0) {
        axpy::<FMA>(1.0 + alpha * r, &other[c as usize * f..][..f], &mut b);
    }
    let mut m64: Vec<f64> = m.iter().map(|&v| v as f64).collect();
    let mut b64: Vec<f64> = b.iter().map(|&v| v as f64).collect();
    if cholesky::solve_in_place(&mut m64, &mut b64) {
        x.iter_mut().zip(&b64).for_each(|(xj, bj)| *xj = *bj as f32);
    }
}

/// The implicit-ALS objective divided by the total confidence, from the two Gram matrices
/// (`Σ_all cells (x_u·y_i)² = ⟨XᵀX, YᵀY⟩`) and the sums over the stored cells.
fn training_loss(cells: CellSums, user_gram: &[f32], item_gram: &[f32], ui: CsrRef, reg: f32) -> f64 {
    let f = user_gram.len().isqrt();
    let all_cells: f64 = user_gram.iter().zip(item_gram).map(|(a, b)| *a as f64 * *b as f64).sum();
    let trace = |g: &[f32]| (0..f).map(|j| g[j * f + j] as f64).sum::<f64>();
    let norms = reg as f64 * (trace(user_gram) + trace(item_gram));
    let unstored = (ui.rows * ui.cols - ui.nnz()) as f64;
    (all_cells + cells.loss + norms) / (cells.confidence + unstored)
}
