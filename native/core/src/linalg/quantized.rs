//! Rows stored as 8-bit integers with one scale per row, and dot products with them that come
//! with a certificate: for each row an interval `[lower, upper]` that is guaranteed to hold
//! the `f32` dot product of the query with the original row, however that dot product is
//! summed. A pass over the codes reads a quarter of the bytes of the `f32` rows; the
//! intervals tell which rows could matter and must be scored exactly.
//!
//! Row `y` is stored as `y ≈ s·q` with `s = max|y_k| / 127` and `q_k = round(y_k / s)`, so
//! `|y_k − s·q_k| ≤ s/2`. The query `x` becomes `x ≈ t·p` with 16-bit `p` (`|x_k − t·p_k| ≤
//! t/2`), and `P = p·q` is summed exactly in 32-bit integers. Then
//!
//! ```text
//! |x·y − s·t·P| = |Σ x_k (y_k − s q_k) + s Σ q_k (x_k − t p_k)| ≤ s/2 · (‖x‖₁ + 127·dim·t),
//! ```
//!
//! and an `f32` evaluation of `x·y` is within `γ·Σ|x_k y_k| ≤ γ·127·s·‖x‖₁` of `x·y` (Higham's
//! bound, `γ ≈ dim·2⁻²⁴`, for any summation order). Both terms scale with `s`: a row's
//! half-width is `s·c` for one constant `c` per query, plus a tiny absolute term for the
//! roundings of numbers below `f32::MIN_POSITIVE`. The constants are taken generously (51 % of
//! a step instead of 50 %, eight times Higham's `γ`), which covers every rounding made while
//! quantising and while computing the bounds themselves.
//!
//! A row that cannot be certified this way (non-finite, above [`MAX_MAGNITUDE`], or so small
//! that its scale is subnormal) gets the scale `+∞`: its bounds are NaN, which callers must
//! treat as "unknown" and score exactly.

use std::ops::Range;

use super::fma_dispatch;
use crate::error::{Error, Result};

/// Codes of a row are padded with zeros to a multiple of this: the kernel reads 16 at a time.
pub const CODE_BLOCK: usize = 16;

/// Rows and queries with larger entries (or a larger `‖x‖₁`) are not quantised, so that no
/// product or bound below can overflow.
pub const MAX_MAGNITUDE: f32 = (1u64 << 50) as f32;

/// Fraction of a quantisation step that bounds a rounding error: half a step, plus room for
/// the roundings of the division that computed it.
const HALF_STEP: f64 = 0.51;

/// The padded length of a row of `dim` codes.
pub fn code_stride(dim: usize) -> usize {
    dim.div_ceil(CODE_BLOCK) * CODE_BLOCK
}

/// Quantised rows, borrowed: row `i` is `codes[i·stride..][..dim]` (then zeros) times
/// `scales[i]`, with `stride = code_stride(dim)`.
#[derive(Clone, Copy, Debug)]
pub struct QuantizedRows<'a> {
    codes: &'a [i8],
    scales: &'a [f32],
    dim: usize,
}

impl<'a> QuantizedRows<'a> {
    /// Checks that `codes` and `scales` describe `rows` rows of `dim` entries.
    pub fn new(codes: &'a [i8], scales: &'a [f32], dim: usize, rows: usize) -> Result<Self> {
        if scales.len() != rows || codes.len() != rows * code_stride(dim) {
            return Err(Error::invalid(format!(
                "quantised rows: {} codes and {} scales for {rows} rows of {dim} entries",
                codes.len(),
                scales.len()
            )));
        }
        Ok(QuantizedRows { codes, scales, dim })
    }

    pub fn rows(&self) -> usize {
        self.scales.len()
    }

    /// Entries per row (before padding).
    pub fn dim(&self) -> usize {
        self.dim
    }
}

#[inline(always)]
fn quantize_row_generic<const FMA: bool>(row: &[f32], codes: &mut [i8]) -> f32 {
    let max = row.iter().fold(0f32, |a, v| a.max(v.abs())); // skips NaN
    let s = max / 127.0;
    let certifiable = !row.iter().any(|v| v.is_nan()) && max <= MAX_MAGNITUDE && (max == 0.0 || s >= f32::MIN_POSITIVE);
    if !certifiable {
        return f32::INFINITY; // NaN, ±∞, too large or too small: always scored exactly
    }
    if max == 0.0 {
        return 0.0;
    }
    let inverse = 1.0 / s;
    for (q, v) in codes.iter_mut().zip(row) {
        // Any rounding to nearest keeps |v − s·q| within half a step; this one is a single
        // instruction in the AVX2 build.
        *q = (v * inverse).round_ties_even().clamp(-127.0, 127.0) as i8;
    }
    s
}

fma_dispatch!(
    /// Quantises one row: writes its codes to the first `row.len()` entries of `codes` (the
    /// rest stay as they are: zeros, in a row of [`QuantizedRows`]) and returns its scale: 0
    /// for a zero row, `+∞` for a row that cannot be certified.
    pub fn quantize_row(row: &[f32], codes: &mut [i8]) -> f32 => quantize_row_generic
);

/// The Euclidean norm of a row, rounded up to an `f32` (`+∞` for a row with NaN or ±∞), as
/// [`Query::cannot_reach`] takes it.
pub fn norm_bound(row: &[f32]) -> f32 {
    let norm = row.iter().map(|&v| v as f64 * v as f64).sum::<f64>().sqrt();
    if !norm.is_finite() {
        return f32::INFINITY;
    }
    let rounded = norm as f32;
    if (rounded as f64) < norm { rounded.next_up() } else { rounded }
}

/// A query vector in 16-bit form, with the constants of its score bounds.
pub struct Query {
    /// `x ≈ step · codes` (padded with zeros to the code stride).
    codes: Vec<i16>,
    /// `‖x‖₂ · (1 + γ)`, rounded up.
    reach: f64,
    step: f32,
    /// Half-width of a row's interval per unit of the row's scale.
    slack: f32,
    /// Absolute half-width for the roundings below `f32::MIN_POSITIVE` (each at most 2⁻¹⁵⁰):
    /// itself a normal number, since subnormal operands cost the CPU a slow microcode assist.
    floor: f32,
}

impl Query {
    /// The 16-bit form of `x`; `None` when `x` cannot be certified (a non-finite entry, all
    /// zeros, entries too small or `‖x‖₁` above [`MAX_MAGNITUDE`]).
    pub fn new(x: &[f32]) -> Option<Query> {
        let dim = x.len();
        let stride = code_stride(dim);
        if dim == 0 || !x.iter().all(|v| v.is_finite()) {
            return None;
        }
        let l1: f64 = x.iter().map(|v| v.abs() as f64).sum();
        let max = x.iter().fold(0f32, |a, v| a.max(v.abs()));
        // |P| ≤ 127 · range · stride must fit an i32.
        let range = (i32::MAX as usize / (127 * stride)).min(i16::MAX as usize) as f32;
        let step = max / range;
        if l1 > MAX_MAGNITUDE as f64 || step < f32::MIN_POSITIVE {
            return None;
        }
        let mut codes = vec![0i16; stride];
        for (p, v) in codes.iter_mut().zip(x) {
            *p = (v / step).round().clamp(-range, range) as i16;
        }
        let gamma = 8.0 * (dim as f64 + 32.0) * f64::powi(2.0, -24);
        let slack = HALF_STEP * (l1 + 127.0 * dim as f64 * step as f64) + 127.01 * gamma * l1;
        let norm = x.iter().map(|&v| v as f64 * v as f64).sum::<f64>().sqrt();
        Some(Query {
            codes,
            reach: norm * (1.0 + gamma) * (1.0 + f64::powi(2.0, -40)),
            step,
            slack: (slack * (1.0 + 1.0 / 1024.0)) as f32,
            floor: f32::MIN_POSITIVE * (dim + 64) as f32,
        })
    }

    /// True when no `f32` dot product of the query with a row of Euclidean norm at most
    /// `row_norm` can reach `bar`: by Cauchy–Schwarz it is at most `‖x‖·‖y‖·(1 + γ)`, plus
    /// the roundings below `f32::MIN_POSITIVE`.
    pub fn cannot_reach(&self, row_norm: f32, bar: f32) -> bool {
        self.reach * row_norm as f64 + (self.floor as f64) < f64::from(bar)
    }
}

/// The interval of one row from its exact integer product `dot = p·q`.
#[inline(always)]
fn interval<const FMA: bool>(q: &Query, dot: i32, scale: f32) -> (f32, f32) {
    // (P·s)·t rather than P·(s·t): an underflow then loses at most 2⁻¹⁵⁰, not 2⁻¹⁵⁰·|P|.
    let approx = dot as f32 * scale * q.step;
    let half = super::fmadd::<FMA>(scale, q.slack, q.floor);
    (approx - half, approx + half)
}

#[inline(always)]
fn score_bounds_generic<const FMA: bool>(
    q: &Query,
    m: &QuantizedRows,
    rows: Range<usize>,
    lower: &mut [f32],
    upper: &mut [f32],
) {
    let stride = q.codes.len();
    // The AVX2 loop reads unchecked: everything it touches must be in bounds.
    assert!(stride == code_stride(m.dim) && rows.end <= m.rows() && lower.len() >= rows.len() && upper.len() >= rows.len());
    let mut done = rows.start;
    #[cfg(target_arch = "x86_64")]
    if FMA {
        // SAFETY: `FMA = true` only in code compiled for AVX2+FMA (see `fma_dispatch!`).
        done = unsafe { bounds_avx2(q, m, rows.clone(), lower, upper) };
    }
    for i in done..rows.end {
        let codes = &m.codes[i * stride..][..stride];
        let dot = codes.iter().zip(&q.codes).map(|(&c, &p)| c as i32 * p as i32).sum();
        let k = i - rows.start;
        (lower[k], upper[k]) = interval::<FMA>(q, dot, m.scales[i]);
    }
}

fma_dispatch!(
    /// `lower[i − rows.start] ≤ x·y_i ≤ upper[i − rows.start]` for every `f32` evaluation of
    /// the dot product of the query with row `i` of the original matrix, for `i` in `rows`.
    /// Either bound may be NaN (a row quantised with scale `+∞`): nothing is known then.
    pub fn score_bounds(q: &Query, m: &QuantizedRows, rows: Range<usize>, lower: &mut [f32], upper: &mut [f32]) => score_bounds_generic
);

/// [`score_bounds_generic`] eight rows at a time: the products `p·q` with `vpmaddwd` on codes
/// widened to 16 bits, the eight sums reduced together. Returns the first row it left.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
unsafe fn bounds_avx2(q: &Query, m: &QuantizedRows, rows: Range<usize>, lower: &mut [f32], upper: &mut [f32]) -> usize {
    use std::arch::x86_64::*;
    let stride = q.codes.len();
    let blocks = stride / CODE_BLOCK;
    let x = q.codes.as_ptr() as *const __m256i;
    let (step, slack, floor) = (_mm256_set1_ps(q.step), _mm256_set1_ps(q.slack), _mm256_set1_ps(q.floor));
    let mut i = rows.start;
    // SAFETY: rows i..i + 8 are rows of `m`, each `stride` codes long; `q.codes` has `stride`
    // entries; lower and upper hold `rows.len()` values (all asserted by the caller).
    while i + 8 <= rows.end {
        let mut acc = [_mm256_setzero_si256(); 8];
        for (r, acc) in acc.iter_mut().enumerate() {
            let row = m.codes.as_ptr().add((i + r) * stride) as *const __m128i;
            for b in 0..blocks {
                let codes = _mm256_cvtepi8_epi16(_mm_loadu_si128(row.add(b)));
                *acc = _mm256_add_epi32(*acc, _mm256_madd_epi16(codes, _mm256_loadu_si256(x.add(b))));
            }
        }
        // hadd twice leaves, per 128-bit half, the half-sums of rows 0..3 (and 4..7).
        let low = _mm256_hadd_epi32(_mm256_hadd_epi32(acc[0], acc[1]), _mm256_hadd_epi32(acc[2], acc[3]));
        let high = _mm256_hadd_epi32(_mm256_hadd_epi32(acc[4], acc[5]), _mm256_hadd_epi32(acc[6], acc[7]));
        let dots = _mm256_add_epi32(_mm256_permute2x128_si256::<0x20>(low, high), _mm256_permute2x128_si256::<0x31>(low, high));
        let scale = _mm256_loadu_ps(m.scales.as_ptr().add(i));
        let approx = _mm256_mul_ps(_mm256_mul_ps(_mm256_cvtepi32_ps(dots), scale), step);
        let half = _mm256_fmadd_ps(scale, slack, floor);
        let k = i - rows.start;
        _mm256_storeu_ps(lower.as_mut_ptr().add(k), _mm256_sub_ps(approx, half));
        _mm256_storeu_ps(upper.as_mut_ptr().add(k), _mm256_add_ps(approx, half));
        i += 8;
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::linalg::gemm::multiply_rows;
    use crate::linalg::test_data as data;

    #[test]
    fn bounds_hold_the_f32_dot_products() {
        for dim in [1, 7, 16, 64, 65] {
            let rows = 203;
            let mut m = data(rows * dim, dim as u64);
            m[5 * dim] = f32::NAN; // row 5: no bound
            m[6 * dim..7 * dim].fill(0.0); // row 6: exactly zero
            m[7 * dim..8 * dim].fill(1e-40); // row 7: subnormal scale, no bound
            m[8 * dim..9 * dim].iter_mut().for_each(|v| *v *= 1e-30); // row 8: tiny but normal
            for (salt, scale) in [(1, 1.0), (2, 1e-20), (3, 1e12)] {
                let x: Vec<f32> = data(dim, 100 + salt).iter().map(|v| v * scale).collect();
                // Rows 9 and 10 along x: their scores are the Cauchy–Schwarz bound itself.
                for (r, c) in [(9, 0.7f32), (10, -3.0)] {
                    m[r * dim..(r + 1) * dim].iter_mut().zip(&x).for_each(|(v, x)| *v = c * x / scale);
                }
                // Row 12 at the worst case of rounding: every entry 0.499 of a step (1/127)
                // from its code, on the side of x's sign, so the errors add up.
                for (k, (v, x)) in m[12 * dim..13 * dim].iter_mut().zip(&x).enumerate() {
                    *v = if k == 0 { 1.0 } else { ((k % 200) as f32 - 100.0 + 0.499 * x.signum()) / 127.0 };
                }
                let mut codes = vec![0i8; rows * code_stride(dim)];
                let scales: Vec<f32> = m.chunks_exact(dim).zip(codes.chunks_exact_mut(code_stride(dim))).map(|(r, c)| quantize_row(r, c)).collect();
                let qr = QuantizedRows::new(&codes, &scales, dim, rows).unwrap();
                let q = Query::new(&x).unwrap();
                let mut exact = vec![0f32; rows];
                multiply_rows(&x, &m, 0..rows, &mut exact);
                let (mut lower, mut upper) = (vec![0f32; rows], vec![0f32; rows]);
                score_bounds(&q, &qr, 3..rows, &mut lower[3..], &mut upper[3..]);
                for i in 3..rows {
                    if i == 5 || i == 7 {
                        assert!(lower[i].is_nan() && upper[i].is_nan(), "dim {dim}, row {i}");
                        continue;
                    }
                    let naive: f64 = (0..dim).map(|k| x[k] as f64 * m[i * dim + k] as f64).sum();
                    for s in [exact[i], naive as f32] {
                        assert!(lower[i] <= s && s <= upper[i], "dim {dim}, row {i}: {} ∉ [{}, {}]", s, lower[i], upper[i]);
                        assert!(!q.cannot_reach(norm_bound(&m[i * dim..(i + 1) * dim]), s), "dim {dim}, row {i}: norm bound");
                    }
                    // and the interval is narrow: about the row's scale times ‖x‖₁ (plus the floor)
                    let l1: f32 = x.iter().map(|v| v.abs()).sum();
                    assert!(upper[i] - lower[i] <= 1.1 * scales[i] * l1 + 1e-30, "dim {dim}, row {i}");
                }
            }
            assert!(Query::new(&vec![0.0; dim]).is_none());
            assert!(Query::new(&vec![f32::INFINITY; dim]).is_none());
        }
    }
}
