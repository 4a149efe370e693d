//! PCA against references computed here by other means: the covariance matrix summed naively
//! and diagonalised by cyclic Jacobi rotations (a different eigen-algorithm from the library's
//! tridiagonal QR), hand-computed cases, and the exact solver as the yardstick of the
//! randomized one on low-rank data.

use rusket_core::error::Code;
use rusket_core::linalg::pca::{pca_fit, pca_transform, symmetric_eigen, Pca, PcaOptions, Solver};

/// Deterministic pseudo-random numbers in [-1, 1) (an LCG: independent of the library's noise).
struct Lcg(u64);
impl Lcg {
    fn next(&mut self) -> f64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (self.0 >> 11) as f64 / (1u64 << 52) as f64 - 1.0
    }
    fn fill(&mut self, n: usize) -> Vec<f64> {
        (0..n).map(|_| self.next()).collect()
    }
}

fn options(k: usize, solver: Solver) -> PcaOptions {
    PcaOptions { n_components: k, solver, seed: 7, threads: 2 }
}

/// Covariance (`ddof = 1`) by the textbook formula.
fn naive_covariance(x: &[f64], cols: usize) -> Vec<f64> {
    let rows = x.len() / cols;
    let mean: Vec<f64> = (0..cols).map(|j| (0..rows).map(|r| x[r * cols + j]).sum::<f64>() / rows as f64).collect();
    let mut c = vec![0.0; cols * cols];
    for i in 0..cols {
        for j in 0..cols {
            c[i * cols + j] = (0..rows).map(|r| (x[r * cols + i] - mean[i]) * (x[r * cols + j] - mean[j])).sum::<f64>() / (rows - 1) as f64;
        }
    }
    c
}

/// Cyclic Jacobi: eigenvalues (decreasing) and eigenvectors as rows.
fn jacobi(mut a: Vec<f64>, n: usize) -> (Vec<f64>, Vec<f64>) {
    let mut v = vec![0.0; n * n];
    (0..n).for_each(|i| v[i * n + i] = 1.0);
    for _sweep in 0..100 {
        let off: f64 = (0..n).flat_map(|i| (0..n).filter(move |&j| j != i).map(move |j| (i, j))).map(|(i, j)| a[i * n + j].powi(2)).sum();
        if off < 1e-30 {
            break;
        }
        for p in 0..n {
            for q in p + 1..n {
                let apq = a[p * n + q];
                if apq.abs() < 1e-300 {
                    continue;
                }
                let theta = (a[q * n + q] - a[p * n + p]) / (2.0 * apq);
                let t = theta.signum() / (theta.abs() + (theta * theta + 1.0).sqrt());
                let c = 1.0 / (t * t + 1.0).sqrt();
                let s = t * c;
                for k in 0..n {
                    let (akp, akq) = (a[k * n + p], a[k * n + q]);
                    a[k * n + p] = c * akp - s * akq;
                    a[k * n + q] = s * akp + c * akq;
                }
                for k in 0..n {
                    let (apk, aqk) = (a[p * n + k], a[q * n + k]);
                    a[p * n + k] = c * apk - s * aqk;
                    a[q * n + k] = s * apk + c * aqk;
                }
                for k in 0..n {
                    let (vkp, vkq) = (v[k * n + p], v[k * n + q]);
                    v[k * n + p] = c * vkp - s * vkq;
                    v[k * n + q] = s * vkp + c * vkq;
                }
            }
        }
    }
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&i, &j| a[j * n + j].total_cmp(&a[i * n + i]));
    let values = order.iter().map(|&i| a[i * n + i]).collect();
    let vectors = order.iter().flat_map(|&i| (0..n).map(move |k| (k, i))).map(|(k, i)| v[k * n + i]).collect();
    (values, vectors)
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// The SPEC's sign rule: the entry of largest |value| (first on ties) is positive.
fn assert_sign_rule(components: &[f64], cols: usize) {
    for row in components.chunks_exact(cols) {
        let top = (0..cols).fold(0, |b, j| if row[j].abs() > row[b].abs() { j } else { b });
        assert!(row[top] > 0.0, "largest entry of {row:?} is not positive");
    }
}

/// Checks `a·v = λ·v` for each pair, orthonormal vectors, decreasing values.
fn assert_eigenpairs(a: &[f64], n: usize, values: &[f64], vectors: &[f64]) {
    let scale = a.iter().map(|x| x.abs()).fold(1e-300, f64::max);
    for (i, (&l, v)) in values.iter().zip(vectors.chunks_exact(n)).enumerate() {
        for r in 0..n {
            let av = dot(&a[r * n..(r + 1) * n], v);
            assert!((av - l * v[r]).abs() < 1e-10 * scale * n as f64, "residual of pair {i} at row {r}: {}", av - l * v[r]);
        }
        for (j, w) in vectors.chunks_exact(n).enumerate() {
            let want = if i == j { 1.0 } else { 0.0 };
            assert!((dot(v, w) - want).abs() < 1e-10, "vectors {i}, {j} not orthonormal");
        }
    }
    assert!(values.windows(2).all(|w| w[0] >= w[1]), "values not decreasing: {values:?}");
}

fn random_symmetric(n: usize, rng: &mut Lcg) -> Vec<f64> {
    let m = rng.fill(n * n);
    (0..n * n).map(|ij| (m[ij] + m[ij % n * n + ij / n]) / 2.0).collect()
}

#[test]
fn eigen_matches_jacobi_on_random_symmetric_matrices() {
    let mut rng = Lcg(1);
    for n in [1, 2, 3, 5, 17, 64, 120] {
        let a = random_symmetric(n, &mut rng);
        let (values, vectors) = symmetric_eigen(a.clone(), n);
        assert_eigenpairs(&a, n, &values, &vectors);
        let (want, want_vectors) = jacobi(a.clone(), n);
        for i in 0..n {
            assert!((values[i] - want[i]).abs() < 1e-11 * n as f64, "n = {n}, value {i}: {} vs {}", values[i], want[i]);
            let v = &vectors[i * n..(i + 1) * n];
            let w = &want_vectors[i * n..(i + 1) * n];
            assert!((dot(v, w).abs() - 1.0).abs() < 1e-8, "n = {n}, vector {i} differs from Jacobi's");
        }
    }
}

#[test]
fn eigen_of_degenerate_matrices() {
    let n = 6;
    let identity: Vec<f64> = (0..n * n).map(|ij| if ij / n == ij % n { 1.0 } else { 0.0 }).collect();
    let zero = vec![0.0; n * n];
    // Repeated eigenvalues: diag(3, 1, 3, 1, 0, 3).
    let diag = [3.0, 1.0, 3.0, 1.0, 0.0, 3.0];
    let repeated: Vec<f64> = (0..n * n).map(|ij| if ij / n == ij % n { diag[ij / n] } else { 0.0 }).collect();
    // Rank one: u·uᵀ with |u|² = 91 → eigenvalues 91, 0, 0, …
    let u = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0];
    let rank_one: Vec<f64> = (0..n * n).map(|ij| u[ij / n] * u[ij % n]).collect();
    for (a, want) in [
        (identity, vec![1.0; n]),
        (zero, vec![0.0; n]),
        (repeated, vec![3.0, 3.0, 3.0, 1.0, 1.0, 0.0]),
        (rank_one, vec![91.0, 0.0, 0.0, 0.0, 0.0, 0.0]),
    ] {
        let (values, vectors) = symmetric_eigen(a.clone(), n);
        assert_eigenpairs(&a, n, &values, &vectors);
        for (got, want) in values.iter().zip(&want) {
            assert!((got - want).abs() < 1e-12 * 91.0, "{values:?} vs {want:?}");
        }
    }
}

/// Random rows around a mean of 100, columns of different spread correlated through a shared
/// term (the offset mean tests that centring loses no precision).
fn random_data(rows: usize, cols: usize, rng: &mut Lcg) -> Vec<f64> {
    let mut x = rng.fill(rows * cols);
    for r in 0..rows {
        let shared = x[r * cols];
        for j in 0..cols {
            x[r * cols + j] = 100.0 + x[r * cols + j] * (1.0 + j as f64) + 0.5 * shared * j as f64;
        }
    }
    x
}

fn assert_matches_reference(p: &Pca, x: &[f64], cols: usize, k: usize) {
    let rows = x.len() / cols;
    let cov = naive_covariance(x, cols);
    let (values, vectors) = jacobi(cov.clone(), cols);
    let total: f64 = (0..cols).map(|j| cov[j * cols + j]).sum();
    for i in 0..k {
        let rel = |a: f64, b: f64| (a - b).abs() / b.abs().max(1e-12);
        assert!(rel(p.explained_variance[i], values[i]) < 1e-9, "variance {i}: {} vs {}", p.explained_variance[i], values[i]);
        assert!(rel(p.explained_variance_ratio[i], values[i] / total) < 1e-9);
        assert!(rel(p.singular_values[i], (values[i] * (rows - 1) as f64).sqrt()) < 1e-9);
        let got = &p.components[i * cols..(i + 1) * cols];
        let want = &vectors[i * cols..(i + 1) * cols];
        let sign = if dot(got, want) < 0.0 { -1.0 } else { 1.0 };
        for j in 0..cols {
            assert!((got[j] - sign * want[j]).abs() < 1e-8, "component {i}, entry {j}: {} vs {}", got[j], sign * want[j]);
        }
    }
    assert_sign_rule(&p.components, cols);
}

#[test]
fn full_pca_equals_the_eigendecomposition_of_the_covariance() {
    let mut rng = Lcg(2);
    let (rows, cols) = (700, 13);
    let x = random_data(rows, cols, &mut rng);
    for k in [1, 3, cols] {
        let p = pca_fit(&x, cols, &options(k, Solver::Auto)).unwrap();
        assert_eq!(p.solver, Solver::Full);
        assert_eq!(p.components.len(), k * cols);
        assert_matches_reference(&p, &x, cols, k);
    }
    let all = pca_fit(&x, cols, &options(cols, Solver::Full)).unwrap();
    assert!((all.explained_variance_ratio.iter().sum::<f64>() - 1.0).abs() < 1e-12);
    let mean: Vec<f64> = (0..cols).map(|j| (0..rows).map(|r| x[r * cols + j]).sum::<f64>() / rows as f64).collect();
    for (a, b) in all.mean.iter().zip(&mean) {
        assert!((a - b).abs() < 1e-10);
    }
}

#[test]
fn points_on_a_line_have_one_component() {
    // (t, 2t) for t = 0..5: direction (1, 2)/√5, variance of t·√5 = 3.5·5 = 17.5.
    let x: Vec<f64> = (0..6).flat_map(|t| [t as f64, 2.0 * t as f64]).collect();
    let p = pca_fit(&x, 2, &options(2, Solver::Full)).unwrap();
    let s = 5f64.sqrt();
    assert!((p.components[0] - 1.0 / s).abs() < 1e-12 && (p.components[1] - 2.0 / s).abs() < 1e-12);
    assert!((p.explained_variance[0] - 17.5).abs() < 1e-12);
    assert!(p.explained_variance[1].abs() < 1e-12);
    assert!((p.explained_variance_ratio[0] - 1.0).abs() < 1e-12);
    // The sign rule flips (−2, 1)/√5 (largest entry −2) to (2, −1)/√5.
    assert!((p.components[2] - 2.0 / s).abs() < 1e-12 && (p.components[3] + 1.0 / s).abs() < 1e-12);
    // Projection of (5, 10): centred (2.5, 5) · (1, 2)/√5 = 12.5/√5.
    let t = pca_transform(&[5.0, 10.0], &p.mean, &p.components[..2], 1).unwrap();
    assert!((t[0] - 12.5 / s).abs() < 1e-12);
}

#[test]
fn transform_is_the_centred_projection() {
    let mut rng = Lcg(3);
    let cols = 9;
    let x = random_data(400, cols, &mut rng);
    let p = pca_fit(&x, cols, &options(4, Solver::Full)).unwrap();
    let out = pca_transform(&x, &p.mean, &p.components, 2).unwrap();
    assert_eq!(out.len(), 400 * 4);
    for r in 0..400 {
        let centred: Vec<f64> = (0..cols).map(|j| x[r * cols + j] - p.mean[j]).collect();
        for i in 0..4 {
            let want = dot(&centred, &p.components[i * cols..(i + 1) * cols]);
            assert!((out[r * 4 + i] - want).abs() < 1e-9 * (1.0 + want.abs()));
        }
    }
    // The scores of each component have that component's variance.
    for i in 0..4 {
        let var = (0..400).map(|r| out[r * 4 + i].powi(2)).sum::<f64>() / 399.0;
        assert!((var - p.explained_variance[i]).abs() < 1e-9 * p.explained_variance[i]);
    }
}

/// `rows × cols` data of rank `rank` (plus `noise`), with well separated singular values.
fn low_rank(rows: usize, cols: usize, rank: usize, noise: f64, rng: &mut Lcg) -> Vec<f64> {
    let scores = rng.fill(rows * rank);
    let loadings = rng.fill(rank * cols);
    let mut x = rng.fill(rows * cols);
    for r in 0..rows {
        for j in 0..cols {
            let signal: f64 = (0..rank).map(|i| scores[r * rank + i] * loadings[i * cols + j] * (rank - i) as f64 * 3.0).sum();
            x[r * cols + j] = 5.0 + signal + noise * x[r * cols + j];
        }
    }
    x
}

#[test]
fn randomized_equals_full_on_low_rank_wide_data() {
    let mut rng = Lcg(4);
    let (rows, cols) = (300, 640);
    for noise in [0.0, 1e-3] {
        let x = low_rank(rows, cols, 6, noise, &mut rng);
        let fast = pca_fit(&x, cols, &options(3, Solver::Auto)).unwrap();
        assert_eq!(fast.solver, Solver::Randomized, "wide data goes to the randomized solver");
        let exact = pca_fit(&x, cols, &options(3, Solver::Full)).unwrap();
        for i in 0..3 {
            let rel = (fast.explained_variance[i] - exact.explained_variance[i]).abs() / exact.explained_variance[i];
            assert!(rel < 1e-9, "noise {noise}, variance {i}: {} vs {}", fast.explained_variance[i], exact.explained_variance[i]);
            assert!((fast.explained_variance_ratio[i] - exact.explained_variance_ratio[i]).abs() < 1e-9);
            for j in 0..cols {
                assert!((fast.components[i * cols + j] - exact.components[i * cols + j]).abs() < 1e-7);
            }
        }
        assert_sign_rule(&fast.components, cols);
    }
}

#[test]
fn randomized_on_exactly_low_rank_data_asking_past_the_rank() {
    // Rank 2, 5 components: the last three have variance 0 and orthonormal directions.
    let mut rng = Lcg(5);
    let cols = 40;
    let x = low_rank(60, cols, 2, 0.0, &mut rng);
    let p = pca_fit(&x, cols, &options(5, Solver::Randomized)).unwrap();
    let exact = pca_fit(&x, cols, &options(2, Solver::Full)).unwrap();
    for i in 0..2 {
        assert!((p.explained_variance[i] - exact.explained_variance[i]).abs() < 1e-9 * exact.explained_variance[i]);
    }
    for i in 2..5 {
        assert!(p.explained_variance[i] < 1e-12 * p.explained_variance[0]);
    }
    for i in 0..5 {
        for j in 0..5 {
            let want = if i == j { 1.0 } else { 0.0 };
            assert!((dot(&p.components[i * cols..(i + 1) * cols], &p.components[j * cols..(j + 1) * cols]) - want).abs() < 1e-9);
        }
    }
}

#[test]
fn threads_and_input_precision_do_not_change_the_result() {
    let mut rng = Lcg(6);
    let cols = 21;
    // Values exactly representable in f32, so both inputs hold the same numbers.
    let x: Vec<f64> = random_data(9000, cols, &mut rng).iter().map(|&v| v as f32 as f64).collect();
    let x32: Vec<f32> = x.iter().map(|&v| v as f32).collect();
    let one = pca_fit(&x, cols, &PcaOptions { threads: 1, ..options(3, Solver::Full) }).unwrap();
    let many = pca_fit(&x, cols, &PcaOptions { threads: 3, ..options(3, Solver::Full) }).unwrap();
    let single = pca_fit(&x32, cols, &PcaOptions { threads: 2, ..options(3, Solver::Full) }).unwrap();
    assert_eq!(one, many);
    assert_eq!(one, single);
    assert_eq!(pca_transform(&x, &one.mean, &one.components, 1).unwrap(), pca_transform(&x32, &one.mean, &one.components, 3).unwrap());
}

#[test]
fn bad_inputs_are_errors_with_codes() {
    let x = vec![1.0f64, 2.0, 3.0, 4.0, 5.0, 7.0];
    let code = |r: Result<Pca, rusket_core::error::Error>| r.unwrap_err().code;
    assert_eq!(code(pca_fit::<f64>(&[], 2, &options(1, Solver::Auto))), Code::EmptyInput);
    assert_eq!(code(pca_fit(&x, 4, &options(1, Solver::Auto))), Code::InvalidArgument);
    assert_eq!(code(pca_fit(&x, 0, &options(1, Solver::Auto))), Code::InvalidArgument);
    assert_eq!(code(pca_fit(&x, 2, &options(0, Solver::Auto))), Code::InvalidArgument);
    assert_eq!(code(pca_fit(&x, 2, &options(3, Solver::Auto))), Code::InvalidArgument);
    assert_eq!(code(pca_fit(&x[..2], 2, &options(1, Solver::Auto))), Code::InvalidArgument, "one row has no variance");
    assert_eq!(code(pca_fit(&[1.0, f64::NAN, 3.0, 4.0], 2, &options(1, Solver::Auto))), Code::InvalidFormat);
    assert_eq!(code(pca_fit(&[1.0, f64::INFINITY, 3.0, 4.0], 2, &options(1, Solver::Auto))), Code::InvalidFormat);
    let p = pca_fit(&x, 2, &options(1, Solver::Auto)).unwrap();
    assert_eq!(pca_transform(&x[..3], &p.mean, &p.components, 1).unwrap_err().code, Code::InvalidArgument);
    assert_eq!(pca_transform(&x, &p.mean, &p.components[..1], 1).unwrap_err().code, Code::InvalidArgument);
}

#[test]
fn constant_data_has_zero_variance_and_zero_ratio() {
    let x = vec![2.0f64; 30];
    let p = pca_fit(&x, 3, &options(2, Solver::Full)).unwrap();
    assert_eq!(p.explained_variance, vec![0.0, 0.0]);
    assert_eq!(p.explained_variance_ratio, vec![0.0, 0.0]);
    assert_eq!(p.mean, vec![2.0; 3]);
    assert_sign_rule(&p.components, 3);
}
