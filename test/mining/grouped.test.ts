// mineGrouped: one mining per group equals mining each group's rows alone.
import { describe, expect, it } from "vitest";
import * as pl from "nodejs-polars";
import * as rk from "../../src/index";
import { dataBytes, key } from "../helpers";

const bySet = (rows: { support: number; itemsets: unknown[] }[]) => new Map(rows.map((r) => [key(r.itemsets), r.support]));

describe("mineGrouped on online_retail by Country (polars)", () => {
  const df = pl
    .readCSV(dataBytes("online_retail.csv.gz"), { dtypes: { InvoiceNo: pl.Utf8, StockCode: pl.Utf8 } })
    .filter(pl.col("InvoiceNo").str.startsWith("C").not());
  // Countries with a handful of invoices make 5 % a count of 1: maxLen keeps their output small.
  const o = { groupCol: "Country", transactionCol: "InvoiceNo", itemCol: "StockCode", minSupport: 0.05, maxLen: 2 };
  const grouped = df.rusket.mineGrouped(o);

  it("returns [group, support, itemsets] with one group per country that has frequent itemsets", () => {
    expect(grouped.columns).toEqual(["group", "support", "itemsets"]);
    const countries = new Set(df.getColumn("Country").toArray());
    const groups = new Set(grouped.getColumn("group").toArray());
    for (const g of groups) expect(countries.has(g)).toBe(true);
    expect(groups.size).toBeGreaterThan(10);
  });

  it("equals mine() on each country's rows, itemsets and supports", () => {
    const records = grouped.toRecords() as { group: string; support: number; itemsets: string[] }[];
    for (const country of ["United Kingdom", "France", "Germany", "EIRE", "Iceland"]) {
      const alone = rk.mine(df.filter(pl.col("Country").eq(pl.lit(country))), { transactionCol: "InvoiceNo", itemCol: "StockCode", minSupport: 0.05, maxLen: 2 });
      const mine = records.filter((r) => r.group === country);
      expect(mine.length).toBe(alone.height);
      expect(mine.length).toBeGreaterThan(0);
      expect(bySet(mine)).toEqual(bySet(alone.toRecords() as any));
    }
  });

  it("gives the same frame from mineGroupedAsync", async () => {
    const again = await rk.mineGroupedAsync(df, o);
    expect(again.toRecords()).toEqual(grouped.toRecords());
  });
});

describe("mineGrouped on records", () => {
  // Transaction 1 appears in both stores: a basket in each.
  const rows = [
    { store: "north", t: 1, item: "a" }, { store: "north", t: 1, item: "b" }, { store: "north", t: 2, item: "a" },
    { store: "south", t: 1, item: "b" }, { store: "south", t: 1, item: "c" }, { store: "south", t: 3, item: "c" },
    { store: "south", t: 4, item: "d" },
  ];

  it("counts support within each group, with an absolute count too", () => {
    const out = rk.mineGrouped(rows, { groupCol: "store", transactionCol: "t", itemCol: "item", minSupport: 0.5 });
    const got = out.map((r: any) => `${r.group}:${r.itemsets.join("+")}:${r.support}`).sort();
    expect(got).toEqual(["north:a+b:0.5", "north:a:1", "north:b:0.5", "south:c:0.6666666666666666"]);
    const counted = rk.mineGrouped(rows, { groupCol: "store", transactionCol: "t", itemCol: "item", minSupport: 2 });
    expect(counted.map((r: any) => `${r.group}:${r.itemsets.join("+")}`).sort()).toEqual(["north:a", "south:c"]);
  });

  it("rejects a missing group column and a frame without long-format columns", () => {
    expect(() => rk.mineGrouped(rows, { groupCol: "region", transactionCol: "t", itemCol: "item", minSupport: 0.5 }))
      .toThrow(expect.objectContaining({ code: "COLUMN_NOT_FOUND" }));
    expect(() => rk.mineGrouped(rows, { groupCol: "store", minSupport: 0.5 } as any))
      .toThrow(expect.objectContaining({ code: "INVALID_ARGUMENT" }));
    expect(() => rk.mineGrouped(rows, { groupCol: "store", transactionCol: "t", itemCol: "item", minSupport: 0 }))
      .toThrow(expect.objectContaining({ code: "INVALID_ARGUMENT" }));
  });
});
