// zmq.max_message_bytes: no worker grows the publisher service's memory with one
// message. A larger message drops that worker's connection (ZMQ_MAXMSGSIZE) and is
// never relayed; our publishers refuse to send one, naming the option.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { join } from "node:path";
import * as zmq from "zeromq";
import createZmqMultiprocDriver from "../../dist/drivers/zmq-multiproc.js";
import createZmqNetworkDriver from "../../dist/drivers/zmq.js";
import { Session, freePort, waitForFlow } from "../../dist/testing.js";
import { encodeEvent, encodeTopic } from "../../dist/wire.js";
import { configFor, quietContext, rawPush, socketDir } from "../helpers/zmq.mjs";

const LIMIT = 4096;

async function driverOn(t) {
  const port = await freePort();
  const address = `tcp://127.0.0.1:${port}`;
  const config = await configFor({ publisher_port: port, publisher_bind_address: "127.0.0.1", zmq: { max_message_bytes: LIMIT } });
  const api = createZmqNetworkDriver(config, quietContext("network"));
  const session = new Session();
  t.after(() => session.close());
  return { api, address, session };
}

describe("zmq.max_message_bytes", () => {
  it("a publisher refuses an event past the limit, naming the option, and keeps sending the rest, with no gap", async (t) => {
    const { api, address, session } = await driverOn(t);
    const { subscriber, got } = await session.subscriber({ api, address });
    const publisher = await session.publisher({ api, address });
    await waitForFlow(publisher, [got]);
    await assert.rejects(publisher.sendEvent({ table: "big", key: "1", action: "set", value: "x".repeat(2 * LIMIT) }), {
      code: "PUBSUB_ERR_SEND",
      message: /^zmq\.max_message_bytes: an event of \d+ bytes is larger than the limit \(4096\)/,
    });
    await publisher.sendEvent({ table: "small", key: "2", action: "set", value: "x" });
    await got.until(() => got.count("small") === 1, "the small event after the refused one");
    assert.equal(got.count("big"), 0);
    assert.equal(subscriber.stats.gaps, 0, "the refused event took no sequence number");
    assert.equal(got.syncs, 0);
  });

  it("the service's inbox never takes a message past the limit from a worker, and keeps taking the others", async (t) => {
    const path = join(await socketDir(), "publisher.sock");
    const config = await configFor({ publisher_multiproc_socket: path, zmq: { max_message_bytes: LIMIT } });
    const api = createZmqMultiprocDriver(config, quietContext("multiproc"));
    const session = new Session();
    t.after(() => session.close());
    const address = `ipc://${path}`;
    const { subscriber: inbox, got } = await session.subscriber({ api, address });
    const topic = encodeTopic("D");
    const big = await rawPush(address);
    t.after(() => big.close());
    await big.send([topic, encodeEvent({ table: "big", key: "1", action: "set", value: "x".repeat(64 * 1024) }, "D")]);
    // Another worker's connection is not disturbed: its events arrive, the big one never.
    const other = await rawPush(address);
    t.after(() => other.close());
    await waitForFlow({ sendEvent: (event) => other.send([topic, encodeEvent(event, "D")]) }, [got]);
    await other.send([topic, encodeEvent({ table: "small", key: "2", action: "set", value: "x" }, "D")]);
    await got.until(() => got.count("small") === 1, "the other worker's event");
    assert.equal(got.count("big"), 0);
    assert.equal(inbox.isRunning, true);
  });
});

// A network publisher's peers send it only subscriptions, which libzmq keeps in a trie at
// about 50 bytes per byte of topic: it reads none longer than 511 bytes, whatever
// zmq.max_message_bytes says.
describe("subscriptions a network publisher reads", () => {
  it("drops the connection of a peer whose subscription is longer than 511 bytes, and serves the others", async (t) => {
    const port = await freePort();
    const address = `tcp://127.0.0.1:${port}`;
    const config = await configFor({ publisher_port: port, publisher_bind_address: "127.0.0.1" });
    const context = quietContext("network");
    const api = createZmqNetworkDriver(config, context);
    const session = new Session();
    t.after(() => session.close());
    const { got } = await session.subscriber({ api, address });
    const publisher = await session.publisher({ api, address });
    await waitForFlow(publisher, [got]);
    const lostBefore = publisher.connections.lost;
    const lossLines = (records) => records.filter((r) => r.level === "warn" && / lost: /.test(r.msg));
    const hostile = new zmq.XSubscriber({ linger: 0 });
    t.after(() => hostile.close());
    hostile.connect(address);
    const longTopic = "t".repeat(600);
    await hostile.send(Buffer.concat([Buffer.from([1]), Buffer.from(longTopic)]));
    await context.logger.until((records) => lossLines(records).length === 1, "the hostile peer's connection dropped and logged");
    assert.equal(publisher.connections.lost, lostBefore + 1);
    await publisher.sendEvent({ table: "after", key: "2", action: "set", value: "x" });
    await got.until(() => got.count("after") === 1, "an event after the drop");
  });

  it("a subscriber refuses a topic longer than a network publisher reads", async (t) => {
    const { api } = await driverOn(t);
    const subscriber = api.getSubscriber();
    t.after(() => subscriber.close());
    assert.throws(() => subscriber.registerTopic("t".repeat(512)), {
      code: "PUBSUB_ERR_INVALID_TOPIC",
      message: /a topic of 512 bytes is longer than a network publisher reads in a subscription \(511\)/,
    });
    assert.equal(subscriber.registerTopic("t".repeat(511)), true);
  });
});

describe("zmq.max_message_bytes on a subscriber", () => {
  it("a message past the limit drops the connection, which is made again: sync, a log line, and the events after", async (t) => {
    const port = await freePort();
    const address = `tcp://127.0.0.1:${port}`;
    // The publisher sends what the subscriber will not read.
    const publisherConfig = await configFor({
      publisher_port: port,
      publisher_bind_address: "127.0.0.1",
      zmq: { max_message_bytes: 16 * LIMIT },
    });
    const subscriberConfig = await configFor({ publisher_port: port, zmq: { max_message_bytes: LIMIT } });
    const subscriberContext = quietContext("subscriber");
    const session = new Session();
    t.after(() => session.close());
    const publisher = await session.publisher({ api: createZmqNetworkDriver(publisherConfig, quietContext("publisher")), address });
    const { got } = await session.subscriber({ api: createZmqNetworkDriver(subscriberConfig, subscriberContext), address });
    await waitForFlow(publisher, [got]);
    await publisher.sendEvent({ table: "big", key: "1", action: "set", value: "x".repeat(2 * LIMIT) });
    await subscriberContext.logger.until(
      (records) => records.some((r) => r.level === "warn" && /was dropped and libzmq does not make it again/.test(r.msg)),
      "the subscriber to log the dropped connection",
    );
    await got.until(() => got.syncs === 1, "sync once the publisher greets the new connection");
    await waitForFlow(publisher, [got]);
    assert.equal(got.count("big"), 0);
    assert.equal(got.syncs, 1);
  });
});
