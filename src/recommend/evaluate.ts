/**
 * Offline evaluation (SPEC M13): split interactions into train and test, then measure ranking
 * quality at k on the test interactions, training items excluded.
 * @module
 */
import { RusketError, check } from "../errors";
import { native } from "../native";
import { takeRows } from "../data/output";
import { toSource } from "../data/source";

import type { FactorModel } from "./model";
import { userColumn } from "./interactions";

/** Options of {@link trainTestSplit}. */
export interface SplitOptions {
  /** The user column (`transactionCol` is an alias). */
  userCol?: string;
  /** Alias of `userCol`. */
  transactionCol?: string;
  /** The item column. */
  itemCol: string;
  /** Share of each user's interactions held out (default 0.2). */
  testFraction?: number;
  /** Seed of the random choices (default 42). */
  seed?: number;
  /** `"random"` (default), `"chronological"` (each user's latest), `"leaveOneOut"` (one per user). */
  strategy?: "random" | "chronological" | "leaveOneOut";
  /** The time column, for "chronological" (and "leaveOneOut", where it picks the latest). */
  timeCol?: string;
}

/** A small seeded generator (mulberry32): same seed, same split. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Splits interactions into `{ train, test }` frames of the input's kind. Every user keeps at
 * least one training interaction; users with a single interaction stay in train.
 *
 * @example
 * ```ts
 * const { train, test } = rk.trainTestSplit(ratings, { userCol: "userId", itemCol: "movieId", testFraction: 0.2, seed: 42 });
 * ```
 */
export function trainTestSplit(data: unknown, o: SplitOptions): { train: any; test: any } {
  const userCol = userColumn(o);
  check(userCol !== undefined && typeof o.itemCol === "string", "trainTestSplit needs userCol (or transactionCol) and itemCol");
  const fraction = o.testFraction ?? 0.2;
  check(typeof fraction === "number" && fraction > 0 && fraction < 1, `testFraction must be between 0 and 1, got ${String(o.testFraction)}`);
  const strategy = o.strategy ?? "random";
  check(["random", "chronological", "leaveOneOut"].includes(strategy), `strategy must be "random", "chronological" or "leaveOneOut", got ${JSON.stringify(o.strategy)}`);
  check(strategy !== "chronological" || typeof o.timeCol === "string", 'strategy "chronological" needs timeCol');
  const source = toSource(data);
  // The item column must exist and hold no nulls.
  const users = source.keys([userCol!, o.itemCol])[0].codes;
  const time = o.timeCol !== undefined ? source.numbers(o.timeCol) : undefined;
  const rand = random(o.seed ?? 42);
  const byUser = new Map<number, number[]>();
  users.forEach((u, row) => (byUser.get(u) ?? byUser.set(u, []).get(u)!).push(row));
  const test = new Uint8Array(source.height);
  for (const rows of byUser.values()) {
    if (rows.length < 2) continue;
    if (strategy === "random") {
      for (const r of rows) if (rand() < fraction) test[r] = 1;
      if (rows.every((r) => test[r])) test[rows[Math.floor(rand() * rows.length)]] = 0;
    } else {
      // Latest first by time (ties: later rows first); without a time column, a random order.
      const order = time ? [...rows].sort((a, b) => time[b] - time[a] || b - a) : [...rows].sort(() => rand() - 0.5);
      const held = strategy === "leaveOneOut" ? 1 : Math.min(rows.length - 1, Math.max(1, Math.round(fraction * rows.length)));
      for (const r of order.slice(0, held)) test[r] = 1;
    }
  }
  return { train: takeRows(source, test.map((t) => 1 - t)), test: takeRows(source, test) };
}

/** The metrics {@link evaluate} computes. */
export type RankingMetric = "precision" | "recall" | "ndcg" | "map" | "hitRate";

/** Options of {@link evaluate}. */
export interface EvaluateOptions {
  /** Cut-off (default 10). */
  k?: number;
  /** Which metrics (default all five). */
  metrics?: RankingMetric[];
  /** The test frame's user column (default "userId"). */
  userCol?: string;
  /** The test frame's item column (default "itemId"). */
  itemCol?: string;
}

/**
 * Ranking quality at k, averaged over the test users the model knows: precision@k = hits / k;
 * recall@k = hits / |test items|; ndcg@k with binary gains; map@k = Σ precision at each hit /
 * min(k, |test items|); hitRate = share of users with at least one hit. Training items are
 * excluded from the recommendations.
 *
 * @example
 * ```ts
 * const m = rk.evaluate(model, test, { k: 10, userCol: "userId", itemCol: "movieId" });
 * console.log(m.precision, m.ndcg);
 * ```
 */
export function evaluate(model: FactorModel, test: unknown, o: EvaluateOptions = {}): Record<RankingMetric, number> & { users: number } {
  const k = o.k ?? 10;
  check(Number.isInteger(k) && k >= 1, `k must be a whole number ≥ 1, got ${String(o.k)}`);
  const metrics = o.metrics ?? ["precision", "recall", "ndcg", "map", "hitRate"];
  for (const m of metrics) if (!["precision", "recall", "ndcg", "map", "hitRate"].includes(m)) throw new RusketError("INVALID_ARGUMENT", `unknown metric ${JSON.stringify(m)}`);
  const source = toSource(test, "test");
  const [userKey, items] = source.keys([o.userCol ?? "userId", o.itemCol ?? "itemId"]);
  const users = { codes: userKey.codes, labels: userKey.labels() }, itemLabels = items.labels();
  const truth = new Map<number, Set<number>>();
  users.codes.forEach((u, row) => {
    let urow: number, irow: number;
    try { urow = model.userRow(users.labels[u]); irow = model.itemRow(itemLabels[items.codes[row]]); } catch { return; }
    (truth.get(urow) ?? truth.set(urow, new Set()).get(urow)!).add(irow);
  });
  const evalUsers = Uint32Array.from(truth.keys());
  const totals = { precision: 0, recall: 0, ndcg: 0, map: 0, hitRate: 0 };
  if (evalUsers.length > 0) {
    const U = model.userFactors, V = model.itemFactors;
    const r = native("topK", U.data, V.data, U.cols, evalUsers, k, model.seenMatrix(), undefined, 0);
    const width = r.items.length / evalUsers.length;
    evalUsers.forEach((u, i) => {
      const relevant = truth.get(u)!;
      let hits = 0, dcg = 0, ap = 0;
      for (let j = 0; j < Math.min(width, k); j++) {
        if (relevant.has(r.items[i * width + j])) {
          hits++;
          dcg += 1 / Math.log2(j + 2);
          ap += hits / (j + 1);
        }
      }
      let idcg = 0;
      for (let j = 0; j < Math.min(k, relevant.size); j++) idcg += 1 / Math.log2(j + 2);
      totals.precision += hits / k;
      totals.recall += hits / relevant.size;
      totals.ndcg += dcg / idcg;
      totals.map += ap / Math.min(k, relevant.size);
      totals.hitRate += hits > 0 ? 1 : 0;
    });
  }
  const out = { users: evalUsers.length } as Record<RankingMetric, number> & { users: number };
  for (const m of metrics) out[m] = evalUsers.length ? totals[m] / evalUsers.length : NaN;
  return out;
}


