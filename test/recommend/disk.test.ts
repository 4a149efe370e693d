// Out of core: a matrix built on disk from chunks fits to the same factors as the same rows in memory.
import { describe, expect, it } from "vitest";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as pl from "nodejs-polars";
import * as rk from "../../src/index";

// 600 users × 150 items, every user and item present, repeated pairs, integer strengths (exact sums)
const users: number[] = [], items: number[] = [], values: number[] = [];
let seed = 7;
const rand = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) >>> 8) % n;
for (let u = 0; u < 600; u++) for (let k = 0; k < 12; k++) { users.push(u); items.push(k === 0 ? u % 150 : (rand(150) * rand(150)) % 150); values.push(1 + rand(3)); }

describe("CsrBuilder → DiskMatrix → ALS", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "rusket-csr-"));
  const builder = new rk.CsrBuilder(dir);
  for (let a = 0; a < users.length; a += 1000)
    builder.add(Uint32Array.from(users.slice(a, a + 1000)), items.slice(a, a + 1000), values.slice(a, a + 1000));
  // 4 KiB of entries at a time: many passes over the rows
  const matrix = builder.finish({ memoryBudget: 4096 });
  const frame = pl.DataFrame({ user: users, item: items, value: values });
  const params = { factors: 8, iterations: 5, alpha: 2, seed: 3, threads: 2 };

  it("holds every distinct pair once", () => {
    expect(builder.rows).toBe(users.length);
    expect([matrix.nUsers, matrix.nItems]).toEqual([600, 150]);
    expect(matrix.nnz).toBe(new Set(users.map((u, k) => `${u}:${items[k]}`)).size);
    expect(rk.DiskMatrix.open(dir)).toEqual(matrix);
  });

  it("fits ALS (and BPR) to the factors the in-memory matrix gives, and recommends alike", () => {
    const onDisk = new rk.ALS(params).fit(matrix);
    const inMemory = new rk.ALS(params).fit(frame, { userCol: "user", itemCol: "item", ratingCol: "value" });
    expect(inMemory.itemLabels).toEqual(onDisk.itemLabels);
    expect(onDisk.userFactors.data).toEqual(inMemory.userFactors.data);
    expect(onDisk.itemFactors.data).toEqual(inMemory.itemFactors.data);
    for (const u of [0, 17, 599]) expect(onDisk.recommendItems(u, { n: 5 })).toEqual(inMemory.recommendItems(u, { n: 5 }));
    const bprParams = { factors: 8, iterations: 5, seed: 3, threads: 1 };
    const bprDisk = new rk.BPR(bprParams).fit(matrix);
    const bprMemory = new rk.BPR(bprParams).fit(frame, { userCol: "user", itemCol: "item", ratingCol: "value" });
    expect(bprDisk.itemFactors.data).toEqual(bprMemory.itemFactors.data);
  });

  it("saves a model fitted on disk like any other", () => {
    const model = new rk.ALS(params).fit(matrix);
    const file = path.join(dir, "model.rusket");
    model.save(file);
    expect(rk.ALS.load(file).recommendItems(5, { n: 3 })).toEqual(model.recommendItems(5, { n: 3 }));
  });

  it("reports bad input as RusketErrors", () => {
    expect(() => rk.DiskMatrix.open(path.join(dir, "nowhere"))).toThrow(expect.objectContaining({ code: "INVALID_ARGUMENT" }));
    expect(() => new rk.CsrBuilder(path.join(dir, "empty")).finish()).toThrow(expect.objectContaining({ code: "EMPTY_INPUT" }));
    const b = new rk.CsrBuilder(path.join(dir, "small")).add([0, 1], [1, 2]);
    expect(() => b.finish({ nUsers: 1 })).toThrow(expect.objectContaining({ code: "INVALID_ARGUMENT" }));
    expect(() => b.add([0, -1], [1, 2])).toThrow(expect.objectContaining({ code: "INVALID_ARGUMENT" }));
    expect(() => b.add([0, 1.5], [1, 2])).toThrow(expect.objectContaining({ code: "INVALID_ARGUMENT" }));
    expect(() => b.add([0], [1], [Number.NaN])).toThrow(expect.objectContaining({ code: "INVALID_ARGUMENT" }));
    // A matrix file cut short: refused, never read past its end
    const m = b.finish();
    const f = path.join(m.dir, "ui.indices");
    fs.writeFileSync(f, fs.readFileSync(f).subarray(0, 4));
    expect(() => new rk.ALS(params).fit(m)).toThrow(expect.objectContaining({ code: "CORRUPT_FILE" }));
  });
});
