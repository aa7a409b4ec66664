// 7. batched wire mode (zmq.batch): ours with events pipelined (1,024 in flight), beside
// a plain zeromq.js multipart loop with 64 events a message.
import { alternate, oursAtLeast, row } from "../lib/compare.mjs";
import { deliveredRate, runOnce } from "../lib/topology.mjs";

export const name = "batched";
export const title = "batched wire mode: ours (zmq.batch, 1,024 in flight) vs raw multipart, 64 events a message";

export async function run({ count, size, rounds, progress }) {
  const n = count * 2;
  const raw = () =>
    runOnce({
      publisher: { impl: "raw", count: n, size, perMessage: 64, highWaterMark: 1e6 },
      subscriber: { impl: "raw", expect: n, highWaterMark: 1e6 },
    }).then(deliveredRate);
  const ours = () =>
    runOnce({
      publisher: { impl: "ours", count: n, size, window: 1_024, overrides: { zmq: { batch: true } } },
      subscriber: { impl: "ours", expect: n },
    }).then(deliveredRate);
  const result = await alternate(rounds, raw, ours, progress);
  return [row(name, "events/s", "events/s", result.ours, result.raw, { target: oursAtLeast(400_000, "events/s") })];
}
