/**
 * What every fitted factor model offers (SPEC M8, M11): recommendations by label, similar
 * items, fold-in of new users, batch recommendation for all users, factors, save and load.
 * @module
 */
import { RusketError } from "../errors";
import { native, nativeAsync, type Fitted, type Interactions, type QuantizedItems } from "../native";
import { buildFrame, outputKind } from "../data/output";
import type { FormatOption, Label, Matrix, OutputFormat } from "../types";
import { whole } from "../mining/support";
import { readInteractions, type InteractionColumns } from "./interactions";
import { loadModel, saveModel } from "./persist";
import { exportItemFactors, exportUserFactors, type ExportOptions } from "./functions";
import { project, type Projection } from "../embed/projection";

/** Options of {@link FactorModel.recommendItems}. */
export interface RecommendOptions {
  /** How many items (default 10; the whole catalogue at most). */
  n?: number;
  /** Leave out the items the user interacted with in training (default true). */
  excludeSeen?: boolean;
  /** Only recommend among these items. */
  filterItems?: Label[];
}

/** Options of {@link FactorModel.batchRecommend}. */
export interface BatchOptions extends FormatOption {
  /** Items per user (default 10). */
  n?: number;
  /** Leave out training items (default true). */
  excludeSeen?: boolean;
}

/** The state every factor model has once fitted. */
export interface FactorState {
  user: Float32Array;
  item: Float32Array;
  /** Columns of the factor matrices (BPR adds one for the item bias). */
  width: number;
  userLabels: Label[];
  itemLabels: Label[];
  /** The training matrix (users × items, CSR). */
  seen: { indptr: Float64Array; indices: Uint32Array; data: Float32Array };
  loss: Float64Array;
  kind: OutputFormat;
}

function count(n: unknown, what = "n", fallback = 10): number {
  return n === undefined ? fallback : whole(n, what, 1);
}

const PAD = 0xffffffff;

/** Shared machinery of {@link ALS} and {@link BPR}. */
export abstract class FactorModel {
  /** @internal */
  protected state?: FactorState;
  private userIndex?: Map<Label, number>;
  private itemIndex?: Map<Label, number>;
  private quantizedItems?: QuantizedItems;
  /** Native threads (0 = all cores). */
  protected threads = 0;

  /** @internal The native fit of the subclass. */
  protected abstract fitNative(m: Interactions, async: boolean): Fitted | Promise<Fitted>;
  /** The model's kind, stored in saved files. */
  abstract readonly kind: "als" | "bpr";
  /** @internal Parameters saved with the model. */
  abstract params(): Record<string, unknown>;

  /** @internal */
  protected fitted(): FactorState {
    if (!this.state) throw new RusketError("NOT_FITTED", `this ${this.kind.toUpperCase()} model is not fitted yet: call fit(...) first`);
    return this.state;
  }

  /** @internal */
  protected adopt(read: ReturnType<typeof readInteractions>, f: Fitted, start: number): this {
    // The native core prints each iteration live on stderr; a notebook does not show a native
    // stderr, so there the lines are printed (with the losses) once the fit is done.
    if (this.verbose && !process.stderr.isTTY) {
      const seconds = (performance.now() - start) / 1000;
      f.loss.forEach((loss, i) => console.log(`${this.kind.toUpperCase()} iteration ${i + 1}/${f.loss.length}: loss ${loss.toFixed(6)}`));
      console.log(`${this.kind.toUpperCase()} fitted in ${seconds.toFixed(3)} s (${(seconds / Math.max(1, f.loss.length)).toFixed(3)} s per iteration)`);
    }
    const width = f.user.length / read.userLabels.length;
    this.state = {
      user: f.user, item: f.item, width, userLabels: read.userLabels, itemLabels: read.itemLabels,
      seen: { indptr: f.indptr, indices: f.indices, data: f.data }, loss: f.loss, kind: read.kind,
    };
    this.userIndex = this.itemIndex = this.quantizedItems = undefined;
    return this;
  }

  /**
   * Fits the model on interactions: a frame with `userCol` (or `transactionCol`), `itemCol` and an
   * optional `ratingCol`, or a CSR matrix (users × items, labels are row and column numbers).
   * Returns the model, so `new ALS({...}).fit(...)` chains.
   */
  fit(data: unknown, o: InteractionColumns = {}): this {
    const read = readInteractions(data, o);
    const start = performance.now();
    return this.adopt(read, this.fitNative(read.matrix, false) as Fitted, start);
  }

  /** {@link FactorModel.fit} off the main thread. */
  async fitAsync(data: unknown, o: InteractionColumns = {}): Promise<this> {
    const read = readInteractions(data, o);
    const start = performance.now();
    return this.adopt(read, await this.fitNative(read.matrix, true), start);
  }

  /** @internal Whether `verbose` was asked for. */
  protected abstract get verbose(): boolean;

  /**
   * Writes the model to a file (versioned, checksummed); `ALS.load` / `BPR.load` read it back.
   * @example
   * ```ts
   * model.save("model.rusket"); const again = rk.ALS.load("model.rusket");
   * ```
   */
  save(path: string): void {
    saveModel(path, this.kind, this.params(), this.fitted());
  }

  /** @internal Reads a saved model of `kind`, built by `make` from its saved parameters. */
  protected static restore<M extends FactorModel>(path: string, kind: string, make: (params: Record<string, unknown>) => M): M {
    const { header, state } = loadModel(path);
    if (header.kind !== kind) throw new RusketError("INVALID_FORMAT", `${path} holds a ${header.kind} model, not ${kind.toUpperCase()}`);
    const m = make(header.params);
    m.state = state;
    return m;
  }

  /**
   * The latent space projected by PCA (rows L2-normalised first unless `normalize: false`), with
   * labels: `.plot()` draws it as an interactive 3D (or 2D) Plotly figure.
   * @example
   * ```ts
   * model.pca(3).plot({ title: "ALS latent item space" }).show();
   * ```
   */
  pca(nComponents = 3, o: { of?: "items" | "users"; normalize?: boolean } = {}): Projection {
    const of = o.of ?? "items";
    if (of !== "items" && of !== "users") throw new RusketError("INVALID_ARGUMENT", `of must be "items" or "users", got ${JSON.stringify(o.of)}`);
    const [m, labels] = of === "items" ? [this.itemFactors, this.itemLabels] : [this.userFactors, this.userLabels];
    return project(m, labels, { nComponents, normalize: o.normalize ?? true, threads: this.threads || undefined });
  }

  /**
   * Item factors as a frame `[id, vector]` (see {@link exportItemFactors}).
   * @example
   * ```ts
   * const vectors = model.exportItemFactors({ normalize: true, format: "records" });
   * ```
   */
  exportItemFactors(o: ExportOptions = {}): any {
    return exportItemFactors(this, o);
  }

  /** User factors as a frame `[id, vector]` (see {@link exportUserFactors}). */
  exportUserFactors(o: ExportOptions = {}): any {
    return exportUserFactors(this, o);
  }

  /** Users' factors, users × factors (row-major). */
  get userFactors(): Matrix {
    const s = this.fitted();
    return { data: s.user, rows: s.userLabels.length, cols: s.width };
  }

  /** Items' factors, items × factors (row-major): the model's own array, to be read, not written. */
  get itemFactors(): Matrix {
    const s = this.fitted();
    return { data: s.item, rows: s.itemLabels.length, cols: s.width };
  }

  /** @internal The kind of frame results default to: the training input's kind (records for a CSR). */
  outputKindHint(): OutputFormat {
    return this.fitted().kind;
  }

  /** The users' labels, in factor-row order. */
  get userLabels(): Label[] { return this.fitted().userLabels; }
  /** The items' labels, in factor-row order. */
  get itemLabels(): Label[] { return this.fitted().itemLabels; }
  /** The training loss after each iteration. */
  get loss(): number[] { return Array.from(this.fitted().loss); }

  /** The factor row of a user label; `UNKNOWN_USER` if the model has never seen it. */
  userRow(userId: Label): number {
    const s = this.fitted();
    this.userIndex ??= new Map(s.userLabels.map((l, i) => [l, i]));
    const i = this.userIndex.get(userId);
    if (i === undefined) throw new RusketError("UNKNOWN_USER", `user ${JSON.stringify(userId)} is not in the model (${s.userLabels.length} users); use recalculateUser for new users`);
    return i;
  }

  /** The factor row of an item label; `UNKNOWN_ITEM` if the model has never seen it. */
  itemRow(itemId: Label): number {
    const s = this.fitted();
    this.itemIndex ??= new Map(s.itemLabels.map((l, i) => [l, i]));
    const i = this.itemIndex.get(itemId);
    if (i === undefined) throw new RusketError("UNKNOWN_ITEM", `item ${JSON.stringify(itemId)} is not in the model (${s.itemLabels.length} items)`);
    return i;
  }

  /** @internal The training matrix as the native side takes it. */
  seenMatrix(): Interactions {
    const s = this.fitted();
    return { ...s.seen, nRows: s.userLabels.length, nCols: s.itemLabels.length };
  }

  /**
   * The item factors rounded to 4 and to 8 bits, made on first use: one user's top-n reads them
   * instead of the factors (mostly the 4-bit copy: an eighth of the bytes) and scores exactly
   * only the items that could make it, so the result is the same. The factors must not change
   * afterwards (they never do unless `itemFactors.data` is written to).
   */
  private quantized(): QuantizedItems {
    const s = this.fitted();
    return (this.quantizedItems ??= native("quantizeItems", s.user, s.item, s.width));
  }

  /** The rows of the known labels of `filterItems` (sorted natively): O(filter), not O(items). */
  private allowedItems(filterItems: Label[] | undefined): Uint32Array | undefined {
    if (filterItems === undefined) return undefined;
    if (!Array.isArray(filterItems)) throw new RusketError("INVALID_ARGUMENT", "filterItems must be an array of item labels");
    const s = this.fitted();
    this.itemIndex ??= new Map(s.itemLabels.map((l, i) => [l, i]));
    const rows = new Uint32Array(filterItems.length);
    let n = 0;
    for (const l of filterItems) {
      const i = this.itemIndex.get(l);
      if (i !== undefined) rows[n++] = i;
    }
    return rows.subarray(0, n);
  }

  private ranked(items: Uint32Array, scores: Float32Array, labels: Label[]) {
    const out: Label[] = [], sc: number[] = [];
    items.forEach((i, j) => { if (i !== PAD) { out.push(labels[i]); sc.push(scores[j]); } });
    return { labels: out, scores: sc };
  }

  /**
   * The best `n` items for a known user, best first.
   * @example
   * ```ts
   * const { items, scores } = model.recommendItems(1002, { n: 5, excludeSeen: true });
   * ```
   */
  recommendItems(userId: Label, o: RecommendOptions = {}): { items: Label[]; scores: number[] } {
    const s = this.fitted();
    const row = this.userRow(userId);
    const n = count(o.n);
    const r = native("topK", s.user, s.item, s.width, Uint32Array.of(row), n,
      (o.excludeSeen ?? true) ? this.seenMatrix() : undefined, this.allowedItems(o.filterItems), this.threads, this.quantized());
    const { labels, scores } = this.ranked(r.items, r.scores, s.itemLabels);
    return { items: labels, scores };
  }

  /**
   * The `n` users most likely to want an item (e.g. whom to target with a promotion).
   * @example
   * ```ts
   * const { users } = model.recommendUsers("B22", { n: 100 });
   * ```
   */
  recommendUsers(itemId: Label, o: { n?: number } = {}): { users: Label[]; scores: number[] } {
    const s = this.fitted();
    const row = this.itemRow(itemId);
    const r = native("topK", s.item, s.user, s.width, Uint32Array.of(row), count(o.n), undefined, undefined, this.threads);
    const { labels, scores } = this.ranked(r.items, r.scores, s.userLabels);
    return { users: labels, scores };
  }

  /**
   * Items most similar to an item, by cosine similarity of their factors (the item itself excluded).
   * @example
   * ```ts
   * const { items, similarities } = model.similarItems(102, { n: 5 });
   * ```
   */
  similarItems(itemId: Label, o: { n?: number } = {}): { items: Label[]; similarities: number[] } {
    const s = this.fitted();
    const r = native("similarItems", s.user, s.item, s.width, this.itemRow(itemId), count(o.n));
    const { labels, scores } = this.ranked(r.items, r.scores, s.itemLabels);
    return { items: labels, similarities: scores };
  }

  /** @internal A new user's factor row from their items (the model's own fold-in). */
  protected abstract foldIn(items: Uint32Array, weights: Float32Array): Float32Array;

  /**
   * Serves a user the model has not seen: folds their items (and weights, default 1) into a
   * factor vector and recommends from it, leaving out their own items.
   * @example
   * ```ts
   * const { items } = model.recalculateUser(["A10", "C15"], undefined, { n: 5 });
   * ```
   */
  recalculateUser(items: Label[], weights?: number[], o: RecommendOptions = {}): { factors: Float32Array; items: Label[]; scores: number[] } {
    const s = this.fitted();
    if (!Array.isArray(items)) throw new RusketError("INVALID_ARGUMENT", "items must be an array of item labels");
    if (weights !== undefined && (!Array.isArray(weights) || weights.length !== items.length))
      throw new RusketError("INVALID_ARGUMENT", `weights must be an array as long as items (${items.length})`);
    const known: number[] = [], w: number[] = [];
    this.itemIndex ??= new Map(s.itemLabels.map((l, i) => [l, i]));
    items.forEach((l, j) => {
      const i = this.itemIndex!.get(l);
      if (i !== undefined) { known.push(i); w.push(weights?.[j] ?? 1); }
    });
    const vector = this.foldIn(Uint32Array.from(known), Float32Array.from(w));
    const seen = [...new Set(known)].sort((a, b) => a - b);
    const exclude: Interactions = {
      indptr: Float64Array.of(0, (o.excludeSeen ?? true) ? seen.length : 0),
      indices: Uint32Array.from((o.excludeSeen ?? true) ? seen : []),
      data: new Float32Array((o.excludeSeen ?? true) ? seen.length : 0).fill(1),
      nRows: 1, nCols: s.itemLabels.length,
    };
    const r = native("topK", vector, s.item, s.width, Uint32Array.of(0), count(o.n), exclude, this.allowedItems(o.filterItems), this.threads, this.quantized());
    const { labels, scores } = this.ranked(r.items, r.scores, s.itemLabels);
    return { factors: vector, items: labels, scores };
  }

  private batchColumns(r: { users: Uint32Array; items: Uint32Array; scores: Float32Array; ranks: Uint32Array }, o: BatchOptions) {
    const s = this.fitted();
    return buildFrame([
      { name: "userId", type: "label", codes: r.users, labels: s.userLabels },
      { name: "itemId", type: "label", codes: r.items, labels: s.itemLabels },
      { name: "score", type: "f32", values: r.scores },
      { name: "rank", type: "u32", values: r.ranks },
    ], outputKind({ kind: s.kind === "records" ? "polars" : s.kind }, o.format));
  }

  /**
   * Top-`n` items for every user, in parallel, without materialising the user × item score
   * matrix: a frame `[userId, itemId, score, rank]` (rank 1 = best). polars by default (the
   * input's kind when that was a frame); `format` overrides.
   * @example
   * ```ts
   * const recs = model.batchRecommend({ n: 10, format: "arrow" });
   * ```
   */
  batchRecommend(o: BatchOptions = {}): any {
    const s = this.fitted();
    const r = native("batchRecommend", s.user, s.item, s.width, count(o.n), (o.excludeSeen ?? true) ? this.seenMatrix() : undefined, this.threads);
    return this.batchColumns(r, o);
  }

  /** {@link FactorModel.batchRecommend} off the main thread. */
  async batchRecommendAsync(o: BatchOptions = {}): Promise<any> {
    const s = this.fitted();
    const r = await nativeAsync("batchRecommend", s.user, s.item, s.width, count(o.n), (o.excludeSeen ?? true) ? this.seenMatrix() : undefined, this.threads);
    return this.batchColumns(r, o);
  }
}
