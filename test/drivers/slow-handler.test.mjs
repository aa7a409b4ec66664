// A handler far slower than its publisher (a 1 ms timer per event, against a publisher
// sending as fast as ZeroMQ takes them): the subscriber process stops reading while the
// handler is behind, so its memory stays flat however long the burst, and what does not
// fit in the bounded queues (the high-water marks) is counted by the publisher, shows
// as a gap, gives "sync", and is counted exactly by the subscriber
// (received + missed = published). Real processes and real sockets. The broker
// subscribers cannot pause their clients: what overflows their queue is dropped,
// counted and followed by "sync" (received + overflowed + missed = published), with
// real Redis and NATS servers.
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { describe, it } from "node:test";
import { setTimeout as delay } from "node:timers/promises";
import createNatsDriver from "../../dist/drivers/nats.js";
import createRedisDriver from "../../dist/drivers/redis.js";
import createZmqNetworkDriver from "../../dist/drivers/zmq.js";
import { Collector, Session, freePort, until } from "../../dist/testing.js";
import { processStarter } from "../helpers/process.mjs";
import { brokerSkipReason, startNats, startRedis } from "../helpers/servers.mjs";
import { configFor, quietContext } from "../helpers/zmq.mjs";

const start = processStarter();
const script = fileURLToPath(new URL("../fixtures/slow-subscriber.mjs", import.meta.url));
/** Events in the burst, 1 KB each: 50 MB that a subscriber reading them all would hold. */
const BURST = 50_000;
/** How much the subscriber's RSS may grow over the burst. Unbounded, it grows by the burst's size and more. */
const RSS_GROWTH_LIMIT = 40 * 1024 * 1024;

for (const mode of ["callback", "iterator"]) {
  describe(`a handler 100x slower than the publisher (${mode})`, () => {
    it("keeps the subscriber's RSS bounded, counts every loss and gives sync", async (t) => {
      const port = await freePort();
      const address = `tcp://127.0.0.1:${port}`;
      const zmq = { send_high_water_mark: 1000, receive_high_water_mark: 1000, heartbeat_interval_ms: 0 };
      const api = createZmqNetworkDriver(
        await configFor({ publisher_port: port, publisher_bind_address: "127.0.0.1", zmq }),
        quietContext("network"),
      );
      const session = new Session();
      t.after(() => session.close());
      const publisher = await session.publisher({ api, address });
      const subscriber = start([address, mode, JSON.stringify(zmq)], { script });
      await publisher.whenSubscribers(1);
      let firsts = 0;
      await until(subscriber.waitForCount(/"table":"first"/, 1), "a first event at the subscriber", {
        probe: () => {
          firsts += 1;
          return publisher.sendEvent({ table: "first", key: String(firsts), action: "set", value: firsts });
        },
      });

      const filler = "x".repeat(1024);
      for (let i = 0; i < BURST; i += 1) await publisher.sendEvent({ table: "burst", key: String(i), action: "set", value: filler });
      assert.ok(publisher.queueOverflows > 0, "the publisher counted the slow subscriber's overflows");
      // The subscriber works through its backlog, then a probe gets through, then one last
      // event, which shows the gap before it.
      let probes = 0;
      await until(subscriber.waitForCount(/"table":"probe"/, 1), "a probe after the burst", {
        timeoutMs: 60_000,
        probe: () => {
          probes += 1;
          return publisher.sendEvent({ table: "probe", key: String(probes), action: "set", value: probes });
        },
      });
      await publisher.sendEvent({ table: "last", key: "0", action: "set", value: 0 });
      const [statsLine] = await subscriber.waitForCount(/"type":"stats"/, 1);
      subscriber.kill("SIGTERM");
      assert.deepEqual(await subscriber.exit(), { code: 0, signal: null });

      const stats = JSON.parse(statsLine);
      const lines = subscriber.stdout.filter((line) => !line.includes('"type"')).map((line) => JSON.parse(line));
      const burst = lines.filter((event) => event.table === "burst");
      assert.ok(burst.length < BURST, `${burst.length} of ${BURST} arrived: nothing was lost, the test proves nothing`);
      burst.forEach((event, i) => i > 0 && assert.ok(Number(event.key) > Number(burst[i - 1].key), "burst events out of order"));
      // The first event after the gap: the first burst event out of step, else the first probe.
      const gapAt = burst.findIndex((event, i) => Number(event.key) !== i);
      const afterGap = gapAt === -1 ? lines.findIndex((event) => event.table === "probe") : lines.indexOf(burst[gapAt]);
      const firstSync = lines.findIndex((event) => event.action === "sync");
      assert.ok(
        firstSync !== -1 && firstSync < afterGap,
        `a sync (line ${firstSync}) before the first event after the gap (line ${afterGap})`,
      );
      const after = lines.filter((event) => ["burst", "probe", "last"].includes(event.table)).length;
      assert.equal(after + stats.missed, BURST + probes + 1, "received + missed = published");
      assert.equal(stats.overflowed, 0, "the ZeroMQ subscriber pauses: it never drops from its own queue");
      const growth = stats.maxRss - stats.baselineRss;
      t.diagnostic(
        `${burst.length} of ${BURST} received, ${stats.missed} missed, ${stats.syncs} sync, RSS +${(growth / 2 ** 20).toFixed(1)} MB`,
      );
      assert.ok(growth < RSS_GROWTH_LIMIT, `RSS grew by ${(growth / 2 ** 20).toFixed(1)} MB over the burst`);
    });
  });
}

const brokers = [
  {
    name: "redis_pubsub_driver",
    binary: "redis-server",
    startServer: startRedis,
    driver: async (url) => createRedisDriver(await configFor({ redis: { url } }), quietContext("network")),
  },
  {
    name: "nats_pubsub_driver",
    binary: "nats-server",
    startServer: startNats,
    driver: async (url) => createNatsDriver(await configFor({ nats: { servers: [url] } }), quietContext("network")),
  },
];

for (const broker of brokers) {
  describe(`${broker.name}: a handler slower than the publisher`, { skip: brokerSkipReason(broker.binary) }, () => {
    it("drops what overflows the queue, counts it and gives sync: received + overflowed + missed = published", async (t) => {
      const server = await broker.startServer();
      t.after(() => server.close());
      const api = await broker.driver(server.url);
      const session = new Session();
      t.after(() => session.close());
      const { subscriber, got: probe } = await session.subscriber({ api, address: server.url }, [server.url]);
      const publisher = await session.publisher({ api, address: server.url });
      await publisher.sendEvent({ table: "first", key: "0", action: "set", value: 0 });
      await probe.until(() => probe.count("first") === 1, "the first event");

      const got = new Collector();
      let serial = Promise.resolve();
      subscriber.initialize(
        (...args) =>
          (serial = serial.then(async () => {
            await delay(1);
            got.callback(...args);
          })),
        { queueSize: 100 },
      );
      const burst = 3_000;
      for (let i = 0; i < burst; i += 1) await publisher.sendEvent({ table: "burst", key: String(i), action: "set", value: i });
      let probes = 0;
      await until(
        got.until(() => got.count("probe") > 0, "a probe after the burst"),
        "a probe after the burst",
        {
          timeoutMs: 60_000,
          probe: () => {
            probes += 1;
            return publisher.sendEvent({ table: "probe", key: String(probes), action: "set", value: probes });
          },
        },
      );
      await publisher.sendEvent({ table: "last", key: "0", action: "set", value: 0 });
      await got.until(() => got.count("last") === 1, "the last event");

      const { overflowed, missed } = subscriber.stats;
      const received = got.count("burst") + got.count("probe") + got.count("last");
      assert.ok(overflowed > 0, "nothing overflowed: the test proves nothing");
      assert.equal(received + overflowed + missed, burst + probes + 1, `received ${received}, overflowed ${overflowed}, missed ${missed}`);
      const keys = got.of("burst").map((event) => event.value);
      const gapAt = keys.findIndex((key, i) => key !== i);
      const afterGap = gapAt === -1 ? got.events.findIndex((e) => e.table === "probe") : got.events.indexOf(got.of("burst")[gapAt]);
      const firstSync = got.events.findIndex((event) => event.action === "sync");
      assert.ok(
        firstSync !== -1 && firstSync < afterGap,
        `a sync (event ${firstSync}) before the first event after the drop (${afterGap})`,
      );
      assert.deepEqual(
        keys,
        [...keys].sort((a, b) => a - b),
        "in order",
      );
    });
  });
}
