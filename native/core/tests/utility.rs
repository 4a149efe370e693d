//! EFIM against the reference counts on FoodMart, hand-computed examples, and brute force.

use rusket_core::error::Code;
use rusket_core::utility::{efim, HighUtility};

mod common;
use common::Rng;

/// FoodMart in CSR form: `items:transactionUtility:utilities` per line.
struct Db {
    offsets: Vec<u32>,
    items: Vec<u32>,
    utilities: Vec<f64>,
    n_items: u32,
}

impl Db {
    fn from_lists(txns: &[&[(u32, f64)]]) -> Db {
        let mut db = Db { offsets: vec![0], items: vec![], utilities: vec![], n_items: 0 };
        for t in txns {
            for &(i, u) in t.iter() {
                db.items.push(i);
                db.utilities.push(u);
                db.n_items = db.n_items.max(i + 1);
            }
            db.offsets.push(db.items.len() as u32);
        }
        db
    }

    fn mine(&self, min_utility: f64, max_len: usize, threads: usize) -> HighUtility {
        efim(&self.offsets, &self.items, &self.utilities, self.n_items, min_utility, max_len, threads).unwrap()
    }

    /// The utility of `itemset` (ascending), counted transaction by transaction.
    fn utility(&self, itemset: &[u32]) -> f64 {
        let mut total = 0.0;
        for w in self.offsets.windows(2) {
            let (items, utils) = (&self.items[w[0] as usize..w[1] as usize], &self.utilities[w[0] as usize..w[1] as usize]);
            if itemset.iter().all(|i| items.contains(i)) {
                total += items.iter().zip(utils).filter(|(i, _)| itemset.contains(i)).map(|(_, u)| u).sum::<f64>();
            }
        }
        total
    }
}

fn foodmart() -> Db {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../data/foodmart_utility.txt")).unwrap();
    let mut db = Db { offsets: vec![0], items: vec![], utilities: vec![], n_items: 0 };
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let parts: Vec<&str> = line.split(':').collect();
        assert_eq!(parts.len(), 3, "line {line:?}");
        let items: Vec<u32> = parts[0].split_whitespace().map(|x| x.parse().unwrap()).collect();
        let utils: Vec<f64> = parts[2].split_whitespace().map(|x| x.parse().unwrap()).collect();
        assert_eq!(items.len(), utils.len());
        assert_eq!(utils.iter().sum::<f64>(), parts[1].parse::<f64>().unwrap(), "transaction utility of {line:?}");
        db.n_items = db.n_items.max(items.iter().max().unwrap() + 1);
        db.items.extend(items);
        db.utilities.extend(utils);
        db.offsets.push(db.items.len() as u32);
    }
    db
}

/// All itemsets as (items, utility), sorted, to compare results as sets.
fn as_set(r: &HighUtility) -> Vec<(Vec<u32>, f64)> {
    let mut v: Vec<(Vec<u32>, f64)> = (0..r.len()).map(|s| (r.itemset(s).to_vec(), r.utilities[s])).collect();
    v.sort_by(|a, b| a.0.cmp(&b.0));
    v
}

#[test]
fn foodmart_reference_counts() {
    let db = foodmart();
    assert_eq!(db.offsets.len() - 1, 4141);
    for (min, expected) in [(10_000.0, 428), (5_000.0, 17_439), (2_000.0, 154_670)] {
        assert_eq!(db.mine(min, 0, 2).len(), expected, "min utility {min}");
    }
}

#[test]
fn foodmart_utilities_recounted_by_brute_force() {
    let db = foodmart();
    let r = db.mine(2_000.0, 0, 2);
    let mut seen = std::collections::HashSet::new();
    for s in 0..r.len() {
        let set = r.itemset(s);
        assert!(set.windows(2).all(|w| w[0] < w[1]), "items ascending in {set:?}");
        assert!(seen.insert(set.to_vec()), "{set:?} reported twice");
    }
    // A fixed stride through the result: every length and every first-level subtree.
    for s in (0..r.len()).step_by(997) {
        let set = r.itemset(s);
        assert_eq!(r.utilities[s], db.utility(set), "utility of {set:?}");
        assert!(r.utilities[s] >= 2_000.0);
    }
}

#[test]
fn max_len_keeps_exactly_the_short_itemsets() {
    let db = foodmart();
    let all = as_set(&db.mine(2_000.0, 0, 2));
    for max_len in [1, 2, 3] {
        let short: Vec<_> = all.iter().filter(|(s, _)| s.len() <= max_len).cloned().collect();
        assert_eq!(as_set(&db.mine(2_000.0, max_len, 2)), short, "max_len {max_len}");
    }
}

#[test]
fn same_result_on_any_number_of_threads() {
    let db = foodmart();
    let one = db.mine(5_000.0, 0, 1);
    assert_eq!(one, db.mine(5_000.0, 0, 2));
    assert_eq!(one, db.mine(5_000.0, 0, 3));
}

#[test]
fn seed_example() {
    let db = Db::from_lists(&[&[(1, 5.0), (2, 10.0), (3, 2.0)], &[(1, 5.0), (3, 2.0)], &[(2, 10.0), (3, 2.0)]]);
    // By hand: {2} 10+10, {2,3} 12+12, {1,2,3} 17, {1,2} 15; {1,3} = 14 and {1} = 10 fall short.
    let expected = vec![(vec![1, 2], 15.0), (vec![1, 2, 3], 17.0), (vec![2], 20.0), (vec![2, 3], 24.0)];
    assert_eq!(as_set(&db.mine(15.0, 0, 1)), expected);
    assert_eq!(as_set(&db.mine(15.0, 2, 1)), vec![(vec![1, 2], 15.0), (vec![2], 20.0), (vec![2, 3], 24.0)]);
}

#[test]
fn wine_shop_example() {
    // Seed 001 section 8; champagne 0 (18.50), foie gras 1 (14.00), truffle oil 2 (8.00).
    let (c, f, t) = ((0, 18.5), (1, 14.0), (2, 8.0));
    let db = Db::from_lists(&[&[c, f, t], &[c, t], &[f, t], &[c, f, t]]);
    // By hand: every item and every bundle passes 30 (the seed's printed figures are wrong).
    let expected = vec![
        (vec![0], 3.0 * 18.5),
        (vec![0, 1], 2.0 * 32.5),
        (vec![0, 1, 2], 2.0 * 40.5),
        (vec![0, 2], 3.0 * 26.5),
        (vec![1], 3.0 * 14.0),
        (vec![1, 2], 3.0 * 22.0),
        (vec![2], 4.0 * 8.0),
    ];
    assert_eq!(as_set(&db.mine(30.0, 0, 2)), expected);
    assert_eq!(db.mine(81.0, 0, 1).len(), 1, "only the three-item box reaches 81");
    assert!(db.mine(81.5, 0, 1).is_empty());
}

#[test]
fn repeated_items_add_up_and_zero_utilities_are_kept() {
    let db = Db::from_lists(&[&[(0, 2.0), (1, 0.0), (0, 3.0)], &[(1, 0.0), (2, 1.0)]]);
    assert_eq!(as_set(&db.mine(5.0, 0, 1)), vec![(vec![0], 5.0), (vec![0, 1], 5.0)]);
}


#[test]
fn random_databases_match_exhaustive_enumeration() {
    let mut rng = Rng(0x9e3779b97f4a7c15);
    for round in 0..40 {
        let n_items = 3 + rng.next(8) as u32;
        let txns: Vec<Vec<(u32, f64)>> = (0..1 + rng.next(30))
            .map(|_| (0..rng.next(7)).map(|_| (rng.next(n_items as u64) as u32, rng.next(10) as f64)).collect())
            .collect();
        let refs: Vec<&[(u32, f64)]> = txns.iter().map(|t| t.as_slice()).collect();
        let mut db = Db::from_lists(&refs);
        db.n_items = n_items;
        let min = 1.0 + rng.next(40) as f64;
        let max_len = rng.next(4) as usize;
        let mut expected = Vec::new();
        for mask in 1u32..1 << n_items {
            let set: Vec<u32> = (0..n_items).filter(|i| mask >> i & 1 == 1).collect();
            let u = db.utility(&set);
            if u >= min && (max_len == 0 || set.len() <= max_len) {
                expected.push((set, u));
            }
        }
        expected.sort_by(|a, b| a.0.cmp(&b.0));
        assert_eq!(as_set(&db.mine(min, max_len, 2)), expected, "round {round}: min {min}, max_len {max_len}, {txns:?}");
    }
}

#[test]
fn bad_arguments_are_reported() {
    let db = Db::from_lists(&[&[(0, 1.0), (1, 2.0)], &[(1, 3.0)]]);
    let run = |offsets: &[u32], items: &[u32], utils: &[f64], n: u32, min: f64| efim(offsets, items, utils, n, min, 0, 1).unwrap_err();
    for min in [0.0, -1.0, f64::NAN] {
        assert_eq!(run(&db.offsets, &db.items, &db.utilities, 2, min).code, Code::InvalidArgument, "min {min}");
    }
    for bad in [-1.0, f64::NAN, f64::INFINITY] {
        let e = run(&db.offsets, &db.items, &[1.0, 2.0, bad], 2, 1.0);
        assert_eq!(e.code, Code::InvalidArgument);
        assert!(e.message.contains("utilities[2]"), "{}", e.message);
    }
    assert_eq!(run(&db.offsets, &db.items, &[1.0, 2.0], 2, 1.0).code, Code::InvalidFormat);
    assert_eq!(run(&[0, 2, 4], &db.items, &db.utilities, 2, 1.0).code, Code::InvalidFormat);
    assert_eq!(run(&[0, 2, 1, 3], &db.items, &db.utilities, 2, 1.0).code, Code::InvalidFormat);
    assert_eq!(run(&db.offsets, &db.items, &db.utilities, 1, 1.0).code, Code::InvalidFormat);
    assert_eq!(run(&[0], &[], &[], 2, 1.0).code, Code::EmptyInput);
}

/// Times for the SPMF comparison (`spmf_bench.py EFIM foodmart_utility.txt 2000`):
/// `cargo test --release -p rusket-core --test utility -- --ignored --nocapture`.
#[test]
#[ignore]
fn time_foodmart_2000() {
    let db = foodmart();
    let mut secs: Vec<f64> = (0..3)
        .map(|_| {
            let t = std::time::Instant::now();
            assert_eq!(db.mine(2_000.0, 0, 2).len(), 154_670);
            t.elapsed().as_secs_f64()
        })
        .collect();
    secs.sort_by(f64::total_cmp);
    println!("efim foodmart 2000 (2 threads): median {:.3} s of {secs:.3?}", secs[1]);
}
