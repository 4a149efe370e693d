//! Implicit-feedback matrix factorisation: a user × item matrix of interactions (CSR) becomes
//! one row of `factors` numbers per user and per item, and a user's score for an item is the
//! dot product of the two rows.
//!
//! - [`als`]: alternating least squares with confidence weights (Hu, Koren & Volinsky 2008),
//!   conjugate-gradient or exact Cholesky solves;
//! - [`bpr`]: Bayesian Personalised Ranking (Rendle et al. 2009), Hogwild parallel SGD;
//! - [`topk`]: recommendations (top-n scores per user), similar items, full score matrices.

pub mod als;
pub mod bpr;
pub mod csr;
pub mod disk;
mod rng;
pub mod topk;

pub use als::{als_fit, als_fit_transposed, als_user_vector, item_gram, AlsOptions};
pub use bpr::{bpr_fit, BprOptions};
pub use csr::{Csr, CsrRef};
pub use topk::{diversify, quantize_items, score_potential, similar_items, top_k, QuantizedItems};

use crate::error::{Error, Result};

/// A fitted model: row-major factor matrices, users × `factors` and items × `factors`.
#[derive(Clone, Debug, PartialEq)]
pub struct Factors {
    pub user: Vec<f32>,
    pub item: Vec<f32>,
    pub factors: usize,
    /// The training loss after each iteration (the model's own objective; see each model).
    pub loss: Vec<f64>,
}

/// The number of rows of a row-major factor matrix, checking its shape.
fn factor_rows(matrix: &[f32], factors: usize, name: &str) -> Result<usize> {
    if factors == 0 || !matrix.len().is_multiple_of(factors) {
        return Err(Error::invalid(format!(
            "{name} has {} values, not a multiple of factors = {factors}",
            matrix.len()
        )));
    }
    Ok(matrix.len() / factors)
}

/// Checks the fit inputs shared by ALS and BPR: a valid matrix with finite values, something
/// to learn from, at least one factor.
fn check_fit_input(ui: &CsrRef, factors: usize) -> Result<()> {
    ui.validate()?;
    if factors == 0 {
        return Err(Error::invalid("factors must be at least 1, got 0"));
    }
    if ui.nnz() == 0 {
        return Err(Error::new(
            crate::error::Code::EmptyInput,
            format!("the {} × {} interaction matrix has no entries", ui.rows, ui.cols),
        ));
    }
    if let Some(v) = ui.data.iter().find(|v| !v.is_finite()) {
        return Err(Error::invalid(format!("interaction values must be finite, got {v}")));
    }
    Ok(())
}

/// The verbose line of one iteration, on stderr: `ALS iteration 3/15: loss 0.012345, 1.234 s`
/// (seconds since the fit started).
fn report_progress(what: &str, done: usize, total: usize, loss: f64, start: std::time::Instant) {
    eprintln!("{what} {}/{total}: loss {loss:.6}, {:.3} s", done + 1, start.elapsed().as_secs_f64());
}

/// Checks that a hyper-parameter is a finite number ≥ 0.
fn check_non_negative(value: f32, name: &str) -> Result<()> {
    if !(value.is_finite() && value >= 0.0) {
        return Err(Error::invalid(format!("{name} must be a finite number >= 0, got {value}")));
    }
    Ok(())
}
