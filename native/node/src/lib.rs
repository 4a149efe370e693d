//! rusket's Node-API binding: hand-written `node_api.h` declarations (`ffi`), marshalling
//! (`js`), the export machinery (`export`), and one file of exports per area. Each file's
//! `EXPORTS` list is registered below; every export also gets an `…Async` twin.

mod export;
mod ffi;
mod js;
mod data;
mod factor;
mod mining;
mod misc;
mod sequence;
mod embed;

use ffi::{napi_env, napi_value};

/// Node-API module entry point (Node-API version 8).
#[no_mangle]
pub unsafe extern "C" fn napi_register_module_v1(env: napi_env, exports: napi_value) -> napi_value {
    // Panics are reported to JavaScript as NATIVE_PANIC errors; don't also print them.
    if std::env::var_os("RUSKET_DEBUG").is_none() {
        std::panic::set_hook(Box::new(|_| {}));
    }
    for table in [misc::EXPORTS, data::EXPORTS, mining::EXPORTS, sequence::EXPORTS, factor::EXPORTS, embed::EXPORTS] {
        export::register(env, exports, table);
    }
    exports
}
