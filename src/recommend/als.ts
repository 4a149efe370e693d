/**
 * Implicit-feedback ALS (SPEC M7): confidence 1 + α·r, conjugate-gradient solves warm-started
 * from the previous factors (or exact Cholesky), users and items in parallel on all cores.
 * @module
 */
import { RusketError } from "../errors";
import { native, nativeAsync, type Fitted, type Interactions } from "../native";
import { nonNegative, threadCount, whole } from "../mining/support";
import { FactorModel } from "./model";
import type { InteractionColumns } from "./interactions";

/** ALS's parameters. */
export interface AlsParams {
  /** Latent factors per user and item (default 64). */
  factors?: number;
  /** Alternating sweeps (default 15). */
  iterations?: number;
  /** L2 regularisation λ (default 0.01). */
  regularization?: number;
  /** Confidence 1 + alpha · r (default 40). */
  alpha?: number;
  /** Conjugate-gradient steps per solve (default 3). */
  cgIters?: number;
  /** `"cg"` (default) or `"cholesky"` (exact). */
  solver?: "cg" | "cholesky";
  /** Seed of the initial factors (default 42). Same seed + threads → identical factors. */
  seed?: number;
  /** Print one line per iteration (time and loss). */
  verbose?: boolean;
  /** Native threads (default: all cores). */
  threads?: number;
}

/**
 * Alternating least squares for implicit feedback.
 *
 * @example
 * ```ts
 * const model = new rk.ALS({ factors: 64, iterations: 15, alpha: 40 }).fit(purchases, { userCol: "customer_id", itemCol: "sku" });
 * const { items, scores } = model.recommendItems(1002, { n: 5 });
 * ```
 */
export class ALS extends FactorModel {
  readonly kind = "als";
  private readonly o: Required<Omit<AlsParams, "threads">>;

  constructor(params: AlsParams = {}) {
    super();
    const p = { factors: 64, iterations: 15, regularization: 0.01, alpha: 40, cgIters: 3, solver: "cg" as const, seed: 42, verbose: false, ...params };
    whole(p.factors, "factors", 1); whole(p.iterations, "iterations", 0); whole(p.cgIters, "cgIters", 1); whole(p.seed, "seed", 0);
    nonNegative(p.regularization, "regularization"); nonNegative(p.alpha, "alpha");
    if (p.solver !== "cg" && p.solver !== "cholesky") throw new RusketError("INVALID_ARGUMENT", `solver must be "cg" or "cholesky", got ${JSON.stringify(p.solver)}`);
    this.o = { factors: p.factors, iterations: p.iterations, regularization: p.regularization, alpha: p.alpha, cgIters: p.cgIters, solver: p.solver, seed: p.seed, verbose: !!p.verbose };
    this.threads = threadCount(params.threads);
  }

  /** @internal */
  params(): Record<string, unknown> { return { ...this.o }; }

  /** @internal */
  protected get verbose(): boolean { return this.o.verbose; }

  /** @internal */
  protected fitNative(m: Interactions, async: boolean): Fitted | Promise<Fitted> {
    const args = { ...this.o, cholesky: this.o.solver === "cholesky", threads: this.threads };
    return async ? nativeAsync("alsFit", m, args) : native("alsFit", m, args);
  }

  /** @internal */
  protected foldIn(items: Uint32Array, weights: Float32Array): Float32Array {
    const s = this.fitted();
    // The Gram matrix of the item factors, once per fit (the fold-in's largest cost).
    if (this.gram?.item !== s.item) this.gram = { item: s.item, gram: native("itemGram", s.user, s.item, s.width) };
    return native("userVector", s.user, s.item, s.width, items, weights, this.o.regularization, this.o.alpha, this.gram.gram);
  }
  private gram?: { item: Float32Array; gram: Float32Array };

  /**
   * Fits a model in one call: the interactions' columns and ALS's parameters together.
   * @example
   * ```ts
   * const model = rk.ALS.fromTransactions(purchases, { transactionCol: "customer_id", itemCol: "sku", ratingCol: "revenue", factors: 64 });
   * ```
   */
  static fromTransactions(data: unknown, o: InteractionColumns & AlsParams): ALS {
    const { userCol, transactionCol, itemCol, ratingCol, ...params } = o;
    return new ALS(params).fit(data, { userCol, transactionCol, itemCol, ratingCol });
  }


  /** Reads a model written by {@link ALS.save}. */
  static load(path: string): ALS {
    return FactorModel.restore(path, "als", (params) => new ALS(params as AlsParams));
  }
}
