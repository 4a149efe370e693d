//! PrefixSpan against the reference counts on LEVIATHAN, the seed's clickstream, brute force,
//! and the event-log helper.

use rusket_core::error::Code;
use rusket_core::sequence::{prefixspan, sequences_from_events, Patterns};

mod common;
use common::Rng;

/// Sequences in CSR form.
struct Seqs {
    offsets: Vec<u32>,
    items: Vec<u32>,
    n_items: u32,
}

impl Seqs {
    fn from_lists(lists: &[Vec<u32>], n_items: u32) -> Seqs {
        let mut s = Seqs { offsets: vec![0], items: vec![], n_items };
        for l in lists {
            s.items.extend(l);
            s.offsets.push(s.items.len() as u32);
        }
        s
    }

    fn mine(&self, min_count: u32, max_len: usize, threads: usize) -> Patterns {
        prefixspan(&self.offsets, &self.items, self.n_items, min_count, max_len, threads).unwrap()
    }

    /// The number of sequences that contain `pattern` as a subsequence, counted one by one.
    fn support(&self, pattern: &[u32]) -> u32 {
        self.offsets
            .windows(2)
            .filter(|w| {
                let mut rest = self.items[w[0] as usize..w[1] as usize].iter();
                pattern.iter().all(|p| rest.any(|i| i == p))
            })
            .count() as u32
    }
}

/// LEVIATHAN in SPMF format: `-1` ends an itemset, `-2` a sequence. Every itemset of this
/// file holds exactly one item (checked here), so each itemset is one event.
fn leviathan() -> Seqs {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../data/leviathan.txt")).unwrap();
    let mut lists = Vec::new();
    let mut n_items = 0;
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let (mut seq, mut itemset) = (Vec::new(), Vec::new());
        for tok in line.split_whitespace() {
            match tok {
                "-1" => {
                    assert_eq!(itemset.len(), 1, "one item per itemset in {line:?}");
                    seq.append(&mut itemset);
                }
                "-2" => break,
                t => itemset.push(t.parse::<u32>().unwrap()),
            }
        }
        n_items = seq.iter().fold(n_items, |m, &i| m.max(i + 1));
        lists.push(seq);
    }
    Seqs::from_lists(&lists, n_items)
}

fn as_set(p: &Patterns) -> Vec<(Vec<u32>, u32)> {
    let mut v: Vec<(Vec<u32>, u32)> = (0..p.len()).map(|k| (p.pattern(k).to_vec(), p.supports[k])).collect();
    v.sort();
    v
}

#[test]
fn leviathan_reference_counts() {
    let s = leviathan();
    assert_eq!(s.offsets.len() - 1, 5834);
    for (frac, expected) in [(0.10, 651), (0.05, 3_698), (0.02, 33_387)] {
        let min_count = (frac * 5834.0f64).ceil() as u32;
        assert_eq!(s.mine(min_count, 0, 2).len(), expected, "min support {frac}");
    }
}

#[test]
fn leviathan_supports_recounted_by_brute_force() {
    let s = leviathan();
    let p = s.mine(117, 0, 2);
    let mut seen = std::collections::HashSet::new();
    for k in 0..p.len() {
        assert!(seen.insert(p.pattern(k).to_vec()), "{:?} reported twice", p.pattern(k));
        assert!(p.supports[k] >= 117);
    }
    for k in (0..p.len()).step_by(211) {
        assert_eq!(p.supports[k], s.support(p.pattern(k)), "support of {:?}", p.pattern(k));
    }
}

#[test]
fn max_len_keeps_exactly_the_short_patterns() {
    let s = leviathan();
    let all = as_set(&s.mine(292, 0, 2));
    for max_len in [1, 2, 3] {
        let short: Vec<_> = all.iter().filter(|(p, _)| p.len() <= max_len).cloned().collect();
        assert_eq!(as_set(&s.mine(292, max_len, 2)), short, "max_len {max_len}");
    }
}

#[test]
fn same_result_on_any_number_of_threads() {
    let s = leviathan();
    let one = s.mine(292, 0, 1);
    assert_eq!(one, s.mine(292, 0, 2));
    assert_eq!(one, s.mine(292, 0, 3));
}


#[test]
fn random_databases_match_exhaustive_enumeration() {
    let mut rng = Rng(0x2545f4914f6cdd1d);
    for round in 0..40 {
        // Small alphabets and, every other round, alphabets larger than the projections.
        let n_items = if round % 2 == 0 { 1 + rng.next(5) as u32 } else { 10 + rng.next(30) as u32 };
        let lists: Vec<Vec<u32>> =
            (0..1 + rng.next(12)).map(|_| (0..rng.next(8)).map(|_| rng.next(n_items as u64) as u32).collect()).collect();
        let s = Seqs::from_lists(&lists, n_items);
        let min_count = 1 + rng.next(4) as u32;
        let max_len = rng.next(4) as usize;
        // Every pattern of a frequent pattern's prefix is frequent: grow level by level.
        let mut expected = Vec::new();
        let mut level: Vec<Vec<u32>> = vec![vec![]];
        while !level.is_empty() && (max_len == 0 || level[0].len() < max_len) {
            let mut next = Vec::new();
            for p in &level {
                for i in 0..n_items {
                    let q: Vec<u32> = p.iter().copied().chain([i]).collect();
                    let support = s.support(&q);
                    if support >= min_count {
                        expected.push((q.clone(), support));
                        next.push(q);
                    }
                }
            }
            level = next;
        }
        expected.sort();
        assert_eq!(as_set(&s.mine(min_count, max_len, 2)), expected, "round {round}: {lists:?} min {min_count} max_len {max_len}");
    }
}

#[test]
fn seed_clickstream() {
    // Seed 001 section 7. Pages: Home 0, Pricing 1, Checkout 2, Features 3.
    let session = [0, 0, 0, 1, 1, 2, 2, 2, 3, 3, 3];
    let time = [10.0, 20.0, 30.0, 15.0, 25.0, 5.0, 15.0, 35.0, 10.0, 18.0, 40.0];
    let page = [0, 1, 2, 0, 1, 3, 1, 2, 0, 3, 2];
    let (offsets, items) = sequences_from_events(&session, &time, &page, 4);
    assert_eq!(offsets, [0, 3, 5, 8, 11]);
    let p = prefixspan(&offsets, &items, 4, 2, 4, 2).unwrap();
    // By hand, from the sessions H P C | H P | F P C | H F C: Home → Pricing is in two sessions
    // (not three) and Features → Pricing → Checkout in one (not two), as the seed prints.
    let expected = vec![
        (vec![0], 3),    // Home
        (vec![0, 1], 2), // Home → Pricing
        (vec![0, 2], 2), // Home → Checkout
        (vec![1], 3),    // Pricing
        (vec![1, 2], 2), // Pricing → Checkout
        (vec![2], 3),    // Checkout
        (vec![3], 2),    // Features
        (vec![3, 2], 2), // Features → Checkout
    ];
    assert_eq!(as_set(&p), expected);
    // Depth-first, items ascending: the order the result comes in.
    let order: Vec<Vec<u32>> = (0..p.len()).map(|k| p.pattern(k).to_vec()).collect();
    assert_eq!(order, [vec![0], vec![0, 1], vec![0, 2], vec![1], vec![1, 2], vec![2], vec![3], vec![3, 2]]);
}

#[test]
fn events_are_grouped_and_ordered_by_time_stably() {
    let seq = [2, 0, 2, 0, 2, 2];
    let time = [5.0, 1.0, 3.0, 1.0, 3.0, -1.0];
    let item = [10, 11, 12, 13, 14, 15];
    let (offsets, items) = sequences_from_events(&seq, &time, &item, 4);
    assert_eq!(offsets, [0, 2, 2, 6, 6], "sequences 1 and 3 are empty");
    assert_eq!(items, [11, 13, 15, 12, 14, 10], "ties keep input order");
}

#[test]
fn bad_arguments_are_reported() {
    let s = Seqs::from_lists(&[vec![0, 1], vec![1]], 2);
    let run = |offsets: &[u32], items: &[u32], n: u32, min: u32| prefixspan(offsets, items, n, min, 0, 1).unwrap_err().code;
    assert_eq!(run(&s.offsets, &s.items, 2, 0), Code::InvalidArgument);
    assert_eq!(run(&[0, 2, 4], &s.items, 2, 1), Code::InvalidFormat);
    assert_eq!(run(&[1, 3], &s.items, 2, 1), Code::InvalidFormat);
    assert_eq!(run(&[0, 2, 1, 3], &s.items, 2, 1), Code::InvalidFormat);
    assert_eq!(run(&s.offsets, &s.items, 1, 1), Code::InvalidFormat);
    assert_eq!(run(&[0], &[], 2, 1), Code::EmptyInput);
    assert!(s.mine(3, 0, 1).is_empty(), "no item is in three sequences");
}

/// Times for the SPMF comparison (`spmf_bench.py PrefixSpan leviathan.txt 0.02`):
/// `cargo test --release -p rusket-core --test sequence -- --ignored --nocapture`.
#[test]
#[ignore]
fn time_leviathan_2_percent() {
    let s = leviathan();
    let mut secs: Vec<f64> = (0..3)
        .map(|_| {
            let t = std::time::Instant::now();
            assert_eq!(s.mine(117, 0, 2).len(), 33_387);
            t.elapsed().as_secs_f64()
        })
        .collect();
    secs.sort_by(f64::total_cmp);
    println!("prefixspan leviathan 2% (2 threads): median {:.3} s of {secs:.3?}", secs[1]);
}
