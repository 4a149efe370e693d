//! The factor models against independent computations: planted structure recovered, the two
//! ALS solvers agreeing, top-k and similarities equal to brute-force sorts, degenerate inputs
//! without NaN, and error codes for bad input.

use rusket_core::error::Code;
use rusket_core::factor::{
    als_fit, als_user_vector, bpr_fit, diversify, item_gram, quantize_items, score_potential, similar_items, top_k, AlsOptions, BprOptions, Csr,
};
use rusket_core::linalg::gemm::multiply_rows;

/// A small deterministic generator for test data (64-bit LCG, top bits).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> f64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() * n as f64) as usize % n
    }

    fn vector(&mut self, n: usize) -> Vec<f32> {
        (0..n).map(|_| self.next() as f32 * 2.0 - 1.0).collect()
    }
}

/// Users and items each belong to one of `topics`; a user takes an item of its own topic with
/// probability `p_in`, any other with `p_out`. Returns (train, held-out positives per user).
fn planted(users: usize, items: usize, topics: usize, p_in: f64, p_out: f64, seed: u64) -> (Csr, Vec<Vec<u32>>) {
    let mut rng = Lcg(seed);
    let (mut r, mut c) = (Vec::new(), Vec::new());
    let mut held_out = vec![Vec::new(); users];
    for (u, held) in held_out.iter_mut().enumerate() {
        for i in 0..items {
            let p = if u % topics == i % topics { p_in } else { p_out };
            if rng.next() < p {
                if rng.next() < 0.2 {
                    held.push(i as u32);
                } else {
                    r.push(u as u32);
                    c.push(i as u32);
                }
            }
        }
    }
    let v = vec![1f32; r.len()];
    (Csr::from_coo(&r, &c, &v, users, items).unwrap(), held_out)
}

fn score(user: &[f32], item: &[f32], f: usize, u: usize, i: usize) -> f32 {
    (0..f).map(|k| user[u * f + k] * item[i * f + k]).sum()
}

/// Probability that a held-out positive scores above an item the user never took.
fn held_out_auc(user: &[f32], item: &[f32], f: usize, train: &Csr, held_out: &[Vec<u32>]) -> f64 {
    let (mut wins, mut pairs) = (0.0, 0.0);
    for (u, pos) in held_out.iter().enumerate() {
        let seen = train.as_ref().row_indices(u);
        for &p in pos {
            for j in 0..train.cols as u32 {
                if !pos.contains(&j) && seen.binary_search(&j).is_err() {
                    let (sp, sj) = (score(user, item, f, u, p as usize), score(user, item, f, u, j as usize));
                    wins += if sp > sj { 1.0 } else if sp == sj { 0.5 } else { 0.0 };
                    pairs += 1.0;
                }
            }
        }
    }
    wins / pairs
}

/// The AUC of the planted truth itself (score 1 for an item of the user's topic, else 0):
/// the best a model can do, since positives and negatives of a topic are alike.
fn oracle_auc(train: &Csr, held_out: &[Vec<u32>], topics: usize) -> f64 {
    let one_hot = |n: usize| (0..n * topics).map(|k| if k / topics % topics == k % topics { 1.0 } else { 0.0 }).collect::<Vec<f32>>();
    held_out_auc(&one_hot(train.rows), &one_hot(train.cols), topics, train, held_out)
}

fn small_als(factors: usize) -> AlsOptions {
    AlsOptions { factors, iterations: 15, alpha: 10.0, regularization: 0.1, threads: 2, seed: 7, ..AlsOptions::default() }
}

#[test]
fn als_recovers_a_planted_structure() {
    let (train, held_out) = planted(300, 200, 4, 0.3, 0.01, 1);
    let best = oracle_auc(&train, &held_out, 4);
    for cholesky in [false, true] {
        let m = als_fit(train.as_ref(), &AlsOptions { cholesky, ..small_als(8) }).unwrap();
        let auc = held_out_auc(&m.user, &m.item, 8, &train, &held_out);
        eprintln!("ALS cholesky={cholesky} auc {auc} oracle {best}");
        assert!(auc > best - 0.03, "cholesky = {cholesky}: held-out AUC {auc}, planted truth {best}");
    }
}

#[test]
fn cg_and_cholesky_reach_the_same_loss() {
    let (train, _) = planted(300, 200, 4, 0.3, 0.01, 2);
    let cg = als_fit(train.as_ref(), &small_als(8)).unwrap();
    let exact = als_fit(train.as_ref(), &AlsOptions { cholesky: true, ..small_als(8) }).unwrap();
    let (a, b) = (*cg.loss.last().unwrap(), *exact.loss.last().unwrap());
    assert!((a - b).abs() <= 0.01 * b, "CG loss {a}, Cholesky loss {b}");
    assert_eq!(cg.loss.len(), 15);
}

#[test]
fn exact_als_never_increases_the_loss_on_movielens() {
    // Spark's sample ratings (1 to 5 stars) as confidence weights.
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../data/sample_movielens_ratings.txt")).unwrap();
    let (mut r, mut c, mut v) = (Vec::new(), Vec::new(), Vec::new());
    for line in text.lines() {
        let f: Vec<&str> = line.split("::").collect();
        r.push(f[0].parse::<u32>().unwrap());
        c.push(f[1].parse::<u32>().unwrap());
        v.push(f[2].parse::<f32>().unwrap());
    }
    assert_eq!(r.len(), 1501);
    let ui = Csr::from_coo(&r, &c, &v, 30, 100).unwrap();
    let m = als_fit(ui.as_ref(), &AlsOptions { iterations: 10, cholesky: true, alpha: 1.0, regularization: 0.01, ..small_als(10) }).unwrap();
    // The reported loss is the objective over all 3,000 cells, divided by their confidences.
    let (f, alpha, reg) = (10, 1.0f64, 0.01f64);
    let (mut total, mut confidence) = (0f64, 0f64);
    for u in 0..30 {
        let row = ui.as_ref().row(u);
        for i in 0..100 {
            let r = row.0.iter().position(|&c| c == i as u32).map_or(0.0, |k| row.1[k] as f64);
            let (c, p) = (1.0 + alpha * r, if r > 0.0 { 1.0 } else { 0.0 });
            let d = score(&m.user, &m.item, f, u, i) as f64;
            total += c * (p - d) * (p - d);
            confidence += c;
        }
    }
    let squares: f64 = m.user.iter().chain(&m.item).map(|&v| v as f64 * v as f64).sum();
    let want = (total + reg * squares) / confidence;
    assert!((m.loss[9] - want).abs() < 1e-4 * want, "loss {} but the objective is {want}", m.loss[9]);
    // Each half-sweep minimises the objective exactly, so it can only go down (up to rounding).
    for w in m.loss.windows(2) {
        assert!(w[1] <= w[0] * (1.0 + 1e-5), "loss went up: {:?}", m.loss);
    }
    assert!(m.loss[9] < 0.8 * m.loss[0], "loss barely moved: {:?}", m.loss);
}

#[test]
fn same_seed_gives_identical_factors_whatever_the_threads() {
    let (train, _) = planted(500, 300, 5, 0.2, 0.01, 3);
    let one = als_fit(train.as_ref(), &AlsOptions { threads: 1, ..small_als(16) }).unwrap();
    let three = als_fit(train.as_ref(), &AlsOptions { threads: 3, ..small_als(16) }).unwrap();
    assert_eq!(one, three);
    let other_seed = als_fit(train.as_ref(), &AlsOptions { seed: 8, ..small_als(16) }).unwrap();
    assert_ne!(one.user, other_seed.user);
    let bpr = BprOptions { factors: 8, iterations: 5, threads: 1, seed: 3, ..BprOptions::default() };
    assert_eq!(bpr_fit(train.as_ref(), &bpr).unwrap(), bpr_fit(train.as_ref(), &bpr).unwrap());
}

#[test]
fn degenerate_inputs_give_finite_factors() {
    let finite = |v: &[f32]| v.iter().all(|x| x.is_finite());
    let cases: Vec<(&str, Csr)> = vec![
        // users 1 and 3, items 0 and 4 empty
        ("empty rows and columns", Csr::from_coo(&[0, 2, 2, 4], &[1, 2, 3, 1], &[1.0; 4], 5, 5).unwrap()),
        ("a single user", Csr::from_coo(&[0, 0, 0], &[0, 1, 2], &[2.0; 3], 1, 3).unwrap()),
        ("a single item", Csr::from_coo(&[0, 1, 2], &[0, 0, 0], &[1.0; 3], 3, 1).unwrap()),
        ("all cells equal", Csr::from_coo(&[0, 0, 1, 1], &[0, 1, 0, 1], &[3.0; 4], 2, 2).unwrap()),
        ("zero and negative values", Csr::from_coo(&[0, 0, 1], &[0, 1, 1], &[0.0, -2.0, 1.0], 2, 2).unwrap()),
    ];
    for (name, ui) in cases {
        for cholesky in [false, true] {
            for regularization in [0.0, 0.01] {
                let o = AlsOptions { factors: 4, iterations: 3, regularization, cholesky, ..AlsOptions::default() };
                let m = als_fit(ui.as_ref(), &o).unwrap();
                assert!(finite(&m.user) && finite(&m.item), "{name}, cholesky {cholesky}, λ {regularization}");
                assert!(m.loss.iter().all(|l| l.is_finite()), "{name}: loss {:?}", m.loss);
            }
        }
        if ui.data.iter().any(|&v| v > 0.0) {
            let m = bpr_fit(ui.as_ref(), &BprOptions { factors: 4, iterations: 5, ..BprOptions::default() }).unwrap();
            assert!(finite(&m.user) && finite(&m.item), "{name}: BPR");
        }
    }
    // Rows without entries end as zeros.
    let ui = Csr::from_coo(&[0, 2], &[1, 1], &[1.0; 2], 3, 2).unwrap();
    let m = als_fit(ui.as_ref(), &AlsOptions { factors: 4, iterations: 2, ..AlsOptions::default() }).unwrap();
    assert!(m.user[4..8].iter().all(|&x| x == 0.0) && m.item[0..4].iter().all(|&x| x == 0.0));
}

#[test]
fn fold_in_solves_the_normal_equations() {
    let (f, n_items) = (5, 40);
    let mut rng = Lcg(4);
    let item = rng.vector(n_items * f);
    let (items, weights) = ([3u32, 17, 3, 29], [1.0f32, 2.0, 0.5, 4.0]);
    let (reg, alpha) = (0.1f32, 2.0f32);
    let x = als_user_vector(&item, f, &items, &weights, reg, alpha, None).unwrap();
    // the same with the Gram matrix given
    let gram = item_gram(&item, f).unwrap();
    assert_eq!(als_user_vector(&item, f, &items, &weights, reg, alpha, Some(&gram)).unwrap(), x);
    assert_eq!(als_user_vector(&item, f, &items, &weights, reg, alpha, Some(&gram[1..])).unwrap_err().code, Code::InvalidArgument);
    // (YᵀY + λI + Σ (c−1) y yᵀ) x = Σ c y, in f64, items merged (3 has weight 1.5).
    let merged = [(3usize, 1.5f64), (17, 2.0), (29, 4.0)];
    let mut a = vec![0f64; f * f];
    let mut b = vec![0f64; f];
    let y = |i: usize, k: usize| item[i * f + k] as f64;
    for j in 0..f {
        for k in 0..f {
            a[j * f + k] = (0..n_items).map(|i| y(i, j) * y(i, k)).sum::<f64>() + if j == k { reg as f64 } else { 0.0 };
        }
    }
    for &(i, w) in &merged {
        let c = 1.0 + alpha as f64 * w;
        for j in 0..f {
            b[j] += c * y(i, j);
            for k in 0..f {
                a[j * f + k] += (c - 1.0) * y(i, j) * y(i, k);
            }
        }
    }
    for j in 0..f {
        let residual: f64 = (0..f).map(|k| a[j * f + k] * x[k] as f64).sum::<f64>() - b[j];
        assert!(residual.abs() < 1e-3, "row {j}: residual {residual}");
    }
    assert_eq!(als_user_vector(&item, f, &[], &[], reg, alpha, None).unwrap(), vec![0f32; f]);
    assert_eq!(als_user_vector(&item, f, &[40], &[1.0], reg, alpha, None).unwrap_err().code, Code::UnknownItem);
    assert_eq!(als_user_vector(&item, f, &[1], &[], reg, alpha, None).unwrap_err().code, Code::InvalidArgument);
}

#[test]
fn bpr_learns_a_planted_structure() {
    let (train, held_out) = planted(300, 200, 4, 0.3, 0.01, 5);
    let o = BprOptions { factors: 8, iterations: 100, learning_rate: 0.05, threads: 2, seed: 1, ..BprOptions::default() };
    let m = bpr_fit(train.as_ref(), &o).unwrap();
    assert_eq!(m.factors, 9, "the item bias is the extra column");
    assert!(m.user.chunks(9).all(|u| u[8] == 1.0), "users carry a constant 1 for the bias");
    let auc = held_out_auc(&m.user, &m.item, 9, &train, &held_out);
    let best = oracle_auc(&train, &held_out, 4);
    eprintln!("BPR auc {auc} oracle {best}");
    assert!(auc > best - 0.03, "held-out AUC {auc}, planted truth {best}");
    assert!(m.loss[99] < 0.5 * m.loss[0], "loss {} -> {}", m.loss[0], m.loss[99]);
}

/// The rows of `users` in `m`: the exclusion lists `top_k` takes.
fn rows_of<'a>(m: &'a Csr, users: &[u32]) -> Vec<&'a [u32]> {
    users.iter().map(|&u| m.as_ref().row_indices(u as usize)).collect()
}

/// Top-n by sorting all scores: higher first, ties to the lower item.
fn brute_top(user: &[f32], item: &[f32], f: usize, u: usize, n: usize, keep: impl Fn(usize) -> bool) -> Vec<(u32, f32)> {
    let mut all: Vec<(u32, f32)> = (0..item.len() / f).filter(|&i| keep(i)).map(|i| (i as u32, score(user, item, f, u, i))).collect();
    all.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    all.truncate(n);
    all
}

#[test]
fn top_k_equals_a_brute_force_sort() {
    let (f, n_users, n_items) = (13, 150, 700);
    let mut rng = Lcg(6);
    let user = rng.vector(n_users * f);
    let item = rng.vector(n_items * f);
    let (mut r, mut c) = (Vec::new(), Vec::new());
    for u in 0..n_users {
        for _ in 0..rng.below(40) {
            r.push(u as u32);
            c.push(rng.below(n_items) as u32);
        }
    }
    let seen = Csr::from_coo(&r, &c, &vec![1.0; r.len()], n_users, n_items).unwrap();
    let allowed: Vec<u32> = (0..n_items as u32).filter(|i| i % 3 != 0).collect();
    // Many users (packed products), a few (row by row, items split over threads).
    let many: Vec<u32> = (0..n_users as u32).rev().collect();
    for users in [&many[..], &[5, 0, 149][..]] {
        for (exclude, allow) in [(None, None), (Some(&seen), None), (Some(&seen), Some(&allowed[..]))] {
            let n = 17;
            let rows = exclude.map(|m| rows_of(m, users));
            let (ids, scores) = top_k(&user, &item, f, users, n, rows.as_deref(), allow, None, 3).unwrap();
            assert_eq!(ids.len(), users.len() * n);
            for (k, &u) in users.iter().enumerate() {
                let keep = |i: usize| {
                    exclude.is_none_or(|ex| ex.as_ref().row_indices(u as usize).binary_search(&(i as u32)).is_err())
                        && allow.is_none_or(|a| a.contains(&(i as u32)))
                };
                let want = brute_top(&user, &item, f, u as usize, n, keep);
                let got: Vec<u32> = ids[k * n..(k + 1) * n].to_vec();
                assert_eq!(got, want.iter().map(|w| w.0).collect::<Vec<_>>(), "user {u}");
                for (s, w) in scores[k * n..(k + 1) * n].iter().zip(&want) {
                    assert!((s - w.1).abs() < 1e-4);
                }
            }
        }
    }
}

#[test]
fn top_k_beyond_the_catalogue_returns_the_catalogue() {
    let (f, n_items) = (4, 9);
    let mut rng = Lcg(7);
    let user = rng.vector(2 * f);
    let item = rng.vector(n_items * f);
    let (ids, _) = top_k(&user, &item, f, &[0, 1], 50, None, None, None, 1).unwrap();
    assert_eq!(ids.len(), 2 * n_items);
    for row in ids.chunks(n_items) {
        let mut sorted = row.to_vec();
        sorted.sort();
        assert_eq!(sorted, (0..n_items as u32).collect::<Vec<_>>());
    }
    // Width = allowed items (4); user 0 has seen 2 of them: padded.
    let allowed = [0, 1, 2, 3];
    let seen = Csr::from_coo(&[0, 0], &[1, 2], &[1.0, 1.0], 2, n_items).unwrap();
    let (ids, scores) = top_k(&user, &item, f, &[0, 1], 50, Some(&rows_of(&seen, &[0, 1])), Some(&allowed), None, 1).unwrap();
    assert_eq!(ids.len(), 8);
    let mut first: Vec<u32> = ids[..2].to_vec();
    first.sort();
    assert_eq!(first, vec![0, 3]);
    assert_eq!(&ids[2..4], &[u32::MAX, u32::MAX]);
    assert!(scores[2..4].iter().all(|s| *s == f32::NEG_INFINITY));
    assert!(ids[4..].iter().all(|&i| i < 4));
    assert_eq!(top_k(&user, &item, f, &[2], 5, None, None, None, 1).unwrap_err().code, Code::UnknownUser);
    assert_eq!(top_k(&user, &item, f, &[0], 0, None, None, None, 1).unwrap(), (vec![], vec![]));
}

/// One user's top-n the straightforward way: every item scored by the scan's kernel in one
/// call, the eligible ones sorted (higher first, ties to the lower item), padded to the width.
fn reference_top(x: &[f32], item: &[f32], n: usize, seen: &[u32], allowed: Option<&[u32]>) -> (Vec<u32>, Vec<f32>) {
    let n_items = item.len() / x.len();
    let mut scores = vec![0f32; n_items];
    multiply_rows(x, item, 0..n_items, &mut scores);
    let width = n.min(allowed.map_or(n_items, |a| a.len()));
    let mut all: Vec<(u32, f32)> = (0..n_items)
        .filter(|&i| allowed.is_none_or(|a| a.contains(&(i as u32))) && !seen.contains(&(i as u32)) && scores[i] > f32::NEG_INFINITY)
        .map(|i| (i as u32, scores[i]))
        .collect();
    all.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    all.resize(width, (u32::MAX, f32::NEG_INFINITY));
    all.into_iter().unzip()
}

#[test]
fn one_user_top_k_from_quantized_items_is_exactly_the_reference() {
    let mut rng = Lcg(10);
    let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
    for (f, n_items) in [(1, 700), (7, 3000), (16, 2000), (64, 5000), (65, 4000)] {
        // Items as a fitted model has them: norms spread over two orders of magnitude, a third
        // all zero (never interacted with), repeated rows (tied scores), and rows that cannot
        // be quantised (NaN, infinite, too large).
        let mut item = rng.vector(n_items * f);
        for (i, row) in item.chunks_exact_mut(f).enumerate() {
            let scale = [0.0, 1.0, 1.0 / (1 + i % 101) as f32][i % 3];
            row.iter_mut().for_each(|v| *v *= scale);
        }
        for i in (7..n_items).step_by(97) {
            item.copy_within((i - 5) * f..(i - 4) * f, i * f);
        }
        (item[11 * f], item[13 * f], item[17 * f]) = (f32::NAN, f32::INFINITY, 1e20);
        let n_users = 5;
        let mut user = rng.vector(n_users * f);
        // For user 0, 40 rows along its own vector (scores at the Cauchy–Schwarz bound), each
        // moved by about one quantisation step: near ties that only a sound interval sorts out.
        let x0 = user[..f].to_vec();
        for r in 0..40 {
            let row = &mut item[(20 + 3 * r) * f..][..f];
            let step = 1.5 / 127.0;
            row.iter_mut().zip(&x0).for_each(|(v, x)| *v = 1.5 * x + step * (rng.next() as f32 - 0.5));
        }
        item[21 * f - 1] = f32::NAN; // one of them scores NaN: never recommended
        user[f..2 * f].fill(0.0); // not quantised: the plain scan
        user[2 * f..3 * f].iter_mut().for_each(|v| *v *= 1e-3);
        user[3 * f..4 * f].iter_mut().for_each(|v| *v = -v.abs()); // mostly negative scores
        let quantized = std::sync::Arc::new(quantize_items(&item, f).unwrap());
        // Most items, and few (scored one by one): the near ties among them.
        let most: Vec<u32> = (0..n_items as u32).filter(|i| i % 4 != 1).collect();
        let few: Vec<u32> = (0..n_items as u32).filter(|i| (20..140).contains(i) && i % 6 == 2 || i % 997 == 5).collect();
        assert_eq!(few.len() * 64 <= n_items, n_items >= 2000);
        for u in 0..n_users as u32 {
            let seen: Vec<u32> = (0..n_items as u32).filter(|_| rng.below(10) == 0).collect();
            for n in [1, 10, 37] {
                for allow in [None, Some(&most[..]), Some(&few[..])] {
                    let want = reference_top(&user[u as usize * f..][..f], &item, n, &seen, allow);
                    // the plain scan; the quantised one alone, and shared with the helper threads
                    for (q, threads) in [(None, 1), (Some(&quantized), 1), (Some(&quantized), 2)] {
                        let (items, scores) = top_k(&user, &item, f, &[u], n, Some(&[&seen[..]]), allow, q, threads).unwrap();
                        let case = format!("{f} factors, {n_items} items, user {u}, n {n}, filter {}, quantised {}, {threads} threads", allow.is_some(), q.is_some());
                        assert_eq!(items, want.0, "{case}");
                        assert_eq!(bits(&scores), bits(&want.1), "{case}");
                    }
                }
            }
        }
    }
}

#[test]
fn similar_items_equals_brute_force_cosine() {
    let (f, n_items) = (6, 120);
    let mut rng = Lcg(8);
    let mut item = rng.vector(n_items * f);
    item[7 * f..8 * f].fill(0.0); // a zero vector: similarity 0
    let cosine = |a: usize, b: usize| {
        let dot: f64 = (0..f).map(|k| item[a * f + k] as f64 * item[b * f + k] as f64).sum();
        let norm = |x: usize| (0..f).map(|k| (item[x * f + k] as f64).powi(2)).sum::<f64>().sqrt();
        if norm(a) == 0.0 || norm(b) == 0.0 { 0.0 } else { dot / (norm(a) * norm(b)) }
    };
    let (ids, sims) = similar_items(&item, f, 11, 10).unwrap();
    let mut want: Vec<(u32, f64)> = (0..n_items).filter(|&i| i != 11).map(|i| (i as u32, cosine(11, i))).collect();
    want.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    assert_eq!(ids, want[..10].iter().map(|w| w.0).collect::<Vec<_>>());
    for (s, w) in sims.iter().zip(&want) {
        assert!((*s as f64 - w.1).abs() < 1e-5);
    }
    let (ids, sims) = similar_items(&item, f, 7, 500).unwrap();
    assert_eq!(ids.len(), n_items - 1);
    assert!(sims.iter().all(|&s| s == 0.0));
    assert_eq!(similar_items(&item, f, 120, 3).unwrap_err().code, Code::UnknownItem);
}

#[test]
fn score_potential_equals_dot_products_with_seen_items_masked() {
    let (f, n_users, n_items) = (5, 110, 60);
    let mut rng = Lcg(9);
    let user = rng.vector(n_users * f);
    let item = rng.vector(n_items * f);
    let history = Csr::from_coo(&[0, 0, 3, 109], &[2, 40, 40, 59], &[1.0; 4], n_users, n_items).unwrap();
    let targets = [40u32, 2, 59, 40, 0];
    let s = score_potential(&user, &item, f, history.as_ref(), &targets, 2).unwrap();
    assert_eq!(s.len(), n_users * targets.len());
    for u in 0..n_users {
        for (k, &t) in targets.iter().enumerate() {
            let got = s[u * targets.len() + k];
            if history.as_ref().row_indices(u).contains(&t) {
                assert_eq!(got, f32::NEG_INFINITY);
            } else {
                assert!((got - score(&user, &item, f, u, t as usize)).abs() < 1e-5);
            }
        }
    }
    assert_eq!(score_potential(&user, &item, f, history.as_ref(), &[60], 1).unwrap_err().code, Code::UnknownItem);
}

#[test]
fn csr_from_coo_sums_duplicates_and_sorts_columns() {
    let m = Csr::from_coo(&[1, 0, 1, 1, 0], &[3, 2, 0, 3, 2], &[1.0, 2.0, 3.0, 4.0, 5.0], 3, 4).unwrap();
    assert_eq!(m.indptr, vec![0, 1, 3, 3]);
    assert_eq!(m.indices, vec![2, 0, 3]);
    assert_eq!(m.data, vec![7.0, 3.0, 5.0]);
    let t = m.transpose();
    assert_eq!((t.rows, t.cols, t.indptr.clone(), t.indices.clone()), (4, 3, vec![0, 1, 1, 2, 3], vec![1, 0, 1]));
    assert_eq!(t.transpose(), m);
    assert_eq!(Csr::from_coo(&[3], &[0], &[1.0], 3, 4).unwrap_err().code, Code::InvalidArgument);
}

#[test]
fn bad_inputs_are_reported_with_their_codes() {
    let unsorted = Csr { indptr: vec![0, 2], indices: vec![3, 1], data: vec![1.0, 1.0], rows: 1, cols: 4 };
    assert_eq!(als_fit(unsorted.as_ref(), &AlsOptions::default()).unwrap_err().code, Code::InvalidFormat);
    let empty = Csr::from_coo(&[], &[], &[], 3, 3).unwrap();
    assert_eq!(als_fit(empty.as_ref(), &AlsOptions::default()).unwrap_err().code, Code::EmptyInput);
    let nan = Csr::from_coo(&[0], &[0], &[f32::NAN], 1, 1).unwrap();
    assert_eq!(als_fit(nan.as_ref(), &AlsOptions::default()).unwrap_err().code, Code::InvalidArgument);
    let ok = Csr::from_coo(&[0], &[0], &[1.0], 1, 1).unwrap();
    let bad_options = [
        AlsOptions { factors: 0, ..AlsOptions::default() },
        AlsOptions { regularization: -1.0, ..AlsOptions::default() },
        AlsOptions { alpha: f32::INFINITY, ..AlsOptions::default() },
        AlsOptions { cg_iters: 0, ..AlsOptions::default() },
    ];
    for o in bad_options {
        assert_eq!(als_fit(ok.as_ref(), &o).unwrap_err().code, Code::InvalidArgument, "{o:?}");
    }
    let bpr = BprOptions { learning_rate: 0.0, ..BprOptions::default() };
    assert_eq!(bpr_fit(ok.as_ref(), &bpr).unwrap_err().code, Code::InvalidArgument);
    // top-k checks the exclusion list of each listed user: sorted, no duplicates, in range.
    let (user, item) = (vec![0.5f32; 2 * 2], vec![0.5f32; 4 * 2]);
    assert!(top_k(&user, &item, 2, &[0], 3, Some(&[&[2]]), None, None, 1).is_ok());
    for bad in [&[3, 1][..], &[1, 1], &[4]] {
        assert_eq!(top_k(&user, &item, 2, &[1], 3, Some(&[bad]), None, None, 1).unwrap_err().code, Code::InvalidFormat);
    }
    assert_eq!(top_k(&user, &item, 2, &[0], 3, Some(&[]), None, None, 1).unwrap_err().code, Code::InvalidArgument);
    // and the allowed items: sorted, no duplicates, in range.
    assert!(top_k(&user, &item, 2, &[0], 3, None, Some(&[0, 3]), None, 1).is_ok());
    for bad in [&[3, 1][..], &[1, 1], &[4]] {
        assert_eq!(top_k(&user, &item, 2, &[0], 3, None, Some(bad), None, 1).unwrap_err().code, Code::InvalidFormat);
    }
    // quantised items of another shape
    let three = std::sync::Arc::new(quantize_items(&item[..6], 2).unwrap());
    assert_eq!(top_k(&user, &item, 2, &[0], 3, None, None, Some(&three), 1).unwrap_err().code, Code::InvalidArgument);
    let wider = std::sync::Arc::new(quantize_items(&item[..4], 4).unwrap());
    assert_eq!(top_k(&user, &item, 2, &[0], 3, None, None, Some(&wider), 1).unwrap_err().code, Code::InvalidArgument);
    let negative = Csr::from_coo(&[0], &[0], &[-1.0], 1, 1).unwrap();
    assert_eq!(bpr_fit(negative.as_ref(), &BprOptions::default()).unwrap_err().code, Code::EmptyInput);
}

#[test]
fn diversify_trades_relevance_for_novelty() {
    // Items 0 and 1 point the same way, 2 elsewhere; scores 1.0, 0.9, 0.5.
    let item = [1.0f32, 0.0, 0.99, 0.1, 0.0, 1.0];
    let (rows, scores) = ([0u32, 1, 2], [1.0f32, 0.9, 0.5]);
    // λ = 1: by score; λ = 0.5: the best, then the one unlike it.
    assert_eq!(diversify(&item, 2, &rows, &scores, 3, 1.0).unwrap(), vec![0, 1, 2]);
    assert_eq!(diversify(&item, 2, &rows, &scores, 3, 0.5).unwrap(), vec![0, 2, 1]);
    assert_eq!(diversify(&item, 2, &rows, &scores, 2, 0.5).unwrap(), vec![0, 2]);
    // positions in the list given, not item ids; k beyond the list
    assert_eq!(diversify(&item, 2, &[2, 0], &[0.5, 1.0], 5, 0.5).unwrap(), vec![1, 0]);
    // equal scores and a zero row: relevance all 0, the earlier position wins ties
    assert_eq!(diversify(&[0.0f32; 6], 2, &rows, &[1.0; 3], 3, 0.5).unwrap(), vec![0, 1, 2]);
    assert_eq!(diversify(&item, 2, &[3], &[1.0], 1, 0.5).unwrap_err().code, Code::UnknownItem);
    assert_eq!(diversify(&item, 2, &rows, &scores, 1, 1.5).unwrap_err().code, Code::InvalidArgument);
    assert_eq!(diversify(&item, 2, &rows, &scores[..2], 1, 0.5).unwrap_err().code, Code::InvalidArgument);
}
