/**
 * Type declarations for the `.rusket` accessor on nodejs-polars and Danfo DataFrames.
 * @module
 */
import type { RusketNamespace } from "./namespace";
import type {} from "nodejs-polars/bin/dataframe";
import type {} from "danfojs-node/dist/danfojs-base/core/frame";

declare module "nodejs-polars/bin/dataframe" {
  interface DataFrame {
    /** rusket's accessor: `df.rusket.mine({...})`, `freq.rusket.associationRules({...})`, … */
    readonly rusket: RusketNamespace;
  }
}

declare module "danfojs-node/dist/danfojs-base/core/frame" {
  interface DataFrame {
    /** rusket's accessor: `df.rusket.mine({...})`, … */
    readonly rusket: RusketNamespace;
  }
}

export {};
