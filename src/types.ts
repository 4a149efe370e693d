/**
 * Types shared by every part of rusket.
 * @module
 */

/** A user's or an item's own label: a string or a number. */
export type Label = string | number;

/** The kind of frame a result is built as. */
export type OutputFormat = "polars" | "danfo" | "arrow" | "records";

/**
 * A dense row-major matrix (factors, scores, PCA input and output).
 * @example
 * ```ts
 * const m: rk.Matrix = { data: new Float32Array([1, 2, 3, 4]), rows: 2, cols: 2 };
 * ```
 */
export interface Matrix {
  data: Float32Array;
  rows: number;
  cols: number;
}

/**
 * A sparse matrix in scipy's CSR layout: row r holds `indices[indptr[r]..indptr[r+1]]`.
 * @example
 * ```ts
 * const m: rk.Csr = { indptr: new Int32Array([0, 2, 3]), indices: new Int32Array([0, 1, 1]), shape: [2, 2] };
 * ```
 */
export interface Csr {
  indptr: Int32Array | Float64Array;
  indices: Int32Array;
  data?: Float32Array;
  shape: [number, number];
}

/** Options every data-taking function accepts for its result. */
export interface FormatOption {
  /** Build the result as this kind instead of the input's kind. */
  format?: OutputFormat;
}
