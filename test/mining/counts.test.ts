// Itemset counts on the reference data sets, from both miners, compared as sets.
import { describe, expect, it } from "vitest";
import * as pl from "nodejs-polars";
import * as rk from "../../src/index";
import reference from "../fixtures/reference.json";
import { dataBytes, itemsetMap, key, readFimi } from "../helpers";

const fimi: [string, Record<string, number>][] = [
  ["retail.dat", reference.itemsets["retail.dat"]],
  ["T10I4D100K.dat", reference.itemsets["T10I4D100K.dat"]],
  ["mushroom.dat", reference.itemsets["mushroom.dat"]],
];

describe.each(fimi)("%s", (file, thresholds) => {
  const baskets = readFimi(file);
  it.each(Object.entries(thresholds))("minSupport %s gives the reference count from fpgrowth and eclat, identically", (s, expected) => {
    const fp = rk.fpgrowth(baskets, { minSupport: Number(s) }) as { support: number; itemsets: number[] }[];
    const ec = rk.eclat(baskets, { minSupport: Number(s) }) as { support: number; itemsets: number[] }[];
    expect(fp.length).toBe(expected);
    expect(ec.length).toBe(expected);
    const a = itemsetMap(fp, baskets.length);
    const b = itemsetMap(ec, baskets.length);
    expect(a.size).toBe(expected); // no duplicate itemsets
    for (const [k, count] of a) expect(b.get(k), k).toBe(count);
  });
});

describe("counts are right, not just their number", () => {
  it("re-counts a sample of mushroom itemsets by brute force", () => {
    const baskets = readFimi("mushroom.dat");
    const sets = baskets.map((b) => new Set(b));
    const found = rk.mine(baskets, { minSupport: 0.3 }) as { support: number; itemsets: number[] }[];
    for (let i = 0; i < found.length; i += 97) {
      const { itemsets, support } = found[i];
      const count = sets.filter((s) => itemsets.every((x) => s.has(x))).length;
      expect(Math.round(support * baskets.length)).toBe(count);
      expect(count).toBeGreaterThanOrEqual(Math.ceil(0.3 * baskets.length));
    }
  });

  it("maxLen caps the itemset length and keeps every shorter itemset", () => {
    const baskets = readFimi("mushroom.dat");
    const all = rk.mine(baskets, { minSupport: 0.4 }) as { itemsets: number[] }[];
    const capped = rk.mine(baskets, { minSupport: 0.4, maxLen: 2 }) as { itemsets: number[] }[];
    expect(capped.every((r) => r.itemsets.length <= 2)).toBe(true);
    expect(capped.length).toBe(all.filter((r) => r.itemsets.length <= 2).length);
  });
});

describe("groceries (long CSV) through polars", () => {
  const df = pl.readCSV(dataBytes("groceries.csv"));
  it("0.1 % gives 13,492 itemsets from both miners, identically", () => {
    const fp = rk.fpgrowth(df, { transactionCol: "basket", itemCol: "item", minSupport: 0.001 });
    const ec = df.rusket.eclat({ transactionCol: "basket", itemCol: "item", minSupport: 0.001 });
    expect(fp.height).toBe(reference.itemsets["groceries.csv"]["0.001"]);
    expect(ec.height).toBe(fp.height);
    const rows = (f: pl.DataFrame) => new Map(f.toRecords().map((r: any) => [key(r.itemsets), r.support]));
    const a = rows(fp), b = rows(ec);
    for (const [k, s] of a) expect(b.get(k)).toBe(s);
  });
});

describe("online_retail (532k rows, string ids) through polars", () => {
  const df = pl
    .readCSV(dataBytes("online_retail.csv.gz"), { dtypes: { InvoiceNo: pl.Utf8, StockCode: pl.Utf8 } })
    .filter(pl.col("InvoiceNo").str.startsWith("C").not());
  it.each(Object.entries(reference.itemsets["online_retail.csv.gz"]))("minSupport %s gives %i itemsets", (s, expected) => {
    const freq = df.rusket.mine({ transactionCol: "InvoiceNo", itemCol: "StockCode", minSupport: Number(s) });
    expect(freq.height).toBe(expected);
  });
});
