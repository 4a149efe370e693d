//! Rows stored as small integers with one scale per row, 8 bits (a quarter of the bytes of the
//! `f32` rows) or 4 bits (an eighth), and dot products with them that come with a certificate:
//! for each row an interval `[lower, upper]` that is guaranteed to hold the `f32` dot product of
//! the query with the original row, however that dot product is summed. A pass over the codes
//! reads a fraction of the bytes of the `f32` rows; the intervals tell which rows could matter
//! and must be looked at more closely.
//!
//! Row `y` is stored as `y ≈ s·q` with `s = max|y_k| / L` and `q_k = round(y_k / s)`, so the
//! row's rounding `e = y − s·q` has `|e_k| ≤ s/2`; `L` is 127 for 8-bit codes and 7 for 4-bit
//! ones. The query `x` becomes `x ≈ t·p` with integer `p` (16 bits against 8-bit rows, 8 bits
//! against 4-bit rows) and rounding `ε = x − t·p`, and `P = p·q` is summed exactly in 32-bit
//! integers. Then
//!
//! ```text
//! |x·y − s·t·P| = |Σ x_k e_k + s Σ q_k ε_k| ≤ min(s/2 · ‖x‖₁, ‖x‖₂·‖e‖₂) + s·L·‖ε‖₁,
//! ```
//!
//! and an `f32` evaluation of `x·y` is within `γ·Σ|x_k y_k| ≤ γ·L·s·‖x‖₁` of `x·y` (Higham's
//! bound, `γ ≈ dim·2⁻²⁴`, for any summation order). For 8-bit rows the first term is taken as
//! `s/2 · ‖x‖₁`, so a row's half-width is `s·c` for one constant `c` per query; 4-bit rows keep
//! `‖e‖₂` (rounded up) per row, which with `‖x‖₂` is the smaller term for most queries (about
//! `√(dim/12)·s` against `‖x‖₁/‖x‖₂ · s/2`). A tiny absolute term covers the roundings of
//! numbers below `f32::MIN_POSITIVE`. The constants are taken generously (51 % of a step
//! instead of 50 %, eight times Higham's `γ`, a relative 2⁻¹⁰ on each term), which covers every
//! rounding made while quantising and while computing the bounds themselves; `ε` and `e` are
//! exact in `f64`.
//!
//! A row that cannot be certified this way (non-finite, above [`MAX_MAGNITUDE`], or so small
//! that its scale is subnormal) gets the scale `+∞`: its bounds are NaN, which callers must
//! treat as "unknown" and score exactly.
//!
//! The kernels are AVX2 (chosen at run time, see [`fma_dispatch!`]) with a scalar fallback,
//! both exact in integers, eight rows at a time. 8-bit rows are stored row by row (a row is
//! one cache line at 64 factors, for reading rows picked here and there); the kernel keeps
//! the eight sums in registers and loads each block of the query once. 4-bit rows, read as a
//! stream, are interleaved by eight: one 32-byte load holds 8 entries of 8 rows, so a vector
//! lane is a row and no horizontal sum is needed. VNNI (`vpdpbusd`) was tried for both: past
//! the L2 cache the passes wait on memory (about 17 GB/s from L3 here), not on arithmetic.

use std::ops::Range;

use super::fma_dispatch;
use crate::error::{Error, Result};

/// Codes of an 8-bit row are padded with zeros to a multiple of this: the kernel reads 16 at a
/// time.
pub const CODE_BLOCK: usize = 16;

/// 4-bit rows are stored in blocks of this many rows (the last one padded with zero rows).
pub const COARSE_ROWS: usize = 8;
/// Entries of a row in one 32-byte group of a block: row `r`'s entries `8g..8g + 8` are the
/// four bytes at `32g + 4r`, entry `8g + j` in the low half of byte `j`, `8g + 4 + j` in the
/// high half.
const COARSE_GROUP: usize = 8;

/// Rows and queries with larger entries (or a larger `‖x‖₁`) are not quantised, so that no
/// product or bound below can overflow.
pub const MAX_MAGNITUDE: f32 = (1u64 << 50) as f32;

/// Fraction of a quantisation step that bounds a rounding error: half a step, plus room for
/// the roundings of the division that computed it.
const HALF_STEP: f64 = 0.51;

/// The largest code of an 8-bit row, and of a 4-bit row.
const FINE_LEVELS: f32 = 127.0;
const COARSE_LEVELS: f32 = 7.0;

/// A 4-bit code `q` is stored as the nibble `q + 8` (1..=15; a padded entry is 8, i.e. 0).
const NIBBLE_ZERO: u8 = 8;

/// The padded length of a row of `dim` 8-bit codes.
pub fn code_stride(dim: usize) -> usize {
    dim.div_ceil(CODE_BLOCK) * CODE_BLOCK
}

/// The bytes of a block of [`COARSE_ROWS`] rows of `dim` 4-bit codes.
pub fn coarse_block_bytes(dim: usize) -> usize {
    dim.div_ceil(COARSE_GROUP) * 32
}

/// The bytes of `rows` rows of `dim` 4-bit codes: whole blocks.
pub fn coarse_len(rows: usize, dim: usize) -> usize {
    rows.div_ceil(COARSE_ROWS) * coarse_block_bytes(dim)
}

/// Rows quantised to 8 bits, borrowed: row `i` is `codes[i·stride..][..dim]` (then zeros) times
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
            return Err(Error::invalid(format!("quantised rows: {} codes and {} scales for {rows} rows of {dim} entries", codes.len(), scales.len())));
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

    /// Asks the CPU to start loading row `i` into the cache (no effect on results).
    pub fn prefetch(&self, i: usize) {
        let stride = code_stride(self.dim);
        super::prefetch(&self.codes[i * stride..][..stride]);
    }
}

/// Rows quantised to 4 bits, borrowed: row `i` is row `i % 8` of block `i / 8` (the
/// `coarse_block_bytes(dim)` bytes from `codes[(i / 8)·block_bytes]`, laid out by
/// [`COARSE_GROUP`]), each nibble minus 8 times `scales[i]`.
/// `errors[i]` bounds the Euclidean norm of row `i`'s rounding `y − s·q`.
#[derive(Clone, Copy, Debug)]
pub struct CoarseRows<'a> {
    codes: &'a [u8],
    scales: &'a [f32],
    errors: &'a [f32],
    dim: usize,
}

impl<'a> CoarseRows<'a> {
    /// Checks that `codes`, `scales` and `errors` describe `rows` rows of `dim` entries.
    pub fn new(codes: &'a [u8], scales: &'a [f32], errors: &'a [f32], dim: usize, rows: usize) -> Result<Self> {
        if scales.len() != rows || errors.len() != rows || codes.len() != coarse_len(rows, dim) {
            return Err(Error::invalid(format!(
                "4-bit rows: {} bytes, {} scales and {} error norms for {rows} rows of {dim} entries",
                codes.len(),
                scales.len(),
                errors.len()
            )));
        }
        Ok(CoarseRows { codes, scales, errors, dim })
    }

    pub fn rows(&self) -> usize {
        self.scales.len()
    }
}

/// The scale of `row` for codes in `−levels..=levels` and its inverse: 0 for a zero row, `+∞`
/// for one that cannot be certified (NaN, ±∞, too large or too small).
#[inline(always)]
fn row_scale(row: &[f32], levels: f32) -> (f32, f32) {
    let max = row.iter().fold(0f32, |a, v| a.max(v.abs())); // skips NaN
    let s = max / levels;
    let certifiable = !row.iter().any(|v| v.is_nan()) && max <= MAX_MAGNITUDE && (max == 0.0 || s >= f32::MIN_POSITIVE);
    match (certifiable, max == 0.0) {
        (false, _) => (f32::INFINITY, 0.0),
        (true, true) => (0.0, 0.0),
        (true, false) => (s, 1.0 / s),
    }
}

/// The code of `v`: any rounding to nearest keeps `|v − s·q|` within half a step; this one is a
/// single instruction in the AVX2 build.
#[inline(always)]
fn code(v: f32, inverse: f32, levels: f32) -> f32 {
    (v * inverse).round_ties_even().clamp(-levels, levels)
}

#[inline(always)]
fn quantize_row_generic<const FMA: bool>(row: &[f32], codes: &mut [i8]) -> f32 {
    let (s, inverse) = row_scale(row, FINE_LEVELS);
    if inverse != 0.0 {
        for (q, v) in codes.iter_mut().zip(row) {
            *q = code(*v, inverse, FINE_LEVELS) as i8;
        }
    }
    s
}

fma_dispatch!(
    /// Quantises one row to 8 bits: writes its codes to the first `row.len()` entries of `codes`
    /// (the rest stay as they are: zeros, in a row of [`QuantizedRows`]) and returns its scale:
    /// 0 for a zero row, `+∞` for a row that cannot be certified.
    pub fn quantize_row(row: &[f32], codes: &mut [i8]) -> f32 => quantize_row_generic
);

/// The bytes of a block of 4-bit rows that are all zero.
pub fn zero_coarse_block(dim: usize) -> Vec<u8> {
    vec![NIBBLE_ZERO << 4 | NIBBLE_ZERO; coarse_block_bytes(dim)]
}

#[inline(always)]
fn quantize_row_coarse_generic<const FMA: bool>(row: &[f32], block: &mut [u8], r: usize) -> (f32, f32) {
    let (s, inverse) = row_scale(row, COARSE_LEVELS);
    // Σ (y_k − s·q_k)², each difference exact in f64 (s·q_k has at most 27 significant bits
    // and is within s/2 of y_k); one sum per lane of a group, added up at the end.
    let mut squares = [0f64; COARSE_GROUP];
    for g in 0..row.len().div_ceil(COARSE_GROUP) {
        // Zeros past the row's end: code 0, rounding 0.
        let v: [f32; COARSE_GROUP] = match row[COARSE_GROUP * g..].first_chunk() {
            Some(whole) => *whole,
            None => std::array::from_fn(|j| row.get(COARSE_GROUP * g + j).copied().unwrap_or(0.0)),
        };
        let mut q = [0f32; COARSE_GROUP];
        if inverse != 0.0 {
            q = v.map(|v| code(v, inverse, COARSE_LEVELS));
            for j in 0..COARSE_GROUP {
                let e = v[j] as f64 - s as f64 * q[j] as f64;
                squares[j] += e * e;
            }
        }
        let nibble = |q: f32| (q as i8 + NIBBLE_ZERO as i8) as u8;
        for (j, byte) in block[32 * g + 4 * r..][..4].iter_mut().enumerate() {
            *byte = nibble(q[j]) | nibble(q[j + 4]) << 4;
        }
    }
    (s, if s.is_finite() { round_up(squares.iter().sum::<f64>().sqrt()) } else { f32::INFINITY })
}

fma_dispatch!(
    /// Quantises one row to 4 bits as row `r` of a block of [`COARSE_ROWS`] rows (whose padding
    /// must hold zeros: see [`zero_coarse_block`]); returns its scale, as [`quantize_row`]
    /// does, and a bound on the Euclidean norm of its rounding (`+∞` with the scale).
    pub fn quantize_row_coarse(row: &[f32], block: &mut [u8], r: usize) -> (f32, f32) => quantize_row_coarse_generic
);

/// `v` (≥ 0) rounded up to an `f32`, with room for the roundings of the `f64` sums behind it.
fn round_up(v: f64) -> f32 {
    let v = v * (1.0 + f64::powi(2.0, -40));
    let rounded = v as f32;
    if (rounded as f64) < v { rounded.next_up() } else { rounded }
}

/// The Euclidean norm of a row, rounded up to an `f32` (`+∞` for a row with NaN or ±∞), as
/// [`Query::cannot_reach`] takes it.
pub fn norm_bound(row: &[f32]) -> f32 {
    let norm = row.iter().map(|&v| v as f64 * v as f64).sum::<f64>().sqrt();
    if norm.is_finite() { round_up(norm) } else { f32::INFINITY }
}

/// How a row's exact integer product becomes its interval, for one code width.
#[derive(Clone, Copy)]
struct Scaling {
    /// `x ≈ step · p`.
    step: f32,
    /// Half-width of a row's interval per unit of the row's scale: for 8-bit rows all of it,
    /// for 4-bit rows all but the row's own rounding.
    slack: f32,
    /// Absolute half-width for the roundings below `f32::MIN_POSITIVE` (each at most 2⁻¹⁵⁰):
    /// itself a normal number, since subnormal operands cost the CPU a slow microcode assist.
    floor: f32,
}

/// A query vector in integer form, against 8-bit and against 4-bit rows, with the constants of
/// its score bounds.
pub struct Query {
    /// 16-bit codes against 8-bit rows (padded with zeros to the code stride).
    codes: Vec<i16>,
    fine: Scaling,
    /// 8-bit codes `p` against 4-bit rows, four to an `i32` as the nibbles of a group meet
    /// them: `[p[8g..8g + 4], p[8g + 4..8g + 8]]` for group `g`, zero-padded.
    coarse_codes: Vec<[i32; 2]>,
    /// `8·Σp`: what the nibbles' offset adds to a 4-bit row's product.
    coarse_offset: i32,
    coarse: Scaling,
    /// The bounds of a 4-bit row's rounding term: `s·rounding` (`s/2·‖x‖₁`) and
    /// `‖e‖₂·norm` (`‖x‖₂·‖e‖₂`), each with room for roundings.
    rounding: f32,
    norm: f32,
    /// `‖x‖₂ · (1 + γ)`, rounded up.
    reach: f64,
}

impl Query {
    /// The integer forms of `x`; `None` when `x` cannot be certified (a non-finite entry, all
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
        let coarse_step = max / 127.0;
        let mut p = vec![0i8; dim.next_multiple_of(COARSE_GROUP)];
        for (p, v) in p.iter_mut().zip(x) {
            *p = (v / coarse_step).round().clamp(-127.0, 127.0) as i8;
        }
        let four = |p: &[i8]| i32::from_le_bytes([p[0] as u8, p[1] as u8, p[2] as u8, p[3] as u8]);
        let coarse_codes = p.chunks_exact(COARSE_GROUP).map(|g| [four(&g[..4]), four(&g[4..])]).collect();
        let gamma = 8.0 * (dim as f64 + 32.0) * f64::powi(2.0, -24);
        let floor = f32::MIN_POSITIVE * (dim + 64) as f32;
        let margin = 1.0 + 1.0 / 1024.0;
        // ‖ε‖₁ for step t and codes p: each x_k − t·p_k is exact in f64.
        let rounding_l1 = |t: f32, p: &mut dyn Iterator<Item = f64>| x.iter().zip(p).map(|(&v, p)| (v as f64 - t as f64 * p).abs()).sum::<f64>();
        let epsilon = rounding_l1(step, &mut codes.iter().map(|&p| p as f64));
        let coarse_epsilon = rounding_l1(coarse_step, &mut p.iter().map(|&p| p as f64));
        let scaling = |levels: f32, step: f32, epsilon: f64, own: f64| {
            let levels = levels as f64;
            let slack = own + levels * epsilon + (levels + 0.01) * gamma * l1;
            Scaling { step, slack: (slack * margin) as f32, floor }
        };
        let norm = x.iter().map(|&v| v as f64 * v as f64).sum::<f64>().sqrt();
        Some(Query {
            codes,
            fine: scaling(FINE_LEVELS, step, epsilon, HALF_STEP * l1),
            coarse_offset: NIBBLE_ZERO as i32 * p.iter().map(|&p| p as i32).sum::<i32>(),
            coarse_codes,
            coarse: scaling(COARSE_LEVELS, coarse_step, coarse_epsilon, 0.0),
            rounding: (HALF_STEP * l1 * margin) as f32,
            norm: round_up(norm * margin),
            reach: norm * (1.0 + gamma) * (1.0 + f64::powi(2.0, -40)),
        })
    }

    /// True when no `f32` dot product of the query with a row of Euclidean norm at most
    /// `row_norm` can reach `bar`: by Cauchy–Schwarz it is at most `‖x‖·‖y‖·(1 + γ)`, plus
    /// the roundings below `f32::MIN_POSITIVE`.
    pub fn cannot_reach(&self, row_norm: f32, bar: f32) -> bool {
        self.reach * row_norm as f64 + (self.fine.floor as f64) < f64::from(bar)
    }
}

/// The interval of one row from its exact integer product `dot`; `own` is the bound of the
/// row's own rounding where it is not in `c.slack` (4-bit rows), else 0.
#[inline(always)]
fn interval<const FMA: bool>(c: Scaling, dot: i32, scale: f32, own: f32) -> (f32, f32) {
    // (P·s)·t rather than P·(s·t): an underflow then loses at most 2⁻¹⁵⁰, not 2⁻¹⁵⁰·|P|.
    let approx = dot as f32 * scale * c.step;
    let half = super::fmadd::<FMA>(scale, c.slack, own) + c.floor;
    (approx - half, approx + half)
}

/// The bound of a 4-bit row's own rounding: the smaller of `s/2·‖x‖₁` and `‖x‖₂·‖e‖₂`.
#[inline(always)]
fn coarse_rounding(q: &Query, scale: f32, error: f32) -> f32 {
    (scale * q.rounding).min(error * q.norm)
}

/// The exact product of 8-bit row `i` with the query's codes.
#[inline(always)]
fn fine_dot(q: &Query, m: &QuantizedRows, i: usize) -> i32 {
    let codes = &m.codes[i * q.codes.len()..][..q.codes.len()];
    codes.iter().zip(&q.codes).map(|(&c, &p)| c as i32 * p as i32).sum()
}

/// The exact products of eight 8-bit rows (each `q.codes.len()` codes at the given addresses):
/// codes widened to 16 bits, multiplied and summed in pairs by `vpmaddwd`, one accumulator per
/// row, reduced together at the end.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
unsafe fn fine_dots8(q: &Query, rows: [*const i8; 8]) -> std::arch::x86_64::__m256i {
    use std::arch::x86_64::*;
    let x = q.codes.as_ptr() as *const __m256i;
    let mut acc = [_mm256_setzero_si256(); 8];
    for b in 0..q.codes.len() / CODE_BLOCK {
        let xb = _mm256_loadu_si256(x.add(b));
        for r in 0..8 {
            let codes = _mm256_cvtepi8_epi16(_mm_loadu_si128(rows[r].add(b * CODE_BLOCK) as *const __m128i));
            acc[r] = _mm256_add_epi32(acc[r], _mm256_madd_epi16(codes, xb));
        }
    }
    // hadd twice leaves, per 128-bit half, the half-sums of rows 0..3 (and 4..7).
    let low = _mm256_hadd_epi32(_mm256_hadd_epi32(acc[0], acc[1]), _mm256_hadd_epi32(acc[2], acc[3]));
    let high = _mm256_hadd_epi32(_mm256_hadd_epi32(acc[4], acc[5]), _mm256_hadd_epi32(acc[6], acc[7]));
    _mm256_add_epi32(_mm256_permute2x128_si256::<0x20>(low, high), _mm256_permute2x128_si256::<0x31>(low, high))
}

/// Writes the intervals of eight rows from their exact products and scales.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
unsafe fn intervals8(c: Scaling, dots: std::arch::x86_64::__m256i, scales: &[f32; 8], lower: &mut [f32], upper: &mut [f32]) {
    use std::arch::x86_64::*;
    let scale = _mm256_loadu_ps(scales.as_ptr());
    let approx = _mm256_mul_ps(_mm256_mul_ps(_mm256_cvtepi32_ps(dots), scale), _mm256_set1_ps(c.step));
    let half = _mm256_add_ps(_mm256_mul_ps(scale, _mm256_set1_ps(c.slack)), _mm256_set1_ps(c.floor));
    _mm256_storeu_ps(lower[..8].as_mut_ptr(), _mm256_sub_ps(approx, half));
    _mm256_storeu_ps(upper[..8].as_mut_ptr(), _mm256_add_ps(approx, half));
}

#[inline(always)]
fn score_bounds_at_generic<const FMA: bool>(q: &Query, m: &QuantizedRows, rows: &[u32], lower: &mut [f32], upper: &mut [f32]) {
    let count = rows.len();
    assert!(q.codes.len() == code_stride(m.dim) && lower.len() >= count && upper.len() >= count);
    let mut k = 0;
    #[cfg(target_arch = "x86_64")]
    if FMA {
        while k + 8 <= count {
            let rows: [usize; 8] = std::array::from_fn(|r| rows[k + r] as usize);
            let scales = rows.map(|i| m.scales[i]); // checks every row
            // SAFETY: `FMA = true` only in code compiled for AVX2+FMA (see `fma_dispatch!`);
            // the rows exist (their scales do), each with `q.codes.len()` codes.
            unsafe {
                let dots = fine_dots8(q, rows.map(|i| m.codes.as_ptr().add(i * q.codes.len())));
                intervals8(q.fine, dots, &scales, &mut lower[k..], &mut upper[k..]);
            }
            k += 8;
        }
    }
    for k in k..count {
        let i = rows[k] as usize;
        (lower[k], upper[k]) = interval::<FMA>(q.fine, fine_dot(q, m, i), m.scales[i], 0.0);
    }
}

fma_dispatch!(
    /// `lower[k] ≤ x·y_i ≤ upper[k]` for every `f32` evaluation of the dot product of the query
    /// with row `i = rows[k]` of the original matrix, eight rows at a time in the AVX2 build.
    /// Either bound may be NaN (a row quantised with scale `+∞`): nothing is known then.
    pub fn score_bounds_at(q: &Query, m: &QuantizedRows, rows: &[u32], lower: &mut [f32], upper: &mut [f32]) => score_bounds_at_generic
);

/// The exact product of the query with row `r` of the 4-bit block `block`.
#[inline(always)]
fn coarse_dot(q: &Query, block: &[u8], r: usize) -> i32 {
    let nibble = |n: u8| n as i32 - NIBBLE_ZERO as i32;
    let mut dot = 0;
    for (group, p) in block.chunks_exact(32).zip(&q.coarse_codes) {
        let (low, high) = (p[0].to_le_bytes(), p[1].to_le_bytes());
        for (j, &b) in group[4 * r..4 * r + 4].iter().enumerate() {
            dot += nibble(b & 0xF) * low[j] as i8 as i32 + nibble(b >> 4) * high[j] as i8 as i32;
        }
    }
    dot
}

/// [`coarse_bounds_generic`] in AVX2, for the whole blocks of `rows`; returns how many rows it
/// did and how many it listed in `reach`. Per 32-byte group of a block, the low and the high
/// nibbles are multiplied by four query codes each, broadcast, and summed into the row's lane:
/// with VNNI by `vpdpbusd`, the high nibbles left in place (sixteen times their value, divided
/// out exactly at the end); else by `vpmaddubsw` (15·127·2 fits an i16, so nothing saturates)
/// and `vpmaddwd`. The nibbles' offset is taken off at the end. The loop over a block's
/// groups is unrolled for 32, 64 and 128 factors (a third faster at 64).
#[cfg(target_arch = "x86_64")]
#[inline(always)]
#[allow(clippy::too_many_arguments)]
unsafe fn coarse_bounds_avx2<const VNNI: bool>(q: &Query, m: &CoarseRows, rows: Range<usize>, lower: &mut [f32], upper: &mut [f32], bar: f32, reach: &mut [u32]) -> (usize, usize) {
    match q.coarse_codes.len() {
        4 => coarse_blocks::<VNNI, 4>(q, m, rows, lower, upper, bar, reach),
        8 => coarse_blocks::<VNNI, 8>(q, m, rows, lower, upper, bar, reach),
        16 => coarse_blocks::<VNNI, 16>(q, m, rows, lower, upper, bar, reach),
        _ => coarse_blocks::<VNNI, 0>(q, m, rows, lower, upper, bar, reach),
    }
}

/// [`coarse_bounds_avx2`] for blocks of `GROUPS` groups (0: as many as the query has).
#[cfg(target_arch = "x86_64")]
#[inline(always)]
#[allow(clippy::too_many_arguments)]
unsafe fn coarse_blocks<const VNNI: bool, const GROUPS: usize>(
    q: &Query,
    m: &CoarseRows,
    rows: Range<usize>,
    lower: &mut [f32],
    upper: &mut [f32],
    bar: f32,
    reach: &mut [u32],
) -> (usize, usize) {
    use std::arch::x86_64::*;
    let groups = if GROUPS > 0 { GROUPS } else { q.coarse_codes.len() };
    let whole = rows.len() / COARSE_ROWS * COARSE_ROWS;
    let (nibble, offset) = (_mm256_set1_epi8(0xF), _mm256_set1_epi32(q.coarse_offset));
    let (step, slack, floor) = (_mm256_set1_ps(q.coarse.step), _mm256_set1_ps(q.coarse.slack), _mm256_set1_ps(q.coarse.floor));
    let (rounding, norm, bars) = (_mm256_set1_ps(q.rounding), _mm256_set1_ps(q.norm), _mm256_set1_ps(bar));
    let p = q.coarse_codes.as_ptr() as *const i32;
    let mut listed = 0;
    // SAFETY (by the caller's checks): the whole blocks of `rows` are within `m.codes` (32
    // bytes per group) and `m.scales`, the outputs hold rows.len() values.
    let mut block = m.codes.as_ptr().add(rows.start / COARSE_ROWS * groups * 32) as *const __m256i;
    for k in (0..whole).step_by(COARSE_ROWS) {
        // Two sums, so that consecutive groups do not wait on each other.
        let (mut first, mut second) = (_mm256_setzero_si256(), _mm256_setzero_si256());
        let dots = if VNNI {
            let high_nibbles = _mm256_slli_epi16::<4>(nibble);
            for g in 0..groups {
                let v = _mm256_loadu_si256(block.add(g));
                first = _mm256_dpbusd_avx_epi32(first, _mm256_and_si256(v, nibble), _mm256_set1_epi32(*p.add(2 * g)));
                second = _mm256_dpbusd_avx_epi32(second, _mm256_and_si256(v, high_nibbles), _mm256_set1_epi32(*p.add(2 * g + 1)));
            }
            _mm256_add_epi32(first, _mm256_srai_epi32::<4>(second))
        } else {
            let mut g = 0;
            while g + 2 <= groups {
                first = _mm256_add_epi32(first, coarse_group(block.add(g), p.add(2 * g), nibble));
                second = _mm256_add_epi32(second, coarse_group(block.add(g + 1), p.add(2 * g + 2), nibble));
                g += 2;
            }
            if g < groups {
                first = _mm256_add_epi32(first, coarse_group(block.add(g), p.add(2 * g), nibble));
            }
            _mm256_add_epi32(first, second)
        };
        let dots = _mm256_sub_epi32(dots, offset);
        let (scale, error) = (_mm256_loadu_ps(m.scales.as_ptr().add(rows.start + k)), _mm256_loadu_ps(m.errors.as_ptr().add(rows.start + k)));
        let approx = _mm256_mul_ps(_mm256_mul_ps(_mm256_cvtepi32_ps(dots), scale), step);
        let own = _mm256_min_ps(_mm256_mul_ps(scale, rounding), _mm256_mul_ps(error, norm));
        let half = _mm256_add_ps(_mm256_fmadd_ps(scale, slack, own), floor);
        let high = _mm256_add_ps(approx, half);
        _mm256_storeu_ps(lower.as_mut_ptr().add(k), _mm256_sub_ps(approx, half));
        _mm256_storeu_ps(upper.as_mut_ptr().add(k), high);
        // The rows that may reach the bar: not below it, or NaN.
        let mut mask = _mm256_movemask_ps(_mm256_cmp_ps::<_CMP_NLT_UQ>(high, bars)) as u32;
        while mask != 0 {
            *reach.get_unchecked_mut(listed) = (k + mask.trailing_zeros() as usize) as u32;
            listed += 1;
            mask &= mask - 1;
        }
        block = block.add(groups);
    }
    (whole, listed)
}

/// The products of one 32-byte group of a 4-bit block with the query codes `p[0..2]`, per row.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
unsafe fn coarse_group(group: *const std::arch::x86_64::__m256i, p: *const i32, nibble: std::arch::x86_64::__m256i) -> std::arch::x86_64::__m256i {
    use std::arch::x86_64::*;
    let v = _mm256_loadu_si256(group);
    let (low, high) = (_mm256_and_si256(v, nibble), _mm256_and_si256(_mm256_srli_epi16::<4>(v), nibble));
    let pairs = _mm256_add_epi16(_mm256_maddubs_epi16(low, _mm256_set1_epi32(*p)), _mm256_maddubs_epi16(high, _mm256_set1_epi32(*p.add(1))));
    _mm256_madd_epi16(pairs, _mm256_set1_epi16(1))
}

/// [`coarse_bounds_avx2`] with VNNI, for CPUs that have it.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma,avxvnni")]
#[allow(clippy::too_many_arguments)]
unsafe fn coarse_bounds_vnni(q: &Query, m: &CoarseRows, rows: Range<usize>, lower: &mut [f32], upper: &mut [f32], bar: f32, reach: &mut [u32]) -> (usize, usize) {
    coarse_bounds_avx2::<true>(q, m, rows, lower, upper, bar, reach)
}

/// Whether the 4-bit kernel uses VNNI: when the CPU has it (tests can turn it off on their
/// thread, to check the plain AVX2 loop too).
#[cfg(target_arch = "x86_64")]
fn use_vnni() -> bool {
    #[cfg(test)]
    if tests::AVX2_ONLY.get() {
        return false;
    }
    is_x86_feature_detected!("avxvnni")
}

#[inline(always)]
fn coarse_bounds_generic<const FMA: bool>(q: &Query, m: &CoarseRows, rows: Range<usize>, lower: &mut [f32], upper: &mut [f32], bar: f32, reach: &mut [u32]) -> usize {
    let bytes = coarse_block_bytes(m.dim);
    // The AVX2 loop reads and writes unchecked: everything it touches must be in bounds.
    let n = rows.len();
    assert!(rows.start.is_multiple_of(COARSE_ROWS) && rows.end <= m.rows() && lower.len() >= n && upper.len() >= n && reach.len() >= n);
    assert!(q.coarse_codes.len() * 32 == bytes && m.codes.len() == coarse_len(m.rows(), m.dim));
    let (mut done, mut listed) = (0, 0);
    #[cfg(target_arch = "x86_64")]
    if FMA {
        // SAFETY: `FMA = true` only in code compiled for AVX2+FMA (see `fma_dispatch!`); VNNI
        // checked just here.
        (done, listed) = unsafe {
            if use_vnni() {
                coarse_bounds_vnni(q, m, rows.clone(), lower, upper, bar, reach)
            } else {
                coarse_bounds_avx2::<false>(q, m, rows.clone(), lower, upper, bar, reach)
            }
        };
    }
    for k in done..n {
        let i = rows.start + k;
        let block = &m.codes[i / COARSE_ROWS * bytes..][..bytes];
        let own = coarse_rounding(q, m.scales[i], m.errors[i]);
        (lower[k], upper[k]) = interval::<FMA>(q.coarse, coarse_dot(q, block, i % COARSE_ROWS), m.scales[i], own);
        #[allow(clippy::neg_cmp_op_on_partial_ord)]
        if !(upper[k] < bar) {
            reach[listed] = k as u32;
            listed += 1;
        }
    }
    listed
}

fma_dispatch!(
    /// [`score_bounds_at`] for the 4-bit rows in `rows` (`rows.start` a multiple of
    /// [`COARSE_ROWS`]): `lower[i − rows.start] ≤ x·y_i ≤ upper[i − rows.start]`, intervals
    /// about ten times wider from half the bytes. Also lists in `reach` the rows (as
    /// `i − rows.start`, increasing) whose upper bound is not below `bar` (or is NaN) and
    /// returns how many.
    pub fn coarse_bounds(q: &Query, m: &CoarseRows, rows: Range<usize>, lower: &mut [f32], upper: &mut [f32], bar: f32, reach: &mut [u32]) -> usize => coarse_bounds_generic
);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::linalg::gemm::multiply_rows;
    use crate::linalg::test_data as data;
    use std::cell::Cell;

    thread_local! {
        /// Set: [`use_vnni`] says no on this thread.
        pub(super) static AVX2_ONLY: Cell<bool> = const { Cell::new(false) };
    }

    /// The 4-bit bounds of `rows`, by the scalar kernel or the dispatched one (with VNNI or
    /// not), checking the rows it lists against a bar of 0: those whose upper bound is not
    /// below it, or NaN.
    fn coarse_checked(q: &Query, coarse: &CoarseRows, rows: Range<usize>, lower: &mut [f32], upper: &mut [f32], kernel: &str) {
        let mut reach = vec![u32::MAX; rows.len()];
        AVX2_ONLY.set(kernel == "avx2");
        let listed = match kernel {
            "scalar" => coarse_bounds_generic::<false>(q, coarse, rows.clone(), lower, upper, 0.0, &mut reach),
            _ => coarse_bounds(q, coarse, rows.clone(), lower, upper, 0.0, &mut reach),
        };
        AVX2_ONLY.set(false);
        let want: Vec<u32> = (0..rows.len() as u32).filter(|&k| upper[k as usize].is_nan() || upper[k as usize] >= 0.0).collect();
        assert_eq!(&reach[..listed], &want[..], "{kernel}: rows reaching the bar");
    }

    /// A kernel's name, the scales it used, and the lower and upper bounds of every row.
    type Bounds = (&'static str, Vec<f32>, Vec<f32>, Vec<f32>);

    /// Bounds of rows `3..rows` by every kernel: 8-bit (listed rows), 4-bit (in two ranges:
    /// 0..8, 8..rows), in the dispatched build (AVX2 here, with VNNI if the CPU has it, and
    /// without) and the scalar one. Returns (name, scales, lower, upper).
    fn all_bounds(q: &Query, fine: &QuantizedRows, coarse: &CoarseRows) -> Vec<Bounds> {
        let rows = fine.rows();
        let listed: Vec<u32> = (3..rows as u32).collect();
        let mut out = Vec::new();
        type Kernel<'k> = Box<dyn Fn(&mut [f32], &mut [f32]) + 'k>;
        let four = |kernel: &'static str| -> Kernel {
            Box::new(move |l, u| {
                coarse_checked(q, coarse, 0..8, l, u, kernel);
                coarse_checked(q, coarse, 8..rows, &mut l[8..], &mut u[8..], kernel);
            })
        };
        let kernels: [(&str, &[f32], Kernel); 5] = [
            ("8-bit listed", fine.scales, Box::new(|l, u| score_bounds_at(q, fine, &listed, l, u))),
            ("8-bit listed scalar", fine.scales, Box::new(|l, u| score_bounds_at_generic::<false>(q, fine, &listed, l, u))),
            ("4-bit", coarse.scales, four("dispatched")),
            ("4-bit AVX2 without VNNI", coarse.scales, four("avx2")),
            ("4-bit scalar", coarse.scales, four("scalar")),
        ];
        for (name, scales, kernel) in kernels {
            let (mut lower, mut upper) = (vec![f32::NAN; rows], vec![f32::NAN; rows]);
            let from = if name.starts_with('4') { 0 } else { 3 };
            kernel(&mut lower[from..], &mut upper[from..]);
            out.push((name, scales.to_vec(), lower, upper));
        }
        out
    }

    #[test]
    fn bounds_hold_the_f32_dot_products() {
        for dim in [1, 7, 16, 31, 33, 64, 65, 100, 128] {
            let rows = 203;
            let mut m = data(rows * dim, dim as u64);
            m[5 * dim] = f32::NAN; // row 5: no bound
            m[6 * dim..7 * dim].fill(0.0); // row 6: exactly zero
            m[7 * dim..8 * dim].fill(1e-40); // row 7: subnormal scale, no bound
            m[8 * dim..9 * dim].iter_mut().for_each(|v| *v *= 1e-30); // row 8: tiny but normal
            m[11 * dim] = 1e20; // row 11: too large, no bound
            for (salt, scale) in [(1, 1.0), (2, 1e-20), (3, 1e12)] {
                let x: Vec<f32> = data(dim, 100 + salt).iter().map(|v| v * scale).collect();
                // Rows 9 and 10 along x: their scores are the Cauchy–Schwarz bound itself.
                for (r, c) in [(9, 0.7f32), (10, -3.0)] {
                    m[r * dim..(r + 1) * dim].iter_mut().zip(&x).for_each(|(v, x)| *v = c * x / scale);
                }
                // Rows 12 and 13 at the worst case of rounding, for 8 and for 4 bits: every
                // entry 0.499 of a step (1/127, 1/7) from its code, on the side of x's sign, so
                // that the errors add up.
                for (r, levels) in [(12, 127), (13, 7)] {
                    for (k, (v, x)) in m[r * dim..(r + 1) * dim].iter_mut().zip(&x).enumerate() {
                        let code = (k % (2 * levels - 1)) as f32 - (levels - 1) as f32;
                        *v = if k == 0 { 1.0 } else { (code + 0.499 * x.signum()) / levels as f32 };
                    }
                }
                // Row 14 with its 4-bit rounding parallel to x (but for entry 0): the
                // Cauchy–Schwarz bound ‖x‖₂·‖e‖₂ is reached.
                let x_max = x.iter().fold(0f32, |a, v| a.max(v.abs()));
                for (k, (v, x)) in m[14 * dim..15 * dim].iter_mut().zip(&x).enumerate() {
                    *v = if k == 0 { 1.0 } else { ((k % 13) as f32 - 6.0 + 0.45 * x / x_max) / 7.0 };
                }
                let (stride, bytes) = (code_stride(dim), coarse_block_bytes(dim));
                let (mut codes, mut nibbles) = (vec![0i8; rows * stride], zero_coarse_block(dim).repeat(rows.div_ceil(8)));
                let scales: Vec<f32> = m.chunks_exact(dim).zip(codes.chunks_exact_mut(stride)).map(|(r, c)| quantize_row(r, c)).collect();
                let (cscales, errors): (Vec<f32>, Vec<f32>) =
                    m.chunks_exact(dim).enumerate().map(|(i, r)| quantize_row_coarse(r, &mut nibbles[i / 8 * bytes..][..bytes], i % 8)).unzip();
                let fine = QuantizedRows::new(&codes, &scales, dim, rows).unwrap();
                let coarse = CoarseRows::new(&nibbles, &cscales, &errors, dim, rows).unwrap();
                let q = Query::new(&x).unwrap();
                let mut exact = vec![0f32; rows];
                multiply_rows(&x, &m, 0..rows, &mut exact);
                let l1: f32 = x.iter().map(|v| v.abs()).sum();
                let max = x.iter().fold(0f32, |a, v| a.max(v.abs()));
                for (name, scales, lower, upper) in all_bounds(&q, &fine, &coarse) {
                    for i in 3..rows {
                        let case = format!("{name}, dim {dim}, x scale {scale}, row {i}");
                        if matches!(i, 5 | 7 | 11) {
                            assert!(lower[i].is_nan() && upper[i].is_nan(), "{case}");
                            continue;
                        }
                        let naive: f64 = (0..dim).map(|k| x[k] as f64 * m[i * dim + k] as f64).sum();
                        for s in [exact[i], naive as f32] {
                            assert!(lower[i] <= s && s <= upper[i], "{case}: {s} ∉ [{}, {}]", lower[i], upper[i]);
                            assert!(!q.cannot_reach(norm_bound(&m[i * dim..(i + 1) * dim]), s), "{case}: norm bound");
                        }
                        // and the interval is narrow: about the row's scale times ‖x‖₁ and the
                        // query's own rounding (plus the floor); for 4 bits, at most the row's
                        // rounding bound by Cauchy–Schwarz (with ‖x‖₂) and the query's.
                        let query_rounding = if name.starts_with('4') { 7.0 * dim as f32 * max / 127.0 } else { 0.0 };
                        assert!(upper[i] - lower[i] <= 1.1 * scales[i] * (l1 + query_rounding) + 1e-30, "{case}");
                        if name.starts_with('4') {
                            let l2 = x.iter().map(|v| v * v).sum::<f32>().sqrt();
                            let width = 2.0 * (errors[i] * l2 + scales[i] * query_rounding / 2.0);
                            assert!(upper[i] - lower[i] <= 1.05 * width + 1e-30, "{case}: {} > {width}", upper[i] - lower[i]);
                        }
                    }
                }
            }
            assert!(Query::new(&vec![0.0; dim]).is_none());
            assert!(Query::new(&vec![f32::INFINITY; dim]).is_none());
        }
    }

    #[test]
    fn four_bit_codes_round_to_the_nearest_step() {
        // Entry k of a 13-entry row sits at (k mod 15 − 7)/7 of the largest, a little less: code
        // k mod 15 − 7, in the nibble that COARSE_GROUP says; the other rows and padding stay 0.
        let dim = 13;
        let mut row: Vec<f32> = (0..dim).map(|k| ((k % 15) as f32 - 7.0) / 7.0 * 0.999).collect();
        row[0] = -1.0;
        let mut block = zero_coarse_block(dim);
        assert_eq!(block.len(), 64);
        let (s, error) = quantize_row_coarse(&row, &mut block, 5);
        assert_eq!(s, 1.0 / 7.0);
        // the norm of the rounding, rounded up (codes as above)
        let code = |k: usize| if k == 0 { -7.0 } else { (k % 15) as f64 - 7.0 };
        let want = row.iter().enumerate().map(|(k, &v)| (v as f64 - s as f64 * code(k)).powi(2)).sum::<f64>().sqrt();
        assert!(error as f64 >= want && (error as f64) < want * (1.0 + 1e-6), "{error} {want}");
        for r in 0..8 {
            for k in 0..16 {
                let (byte, shift) = (k / 8 * 32 + 4 * r + k % 4, if k % 8 < 4 { 0 } else { 4 });
                let want = if r != 5 || k >= dim { 0 } else if k == 0 { -7 } else { (k % 15) as i32 - 7 };
                assert_eq!(((block[byte] >> shift) & 0xF) as i32 - 8, want, "row {r}, entry {k}");
            }
        }
        assert_eq!(quantize_row_coarse(&vec![0.0; dim], &mut block, 5), (0.0, 0.0));
        assert_eq!(block, zero_coarse_block(dim));
        assert_eq!(quantize_row_coarse(&[1.0, f32::NAN], &mut block[..32], 0), (f32::INFINITY, f32::INFINITY));
    }
}
