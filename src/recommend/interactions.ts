/**
 * Interactions in: a frame (user, item, rating?), a CSR matrix or a {@link DiskMatrix} → the native layout, with the
 * user and item labels (sorted).
 * @internal
 * @module
 */
import { RusketError, check } from "../errors";
import type { Interactions } from "../native";
import { sortedCodes, toSource, type SourceKind } from "../data/source";
import type { Csr, Label } from "../types";
import { DiskMatrix } from "./disk";

/** Where the interactions are in a frame. */
export interface InteractionColumns {
  /** The user column (`transactionCol` is an alias, as in the seeds). */
  userCol?: string;
  /** Alias of `userCol`. */
  transactionCol?: string;
  /** The item column. */
  itemCol?: string;
  /** A weight per interaction (purchases, revenue, plays); 1 when absent. Duplicates are summed. */
  ratingCol?: string;
}

export interface ReadInteractions {
  matrix: Interactions;
  userLabels: Label[];
  itemLabels: Label[];
  kind: SourceKind;
}

function isCsr(x: any): x is Csr {
  return !!x && (x.indptr instanceof Int32Array || x.indptr instanceof Float64Array || x.indptr instanceof Uint32Array)
    && (x.indices instanceof Int32Array || x.indices instanceof Uint32Array) && Array.isArray(x.shape);
}

/** The user column named by `userCol` or `transactionCol`. */
export function userColumn(o: InteractionColumns): string | undefined {
  if (o.userCol !== undefined && o.transactionCol !== undefined && o.userCol !== o.transactionCol)
    throw new RusketError("INVALID_ARGUMENT", `give userCol or transactionCol, not both ("${o.userCol}" vs "${o.transactionCol}")`);
  return o.userCol ?? o.transactionCol;
}

export function readInteractions(data: unknown, o: InteractionColumns = {}): ReadInteractions {
  if (data instanceof DiskMatrix) {
    return {
      matrix: DiskMatrix.describe(data),
      userLabels: Array.from({ length: data.nUsers }, (_, i) => i),
      itemLabels: Array.from({ length: data.nItems }, (_, i) => i),
      kind: "records",
    };
  }
  if (isCsr(data)) {
    const [nRows, nCols] = data.shape;
    check(Number.isInteger(nRows) && Number.isInteger(nCols) && nRows > 0 && nCols > 0, `shape must be two whole numbers > 0, got ${JSON.stringify(data.shape)}`, "INVALID_FORMAT");
    const indices = new Uint32Array(data.indices.buffer, data.indices.byteOffset, data.indices.length);
    if (data.indices instanceof Int32Array && data.indices.some((v) => v < 0))
      throw new RusketError("INVALID_FORMAT", "CSR indices must be ≥ 0");
    return {
      matrix: { indptr: Float64Array.from(data.indptr), indices, data: data.data ?? new Float32Array(indices.length).fill(1), nRows, nCols },
      userLabels: Array.from({ length: nRows }, (_, i) => i),
      itemLabels: Array.from({ length: nCols }, (_, i) => i),
      kind: "records",
    };
  }
  const userCol = userColumn(o);
  if (userCol === undefined || o.itemCol === undefined)
    throw new RusketError("INVALID_ARGUMENT", "interactions need userCol (or transactionCol) and itemCol, or a CSR matrix");
  const source = toSource(data);
  const [users, items] = source.keys([userCol, o.itemCol], [true, true]).map(sortedCodes);
  let vals: Float32Array;
  if (o.ratingCol !== undefined) {
    const r = source.numbers(o.ratingCol);
    if (r.some((x) => !Number.isFinite(x))) throw new RusketError("INVALID_ARGUMENT", `ratings in "${o.ratingCol}" must be finite numbers`);
    vals = Float32Array.from(r);
  } else {
    vals = new Float32Array(source.height).fill(1);
  }
  return {
    matrix: { rows: users.codes, cols: items.codes, vals, nRows: users.labels.length, nCols: items.labels.length },
    userLabels: users.labels,
    itemLabels: items.labels,
    kind: source.kind,
  };
}
