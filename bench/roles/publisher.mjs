// A publisher process: ours (loadFromConfig: the network driver straight, or the
// multiproc driver into the publisher service) or a raw zeromq.js PUB loop. On "probe"
// it sends probe events until "go"; on "go" it sends the measured events and reports
// when its sends are done; on "ends" it sends end markers until closed.
import { setTimeout as sleep } from "node:timers/promises";
import * as zmq from "zeromq";
import { loadFromConfig } from "../../dist/index.js";
import { encodeStampedEvent, Stamper } from "../../dist/internal.js";
import { END_TABLE, PROBE_TABLE, TOPIC, benchEvent, nowNs, padding, rawPayload } from "../lib/events.mjs";
import { rawBrokerPublisher } from "./raw-brokers.mjs";
import { closeWith, on, options, report } from "./role.mjs";

// `bind`: where a raw publisher binds (ZeroMQ) or the broker it publishes to; `connect`:
// the ipc address a raw publisher pushes to instead (the raw relay's PULL socket);
// `stamped`: a raw publisher sends the payload ours does, with a publisher id and a
// sequence number after the five keys; `unstamped`: ours sends the bare five-key map
// through `sendFrames` (the publisher service's relay path), the same queue and socket
// without the stamp, so the row beside `sendEvent` is what the stamp costs ours.
const {
  impl,
  bind,
  connect,
  count,
  size = 64,
  window = 1,
  rate,
  perMessage = 1,
  overrides = {},
  configPath,
  highWaterMark,
  stamped = false,
  unstamped = false,
} = options;
const pad = padding(size);
const topicFrame = Buffer.from(TOPIC);

async function ours() {
  const loaded = await loadFromConfig({ configPath, env: {}, subscriber: false, overrides });
  const publisher = loaded.publisher;
  const send = unstamped ? (event) => publisher.sendFrames(topicFrame, rawPayload(event)) : (event) => publisher.sendEvent(event);
  return { send, close: () => loaded.close() };
}

async function raw() {
  const socket = connect === undefined ? new zmq.Publisher() : new zmq.Push();
  socket.linger = 0;
  if (highWaterMark !== undefined) socket.sendHighWaterMark = highWaterMark;
  if (connect === undefined) await socket.bind(bind);
  else socket.connect(connect);
  let batch = [];
  let sequence = 0;
  const stamper = new Stamper("0123456789abcdef");
  const payloadOf = stamped ? (event) => encodeStampedEvent(event, TOPIC, stamper, (sequence += 1)) : (event) => rawPayload(event);
  return {
    send: (event) => socket.send([topicFrame, payloadOf(event)]),
    // raw-multipart: `perMessage` payloads a message, frames [topic, p1, p2, ...]
    sendMany: async (event) => {
      batch.push(rawPayload(event));
      if (batch.length < perMessage) return;
      const frames = [topicFrame, ...batch];
      batch = [];
      await socket.send(frames);
    },
    flush: async () => {
      if (batch.length > 0) await socket.send([topicFrame, ...batch.splice(0)]);
    },
    close: async () => socket.close(),
  };
}

const agent = impl === "raw" ? await raw() : impl.startsWith("raw-") ? await rawBrokerPublisher(impl, bind) : await ours();
let stopped = false;
let probing = false;
let probes = Promise.resolve();

async function probe() {
  probing = true;
  while (probing && !stopped) {
    await agent.send({ table: PROBE_TABLE, key: "p", action: "probe", value: null });
    await sleep(20);
  }
}

/** Sends the measured events: one awaited send each, or `window` in flight, or paced at `rate`/s. */
async function run() {
  const send = perMessage > 1 ? agent.sendMany : agent.send;
  const t0 = nowNs();
  if (rate !== undefined) {
    const interval = 1e9 / rate;
    for (let i = 0; i < count;) {
      const due = Math.min(count, Math.floor((nowNs() - t0) / interval) + 1);
      while (i < due) await send(benchEvent(i++, pad, nowNs()));
      // Caught up: sleep a timer tick (about 1 ms, so events go out in small bursts)
      // rather than spin, which would take the core ZeroMQ's I/O threads need.
      if (i < count) await sleep(1);
    }
  } else if (window <= 1) {
    for (let i = 0; i < count; i += 1) await send(benchEvent(i, pad));
  } else {
    let inFlight = [];
    for (let i = 0; i < count; i += 1) {
      inFlight.push(send(benchEvent(i, pad)));
      if (inFlight.length >= window) {
        await Promise.all(inFlight);
        inFlight = [];
      }
    }
    await Promise.all(inFlight);
  }
  await agent.flush?.();
  report({ type: "sent", t0, t1: nowNs() });
}

async function ends() {
  while (!stopped) {
    await agent.send({ table: END_TABLE, key: "e", action: "end", value: null });
    await sleep(50);
  }
}

closeWith(async () => {
  stopped = true;
  await agent.close();
});
on("probe", () => {
  probes = probe();
});
on("go", async () => {
  probing = false;
  await probes;
  await run();
});
on("ends", () => void ends());
report({ type: "ready" });
