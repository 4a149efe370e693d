/**
 * The hybrid recommender (SPEC M18): "For You" from a factor model, "Frequently bought
 * together" from association rules, with popularity as the last resort.
 * @module
 */
import { RusketError, check } from "../errors";
import { readRules } from "../embed/rules";
import type { Label } from "../types";
import type { FactorModel } from "./model";
import { whole } from "../mining/support";
import { OnlineModel, type CatalogItem, type Interaction, type OnlineConfig, type RecommendRequest, type RecommendResponse } from "./online";

/** Where a recommended item came from. */
export type RecommendationSource = "rules" | "model" | "popularity";

/** Items, best first, with their scores and where each came from. */
export interface Recommendations {
  items: Label[];
  /**
   * Lift for rule-based items, the model's score for model-based ones; for popular ones the
   * number of users who interacted with the item in training (with a model) or the item's
   * support (from the rules).
   */
  scores: number[];
  sources: RecommendationSource[];
}

/** What {@link Recommender} combines; either may be left out. */
export interface RecommenderOptions {
  /** A fitted {@link ALS} or {@link BPR} model. */
  model?: FactorModel;
  /** Association rules (a frame from {@link associationRules}, any kind, or its records). */
  rules?: unknown;
}

interface Rule {
  antecedents: Label[];
  consequents: Label[];
  lift: number;
  confidence: number;
  consequentSupport: number;
}

/** The rules of a rules frame, strongest first: lift, then confidence, descending. */
function strongestFirst(rules: unknown): Rule[] {
  const view = readRules(rules);
  const [lift, confidence, consequentSupport] = ["lift", "confidence", "consequentSupport"].map((c) => view.metric(c));
  return view.antecedents
    .map((antecedents, i) => ({ antecedents, consequents: view.consequents[i], lift: lift[i], confidence: confidence[i], consequentSupport: consequentSupport[i] }))
    .sort((x, y) => y.lift - x.lift || y.confidence - x.confidence);
}

/**
 * Next best actions from a factor model and association rules together (seed 000's and seed
 * 001's hybrid recommender): `recommendForUser` for a known customer ("For You"),
 * `recommendForCart` for what is in a basket ("Frequently bought together").
 *
 * @example
 * ```ts
 * const rec = new rk.Recommender({ model: als, rules });
 * const forYou = rec.recommendForUser("17850", { n: 5 });
 * const addOns = rec.recommendForCart(["22423", "85123A"], { n: 3 });
 * ```
 *
 * Trained from events with {@link Recommender.train} (or read back with
 * {@link Recommender.load}), it also serves online requests ({@link Recommender.recommend},
 * seed 003): the user's history and current session, brand and field filters, exclusions,
 * diversity, and a reason for every item.
 */
export class Recommender {
  readonly model: FactorModel | undefined;
  private readonly rules: Rule[];
  private popularity: { items: Label[]; counts: number[] } | undefined;
  private online?: OnlineModel;

  /**
   * Trains an online recommender from view / add / purchase events: an ALS model on the
   * events' weights (with quantities), trending items, and the catalog (records, a CSV path, or
   * the items of the events with their brand and price).
   * @example
   * ```ts
   * const rec = rk.Recommender.train(events, { catalog: "catalog.csv", config: { mmrLambda: 0.5 } });
   * rec.save("artifacts/");
   * ```
   */
  static train(interactions: Interaction[], o: { catalog?: CatalogItem[] | string; config?: OnlineConfig } = {}): Recommender {
    return Recommender.serving(OnlineModel.train(interactions, o));
  }

  /**
   * Reads the artifacts written by {@link Recommender.save}; every file must match the
   * manifest's checksum (else `CORRUPT_FILE`). `catalogPath` replaces the saved catalog.
   * @example
   * ```ts
   * const rec = rk.Recommender.load("artifacts/", { catalogPath: "catalog.csv" });
   * ```
   */
  static load(dir: string, o: { catalogPath?: string; config?: OnlineConfig } = {}): Recommender {
    return Recommender.serving(OnlineModel.load(dir, o));
  }

  private static serving(online: OnlineModel): Recommender {
    const rec = new Recommender({ model: online.model });
    rec.online = online;
    return rec;
  }

  /** The artifacts' version (a recommender made by {@link Recommender.train} or {@link Recommender.load}). */
  get artifactVersion(): string {
    return this.serves("artifactVersion").artifactVersion;
  }

  /**
   * Writes the artifacts directory: the model, the catalog (CSV), trending items, the
   * configuration, and a manifest with the version and every file's SHA-256.
   * @example
   * ```ts
   * rec.save("artifacts/");
   * ```
   */
  save(dir: string): void {
    this.serves("save").save(dir);
  }

  /**
   * One online request: the best `k` items for the user given their history and `recent`
   * events (weighted by kind and recency), within `brand` and `filters`, without
   * `exclusions`, diversified (MMR), each with its reasons. What the user is known to have (their
   * training items and the recent ones folded in) is not returned. Unknown users without known
   * recent items get trending items.
   * @example
   * ```ts
   * const { items } = rec.recommend({ userId: "user_123", k: 10, recent: [{ userId: "user_123", itemId: "item_5", timestamp: Date.now(), event: "view" }] });
   * ```
   */
  recommend(request: RecommendRequest): RecommendResponse {
    return this.serves("recommend").recommend(request);
  }

  private serves(what: string): OnlineModel {
    if (!this.online) throw new RusketError("NOT_FITTED", `${what} needs a recommender made by Recommender.train or Recommender.load`);
    return this.online;
  }

  constructor(o: RecommenderOptions = {}) {
    check(o !== null && typeof o === "object", "Recommender takes { model?, rules? }");
    check(o.model !== undefined || o.rules !== undefined, "Recommender needs a model, rules, or both");
    if (o.model !== undefined)
      check(typeof (o.model as any).recommendItems === "function", "model must be a fitted ALS or BPR model");
    this.model = o.model;
    this.rules = o.rules === undefined ? [] : strongestFirst(o.rules);
  }

  /**
   * The model's top items for a customer it was trained on (training items left out); a
   * customer the model does not know gets the most popular items.
   */
  recommendForUser(userId: Label, o: { n?: number } = {}): Recommendations {
    const n = whole(o.n ?? 10, "n", 1);
    if (this.model) {
      try {
        const { items, scores } = this.model.recommendItems(userId, { n });
        return { items, scores, sources: items.map(() => "model" as const) };
      } catch (e) {
        if (!(e instanceof RusketError && e.code === "UNKNOWN_USER")) throw e;
      }
    }
    return this.fill({ items: [], scores: [], sources: [] }, new Set(), n);
  }

  /**
   * Items to add to a cart: the consequents of rules whose antecedents are all in the cart,
   * by lift then confidence; when rules give fewer than `n`, the model's items for a customer
   * who holds the cart, then the most popular items. Cart items are never returned.
   */
  recommendForCart(cartItems: Label[], o: { n?: number } = {}): Recommendations {
    check(Array.isArray(cartItems), "cartItems must be an array of item labels");
    const n = whole(o.n ?? 10, "n", 1);
    const cart = new Set<Label>(cartItems);
    const out: Recommendations = { items: [], scores: [], sources: [] };
    const taken = new Set<Label>(cart);
    for (const r of this.rules) {
      if (out.items.length >= n) break;
      if (!r.antecedents.every((a) => cart.has(a))) continue;
      for (const c of r.consequents)
        if (!taken.has(c) && out.items.length < n) {
          taken.add(c);
          out.items.push(c); out.scores.push(r.lift); out.sources.push("rules");
        }
    }
    if (out.items.length < n && this.model && cartItems.length > 0) {
      const { items, scores } = this.model.recalculateUser(cartItems, undefined, { n: n + taken.size });
      items.forEach((item, k) => {
        if (!taken.has(item) && out.items.length < n) {
          taken.add(item);
          out.items.push(item); out.scores.push(scores[k]); out.sources.push("model");
        }
      });
    }
    return this.fill(out, taken, n);
  }

  /** The most popular items, best first: by how many users interacted with them in training (with a model), else by support (rules' single consequents). */
  popular(o: { n?: number } = {}): Recommendations {
    return this.fill({ items: [], scores: [], sources: [] }, new Set(), whole(o.n ?? 10, "n", 1));
  }

  /** Tops `out` up to `n` items with popular ones not in `taken`. */
  private fill(out: Recommendations, taken: Set<Label>, n: number): Recommendations {
    const { items, counts } = (this.popularity ??= this.countPopularity());
    for (let k = 0; k < items.length && out.items.length < n; k++)
      if (!taken.has(items[k])) {
        taken.add(items[k]);
        out.items.push(items[k]); out.scores.push(counts[k]); out.sources.push("popularity");
      }
    return out;
  }

  private countPopularity(): { items: Label[]; counts: number[] } {
    const count = new Map<Label, number>();
    if (this.model) {
      const seen = this.model.seenMatrix(), labels = this.model.itemLabels;
      const cols = "indices" in seen ? seen.indices : "cols" in seen ? seen.cols : new Uint32Array(0);
      const c = new Float64Array(labels.length);
      for (let k = 0; k < cols.length; k++) c[cols[k]] += 1;
      labels.forEach((l, i) => count.set(l, c[i]));
    } else {
      // Without a model: the support of each item that is a rule's whole consequent.
      for (const r of this.rules) if (r.consequents.length === 1) count.set(r.consequents[0], r.consequentSupport);
    }
    const items = [...count.keys()].sort((a, b) => count.get(b)! - count.get(a)! || (a < b ? -1 : a > b ? 1 : 0));
    return { items, counts: items.map((i) => count.get(i)!) };
  }
}
