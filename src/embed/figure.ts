/**
 * Figures that show themselves (SPEC M16): a {@link Figure} is Plotly JSON (`data`, `layout`)
 * that renders in tslab (`.show()`), in Deno's and other Jupyter kernels (the
 * `Symbol.for("Jupyter.display")` protocol) and as a standalone page (`.toHTML()`). plotly.js
 * is inlined from the `plotly.js-dist` package: nothing is fetched from a CDN.
 * @module
 */
import * as fs from "node:fs";
import { RusketError, check } from "../errors";
import type { Label } from "../types";
import { readRules } from "./rules";

/**
 * One Plotly trace, as plotly.js takes it.
 *
 * @example
 * ```ts
 * const t: rk.Trace = { type: "scatter", mode: "markers", x: [1, 2], y: [2, 1] };
 * ```
 */
export type Trace = Record<string, unknown>;

/**
 * A Plotly layout.
 *
 * @example
 * ```ts
 * const l: rk.Layout = { title: { text: "Rules" }, xaxis: { type: "log" }, height: 500 };
 * ```
 */
export type Layout = Record<string, unknown>;

/**
 * What {@link Figure.show} draws into: tslab's `display` (or anything with an `html` method).
 *
 * @example
 * ```ts
 * import * as tslab from "tslab";
 * fig.show(tslab.display);
 * ```
 */
export interface HtmlDisplay {
  html(html: string): void;
}

const JUPYTER_DISPLAY: unique symbol = Symbol.for("Jupyter.display");
const INSPECT = Symbol.for("nodejs.util.inspect.custom");

let plotlySource: string | undefined;

/** plotly.js's source, read once from the `plotly.js-dist` package. */
function plotlyJs(): string {
  if (plotlySource === undefined) {
    let file: string;
    try {
      file = require.resolve("plotly.js-dist");
    } catch {
      throw new RusketError("INVALID_ARGUMENT", "figures need the package plotly.js-dist (npm install plotly.js-dist)");
    }
    // A `</script` inside the source would end the inline script early.
    plotlySource = fs.readFileSync(file, "utf8").replace(/<\/script/gi, "<\\/script");
  }
  return plotlySource;
}

/** True once a notebook output of this process carried plotly.js (later ones reuse it). */
let plotlySent = false;
let figureCount = 0;

/** JSON safe inside a `<script>` element. */
function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, "\\u003c");
}

/** The tslab kernel's `display`, when this process is a tslab kernel. */
function tslabDisplay(): HtmlDisplay | undefined {
  const kernel = Object.keys(require.cache).find((f) => /[\\/]tslab[\\/]dist[\\/]jupyter\.js$/.test(f));
  if (!kernel) return undefined;
  // The public module next to the kernel's own shares its output channel.
  return require(kernel.replace(/jupyter\.js$/, "public.js")).display;
}

/**
 * A Plotly figure: `data` (traces) and `layout`, shown in notebooks or written as a page.
 *
 * @example
 * ```ts
 * const fig = new rk.Figure([{ type: "scatter", mode: "markers", x: [1, 2, 3], y: [3, 1, 2] }], { title: { text: "Three points" } });
 * fig.show();                                   // in a tslab notebook
 * fs.writeFileSync("points.html", fig.toHTML()); // a page that works offline
 * ```
 */
export class Figure {
  /** The traces. */
  data: Trace[];
  /** The layout. */
  layout: Layout;

  constructor(data: Trace[], layout: Layout = {}) {
    check(Array.isArray(data), "data must be an array of Plotly traces");
    this.data = data;
    this.layout = layout;
  }

  /** Plotly's JSON form, `{ data, layout }` (what `JSON.stringify(fig)` writes). */
  toJSON(): { data: Trace[]; layout: Layout } {
    return { data: this.data, layout: this.layout };
  }

  /** The figure as an HTML fragment: a `<div>` and the script drawing into it. */
  #fragment(includePlotly: boolean): string {
    const id = `rusket-figure-${process.pid}-${++figureCount}`;
    const height = typeof this.layout.height === "number" ? `${this.layout.height}px` : "100%";
    const library = includePlotly
      // Hide AMD/CommonJS loaders (Jupyter's require.js) so that plotly.js sets window.Plotly.
      ? `<script type="text/javascript">(function (define, module, exports) {\n${plotlyJs()}\n}).call(window);</script>\n`
      : "";
    return `<div id="${id}" class="rusket-figure" style="width:100%;min-height:450px;height:${height}"></div>\n${library}`
      + `<script type="text/javascript">(function () {\n`
      + `  var figure = ${scriptJson(this.toJSON())};\n`
      + `  var draw = function (tries) {\n`
      + `    if (window.Plotly) { window.Plotly.newPlot("${id}", figure.data, figure.layout, { responsive: true }); return; }\n`
      + `    if (tries > 0) { setTimeout(function () { draw(tries - 1); }, 100); return; }\n`
      + `    document.getElementById("${id}").textContent = "plotly.js is not on this page: run the cell of the first figure again.";\n`
      + `  };\n  draw(50);\n})();</script>`;
  }

  /** A standalone HTML page with plotly.js inlined: opens offline in any browser. */
  toHTML(): string {
    const title = (this.layout.title as { text?: string } | undefined)?.text ?? "rusket figure";
    const escaped = String(title).replace(/&/g, "&amp;").replace(/</g, "&lt;");
    return `<!DOCTYPE html>\n<html>\n<head><meta charset="utf-8"><title>${escaped}</title></head>\n`
      + `<body style="margin:0">\n${this.#fragment(true).replace("height:100%", "height:100vh")}\n</body>\n</html>\n`;
  }

  /**
   * Shows the figure in a notebook: through `display` (tslab's `display`, or any object with an
   * `html` method), or, without one, through the tslab kernel this code runs in. The first
   * figure shown by a kernel carries plotly.js (inlined, no CDN); later ones reuse it.
   */
  show(display?: HtmlDisplay): void {
    const target = display ?? tslabDisplay();
    if (!target || typeof target.html !== "function")
      throw new RusketError("INVALID_ARGUMENT",
        "show() needs a notebook: run it in a tslab kernel, pass a display with an html() method, or write fig.toHTML() to a file");
    target.html(this.#fragment(!plotlySent));
    plotlySent = true;
  }

  /**
   * The Jupyter display protocol (Deno and other kernels): the figure as HTML and as Plotly's
   * own MIME type.
   */
  [JUPYTER_DISPLAY](): Record<string, unknown> {
    const html = this.#fragment(!plotlySent);
    plotlySent = true;
    return { "text/html": html, "application/vnd.plotly.v1+json": this.toJSON() };
  }

  /** A one-line summary for `console.log` and notebook text output. */
  [INSPECT](): string {
    const points = this.data.reduce((n, t) => n + (Array.isArray(t.x) ? t.x.length : 0), 0);
    const types = [...new Set(this.data.map((t) => String(t.type ?? "scatter")))].join(", ");
    return `Figure(${types}: ${this.data.length} trace${this.data.length === 1 ? "" : "s"}, ${points} points)`;
  }
}

/** A number rounded to 6 significant digits: what a plot shows, and stable across CPUs. */
export function round6(v: number): number {
  return Number.isFinite(v) ? Number(v.toPrecision(6)) : v;
}

/**
 * Options of {@link plotRules}.
 *
 * @example
 * ```ts
 * rk.plotRules(rules, { x: "lift", y: "confidence", color: "support", title: "Cross-sell rules" });
 * ```
 */
export interface PlotRulesOptions {
  /** Metric on the x axis (default `"support"`). */
  x?: string;
  /** Metric on the y axis (default `"confidence"`). */
  y?: string;
  /** Metric giving the color (default `"lift"`). */
  color?: string;
  /** Title of the figure. */
  title?: string;
}

/**
 * A scatter plot of association rules: one point per rule at (`x`, `y`), colored by `color`
 * (any metric columns of the rules frame), with `antecedents ⇒ consequents` on hover. Reads
 * every rules frame kind (polars, Danfo, Arrow, records).
 *
 * @example
 * ```ts
 * const rules = rk.associationRules(freq, { minThreshold: 0.5 });
 * rk.plotRules(rules, { x: "support", y: "confidence", color: "lift" }).show();
 * ```
 */
export function plotRules(rules: unknown, o: PlotRulesOptions = {}): Figure {
  const { x = "support", y = "confidence", color = "lift" } = o;
  const r = readRules(rules);
  const text = r.antecedents.map((a, i) => `${a.join(", ")} ⇒ ${r.consequents[i].join(", ")}`);
  const [xs, ys, cs] = [x, y, color].map((m) => Array.from(r.metric(m), round6));
  return new Figure(
    [{
      type: "scatter", mode: "markers", x: xs, y: ys, text,
      marker: { color: cs, colorscale: "Viridis", showscale: true, colorbar: { title: { text: color } }, size: 7, opacity: 0.8 },
      hovertemplate: `%{text}<br>${x}: %{x}<br>${y}: %{y}<br>${color}: %{marker.color}<extra></extra>`,
    }],
    {
      title: { text: o.title ?? `${r.antecedents.length.toLocaleString("en-US")} rules: ${x} × ${y}, colored by ${color}` },
      xaxis: { title: { text: x } }, yaxis: { title: { text: y } }, hovermode: "closest", height: 500,
    },
  );
}

/**
 * Options of {@link plotTopK}.
 *
 * @example
 * ```ts
 * rk.plotTopK(items, scores, { title: "Similar to whole milk", scoreName: "cosine" });
 * ```
 */
export interface PlotTopKOptions {
  /** Title of the figure. */
  title?: string;
  /** Name of the score axis (default `"score"`). */
  scoreName?: string;
}

/**
 * A horizontal bar chart of ranked items (best at the top): recommendations, popular items,
 * similar items.
 *
 * @example
 * ```ts
 * rk.plotTopK(["milk", "bread", "eggs"], [0.91, 0.75, 0.4], { title: "Top 3 for user 42" }).show();
 * ```
 */
export function plotTopK(items: ArrayLike<Label>, scores: ArrayLike<number>, o: PlotTopKOptions = {}): Figure {
  check(items.length === scores.length, `items (${items.length}) and scores (${scores.length}) differ in length`);
  const labels = Array.from(items, String).reverse();
  const values = Array.from(scores, round6).reverse();
  const scoreName = o.scoreName ?? "score";
  return new Figure(
    [{ type: "bar", orientation: "h", x: values, y: labels, hovertemplate: `%{y}: %{x}<extra></extra>` }],
    {
      title: { text: o.title ?? `Top ${labels.length}` },
      xaxis: { title: { text: scoreName } }, yaxis: { automargin: true, type: "category" },
      height: Math.max(300, 120 + 24 * labels.length),
    },
  );
}
