// One user's recommendations read 8-bit copies of the item factors and score exactly only the
// items that could make it: they must be exactly the plain scan's, and agree with a reference.
import { describe, expect, it } from "vitest";
import * as rk from "../../src/index";
import { native } from "../../src/native";

/** A deterministic generator of numbers in [-1, 1) (mulberry32). */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t ^= t + Math.imul(t ^ (t >>> 7), 61 | t);
    return (((t ^ (t >>> 14)) >>> 0) / 2 ** 32) * 2 - 1;
  };
}

/**
 * An ALS model of `users` × `items` whose factors are then replaced by random ones shaped like
 * a fitted model's: a third of the items all zero, norms spread over two orders of magnitude,
 * some items repeated (tied scores). Returns the model; labels are the row and column numbers.
 */
function randomModel(factors: number, users: number, items: number, seed: number): rk.FactorModel {
  const next = random(seed);
  const indptr = new Int32Array(users + 1), indices: number[] = [];
  for (let u = 0; u < users; u++) {
    const seen = new Set<number>();
    for (let j = 0; j < 30; j++) seen.add(Math.floor((next() + 1) / 2 * items));
    indices.push(...[...seen].sort((a, b) => a - b));
    indptr[u + 1] = indices.length;
  }
  const model = new rk.ALS({ factors, iterations: 1, threads: 2 }).fit({ indptr, indices: Int32Array.from(indices), shape: [users, items] });
  // Before the first recommendation, which makes the 8-bit copy of the item factors.
  const V = model.itemFactors.data, U = model.userFactors.data;
  for (let i = 0; i < items; i++) {
    const scale = [0, 1, 1 / (1 + (i % 101))][i % 3];
    for (let k = 0; k < factors; k++) V[i * factors + k] = next() * scale;
  }
  for (let i = 20; i < items - 4; i += 97) V.copyWithin(i * factors, (i - 5) * factors, (i - 4) * factors);
  U.forEach((_, j) => (U[j] = next()));
  return model;
}

/** The best n among `keep` items for factor vector x, by f64 dot products (ties: lower item). */
function reference(model: rk.FactorModel, x: Float32Array, n: number, keep: (i: number) => boolean) {
  const { data: V, rows, cols } = model.itemFactors;
  const all: [number, number][] = [];
  for (let i = 0; i < rows; i++) {
    if (!keep(i)) continue;
    let s = 0;
    for (let k = 0; k < cols; k++) s += x[k] * V[i * cols + k];
    all.push([i, s]);
  }
  all.sort((a, b) => b[1] - a[1] || a[0] - b[0]);
  return all.slice(0, n);
}

/** The plain scan of every item (no 8-bit copy), straight from the native export. */
function plain(model: rk.FactorModel, row: number, n: number, excludeSeen: boolean, allowed?: Uint32Array) {
  const U = model.userFactors, V = model.itemFactors;
  const r = native("topK", U.data, V.data, U.cols, Uint32Array.of(row), n, excludeSeen ? model.seenMatrix() : undefined, allowed, 1);
  const width = [...r.items].filter((i) => i !== 0xffffffff).length;
  return { items: [...r.items.subarray(0, width)], scores: [...r.scores.subarray(0, width)] };
}

describe("recommendItems for one user", () => {
  it.each([1, 7, 65])("returns exactly the plain scan's items and scores, and the reference's (%i factors)", (factors) => {
    const items = 3000;
    const model = randomModel(factors, 12, items, factors);
    const seen = model.seenMatrix();
    // Most items (the quantised scan), and a few, unsorted, repeated, one unknown (scored one by one).
    const most = Array.from({ length: items }, (_, i) => i).filter((i) => i % 4 !== 1);
    const few = [2990, 17, 5, 17, 400, 123456, 2, 1500, 23, 29, 35, 41, 1003, 5, 1, 0, 2999];
    for (let u = 0; u < 12; u++) {
      const x = model.userFactors.data.subarray(u * factors, (u + 1) * factors);
      const row = [...seen.indices.subarray(seen.indptr[u], seen.indptr[u + 1])];
      for (const n of [1, 10, 25]) {
        for (const excludeSeen of [true, false]) {
          for (const filter of [undefined, most, few]) {
            const allowed = filter && Uint32Array.from(new Set(filter.filter((i) => i < items))).sort();
            const got = model.recommendItems(u, { n, excludeSeen, filterItems: filter });
            expect(got).toEqual(plain(model, u, n, excludeSeen, allowed));
            const want = reference(model, x, n, (i) => !(excludeSeen && row.includes(i)) && (!allowed || allowed.includes(i)));
            expect(got.items).toEqual(want.map((w) => w[0]));
            got.scores.forEach((s, k) => expect(Math.abs(s - want[k][1])).toBeLessThan(1e-5 * (1 + Math.abs(want[k][1]))));
          }
        }
      }
    }
  });

  it("recalculateUser serves a new user from the same 8-bit copy, with the same result as the plain scan", () => {
    const model = randomModel(7, 12, 3000, 99);
    const mine = [5, 17, 400, 2999];
    const got = model.recalculateUser(mine, undefined, { n: 10 });
    const V = model.itemFactors;
    const exclude = { indptr: Float64Array.of(0, 4), indices: Uint32Array.from(mine), data: new Float32Array(4).fill(1), nRows: 1, nCols: V.rows };
    const r = native("topK", got.factors, V.data, V.cols, Uint32Array.of(0), 10, exclude, undefined, 1);
    expect(got.items).toEqual([...r.items]);
    expect(got.scores).toEqual([...r.scores]);
    expect(got.items).toEqual(reference(model, got.factors, 10, (i) => !mine.includes(i)).map((w) => w[0]));
  });

  it("takes the quantised items only as the native handle quantizeItems made", () => {
    const model = randomModel(7, 12, 3000, 5);
    const U = model.userFactors, V = model.itemFactors;
    const handle = native("quantizeItems", U.data, V.data, U.cols);
    const call = (q: unknown) => native("topK", U.data, V.data, U.cols, Uint32Array.of(3), 10, undefined, undefined, 2, q as any);
    expect([...call(handle).items]).toEqual(plain(model, 3, 10, false).items);
    for (const wrong of [{ coarse: new Uint8Array(8) }, new Uint8Array(8), 1, "handle"]) {
      expect(() => call(wrong)).toThrow(expect.objectContaining({ code: "INVALID_ARGUMENT" }));
    }
    // a handle of the items of another model
    const other = randomModel(7, 12, 2000, 6);
    const otherHandle = native("quantizeItems", other.userFactors.data, other.itemFactors.data, 7);
    expect(() => call(otherHandle)).toThrow(expect.objectContaining({ code: "INVALID_ARGUMENT" }));
  });
});
