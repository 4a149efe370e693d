/**
 * High-utility itemsets (SPEC M6): itemsets whose total utility (margin, revenue, quantity ×
 * price) reaches a threshold, mined with EFIM (utility-ordered items, sub-tree and local
 * utility bounds, transaction merging) in the native core.
 * @module
 */
import { RusketError, check } from "../errors";
import { native, nativeAsync } from "../native";
import { buildFrame, outputKind } from "../data/output";
import { encodeValues, sortedCodes, toSource } from "../data/source";
import type { FormatOption, Label, OutputFormat } from "../types";
import { transactionColumn, type LongFormat } from "./baskets";
import { maxLength, threadCount } from "./support";

/** Options of {@link hupm} and {@link HUPM}. */
export interface HupmOptions extends FormatOption {
  /** Report itemsets whose utility is ≥ this (> 0). */
  minUtility: number;
  /** Longest itemset. */
  maxLen?: number;
  /** Native threads (default: all cores). */
  threads?: number;
}

/** Options of {@link HUPM.fromTransactions}. */
export interface HupmFrameOptions extends HupmOptions, LongFormat {
  /** The column holding each line's utility. */
  utilityCol: string;
}

type Native = { offsets: Uint32Array; items: Uint32Array; utilities: Float64Array; nItems: number };

function checkOptions(o: HupmOptions) {
  if (o === null || typeof o !== "object") throw new RusketError("INVALID_ARGUMENT", "options with minUtility are required");
  if (typeof o.minUtility !== "number" || !(o.minUtility > 0) || !Number.isFinite(o.minUtility))
    throw new RusketError("INVALID_ARGUMENT", `minUtility must be a number > 0, got ${String(o.minUtility)}`);
  return { minUtility: o.minUtility, maxLen: maxLength(o.maxLen), threads: threadCount(o.threads) };
}

function checkUtilities(utilities: Float64Array) {
  for (let i = 0; i < utilities.length; i++) {
    const u = utilities[i];
    if (!Number.isFinite(u) || u < 0)
      throw new RusketError("INVALID_ARGUMENT", `utilities must be finite numbers ≥ 0; value ${i} is ${u}`);
  }
}

/**
 * A high-utility mining task over transactions with per-line utilities.
 *
 * @example
 * ```ts
 * const bundles = rk.HUPM.fromTransactions(receipts, {
 *   transactionCol: "receipt_id", itemCol: "product", utilityCol: "margin", minUtility: 30,
 * }).mine();
 * ```
 */
export class HUPM {
  private constructor(
    private readonly data: Native,
    private readonly labels: Label[],
    private readonly options: HupmOptions,
    private readonly kind: OutputFormat,
    private readonly like: unknown,
  ) {}

  /** Reads a long frame: one row per (transaction, item, utility). */
  static fromTransactions(data: unknown, o: HupmFrameOptions): HUPM {
    checkOptions(o);
    const txnCol = transactionColumn(o);
    check(txnCol !== undefined && typeof o.itemCol === "string" && typeof o.utilityCol === "string",
      "HUPM.fromTransactions needs transactionCol (or userCol), itemCol and utilityCol");
    const source = toSource(data);
    const [txn, itemKey] = source.keys([txnCol!, o.itemCol!], [false, true]);
    const items = sortedCodes(itemKey);
    const utilities = source.numbers(o.utilityCol);
    checkUtilities(utilities);
    // Group rows by transaction: a counting sort over the transaction codes.
    const n = txn.count;
    const offsets = new Uint32Array(n + 1);
    for (const t of txn.codes) offsets[t + 1]++;
    for (let t = 0; t < n; t++) offsets[t + 1] += offsets[t];
    const fill = offsets.slice(0, n);
    const itemOut = new Uint32Array(txn.codes.length), utilOut = new Float64Array(txn.codes.length);
    txn.codes.forEach((t, row) => {
      const at = fill[t]++;
      itemOut[at] = items.codes[row];
      utilOut[at] = utilities[row];
    });
    return new HUPM({ offsets, items: itemOut, utilities: utilOut, nItems: items.labels.length }, items.labels, o, outputKind(source, o.format), source.frame);
  }

  /** Reads parallel arrays: `transactions[t][j]` has utility `utilities[t][j]`. */
  static fromArrays(transactions: Label[][], utilities: number[][], o: HupmOptions): HUPM {
    checkOptions(o);
    if (!Array.isArray(transactions) || !Array.isArray(utilities))
      throw new RusketError("INVALID_FORMAT", "transactions and utilities must be arrays of arrays");
    if (transactions.length === 0) throw new RusketError("EMPTY_INPUT", "transactions is empty");
    if (transactions.length !== utilities.length)
      throw new RusketError("INVALID_FORMAT", `${transactions.length} transactions but ${utilities.length} utility lists`);
    const offsets = new Uint32Array(transactions.length + 1);
    transactions.forEach((t, i) => {
      if (!Array.isArray(t) || !Array.isArray(utilities[i]) || t.length !== utilities[i].length)
        throw new RusketError("INVALID_FORMAT", `transaction ${i} has ${t?.length} items but ${utilities[i]?.length} utilities`);
      offsets[i + 1] = offsets[i] + t.length;
    });
    const values = utilities.flat();
    const utils = Float64Array.from(values, (v, i) => {
      if (typeof v !== "number") throw new RusketError("INVALID_ARGUMENT", `utilities must be numbers; value ${i} is ${JSON.stringify(v)}`);
      return v;
    });
    checkUtilities(utils);
    const coded = sortedCodes(encodeValues(transactions.flat(), "transactions"));
    return new HUPM({ offsets, items: coded.codes, utilities: utils, nItems: coded.labels.length }, coded.labels, o, outputKind(undefined, o.format), undefined);
  }

  private finish(found: { offsets: Uint32Array; items: Uint32Array; utilities: Float64Array }): any {
    return buildFrame(
      [
        { name: "utility", type: "f64", values: found.utilities },
        { name: "itemset", type: "labelList", offsets: found.offsets, codes: found.items, labels: this.labels },
      ],
      this.kind,
      this.like,
    );
  }

  /** Mines the high-utility itemsets: a frame `[utility, itemset]`. */
  mine(): any {
    return this.finish(native("efim", this.data, checkOptions(this.options)));
  }

  /** {@link HUPM.mine} off the main thread. */
  async mineAsync(): Promise<any> {
    return this.finish(await nativeAsync("efim", this.data, checkOptions(this.options)));
  }
}

/**
 * High-utility itemsets of parallel arrays: `transactions[t][j]` earns `utilities[t][j]`.
 * Returns records `[utility, itemset]`.
 *
 * @example
 * ```ts
 * rk.hupm([[1, 2, 3], [1, 3], [2, 3]], [[5, 10, 2], [5, 2], [10, 2]], { minUtility: 15 });
 * // {2}: 20, {2, 3}: 24, {1, 2, 3}: 17, {1, 2}: 15
 * ```
 */
export function hupm(transactions: Label[][], utilities: number[][], o: HupmOptions): any {
  return HUPM.fromArrays(transactions, utilities, o).mine();
}
