// 1. direct: network publisher -> subscriber callback, one awaited sendEvent per event,
// beside a plain zeromq.js PUB/SUB loop sending the same MessagePack maps (one awaited
// send per event).
import { alternate, ratioAtLeast, row } from "../lib/compare.mjs";
import { deliveredRate, runOnce } from "../lib/topology.mjs";

export const name = "direct";
export const title = "direct: publisher -> subscriber, one awaited send per event";

export async function run({ count, size, rounds, progress }) {
  const raw = () =>
    runOnce({
      publisher: { impl: "raw", count, size, highWaterMark: 1e6 },
      subscriber: { impl: "raw", expect: count, highWaterMark: 1e6 },
    }).then(deliveredRate);
  const ours = () => runOnce({ publisher: { impl: "ours", count, size }, subscriber: { impl: "ours", expect: count } }).then(deliveredRate);
  const result = await alternate(rounds, raw, ours, progress);
  return [row(name, "events/s", "events/s", result.ours, result.raw, { target: ratioAtLeast(0.9) })];
}
