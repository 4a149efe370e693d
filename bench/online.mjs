// Online recommendations (SPEC M21): one Recommender.recommend call with history on a
// 100k-item catalog, k = 20 from a pool of 200 with MMR, on the calling thread's share of two
// cores. Synthetic events: 50k users × 20 events over 100k items in 500 brands, a user keeping
// to a few brands. Prints p50/p99 of 1,000 requests, each with 5 recent events; asserts nothing.
import { createRequire } from "node:module";
import { timed } from "./util.mjs";

const require = createRequire(import.meta.url);
const rk = require("../dist/index.js");

export function onlineBench() {
  const users = 50_000, items = 100_000, per = 20, DAY = 86_400_000, T0 = 1_700_000_000_000;
  let seed = 3;
  const rnd = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  const kinds = ["view", "view", "view", "add", "purchase"];
  const brandItems = items / 500;
  const event = (u, t) => {
    const brand = (u * 7 + Math.floor(rnd() * 3) * 131) % 500;
    const item = brand * brandItems + Math.floor(rnd() * brandItems);
    return { userId: `u${u}`, itemId: `i${item}`, timestamp: t, event: kinds[Math.floor(rnd() * kinds.length)], brand: `b${brand}`, price: 1 + (item % 97) };
  };
  const events = [];
  for (let u = 0; u < users; u++) for (let j = 0; j < per; j++) events.push(event(u, T0 + Math.floor(rnd() * 60) * DAY));
  const train = timed(() => rk.Recommender.train(events, { config: { threads: 2 } }), 1);
  const rec = train.out;
  const requests = Array.from({ length: 1200 }, (_, r) => {
    const u = (r * 7919) % (users + 5000); // one in eleven is a user the model has not seen
    return { userId: `u${u}`, k: 20, recent: Array.from({ length: 5 }, (_, j) => event(u, T0 + 61 * DAY + j * 60_000)) };
  });
  rec.recommend(requests[0]); // builds the model's quantised item copy
  const lat = [];
  for (const q of requests.slice(200)) {
    const t = performance.now();
    rec.recommend(q);
    lat.push(performance.now() - t);
  }
  lat.sort((a, b) => a - b);
  console.log(`\n## Online recommendations (${items.toLocaleString()}-item catalog, ${events.length.toLocaleString()} training events)\n`);
  console.log(`Recommender.train: ${train.seconds.toFixed(1)} s. One recommend call with 5 recent events, k = 20 (pool 200, MMR), 1,000 requests: p50 ${lat[500].toFixed(2)} ms, p99 ${lat[990].toFixed(2)} ms (target p99 < 5 ms)`);
}
