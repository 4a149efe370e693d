// Reads the bundled data sets for the benchmarks.
const fs = require("node:fs");
const path = require("node:path");
const DATA = path.join(__dirname, "..", "data");

/** A FIMI .dat file (number[][]) or a long `basket,item` CSV (string[][]). */
function readBaskets(file) {
  const text = fs.readFileSync(path.join(DATA, file), "utf8");
  if (file.endsWith(".csv")) {
    const byBasket = new Map();
    for (const line of text.split("\n").slice(1)) {
      if (!line) continue;
      const comma = line.indexOf(",");
      const b = line.slice(0, comma);
      if (!byBasket.has(b)) byBasket.set(b, []);
      byBasket.get(b).push(line.slice(comma + 1));
    }
    return [...byBasket.values()];
  }
  return text.trim().split("\n").map((l) => l.trim().split(/\s+/).filter(Boolean).map(Number));
}

module.exports = { DATA, readBaskets };
