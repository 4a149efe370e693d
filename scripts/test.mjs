// The test command: vitest (JSON report) and the Rust core's cargo tests, then one summary line
// "N passed, N failed, N skipped" (also written to /tmp/rusket-test-summary.json for .ci/run).
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";

const report = "/tmp/rusket-vitest.json";
const vitest = spawnSync("npx", ["vitest", "run", "--reporter=default", "--reporter=json", `--outputFile=${report}`, ...process.argv.slice(2)], { stdio: "inherit" });
let passed = 0, failed = 0, skipped = 0;
try {
  const r = JSON.parse(readFileSync(report, "utf8"));
  passed += r.numPassedTests; failed += r.numFailedTests; skipped += r.numPendingTests + r.numTodoTests;
  if (r.numFailedTestSuites > 0 && r.numFailedTests === 0) failed += r.numFailedTestSuites;
} catch {
  failed += 1; // no report: vitest itself failed
}
if (vitest.status !== 0 && failed === 0) failed += 1;

const cargo = spawnSync("cargo", ["test", "--release", "--manifest-path", "native/Cargo.toml", "-p", "rusket-core"], { encoding: "utf8" });
process.stdout.write(cargo.stdout); process.stderr.write(cargo.stderr);
for (const m of cargo.stdout.matchAll(/test result: \w+\. (\d+) passed; (\d+) failed; (\d+) ignored/g)) {
  passed += Number(m[1]); failed += Number(m[2]); skipped += Number(m[3]);
}
if (cargo.status !== 0 && !/test result: FAILED/.test(cargo.stdout)) failed += 1;

writeFileSync("/tmp/rusket-test-summary.json", JSON.stringify({ passed, failed, skipped }));
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed > 0 ? 1 : 0);
