// 1. direct: network publisher -> subscriber callback, one awaited sendEvent per event,
// beside a plain zeromq.js PUB/SUB loop sending the same MessagePack maps (one awaited
// send per event). The `iterator` row: the same with a `for await` loop over events()
// in place of the callback, against the callback.
import { ratioAtLeast, rotate, row } from "../lib/compare.mjs";
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
  const iterator = () =>
    runOnce({ publisher: { impl: "ours", count, size }, subscriber: { impl: "ours", expect: count, iterate: true } }).then(deliveredRate);
  const { medians } = await rotate(rounds, { raw, ours, iterator }, progress);
  return [
    row(name, "events/s", "events/s", medians.ours, medians.raw, { target: ratioAtLeast(0.9) }),
    row(name, "iterator", "events/s", medians.iterator, medians.ours, {
      target: ratioAtLeast(0.9),
      note: "raw column: the callback; for await over events() must stay within 10% of it",
    }),
  ];
}
