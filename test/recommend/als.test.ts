// ALS and BPR: planted structure, solvers, determinism, degenerate input, labels, filters.
import { describe, expect, it, vi } from "vitest";
import * as fs from "node:fs";
import * as pl from "nodejs-polars";
import * as rk from "../../src/index";
import { DATA } from "../helpers";

/**
 * A rank-2 implicit matrix: users 0–19 like items 0–9, users 20–39 like items 10–19; two of each
 * user's items are held out of training.
 */
function planted() {
  const user: string[] = [], item: string[] = [], heldOut = new Map<string, string[]>();
  for (let u = 0; u < 40; u++) {
    const base = u < 20 ? 0 : 10;
    const held = [base + (u % 10), base + ((u + 3) % 10)];
    heldOut.set(`u${u}`, held.map((i) => `i${i}`));
    for (let i = base; i < base + 10; i++) if (!held.includes(i)) { user.push(`u${u}`); item.push(`i${i}`); }
  }
  return { frame: pl.DataFrame({ user, item }), heldOut };
}

function ratings() {
  const rows = fs.readFileSync(`${DATA}/sample_movielens_ratings.txt`, "utf8").trim().split("\n").map((l) => l.split("::").map(Number));
  return pl.DataFrame({ userId: rows.map((r) => r[0]), movieId: rows.map((r) => r[1]), rating: rows.map((r) => r[2]) });
}

const groupOf = (label: string) => (Number(label.slice(1)) < 10 ? 0 : 1);

describe("ALS", () => {
  it.each(["cg", "cholesky"] as const)("recovers a planted rank-2 matrix (%s): each user's held-out items rank first", (solver) => {
    const { frame, heldOut } = planted();
    const model = rk.ALS.fromTransactions(frame, { userCol: "user", itemCol: "item", factors: 2, iterations: 15, alpha: 10, regularization: 0.1, solver });
    for (const [u, held] of heldOut) expect(model.recommendItems(u, { n: 2 }).items.sort()).toEqual([...held].sort());
  });

  it("CG and Cholesky reach the same loss within 1 %", () => {
    const df = ratings();
    const o = { userCol: "userId", itemCol: "movieId", ratingCol: "rating", factors: 8, iterations: 15, regularization: 0.1, alpha: 5, threads: 2 };
    const cg = rk.ALS.fromTransactions(df, { ...o, solver: "cg" as const, cgIters: 3 });
    const exact = rk.ALS.fromTransactions(df, { ...o, solver: "cholesky" as const });
    const [a, b] = [cg.loss.at(-1)!, exact.loss.at(-1)!];
    expect(Math.abs(a - b) / b).toBeLessThan(0.01);
  });

  it("the same seed and thread count give identical factors", () => {
    const df = ratings();
    const o = { userCol: "userId", itemCol: "movieId", factors: 16, iterations: 5, seed: 7, threads: 2 };
    const a = rk.ALS.fromTransactions(df, o), b = rk.ALS.fromTransactions(df, o);
    expect(Buffer.from(a.userFactors.data.buffer).equals(Buffer.from(b.userFactors.data.buffer))).toBe(true);
    expect(Buffer.from(a.itemFactors.data.buffer).equals(Buffer.from(b.itemFactors.data.buffer))).toBe(true);
    const c = rk.ALS.fromTransactions(df, { ...o, seed: 8 });
    expect(Buffer.from(a.userFactors.data.buffer).equals(Buffer.from(c.userFactors.data.buffer))).toBe(false);
  });

  it("is never NaN on degenerate input: empty rows, a single user, all ratings equal", () => {
    const finite = (m: rk.FactorModel) => [m.userFactors.data, m.itemFactors.data].every((d) => d.every(Number.isFinite));
    const emptyRow: rk.Csr = { indptr: new Int32Array([0, 2, 2, 3]), indices: new Int32Array([0, 1, 2]), shape: [3, 4] };
    expect(finite(new rk.ALS({ factors: 4, iterations: 3 }).fit(emptyRow))).toBe(true);
    expect(finite(new rk.ALS({ factors: 4, iterations: 3, solver: "cholesky" }).fit(emptyRow))).toBe(true);
    const single = pl.DataFrame({ u: ["a", "a", "a"], i: ["x", "y", "z"] });
    const one = rk.ALS.fromTransactions(single, { userCol: "u", itemCol: "i", factors: 4, iterations: 3 });
    expect(finite(one)).toBe(true);
    expect(one.recommendItems("a", { excludeSeen: false }).items.length).toBe(3);
    const equal = pl.DataFrame({ u: [1, 1, 2, 2, 3], i: [1, 2, 2, 3, 1], r: [5, 5, 5, 5, 5] });
    expect(finite(rk.ALS.fromTransactions(equal, { userCol: "u", itemCol: "i", ratingCol: "r", factors: 4, iterations: 3 }))).toBe(true);
    expect(finite(new rk.BPR({ factors: 4, iterations: 3, threads: 1 }).fit(emptyRow))).toBe(true);
  });
});

describe("labels, filters and new users", () => {
  const df = pl.DataFrame({ customer: [1001, 1001, 1001, 1002, 1002, 1003, 1003, 1003], sku: ["A10", "B22", "C15", "A10", "D33", "B22", "C15", "E07"] });
  const model = df.rusket.als({ transactionCol: "customer", itemCol: "sku", factors: 4, iterations: 5 });

  it("round-trips user and item labels (numbers and strings)", () => {
    expect(model.userLabels).toEqual([1001, 1002, 1003]);
    expect(model.itemLabels).toEqual(["A10", "B22", "C15", "D33", "E07"]);
    expect(model.recommendItems(1002, { n: 5 }).items.every((i) => typeof i === "string")).toBe(true);
    expect(model.recommendUsers("B22", { n: 2 }).users.every((u) => typeof u === "number")).toBe(true);
    expect(model.similarItems("A10", { n: 10 }).items).not.toContain("A10");
  });

  it("an unknown user is UNKNOWN_USER, an unknown item UNKNOWN_ITEM, and recalculateUser serves a new user", () => {
    expect(() => model.recommendItems(9999)).toThrowError(expect.objectContaining({ code: "UNKNOWN_USER" }));
    expect(() => model.similarItems("ZZZ")).toThrowError(expect.objectContaining({ code: "UNKNOWN_ITEM" }));
    const fresh = model.recalculateUser(["A10", "B22"], [1, 2], { n: 3 });
    expect(fresh.items.length).toBe(3);
    expect(fresh.items).not.toContain("A10");
    expect(fresh.items).not.toContain("B22");
    expect(fresh.factors.length).toBe(4);
  });

  it("excludeSeen and filterItems never return the excluded; n beyond the catalogue returns the catalogue", () => {
    const seen = ["A10", "D33"]; // customer 1002's items
    for (let k = 1; k <= 5; k++) expect(model.recommendItems(1002, { n: k }).items.some((i) => seen.includes(i as string))).toBe(false);
    expect(model.recommendItems(1002, { n: 100 }).items.sort()).toEqual(["B22", "C15", "E07"]);
    expect(model.recommendItems(1002, { n: 100, excludeSeen: false }).items.sort()).toEqual(model.itemLabels);
    const only = model.recommendItems(1001, { n: 10, filterItems: ["D33", "E07", "A10"] }).items;
    expect(only.sort()).toEqual(["D33", "E07"]);
  });

  it("batchRecommend gives every user's top n with ranks, never a seen item", () => {
    const recs = model.batchRecommend({ n: 2, format: "records" }) as { userId: number; itemId: string; score: number; rank: number }[];
    expect(recs.length).toBe(6);
    for (const u of model.userLabels) {
      const mine = recs.filter((r) => r.userId === u);
      expect(mine.map((r) => r.rank)).toEqual([1, 2]);
      expect(mine.map((r) => r.itemId)).toEqual(model.recommendItems(u, { n: 2 }).items);
    }
  });
});

describe("BPR", () => {
  it("learns the planted groups (AUC-like check) and serves the same API", () => {
    const { frame } = planted();
    const model = new rk.BPR({ factors: 8, iterations: 200, learningRate: 0.05, threads: 1, seed: 3 }).fit(frame, { userCol: "user", itemCol: "item" });
    let right = 0, total = 0;
    for (let u = 0; u < 40; u++) {
      const { items } = model.recommendItems(`u${u}`, { n: 2 });
      total += items.length;
      right += items.filter((i) => groupOf(String(i)) === (u < 20 ? 0 : 1)).length;
    }
    expect(right / total).toBeGreaterThan(0.9);
  });
});

describe("model.pca", () => {
  it("projects the normalised item (or user) factors with their labels, ready to plot", () => {
    const { frame } = planted();
    const model = rk.ALS.fromTransactions(frame, { userCol: "user", itemCol: "item", factors: 8, iterations: 5 });
    const p = model.pca(3);
    expect(p.labels).toEqual(model.itemLabels);
    expect([p.coords.rows, p.coords.cols]).toEqual([model.itemLabels.length, 3]);
    // the same as PCA of the L2-normalised factors, done by hand
    const V = model.itemFactors;
    const normed = Array.from({ length: V.rows }, (_, r) => {
      const row = Array.from(V.data.subarray(r * V.cols, (r + 1) * V.cols));
      const norm = Math.hypot(...row);
      return row.map((x) => x / norm);
    });
    const direct = new rk.PCA({ nComponents: 3 }).fitTransform(normed) as number[][];
    direct.forEach((row, r) => row.forEach((x, j) => expect(p.coords.data[r * 3 + j]).toBeCloseTo(x, 4)));
    const users = model.pca(2, { of: "users", normalize: false });
    expect(users.labels).toEqual(model.userLabels);
    const fig = p.plot({ title: "items" });
    expect((fig.data[0] as { x: number[] }).x.length).toBe(model.itemLabels.length);
    expect(() => model.pca(3, { of: "things" as "items" })).toThrowError(expect.objectContaining({ code: "INVALID_ARGUMENT" }));
  });
});

describe("verbose", () => {
  it("prints one line per iteration with its loss, and the time", () => {
    const log = vi.spyOn(console, "log").mockImplementation(() => {});
    try {
      const { frame } = planted();
      const model = rk.ALS.fromTransactions(frame, { userCol: "user", itemCol: "item", factors: 2, iterations: 4, verbose: true });
      const lines = log.mock.calls.map((c) => String(c[0]));
      expect(lines.filter((l) => /^ALS iteration \d\/4: loss \d/.test(l)).length).toBe(4);
      expect(lines.some((l) => /^ALS fitted in [\d.]+ s/.test(l))).toBe(true);
      expect(model.loss.length).toBe(4);
    } finally {
      log.mockRestore();
    }
  });
});
