/**
 * Frequent itemsets: {@link mine}, {@link fpgrowth}, {@link eclat} (SPEC M2).
 * @module
 */
import { RusketError } from "../errors";
import { native, nativeAsync, type NativeItemsets } from "../native";
import { buildFrame, outputKind, remember } from "../data/output";
import type { FormatOption, Label } from "../types";
import { readBaskets, type Baskets, type LongFormat } from "./baskets";
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

function prepare(data: unknown, o: MineOptions) {
  if (o === null || typeof o !== "object") throw new RusketError("INVALID_ARGUMENT", "options with minSupport are required");
  const method = METHODS[(o.method ?? "auto") as keyof typeof METHODS];
  if (method === undefined)
    throw new RusketError("INVALID_ARGUMENT", `method must be "auto", "fpgrowth" or "eclat", got ${JSON.stringify(o.method)}`);
  const maxLen = maxLength(o.maxLen);
  const threads = threadCount(o.threads);
  const baskets = readBaskets(data, o);
  const count = minCount(o.minSupport, baskets.nTransactions);
  return { baskets, args: { minCount: count, maxLen, method, threads } };
}

function finish(baskets: Baskets, found: NativeItemsets, o: MineOptions): any {
  const n = baskets.nTransactions;
  const support = new Float64Array(found.counts.length);
  for (let i = 0; i < support.length; i++) support[i] = found.counts[i] / n;
  const frame = buildFrame(
    [
      { name: "support", type: "f64", values: support },
      { name: "itemsets", type: "labelList", offsets: found.offsets, codes: found.items, labels: baskets.labels },
    ],
    outputKind(baskets.source, o.format),
    baskets.source?.frame,
  );
  remember<ItemsetsMeta>(frame, {
    nTransactions: n,
    sets: { offsets: found.offsets, items: found.items, counts: found.counts },
    labels: baskets.labels,
  });
  return frame;
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
