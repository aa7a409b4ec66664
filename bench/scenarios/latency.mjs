// 4. latency: publish -> callback at a fixed 10,000 events/s; p50, p99 and p99.9 in the
// steady state, after a warm-up at the same rate whose p99 is reported apart.
import { alternate, oursAtMost, row } from "../lib/compare.mjs";
import { median } from "../lib/stats.mjs";
import { runOnce } from "../lib/topology.mjs";

export const name = "latency";
export const title = "latency: publish -> callback at 10,000 events/s (microseconds)";

const RATE = 10_000;

export async function run({ latencySeconds, warmupSeconds, size, rounds, progress }) {
  const count = Math.round(RATE * latencySeconds);
  // The warm-up events go out first, paced like the rest, in the same run: one stream,
  // the subscriber tells them apart by their place in it.
  const warmup = Math.round(RATE * warmupSeconds);
  const measure = async (impl) => {
    const { results } = await runOnce({
      publisher: { impl, count: warmup + count, size, rate: RATE, highWaterMark: 1e6 },
      subscriber: { impl, expect: warmup + count, warmup, latency: true, highWaterMark: 1e6 },
    });
    return results[0];
  };
  const raws = [];
  const ours = [];
  await alternate(
    rounds,
    async () => raws.push(await measure("raw")),
    async () => ours.push(await measure("ours")),
    progress,
  );
  const us = (list, key, part = "latency") => median(list.map((result) => result[part][key])) / 1_000;
  const rows = [
    row(name, "p50", "µs", us(ours, "p50"), us(raws, "p50"), { higherIsBetter: false }),
    row(name, "p99", "µs", us(ours, "p99"), us(raws, "p99"), { higherIsBetter: false, target: oursAtMost(1_000, "µs") }),
    row(name, "p99.9", "µs", us(ours, "p999"), us(raws, "p999"), { higherIsBetter: false }),
  ];
  if (warmup > 0)
    rows.push(
      row(name, "p99, warm-up", "µs", us(ours, "p99", "warmupLatency"), us(raws, "p99", "warmupLatency"), { higherIsBetter: false }),
    );
  return rows;
}
