//! Exports of embeddings: PCA fit and transform (`rusket_core::linalg::pca`).

use crate::data::arg;
use crate::export::{Export, Job};
use crate::js::{JsError, JsResult, Out, Val};
use crate::obj;
use rusket_core::linalg::pca::{self, PcaOptions, Solver};

pub const EXPORTS: &[Export] = &[
    Export { name: "pcaFit", prepare: pca_fit },
    Export { name: "pcaTransform", prepare: pca_transform },
];

/// A row-major matrix `{ data, rows, cols }` whose data is a Float32Array or a Float64Array,
/// borrowed.
enum Rows {
    F32(&'static [f32]),
    F64(&'static [f64]),
}

fn read_matrix(v: Val) -> JsResult<(Rows, usize)> {
    let data = v.get("data")?;
    let rows = data
        .slice::<f32>()
        .map(Rows::F32)
        .or_else(|_| data.slice::<f64>().map(Rows::F64))
        .map_err(|_| JsError::invalid("data must be a Float32Array or a Float64Array"))?;
    let (n_rows, cols) = (v.get("rows")?.u32()? as usize, v.get("cols")?.u32()? as usize);
    let len = match rows {
        Rows::F32(d) => d.len(),
        Rows::F64(d) => d.len(),
    };
    if n_rows * cols != len {
        return Err(JsError::invalid(format!("data has {len} values, but rows × cols = {n_rows} × {cols}")));
    }
    Ok((rows, cols))
}

fn solver(code: u32) -> JsResult<Solver> {
    Ok(match code {
        0 => Solver::Auto,
        1 => Solver::Full,
        2 => Solver::Randomized,
        s => return Err(JsError::invalid(format!("unknown solver {s}"))),
    })
}

fn pca_fit(args: &[Val]) -> JsResult<Job> {
    let (x, cols) = read_matrix(arg(args, 0)?)?;
    let o = arg(args, 1)?;
    let options = PcaOptions {
        n_components: o.get("nComponents")?.u32()? as usize,
        solver: solver(o.get("solver")?.u32()?)?,
        seed: o.get("seed")?.f64_or(0.0)? as u64,
        threads: o.get("threads")?.usize_or(0)?,
    };
    Ok(Box::new(move || {
        let p = match x {
            Rows::F32(d) => pca::pca_fit(d, cols, &options)?,
            Rows::F64(d) => pca::pca_fit(d, cols, &options)?,
        };
        Ok(obj! {
            "components": p.components, "explainedVariance": p.explained_variance,
            "explainedVarianceRatio": p.explained_variance_ratio, "singularValues": p.singular_values,
            "mean": p.mean, "solver": if p.solver == Solver::Full { 1.0 } else { 2.0 },
        })
    }))
}

/// Scores of the rows, in the input's precision: Float32Array in, Float32Array out.
fn pca_transform(args: &[Val]) -> JsResult<Job> {
    let (x, cols) = read_matrix(arg(args, 0)?)?;
    let (mean, components): (&[f64], &[f64]) = (arg(args, 1)?.slice()?, arg(args, 2)?.slice()?);
    if cols != mean.len() {
        return Err(JsError::invalid(format!("x has {cols} columns, but the PCA was fitted on {}", mean.len())));
    }
    let threads = arg(args, 3)?.usize_or(0)?;
    Ok(Box::new(move || {
        Ok(match x {
            Rows::F32(d) => Out::F32(pca::pca_transform(d, mean, components, threads)?.into_iter().map(|v| v as f32).collect()),
            Rows::F64(d) => Out::F64(pca::pca_transform(d, mean, components, threads)?),
        })
    }))
}
