// 2. relayed: worker -> IPC -> publisher service -> network -> subscriber, beside the
// raw direct loop.
import { alternate, ratioAtLeast, row } from "../lib/compare.mjs";
import { deliveredRate, runOnce } from "../lib/topology.mjs";

export const name = "relayed";
export const title = "relayed: worker -> IPC -> publisher service -> subscriber, vs the raw direct loop";

export async function run({ count, size, rounds, progress }) {
  const raw = () => runOnce({ publisher: { impl: "raw", count, size, highWaterMark: 1e6 }, subscriber: { impl: "raw", expect: count, highWaterMark: 1e6 } }).then(deliveredRate);
  const ours = () => runOnce({ relayed: true, publisher: { impl: "ours", count, size }, subscriber: { impl: "ours", expect: count } }).then(deliveredRate);
  const result = await alternate(rounds, raw, ours, progress);
  return [row(name, "events/s", "events/s", result.ours, result.raw, { target: ratioAtLeast(0.7) })];
}
