// rulesToGraph on the groceries rules: nodes, edges and weights counted independently from the
// rules' records; graphology's PageRank and Louvain run on the result.
import { describe, expect, it } from "vitest";
import * as pl from "nodejs-polars";
import pagerank from "graphology-metrics/centrality/pagerank";
import louvain from "graphology-communities-louvain";
import * as rk from "../../src/index";
import { dataBytes } from "../helpers";

type Rule = { antecedents: string[]; consequents: string[]; lift: number; confidence: number };

describe("rulesToGraph on groceries (support 0.001, confidence 0.5)", () => {
  const df = pl.readCSV(dataBytes("groceries.csv"));
  const freq = df.rusket.mine({ transactionCol: "basket", itemCol: "item", minSupport: 0.001 });
  const rules = freq.rusket.associationRules({ metric: "confidence", minThreshold: 0.5 });
  const records = rules.toRecords() as Rule[];
  const items = new Set(records.flatMap((r) => [...r.antecedents, ...r.consequents]));
  const simple = records.filter((r) => r.antecedents.length === 1 && r.consequents.length === 1);

  it("has one node per item in the rules and one edge per 1 ⇒ 1 rule, weighted by lift", () => {
    expect(rules.height).toBe(5829);
    const g = rk.rulesToGraph(rules);
    expect(g.type).toBe("directed");
    expect(g.order).toBe(items.size);
    expect(new Set(g.nodes())).toEqual(items);
    expect(g.size).toBe(simple.length);
    expect(simple.length).toBeGreaterThan(0);
    for (const r of simple) {
      const edge = g.edge(r.antecedents[0], r.consequents[0]);
      expect(edge).toBeDefined();
      expect(g.getEdgeAttribute(edge, "weight")).toBe(r.lift);
      expect(g.getEdgeAttribute(edge, "confidence")).toBe(r.confidence);
    }
    expect(g.getNodeAttribute("whole milk", "label")).toBe("whole milk");
  });

  it("weights by the metric asked for, from any frame kind", () => {
    const g = rk.rulesToGraph(records, { weight: "confidence" });
    expect(g.size).toBe(simple.length);
    for (const r of simple) expect(g.getEdgeAttribute(r.antecedents[0], r.consequents[0], "weight")).toBe(r.confidence);
    expect(() => rk.rulesToGraph(records, { weight: "nope" })).toThrow(/nope/);
  });

  it("is ready for graphology's PageRank and Louvain", () => {
    const g = rk.rulesToGraph(rules);
    const rank = pagerank(g, { getEdgeWeight: "weight" });
    expect(Object.values(rank).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6);
    const communities = louvain(g, { getEdgeWeight: "weight", rng: () => 0.5 });
    expect(Object.keys(communities)).toHaveLength(items.size);
  });
});
