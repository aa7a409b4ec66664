// 2. relayed: worker -> IPC -> publisher service -> network -> subscriber, beside the
// raw direct loop, beside our own direct loop (the hop's cost) and beside a raw relay: the same three processes in plain
// zeromq.js (PUSH -> PULL, each message sent on through XPUB -> SUB), which shows what
// the extra hop costs the transport itself. Ours runs with default settings, so the IPC
// hop is batched (zmq.multiproc_batch) and the network carries one event a message.
import { alternate, ratioAtLeast, rotate, row } from "../lib/compare.mjs";
import { deliveredRate, runOnce } from "../lib/topology.mjs";

export const name = "relayed";
export const title = "relayed: worker -> IPC -> publisher service -> subscriber, vs the raw direct loop, ours direct and a raw relay";

export async function run({ count, size, rounds, progress }) {
  const raw = (relayed) => () =>
    runOnce({
      relayed,
      publisher: { impl: "raw", count, size, highWaterMark: 1e6 },
      subscriber: { impl: "raw", expect: count, highWaterMark: 1e6 },
    }).then(deliveredRate);
  const ours = () =>
    runOnce({ relayed: true, publisher: { impl: "ours", count, size }, subscriber: { impl: "ours", expect: count } }).then(deliveredRate);
  const oursDirect = () =>
    runOnce({ publisher: { impl: "ours", count, size }, subscriber: { impl: "ours", expect: count } }).then(deliveredRate);
  // The batched wire mode on both hops: workers pipeline (1,024 in flight) and pack what
  // waits into one IPC message; the service relays batches as they come.
  const batched = () =>
    runOnce({
      relayed: true,
      publisher: {
        impl: "ours",
        count,
        size,
        window: 1_024,
        overrides: { zmq: { batch: true } },
        serviceOverrides: { zmq: { batch: true } },
      },
      subscriber: { impl: "ours", expect: count },
    }).then(deliveredRate);
  const { medians: plain } = await rotate(rounds, { raw: raw(false), "raw relay": raw(true), ours, "ours direct": oursDirect }, progress);
  const fast = await alternate(rounds, raw(false), batched, (text) => progress(`batched, ${text}`));
  return [
    row(name, "events/s", "events/s", plain.ours, plain.raw, { target: ratioAtLeast(0.7) }),
    row(name, "events/s, vs ours direct", "events/s", plain.ours, plain["ours direct"], {
      target: ratioAtLeast(0.9),
      note: "raw column: our direct publisher -> subscriber in the same rounds; the hop through the service must keep 90% of it",
    }),
    row(name, "events/s, vs a raw relay", "events/s", plain.ours, plain["raw relay"]),
    row(name, "raw relay, vs the raw direct loop", "events/s", plain["raw relay"], plain.raw),
    row(name, "events/s, zmq.batch", "events/s", fast.ours, fast.raw, { target: ratioAtLeast(0.7) }),
  ];
}
