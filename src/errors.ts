/**
 * Every failure in rusket is a {@link RusketError} with a stable {@link RusketErrorCode}.
 * @module
 */

/** Stable error codes. */
export type RusketErrorCode =
  | "INVALID_ARGUMENT"
  | "COLUMN_NOT_FOUND"
  | "EMPTY_INPUT"
  | "NULL_VALUE"
  | "INVALID_FORMAT"
  | "UNKNOWN_USER"
  | "UNKNOWN_ITEM"
  | "NOT_FITTED"
  | "CORRUPT_FILE"
  | "VERSION_MISMATCH"
  | "NATIVE_PANIC";

/**
 * The error rusket throws (or rejects with): `code` is stable, the message names the argument
 * and the bad value.
 *
 * @example
 * ```ts
 * try { rk.mine([], { minSupport: 0.1 }); }
 * catch (e) { if (e instanceof rk.RusketError && e.code === "EMPTY_INPUT") console.log("no baskets"); }
 * ```
 */
export class RusketError extends Error {
  /** The stable error code. */
  readonly code: RusketErrorCode;
  constructor(code: RusketErrorCode, message: string) {
    super(message);
    this.name = "RusketError";
    this.code = code;
  }
}

const CODES = new Set<string>([
  "INVALID_ARGUMENT", "COLUMN_NOT_FOUND", "EMPTY_INPUT", "NULL_VALUE", "INVALID_FORMAT",
  "UNKNOWN_USER", "UNKNOWN_ITEM", "NOT_FITTED", "CORRUPT_FILE", "VERSION_MISMATCH", "NATIVE_PANIC",
]);

/** Turns an error thrown by the native addon (an `Error` with a `code`) into a RusketError. */
export function fromNative(e: unknown): RusketError {
  if (e instanceof RusketError) return e;
  const err = e as { code?: string; message?: string };
  const code = (err && CODES.has(err.code ?? "") ? err.code : "NATIVE_PANIC") as RusketErrorCode;
  return new RusketError(code, err?.message ?? String(e));
}

/** Throws `INVALID_ARGUMENT` unless `ok`. */
export function check(ok: boolean, message: string, code: RusketErrorCode = "INVALID_ARGUMENT"): asserts ok {
  if (!ok) throw new RusketError(code, message);
}
