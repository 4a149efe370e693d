/**
 * Out of core (SPEC M14): a user × item matrix built on disk from chunks, then memory-mapped
 * for {@link ALS} (and {@link BPR}), so that fitting needs memory for the factors, not for the
 * matrix: the OS pages the matrix in and out.
 * @module
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { RusketError, check } from "../errors";
import { native } from "../native";

/** The files a matrix directory holds (the builder removes them before it starts). */
const FILES = ["coo.bin", "meta.json", ...["ui", "iu"].flatMap((o) => ["indptr", "indices", "data"].map((p) => `${o}.${p}`))];

/** A user × item matrix on disk, built by {@link CsrBuilder}; pass it to `ALS.fit`. */
export class DiskMatrix {
  private constructor(
    /** The matrix directory. */
    readonly dir: string,
    readonly nUsers: number,
    readonly nItems: number,
    /** Distinct (user, item) entries. */
    readonly nnz: number,
  ) {}

  /**
   * Opens a matrix directory built earlier.
   * @example
   * ```ts
   * const model = new rk.ALS({ factors: 64 }).fit(rk.DiskMatrix.open("/data/ratings.csr"));
   * ```
   */
  static open(dir: string): DiskMatrix {
    let meta: { nUsers: number; nItems: number; nnz: number };
    try {
      meta = JSON.parse(fs.readFileSync(path.join(dir, "meta.json"), "utf8"));
    } catch (e) {
      throw new RusketError("INVALID_ARGUMENT", `${dir} holds no built matrix (${(e as Error).message}); build one with CsrBuilder`);
    }
    check([meta.nUsers, meta.nItems, meta.nnz].every((x) => Number.isInteger(x) && x >= 0), `${dir}/meta.json is not a matrix description`, "CORRUPT_FILE");
    return new DiskMatrix(dir, meta.nUsers, meta.nItems, meta.nnz);
  }

  /** @internal The matrix as the native side reads it. */
  static describe(m: DiskMatrix): { disk: string; nRows: number; nCols: number } {
    return { disk: m.dir, nRows: m.nUsers, nCols: m.nItems };
  }
}

/** Options of {@link CsrBuilder.finish}. */
export interface FinishOptions {
  /** Users (rows); default: the largest user code + 1. */
  nUsers?: number;
  /** Items (columns); default: the largest item code + 1. */
  nItems?: number;
  /** Bytes of entries held in memory while sorting (default 256 MiB); more passes over the rows when smaller. */
  memoryBudget?: number;
}

function codes(x: ArrayLike<number>, what: string): Uint32Array | Float64Array {
  check(x?.length !== undefined, `${what} must be an array of whole numbers ≥ 0`);
  return x instanceof Uint32Array || x instanceof Float64Array ? x : Float64Array.from(x);
}

/**
 * Builds a user × item matrix on disk from chunks of (user, item, value) rows — for matrices
 * larger than memory (seed 001's out-of-core ALS). Users and items are codes (whole numbers
 * from 0); repeated pairs are summed. `finish` sorts the rows into both CSR orientations
 * under a memory budget and returns a {@link DiskMatrix} for `ALS.fit`, which memory-maps it.
 *
 * @example
 * ```ts
 * const builder = new rk.CsrBuilder("/data/ratings.csr");
 * for (const { users, items } of chunks) builder.add(users, items);
 * const model = new rk.ALS({ factors: 64, iterations: 5 }).fit(builder.finish());
 * ```
 */
export class CsrBuilder {
  /** Rows added so far. */
  rows = 0;
  private maxUser = -1;
  private maxItem = -1;

  /** Starts a matrix in `dir` (created if missing; an earlier matrix there is replaced). */
  constructor(readonly dir: string) {
    check(typeof dir === "string" && dir.length > 0, "CsrBuilder needs a directory");
    fs.mkdirSync(dir, { recursive: true });
    for (const f of FILES) fs.rmSync(path.join(dir, f), { force: true });
  }

  /** Appends rows: user `users[k]` interacted with item `items[k]`, with strength `values[k]` (1 when left out). */
  add(users: ArrayLike<number>, items: ArrayLike<number>, values?: ArrayLike<number>): this {
    const u = codes(users, "users"), i = codes(items, "items");
    const v = values === undefined ? undefined : values instanceof Float32Array ? values : Float32Array.from(values);
    const { maxUser, maxItem } = native("csrAppend", this.dir, u, i, v);
    this.maxUser = Math.max(this.maxUser, maxUser);
    this.maxItem = Math.max(this.maxItem, maxItem);
    this.rows += u.length;
    return this;
  }

  /** Sorts the rows into the matrix files; returns the {@link DiskMatrix} to fit on. */
  finish(o: FinishOptions = {}): DiskMatrix {
    check(this.rows > 0, "no rows were added", "EMPTY_INPUT");
    const nUsers = o.nUsers ?? this.maxUser + 1, nItems = o.nItems ?? this.maxItem + 1;
    for (const [n, what, least] of [[nUsers, "nUsers", this.maxUser + 1], [nItems, "nItems", this.maxItem + 1]] as const)
      check(Number.isInteger(n) && n >= least, `${what} must be a whole number ≥ ${least} (the largest code + 1), got ${String(n)}`);
    const budget = o.memoryBudget ?? 256 * 2 ** 20;
    check(typeof budget === "number" && budget >= 1024, `memoryBudget must be at least 1024 bytes, got ${String(o.memoryBudget)}`);
    const nnz = native("csrBuild", this.dir, nUsers, nItems, budget);
    fs.writeFileSync(path.join(this.dir, "meta.json"), JSON.stringify({ nUsers, nItems, nnz }));
    return DiskMatrix.open(this.dir);
  }
}
