// evaluate, scorePotential, potentialTiers and trainTestSplit against hand computations.
import { describe, expect, it } from "vitest";
import * as pl from "nodejs-polars";
import * as rk from "../../src/index";

const df = pl.DataFrame({
  user: ["a", "a", "a", "b", "b", "c", "c", "c", "d", "d"],
  item: ["p", "q", "r", "p", "s", "q", "r", "t", "s", "t"],
});
const model = rk.ALS.fromTransactions(df, { userCol: "user", itemCol: "item", factors: 3, iterations: 5 });

describe("evaluate", () => {
  it("equals precision, recall, ndcg, map and hit rate computed by hand", () => {
    const recA = model.recommendItems("a", { n: 2 }).items; // a has p q r; candidates s, t
    const recB = model.recommendItems("b", { n: 2 }).items; // b has p s; candidates q r t
    const notB = ["q", "r", "t"].find((x) => !recB.includes(x))!;
    // a: test = {first rec}: hit at rank 1. b: test = {the candidate not recommended}: no hit.
    const test = pl.DataFrame({ userId: ["a", "b"], itemId: [recA[0], notB] });
    const m = rk.evaluate(model, test, { k: 2 });
    expect(m.users).toBe(2);
    expect(m.precision).toBeCloseTo((1 / 2 + 0) / 2, 12);
    expect(m.recall).toBeCloseTo((1 + 0) / 2, 12);
    expect(m.ndcg).toBeCloseTo((1 + 0) / 2, 12);
    expect(m.map).toBeCloseTo((1 + 0) / 2, 12);
    expect(m.hitRate).toBeCloseTo(0.5, 12);
    // a: test = {second rec, an item a has seen}: the seen item is not recommendable, hit at rank 2
    const t2 = pl.DataFrame({ userId: ["a", "a"], itemId: [recA[1], "p"] });
    const m2 = rk.evaluate(model, t2, { k: 2, metrics: ["precision", "recall", "ndcg", "map"] });
    expect(m2.precision).toBeCloseTo(1 / 2, 12);
    expect(m2.recall).toBeCloseTo(1 / 2, 12);
    expect(m2.ndcg).toBeCloseTo((1 / Math.log2(3)) / (1 + 1 / Math.log2(3)), 12);
    expect(m2.map).toBeCloseTo((1 / 2) / 2, 12);
  });
});

describe("scorePotential", () => {
  it("scores users × targets as dot products and marks seen items -Infinity", () => {
    const m = rk.scorePotential([["p", "q"], ["s"]], model, { targetItems: ["p", "s", "t"] });
    expect([m.rows, m.cols]).toEqual([2, 3]);
    expect(m.data[0]).toBe(-Infinity); // user 0 has p
    expect(m.data[4]).toBe(-Infinity); // user 1 has s
    const U = model.userFactors, V = model.itemFactors, t = model.itemLabels.indexOf("t");
    const dot = (u: number, i: number) => Array.from({ length: U.cols }, (_, f) => U.data[u * U.cols + f] * V.data[i * V.cols + f]).reduce((a, b) => a + b);
    expect(m.data[2]).toBeCloseTo(dot(0, t), 5);
    expect(m.data[5]).toBeCloseTo(dot(1, t), 5);
  });
});

describe("potentialTiers", () => {
  it("reproduces seed 002's percent_rank tiers on a hand-made example", () => {
    const recs = [0.9, 0.8, 0.8, 0.5, 0.3, 0.1].map((score, i) => ({ userId: `u${i}`, itemId: "A", score, rank: 1 }));
    recs.push({ userId: "u9", itemId: "B", score: 0.05, rank: 1 });
    const tiers = rk.potentialTiers(recs, { by: "item", cuts: [0.2, 0.6] }) as (typeof recs[number] & { percentRank: number; potential: string })[];
    // ranks 1, 2, 2, 4, 5, 6 of 6: (rank − 1) / 5
    expect(tiers.map((t) => t.percentRank)).toEqual([0, 0.2, 0.2, 0.6, 0.8, 1, 0]);
    expect(tiers.map((t) => t.potential)).toEqual(["High", "High", "High", "Medium", "Low", "Low", "High"]);
    const all = rk.potentialTiers(pl.DataFrame(recs), { by: "all" });
    expect(all.getColumn("percentRank").toArray()).toEqual([0, 1 / 6, 1 / 6, 0.5, 4 / 6, 5 / 6, 1]);
  });
});

describe("trainTestSplit", () => {
  it("holds out per user, keeps a train row for everyone, and is seeded", () => {
    const { train, test } = df.rusket.trainTestSplit({ userCol: "user", itemCol: "item", testFraction: 0.5, seed: 1 });
    expect(train.height + test.height).toBe(df.height);
    for (const u of ["a", "b", "c", "d"]) expect(train.filter(pl.col("user").eq(pl.lit(u))).height).toBeGreaterThan(0);
    const again = rk.trainTestSplit(df, { userCol: "user", itemCol: "item", testFraction: 0.5, seed: 1 });
    expect(again.test.toRecords()).toEqual(test.toRecords());
    const loo = rk.trainTestSplit(df, { userCol: "user", itemCol: "item", strategy: "leaveOneOut" });
    expect(loo.test.height).toBe(4);
    const timed = df.withColumns(pl.Series("t", [1, 3, 2, 1, 2, 5, 4, 6, 1, 2]));
    const chrono = rk.trainTestSplit(timed, { userCol: "user", itemCol: "item", timeCol: "t", strategy: "chronological", testFraction: 0.34 });
    expect(chrono.test.toRecords().map((r: any) => `${r.user}${r.item}`).sort()).toEqual(["aq", "bs", "ct", "dt"]);
  });
});

describe("save and load", () => {
  it("gives bit-identical factors and identical recommendations; bad files are RusketErrors", async () => {
    const fs = await import("node:fs");
    const path = `/tmp/rusket-test-${process.pid}.model`;
    model.save(path);
    const back = rk.ALS.load(path);
    expect(Buffer.from(back.userFactors.data.buffer).equals(Buffer.from(model.userFactors.data.buffer))).toBe(true);
    expect(Buffer.from(back.itemFactors.data.buffer).equals(Buffer.from(model.itemFactors.data.buffer))).toBe(true);
    for (const u of model.userLabels) expect(back.recommendItems(u)).toEqual(model.recommendItems(u));
    const bytes = fs.readFileSync(path);
    const bad = (b: Buffer) => { fs.writeFileSync(path, b); try { rk.ALS.load(path); } catch (e) { return (e as rk.RusketError).code; } };
    expect(bad(bytes.subarray(0, bytes.length - 10))).toBe("CORRUPT_FILE");
    const flipped = Buffer.from(bytes); flipped[flipped.length - 20] ^= 0xff;
    expect(bad(flipped)).toBe("CORRUPT_FILE");
    expect(bad(Buffer.from("PK\u0003\u0004 not a model at all, a zip file"))).toBe("CORRUPT_FILE");
    const future = Buffer.from(bytes); future.writeUInt32LE(99, 8);
    expect(bad(future)).toBe("VERSION_MISMATCH");
    fs.writeFileSync(path, bytes);
    expect(() => rk.BPR.load(path)).toThrowError(expect.objectContaining({ code: "INVALID_FORMAT" }));
    fs.unlinkSync(path);
  });
});
