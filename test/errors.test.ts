// Each bad input gives a RusketError with a fitting code; a native panic does not kill node.
import { describe, expect, it } from "vitest";
import * as pl from "nodejs-polars";
import * as rk from "../src/index";

function code(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(rk.RusketError);
    return (e as rk.RusketError).code;
  }
  return undefined;
}

const df = pl.DataFrame({ t: [1, 1, 2], i: ["a", "b", "a"] });
const long = { transactionCol: "t", itemCol: "i" };

describe("bad inputs", () => {
  it("empty inputs are EMPTY_INPUT", () => {
    expect(code(() => rk.mine(pl.DataFrame({ t: [], i: [] }), { ...long, minSupport: 0.1 }))).toBe("EMPTY_INPUT");
    expect(code(() => rk.mine([], { minSupport: 0.1 }))).toBe("EMPTY_INPUT");
  });

  it("a missing column is COLUMN_NOT_FOUND", () => {
    expect(code(() => rk.mine(df, { transactionCol: "t", itemCol: "nope", minSupport: 0.1 }))).toBe("COLUMN_NOT_FOUND");
  });

  it("nulls in key columns are NULL_VALUE", () => {
    const withNull = pl.DataFrame({ t: [1, null, 2], i: ["a", "b", "a"] });
    expect(code(() => rk.mine(withNull, { ...long, minSupport: 0.1 }))).toBe("NULL_VALUE");
    const itemNull = pl.DataFrame({ t: [1, 1, 2], i: ["a", null, "a"] });
    expect(code(() => rk.mine(itemNull, { ...long, minSupport: 0.1 }))).toBe("NULL_VALUE");
    expect(code(() => rk.mine([{ t: 1, i: null }], { ...long, minSupport: 0.1 }))).toBe("NULL_VALUE");
  });

  it.each([0, -0.5, NaN, 1.5, Infinity, "0.1"])("minSupport %s is INVALID_ARGUMENT", (s) => {
    expect(code(() => rk.mine(df, { ...long, minSupport: s as number }))).toBe("INVALID_ARGUMENT");
  });

  it.each([0, -1, 1.5])("maxLen %s is INVALID_ARGUMENT", (m) => {
    expect(code(() => rk.mine(df, { ...long, minSupport: 0.1, maxLen: m }))).toBe("INVALID_ARGUMENT");
  });

  it("unknown options are INVALID_ARGUMENT", () => {
    expect(code(() => rk.mine(df, { ...long, minSupport: 0.1, method: "apriori" as "auto" }))).toBe("INVALID_ARGUMENT");
    const freq = rk.mine(df, { ...long, minSupport: 0.1 });
    expect(code(() => rk.associationRules(freq, { metric: "nope" as "lift" }))).toBe("INVALID_ARGUMENT");
    expect(code(() => rk.mine(df, { ...long, minSupport: 0.1, format: "csv" as "polars" }))).toBe("INVALID_ARGUMENT");
  });

  it("one-hot columns that are not boolean/0-1 are INVALID_FORMAT", () => {
    expect(code(() => rk.mine(pl.DataFrame({ a: [1, 2], b: [0, 1] }), { minSupport: 0.1 }))).toBe("INVALID_FORMAT");
    expect(code(() => rk.mine(pl.DataFrame({ a: ["x", "y"] }), { minSupport: 0.1 }))).toBe("INVALID_FORMAT");
    expect(code(() => rk.mine([{ a: true, b: "yes" }], { minSupport: 0.1 }))).toBe("INVALID_FORMAT");
  });

  it("rules of a frame that is not an itemset frame are INVALID_FORMAT", () => {
    expect(code(() => rk.associationRules(df, { numItemsets: 2 }))).toBe("INVALID_FORMAT");
    expect(code(() => rk.associationRules("nope", { numItemsets: 2 }))).toBe("INVALID_FORMAT");
    expect(code(() => rk.associationRules([{ support: 0.5, itemsets: 3 }], { numItemsets: 2 }))).toBe("INVALID_FORMAT");
  });

  it("something that is not data is INVALID_FORMAT", () => {
    expect(code(() => rk.mine(42, { minSupport: 0.1 }))).toBe("INVALID_FORMAT");
  });
});

describe("native panics", () => {
  it("surface as NATIVE_PANIC, synchronously and asynchronously, and the process lives on", async () => {
    expect(code(() => rk.triggerNativePanicForTests())).toBe("NATIVE_PANIC");
    await expect(rk.triggerNativePanicForTests(true)).rejects.toMatchObject({ code: "NATIVE_PANIC" });
    expect(rk.mine([["a"]], { minSupport: 1 })).toHaveLength(1);
  });
});
