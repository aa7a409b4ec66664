// 4. latency: publish -> callback at a fixed 10,000 events/s; p50, p99 and p99.9.
import { alternate, oursAtMost, row } from "../lib/compare.mjs";
import { median } from "../lib/stats.mjs";
import { runOnce } from "../lib/topology.mjs";

export const name = "latency";
export const title = "latency: publish -> callback at 10,000 events/s (microseconds)";

const RATE = 10_000;

export async function run({ latencySeconds, size, rounds, progress }) {
  const count = Math.round(RATE * latencySeconds);
  const measure = async (impl) => {
    const { results } = await runOnce({
      publisher: { impl, count, size, rate: RATE, highWaterMark: 1e6 },
      subscriber: { impl, expect: count, latency: true, highWaterMark: 1e6 },
    });
    return results[0].latency;
  };
  const raws = [];
  const ours = [];
  await alternate(
    rounds,
    async () => raws.push(await measure("raw")),
    async () => ours.push(await measure("ours")),
    progress,
  );
  const us = (list, key) => median(list.map((summary) => summary[key])) / 1_000;
  return [
    row(name, "p50", "µs", us(ours, "p50"), us(raws, "p50"), { higherIsBetter: false }),
    row(name, "p99", "µs", us(ours, "p99"), us(raws, "p99"), { higherIsBetter: false, target: oursAtMost(1_000, "µs") }),
    row(name, "p99.9", "µs", us(ours, "p999"), us(raws, "p999"), { higherIsBetter: false }),
  ];
}
