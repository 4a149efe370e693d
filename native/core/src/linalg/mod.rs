//! Small dense linear algebra on flat row-major `f32` slices: the vector kernels (dot, axpy,
//! symmetric matrix-vector product, sums of outer products), a Gram matrix, a dense Cholesky
//! solver, a blocked `A·Bᵀ` product, and rows quantised to 8 bits whose dot products come with
//! certified bounds. No BLAS: the matrices are small (factors × factors) or streamed in
//! cache-sized blocks, so plain loops that the compiler vectorises are enough.
//!
//! The default x86-64 target only has SSE2. Hot loops are therefore written once, generic over
//! `const FMA: bool` and `#[inline(always)]`, and [`fma_dispatch!`] compiles each entry point
//! twice: with AVX2+FMA (chosen at run time when the CPU has them) and for the baseline.
//! Those generic kernels are crate-private: `FMA = true` is only sound inside code that
//! `fma_dispatch!` compiled for AVX2+FMA.

pub mod cholesky;
pub mod gemm;
pub mod quantized;
pub mod pca;

/// Width of the accumulator arrays: two AVX registers, so the reduction chains are short.
const LANES: usize = 16;

/// True when the CPU can run the AVX2+FMA builds of the kernels (detected once, then cached).
#[cfg(target_arch = "x86_64")]
pub fn has_avx2_fma() -> bool {
    is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma")
}

/// Defines `fn $name(args) -> ret` running `$generic::<true>(args)` compiled with AVX2+FMA when
/// the CPU has them, else `$generic::<false>(args)` compiled for the baseline target.
/// `$generic` (and whatever it calls in its loops) must be `#[inline(always)]`, so that it is
/// compiled inside the AVX2 wrapper rather than once for the baseline.
macro_rules! fma_dispatch {
    ($(#[$meta:meta])* $vis:vis fn $name:ident($($arg:ident : $ty:ty),* $(,)?) $(-> $ret:ty)? => $generic:ident) => {
        $(#[$meta])*
        $vis fn $name($($arg: $ty),*) $(-> $ret)? {
            #[cfg(target_arch = "x86_64")]
            {
                #[target_feature(enable = "avx2,fma")]
                unsafe fn fast($($arg: $ty),*) $(-> $ret)? {
                    $generic::<true>($($arg),*)
                }
                if $crate::linalg::has_avx2_fma() {
                    // SAFETY: the CPU supports AVX2 and FMA, checked just above.
                    return unsafe { fast($($arg),*) };
                }
            }
            $generic::<false>($($arg),*)
        }
    };
}
pub(crate) use fma_dispatch;

/// `a·b + c`, fused (one rounding) in the FMA build.
#[inline(always)]
pub(crate) fn fmadd<const FMA: bool>(a: f32, b: f32, c: f32) -> f32 {
    if FMA {
        a.mul_add(b, c)
    } else {
        a * b + c
    }
}

/// Asks the CPU to start loading `row` into the cache: a hint for rows read in an order the
/// hardware prefetcher cannot guess (factor rows picked by a sparse row). No effect on results.
#[inline(always)]
pub(crate) fn prefetch<T>(row: &[T]) {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
        let bytes = row.as_ptr() as *const i8;
        for offset in (0..std::mem::size_of_val(row)).step_by(64) {
            // SAFETY: the address is inside `row`; a prefetch never faults, and SSE is part of
            // every x86-64 CPU.
            unsafe { _mm_prefetch::<_MM_HINT_T0>(bytes.add(offset)) };
        }
    }
}

/// Dot product of two equally long vectors.
#[inline(always)]
pub(crate) fn dot<const FMA: bool>(a: &[f32], b: &[f32]) -> f32 {
    debug_assert_eq!(a.len(), b.len());
    #[cfg(target_arch = "x86_64")]
    if FMA {
        // SAFETY: `FMA = true` only in code compiled for AVX2+FMA (see `fma_dispatch!`).
        return unsafe { dot_avx2(a, b) };
    }
    let mut acc = [0f32; LANES];
    let ((ca, ra), (cb, rb)) = (a.as_chunks::<LANES>(), b.as_chunks::<LANES>());
    for (x, y) in ca.iter().zip(cb) {
        for l in 0..LANES {
            acc[l] = fmadd::<FMA>(x[l], y[l], acc[l]);
        }
    }
    for (l, (x, y)) in ra.iter().zip(rb).enumerate() {
        acc[l] = fmadd::<FMA>(*x, *y, acc[l]);
    }
    sum_lanes(acc)
}

/// [`dot`] with explicit AVX2 instructions: for rows of a multiple of 16 entries the compiler
/// vectorised the portable loop only two lanes wide in some callers.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
unsafe fn dot_avx2(a: &[f32], b: &[f32]) -> f32 {
    use std::arch::x86_64::*;
    let n = a.len().min(b.len());
    let (pa, pb) = (a.as_ptr(), b.as_ptr());
    let (mut s0, mut s1) = (_mm256_setzero_ps(), _mm256_setzero_ps());
    let mut k = 0;
    // SAFETY (loads): k + 16 <= n, within both slices.
    while k + 16 <= n {
        s0 = _mm256_fmadd_ps(_mm256_loadu_ps(pa.add(k)), _mm256_loadu_ps(pb.add(k)), s0);
        s1 = _mm256_fmadd_ps(_mm256_loadu_ps(pa.add(k + 8)), _mm256_loadu_ps(pb.add(k + 8)), s1);
        k += 16;
    }
    let s = _mm256_add_ps(s0, s1);
    let q = _mm_add_ps(_mm256_castps256_ps128(s), _mm256_extractf128_ps::<1>(s));
    let q = _mm_add_ps(q, _mm_movehl_ps(q, q));
    let q = _mm_add_ss(q, _mm_movehdup_ps(q));
    a[k..n].iter().zip(&b[k..n]).fold(_mm_cvtss_f32(q), |t, (x, y)| x.mul_add(*y, t))
}

/// The dot products of `a` with four equally long rows.
#[inline(always)]
pub(crate) fn dot4<const FMA: bool>(a: &[f32], rows: [&[f32]; 4]) -> [f32; 4] {
    #[cfg(target_arch = "x86_64")]
    if FMA {
        // SAFETY: `FMA = true` only in code compiled for AVX2+FMA (see `fma_dispatch!`).
        return unsafe { dot4_avx2(a, rows) };
    }
    rows.map(|r| dot::<FMA>(a, r))
}

/// [`dot4`] with AVX2: the four horizontal sums share three `hadd`s instead of a reduction
/// each, which is most of the cost of a 64-long dot product.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
unsafe fn dot4_avx2(a: &[f32], rows: [&[f32]; 4]) -> [f32; 4] {
    use std::arch::x86_64::*;
    let n = rows.iter().fold(a.len(), |n, r| n.min(r.len()));
    let mut acc = [[_mm256_setzero_ps(); 2]; 4];
    let mut k = 0;
    // SAFETY (loads): k + 16 <= n, within `a` and every row.
    while k + 16 <= n {
        let (a0, a1) = (_mm256_loadu_ps(a.as_ptr().add(k)), _mm256_loadu_ps(a.as_ptr().add(k + 8)));
        for (acc, row) in acc.iter_mut().zip(&rows) {
            acc[0] = _mm256_fmadd_ps(a0, _mm256_loadu_ps(row.as_ptr().add(k)), acc[0]);
            acc[1] = _mm256_fmadd_ps(a1, _mm256_loadu_ps(row.as_ptr().add(k + 8)), acc[1]);
        }
        k += 16;
    }
    let s = acc.map(|[x, y]| _mm256_add_ps(x, y));
    // hadd(hadd(s0, s1), hadd(s2, s3)) holds, per 128-bit half, the partial sums of rows 0..3.
    let h = _mm256_hadd_ps(_mm256_hadd_ps(s[0], s[1]), _mm256_hadd_ps(s[2], s[3]));
    let q = _mm_add_ps(_mm256_castps256_ps128(h), _mm256_extractf128_ps::<1>(h));
    let mut out = [0f32; 4];
    _mm_storeu_ps(out.as_mut_ptr(), q);
    for (o, row) in out.iter_mut().zip(&rows) {
        *o = a[k..n].iter().zip(&row[k..n]).fold(*o, |t, (x, y)| x.mul_add(*y, t));
    }
    out
}

/// Sum of the accumulator lanes, halving pairwise (vector adds, then a short scalar tail).
#[inline(always)]
fn sum_lanes(mut acc: [f32; LANES]) -> f32 {
    let mut width = LANES / 2;
    while width > 0 {
        for l in 0..width {
            acc[l] += acc[l + width];
        }
        width /= 2;
    }
    acc[0]
}

/// `y += alpha · x`.
#[inline(always)]
pub(crate) fn axpy<const FMA: bool>(alpha: f32, x: &[f32], y: &mut [f32]) {
    debug_assert_eq!(x.len(), y.len());
    for (yi, xi) in y.iter_mut().zip(x) {
        *yi = fmadd::<FMA>(alpha, *xi, *yi);
    }
}

/// `out += Σ c[k]·rows[k]` for four rows at once, so that `out` is loaded and stored once
/// instead of four times.
#[inline(always)]
pub(crate) fn axpy4<const FMA: bool>(c: [f32; 4], rows: [&[f32]; 4], out: &mut [f32]) {
    let n = out.len();
    let [r0, r1, r2, r3] = rows.map(|r| &r[..n]);
    for j in 0..n {
        let s = fmadd::<FMA>(c[0], r0[j], fmadd::<FMA>(c[1], r1[j], out[j]));
        out[j] = fmadd::<FMA>(c[2], r2[j], fmadd::<FMA>(c[3], r3[j], s));
    }
}

/// Four consecutive rows of `dim` entries starting at `m[0]`.
#[inline(always)]
pub(crate) fn four_rows(m: &[f32], dim: usize) -> [&[f32]; 4] {
    std::array::from_fn(|k| &m[k * dim..(k + 1) * dim])
}

/// `out = G·x` for a symmetric `n × n` matrix `g` (row-major, `n = x.len()`): the rows of
/// `g` (= its columns) scaled by the entries of `x`, four at a time.
#[inline(always)]
pub(crate) fn sym_matvec<const FMA: bool>(g: &[f32], x: &[f32], out: &mut [f32]) {
    let n = x.len();
    debug_assert_eq!(g.len(), n * n);
    out.fill(0.0);
    let whole = n / 4 * 4;
    for k in (0..whole).step_by(4) {
        axpy4::<FMA>([x[k], x[k + 1], x[k + 2], x[k + 3]], four_rows(&g[k * n..], n), out);
    }
    for k in whole..n {
        axpy::<FMA>(x[k], &g[k * n..(k + 1) * n], out);
    }
}

/// `a += Σ w·v·vᵀ` over the `(v, w)` pairs (`a` is `dim × dim` row-major, every `v` has `dim`
/// entries). Takes the vectors four at a time so that each row of `a` is loaded and stored once
/// per four outer products.
#[inline(always)]
pub(crate) fn add_outer_products<'a, const FMA: bool>(
    a: &mut [f32],
    dim: usize,
    mut vectors: impl Iterator<Item = (&'a [f32], f32)>,
) {
    debug_assert_eq!(a.len(), dim * dim);
    while let Some(first) = vectors.next() {
        // A missing vector is replaced by the first one with weight 0.
        let (v0, w0) = first;
        let (v1, w1) = vectors.next().unwrap_or((v0, 0.0));
        let (v2, w2) = vectors.next().unwrap_or((v0, 0.0));
        let (v3, w3) = vectors.next().unwrap_or((v0, 0.0));
        let vs = [&v0[..dim], &v1[..dim], &v2[..dim], &v3[..dim]];
        for (j, row) in a.chunks_exact_mut(dim).enumerate() {
            axpy4::<FMA>([w0 * v0[j], w1 * v1[j], w2 * v2[j], w3 * v3[j]], vs, row);
        }
    }
}

#[inline(always)]
fn gram_block_generic<const FMA: bool>(rows: &[f32], dim: usize, out: &mut [f32]) {
    add_outer_products::<FMA>(out, dim, rows.chunks_exact(dim).map(|r| (r, 1.0)));
}

fma_dispatch!(
    /// `out += Mᵀ·M` for the rows of `rows` (`out` is `dim × dim`).
    fn gram_block(rows: &[f32], dim: usize, out: &mut [f32]) => gram_block_generic
);

#[inline(always)]
fn row_norms_generic<const FMA: bool>(m: &[f32], dim: usize, out: &mut [f32]) {
    for (o, row) in out.iter_mut().zip(m.chunks_exact(dim)) {
        *o = dot::<FMA>(row, row).sqrt();
    }
}

fma_dispatch!(
    /// The Euclidean norm of each row of a row-major matrix with `dim` columns.
    pub fn row_norms(m: &[f32], dim: usize, out: &mut [f32]) => row_norms_generic
);

/// Rows per task of [`gram`]: fixed, so that the sum is the same whatever the thread count.
const GRAM_ROWS_PER_TASK: usize = 2048;

/// The Gram matrix `MᵀM` (`dim × dim`, row-major) of a row-major matrix with `dim` columns.
/// Partial sums over fixed row blocks are added in block order: the result does not depend on
/// `threads`.
pub fn gram(m: &[f32], dim: usize, threads: usize) -> Vec<f32> {
    let blocks: Vec<&[f32]> = m.chunks(GRAM_ROWS_PER_TASK * dim).collect();
    let partials = crate::par::map_dynamic(blocks.len(), threads, |t, _| {
        let mut g = vec![0f32; dim * dim];
        gram_block(blocks[t], dim, &mut g);
        g
    });
    let mut g = vec![0f32; dim * dim];
    for p in partials {
        g.iter_mut().zip(&p).for_each(|(a, b)| *a += b);
    }
    g
}

/// `n` test numbers in [-1, 1), the same for the same `seed` (a 64-bit LCG, top bits).
#[cfg(test)]
pub(crate) fn test_data(n: usize, seed: u64) -> Vec<f32> {
    let mut s = seed;
    (0..n)
        .map(|_| {
            s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            ((s >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use test_data as data;

    fn naive_dot(a: &[f32], b: &[f32]) -> f64 {
        a.iter().zip(b).map(|(x, y)| *x as f64 * *y as f64).sum()
    }

    #[test]
    fn dot_matches_naive_for_all_tail_lengths() {
        #[cfg(target_arch = "x86_64")]
        let fast = has_avx2_fma();
        #[cfg(not(target_arch = "x86_64"))]
        let fast = false;
        for n in [0, 1, 7, 16, 17, 64, 70] {
            let (a, b) = (data(n, 1), data(n, 2));
            let rows: Vec<Vec<f32>> = (0..4).map(|r| data(n, 10 + r)).collect();
            let quad = [&rows[0][..], &rows[1][..], &rows[2][..], &rows[3][..]];
            let close = |got: f32, want: f64| (got as f64 - want).abs() < 1e-4;
            assert!(close(dot::<false>(&a, &b), naive_dot(&a, &b)));
            let four = dot4::<false>(&a, quad);
            assert!(four.iter().zip(&rows).all(|(got, r)| close(*got, naive_dot(&a, r))));
            // The AVX2 versions, only where the CPU has them.
            if fast {
                assert!(close(dot::<true>(&a, &b), naive_dot(&a, &b)));
                let four = dot4::<true>(&a, quad);
                assert!(four.iter().zip(&rows).all(|(got, r)| close(*got, naive_dot(&a, r))));
            }
        }
    }

    #[test]
    fn sym_matvec_and_gram_match_naive() {
        let (rows, dim) = (5000, 7);
        let m = data(rows * dim, 3);
        let g = gram(&m, dim, 3);
        for j in 0..dim {
            for k in 0..dim {
                let col = |c: usize| (0..rows).map(|r| m[r * dim + c]).collect::<Vec<_>>();
                let expect = naive_dot(&col(j), &col(k));
                assert!((g[j * dim + k] as f64 - expect).abs() < 1e-3 * expect.abs().max(1.0));
            }
        }
        assert_eq!(g, gram(&m, dim, 1), "the thread count must not change the sum");
        let x = data(dim, 4);
        let mut out = vec![0f32; dim];
        sym_matvec::<false>(&g, &x, &mut out);
        for j in 0..dim {
            let expect = naive_dot(&g[j * dim..(j + 1) * dim], &x);
            assert!((out[j] as f64 - expect).abs() < 1e-3 * expect.abs().max(1.0));
        }
    }
}
