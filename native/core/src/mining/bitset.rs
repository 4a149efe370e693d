//! The one hot kernel of dense Eclat: intersect two bit sets and count the result. The portable
//! loop is compiled twice, once for AVX2 + POPCNT (picked at run time), since the default
//! x86-64 target has no popcount instruction.

/// `out = a & b` (all three of one length); returns the number of bits set in `out`.
pub(crate) type AndCount = fn(&[u64], &[u64], &mut [u64]) -> u32;

/// The fastest kernel this CPU runs.
pub(crate) fn and_count() -> AndCount {
    #[cfg(target_arch = "x86_64")]
    if is_x86_feature_detected!("avx2") && is_x86_feature_detected!("popcnt") {
        return and_count_x86;
    }
    and_count_portable
}

#[inline(always)]
fn and_count_body(a: &[u64], b: &[u64], out: &mut [u64]) -> u32 {
    let mut n = 0u32;
    for ((o, &x), &y) in out.iter_mut().zip(a).zip(b) {
        let w = x & y;
        *o = w;
        n += w.count_ones();
    }
    n
}

fn and_count_portable(a: &[u64], b: &[u64], out: &mut [u64]) -> u32 {
    and_count_body(a, b, out)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,popcnt")]
fn and_count_avx2(a: &[u64], b: &[u64], out: &mut [u64]) -> u32 {
    and_count_body(a, b, out)
}

#[cfg(target_arch = "x86_64")]
fn and_count_x86(a: &[u64], b: &[u64], out: &mut [u64]) -> u32 {
    // SAFETY: `and_count` returns this function only after detecting AVX2 and POPCNT.
    unsafe { and_count_avx2(a, b, out) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kernels_agree() {
        let a: Vec<u64> = (0..37u64).map(|i| i.wrapping_mul(0x9E37_79B9_7F4A_7C15)).collect();
        let b: Vec<u64> = (0..37u64).map(|i| (i + 11).wrapping_mul(0xC2B2_AE3D_27D4_EB4F)).collect();
        let (mut o1, mut o2) = (vec![0; 37], vec![0; 37]);
        let n1 = and_count_portable(&a, &b, &mut o1);
        let n2 = and_count()(&a, &b, &mut o2);
        let expect: u32 = a.iter().zip(&b).map(|(x, y)| (x & y).count_ones()).sum();
        assert_eq!((n1, n2, &o1), (expect, expect, &o2));
    }
}
