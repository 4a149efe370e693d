/**
 * Adapters: a nodejs-polars DataFrame, a Danfo DataFrame, an apache-arrow Table or an array of
 * records, read through one interface. Columns come out as typed arrays (numbers) or as dense
 * codes with a dictionary (labels), without per-row JavaScript where the source has typed arrays.
 * @internal
 * @module
 */
import { randomUUID } from "node:crypto";
import { existsSync, unlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { RusketError, check } from "../errors";
import { native, type ColumnBuffers, type IpcKeys } from "../native";
import type { Label } from "../types";

export type SourceKind = "polars" | "danfo" | "arrow" | "records";

/** A column as dense codes (0..k-1, in order of first appearance) and the label of each code. */
export interface RawCodes {
  codes: Uint32Array;
  labels: Label[];
}

/**
 * A key column as dense codes 0..count-1, in order of first appearance, or in label order when
 * `sorted` (then `labels()` is ascending); `labels()` gives the label of each code.
 */
export interface KeyCodes {
  codes: Uint32Array;
  count: number;
  sorted: boolean;
  labels(): Label[];
}

/** One road in: every frame kind answers these. */
export interface Source {
  kind: SourceKind;
  /** The original object (to build results of the same kind). */
  frame: any;
  height: number;
  columns: string[];
  /**
   * Key columns (transactions, users, items) as dense codes. Asked together, polars' columns
   * are encoded in parallel, those with `sorted[i]` numbered in label order on the way (other
   * sources leave that to {@link sortedCodes}).
   */
  keys(names: string[], sorted?: boolean[]): KeyCodes[];
  /** A numeric (or date) column as f64; nulls are `NULL_VALUE`. */
  numbers(name: string): Float64Array;
  /** A boolean or 0/1 column as bytes (or f64 values the native side checks are 0/1). */
  indicator(name: string): Uint8Array | Float64Array;
  /** The column's values as JS values (for small columns only). */
  values(name: string): unknown[];
}

/** True for a nodejs-polars DataFrame (a Proxy over a plain object with these methods). */
export function isPolarsFrame(x: any): boolean {
  return !!x && typeof x === "object" && Object.prototype.toString.call(x) === "[object DataFrame]"
    && typeof x.getColumn === "function" && typeof x.lazy === "function";
}

/** True for a Danfo DataFrame (danfojs or danfojs-node). */
export function isDanfoFrame(x: any): boolean {
  return !!x && typeof x === "object" && typeof x.column === "function" && Array.isArray(x.columns)
    && "$data" in x && typeof x.iloc === "function" && !isPolarsFrame(x);
}

/** True for an apache-arrow Table. */
export function isArrowTable(x: any): boolean {
  return !!x && typeof x === "object" && typeof x.getChild === "function" && !!x.schema && Array.isArray(x.batches);
}

function missing(name: string, columns: string[]): RusketError {
  return new RusketError("COLUMN_NOT_FOUND", `column "${name}" not found; the frame has ${JSON.stringify(columns)}`);
}

function nullError(name: string): RusketError {
  return new RusketError("NULL_VALUE", `column "${name}" has null values; drop or fill them first`);
}

/** Key codes for JS values, in order of first appearance (for sources without typed string columns). */
export function encodeValues(values: ArrayLike<unknown>, name: string): KeyCodes {
  const index = new Map<unknown, number>();
  const labels: Label[] = [];
  const codes = new Uint32Array(values.length);
  for (let i = 0; i < values.length; i++) {
    let v = values[i];
    if (v === null || v === undefined || (typeof v === "number" && Number.isNaN(v))) throw nullError(name);
    if (typeof v === "bigint") v = Number(v);
    else if (v instanceof Date) v = v.getTime();
    else if (typeof v !== "string" && typeof v !== "number") v = String(v);
    let code = index.get(v);
    if (code === undefined) {
      code = labels.length;
      index.set(v, code);
      labels.push(v as Label);
    }
    codes[i] = code;
  }
  return { codes, count: labels.length, sorted: false, labels: () => labels };
}

function toNumbers(values: ArrayLike<unknown>, name: string): Float64Array {
  const out = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    const x = v instanceof Date ? v.getTime() : typeof v === "bigint" ? Number(v) : typeof v === "boolean" ? Number(v) : v;
    if (x === null || x === undefined || typeof x !== "number" || Number.isNaN(x)) {
      if (x === null || x === undefined || (typeof x === "number" && Number.isNaN(x))) throw nullError(name);
      throw new RusketError("INVALID_FORMAT", `column "${name}" must be numeric, found ${JSON.stringify(v)}`);
    }
    out[i] = x;
  }
  return out;
}

function toIndicator(values: ArrayLike<unknown>, name: string): Uint8Array {
  const out = new Uint8Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v === true || v === 1) out[i] = 1;
    else if (v === null || v === undefined) throw nullError(name);
    else if (v !== false && v !== 0)
      throw new RusketError("INVALID_FORMAT", `one-hot column "${name}" must be boolean or 0/1, found ${JSON.stringify(v)}`);
  }
  return out;
}

/** A label as JS gives it back from polars or Arrow. */
function plainLabel(v: unknown): Label {
  return (typeof v === "bigint" ? Number(v) : v instanceof Date ? v.getTime() : v) as Label;
}

/** Decodes UTF-8 labels: ASCII in one piece, sliced; anything else label by label. */
function decodeUtf8({ offsets, data }: { offsets: Uint32Array; data: Uint8Array }): string[] {
  const n = offsets.length - 1;
  const bytes = Buffer.from(data.buffer, data.byteOffset, data.length);
  if (data.every((b) => b < 0x80)) {
    const text = bytes.toString("latin1");
    return Array.from({ length: n }, (_, i) => text.slice(offsets[i], offsets[i + 1]));
  }
  return Array.from({ length: n }, (_, i) => bytes.toString("utf8", offsets[i], offsets[i + 1]));
}

/** Key columns numbered natively (`ipcKeys`, `columnKeys`), with their labels decoded when asked for. */
function nativeKeys(keys: IpcKeys[], sorted: boolean[]): KeyCodes[] {
  return keys.map(({ codes, labels }, i) => labels instanceof Float64Array
    ? { codes, count: labels.length, sorted: sorted[i], labels: () => Array.from(labels) }
    : { codes, count: labels.offsets.length - 1, sorted: sorted[i], labels: () => decodeUtf8(labels) });
}

/** Where polars' key columns are written for the native side: memory-backed where possible. */
const IPC_DIR = existsSync("/dev/shm") ? "/dev/shm" : tmpdir();

function polarsSource(df: any): Source {
  const columns: string[] = df.columns;
  const column = (name: string) => {
    if (!columns.includes(name)) throw missing(name, columns);
    const s = df.getColumn(name);
    if (s.nullCount() > 0) throw nullError(name);
    return s;
  };
  const pl = () => require("nodejs-polars");
  return {
    kind: "polars", frame: df, height: df.height, columns,
    keys(names, sorted = []) {
      // polars writes the key columns as an Arrow IPC file to memory (/dev/shm where there is
      // one), its buffers as they are; the native side maps it, numbers the values exactly (parts
      // of the columns on every core), sorts the labels asked for and removes the file. Numbers and
      // strings go as they are, anything else (categoricals, dates, booleans) as text.
      names.forEach((name) => { if (!columns.includes(name)) throw missing(name, columns); });
      const distinct = [...new Set(names)];
      const nulls: number[] = df.select(...distinct).nullCount().row(0);
      distinct.forEach((name, i) => { if (nulls[i] > 0) throw nullError(name); });
      const asIs = names.map((name) => /^(U?Int\d+|Float\d+|String|Utf8)$/.test(df.dtypes[columns.indexOf(name)].variant));
      const file = join(IPC_DIR, `rusket-${process.pid}-${randomUUID()}.arrow`);
      try {
        const keys = asIs.every(Boolean) && distinct.length === names.length ? df.select(...names)
          : df.select(...names.map((name, i) => (asIs[i] ? pl().col(name) : pl().col(name).cast(pl().Utf8)).alias(`key${i}`)));
        keys.writeIPC(file, { compression: "uncompressed" });
        const inLabelOrder = names.map((_, i) => sorted[i] === true);
        return nativeKeys(native("ipcKeys", file, inLabelOrder), inLabelOrder);
      } finally {
        if (existsSync(file)) unlinkSync(file);
      }
    },
    numbers(name) {
      const s = column(name);
      const dtype = String(s.dtype);
      if (dtype.includes("Date") || dtype.includes("Datetime")) {
        const ms = s.cast(pl().Datetime("ms")).cast(pl().Float64);
        return Float64Array.from(ms.toTypedArray());
      }
      if (dtype.includes("String") || dtype.includes("Utf8")) return toNumbers(s.toArray(), name);
      return Float64Array.from(s.cast(pl().Float64).toTypedArray());
    },
    indicator(name) {
      const s = column(name);
      const dtype = String(s.dtype);
      if (dtype.includes("Bool")) return s.cast(pl().UInt8).toTypedArray();
      if (/Int|Float/.test(dtype)) return Float64Array.from(s.cast(pl().Float64).toTypedArray());
      throw new RusketError("INVALID_FORMAT", `one-hot column "${name}" must be boolean or 0/1, found dtype ${dtype}`);
    },
    values(name) {
      return column(name).toArray();
    },
  };
}

/** An apache-arrow vector's buffers for `columnKeys` (numbers and text), or undefined. */
function arrowKeyColumn(v: any): ColumnBuffers | undefined {
  const bytes = (a: ArrayBufferView) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  const type = v.type;
  // Arrow's Type ids: Int 2, Float 3, Utf8 5, LargeUtf8 20 (Float precision: 1 single, 2 double).
  const fixed = type.typeId === 2 ? { layout: type.isSigned ? "signed" : "unsigned", width: type.bitWidth / 8 }
    : type.typeId === 3 && type.precision > 0 ? { layout: "float", width: type.precision === 1 ? 4 : 8 } : undefined;
  if (fixed) return { ...fixed, chunks: v.data.map((d: any) => ({ rows: d.length, buffers: [bytes(d.values.subarray(0, d.length))] })) } as ColumnBuffers;
  if (type.typeId !== 5 && type.typeId !== 20) return undefined;
  return {
    layout: type.typeId === 5 ? "text" : "largeText", width: 0,
    // A slice's values and offsets start at its first row already (offsets index all the text).
    chunks: v.data.map((d: any) => ({ rows: d.length, buffers: [bytes(d.valueOffsets.subarray(0, d.length + 1)), bytes(d.values)] })),
  };
}

function arrowSource(t: any): Source {
  const columns: string[] = t.schema.fields.map((f: any) => f.name);
  const column = (name: string) => {
    const v = t.getChild(name);
    if (!v) throw missing(name, columns);
    if (v.nullCount > 0) throw nullError(name);
    return v;
  };
  return {
    kind: "arrow", frame: t, height: t.numRows, columns,
    keys(names, sorted = []) {
      // Numbers and text go to the native side as their Arrow buffers; a dictionary's indices
      // are codes already (made dense natively); anything else is read value by value.
      const vectors = names.map(column);
      const described = vectors.map(arrowKeyColumn);
      const direct = names.map((_, i) => i).filter((i) => described[i] !== undefined);
      const directSorted = direct.map((i) => sorted[i] === true);
      const keyed = direct.length ? nativeKeys(native("columnKeys", direct.map((i) => described[i]!), directSorted), directSorted) : [];
      return vectors.map((v, i) => {
        if (described[i] !== undefined) return keyed[direct.indexOf(i)];
        if (!(String(v.type).startsWith("Dictionary") && v.data.length === 1)) return encodeValues(v.toArray(), names[i]);
        const d = v.data[0];
        const codes = Uint32Array.from(d.values.subarray(0, d.length));
        const first = native("denseCodes", codes);
        return { codes, count: first.length, sorted: false, labels: () => Array.from(first, (r) => plainLabel(d.dictionary.get(d.values[r]))) };
      });
    },
    numbers(name) {
      const v = column(name);
      const arr = v.toArray();
      return arr instanceof Float64Array ? arr : toNumbers(arr, name);
    },
    indicator(name) {
      const v = column(name);
      const type = String(v.type);
      if (type === "Bool") return toIndicator(v.toArray(), name);
      if (/Int|Float/.test(type)) return Float64Array.from(v.toArray(), Number);
      throw new RusketError("INVALID_FORMAT", `one-hot column "${name}" must be boolean or 0/1, found type ${type}`);
    },
    values(name) {
      return Array.from(column(name).toArray());
    },
  };
}

function danfoSource(df: any): Source {
  const columns: string[] = df.columns;
  const column = (name: string): unknown[] => {
    if (!columns.includes(name)) throw missing(name, columns);
    return df.column(name).values;
  };
  return {
    kind: "danfo", frame: df, height: df.shape[0], columns,
    keys: (names) => names.map((name) => encodeValues(column(name), name)),
    numbers: (name) => toNumbers(column(name), name),
    indicator: (name) => toIndicator(column(name), name),
    values: column,
  };
}

function recordsSource(rows: Record<string, unknown>[]): Source {
  const columns = rows.length ? Object.keys(rows[0]) : [];
  const column = (name: string): unknown[] => {
    if (!columns.includes(name)) throw missing(name, columns);
    return rows.map((r) => r[name]);
  };
  return {
    kind: "records", frame: rows, height: rows.length, columns,
    keys: (names) => names.map((name) => encodeValues(column(name), name)),
    numbers: (name) => toNumbers(column(name), name),
    indicator: (name) => toIndicator(column(name), name),
    values: column,
  };
}

/** The kind of a supported frame, or undefined. */
export function detectKind(data: unknown): SourceKind | undefined {
  if (isPolarsFrame(data)) return "polars";
  if (isArrowTable(data)) return "arrow";
  if (isDanfoFrame(data)) return "danfo";
  if (Array.isArray(data) && (data.length === 0 || (typeof data[0] === "object" && data[0] !== null && !Array.isArray(data[0]))))
    return "records";
  return undefined;
}

const READERS: Record<SourceKind, (data: any) => Source> = {
  polars: polarsSource, arrow: arrowSource, danfo: danfoSource, records: recordsSource,
};

/** Reads any supported frame; `what` names the argument in error messages. */
export function toSource(data: unknown, what = "data"): Source {
  const kind = detectKind(data);
  if (kind === undefined)
    throw new RusketError("INVALID_FORMAT",
      `${what} must be a nodejs-polars or Danfo DataFrame, an apache-arrow Table or an array of records`);
  const source = READERS[kind](data);
  check(source.height > 0, `${what} is empty (0 rows)`, "EMPTY_INPUT");
  return source;
}

/** Compares labels: numbers ascending, then strings by code unit. */
export function compareLabels(a: Label, b: Label): number {
  if (typeof a === "number" && typeof b === "number") return a - b;
  if (typeof a === "number") return -1;
  if (typeof b === "number") return 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Labels in ascending order, and `perm[code]`: each code's rank among them. All-string and
 * all-number dictionaries take the engine's own sort and find ranks by value; anything else
 * (mixed kinds, or values a Map takes as equal, like 0 and -0) sorts the codes by comparison.
 */
export function labelOrder(labels: Label[]): { perm: Uint32Array; sorted: Label[] } {
  const sorted = labels.every((l) => typeof l === "string") ? labels.slice().sort() // code-unit order
    : labels.every((l) => typeof l === "number") ? Array.from(Float64Array.from(labels as number[]).sort())
    : undefined;
  const rank = sorted && new Map<Label, number>(sorted.map((l, i) => [l, i]));
  if (sorted && rank!.size === labels.length) return { perm: Uint32Array.from(labels, (l) => rank!.get(l)!), sorted };
  const order = Array.from({ length: labels.length }, (_, i) => i).sort((a, b) => compareLabels(labels[a], labels[b]));
  const perm = new Uint32Array(labels.length);
  order.forEach((old, rank) => (perm[old] = rank));
  return { perm, sorted: order.map((i) => labels[i]) };
}

/** A key column renumbered (in place) so that code order is label order (labels sorted ascending). */
export function sortedCodes(key: KeyCodes): RawCodes {
  if (key.sorted) return { codes: key.codes, labels: key.labels() };
  const { perm, sorted } = labelOrder(key.labels());
  native("remap", key.codes, perm);
  return { codes: key.codes, labels: sorted };
}
