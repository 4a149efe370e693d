/**
 * Any basket input (long frame, one-hot frame, `string[][]`) → the native basket layout plus
 * the item labels, in label order.
 * @internal
 * @module
 */
import { RusketError, check } from "../errors";
import type { BasketSpec } from "../native";
import { encodeValues, sortedCodes, toSource, type Source } from "../data/source";
import type { Label } from "../types";

/** Where the baskets are in a long (transaction, item) frame. */
export interface LongFormat {
  /** The column holding the transaction (basket) id. */
  transactionCol?: string;
  /** Alias of `transactionCol`, as in the seeds. */
  userCol?: string;
  /** The column holding the item label. */
  itemCol?: string;
}

/** Baskets ready for the native side. */
export interface Baskets {
  spec: BasketSpec;
  /** Label of item code k (sorted ascending). */
  labels: Label[];
  nTransactions: number;
  /** The frame they came from (undefined for plain arrays). */
  source?: Source;
}

function isBasketArray(data: unknown): data is Label[][] {
  return Array.isArray(data) && (data.length === 0 || Array.isArray(data[0]));
}

function fromArrays(baskets: Label[][], useColnames: boolean): Baskets {
  check(baskets.length > 0, "baskets is empty (no transactions)", "EMPTY_INPUT");
  const offsets = new Uint32Array(baskets.length + 1);
  let n = 0;
  for (let b = 0; b < baskets.length; b++) {
    if (!Array.isArray(baskets[b])) throw new RusketError("INVALID_FORMAT", `baskets[${b}] must be an array of items`);
    n += baskets[b].length;
    offsets[b + 1] = n;
  }
  const { codes, labels } = sortedCodes(encodeValues(baskets.flat(), "baskets"));
  return {
    spec: { offsets, items: codes, nItems: labels.length },
    labels: useColnames ? labels : labels.map((_, i) => i),
    nTransactions: baskets.length,
  };
}

/** The transaction column named by `transactionCol` or its alias `userCol`. */
export function transactionColumn(o: LongFormat): string | undefined {
  if (o.transactionCol !== undefined && o.userCol !== undefined && o.transactionCol !== o.userCol)
    throw new RusketError("INVALID_ARGUMENT", `give transactionCol or userCol, not both ("${o.transactionCol}" vs "${o.userCol}")`);
  return o.transactionCol ?? o.userCol;
}

/** Reads baskets from any supported input. */
export function readBaskets(data: unknown, o: LongFormat & { useColnames?: boolean }): Baskets {
  const useColnames = o.useColnames ?? true;
  if (isBasketArray(data)) return fromArrays(data, useColnames);
  const source = toSource(data);
  const txnCol = transactionColumn(o);
  if (txnCol !== undefined || o.itemCol !== undefined) {
    check(txnCol !== undefined && o.itemCol !== undefined,
      `long format needs both transactionCol (or userCol) and itemCol, got transactionCol=${JSON.stringify(txnCol)}, itemCol=${JSON.stringify(o.itemCol)}`);
    const [txn, itemKey] = source.keys([txnCol!, o.itemCol!], [false, true]);
    const items = sortedCodes(itemKey);
    return {
      spec: { txn: txn.codes, nTxn: txn.count, item: items.codes, nItems: items.labels.length },
      labels: useColnames ? items.labels : items.labels.map((_, i) => i),
      nTransactions: txn.count,
      source,
    };
  }
  // One-hot: one boolean / 0-1 column per item, in label order.
  const order = source.columns.map((name, i) => ({ name, i })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  check(order.length > 0, "the one-hot frame has no columns", "EMPTY_INPUT");
  return {
    spec: { columns: order.map((c) => source.indicator(c.name)), rows: source.height },
    labels: useColnames ? order.map((c) => c.name) : order.map((c) => c.i),
    nTransactions: source.height,
    source,
  };
}
