//! Exports of sequential-pattern mining (PrefixSpan) and high-utility itemsets (EFIM).

use crate::data::arg;
use crate::export::{Export, Job};
use crate::js::{JsError, JsResult, Val};
use crate::obj;
use rusket_core::{sequence, utility};

pub const EXPORTS: &[Export] = &[
    Export { name: "sequencesFromEvents", prepare: sequences_from_events },
    Export { name: "prefixspan", prepare: prefixspan },
    Export { name: "efim", prepare: efim },
];

fn sequences_from_events(args: &[Val]) -> JsResult<Job> {
    let (seq, time, item): (&[u32], &[f64], &[u32]) = (arg(args, 0)?.slice()?, arg(args, 1)?.slice()?, arg(args, 2)?.slice()?);
    let n_seq = arg(args, 3)?.u32()?;
    if seq.len() != time.len() || seq.len() != item.len() {
        return Err(JsError::invalid(format!("event columns differ in length: {}, {}, {}", seq.len(), time.len(), item.len())));
    }
    Ok(Box::new(move || {
        let (offsets, items) = sequence::sequences_from_events(seq, time, item, n_seq);
        Ok(obj! { "offsets": offsets, "items": items })
    }))
}

fn prefixspan(args: &[Val]) -> JsResult<Job> {
    let s = arg(args, 0)?;
    let (offsets, items): (&[u32], &[u32]) = (s.get("offsets")?.slice()?, s.get("items")?.slice()?);
    let n_items = s.get("nItems")?.u32()?;
    let o = arg(args, 1)?;
    let (min_count, max_len, threads) = (o.get("minCount")?.u32()?, o.get("maxLen")?.usize_or(0)?, o.get("threads")?.usize_or(0)?);
    Ok(Box::new(move || {
        let p = sequence::prefixspan(offsets, items, n_items, min_count, max_len, threads)?;
        Ok(obj! { "offsets": p.offsets, "items": p.items, "supports": p.supports })
    }))
}

fn efim(args: &[Val]) -> JsResult<Job> {
    let t = arg(args, 0)?;
    let (offsets, items, utilities): (&[u32], &[u32], &[f64]) = (t.get("offsets")?.slice()?, t.get("items")?.slice()?, t.get("utilities")?.slice()?);
    let n_items = t.get("nItems")?.u32()?;
    let o = arg(args, 1)?;
    let (min_utility, max_len, threads) = (o.get("minUtility")?.f64()?, o.get("maxLen")?.usize_or(0)?, o.get("threads")?.usize_or(0)?);
    Ok(Box::new(move || {
        let h = utility::efim(offsets, items, utilities, n_items, min_utility, max_len, threads)?;
        Ok(obj! { "offsets": h.offsets, "items": h.items, "utilities": h.utilities })
    }))
}
