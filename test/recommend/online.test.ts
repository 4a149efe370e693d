// Online recommendations (seed 003): training from events, artifacts, and requests.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import * as rk from "../../src/index";

const DAY = 86_400_000, T0 = 1_700_000_000_000;

/** 300 users, 120 items in 4 brands of 30; user u keeps to brand u % 4. */
function events(): rk.Interaction[] {
  let seed = 7;
  const rnd = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  const out: rk.Interaction[] = [];
  for (let u = 0; u < 300; u++)
    for (let j = 0; j < 12; j++) {
      const brand = u % 4, item = brand * 30 + Math.floor(rnd() * 30);
      const event = (["view", "add", "purchase"] as const)[Math.floor(rnd() * 3)];
      out.push({ userId: `u${u}`, itemId: `i${item}`, timestamp: T0 + Math.floor(rnd() * 30) * DAY, event, brand: `B${brand}`, price: 10 + item });
    }
  return out;
}

const brandOf = (item: rk.Label) => `B${Math.floor(Number(String(item).slice(1)) / 30)}`;
/** Ranked by score alone (no diversification), so that the brand of a user's items shows. */
const trained = rk.Recommender.train(events(), { config: { factors: 16, iterations: 10, mmrLambda: 1 } });

describe("Recommender.recommend", () => {
  it("serves a known user from their history: k items of their brand, ranked, with reasons", () => {
    const r = trained.recommend({ userId: "u1", k: 8 });
    expect(r.items.map((i) => i.rank)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(r.items.filter((i) => brandOf(i.itemId) === "B1").length).toBeGreaterThanOrEqual(7);
    expect(r.metadata).toMatchObject({ personalized: true, knownUser: true, recentEvents: 0 });
    expect(r.artifactVersion).toBe(trained.artifactVersion);
    for (const i of r.items) expect(i.reasons).toEqual(["Based on your history"]);
  });

  it("folds a new user's recent events in, and says which item they go with", () => {
    const bought = trained.recommend({ userId: "guest", k: 6, recent: [{ userId: "guest", itemId: "i65", timestamp: T0, event: "purchase" }] });
    expect(bought.metadata).toMatchObject({ personalized: true, knownUser: false, recentEvents: 1 });
    expect(bought.items.filter((i) => brandOf(i.itemId) === "B2").length).toBeGreaterThanOrEqual(5);
    expect(bought.items.map((i) => i.itemId)).not.toContain("i65");
    expect(bought.items.some((i) => i.reasons.includes("Frequently bought with i65"))).toBe(true);
    const viewed = trained.recommend({ userId: "guest", k: 6, recent: [{ userId: "guest", itemId: "i95", timestamp: T0, event: "view" }] });
    expect(viewed.items.some((i) => i.reasons.includes("Viewed together with i95"))).toBe(true);
  });

  it("weighs recent events by kind and age: an old view counts for less than a fresh purchase", () => {
    // i5 is of brand B0, i95 of B3: the weightier, fresher event pulls the list its way.
    const b3 = (recent: rk.Interaction[]) => trained.recommend({ userId: "g", k: 10, recent }).items.filter((i) => brandOf(i.itemId) === "B3").length;
    const pair = (old: rk.Label, fresh: rk.Label, kind: rk.EventKind): rk.Interaction[] => [
      { userId: "g", itemId: old, timestamp: T0 - 30 * DAY, event: kind },
      { userId: "g", itemId: fresh, timestamp: T0, event: kind },
    ];
    expect(b3(pair("i5", "i95", "view"))).toBeGreaterThan(b3(pair("i95", "i5", "view")));
    const kinds = (b0: rk.EventKind, b3: rk.EventKind): rk.Interaction[] => [
      { userId: "g", itemId: "i5", timestamp: T0, event: b0 },
      { userId: "g", itemId: "i95", timestamp: T0, event: b3 },
    ];
    expect(b3(kinds("view", "purchase"))).toBeGreaterThan(b3(kinds("purchase", "view")));
  });

  it("gives trending items to an unknown user without history, by brand if asked", () => {
    const r = trained.recommend({ userId: "nobody", k: 5 });
    expect(r.metadata.personalized).toBe(false);
    const scores = r.items.map((i) => i.score);
    expect([...scores].sort((a, b) => b - a)).toEqual(scores);
    for (const i of r.items) expect(i.reasons).toEqual([`Trending in ${brandOf(i.itemId)}`]);
    const b0 = trained.recommend({ userId: "nobody", k: 5, brand: "B0" });
    expect(b0.items.every((i) => brandOf(i.itemId) === "B0")).toBe(true);
  });

  it("keeps to the brand and the filters and never returns an excluded item", () => {
    const all = trained.recommend({ userId: "u2", k: 10 }).items.map((i) => i.itemId);
    const r = trained.recommend({ userId: "u2", k: 10, brand: "B2", exclusions: all.slice(0, 3) });
    expect(r.items.map((i) => i.itemId)).not.toEqual(expect.arrayContaining([all[0]]));
    for (const i of r.items) {
      expect(brandOf(i.itemId)).toBe("B2");
      expect(all.slice(0, 3)).not.toContain(i.itemId);
    }
    const cheap = trained.recommend({ userId: "u3", k: 4, filters: { price: [100, 101, 102, 103, 104, 105] } });
    expect(cheap.items.map((i) => Number(String(i.itemId).slice(1)) + 10).every((p) => p >= 100 && p <= 105)).toBe(true);
    expect(cheap.items).toHaveLength(4);
  });

  it("diversifies with MMR: λ = 1 ranks by score, a lower λ keeps the best item first", () => {
    const byScore = rk.Recommender.train(events(), { config: { factors: 16, iterations: 10, mmrLambda: 1 } }).recommend({ userId: "u5", k: 10 });
    const scores = byScore.items.map((i) => i.score);
    expect([...scores].sort((a, b) => b - a)).toEqual(scores);
    const diverse = rk.Recommender.train(events(), { config: { factors: 16, iterations: 10, mmrLambda: 0.3 } }).recommend({ userId: "u5", k: 10 });
    expect(diverse.items[0].itemId).toBe(byScore.items[0].itemId);
    expect(diverse.items).toHaveLength(10);
  });

  it("rejects bad requests with a RusketError", () => {
    for (const k of [0, 101, 2.5, "5"])
      expect(() => trained.recommend({ userId: "u1", k: k as any })).toThrow(expect.objectContaining({ code: "INVALID_ARGUMENT" }));
    expect(() => trained.recommend({ userId: "u1", recent: [{ userId: "u1", itemId: "i1", timestamp: T0, event: "click" as any }] })).toThrow(expect.objectContaining({ code: "INVALID_ARGUMENT" }));
    expect(() => trained.recommend({ k: 3 } as any)).toThrow(expect.objectContaining({ code: "INVALID_ARGUMENT" }));
    expect(() => rk.Recommender.train([])).toThrow(expect.objectContaining({ code: "EMPTY_INPUT" }));
    expect(() => new rk.Recommender({ model: trained.model }).recommend({ userId: "u1" })).toThrow(expect.objectContaining({ code: "NOT_FITTED" }));
  });
});

describe("Recommender artifacts", () => {
  it("save then load answers every request the same; a changed or missing file is CORRUPT_FILE", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "rusket-artifacts-"));
    trained.save(dir);
    const manifest = JSON.parse(fs.readFileSync(path.join(dir, "manifest.json"), "utf8"));
    expect(manifest.artifactVersion).toBe(trained.artifactVersion);
    expect(Object.keys(manifest.files).sort()).toEqual(["catalog.csv", "config.json", "model.rusket", "trending.json"]);
    const again = rk.Recommender.load(dir);
    const requests: rk.RecommendRequest[] = [
      { userId: "u1", k: 7 },
      { userId: "guest", recent: [{ userId: "guest", itemId: "i65", timestamp: T0, event: "add" }] },
      { userId: "nobody", k: 3, brand: "B1" },
    ];
    for (const q of requests) expect(again.recommend(q)).toEqual(trained.recommend(q));
    fs.appendFileSync(path.join(dir, "trending.json"), " ");
    expect(() => rk.Recommender.load(dir)).toThrow(expect.objectContaining({ code: "CORRUPT_FILE" }));
    fs.rmSync(path.join(dir, "manifest.json"));
    expect(() => rk.Recommender.load(dir)).toThrow(expect.objectContaining({ code: "CORRUPT_FILE" }));
    fs.rmSync(dir, { recursive: true });
  });

  it("reads a catalog CSV with quoted fields, and a catalogPath in place of the saved one", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "rusket-catalog-"));
    const csv = path.join(dir, "catalog.csv");
    fs.writeFileSync(csv, 'item_id,brand,price,name\n' + Array.from({ length: 120 }, (_, i) => `i${i},${i < 60 ? '"Acme, Inc."' : "Zed"},${i},"the ""${i}"""`).join("\r\n") + "\n");
    expect(rk.readCatalog(csv)[1]).toEqual({ itemId: "i1", brand: "Acme, Inc.", price: 1, name: 'the "1"' });
    const rec = rk.Recommender.train(events(), { catalog: csv, config: { factors: 8, iterations: 5 } });
    const r = rec.recommend({ userId: "nobody", k: 4, brand: "Acme, Inc." });
    expect(r.items.every((i) => Number(String(i.itemId).slice(1)) < 60)).toBe(true);
    expect(r.items[0].reasons).toEqual(["Trending in Acme, Inc."]);
    rec.save(path.join(dir, "artifacts"));
    const other = path.join(dir, "other.csv");
    fs.writeFileSync(other, "itemId,brand\n" + Array.from({ length: 120 }, (_, i) => `i${i},${i % 2 ? "Odd" : "Even"}`).join("\n"));
    const loaded = rk.Recommender.load(path.join(dir, "artifacts"), { catalogPath: other });
    expect(loaded.recommend({ userId: "u1", k: 5, brand: "Odd" }).items.every((i) => Number(String(i.itemId).slice(1)) % 2 === 1)).toBe(true);
    fs.rmSync(dir, { recursive: true });
  });
});
