/**
 * Reads a rules frame of any kind (what `associationRules` returns, or one filtered or built by
 * hand) for the pictures and the graph: the item lists of each rule and its metric columns.
 * @internal
 * @module
 */
import { RusketError } from "../errors";
import { toSource } from "../data/source";
import type { Label } from "../types";

/** The rules of a frame, one entry per row. */
export interface RulesView {
  antecedents: Label[][];
  consequents: Label[][];
  /** The frame's column names. */
  columns: string[];
  /** A metric column (`support`, `confidence`, `lift`, …) as numbers. */
  metric(name: string): Float64Array;
}

/** A list cell as an array: JS arrays, polars Series and Arrow vectors all have a form. */
function itemList(v: any, column: string, row: number): Label[] {
  const items = Array.isArray(v) ? v : typeof v?.toArray === "function" ? Array.from(v.toArray()) : null;
  if (!items) throw new RusketError("INVALID_FORMAT", `${column}[${row}] is not a list of items`);
  return items.map((x: unknown) => (typeof x === "bigint" ? Number(x) : x) as Label);
}

/** The rules of `rules` (a polars, Danfo or Arrow frame or records with antecedents and consequents). */
export function readRules(rules: unknown): RulesView {
  const source = toSource(rules, "rules");
  for (const c of ["antecedents", "consequents"])
    if (!source.columns.includes(c))
      throw new RusketError("COLUMN_NOT_FOUND",
        `rules need the columns "antecedents" and "consequents" (what associationRules returns); the frame has ${JSON.stringify(source.columns)}`);
  const lists = (c: string) => source.values(c).map((v, i) => itemList(v, c, i));
  return {
    antecedents: lists("antecedents"), consequents: lists("consequents"), columns: source.columns,
    metric: (name) => source.numbers(name),
  };
}
