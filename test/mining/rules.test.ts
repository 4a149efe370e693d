// Association rules: the groceries reference and every metric against hand computations.
import { describe, expect, it } from "vitest";
import * as pl from "nodejs-polars";
import * as rk from "../../src/index";
import reference from "../fixtures/reference.json";
import { dataBytes, key } from "../helpers";

type Rule = Record<(typeof rk.RULE_METRICS)[number], number> & { antecedents: string[]; consequents: string[] };

function find(rules: Rule[], a: string[], c: string[]): Rule {
  const r = rules.find((r) => key(r.antecedents) === key(a) && key(r.consequents) === key(c));
  if (!r) throw new Error(`no rule ${a} => ${c}`);
  return r;
}

describe("groceries at support 0.001, confidence 0.5", () => {
  const df = pl.readCSV(dataBytes("groceries.csv"));
  const freq = df.rusket.mine({ transactionCol: "basket", itemCol: "item", minSupport: 0.001 });
  const ref = reference.groceriesRules;

  it("gives R arules' 5,668 single-consequent rules, with the reference lengths", () => {
    const rules = freq.rusket.associationRules({ metric: "confidence", minThreshold: 0.5, singleConsequent: true });
    expect(rules.height).toBe(ref.singleConsequent);
    const byLength: Record<string, number> = {};
    for (const r of rules.toRecords() as Rule[]) {
      expect(r.consequents.length).toBe(1);
      const len = String(r.antecedents.length + 1);
      byLength[len] = (byLength[len] ?? 0) + 1;
    }
    expect(byLength).toEqual(ref.byLength);
    const honey = find(rules.toRecords() as Rule[], ["honey"], ["whole milk"]);
    expect(honey.support).toBeCloseTo(ref.honeyWholeMilk.support, 9);
    expect(honey.confidence).toBeCloseTo(ref.honeyWholeMilk.confidence, 4);
    expect(honey.lift).toBeCloseTo(ref.honeyWholeMilk.lift, 6);
  });

  it("gives mlxtend's 5,829 rules with every consequent size", () => {
    const rules = rk.associationRules(freq, { minThreshold: 0.5 });
    expect(rules.height).toBe(ref.allConsequents);
  });

  it("keeps the rules whose confidence is exactly the threshold", () => {
    // 482 candidate rules (452 with one consequent) sit exactly at 0.5: computed from counts, none is lost to rounding.
    const rules = rk.associationRules(freq, { minThreshold: 0.5, format: "records" }) as Rule[];
    expect(rules.filter((r) => r.confidence === 0.5).length).toBe(482);
    const below = rk.associationRules(freq, { minThreshold: 0.4999, format: "records" }) as Rule[];
    expect(below.filter((r) => r.confidence === 0.5).length).toBe(482);
    const single = rk.associationRules(freq, { minThreshold: 0.5, singleConsequent: true, format: "records" }) as Rule[];
    expect(single.filter((r) => r.confidence === 0.5).length).toBe(452);
  });

  it("restricts antecedent and consequent items while generating", () => {
    const rules = rk.associationRules(freq, {
      minThreshold: 0.5, consequentItems: ["whole milk"], maxAntecedentLen: 2, format: "records",
    }) as Rule[];
    expect(rules.length).toBeGreaterThan(0);
    expect(rules.every((r) => key(r.consequents) === key(["whole milk"]) && r.antecedents.length <= 2)).toBe(true);
    const all = rk.associationRules(freq, { minThreshold: 0.5, format: "records" }) as Rule[];
    const expected = all.filter((r) => key(r.consequents) === key(["whole milk"]) && r.antecedents.length <= 2);
    expect(rules.length).toBe(expected.length);
    const only = rk.associationRules(freq, { minThreshold: 0.5, antecedentItems: ["honey", "yogurt", "curd"], format: "records" }) as Rule[];
    expect(only.every((r) => r.antecedents.every((a) => ["honey", "yogurt", "curd"].includes(a)))).toBe(true);
    expect(only.length).toBe(all.filter((r) => r.antecedents.every((a) => ["honey", "yogurt", "curd"].includes(a))).length);
  });
});

describe("metrics against hand-computed values", () => {
  // a:3 b:4 c:2 ab:3 ac:1 bc:1 abc:1 in 5 baskets
  const freq = rk.mine([["a", "b"], ["a", "b"], ["a", "b", "c"], ["c"], ["b"]], { minSupport: 1 });
  const rules = rk.associationRules(freq, { minThreshold: 0 }) as Rule[];

  it("a ⇒ b (confidence 1: conviction is infinite)", () => {
    const r = find(rules, ["a"], ["b"]);
    expect(r.antecedentSupport).toBeCloseTo(0.6, 12);
    expect(r.consequentSupport).toBeCloseTo(0.8, 12);
    expect(r.support).toBeCloseTo(0.6, 12);
    expect(r.confidence).toBe(1);
    expect(r.lift).toBeCloseTo(1.25, 12);
    expect(r.representativity).toBe(1);
    expect(r.leverage).toBeCloseTo(0.12, 12);
    expect(r.conviction).toBe(Infinity);
    expect(r.zhangsMetric).toBeCloseTo(0.5, 12);
    expect(r.jaccard).toBeCloseTo(0.75, 12);
    expect(r.certainty).toBeCloseTo(1, 12);
    expect(r.kulczynski).toBeCloseTo(0.875, 12);
  });

  it("b ⇒ a", () => {
    const r = find(rules, ["b"], ["a"]);
    expect(r.confidence).toBeCloseTo(0.75, 12);
    expect(r.lift).toBeCloseTo(1.25, 12);
    expect(r.conviction).toBeCloseTo(1.6, 12);
    expect(r.zhangsMetric).toBeCloseTo(1, 12);
    expect(r.certainty).toBeCloseTo(0.375, 12);
    expect(r.kulczynski).toBeCloseTo(0.875, 12);
  });

  it("a, b ⇒ c and c ⇒ a, b (multi-item sides)", () => {
    const r = find(rules, ["a", "b"], ["c"]);
    expect(r.confidence).toBeCloseTo(1 / 3, 12);
    expect(r.lift).toBeCloseTo(1 / 3 / 0.4, 12);
    expect(r.leverage).toBeCloseTo(0.2 - 0.6 * 0.4, 12);
    const s = find(rules, ["c"], ["a", "b"]);
    expect(s.confidence).toBeCloseTo(0.5, 12);
    expect(s.conviction).toBeCloseTo((1 - 0.6) / (1 - 0.5), 12);
  });

  it("Zhang's metric is 0 where its denominator is 0, certainty 0 where the consequent is everywhere", () => {
    // x is in every basket: x ⇒ a has denominator max(sAC·(1−sA), sA·(sC−sAC)) = 0.
    const f = rk.mine([["x", "a"], ["x", "a"], ["x"], ["x", "b"]], { minSupport: 1 });
    const rs = rk.associationRules(f, { minThreshold: 0 }) as Rule[];
    const xa = find(rs, ["x"], ["a"]);
    expect(xa.zhangsMetric).toBe(0);
    expect(xa.conviction).toBeCloseTo(1, 12);
    expect(xa.certainty).toBe(0);
    const ax = find(rs, ["a"], ["x"]);
    expect(ax.conviction).toBe(Infinity);
    expect(ax.certainty).toBe(0);
    expect(ax.zhangsMetric).toBe(0);
    expect(ax.kulczynski).toBeCloseTo(0.75, 12);
  });

  it("filters on any metric", () => {
    const byLift = rk.associationRules(freq, { metric: "lift", minThreshold: 1.2 }) as Rule[];
    expect(byLift.length).toBeGreaterThan(0);
    expect(byLift.every((r) => r.lift >= 1.2)).toBe(true);
    expect(byLift.length).toBe(rules.filter((r) => r.lift >= 1.2).length);
  });

  it("a frame mine did not make needs numItemsets, and supportOnly tolerates missing subsets", () => {
    const hand = [{ support: 0.6, itemsets: ["a", "b"] }, { support: 0.6, itemsets: ["a"] }, { support: 0.8, itemsets: ["b"] }];
    const r = rk.associationRules(hand, { numItemsets: 5, minThreshold: 0 }) as Rule[];
    expect(find(r, ["a"], ["b"]).confidence).toBe(1);
    const partial = [{ support: 0.6, itemsets: ["a", "b"] }];
    expect(() => rk.associationRules(partial, { numItemsets: 5, minThreshold: 0 })).toThrowError(rk.RusketError);
    const so = rk.associationRules(partial, { numItemsets: 5, supportOnly: true, metric: "support", minThreshold: 0 }) as Rule[];
    expect(so.length).toBe(2);
    expect(so[0].support).toBeCloseTo(0.6, 12);
    expect(Number.isNaN(so[0].confidence)).toBe(true);
  });
});

describe("numItemsets", () => {
  it("an explicit count includes empty baskets a long table cannot hold", () => {
    // 4 baskets with items plus 1 empty one: a ⇒ b has support 2/5, not 2/4
    const freq = rk.mine(pl.DataFrame({ t: [1, 1, 2, 2, 3, 4], i: ["a", "b", "a", "b", "a", "c"] }), { transactionCol: "t", itemCol: "i", minSupport: 1, format: "records" });
    const r = (rk.associationRules(freq, { numItemsets: 5, minThreshold: 0 }) as Rule[]).find((x) => key(x.antecedents) === key(["a"]) && key(x.consequents) === key(["b"]))!;
    expect(r.support).toBeCloseTo(0.4, 12);
    expect(r.antecedentSupport).toBeCloseTo(0.6, 12);
    expect(r.confidence).toBeCloseTo(2 / 3, 12);
    expect(() => rk.associationRules(freq, { numItemsets: 3 })).toThrowError(expect.objectContaining({ code: "INVALID_ARGUMENT" }));
  });
});
