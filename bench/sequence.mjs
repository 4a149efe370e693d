// PrefixSpan (leviathan 2 %) and EFIM (foodmart, min utility 2,000) against SPMF 2.66 in one
// run. SPMF's time is its own reported "Total time" (reading included, JVM start excluded);
// rusket's includes handing the JS arrays to the native core. Prints ratios; asserts nothing.
import { anchorsBuild, python, timed } from "./util.mjs";
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import * as path from "node:path";
import { fileURLToPath } from "node:url";

const require = createRequire(import.meta.url);
const here = path.dirname(fileURLToPath(import.meta.url));
const rk = require("../dist/index.js");
const DATA = path.join(here, "..", "data");

const spmf = (args) => python("spmf_bench.py", [...args, "--repeat", "3"], { SPMF_CP: path.join(anchorsBuild, "spmf", "classes") })[0];

export function sequenceBench() {
  const leviathan = readFileSync(path.join(DATA, "leviathan.txt"), "utf8").trim().split("\n").map((l) => l.trim().split(/\s+/).map(Number).filter((x) => x >= 0));
  const transactions = [], utilities = [];
  for (const line of readFileSync(path.join(DATA, "foodmart_utility.txt"), "utf8").trim().split("\n")) {
    const [items, , utils] = line.split(":");
    transactions.push(items.split(" ").map(Number));
    utilities.push(utils.split(" ").map(Number));
  }
  const ps = timed(() => rk.prefixspan(leviathan, { minSupport: 0.02 }));
  const hu = timed(() => rk.hupm(transactions, utilities, { minUtility: 2000 }));
  const have = existsSync(path.join(anchorsBuild, "spmf", "classes"));
  const sp = have ? spmf(["PrefixSpan", path.join(DATA, "leviathan.txt"), "0.02"]) : undefined;
  const se = have ? spmf(["EFIM", path.join(DATA, "foodmart_utility.txt"), "2000"]) : undefined;
  const row = (name, ours, n, peer) =>
    console.log(`| ${name} | ${n.toLocaleString()} | ${(ours * 1000).toFixed(0)} ms | ${peer ? `${(peer.seconds_spmf * 1000).toFixed(0)} ms (${peer.n_patterns.toLocaleString()} patterns)` : "–"} | ${peer ? (ours / peer.seconds_spmf).toFixed(3) : "–"} | ≤ 0.2 |`);
  console.log(`\n## Sequential and high-utility patterns (${have ? "with" : "without"} SPMF)\n`);
  console.log("| task | patterns | rusket | SPMF (own time) | ratio (rusket / SPMF) | target |");
  console.log("| --- | --- | --- | --- | --- | --- |");
  row("PrefixSpan, leviathan 2 %", ps.seconds, ps.out.length, sp);
  row("EFIM, foodmart min utility 2,000", hu.seconds, hu.out.length, se);
}
