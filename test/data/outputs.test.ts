// Result frames built from native columns: records (one object per row) in every shape.
import { describe, expect, it } from "vitest";
import { buildFrame } from "../../src/data/output";

describe("records output", () => {
  it("zips every column type into one plain object per row, whatever the column names", () => {
    const rows = buildFrame(
      [
        { name: "__proto__", type: "f64", values: Float64Array.of(1.5, 2) },
        { name: 'quote " backslash \\ newline \n', type: "label", codes: Uint32Array.of(1, 0), labels: ["x", 7] },
        { name: "items", type: "labelList", offsets: Uint32Array.of(0, 2, 2), codes: Uint32Array.of(0, 1), labels: ["a", "b"] },
        { name: "flag", type: "bool", values: Uint8Array.of(0, 1) },
        { name: "vec", type: "vector", values: Float32Array.of(1, 2, 3, 4), dim: 2 },
      ],
      "records",
    );
    expect(rows).toHaveLength(2);
    for (const row of rows) expect(Object.getPrototypeOf(row)).toBe(Object.prototype);
    expect(rows.map((r: any) => Object.entries(r))).toEqual([
      [["__proto__", 1.5], ['quote " backslash \\ newline \n', 7], ["items", ["a", "b"]], ["flag", false], ["vec", [1, 2]]],
      [["__proto__", 2], ['quote " backslash \\ newline \n', "x"], ["items", []], ["flag", true], ["vec", [3, 4]]],
    ]);
  });

  it("gives an empty array for no rows", () => {
    expect(buildFrame([{ name: "n", type: "u32", values: new Uint32Array(0) }], "records")).toEqual([]);
  });
});
