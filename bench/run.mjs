// npm run bench: rusket against its peers, every time measured in this same run.
//   mining: rusket vs node-fpgrowth (npm), and Borgelt's pyfim and mlxtend when the anchors of
//           ../shared/anchors are built (source /tmp/anchors/env.sh or set ANCHORS_DIR);
//   adapter: polars long frame (online_retail) → native basket form, and the whole df.rusket.mine;
//   stream: FPMiner in chunks against mine(), mineGrouped against one mine() per group;
//   sequence, factor (against implicit), pca: see their files.
//   online: Recommender.recommend with history on a 100k-item catalog (SPEC M21).
// Usage: npm run bench [-- mining|adapter|stream|sequence|factor|latency|online|pca]
import { spawnSync } from "node:child_process";
import { anchorsBuild, python, timed } from "./util.mjs";
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import * as zlib from "node:zlib";

const require = createRequire(import.meta.url);
const here = path.dirname(fileURLToPath(import.meta.url));
const rk = require("../dist/index.js");
const { native } = require("../dist/native.js");
const { readBaskets: toNative } = require("../dist/mining/baskets.js");
const { minCount } = require("../dist/mining/support.js");
const { DATA, readBaskets } = require("./data.cjs");
const pl = require("nodejs-polars");

const only = process.argv[2];
const fmt = (s) => (s === undefined ? "–" : s < 0.01 ? `${(s * 1000).toFixed(2)} ms` : s < 10 ? `${(s * 1000).toFixed(0)} ms` : `${s.toFixed(1)} s`);
const ratio = (peer, ours) => (peer === undefined ? "–" : `${(peer / ours).toFixed(1)}×`);

function anchorsEnv() {
  const file = path.join(anchorsBuild, "env.sh");
  if (!existsSync(file)) return undefined;
  const env = {};
  for (const m of readFileSync(file, "utf8").matchAll(/export (\w+)=["']?([^"'\n]*)["']?/g)) env[m[1]] = m[2];
  return env;
}


function mining() {
  const cases = [["retail.dat", 0.001], ["T10I4D100K.dat", 0.005], ["mushroom.dat", 0.2], ["groceries.csv", 0.001]];
  const anchors = anchorsEnv();
  const sharedData = path.join(here, "..", "..", "shared", "data");
  console.log(`\n## Mining (${anchors ? "with" : "without"} the Python anchors; rusket on ${rk.nativeVersion()}, all cores)\n`);
  console.log("| data | minSupport | itemsets | rusket core | rusket from arrays | node-fpgrowth | pyfim fpgrowth | pyfim eclat | mlxtend fpgrowth | × node-fpgrowth | × pyfim (best) | × mlxtend |");
  console.log("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");
  for (const [file, s] of cases) {
    const baskets = readBaskets(file);
    const { spec, nTransactions } = toNative(baskets, {});
    const args = { minCount: minCount(s, nTransactions), maxLen: 0, method: 0, threads: 0 };
    const core = timed(() => native("mine", spec, args), 7);
    const full = timed(() => rk.mine(baskets, { minSupport: s }), 3);
    const n = core.out.counts.length;
    const fp = spawnSync(process.execPath, [path.join(here, "peers", "node-fpgrowth.cjs"), file, String(s)], { encoding: "utf8", timeout: 600_000 });
    const nodeFp = fp.status === 0 ? JSON.parse(fp.stdout) : undefined;
    let pyfim = {}, mlx;
    if (anchors) {
      const src = path.join(sharedData, file);
      for (const r of python("fim_bench.py", [src, "--min-support", String(s), "--algo", "fpgrowth,eclat", "--repeat", "3"], { PYTHONPATH: anchors.PYFIM_DIR }))
        pyfim[r.impl.split(":")[1]] = r;
      // mlxtend's script reads FIMI files: a long CSV is converted once with the anchors' long2dat.py.
      const dat = file.endsWith(".csv") ? path.join(anchorsBuild, "data", file.replace(/\.csv$/, ".dat")) : src;
      if (!existsSync(dat)) python("long2dat.py", [src, dat]);
      mlx = python("mine_bench.py", [dat, "--min-support", String(s), "--min-confidence", "-1", "--repeat", "1"], { PYTHONPATH: anchors.MLXTEND_SRC })[0];
    }
    const best = Math.min(pyfim.fpgrowth?.seconds_mine ?? Infinity, pyfim.eclat?.seconds_mine ?? Infinity);
    const counts = [nodeFp?.itemsets, pyfim.fpgrowth?.n_itemsets, pyfim.eclat?.n_itemsets, mlx?.n_itemsets].filter((x) => x !== undefined);
    if (counts.some((c) => c !== n)) console.log(`<!-- itemset counts differ on ${file}: rusket ${n}, peers ${counts} -->`);
    console.log(`| ${file} | ${s} | ${n} | ${fmt(core.seconds)} | ${fmt(full.seconds)} | ${fmt(nodeFp?.seconds)} | ${fmt(pyfim.fpgrowth?.seconds_mine)} | ${fmt(pyfim.eclat?.seconds_mine)} | ${fmt(mlx?.seconds_mine)} | ${ratio(nodeFp?.seconds, core.seconds)} | ${ratio(best === Infinity ? undefined : best, core.seconds)} | ${ratio(mlx?.seconds_mine, core.seconds)} |`);
  }
  console.log("\n× = peer time / rusket core time (higher is better for rusket). 'rusket core' mines baskets already in the native layout (as pyfim's and mlxtend's mining times exclude reading); 'from arrays' includes encoding JS arrays.");
}

function adapter() {
  const csv = zlib.gunzipSync(readFileSync(path.join(DATA, "online_retail.csv.gz")));
  const df = pl.readCSV(csv, { dtypes: { InvoiceNo: pl.Utf8, StockCode: pl.Utf8 } }).filter(pl.col("InvoiceNo").str.startsWith("C").not());
  const o = { transactionCol: "InvoiceNo", itemCol: "StockCode" };
  // Reference, same process: polars alone encoding the two string columns as categorical codes.
  const cast = timed(() => {
    const codes = df.select(...["InvoiceNo", "StockCode"].map((c) => pl.col(c).cast(pl.Categorical).cast(pl.UInt32)));
    return codes.columns.map((c) => codes.getColumn(c).toTypedArray());
  }, 7);
  const enc = timed(() => toNative(df, o), 7);
  const whole = timed(() => df.rusket.mine({ ...o, minSupport: 0.01 }), 5);
  const rate = (s) => `${(df.height / s / 1e6).toFixed(1)} M`;
  console.log(`\n## Adapter (online_retail, ${df.height.toLocaleString()} rows, string InvoiceNo and StockCode; medians)\n`);
  console.log("| step | median | rows / s |");
  console.log("| --- | --- | --- |");
  console.log(`| polars long frame → native basket form (exact codes + sorted item labels) | ${fmt(enc.seconds)} | ${rate(enc.seconds)} |`);
  console.log(`| reference: polars casting both columns to categorical codes, into typed arrays | ${fmt(cast.seconds)} | ${rate(cast.seconds)} |`);
  console.log(`| whole \`df.rusket.mine\` at 1 % (${whole.out.height} itemsets, polars frame out) | ${fmt(whole.seconds)} | ${rate(whole.seconds)} |`);
}

if (!only || only === "adapter") adapter();
if (!only || only === "mining") mining();
if (!only || only === "stream") (await import("./stream.mjs")).streamBench();
if (!only || only === "sequence") (await import("./sequence.mjs")).sequenceBench();
if (!only || only === "factor") (await import("./factor.mjs")).factorBench();
if (only === "latency") (await import("./factor.mjs")).latencyBench();
if (!only || only === "online") (await import("./online.mjs")).onlineBench();
if (!only || only === "pca") (await import("./pca.mjs")).pcaBench();
