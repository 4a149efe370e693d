//! The export table and the two ways each export runs: synchronously on the calling thread,
//! or as `<name>Async` on libuv's thread pool, returning a Promise. Every entry point runs
//! inside `catch_unwind`: a Rust panic becomes a `NATIVE_PANIC` error, never an abort.

use crate::ffi::*;
use crate::js::{js_error, js_string, JsError, JsResult, Out, Val};
use std::ffi::CString;
use std::os::raw::c_void;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::ptr;

/// The work of one call, detached from JavaScript so that it may run on another thread.
pub type Job = Box<dyn FnOnce() -> JsResult<Out> + Send>;

/// One exported function: `prepare` reads the arguments on the main thread and returns the job.
pub struct Export {
    pub name: &'static str,
    pub prepare: fn(&[Val]) -> JsResult<Job>,
}

const MAX_ARGS: usize = 9;
const ARG_NAMES: [&str; MAX_ARGS] = ["argument 0", "argument 1", "argument 2", "argument 3", "argument 4", "argument 5", "argument 6", "argument 7", "argument 8"];

fn panic_error(payload: Box<dyn std::any::Any + Send>) -> JsError {
    let what = payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".into());
    JsError { code: "NATIVE_PANIC", message: format!("rusket's native core panicked: {what}") }
}

unsafe fn read_args(env: napi_env, info: napi_callback_info) -> (Vec<Val>, &'static Export) {
    let mut argc = MAX_ARGS;
    let mut argv = [ptr::null_mut(); MAX_ARGS];
    let mut data: *mut c_void = ptr::null_mut();
    napi_get_cb_info(env, info, &mut argc, argv.as_mut_ptr(), ptr::null_mut(), &mut data);
    let vals = (0..argc.min(MAX_ARGS)).map(|i| Val::new(env, argv[i], ARG_NAMES[i])).collect();
    (vals, &*(data as *const Export))
}

unsafe extern "C" fn call_sync(env: napi_env, info: napi_callback_info) -> napi_value {
    let result = catch_unwind(AssertUnwindSafe(|| {
        let (args, export) = read_args(env, info);
        let job = (export.prepare)(&args)?;
        job()?.to_js(env)
    }));
    let err = match result {
        Ok(Ok(v)) => return v,
        Ok(Err(e)) => e,
        Err(p) => panic_error(p),
    };
    let mut pending = false;
    napi_is_exception_pending(env, &mut pending);
    if !pending {
        napi_throw(env, js_error(env, &err));
    }
    ptr::null_mut()
}

struct AsyncCall {
    job: Option<Job>,
    result: Option<JsResult<Out>>,
    deferred: napi_deferred,
    work: napi_async_work,
    refs: Vec<napi_ref>,
}

unsafe extern "C" fn execute(_env: napi_env, data: *mut c_void) {
    let call = &mut *(data as *mut AsyncCall);
    let job = call.job.take().expect("a job runs once");
    call.result = Some(catch_unwind(AssertUnwindSafe(job)).unwrap_or_else(|p| Err(panic_error(p))));
}

unsafe extern "C" fn complete(env: napi_env, _status: napi_status, data: *mut c_void) {
    let AsyncCall { result, deferred, work, refs, .. } = *Box::from_raw(data as *mut AsyncCall);
    for r in &refs {
        napi_delete_reference(env, *r);
    }
    napi_delete_async_work(env, work);
    let outcome = catch_unwind(AssertUnwindSafe(|| {
        let result = result.unwrap_or_else(|| Err(JsError::invalid("the async call was cancelled")));
        result.and_then(|out| out.to_js(env))
    }))
    .unwrap_or_else(|p| Err(panic_error(p)));
    match outcome {
        Ok(v) => napi_resolve_deferred(env, deferred, v),
        Err(e) => napi_reject_deferred(env, deferred, js_error(env, &e)),
    };
}

unsafe extern "C" fn call_async(env: napi_env, info: napi_callback_info) -> napi_value {
    let mut deferred = ptr::null_mut();
    let mut promise = ptr::null_mut();
    napi_create_promise(env, &mut deferred, &mut promise);
    let prepared = catch_unwind(AssertUnwindSafe(|| -> JsResult<()> {
        let (args, export) = read_args(env, info);
        let job = (export.prepare)(&args)?;
        // Keep every argument (and so every borrowed TypedArray) alive until the job completes.
        let refs = args
            .iter()
            .map(|a| {
                let mut r = ptr::null_mut();
                napi_create_reference(env, a.raw, 1, &mut r);
                r
            })
            .collect();
        let call = Box::into_raw(Box::new(AsyncCall { job: Some(job), result: None, deferred, work: ptr::null_mut(), refs }));
        let name = js_string(env, export.name)?;
        let status = napi_create_async_work(env, ptr::null_mut(), name, Some(execute), Some(complete), call as *mut c_void, &mut (*call).work);
        if status != NAPI_OK || napi_queue_async_work(env, (*call).work) != NAPI_OK {
            let call = Box::from_raw(call);
            call.refs.iter().for_each(|r| { napi_delete_reference(env, *r); });
            return Err(JsError::invalid("could not queue async work"));
        }
        Ok(())
    }))
    .unwrap_or_else(|p| Err(panic_error(p)));
    if let Err(e) = prepared {
        napi_reject_deferred(env, deferred, js_error(env, &e));
    }
    promise
}

/// Adds `name` and `nameAsync` for every export to the module's `exports` object.
pub unsafe fn register(env: napi_env, exports: napi_value, table: &'static [Export]) {
    for export in table {
        for (suffix, cb) in [("", call_sync as unsafe extern "C" fn(_, _) -> _), ("Async", call_async)] {
            let name = CString::new(format!("{}{}", export.name, suffix)).expect("export names have no NUL");
            let mut f = ptr::null_mut();
            napi_create_function(env, name.as_ptr(), usize::MAX, Some(cb), export as *const Export as *mut c_void, &mut f);
            napi_set_named_property(env, exports, name.as_ptr(), f);
        }
    }
}
