//! Turns an event log (sequence code, time, item per row) into CSR sequences for PrefixSpan.

/// Groups events by sequence code and orders each group by time; events with equal times keep
/// their input order. Returns `(offsets, items)` with `offsets.len() == n_seq + 1`, so sequence
/// `s` (possibly empty) is `items[offsets[s]..offsets[s + 1]]`.
///
/// # Panics
/// If the three columns differ in length or a sequence code is not below `n_seq`; the data
/// layer builds the codes, so either is a bug in the caller.
pub fn sequences_from_events(seq: &[u32], time: &[f64], item: &[u32], n_seq: u32) -> (Vec<u32>, Vec<u32>) {
    assert!(seq.len() == time.len() && seq.len() == item.len(), "seq, time and item differ in length");
    // Counting sort by sequence code: stable, so each group keeps the input order.
    let mut offsets = vec![0u32; n_seq as usize + 1];
    for &s in seq {
        assert!(s < n_seq, "sequence code {s} is not below nSeq = {n_seq}");
        offsets[s as usize + 1] += 1;
    }
    for s in 0..n_seq as usize {
        offsets[s + 1] += offsets[s];
    }
    let mut cursor = offsets.clone();
    let mut order = vec![0u32; seq.len()];
    for (row, &s) in seq.iter().enumerate() {
        order[cursor[s as usize] as usize] = row as u32;
        cursor[s as usize] += 1;
    }
    for w in offsets.windows(2) {
        // `sort_by` is stable: ties in time keep the input order.
        order[w[0] as usize..w[1] as usize].sort_by(|&a, &b| time[a as usize].total_cmp(&time[b as usize]));
    }
    let items = order.iter().map(|&row| item[row as usize]).collect();
    (offsets, items)
}
