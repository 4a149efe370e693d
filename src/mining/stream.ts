/**
 * Streaming mining for data larger than a frame (SPEC M4): {@link FPMiner} takes
 * (transaction, item) rows chunk by chunk and keeps them compressed natively;
 * {@link mineArrowStream} feeds it from Arrow record batches, {@link mineDuckDB} from a DuckDB query.
 * @module
 */
import { RusketError, check } from "../errors";
import { native, nativeAsync } from "../native";
import { outputKind } from "../data/output";
import { isArrowTable, labelOrder } from "../data/source";
import type { FormatOption, Label, OutputFormat } from "../types";
import { itemsetsFrame, searchOptions } from "./mine";
import { minCount } from "./support";

/** Options of {@link FPMiner}. */
export interface FPMinerOptions {
  /** Item ids are codes 0..nItems-1 (checked as rows arrive); default: inferred from the ids. */
  nItems?: number;
}

/** Options of {@link FPMiner.mine}. */
export interface StreamMineOptions extends FormatOption {
  /** Below 1: a fraction of the transactions; an integer ≥ 1: an absolute count. */
  minSupport: number;
  /** Longest itemset to report. */
  maxLen?: number;
  /** `"auto"` (default), `"fpgrowth"` or `"eclat"`: identical itemsets. */
  method?: "auto" | "fpgrowth" | "eclat";
  /** Native threads (default: all cores). */
  threads?: number;
}

/** The two columns of a record batch that hold the rows. */
export interface BatchColumns {
  transactionCol: string;
  itemCol: string;
}

const NO_LIMIT = 0xffffffff;

/** Column `name` of an Arrow RecordBatch or Table as JS values (typed arrays where Arrow has them). */
function arrowColumn(batch: any, name: string): ArrayLike<unknown> {
  const v = batch.getChild?.(name);
  if (!v) {
    const names = batch.schema?.fields?.map((f: any) => f.name) ?? [];
    throw new RusketError("COLUMN_NOT_FOUND", `column "${name}" not found; the batch has ${JSON.stringify(names)}`);
  }
  if (v.nullCount > 0) throw new RusketError("NULL_VALUE", `column "${name}" has null values; drop or fill them first`);
  return v.toArray();
}

function isBigIntArray(x: ArrayLike<unknown>): x is BigInt64Array | BigUint64Array {
  return x instanceof BigInt64Array || x instanceof BigUint64Array;
}

/**
 * Frequent itemsets of (transaction, item) rows that arrive in chunks — from a database cursor,
 * Arrow batches, files read piece by piece. Each chunk is compressed natively as it arrives
 * (sorted item sets as varint gaps: one or two bytes per distinct basket item, about two per transaction), so memory follows
 * the compressed store, not the rows read; a transaction may span chunks. `mine` merges the
 * chunks and mines them like {@link mine}.
 *
 * Transaction ids are whole numbers (|id| ≤ 2^53, bigint too) or strings; item ids are codes
 * 0..nItems-1 (numbers) or labels (strings), one kind of each per miner. Item codes size the
 * count table: large, sparse numeric item ids are better given as strings.
 *
 * @example
 * ```ts
 * const miner = new rk.FPMiner({ nItems: 500_000 });
 * for (const { txn, item } of chunks) miner.addChunk(txn, item);
 * const freq = miner.mine({ minSupport: 0.001, maxLen: 3 });
 * ```
 */
export class FPMiner {
  private readonly chunks: Uint8Array[] = [];
  private readonly fixedItems: number | undefined;
  /** "code": items are numbers < nItems; "label": items are labels mapped to codes here. */
  private items: "code" | "label" | undefined;
  private readonly itemIndex = new Map<Label, number>();
  private readonly itemLabels: Label[] = [];
  private maxCode = -1;
  /** "number" or "string" transaction ids (strings are numbered here). */
  private txns: "number" | "string" | undefined;
  private readonly txnIndex = new Map<string, number>();
  private kind: OutputFormat = "records";
  /** Rows added so far. */
  rows = 0;

  constructor(o: FPMinerOptions = {}) {
    if (o.nItems !== undefined)
      check(Number.isInteger(o.nItems) && o.nItems >= 1 && o.nItems <= NO_LIMIT, `nItems must be a whole number ≥ 1, got ${String(o.nItems)}`);
    this.fixedItems = o.nItems;
  }

  /** Bytes the compressed rows take. */
  get bytes(): number {
    return this.chunks.reduce((n, c) => n + c.byteLength, 0);
  }

  /**
   * Adds rows: row `r` says transaction `transactionIds[r]` holds item `itemIds[r]`. Typed
   * arrays pass without per-row JavaScript work.
   */
  addChunk(transactionIds: ArrayLike<unknown>, itemIds: ArrayLike<unknown>): this {
    check(transactionIds?.length !== undefined && itemIds?.length !== undefined, "addChunk takes two arrays: transaction ids and item ids");
    check(transactionIds.length === itemIds.length,
      `transaction ids and item ids differ in length: ${transactionIds.length} vs ${itemIds.length}`);
    if (transactionIds.length === 0) return this;
    const txn = this.transactionKeys(transactionIds);
    const { chunk, maxItem } = native("streamChunk", txn, this.itemCodes(itemIds), this.fixedItems ?? NO_LIMIT);
    this.chunks.push(chunk);
    this.maxCode = Math.max(this.maxCode, maxItem);
    this.rows += txn.length;
    return this;
  }

  /** Adds the rows of an apache-arrow RecordBatch (or Table); results then default to Arrow. */
  addArrowBatch(batch: unknown, o: BatchColumns): this {
    check(typeof o?.transactionCol === "string" && typeof o?.itemCol === "string", "addArrowBatch needs transactionCol and itemCol");
    this.kind = "arrow";
    return this.addChunk(arrowColumn(batch, o.transactionCol), arrowColumn(batch, o.itemCol));
  }

  /** Merges the chunks and mines them: `[support, itemsets]` (Arrow after Arrow batches, else records, or `format`). */
  mine(o: StreamMineOptions): any {
    const { args, recode, finish } = this.prepare(o);
    return finish(native("mineStream", this.chunks, args.support, args.search, recode));
  }

  /** {@link FPMiner.mine} off the main thread. */
  async mineAsync(o: StreamMineOptions): Promise<any> {
    const { args, recode, finish } = this.prepare(o);
    return finish(await nativeAsync("mineStream", this.chunks, args.support, args.search, recode));
  }

  private prepare(o: StreamMineOptions) {
    const search = searchOptions(o);
    const kind = outputKind({ kind: this.kind }, o.format);
    check(this.chunks.length > 0, "the miner has no rows: add chunks first", "EMPTY_INPUT");
    const nItems = this.fixedItems ?? (this.items === "label" ? this.itemLabels.length : this.maxCode + 1);
    const { nTransactions, support } = native("streamCounts", this.chunks, nItems);
    let labels: Label[];
    let recode: Uint32Array | undefined;
    if (this.items === "label") {
      // Codes were given in order of appearance: mine them in label order.
      ({ perm: recode, sorted: labels } = labelOrder(this.itemLabels));
    } else {
      labels = Array.from({ length: nItems }, (_, i) => i);
    }
    return {
      args: { support, search: { minCount: minCount(o.minSupport, nTransactions), ...search } },
      recode,
      finish: (found: { offsets: Uint32Array; items: Uint32Array; counts: Uint32Array }) => itemsetsFrame(found, nTransactions, labels, kind),
    };
  }

  /** Transaction ids as f64 keys: numbers as they are, strings numbered in order of appearance. */
  private transactionKeys(ids: ArrayLike<unknown>): Float64Array {
    const strings = typeof ids[0] === "string";
    check(this.txns === undefined || this.txns === (strings ? "string" : "number"),
      `transaction ids were ${this.txns}s, now ${strings ? "strings" : "numbers"}: use one kind per miner`, "INVALID_FORMAT");
    this.txns = strings ? "string" : "number";
    if (ids instanceof Float64Array) return ids;
    if (isBigIntArray(ids)) {
      const out = new Float64Array(ids.length);
      for (let i = 0; i < ids.length; i++) {
        out[i] = Number(ids[i]);
        if (!Number.isSafeInteger(out[i])) throw new RusketError("INVALID_ARGUMENT", `transaction id ${ids[i]} is beyond 2^53`);
      }
      return out;
    }
    if (ArrayBuffer.isView(ids)) return Float64Array.from(ids as unknown as ArrayLike<number>);
    const out = new Float64Array(ids.length);
    for (let i = 0; i < ids.length; i++) {
      const v = ids[i];
      if (strings) {
        if (typeof v !== "string") throw new RusketError("INVALID_FORMAT", `transaction ids mix strings and ${typeof v}s`);
        let k = this.txnIndex.get(v);
        if (k === undefined) this.txnIndex.set(v, (k = this.txnIndex.size));
        out[i] = k;
      } else if (typeof v === "number") out[i] = v;
      else if (typeof v === "bigint" && v >= -(2n ** 53n) && v <= 2n ** 53n) out[i] = Number(v);
      else if (v === null || v === undefined) throw new RusketError("NULL_VALUE", "transaction ids hold null values");
      else throw new RusketError("INVALID_FORMAT", `transaction id ${JSON.stringify(String(v))} is neither a number nor a string like the others`);
    }
    return out;
  }

  /** Item ids as codes: numbers (typed arrays pass as they are) or labels numbered here. */
  private itemCodes(ids: ArrayLike<unknown>): Float64Array | Uint32Array {
    const labels = typeof ids[0] === "string";
    check(this.items === undefined || this.items === (labels ? "label" : "code"),
      `item ids were ${this.items === "label" ? "labels (strings)" : "codes (numbers)"}, now ${labels ? "strings" : "numbers"}: use one kind per miner`, "INVALID_FORMAT");
    this.items = labels ? "label" : "code";
    if (labels) {
      check(this.fixedItems === undefined, "nItems is for item codes (numbers); item labels (strings) are counted by the miner");
      const out = new Uint32Array(ids.length);
      for (let i = 0; i < ids.length; i++) {
        const v = ids[i] as Label;
        if (v === null || v === undefined) throw new RusketError("NULL_VALUE", "item ids hold null values");
        let k = this.itemIndex.get(v);
        if (k === undefined) {
          this.itemIndex.set(v, (k = this.itemLabels.length));
          this.itemLabels.push(v);
        }
        out[i] = k;
      }
      return out;
    }
    return ids instanceof Uint32Array ? ids
      : isBigIntArray(ids) || typeof ids[0] === "bigint" ? Float64Array.from(ids as ArrayLike<bigint | number>, (v) => typeof v === "bigint" ? Number(v) : v)
      : Float64Array.from(ids as ArrayLike<number>);
  }
}

/** Record batches from an Arrow IPC byte source, a Table, or an (async) iterable of batches. */
async function* recordBatches(source: any): AsyncGenerator<any> {
  if (isArrowTable(source)) {
    yield* source.batches;
    return;
  }
  const bytes = source instanceof Uint8Array || typeof source?.pipe === "function" || typeof source?.getReader === "function";
  if (bytes) {
    const arrow = require("apache-arrow");
    const reader = await arrow.RecordBatchReader.from(source);
    for await (const batch of reader) yield batch;
    return;
  }
  if (source && (typeof source[Symbol.asyncIterator] === "function" || typeof source[Symbol.iterator] === "function")) {
    for await (const batch of source) yield batch;
    return;
  }
  throw new RusketError("INVALID_FORMAT",
    "mineArrowStream reads Arrow IPC bytes (Uint8Array, a Node or web stream), an apache-arrow Table or an (async) iterable of RecordBatches");
}

/**
 * Mines an Arrow stream batch by batch through an {@link FPMiner}: Arrow IPC stream bytes (a
 * Uint8Array, a Node readable or a web ReadableStream), a Table, or an (async) iterable of
 * RecordBatches. Only the compressed rows stay in memory. Returns an Arrow Table
 * `[support, itemsets]` (or `format`).
 * @example
 * ```ts
 * const freq = await rk.mineArrowStream(fs.createReadStream("orders.arrows"), { transactionCol: "order_id", itemCol: "sku", minSupport: 0.001 });
 * ```
 */
export async function mineArrowStream(source: unknown, o: BatchColumns & StreamMineOptions & FPMinerOptions): Promise<any> {
  searchOptions(o); // bad options fail before the stream is read
  const miner = new FPMiner({ nItems: o.nItems });
  for await (const batch of recordBatches(source)) miner.addArrowBatch(batch, o);
  if (miner.rows === 0) throw new RusketError("EMPTY_INPUT", "the Arrow stream has no rows");
  return miner.mineAsync(o);
}

/** Rows gathered from DuckDB's chunks (2,048 rows each) before they go to the miner. */
const DUCKDB_BATCH_ROWS = 1 << 16;

/**
 * Mines the rows a DuckDB query returns (a `@duckdb/node-api` connection), streamed chunk by
 * chunk through an {@link FPMiner}: the query's result is never held whole. Returns
 * `[support, itemsets]` as records (or `format`).
 * @example
 * ```ts
 * const con = await (await DuckDBInstance.create(":memory:")).connect();
 * const freq = await rk.mineDuckDB(con, "SELECT order_id, sku FROM read_parquet('orders/*.parquet')",
 *   { transactionCol: "order_id", itemCol: "sku", minSupport: 0.001 });
 * ```
 */
export async function mineDuckDB(connection: unknown, sql: string, o: BatchColumns & StreamMineOptions & FPMinerOptions): Promise<any> {
  searchOptions(o);
  const con = connection as { stream?: (sql: string) => Promise<any> };
  check(typeof con?.stream === "function", "mineDuckDB takes a @duckdb/node-api DuckDBConnection");
  check(typeof sql === "string", `sql must be a query string, got ${typeof sql}`);
  const result = await con.stream!(sql);
  const names: string[] = result.columnNames();
  const [t, i] = [o.transactionCol, o.itemCol].map((name) => {
    const k = names.indexOf(name);
    if (k < 0) throw new RusketError("COLUMN_NOT_FOUND", `column "${name}" not found; the query returns ${JSON.stringify(names)}`);
    return k;
  });
  const miner = new FPMiner({ nItems: o.nItems });
  let txn: unknown[] = [], item: unknown[] = [];
  const flush = () => {
    miner.addChunk(txn, item);
    [txn, item] = [[], []];
  };
  for (let chunk = await result.fetchChunk(); chunk && chunk.rowCount > 0; chunk = await result.fetchChunk()) {
    txn.push(...chunk.getColumnValues(t));
    item.push(...chunk.getColumnValues(i));
    if (txn.length >= DUCKDB_BATCH_ROWS) flush();
  }
  if (txn.length > 0) flush();
  if (miner.rows === 0) throw new RusketError("EMPTY_INPUT", "the query returned no rows");
  return miner.mineAsync(o);
}
