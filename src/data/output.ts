/**
 * Builders: native results (typed arrays, codes + dictionaries) become a frame of the caller's
 * kind. polars and Arrow are built from an Arrow IPC stream written natively (no per-row
 * JavaScript); Danfo and records need JS values per row.
 * @internal
 * @module
 */
import { RusketError } from "../errors";
import { native, type IpcColumn } from "../native";
import type { Label, OutputFormat } from "../types";
import type { Source } from "./source";

/** A result column before it becomes a frame column. */
export type OutColumn =
  | { name: string; type: "f64"; values: Float64Array }
  | { name: string; type: "f32"; values: Float32Array }
  | { name: string; type: "u32"; values: Uint32Array }
  | { name: string; type: "i32"; values: Int32Array }
  | { name: string; type: "utf8"; values: string[] }
  | { name: string; type: "bool"; values: Uint8Array }
  | { name: string; type: "label"; codes: Uint32Array; labels: Label[] }
  | { name: string; type: "labelList"; offsets: Uint32Array; codes: Uint32Array; labels: Label[] }
  | { name: string; type: "vector"; values: Float32Array; dim: number };

/** The output kind: `format` if given, else the input's kind. */
export function outputKind(source: Source | { kind: OutputFormat } | undefined, format?: OutputFormat): OutputFormat {
  if (format !== undefined) {
    if (!["polars", "danfo", "arrow", "records"].includes(format))
      throw new RusketError("INVALID_ARGUMENT", `format must be "polars", "danfo", "arrow" or "records", got ${JSON.stringify(format)}`);
    return format;
  }
  return source?.kind ?? "records";
}

function ipcLabels(labels: Label[]): { labels: string[] | Float64Array; integer: boolean } {
  if (labels.length > 0 && labels.every((l) => typeof l === "number")) {
    const values = Float64Array.from(labels as number[]);
    return { labels: values, integer: values.every(Number.isInteger) };
  }
  return { labels: labels.map(String), integer: false };
}

function toIpc(c: OutColumn): IpcColumn {
  if (c.type === "label" || c.type === "labelList") return { ...c, ...ipcLabels(c.labels) };
  return c;
}

/** A column's values as JS values (one per row). Plain loops: this is per-row work in JS,
 * and `Array.from` with a mapping function or a `subarray` per row costs several times more. */
function jsValues(c: OutColumn, rows: number): unknown[] {
  const out = new Array(rows);
  switch (c.type) {
    case "label":
      for (let i = 0; i < rows; i++) out[i] = c.labels[c.codes[i]];
      return out;
    case "labelList":
      for (let i = 0; i < rows; i++) {
        const from = c.offsets[i], list = new Array(c.offsets[i + 1] - from);
        for (let k = 0; k < list.length; k++) list[k] = c.labels[c.codes[from + k]];
        out[i] = list;
      }
      return out;
    case "vector":
      for (let i = 0; i < rows; i++) out[i] = Array.from(c.values.subarray(i * c.dim, (i + 1) * c.dim));
      return out;
    case "bool":
      for (let i = 0; i < rows; i++) out[i] = c.values[i] !== 0;
      return out;
    default:
      for (let i = 0; i < rows; i++) out[i] = c.values[i];
      return out;
  }
}

function rowCount(c: OutColumn): number {
  switch (c.type) {
    case "label": return c.codes.length;
    case "labelList": return c.offsets.length - 1;
    case "vector": return c.values.length / c.dim;
    default: return c.values.length;
  }
}

function danfoModule(like: any): any {
  if (like?.constructor && typeof like.column === "function") return { DataFrame: like.constructor };
  try {
    return require("danfojs-node");
  } catch {
    return require("danfojs");
  }
}

/** Builds the result frame; `like` is an input frame of the same kind, if any. */
export function buildFrame(columns: OutColumn[], kind: OutputFormat, like?: unknown): any {
  const rows = columns.length ? rowCount(columns[0]) : 0;
  if (kind === "polars" || kind === "arrow") {
    const bytes = native("arrowIpc", columns.map(toIpc));
    if (kind === "arrow") return require("apache-arrow").tableFromIPC(bytes);
    return require("nodejs-polars").readIPCStream(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  }
  const values = columns.map((c) => jsValues(c, rows));
  if (kind === "danfo") {
    const data: Record<string, unknown[]> = {};
    columns.forEach((c, j) => (data[c.name] = values[j]));
    const { DataFrame } = danfoModule(like);
    return new DataFrame(data, { columns: columns.map((c) => c.name) });
  }
  return recordBuilder(columns.map((c) => c.name))(values, rows);
}

/**
 * A function that zips column values into row objects, written for these names: an object
 * literal with fixed keys is built about five times faster than one whose keys are assigned in
 * a loop (154k rows of two columns: 10 ms against 54 ms). The names enter as JSON string
 * literals, as computed keys (so that even "__proto__" is an own property).
 */
function recordBuilder(names: string[]): (values: unknown[][], rows: number) => Record<string, unknown>[] {
  const fields = names.map((n, j) => `[${JSON.stringify(n)}]: v[${j}][i]`).join(", ");
  return new Function("v", "rows", `const out = new Array(rows); for (let i = 0; i < rows; i++) out[i] = { ${fields} }; return out;`) as any;
}

/** `frame` (of `source`'s kind) with `columns` added on the right. */
export function withColumns(source: Source, columns: OutColumn[]): any {
  const frame = source.frame;
  switch (source.kind) {
    case "polars":
      return frame.hstack(buildFrame(columns, "polars"));
    case "arrow":
      return frame.assign(buildFrame(columns, "arrow"));
    case "danfo": {
      let out = frame;
      for (const c of columns) out = out.addColumn(c.name, jsValues(c, source.height), { inplace: false });
      return out;
    }
    default: {
      const values = columns.map((c) => jsValues(c, source.height));
      return (frame as Record<string, unknown>[]).map((row, i) => {
        const r = { ...row };
        columns.forEach((c, j) => (r[c.name] = values[j][i]));
        return r;
      });
    }
  }
}

/** The rows of `frame` (of `source`'s kind) where `keep[row]` is 1. */
export function takeRows(source: Source, keep: Uint8Array): any {
  const frame = source.frame;
  const rows: number[] = [];
  keep.forEach((k, i) => k && rows.push(i));
  switch (source.kind) {
    case "polars": {
      const pl = require("nodejs-polars");
      return frame.filter(pl.Series("keep", keep).cast(pl.Bool));
    }
    case "danfo":
      return frame.iloc({ rows }).resetIndex();
    case "arrow": {
      const arrow = require("apache-arrow");
      const cols: Record<string, unknown[]> = {};
      for (const f of frame.schema.fields) {
        const v = frame.getChild(f.name);
        cols[f.name] = rows.map((r) => v.get(r));
      }
      return arrow.tableFromJSON(rows.map((_, i) => Object.fromEntries(Object.entries(cols).map(([k, v]) => [k, v[i]]))));
    }
    default:
      return rows.map((r) => (frame as unknown[])[r]);
  }
}

const remembered = new WeakMap<object, unknown>();

/** Attaches native-side facts (e.g. a transaction count) to a result, without touching it. */
export function remember<T>(result: object, meta: T): void {
  remembered.set(result, meta);
}

/** What {@link remember} attached to `result`, if anything. */
export function recall<T>(result: unknown): T | undefined {
  return typeof result === "object" && result !== null ? (remembered.get(result) as T | undefined) : undefined;
}
