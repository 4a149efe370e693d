// Every input kind gives the same itemsets, and results come back in the caller's kind.
import * as fs from "node:fs";
import * as os from "node:os";
import { describe, expect, it } from "vitest";
import * as pl from "nodejs-polars";
import * as dfd from "danfojs-node";
import * as arrow from "apache-arrow";
import * as rk from "../../src/index";
import { key } from "../helpers";

const orders = {
  order_id: [1, 1, 1, 2, 2, 3, 4, 4],
  item: ["Milk", "Bread", "Eggs", "Milk", "Butter", "Eggs", "Milk", "Bread"],
};
const long = { transactionCol: "order_id", itemCol: "item", minSupport: 0.5 };
// by hand: Milk 3/4, Bread 2/4, Eggs 2/4, Milk+Bread 2/4
const expected = new Map([[key(["Milk"]), 0.75], [key(["Bread"]), 0.5], [key(["Eggs"]), 0.5], [key(["Bread", "Milk"]), 0.5]]);

function asMap(rows: { support: number; itemsets: unknown[] }[]) {
  return new Map(rows.map((r) => [key(Array.from(r.itemsets)), r.support]));
}

describe("inputs", () => {
  it("polars long frame → polars frame with list<str> itemsets", () => {
    const df = pl.DataFrame(orders);
    const freq = df.rusket.mine(long);
    expect(freq.dtypes.map(String)).toEqual(["Float64", "List(String)"].map((t) => `DataType(${t})`.replace("DataType(List(String))", "DataType(List(DataType(String)))")));
    expect(asMap(freq.toRecords() as any)).toEqual(expected);
  });

  it("danfo long frame → danfo frame holding JS arrays", () => {
    const df = new dfd.DataFrame(orders);
    const freq = (df as any).rusket.mine(long);
    expect(freq).toBeInstanceOf(dfd.DataFrame);
    const rows = dfd.toJSON(freq) as any[];
    expect(asMap(rows)).toEqual(expected);
  });

  it("arrow table → arrow table", () => {
    const t = arrow.tableFromArrays({ order_id: Int32Array.from(orders.order_id), item: orders.item });
    const freq = rk.mine(t, long);
    expect(freq.constructor.name).toBe("Table"); // the CommonJS build of apache-arrow: another class identity than this ESM import
    expect(asMap(freq.toArray().map((r: any) => ({ support: r.support, itemsets: r.itemsets.toArray() })))).toEqual(expected);
  });

  it("records and string[][] → records", () => {
    const records = orders.order_id.map((id, i) => ({ order_id: id, item: orders.item[i] }));
    expect(asMap(rk.mine(records, long))).toEqual(expected);
    const baskets = [["Milk", "Bread", "Eggs"], ["Milk", "Butter"], ["Eggs"], ["Milk", "Bread", "Milk"]];
    expect(asMap(rk.mine(baskets, { minSupport: 0.5 }))).toEqual(expected);
  });

  it("userCol is an alias of transactionCol; useColnames: false reports positions", () => {
    const df = pl.DataFrame(orders);
    const a = rk.mine(df, { userCol: "order_id", itemCol: "item", minSupport: 0.5, format: "records" });
    expect(asMap(a)).toEqual(expected);
    const pos = rk.mine([["b", "a"], ["a"]], { minSupport: 1, useColnames: false });
    expect(asMap(pos)).toEqual(new Map([[key([0]), 1], [key([1]), 0.5], [key([0, 1]), 0.5]]));
  });

  it("one-hot frames (boolean or 0/1) mine like the long frame they came from", () => {
    const basket = pl.DataFrame(orders).rusket.fromTransactions({ transactionCol: "order_id", itemCol: "item" });
    expect(basket.columns).toEqual(["Bread", "Butter", "Eggs", "Milk"]);
    expect(basket.dtypes.every((d: unknown) => String(d) === "DataType(Bool)")).toBe(true);
    expect(basket.height).toBe(4);
    expect(asMap(rk.mine(basket, { minSupport: 0.5, format: "records" }))).toEqual(expected);
    const ints = basket.select(pl.all().cast(pl.Int32));
    expect(asMap(ints.rusket.mine({ minSupport: 0.5, format: "records" }))).toEqual(expected);
    const danfoHot = rk.fromTransactions(new dfd.DataFrame(orders), { transactionCol: "order_id", itemCol: "item" });
    expect(asMap(rk.mine(danfoHot, { minSupport: 0.5, format: "records" }))).toEqual(expected);
  });

  it("format overrides the output kind", () => {
    const df = pl.DataFrame(orders);
    expect(Array.isArray(rk.mine(df, { ...long, format: "records" }))).toBe(true);
    expect(rk.mine(df, { ...long, format: "arrow" }).constructor.name).toBe("Table");
    expect(rk.mine(df, { ...long, format: "danfo" })).toBeInstanceOf(dfd.DataFrame);
    expect(rk.mine([["a"]], { minSupport: 1, format: "polars" }).height).toBe(1);
  });

  it("numeric item labels stay numbers", () => {
    const df = pl.DataFrame({ t: [1, 1, 2], i: [10, 20, 10] });
    const recs = rk.mine(df, { transactionCol: "t", itemCol: "i", minSupport: 0.5, format: "records" });
    expect(asMap(recs)).toEqual(new Map([[key([10]), 1], [key([20]), 0.5], [key([10, 20]), 0.5]]));
    expect(recs.every((r: any) => r.itemsets.every((x: unknown) => typeof x === "number"))).toBe(true);
  });

  it("polars keys of every kind are numbered exactly, items in JS label order", () => {
    // Values that look alike: shared long prefixes (views out of line past 12 bytes), text of 12
    // and 13 bytes, the empty text, non-ASCII and astral characters (UTF-16 order puts U+1F600
    // before U+E000), and repeats in and out of runs; transactions as floats, ints and text.
    const items = ["a", "", "exactly12byt", "exactly12byte", "a long shared prefix, then 1", "a long shared prefix, then 2",
      "é", "\u{1F600}", "\uE000", "z", "A"];
    const rows: { t: number; item: string }[] = [];
    for (let t = 0; t < 60; t++) for (let k = 0; k < items.length; k++) if ((t * 7 + k * 3) % 5 < 3) rows.push({ t, item: items[(t + k) % items.length] });
    rows.reverse();
    const baskets = new Map<number, string[]>();
    for (const r of rows) baskets.set(r.t, [...(baskets.get(r.t) ?? []), r.item]);
    const want = asMap(rk.mine([...baskets.values()], { minSupport: 0.2, format: "records" }));
    const frame = pl.DataFrame({ t: rows.map((r) => r.t + 0.5), item: rows.map((r) => r.item) });
    for (const df of [frame, frame.withColumns(pl.col("t").cast(pl.Int64)), frame.withColumns(pl.col("t").cast(pl.Utf8)),
      frame.withColumns(pl.col("item").cast(pl.Categorical))]) {
      const got = rk.mine(df, { transactionCol: "t", itemCol: "item", minSupport: 0.2, format: "records" });
      expect(asMap(got)).toEqual(want);
      const onehot = rk.fromTransactions(df, { transactionCol: "t", itemCol: "item" });
      expect(onehot.columns).toEqual([...items].sort());
    }
    // apache-arrow tables (text, numbers, sliced chunks) give the same.
    const utf8 = arrow.vectorFromArray(rows.map((r) => r.item), new arrow.Utf8());
    const table = new arrow.Table({ t: arrow.vectorFromArray(rows.map((r) => r.t + 0.5), new arrow.Float64()), item: utf8 });
    const sliced = new arrow.Table([...table.slice(0, 100).batches, ...table.slice(100).batches]);
    const dictionary = arrow.tableFromArrays({ t: Int32Array.from(rows, (r) => r.t), item: rows.map((r) => r.item) });
    const textIds = new arrow.Table({ t: arrow.vectorFromArray(rows.map((r) => `#${r.t}`), new arrow.LargeUtf8()), item: utf8 });
    for (const t of [table, sliced, dictionary, textIds]) {
      expect(asMap(rk.mine(t, { transactionCol: "t", itemCol: "item", minSupport: 0.2, format: "records" }))).toEqual(want);
      expect(rk.fromTransactions(t, { transactionCol: "t", itemCol: "item" }).schema.fields.map((f: any) => f.name)).toEqual([...items].sort());
    }
    // The Arrow IPC files the keys went through are gone.
    const left = fs.existsSync("/dev/shm") ? fs.readdirSync("/dev/shm") : fs.readdirSync(os.tmpdir());
    expect(left.filter((f) => f.startsWith(`rusket-${process.pid}-`))).toEqual([]);
  });

  it("mineAsync gives what mine gives", async () => {
    const df = pl.DataFrame(orders);
    const freq = await rk.mineAsync(df, long);
    expect(asMap(freq.toRecords() as any)).toEqual(expected);
    expect(rk.associationRules(freq, { minThreshold: 0.5 }).height).toBeGreaterThan(0);
  });

  it("the accessor answers only for frames, and plain objects keep working", () => {
    const o: any = {};
    expect(o.rusket).toBeUndefined();
    o.rusket = 5;
    expect(o.rusket).toBe(5);
    expect(Object.keys({ a: 1 })).toEqual(["a"]);
    expect(pl.DataFrame(orders).rusket).toBeInstanceOf(rk.RusketNamespace);
  });
});
