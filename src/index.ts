/**
 * rusket: fast market-basket analysis, sequential and high-utility pattern mining, and
 * implicit-feedback recommenders for nodejs-polars and Danfo DataFrames, with a Rust core.
 *
 * @example
 * ```ts
 * import * as rk from "rusket";
 * const freq = df.rusket.mine({ transactionCol: "basket", itemCol: "item", minSupport: 0.01 });
 * const rules = rk.associationRules(freq, { minThreshold: 0.5 });
 * ```
 * @module
 */
import "./augment";
import { installAccessor } from "./namespace";

export { RusketError, type RusketErrorCode } from "./errors";
export type { Label, Matrix, Csr, OutputFormat, FormatOption } from "./types";
export { RusketNamespace } from "./namespace";
export { fromTransactions, type FromTransactionsOptions } from "./mining/transactions";
export { mine, mineAsync, fpgrowth, eclat, mineGrouped, mineGroupedAsync, type MineOptions, type MineGroupedOptions } from "./mining/mine";
export { FPMiner, mineArrowStream, mineDuckDB, type FPMinerOptions, type StreamMineOptions, type BatchColumns } from "./mining/stream";
export { associationRules, RULE_METRICS, type RuleOptions, type RuleMetric } from "./mining/rules";
export type { LongFormat } from "./mining/baskets";
export { HUPM, hupm, type HupmOptions, type HupmFrameOptions } from "./mining/hupm";
export { sequencesFromEventLog, type EventLogColumns, type EventSequences, type Sequences } from "./sequence/events";
export { prefixspan, prefixspanAsync, type PrefixSpanOptions } from "./sequence/prefixspan";
export { ALS, type AlsParams } from "./recommend/als";
export { BPR, type BprParams } from "./recommend/bpr";
export { FactorModel, type RecommendOptions, type BatchOptions } from "./recommend/model";
export type { InteractionColumns } from "./recommend/interactions";
export {
  similarItems, scorePotential, potentialTiers, exportItemFactors, exportUserFactors,
  type PotentialOptions, type TierOptions, type ExportOptions,
} from "./recommend/functions";
export { trainTestSplit, evaluate, type SplitOptions, type EvaluateOptions, type RankingMetric } from "./recommend/evaluate";
export { Recommender, type RecommenderOptions, type Recommendations, type RecommendationSource } from "./recommend/recommender";
export { readCatalog, type Interaction, type EventKind, type CatalogItem, type OnlineConfig, type RecommendRequest, type RecommendResponse, type RecommendedItem } from "./recommend/online";
export { CsrBuilder, DiskMatrix, type FinishOptions } from "./recommend/disk";
export { nativeVersion, triggerNativePanicForTests } from "./internal";
export { PCA, type PcaOptions, type PcaSolver } from "./embed/pca";
export { project, Projection, type ProjectOptions, type ProjectionPlotOptions } from "./embed/projection";
export { Figure, plotRules, plotTopK, type Trace, type Layout, type HtmlDisplay, type PlotRulesOptions, type PlotTopKOptions } from "./embed/figure";
export { rulesToGraph, type RulesToGraphOptions } from "./embed/graph";

installAccessor();
