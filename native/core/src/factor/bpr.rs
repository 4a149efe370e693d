//! Bayesian Personalised Ranking (Rendle, Freudenthaler, Gantner & Schmidt-Thieme, 2009):
//! learns factors such that a user's items score higher than items they have not interacted
//! with, by SGD on the log-likelihood `ln σ(x_u·(y_i − y_j))` of sampled triples (user,
//! positive item i, negative item j).
//!
//! - Positives are the stored cells with a value > 0 (the values themselves are ignored); an
//!   epoch draws as many (user, positive) pairs as there are positives, uniformly.
//! - Negatives are drawn uniformly from all items and redrawn while they are one of the
//!   user's positives (binary search in the sorted CSR row).
//! - Item bias: the item factors carry one extra column, the bias, and the user factors a
//!   matching column fixed at 1, so `x_u·y_i` is the full score. [`bpr_fit`] therefore returns
//!   `factors + 1` columns.
//! - Hogwild (Niu et al. 2011): the workers update the shared factors without locks; a lost
//!   update now and then does not hurt SGD. The factors are stored as atomics with relaxed
//!   loads and stores (plain moves on x86), which makes the races defined behaviour. With one
//!   thread the fit is deterministic for a seed; with several it is not (update order varies).

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Instant;

use super::rng::SplitMix64;
use super::{check_fit_input, check_non_negative, report_progress, Csr, CsrRef, Factors};
use crate::error::{Error, Result};
use crate::par;

/// Settings of [`bpr_fit`].
#[derive(Clone, Debug)]
pub struct BprOptions {
    pub factors: usize,
    pub learning_rate: f32,
    pub regularization: f32,
    /// Epochs: each draws as many samples as there are positives.
    pub iterations: usize,
    pub seed: u64,
    /// 0 = every core.
    pub threads: usize,
    /// Print one line per epoch (time, loss) on stderr.
    pub verbose: bool,
}

impl Default for BprOptions {
    /// The defaults of the SPEC (M9).
    fn default() -> Self {
        BprOptions {
            factors: 64,
            learning_rate: 0.01,
            regularization: 0.01,
            iterations: 100,
            seed: 0,
            threads: 0,
            verbose: false,
        }
    }
}

/// Redraws of a negative before the sample is skipped (a user who has almost every item).
const NEGATIVE_TRIES: usize = 32;

/// Fits BPR to a users × items matrix. Factors start uniform in `(−0.5, 0.5)/factors`
/// (item biases at 0, user bias columns at 1); users and items without positives keep zero
/// factors. `loss` holds, per epoch, the mean of `−ln σ(x_u·(y_i − y_j))` over its samples.
pub fn bpr_fit(ui: CsrRef, o: &BprOptions) -> Result<Factors> {
    check_fit_input(&ui, o.factors)?;
    check_non_negative(o.regularization, "regularization")?;
    if !(o.learning_rate.is_finite() && o.learning_rate > 0.0) {
        return Err(Error::invalid(format!("learning_rate must be a finite number > 0, got {}", o.learning_rate)));
    }
    let positives = positives(ui);
    if positives.indices.is_empty() {
        return Err(Error::new(crate::error::Code::EmptyInput, "no interaction value is > 0: BPR has no positives"));
    }
    let width = o.factors + 1;
    let (mut user, mut item) = initial_factors(&positives, o.factors, o.seed);
    let owner: Vec<u32> = (0..positives.rows)
        .flat_map(|u| std::iter::repeat_n(u as u32, positives.as_ref().row_indices(u).len()))
        .collect();

    let threads = par::num_threads(o.threads);
    let start = Instant::now();
    let mut loss = Vec::with_capacity(o.iterations);
    {
        let shared = Shared { user: as_atomic(&mut user), item: as_atomic(&mut item), width };
        let data = Data { positives: positives.as_ref(), owner: &owner };
        for epoch in 0..o.iterations {
            let samples = owner.len();
            let stats = par::map_dynamic(threads, threads, |w, _| {
                let count = samples / threads + usize::from(w < samples % threads);
                let mut rng = SplitMix64::stream(o.seed, (epoch * threads + w) as u64 + 1);
                run_samples(&shared, &data, count, &mut rng, o)
            });
            let (total, used) = stats.iter().fold((0.0, 0), |(l, n), s| (l + s.0, n + s.1));
            let value = if used > 0 { total / used as f64 } else { 0.0 };
            loss.push(value);
            if o.verbose {
                report_progress("BPR epoch", epoch, o.iterations, value, start);
            }
        }
    }
    Ok(Factors { user, item, factors: width, loss })
}

/// The stored cells with a value > 0.
fn positives(ui: CsrRef) -> Csr {
    let mut indptr = Vec::with_capacity(ui.rows + 1);
    let mut indices = Vec::with_capacity(ui.nnz());
    indptr.push(0u64);
    for u in 0..ui.rows {
        let (cols, vals) = ui.row(u);
        indices.extend(cols.iter().zip(vals).filter(|(_, &v)| v > 0.0).map(|(&c, _)| c));
        indptr.push(indices.len() as u64);
    }
    let data = vec![1f32; indices.len()];
    Csr { indptr, indices, data, rows: ui.rows, cols: ui.cols }
}

fn initial_factors(positives: &Csr, factors: usize, seed: u64) -> (Vec<f32>, Vec<f32>) {
    let width = factors + 1;
    let mut rng = SplitMix64::new(seed);
    let mut random_row = |row: &mut [f32]| {
        row[..factors].iter_mut().for_each(|v| *v = (rng.next_f32() - 0.5) / factors as f32);
    };
    let mut user = vec![0f32; positives.rows * width];
    for (u, row) in user.chunks_exact_mut(width).enumerate() {
        if positives.indptr[u] < positives.indptr[u + 1] {
            random_row(row);
        }
        row[factors] = 1.0;
    }
    let mut item_seen = vec![false; positives.cols];
    positives.indices.iter().for_each(|&i| item_seen[i as usize] = true);
    let mut item = vec![0f32; positives.cols * width];
    for (row, _) in item.chunks_exact_mut(width).zip(&item_seen).filter(|(_, &seen)| seen) {
        random_row(row);
    }
    (user, item)
}

/// Views factors as atomics for lock-free sharing between the workers.
fn as_atomic(v: &mut [f32]) -> &[AtomicU32] {
    // SAFETY: AtomicU32 has the size and alignment of u32, hence of f32; the exclusive borrow
    // guarantees no other access while the atomic view lives.
    unsafe { std::slice::from_raw_parts(v.as_mut_ptr() as *const AtomicU32, v.len()) }
}

/// The factor matrices, shared by the Hogwild workers.
struct Shared<'a> {
    user: &'a [AtomicU32],
    item: &'a [AtomicU32],
    width: usize,
}

impl Shared<'_> {
    fn load(row: &[AtomicU32], out: &mut [f32]) {
        out.iter_mut().zip(row).for_each(|(o, a)| *o = f32::from_bits(a.load(Ordering::Relaxed)));
    }

    fn store(row: &[AtomicU32], values: &[f32]) {
        row.iter().zip(values).for_each(|(a, v)| a.store(v.to_bits(), Ordering::Relaxed));
    }

    fn row(m: &[AtomicU32], r: usize, width: usize) -> &[AtomicU32] {
        &m[r * width..(r + 1) * width]
    }
}

/// The positives and, for each of them, its user.
struct Data<'a> {
    positives: CsrRef<'a>,
    owner: &'a [u32],
}

/// `count` SGD steps on random triples; returns (Σ −ln σ(x_uij), steps done).
fn run_samples(shared: &Shared, data: &Data, count: usize, rng: &mut SplitMix64, o: &BprOptions) -> (f64, usize) {
    let width = shared.width;
    let (lr, reg) = (o.learning_rate, o.regularization);
    let n_items = data.positives.cols;
    let mut x = vec![0f32; width];
    let mut yi = vec![0f32; width];
    let mut yj = vec![0f32; width];
    let (mut total, mut used) = (0f64, 0usize);
    for _ in 0..count {
        let k = rng.below(data.owner.len());
        let u = data.owner[k] as usize;
        let i = data.positives.indices[k] as usize;
        let seen = data.positives.row_indices(u);
        let Some(j) = (0..NEGATIVE_TRIES)
            .map(|_| rng.below(n_items))
            .find(|&j| seen.binary_search(&(j as u32)).is_err())
        else {
            continue;
        };
        let (xr, ir, jr) = (Shared::row(shared.user, u, width), Shared::row(shared.item, i, width), Shared::row(shared.item, j, width));
        Shared::load(xr, &mut x);
        Shared::load(ir, &mut yi);
        Shared::load(jr, &mut yj);
        let score: f32 = x.iter().zip(yi.iter().zip(&yj)).map(|(a, (b, c))| a * (b - c)).sum();
        // z = σ(−x_uij), the gradient scale of ln σ(x_uij).
        let z = 1.0 / (1.0 + score.exp());
        total += softplus(-score as f64);
        used += 1;
        // The last column is the bias: fixed at 1 for users, updated like a factor for items.
        for f in 0..width {
            let (xf, df) = (x[f], yi[f] - yj[f]);
            if f + 1 < width {
                x[f] += lr * (z * df - reg * xf);
            }
            yi[f] += lr * (z * xf - reg * yi[f]);
            yj[f] += lr * (-z * xf - reg * yj[f]);
        }
        Shared::store(xr, &x);
        Shared::store(ir, &yi);
        Shared::store(jr, &yj);
    }
    (total, used)
}

/// `ln(1 + eᵗ)` without overflow.
fn softplus(t: f64) -> f64 {
    if t > 0.0 {
        t + (-t).exp().ln_1p()
    } else {
        t.exp().ln_1p()
    }
}
