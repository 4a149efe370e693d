//! Exports of the data layer: dense codes for labels, code remapping, and the Arrow IPC writer
//! that builds polars and Arrow results.

use crate::export::{Export, Job};
use crate::js::{JsError, JsResult, Out, Val};
use crate::obj;
use rusket_core::arrow_ipc::{self, Column};

pub const EXPORTS: &[Export] = &[
    Export { name: "denseCodes", prepare: dense_codes },
    Export { name: "remap", prepare: remap },
    Export { name: "arrowIpc", prepare: arrow_ipc_export },
];

/// Codes 0..k-1 in order of first appearance, and the first row of each (for its label).
pub fn dense(codes: &[u32]) -> (Vec<u32>, Vec<u32>) {
    let max = codes.iter().copied().max().map_or(0, |m| m as usize + 1);
    let mut map = vec![u32::MAX; max];
    let mut first_rows = Vec::new();
    let out = codes
        .iter()
        .enumerate()
        .map(|(row, &c)| {
            let slot = &mut map[c as usize];
            if *slot == u32::MAX {
                *slot = first_rows.len() as u32;
                first_rows.push(row as u32);
            }
            *slot
        })
        .collect();
    (out, first_rows)
}

fn dense_codes(args: &[Val]) -> JsResult<Job> {
    let codes = arg(args, 0)?.slice::<u32>()?;
    Ok(Box::new(move || {
        let (codes, first_rows) = dense(codes);
        Ok(obj! { "codes": codes, "firstRows": first_rows })
    }))
}

fn remap(args: &[Val]) -> JsResult<Job> {
    let codes = arg(args, 0)?.slice::<u32>()?;
    let perm = arg(args, 1)?.slice::<u32>()?;
    Ok(Box::new(move || {
        let out: JsResult<Vec<u32>> = codes
            .iter()
            .map(|&c| perm.get(c as usize).copied().ok_or_else(|| JsError::invalid(format!("code {c} outside the permutation"))))
            .collect();
        Ok(Out::U32(out?))
    }))
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

fn read_labels(c: &Val) -> JsResult<Labels> {
    let labels = c.get("labels")?;
    if let Ok(values) = labels.slice::<f64>() {
        return Ok(Labels::Num { values, integer: c.get("integer")?.bool_or(false)? });
    }
    let mut offsets = vec![0i32];
    let mut data = Vec::new();
    for l in labels.items()? {
        data.extend_from_slice(l.string()?.as_bytes());
        offsets.push(data.len() as i32);
    }
    Ok(Labels::Utf8 { offsets, data })
}

/// A column read from JS: either ready, or owned f64 values the writer borrows later.
enum Built {
    Ready(Column<'static>),
    F64(Vec<f64>),
    ListF64 { offsets: Vec<i32>, values: Vec<f64> },
}


fn gather(labels: &Labels, codes: &[u32]) -> JsResult<Built> {
    let n = match labels {
        Labels::Utf8 { offsets, .. } => offsets.len() - 1,
        Labels::Num { values, .. } => values.len(),
    };
    if let Some(&bad) = codes.iter().find(|&&c| c as usize >= n) {
        return Err(JsError::invalid(format!("label code {bad} outside {n} labels")));
    }
    Ok(match labels {
        Labels::Utf8 { offsets, data } => Built::Ready(arrow_ipc::gather_utf8(codes, offsets, data)),
        Labels::Num { values, integer: true } => Built::Ready(Column::I64(codes.iter().map(|&c| values[c as usize] as i64).collect())),
        Labels::Num { values, .. } => Built::F64(codes.iter().map(|&c| values[c as usize]).collect()),
    })
}

fn offsets_i32(offsets: &[u32]) -> Vec<i32> {
    offsets.iter().map(|&o| o as i32).collect()
}

fn read_column(c: &Val) -> JsResult<(String, Built)> {
    let name = c.get("name")?.string()?;
    let col = Built::Ready(match c.get("type")?.string()?.as_str() {
        "f64" => Column::F64(c.get("values")?.slice()?),
        "f32" => Column::F32(c.get("values")?.slice()?),
        "u32" => Column::U32(c.get("values")?.slice()?),
        "i32" => Column::I32(c.get("values")?.slice()?),
        "bool" => Column::Bool(c.get("values")?.slice::<u8>()?.iter().map(|&v| v != 0).collect()),
        "utf8" => {
            let mut offsets = vec![0i32];
            let mut data = Vec::new();
            for v in c.get("values")?.items()? {
                data.extend_from_slice(v.string()?.as_bytes());
                offsets.push(data.len() as i32);
            }
            Column::Utf8 { offsets, data }
        }
        "label" => return Ok((name, gather(&read_labels(c)?, c.get("codes")?.slice()?)?)),
        "labelList" => {
            let offsets = offsets_i32(c.get("offsets")?.slice()?);
            return Ok((name, match gather(&read_labels(c)?, c.get("codes")?.slice()?)? {
                Built::Ready(child) => Built::Ready(Column::List { offsets, child: Box::new(child) }),
                Built::F64(values) => Built::ListF64 { offsets, values },
                Built::ListF64 { .. } => unreachable!("labels gather to flat columns"),
            }));
        }
        "vector" => {
            let values: &'static [f32] = c.get("values")?.slice()?;
            let dim = c.get("dim")?.u32()? as usize;
            if dim == 0 || values.len() % dim != 0 {
                return Err(JsError::invalid(format!("vector column {name}: {} values are not rows of {dim}", values.len())));
            }
            let offsets = (0..=values.len() / dim).map(|i| (i * dim) as i32).collect();
            Column::List { offsets, child: Box::new(Column::F32(values)) }
        }
        other => return Err(JsError::invalid(format!("unknown column type {other}"))),
    });
    Ok((name, col))
}

fn arrow_ipc_export(args: &[Val]) -> JsResult<Job> {
    let columns = arg(args, 0)?.items()?.iter().map(read_column).collect::<JsResult<Vec<_>>>()?;
    Ok(Box::new(move || {
        // Owned f64 values first, so that the columns below can borrow them.
        let mut store: Vec<Vec<f64>> = Vec::new();
        let mut parts = Vec::new();
        for (name, built) in columns {
            parts.push(match built {
                Built::Ready(c) => (name, Some(c), None),
                Built::F64(v) => { store.push(v); (name, None, Some((store.len() - 1, None))) }
                Built::ListF64 { offsets, values } => { store.push(values); (name, None, Some((store.len() - 1, Some(offsets)))) }
            });
        }
        let named: Vec<(&str, Column)> = parts
            .iter_mut()
            .map(|(name, ready, owned)| {
                let col = match (ready.take(), owned.take()) {
                    (Some(c), _) => c,
                    (None, Some((i, None))) => Column::F64(&store[i]),
                    (None, Some((i, Some(offsets)))) => Column::List { offsets, child: Box::new(Column::F64(&store[i])) },
                    (None, None) => unreachable!("every part is ready or owned"),
                };
                (name.as_str(), col)
            })
            .collect();
        Ok(Out::U8(arrow_ipc::write_stream(&named)))
    }))
}
