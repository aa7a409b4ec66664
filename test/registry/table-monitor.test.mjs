// A table monitor on real databases: Redis, whose table is read and compared at every
// poll, and etcd, whose changes are watched. What it publishes for rows that appear,
// change and vanish, and that a change it could not publish is published at the next read.
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import createEtcdDb from "../../dist/db/etcd.js";
import createRedisDatabase from "../../dist/db/redis.js";
import { TableMonitor, withDefaults } from "../../dist/index.js";
import { Changes, until } from "../../dist/testing.js";
import { initialized, recordingLogger } from "../helpers/fixtures.mjs";
import { brokerSkipReason, startEtcd, startRedis } from "../helpers/servers.mjs";

/** Far longer than a test: the Redis monitor reads only when a test calls poll(). */
const NO_TIMER_MS = 3_600_000;

/** A publish function that records each change as "action key=value", and refuses while `refusing` is set. */
function recorder() {
  const changes = new Changes();
  const state = {
    refusing: false,
    published: [],
    publish: async (event) => {
      if (state.refusing) throw new Error("the publisher is closed; create a new one to send");
      state.published.push(`${event.action} ${event.key}=${event.value}`);
      changes.notify();
    },
    /** What was published since the last call, sorted: the order of one read's rows is not defined. */
    take: () => state.published.splice(0).sort(),
    until: (count, what) => until(() => state.published.length >= count, what, { changes, status: () => state.published.join(", ") }),
  };
  return state;
}

async function monitorOf(db, table, pollMs) {
  const logger = recordingLogger();
  const to = recorder();
  const monitor = new TableMonitor(db, table, to.publish, { pollMs, logger });
  await monitor.start();
  after(() => monitor.stop());
  return { monitor, to, logger };
}

/** The Redis database driver on a redis-server of its own, both closed after the test. */
async function redisDatabase() {
  const server = await startRedis();
  after(() => server.close());
  const db = await initialized(
    createRedisDatabase(withDefaults({ remote_db_hosts: [`127.0.0.1:${server.port}`] }, {}), { logger: recordingLogger() }),
  );
  after(() => db.close());
  return db;
}

describe("TableMonitor on Redis: read and compared at every poll", { skip: brokerSkipReason("redis-server") }, () => {
  it("publishes rows that appear as create, changed ones as set, gone ones as delete, and nothing when nothing changed", async () => {
    const db = await redisDatabase();
    await db.setKey("chassis", "a", "1");
    const { monitor, to } = await monitorOf(db, "chassis", NO_TIMER_MS);
    assert.deepEqual(to.take(), ["create a=1"]);

    await db.setKey("chassis", "b", "2");
    await db.setKey("chassis", "a", "3");
    await db.setKey("other", "x", "9");
    await monitor.poll();
    assert.deepEqual(to.take(), ["create b=2", "set a=3"]);

    await db.deleteKey("chassis", "b");
    await monitor.poll();
    assert.deepEqual(to.take(), ["delete b=null"]);
    await monitor.poll();
    assert.deepEqual(to.take(), []);
    assert.deepEqual([...monitor.rows].sort(), [["a", "3"]]);
  });

  it("publishes at the next read the changes it could not publish, and logs them in one line", async () => {
    const db = await redisDatabase();
    await db.setKey("chassis", "a", "1");
    await db.setKey("chassis", "c", "2");
    const { monitor, to, logger } = await monitorOf(db, "chassis", NO_TIMER_MS);
    assert.deepEqual(to.take(), ["create a=1", "create c=2"]);

    to.refusing = true;
    await db.setKey("chassis", "a", "5");
    await db.setKey("chassis", "d", "6");
    await db.deleteKey("chassis", "c");
    await monitor.poll();
    assert.deepEqual(to.take(), []);
    const errors = logger.records.filter((record) => record.level === "error");
    assert.equal(errors.length, 1);
    assert.match(errors[0].msg, /^could not publish 3 changes of the table; the next read of the table publishes them again/);
    assert.equal(errors[0].obj.unpublished, 3);

    to.refusing = false;
    await monitor.poll();
    assert.deepEqual(to.take(), ["create d=6", "delete c=null", "set a=5"]);
    await monitor.poll();
    assert.deepEqual(to.take(), []);
  });
});

describe("TableMonitor on etcd: watched", { skip: brokerSkipReason("etcd") }, () => {
  it("publishes watched changes as they happen, and one it could not publish at the next read", async () => {
    const etcd = await startEtcd();
    after(() => etcd.close());
    const db = await initialized(createEtcdDb(withDefaults({ remote_db_hosts: etcd.hosts }, {}), { logger: recordingLogger() }));
    after(() => db.close());
    const { monitor, to, logger } = await monitorOf(db, "chassis", NO_TIMER_MS);
    assert.deepEqual(to.take(), []);

    await db.setKey("chassis", "a", "1");
    await to.until(1, "the watched create");
    assert.deepEqual(to.take(), ["create a=1"]);

    to.refusing = true;
    await db.setKey("chassis", "a", "2");
    await logger.until((records) => records.some((record) => record.level === "error"), "the refused change, logged");
    assert.equal(monitor.rows.get("a"), "1", "the refused change is put back, to be found again");
    to.refusing = false;
    await monitor.poll();
    assert.deepEqual(to.take(), ["set a=2"]);
  });
});
