// Dragonflow's database side with real processes and a real etcd: publisher services
// register in the `publisher` table, a stale one (killed with kill -9) is removed, the
// `chassis` table's changes are published, and a subscriber finds its publishers in the
// table instead of a list.
import assert from "node:assert/strict";
import { join } from "node:path";
import { describe, it } from "node:test";
import createEtcdDb from "../../dist/db/etcd.js";
import { Changes, freePort, until } from "../../dist/testing.js";
import { runCli } from "../helpers/cli.mjs";
import { processStarter } from "../helpers/process.mjs";
import { brokerSkipReason, startEtcd } from "../helpers/servers.mjs";
import { configFor, quietContext, socketDir } from "../helpers/zmq.mjs";

const start = processStarter();

/** A service's own port and socket, as --set flags, and the uri it registers. */
async function serviceTopology() {
  const port = await freePort();
  const socket = join(await socketDir(), "publisher.sock");
  return {
    port,
    uri: `tcp://127.0.0.1:${port}`,
    sets: ["--set", `publisher_port=${port}`, "--set", `publisher_multiproc_socket=${socket}`],
  };
}

/** Short periods, so a stale publisher is removed within seconds. */
function databaseSets(etcd) {
  return [
    ["nb_db_class", "etcd_nb_db_driver"],
    ["remote_db_hosts", etcd.hosts[0]],
    ["publisher_timeout", "2"],
    ["publisher_rate_limit_timeout", "0.5"],
    ["monitor_table_poll_time", "0.5"],
  ].flatMap(([name, value]) => ["--set", `${name}=${value}`]);
}

async function startService(etcd) {
  const topology = await serviceTopology();
  const service = start(["service", ...topology.sets, ...databaseSets(etcd)]);
  await service.waitFor(/registered in the publisher table/);
  return { ...topology, service };
}

/** A throwaway etcd and an etcd database driver on it, both closed after test `t`. */
async function etcdWithDatabase(t) {
  const etcd = await startEtcd();
  t.after(() => etcd.close());
  const db = createEtcdDb(await configFor({ remote_db_hosts: etcd.hosts }), quietContext("network"));
  await db.initialize();
  t.after(() => db.close());
  return { etcd, db };
}

function publishThrough(service, table, key) {
  return runCli(["publish", ...service.sets, "--table", table, "--key", key, "--action", "set", "--value", "1"]);
}

describe("the database side, through etcd", { skip: brokerSkipReason("etcd") }, () => {
  it("services register; a discovering subscriber follows them as they come and go; chassis changes are published", async (t) => {
    const { etcd, db } = await etcdWithDatabase(t);

    const services = [];
    for (let i = 0; i < 3; i += 1) services.push(await startService(etcd));
    const rows = (await Promise.all((await db.getAllKeys("publisher")).map((key) => db.getKey("publisher", key)))).map((v) =>
      JSON.parse(v),
    );
    assert.deepEqual(rows.map((row) => row.uri).sort(), services.map((s) => s.uri).sort(), "each service registered its uri");

    const subscriber = start(["subscribe", "--set", "discover_publishers=true", ...databaseSets(etcd)]);
    for (const { port } of services) await subscriber.waitFor(new RegExp(`connected to tcp://127\\.0\\.0\\.1:${port}`));
    for (const [i, service] of services.entries()) {
      const { code, stderr } = await publishThrough(service, "through", String(i));
      assert.equal(code, 0, stderr);
    }
    await subscriber.waitForCount(/"table":"through"/, 3);

    // kill -9: the row stays until it is stale, then a live service's monitor removes it
    // and the subscriber lets the address go.
    const [killed, ...alive] = services;
    killed.service.kill("SIGKILL");
    await subscriber.waitFor(new RegExp(`a publisher left the publisher table.*127\\.0\\.0\\.1:${killed.port}`));
    await Promise.any(alive.map(({ service }) => service.waitFor(/removed a stale publisher/)));
    const uris = await Promise.all(
      (await db.getAllKeys("publisher")).map(async (key) => JSON.parse(await db.getKey("publisher", key)).uri),
    );
    assert.ok(!uris.includes(killed.uri), `the killed service's row is removed: ${uris.join(", ")}`);

    // A fourth service: found, connected to, received from.
    const fourth = await startService(etcd);
    await subscriber.waitFor(new RegExp(`connected to tcp://127\\.0\\.0\\.1:${fourth.port}`));
    const { code, stderr } = await publishThrough(fourth, "fourth", "0");
    assert.equal(code, 0, stderr);
    await subscriber.waitForCount(/"table":"fourth"/, 1);

    // The chassis table: create, set, delete, as the monitors see them (one copy per
    // service that monitors the table).
    await db.setKey("chassis", "compute-1", JSON.stringify({ id: "compute-1", ip: "10.0.0.1" }));
    await subscriber.waitFor(/"table":"chassis","key":"compute-1","action":"create"/, "stdout");
    await db.setKey("chassis", "compute-1", JSON.stringify({ id: "compute-1", ip: "10.0.0.2" }));
    await subscriber.waitFor(/"table":"chassis","key":"compute-1","action":"set".*10\.0\.0\.2/, "stdout");
    assert.equal(await db.deleteKey("chassis", "compute-1"), true);
    await subscriber.waitFor(/"table":"chassis","key":"compute-1","action":"delete"/, "stdout");

    // A graceful stop removes the row at once.
    fourth.service.kill("SIGTERM");
    assert.deepEqual(await fourth.service.exit(), { code: 0, signal: null });
    const left = await Promise.all(
      (await db.getAllKeys("publisher")).map(async (key) => JSON.parse(await db.getKey("publisher", key)).uri),
    );
    assert.ok(!left.includes(fourth.uri), "a stopped service removes its row before it exits");
  });

  it("a service whose row was deleted writes it again; one whose database cannot be reached at start exits 1 naming it", async (t) => {
    const { etcd, db } = await etcdWithDatabase(t);
    const written = new Changes();
    const rows = new Map();
    const watch = await db.watch("publisher", {
      change: ({ key, action, value }) => {
        if (action === "delete") rows.delete(key);
        else rows.set(key, JSON.parse(value));
        written.notify();
      },
      resync: () => undefined,
    });
    t.after(() => watch.close());

    const { service, uri } = await startService(etcd);
    const [id] = await db.getAllKeys("publisher");
    assert.equal(JSON.parse(await db.getKey("publisher", id)).uri, uri);
    assert.equal(await db.deleteKey("publisher", id), true);
    await service.waitFor(/this service's row was removed from the publisher table; registering again/);
    await until(() => rows.get(id)?.uri === uri, "the row written again", { changes: written });
    service.kill("SIGTERM");
    assert.deepEqual(await service.exit(), { code: 0, signal: null });

    // No etcd at the address: the service does not start.
    const nowhere = await freePort();
    const topology = await serviceTopology();
    const sets = [
      "--set",
      "nb_db_class=etcd_nb_db_driver",
      "--set",
      `remote_db_hosts=127.0.0.1:${nowhere}`,
      "--set",
      "nb_db_timeout_ms=500",
    ];
    const { code, stderr } = await runCli(["service", ...topology.sets, ...sets]);
    assert.equal(code, 1, stderr);
    assert.match(stderr, new RegExp(`remote_db_hosts: cannot connect to the etcd (cluster|server) at etcd://127\\.0\\.0\\.1:${nowhere}`));
    assert.equal(stderr.trimEnd().split("\n").length, 1, stderr);
  });
});
