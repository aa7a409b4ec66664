// 1. direct: network publisher -> subscriber callback, one awaited sendEvent per event,
// beside a plain zeromq.js PUB/SUB loop sending the same MessagePack maps (one awaited
// send per event). The `iterator` row: the same with a `for await` loop over events()
// in place of the callback, against the callback.
// And beside libzmq's own limit: a C PUB/SUB loop (bench/c/zmq-loop.c)
// sending messages of the size ours sends, when a C compiler and libzmq3-dev are here.
import { buildCLoop, ourPayloadBytes, runCLoop } from "../lib/c-loop.mjs";
import { ratioAtLeast, rotate, row } from "../lib/compare.mjs";
import { deliveredRate, runOnce } from "../lib/topology.mjs";

export const name = "direct";
export const title = "direct: publisher -> subscriber, one awaited send per event (and libzmq's C loop)";

export async function run({ count, size, rounds, progress }) {
  const raw = () =>
    runOnce({
      publisher: { impl: "raw", count, size, highWaterMark: 1e6 },
      subscriber: { impl: "raw", expect: count, highWaterMark: 1e6 },
    }).then(deliveredRate);
  const ours = () => runOnce({ publisher: { impl: "ours", count, size }, subscriber: { impl: "ours", expect: count } }).then(deliveredRate);
  const iterator = () =>
    runOnce({ publisher: { impl: "ours", count, size }, subscriber: { impl: "ours", expect: count, iterate: true } }).then(deliveredRate);
  const skipped = await buildCLoop();
  const bytes = ourPayloadBytes(size, count);
  const runs = skipped === undefined ? { raw, ours, iterator, libzmq: () => runCLoop(count, bytes) } : { raw, ours, iterator };
  const { medians } = await rotate(rounds, runs, progress);
  const limit = `libzmq's C loop (${bytes}-byte messages, not decoded)`;
  return [
    row(name, "events/s", "events/s", medians.ours, medians.raw, { target: ratioAtLeast(0.9) }),
    row(name, "iterator", "events/s", medians.iterator, medians.ours, {
      target: ratioAtLeast(0.9),
      note: "raw column: the callback; for await over events() must stay within 10% of it",
    }),
    ...(skipped === undefined
      ? [
          row(name, `events/s, vs ${limit}`, "events/s", medians.ours, medians.libzmq),
          row(name, `raw zeromq.js loop, vs ${limit}`, "events/s", medians.raw, medians.libzmq),
        ]
      : [row(name, `vs libzmq's C loop: skipped: ${skipped}`, "events/s", null, null)]),
  ];
}
