//! Bayesian Personalised Ranking (Rendle, Freudenthaler, Gantner & Schmidt-Thieme, 2009):
//! learns factors such that a user's items score higher than items they have not interacted
//! with, by SGD on the log-likelihood `ln σ(x_u·(y_i − y_j))` of sampled triples (user,
//! positive item i, negative item j).
//!
//! - Positives are the stored cells with a value > 0 (the values themselves are ignored). An
//!   epoch visits the users in a fresh random order and takes one step per positive of each,
//!   so a user's factors and row stay in cache during its steps (sampling (user, positive)
//!   pairs at random instead costs several cache misses per step, for the same expectation).
//! - Negatives are drawn uniformly from all items and redrawn while they are one of the
//!   user's positives (binary search in the sorted CSR row).
//! - Item bias: the item factors carry one extra column, the bias, and the user factors a
//!   matching column fixed at 1, so `x_u·y_i` is the full score. [`bpr_fit`] therefore returns
//!   `factors + 1` columns.
//! - Hogwild (Niu et al. 2011): the workers take blocks of users (each user's factors belong
//!   to one worker) and update the shared item factors without locks; a lost update now and
//!   then does not hurt SGD. Item factors are accessed as atomics with relaxed loads and stores
//!   (plain moves on x86), which makes the races defined behaviour. With one thread the fit is
//!   deterministic for a seed; with several it is not (the interleaving varies).

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Instant;

use super::rng::SplitMix64;
use super::{check_fit_input, check_non_negative, report_progress, Csr, CsrRef, Factors};
use crate::error::{Error, Result};
use crate::linalg::{self, fma_dispatch};
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

/// Redraws of a negative before the step is skipped (a user who has almost every item).
const NEGATIVE_TRIES: usize = 32;
/// Users per parallel task.
const USERS_PER_TASK: usize = 256;

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
    let mut order: Vec<u32> = (0..positives.rows as u32).filter(|&u| !positives.as_ref().row_indices(u as usize).is_empty()).collect();

    let start = Instant::now();
    let mut loss = Vec::with_capacity(o.iterations);
    {
        let shared = Shared { user: as_atomic(&mut user), item: as_atomic(&mut item), width };
        for epoch in 0..o.iterations {
            let epoch_seed = o.seed ^ (epoch as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15);
            shuffle(&mut order, &mut SplitMix64::stream(epoch_seed, 0));
            let blocks: Vec<&[u32]> = order.chunks(USERS_PER_TASK).collect();
            let stats = par::map_dynamic(blocks.len(), o.threads, |t, _| {
                let mut rng = SplitMix64::stream(epoch_seed, t as u64 + 1);
                run_users(&shared, positives.as_ref(), blocks[t], &mut rng, o)
            });
            let (total, steps) = stats.iter().fold((0.0, 0), |(l, n), s| (l + s.0, n + s.1));
            let value = if steps > 0 { total / steps as f64 } else { 0.0 };
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

/// Fisher–Yates.
fn shuffle(v: &mut [u32], rng: &mut SplitMix64) {
    for k in (1..v.len()).rev() {
        v.swap(k, rng.below(k + 1));
    }
}

fma_dispatch!(
    /// One SGD step per positive of each of `users`; returns (Σ −ln σ(x_uij), steps done).
    fn run_users(shared: &Shared, positives: CsrRef<'_>, users: &[u32], rng: &mut SplitMix64, o: &BprOptions) -> (f64, usize) => run_users_generic
);

#[inline(always)]
fn run_users_generic<const FMA: bool>(shared: &Shared, positives: CsrRef, users: &[u32], rng: &mut SplitMix64, o: &BprOptions) -> (f64, usize) {
    let width = shared.width;
    let factors = width - 1;
    let (lr, reg) = (o.learning_rate, o.regularization);
    let mut x = vec![0f32; width];
    let mut yi = vec![0f32; width];
    let mut yj = vec![0f32; width];
    let (mut total, mut steps) = (0f64, 0usize);
    for (k, &u) in users.iter().enumerate() {
        if let Some(&next) = users.get(k + 1) {
            linalg::prefetch(Shared::row(shared.user, next as usize, width));
            linalg::prefetch(positives.row_indices(next as usize));
        }
        let seen = positives.row_indices(u as usize);
        // Only this task updates this user: keep its factors local until its steps are done.
        let user_row = Shared::row(shared.user, u as usize, width);
        Shared::load(user_row, &mut x);
        // Each step's negative is drawn one step ahead, so that its row can be prefetched.
        let mut next_negative = draw_negative(seen, positives.cols, rng);
        for (step, &i) in seen.iter().enumerate() {
            let negative = next_negative;
            next_negative = draw_negative(seen, positives.cols, rng);
            for ahead in seen.get(step + 1).into_iter().chain(next_negative.as_ref()) {
                linalg::prefetch(Shared::row(shared.item, *ahead as usize, width));
            }
            let Some(j) = negative else { continue };
            let (ir, jr) = (Shared::row(shared.item, i as usize, width), Shared::row(shared.item, j as usize, width));
            Shared::load(ir, &mut yi);
            Shared::load(jr, &mut yj);
            let score = linalg::dot::<FMA>(&x, &yi) - linalg::dot::<FMA>(&x, &yj);
            let e = score.exp();
            // z = σ(−x_uij), the gradient scale of ln σ(x_uij).
            let z = 1.0 / (1.0 + e);
            total += negative_log_sigmoid(score, e) as f64;
            steps += 1;
            let rows = x[..factors].iter_mut().zip(&mut yi[..factors]).zip(&mut yj[..factors]);
            for ((xf, yif), yjf) in rows {
                let (xv, iv, jv) = (*xf, *yif, *yjf);
                *xf += lr * (z * (iv - jv) - reg * xv);
                *yif += lr * (z * xv - reg * iv);
                *yjf -= lr * (z * xv + reg * jv);
            }
            // The bias column: the user's stays 1, the items' learn like a factor.
            yi[factors] += lr * (z - reg * yi[factors]);
            yj[factors] -= lr * (z + reg * yj[factors]);
            Shared::store(ir, &yi);
            Shared::store(jr, &yj);
        }
        Shared::store(user_row, &x);
    }
    (total, steps)
}

/// A uniformly drawn item that is not in `seen`, or None after [`NEGATIVE_TRIES`] draws.
fn draw_negative(seen: &[u32], n_items: usize, rng: &mut SplitMix64) -> Option<u32> {
    (0..NEGATIVE_TRIES).map(|_| rng.below(n_items) as u32).find(|j| seen.binary_search(j).is_err())
}

/// `−ln σ(x) = ln(1 + e⁻ˣ)` given `e = eˣ`, without overflow (for x > 15 it is e⁻ˣ to f32
/// precision, and there `eˣ` may be infinite).
fn negative_log_sigmoid(x: f32, e: f32) -> f32 {
    if x > 15.0 {
        (-x).exp()
    } else {
        e.ln_1p() - x
    }
}
