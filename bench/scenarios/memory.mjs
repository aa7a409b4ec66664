// 6. memory: subscriber RSS before and after 1,000,000 events, after a GC each time.
// Paced at a rate the subscriber keeps up with, growth is what the subscriber keeps
// (a leak would show here). Flooded, the backlog ZeroMQ queues in the subscriber (up to
// zmq.receive_high_water_mark messages) shows too: malloc keeps those pages once freed.
import { row } from "../lib/compare.mjs";
import { median } from "../lib/stats.mjs";
import { runOnce } from "../lib/topology.mjs";

export const name = "memory";
export const title = "memory: subscriber RSS growth over 1,000,000 events (MB)";

const PACED = 100_000;

async function growth(publisher, size, events) {
  const measure = async (subs) => {
    subs[0].send({ type: "measure" });
    return subs[0].next("rss");
  };
  const { before, after } = await runOnce({
    publisher: { impl: "ours", count: events, size, ...publisher },
    subscriber: { impl: "ours", expect: events },
    subscriberExecArgv: ["--expose-gc"],
    between: measure,
  });
  return { rss: (after.rss - before.rss) / 1e6, heap: (after.heapUsed - before.heapUsed) / 1e6 };
}

export async function run({ memoryEvents, size, rounds, progress }) {
  const paced = [];
  const flooded = [];
  const times = Math.max(1, Math.min(rounds, 3));
  for (let round = 0; round < times; round += 1) {
    progress(`round ${round + 1}/${times}: paced at ${PACED}/s`);
    paced.push(await growth({ rate: PACED }, size, memoryEvents));
    progress(`round ${round + 1}/${times}: flooded`);
    flooded.push(await growth({ window: 1_024 }, size, memoryEvents));
  }
  const mb = (list, key) => median(list.map((item) => item[key]));
  return [
    row(name, `RSS growth, paced ${PACED.toLocaleString("en-US")}/s`, "MB", mb(paced, "rss"), null, {
      higherIsBetter: false,
      target: { text: "< 50 MB", test: ({ ours }) => ours < 50 },
    }),
    row(name, "JS heap growth, paced", "MB", mb(paced, "heap"), null, { higherIsBetter: false }),
    row(name, "RSS growth, flooded (ZeroMQ backlog)", "MB", mb(flooded, "rss"), null, { higherIsBetter: false }),
  ];
}
