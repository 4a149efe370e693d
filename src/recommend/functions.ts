/**
 * Free functions over fitted factor models (SPEC M10–M12): similar items, cross-sell
 * potential, potential tiers of batch recommendations, and factor export for vector databases.
 * @module
 */
import { RusketError, check } from "../errors";
import { native } from "../native";
import { buildFrame, outputKind, withColumns } from "../data/output";
import { toSource } from "../data/source";
import type { FormatOption, Label, Matrix } from "../types";
import type { FactorModel } from "./model";

/**
 * Items most similar to `itemId` (cosine of the factors) — the same as `model.similarItems`.
 * @example
 * ```ts
 * const { items, similarities } = rk.similarItems(model, 102, { n: 5 });
 * ```
 */
export function similarItems(model: FactorModel, itemId: Label, o: { n?: number } = {}) {
  return model.similarItems(itemId, o);
}

/** Options of {@link scorePotential}. */
export interface PotentialOptions {
  /** The items to score (default: every item of the model). */
  targetItems?: Label[];
  /** Alias of `targetItems`, as in the seeds. */
  targetCategories?: Label[];
}

/**
 * How strongly each user is primed to buy each target item: a `Matrix` users × targets of
 * scores, `-Infinity` where the user already has the item. `userHistory` is an array whose
 * entry i lists the items of the model's i-th user (`model.userLabels[i]`), or a `Map` /
 * object from user label to items.
 *
 * @example
 * ```ts
 * const scores = rk.scorePotential([[0, 1, 5], [1, 3], [0]], model, { targetItems: [2, 4, 6] });
 * ```
 */
export function scorePotential(userHistory: Label[][] | Map<Label, Label[]> | Record<string, Label[]>, model: FactorModel, o: PotentialOptions = {}): Matrix {
  const U = model.userFactors, V = model.itemFactors;
  const entries: [number, Label[]][] = Array.isArray(userHistory)
    ? userHistory.map((items, i) => {
        check(i < U.rows, `userHistory has ${userHistory.length} users but the model has ${U.rows}`);
        return [i, items];
      })
    : [...(userHistory instanceof Map ? userHistory.entries() : Object.entries(userHistory))].map(([u, items]) => [model.userRow(u as Label), items as Label[]]);
  check(entries.length > 0, "userHistory is empty", "EMPTY_INPUT");
  const targets = o.targetItems ?? o.targetCategories;
  const targetRows = targets === undefined ? Uint32Array.from(V.rows ? Array.from({ length: V.rows }, (_, i) => i) : []) : Uint32Array.from(targets, (t) => model.itemRow(t));
  const users = new Float32Array(entries.length * U.cols);
  const indptr = new Float64Array(entries.length + 1);
  const indices: number[] = [];
  entries.forEach(([row, items], i) => {
    users.set(U.data.subarray(row * U.cols, (row + 1) * U.cols), i * U.cols);
    if (!Array.isArray(items)) throw new RusketError("INVALID_ARGUMENT", `the history of user ${i} must be an array of items`);
    const known = [...new Set(items.map((it) => model.itemRow(it)))].sort((a, b) => a - b);
    indices.push(...known);
    indptr[i + 1] = indices.length;
  });
  const history = { indptr, indices: Uint32Array.from(indices), data: new Float32Array(indices.length).fill(1), nRows: entries.length, nCols: V.rows };
  const data = native("scorePotential", users, V.data, U.cols, history, targetRows, 0);
  return { data, rows: entries.length, cols: targetRows.length };
}

/** Options of {@link potentialTiers}. */
export interface TierOptions {
  /** Rank within each item (default) or over all rows. */
  by?: "item" | "all";
  /** Percent-rank cut points: ≤ cuts[0] "High", ≤ cuts[1] "Medium", else "Low" (default [0.2, 0.6]). */
  cuts?: [number, number];
  /** The score column (default "score"). */
  scoreCol?: string;
  /** The item column (default "itemId"). */
  itemCol?: string;
}

/**
 * Adds `percentRank` (Spark's `percent_rank` over score descending: (rank − 1)/(n − 1), ties
 * share the lower rank) and `potential` ("High" / "Medium" / "Low") to batch recommendations,
 * as seed 002's Potential Clustering.
 *
 * @example
 * ```ts
 * const tiers = rk.potentialTiers(model.batchRecommend({ n: 10 }), { by: "item", cuts: [0.2, 0.6] });
 * ```
 */
export function potentialTiers(recs: unknown, o: TierOptions = {}): any {
  const [high, medium] = o.cuts ?? [0.2, 0.6];
  check(typeof high === "number" && typeof medium === "number" && 0 <= high && high <= medium && medium <= 1,
    `cuts must be two numbers 0 ≤ a ≤ b ≤ 1, got ${JSON.stringify(o.cuts)}`);
  const by = o.by ?? "item";
  check(by === "item" || by === "all", `by must be "item" or "all", got ${JSON.stringify(o.by)}`);
  const source = toSource(recs, "recs");
  const score = source.numbers(o.scoreCol ?? "score");
  const group = by === "item" ? source.keys([o.itemCol ?? "itemId"])[0].codes : new Uint32Array(score.length);
  const rows = new Map<number, number[]>();
  group.forEach((g, i) => (rows.get(g) ?? rows.set(g, []).get(g)!).push(i));
  const percentRank = new Float64Array(score.length);
  for (const members of rows.values()) {
    members.sort((a, b) => score[b] - score[a]);
    let rank = 1;
    members.forEach((row, j) => {
      if (j > 0 && score[row] !== score[members[j - 1]]) rank = j + 1;
      percentRank[row] = members.length > 1 ? (rank - 1) / (members.length - 1) : 0;
    });
  }
  const potential = Array.from(percentRank, (p) => (p <= high ? "High" : p <= medium ? "Medium" : "Low"));
  return withColumns(source, [
    { name: "percentRank", type: "f64", values: percentRank },
    { name: "potential", type: "utf8", values: potential },
  ]);
}

/** Options of {@link exportItemFactors} and {@link exportUserFactors}. */
export interface ExportOptions extends FormatOption {
  /** L2-normalise each vector (for cosine search). */
  normalize?: boolean;
}

function exportFactors(m: Matrix, labels: Label[], o: ExportOptions, kind: ReturnType<typeof outputKind>) {
  let values = m.data;
  if (o.normalize) {
    values = Float32Array.from(m.data);
    for (let r = 0; r < m.rows; r++) {
      const row = values.subarray(r * m.cols, (r + 1) * m.cols);
      const norm = Math.hypot(...row);
      if (norm > 0) row.forEach((x, j) => (row[j] = x / norm));
    }
  }
  return buildFrame([
    { name: "id", type: "label", codes: Uint32Array.from(labels, (_, i) => i), labels },
    { name: "vector", type: "vector", values, dim: m.cols },
  ], kind);
}

/**
 * Item factors as a frame `[id, vector]` (vector: list<f32>), ready for a vector database.
 * @example
 * ```ts
 * const vectors = rk.exportItemFactors(model, { normalize: true, format: "records" });
 * await db.createTable("items", vectors);
 * ```
 */
export function exportItemFactors(model: FactorModel, o: ExportOptions = {}): any {
  return exportFactors(model.itemFactors, model.itemLabels, o, outputKind({ kind: model.outputKindHint() }, o.format));
}

/**
 * User factors as a frame `[id, vector]`.
 * @example
 * ```ts
 * const vectors = rk.exportUserFactors(model, { format: "arrow" });
 * ```
 */
export function exportUserFactors(model: FactorModel, o: ExportOptions = {}): any {
  return exportFactors(model.userFactors, model.userLabels, o, outputKind({ kind: model.outputKindHint() }, o.format));
}
