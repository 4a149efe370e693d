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

/** An SPMF sequence file (`a -1 b -1 -2`, one item per itemset) as number[][]. */
export function readSpmfSequences(name: string): number[][] {
  return fs
    .readFileSync(path.join(DATA, name), "utf8")
    .split("\n")
    .filter((l) => l.trim().length > 0)
    .map((l) => l.trim().split(/\s+/).map(Number).filter((x) => x >= 0));
}

/** An SPMF utility file (`items:total:utilities`) as parallel arrays. */
export function readSpmfUtility(name: string): { transactions: number[][]; utilities: number[][] } {
  const transactions: number[][] = [], utilities: number[][] = [];
  for (const line of fs.readFileSync(path.join(DATA, name), "utf8").split("\n")) {
    if (!line.trim()) continue;
    const [items, , utils] = line.trim().split(":");
    transactions.push(items.split(" ").map(Number));
    utilities.push(utils.split(" ").map(Number));
  }
  return { transactions, utilities };
}
