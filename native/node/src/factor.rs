//! Exports of the implicit-feedback factor models: fitting ALS and BPR, top-k recommendation
//! (one user, or every user in parallel), similar items, fold-in of a new user, score matrices,
//! and the out-of-core matrix built on disk.

use std::any::Any;
use std::borrow::Cow;
use std::path::Path;
use std::sync::Arc;

use crate::data::{arg, largest, Codes};
use crate::export::{Export, Job};
use crate::js::{JsError, JsResult, Out, Shared, Val};
use crate::obj;
use rusket_core::factor::disk::{self, MappedCsr};
use rusket_core::factor::{self, AlsOptions, BprOptions, Csr, CsrRef, QuantizedItems};

pub const EXPORTS: &[Export] = &[
    Export { name: "alsFit", prepare: als_fit },
    Export { name: "csrAppend", prepare: csr_append },
    Export { name: "csrBuild", prepare: csr_build },
    Export { name: "bprFit", prepare: bpr_fit },
    Export { name: "topK", prepare: top_k },
    Export { name: "quantizeItems", prepare: quantize_items },
    Export { name: "batchRecommend", prepare: batch_recommend },
    Export { name: "similarItems", prepare: similar_items },
    Export { name: "userVector", prepare: user_vector },
    Export { name: "itemGram", prepare: item_gram },
    Export { name: "diversify", prepare: diversify },
    Export { name: "scorePotential", prepare: score_potential },
];

/// A user × item matrix from JS: CSR (`indptr` as f64, `indices`, `data`), COO triplets, or a
/// matrix directory built on disk (fitting only).
enum Interactions {
    Csr { indptr: Vec<u64>, indices: &'static [u32], data: &'static [f32], rows: usize, cols: usize },
    Coo { rows: &'static [u32], cols: &'static [u32], vals: &'static [f32], n_rows: usize, n_cols: usize },
    Disk { dir: String, rows: usize, cols: usize },
}

fn read_interactions(v: Val) -> JsResult<Interactions> {
    let (n_rows, n_cols) = (v.get("nRows")?.u32()? as usize, v.get("nCols")?.u32()? as usize);
    if !v.get("disk")?.is_missing() {
        return Ok(Interactions::Disk { dir: v.get("disk")?.string()?, rows: n_rows, cols: n_cols });
    }
    if !v.get("indptr")?.is_missing() {
        let indptr = v.get("indptr")?.slice::<f64>()?;
        if indptr.iter().any(|&x| x < 0.0 || x.fract() != 0.0) {
            return Err(JsError { code: "INVALID_FORMAT", message: "indptr must hold whole numbers >= 0".into() });
        }
        return Ok(Interactions::Csr {
            indptr: indptr.iter().map(|&x| x as u64).collect(),
            indices: v.get("indices")?.slice()?,
            data: v.get("data")?.slice()?,
            rows: n_rows,
            cols: n_cols,
        });
    }
    Ok(Interactions::Coo { rows: v.get("rows")?.slice()?, cols: v.get("cols")?.slice()?, vals: v.get("vals")?.slice()?, n_rows, n_cols })
}

impl Interactions {
    /// The matrix as an owned CSR (duplicates summed, columns sorted), validated.
    fn build(&self) -> JsResult<Csr> {
        let csr = match self {
            Interactions::Coo { rows, cols, vals, n_rows, n_cols } => Csr::from_coo(rows, cols, vals, *n_rows, *n_cols)?,
            Interactions::Csr { indptr, indices, data, rows, cols } => {
                let r = CsrRef { indptr, indices, data, rows: *rows, cols: *cols };
                r.validate()?;
                Csr { indptr: indptr.clone(), indices: indices.to_vec(), data: data.to_vec(), rows: *rows, cols: *cols }
            }
            Interactions::Disk { .. } => return Err(JsError::invalid("a matrix on disk is for fitting only")),
        };
        Ok(csr)
    }
}

fn csr_out(csr: Csr) -> [(&'static str, Out); 3] {
    [
        ("indptr", Out::F64(csr.indptr.iter().map(|&x| x as f64).collect())),
        ("indices", Out::U32(csr.indices)),
        ("data", Out::F32(csr.data)),
    ]
}

fn fitted(f: factor::Factors, csr: Csr) -> Out {
    let mut fields = vec![("user", Out::F32(f.user)), ("item", Out::F32(f.item)), ("loss", Out::F64(f.loss))];
    fields.extend(csr_out(csr));
    Out::Obj(fields)
}

/// Fits on a matrix directory (see `rusket_core::factor::disk`), both orientations mapped; the
/// training matrix goes back to JS as typed arrays over the mapping (no copy).
fn fit_on_disk(dir: &str, rows: usize, cols: usize, fit: impl FnOnce(CsrRef, CsrRef) -> rusket_core::error::Result<factor::Factors>) -> JsResult<Out> {
    let dir = Path::new(dir);
    let ui = Arc::new(MappedCsr::open(dir, "ui", cols)?);
    let iu = MappedCsr::open(dir, "iu", rows)?;
    if ui.rows != rows || iu.rows != cols {
        return Err(JsError { code: "CORRUPT_FILE", message: format!("{} holds a {} × {} matrix, expected {rows} × {cols}", dir.display(), ui.rows, iu.rows) });
    }
    let f = ui.with_ref(|a| iu.with_ref(|b| fit(a, b)))?;
    let owner: Arc<dyn Any + Send + Sync> = ui.clone();
    Ok(obj! {
        "user": f.user, "item": f.item, "loss": f.loss,
        "indptr": ui.indptr()?.to_vec(),
        "indices": Shared::new(ui.indices()?, owner.clone()),
        "data": Shared::new(ui.data()?, owner),
    })
}

/// `csrAppend(dir, users, items, values?)`: appends rows to a matrix directory; returns the
/// largest user and item codes.
fn csr_append(args: &[Val]) -> JsResult<Job> {
    let dir = arg(args, 0)?.string()?;
    let (users, items) = (Codes::read(arg(args, 1)?)?, Codes::read(arg(args, 2)?)?);
    let values: Option<&[f32]> = arg(args, 3)?.opt_slice()?;
    Ok(Box::new(move || {
        let (users, items) = (users.below(u32::MAX, "user")?, items.below(u32::MAX, "item")?);
        disk::append(Path::new(&dir), &users, &items, values)?;
        Ok(obj! { "maxUser": largest(&users), "maxItem": largest(&items) })
    }))
}

/// `csrBuild(dir, nRows, nCols, budgetBytes)`: builds both orientations; returns the entries.
fn csr_build(args: &[Val]) -> JsResult<Job> {
    let dir = arg(args, 0)?.string()?;
    let (rows, cols) = (arg(args, 1)?.u32()? as usize, arg(args, 2)?.u32()? as usize);
    let budget = arg(args, 3)?.f64()?.max(1.0) as usize;
    Ok(Box::new(move || Ok(Out::from(disk::build(Path::new(&dir), rows, cols, budget)?))))
}

fn als_fit(args: &[Val]) -> JsResult<Job> {
    let m = read_interactions(arg(args, 0)?)?;
    let o = arg(args, 1)?;
    let options = AlsOptions {
        factors: o.get("factors")?.u32()? as usize,
        iterations: o.get("iterations")?.u32()? as usize,
        regularization: o.get("regularization")?.f64()? as f32,
        alpha: o.get("alpha")?.f64()? as f32,
        cg_iters: o.get("cgIters")?.u32()? as usize,
        cholesky: o.get("cholesky")?.bool_or(false)?,
        seed: o.get("seed")?.f64()? as u64,
        threads: o.get("threads")?.usize_or(0)?,
        verbose: o.get("verbose")?.bool_or(false)?,
    };
    Ok(Box::new(move || {
        if let Interactions::Disk { dir, rows, cols } = &m {
            return fit_on_disk(dir, *rows, *cols, |ui, iu| factor::als_fit_transposed(ui, iu, &options));
        }
        let csr = m.build()?;
        let f = factor::als_fit(csr.as_ref(), &options)?;
        Ok(fitted(f, csr))
    }))
}

fn bpr_fit(args: &[Val]) -> JsResult<Job> {
    let m = read_interactions(arg(args, 0)?)?;
    let o = arg(args, 1)?;
    let options = BprOptions {
        factors: o.get("factors")?.u32()? as usize,
        learning_rate: o.get("learningRate")?.f64()? as f32,
        regularization: o.get("regularization")?.f64()? as f32,
        iterations: o.get("iterations")?.u32()? as usize,
        seed: o.get("seed")?.f64()? as u64,
        threads: o.get("threads")?.usize_or(0)?,
        verbose: o.get("verbose")?.bool_or(false)?,
    };
    Ok(Box::new(move || {
        if let Interactions::Disk { dir, rows, cols } = &m {
            return fit_on_disk(dir, *rows, *cols, |ui, _| factor::bpr_fit(ui, &options));
        }
        let csr = m.build()?;
        let f = factor::bpr_fit(csr.as_ref(), &options)?;
        Ok(fitted(f, csr))
    }))
}

/// The factor matrices and their width: arguments 0, 1, 2.
fn factors(args: &[Val]) -> JsResult<(&'static [f32], &'static [f32], usize)> {
    Ok((arg(args, 0)?.slice()?, arg(args, 1)?.slice()?, arg(args, 2)?.u32()? as usize))
}

/// The rows of `users` of a CSR matrix from JS (`indptr` as f64), which must be
/// `n_users × n_items`. Only these rows are read: one user's call costs O(their items), not
/// O(users). A user out of range gets no row (the core reports it as an unknown user).
fn listed_rows(v: Val, users: &[u32], n_users: usize, n_items: usize) -> JsResult<Vec<&'static [u32]>> {
    let (rows, cols) = (v.get("nRows")?.u32()? as usize, v.get("nCols")?.u32()? as usize);
    if (rows, cols) != (n_users, n_items) {
        return Err(JsError::invalid(format!("exclude is {rows} × {cols}, the model {n_users} × {n_items}")));
    }
    let indptr: &[f64] = v.get("indptr")?.slice()?;
    let indices: &'static [u32] = v.get("indices")?.slice()?;
    let bad = |what: String| JsError { code: "INVALID_FORMAT", message: format!("CSR matrix: {what}") };
    if indptr.len() != rows + 1 {
        return Err(bad(format!("indptr has {} entries, expected rows + 1 = {}", indptr.len(), rows + 1)));
    }
    let offset = |x: f64| (x >= 0.0 && x.fract() == 0.0 && x <= indices.len() as f64).then_some(x as usize);
    users
        .iter()
        .map(|&u| {
            let (Some(&a), Some(&b)) = (indptr.get(u as usize), indptr.get(u as usize + 1)) else { return Ok(&[][..]) };
            match (offset(a), offset(b)) {
                (Some(a), Some(b)) if a <= b => Ok(&indices[a..b]),
                _ => Err(bad(format!("row {u} runs from {a} to {b}, not whole offsets within the {} entries", indices.len()))),
            }
        })
        .collect()
}

/// The optional exclusion matrix (argument `i`) as rows of the listed users.
fn exclusions(args: &[Val], i: usize, users: &[u32], n_users: usize, n_items: usize) -> JsResult<Option<Vec<&'static [u32]>>> {
    let v = arg(args, i)?;
    if v.is_missing() { Ok(None) } else { listed_rows(v, users, n_users, n_items).map(Some) }
}

/// Items in any order, with repeats, as the core takes them: sorted, once each (copied only
/// when they are not already; the core checks the range).
fn sorted_items(items: &'static [u32]) -> Cow<'static, [u32]> {
    if items.windows(2).all(|w| w[0] < w[1]) {
        return Cow::Borrowed(items);
    }
    let mut sorted = items.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    Cow::Owned(sorted)
}

fn top_k(args: &[Val]) -> JsResult<Job> {
    let (user, item, k) = factors(args)?;
    let (n_users, n_items) = (user.len() / k.max(1), item.len() / k.max(1));
    let users: &[u32] = arg(args, 3)?.slice()?;
    let n = arg(args, 4)?.u32()? as usize;
    let exclude = exclusions(args, 5, users, n_users, n_items)?;
    let allowed = arg(args, 6)?.opt_slice::<u32>()?.map(sorted_items);
    let threads = arg(args, 7)?.usize_or(0)?;
    // Optional: the item factors quantised by `quantizeItems`.
    let quantized = args.get(8).filter(|v| !v.is_missing()).map(Val::handle::<QuantizedItems>).transpose()?;
    Ok(Box::new(move || {
        let (items, scores) = factor::top_k(user, item, k, users, n, exclude.as_deref(), allowed.as_deref(), quantized.as_ref(), threads)?;
        Ok(obj! { "items": items, "scores": scores })
    }))
}

/// The item factors prepared for `topK` (quantised, by decreasing norm), as a handle.
fn quantize_items(args: &[Val]) -> JsResult<Job> {
    let (_, item, k) = factors(args)?;
    Ok(Box::new(move || Ok(Out::Handle(Arc::new(factor::quantize_items(item, k)?)))))
}

/// Top-n for every user as flat columns (user, item, score, rank), padding dropped.
fn batch_recommend(args: &[Val]) -> JsResult<Job> {
    let (user, item, k) = factors(args)?;
    let n = arg(args, 3)?.u32()? as usize;
    let (n_users, n_items) = (user.len() / k.max(1), item.len() / k.max(1));
    let all: Vec<u32> = (0..n_users as u32).collect();
    let exclude = exclusions(args, 4, &all, n_users, n_items)?;
    let threads = arg(args, 5)?.usize_or(0)?;
    Ok(Box::new(move || {
        let (items, scores) = factor::top_k(user, item, k, &all, n, exclude.as_deref(), None, None, threads)?;
        let width = if n_users == 0 { 0 } else { items.len() / n_users };
        let (mut us, mut is, mut ss, mut rs) = (Vec::with_capacity(items.len()), Vec::with_capacity(items.len()), Vec::with_capacity(items.len()), Vec::with_capacity(items.len()));
        for (pos, (&i, &s)) in items.iter().zip(&scores).enumerate() {
            if i != u32::MAX {
                us.push((pos / width) as u32);
                is.push(i);
                ss.push(s);
                rs.push((pos % width + 1) as u32);
            }
        }
        Ok(obj! { "users": us, "items": is, "scores": ss, "ranks": rs })
    }))
}

fn similar_items(args: &[Val]) -> JsResult<Job> {
    let (_, item, k) = factors(args)?;
    let (which, n) = (arg(args, 3)?.u32()?, arg(args, 4)?.u32()? as usize);
    Ok(Box::new(move || {
        let (items, sims) = factor::similar_items(item, k, which, n)?;
        Ok(obj! { "items": items, "scores": sims })
    }))
}

fn user_vector(args: &[Val]) -> JsResult<Job> {
    let (_, item, k) = factors(args)?;
    let items: &[u32] = arg(args, 3)?.slice()?;
    let weights: &[f32] = arg(args, 4)?.slice()?;
    let (reg, alpha) = (arg(args, 5)?.f64()? as f32, arg(args, 6)?.f64()? as f32);
    let gram: Option<&[f32]> = args.get(7).map(|v| v.opt_slice()).transpose()?.flatten();
    Ok(Box::new(move || Ok(Out::F32(factor::als_user_vector(item, k, items, weights, reg, alpha, gram)?))))
}

/// The order in which to show items by maximal marginal relevance (positions in `items`).
fn diversify(args: &[Val]) -> JsResult<Job> {
    let (_, item, k) = factors(args)?;
    let items: &[u32] = arg(args, 3)?.slice()?;
    let scores: &[f32] = arg(args, 4)?.slice()?;
    let (n, lambda) = (arg(args, 5)?.u32()? as usize, arg(args, 6)?.f64()? as f32);
    Ok(Box::new(move || Ok(Out::U32(factor::diversify(item, k, items, scores, n, lambda)?))))
}

/// The item factors' Gram matrix, for `userVector`.
fn item_gram(args: &[Val]) -> JsResult<Job> {
    let (_, item, k) = factors(args)?;
    Ok(Box::new(move || Ok(Out::F32(factor::item_gram(item, k)?))))
}

fn score_potential(args: &[Val]) -> JsResult<Job> {
    let (user, item, k) = factors(args)?;
    let history = read_interactions(arg(args, 3)?)?;
    let targets: &[u32] = arg(args, 4)?.slice()?;
    let threads = arg(args, 5)?.usize_or(0)?;
    Ok(Box::new(move || {
        let csr = history.build()?;
        Ok(Out::F32(factor::score_potential(user, item, k, csr.as_ref(), targets, threads)?))
    }))
}
