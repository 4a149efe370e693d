/**
 * The support convention shared by every miner: below 1 a fraction of the transactions, an
 * integer ≥ 1 an absolute count; frequent iff count ≥ ceil(fraction × n).
 * @internal
 * @module
 */
import { RusketError } from "../errors";

/** The smallest count that meets `minSupport` among `n` transactions (or sequences). */
export function minCount(minSupport: unknown, n: number, what = "minSupport"): number {
  if (typeof minSupport !== "number" || !Number.isFinite(minSupport) || minSupport <= 0)
    throw new RusketError("INVALID_ARGUMENT", `${what} must be a number > 0 (a fraction below 1 or a count), got ${String(minSupport)}`);
  if (minSupport < 1) {
    const x = minSupport * n;
    // 0.07 × 100 is 7.000000000000001 in binary: a product within rounding of an integer is that integer.
    const r = Math.round(x);
    return Math.max(1, Math.abs(x - r) <= 1e-9 * Math.max(1, x) ? r : Math.ceil(x));
  }
  if (!Number.isInteger(minSupport))
    throw new RusketError("INVALID_ARGUMENT", `${what} above 1 must be a whole count, got ${minSupport}`);
  return minSupport;
}

/** `maxLen` as the native side takes it (0 = no cap). */
export function maxLength(maxLen: unknown, what = "maxLen"): number {
  if (maxLen === undefined || maxLen === null) return 0;
  if (typeof maxLen !== "number" || !Number.isInteger(maxLen) || maxLen < 1)
    throw new RusketError("INVALID_ARGUMENT", `${what} must be a whole number >= 1, got ${String(maxLen)}`);
  return maxLen;
}

/** `threads` as the native side takes it (0 = all cores). */
export function threadCount(threads: unknown): number {
  if (threads === undefined || threads === null) return 0;
  if (typeof threads !== "number" || !Number.isInteger(threads) || threads < 1)
    throw new RusketError("INVALID_ARGUMENT", `threads must be a whole number >= 1, got ${String(threads)}`);
  return threads;
}

/** A whole number ≥ `min`, or `INVALID_ARGUMENT` naming it. */
export function whole(v: unknown, name: string, min: number): number {
  if (typeof v !== "number" || !Number.isInteger(v) || v < min)
    throw new RusketError("INVALID_ARGUMENT", `${name} must be a whole number ≥ ${min}, got ${String(v)}`);
  return v;
}

/** A finite number ≥ 0, or `INVALID_ARGUMENT` naming it. */
export function nonNegative(v: unknown, name: string): number {
  if (typeof v !== "number" || !Number.isFinite(v) || v < 0)
    throw new RusketError("INVALID_ARGUMENT", `${name} must be a finite number ≥ 0, got ${String(v)}`);
  return v;
}
