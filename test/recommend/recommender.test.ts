// Recommender: rules first by lift then confidence, then the model, then popularity; carts excluded.
import { describe, expect, it } from "vitest";
import * as pl from "nodejs-polars";
import * as rk from "../../src/index";

// Hand-made rules (records, as associationRules returns for arrays), deliberately unsorted.
const rules = [
  { antecedents: ["bread"], consequents: ["butter"], lift: 1.5, confidence: 0.6, consequentSupport: 0.4 },
  { antecedents: ["bread", "milk"], consequents: ["jam", "butter"], lift: 3, confidence: 0.5, consequentSupport: 0.1 },
  { antecedents: ["milk"], consequents: ["cereal"], lift: 1.5, confidence: 0.9, consequentSupport: 0.3 },
  { antecedents: ["beer"], consequents: ["chips"], lift: 4, confidence: 0.8, consequentSupport: 0.2 },
  { antecedents: ["milk"], consequents: ["bread"], lift: 1.2, confidence: 0.7, consequentSupport: 0.5 },
];

describe("Recommender with rules only", () => {
  const rec = new rk.Recommender({ rules });

  it("ranks the consequents of firing rules by lift, then confidence, without cart items", () => {
    const r = rec.recommendForCart(["bread", "milk"], { n: 4 });
    // jam+butter (lift 3), cereal (1.5, conf .9) before butter again (1.5, .6, taken), bread (in the cart)
    expect(r.items).toEqual(["jam", "butter", "cereal", "chips"]);
    expect(r.scores.slice(0, 3)).toEqual([3, 3, 1.5]);
    expect(r.sources).toEqual(["rules", "rules", "rules", "popularity"]);
  });

  it("falls back to popularity (support of single consequents) when no rule fires, and for any user", () => {
    const r = rec.recommendForCart(["wine"], { n: 3 });
    expect(r.items).toEqual(["bread", "butter", "cereal"]);
    expect(r.scores).toEqual([0.5, 0.4, 0.3]);
    expect(r.sources).toEqual(["popularity", "popularity", "popularity"]);
    expect(rec.recommendForUser("anyone", { n: 2 }).items).toEqual(["bread", "butter"]);
    expect(rec.popular({ n: 1 }).items).toEqual(["bread"]);
  });

  it("reads rules frames from associationRules (polars)", () => {
    const baskets = [["a", "b"], ["a", "b"], ["a", "c"], ["b", "c"], ["a", "b", "c"]];
    const freq = rk.mine(baskets, { minSupport: 0.2, format: "polars" });
    const polarsRules = rk.associationRules(freq, { minThreshold: 0.1 });
    expect(polarsRules.height).toBeGreaterThan(0);
    const r = new rk.Recommender({ rules: polarsRules }).recommendForCart(["a"], { n: 2 });
    expect(r.items.every((i) => i !== "a")).toBe(true);
    expect(r.sources[0]).toBe("rules");
  });

  it("rejects bad arguments", () => {
    expect(() => new rk.Recommender({})).toThrow(expect.objectContaining({ code: "INVALID_ARGUMENT" }));
    expect(() => rec.recommendForCart("bread" as any)).toThrow(expect.objectContaining({ code: "INVALID_ARGUMENT" }));
    expect(() => rec.recommendForCart(["bread"], { n: 0 })).toThrow(expect.objectContaining({ code: "INVALID_ARGUMENT" }));
    expect(() => new rk.Recommender({ rules: [{ antecedents: "x", consequents: ["y"], lift: 1, confidence: 1, consequentSupport: 1 }] }))
      .toThrow(expect.objectContaining({ code: "INVALID_FORMAT" }));
  });
});

describe("Recommender with a model", () => {
  // Two communities: users 0-9 buy a/b/c, users 10-19 buy x/y/z; "a" is the most bought.
  const rows: { user: number; item: string }[] = [];
  for (let u = 0; u < 20; u++) for (const i of u < 10 ? ["a", "b", "c"] : ["x", "y", "z"]) if ((u + i.charCodeAt(0)) % 4 !== 0) rows.push({ user: u, item: i });
  for (let u = 0; u < 20; u++) rows.push({ user: u, item: "a" });
  const model = new rk.ALS({ factors: 4, iterations: 20, seed: 1, threads: 1 }).fit(pl.DataFrame(rows), { userCol: "user", itemCol: "item" });
  const rec = new rk.Recommender({ model, rules: rules.slice(3) }); // only the beer ⇒ chips rule

  it("recommends for known users from the model, unknown users get popular items", () => {
    const known = rec.recommendForUser(3, { n: 2 });
    expect(known).toEqual({ ...model.recommendItems(3, { n: 2 }), sources: ["model", "model"] });
    const unknown = rec.recommendForUser(999, { n: 2 });
    expect(unknown.items[0]).toBe("a");
    expect(unknown.sources).toEqual(["popularity", "popularity"]);
    expect(unknown.scores[0]).toBe(new Set(rows.filter((r) => r.item === "a").map((r) => r.user)).size); // buyers, not rows
  });

  it("fills a cart's suggestions from rules, then the model folded on the cart, then popularity", () => {
    const r = rec.recommendForCart(["beer", "x"], { n: 4 });
    expect(r.items[0]).toBe("chips");
    expect(r.sources[0]).toBe("rules");
    const fromModel = model.recalculateUser(["beer", "x"], undefined, { n: 3 }).items;
    expect(r.items.slice(1)).toEqual(fromModel.slice(0, 3));
    expect(r.sources.slice(1)).toEqual(["model", "model", "model"]);
    expect(r.items).not.toContain("x");
    expect(new Set(r.items).size).toBe(r.items.length);
  });
});
