// Runs node-fpgrowth once on a FIMI / long-CSV file; prints {seconds, itemsets} as JSON.
const { FPGrowth } = require("node-fpgrowth");
const { readBaskets } = require("../data.cjs");
const [file, minSupport] = process.argv.slice(2);
const baskets = readBaskets(file).map((b) => [...new Set(b)]);
const t = performance.now();
new FPGrowth(Number(minSupport)).exec(baskets).then((sets) => {
  console.log(JSON.stringify({ seconds: (performance.now() - t) / 1000, itemsets: sets.length }));
});
