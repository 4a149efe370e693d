/**
 * Association rules as a directed graph of items (SPEC M17), for graphology's PageRank,
 * Louvain communities and the rest of its standard library.
 * @module
 */
import type { DirectedGraph } from "graphology";
import { RusketError } from "../errors";
import { RULE_METRICS } from "../mining/rules";
import type { Label } from "../types";
import { readRules } from "./rules";

/**
 * Options of {@link rulesToGraph}.
 *
 * @example
 * ```ts
 * rk.rulesToGraph(rules, { weight: "confidence" });
 * ```
 */
export interface RulesToGraphOptions {
  /** The metric column that becomes each edge's `weight` (default `"lift"`). */
  weight?: string;
}

/**
 * The rules as a graphology `DirectedGraph`: one node per item found in any rule (key
 * `String(label)`, attribute `label`), and one edge `antecedent → consequent` per rule with a
 * single antecedent item and a single consequent item, whose attribute `weight` is the chosen
 * metric (every metric column of the rules is also an edge attribute of its own name). Rules
 * with several items on either side have no edge of their own — an edge stands for one item
 * leading to another — but their items are nodes.
 *
 * @example
 * ```ts
 * import pagerank from "graphology-metrics/centrality/pagerank";
 * import louvain from "graphology-communities-louvain";
 * const g = rk.rulesToGraph(rules, { weight: "lift" });
 * const rank = pagerank(g, { getEdgeWeight: "weight" });
 * const community = louvain(g);
 * ```
 */
export function rulesToGraph(rules: unknown, o: RulesToGraphOptions = {}): DirectedGraph {
  const weight = o.weight ?? "lift";
  let graphology: typeof import("graphology");
  try {
    graphology = require("graphology");
  } catch {
    throw new RusketError("INVALID_ARGUMENT", "rulesToGraph needs the package graphology (npm install graphology)");
  }
  const r = readRules(rules);
  const weights = r.metric(weight);
  const metrics = RULE_METRICS.filter((m) => r.columns.includes(m)).map((m) => [m, r.metric(m)] as const);
  const graph = new graphology.DirectedGraph();
  const addNode = (label: Label) => graph.mergeNode(String(label), { label });
  r.antecedents.forEach((a, i) => {
    const c = r.consequents[i];
    a.forEach(addNode);
    c.forEach(addNode);
    if (a.length !== 1 || c.length !== 1) return;
    const [from, to] = [String(a[0]), String(c[0])];
    if (graph.hasEdge(from, to))
      throw new RusketError("INVALID_FORMAT", `the rules hold ${a[0]} ⇒ ${c[0]} twice; a graph has one edge per pair of items`);
    const attributes: Record<string, number> = { weight: weights[i] };
    for (const [m, values] of metrics) attributes[m] = values[i];
    graph.addDirectedEdge(from, to, attributes);
  });
  return graph;
}

