/**
 * Event logs → sequences (SPEC M5): one sequence per user, events ordered by time.
 * @module
 */
import { RusketError } from "../errors";
import { native } from "../native";
import { sortedCodes, toSource, type Source } from "../data/source";
import type { Label } from "../types";

/** Where the events are in an event-log frame. */
export interface EventLogColumns {
  /** The column identifying the sequence (user, session, customer). */
  userCol: string;
  /** The column ordering events: numbers, `Date`s or date-time strings. */
  timeCol: string;
  /** The column holding the event (page, product). */
  itemCol: string;
}

/** Sequences in CSR form: sequence s is `items[offsets[s]..offsets[s+1]]` (item codes). */
export interface Sequences {
  offsets: Uint32Array;
  items: Uint32Array;
  nItems: number;
}

/** What {@link sequencesFromEventLog} returns. */
export interface EventSequences {
  /** The sequences, items as codes. */
  sequences: Sequences;
  /** `mapping[code]` is the item's label. */
  mapping: Label[];
  /** `users[s]` is the label of sequence s's user. */
  users: Label[];
}

/** A time column as milliseconds (or the numbers given); unparseable values are INVALID_FORMAT. */
function timestamps(source: Source, name: string): Float64Array {
  try {
    return source.numbers(name);
  } catch (e) {
    if (!(e instanceof RusketError) || e.code !== "INVALID_FORMAT") throw e;
  }
  return Float64Array.from(source.values(name), (v, row) => {
    const t = v instanceof Date ? v.getTime() : typeof v === "number" ? v : typeof v === "string" ? Date.parse(v) : NaN;
    if (Number.isNaN(t))
      throw new RusketError("INVALID_FORMAT", `column "${name}" row ${row}: cannot read ${JSON.stringify(v)} as a timestamp`);
    return t;
  });
}

/** Reads an event log into sequences; used by {@link sequencesFromEventLog} and `prefixspan`. */
export function readEventLog(data: unknown, o: EventLogColumns): EventSequences & { source: Source } {
  for (const k of ["userCol", "timeCol", "itemCol"] as const)
    if (typeof o?.[k] !== "string") throw new RusketError("INVALID_ARGUMENT", `${k} (a column name) is required, got ${JSON.stringify(o?.[k])}`);
  const source = toSource(data);
  const [users, itemKey] = source.keys([o.userCol, o.itemCol], [false, true]);
  const time = timestamps(source, o.timeCol);
  const items = sortedCodes(itemKey);
  const { offsets, items: codes } = native("sequencesFromEvents", users.codes, time, items.codes, users.count);
  return { sequences: { offsets, items: codes, nItems: items.labels.length }, mapping: items.labels, users: users.labels(), source };
}

/**
 * One sequence per user from an event log, events ordered by time (ties keep input order).
 * Items come back as codes; `mapping[code]` is the label.
 *
 * @example
 * ```ts
 * const { sequences, mapping } = rk.sequencesFromEventLog(clicks, { userCol: "session_id", timeCol: "timestamp", itemCol: "page" });
 * const patterns = rk.prefixspan(sequences, { minSupport: 2, maxLen: 4 });
 * patterns.map((p) => p.sequence.map((s: number) => mapping[s]).join(" → "));
 * ```
 */
export function sequencesFromEventLog(data: unknown, o: EventLogColumns): EventSequences {
  const { sequences, mapping, users } = readEventLog(data, o);
  return { sequences, mapping, users };
}
