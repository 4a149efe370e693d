// Figures: the Plotly JSON of a projection plot and of a rules scatter as file snapshots, the
// notebook display paths, and the standalone page opened in headless Chromium (it must draw the
// traces with every point, offline, and the screenshot must not be blank).
import { describe, expect, it } from "vitest";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as pl from "nodejs-polars";
import * as rk from "../../src/index";
import { dataBytes } from "../helpers";
import { decodePng, dumpDom, pixelStats, screenshot } from "./chromium";

const snapshot = (name: string) => path.join(__dirname, "__snapshots__", name);

/** Three clusters of 20 points in 8 dimensions, around three seeded directions. */
function clusters(): { matrix: rk.Matrix; labels: string[]; group: string[] } {
  let s = 12345;
  const next = () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32) - 0.5;
  const centres = Array.from({ length: 3 }, () => Array.from({ length: 8 }, () => next() * 4));
  const data = new Float32Array(60 * 8);
  const labels: string[] = [], group: string[] = [];
  for (let r = 0; r < 60; r++) {
    const c = r % 3;
    for (let j = 0; j < 8; j++) data[r * 8 + j] = centres[c][j] + next() * 0.5;
    labels.push(`item ${r}`);
    group.push(["north", "south", "east"][c]);
  }
  return { matrix: { data, rows: 60, cols: 8 }, labels, group };
}

function groceryRules() {
  const df = pl.readCSV(dataBytes("groceries.csv"));
  const freq = df.rusket.mine({ transactionCol: "basket", itemCol: "item", minSupport: 0.01 });
  return freq.rusket.associationRules({ metric: "confidence", minThreshold: 0.4 });
}

const json = (fig: rk.Figure) => JSON.stringify(fig, null, 1) + "\n";

describe("figure JSON", () => {
  const { matrix, labels, group } = clusters();
  const projection = rk.project(matrix, labels, { nComponents: 3 });

  it("of a 3D projection plot, kept as a file snapshot", async () => {
    const fig = projection.plot({ title: "Three clusters", color: group, hover: (l) => `<b>${l}</b>` });
    expect(fig.data.map((t) => [t.type, t.name, (t.x as number[]).length])).toEqual([
      ["scatter3d", "north", 20], ["scatter3d", "south", 20], ["scatter3d", "east", 20],
    ]);
    await expect(json(fig)).toMatchFileSnapshot(snapshot("projection-3d.json"));
  });

  it("of a 2D projection with a numeric color scale", () => {
    const p2 = rk.project(matrix, labels, { nComponents: 2 });
    const fig = p2.plot({ color: Array.from({ length: 60 }, (_, i) => i) });
    expect(fig.data).toHaveLength(1);
    expect(fig.data[0].type).toBe("scatter");
    expect((fig.data[0].marker as any).colorscale).toBe("Viridis");
    expect(fig.layout.xaxis).toEqual({ title: { text: `PC1 (${(p2.pca.explainedVarianceRatio[0] * 100).toFixed(1)} %)` } });
    // The coordinates are the PCA of the L2-normalised rows.
    const first = Array.from(matrix.data.subarray(0, 8));
    const norm = Math.hypot(...first);
    const [[pc1]] = p2.pca.transform([first.map((v) => v / norm)]);
    expect((fig.data[0].x as number[])[0]).toBeCloseTo(pc1, 5);
  });

  it("of a rules scatter (groceries), kept as a file snapshot", async () => {
    const rules = groceryRules();
    const fig = rk.plotRules(rules);
    const trace = fig.data[0] as any;
    expect(trace.x).toHaveLength(rules.height);
    expect(trace.text[0]).toMatch(/ ⇒ /);
    const records = rules.toRecords() as any[];
    expect(trace.text).toEqual(records.map((r) => `${r.antecedents.join(", ")} ⇒ ${r.consequents.join(", ")}`));
    expect(trace.marker.color).toEqual(records.map((r) => Number(r.lift.toPrecision(6))));
    await expect(json(fig)).toMatchFileSnapshot(snapshot("rules-scatter.json"));
    // Other frame kinds give the same figure.
    expect(rk.plotRules(records).toJSON()).toEqual(fig.toJSON());
  });

  it("of top-k bars, best on top", () => {
    const fig = rk.plotTopK(["milk", "bread", "eggs"], [0.9, 0.5, 0.25], { title: "Top 3" });
    expect(fig.data[0]).toMatchObject({ type: "bar", orientation: "h", y: ["eggs", "bread", "milk"], x: [0.25, 0.5, 0.9] });
  });

  it("rejects what cannot be plotted", () => {
    const one = rk.project(matrix, labels, { nComponents: 1 });
    expect(() => one.plot()).toThrow(rk.RusketError);
    expect(() => projection.plot({ hover: ["too short"] })).toThrow(/hover has 1 values for 60 points/);
    expect(() => rk.plotRules([{ a: 1 }])).toThrow(/antecedents/);
  });
});

describe("showing a figure", () => {
  const fig = new rk.Figure([{ type: "scatter", x: [1, 2], y: [3, 4] }], { title: { text: "</script> & co" } });

  it("sends plotly.js with the first figure of a process only", () => {
    const shown: string[] = [];
    const display = { html: (h: string) => void shown.push(h) };
    fig.show(display);
    fig.show(display);
    expect(shown[0]).toContain("plotly.js v2");
    expect(shown[1]).not.toContain("plotly.js v2");
    expect(shown[1].length).toBeLessThan(5000);
    // The title cannot close the script element early.
    expect(shown[1]).not.toContain("</script> &");
    const bundle = (fig as any)[Symbol.for("Jupyter.display")]();
    expect(Object.keys(bundle)).toEqual(["text/html", "application/vnd.plotly.v1+json"]);
    expect(bundle["application/vnd.plotly.v1+json"]).toEqual(fig.toJSON());
  });

  it("outside a notebook, show() asks for a display", () => {
    expect(() => fig.show()).toThrow(/needs a notebook/);
  });
});

describe("toHTML in headless Chromium", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "rusket-figure-"));

  /**
   * The page as `name.html`, and as `name-probe.html` with a probe that reports, once Plotly
   * has drawn, what the graph holds.
   */
  function page(fig: rk.Figure, name: string): { plain: string; probed: string } {
    const probe = `<script>
window.addEventListener("load", function () {
  setTimeout(function () {
    var gd = document.querySelector(".rusket-figure");
    var scene = gd._fullLayout && gd._fullLayout.scene && gd._fullLayout.scene._scene;
    var out = document.createElement("pre");
    out.id = "probe";
    out.textContent = JSON.stringify({
      traces: (gd.data || []).map(function (t) { return { type: t.type, points: t.x.length }; }),
      svgPoints: gd.querySelectorAll("path.point").length,
      webgl: !!(scene && scene.glplot),
      text: gd.textContent.slice(0, 200),
    });
    document.body.appendChild(out);
  }, 2000);
});
</script>`;
    const [plain, probed] = [path.join(dir, `${name}.html`), path.join(dir, `${name}-probe.html`)];
    fs.writeFileSync(plain, fig.toHTML());
    fs.writeFileSync(probed, fig.toHTML().replace("</body>", `${probe}\n</body>`));
    return { plain, probed };
  }

  function probe(file: string) {
    const dom = dumpDom(file);
    const m = dom.match(/<pre id="probe">([^<]*)<\/pre>/);
    if (!m) throw new Error(`no probe output in ${dom.slice(-2000)}`);
    return JSON.parse(m[1].replace(/&quot;/g, '"').replace(/&amp;/g, "&").replace(/&lt;/g, "<").replace(/&gt;/g, ">"));
  }

  it("is a standalone page: plotly.js inlined, no external script", () => {
    const html = new rk.Figure([{ type: "bar", x: ["a"], y: [1] }]).toHTML();
    expect(html.startsWith("<!DOCTYPE html>")).toBe(true);
    expect(html).not.toMatch(/<script[^>]+src=/);
    expect(html).toContain("plotly.js v2");
  });

  it("draws every rule of the scatter", () => {
    const rules = groceryRules();
    const { plain, probed } = page(rk.plotRules(rules), "rules");
    const got = probe(probed);
    expect(got.traces).toEqual([{ type: "scatter", points: rules.height }]);
    expect(got.svgPoints).toBe(rules.height);
    const { rgb } = decodePng(screenshot(plain, 900, 600));
    const stats = pixelStats(rgb);
    expect(stats.variance).toBeGreaterThan(50);
    expect(stats.colors).toBeGreaterThan(50);
    // 62 markers of about 40 colored pixels each (the color bar adds more).
    expect(stats.saturated).toBeGreaterThan(62 * 20);
  }, 300_000);

  it("draws the 3D projection with WebGL", () => {
    const { matrix, labels, group } = clusters();
    const fig = rk.project(matrix, labels, { nComponents: 3 }).plot({ color: group });
    const { plain, probed } = page(fig, "projection");
    const got = probe(probed);
    expect(got.traces).toEqual([20, 20, 20].map((points) => ({ type: "scatter3d", points })));
    expect(got.webgl).toBe(true);
    expect(got.text).not.toMatch(/WebGL/);
    const { width, height, rgb } = decodePng(screenshot(plain, 900, 700));
    expect([width, height]).toEqual([900, 700]);
    const stats = pixelStats(rgb);
    expect(stats.variance).toBeGreaterThan(50);
    expect(stats.colors).toBeGreaterThan(100);
    // 60 markers in plotly's first three trace colors (axes and text are grey).
    expect(stats.saturated).toBeGreaterThan(60 * 5);
  }, 300_000);
});
