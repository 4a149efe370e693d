//! Marshalling between JavaScript values and Rust: arguments in (numbers, strings, options
//! objects, borrowed TypedArrays), results out (`Out`, whose typed arrays become external
//! ArrayBuffers owned by Rust: no copy), and errors as JS `Error`s with a stable `code`.

use crate::ffi::*;
use std::any::Any;
use std::ffi::CString;
use std::os::raw::c_void;
use std::ptr;
use std::sync::Arc;

/// A failure to report to JavaScript: `code` is one of `RusketError`'s codes.
#[derive(Debug)]
pub struct JsError {
    pub code: &'static str,
    pub message: String,
}

impl JsError {
    pub fn invalid(message: impl Into<String>) -> Self {
        JsError { code: "INVALID_ARGUMENT", message: message.into() }
    }
}

impl From<rusket_core::error::Error> for JsError {
    fn from(e: rusket_core::error::Error) -> Self {
        JsError { code: e.code.as_str(), message: e.message }
    }
}

pub type JsResult<T> = Result<T, JsError>;

fn check(status: napi_status, what: &str) -> JsResult<()> {
    if status == NAPI_OK {
        Ok(())
    } else {
        Err(JsError::invalid(format!("Node-API call failed: {what} (status {status})")))
    }
}

/// Element types that cross the boundary as TypedArrays.
pub trait Elem: Copy + Send + Sync + 'static {
    const KIND: i32;
    const NAME: &'static str;
}
impl Elem for i8 { const KIND: i32 = TA_INT8; const NAME: &'static str = "Int8Array"; }
impl Elem for u8 { const KIND: i32 = TA_UINT8; const NAME: &'static str = "Uint8Array"; }
impl Elem for i32 { const KIND: i32 = TA_INT32; const NAME: &'static str = "Int32Array"; }
impl Elem for u32 { const KIND: i32 = TA_UINT32; const NAME: &'static str = "Uint32Array"; }
impl Elem for f32 { const KIND: i32 = TA_FLOAT32; const NAME: &'static str = "Float32Array"; }
impl Elem for f64 { const KIND: i32 = TA_FLOAT64; const NAME: &'static str = "Float64Array"; }

/// One JavaScript value of an argument list, read on the main thread.
#[derive(Clone, Copy)]
pub struct Val {
    env: napi_env,
    pub(crate) raw: napi_value,
    name: &'static str,
}

impl Val {
    pub(crate) fn new(env: napi_env, raw: napi_value, name: &'static str) -> Self {
        Val { env, raw, name }
    }

    fn kind(&self) -> i32 {
        let mut t = 0;
        unsafe { napi_typeof(self.env, self.raw, &mut t) };
        t
    }

    /// True for `undefined` and `null`.
    pub fn is_missing(&self) -> bool {
        matches!(self.kind(), T_UNDEFINED | T_NULL)
    }

    /// The property `key` of an options object (`undefined` when absent).
    pub fn get(&self, key: &'static str) -> JsResult<Val> {
        if self.kind() != T_OBJECT {
            return Err(JsError::invalid(format!("{} must be an object", self.name)));
        }
        let k = CString::new(key).expect("property names have no NUL");
        let mut out = ptr::null_mut();
        check(unsafe { napi_get_named_property(self.env, self.raw, k.as_ptr(), &mut out) }, key)?;
        Ok(Val::new(self.env, out, key))
    }

    pub fn f64(&self) -> JsResult<f64> {
        if self.kind() != T_NUMBER {
            return Err(JsError::invalid(format!("{} must be a number", self.name)));
        }
        let mut v = 0.0;
        check(unsafe { napi_get_value_double(self.env, self.raw, &mut v) }, self.name)?;
        Ok(v)
    }

    /// A number, or `default` when the value is missing.
    pub fn f64_or(&self, default: f64) -> JsResult<f64> {
        if self.is_missing() { Ok(default) } else { self.f64() }
    }

    /// A whole number in `0..=u32::MAX`.
    pub fn u32(&self) -> JsResult<u32> {
        let v = self.f64()?;
        if v.fract() != 0.0 || !(0.0..=u32::MAX as f64).contains(&v) {
            return Err(JsError::invalid(format!("{} must be a whole number >= 0, got {v}", self.name)));
        }
        Ok(v as u32)
    }

    pub fn usize_or(&self, default: usize) -> JsResult<usize> {
        if self.is_missing() { Ok(default) } else { Ok(self.u32()? as usize) }
    }

    pub fn bool_or(&self, default: bool) -> JsResult<bool> {
        if self.is_missing() {
            return Ok(default);
        }
        if self.kind() != T_BOOLEAN {
            return Err(JsError::invalid(format!("{} must be a boolean", self.name)));
        }
        let mut v = false;
        check(unsafe { napi_get_value_bool(self.env, self.raw, &mut v) }, self.name)?;
        Ok(v)
    }

    pub fn string(&self) -> JsResult<String> {
        if self.kind() != T_STRING {
            return Err(JsError::invalid(format!("{} must be a string", self.name)));
        }
        let mut len = 0usize;
        check(unsafe { napi_get_value_string_utf8(self.env, self.raw, ptr::null_mut(), 0, &mut len) }, self.name)?;
        let mut buf = vec![0u8; len + 1];
        check(unsafe { napi_get_value_string_utf8(self.env, self.raw, buf.as_mut_ptr() as *mut _, len + 1, &mut len) }, self.name)?;
        buf.truncate(len);
        String::from_utf8(buf).map_err(|_| JsError::invalid(format!("{} is not valid UTF-8", self.name)))
    }

    /// Borrows a TypedArray's elements. The slice lives as long as the JS array, which the
    /// caller keeps alive for the whole call (a reference is held during async work).
    pub fn slice<T: Elem>(&self) -> JsResult<&'static [T]> {
        let mut is = false;
        unsafe { napi_is_typedarray(self.env, self.raw, &mut is) };
        if !is {
            return Err(JsError::invalid(format!("{} must be a {}", self.name, T::NAME)));
        }
        let (mut kind, mut len, mut data, mut buf, mut off) = (0, 0usize, ptr::null_mut::<c_void>(), ptr::null_mut(), 0usize);
        check(unsafe { napi_get_typedarray_info(self.env, self.raw, &mut kind, &mut len, &mut data, &mut buf, &mut off) }, self.name)?;
        if kind != T::KIND {
            return Err(JsError::invalid(format!("{} must be a {}", self.name, T::NAME)));
        }
        if len == 0 || data.is_null() {
            return Ok(&[]);
        }
        Ok(unsafe { std::slice::from_raw_parts(data as *const T, len) })
    }

    /// Borrows a TypedArray's elements for writing (results computed in place, e.g. codes
    /// made dense): the caller owns the array and does not read it during the call.
    pub fn slice_mut<T: Elem>(&self) -> JsResult<&'static mut [T]> {
        let s = self.slice::<T>()?;
        Ok(unsafe { std::slice::from_raw_parts_mut(s.as_ptr() as *mut T, s.len()) })
    }

    /// The elements of a JS array.
    pub fn items(&self) -> JsResult<Vec<Val>> {
        let mut is = false;
        unsafe { napi_is_array(self.env, self.raw, &mut is) };
        if !is {
            return Err(JsError::invalid(format!("{} must be an array", self.name)));
        }
        let mut len = 0u32;
        check(unsafe { napi_get_array_length(self.env, self.raw, &mut len) }, self.name)?;
        (0..len)
            .map(|i| {
                let mut out = ptr::null_mut();
                check(unsafe { napi_get_element(self.env, self.raw, i, &mut out) }, self.name)?;
                Ok(Val::new(self.env, out, self.name))
            })
            .collect()
    }

    /// The native value behind a handle made by [`Out::Handle`], if it is a `T`.
    pub fn handle<T: Any + Send + Sync>(&self) -> JsResult<Arc<T>> {
        let not = || JsError::invalid(format!("{} must be a handle made by rusket", self.name));
        if self.kind() != T_EXTERNAL {
            return Err(not());
        }
        let mut data = ptr::null_mut();
        check(unsafe { napi_get_value_external(self.env, self.raw, &mut data) }, self.name)?;
        if data.is_null() {
            return Err(not());
        }
        // SAFETY: JS gets externals from this addon only, each over a `Handle` (its tag checked).
        let handle = unsafe { &*(data as *const Handle) };
        if handle.tag != HANDLE_TAG {
            return Err(not());
        }
        handle.value.clone().downcast::<T>().map_err(|_| not())
    }

    /// A TypedArray, or `None` when the value is missing.
    pub fn opt_slice<T: Elem>(&self) -> JsResult<Option<&'static [T]>> {
        if self.is_missing() { Ok(None) } else { self.slice().map(Some) }
    }
}

/// A result on its way to JavaScript.
pub enum Out {
    Num(f64),
    Bool(bool),
    Str(String),
    I8(Vec<i8>),
    U8(Vec<u8>),
    I32(Vec<i32>),
    U32(Vec<u32>),
    F32(Vec<f32>),
    F64(Vec<f64>),
    List(Vec<Out>),
    Obj(Vec<(&'static str, Out)>),
    /// Memory kept alive by another owner (e.g. a file mapping), handed over without a copy.
    Shared(Shared),
    /// A native value that JS holds opaquely and hands back ([`Val::handle`]).
    Handle(Arc<dyn Any + Send + Sync>),
}

/// What a JS external made by [`Out::Handle`] points to: a tag, then the value.
struct Handle {
    tag: u64,
    value: Arc<dyn Any + Send + Sync>,
}

const HANDLE_TAG: u64 = 0x7275_736b_6574_4844; // "rusketHD"

unsafe extern "C" fn drop_handle(_env: napi_env, data: *mut c_void, _hint: *mut c_void) {
    drop(Box::from_raw(data as *mut Handle));
}

/// A typed array over memory that `owner` keeps alive (e.g. a file mapping): JS holds the
/// owner until the array is collected.
pub struct Shared {
    ptr: *mut u8,
    len: usize,
    bytes: usize,
    kind: i32,
    owner: Arc<dyn Any + Send + Sync>,
}

// The memory is owned by `owner`, which is Send + Sync; the pointer is only read through it.
unsafe impl Send for Shared {}

impl Shared {
    pub fn new<T: Elem>(data: &[T], owner: Arc<dyn Any + Send + Sync>) -> Out {
        Out::Shared(Shared { ptr: data.as_ptr() as *mut u8, len: data.len(), bytes: std::mem::size_of_val(data), kind: T::KIND, owner })
    }

    unsafe fn to_js(self, env: napi_env) -> JsResult<napi_value> {
        let mut buf = ptr::null_mut();
        if self.len == 0 {
            let mut data = ptr::null_mut();
            check(napi_create_arraybuffer(env, 0, &mut data, &mut buf), "arraybuffer")?;
        } else {
            let hint = Box::into_raw(Box::new(self.owner));
            if napi_create_external_arraybuffer(env, self.ptr as *mut c_void, self.bytes, Some(drop_owner), hint as *mut c_void, &mut buf) != NAPI_OK {
                drop(Box::from_raw(hint));
                return Err(JsError::invalid("could not create an external ArrayBuffer"));
            }
        }
        let mut out = ptr::null_mut();
        check(napi_create_typedarray(env, self.kind, self.len, buf, 0, &mut out), "typedarray")?;
        Ok(out)
    }
}

unsafe extern "C" fn drop_owner(_env: napi_env, _data: *mut c_void, hint: *mut c_void) {
    drop(Box::from_raw(hint as *mut Arc<dyn Any + Send + Sync>));
}

macro_rules! out_from_vec {
    ($($t:ty => $v:ident),*) => { $(impl From<Vec<$t>> for Out { fn from(v: Vec<$t>) -> Out { Out::$v(v) } })* };
}
out_from_vec!(i8 => I8, u8 => U8, i32 => I32, u32 => U32, f32 => F32, f64 => F64);
impl From<f64> for Out { fn from(v: f64) -> Out { Out::Num(v) } }
impl From<usize> for Out { fn from(v: usize) -> Out { Out::Num(v as f64) } }
impl From<bool> for Out { fn from(v: bool) -> Out { Out::Bool(v) } }
impl From<String> for Out { fn from(v: String) -> Out { Out::Str(v) } }

/// Builds `{ key: value, ... }`.
#[macro_export]
macro_rules! obj {
    ($($k:literal : $v:expr),* $(,)?) => { $crate::js::Out::Obj(vec![$(($k, $crate::js::Out::from($v))),*]) };
}

unsafe extern "C" fn drop_boxed<T>(_env: napi_env, data: *mut c_void, hint: *mut c_void) {
    drop(Box::from_raw(std::ptr::slice_from_raw_parts_mut(data as *mut T, hint as usize)));
}

unsafe fn typed<T: Elem>(env: napi_env, v: Vec<T>) -> JsResult<napi_value> {
    let len = v.len();
    let mut buf = ptr::null_mut();
    if len == 0 {
        let mut data = ptr::null_mut();
        check(napi_create_arraybuffer(env, 0, &mut data, &mut buf), "arraybuffer")?;
    } else {
        let data = Box::into_raw(v.into_boxed_slice()) as *mut T;
        let status = napi_create_external_arraybuffer(
            env, data as *mut c_void, len * std::mem::size_of::<T>(), Some(drop_boxed::<T>), len as *mut c_void, &mut buf);
        if status != NAPI_OK {
            drop(Box::from_raw(std::ptr::slice_from_raw_parts_mut(data, len)));
            return Err(JsError::invalid("could not create an external ArrayBuffer"));
        }
    }
    let mut out = ptr::null_mut();
    check(napi_create_typedarray(env, T::KIND, len, buf, 0, &mut out), "typedarray")?;
    Ok(out)
}

impl Out {
    /// Converts to a JS value on the main thread; typed arrays are handed over without a copy.
    pub unsafe fn to_js(self, env: napi_env) -> JsResult<napi_value> {
        let mut out = ptr::null_mut();
        match self {
            Out::Num(v) => check(napi_create_double(env, v, &mut out), "number")?,
            Out::Bool(v) => check(napi_get_boolean(env, v, &mut out), "boolean")?,
            Out::Str(s) => out = js_string(env, &s)?,
            Out::I8(v) => out = typed(env, v)?,
            Out::U8(v) => out = typed(env, v)?,
            Out::I32(v) => out = typed(env, v)?,
            Out::U32(v) => out = typed(env, v)?,
            Out::F32(v) => out = typed(env, v)?,
            Out::F64(v) => out = typed(env, v)?,
            Out::List(items) => {
                check(napi_create_array_with_length(env, items.len(), &mut out), "array")?;
                for (i, item) in items.into_iter().enumerate() {
                    check(napi_set_element(env, out, i as u32, item.to_js(env)?), "element")?;
                }
            }
            Out::Shared(shared) => out = shared.to_js(env)?,
            Out::Handle(value) => {
                let data = Box::into_raw(Box::new(Handle { tag: HANDLE_TAG, value }));
                if napi_create_external(env, data as *mut c_void, Some(drop_handle), ptr::null_mut(), &mut out) != NAPI_OK {
                    drop(Box::from_raw(data));
                    return Err(JsError::invalid("could not create an external"));
                }
            }
            Out::Obj(fields) => {
                check(napi_create_object(env, &mut out), "object")?;
                for (k, v) in fields {
                    let key = CString::new(k).expect("field names have no NUL");
                    check(napi_set_named_property(env, out, key.as_ptr(), v.to_js(env)?), k)?;
                }
            }
        }
        Ok(out)
    }
}

pub unsafe fn js_string(env: napi_env, s: &str) -> JsResult<napi_value> {
    let mut out = ptr::null_mut();
    check(napi_create_string_utf8(env, s.as_ptr() as *const _, s.len(), &mut out), "string")?;
    Ok(out)
}

/// A JS `Error` whose `code` property is `e.code`.
pub unsafe fn js_error(env: napi_env, e: &JsError) -> napi_value {
    let mut err = ptr::null_mut();
    let code = js_string(env, e.code).unwrap_or(ptr::null_mut());
    let msg = js_string(env, &e.message).unwrap_or(ptr::null_mut());
    napi_create_error(env, code, msg, &mut err);
    err
}
