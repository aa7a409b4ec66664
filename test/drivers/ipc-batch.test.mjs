// The batched IPC hop (zmq.multiproc_batch, on by default): a worker's awaited sends
// reach the service as fewer messages than events; the service relays them one event a
// message to a plain network (what a Dragonflow subscriber reads) or as batches with
// zmq.batch; every event arrives once, in order, also across a kill -9 of the service.
import assert from "node:assert/strict";
import { join } from "node:path";
import { describe, it } from "node:test";
import * as zmq from "zeromq";
import createZmqNetworkDriver from "../../dist/drivers/zmq.js";
import createZmqMultiprocDriver from "../../dist/drivers/zmq-multiproc.js";
import { PublisherService } from "../../dist/index.js";
import { decodeEvent } from "../../dist/wire.js";
import { decodeEvents } from "../../dist/internal.js";
import { Session, freePort, until } from "../../dist/testing.js";
import { processStarter } from "../helpers/process.mjs";
import { collect, configFor, quietContext, socketDir, topologyFlags } from "../helpers/zmq.mjs";

const start = processStarter();

/** Sends `count` events of table `table`, each awaited, as a loop in a worker would. */
async function awaitedBurst(publisher, count, table = "burst") {
  for (let i = 0; i < count; i += 1) await publisher.sendEvent({ table, key: String(i), action: "set", value: i }, "D");
}

/** The events of table `table` in `messages`, with how many messages carried them. */
function eventsOf(messages, table) {
  const events = [];
  let carriers = 0;
  for (const [, payload] of messages) {
    const decoded = decodeEvents(payload).filter((event) => event.table === table);
    if (decoded.length > 0) carriers += 1;
    events.push(...decoded);
  }
  return { events, carriers };
}

/**
 * Waits for `count` events of the burst at `reader` (a collect()ed raw socket), checks that
 * they came in batches (at most one message per 10 events) and in order, and returns them.
 */
async function batchedBurst(reader, count, where) {
  await reader.until(() => eventsOf(reader.messages, "burst").events.length >= count, `${count} events at ${where}`);
  const { events, carriers } = eventsOf(reader.messages, "burst");
  assert.ok(carriers <= count / 10, `expected batches, got ${carriers} messages for ${count} events`);
  assert.deepEqual(
    events.map((event) => Number(event.key)),
    [...Array(count).keys()],
  );
  return events;
}

describe("the batched IPC hop: the worker's side", () => {
  it("is on by default: a burst of awaited sends reaches the service as fewer messages than events, all in order", async () => {
    const path = join(await socketDir(), "publisher.sock");
    const config = await configFor({ publisher_multiproc_socket: path, zmq: { linger_ms: 100 } });
    assert.equal(config.zmq.multiproc_batch, true);
    // A raw PULL stands for the service: it counts the messages as they arrive.
    const pull = new zmq.Pull();
    pull.linger = 0;
    await pull.bind(`ipc://${path}`);
    const inbox = collect(pull);
    const publisher = createZmqMultiprocDriver(config, quietContext("worker")).getPublisher();
    try {
      await publisher.initialize();
      const count = 5_000;
      await awaitedBurst(publisher, count);
      const events = await batchedBurst(inbox, count, "the raw PULL");
      assert.deepEqual(
        events.map((event) => event.sequence),
        Array.from({ length: count }, (_, i) => i + 1),
        "every event keeps its own sequence inside its batch",
      );
      assert.ok(events.every((event) => event.publisherId === publisher.publisherId));
    } finally {
      await publisher.close(); // nothing confirms: the raw PULL sends no acknowledgement
      await inbox.close();
    }
    assert.equal(publisher.lost, 5_000, "unconfirmed events are counted when close() gives up");
  });

  it("a service that confirms nothing: past 16 times zmq.multiproc_send_high_water_mark events, sendEvent waits, then rejects", async () => {
    const path = join(await socketDir(), "publisher.sock");
    const zmqOptions = { linger_ms: 100, multiproc_send_high_water_mark: 4, send_timeout_ms: 200 };
    const config = await configFor({ publisher_multiproc_socket: path, zmq: zmqOptions });
    const pull = new zmq.Pull();
    pull.linger = 0;
    await pull.bind(`ipc://${path}`);
    const inbox = collect(pull);
    const publisher = createZmqMultiprocDriver(config, quietContext("worker")).getPublisher();
    try {
      await publisher.initialize();
      await awaitedBurst(publisher, 64);
      await assert.rejects(publisher.sendEvent({ table: "burst", key: "64", action: "set", value: 64 }, "D"), {
        code: "PUBSUB_ERR_SEND",
        message:
          /^zmq\.multiproc_send_high_water_mark: 64 events wait for the publisher service to confirm them, and none was confirmed for 200 ms/,
      });
      await inbox.until(() => eventsOf(inbox.messages, "burst").events.length === 64, "the 64 events sent");
    } finally {
      await publisher.close();
      await inbox.close();
    }
  });

  it("zmq.multiproc_batch: false (and zmq.batch off) sends one event a message", async () => {
    const path = join(await socketDir(), "publisher.sock");
    const config = await configFor({ publisher_multiproc_socket: path, zmq: { linger_ms: 100, multiproc_batch: false } });
    const pull = new zmq.Pull();
    pull.linger = 0;
    await pull.bind(`ipc://${path}`);
    const inbox = collect(pull);
    const publisher = createZmqMultiprocDriver(config, quietContext("worker")).getPublisher();
    try {
      await publisher.initialize();
      await awaitedBurst(publisher, 500);
      await inbox.until(() => inbox.messages.length >= 500, "500 messages at the raw PULL");
      assert.ok(inbox.messages.every(([, payload]) => decodeEvent(payload).table === "burst"));
    } finally {
      await publisher.close();
      await inbox.close();
    }
  });
});

/** A worker, a publisher service (in this process) and a raw SUB on its network port. */
async function relay(session, zmqOptions) {
  const port = await freePort();
  const path = join(await socketDir(), "publisher.sock");
  const config = await configFor({
    publisher_port: port,
    publisher_bind_address: "127.0.0.1",
    publisher_multiproc_socket: path,
    zmq: zmqOptions,
  });
  const multiproc = createZmqMultiprocDriver(config, quietContext("multiproc"));
  const service = new PublisherService(multiproc.getSubscriber(), createZmqNetworkDriver(config, quietContext("network")).getPublisher(), {
    logger: quietContext("service").logger,
  });
  session.track({ close: () => service.stop() });
  await service.start();
  const raw = new zmq.Subscriber();
  raw.linger = 0;
  raw.subscribe("D");
  raw.connect(`tcp://127.0.0.1:${port}`);
  const sub = collect(raw);
  session.track(sub);
  const worker = multiproc.getPublisher();
  await worker.initialize();
  session.track(worker);
  let probes = 0;
  await until(() => sub.messages.length > 0, "a probe through the service", {
    changes: sub.changes,
    probe: () => worker.sendEvent({ table: "probe", key: String((probes += 1)), action: "probe", value: null }, "D"),
  });
  await sub.until(() => eventsOf(sub.messages, "probe").events.length === probes, "every probe sent");
  return { service, worker, sub };
}

describe("the batched IPC hop: the service relays", () => {
  it("one event a message to a plain network (zmq.batch off): what a Dragonflow subscriber reads; stats count events", async () => {
    const session = new Session();
    try {
      const { service, worker, sub } = await relay(session, {});
      const relayedBefore = service.stats.relayed;
      const count = 3_000;
      await awaitedBurst(worker, count);
      await sub.until(() => eventsOf(sub.messages, "burst").events.length >= count, `${count} events at the raw SUB`);
      const burst = sub.messages.map(([, payload]) => payload).filter((payload) => decodeEvents(payload)[0]?.table === "burst");
      // decodeEvent refuses an array: every message is one plain event map.
      assert.deepEqual(
        burst.map((payload) => Number(decodeEvent(payload).key)),
        [...Array(count).keys()],
      );
      assert.equal(service.stats.relayed - relayedBefore, count, "the service counts events, not messages");
      await worker.close();
      assert.equal(worker.lost, 0, "the service confirmed every event");
    } finally {
      await session.close();
    }
  });

  it("batches as they came when the network batches (zmq.batch)", async () => {
    const session = new Session();
    try {
      const { worker, sub } = await relay(session, { batch: true });
      const count = 3_000;
      await awaitedBurst(worker, count);
      await batchedBurst(sub, count, "the raw SUB");
    } finally {
      await session.close();
    }
  });
});

describe("the batched IPC hop: a service killed mid-burst", () => {
  it("kill -9, then a new service: every event of a loop of awaited sends arrives once, in order; nothing lost", async () => {
    const { port, socket, flags } = await topologyFlags(10_000);
    const service = () => start(["service", "--json", "--wait-subscribers", "1", ...flags]);
    const subscriber = start(["subscribe", "--publisher", `tcp://127.0.0.1:${port}`, ...flags]);
    const first = service();
    await first.waitFor(/"msg":"ready/);
    await subscriber.waitFor(/connected to tcp:\/\/127\.0\.0\.1/);
    const config = await configFor({ publisher_multiproc_socket: socket, zmq: { linger_ms: 10_000 } });
    const worker = createZmqMultiprocDriver(config, quietContext("worker")).getPublisher();
    await worker.initialize();
    try {
      const total = 20_000;
      const sending = awaitedBurst(worker, total, "t");
      await subscriber.waitForCount(/"action":"set"/, 2_000);
      first.kill("SIGKILL");
      assert.deepEqual(await first.exit(), { code: null, signal: "SIGKILL" });
      const second = service();
      await second.waitFor(/"msg":"ready/);
      await sending;
      await worker.close();
      assert.equal(worker.lost, 0, "the new service confirmed every event");
      const received = await subscriber.waitForCount(/"action":"set"/, total);
      assert.deepEqual(
        received.map((line) => Number(JSON.parse(line).key)),
        [...Array(total).keys()],
      );
      second.kill("SIGTERM");
      assert.deepEqual(await second.exit(), { code: 0, signal: null });
    } finally {
      await worker.close();
    }
  });
});
