/**
 * The `.rusket` accessor on nodejs-polars and Danfo DataFrames: one-line delegations to the
 * free functions, with the frame as the data argument. A column named `rusket` shadows it;
 * the free functions always work.
 * @module
 */
import { isDanfoFrame, isPolarsFrame } from "./data/source";
import { fromTransactions, type FromTransactionsOptions } from "./mining/transactions";
import { eclat, fpgrowth, mine, mineAsync, mineGrouped, mineGroupedAsync, type MineGroupedOptions, type MineOptions } from "./mining/mine";
import { associationRules, type RuleOptions } from "./mining/rules";
import { HUPM, type HupmFrameOptions } from "./mining/hupm";
import { prefixspan, type PrefixSpanOptions } from "./sequence/prefixspan";
import type { EventLogColumns } from "./sequence/events";
import { ALS, type AlsParams } from "./recommend/als";
import { BPR, type BprParams } from "./recommend/bpr";
import type { InteractionColumns } from "./recommend/interactions";
import { trainTestSplit, type SplitOptions } from "./recommend/evaluate";

/**
 * What `df.rusket` gives.
 * @example
 * ```ts
 * const freq = df.rusket.mine({ transactionCol: "basket", itemCol: "item", minSupport: 0.01 });
 * const rules = freq.rusket.associationRules({ minThreshold: 0.5 });
 * ```
 */
export class RusketNamespace {
  /** @param frame the DataFrame the accessor was read from */
  constructor(readonly frame: unknown) {}
  /** {@link fromTransactions} on this frame. */
  fromTransactions(o: FromTransactionsOptions) { return fromTransactions(this.frame, o); }
  /** {@link mine} on this frame. */
  mine(o: MineOptions) { return mine(this.frame, o); }
  /** {@link mineAsync} on this frame. */
  mineAsync(o: MineOptions) { return mineAsync(this.frame, o); }
  /** {@link fpgrowth} on this frame. */
  fpgrowth(o: Omit<MineOptions, "method">) { return fpgrowth(this.frame, o); }
  /** {@link eclat} on this frame. */
  eclat(o: Omit<MineOptions, "method">) { return eclat(this.frame, o); }
  /** {@link mineGrouped} on this frame. */
  mineGrouped(o: MineGroupedOptions) { return mineGrouped(this.frame, o); }
  /** {@link mineGroupedAsync} on this frame. */
  mineGroupedAsync(o: MineGroupedOptions) { return mineGroupedAsync(this.frame, o); }
  /** {@link associationRules} on this itemset frame. */
  associationRules(o?: RuleOptions) { return associationRules(this.frame, o); }
  /** {@link prefixspan} on this event log. */
  prefixspan(o: PrefixSpanOptions & EventLogColumns) { return prefixspan(this.frame, o); }
  /** `HUPM.fromTransactions(frame, o).mine()`. */
  hupm(o: HupmFrameOptions) { return HUPM.fromTransactions(this.frame, o).mine(); }
  /** `ALS.fromTransactions(frame, o)`. */
  als(o: InteractionColumns & AlsParams) { return ALS.fromTransactions(this.frame, o); }
  /** `BPR.fromTransactions(frame, o)`. */
  bpr(o: InteractionColumns & BprParams) { return BPR.fromTransactions(this.frame, o); }
  /** {@link trainTestSplit} on this frame. */
  trainTestSplit(o: SplitOptions) { return trainTestSplit(this.frame, o); }
}

const KEY = "rusket";

/** Installs the accessor (idempotent): a guarded, non-enumerable getter that answers only for frames. */
export function installAccessor(): void {
  const existing = Object.getOwnPropertyDescriptor(Object.prototype, KEY);
  if (existing?.get && (existing.get as { rusket?: boolean }).rusket) return;
  const get = function (this: unknown) {
    return isPolarsFrame(this) || isDanfoFrame(this) ? new RusketNamespace(this) : undefined;
  };
  (get as { rusket?: boolean }).rusket = true;
  Object.defineProperty(Object.prototype, KEY, {
    configurable: true,
    enumerable: false,
    get,
    // Assigning `obj.rusket = v` on any other object still makes an ordinary own property.
    set(this: object, value: unknown) {
      Object.defineProperty(this, KEY, { value, writable: true, enumerable: true, configurable: true });
    },
  });
}
