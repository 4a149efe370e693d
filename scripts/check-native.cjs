// Loads the freshly built addon once, so that a broken build fails here and not in the tests.
const path = require("node:path");
const fs = require("node:fs");
const root = path.join(__dirname, "..");
const addon = fs.readdirSync(root).find((f) => /^rusket\..*\.node$/.test(f));
if (!addon) throw new Error("no rusket.*.node was built");
const m = require(path.join(root, addon));
console.log(`native addon ${addon}: version ${m.version()}, ${Object.keys(m).length} exports`);
