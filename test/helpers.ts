import * as fs from "node:fs";
import * as path from "node:path";
import * as zlib from "node:zlib";

export const DATA = path.join(__dirname, "..", "data");

/** A FIMI file (one basket per line, space-separated integer items) as number[][]. */
export function readFimi(name: string): number[][] {
  return fs
    .readFileSync(path.join(DATA, name), "utf8")
    .split("\n")
    .filter((l, i, all) => l.length > 0 || i < all.length - 1)
    .map((l) => l.trim().split(/\s+/).filter(Boolean).map(Number));
}

/** A data file's bytes (gzip-compressed files decompressed). */
export function dataBytes(name: string): Buffer {
  const raw = fs.readFileSync(path.join(DATA, name));
  return name.endsWith(".gz") ? zlib.gunzipSync(raw) : raw;
}

/** Canonical text of an itemset for set comparisons. */
export function key(items: unknown[]): string {
  return [...items].map(String).sort().join("\u0001");
}

/** itemset key → count, from a records result and the transaction count. */
export function itemsetMap(rows: { support: number; itemsets: unknown[] }[], n: number): Map<string, number> {
  return new Map(rows.map((r) => [key(r.itemsets), Math.round(r.support * n)]));
}
