//! Frequent itemsets and association rules against the reference counts of
//! `/work/shared/data/README.md` (pyfim, SPMF, mlxtend, node-fpgrowth agree on them), brute-force
//! recounts, and metric values computed by hand.

use std::collections::HashMap;
use std::time::Instant;

use rusket_core::error::Code;
use rusket_core::mining::stream::{self, Chunk};
use rusket_core::mining::{
    association_rules, eclat, fpgrowth, mine, mine_grouped, Baskets, GroupedBaskets, Itemsets, Method, MineOptions,
    Metric, RuleOptions, Rules,
};

fn data(file: &str) -> String {
    format!("{}/../../data/{file}", env!("CARGO_MANIFEST_DIR"))
}

/// A FIMI file: one basket per line, items as space-separated integers.
fn load_dat(file: &str) -> Baskets {
    let text = std::fs::read_to_string(data(file)).unwrap();
    let (mut offsets, mut items) = (vec![0u32], Vec::new());
    for line in text.lines() {
        items.extend(line.split_whitespace().map(|w| w.parse::<u32>().unwrap()));
        offsets.push(items.len() as u32);
    }
    let n_items = items.iter().max().map_or(0, |&m| m + 1);
    Baskets::from_csr(&offsets, &items, n_items).unwrap()
}

/// Groceries, a long `basket,item` CSV; returns the baskets and the item labels (code order).
fn load_groceries() -> (Baskets, Vec<String>) {
    let text = std::fs::read_to_string(data("groceries.csv")).unwrap();
    let rows: Vec<(String, String)> = text
        .lines()
        .skip(1)
        .map(|l| {
            let (b, i) = l.split_once(',').unwrap();
            (b.to_string(), i.to_string())
        })
        .collect();
    let mut labels: Vec<String> = rows.iter().map(|r| r.1.clone()).collect();
    labels.sort();
    labels.dedup();
    let code: HashMap<&str, u32> = labels.iter().enumerate().map(|(c, l)| (l.as_str(), c as u32)).collect();
    let mut baskets: HashMap<&str, u32> = HashMap::new();
    let (mut txn, mut item) = (Vec::new(), Vec::new());
    for (b, i) in &rows {
        let next = baskets.len() as u32;
        txn.push(*baskets.entry(b.as_str()).or_insert(next));
        item.push(code[i.as_str()]);
    }
    let b = Baskets::from_pairs(&txn, &item, baskets.len() as u32, labels.len() as u32).unwrap();
    (b, labels)
}

/// ceil(n * num / den) in integers: the count a fractional minimum support stands for.
fn min_count(n: usize, num: u64, den: u64) -> u32 {
    (n as u64 * num).div_ceil(den) as u32
}

fn options(min_count: u32, method: Method) -> MineOptions {
    MineOptions { min_count, max_len: 0, method, threads: 2 }
}

fn contains(basket: &[u32], set: &[u32]) -> bool {
    set.iter().all(|i| basket.binary_search(i).is_ok())
}

/// Counts of `sets` recomputed by scanning every basket, for every `step`-th itemset.
fn check_counts_by_scan(b: &Baskets, sets: &Itemsets, step: usize) {
    for i in (0..sets.len()).step_by(step) {
        let set = sets.get(i);
        let count = (0..b.n_transactions()).filter(|&t| contains(b.basket(t), set)).count();
        assert_eq!(count as u32, sets.counts[i], "count of {set:?}");
    }
}

/// Mines with both methods, checks they agree exactly, the reference count, sorted items, no
/// repeats, and a sample of counts by brute force.
fn check_reference(b: &Baskets, min_count: u32, expected: usize) -> Itemsets {
    let fp = fpgrowth(b, &options(min_count, Method::FpGrowth)).unwrap();
    let ec = eclat(b, &options(min_count, Method::Eclat)).unwrap();
    assert_eq!(fp.len(), expected, "FP-growth at min_count {min_count}");
    assert_eq!(ec.len(), expected, "Eclat at min_count {min_count}");
    // Same search order by design, so not just the same sets but the same output.
    assert!(fp == ec, "FP-growth and Eclat differ at min_count {min_count}");
    let mut seen = std::collections::HashSet::new();
    for i in 0..fp.len() {
        let set = fp.get(i);
        assert!(!set.is_empty() && set.windows(2).all(|w| w[0] < w[1]), "{set:?} not a sorted set");
        assert!(fp.counts[i] >= min_count);
        assert!(seen.insert(set.to_vec()), "{set:?} reported twice");
    }
    check_counts_by_scan(b, &fp, (fp.len() / 150).max(1));
    fp
}

#[test]
fn groceries_itemsets() {
    let (b, _) = load_groceries();
    assert_eq!((b.n_transactions(), b.n_items, b.items.len()), (9835, 169, 43367));
    check_reference(&b, min_count(9835, 1, 1000), 13_492);
}

#[test]
fn retail_itemsets() {
    let b = load_dat("retail.dat");
    assert_eq!(b.n_transactions(), 88_162);
    for (num, den, expected) in [(1, 100, 159), (5, 1000, 580), (1, 1000, 7_589), (5, 10_000, 19_242)] {
        check_reference(&b, min_count(88_162, num, den), expected);
    }
}

#[test]
fn t10i4d100k_itemsets() {
    let b = load_dat("T10I4D100K.dat");
    for (num, den, expected) in [(1, 100, 385), (5, 1000, 1_073), (1, 1000, 27_532), (5, 10_000, 53_385)] {
        check_reference(&b, min_count(100_000, num, den), expected);
    }
}

#[test]
fn mushroom_itemsets() {
    let b = load_dat("mushroom.dat");
    for (pct, expected) in [(50, 153), (40, 565), (30, 2_735), (20, 53_583), (10, 574_431)] {
        check_reference(&b, min_count(8124, pct, 100), expected);
    }
}

#[test]
fn max_len_keeps_exactly_the_short_itemsets() {
    let b = load_dat("mushroom.dat");
    let all = fpgrowth(&b, &options(min_count(8124, 30, 100), Method::FpGrowth)).unwrap();
    for max_len in [1, 2, 4] {
        let short: Vec<(Vec<u32>, u32)> =
            (0..all.len()).filter(|&i| all.get(i).len() <= max_len).map(|i| (all.get(i).to_vec(), all.counts[i])).collect();
        for method in [Method::FpGrowth, Method::Eclat] {
            let o = MineOptions { max_len, ..options(min_count(8124, 30, 100), method) };
            let capped = mine(&b, &o).unwrap();
            let got: Vec<(Vec<u32>, u32)> = (0..capped.len()).map(|i| (capped.get(i).to_vec(), capped.counts[i])).collect();
            assert_eq!(got, short, "{method:?} with max_len {max_len}");
        }
    }
}

#[test]
fn results_do_not_depend_on_threads_or_method() {
    let b = load_dat("retail.dat");
    let one = mine(&b, &MineOptions { threads: 1, ..options(89, Method::Auto) }).unwrap();
    for method in [Method::Auto, Method::FpGrowth, Method::Eclat] {
        for threads in [2, 3] {
            assert!(mine(&b, &MineOptions { threads, ..options(89, method) }).unwrap() == one);
        }
    }
}

/// A small deterministic pseudo-random generator (64-bit LCG), for fuzzing against brute force.
struct Lcg(u64);
impl Lcg {
    fn below(&mut self, n: u32) -> u32 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        ((self.0 >> 33) % n as u64) as u32
    }
}

/// Every itemset of every basket counted by enumerating the basket's subsets.
fn brute_force(b: &Baskets, min_count: u32, max_len: usize) -> Vec<(Vec<u32>, u32)> {
    let mut counts: HashMap<Vec<u32>, u32> = HashMap::new();
    for t in 0..b.n_transactions() {
        let basket = b.basket(t);
        for mask in 1u32..(1 << basket.len()) {
            if max_len == 0 || mask.count_ones() as usize <= max_len {
                let set: Vec<u32> = (0..basket.len()).filter(|&k| mask >> k & 1 == 1).map(|k| basket[k]).collect();
                *counts.entry(set).or_default() += 1;
            }
        }
    }
    let mut out: Vec<(Vec<u32>, u32)> = counts.into_iter().filter(|&(_, c)| c >= min_count).collect();
    out.sort();
    out
}

fn sorted_pairs(s: &Itemsets) -> Vec<(Vec<u32>, u32)> {
    let mut v: Vec<(Vec<u32>, u32)> = (0..s.len()).map(|i| (s.get(i).to_vec(), s.counts[i])).collect();
    v.sort();
    v
}

#[test]
fn random_baskets_match_brute_force() {
    let mut rng = Lcg(7);
    for round in 0..12 {
        // Skewed item choice so that some items are dense, some rare; some baskets empty.
        let (n_items, n_txn) = (6 + rng.below(12), 40 + rng.below(200));
        let (mut txn, mut item) = (Vec::new(), Vec::new());
        for t in 0..n_txn {
            for _ in 0..rng.below(11) {
                txn.push(t);
                item.push(rng.below(n_items).min(rng.below(n_items)));
            }
        }
        let b = Baskets::from_pairs(&txn, &item, n_txn, n_items).unwrap();
        for (min_count, max_len) in [(1, 0), (2, 0), (n_txn / 10 + 1, 0), (3, 2), (2, 3)] {
            let expected = brute_force(&b, min_count, max_len);
            for method in [Method::FpGrowth, Method::Eclat] {
                let o = MineOptions { min_count, max_len, method, threads: 1 + round % 3 };
                let got = sorted_pairs(&mine(&b, &o).unwrap());
                assert_eq!(got, expected, "round {round}, {method:?}, min_count {min_count}, max_len {max_len}");
            }
        }
    }
}

#[test]
fn mining_rejects_bad_options() {
    let b = Baskets::from_csr(&[0, 2, 3], &[1, 0, 1], 2).unwrap();
    for method in [Method::Auto, Method::FpGrowth, Method::Eclat] {
        assert_eq!(mine(&b, &options(0, method)).unwrap_err().code, Code::InvalidArgument);
        let none = Baskets::from_csr(&[0], &[], 2).unwrap();
        assert_eq!(mine(&none, &options(1, method)).unwrap_err().code, Code::EmptyInput);
        // Nothing frequent is an empty result, not an error.
        assert!(mine(&b, &options(3, method)).unwrap().is_empty());
    }
}

// ---- baskets ----

#[test]
fn pairs_become_sorted_sets_and_keep_empty_baskets() {
    // Basket 1 is empty; basket 2 repeats item 4 and lists items out of order.
    let b = Baskets::from_pairs(&[2, 0, 2, 2, 0, 2, 3], &[4, 1, 0, 4, 3, 4, 2], 5, 6).unwrap();
    assert_eq!(b.offsets, vec![0, 2, 2, 4, 5, 5]);
    assert_eq!(b.items, vec![1, 3, 0, 4, 2]);
    assert_eq!((b.n_transactions(), b.n_items), (5, 6));
    // Empty baskets count as transactions: {1} is in 1 of 5.
    let sets = mine(&b, &options(1, Method::Auto)).unwrap();
    assert_eq!(sorted_pairs(&sets)[..2], [(vec![0], 1), (vec![0, 4], 1)]);
}

#[test]
fn pairs_reject_bad_codes() {
    assert_eq!(Baskets::from_pairs(&[0, 1], &[0], 2, 2).unwrap_err().code, Code::InvalidArgument);
    assert_eq!(Baskets::from_pairs(&[2], &[0], 2, 2).unwrap_err().code, Code::InvalidArgument);
    assert_eq!(Baskets::from_pairs(&[0], &[2], 2, 2).unwrap_err().code, Code::InvalidArgument);
}

#[test]
fn onehot_reads_columns_as_items() {
    // 3 rows x 4 columns, column-major; row 1 is empty; any nonzero byte is "present".
    let cells = [1, 0, 1, /* col 1 */ 0, 0, 0, /* col 2 */ 7, 0, 1, /* col 3 */ 0, 0, 1];
    let b = Baskets::from_onehot(&cells, 3, 4).unwrap();
    assert_eq!(b.offsets, vec![0, 2, 2, 5]);
    assert_eq!(b.items, vec![0, 2, 0, 2, 3]);
    assert_eq!(b.n_items, 4);
    assert_eq!(Baskets::from_onehot(&cells, 3, 3).unwrap_err().code, Code::InvalidArgument);
}

#[test]
fn csr_is_normalized_and_checked() {
    let b = Baskets::from_csr(&[0, 3, 3, 5], &[5, 1, 5, 2, 2], 6).unwrap();
    assert_eq!((b.offsets, b.items), (vec![0, 2, 2, 3], vec![1, 5, 2]));
    assert_eq!(Baskets::from_csr(&[0, 2, 1], &[0, 1], 2).unwrap_err().code, Code::InvalidArgument);
    assert_eq!(Baskets::from_csr(&[1, 2], &[0, 1], 2).unwrap_err().code, Code::InvalidArgument);
    assert_eq!(Baskets::from_csr(&[0, 1], &[2], 2).unwrap_err().code, Code::InvalidArgument);
}

// ---- rules ----

fn rule_options(metric: Metric, min_threshold: f64) -> RuleOptions {
    RuleOptions {
        metric,
        min_threshold,
        single_consequent: false,
        antecedent_items: None,
        consequent_items: None,
        max_antecedent_len: 0,
        max_consequent_len: 0,
        support_only: false,
        threads: 2,
    }
}

fn rule_list(r: &Rules) -> Vec<(Vec<u32>, Vec<u32>)> {
    (0..r.len()).map(|k| (r.antecedent(k).to_vec(), r.consequent(k).to_vec())).collect()
}

fn find_rule(r: &Rules, a: &[u32], c: &[u32]) -> usize {
    (0..r.len()).find(|&k| r.antecedent(k) == a && r.consequent(k) == c).unwrap_or_else(|| panic!("no rule {a:?} => {c:?}"))
}

#[test]
fn groceries_rules_match_arules_and_mlxtend() {
    let (b, labels) = load_groceries();
    let n = b.n_transactions() as u64;
    let sets = mine(&b, &options(min_count(9835, 1, 1000), Method::Auto)).unwrap();
    let single = RuleOptions { single_consequent: true, ..rule_options(Metric::Confidence, 0.5) };
    let rules = association_rules(&sets, n, &single).unwrap();
    assert_eq!(rules.len(), 5_668);
    let mut by_len = [0usize; 7];
    for k in 0..rules.len() {
        assert_eq!(rules.consequent(k).len(), 1);
        by_len[rules.antecedent(k).len() + 1] += 1;
    }
    assert_eq!(by_len[2..], [11, 1461, 3211, 939, 46]);
    let code = |l: &str| labels.iter().position(|x| x == l).unwrap() as u32;
    let k = find_rule(&rules, &[code("honey")], &[code("whole milk")]);
    assert!((rules.columns[2][k] - 0.001118454).abs() < 5e-10);
    assert!((rules.columns[3][k] - 0.7333).abs() < 5e-5);
    assert!((rules.columns[4][k] - 2.870009).abs() < 5e-7);
    // mlxtend also splits off multi-item consequents.
    assert_eq!(association_rules(&sets, n, &rule_options(Metric::Confidence, 0.5)).unwrap().len(), 5_829);
}

#[test]
fn restrictions_equal_filtering_all_rules() {
    let (b, _) = load_groceries();
    let n = b.n_transactions() as u64;
    let sets = mine(&b, &options(min_count(9835, 2, 1000), Method::Auto)).unwrap();
    let all = association_rules(&sets, n, &rule_options(Metric::Lift, 1.2)).unwrap();
    let ante: Vec<bool> = (0..169).map(|i| i % 3 != 0).collect();
    let cons: Vec<bool> = (0..169).map(|i| i % 5 != 1).collect();
    let cases = [
        (Some(ante.clone()), None, 0, 0, false),
        (None, Some(cons.clone()), 0, 0, false),
        (Some(ante.clone()), Some(cons.clone()), 2, 1, false),
        (None, None, 1, 0, false),
        (None, None, 0, 2, true),
    ];
    for (a_items, c_items, max_a, max_c, single) in cases {
        let o = RuleOptions {
            antecedent_items: a_items.clone(),
            consequent_items: c_items.clone(),
            max_antecedent_len: max_a,
            max_consequent_len: max_c,
            single_consequent: single,
            ..rule_options(Metric::Lift, 1.2)
        };
        let got = association_rules(&sets, n, &o).unwrap();
        let ok = |k: usize| {
            let (a, c) = (all.antecedent(k), all.consequent(k));
            a_items.as_ref().is_none_or(|m| a.iter().all(|&i| m[i as usize]))
                && c_items.as_ref().is_none_or(|m| c.iter().all(|&i| m[i as usize]))
                && (max_a == 0 || a.len() <= max_a)
                && (max_c == 0 || c.len() <= max_c)
                && (!single || c.len() == 1)
        };
        let mut expected: Vec<_> = rule_list(&all).into_iter().enumerate().filter(|&(k, _)| ok(k)).map(|(_, r)| r).collect();
        let mut got_list = rule_list(&got);
        assert!(!got_list.is_empty() && got_list.len() < all.len());
        expected.sort();
        got_list.sort();
        assert_eq!(got_list, expected);
    }
}

/// Items a=0 .. e=4; e is in every basket, d only with a.
fn tiny() -> (Baskets, Itemsets) {
    let baskets: [&[u32]; 5] = [&[0, 1, 2, 3, 4], &[0, 1, 3, 4], &[0, 2, 4], &[0, 4], &[1, 2, 4]];
    let (mut offsets, mut items) = (vec![0], vec![]);
    for basket in baskets {
        items.extend_from_slice(basket);
        offsets.push(items.len() as u32);
    }
    let b = Baskets::from_csr(&offsets, &items, 5).unwrap();
    let sets = mine(&b, &options(1, Method::Auto)).unwrap();
    (b, sets)
}

#[test]
fn tiny_itemsets_match_brute_force() {
    let (b, sets) = tiny();
    assert_eq!(sorted_pairs(&sets), brute_force(&b, 1, 0));
    assert!(eclat(&b, &options(1, Method::Eclat)).unwrap() == fpgrowth(&b, &options(1, Method::FpGrowth)).unwrap());
}

#[test]
fn metrics_match_hand_computation() {
    let (_, sets) = tiny();
    let rules = association_rules(&sets, 5, &rule_options(Metric::Confidence, 0.0)).unwrap();
    // Columns: antecedentSupport, consequentSupport, support, confidence, lift, representativity,
    // leverage, conviction, zhangsMetric, jaccard, certainty, kulczynski.
    let expect = |a: &[u32], c: &[u32], v: [f64; 12]| {
        let k = find_rule(&rules, a, c);
        for (col, want) in v.iter().enumerate() {
            let got = rules.columns[col][k];
            assert!(got == *want || (got - want).abs() < 1e-12, "{a:?} => {c:?} column {col}: {got} vs {want}");
        }
    };
    // a => b: sA .8, sC .6, sAC .4.
    expect(&[0], &[1], [0.8, 0.6, 0.4, 0.5, 0.5 / 0.6, 1.0, -0.08, 0.8, -0.5, 0.4, -0.25, (0.5 + 0.4 / 0.6) / 2.0]);
    // d => a: confidence 1, so conviction is infinite.
    expect(&[3], &[0], [0.4, 0.8, 0.4, 1.0, 1.25, 1.0, 0.08, f64::INFINITY, 0.08 / 0.24, 0.5, 1.0, 0.75]);
    // e => a: e is everywhere, so Zhang's denominator max(.8 * 0, 1 * (.8 - .8)) is 0.
    expect(&[4], &[0], [1.0, 0.8, 0.8, 0.8, 1.0, 1.0, 0.0, 1.0, 0.0, 0.8, 0.0, 0.9]);
    // a => e: consequent everywhere: certainty's 1 - sC is 0, confidence 1.
    expect(&[0], &[4], [0.8, 1.0, 0.8, 1.0, 1.0, 1.0, 0.0, f64::INFINITY, 0.0, 0.8, 0.0, 0.9]);
    // {b, c} => {a, e}: multi-item sides, sorted.
    expect(&[1, 2], &[0, 4], [0.4, 0.8, 0.2, 0.5, 0.625, 1.0, 0.2 - 0.32, 0.4, -0.5, 0.2, -1.5, (0.5 + 0.25) / 2.0]);
    // Each itemset of k items gives 2^k - 2 rules at threshold 0.
    let expected: usize = (0..sets.len()).map(|i| (1usize << sets.get(i).len()) - 2).sum();
    assert_eq!(rules.len(), expected);
}

#[test]
fn threshold_is_exact_at_the_boundary() {
    let (_, sets) = tiny();
    // a => b has confidence exactly 2/4.
    let at = association_rules(&sets, 5, &rule_options(Metric::Confidence, 0.5)).unwrap();
    find_rule(&at, &[0], &[1]);
    let above = association_rules(&sets, 5, &rule_options(Metric::Confidence, 0.5 + 1e-15)).unwrap();
    assert!(!rule_list(&above).contains(&(vec![0], vec![1])));
}

#[test]
fn missing_subsets_need_support_only() {
    let (_, sets) = tiny();
    // Drop the itemset {a}, then rules with antecedent or consequent {a} cannot be scored.
    let keep: Vec<usize> = (0..sets.len()).filter(|&i| sets.get(i) != [0]).collect();
    let mut partial = Itemsets { offsets: vec![0], items: vec![], counts: vec![] };
    for &i in keep.iter().rev() {
        // Reversed itemsets, reversed items: the input order must not matter.
        partial.items.extend(sets.get(i).iter().rev());
        partial.offsets.push(partial.items.len() as u32);
        partial.counts.push(sets.counts[i]);
    }
    let err = association_rules(&partial, 5, &rule_options(Metric::Confidence, 0.0)).unwrap_err();
    assert_eq!(err.code, Code::InvalidFormat);
    assert!(err.message.contains("[0]"), "{}", err.message);
    let o = RuleOptions { support_only: true, ..rule_options(Metric::Confidence, 0.3) };
    let rules = association_rules(&partial, 5, &o).unwrap();
    // Filtered on support >= 0.3: {a,b} {a,d} {a,c} {a,e} {b,c} {b,e} {c,e} {a,b,e} {a,d,e} ...
    assert!(!rules.is_empty());
    for k in 0..rules.len() {
        assert!(rules.columns[2][k] >= 0.3);
        assert!(rules.columns.iter().enumerate().all(|(col, v)| (col == 2) != v[k].is_nan()));
    }
    let k = find_rule(&rules, &[1], &[0]);
    assert_eq!(rules.columns[2][k], 0.4);
}

#[test]
fn rules_reject_bad_input() {
    let (_, sets) = tiny();
    let o = rule_options(Metric::Confidence, 0.5);
    let empty = Itemsets { offsets: vec![0], items: vec![], counts: vec![] };
    assert_eq!(association_rules(&empty, 5, &o).unwrap_err().code, Code::EmptyInput);
    assert_eq!(association_rules(&sets, 0, &o).unwrap_err().code, Code::InvalidArgument);
    assert_eq!(association_rules(&sets, 3, &o).unwrap_err().code, Code::InvalidArgument);
    let twice = Itemsets { offsets: vec![0, 2, 4], items: vec![1, 2, 2, 1], counts: vec![3, 2] };
    assert_eq!(association_rules(&twice, 5, &o).unwrap_err().code, Code::InvalidFormat);
    let repeat = Itemsets { offsets: vec![0, 2], items: vec![1, 1], counts: vec![3] };
    assert_eq!(association_rules(&repeat, 5, &o).unwrap_err().code, Code::InvalidFormat);
    let broken = Itemsets { offsets: vec![0, 3], items: vec![1, 2], counts: vec![3] };
    assert_eq!(association_rules(&broken, 5, &o).unwrap_err().code, Code::InvalidFormat);
}

// ---- timing (run by hand: cargo test --release -p rusket-core --test mining bench -- --ignored --nocapture) ----

fn median_seconds(repeat: usize, mut f: impl FnMut()) -> f64 {
    let mut t: Vec<f64> = (0..repeat)
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed().as_secs_f64()
        })
        .collect();
    t.sort_by(f64::total_cmp);
    t[repeat / 2]
}

#[test]
#[ignore = "benchmark"]
fn bench_mining() {
    let (groceries, _) = load_groceries();
    let cases = [
        ("retail.dat 0.1%", load_dat("retail.dat"), min_count(88_162, 1, 1000)),
        ("T10I4D100K.dat 0.5%", load_dat("T10I4D100K.dat"), min_count(100_000, 5, 1000)),
        ("mushroom.dat 20%", load_dat("mushroom.dat"), min_count(8124, 20, 100)),
        ("groceries.csv 0.1%", groceries, min_count(9835, 1, 1000)),
    ];
    for (name, b, min_count) in &cases {
        for method in [Method::FpGrowth, Method::Eclat, Method::Auto] {
            for threads in [1, 2] {
                let o = MineOptions { min_count: *min_count, max_len: 0, method, threads };
                let s = median_seconds(7, || {
                    mine(b, &o).unwrap();
                });
                println!("{name:22} {method:?} threads {threads}: {:.4} s", s);
            }
        }
        let s = median_seconds(7, || {
            Baskets::from_csr(&b.offsets, &b.items, b.n_items).unwrap();
        });
        println!("{name:22} from_csr: {s:.4} s");
    }
    let mut rng = Lcg(1);
    let rows = 10_000_000;
    let txn: Vec<u32> = (0..rows).map(|r| (r / 10) as u32).collect();
    let item: Vec<u32> = (0..rows).map(|_| rng.below(50_000)).collect();
    let s = median_seconds(5, || {
        Baskets::from_pairs(&txn, &item, (rows / 10) as u32, 50_000).unwrap();
    });
    println!("from_pairs: {:.1} M rows/s (10M rows, grouped by basket)", rows as f64 / s / 1e6);
    let mut shuffled_txn = txn.clone();
    for r in (1..rows).rev() {
        shuffled_txn.swap(r, rng.below(r as u32 + 1) as usize);
    }
    let s = median_seconds(5, || {
        Baskets::from_pairs(&shuffled_txn, &item, (rows / 10) as u32, 50_000).unwrap();
    });
    println!("from_pairs: {:.1} M rows/s (10M rows, shuffled)", rows as f64 / s / 1e6);
    let (groceries, _) = load_groceries();
    let sets = mine(&groceries, &options(10, Method::Auto)).unwrap();
    let o = RuleOptions { single_consequent: false, ..rule_options(Metric::Confidence, 0.5) };
    let s = median_seconds(7, || {
        association_rules(&sets, 9835, &o).unwrap();
    });
    println!("groceries rules (0.1%, confidence 0.5, all splits): {s:.4} s");
}

/// Grouped mining equals mining each group's rows on their own, with transaction ids shared
/// between groups making separate baskets, and a group without rows giving nothing.
#[test]
fn grouped_mining_is_mining_each_group_alone() {
    let mut rng = Lcg(7);
    let (n_groups, n_txn, n_items) = (5u32, 300u32, 12u32);
    let (mut group, mut txn, mut item) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..6000 {
        let g = rng.below(n_groups - 1); // the last group stays empty
        group.push(g);
        txn.push(rng.below(n_txn));
        item.push(if g == 0 { rng.below(4) } else { rng.below(n_items) }); // group 0 is dense
    }
    let grouped = GroupedBaskets::from_rows(&group, n_groups, &txn, n_txn, &item, n_items).unwrap();
    assert_eq!(grouped.n_groups(), n_groups as usize);
    let min_counts: Vec<u32> = (0..n_groups).map(|g| 10 + g).collect();
    for threads in [1, 2, 8] {
        let o = MineOptions { min_count: 1, max_len: 0, method: Method::Auto, threads };
        let found = mine_grouped(&grouped, &min_counts, &o).unwrap();
        for g in 0..n_groups {
            let rows: Vec<usize> = (0..group.len()).filter(|&r| group[r] == g).collect();
            let mut ids: HashMap<u32, u32> = HashMap::new();
            let local: Vec<u32> = rows.iter().map(|&r| { let next = ids.len() as u32; *ids.entry(txn[r]).or_insert(next) }).collect();
            let alone_items: Vec<u32> = rows.iter().map(|&r| item[r]).collect();
            let alone = Baskets::from_pairs(&local, &alone_items, ids.len() as u32, n_items).unwrap();
            assert_eq!(grouped.group(g as usize), alone, "group {g} baskets");
            let expected = if rows.is_empty() { Itemsets::default() } else {
                mine(&alone, &MineOptions { min_count: min_counts[g as usize], ..o.clone() }).unwrap()
            };
            assert!(found[g as usize] == expected, "group {g}, {threads} threads");
            assert_eq!(found[g as usize].is_empty(), rows.is_empty());
        }
    }
    let err = GroupedBaskets::from_rows(&[0, 3], 3, &[0, 0], 1, &[0, 0], 1).unwrap_err();
    assert_eq!(err.code, Code::InvalidArgument);
    let err = mine_grouped(&grouped, &[1], &MineOptions { min_count: 1, max_len: 0, method: Method::Auto, threads: 1 }).unwrap_err();
    assert_eq!(err.code, Code::InvalidArgument);
}

/// Rows streamed in chunks (transactions split over chunks, repeated rows, any order) mine to
/// the same itemsets as all rows at once; retail.dat streamed gives its reference count.
#[test]
fn streamed_chunks_mine_like_all_rows() {
    let mut rng = Lcg(11);
    let (n_txn, n_items) = (400u32, 15u32);
    let ids: Vec<f64> = (0..n_txn).map(|t| (t as f64 - 200.0) * 1e13).collect(); // negative and huge ids
    let (mut txn, mut item) = (Vec::new(), Vec::new());
    for _ in 0..5000 {
        txn.push(rng.below(n_txn));
        item.push(rng.below(n_items).min(rng.below(n_items)));
    }
    let all = Baskets::from_pairs(&txn, &item, n_txn, n_items).unwrap();
    let expected = mine(&all, &options(40, Method::Auto)).unwrap();
    let mut buffers = Vec::new();
    let mut at = 0;
    for size in [1usize, 7, 500, 1, 2000, 0, 5000] {
        let end = (at + size).min(txn.len());
        let keys: Vec<u64> = txn[at..end].iter().map(|&t| stream::txn_key(ids[t as usize]).unwrap()).collect();
        buffers.push(stream::compress(&keys, &item[at..end], n_items).unwrap());
        at = end;
    }
    let chunks: Vec<Chunk> = buffers.iter().map(|b| Chunk::parse(b).unwrap()).collect();
    let (n, support) = stream::counts(&chunks, n_items).unwrap();
    assert_eq!(n, all.n_transactions() - (0..n_txn as usize).filter(|&t| all.basket(t).is_empty()).count());
    for i in 0..n_items {
        assert_eq!(support[i as usize] as usize, (0..all.n_transactions()).filter(|&t| all.basket(t).contains(&i)).count());
    }
    for method in [Method::FpGrowth, Method::Eclat] {
        assert!(stream::mine_chunks(&chunks, &support, None, &options(40, method)).unwrap() == expected);
    }
    // Recoded items: the same itemsets under the new codes
    let recode: Vec<u32> = (0..n_items).map(|i| n_items - 1 - i).collect();
    let recoded = stream::mine_chunks(&chunks, &support, Some(&recode), &options(40, Method::Auto)).unwrap();
    let as_set = |s: &Itemsets, map: &dyn Fn(u32) -> u32| -> HashMap<Vec<u32>, u32> {
        (0..s.len()).map(|k| { let mut v: Vec<u32> = s.get(k).iter().map(|&i| map(i)).collect(); v.sort(); (v, s.counts[k]) }).collect()
    };
    assert_eq!(as_set(&recoded, &|i| i), as_set(&expected, &|i| recode[i as usize]));
    assert!((0..recoded.len()).all(|k| recoded.get(k).windows(2).all(|w| w[0] < w[1])));
    assert!(stream::mine_chunks(&chunks, &support, Some(&[0; 15]), &options(40, Method::Auto)).is_err());

    // retail.dat, 88,162 baskets, streamed 10,000 rows at a time with transaction ids as given
    let retail = load_dat("retail.dat");
    let (mut keys, mut items) = (Vec::new(), Vec::new());
    for t in 0..retail.n_transactions() {
        for &i in retail.basket(t) {
            keys.push(stream::txn_key(t as f64).unwrap());
            items.push(i);
        }
    }
    let buffers: Vec<Vec<u8>> = keys.chunks(10_000).zip(items.chunks(10_000)).map(|(k, i)| stream::compress(k, i, retail.n_items).unwrap()).collect();
    let bytes: usize = buffers.iter().map(|b| b.len()).sum();
    assert!(bytes * 2 < keys.len() * 4, "{bytes} bytes for {} rows", keys.len());
    let chunks: Vec<Chunk> = buffers.iter().map(|b| Chunk::parse(b).unwrap()).collect();
    let (n, support) = stream::counts(&chunks, retail.n_items).unwrap();
    assert_eq!(n, 88_162);
    let found = stream::mine_chunks(&chunks, &support, None, &options(min_count(n, 1, 1000), Method::Auto)).unwrap();
    assert_eq!(found.len(), 7_589);

    // Corrupt or foreign buffers, and items beyond nItems
    let mut broken = buffers[0].clone();
    broken.truncate(broken.len() - 1);
    assert_eq!(Chunk::parse(&broken).err().unwrap().code, Code::InvalidFormat);
    assert_eq!(Chunk::parse(b"PK\x03\x04 not a chunk").err().unwrap().code, Code::InvalidFormat);
    assert_eq!(stream::compress(&[1], &[9], 5).unwrap_err().code, Code::InvalidArgument);
    for bad in [f64::NAN, f64::INFINITY, 0.5, 2f64.powi(54)] {
        assert_eq!(stream::txn_key(bad).unwrap_err().code, Code::InvalidArgument);
    }
    assert!(stream::txn_key(-1.0).unwrap() < stream::txn_key(-0.0).unwrap() && stream::txn_key(0.0).unwrap() < stream::txn_key(1.0).unwrap());
    assert_eq!(stream::txn_key(-0.0).unwrap(), stream::txn_key(0.0).unwrap());
    assert_ne!(stream::txn_key(2f64.powi(53)).unwrap(), stream::txn_key(2f64.powi(53) - 1.0).unwrap());
    assert_ne!(stream::txn_key(1.0).unwrap(), stream::txn_key(2.0).unwrap());
    // Every single-byte corruption of a small chunk is refused or reads as some valid chunk: never a panic.
    let small = stream::compress(&[5, 5, 9, 12], &[3, 1, 2, 4], 5).unwrap();
    for at in 0..small.len() {
        for delta in [1u8, 0x80, 0xff] {
            let mut b = small.clone();
            b[at] = b[at].wrapping_add(delta);
            if let Ok(c) = Chunk::parse(&b) {
                let _ = stream::counts(&[c], 8);
            }
        }
    }
}
