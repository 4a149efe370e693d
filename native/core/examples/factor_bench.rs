//! Times the factor models on a train/test split of `user,item[,weight]` CSV files (as written
//! by the anchors' `split_per_user.py`) and prints precision@10 and ndcg@10 with the
//! definitions of `als_bench.py` (precision = hits / 10 averaged over test users, binary
//! gains). With `IMPLICIT_SRC` set (`source /tmp/anchors/env.sh`), each model is also run
//! through the anchors' `als_bench.py` (implicit 0.7.3) on the same files, right after ours,
//! and the ratios ours / implicit are printed; implicit gets alpha + 1 (its confidence is
//! alpha·r, ours 1 + alpha·r). Also times one user's top-10 over a random 100,000 × 64 item
//! matrix.
//!
//! ```text
//! cargo run --release -p rusket-core --example factor_bench -- TRAIN.csv TEST.csv \
//!     [--repeat 3] [--threads 2] [--alpha 4] [--cg-iters 3] [--cholesky] [--bpr-iterations 100]
//!     [--only als,bpr,latency]
//! ```

use std::collections::HashSet;
use std::io::Write;
use std::process::{Command, Stdio};
use std::time::Instant;

use rusket_core::factor::{als_fit, bpr_fit, quantize_items, top_k, AlsOptions, BprOptions, Csr, Factors};

struct Args {
    train: String,
    test: String,
    repeat: usize,
    threads: usize,
    alpha: f32,
    cg_iters: usize,
    cholesky: bool,
    only: String,
    bpr_iterations: usize,
}

fn parse_args() -> Args {
    let usage = "usage: factor_bench TRAIN.csv TEST.csv [--repeat N] [--threads N] [--alpha A] [--cg-iters N] [--cholesky] [--bpr-iterations N] [--only als,bpr,latency]";
    let mut args = Args {
        train: String::new(),
        test: String::new(),
        repeat: 3,
        threads: 2,
        alpha: 4.0,
        cg_iters: 3,
        cholesky: false,
        only: "als,bpr,latency".into(),
        bpr_iterations: 100,
    };
    let mut files = Vec::new();
    let mut raw = std::env::args().skip(1);
    while let Some(a) = raw.next() {
        let mut value = || raw.next().expect(usage);
        match a.as_str() {
            "--repeat" => args.repeat = value().parse().expect(usage),
            "--threads" => args.threads = value().parse().expect(usage),
            "--alpha" => args.alpha = value().parse().expect(usage),
            "--cg-iters" => args.cg_iters = value().parse().expect(usage),
            "--bpr-iterations" => args.bpr_iterations = value().parse().expect(usage),
            "--cholesky" => args.cholesky = true,
            "--only" => args.only = value(),
            _ => files.push(a),
        }
    }
    assert!(files.len() == 2, "{usage}");
    args.test = files.pop().unwrap();
    args.train = files.pop().unwrap();
    args
}

/// (users, items, weights) of a CSV with an optional header; integer ids.
fn read_pairs(path: &str) -> (Vec<u32>, Vec<u32>, Vec<f32>) {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let (mut u, mut i, mut w) = (Vec::new(), Vec::new(), Vec::new());
    for line in text.lines() {
        let mut fields = line.split(',');
        let (Some(a), Some(b)) = (fields.next(), fields.next()) else { continue };
        let (Ok(a), Ok(b)) = (a.trim().parse::<u32>(), b.trim().parse::<u32>()) else { continue };
        u.push(a);
        i.push(b);
        w.push(fields.next().and_then(|v| v.trim().parse().ok()).unwrap_or(1.0));
    }
    (u, i, w)
}

/// CPU seconds used by this process so far (user + system, from /proc/self/stat): on a busy
/// machine, a steadier measure of work than wall time.
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the parenthesised command name; utime and stime are the 12th and 13th.
    let rest = stat.rsplit(')').next().unwrap_or("");
    let ticks: Vec<f64> = rest.split_whitespace().skip(11).take(2).filter_map(|v| v.parse().ok()).collect();
    ticks.iter().sum::<f64>() / 100.0
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// (precision@k, ndcg@k) of the top-k rows against the test sets, over users with a test item.
fn metrics(recs: &[u32], k: usize, test: &[HashSet<u32>]) -> (f64, f64) {
    let (mut precision, mut ndcg, mut users) = (0.0, 0.0, 0usize);
    for (u, liked) in test.iter().enumerate().filter(|(_, t)| !t.is_empty()) {
        let row = &recs[u * k..(u + 1) * k];
        let gain = |rank: usize| 1.0 / ((rank + 2) as f64).log2();
        let hits: Vec<usize> = (0..k).filter(|&r| liked.contains(&row[r])).collect();
        precision += hits.len() as f64 / k as f64;
        let ideal: f64 = (0..k.min(liked.len())).map(gain).sum();
        ndcg += hits.iter().map(|&r| gain(r)).sum::<f64>() / ideal;
        users += 1;
    }
    (precision / users as f64, ndcg / users as f64)
}

/// Seconds to fit, seconds to rank all users' top 10, precision@10, ndcg@10.
struct Figures {
    fit: f64,
    recommend: f64,
    precision: f64,
    ndcg: f64,
}

/// implicit's figures for `model` ("als" or "bpr") from the anchors' `als_bench.py`, or None
/// without `IMPLICIT_SRC`.
fn implicit(model: &str, args: &Args) -> Option<Figures> {
    let src = std::env::var("IMPLICIT_SRC").ok()?;
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/anchors/als_bench.py");
    let (threads, repeat) = (args.threads.to_string(), args.repeat.to_string());
    let mut flags = vec!["--model", model, "--factors", "64", "--regularization", "0.01", "--threads", &threads, "--repeat", &repeat];
    let (alpha, cg, iterations) = ((args.alpha + 1.0).to_string(), args.cg_iters.to_string(), args.bpr_iterations.to_string());
    match model {
        "als" if args.cholesky => flags.extend(["--alpha", &alpha, "--no-cg"]),
        "als" => flags.extend(["--alpha", &alpha, "--cg-steps", &cg]),
        _ => flags.extend(["--iterations", &iterations]),
    }
    let out = Command::new("/usr/bin/python3")
        .env("PYTHONPATH", src)
        .arg(script)
        .args([&args.train, "--test-file", &args.test])
        .args(flags)
        .output()
        .ok()?;
    let pick = "import json, sys; d = json.load(sys.stdin); m = d['metrics']; \
                print(d['seconds_fit'], d['seconds_recommend_all'], m['precision_k@10'], m['ndcg@10'])";
    let mut child = Command::new("/usr/bin/python3")
        .args(["-c", pick])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .ok()?;
    child.stdin.take()?.write_all(&out.stdout).ok()?;
    let picked = String::from_utf8(child.wait_with_output().ok()?.stdout).ok()?;
    let v: Vec<f64> = picked.split_whitespace().filter_map(|x| x.parse().ok()).collect();
    (v.len() == 4).then(|| Figures { fit: v[0], recommend: v[1], precision: v[2], ndcg: v[3] })
}

/// Runs ours, then implicit (when available), and prints both and the ratios.
fn compare(model: &str, name: &str, args: &Args, train: &Csr, test: &[HashSet<u32>], fit: &dyn Fn() -> Factors) {
    let ours = run(name, args, train, test, fit);
    if let Some(theirs) = implicit(model, args) {
        println!(
            "{{\"implicit\": \"{model}\", \"seconds_fit\": {:.4}, \"seconds_recommend_all\": {:.4}, \"precision@10\": {:.6}, \"ndcg@10\": {:.6}}}",
            theirs.fit, theirs.recommend, theirs.precision, theirs.ndcg
        );
        println!(
            "{{\"ratio_ours_over_implicit\": \"{name}\", \"fit\": {:.3}, \"recommend_all\": {:.3}, \"precision@10\": {:.3}, \"ndcg@10\": {:.3}}}",
            ours.fit / theirs.fit,
            ours.recommend / theirs.recommend,
            ours.precision / theirs.precision,
            ours.ndcg / theirs.ndcg
        );
    }
}

/// Fits `repeat` times, then ranks every user's top 10 (train items excluded).
fn run(name: &str, args: &Args, train: &Csr, test: &[HashSet<u32>], fit: &dyn Fn() -> Factors) -> Figures {
    let (mut fit_times, mut fit_cpu) = (Vec::new(), Vec::new());
    let mut model = None;
    for _ in 0..args.repeat {
        let (t, c) = (Instant::now(), cpu_seconds());
        model = Some(fit());
        fit_times.push(t.elapsed().as_secs_f64());
        fit_cpu.push(cpu_seconds() - c);
    }
    let model = model.expect("repeat >= 1");
    let users: Vec<u32> = (0..train.rows as u32).collect();
    let seen: Vec<&[u32]> = users.iter().map(|&u| train.as_ref().row_indices(u as usize)).collect();
    let mut rec_times = Vec::new();
    let mut recs = Vec::new();
    for _ in 0..args.repeat {
        let t = Instant::now();
        recs = top_k(&model.user, &model.item, model.factors, &users, 10, Some(&seen), None, None, args.threads).unwrap().0;
        rec_times.push(t.elapsed().as_secs_f64());
    }
    let (precision, ndcg) = metrics(&recs, 10, test);
    let figures = Figures { fit: median(fit_times.clone()), recommend: median(rec_times), precision, ndcg };
    println!(
        "{{\"model\": \"{name}\", \"seconds_fit\": {:.4}, \"fit_runs\": {:?}, \"cpu_seconds_fit\": {:.2}, \"seconds_recommend_all\": {:.4}, \"precision@10\": {precision:.6}, \"ndcg@10\": {ndcg:.6}, \"final_loss\": {:.6}}}",
        figures.fit,
        fit_times.iter().map(|t| (t * 1e4).round() / 1e4).collect::<Vec<_>>(),
        median(fit_cpu),
        figures.recommend,
        model.loss.last().copied().unwrap_or(f64::NAN)
    );
    figures
}

/// p50 / p99 of one user's top-10 over 100,000 random items × 64 factors (quantised once, as a
/// model does on its first recommendation).
fn single_user_latency(threads: usize) {
    let (n_items, f) = (100_000usize, 64usize);
    let mut state = 1u64;
    let mut next = || {
        state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (state >> 40) as f32 / (1u64 << 24) as f32 - 0.5
    };
    let items: Vec<f32> = (0..n_items * f).map(|_| next()).collect();
    let users: Vec<f32> = (0..1000 * f).map(|_| next()).collect();
    let q = std::sync::Arc::new(quantize_items(&items, f).unwrap());
    let mut times = Vec::new();
    for round in 0..2000u32 {
        let t = Instant::now();
        let (ids, _) = top_k(&users, &items, f, &[round % 1000], 10, None, None, Some(&q), threads).unwrap();
        times.push(t.elapsed().as_secs_f64() * 1e3);
        assert_eq!(ids.len(), 10);
    }
    times.sort_by(f64::total_cmp);
    println!(
        "{{\"single_user_top10_100k_x_64\": {{\"threads\": {threads}, \"ms_p50\": {:.4}, \"ms_p99\": {:.4}}}}}",
        times[times.len() / 2],
        times[times.len() * 99 / 100]
    );
}

fn main() {
    let args = parse_args();
    let (tu, ti, tw) = read_pairs(&args.train);
    let (su, si, _) = read_pairs(&args.test);
    let n_users = tu.iter().chain(&su).max().map_or(0, |m| *m as usize + 1);
    let n_items = ti.iter().chain(&si).max().map_or(0, |m| *m as usize + 1);
    let train = Csr::from_coo(&tu, &ti, &tw, n_users, n_items).unwrap();
    let mut test = vec![HashSet::new(); n_users];
    su.iter().zip(&si).for_each(|(&u, &i)| {
        test[u as usize].insert(i);
    });
    println!("{{\"users\": {n_users}, \"items\": {n_items}, \"train_nnz\": {}, \"test_pairs\": {}}}", train.indices.len(), su.len());

    let als = AlsOptions { alpha: args.alpha, cg_iters: args.cg_iters, cholesky: args.cholesky, threads: args.threads, seed: 0, ..AlsOptions::default() };
    let name = if args.cholesky { "als-cholesky" } else { "als-cg" };
    let wanted = |what: &str| args.only.split(',').any(|w| w == what);
    if wanted("als") {
        compare("als", name, &args, &train, &test, &|| als_fit(train.as_ref(), &als).unwrap());
    }
    if wanted("bpr") {
        let bpr = BprOptions { threads: args.threads, iterations: args.bpr_iterations, ..BprOptions::default() };
        let once = Args { repeat: 1, only: String::new(), ..args };
        compare("bpr", "bpr", &once, &train, &test, &|| bpr_fit(train.as_ref(), &bpr).unwrap());
    }
    if wanted("latency") {
        single_user_latency(als.threads);
    }
}
