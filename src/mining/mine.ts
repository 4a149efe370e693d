/**
 * Frequent itemsets: {@link mine}, {@link fpgrowth}, {@link eclat} (SPEC M2).
 * @module
 */
import { RusketError, check } from "../errors";
import { native, nativeAsync, type NativeGroupedItemsets, type NativeItemsets } from "../native";
import { sortedCodes, toSource } from "../data/source";
import { buildFrame, outputKind, remember } from "../data/output";
import type { FormatOption, Label, OutputFormat } from "../types";
import { readBaskets, transactionColumn, type Baskets, type LongFormat } from "./baskets";
import { maxLength, minCount, threadCount } from "./support";

/** Options of {@link mine}. */
export interface MineOptions extends LongFormat, FormatOption {
  /** Below 1: a fraction of the transactions; an integer ≥ 1: an absolute count. */
  minSupport: number;
  /** Longest itemset to report. */
  maxLen?: number;
  /** Report item labels (default) rather than item positions. */
  useColnames?: boolean;
  /** `"auto"` (default) chooses by density and size; all methods return identical itemsets. */
  method?: "auto" | "fpgrowth" | "eclat";
  /** Native threads (default: all cores). */
  threads?: number;
}

/** What a mining result remembers, so that {@link associationRules} needs no `numItemsets`. */
export interface ItemsetsMeta {
  nTransactions: number;
  sets: { offsets: Uint32Array; items: Uint32Array; counts: Uint32Array };
  labels: Label[];
}

const METHODS = { auto: 0, fpgrowth: 1, eclat: 2 } as const;

/** The search options as the native side takes them (all but the minimum count). */
export function searchOptions(o: Omit<MineOptions, "minSupport">) {
  if (o === null || typeof o !== "object") throw new RusketError("INVALID_ARGUMENT", "options with minSupport are required");
  const method = METHODS[(o.method ?? "auto") as keyof typeof METHODS];
  if (method === undefined)
    throw new RusketError("INVALID_ARGUMENT", `method must be "auto", "fpgrowth" or "eclat", got ${JSON.stringify(o.method)}`);
  return { maxLen: maxLength(o.maxLen), method, threads: threadCount(o.threads) };
}

function prepare(data: unknown, o: MineOptions) {
  const search = searchOptions(o);
  const baskets = readBaskets(data, o);
  return { baskets, args: { minCount: minCount(o.minSupport, baskets.nTransactions), ...search } };
}

/**
 * The `[support, itemsets]` frame of mined itemsets (item codes in label order), remembering
 * what {@link associationRules} needs.
 */
export function itemsetsFrame(found: Omit<NativeItemsets, "nTransactions">, nTransactions: number, labels: Label[], kind: OutputFormat, like?: unknown): any {
  const support = new Float64Array(found.counts.length);
  for (let i = 0; i < support.length; i++) support[i] = found.counts[i] / nTransactions;
  const frame = buildFrame(
    [
      { name: "support", type: "f64", values: support },
      { name: "itemsets", type: "labelList", offsets: found.offsets, codes: found.items, labels },
    ],
    kind,
    like,
  );
  remember<ItemsetsMeta>(frame, { nTransactions, sets: { offsets: found.offsets, items: found.items, counts: found.counts }, labels });
  return frame;
}

function finish(baskets: Baskets, found: NativeItemsets, o: MineOptions): any {
  return itemsetsFrame(found, baskets.nTransactions, baskets.labels, outputKind(baskets.source, o.format), baskets.source?.frame);
}

/**
 * Frequent itemsets of baskets given as a long frame (`transactionCol` + `itemCol`), a one-hot
 * frame (boolean or 0/1 columns, one per item) or `string[][]` / `number[][]`.
 * Returns `[support, itemsets]` in the input's kind (polars → polars, Danfo → Danfo,
 * Arrow → Arrow, arrays → records); `support` is a fraction, `itemsets` a list of labels.
 *
 * @example
 * ```ts
 * const freq = rk.mine(df, { transactionCol: "basket", itemCol: "item", minSupport: 0.01 });
 * const small = rk.mine([["milk", "bread"], ["milk"]], { minSupport: 0.5 });
 * ```
 */
export function mine(data: unknown, o: MineOptions): any {
  const { baskets, args } = prepare(data, o);
  return finish(baskets, native("mine", baskets.spec, args), o);
}

/**
 * {@link mine} off the main thread.
 * @example
 * ```ts
 * const freq = await rk.mineAsync(df, { transactionCol: "basket", itemCol: "item", minSupport: 0.01 });
 * ```
 */
export async function mineAsync(data: unknown, o: MineOptions): Promise<any> {
  const { baskets, args } = prepare(data, o);
  return finish(baskets, await nativeAsync("mine", baskets.spec, args), o);
}

/**
 * {@link mine} with FP-Growth.
 * @example
 * ```ts
 * const freq = rk.fpgrowth(baskets, { minSupport: 0.05 });
 * ```
 */
export function fpgrowth(data: unknown, o: Omit<MineOptions, "method">): any {
  return mine(data, { ...o, method: "fpgrowth" });
}

/**
 * {@link mine} with Eclat (vertical tid-sets / bitsets).
 * @example
 * ```ts
 * const freq = rk.eclat(baskets, { minSupport: 0.05 });
 * ```
 */
export function eclat(data: unknown, o: Omit<MineOptions, "method">): any {
  return mine(data, { ...o, method: "eclat" });
}

/** Options of {@link mineGrouped}: those of {@link mine} on a long frame, plus the group column. */
export interface MineGroupedOptions extends MineOptions {
  /** The column whose values split the rows into groups (store, region, segment). */
  groupCol: string;
}

function prepareGrouped(data: unknown, o: MineGroupedOptions) {
  const search = searchOptions(o);
  check(typeof o.groupCol === "string", `groupCol (a column name) is required, got ${JSON.stringify(o.groupCol)}`);
  const txnCol = transactionColumn(o);
  check(txnCol !== undefined && typeof o.itemCol === "string",
    "mineGrouped needs transactionCol (or userCol) and itemCol: the rows of a long frame");
  const source = toSource(data);
  const [groupKey, txn, itemKey] = source.keys([o.groupCol, txnCol!, o.itemCol!], [true, false, true]);
  const groups = sortedCodes(groupKey), items = sortedCodes(itemKey);
  const rows = { txn: txn.codes, nTxn: txn.count, item: items.codes, nItems: items.labels.length };
  const split = native("groupBaskets", groups.codes, groups.labels.length, rows);
  const sizes = Array.from({ length: groups.labels.length }, (_, g) => split.groupStart[g + 1] - split.groupStart[g]);
  const minCounts = Uint32Array.from(sizes, (n) => minCount(o.minSupport, n));
  const labels = (o.useColnames ?? true) ? items.labels : items.labels.map((_, i) => i);
  return {
    baskets: { ...split, nItems: rows.nItems },
    args: { minCounts, ...search },
    finish: (r: NativeGroupedItemsets) => {
      const support = Float64Array.from(r.counts, (c, i) => c / sizes[r.groups[i]]);
      return buildFrame(
        [
          { name: "group", type: "label", codes: r.groups, labels: groups.labels },
          { name: "support", type: "f64", values: support },
          { name: "itemsets", type: "labelList", offsets: r.offsets, codes: r.items, labels },
        ],
        outputKind(source, o.format),
        source.frame,
      );
    },
  };
}

/**
 * One mining per group (store, region, customer segment) of a long frame, the groups mined in
 * parallel: `[group, support, itemsets]`, `support` relative to the group's transactions
 * (`minSupport` likewise). A transaction id found in two groups makes a basket in each.
 * @example
 * ```ts
 * const perCountry = rk.mineGrouped(df, { groupCol: "Country", transactionCol: "InvoiceNo", itemCol: "StockCode", minSupport: 0.05 });
 * ```
 */
export function mineGrouped(data: unknown, o: MineGroupedOptions): any {
  const { baskets, args, finish } = prepareGrouped(data, o);
  return finish(native("mineGrouped", baskets, args));
}

/**
 * {@link mineGrouped} off the main thread.
 * @example
 * ```ts
 * const perStore = await rk.mineGroupedAsync(df, { groupCol: "store", transactionCol: "basket", itemCol: "item", minSupport: 0.05 });
 * ```
 */
export async function mineGroupedAsync(data: unknown, o: MineGroupedOptions): Promise<any> {
  const { baskets, args, finish } = prepareGrouped(data, o);
  return finish(await nativeAsync("mineGrouped", baskets, args));
}
