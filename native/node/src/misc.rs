//! Exports about the addon itself.

use crate::export::{Export, Job};
use crate::js::{JsResult, Out, Val};

pub const EXPORTS: &[Export] = &[
    Export { name: "version", prepare: version },
    Export { name: "panicForTest", prepare: panic_for_test },
];

fn version(_: &[Val]) -> JsResult<Job> {
    Ok(Box::new(|| Ok(Out::Str(env!("CARGO_PKG_VERSION").to_string()))))
}

/// Panics inside the job, so that tests can prove a panic surfaces as `NATIVE_PANIC`.
fn panic_for_test(_: &[Val]) -> JsResult<Job> {
    Ok(Box::new(|| panic!("deliberate panic for tests")))
}
