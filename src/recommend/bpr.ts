/**
 * Bayesian Personalised Ranking (SPEC M9): Hogwild parallel SGD on sampled (user, positive,
 * negative) triples, negatives verified not to be positives, with an item bias (an extra factor
 * column). With more than one thread the fit is not deterministic (update order varies).
 * @module
 */
import { native, nativeAsync, type Fitted, type Interactions } from "../native";
import { nonNegative, threadCount, whole } from "../mining/support";
import { FactorModel } from "./model";
import type { InteractionColumns } from "./interactions";

/** BPR's parameters. */
export interface BprParams {
  /** Latent factors (default 64; the model stores one more column for the item bias). */
  factors?: number;
  /** SGD step (default 0.01). */
  learningRate?: number;
  /** L2 regularisation (default 0.01). */
  regularization?: number;
  /** Epochs (default 100). */
  iterations?: number;
  /** Seed (default 42); deterministic with `threads: 1`. */
  seed?: number;
  /** Print one line per epoch. */
  verbose?: boolean;
  /** Native threads (default: all cores). */
  threads?: number;
}

/**
 * BPR matrix factorisation for top-n ranking from implicit feedback.
 *
 * @example
 * ```ts
 * const model = new rk.BPR({ factors: 64, learningRate: 0.01, iterations: 100, seed: 42 }).fit(csr);
 * const { items } = model.recommendItems(10, { n: 5 });
 * ```
 */
export class BPR extends FactorModel {
  readonly kind = "bpr";
  private readonly o: Required<Omit<BprParams, "threads">>;

  constructor(params: BprParams = {}) {
    super();
    const p = { factors: 64, learningRate: 0.01, regularization: 0.01, iterations: 100, seed: 42, verbose: false, ...params };
    whole(p.factors, "factors", 1); whole(p.iterations, "iterations", 0); whole(p.seed, "seed", 0);
    nonNegative(p.learningRate, "learningRate"); nonNegative(p.regularization, "regularization");
    this.o = { factors: p.factors, learningRate: p.learningRate, regularization: p.regularization, iterations: p.iterations, seed: p.seed, verbose: !!p.verbose };
    this.threads = threadCount(params.threads);
  }

  /** @internal */
  params(): Record<string, unknown> { return { ...this.o }; }

  /** @internal */
  protected get verbose(): boolean { return this.o.verbose; }

  /** @internal */
  protected fitNative(m: Interactions, async: boolean): Fitted | Promise<Fitted> {
    const args = { ...this.o, threads: this.threads };
    return async ? nativeAsync("bprFit", m, args) : native("bprFit", m, args);
  }

  /** @internal Least-squares fold-in against the item factors (bias column included). */
  protected foldIn(items: Uint32Array, weights: Float32Array): Float32Array {
    const s = this.fitted();
    return native("userVector", s.user, s.item, s.width, items, weights, this.o.regularization, 1);
  }

  /**
   * Fits a model in one call.
   * @example
   * ```ts
   * const model = rk.BPR.fromTransactions(df, { userCol: "user", itemCol: "item", iterations: 50 });
   * ```
   */
  static fromTransactions(data: unknown, o: InteractionColumns & BprParams): BPR {
    const { userCol, transactionCol, itemCol, ratingCol, ...params } = o;
    return new BPR(params).fit(data, { userCol, transactionCol, itemCol, ratingCol });
  }

  /** Reads a model written by {@link BPR.save}. */
  static load(path: string): BPR {
    return FactorModel.restore(path, "bpr", (params) => new BPR(params as BprParams));
  }
}
