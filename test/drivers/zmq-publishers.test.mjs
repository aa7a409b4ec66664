// The two ZeroMQ publishers: the network one (XPUB, bound) counts its subscribers, the
// multiproc one (PUSH, connected lazily) is not subscription-aware at all, so nothing
// can wait on it for subscribers that it would never see.
import assert from "node:assert/strict";
import { join } from "node:path";
import { describe, it } from "node:test";
import createZmqNetworkDriver from "../../dist/drivers/zmq.js";
import createZmqMultiprocDriver from "../../dist/drivers/zmq-multiproc.js";
import { isSubscriptionAware, PublisherAgentBase } from "../../dist/index.js";
import { Collector, freePort } from "../../dist/testing.js";
import { configFor, quietContext, socketDir } from "../helpers/zmq.mjs";

describe("zmq publishers: who is subscription-aware", () => {
  it("the network publisher is: a wait begun before initialize() ends once a subscriber connects", async () => {
    const port = await freePort();
    const config = await configFor({ publisher_port: port, publisher_bind_address: "127.0.0.1" });
    const api = createZmqNetworkDriver(config, quietContext("network"));
    const publisher = api.getPublisher();
    assert.ok(publisher instanceof PublisherAgentBase);
    assert.ok(isSubscriptionAware(publisher));
    assert.equal(publisher.subscribers, 0);
    assert.equal(publisher.queueOverflows, 0);
    const waited = publisher.whenSubscribers(1);
    await publisher.initialize();
    const subscriber = api.getSubscriber();
    subscriber.initialize(new Collector().callback);
    subscriber.registerListenAddress(`tcp://127.0.0.1:${port}`);
    try {
      await subscriber.daemonize();
      await waited;
      assert.equal(publisher.subscribers, 1);
    } finally {
      await publisher.close();
      await subscriber.close();
    }
  });

  it("the multiproc publisher is not: no whenSubscribers, subscribers or queueOverflows", async () => {
    const config = await configFor({ publisher_multiproc_socket: join(await socketDir(), "publisher.sock") });
    const publisher = createZmqMultiprocDriver(config, quietContext("multiproc")).getPublisher();
    assert.ok(publisher instanceof PublisherAgentBase);
    assert.equal(isSubscriptionAware(publisher), false);
    for (const member of ["whenSubscribers", "subscribers", "queueOverflows"]) assert.equal(member in publisher, false, member);
    await publisher.initialize();
    await publisher.close();
  });
});
