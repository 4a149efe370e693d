//! Frequent itemsets and association rules (SPEC M2, M3).
//!
//! Baskets come in as CSR ([`Baskets`]); [`fpgrowth`] and [`eclat`] find every itemset whose
//! support count reaches `min_count`, and [`association_rules`] splits those itemsets into rules
//! with mlxtend's metrics. Both miners recode items by frequency (`ranked.rs`), walk the same
//! set-enumeration tree in the same order (`search.rs`) and prune with perfect extensions, so
//! they return the same itemsets in the same order; they differ in how they count (prefix trees
//! versus tid sets) until a node is small enough for the shared bit-mask tail (`masks.rs`),
//! which is why [`mine`] can pick the faster one for the data at hand.

mod baskets;
mod bitset;
mod eclat;
mod fpgrowth;
mod grouped;
mod masks;
mod ranked;
mod rules;
mod search;
pub mod stream;

pub use baskets::Baskets;
pub use grouped::{mine_grouped, GroupedBaskets};
pub use rules::{association_rules, Metric, RuleOptions, Rules, MAX_RULES, METRIC_NAMES};

use crate::error::{Code, Error, Result};

/// Frequent itemsets by FP-growth (see `fpgrowth.rs`).
pub fn fpgrowth(b: &Baskets, o: &MineOptions) -> Result<Itemsets> {
    mine(b, &MineOptions { method: Method::FpGrowth, ..o.clone() })
}

/// Frequent itemsets by Eclat (see `eclat.rs`).
pub fn eclat(b: &Baskets, o: &MineOptions) -> Result<Itemsets> {
    mine(b, &MineOptions { method: Method::Eclat, ..o.clone() })
}

/// Which counting scheme [`mine`] uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// Eclat when the frequent items are dense, FP-growth otherwise.
    Auto,
    FpGrowth,
    Eclat,
}

#[derive(Debug, Clone)]
pub struct MineOptions {
    /// An itemset is frequent iff it occurs in at least this many baskets (>= 1).
    pub min_count: u32,
    /// Longest itemset reported; 0 = unlimited.
    pub max_len: usize,
    pub method: Method,
    /// Worker threads; 0 = all cores.
    pub threads: usize,
}

/// Most items (summed over itemsets) a mining may return, 1 GiB of item codes: a search that
/// would write more (a tiny support on dense data explodes) stops with `InvalidArgument`
/// instead of exhausting memory.
pub const MAX_RESULT_ITEMS: usize = 1 << 28;

/// Frequent itemsets in CSR form: itemset `i` holds `items[offsets[i]..offsets[i+1]]`
/// (ascending item codes) and occurs in `counts[i]` baskets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Itemsets {
    pub offsets: Vec<u32>,
    pub items: Vec<u32>,
    pub counts: Vec<u32>,
}

impl Default for Itemsets {
    /// No itemsets.
    fn default() -> Self {
        Itemsets { offsets: vec![0], items: Vec::new(), counts: Vec::new() }
    }
}

impl Itemsets {
    /// Appends `other`'s itemsets after these.
    pub fn append(&mut self, other: Itemsets) {
        let base = self.items.len() as u32;
        self.offsets.extend(other.offsets.iter().skip(1).map(|&o| o + base));
        self.items.extend(other.items);
        self.counts.extend(other.counts);
    }
    pub fn len(&self) -> usize {
        self.counts.len()
    }
    pub fn is_empty(&self) -> bool {
        self.counts.is_empty()
    }
    /// The items of itemset `i`.
    pub fn get(&self, i: usize) -> &[u32] {
        &self.items[self.offsets[i] as usize..self.offsets[i + 1] as usize]
    }
}

/// Mines with `o.method`; `Auto` takes Eclat on dense data and FP-growth on sparse data, the
/// faster of the two on each (mushroom versus retail, T10I4D100K, groceries).
pub fn mine(b: &Baskets, o: &MineOptions) -> Result<Itemsets> {
    let ranked = prepare(b, o)?;
    match o.method {
        Method::FpGrowth => fpgrowth::mine_ranked(&ranked, o),
        Method::Eclat => eclat::mine_ranked(&ranked, o),
        Method::Auto if ranked.is_dense() => eclat::mine_ranked(&ranked, o),
        Method::Auto => fpgrowth::mine_ranked(&ranked, o),
    }
}

/// What both miners start from, after checking the options: the baskets in rank codes, with
/// their pair counts tabled when they are sparse.
fn prepare(b: &Baskets, o: &MineOptions) -> Result<ranked::Ranked> {
    if o.min_count == 0 {
        return Err(Error::invalid("min_count must be at least 1, got 0"));
    }
    if b.n_transactions() == 0 {
        return Err(Error::new(Code::EmptyInput, "no baskets to mine"));
    }
    let mut ranked = ranked::rank_items(b, o.min_count, o.threads);
    if !ranked.is_dense() {
        ranked.count_pairs(o.threads);
    }
    Ok(ranked)
}
