// PrefixSpan: the leviathan reference counts, the seed's examples computed by hand, re-counting.
import { describe, expect, it } from "vitest";
import * as pl from "nodejs-polars";
import * as dfd from "danfojs-node";
import * as rk from "../../src/index";
import reference from "../fixtures/reference.json";
import { readSpmfSequences } from "../helpers";

type Pattern = { support: number; sequence: (string | number)[] };
const asMap = (ps: Pattern[]) => new Map(ps.map((p) => [p.sequence.join(" → "), p.support]));

/** Does `seq` contain `pattern` as a subsequence (order kept, gaps allowed)? */
function contains(seq: number[], pattern: number[]): boolean {
  let j = 0;
  for (const x of seq) if (x === pattern[j] && ++j === pattern.length) return true;
  return pattern.length === 0;
}

describe("leviathan", () => {
  const sequences = readSpmfSequences("leviathan.txt");
  it.each(Object.entries(reference.leviathanPrefixSpan))("minSupport %s gives %i patterns", (s, expected) => {
    const found = rk.prefixspan(sequences, { minSupport: Number(s) }) as Pattern[];
    expect(found.length).toBe(expected);
    expect(new Set(found.map((p) => p.sequence.join(" "))).size).toBe(expected);
  });

  it("every sampled pattern's support is re-counted independently", () => {
    const found = rk.prefixspan(sequences, { minSupport: 0.05 }) as { support: number; sequence: number[] }[];
    for (let i = 0; i < found.length; i += 61) {
      const { sequence, support } = found[i];
      expect(sequences.filter((s) => contains(s, sequence)).length).toBe(support);
    }
  });

  it("maxLen caps the pattern length", () => {
    const found = rk.prefixspan(sequences, { minSupport: 0.05, maxLen: 2 }) as Pattern[];
    const all = rk.prefixspan(sequences, { minSupport: 0.05 }) as Pattern[];
    expect(found.length).toBe(all.filter((p) => p.sequence.length <= 2).length);
  });
});

describe("seed 001's clickstream funnel", () => {
  const clickstream = {
    session_id: [1, 1, 1, 2, 2, 3, 3, 3, 4, 4, 4],
    timestamp: [10, 20, 30, 15, 25, 5, 15, 35, 10, 18, 40],
    page: ["Home", "Pricing", "Checkout", "Home", "Pricing", "Features", "Pricing", "Checkout", "Home", "Features", "Checkout"],
  };
  // By hand: sessions are HPC, HP, FPC, HFC.
  const truth = new Map([
    ["Home", 3], ["Pricing", 3], ["Checkout", 3], ["Features", 2],
    ["Home → Pricing", 2], ["Home → Checkout", 2], ["Pricing → Checkout", 2], ["Features → Checkout", 2],
  ]);

  it("sequencesFromEventLog + prefixspan, mapped back by hand", () => {
    const { sequences, mapping } = rk.sequencesFromEventLog(pl.DataFrame(clickstream), { userCol: "session_id", timeCol: "timestamp", itemCol: "page" });
    const patterns = rk.prefixspan(sequences, { minSupport: 2, maxLen: 4 }) as { support: number; sequence: number[] }[];
    expect(asMap(patterns.map((p) => ({ support: p.support, sequence: p.sequence.map((s) => mapping[s]) })))).toEqual(truth);
  });

  it("df.rusket.prefixspan maps labels back, on polars and Danfo", () => {
    const o = { userCol: "session_id", timeCol: "timestamp", itemCol: "page", minSupport: 2, maxLen: 4 };
    const fromPolars = pl.DataFrame(clickstream).rusket.prefixspan(o);
    expect(String(fromPolars.dtypes[1])).toContain("List");
    expect(asMap(fromPolars.toRecords() as Pattern[])).toEqual(truth);
    const fromDanfo = new dfd.DataFrame(clickstream).rusket.prefixspan(o);
    expect(asMap(dfd.toJSON(fromDanfo) as Pattern[])).toEqual(truth);
  });

  it("minSupport as a fraction of sequences", () => {
    const p = rk.prefixspan([["a", "b"], ["a"], ["b", "a"], ["c"]], { minSupport: 0.5 }) as Pattern[];
    expect(asMap(p)).toEqual(new Map([["a", 3], ["b", 2]]));
  });
});

describe("seed 001's page events with date-time strings", () => {
  const events = {
    user_id: [1, 1, 1, 2, 2, 3, 3, 3],
    timestamp: ["2024-01-01 10:00", "2024-01-01 10:05", "2024-01-01 10:10", "2024-01-02 11:00", "2024-01-02 11:05", "2024-01-03 09:00", "2024-01-03 09:05", "2024-01-03 09:10"],
    page_id: ["home", "products", "checkout", "home", "products", "home", "products", "checkout"],
  };
  it("gives the seven patterns of the seed", () => {
    const o = { userCol: "user_id", timeCol: "timestamp", itemCol: "page_id" };
    const { sequences, mapping } = rk.sequencesFromEventLog(pl.DataFrame(events), o);
    const p = (rk.prefixspan(sequences, { minSupport: 2, maxLen: 3 }) as { support: number; sequence: number[] }[])
      .map((x) => ({ support: x.support, sequence: x.sequence.map((s) => mapping[s]) }));
    expect(asMap(p)).toEqual(new Map([
      ["home", 3], ["products", 3], ["checkout", 2], ["home → products", 3], ["home → checkout", 2],
      ["products → checkout", 2], ["home → products → checkout", 2],
    ]));
  });

  it("sorts unsorted timestamps, and ties keep input order", () => {
    const log = [
      { u: "a", t: new Date("2024-01-01T10:05:00Z"), i: "second" },
      { u: "a", t: new Date("2024-01-01T10:00:00Z"), i: "first" },
      { u: "a", t: new Date("2024-01-01T10:05:00Z"), i: "third" },
      { u: "b", t: 5, i: "x" },
    ];
    const { sequences, mapping } = rk.sequencesFromEventLog(log, { userCol: "u", timeCol: "t", itemCol: "i" });
    const first = Array.from(sequences.items.subarray(sequences.offsets[0], sequences.offsets[1]), (c) => mapping[c]);
    expect(first).toEqual(["first", "second", "third"]);
  });
});

describe("bad event logs", () => {
  const code = (f: () => unknown) => { try { f(); } catch (e) { return (e as rk.RusketError).code; } };
  const o = { userCol: "u", timeCol: "t", itemCol: "i" };
  it("missing timestamps are NULL_VALUE, unparseable ones INVALID_FORMAT", () => {
    expect(code(() => rk.sequencesFromEventLog(pl.DataFrame({ u: [1, 1], t: [1, null], i: ["a", "b"] }), o))).toBe("NULL_VALUE");
    expect(code(() => rk.sequencesFromEventLog([{ u: 1, t: "yesterday", i: "a" }], o))).toBe("INVALID_FORMAT");
    expect(code(() => rk.sequencesFromEventLog(pl.DataFrame({ u: [1], t: ["not a date"], i: ["a"] }), o))).toBe("INVALID_FORMAT");
  });
  it("missing columns, empty logs and bad thresholds", () => {
    expect(code(() => rk.sequencesFromEventLog(pl.DataFrame({ u: [1], i: ["a"] }), o))).toBe("COLUMN_NOT_FOUND");
    expect(code(() => rk.prefixspan([], { minSupport: 1 }))).toBe("EMPTY_INPUT");
    expect(code(() => rk.prefixspan([["a"]], { minSupport: 0 }))).toBe("INVALID_ARGUMENT");
    expect(code(() => rk.prefixspan([["a"]], { minSupport: 1, maxLen: 0 }))).toBe("INVALID_ARGUMENT");
  });
});
