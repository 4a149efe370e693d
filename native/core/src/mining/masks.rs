//! The tail of the search. Below a node with at most 64 candidates, its baskets become 64-bit
//! masks over the candidates, with counts; projecting "prefix + x" is then one pass of ANDs
//! over those rows. The bottom of the search is many small nodes, where building a tree or
//! intersecting tid sets per node costs far more than the counting itself (Borgelt's
//! "16-items machine" rests on the same observation).

use super::search::{split_candidates, Candidates, Node, Project, NIL};

/// Most candidates a node may have to be mined by masks: the bits of a u64.
pub(crate) const MAX_CANDIDATES: usize = 64;

/// A node's baskets as (mask, count) rows, bit i standing for candidate i.
#[derive(Default)]
pub(crate) struct Masks {
    pub cand: Candidates,
    pub rows: Vec<(u64, u32)>,
}

impl Masks {
    /// Empties the rows and takes `cand` as the candidates.
    pub fn start(&mut self, cand: &Candidates) {
        self.cand.clear();
        self.cand.rank.extend_from_slice(&cand.rank);
        self.cand.support.extend_from_slice(&cand.support);
        self.rows.clear();
    }

    /// Adds `count` baskets holding exactly the candidates in `mask` (none: nothing to add).
    pub fn add(&mut self, mask: u64, count: u32) {
        if mask != 0 && count != 0 {
            self.rows.push((mask, count));
        }
    }

    /// Merges rows with the same mask, so that projections scan fewer rows. Worth it where a
    /// node is made from baskets or tree paths; below, merging costs more than it saves.
    pub fn merge_repeats(&mut self) {
        self.rows.sort_unstable_by_key(|r| r.0);
        self.rows.dedup_by(|next, kept| {
            let same = next.0 == kept.0;
            if same {
                kept.1 += next.1;
            }
            same
        });
    }
}

impl Node for Masks {
    fn candidates(&self) -> &Candidates {
        &self.cand
    }
}

/// Mines nodes given as [`Masks`].
pub(crate) struct MaskMiner {
    pub min_count: u32,
}

/// Per candidate bit: its count below x (all zero between projections), its new bit or NIL.
pub(crate) struct MaskBuffers {
    count: [u32; MAX_CANDIDATES],
    keep: [u32; MAX_CANDIDATES],
}

impl Default for MaskBuffers {
    fn default() -> Self {
        MaskBuffers { count: [0; MAX_CANDIDATES], keep: [NIL; MAX_CANDIDATES] }
    }
}

impl Project for MaskMiner {
    type Node = Masks;
    type Buffers = MaskBuffers;

    fn project(
        &self,
        db: &Masks,
        x: u32,
        into: &mut Masks,
        _: Option<&mut Masks>,
        buf: &mut MaskBuffers,
        perfect: &mut Vec<u32>,
    ) -> bool {
        let (bit, below) = (1u64 << x, (1u64 << x) - 1);
        into.rows.clear();
        for &(mask, count) in &db.rows {
            if mask & bit != 0 && mask & below != 0 {
                let rest = mask & below;
                into.rows.push((rest, count));
                for_each_bit(rest, |i| buf.count[i] += count);
            }
        }
        split_candidates(&db.cand, x, self.min_count, &mut buf.count, &mut buf.keep, &mut into.cand, perfect);
        // Renumber the bits to the kept candidates, unless every candidate below x stayed.
        if into.cand.len() < x as usize {
            let keep = &buf.keep;
            into.rows.retain_mut(|(mask, _)| {
                let mut kept = 0;
                for_each_bit(*mask, |i| {
                    if keep[i] != NIL {
                        kept |= 1 << keep[i];
                    }
                });
                *mask = kept;
                kept != 0
            });
        }
        false
    }
}

/// Calls `f` with the index of every set bit of `mask`.
#[inline(always)]
fn for_each_bit(mut mask: u64, mut f: impl FnMut(usize)) {
    while mask != 0 {
        f(mask.trailing_zeros() as usize);
        mask &= mask - 1;
    }
}
