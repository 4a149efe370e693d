/**
 * Loads rusket's Node-API addon and types its export table. The only file that touches it:
 * everything else calls {@link native} / {@link nativeAsync}, which turn native errors into
 * {@link RusketError}s.
 * @internal
 * @module
 */
import * as path from "node:path";
import * as fs from "node:fs";
import { fromNative } from "./errors";

/** Typed arrays that cross the boundary. */
export type U32 = Uint32Array;
export type F64 = Float64Array;

/** A key column from `ipcKeys`: codes and each code's label (numbers, or UTF-8 text `data[offsets[c]..offsets[c + 1]]`). */
export interface IpcKeys {
  codes: U32;
  labels: Float64Array | { offsets: U32; data: Uint8Array };
}

/** A key column by its Arrow buffers (no validity): numbers' values, or text's offsets then data. */
export interface ColumnBuffers {
  layout: "signed" | "unsigned" | "float" | "text" | "largeText";
  /** Bytes per value of a number column. */
  width: number;
  chunks: { rows: number; buffers: Uint8Array[] }[];
}

/** Baskets in one of three layouts; the native side builds its CSR from any of them. */
export type BasketSpec =
  | { txn: U32; nTxn: number; item: U32; nItems: number } // txn codes 0..nTxn-1, each row one (basket, item) pair
  | { columns: (Uint8Array | F64)[]; rows: number }
  | { offsets: U32; items: U32; nItems: number };

/** Frequent itemsets: itemset i is items[offsets[i]..offsets[i+1]] (item codes), with its count. */
export interface NativeItemsets { offsets: U32; items: U32; counts: U32; nTransactions: number }

/** Frequent itemsets of every group, each with its group's code. */
export interface NativeGroupedItemsets { groups: U32; offsets: U32; items: U32; counts: U32 }

/** The baskets of every group as one CSR: group g holds baskets groupStart[g]..groupStart[g+1]. */
export interface NativeGroupedBaskets { offsets: U32; items: U32; groupStart: U32 }

export interface NativeRules {
  antecedentOffsets: U32; antecedentItems: U32;
  consequentOffsets: U32; consequentItems: U32;
  /** antecedentSupport … kulczynski, in the order of {@link RULE_METRICS}. */
  columns: F64[];
}

/** A user × item matrix: CSR (`indptr` as f64) or coordinate triplets. */
export type Interactions =
  | { indptr: F64; indices: U32; data: Float32Array; nRows: number; nCols: number }
  | { rows: U32; cols: U32; vals: Float32Array; nRows: number; nCols: number }
  /** A matrix directory built by `csrBuild` (fitting only). */
  | { disk: string; nRows: number; nCols: number };

/** A fitted factor model and the training matrix it was fitted on (CSR). */
export interface Fitted { user: Float32Array; item: Float32Array; loss: F64; indptr: F64; indices: U32; data: Float32Array }

/** A native handle: item factors rounded to 4 and to 8 bits per entry, by decreasing norm (`topK` reads them for one user). */
export type QuantizedItems = { readonly __native: "QuantizedItems" };

/** A column handed to the Arrow IPC writer. */
export type IpcColumn =
  | { name: string; type: "f64"; values: F64 }
  | { name: string; type: "f32"; values: Float32Array }
  | { name: string; type: "u32"; values: U32 }
  | { name: string; type: "i32"; values: Int32Array }
  | { name: string; type: "utf8"; values: string[] }
  | { name: string; type: "bool"; values: Uint8Array }
  | { name: string; type: "label"; codes: U32; labels: string[] | F64; integer?: boolean }
  | { name: string; type: "labelList"; offsets: U32; codes: U32; labels: string[] | F64; integer?: boolean }
  | { name: string; type: "vector"; values: Float32Array; dim: number };

/** The addon's export table (each function also exists as `<name>Async`, returning a Promise). */
export interface NativeTable {
  version(): string;
  panicForTest(): never;
  /** Rewrites `codes` in place as 0..k-1 in order of first appearance; returns the row where each first appears. */
  denseCodes(codes: U32): U32;
  /**
   * Every column of an Arrow IPC file (removed once read) as dense codes (exact values, in label
   * order where `sorted[i]`, else in order of first appearance) with each code's label.
   */
  ipcKeys(path: string, sorted: boolean[]): IpcKeys[];
  /** Like `ipcKeys`, for columns given by their Arrow buffers. */
  columnKeys(columns: ColumnBuffers[], sorted: boolean[]): IpcKeys[];
  /** codes[i] = perm[codes[i]], in place; returns the length. */
  remap(codes: U32, perm: U32): number;
  mine(baskets: BasketSpec, o: { minCount: number; maxLen: number; method: number; threads: number }): NativeItemsets;
  groupBaskets(groups: U32, nGroups: number, rows: Extract<BasketSpec, { txn: U32 }>): NativeGroupedBaskets;
  mineGrouped(baskets: NativeGroupedBaskets & { nItems: number }, o: { minCounts: U32; maxLen: number; method: number; threads: number }): NativeGroupedItemsets;
  /** One chunk of (transaction, item) rows, compressed. */
  streamChunk(txnIds: F64, items: U32 | F64, nItems: number): { chunk: Uint8Array; maxItem: number };
  streamCounts(chunks: Uint8Array[], nItems: number): { nTransactions: number; support: U32 };
  mineStream(chunks: Uint8Array[], support: U32, o: { minCount: number; maxLen: number; method: number; threads: number }, recode?: U32): Omit<NativeItemsets, "nTransactions">;
  /** Column-major one-hot cells (nItems × nTransactions) of long-format baskets. */
  oneHot(baskets: BasketSpec): { cells: Uint8Array; nTransactions: number };
  associationRules(
    sets: { offsets: U32; items: U32; counts: U32 },
    nTransactions: number,
    o: {
      metric: number; minThreshold: number; singleConsequent: boolean; supportOnly: boolean;
      antecedentItems?: Uint8Array; consequentItems?: Uint8Array;
      maxAntecedentLen: number; maxConsequentLen: number; threads: number; nItems: number;
    },
  ): NativeRules;
  arrowIpc(columns: IpcColumn[]): Uint8Array;
  alsFit(m: Interactions, o: { factors: number; iterations: number; regularization: number; alpha: number; cgIters: number; cholesky: boolean; seed: number; threads: number; verbose: boolean }): Fitted;
  /** Appends (user, item, value) rows to a matrix directory's `coo.bin`. */
  csrAppend(dir: string, users: U32 | F64, items: U32 | F64, values: Float32Array | undefined): { maxUser: number; maxItem: number };
  /** Builds the directory's two CSR orientations within a memory budget; returns the entries. */
  csrBuild(dir: string, nRows: number, nCols: number, budgetBytes: number): number;
  bprFit(m: Interactions, o: { factors: number; learningRate: number; regularization: number; iterations: number; seed: number; threads: number; verbose: boolean }): Fitted;
  /** Top-n items per listed user (padded with 0xffffffff / -Infinity), among the `allowed` items (any order, repeats ignored) if given; `quantized` (from `quantizeItems`) speeds up one user's call, same result. */
  topK(user: Float32Array, item: Float32Array, k: number, users: U32, n: number, exclude: Interactions | undefined, allowed: U32 | undefined, threads: number, quantized?: QuantizedItems): { items: U32; scores: Float32Array };
  quantizeItems(user: Float32Array, item: Float32Array, k: number): QuantizedItems;
  batchRecommend(user: Float32Array, item: Float32Array, k: number, n: number, exclude: Interactions | undefined, threads: number): { users: U32; items: U32; scores: Float32Array; ranks: U32 };
  similarItems(user: Float32Array, item: Float32Array, k: number, which: number, n: number): { items: U32; scores: Float32Array };
  userVector(user: Float32Array, item: Float32Array, k: number, items: U32, weights: Float32Array, regularization: number, alpha: number, gram?: Float32Array): Float32Array;
  /** The order of `n` of `items` by maximal marginal relevance (positions in `items`). */
  diversify(user: Float32Array, item: Float32Array, k: number, items: U32, scores: Float32Array, n: number, lambda: number): U32;
  /** The item factors' Gram matrix (k × k), for `userVector`. */
  itemGram(user: Float32Array, item: Float32Array, k: number): Float32Array;
  scorePotential(user: Float32Array, item: Float32Array, k: number, history: Interactions, targets: U32, threads: number): Float32Array;
  /** Events grouped by sequence code, ordered by time (ties keep input order). */
  sequencesFromEvents(seq: U32, time: F64, item: U32, nSequences: number): { offsets: U32; items: U32 };
  prefixspan(s: { offsets: U32; items: U32; nItems: number }, o: { minCount: number; maxLen: number; threads: number }): { offsets: U32; items: U32; supports: U32 };
  efim(t: { offsets: U32; items: U32; utilities: F64; nItems: number }, o: { minUtility: number; maxLen: number; threads: number }): { offsets: U32; items: U32; utilities: F64 };
  [name: string]: (...args: any[]) => any;
}

function platformTag(): string {
  const { platform, arch } = process;
  if (platform !== "linux") return `${platform}-${arch}`;
  const glibc = (process.report?.getReport() as any)?.header?.glibcVersionRuntime;
  return `linux-${arch}-${glibc ? "gnu" : "musl"}`;
}

function load(): NativeTable {
  const root = path.join(__dirname, "..");
  const candidates = [
    process.env.RUSKET_NATIVE,
    path.join(root, `rusket.${platformTag()}.node`),
  ].filter((p): p is string => !!p);
  for (const file of candidates) {
    if (fs.existsSync(file)) return require(file);
  }
  throw new Error(`rusket: native addon not found (looked for ${candidates.join(", ")}); run \`npm run build:native\``);
}

let table: NativeTable | undefined;

/** The raw addon (loaded on first use). */
export function addon(): NativeTable {
  return (table ??= load());
}

/** Calls a native export synchronously; native errors become RusketErrors. */
export function native<K extends keyof NativeTable & string>(name: K, ...args: Parameters<NativeTable[K]>): ReturnType<NativeTable[K]> {
  try {
    return (addon()[name] as (...a: unknown[]) => ReturnType<NativeTable[K]>)(...args);
  } catch (e) {
    throw fromNative(e);
  }
}

/** Calls a native export on libuv's thread pool; resolves with its result. */
export async function nativeAsync<K extends keyof NativeTable & string>(name: K, ...args: Parameters<NativeTable[K]>): Promise<ReturnType<NativeTable[K]>> {
  try {
    return await (addon()[`${name}Async`] as (...a: unknown[]) => Promise<ReturnType<NativeTable[K]>>)(...args);
  } catch (e) {
    throw fromNative(e);
  }
}
