// The etcd northbound database driver against the database conformance suite, on a real
// etcd (one for the file, restarted by the restart scenarios), plus what is etcd's own:
// Dragonflow's key layout and the resync after a reconnection.
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { Etcd3 } from "etcd3";
import createEtcdDatabase from "../../dist/db/etcd.js";
import { withDefaults } from "../../dist/index.js";
import { DbSession, runDbConformance, until } from "../../dist/testing.js";
import { recordingLogger } from "../helpers/fixtures.mjs";
import { brokerSkipReason, startEtcd } from "../helpers/servers.mjs";

const skip = brokerSkipReason("etcd");
if (skip) {
  describe("db conformance: etcd_nb_db_driver", { skip }, () => {});
} else {
  const server = await startEtcd();
  after(() => server.close());

  const harness = {
    name: "etcd_nb_db_driver",
    features: { watch: true, restart: true },
    database: ({ hosts = server.hosts, timeoutMs = 5_000 } = {}) =>
      createEtcdDatabase(withDefaults({ remote_db_hosts: hosts, nb_db_timeout_ms: timeoutMs }, {}), { logger: recordingLogger() }),
    restart: () => server.restart(),
  };
  runDbConformance(harness);

  describe("etcd_nb_db_driver", () => {
    it("stores Dragonflow's layout, /<table>/<key>, that a plain etcd client reads and writes", async () => {
      const session = new DbSession(harness);
      const raw = new Etcd3({ hosts: server.url });
      try {
        const db = await session.database();
        const table = session.table("chassis");
        await db.setKey(table, "host1", '{"id":"host1"}');
        assert.equal(await raw.get(`/${table}/host1`).string(), '{"id":"host1"}');
        await raw.put(`/${table}/host2`).value("written by Dragonflow");
        assert.equal(await db.getKey(table, "host2"), "written by Dragonflow");
        assert.deepEqual((await db.getAllKeys(table)).sort(), ["host1", "host2"]);
        assert.equal(db.address, `etcd://${server.hosts[0]}`);
      } finally {
        raw.close();
        await session.close();
      }
    });

    it("calls resync once a watch is back after etcd restarted, and later changes arrive", async () => {
      const session = new DbSession(harness);
      try {
        const db = await session.database();
        const table = session.table("resync");
        const record = await session.watch(db, table);
        const status = () => `changes ${JSON.stringify(record.changes)}, resyncs ${JSON.stringify(record.resyncs)}`;
        await server.restart();
        await until(() => record.resyncs.length > 0, "a resync after the restart", { changes: record.arrived, timeoutMs: 30_000, status });
        assert.match(record.resyncs[0], /disconnected/);
        await db.setKey(table, "after", "1");
        await until(() => record.changes.length > 0, "the change made after the resync", { changes: record.arrived, status });
        assert.deepEqual(record.changes, [{ action: "create", table, key: "after", value: "1" }]);
        assert.equal(record.resyncs.length, 1, status());
      } finally {
        await session.close();
      }
    });

    it("lists every host in its address, and needs remote_db_hosts", () => {
      const config = withDefaults({ remote_db_hosts: ["10.0.0.7:2379", "10.0.0.8:2379"] }, {});
      assert.equal(createEtcdDatabase(config, { logger: recordingLogger() }).address, "etcd://10.0.0.7:2379,10.0.0.8:2379");
      assert.throws(() => createEtcdDatabase({}, { logger: recordingLogger() }), {
        code: "PUBSUB_ERR_CONFIG",
        message: /^remote_db_hosts: /,
      });
    });
  });
}
