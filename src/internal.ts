/**
 * Facts about the native addon, and a test-only hook.
 * @module
 */
import { native, nativeAsync } from "./native";

/**
 * The native core's version.
 * @example
 * ```ts
 * console.log(rk.nativeVersion());
 * ```
 */
export function nativeVersion(): string {
  return native("version");
}

/**
 * Test-only: makes the native core panic, to prove a panic surfaces as a `RusketError` with
 * code `NATIVE_PANIC` while the process lives on.
 * @internal
 * @example
 * ```ts
 * try { rk.triggerNativePanicForTests(); } catch (e) { console.log(e.code); } // NATIVE_PANIC
 * ```
 */
export function triggerNativePanicForTests(async = false): unknown {
  return async ? nativeAsync("panicForTest") : native("panicForTest");
}
