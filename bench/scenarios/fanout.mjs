// 3. fan-out: one publisher to 1, 4 and 8 subscriber processes; events delivered per
// second, all subscribers together.
import { alternate, row } from "../lib/compare.mjs";
import { deliveredRate, runOnce } from "../lib/topology.mjs";

export const name = "fanout";
export const title = "fan-out: one publisher to 1, 4 and 8 subscriber processes (events delivered/s, all together)";

export async function run({ count, size, rounds, progress }) {
  const rows = [];
  const perRun = Math.max(1_000, Math.floor(count / 4));
  for (const subscribers of [1, 4, 8]) {
    const raw = () =>
      runOnce({
        subscribers,
        publisher: { impl: "raw", count: perRun, size, highWaterMark: 1e6 },
        subscriber: { impl: "raw", expect: perRun, highWaterMark: 1e6 },
      }).then(deliveredRate);
    const ours = () =>
      runOnce({ subscribers, publisher: { impl: "ours", count: perRun, size }, subscriber: { impl: "ours", expect: perRun } }).then(
        deliveredRate,
      );
    const result = await alternate(rounds, raw, ours, (text) => progress(`${subscribers} subscribers, ${text}`));
    rows.push(row(name, `${subscribers} subscriber${subscribers > 1 ? "s" : ""}`, "events/s", result.ours, result.raw));
  }
  return rows;
}
