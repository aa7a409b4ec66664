// 6. memory: subscriber RSS before and after 1,000,000 events (after a GC each time).
import { row } from "../lib/compare.mjs";
import { median } from "../lib/stats.mjs";
import { runOnce } from "../lib/topology.mjs";

export const name = "memory";
export const title = "memory: subscriber RSS growth over 1,000,000 events (MB)";

const EVENTS = 1_000_000;

export async function run({ size, rounds, progress }) {
  const growth = [];
  const measure = async (subs) => {
    const replies = await Promise.all(subs.map((child) => (child.send({ type: "measure" }), child.next("rss"))));
    return replies[0].rss;
  };
  const times = Math.max(1, Math.min(rounds, 3));
  for (let round = 0; round < times; round += 1) {
    progress(`round ${round + 1}/${times}`);
    const { before, after } = await runOnce({
      publisher: { impl: "ours", count: EVENTS, size, window: 1_024 },
      subscriber: { impl: "ours", expect: EVENTS },
      subscriberExecArgv: ["--expose-gc"],
      between: measure,
    });
    growth.push((after - before) / 1e6);
  }
  return [row(name, "RSS growth", "MB", median(growth), null, { higherIsBetter: false, target: oursAtMostMb(50) })];
}

function oursAtMostMb(max) {
  return { text: `< ${max} MB`, test: ({ ours }) => ours < max };
}
