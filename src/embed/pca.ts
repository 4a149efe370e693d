/**
 * Principal component analysis computed natively (SPEC M15), with scikit-learn's semantics:
 * components of unit length by decreasing variance, `explainedVariance` with `ddof = 1`,
 * `explainedVarianceRatio` of the total variance, and each component's entry of largest
 * absolute value positive (scikit-learn ≥ 1.5's sign rule).
 * @module
 */
import { RusketError, check } from "../errors";
import { native } from "../native";
import { threadCount } from "../mining/support";
import type { Matrix } from "../types";

/**
 * How {@link PCA} computes its components: `"full"` diagonalises the covariance matrix
 * (exact; scikit-learn's `covariance_eigh`), `"randomized"` uses a randomized range finder
 * (Halko et al., for wide data and few components), `"auto"` picks `"full"` when there are at
 * most 500 columns or `nComponents ≥ 0.8 · min(rows, cols)`, else `"randomized"`.
 *
 * @example
 * ```ts
 * const pca = new rk.PCA({ nComponents: 10, solver: "randomized" }); // 1,536-d embeddings
 * ```
 */
export type PcaSolver = "auto" | "full" | "randomized";

/**
 * Options of {@link PCA}.
 *
 * @example
 * ```ts
 * const o: rk.PcaOptions = { nComponents: 3, solver: "auto", seed: 42, threads: 2 };
 * ```
 */
export interface PcaOptions {
  /** Components to keep: a whole number in `1..min(rows, cols)`. */
  nComponents: number;
  /** Default `"auto"`. */
  solver?: PcaSolver;
  /** Seed of the randomized solver (default 0): the same seed gives the same result. */
  seed?: number;
  /** Native threads (default: all cores). */
  threads?: number;
}

/** A matrix as the native side takes it: f64 for `number[][]`, the Matrix's own f32 otherwise. */
interface NativeMatrix {
  data: Float32Array | Float64Array;
  rows: number;
  cols: number;
}

interface Fitted {
  components: Float64Array;
  explainedVariance: Float64Array;
  explainedVarianceRatio: Float64Array;
  singularValues: Float64Array;
  mean: Float64Array;
  solver: 1 | 2;
}

const SOLVER_CODES: Record<PcaSolver, number> = { auto: 0, full: 1, randomized: 2 };

/** True for a `{ data, rows, cols }` matrix (as opposed to `number[][]`). */
export function isMatrix(x: unknown): x is Matrix {
  return !!x && typeof x === "object" && !Array.isArray(x) && "data" in x && "rows" in x && "cols" in x;
}

/** Reads `number[][]` or a {@link Matrix} without copying a Matrix's data. */
export function toNativeMatrix(x: number[][] | Matrix, what = "X"): NativeMatrix {
  if (isMatrix(x)) {
    const { rows, cols } = x;
    const data = x.data as Float32Array | Float64Array;
    check(data instanceof Float32Array || data instanceof Float64Array, `${what}.data must be a Float32Array`);
    check(Number.isInteger(rows) && Number.isInteger(cols) && rows >= 0 && cols >= 0,
      `${what}.rows and ${what}.cols must be whole numbers, got ${rows} × ${cols}`);
    check(rows * cols === data.length, `${what}.data has ${data.length} values, but rows × cols = ${rows} × ${cols}`);
    check(rows > 0 && cols > 0, `${what} is empty (${rows} × ${cols})`, "EMPTY_INPUT");
    return { data, rows, cols };
  }
  if (!Array.isArray(x)) throw new RusketError("INVALID_ARGUMENT", `${what} must be number[][] or a { data, rows, cols } matrix`);
  check(x.length > 0 && Array.isArray(x[0]) && x[0].length > 0, `${what} is empty`, "EMPTY_INPUT");
  const rows = x.length, cols = x[0].length;
  const data = new Float64Array(rows * cols);
  x.forEach((row, r) => {
    if (!Array.isArray(row) || row.length !== cols)
      throw new RusketError("INVALID_ARGUMENT", `${what}[${r}] has ${Array.isArray(row) ? row.length : "no"} values; every row needs ${cols}`);
    for (let j = 0; j < cols; j++) {
      const v = row[j];
      if (typeof v !== "number") throw new RusketError("INVALID_FORMAT", `${what}[${r}][${j}] is not a number: ${JSON.stringify(v)}`);
      data[r * cols + j] = v;
    }
  });
  return { data, rows, cols };
}

/** Splits a row-major array into rows of `cols` plain numbers. */
function rowsOf(values: ArrayLike<number>, cols: number): number[][] {
  return Array.from({ length: values.length / cols }, (_, r) => Array.from({ length: cols }, (_, j) => values[r * cols + j]));
}

/**
 * Principal component analysis, fitted natively in f64 (the covariance matrix and its
 * eigendecomposition, or a randomized range finder for wide data). Input is `number[][]` (one
 * array per row) or a row-major {@link Matrix}; `transform` answers in the same form.
 *
 * @example
 * ```ts
 * const pca = new rk.PCA({ nComponents: 2 });
 * const scores = pca.fitTransform([[1, 2, 3], [2, 4, 7], [3, 7, 8], [4, 8, 12]]); // number[][]: 4 rows × 2
 * console.log(pca.explainedVarianceRatio, pca.components);
 * const m = { data: new Float32Array(1000 * 64).map(Math.random), rows: 1000, cols: 64 };
 * const coords = new rk.PCA({ nComponents: 3 }).fitTransform(m);             // Matrix: 1000 × 3
 * ```
 */
export class PCA {
  /** Components the fit keeps. */
  readonly nComponents: number;
  /** The solver asked for. */
  readonly solver: PcaSolver;
  readonly #seed: number;
  readonly #threads: number;
  #fitted?: Fitted;

  constructor(o: PcaOptions) {
    if (o === null || typeof o !== "object") throw new RusketError("INVALID_ARGUMENT", "options with nComponents are required");
    check(Number.isInteger(o.nComponents) && o.nComponents >= 1, `nComponents must be a whole number >= 1, got ${String(o.nComponents)}`);
    const solver = o.solver ?? "auto";
    check(solver in SOLVER_CODES, `solver must be "auto", "full" or "randomized", got ${JSON.stringify(o.solver)}`);
    const seed = o.seed ?? 0;
    check(Number.isSafeInteger(seed) && seed >= 0, `seed must be a whole number >= 0, got ${String(o.seed)}`);
    this.nComponents = o.nComponents;
    this.solver = solver;
    this.#seed = seed;
    this.#threads = threadCount(o.threads);
  }

  #state(): Fitted {
    if (!this.#fitted) throw new RusketError("NOT_FITTED", "this PCA is not fitted yet: call fit(X) first");
    return this.#fitted;
  }

  /** Number of columns of the training data. */
  get nFeatures(): number {
    return this.#state().mean.length;
  }

  /** The principal axes: `nComponents` rows of `nFeatures` numbers, unit length, by decreasing variance. */
  get components(): number[][] {
    const s = this.#state();
    return rowsOf(s.components, s.mean.length);
  }

  /** Variance of the training data along each component (`ddof = 1`). */
  get explainedVariance(): number[] {
    return Array.from(this.#state().explainedVariance);
  }

  /** Share of the total variance along each component (0 for data without any variance). */
  get explainedVarianceRatio(): number[] {
    return Array.from(this.#state().explainedVarianceRatio);
  }

  /** Singular values of the centred training data: `sqrt(explainedVariance · (rows − 1))`. */
  get singularValues(): number[] {
    return Array.from(this.#state().singularValues);
  }

  /** Column means of the training data. */
  get mean(): number[] {
    return Array.from(this.#state().mean);
  }

  /** The solver that ran (`"auto"` resolved). */
  get fittedSolver(): "full" | "randomized" {
    return this.#state().solver === 1 ? "full" : "randomized";
  }

  /** Fits the components to the rows of `X`; returns this PCA. */
  fit(X: number[][] | Matrix): this {
    const x = toNativeMatrix(X);
    check(this.nComponents <= Math.min(x.rows, x.cols),
      `nComponents = ${this.nComponents} exceeds min(rows, cols) = ${Math.min(x.rows, x.cols)} for ${x.rows} × ${x.cols} data`);
    this.#fitted = native("pcaFit", x, {
      nComponents: this.nComponents, solver: SOLVER_CODES[this.solver], seed: this.#seed, threads: this.#threads,
    }) as Fitted;
    return this;
  }

  /** The rows of `X` projected on the components: `(X − mean)·componentsᵀ`, `rows × nComponents`. */
  transform(X: Matrix): Matrix;
  transform(X: number[][]): number[][];
  transform(X: number[][] | Matrix): number[][] | Matrix;
  transform(X: number[][] | Matrix): number[][] | Matrix {
    const s = this.#state();
    const x = toNativeMatrix(X);
    check(x.cols === s.mean.length, `X has ${x.cols} columns, but this PCA was fitted on ${s.mean.length}`);
    const scores: Float32Array | Float64Array = native("pcaTransform", x, s.mean, s.components, this.#threads);
    const k = s.explainedVariance.length;
    if (isMatrix(X)) return { data: scores instanceof Float32Array ? scores : Float32Array.from(scores), rows: x.rows, cols: k };
    return rowsOf(scores, k);
  }

  /** `fit(X)` then `transform(X)`. */
  fitTransform(X: Matrix): Matrix;
  fitTransform(X: number[][]): number[][];
  fitTransform(X: number[][] | Matrix): number[][] | Matrix;
  fitTransform(X: number[][] | Matrix): number[][] | Matrix {
    return this.fit(X).transform(X);
  }
}
