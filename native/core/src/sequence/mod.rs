//! Sequential pattern mining: which ordered paths of events recur across many sequences
//! (customer journeys, click paths). Sequences travel in CSR form, one item per event.

mod events;
mod prefixspan;

pub use events::sequences_from_events;
pub use prefixspan::{prefixspan, Patterns};

use crate::error::{Code, Error, Result};

/// Checks that `offsets` is a CSR index over `n_values` values (starts at 0, never decreases,
/// ends at `n_values`) and that every item code is below `n_items`. Shared with `utility`.
pub(crate) fn check_csr(offsets: &[u32], items: &[u32], n_items: u32) -> Result<()> {
    let bad = |m: String| Err(Error::new(Code::InvalidFormat, m));
    match (offsets.first(), offsets.last()) {
        (Some(&0), Some(&last)) if last as usize == items.len() => {}
        _ => {
            return bad(format!(
                "offsets must start at 0 and end at items.length ({}), got {:?} .. {:?}",
                items.len(),
                offsets.first(),
                offsets.last()
            ))
        }
    }
    if let Some(w) = offsets.windows(2).position(|w| w[1] < w[0]) {
        return bad(format!("offsets must not decrease: offsets[{}] = {} > offsets[{}] = {}", w, offsets[w], w + 1, offsets[w + 1]));
    }
    if let Some(p) = items.iter().position(|&i| i >= n_items) {
        return bad(format!("items[{p}] = {} is not below nItems = {n_items}", items[p]));
    }
    if offsets.len() == 1 {
        return Err(Error::new(Code::EmptyInput, "no sequences or transactions (offsets has one entry)"));
    }
    Ok(())
}
