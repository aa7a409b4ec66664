// The Redis northbound database driver against the database conformance suite, on a real
// redis-server (one for the file), plus what is Redis's own: Dragonflow's key layout,
// the first host only, and requests while the server is down.
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { Redis } from "ioredis";
import createRedisDatabase from "../../dist/db/redis.js";
import { TableMonitor, withDefaults } from "../../dist/index.js";
import { DbSession, runDbConformance, until } from "../../dist/testing.js";
import { recordingLogger } from "../helpers/fixtures.mjs";
import { brokerSkipReason, startRedis } from "../helpers/servers.mjs";

const NO_WATCH = "redis_nb_db_driver has no watch(): Redis keyspace notifications are optional";

const skip = brokerSkipReason("redis-server");
if (skip) {
  describe("db conformance: redis_nb_db_driver", { skip }, () => {});
} else {
  const server = await startRedis();
  after(() => server.close());
  const hosts = [`127.0.0.1:${server.port}`];

  const harness = {
    name: "redis_nb_db_driver",
    features: { watch: NO_WATCH, restart: NO_WATCH },
    database: ({ hosts: chosen = hosts, timeoutMs = 5_000 } = {}, logger = recordingLogger()) =>
      createRedisDatabase(withDefaults({ remote_db_hosts: chosen, nb_db_timeout_ms: timeoutMs }, {}), { logger }),
  };
  runDbConformance(harness);

  /** `body` with a database session, a plain Redis client on the same server and the session's database; both closed after. */
  async function withRawClient(body) {
    const session = new DbSession(harness);
    const raw = new Redis(server.url, { lazyConnect: true });
    try {
      await raw.connect();
      await body(session, raw, await session.database());
    } finally {
      raw.disconnect();
      await session.close();
    }
  }

  describe("redis_nb_db_driver", () => {
    it("stores Dragonflow's layout, {<table>.}<key>, that a plain Redis client reads and writes", () =>
      withRawClient(async (session, raw, db) => {
        const table = session.table("chassis");
        await db.setKey(table, "host1", '{"id":"host1"}');
        assert.equal(await raw.get(`{${table}.}host1`), '{"id":"host1"}');
        await raw.set(`{${table}.}host2`, "written by Dragonflow");
        assert.equal(await db.getKey(table, "host2"), "written by Dragonflow");
        assert.deepEqual((await db.getAllKeys(table)).sort(), ["host1", "host2"]);
        assert.equal(db.watch, undefined);
        assert.equal(db.address, `redis://${hosts[0]}`);
      }));

    it("reads rows under any topic, as Dragonflow's driver does ({lport.<project>}<id>); a table's monitor sees them", () =>
      withRawClient(async (session, raw, db) => {
        const [lport, lookalike] = [session.table("lport"), session.table("lportx")];
        // As Dragonflow's Neutron side writes them: a project as the topic, or none.
        await raw.set(`{${lport}.project-a}p1`, '{"id":"p1"}');
        await raw.set(`{${lport}.project-b}p2`, '{"id":"p2"}');
        await raw.set(`{${lport}.}p3`, '{"id":"p3"}');
        await raw.set(`{${lookalike}.project-a}not-mine`, "x");
        assert.deepEqual((await db.getAllKeys(lport)).sort(), ["p1", "p2", "p3"]);
        assert.equal(await db.getKey(lport, "p1"), '{"id":"p1"}');
        assert.equal(await db.getKey(lport, "p3"), '{"id":"p3"}');
        assert.equal(await db.getKey(lport, "p9"), undefined);
        assert.deepEqual([...(await db.getAllEntries(lport))].sort(), [
          ["p1", '{"id":"p1"}'],
          ["p2", '{"id":"p2"}'],
          ["p3", '{"id":"p3"}'],
        ]);
        // One key under two topics is not Dragonflow's layout: refused, naming them.
        await raw.set(`{${lport}.project-b}p1`, "again");
        await assert.rejects(db.getKey(lport, "p1"), { code: "PUBSUB_ERR_DB", message: /stored under 2 topics/ });

        const published = [];
        const monitor = new TableMonitor(db, lport, async (event) => void published.push(`${event.action} ${event.key}`), {
          pollMs: 3_600_000,
          logger: recordingLogger(),
        });
        await monitor.start();
        await monitor.stop();
        assert.deepEqual(published.sort(), ["create p1", "create p2", "create p3"]);
      }));

    it("uses the first of remote_db_hosts and warns that it ignores the others", async () => {
      const logger = recordingLogger();
      const db = harness.database({ hosts: [...hosts, "127.0.0.1:1"] }, logger);
      try {
        await db.initialize();
        await db.setKey("first-host", "k", "v");
        assert.equal(await db.getKey("first-host", "k"), "v");
        assert.ok(
          logger.records.some((r) => r.level === "warn" && /first of remote_db_hosts/.test(r.msg)),
          JSON.stringify(logger.records),
        );
      } finally {
        await db.close();
      }
    });

    it("fails requests with PUBSUB_ERR_DB while the server is down, and serves again once it is back", async () => {
      const own = await startRedis();
      const db = harness.database({ hosts: [`127.0.0.1:${own.port}`], timeoutMs: 2_000 });
      try {
        await db.initialize();
        await db.setKey("outage", "k", "before");
        await own.stop();
        const started = performance.now();
        await assert.rejects(db.getKey("outage", "k"), (err) => {
          assert.equal(err.code, "PUBSUB_ERR_DB", err.message);
          assert.match(err.message, new RegExp(`^remote_db_hosts: the Redis server at redis://127\\.0\\.0\\.1:${own.port} failed getKey `));
          return true;
        });
        assert.ok(performance.now() - started < 3_000, "bounded by nb_db_timeout_ms");
        await own.restart();
        let served;
        const back = new Promise((resolve) => (served = resolve));
        await until(back, "a request to succeed after the restart", {
          probe: () => db.setKey("outage", "k", "after").then(served, () => undefined),
        });
        assert.equal(await db.getKey("outage", "k"), "after");
      } finally {
        await db.close();
        await own.close();
      }
    });
  });
}
