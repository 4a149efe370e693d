// High-utility itemsets: foodmart reference counts, seed examples by hand, re-counted utilities.
import { describe, expect, it } from "vitest";
import * as pl from "nodejs-polars";
import * as rk from "../../src/index";
import reference from "../fixtures/reference.json";
import { key, readSpmfUtility } from "../helpers";

type Row = { utility: number; itemset: (string | number)[] };
const asMap = (rows: Row[]) => new Map(rows.map((r) => [key(r.itemset), r.utility]));

describe("foodmart", () => {
  const { transactions, utilities } = readSpmfUtility("foodmart_utility.txt");
  it.each(Object.entries(reference.foodmartHupm))("minUtility %s gives %i itemsets", (u, expected) => {
    const found = rk.hupm(transactions, utilities, { minUtility: Number(u) }) as Row[];
    expect(found.length).toBe(expected);
  });

  it("every sampled itemset's utility is re-counted independently", () => {
    const found = rk.hupm(transactions, utilities, { minUtility: 5000 }) as { utility: number; itemset: number[] }[];
    const maps = transactions.map((t, i) => new Map(t.map((item, j) => [item, utilities[i][j]])));
    for (let s = 0; s < found.length; s += 173) {
      const { itemset, utility } = found[s];
      let total = 0;
      for (const m of maps) if (itemset.every((x) => m.has(x))) total += itemset.reduce((a, x) => a + m.get(x)!, 0);
      expect(utility).toBeCloseTo(total, 6);
      expect(total).toBeGreaterThanOrEqual(5000);
    }
  });

  it("maxLen caps the itemset length", () => {
    const all = rk.hupm(transactions, utilities, { minUtility: 5000 }) as Row[];
    const capped = rk.hupm(transactions, utilities, { minUtility: 5000, maxLen: 2 }) as Row[];
    expect(capped.length).toBe(all.filter((r) => r.itemset.length <= 2).length);
  });
});

describe("seed 001's examples, computed by hand", () => {
  it("hupm on three transactions", () => {
    const found = rk.hupm([[1, 2, 3], [1, 3], [2, 3]], [[5, 10, 2], [5, 2], [10, 2]], { minUtility: 15 }) as Row[];
    expect(asMap(found)).toEqual(new Map([[key([2]), 20], [key([2, 3]), 24], [key([1, 2, 3]), 17], [key([1, 2]), 15]]));
  });

  it("the wine shop's gift box (string items, a polars frame in and out)", () => {
    const receipts = pl.DataFrame({
      receipt_id: [1, 1, 1, 2, 2, 3, 3, 4, 4, 4],
      product: ["champagne", "foie_gras", "truffle_oil", "champagne", "truffle_oil", "foie_gras", "truffle_oil", "champagne", "foie_gras", "truffle_oil"],
      margin: [18.5, 14.0, 8.0, 18.5, 8.0, 14.0, 8.0, 18.5, 14.0, 8.0],
    });
    const o = { transactionCol: "receipt_id", itemCol: "product", utilityCol: "margin", minUtility: 30 };
    const viaClass = rk.HUPM.fromTransactions(receipts, o).mine();
    const viaAccessor = receipts.rusket.hupm(o);
    // champagne 3 × 18.5, foie gras 3 × 14, truffle oil 4 × 8, and the bundles over the receipts holding them
    const truth = new Map([
      [key(["champagne"]), 55.5], [key(["foie_gras"]), 42], [key(["truffle_oil"]), 32],
      [key(["champagne", "foie_gras"]), 65], [key(["champagne", "truffle_oil"]), 79.5], [key(["foie_gras", "truffle_oil"]), 66],
      [key(["champagne", "foie_gras", "truffle_oil"]), 81],
    ]);
    expect(asMap(viaClass.toRecords() as Row[])).toEqual(truth);
    expect(asMap(viaAccessor.toRecords() as Row[])).toEqual(truth);
  });
});

describe("bad inputs", () => {
  const code = (f: () => unknown) => { try { f(); } catch (e) { return (e as rk.RusketError).code; } };
  it("negative utilities, mismatched lengths and minUtility ≤ 0", () => {
    expect(code(() => rk.hupm([[1, 2]], [[5, -1]], { minUtility: 1 }))).toBe("INVALID_ARGUMENT");
    expect(code(() => rk.hupm([[1, 2]], [[5]], { minUtility: 1 }))).toBe("INVALID_FORMAT");
    expect(code(() => rk.hupm([[1, 2], [1]], [[5, 1]], { minUtility: 1 }))).toBe("INVALID_FORMAT");
    expect(code(() => rk.hupm([[1]], [[5]], { minUtility: 0 }))).toBe("INVALID_ARGUMENT");
    expect(code(() => rk.hupm([[1]], [[5]], { minUtility: -3 }))).toBe("INVALID_ARGUMENT");
    expect(code(() => rk.hupm([], [], { minUtility: 1 }))).toBe("EMPTY_INPUT");
    const frame = pl.DataFrame({ t: [1], i: ["a"], u: [-2] });
    expect(code(() => rk.HUPM.fromTransactions(frame, { transactionCol: "t", itemCol: "i", utilityCol: "u", minUtility: 1 }))).toBe("INVALID_ARGUMENT");
    expect(code(() => rk.HUPM.fromTransactions(frame, { transactionCol: "t", itemCol: "i", utilityCol: "nope", minUtility: 1 }))).toBe("COLUMN_NOT_FOUND");
  });
});
