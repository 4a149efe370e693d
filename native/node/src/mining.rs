//! Exports of frequent-itemset mining and association rules.

use crate::data::{arg, largest, Codes};
use crate::export::{Export, Job};
use crate::js::{JsError, JsResult, Out, Val};
use crate::obj;
use rusket_core::mining::stream::{self, Chunk};
use rusket_core::mining::{self, Baskets, GroupedBaskets, Itemsets, Method, Metric, MineOptions, RuleOptions};

pub const EXPORTS: &[Export] = &[
    Export { name: "mine", prepare: mine },
    Export { name: "groupBaskets", prepare: group_baskets },
    Export { name: "mineGrouped", prepare: mine_grouped },
    Export { name: "streamChunk", prepare: stream_chunk },
    Export { name: "streamCounts", prepare: stream_counts },
    Export { name: "mineStream", prepare: mine_stream },
    Export { name: "oneHot", prepare: one_hot },
    Export { name: "associationRules", prepare: association_rules },
];

/// Baskets in one of the layouts of `BasketSpec` (src/native.ts), read without copying.
enum BasketSpec {
    Pairs { txn: &'static [u32], n_txn: u32, item: &'static [u32], n_items: u32 },
    Columns { columns: Vec<Indicator>, rows: usize },
    Csr { offsets: &'static [u32], items: &'static [u32], n_items: u32 },
}

enum Indicator {
    Bytes(&'static [u8]),
    Numbers(&'static [f64]),
}

fn read_baskets(v: Val) -> JsResult<BasketSpec> {
    if !v.get("txn")?.is_missing() {
        return Ok(BasketSpec::Pairs {
            txn: v.get("txn")?.slice()?,
            n_txn: v.get("nTxn")?.u32()?,
            item: v.get("item")?.slice()?,
            n_items: v.get("nItems")?.u32()?,
        });
    }
    if !v.get("columns")?.is_missing() {
        let columns = v
            .get("columns")?
            .items()?
            .into_iter()
            .map(|c| c.slice::<u8>().map(Indicator::Bytes).or_else(|_| c.slice::<f64>().map(Indicator::Numbers)))
            .collect::<JsResult<Vec<_>>>()?;
        return Ok(BasketSpec::Columns { columns, rows: v.get("rows")?.u32()? as usize });
    }
    Ok(BasketSpec::Csr { offsets: v.get("offsets")?.slice()?, items: v.get("items")?.slice()?, n_items: v.get("nItems")?.u32()? })
}

impl BasketSpec {
    /// The normalised CSR of baskets (each a sorted set of item codes).
    fn build(&self) -> JsResult<Baskets> {
        Ok(match self {
            BasketSpec::Pairs { txn, n_txn, item, n_items } => Baskets::from_pairs(txn, item, *n_txn, *n_items)?,
            BasketSpec::Columns { columns, rows } => Baskets::from_onehot(&one_hot_cells(columns, *rows)?, *rows, columns.len())?,
            BasketSpec::Csr { offsets, items, n_items } => Baskets::from_csr(offsets, items, *n_items)?,
        })
    }
}

/// Column-major 0/1 cells; a value other than 0/1 is an INVALID_FORMAT error.
fn one_hot_cells(columns: &[Indicator], rows: usize) -> JsResult<Vec<u8>> {
    let mut cells = Vec::with_capacity(columns.len() * rows);
    for (j, c) in columns.iter().enumerate() {
        let start = cells.len();
        match c {
            Indicator::Bytes(b) => cells.extend(b.iter().map(|&x| (x != 0) as u8)),
            Indicator::Numbers(x) => {
                if let Some(bad) = x.iter().find(|&&v| v != 0.0 && v != 1.0) {
                    return Err(JsError { code: "INVALID_FORMAT", message: format!("one-hot column #{j} (in label order) holds {bad}; one-hot columns must be boolean or 0/1") });
                }
                cells.extend(x.iter().map(|&v| (v == 1.0) as u8));
            }
        }
        if cells.len() - start != rows {
            return Err(JsError::invalid(format!("one-hot column #{j} has {} rows, expected {rows}", cells.len() - start)));
        }
    }
    Ok(cells)
}

fn itemsets_out(found: Itemsets, n_transactions: usize) -> Out {
    obj! { "offsets": found.offsets, "items": found.items, "counts": found.counts, "nTransactions": n_transactions }
}

/// `{ minCount, maxLen, method, threads }` (minCount absent for grouped mining).
fn mine_options(o: Val) -> JsResult<MineOptions> {
    let method = match o.get("method")?.u32()? {
        0 => Method::Auto,
        1 => Method::FpGrowth,
        2 => Method::Eclat,
        m => return Err(JsError::invalid(format!("unknown method {m}"))),
    };
    let min_count = if o.get("minCount")?.is_missing() { 1 } else { o.get("minCount")?.u32()? };
    Ok(MineOptions { min_count, max_len: o.get("maxLen")?.usize_or(0)?, method, threads: o.get("threads")?.usize_or(0)? })
}

fn mine(args: &[Val]) -> JsResult<Job> {
    let spec = read_baskets(arg(args, 0)?)?;
    let options = mine_options(arg(args, 1)?)?;
    Ok(Box::new(move || {
        let baskets = spec.build()?;
        let found = mining::mine(&baskets, &options)?;
        Ok(itemsets_out(found, baskets.n_transactions()))
    }))
}

/// `groupBaskets(groups, nGroups, { txn, nTxn, item, nItems })`: the baskets of every group as
/// one CSR, `{ offsets, items, groupStart }` (group g holds baskets groupStart[g]..groupStart[g+1]).
fn group_baskets(args: &[Val]) -> JsResult<Job> {
    let groups: &[u32] = arg(args, 0)?.slice()?;
    let n_groups = arg(args, 1)?.u32()?;
    let BasketSpec::Pairs { txn, n_txn, item, n_items } = read_baskets(arg(args, 2)?)? else {
        return Err(JsError::invalid("grouped baskets come from (transaction, item) rows"));
    };
    Ok(Box::new(move || {
        let g = GroupedBaskets::from_rows(groups, n_groups, txn, n_txn, item, n_items)?;
        Ok(obj! { "offsets": g.baskets.offsets, "items": g.baskets.items, "groupStart": g.group_start })
    }))
}

/// `mineGrouped({ offsets, items, nItems, groupStart }, { minCounts, maxLen, method, threads })`:
/// the itemsets of every group, `{ groups, offsets, items, counts }` (group of each itemset).
fn mine_grouped(args: &[Val]) -> JsResult<Job> {
    let spec = arg(args, 0)?;
    let (offsets, items, n_items): (&[u32], &[u32], u32) = (spec.get("offsets")?.slice()?, spec.get("items")?.slice()?, spec.get("nItems")?.u32()?);
    let group_start: &[u32] = spec.get("groupStart")?.slice()?;
    let o = arg(args, 1)?;
    let min_counts: &[u32] = o.get("minCounts")?.slice()?;
    let options = mine_options(o)?;
    Ok(Box::new(move || {
        let baskets = Baskets::from_csr(offsets, items, n_items)?;
        let n = baskets.n_transactions() as u32;
        if group_start.first() != Some(&0) || group_start.last() != Some(&n) || group_start.windows(2).any(|w| w[0] > w[1]) {
            return Err(JsError::invalid(format!("groupStart must rise from 0 to the basket count {n}")));
        }
        let found = mining::mine_grouped(&GroupedBaskets { baskets, group_start: group_start.to_vec() }, min_counts, &options)?;
        let (mut all, mut groups) = (Itemsets::default(), Vec::new());
        for (g, sets) in found.into_iter().enumerate() {
            groups.extend(std::iter::repeat_n(g as u32, sets.len()));
            all.append(sets);
        }
        Ok(obj! { "groups": groups, "offsets": all.offsets, "items": all.items, "counts": all.counts })
    }))
}

/// `streamChunk(txnIds: Float64Array, items: Uint32Array | Float64Array, nItems)`: one chunk of
/// rows, compressed (a Uint8Array for `streamCounts` / `mineStream`).
fn stream_chunk(args: &[Val]) -> JsResult<Job> {
    let ids: &[f64] = arg(args, 0)?.slice()?;
    let items = Codes::read(arg(args, 1)?)?;
    let n_items = arg(args, 2)?.u32()?;
    Ok(Box::new(move || {
        let keys = ids.iter().map(|&id| stream::txn_key(id)).collect::<Result<Vec<u64>, _>>()?;
        let items = items.below(n_items, "item id")?;
        Ok(obj! { "chunk": stream::compress(&keys, &items, n_items)?, "maxItem": largest(&items) })
    }))
}

fn chunks(v: Val) -> JsResult<Vec<&'static [u8]>> {
    v.items()?.iter().map(|c| c.slice::<u8>()).collect()
}

/// `streamCounts(chunks, nItems)`: `{ nTransactions, support }` (each item's count).
fn stream_counts(args: &[Val]) -> JsResult<Job> {
    let buffers = chunks(arg(args, 0)?)?;
    let n_items = arg(args, 1)?.u32()?;
    Ok(Box::new(move || {
        let parsed = buffers.iter().map(|b| Chunk::parse(b)).collect::<Result<Vec<_>, _>>()?;
        let (n, support) = stream::counts(&parsed, n_items)?;
        Ok(obj! { "nTransactions": n, "support": support })
    }))
}

/// `mineStream(chunks, support, { minCount, maxLen, method, threads }, recode?)`: the frequent
/// itemsets (items recoded through `recode` when given).
fn mine_stream(args: &[Val]) -> JsResult<Job> {
    let buffers = chunks(arg(args, 0)?)?;
    let support: &[u32] = arg(args, 1)?.slice()?;
    let options = mine_options(arg(args, 2)?)?;
    let recode: Option<&[u32]> = arg(args, 3)?.opt_slice()?;
    Ok(Box::new(move || {
        let parsed = buffers.iter().map(|b| Chunk::parse(b)).collect::<Result<Vec<_>, _>>()?;
        let found = stream::mine_chunks(&parsed, support, recode, &options)?;
        Ok(obj! { "offsets": found.offsets, "items": found.items, "counts": found.counts })
    }))
}

fn one_hot(args: &[Val]) -> JsResult<Job> {
    let spec = read_baskets(arg(args, 0)?)?;
    Ok(Box::new(move || {
        let b = spec.build()?;
        let n = b.n_transactions();
        let mut cells = vec![0u8; n * b.n_items as usize];
        for t in 0..n {
            for &i in &b.items[b.offsets[t] as usize..b.offsets[t + 1] as usize] {
                cells[i as usize * n + t] = 1;
            }
        }
        Ok(obj! { "cells": cells, "nTransactions": n })
    }))
}

fn metric(code: u32) -> JsResult<Metric> {
    Ok(match code {
        0 => Metric::Support,
        1 => Metric::Confidence,
        2 => Metric::Lift,
        3 => Metric::Representativity,
        4 => Metric::Leverage,
        5 => Metric::Conviction,
        6 => Metric::ZhangsMetric,
        7 => Metric::Jaccard,
        8 => Metric::Certainty,
        9 => Metric::Kulczynski,
        m => return Err(JsError::invalid(format!("unknown metric {m}"))),
    })
}

fn association_rules(args: &[Val]) -> JsResult<Job> {
    let sets = arg(args, 0)?;
    let (offsets, items, counts): (&[u32], &[u32], &[u32]) = (sets.get("offsets")?.slice()?, sets.get("items")?.slice()?, sets.get("counts")?.slice()?);
    let n_transactions = arg(args, 1)?.f64()? as u64;
    let o = arg(args, 2)?;
    let mask = |key: &'static str| -> JsResult<Option<Vec<bool>>> {
        Ok(o.get(key)?.opt_slice::<u8>()?.map(|m| m.iter().map(|&x| x != 0).collect()))
    };
    let options = RuleOptions {
        metric: metric(o.get("metric")?.u32()?)?,
        min_threshold: o.get("minThreshold")?.f64()?,
        single_consequent: o.get("singleConsequent")?.bool_or(false)?,
        antecedent_items: mask("antecedentItems")?,
        consequent_items: mask("consequentItems")?,
        max_antecedent_len: o.get("maxAntecedentLen")?.usize_or(0)?,
        max_consequent_len: o.get("maxConsequentLen")?.usize_or(0)?,
        support_only: o.get("supportOnly")?.bool_or(false)?,
        threads: o.get("threads")?.usize_or(0)?,
    };
    Ok(Box::new(move || {
        let sets = Itemsets { offsets: offsets.to_vec(), items: items.to_vec(), counts: counts.to_vec() };
        let r = mining::association_rules(&sets, n_transactions, &options)?;
        let columns = Out::List(r.columns.into_iter().map(Out::F64).collect());
        Ok(obj! {
            "antecedentOffsets": r.antecedent_offsets, "antecedentItems": r.antecedent_items,
            "consequentOffsets": r.consequent_offsets, "consequentItems": r.consequent_items,
            "columns": columns,
        })
    }))
}
