// The network publisher's bound on the subscriptions its peers make libzmq hold
// (zmq.max_subscription_bytes): a raw peer that floods distinct topics gets every
// connection ended, counted and logged; our subscribers reconnect, get "sync" and go on.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { describe, it } from "node:test";
import * as zmq from "zeromq";
import createZmqNetworkDriver from "../../dist/drivers/zmq.js";
import { Session, freePort, waitForFlow } from "../../dist/testing.js";
import { configFor, quietContext, recordPendingReceives } from "../helpers/zmq.mjs";

/** A publisher and a subscriber of ours on a fresh tcp port, events flowing, with `max_subscription_bytes`. */
async function limitedPair(maxBytes) {
  const port = await freePort();
  const context = quietContext("network");
  const config = await configFor({ publisher_port: port, publisher_bind_address: "127.0.0.1", zmq: { max_subscription_bytes: maxBytes } });
  const api = createZmqNetworkDriver(config, context);
  const session = new Session({ endpoint: async () => ({ api, address: `tcp://127.0.0.1:${port}` }) });
  const { publisher, got } = await session.pair();
  const resetLines = () => context.logger.records.filter((r) => r.level === "warn" && /max_subscription_bytes/.test(r.msg));
  return { port, publisher, got, logger: context.logger, resetLines, close: () => session.close() };
}

/**
 * A raw XSUB peer that keeps every subscription it is given: libzmq drops a subscription
 * past the socket's send high-water mark (1,000 by default), which a flood sent before
 * the connection is up reaches.
 */
function floodingPeer() {
  const peer = new zmq.XSubscriber({ linger: 0 });
  peer.sendHighWaterMark = 0;
  return peer;
}

/** `count` distinct random topics of 36 bytes, as subscription messages. */
function distinctSubscriptions(count) {
  return Array.from({ length: count }, () => Buffer.concat([Buffer.of(1), Buffer.from(randomBytes(18).toString("hex"))]));
}

describe("zmq_pubsub_driver: zmq.max_subscription_bytes", () => {
  it("a raw peer sending distinct topics past the limit: every connection ended, counted and logged; our subscriber gets sync and events again", async (t) => {
    const { port, publisher, got, logger, resetLines, close } = await limitedPair(8192);
    const peer = floodingPeer();
    // A wait for subscribers keeps a receive going on the socket; the reset must end it before it unbinds and binds.
    void publisher.whenSubscribers(99);
    const socket = publisher.sendingSocket();
    const unbinds = recordPendingReceives(t, socket, "unbind");
    const binds = recordPendingReceives(t, socket, "bind");
    try {
      assert.equal(publisher.subscriptionResets, 0, "our subscriber's few topics are far below the limit");
      peer.connect(`tcp://127.0.0.1:${port}`);
      for (const subscription of distinctSubscriptions(1_000)) await peer.send(subscription);
      await logger.until(() => resetLines().length >= 1, "the reset to be logged");
      peer.close(); // it would send its topics again on reconnecting, and be ended again
      assert.ok(publisher.subscriptionResets >= 1);
      const [line] = resetLines();
      assert.match(line.msg, /more than zmq\.max_subscription_bytes \(8192\): every connection was ended/);
      assert.equal(line.obj.maxSubscriptionBytes, 8192);
      assert.ok(line.obj.topicBytes > 8192, `logged ${line.obj.topicBytes} bytes of topics`);

      await got.until(() => got.syncs >= 1, "a sync notice once our subscriber has reconnected");
      await waitForFlow(publisher, [got]);
      await publisher.whenSubscribers(1);
      assert.ok(unbinds.length >= 1 && binds.length >= 1, "the reset unbound and bound again");
      assert.deepEqual(
        [...unbinds, ...binds].filter((call) => call.pending),
        [],
        "no receive pending while zeromq.js unbinds or binds",
      );
    } finally {
      peer.close();
      await close();
    }
  });

  it("0 turns the limit off: the same flood ends no connection", async () => {
    const { port, publisher, got, resetLines, close } = await limitedPair(0);
    const peer = floodingPeer();
    try {
      peer.connect(`tcp://127.0.0.1:${port}`);
      for (const subscription of distinctSubscriptions(1_000)) await peer.send(subscription);
      // A subscription the peer sends after the flood reaches the publisher after it: once the
      // peer gets an event of that topic, the publisher has taken in the whole flood.
      const last = "flood.end";
      await peer.send(Buffer.concat([Buffer.of(1), Buffer.from(last)]));
      const arrived = (async () => {
        for await (const [topic] of peer) if (topic.toString() === last) return; // the welcome message comes first
      })();
      let done = false;
      void arrived.then(() => (done = true));
      while (!done) {
        await publisher.sendEvent({ table: "t", key: "k", action: "probe", value: null, topic: last });
        await new Promise((resolve) => setImmediate(resolve));
      }
      await waitForFlow(publisher, [got]);
      assert.equal(publisher.subscriptionResets, 0);
      assert.equal(resetLines().length, 0);
      assert.equal(got.syncs, 0);
    } finally {
      peer.close();
      await close();
    }
  });
});
