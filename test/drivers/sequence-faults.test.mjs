// Faults that lose events, and what the subscribers that missed them learn: a "sync",
// and an exact count of what is missing (received + missed = published). Real
// processes and real servers: a subscriber process stopped (SIGSTOP) while its queue
// overflows, and a Redis or NATS server restarted mid-stream.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import createNatsDriver from "../../dist/drivers/nats.js";
import createRedisDriver from "../../dist/drivers/redis.js";
import createZmqNetworkDriver from "../../dist/drivers/zmq.js";
import { Session, freePort, until } from "../../dist/testing.js";
import { processStarter } from "../helpers/process.mjs";
import { brokerSkipReason, startNats, startRedis } from "../helpers/servers.mjs";
import { configFor, quietContext } from "../helpers/zmq.mjs";

const start = processStarter();

describe("a subscriber process stopped while its queue overflows (ZeroMQ)", () => {
  it("gets a sync before the first event after the gap, and counts exactly the events it missed", async (t) => {
    const port = await freePort();
    const address = `tcp://127.0.0.1:${port}`;
    // Small queues, so the stopped subscriber misses most of the burst; no heartbeats,
    // so its connection stays and the loss is the queue's alone.
    const zmq = { send_high_water_mark: 100, receive_high_water_mark: 100, heartbeat_interval_ms: 0 };
    const api = createZmqNetworkDriver(
      await configFor({ publisher_port: port, publisher_bind_address: "127.0.0.1", zmq }),
      quietContext("network"),
    );
    const session = new Session();
    t.after(() => session.close());
    const publisher = await session.publisher({ api, address });
    const sets = Object.entries(zmq).flatMap(([name, value]) => ["--set", `zmq.${name}=${value}`]);
    const subscriber = start(["subscribe", "--publisher", address, ...sets]);
    await subscriber.waitFor(/connected to/);
    await publisher.whenSubscribers(1);
    await publisher.sendEvent({ table: "first", key: "0", action: "set", value: 0 });
    await subscriber.waitForCount(/"table":"first"/, 1);

    // Events of 8 KB, so the kernel's socket buffers hold a few hundred of them, not the burst.
    const burst = 5_000;
    const filler = "x".repeat(8192);
    subscriber.kill("SIGSTOP");
    t.after(() => subscriber.kill("SIGCONT"));
    for (let i = 0; i < burst; i += 1) await publisher.sendEvent({ table: "burst", key: String(i), action: "set", value: filler });
    assert.ok(publisher.queueOverflows > 0, "the stopped subscriber's queue overflowed");
    subscriber.kill("SIGCONT");
    // libzmq leaves the subscriber out until it has read half its queue: probe until one
    // arrives, then one last event. Both follow the burst on its topic (D), so a gap at
    // the burst's end shows too.
    let probes = 0;
    await until(subscriber.waitForCount(/"table":"probe"/, 1), "a probe after SIGCONT", {
      probe: () => {
        probes += 1;
        return publisher.sendEvent({ table: "probe", key: String(probes), action: "set", value: probes });
      },
    });
    await publisher.sendEvent({ table: "last", key: "0", action: "set", value: 0 });
    await subscriber.waitForCount(/"table":"last"/, 1);
    subscriber.kill("SIGTERM");
    assert.deepEqual(await subscriber.exit(), { code: 0, signal: null });

    const lines = subscriber.stdout.map((line) => JSON.parse(line));
    const received = lines.filter((event) => event.table === "burst").length;
    const after = lines.filter((event) => event.table === "burst" || event.table === "probe" || event.table === "last").length;
    assert.ok(received < burst, `${received} of ${burst} arrived: nothing was lost, the test proves nothing`);
    // The first event that is not the next of the burst comes after the gap.
    let next = 0;
    const firstAfterGap = lines.findIndex((event) => {
      if (event.action === "sync" || event.table === "first") return false;
      if (event.table !== "burst" || Number(event.key) !== next) return true;
      next += 1;
      return false;
    });
    const firstSync = lines.findIndex((event) => event.action === "sync");
    assert.ok(firstAfterGap !== -1, "an event after the gap");
    assert.ok(firstSync !== -1 && firstSync < firstAfterGap, "a sync before the first event after the gap");
    const stats = /missed (\d+)/.exec(subscriber.stderr.at(-1) ?? "");
    assert.ok(stats, `the stats line: ${subscriber.stderr.at(-1)}`);
    assert.equal(after + Number(stats[1]), burst + probes + 1, "received + missed = published");
  });
});

const brokers = [
  {
    name: "redis_pubsub_driver",
    binary: "redis-server",
    startServer: startRedis,
    driver: async (url) =>
      createRedisDriver(await configFor({ redis: { url, reconnect_interval_ms: 50, linger_ms: 2000 } }), quietContext("network")),
  },
  {
    name: "nats_pubsub_driver",
    binary: "nats-server",
    startServer: startNats,
    driver: async (url) =>
      createNatsDriver(await configFor({ nats: { servers: [url], reconnect_interval_ms: 50, linger_ms: 2000 } }), quietContext("network")),
  },
];

for (const broker of brokers) {
  describe(`${broker.name}: the server restarted mid-stream`, { skip: brokerSkipReason(broker.binary) }, () => {
    it("every subscriber that missed events gets sync, and received + missed = published", async (t) => {
      const server = await broker.startServer();
      t.after(() => server.close());
      const api = await broker.driver(server.url);
      const session = new Session();
      t.after(() => session.close());
      const { subscriber, got } = await session.subscriber({ api, address: server.url }, [server.url], ["stream"]);
      const publisher = await session.publisher({ api, address: server.url });
      await publisher.sendEvent({ table: "stream", key: "0", action: "set", value: 0 }, "stream");
      await got.until(() => got.count("stream") === 1, "the first event");

      let published = 1;
      let refused = 0;
      const sending = (async () => {
        for (let i = 1; i <= 3000; i += 1) {
          await publisher.sendEvent({ table: "stream", key: String(i), action: "set", value: i }, "stream").catch(() => (refused += 1));
          published += 1;
          if (i % 100 === 0) await new Promise((resolve) => setImmediate(resolve));
        }
      })();
      // Bounded, with what was seen: a send that waits for ever is a failure to report, not a hung run.
      const status = () => `published ${published}, refused ${refused}, server said: ${server.output.slice(-2).join(" | ")}`;
      await until(server.restart(), "the server's restart", { timeoutMs: 30_000, status });
      await until(sending, "the 3000 sends to finish", { timeoutMs: 30_000, status });
      await got.until(() => got.syncs >= 1, "the sync after the reconnection");
      await publisher.sendEvent({ table: "stream", key: "last", action: "set", value: -1 }, "stream");
      published += 1;
      await got.until(() => got.of("stream").some((event) => event.key === "last"), "the last event");

      const received = got.count("stream");
      assert.equal(
        received + subscriber.stats.missed,
        published,
        `received ${received}, missed ${subscriber.stats.missed}, refused ${refused}`,
      );
      assert.equal(subscriber.stats.duplicates, 0);
      const keys = got.of("stream").map((event) => event.value);
      assert.deepEqual(
        keys,
        [...keys].sort((a, b) => (a === -1 ? 1 : b === -1 ? -1 : a - b)),
        "in order",
      );
    });
  });
}
