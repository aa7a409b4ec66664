// The batched wire mode (zmq.batch): under load a publisher packs waiting events into
// one message; our subscribers read both forms; a plain peer sees one event a message
// when the mode is off.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import * as zmq from "zeromq";
import createZmqNetworkDriver from "../../dist/drivers/zmq.js";
import { decodeEvent } from "../../dist/wire.js";
import { decodeEvents } from "../../dist/internal.js";
import { Collector, freePort, until, waitForFlow } from "../../dist/testing.js";
import { configFor, quietContext } from "../helpers/zmq.mjs";

/** A publisher, our subscriber and a raw SUB of topic "B", all on one tcp endpoint. */
async function setup(zmqOptions) {
  const port = await freePort();
  const address = `tcp://127.0.0.1:${port}`;
  const config = await configFor({ publisher_port: port, publisher_bind_address: "127.0.0.1", topics: ["B"], zmq: zmqOptions });
  const api = createZmqNetworkDriver(config, quietContext("network"));
  const got = new Collector();
  const subscriber = api.getSubscriber();
  subscriber.initialize(got.callback);
  subscriber.registerListenAddress(address);
  subscriber.registerTopic("B");
  await subscriber.daemonize();
  const publisher = api.getPublisher();
  await publisher.initialize();
  const raw = new zmq.Subscriber();
  raw.linger = 0;
  raw.subscribe("B");
  raw.connect(address);
  await waitForFlow(publisher, [got]);
  await rawConnected(raw, publisher);
  const close = async () => {
    await publisher.close();
    await subscriber.close();
    raw.close();
  };
  return { publisher, got, raw, close };
}

/** Resolves once the raw SUB receives: warm-up events go out until one arrives. */
async function rawConnected(raw, publisher) {
  await until(raw.receive(), "a warm-up event at the raw SUB of B", {
    probe: () => publisher.sendEvent({ table: "warm", key: "k", action: "set", value: 1 }, "B"),
  });
}

/** Reads the raw socket until `count` events of table "burst" have come: [messages, events]. */
async function readRaw(raw, count) {
  const events = [];
  let messages = 0;
  for (;;) {
    const [topic, payload] = await raw.receive();
    assert.equal(topic.toString(), "B");
    const decoded = decodeEvents(payload).filter((event) => event.table === "burst");
    if (decoded.length === 0) continue;
    messages += 1;
    events.push(...decoded);
    if (events.length >= count) break;
  }
  return { messages, events };
}

async function burst(publisher, count) {
  const accepted = [];
  for (let i = 0; i < count; i += 1) accepted.push(publisher.sendEvent({ table: "burst", key: String(i), action: "set", value: i }, "B"));
  await Promise.all(accepted);
}

describe("zmq batched wire mode", () => {
  it("packs a burst into fewer messages; every event arrives once, in order", async () => {
    const { publisher, got, raw, close } = await setup({ batch: true, batch_max_bytes: 4096 });
    try {
      const count = 20_000;
      const reading = readRaw(raw, count);
      await burst(publisher, count);
      const { messages, events } = await reading;
      assert.ok(messages < count / 2, `expected batches, got ${messages} messages for ${count} events`);
      assert.deepEqual(
        events.map((event) => Number(event.key)),
        Array.from({ length: count }, (_, i) => i),
      );
      got.timeoutMs = 30_000;
      await got.until(() => got.count("burst") === count, `${count} events`);
      assert.ok(got.of("burst").every((event, index) => Number(event.key) === index && event.topic === "B"));
    } finally {
      await close();
    }
  });

  it("keeps each batch within zmq.batch_max_bytes", async () => {
    const { publisher, raw, close } = await setup({ batch: true, batch_max_bytes: 1024 });
    try {
      const count = 5_000;
      const sizes = [];
      const reading = (async () => {
        let events = 0;
        for (;;) {
          const [, payload] = await raw.receive();
          const decoded = decodeEvents(payload).filter((event) => event.table === "burst");
          if (decoded.length === 0) continue;
          sizes.push(payload.length);
          events += decoded.length;
          if (events >= count) return;
        }
      })();
      await burst(publisher, count);
      await reading;
      // A batch's payload is its items plus an array header of at most 5 bytes.
      assert.ok(Math.max(...sizes) <= 1024 + 5, `largest batch ${Math.max(...sizes)} bytes`);
      assert.ok(sizes.length < count, "no batching happened");
    } finally {
      await close();
    }
  });

  it("is off by default: a plain peer gets one Dragonflow event per message", async () => {
    const { publisher, raw, close } = await setup({});
    try {
      const count = 2_000;
      const reading = (async () => {
        const keys = [];
        for (;;) {
          const [, payload] = await raw.receive();
          const event = decodeEvent(payload);
          if (event.table !== "burst") continue;
          keys.push(Number(event.key));
          if (keys.length === count) return keys;
        }
      })();
      await burst(publisher, count);
      assert.deepEqual(
        await reading,
        Array.from({ length: count }, (_, i) => i),
      );
    } finally {
      await close();
    }
  });
});
