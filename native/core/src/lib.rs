//! rusket's algorithms, free of any FFI: every function takes slices and returns owned
//! flat arrays, so the Node-API binding (`native/node`) only marshals.

pub mod arrow_ipc;
pub mod error;
pub mod factor;
pub mod keys;
pub mod linalg;
pub mod mapped;
pub mod mining;
pub mod par;
pub mod sequence;
pub mod utility;
