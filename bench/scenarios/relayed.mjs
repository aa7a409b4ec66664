// 2. relayed: worker -> IPC -> publisher service -> network -> subscriber, beside the
// raw direct loop.
import { alternate, ratioAtLeast, row } from "../lib/compare.mjs";
import { deliveredRate, runOnce } from "../lib/topology.mjs";

export const name = "relayed";
export const title = "relayed: worker -> IPC -> publisher service -> subscriber, vs the raw direct loop";

export async function run({ count, size, rounds, progress }) {
  const raw = () => runOnce({ publisher: { impl: "raw", count, size, highWaterMark: 1e6 }, subscriber: { impl: "raw", expect: count, highWaterMark: 1e6 } }).then(deliveredRate);
  const ours = () => runOnce({ relayed: true, publisher: { impl: "ours", count, size }, subscriber: { impl: "ours", expect: count } }).then(deliveredRate);
  // The batched wire mode on both hops: workers pipeline (1,024 in flight) and pack what
  // waits into one IPC message; the service relays batches as they come.
  const batched = () =>
    runOnce({
      relayed: true,
      publisher: { impl: "ours", count, size, window: 1_024, overrides: { zmq: { batch: true } }, serviceOverrides: { zmq: { batch: true } } },
      subscriber: { impl: "ours", expect: count },
    }).then(deliveredRate);
  const plain = await alternate(rounds, raw, ours, progress);
  const fast = await alternate(rounds, raw, batched, (text) => progress(`batched, ${text}`));
  return [
    row(name, "events/s", "events/s", plain.ours, plain.raw, { target: ratioAtLeast(0.7) }),
    row(name, "events/s, zmq.batch", "events/s", fast.ours, fast.raw, { target: ratioAtLeast(0.7) }),
  ];
}
