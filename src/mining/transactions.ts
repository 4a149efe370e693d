/**
 * Long (transaction, item) data → a one-hot basket frame (SPEC M1).
 * @module
 */
import { check } from "../errors";
import { native } from "../native";
import { buildFrame, outputKind, type OutColumn } from "../data/output";
import type { FormatOption } from "../types";
import { readBaskets, transactionColumn, type LongFormat } from "./baskets";

/** Options of {@link fromTransactions}. */
export interface FromTransactionsOptions extends LongFormat, FormatOption {}

/**
 * One boolean column per item (sorted by label), one row per transaction. For catalogues of many
 * thousands of items, pass the long frame to {@link mine} directly: it is the fast path.
 *
 * @example
 * ```ts
 * const basket = rk.fromTransactions(orders, { transactionCol: "order_id", itemCol: "item" });
 * const freq = rk.mine(basket, { minSupport: 0.3 });
 * ```
 */
export function fromTransactions(data: unknown, o: FromTransactionsOptions): any {
  check(transactionColumn(o ?? {}) !== undefined && o.itemCol !== undefined,
    "fromTransactions needs transactionCol (or userCol) and itemCol");
  const baskets = readBaskets(data, o);
  const { cells, nTransactions } = native("oneHot", baskets.spec);
  const columns: OutColumn[] = baskets.labels.map((label, k) => ({
    name: String(label), type: "bool", values: cells.subarray(k * nTransactions, (k + 1) * nTransactions),
  }));
  return buildFrame(columns, outputKind(baskets.source, o.format), baskets.source?.frame);
}
