//! High-utility itemset mining: itemsets ranked by the value (margin, revenue) they bring in,
//! not by how often they are bought.

mod efim;

pub use efim::{efim, HighUtility};
