// ALS, BPR and top-k against implicit (the anchors' implicit 0.7.3), in one run, on the anchors'
// 50k users × 10k items × 2M interactions synthetic split per user (seed 0). Both sides fit a
// CSR built beforehand; 64 factors, 2 threads; rusket α = 4 vs implicit α = 5 on binary data
// (the same confidence 1 + 4 = 5). Prints ratios; nothing here is asserted.
import { anchorsBuild, python, timed } from "./util.mjs";
import { existsSync, mkdirSync } from "node:fs";
import { createRequire } from "node:module";
import * as path from "node:path";

const require = createRequire(import.meta.url);
const rk = require("../dist/index.js");
const pl = require("nodejs-polars");

const fmt = (s) => (s < 1 ? `${(s * 1000).toFixed(0)} ms` : `${s.toFixed(2)} s`);

/** The synthetic interactions and their per-user split, generated once into /tmp. */
function dataset(dir) {
  mkdirSync(dir, { recursive: true });
  const full = path.join(dir, "ui_50k_10k_2M.csv"), prefix = path.join(dir, "ui_50k_10k_2M");
  if (!existsSync(full)) python("gen_data.py", ["interactions", "--users", "50000", "--items", "10000", "--nnz", "2000000", "--seed", "1", "-o", full]);
  if (!existsSync(`${prefix}.train.csv`)) python("split_per_user.py", [full, "-o", prefix, "--seed", "0"]);
  return { train: `${prefix}.train.csv`, test: `${prefix}.test.csv` };
}

/** Train CSR and test frame with the same dense user and item codes as implicit's bench (np.unique). */
function load(files) {
  const train = pl.readCSV(files.train), test = pl.readCSV(files.test);
  const [u, i] = train.columns;
  const both = pl.concat([train.select(u, i), test.select(u, i)]);
  const users = both.getColumn(u).cast(pl.Utf8).unique().sort(), items = both.getColumn(i).cast(pl.Utf8).unique().sort();
  const code = (df, col, labels) => df.select(pl.col(col).cast(pl.Utf8)).join(pl.DataFrame({ [col]: labels, code: Array.from({ length: labels.length }, (_, k) => k) }), { on: col, how: "left" }).getColumn("code");
  const tr = pl.DataFrame({ u: code(train, u, users), i: code(train, i, items) }).unique().sort(["u", "i"]);
  const rows = tr.getColumn("u").toTypedArray(), cols = Int32Array.from(tr.getColumn("i").toTypedArray());
  const indptr = new Int32Array(users.length + 1);
  for (const r of rows) indptr[r + 1]++;
  for (let r = 0; r < users.length; r++) indptr[r + 1] += indptr[r];
  const csr = { indptr, indices: cols, shape: [users.length, items.length] };
  const testFrame = pl.DataFrame({ userId: code(test, u, users), itemId: code(test, i, items) });
  return { csr, testFrame, nnz: cols.length };
}

export function factorBench() {
  const dir = path.join(anchorsBuild, "data");
  const env = { PYTHONPATH: path.join(anchorsBuild, "src", "implicit") };
  if (!existsSync(env.PYTHONPATH)) {
    console.log("\n## Factor models\n\nskipped: implicit is not built (run ../shared/anchors/setup.sh)");
    return;
  }
  const files = dataset(dir);
  const { csr, testFrame, nnz } = load(files);
  console.log(`\n## Factor models (${csr.shape[0].toLocaleString()} users × ${csr.shape[1].toLocaleString()} items, ${nnz.toLocaleString()} train interactions, 2 threads)\n`);
  const common = ["--test-file", files.test, "--factors", "64", "--regularization", "0.01", "--weights", "binary", "--threads", "2", "--k", "10", "--top-n", "10"];

  const als = timed(() => new rk.ALS({ factors: 64, iterations: 15, cgIters: 3, regularization: 0.01, alpha: 4, threads: 2 }).fit(csr), 3);
  const alsQ = rk.evaluate(als.out, testFrame, { k: 10 });
  const batch = timed(() => als.out.batchRecommend({ n: 10, format: "arrow" }), 3);
  const [imp] = python("als_bench.py", [files.train, ...common, "--iterations", "15", "--cg-steps", "3", "--alpha", "5", "--repeat", "3"], env);

  const bpr = timed(() => new rk.BPR({ factors: 64, iterations: 100, learningRate: 0.01, regularization: 0.01, threads: 2 }).fit(csr), 1);
  const bprQ = rk.evaluate(bpr.out, testFrame, { k: 10 });
  const [impB] = python("als_bench.py", [files.train, ...common, "--model", "bpr", "--iterations", "100", "--learning-rate", "0.01", "--repeat", "1"], env);

  console.log("| | rusket | implicit | ratio (rusket / implicit) | target |");
  console.log("| --- | --- | --- | --- | --- |");
  console.log(`| ALS fit (15 it, CG 3) | ${fmt(als.seconds)} | ${fmt(imp.seconds_fit)} | ${(als.seconds / imp.seconds_fit).toFixed(2)} | ≤ 0.67 |`);
  console.log(`| ALS precision@10 | ${alsQ.precision.toFixed(4)} | ${imp.metrics["precision_k@10"].toFixed(4)} | ${(alsQ.precision / imp.metrics["precision_k@10"]).toFixed(3)} | ≥ 0.98 |`);
  console.log(`| ALS ndcg@10 | ${alsQ.ndcg.toFixed(4)} | ${imp.metrics["ndcg@10"].toFixed(4)} | ${(alsQ.ndcg / imp.metrics["ndcg@10"]).toFixed(3)} | ≥ 0.98 |`);
  console.log(`| top-10 for all users (rusket: into an Arrow table) | ${fmt(batch.seconds)} | ${fmt(imp.seconds_recommend_all)} | ${(batch.seconds / imp.seconds_recommend_all).toFixed(2)} | ≤ 0.5 |`);
  console.log(`| BPR fit (100 epochs) | ${fmt(bpr.seconds)} | ${fmt(impB.seconds_fit)} | ${(bpr.seconds / impB.seconds_fit).toFixed(2)} | ≤ 1 |`);
  console.log(`| BPR precision@10 | ${bprQ.precision.toFixed(4)} | ${impB.metrics["precision_k@10"].toFixed(4)} | ${(bprQ.precision / impB.metrics["precision_k@10"]).toFixed(3)} | ≥ 0.98 |`);

  latencyBench();
}

/** One user's top-10 over 100k items × 64 factors, every item with interactions (no all-zero rows to skip). */
export function latencyBench() {
  const users = 20_000, items = 100_000, per = 20;
  const indptr = new Int32Array(users + 1), indices = new Int32Array(users * per);
  for (let u = 0; u < users; u++) {
    indptr[u + 1] = (u + 1) * per;
    for (let j = 0; j < per; j++) indices[u * per + j] = (u * 37 + j * 4999) % items;
    indices.subarray(u * per, (u + 1) * per).sort();
  }
  const big = new rk.ALS({ factors: 64, iterations: 1, threads: 2 }).fit({ indptr, indices, shape: [users, items] });
  const f = big.itemFactors;
  let zero = 0;
  for (let i = 0; i < f.rows; i++) if (f.data.subarray(i * f.cols, (i + 1) * f.cols).every((x) => x === 0)) zero++;
  const t0 = performance.now();
  big.recommendItems(0, { n: 10 }); // the first call builds the model's 4- and 8-bit copies of the item factors
  const first = performance.now() - t0;
  const lat = [];
  for (let r = 0; r < 1000; r++) {
    const t = performance.now();
    big.recommendItems((r * 7919) % users, { n: 10 });
    lat.push(performance.now() - t);
  }
  lat.sort((a, b) => a - b);
  console.log(`\nOne recommendItems call, 100k items × 64 factors (${zero} all-zero item rows), 1,000 calls after the first: p50 ${lat[500].toFixed(3)} ms, p99 ${lat[990].toFixed(3)} ms (target p99 < 1 ms); the first call, which builds the 4- and 8-bit copies: ${first.toFixed(1)} ms`);
}
