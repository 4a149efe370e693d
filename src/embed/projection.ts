/**
 * Latent spaces in pictures (SPEC M16; seed 001's *Visualizing Latent Spaces*): rows of a
 * matrix (item or user factors, embeddings) L2-normalised, reduced by {@link PCA} to 2 or 3
 * dimensions, kept with their labels, and plotted as an interactive scatter.
 * @module
 */
import { check } from "../errors";
import type { Label, Matrix } from "../types";
import { Figure, round6, type Trace } from "./figure";
import { PCA, toNativeMatrix, type PcaSolver } from "./pca";

/**
 * Options of {@link project}.
 *
 * @example
 * ```ts
 * rk.project(factors, labels, { nComponents: 2, normalize: false });
 * ```
 */
export interface ProjectOptions {
  /** Dimensions to keep (default 3). */
  nComponents?: number;
  /** Divide each row by its L2 norm first, so that only directions count (default true). */
  normalize?: boolean;
  /** The PCA solver (default `"auto"`). */
  solver?: PcaSolver;
  /** Native threads (default: all cores). */
  threads?: number;
}

/**
 * Options of {@link Projection.plot}.
 *
 * @example
 * ```ts
 * projection.plot({ title: "Items", hover: (label) => descriptions.get(label) ?? String(label), color: categories });
 * ```
 */
export interface ProjectionPlotOptions {
  /** Title of the figure. */
  title?: string;
  /** Hover text per point (default: its label): an array in row order, or a function of the label. */
  hover?: ArrayLike<string> | ((label: Label, row: number) => string);
  /**
   * Color per point: numbers give a color scale, strings one trace (and legend entry) per
   * value; an array in row order, or a function of the label.
   */
  color?: ArrayLike<number | string> | ((label: Label, row: number) => number | string);
  /** Marker size in pixels (default 3 in 3D, 6 in 2D). */
  markerSize?: number;
}

/** A per-point option as one value per row. */
function perPoint<T>(option: ArrayLike<T> | ((label: Label, row: number) => T), labels: Label[], what: string): T[] {
  if (typeof option === "function") return labels.map((l, i) => option(l, i));
  check(option.length === labels.length, `${what} has ${option.length} values for ${labels.length} points`);
  return Array.from(option);
}

/**
 * Rows reduced to a few principal components, with their labels: what {@link project}
 * returns (and `model.pca(k)` for the factor models).
 *
 * @example
 * ```ts
 * const p = rk.project(itemFactors, itemLabels, { nComponents: 3 });
 * p.coords;                         // Matrix: one row of 3 coordinates per label
 * p.pca.explainedVarianceRatio;     // the share of variance each axis keeps
 * p.plot({ title: "Latent item space", hover: descriptions }).show();
 * ```
 */
export class Projection {
  /** One label per row. */
  readonly labels: Label[];
  /** The coordinates: `labels.length × nComponents`, row-major. */
  readonly coords: Matrix;
  /** The fitted PCA (components, explained variance, mean). */
  readonly pca: PCA;

  constructor(labels: Label[], coords: Matrix, pca: PCA) {
    this.labels = labels;
    this.coords = coords;
    this.pca = pca;
  }

  /**
   * An interactive scatter of the first three (or two) components: 3D when the projection
   * has 3 or more, 2D with 2. Axis titles give each component's share of the variance.
   */
  plot(o: ProjectionPlotOptions = {}): Figure {
    const { rows, cols, data } = this.coords;
    check(cols >= 2, `a plot needs 2 or 3 components; this projection has ${cols}`);
    const dims = Math.min(cols, 3);
    const axis = (j: number) => Array.from({ length: rows }, (_, r) => round6(data[r * cols + j]));
    const [x, y, z] = [0, 1, 2].slice(0, dims).map(axis);
    const text = o.hover === undefined ? this.labels.map(String) : perPoint(o.hover, this.labels, "hover");
    const color = o.color === undefined ? undefined : perPoint<number | string>(o.color, this.labels, "color");
    const type = dims === 3 ? "scatter3d" : "scatter";
    const size = o.markerSize ?? (dims === 3 ? 3 : 6);
    const trace = (rowsIn: number[] | undefined, extra: Trace): Trace => {
      const pick = <T>(values: T[]) => (rowsIn ? rowsIn.map((r) => values[r]) : values);
      return {
        type, mode: "markers", x: pick(x), y: pick(y), ...(z ? { z: pick(z) } : {}), text: pick(text),
        hovertemplate: "%{text}<extra></extra>", ...extra,
        marker: { size, opacity: 0.7, ...(extra.marker as object | undefined) },
      };
    };
    let traces: Trace[];
    if (color === undefined) traces = [trace(undefined, {})];
    else if (color.every((c) => typeof c === "number"))
      traces = [trace(undefined, { marker: { color, colorscale: "Viridis", showscale: true } })];
    else {
      // Categories: one trace each, so the legend names them.
      const groups = new Map<string, number[]>();
      color.forEach((c, r) => {
        const key = String(c);
        if (!groups.has(key)) groups.set(key, []);
        groups.get(key)!.push(r);
      });
      traces = [...groups].map(([name, members]) => trace(members, { name }));
    }
    const ratio = this.pca.explainedVarianceRatio;
    const title = (j: number) => ({ title: { text: `PC${j + 1} (${(ratio[j] * 100).toFixed(1)} %)` } });
    const axes = dims === 3
      ? { scene: { xaxis: title(0), yaxis: title(1), zaxis: title(2) } }
      : { xaxis: title(0), yaxis: title(1) };
    return new Figure(traces, {
      title: { text: o.title ?? `PCA of ${rows.toLocaleString("en-US")} points` },
      ...axes, height: dims === 3 ? 650 : 500, margin: { l: 0, r: 0, t: 50, b: 0 }, hovermode: "closest",
    });
  }
}

/**
 * Projects the rows of `matrix` (factors, embeddings) onto their first principal components:
 * rows L2-normalised first (`normalize`, default true; a zero row stays zero), then
 * {@link PCA}. Labels name the rows (default: row numbers).
 *
 * @example
 * ```ts
 * const m = { data: new Float32Array(200 * 16).map(Math.random), rows: 200, cols: 16 };
 * const p = rk.project(m, undefined, { nComponents: 3 });
 * p.plot({ title: "200 random points" }).show();
 * ```
 */
export function project(matrix: Matrix | number[][], labels?: ArrayLike<Label>, o: ProjectOptions = {}): Projection {
  const x = toNativeMatrix(matrix, "matrix");
  const names = labels === undefined ? Array.from({ length: x.rows }, (_, i) => i) : Array.from(labels);
  check(names.length === x.rows, `labels has ${names.length} entries for ${x.rows} rows`);
  const data = x.data instanceof Float32Array ? x.data : Float32Array.from(x.data);
  const rows: Matrix = (o.normalize ?? true) ? normalizeRows(x) : { data, rows: x.rows, cols: x.cols };
  const pca = new PCA({ nComponents: o.nComponents ?? 3, solver: o.solver, threads: o.threads });
  return new Projection(names, pca.fitTransform(rows), pca);
}

/** Each row divided by its L2 norm (norms below 1e-10 count as 1e-10, as seed 001 clips them). */
function normalizeRows({ data, rows, cols }: { data: ArrayLike<number>; rows: number; cols: number }): Matrix {
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    let sum = 0;
    for (let j = 0; j < cols; j++) sum += data[r * cols + j] ** 2;
    const scale = 1 / Math.max(Math.sqrt(sum), 1e-10);
    for (let j = 0; j < cols; j++) out[r * cols + j] = data[r * cols + j] * scale;
  }
  return { data: out, rows, cols };
}
