// The publisher service in one process, over real sockets: the raw relay (bytes kept,
// garbage dropped, batches split for a network that does not batch), the decode/re-encode path when one driver cannot
// relay raw frames, and an inbox "sync" passed on to the network.
import assert from "node:assert/strict";
import { join } from "node:path";
import { describe, it } from "node:test";
import { Packr } from "msgpackr";
import * as zmq from "zeromq";
import createZmqNetworkDriver from "../../dist/drivers/zmq.js";
import createZmqMultiprocDriver from "../../dist/drivers/zmq-multiproc.js";
import { PublisherService } from "../../dist/index.js";
import { encodeEvent } from "../../dist/wire.js";
import { encodeBatch } from "../../dist/internal.js";
import { Session, freePort, until, waitForFlow } from "../../dist/testing.js";
import createTcpDriver from "../../examples/tcp-driver/tcp-driver.mjs";
import { recordingLogger } from "../helpers/fixtures.mjs";
import { collect, configFor, quietContext, rawPush, socketDir } from "../helpers/zmq.mjs";

/** A zmq multiproc inbox and a zmq network outbox: the pair that relays raw frames; `session` stops the service. */
async function zmqService(session) {
  const port = await freePort();
  const socket = join(await socketDir(), "publisher.sock");
  const config = await configFor({ publisher_port: port, publisher_bind_address: "127.0.0.1", publisher_multiproc_socket: socket });
  const logger = recordingLogger();
  const inbox = createZmqMultiprocDriver(config, { role: "multiproc", logger }).getSubscriber();
  const network = createZmqNetworkDriver(config, quietContext("network"));
  const service = new PublisherService(inbox, network.getPublisher(), { logger });
  session.track({ close: () => service.stop() });
  await service.start();
  return { port, socket, inbox, network, service, logger };
}

/** A raw SUB socket on the service's network port: what a peer of another implementation receives, bytes as sent. */
function rawSubscriber(port) {
  const socket = new zmq.Subscriber();
  socket.linger = 0;
  socket.subscribe("D");
  socket.connect(`tcp://127.0.0.1:${port}`);
  return collect(socket);
}

/** Pushes probes into the inbox until one reaches `sub`: every connection and subscription is in place. */
async function rawFlow(push, sub) {
  await until(() => sub.messages.length > 0, "a probe through the service", {
    changes: sub.changes,
    probe: () => push.send([Buffer.from("D"), encodeEvent({ table: "probe", key: null, action: "probe", value: null }, "D")]),
  });
}

/** The payloads `sub` received after the probes, as Buffers. */
function payloadsAfterProbes(sub) {
  return sub.messages.map(([, payload]) => payload).filter((payload) => !payload.includes(Buffer.from("probe")));
}

/** A running subscriber of `network`'s driver, connected to the service's port, collecting. */
function networkSubscriber(session, network, port) {
  return session.subscriber({ api: network, address: `tcp://127.0.0.1:${port}` });
}

describe("PublisherService: the raw relay", () => {
  it("relays the frames as they came, byte for byte, and says so in stats.raw", async () => {
    const session = new Session();
    try {
      const { port, socket, service } = await zmqService(session);
      const sub = rawSubscriber(port);
      session.track(sub);
      const push = await rawPush(`ipc://${socket}`);
      session.track(push);
      assert.equal(service.stats.raw, true);
      await rawFlow(push, sub);
      // Keys in another order and one this project does not know: re-encoding would change both.
      const payload = new Packr({ useRecords: false }).pack({
        extra: "kept",
        value: { mtu: 1450 },
        action: "create",
        key: "p1",
        table: "lport",
        topic: "D",
      });
      await push.send([Buffer.from("D"), payload]);
      await sub.until(() => payloadsAfterProbes(sub).length === 1, "the relayed event");
      assert.deepEqual(payloadsAfterProbes(sub), [payload]);
      const [topic] = sub.messages.at(-1);
      assert.equal(topic.toString(), "D");
    } finally {
      await session.close();
    }
  });

  it("drops payloads that cannot be events, counts them as undecodable, logs once per burst; a batch goes on one event a message", async () => {
    const session = new Session();
    try {
      const { port, socket, service, logger } = await zmqService(session);
      const sub = rawSubscriber(port);
      session.track(sub);
      const push = await rawPush(`ipc://${socket}`);
      session.track(push);
      await rawFlow(push, sub);
      const relayedBefore = service.stats.relayed;
      for (const garbage of ["not msgpack", "\u00c1", ""]) await push.send([Buffer.from("D"), Buffer.from(garbage, "latin1")]);
      const one = encodeEvent({ table: "t", key: "after-garbage", action: "set", value: 1 }, "D");
      const items = [
        encodeEvent({ table: "t", key: "b1", action: "set", value: 2 }, "D"),
        encodeEvent({ table: "t", key: "b2", action: "set", value: { deep: [1, "x", { y: null }] } }, "D"),
      ];
      await push.send([Buffer.from("D"), one]);
      await push.send([Buffer.from("D"), encodeBatch(items)]);
      // zmq.batch is off: the batch goes on one event a message, each as it was packed.
      await sub.until(() => payloadsAfterProbes(sub).length === 3, "the event and the batch's two after the garbage");
      assert.deepEqual(payloadsAfterProbes(sub), [one, ...items]);

      const { stats } = service;
      assert.equal(stats.relayed - relayedBefore, 3, "every event of the batch counts");
      assert.equal(stats.inbox.undecodable, 3);
      const warnings = logger.records.filter((record) => record.level === "warn");
      assert.equal(warnings.length, 2, JSON.stringify(warnings));
      assert.match(warnings[0].msg, /^dropped an undecodable message/);
      assert.equal(warnings[0].obj.err.code, "PUBSUB_ERR_WIRE_FORMAT");
      assert.match(warnings[0].obj.err.message, /^payload is not a MessagePack map or array \(11 bytes, first byte 0x6e\)$/);
      assert.deepEqual(warnings[1].obj, { dropped: 3 });
    } finally {
      await session.close();
    }
  });
});

describe("PublisherService: decode and re-encode", () => {
  it("relays through the callback and sendEvent when the inbox cannot hand over raw frames", async () => {
    const session = new Session();
    try {
      const inboxPort = await freePort();
      const port = await freePort();
      const config = await configFor({ publisher_port: port, publisher_bind_address: "127.0.0.1" });
      const workers = createTcpDriver({ ...config, publisher_port: inboxPort }, quietContext("multiproc"));
      const worker = await session.publisher({ api: workers, address: `tcp://127.0.0.1:${inboxPort}` });
      const inbox = workers.getSubscriber();
      inbox.registerListenAddress(`tcp://127.0.0.1:${inboxPort}`);
      const network = createZmqNetworkDriver(config, quietContext("network"));
      const service = new PublisherService(inbox, network.getPublisher(), { logger: recordingLogger() });
      session.track({ close: () => service.stop() });
      await service.start();
      const { got } = await networkSubscriber(session, network, port);
      assert.equal(service.stats.raw, false);
      await waitForFlow(worker, [got]);
      await worker.sendEvent({ table: "lport", key: "p1", action: "create", value: { mtu: 1450, big: 2 ** 40 } }, "D");
      await worker.sendEvent({ table: "lport", key: "p2", action: "delete", value: null });
      await got.until(() => got.count("lport") === 2, "two events through the callback path");
      assert.deepEqual(got.of("lport"), [
        { table: "lport", key: "p1", action: "create", value: { mtu: 1450, big: 2 ** 40 }, topic: "D" },
        { table: "lport", key: "p2", action: "delete", value: null, topic: "D" },
      ]);
      assert.equal(service.stats.failed, 0);
    } finally {
      await session.close();
    }
  });
});

describe("PublisherService: sync", () => {
  it("a sync from the inbox (its socket failed and was replaced) goes to every subscriber on topic D", async () => {
    const session = new Session();
    try {
      const { port, socket, inbox, network } = await zmqService(session);
      const workers = createZmqMultiprocDriver(await configFor({ publisher_multiproc_socket: socket }), quietContext("worker"));
      const worker = await session.publisher({ api: workers, address: `ipc://${socket}` });
      const { got } = await networkSubscriber(session, network, port);
      await waitForFlow(worker, [got]);
      assert.equal(got.syncs, 0);
      // The worker goes first: the sync counted below comes from the inbox's socket alone.
      await worker.close();
      inbox.sockets[0].close();
      await got.until(() => got.syncs === 1, "the sync the service passes on");
      assert.deepEqual(
        got.events.find((event) => event.action === "sync"),
        { table: null, key: null, action: "sync", value: null, topic: "D" },
      );
      assert.equal(inbox.stats.syncs, 1);
      const next = await session.publisher({ api: workers, address: `ipc://${socket}` });
      await next.sendEvent({ table: "t", key: "after", action: "set", value: null });
      await got.until(() => got.count("t") === 1, "an event through the replaced inbox socket");
    } finally {
      await session.close();
    }
  });
});
