//! Exports of the data layer: dense codes for labels, code remapping, and the Arrow IPC writer
//! that builds polars and Arrow results.

use crate::export::{Export, Job};
use crate::js::{JsError, JsResult, Out, Val};
use rusket_core::arrow_ipc::{self, Column};
use rusket_core::arrow_ipc::read::{Chunk, IpcColumn, Layout, Number};
use rusket_core::{keys, mapped::Mapped};

pub const EXPORTS: &[Export] = &[
    Export { name: "denseCodes", prepare: dense_codes },
    Export { name: "ipcKeys", prepare: ipc_keys },
    Export { name: "columnKeys", prepare: column_keys },
    Export { name: "remap", prepare: remap },
    Export { name: "arrowIpc", prepare: arrow_ipc_export },
];

/// `denseCodes(codes)`: makes a Uint32Array of codes dense in place; returns the first rows.
fn dense_codes(args: &[Val]) -> JsResult<Job> {
    let codes = arg(args, 0)?.slice_mut::<u32>()?;
    Ok(Box::new(move || Ok(Out::U32(keys::dense_in_place(codes)))))
}

/// The columns' dense codes (exact values; in label order where `sorted[i]`, else in order of
/// first appearance; parts of the columns on every core) as `[{ codes, labels }]`, labels as a
/// Float64Array or as UTF-8 `{ offsets, data }`.
fn keys_out(columns: &[IpcColumn], sorted: &[bool]) -> JsResult<Out> {
    let dense = keys::encode_columns(columns, sorted, 0);
    let columns = dense.into_iter().map(|d| {
        let d = d?;
        let labels = match d.labels {
            keys::Labels::Numbers(v) => Out::F64(v),
            keys::Labels::Text { offsets, data } => Out::Obj(vec![("offsets", Out::U32(offsets)), ("data", Out::U8(data))]),
        };
        Ok(Out::Obj(vec![("codes", Out::U32(d.codes)), ("labels", labels)]))
    });
    Ok(Out::List(columns.collect::<rusket_core::error::Result<Vec<_>>>()?))
}

fn sorted_flags(v: Val) -> JsResult<Vec<bool>> {
    v.items()?.iter().map(|v| v.bool_or(false)).collect()
}

/// `ipcKeys(path, sorted)`: every column of an Arrow IPC file as keys (see [`keys_out`]). The
/// file is mapped, then removed; its pages are let go on a thread of their own.
fn ipc_keys(args: &[Val]) -> JsResult<Job> {
    let path = arg(args, 0)?.string()?;
    let sorted = sorted_flags(arg(args, 1)?)?;
    Ok(Box::new(move || {
        let path = std::path::Path::new(&path);
        // Not populated: the column threads fault their own pages in, side by side.
        let file = Mapped::open(path, false)?;
        let _ = std::fs::remove_file(path);
        let out = keys_out(&arrow_ipc::read::read_file(file.bytes())?, &sorted);
        std::thread::spawn(move || drop(file));
        out
    }))
}

/// `columnKeys(columns, sorted)`: columns given by their Arrow buffers as keys (see
/// [`keys_out`]): `{ layout: "signed" | "unsigned" | "float" | "text" | "largeText", width,
/// chunks: [{ rows, buffers }] }`, buffers as for an IPC column without its validity (numbers:
/// values; text: offsets, then data), as bytes.
fn column_keys(args: &[Val]) -> JsResult<Job> {
    let columns = arg(args, 0)?.items()?.iter().enumerate().map(|(i, c)| {
        let width = c.get("width")?.usize_or(0)?;
        let layout = match c.get("layout")?.string()?.as_str() {
            "signed" => Layout::Fixed { width, number: Number::Signed },
            "unsigned" => Layout::Fixed { width, number: Number::Unsigned },
            "float" if width == 4 || width == 8 => Layout::Fixed { width, number: Number::Float },
            "text" => Layout::Offsets { large: false },
            "largeText" => Layout::Offsets { large: true },
            other => return Err(JsError::invalid(format!("column {i}: unknown layout {other} (width {width})"))),
        };
        if matches!(layout, Layout::Fixed { .. }) && ![1, 2, 4, 8].contains(&width) {
            return Err(JsError::invalid(format!("column {i}: width {width}")));
        }
        let chunks = c.get("chunks")?.items()?.iter().map(|ch| {
            let buffers = ch.get("buffers")?.items()?.iter().map(|b| b.slice::<u8>()).collect::<JsResult<Vec<&[u8]>>>()?;
            Ok(Chunk { rows: ch.get("rows")?.usize_or(0)?, buffers })
        }).collect::<JsResult<Vec<_>>>()?;
        let column = IpcColumn { name: format!("key{i}"), layout, chunks };
        column.check()?;
        Ok(column)
    }).collect::<JsResult<Vec<_>>>()?;
    let sorted = sorted_flags(arg(args, 1)?)?;
    Ok(Box::new(move || keys_out(&columns, &sorted)))
}

/// `remap(codes, perm)`: replaces each code `c` by `perm[c]`, in place.
fn remap(args: &[Val]) -> JsResult<Job> {
    let codes = arg(args, 0)?.slice_mut::<u32>()?;
    let perm = arg(args, 1)?.slice::<u32>()?;
    Ok(Box::new(move || {
        if let Some(&c) = codes.iter().find(|&&c| c as usize >= perm.len()) {
            return Err(JsError::invalid(format!("code {c} outside the permutation")));
        }
        codes.iter_mut().for_each(|c| *c = perm[*c as usize]);
        Ok(Out::Num(codes.len() as f64))
    }))
}

/// Whole-number codes from JS: a Uint32Array as it is, or a Float64Array checked value by value.
pub enum Codes {
    U32(&'static [u32]),
    F64(&'static [f64]),
}

impl Codes {
    pub fn read(v: Val) -> JsResult<Codes> {
        v.slice::<u32>().map(Codes::U32).or_else(|_| v.slice::<f64>().map(Codes::F64))
    }

    /// The codes, each checked to be below `limit` (`what` names them in errors).
    pub fn below(&self, limit: u32, what: &str) -> JsResult<std::borrow::Cow<'static, [u32]>> {
        match self {
            Codes::U32(c) => match c.iter().find(|&&x| x >= limit) {
                Some(bad) => Err(JsError::invalid(format!("{what} {bad} is not below {limit}"))),
                None => Ok(std::borrow::Cow::Borrowed(*c)),
            },
            Codes::F64(x) => match x.iter().find(|&&v| !(v >= 0.0 && v < limit as f64 && v.fract() == 0.0)) {
                Some(bad) => Err(JsError::invalid(format!("{what} {bad} is not a whole number in 0..{limit}"))),
                None => Ok(std::borrow::Cow::Owned(x.iter().map(|&v| v as u32).collect())),
            },
        }
    }
}

/// The largest code (-1 when there are none), for callers that size tables after the data.
pub fn largest(codes: &[u32]) -> f64 {
    codes.iter().max().map_or(-1.0, |&m| m as f64)
}

/// The i-th argument, or an error naming it.
pub fn arg(args: &[Val], i: usize) -> JsResult<Val> {
    args.get(i).copied().ok_or_else(|| JsError::invalid(format!("missing argument {i}")))
}

/// Labels as the IPC writer gathers them: UTF-8 strings, or numbers.
enum Labels {
    Utf8 { offsets: Vec<i32>, data: Vec<u8> },
    Num { values: &'static [f64], integer: bool },
}

impl Labels {
    fn len(&self) -> usize {
        match self {
            Labels::Utf8 { offsets, .. } => offsets.len() - 1,
            Labels::Num { values, .. } => values.len(),
        }
    }

    /// `out[i] = label[codes[i]]` as a column.
    fn gather<'a>(&'a self, codes: &'a [u32]) -> Column<'a> {
        match self {
            Labels::Utf8 { offsets, data } => Column::Labels(arrow_ipc::Labels { codes, label_offsets: offsets, label_data: data }),
            Labels::Num { values, integer: true } => Column::I64(codes.iter().map(|&c| values[c as usize] as i64).collect()),
            Labels::Num { values, .. } => Column::F64Owned(codes.iter().map(|&c| values[c as usize]).collect()),
        }
    }
}

fn utf8_values(v: &Val) -> JsResult<(Vec<i32>, Vec<u8>)> {
    let mut offsets = vec![0i32];
    let mut data = Vec::new();
    for s in v.items()? {
        data.extend_from_slice(s.string()?.as_bytes());
        offsets.push(data.len() as i32);
    }
    Ok((offsets, data))
}

fn read_labels(c: &Val) -> JsResult<Labels> {
    let labels = c.get("labels")?;
    if let Ok(values) = labels.slice::<f64>() {
        return Ok(Labels::Num { values, integer: c.get("integer")?.bool_or(false)? });
    }
    let (offsets, data) = utf8_values(&labels)?;
    Ok(Labels::Utf8 { offsets, data })
}

/// One column as JS described it (`IpcColumn` in src/native.ts), read on the main thread.
enum Spec {
    F64(&'static [f64]),
    F32(&'static [f32]),
    U32(&'static [u32]),
    I32(&'static [i32]),
    Bool(&'static [u8]),
    Utf8(Vec<i32>, Vec<u8>),
    Label { codes: &'static [u32], labels: Labels },
    LabelList { offsets: &'static [u32], codes: &'static [u32], labels: Labels },
    Vector { values: &'static [f32], dim: usize },
}

fn offsets_i32(offsets: &[u32]) -> Vec<i32> {
    offsets.iter().map(|&o| o as i32).collect()
}

fn read_spec(c: &Val) -> JsResult<(String, Spec)> {
    let name = c.get("name")?.string()?;
    let checked = |codes: &'static [u32], labels: Labels| -> JsResult<(&'static [u32], Labels)> {
        match codes.iter().find(|&&k| k as usize >= labels.len()) {
            Some(bad) => Err(JsError::invalid(format!("column {name}: label code {bad} outside {} labels", labels.len()))),
            None => Ok((codes, labels)),
        }
    };
    let spec = match c.get("type")?.string()?.as_str() {
        "f64" => Spec::F64(c.get("values")?.slice()?),
        "f32" => Spec::F32(c.get("values")?.slice()?),
        "u32" => Spec::U32(c.get("values")?.slice()?),
        "i32" => Spec::I32(c.get("values")?.slice()?),
        "bool" => Spec::Bool(c.get("values")?.slice()?),
        "utf8" => {
            let (offsets, data) = utf8_values(&c.get("values")?)?;
            Spec::Utf8(offsets, data)
        }
        "label" => {
            let (codes, labels) = checked(c.get("codes")?.slice()?, read_labels(c)?)?;
            Spec::Label { codes, labels }
        }
        "labelList" => {
            let (codes, labels) = checked(c.get("codes")?.slice()?, read_labels(c)?)?;
            Spec::LabelList { offsets: c.get("offsets")?.slice()?, codes, labels }
        }
        "vector" => {
            let values: &'static [f32] = c.get("values")?.slice()?;
            let dim = c.get("dim")?.u32()? as usize;
            if dim == 0 || values.len() % dim != 0 {
                return Err(JsError::invalid(format!("vector column {name}: {} values are not rows of {dim}", values.len())));
            }
            Spec::Vector { values, dim }
        }
        other => return Err(JsError::invalid(format!("unknown column type {other}"))),
    };
    Ok((name, spec))
}

impl Spec {
    fn column(&self) -> Column<'_> {
        match self {
            Spec::F64(v) => Column::F64(v),
            Spec::F32(v) => Column::F32(v),
            Spec::U32(v) => Column::U32(v),
            Spec::I32(v) => Column::I32(v),
            Spec::Bool(v) => Column::Bool(v.iter().map(|&x| x != 0).collect()),
            Spec::Utf8(offsets, data) => Column::Utf8 { offsets: offsets.clone(), data: data.clone() },
            Spec::Label { codes, labels } => labels.gather(codes),
            Spec::LabelList { offsets, codes, labels } => Column::List { offsets: offsets_i32(offsets), child: Box::new(labels.gather(codes)) },
            Spec::Vector { values, dim } => {
                let offsets = (0..=values.len() / dim).map(|i| (i * dim) as i32).collect();
                Column::List { offsets, child: Box::new(Column::F32(values)) }
            }
        }
    }
}

fn arrow_ipc_export(args: &[Val]) -> JsResult<Job> {
    let specs = arg(args, 0)?.items()?.iter().map(read_spec).collect::<JsResult<Vec<_>>>()?;
    Ok(Box::new(move || {
        let named: Vec<(&str, Column)> = specs.iter().map(|(n, s)| (n.as_str(), s.column())).collect();
        Ok(Out::U8(arrow_ipc::write_stream(&named)))
    }))
}
