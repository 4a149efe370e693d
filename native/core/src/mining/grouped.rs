//! One mining per group (store, region, customer segment): the rows' baskets are keyed by
//! (group, transaction), so a transaction id that occurs in two groups makes two baskets, and
//! each group is mined on its own baskets, with its own minimum count. Groups run in parallel.

use super::{mine, Baskets, Itemsets, MineOptions};
use crate::error::{Error, Result};
use crate::par;

/// The baskets of every group, concatenated: group `g` holds the baskets
/// `group_start[g]..group_start[g + 1]`, in order of their transactions' first rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupedBaskets {
    pub baskets: Baskets,
    pub group_start: Vec<u32>,
}

impl GroupedBaskets {
    /// Row `r` says: in group `group[r]`, transaction `txn[r]` holds item `item[r]`. Codes are
    /// below `n_groups`, `n_txn` and `n_items`. O(rows + n_txn + n_groups).
    pub fn from_rows(group: &[u32], n_groups: u32, txn: &[u32], n_txn: u32, item: &[u32], n_items: u32) -> Result<GroupedBaskets> {
        if group.len() != txn.len() {
            return Err(Error::invalid(format!("{} group codes but {} transaction codes", group.len(), txn.len())));
        }
        if let Some(&g) = group.iter().find(|&&g| g >= n_groups) {
            return Err(Error::invalid(format!("group code {g} is not below n_groups = {n_groups}")));
        }
        if let Some(&t) = txn.iter().find(|&&t| t >= n_txn) {
            return Err(Error::invalid(format!("transaction code {t} is not below n_txn = {n_txn}")));
        }
        // Rows by group (stable), then each group's transactions numbered from its base.
        let mut start = vec![0u32; n_groups as usize + 1];
        group.iter().for_each(|&g| start[g as usize + 1] += 1);
        (1..start.len()).for_each(|g| start[g] += start[g - 1]);
        let mut fill = start[..n_groups as usize].to_vec();
        let mut rows = vec![0u32; group.len()];
        for (r, &g) in group.iter().enumerate() {
            rows[fill[g as usize] as usize] = r as u32;
            fill[g as usize] += 1;
        }
        // `seen[t]` = 1 + the last group that numbered transaction t, `local[t]` its basket there.
        let (mut seen, mut local) = (vec![0u32; n_txn as usize], vec![0u32; n_txn as usize]);
        let mut basket_of = vec![0u32; group.len()];
        let mut group_start = vec![0u32; n_groups as usize + 1];
        let mut next = 0u32;
        for g in 0..n_groups as usize {
            for &r in &rows[start[g] as usize..start[g + 1] as usize] {
                let t = txn[r as usize] as usize;
                if seen[t] != g as u32 + 1 {
                    seen[t] = g as u32 + 1;
                    local[t] = next;
                    next += 1;
                }
                basket_of[r as usize] = local[t];
            }
            group_start[g + 1] = next;
        }
        Ok(GroupedBaskets { baskets: Baskets::from_pairs(&basket_of, item, next, n_items)?, group_start })
    }

    pub fn n_groups(&self) -> usize {
        self.group_start.len() - 1
    }

    /// Group `g`'s baskets on their own (a copy).
    pub fn group(&self, g: usize) -> Baskets {
        let b = &self.baskets;
        let (first, last) = (self.group_start[g] as usize, self.group_start[g + 1] as usize);
        let base = b.offsets[first];
        Baskets {
            offsets: b.offsets[first..=last].iter().map(|&o| o - base).collect(),
            items: b.items[base as usize..b.offsets[last] as usize].to_vec(),
            n_items: b.n_items,
        }
    }
}

/// Frequent itemsets of each group, `min_counts[g]` being group `g`'s minimum count (groups
/// without baskets give none). With at least as many groups as threads, each group is mined
/// on one thread; otherwise the groups take turns using all of them.
pub fn mine_grouped(b: &GroupedBaskets, min_counts: &[u32], o: &MineOptions) -> Result<Vec<Itemsets>> {
    let n = b.n_groups();
    if min_counts.len() != n {
        return Err(Error::invalid(format!("{} minimum counts for {n} groups", min_counts.len())));
    }
    let threads = par::num_threads(o.threads);
    let (outer, inner) = if n >= threads { (threads, 1) } else { (1, threads) };
    par::map_dynamic(n, outer, |g, _| {
        let baskets = b.group(g);
        if baskets.n_transactions() == 0 {
            return Ok(Itemsets::default());
        }
        mine(&baskets, &MineOptions { min_count: min_counts[g], threads: inner, ..o.clone() })
    })
    .into_iter()
    .collect()
}
