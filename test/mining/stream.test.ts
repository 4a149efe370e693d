// FPMiner and mineArrowStream: rows streamed in chunks mine to what mine() finds on all rows.
import { describe, expect, it } from "vitest";
import { Readable } from "node:stream";
import * as arrow from "apache-arrow";
import * as pl from "nodejs-polars";
import * as rk from "../../src/index";
import reference from "../fixtures/reference.json";
import { dataBytes, key, readFimi } from "../helpers";

const bySet = (rows: { support: number; itemsets: unknown[] }[]) => new Map(rows.map((r) => [key(r.itemsets), r.support]));

// Groceries as rows, shuffled so that receipts are split over chunks.
const groceries = pl.readCSV(dataBytes("groceries.csv"));
const receipts: number[] = Array.from(groceries.getColumn(groceries.columns[0]).toArray(), Number);
const products: string[] = groceries.getColumn(groceries.columns[1]).toArray();
const order = receipts.map((_, i) => i).sort((a, b) => ((a * 7919) % 1009) - ((b * 7919) % 1009) || a - b);
const txn = order.map((i) => receipts[i]), item = order.map((i) => products[i]);

describe("FPMiner", () => {
  const whole = rk.mine(groceries, { transactionCol: groceries.columns[0], itemCol: groceries.columns[1], minSupport: 0.001, format: "records" });

  it("mines groceries streamed in uneven chunks (string items) like mine() on the frame", () => {
    expect(whole.length).toBe(reference.itemsets["groceries.csv"]["0.001"]);
    const miner = new rk.FPMiner();
    for (const [a, b] of [[0, 1], [1, 5000], [5000, 5000], [5000, 23000], [23000, txn.length]])
      miner.addChunk(Float64Array.from(txn.slice(a, b)), item.slice(a, b));
    expect(miner.rows).toBe(txn.length);
    expect(miner.bytes).toBeLessThan(txn.length * 4);
    const streamed = miner.mine({ minSupport: 0.001 });
    expect(streamed.length).toBe(whole.length);
    expect(bySet(streamed)).toEqual(bySet(whole));
    // Items inside each itemset come in label order, as from mine().
    for (const r of streamed.slice(0, 200)) expect([...r.itemsets].sort()).toEqual(r.itemsets);
    // Rules work on the streamed itemsets.
    expect(rk.associationRules(streamed, { minThreshold: 0.5, singleConsequent: true }).length).toBe(5668);
  });

  it("takes item codes with nItems, string transaction ids, and gives the same itemsets async", async () => {
    const retail = readFimi("retail.dat");
    const rows = retail.flatMap((b, t) => b.map((i) => [`t${t}`, i] as const));
    const miner = new rk.FPMiner({ nItems: 16470 });
    for (let a = 0; a < rows.length; a += 100_000) {
      const part = rows.slice(a, a + 100_000);
      miner.addChunk(part.map((r) => r[0]), Uint32Array.from(part, (r) => r[1]));
    }
    const found = await miner.mineAsync({ minSupport: 0.001 });
    expect(found.length).toBe(reference.itemsets["retail.dat"]["0.001"]);
    const direct = rk.mine(retail, { minSupport: 0.001 });
    expect(bySet(found)).toEqual(bySet(direct));
  });

  it("rejects bad rows and options with RusketErrors", () => {
    expect(() => new rk.FPMiner().mine({ minSupport: 0.1 })).toThrow(expect.objectContaining({ code: "EMPTY_INPUT" }));
    expect(() => new rk.FPMiner({ nItems: 3 }).addChunk([1, 2], [0, 3])).toThrow(expect.objectContaining({ code: "INVALID_ARGUMENT" }));
    expect(() => new rk.FPMiner().addChunk([1, 2], [0, -1])).toThrow(expect.objectContaining({ code: "INVALID_ARGUMENT" }));
    expect(() => new rk.FPMiner().addChunk([1, NaN], [0, 1])).toThrow(expect.objectContaining({ code: "INVALID_ARGUMENT" }));
    expect(() => new rk.FPMiner().addChunk([1, 2], [0])).toThrow(expect.objectContaining({ code: "INVALID_ARGUMENT" }));
    const m = new rk.FPMiner().addChunk([1, 2], ["a", "b"]);
    expect(() => m.addChunk([3], [4])).toThrow(expect.objectContaining({ code: "INVALID_FORMAT" }));
    expect(() => m.addChunk(["x"], ["a"])).toThrow(expect.objectContaining({ code: "INVALID_FORMAT" }));
    expect(() => m.mine({ minSupport: 0 })).toThrow(expect.objectContaining({ code: "INVALID_ARGUMENT" }));
    expect(() => new rk.FPMiner().addChunk([1.5], [0])).toThrow(expect.objectContaining({ code: "INVALID_ARGUMENT" }));
    expect(m.mine({ minSupport: 0.5, format: "records" }).map((r: any) => r.itemsets).sort()).toEqual([["a"], ["b"]]);
  });
});

describe("mineArrowStream", () => {
  // Arrow record batches of 10,000 rows, items as Utf8 strings
  const batches = [];
  for (let a = 0; a < txn.length; a += 10_000)
    batches.push(...new arrow.Table({
      receipt: arrow.vectorFromArray(Int32Array.from(txn.slice(a, a + 10_000))),
      product: arrow.vectorFromArray(item.slice(a, a + 10_000), new arrow.Utf8()),
    }).batches);
  const table = new arrow.Table(batches);
  const ipc = arrow.tableToIPC(table, "stream");
  const o = { transactionCol: "receipt", itemCol: "product", minSupport: 0.001 };
  const expected = reference.itemsets["groceries.csv"]["0.001"];

  it("reads IPC bytes, a Node stream, a Table and an async iterable of batches alike", async () => {
    expect(batches.length).toBeGreaterThan(3);
    const fromBytes = await rk.mineArrowStream(ipc, o);
    expect(fromBytes.numRows).toBe(expected);
    const fromNode = await rk.mineArrowStream(Readable.from([ipc.subarray(0, 1000), ipc.subarray(1000)]), o);
    const fromTable = await rk.mineArrowStream(table, { ...o, format: "records" });
    async function* gen() { for (const b of batches) yield b; }
    const fromIterable = await rk.mineArrowStream(gen(), { ...o, format: "records" });
    const rows = (t: any) => bySet(t.toArray().map((r: any) => ({ support: r.support, itemsets: [...r.itemsets] })));
    expect(rows(fromNode)).toEqual(rows(fromBytes));
    expect(bySet(fromTable)).toEqual(rows(fromBytes));
    expect(bySet(fromIterable)).toEqual(rows(fromBytes));
  });

  it("names a missing column and rejects what is not a stream", async () => {
    await expect(rk.mineArrowStream(ipc, { ...o, itemCol: "sku" })).rejects.toMatchObject({ code: "COLUMN_NOT_FOUND" });
    await expect(rk.mineArrowStream(42, o)).rejects.toMatchObject({ code: "INVALID_FORMAT" });
  });
});

describe("mineDuckDB", () => {
  it("mines a query's rows chunk by chunk: groceries read by DuckDB itself", async () => {
    const { DuckDBInstance } = await import("@duckdb/node-api");
    const con = await (await DuckDBInstance.create(":memory:")).connect();
    const csv = new URL("../../data/groceries.csv", import.meta.url).pathname;
    const sql = `SELECT basket, item FROM read_csv('${csv}', header = true)`;
    const found = await rk.mineDuckDB(con, sql, { transactionCol: "basket", itemCol: "item", minSupport: 0.001 });
    expect(found.length).toBe(reference.itemsets["groceries.csv"]["0.001"]);
    const whole = rk.mine(groceries, { transactionCol: "basket", itemCol: "item", minSupport: 0.001, format: "records" });
    expect(bySet(found)).toEqual(bySet(whole));
    // BIGINT ids and codes, a missing column, an empty result
    const codes = await rk.mineDuckDB(con, "SELECT i // 3 AS t, i % 4 AS x FROM range(300) r(i)", { transactionCol: "t", itemCol: "x", minSupport: 0.5 });
    // Transaction t holds 3 of the 4 codes (it lacks (3t + 3) % 4): singles in 75 %, pairs in 50 %, triples in 25 %.
    expect(codes.map((r: any) => `${r.itemsets.join("+")}:${r.support}`).sort())
      .toEqual(["0+1:0.5", "0+2:0.5", "0+3:0.5", "0:0.75", "1+2:0.5", "1+3:0.5", "1:0.75", "2+3:0.5", "2:0.75", "3:0.75"]);
    await expect(rk.mineDuckDB(con, sql, { transactionCol: "basket", itemCol: "sku", minSupport: 0.1 })).rejects.toMatchObject({ code: "COLUMN_NOT_FOUND" });
    await expect(rk.mineDuckDB(con, "SELECT 1 AS t, 2 AS x WHERE false", { transactionCol: "t", itemCol: "x", minSupport: 0.1 })).rejects.toMatchObject({ code: "EMPTY_INPUT" });
  });
});
