//! Dense Cholesky factorisation `A = L·Lᵀ` and solve, in `f64`: the systems are small
//! (factors × factors) and the extra precision keeps weakly regularised systems solvable.

/// Solves `A·x = b` in place for a symmetric positive definite `n × n` matrix `a` (row-major,
/// only the lower triangle is read; it is overwritten by `L`). `b` becomes `x`.
/// Returns false, leaving `b` partly overwritten, when `A` is not positive definite.
pub fn solve_in_place(a: &mut [f64], b: &mut [f64]) -> bool {
    let n = b.len();
    debug_assert_eq!(a.len(), n * n);
    for j in 0..n {
        let (head, below) = a.split_at_mut((j + 1) * n);
        let row_j = &mut head[j * n..];
        let pivot = row_j[j] - row_j[..j].iter().map(|v| v * v).sum::<f64>();
        if !(pivot > 0.0 && pivot.is_finite()) {
            return false;
        }
        let d = pivot.sqrt();
        row_j[j] = d;
        // Column j below the diagonal: L[i][j] = (A[i][j] - L[i][..j]·L[j][..j]) / d.
        for row_i in below.chunks_exact_mut(n) {
            let s: f64 = row_i[..j].iter().zip(&row_j[..j]).map(|(x, y)| x * y).sum();
            row_i[j] = (row_i[j] - s) / d;
        }
    }
    // Forward substitution L·y = b, then back substitution Lᵀ·x = y.
    for i in 0..n {
        let s: f64 = a[i * n..i * n + i].iter().zip(&b[..i]).map(|(l, y)| l * y).sum();
        b[i] = (b[i] - s) / a[i * n + i];
    }
    for i in (0..n).rev() {
        let s: f64 = (i + 1..n).map(|k| a[k * n + i] * b[k]).sum();
        b[i] = (b[i] - s) / a[i * n + i];
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn solves_a_known_system() {
        // A = [[4, 2, 0], [2, 5, 1], [0, 1, 3]], x = [1, -2, 3] -> b = A·x.
        let a0 = [4.0, 2.0, 0.0, 2.0, 5.0, 1.0, 0.0, 1.0, 3.0];
        let x = [1.0, -2.0, 3.0];
        let mut b: Vec<f64> = (0..3).map(|i| (0..3).map(|k| a0[i * 3 + k] * x[k]).sum()).collect();
        let mut a = a0.to_vec();
        assert!(solve_in_place(&mut a, &mut b));
        for (got, want) in b.iter().zip(x) {
            assert!((got - want).abs() < 1e-12);
        }
    }

    #[test]
    fn rejects_a_singular_matrix() {
        let mut a = vec![1.0, 1.0, 1.0, 1.0];
        let mut b = vec![1.0, 1.0];
        assert!(!solve_in_place(&mut a, &mut b));
    }
}
