/**
 * Online recommendations (SPEC M19–M20, seed 003): a model trained from view / add / purchase
 * events, kept as an artifacts directory, serving one request at a time from the user's
 * history and the events of their current session.
 * @module
 */
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { RusketError, check } from "../errors";
import type { Label } from "../types";
import { native } from "../native";
import { ALS } from "./als";

/** The kinds of event an {@link Interaction} can be. */
export type EventKind = "view" | "add" | "purchase";

/** One event of a user with an item. */
export interface Interaction {
  userId: Label;
  itemId: Label;
  /** Unix time in milliseconds. */
  timestamp: number;
  event: EventKind;
  brand?: string;
  /** Units (default 1): a purchase of 3 weighs three times one of 1. */
  quantity?: number;
  price?: number;
}

/** An item of the catalog: its id and any fields (brand, price, category, …). */
export interface CatalogItem {
  itemId: Label;
  brand?: string;
  price?: number;
  [field: string]: unknown;
}

/** How {@link Recommender.train} weighs events and how requests are served. */
export interface OnlineConfig {
  /** The weight of each kind of event (default view 1, add 3, purchase 5). */
  eventWeights?: Partial<Record<EventKind, number>>;
  /** A recent event loses half its weight every this many days (default 7). */
  recencyHalfLifeDays?: number;
  /** Trending: an event's weight halves every this many days before the newest one (default 14). */
  trendingHalfLifeDays?: number;
  /** Candidates scored before diversification (default 200). */
  candidatePool?: number;
  /** MMR: 1 ranks by score only, lower values favour items unlike those already chosen (default 0.7). */
  mmrLambda?: number;
  /** The ALS model's factors (default 64), iterations (15), regularization (0.01), alpha (4), seed (0) and threads (default: every core). */
  factors?: number;
  iterations?: number;
  regularization?: number;
  alpha?: number;
  seed?: number;
  threads?: number;
}

/** One request to {@link Recommender.recommend}. */
export interface RecommendRequest {
  /** The user (or a session id for anonymous users). */
  userId: Label;
  /** How many items, 1–100 (default 20). */
  k?: number;
  /** The user's latest events, folded into their profile. */
  recent?: Interaction[];
  /** Only items of this brand. */
  brand?: string;
  /** Items never to return. */
  exclusions?: Label[];
  /** Only items whose catalog fields equal these values (or one of them, given an array). */
  filters?: Record<string, unknown>;
}

/** One recommended item. */
export interface RecommendedItem {
  itemId: Label;
  /** Higher is better: the model's score, or the decayed trending weight. */
  score: number;
  /** 1 for the best. */
  rank: number;
  /** Why, in words: "Viewed together with …", "Frequently bought with …", "Trending in …". */
  reasons: string[];
}

/** The answer to a {@link RecommendRequest}. */
export interface RecommendResponse {
  items: RecommendedItem[];
  artifactVersion: string;
  metadata: { candidates: number; personalized: boolean; knownUser: boolean; recentEvents: number };
}

const KINDS: EventKind[] = ["view", "add", "purchase"];
const DAY_MS = 86_400_000;
const ARTIFACT_FORMAT = 1;
const FILES = { model: "model.rusket", catalog: "catalog.csv", trending: "trending.json", config: "config.json" } as const;

type Settings = Required<Omit<OnlineConfig, "eventWeights" | "threads">> & { eventWeights: Record<EventKind, number>; threads?: number };

function settings(c: OnlineConfig = {}): Settings {
  check(c !== null && typeof c === "object", "config must be an object");
  const s: Settings = {
    eventWeights: { view: 1, add: 3, purchase: 5, ...c.eventWeights },
    recencyHalfLifeDays: c.recencyHalfLifeDays ?? 7,
    trendingHalfLifeDays: c.trendingHalfLifeDays ?? 14,
    candidatePool: c.candidatePool ?? 200,
    mmrLambda: c.mmrLambda ?? 0.7,
    factors: c.factors ?? 64,
    iterations: c.iterations ?? 15,
    regularization: c.regularization ?? 0.01,
    alpha: c.alpha ?? 4,
    seed: c.seed ?? 0,
    threads: c.threads,
  };
  for (const k of KINDS) check(Number.isFinite(s.eventWeights[k]) && s.eventWeights[k] > 0, `eventWeights.${k} must be a number > 0`);
  check(s.recencyHalfLifeDays > 0 && s.trendingHalfLifeDays > 0, "the half-lives must be numbers of days > 0");
  check(Number.isInteger(s.candidatePool) && s.candidatePool >= 1, "candidatePool must be a whole number ≥ 1");
  check(s.mmrLambda >= 0 && s.mmrLambda <= 1, "mmrLambda must be between 0 and 1");
  return s;
}

function checkInteraction(e: Interaction, where: string): void {
  check(e !== null && typeof e === "object", `${where} must be an object`);
  check(typeof e.userId === "string" || typeof e.userId === "number", `${where}.userId must be a string or a number`);
  check(typeof e.itemId === "string" || typeof e.itemId === "number", `${where}.itemId must be a string or a number`);
  check(Number.isFinite(e.timestamp), `${where}.timestamp must be a number (ms)`);
  check(KINDS.includes(e.event), `${where}.event must be "view", "add" or "purchase", got ${JSON.stringify(e.event)}`);
  check(e.quantity === undefined || (Number.isFinite(e.quantity) && e.quantity > 0), `${where}.quantity must be a number > 0`);
}

/** An event's weight: its kind's weight times its quantity. */
function weight(s: Settings, e: Interaction): number {
  return s.eventWeights[e.event] * (e.quantity ?? 1);
}

/** The trained state behind an online {@link Recommender}. */
export class OnlineModel {
  private readonly catalogById: Map<string, CatalogItem>;
  /** Model labels by their string form: catalog files and requests may spell `5` as "5". */
  private readonly labelByKey: Map<string, Label>;
  private readonly fieldIndex = new Map<string, Map<unknown, Label[]>>();
  private itemUsers?: { indptr: Uint32Array; users: Uint32Array };

  constructor(
    readonly model: ALS,
    readonly catalog: CatalogItem[],
    readonly trending: { items: Label[]; scores: number[] },
    readonly config: Settings,
    readonly artifactVersion: string,
  ) {
    this.labelByKey = new Map(model.itemLabels.map((l) => [String(l), l]));
    this.catalogById = new Map(catalog.map((c) => [String(c.itemId), c]));
  }

  static train(interactions: Interaction[], o: { catalog?: CatalogItem[] | string; config?: OnlineConfig } = {}): OnlineModel {
    check(Array.isArray(interactions) && interactions.length > 0, "interactions must be a non-empty array of { userId, itemId, timestamp, event }", "EMPTY_INPUT");
    const s = settings(o.config);
    const rows = interactions.map((e, i) => {
      checkInteraction(e, `interactions[${i}]`);
      return { user: e.userId, item: e.itemId, weight: weight(s, e) };
    });
    const model = ALS.fromTransactions(rows, {
      userCol: "user", itemCol: "item", ratingCol: "weight",
      factors: s.factors, iterations: s.iterations, regularization: s.regularization, alpha: s.alpha, seed: s.seed, threads: s.threads,
    });
    // Trending: every event's weight, halved for each half-life before the newest event.
    const newest = interactions.reduce((m, e) => Math.max(m, e.timestamp), -Infinity);
    const heat = new Map<Label, number>();
    for (const e of interactions)
      heat.set(e.itemId, (heat.get(e.itemId) ?? 0) + weight(s, e) * 0.5 ** ((newest - e.timestamp) / (s.trendingHalfLifeDays * DAY_MS)));
    const items = [...heat.keys()].sort((a, b) => heat.get(b)! - heat.get(a)! || (String(a) < String(b) ? -1 : 1));
    const catalog = typeof o.catalog === "string" ? readCatalog(o.catalog) : (o.catalog ?? inferCatalog(interactions));
    const version = `v${ARTIFACT_FORMAT}-${createHash("sha256").update(new Uint8Array(model.itemFactors.data.buffer, model.itemFactors.data.byteOffset, model.itemFactors.data.byteLength)).digest("hex").slice(0, 12)}`;
    return new OnlineModel(model, checkCatalog(catalog), { items, scores: items.map((i) => heat.get(i)!) }, s, version);
  }

  /** Writes the artifacts: the model, the catalog, trending items, the configuration and a manifest of their checksums. */
  save(dir: string): void {
    fs.mkdirSync(dir, { recursive: true });
    this.model.save(path.join(dir, FILES.model));
    fs.writeFileSync(path.join(dir, FILES.catalog), writeCatalog(this.catalog));
    fs.writeFileSync(path.join(dir, FILES.trending), JSON.stringify(this.trending));
    fs.writeFileSync(path.join(dir, FILES.config), JSON.stringify(this.config, null, 2));
    const files = Object.fromEntries(Object.values(FILES).map((f) => [f, sha256(path.join(dir, f))]));
    const manifest = { format: ARTIFACT_FORMAT, artifactVersion: this.artifactVersion, createdAt: new Date().toISOString(), files };
    fs.writeFileSync(path.join(dir, "manifest.json"), JSON.stringify(manifest, null, 2));
  }

  /** Reads artifacts written by {@link OnlineModel.save}, checking every file against the manifest. */
  static load(dir: string, o: { catalogPath?: string; config?: OnlineConfig } = {}): OnlineModel {
    const manifestPath = path.join(dir, "manifest.json");
    let manifest: any;
    try {
      manifest = JSON.parse(fs.readFileSync(manifestPath, "utf8"));
    } catch (e) {
      throw new RusketError("CORRUPT_FILE", `${manifestPath} is not a readable artifacts manifest: ${(e as Error).message}`);
    }
    if (manifest?.format !== ARTIFACT_FORMAT)
      throw new RusketError("VERSION_MISMATCH", `${manifestPath}: artifacts format ${JSON.stringify(manifest?.format)}, this rusket reads ${ARTIFACT_FORMAT}`);
    for (const f of Object.values(FILES)) {
      const file = path.join(dir, f);
      if (!fs.existsSync(file)) throw new RusketError("CORRUPT_FILE", `${file} is missing from the artifacts`);
      if (sha256(file) !== manifest.files?.[f]) throw new RusketError("CORRUPT_FILE", `${file} does not match its checksum in ${manifestPath}`);
    }
    const saved = JSON.parse(fs.readFileSync(path.join(dir, FILES.config), "utf8"));
    const config = settings({ ...saved, ...o.config, eventWeights: { ...saved.eventWeights, ...o.config?.eventWeights } });
    const trending = JSON.parse(fs.readFileSync(path.join(dir, FILES.trending), "utf8"));
    const catalog = checkCatalog(readCatalog(o.catalogPath ?? path.join(dir, FILES.catalog)));
    return new OnlineModel(ALS.load(path.join(dir, FILES.model)), catalog, trending, config, manifest.artifactVersion);
  }

  recommend(req: RecommendRequest): RecommendResponse {
    check(req !== null && typeof req === "object", "recommend takes { userId, k?, recent?, brand?, exclusions?, filters? }");
    check(typeof req.userId === "string" || typeof req.userId === "number", "userId must be a string or a number");
    const k = req.k ?? 20;
    check(Number.isInteger(k) && k >= 1 && k <= 100, `k must be a whole number from 1 to 100, got ${JSON.stringify(req.k)}`);
    const recent = req.recent ?? [];
    check(Array.isArray(recent), "recent must be an array of interactions");
    recent.forEach((e, i) => checkInteraction(e, `recent[${i}]`));
    check(req.exclusions === undefined || Array.isArray(req.exclusions), "exclusions must be an array of item ids");
    const excluded = new Set((req.exclusions ?? []).map(String));
    const allowed = this.allowedItems(req);
    const model = this.model, s = this.config;

    // The user's profile: their training items and their recent events (weighted, decayed
    // from the newest one), folded into one factor vector; or the model's own row.
    let row: number | undefined;
    try {
      row = model.userRow(req.userId);
    } catch (e) {
      if (!(e instanceof RusketError && e.code === "UNKNOWN_USER")) throw e;
    }
    const knownUser = row !== undefined;
    const profile = new Map<Label, number>();
    if (recent.length > 0) {
      if (row !== undefined) for (const [item, w] of this.history(row)) profile.set(item, w);
      const newest = recent.reduce((m, e) => Math.max(m, e.timestamp), -Infinity);
      for (const e of recent) {
        const item = this.labelByKey.get(String(e.itemId));
        if (item !== undefined)
          profile.set(item, (profile.get(item) ?? 0) + weight(s, e) * 0.5 ** ((newest - e.timestamp) / (s.recencyHalfLifeDays * DAY_MS)));
      }
    }
    const pool = Math.max(s.candidatePool, k);
    let candidates: { items: Label[]; scores: number[] } = { items: [], scores: [] };
    if (profile.size > 0) {
      candidates = model.recalculateUser([...profile.keys()], [...profile.values()], { n: pool + excluded.size, filterItems: allowed });
    } else if (knownUser) {
      candidates = model.recommendItems(req.userId, { n: pool + excluded.size, filterItems: allowed });
    }
    const keep = candidates.items.map((item, j) => [item, candidates.scores[j]] as const).filter(([item]) => !excluded.has(String(item))).slice(0, pool);
    const chosen = this.diversify(keep, k);
    const personalized = chosen.length > 0;

    const items: RecommendedItem[] = chosen.map(([item, score]) => ({ itemId: item, score, rank: 0, reasons: this.reasons(item, recent, knownUser) }));
    // Too few (a new user without known events, or narrow filters): trending items.
    if (items.length < k) {
      const taken = new Set(items.map((i) => String(i.itemId)));
      const allow = allowed && new Set(allowed.map(String));
      for (let t = 0; t < this.trending.items.length && items.length < k; t++) {
        const item = this.trending.items[t], key = String(item);
        if (taken.has(key) || excluded.has(key) || (allow && !allow.has(key))) continue;
        const brand = this.catalogById.get(key)?.brand;
        items.push({ itemId: item, score: this.trending.scores[t], rank: 0, reasons: [brand ? `Trending in ${brand}` : "Trending now"] });
      }
    }
    items.forEach((item, r) => (item.rank = r + 1));
    return { items, artifactVersion: this.artifactVersion, metadata: { candidates: keep.length, personalized, knownUser, recentEvents: recent.length } };
  }

  /** The catalog's items that pass the request's brand and filters (`undefined`: all). */
  private allowedItems(req: RecommendRequest): Label[] | undefined {
    const conditions: [string, unknown[]][] = [];
    if (req.brand !== undefined) conditions.push(["brand", [req.brand]]);
    check(req.filters === undefined || (typeof req.filters === "object" && req.filters !== null), "filters must be an object of field → value(s)");
    for (const [field, v] of Object.entries(req.filters ?? {})) conditions.push([field, Array.isArray(v) ? v : [v]]);
    if (conditions.length === 0) return undefined;
    let allowed: Set<Label> | undefined;
    for (const [field, values] of conditions) {
      const index = this.index(field);
      const pass = new Set<Label>(values.flatMap((v) => index.get(v) ?? []));
      allowed = allowed ? new Set([...allowed].filter((i) => pass.has(i))) : pass;
    }
    return [...allowed!];
  }

  /** The model's items by the value of one catalog field (made on first use). */
  private index(field: string): Map<unknown, Label[]> {
    let index = this.fieldIndex.get(field);
    if (!index) {
      index = new Map();
      for (const c of this.catalog) {
        const label = this.labelByKey.get(String(c.itemId));
        if (label === undefined || !(field in c)) continue;
        const list = index.get(c[field]) ?? [];
        list.push(label);
        index.set(c[field], list);
      }
      this.fieldIndex.set(field, index);
    }
    return index;
  }

  /** The training items and weights of the user in factor row `row`. */
  private history(row: number): [Label, number][] {
    const seen = this.model.seenMatrix(), labels = this.model.itemLabels;
    if (!("indptr" in seen)) return [];
    const out: [Label, number][] = [];
    for (let j = seen.indptr[row]; j < seen.indptr[row + 1]; j++) out.push([labels[seen.indices[j]], seen.data[j]]);
    return out;
  }

  /**
   * Maximal marginal relevance (native): each next item maximises λ·relevance − (1 − λ)·(its
   * largest cosine similarity to the items already chosen), relevance being the score scaled to
   * 0–1 over the candidates.
   */
  private diversify(candidates: (readonly [Label, number])[], k: number): (readonly [Label, number])[] {
    const lambda = this.config.mmrLambda;
    if (lambda >= 1 || candidates.length <= 1) return candidates.slice(0, k);
    const V = this.model.itemFactors, m = this.model.userFactors;
    const rows = Uint32Array.from(candidates, ([item]) => this.model.itemRow(item));
    const order = native("diversify", m.data, V.data, V.cols, rows, Float32Array.from(candidates, ([, s]) => s), k, lambda);
    return Array.from(order, (c) => candidates[c]);
  }

  /** Why `item` was recommended to a user with these recent events. */
  private reasons(item: Label, recent: Interaction[], knownUser: boolean): string[] {
    const out: string[] = [];
    const mine = this.usersOf(item);
    for (const e of recent) {
      const other = this.labelByKey.get(String(e.itemId));
      if (other === undefined || other === item || !intersects(mine, this.usersOf(other))) continue;
      const text = `${e.event === "purchase" ? "Frequently bought with" : "Viewed together with"} ${String(e.itemId)}`;
      if (!out.includes(text)) out.push(text);
      if (out.length === 2) break;
    }
    if (out.length === 0) out.push(knownUser || recent.length > 0 ? "Based on your history" : "Popular with similar users");
    return out;
  }

  /** The users (model rows, ascending) who interacted with an item in training. */
  private usersOf(item: Label): Uint32Array {
    if (!this.itemUsers) {
      const seen = this.model.seenMatrix();
      const nItems = this.model.itemLabels.length;
      const indptr = new Uint32Array(nItems + 1);
      if ("indptr" in seen) {
        for (let j = 0; j < seen.indices.length; j++) indptr[seen.indices[j] + 1]++;
        for (let i = 0; i < nItems; i++) indptr[i + 1] += indptr[i];
        const fill = indptr.slice(0, nItems), users = new Uint32Array(seen.indices.length);
        for (let u = 0; u + 1 < seen.indptr.length; u++)
          for (let j = seen.indptr[u]; j < seen.indptr[u + 1]; j++) users[fill[seen.indices[j]]++] = u;
        this.itemUsers = { indptr, users };
      } else {
        this.itemUsers = { indptr, users: new Uint32Array(0) };
      }
    }
    const i = this.model.itemRow(item);
    return this.itemUsers.users.subarray(this.itemUsers.indptr[i], this.itemUsers.indptr[i + 1]);
  }
}

/** Whether two ascending lists share a value. */
function intersects(a: Uint32Array, b: Uint32Array): boolean {
  let i = 0, j = 0;
  while (i < a.length && j < b.length) {
    if (a[i] === b[j]) return true;
    if (a[i] < b[j]) i++; else j++;
  }
  return false;
}

function sha256(file: string): string {
  return createHash("sha256").update(fs.readFileSync(file)).digest("hex");
}

/** A catalog made of the items seen in the interactions, with the brand and latest price they came with. */
function inferCatalog(interactions: Interaction[]): CatalogItem[] {
  const byId = new Map<Label, CatalogItem>();
  for (const e of interactions) {
    const c = byId.get(e.itemId) ?? { itemId: e.itemId };
    if (e.brand !== undefined) c.brand = e.brand;
    if (e.price !== undefined) c.price = e.price;
    byId.set(e.itemId, c);
  }
  return [...byId.values()];
}

function checkCatalog(catalog: unknown): CatalogItem[] {
  check(Array.isArray(catalog), "catalog must be an array of { itemId, … } or the path of a CSV file");
  (catalog as any[]).forEach((c, i) => check(c !== null && typeof c === "object" && (typeof c.itemId === "string" || typeof c.itemId === "number"), `catalog[${i}] needs an itemId`));
  return catalog as CatalogItem[];
}

/** Writes a catalog as CSV: `itemId` first, then every other field seen (RFC 4180 quoting). */
function writeCatalog(catalog: CatalogItem[]): string {
  const fields = ["itemId", ...new Set(catalog.flatMap((c) => Object.keys(c)).filter((f) => f !== "itemId"))];
  const cell = (v: unknown) => {
    if (v === undefined || v === null) return "";
    const text = String(v);
    return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
  };
  return [fields.map(cell).join(","), ...catalog.map((c) => fields.map((f) => cell(c[f])).join(","))].join("\n") + "\n";
}

/**
 * Reads a catalog CSV (a header row, one item per row; RFC 4180 quoting). The item id column is
 * `itemId` (or `item_id`); fields that look like numbers become numbers, except the id.
 * @example
 * ```ts
 * const catalog = rk.readCatalog("catalog.csv"); // [{ itemId: "item_5", brand: "Nike", price: 59.9 }, …]
 * ```
 */
export function readCatalog(file: string): CatalogItem[] {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (e) {
    throw new RusketError("INVALID_ARGUMENT", `cannot read the catalog ${file}: ${(e as Error).message}`);
  }
  const rows = parseCsv(text);
  check(rows.length > 0, `${file} has no header row`, "INVALID_FORMAT");
  const header = rows[0].map((h) => (h === "item_id" ? "itemId" : h));
  check(header.includes("itemId"), `${file} has no itemId (or item_id) column`, "COLUMN_NOT_FOUND");
  return rows.slice(1).filter((r) => r.length > 1 || r[0] !== "").map((r) => {
    const item: Record<string, unknown> = {};
    header.forEach((h, j) => {
      const v = r[j] ?? "";
      if (v === "") return;
      item[h] = h !== "itemId" && /^-?\d+(\.\d+)?([eE][-+]?\d+)?$/.test(v) ? Number(v) : v;
    });
    return item as CatalogItem;
  });
}

function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [], field = "", quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') { field += '"'; i++; }
      else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ",") { row.push(field); field = ""; }
    else if (ch === "\n" || ch === "\r") {
      if (ch === "\r" && text[i + 1] === "\n") i++;
      row.push(field); rows.push(row); row = []; field = "";
    } else field += ch;
  }
  if (field !== "" || row.length > 0) { row.push(field); rows.push(row); }
  return rows;
}
