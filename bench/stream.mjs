// Streaming and grouped mining (SPEC M4): FPMiner fed in chunks against mine() on the whole
// baskets in the same run — rows per second in, bytes kept per row, mining time ratio — and
// mineGrouped against one mine() per group.
import { createRequire } from "node:module";
import { timed } from "./util.mjs";

const require = createRequire(import.meta.url);
const rk = require("../dist/index.js");
const pl = require("nodejs-polars");
const { readBaskets } = require("./data.cjs");

const fmt = (s) => (s < 10 ? `${(s * 1000).toFixed(0)} ms` : `${s.toFixed(1)} s`);

export function streamBench() {
  console.log("\n## Streaming (FPMiner, 100,000-row chunks of numeric ids) against mine() on the whole baskets\n");
  console.log("| data | minSupport | rows | add chunks | rows / s | bytes kept / row | FPMiner.mine | mine() | ratio |");
  console.log("| --- | --- | --- | --- | --- | --- | --- | --- | --- |");
  for (const [file, s] of [["retail.dat", 0.001], ["T10I4D100K.dat", 0.005]]) {
    const baskets = readBaskets(file);
    const rows = baskets.reduce((n, b) => n + b.length, 0);
    const txn = new Float64Array(rows), item = new Uint32Array(rows);
    let k = 0;
    baskets.forEach((b, t) => b.forEach((i) => { txn[k] = t; item[k++] = i; }));
    const nItems = item.reduce((m, x) => Math.max(m, x), 0) + 1;
    const fill = () => {
      const miner = new rk.FPMiner({ nItems });
      for (let a = 0; a < rows; a += 100_000) miner.addChunk(txn.subarray(a, a + 100_000), item.subarray(a, a + 100_000));
      return miner;
    };
    const add = timed(fill, 5);
    const streamed = timed(() => add.out.mine({ minSupport: s }), 5);
    const whole = timed(() => rk.mine(baskets, { minSupport: s }), 5);
    if (streamed.out.length !== whole.out.length) console.log(`<!-- itemset counts differ: ${streamed.out.length} vs ${whole.out.length} -->`);
    console.log(`| ${file} | ${s} | ${rows.toLocaleString()} | ${fmt(add.seconds)} | ${(rows / add.seconds / 1e6).toFixed(1)} M | ${(add.out.bytes / rows).toFixed(2)} | ${fmt(streamed.seconds)} | ${fmt(whole.seconds)} | ${(streamed.seconds / whole.seconds).toFixed(2)} |`);
  }
  console.log("\nratio = FPMiner.mine / mine() (mine() here includes encoding the JS arrays).");

  const zlib = require("node:zlib"), fs = require("node:fs"), path = require("node:path");
  const csv = zlib.gunzipSync(fs.readFileSync(path.join(path.dirname(new URL(import.meta.url).pathname), "..", "data", "online_retail.csv.gz")));
  const df = pl.readCSV(csv, { dtypes: { InvoiceNo: pl.Utf8, StockCode: pl.Utf8 } }).filter(pl.col("InvoiceNo").str.startsWith("C").not());
  const o = { transactionCol: "InvoiceNo", itemCol: "StockCode", minSupport: 0.05, maxLen: 2 };
  const countries = df.getColumn("Country").unique().toArray();
  const grouped = timed(() => df.rusket.mineGrouped({ groupCol: "Country", ...o }), 3);
  const parts = countries.map((c) => df.filter(pl.col("Country").eq(pl.lit(c))));
  const oneByOne = timed(() => parts.map((p) => p.rusket.mine(o)), 3);
  console.log(`\n## Grouped (online_retail by Country: ${countries.length} groups, 5 %, maxLen 2)\n`);
  console.log(`mineGrouped ${fmt(grouped.seconds)} (${grouped.out.height.toLocaleString()} itemsets) vs one mine() per pre-split group ${fmt(oneByOne.seconds)}: ratio ${(grouped.seconds / oneByOne.seconds).toFixed(2)}`);
}
