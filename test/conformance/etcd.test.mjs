// The etcd driver against the whole conformance suite, on real etcd processes (one per
// endpoint), in Dragonflow's wire mode and in batched mode; then what is etcd's own:
// the key layout, resuming a watch after a cut link, compacted history, connect errors.
import assert from "node:assert/strict";
import { createConnection, createServer } from "node:net";
import { after, before, describe, it } from "node:test";
import { Etcd3 } from "etcd3";
import { unpack } from "msgpackr";
import createEtcdDriver from "../../dist/drivers/etcd.js";
import { freePort, runConformance, Session, waitForFlow } from "../../dist/testing.js";
import { brokerSkipReason, startEtcd } from "../helpers/servers.mjs";
import { configFor, quietContext } from "../helpers/zmq.mjs";

const features = { topicFiltering: true, fanOut: true, restart: true, garbage: true };

/** The effective config for an etcd at `hosts`; `etcd` adds options to the `etcd` section. */
function etcdConfig(hosts, etcd = {}, overrides = {}) {
  return configFor({ remote_db_hosts: hosts, ...overrides, etcd: { reconnect_interval_ms: 50, linger_ms: 30_000, ...etcd } });
}

/** A conformance harness for the etcd driver; `etcd` adds options to the `etcd` section. */
function etcdHarness(name, etcd = {}) {
  return {
    name,
    features,
    async endpoint() {
      const server = await startEtcd();
      const api = createEtcdDriver(await etcdConfig(server.hosts, etcd), quietContext("network"));
      return { api, address: `etcd://${server.hosts[0]}`, server, close: () => server.close() };
    },
    async restartPeer(endpoint, publisher) {
      await endpoint.server.restart();
      return publisher;
    },
    rawSender: (endpoint) => rawEtcd(endpoint.server.url),
  };
}

/**
 * A plain etcd3 client that PUTs `[topic, body]` on `/pubsub/<topic>` as given: a peer
 * written without this package (Dragonflow's publisher), or a source of garbage. A
 * message of other than two frames goes out with the frames after the first joined.
 */
async function rawEtcd(url) {
  const client = new Etcd3({ hosts: url });
  return {
    client,
    send: async (frames) => {
      const key = Buffer.concat([Buffer.from("/pubsub/"), Buffer.from(frames[0])]);
      await client.put(key).value(Buffer.concat(frames.slice(1).map((frame) => Buffer.from(frame))));
    },
    close: async () => client.close(),
  };
}

/**
 * A TCP relay on 127.0.0.1 to `port`, whose link can be cut (every connection reset,
 * new ones refused) and restored on the same port: a subscriber's lost link while etcd
 * itself stays up.
 */
async function startRelay(port) {
  const sockets = new Set();
  const relayPort = await freePort();
  let server;
  const listen = () =>
    new Promise((resolve, reject) => {
      server = createServer((inbound) => {
        const outbound = createConnection({ host: "127.0.0.1", port });
        for (const socket of [inbound, outbound]) {
          sockets.add(socket);
          socket.on("error", () => undefined);
          socket.on("close", () => {
            sockets.delete(socket);
            inbound.destroy();
            outbound.destroy();
          });
        }
        inbound.pipe(outbound).pipe(inbound);
      });
      server.once("error", reject);
      server.listen(relayPort, "127.0.0.1", resolve);
    });
  const cut = () =>
    new Promise((resolve) => {
      server.close(resolve);
      for (const socket of sockets) socket.resetAndDestroy();
    });
  await listen();
  return { hosts: [`127.0.0.1:${relayPort}`], cut, restore: listen, close: cut };
}

const skip = brokerSkipReason("etcd");
if (skip) {
  describe("conformance: etcd_pubsub_driver", { skip }, () => {});
} else {
  runConformance(etcdHarness("etcd_pubsub_driver"));
  runConformance(etcdHarness("etcd_pubsub_driver, etcd.batch", { batch: true }));

  describe("etcd_pubsub_driver", () => {
    let server;
    let raw;
    before(async () => {
      server = await startEtcd();
      raw = await rawEtcd(server.url);
    });
    after(async () => {
      await raw?.close();
      await server?.close();
    });

    /** A driver on `hosts` (default: the etcd), its agents closed with `session`. */
    async function driver(session, hosts = server.hosts, etcd = {}, overrides = {}) {
      const context = quietContext("network");
      const api = createEtcdDriver(await etcdConfig(hosts, etcd, overrides), context);
      return { api, logger: context.logger, publisher: () => session.publisher({ api, address: "" }) };
    }

    it("describes itself as a broker at etcd://remote_db_hosts", async () => {
      const config = await etcdConfig(["10.0.0.7:2379", "10.0.0.8:2379"], { linger_ms: 1234 });
      const { description } = createEtcdDriver(config, quietContext("network"));
      assert.equal(description.topology, "broker");
      assert.equal(description.address, "etcd://10.0.0.7:2379,10.0.0.8:2379");
      assert.deepEqual(description.listenAddresses, ["etcd://10.0.0.7:2379,10.0.0.8:2379"]);
      assert.deepEqual(description.linger, { option: "etcd.linger_ms", ms: 1234 });
    });

    it("puts each event, the shared MessagePack map, on the key /pubsub/<topic>, one revision each", async () => {
      const session = new Session();
      try {
        const { publisher } = await driver(session);
        const sender = await publisher();
        const before = await raw.client.get("/pubsub/tenant-a").exec();
        const startRevision = BigInt(before.header.revision);
        await sender.sendEvent({ table: "lport", key: "p1", action: "create", value: "{}" }, "tenant-a");
        await sender.sendEvent({ table: "lport", key: "p1", action: "delete", value: null }, "tenant-a");
        const got = await raw.client.get("/pubsub/tenant-a").exec();
        const [kv] = got.kvs;
        assert.equal(kv.version, "2", "two events: two versions of the key");
        assert.equal(BigInt(kv.mod_revision), startRevision + 2n);
        const event = unpack(kv.value);
        assert.deepEqual(
          { table: event.table, key: event.key, action: event.action, value: event.value, topic: event.topic },
          { table: "lport", key: "p1", action: "delete", value: null, topic: "tenant-a" },
        );
      } finally {
        await session.close();
      }
    });

    it("a subscriber cut off resumes after the last revision it saw: sync, then every event put meanwhile, in order", async () => {
      const session = new Session();
      const relay = await startRelay(server.port);
      try {
        const { api, logger, publisher } = await driver(session);
        const { subscriber, got } = await session.subscriber({ api }, [`etcd://${relay.hosts[0]}`], ["resume"]);
        const sender = await publisher();
        await waitForFlow(sender, [got], "resume");
        await relay.cut();
        await logger.until((records) => records.some((r) => /watch stream is down/.test(r.msg ?? "")), "the lost watch stream logged");
        for (let i = 0; i < 50; i += 1) await sender.sendEvent({ table: "meanwhile", key: String(i), action: "set", value: i }, "resume");
        await relay.restore();
        await got.until(() => got.count("meanwhile") === 50, "the 50 events put while cut off");
        assert.deepEqual(
          got.of("meanwhile").map((event) => Number(event.key)),
          [...Array(50).keys()],
        );
        const syncAt = got.events.findIndex((event) => event.action === "sync");
        const firstAt = got.events.findIndex((event) => event.table === "meanwhile");
        assert.ok(syncAt >= 0 && syncAt < firstAt, "the sync came before the replayed events");
        assert.equal(got.syncs, 1);
        assert.equal(subscriber.stats.gaps, 0, "no event was missed");
      } finally {
        await session.close();
        await relay.close();
      }
    });

    it("history compacted while cut off: sync, those events are lost, the watch starts again from now", async () => {
      const session = new Session();
      const relay = await startRelay(server.port);
      try {
        const { api, logger, publisher } = await driver(session);
        const { subscriber, got } = await session.subscriber({ api }, [`etcd://${relay.hosts[0]}`], ["compact"]);
        const sender = await publisher();
        await waitForFlow(sender, [got], "compact");
        await relay.cut();
        await logger.until((records) => records.some((r) => /watch stream is down/.test(r.msg ?? "")), "the lost watch stream logged");
        for (let i = 0; i < 20; i += 1) await sender.sendEvent({ table: "compacted", key: String(i), action: "set", value: i }, "compact");
        const { header } = await raw.client.get("/pubsub/compact").exec();
        await raw.client.kv.compact({ revision: header.revision, physical: true });
        await relay.restore();
        await logger.until((records) => records.some((r) => /compacted the history/.test(r.msg ?? "")), "the compaction logged");
        await got.until(() => got.syncs >= 2, "a sync for the reconnection and one for the compaction");
        await waitForFlow(sender, [got], "compact");
        await sender.sendEvent({ table: "after", key: "1", action: "set", value: 1 }, "compact");
        await got.until(() => got.count("after") === 1, "an event after the compaction");
        assert.equal(got.count("compacted"), 0, "compacted events cannot arrive");
        assert.equal(subscriber.isRunning, true);
      } finally {
        await session.close();
        await relay.close();
      }
    });

    it("an etcd that does not answer fails initialize() and daemonize() with PUBSUB_ERR_CONNECT naming the option", async () => {
      const session = new Session();
      try {
        const nobody = `127.0.0.1:${await freePort()}`;
        const { api } = await driver(session, [nobody], {}, { nb_db_timeout_ms: 300 });
        const sender = api.getPublisher();
        session.track(sender);
        await assert.rejects(sender.initialize(), (err) => {
          assert.equal(err.code, "PUBSUB_ERR_CONNECT");
          assert.match(
            err.message,
            new RegExp(`^remote_db_hosts: cannot connect to the etcd cluster at etcd://${nobody}: .*nb_db_timeout_ms is 300`),
          );
          return true;
        });
        const subscriber = api.getSubscriber();
        session.track(subscriber);
        subscriber.initialize(() => undefined);
        subscriber.registerListenAddress(`etcd://${nobody}`);
        await assert.rejects(subscriber.daemonize(), { code: "PUBSUB_ERR_CONNECT" });
        assert.equal(subscriber.isRunning, false);
      } finally {
        await session.close();
      }
    });

    it("a listen address that is not etcd://host:port fails daemonize() with PUBSUB_ERR_TRANSPORT", async () => {
      const session = new Session();
      try {
        const { api } = await driver(session);
        const subscriber = api.getSubscriber();
        session.track(subscriber);
        subscriber.initialize(() => undefined);
        subscriber.registerListenAddress("redis://127.0.0.1:6379");
        await assert.rejects(subscriber.daemonize(), (err) => {
          assert.equal(err.code, "PUBSUB_ERR_TRANSPORT");
          assert.match(err.message, /^publishers: redis:\/\/127\.0\.0\.1:6379 is not an etcd address; write etcd:\/\/host:port/);
          return true;
        });
      } finally {
        await session.close();
      }
    });
  });
}
