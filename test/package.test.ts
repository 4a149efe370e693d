// The built package loads by its name from CommonJS and from ESM, and the accessor works after it.
import { describe, expect, it } from "vitest";
import { execFileSync } from "node:child_process";
import * as path from "node:path";

const root = path.join(__dirname, "..");
const body = `
const pl = require("nodejs-polars"), dfd = require("danfojs-node"), arrow = require("apache-arrow");
const orders = { t: [1, 1, 2, 2, 3], i: ["a", "b", "a", "b", "a"] };
const o = { transactionCol: "t", itemCol: "i", minSupport: 0.6 };
const out = {
  polars: pl.DataFrame(orders).rusket.mine(o).height,
  danfo: new dfd.DataFrame(orders).rusket.mine(o).shape[0],
  arrow: rk.mine(arrow.tableFromArrays({ t: Int32Array.from(orders.t), i: orders.i }), o).numRows,
  arrays: rk.mine([["a", "b"], ["a", "b"], ["a"]], { minSupport: 0.6 }).length,
  error: typeof rk.RusketError,
};
console.log(JSON.stringify(out));`;
const expected = { polars: 3, danfo: 3, arrow: 3, arrays: 3, error: "function" };

function run(args: string[]): unknown {
  return JSON.parse(execFileSync(process.execPath, args, { cwd: root, encoding: "utf8" }).trim().split("\n").pop()!);
}

describe("the package", () => {
  it("loads with require('rusket')", () => {
    expect(run(["-e", `const rk = require("rusket");${body}`])).toEqual(expected);
  });

  it("loads with import * as rk from 'rusket' (ESM)", () => {
    const esm = `import * as rk from "rusket"; import { createRequire } from "node:module"; const require = createRequire(import.meta.url);${body}`;
    expect(run(["--input-type=module", "-e", esm])).toEqual(expected);
  });

  it("loads from its path, as a CommonJS require of the package folder", () => {
    expect(run(["-e", `const rk = require(${JSON.stringify(root)});${body}`])).toEqual(expected);
  });
});
