//! Association rules from frequent itemsets, with mlxtend 0.25.0's metrics (SPEC M3).
//!
//! Every itemset of two or more items is split into every antecedent A and consequent C (the
//! rest); the counts of A and C are looked up among the itemsets, so the input must hold every
//! subset (as mining returns it), unless only rule supports are wanted. Every metric is computed
//! from the integer counts with one rounding where possible, so that thresholds are exact at
//! boundaries (Groceries has 482 rules at confidence exactly 0.5). Item restrictions and length
//! caps decide which splits are enumerated at all.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::atomic::{AtomicUsize, Ordering};

use super::Itemsets;
use crate::error::{Code, Error, Result};
use crate::par;

/// The metric a rule must reach `min_threshold` in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Metric {
    Support,
    Confidence,
    Lift,
    Representativity,
    Leverage,
    Conviction,
    ZhangsMetric,
    Jaccard,
    Certainty,
    Kulczynski,
}

/// Names of [`Rules::columns`], in order.
pub const METRIC_NAMES: [&str; 12] = [
    "antecedentSupport",
    "consequentSupport",
    "support",
    "confidence",
    "lift",
    "representativity",
    "leverage",
    "conviction",
    "zhangsMetric",
    "jaccard",
    "certainty",
    "kulczynski",
];

impl Metric {
    /// Index of the metric in [`Rules::columns`].
    fn column(self) -> usize {
        match self {
            Metric::Support => 2,
            Metric::Confidence => 3,
            Metric::Lift => 4,
            Metric::Representativity => 5,
            Metric::Leverage => 6,
            Metric::Conviction => 7,
            Metric::ZhangsMetric => 8,
            Metric::Jaccard => 9,
            Metric::Certainty => 10,
            Metric::Kulczynski => 11,
        }
    }
}

#[derive(Debug, Clone)]
pub struct RuleOptions {
    pub metric: Metric,
    pub min_threshold: f64,
    /// Only rules with one item in the consequent (R arules, Borgelt).
    pub single_consequent: bool,
    /// Indexed by item code: only rules whose antecedent items are all allowed (codes past the
    /// end are not allowed).
    pub antecedent_items: Option<Vec<bool>>,
    /// The same for consequents.
    pub consequent_items: Option<Vec<bool>>,
    /// 0 = unlimited.
    pub max_antecedent_len: usize,
    pub max_consequent_len: usize,
    /// Compute only the support column (NaN elsewhere) and filter on support, as mlxtend does;
    /// subsets need not be present then.
    pub support_only: bool,
    /// Worker threads; 0 = all cores.
    pub threads: usize,
}

/// Rules in columnar form: rule `r` has antecedent
/// `antecedent_items[antecedent_offsets[r]..antecedent_offsets[r+1]]` (ascending codes), the
/// same for its consequent, and metric `k` in `columns[k][r]` (names in [`METRIC_NAMES`]).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Rules {
    pub antecedent_offsets: Vec<u32>,
    pub antecedent_items: Vec<u32>,
    pub consequent_offsets: Vec<u32>,
    pub consequent_items: Vec<u32>,
    pub columns: [Vec<f64>; 12],
}

impl Rules {
    pub fn len(&self) -> usize {
        self.antecedent_offsets.len().saturating_sub(1)
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    pub fn antecedent(&self, r: usize) -> &[u32] {
        &self.antecedent_items[self.antecedent_offsets[r] as usize..self.antecedent_offsets[r + 1] as usize]
    }
    pub fn consequent(&self, r: usize) -> &[u32] {
        &self.consequent_items[self.consequent_offsets[r] as usize..self.consequent_offsets[r + 1] as usize]
    }
    fn empty() -> Rules {
        Rules { antecedent_offsets: vec![0], consequent_offsets: vec![0], ..Rules::default() }
    }
}

/// Itemsets per parallel task.
const CHUNK: usize = 256;
/// Most rules one call may return (about 3.5 GB with their columns): past it, an error instead
/// of exhausting memory.
pub const MAX_RULES: usize = 1 << 25;

/// Splits every itemset of `sets` into rules and keeps those whose metric reaches the threshold.
/// `sets` may list itemsets in any order, with items in any order inside.
pub fn association_rules(sets: &Itemsets, n_transactions: u64, o: &RuleOptions) -> Result<Rules> {
    let sorted = normalize(sets, n_transactions)?;
    let mut index: HashMap<&[u32], u32, BuildHasherDefault<Fx>> = HashMap::default();
    index.reserve(sorted.len());
    let mut unique = Vec::with_capacity(sorted.len());
    for i in 0..sorted.len() {
        let (set, count) = (sorted.get(i), sorted.counts[i]);
        match index.insert(set, count) {
            None => unique.push(i as u32),
            Some(c) if c == count => {}
            Some(c) => {
                return Err(Error::new(
                    Code::InvalidFormat,
                    format!("itemset {set:?} is listed twice, with counts {c} and {count}"),
                ))
            }
        }
    }
    let split = Splitter { sets: &sorted, index: &index, n: n_transactions, o };
    let n_tasks = unique.len().div_ceil(CHUNK);
    let kept = AtomicUsize::new(0);
    let parts = par::map_dynamic(n_tasks, o.threads, |task, _| {
        let mut out = Rules::empty();
        let mut scratch = SplitScratch::default();
        for &i in &unique[task * CHUNK..((task + 1) * CHUNK).min(unique.len())] {
            let before = out.len();
            split.rules_of(i as usize, &mut scratch, &mut out)?;
            if kept.fetch_add(out.len() - before, Ordering::Relaxed) + out.len() - before > MAX_RULES {
                return Err(Error::invalid(format!(
                    "more than {MAX_RULES} rules: raise the threshold or restrict the rules' items or lengths"
                )));
            }
        }
        Ok(out)
    });
    join(parts)
}

/// Checks the CSR and the counts and returns a copy with every itemset sorted.
fn normalize(sets: &Itemsets, n: u64) -> Result<Itemsets> {
    let k = sets.counts.len();
    if k == 0 {
        return Err(Error::new(Code::EmptyInput, "no frequent itemsets to build rules from"));
    }
    if n == 0 {
        return Err(Error::invalid("the number of transactions must be at least 1, got 0"));
    }
    let offsets_ok = sets.offsets.len() == k + 1
        && sets.offsets[0] == 0
        && sets.offsets[k] as usize == sets.items.len()
        && sets.offsets.windows(2).all(|w| w[0] <= w[1]);
    if !offsets_ok {
        return Err(Error::new(Code::InvalidFormat, "itemset offsets do not describe the items"));
    }
    if let Some(&c) = sets.counts.iter().find(|&&c| c as u64 > n) {
        return Err(Error::invalid(format!(
            "an itemset count ({c}) exceeds the number of transactions ({n})"
        )));
    }
    let mut sorted = sets.clone();
    for i in 0..k {
        let set = &mut sorted.items[sets.offsets[i] as usize..sets.offsets[i + 1] as usize];
        set.sort_unstable();
        if set.windows(2).any(|w| w[0] == w[1]) {
            return Err(Error::new(Code::InvalidFormat, format!("itemset {i} repeats an item: {set:?}")));
        }
    }
    Ok(sorted)
}

/// Where each item of an itemset may go.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Side {
    Antecedent,
    Consequent,
    Either,
}

struct Splitter<'a> {
    sets: &'a Itemsets,
    index: &'a HashMap<&'a [u32], u32, BuildHasherDefault<Fx>>,
    n: u64,
    o: &'a RuleOptions,
}

#[derive(Default)]
struct SplitScratch {
    side: Vec<Side>,
    /// Positions (in the itemset) of the items free to go either way.
    free: Vec<usize>,
    /// Indices into `free` of those going to the antecedent.
    chosen: Vec<usize>,
    in_antecedent: Vec<bool>,
    antecedent: Vec<u32>,
    consequent: Vec<u32>,
}

impl Splitter<'_> {
    /// Appends the rules of itemset `i` that reach the threshold.
    fn rules_of(&self, i: usize, s: &mut SplitScratch, out: &mut Rules) -> Result<()> {
        let set = self.sets.get(i);
        let len = set.len();
        if len < 2 {
            return Ok(());
        }
        let allowed = |mask: &Option<Vec<bool>>, item: u32| {
            mask.as_ref().is_none_or(|m| m.get(item as usize).copied().unwrap_or(false))
        };
        s.side.clear();
        for &item in set {
            let side = match (allowed(&self.o.antecedent_items, item), allowed(&self.o.consequent_items, item)) {
                (true, true) => Side::Either,
                (true, false) => Side::Antecedent,
                (false, true) => Side::Consequent,
                (false, false) => return Ok(()),
            };
            s.side.push(side);
        }
        s.free.clear();
        s.free.extend((0..len).filter(|&p| s.side[p] == Side::Either));
        let forced = s.side.iter().filter(|&&d| d == Side::Antecedent).count();
        // Antecedent sizes allowed by the length caps, largest first (as mlxtend).
        let cap = |max: usize| if max == 0 { len - 1 } else { max.min(len - 1) };
        let shortest = if self.o.single_consequent { len - 1 } else { len - cap(self.o.max_consequent_len) };
        for a_len in (shortest..=cap(self.o.max_antecedent_len)).rev() {
            if a_len < forced || a_len - forced > s.free.len() {
                continue;
            }
            // Every choice of `a_len - forced` free items, in lexicographic order.
            let f = a_len - forced;
            s.chosen.clear();
            s.chosen.extend(0..f);
            loop {
                self.emit(i, s, out)?;
                match (0..f).rev().find(|&k| s.chosen[k] < s.free.len() - f + k) {
                    Some(k) => {
                        s.chosen[k] += 1;
                        for l in k + 1..f {
                            s.chosen[l] = s.chosen[l - 1] + 1;
                        }
                    }
                    None => break,
                }
            }
        }
        Ok(())
    }

    /// Builds the split of itemset `i` given by `s.chosen` and keeps it if it qualifies.
    fn emit(&self, i: usize, s: &mut SplitScratch, out: &mut Rules) -> Result<()> {
        let set = self.sets.get(i);
        s.in_antecedent.clear();
        s.in_antecedent.extend(s.side.iter().map(|&d| d == Side::Antecedent));
        for &k in &s.chosen {
            s.in_antecedent[s.free[k]] = true;
        }
        s.antecedent.clear();
        s.consequent.clear();
        for (&item, &in_a) in set.iter().zip(&s.in_antecedent) {
            (if in_a { &mut s.antecedent } else { &mut s.consequent }).push(item);
        }
        let c_ac = self.sets.counts[i];
        let values = if self.o.support_only {
            let support = c_ac as f64 / self.n as f64;
            if support < self.o.min_threshold {
                return Ok(());
            }
            let mut v = [f64::NAN; 12];
            v[Metric::Support.column()] = support;
            v
        } else {
            let c_a = self.count_of(&s.antecedent, set)?;
            let c_c = self.count_of(&s.consequent, set)?;
            let counts = RuleCounts::new(c_a, c_c, c_ac, self.n);
            // NaN (0 / 0) fails the threshold, as in mlxtend.
            let passes = counts.value(self.o.metric.column()) >= self.o.min_threshold;
            if !passes {
                return Ok(());
            }
            counts.all()
        };
        out.antecedent_items.extend_from_slice(&s.antecedent);
        out.antecedent_offsets.push(out.antecedent_items.len() as u32);
        out.consequent_items.extend_from_slice(&s.consequent);
        out.consequent_offsets.push(out.consequent_items.len() as u32);
        for (column, v) in out.columns.iter_mut().zip(values) {
            column.push(v);
        }
        Ok(())
    }

    fn count_of(&self, part: &[u32], whole: &[u32]) -> Result<u32> {
        self.index.get(part).copied().ok_or_else(|| {
            Error::new(
                Code::InvalidFormat,
                format!(
                    "itemset {part:?}, a subset of {whole:?}, is missing from the frequent itemsets; \
                     pass all frequent itemsets, or ask for rule supports only"
                ),
            )
        })
    }
}

/// The counts of a rule A => C: of A, of C and of A + C, among n baskets.
struct RuleCounts {
    a: i128,
    c: i128,
    ac: i128,
    n: i128,
    /// Every product of two counts fits in an i64 (fewer than 2^31 baskets).
    small: bool,
}

impl RuleCounts {
    fn new(c_a: u32, c_c: u32, c_ac: u32, n: u64) -> Self {
        let small = n < 1 << 31;
        RuleCounts { a: c_a as i128, c: c_c as i128, ac: c_ac as i128, n: n as i128, small }
    }

    /// Column `k` of [`METRIC_NAMES`], from the counts with one rounding where possible (the
    /// integer products are exact).
    fn value(&self, k: usize) -> f64 {
        let RuleCounts { a, c, ac, n, small } = *self;
        let ratio = |num: i128, den: i128| to_f64(num, small) / to_f64(den, small);
        // n^2 times the leverage.
        let leverage_n2 = || ac * n - a * c;
        match k {
            0 => ratio(a, n),
            1 => ratio(c, n),
            2 => ratio(ac, n),
            3 => ratio(ac, a),
            4 => ratio(ac * n, a * c),
            5 => 1.0,
            6 => ratio(leverage_n2(), n * n),
            7 if ac >= a => f64::INFINITY,
            7 => ratio((n - c) * a, n * (a - ac)),
            8 => match (ac * (n - a)).max(a * (c - ac)) {
                0 => 0.0,
                den => ratio(leverage_n2(), den),
            },
            9 => ratio(ac, a + c - ac),
            10 if n == c => 0.0,
            10 => ratio(leverage_n2(), a * (n - c)),
            _ => ratio(ac * (a + c), 2 * a * c),
        }
    }

    fn all(&self) -> [f64; 12] {
        std::array::from_fn(|k| self.value(k))
    }
}

/// `x` in f64 (exact below 2^53). i128 -> f64 is a slow library call, avoided when `small`
/// says that `x`, a product of two counts, fits in an i64.
fn to_f64(x: i128, small: bool) -> f64 {
    if small {
        x as i64 as f64
    } else {
        x as f64
    }
}

/// Concatenates the tasks' rules in task order; the first error wins.
fn join(parts: Vec<Result<Rules>>) -> Result<Rules> {
    let mut out = Rules::empty();
    for part in parts {
        let part = part?;
        let (a_base, c_base) = (out.antecedent_items.len(), out.consequent_items.len());
        if a_base + part.antecedent_items.len() > u32::MAX as usize
            || c_base + part.consequent_items.len() > u32::MAX as usize
        {
            return Err(Error::invalid("too many rules: raise the threshold or restrict the rules"));
        }
        out.antecedent_offsets.extend(part.antecedent_offsets[1..].iter().map(|&e| e + a_base as u32));
        out.consequent_offsets.extend(part.consequent_offsets[1..].iter().map(|&e| e + c_base as u32));
        out.antecedent_items.extend_from_slice(&part.antecedent_items);
        out.consequent_items.extend_from_slice(&part.consequent_items);
        for (column, values) in out.columns.iter_mut().zip(part.columns) {
            column.extend_from_slice(&values);
        }
    }
    Ok(out)
}

/// FxHash (Firefox, rustc): itemsets are short runs of u32, where SipHash's setup dominates.
#[derive(Default)]
struct Fx(u64);

impl Hasher for Fx {
    fn write(&mut self, bytes: &[u8]) {
        let mut words = bytes.chunks_exact(8);
        for w in &mut words {
            self.add(u64::from_le_bytes(w.try_into().expect("8 bytes")));
        }
        for &b in words.remainder() {
            self.add(b as u64);
        }
    }
    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

impl Fx {
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}
