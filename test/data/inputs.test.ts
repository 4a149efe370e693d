// Every input kind gives the same itemsets, and results come back in the caller's kind.
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
