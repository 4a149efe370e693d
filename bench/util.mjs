// Shared by the benchmarks: medians of repeated runs, and the anchors' Python scripts.
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { fileURLToPath } from "node:url";

export const anchorsDir = path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "..", "shared", "anchors");
export const anchorsBuild = process.env.ANCHORS_DIR ?? "/tmp/anchors";

export const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Runs `f` `repeat` times; the median seconds and the last result. */
export function timed(f, repeat = 5) {
  const runs = [];
  let out;
  for (let i = 0; i < repeat; i++) {
    const t = performance.now();
    out = f();
    runs.push((performance.now() - t) / 1000);
  }
  return { seconds: median(runs), out };
}

/** Runs an anchors script with Debian's python; its JSON lines. */
export function python(script, args, env = {}, timeout = 3_600_000) {
  const r = spawnSync("/usr/bin/python3", [path.join(anchorsDir, script), ...args], { env: { ...process.env, ...env }, encoding: "utf8", timeout });
  if (r.status !== 0) console.log(`<!-- ${script} exited ${r.status}: ${(r.stderr ?? "").slice(-500)} -->`);
  return (r.stdout ?? "").split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l));
}
