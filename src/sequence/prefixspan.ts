/**
 * Sequential patterns with PrefixSpan (SPEC M5).
 * @module
 */
import { RusketError } from "../errors";
import { native, nativeAsync } from "../native";
import { buildFrame, outputKind, type OutColumn } from "../data/output";
import { encodeValues, sortedCodes, detectKind } from "../data/source";
import type { FormatOption, Label, OutputFormat } from "../types";
import { maxLength, minCount, threadCount } from "../mining/support";
import { readEventLog, type EventLogColumns, type Sequences } from "./events";

/** Options of {@link prefixspan}. */
export interface PrefixSpanOptions extends Partial<EventLogColumns>, FormatOption {
  /** An absolute number of sequences (integer ≥ 1) or a fraction of them (below 1). */
  minSupport: number;
  /** Longest pattern (in events). */
  maxLen?: number;
  /** Native threads (default: all cores). */
  threads?: number;
}

function isSequences(x: any): x is Sequences {
  return !!x && x.offsets instanceof Uint32Array && x.items instanceof Uint32Array;
}

function prepare(data: unknown, o: PrefixSpanOptions) {
  if (o === null || typeof o !== "object") throw new RusketError("INVALID_ARGUMENT", "options with minSupport are required");
  const maxLen = maxLength(o.maxLen);
  const threads = threadCount(o.threads);
  let seqs: Sequences, labels: Label[] | undefined, kind: OutputFormat = "records", like: unknown;
  if (isSequences(data)) {
    seqs = { ...data, nItems: data.nItems ?? Math.max(0, ...data.items) + 1 };
  } else if (Array.isArray(data) && (data.length === 0 || Array.isArray(data[0]))) {
    if (data.length === 0) throw new RusketError("EMPTY_INPUT", "sequences is empty");
    const offsets = new Uint32Array(data.length + 1);
    (data as unknown[][]).forEach((s, i) => (offsets[i + 1] = offsets[i] + s.length));
    const coded = sortedCodes(encodeValues((data as unknown[][]).flat(), "sequences"));
    seqs = { offsets, items: coded.codes, nItems: coded.labels.length };
    labels = coded.labels;
  } else if (detectKind(data) !== undefined && o.userCol !== undefined) {
    const log = readEventLog(data, o as EventLogColumns);
    seqs = log.sequences;
    labels = log.mapping;
    kind = log.source.kind;
    like = log.source.frame;
  } else {
    throw new RusketError("INVALID_FORMAT",
      "sequences must be what sequencesFromEventLog returns, an array of event arrays, or a frame with userCol, timeCol and itemCol");
  }
  const n = seqs.offsets.length - 1;
  if (n <= 0) throw new RusketError("EMPTY_INPUT", "there are no sequences");
  const args = { minCount: minCount(o.minSupport, n), maxLen, threads };
  return { seqs, labels, kind: outputKind({ kind }, o.format), like, args };
}

function finish(found: { offsets: Uint32Array; items: Uint32Array; supports: Uint32Array }, labels: Label[] | undefined, kind: OutputFormat, like: unknown) {
  const sequence: OutColumn = labels
    ? { name: "sequence", type: "labelList", offsets: found.offsets, codes: found.items, labels }
    : { name: "sequence", type: "labelList", offsets: found.offsets, codes: found.items, labels: identity(found.items) };
  return buildFrame([{ name: "support", type: "u32", values: found.supports }, sequence], kind, like);
}

/** Labels 0..max for code lists that have no labels. */
function identity(codes: Uint32Array): number[] {
  let max = -1;
  for (const c of codes) if (c > max) max = c;
  return Array.from({ length: max + 1 }, (_, i) => i);
}

/**
 * Frequent sequential patterns (subsequences, gaps allowed, order kept) with their support: the
 * number of sequences containing them. `data` is what {@link sequencesFromEventLog} returns
 * (`sequences`, patterns as item codes), an array of event arrays (patterns as labels), or a
 * frame with `userCol`, `timeCol` and `itemCol` (a frame of the same kind, labels mapped back).
 *
 * @example
 * ```ts
 * const patterns = df.rusket.prefixspan({ userCol: "session_id", timeCol: "timestamp", itemCol: "page", minSupport: 2, maxLen: 4 });
 * rk.prefixspan([["home", "pricing"], ["home", "checkout"]], { minSupport: 2 }); // [{ support: 2, sequence: ["home"] }]
 * ```
 */
export function prefixspan(data: unknown, o: PrefixSpanOptions): any {
  const p = prepare(data, o);
  return finish(native("prefixspan", p.seqs, p.args), p.labels, p.kind, p.like);
}

/**
 * {@link prefixspan} off the main thread.
 * @example
 * ```ts
 * const patterns = await rk.prefixspanAsync(sequences, { minSupport: 0.05 });
 * ```
 */
export async function prefixspanAsync(data: unknown, o: PrefixSpanOptions): Promise<any> {
  const p = prepare(data, o);
  return finish(await nativeAsync("prefixspan", p.seqs, p.args), p.labels, p.kind, p.like);
}
