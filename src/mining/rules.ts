/**
 * Association rules from frequent itemsets (SPEC M3), with mlxtend 0.25.0's metrics.
 * @module
 */
import { RusketError, check } from "../errors";
import { native } from "../native";
import { buildFrame, outputKind, recall } from "../data/output";
import { detectKind, encodeValues, sortedCodes, toSource } from "../data/source";
import type { FormatOption, Label } from "../types";
import type { ItemsetsMeta } from "./mine";
import { maxLength, threadCount } from "./support";

/** The metric columns of a rules frame, in order. */
export const RULE_METRICS = [
  "antecedentSupport", "consequentSupport", "support", "confidence", "lift", "representativity",
  "leverage", "conviction", "zhangsMetric", "jaccard", "certainty", "kulczynski",
] as const;

/** A metric rules can be filtered by. */
export type RuleMetric =
  | "support" | "confidence" | "lift" | "representativity" | "leverage" | "conviction"
  | "zhangsMetric" | "jaccard" | "certainty" | "kulczynski";

const METRIC_CODES: Record<string, number> = {
  support: 0, confidence: 1, lift: 2, representativity: 3, leverage: 4, conviction: 5,
  zhangsMetric: 6, zhangs_metric: 6, jaccard: 7, certainty: 8, kulczynski: 9,
};

/** Options of {@link associationRules}. */
export interface RuleOptions extends FormatOption {
  /** Transactions the itemsets were mined from; not needed for what `mine` returned. */
  numItemsets?: number;
  /** The metric `minThreshold` applies to (default `"confidence"`). */
  metric?: RuleMetric | "zhangs_metric";
  /** Keep rules whose metric is ≥ this (default 0.8). */
  minThreshold?: number;
  /** Only one item in the consequent (R arules' and Borgelt's rules). */
  singleConsequent?: boolean;
  /** Compute only support (for itemset frames missing some subsets). */
  supportOnly?: boolean;
  /** Only rules whose antecedent items are all in this list. */
  antecedentItems?: Label[];
  /** Only rules whose consequent items are all in this list. */
  consequentItems?: Label[];
  /** Longest antecedent. */
  maxAntecedentLen?: number;
  /** Longest consequent. */
  maxConsequentLen?: number;
  /** Native threads (default: all cores). */
  threads?: number;
}

/** Reads an itemset frame that `mine` did not make (a filtered one, or one built by hand). */
function decode(freq: unknown, numItemsets: number | undefined): ItemsetsMeta & { kind: any } {
  let source;
  try {
    source = toSource(freq, "freq");
  } catch (e) {
    if (e instanceof RusketError && e.code === "INVALID_FORMAT")
      throw new RusketError("INVALID_FORMAT", "freq must be an itemset frame with columns support and itemsets (what mine returns)");
    throw e;
  }
  if (!source.columns.includes("support") || !source.columns.includes("itemsets"))
    throw new RusketError("INVALID_FORMAT",
      `freq is not an itemset frame: it needs columns "support" and "itemsets", it has ${JSON.stringify(source.columns)}`);
  if (numItemsets === undefined)
    throw new RusketError("INVALID_ARGUMENT", "numItemsets (the number of transactions) is required for an itemset frame that mine did not return");
  check(Number.isInteger(numItemsets) && numItemsets > 0, `numItemsets must be a whole number > 0, got ${numItemsets}`);
  const support = source.numbers("support");
  const lists = source.values("itemsets").map((v: any, i: number) => {
    const items = Array.isArray(v) ? v : typeof v?.toArray === "function" ? v.toArray() : v instanceof Set ? [...v] : null;
    if (!items) throw new RusketError("INVALID_FORMAT", `itemsets[${i}] is not a list of items`);
    return items as Label[];
  });
  const offsets = new Uint32Array(lists.length + 1);
  lists.forEach((l, i) => (offsets[i + 1] = offsets[i] + l.length));
  const { codes, labels } = sortedCodes(encodeValues(lists.flat(), "itemsets"));
  const counts = Uint32Array.from(support, (s) => Math.round(s * numItemsets));
  return { nTransactions: numItemsets, sets: { offsets, items: codes, counts }, labels, kind: source };
}

function itemMask(items: Label[] | undefined, labels: Label[], what: string): Uint8Array | undefined {
  if (items === undefined) return undefined;
  if (!Array.isArray(items)) throw new RusketError("INVALID_ARGUMENT", `${what} must be an array of item labels`);
  const wanted = new Set(items);
  return Uint8Array.from(labels, (l) => (wanted.has(l) ? 1 : 0));
}

/**
 * Association rules `antecedents ⇒ consequents` from frequent itemsets, as a frame
 * `[antecedents, consequents, antecedentSupport, consequentSupport, support, confidence, lift,
 * representativity, leverage, conviction, zhangsMetric, jaccard, certainty, kulczynski]`.
 * Every ratio is computed from integer counts, so thresholds on the boundary are exact.
 *
 * @example
 * ```ts
 * const freq = rk.mine(df, { transactionCol: "basket", itemCol: "item", minSupport: 0.001 });
 * const rules = rk.associationRules(freq, { metric: "confidence", minThreshold: 0.5, singleConsequent: true });
 * ```
 */
export function associationRules(freq: unknown, o: RuleOptions = {}): any {
  const metric = METRIC_CODES[o.metric ?? "confidence"];
  if (metric === undefined) throw new RusketError("INVALID_ARGUMENT", `unknown metric ${JSON.stringify(o.metric)}; one of ${Object.keys(METRIC_CODES).join(", ")}`);
  const minThreshold = o.minThreshold ?? 0.8;
  if (typeof minThreshold !== "number" || Number.isNaN(minThreshold))
    throw new RusketError("INVALID_ARGUMENT", `minThreshold must be a number, got ${String(o.minThreshold)}`);
  let known = recall<ItemsetsMeta>(freq);
  if (known && o.numItemsets !== undefined) {
    // An explicit count wins: it may include empty baskets that a long table cannot hold.
    check(Number.isInteger(o.numItemsets) && o.numItemsets >= known.nTransactions,
      `numItemsets must be a whole number ≥ the ${known.nTransactions} transactions these itemsets were mined from, got ${o.numItemsets}`);
    known = { ...known, nTransactions: o.numItemsets };
  }
  const meta = known ?? decode(freq, o.numItemsets);
  const kind = known ? undefined : (meta as ReturnType<typeof decode>).kind;
  const rules = native("associationRules", meta.sets, meta.nTransactions, {
    metric, minThreshold,
    singleConsequent: o.singleConsequent ?? false,
    supportOnly: o.supportOnly ?? false,
    antecedentItems: itemMask(o.antecedentItems, meta.labels, "antecedentItems"),
    consequentItems: itemMask(o.consequentItems, meta.labels, "consequentItems"),
    maxAntecedentLen: maxLength(o.maxAntecedentLen, "maxAntecedentLen"),
    maxConsequentLen: maxLength(o.maxConsequentLen, "maxConsequentLen"),
    threads: threadCount(o.threads),
    nItems: meta.labels.length,
  });
  const like = kind?.frame ?? freq;
  const inputKind = kind ?? { kind: detectKind(freq) ?? "records" };
  return buildFrame(
    [
      { name: "antecedents", type: "labelList", offsets: rules.antecedentOffsets, codes: rules.antecedentItems, labels: meta.labels },
      { name: "consequents", type: "labelList", offsets: rules.consequentOffsets, codes: rules.consequentItems, labels: meta.labels },
      ...RULE_METRICS.map((name, i) => ({ name, type: "f64" as const, values: rules.columns[i] })),
    ],
    outputKind(inputKind, o.format),
    like,
  );
}
