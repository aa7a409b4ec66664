// The northbound database conformance suite: every scenario a database driver
// (`nb_db_class`) must pass, the harness that describes a driver to it, and the runners
// (node:test, or plain cases for any other runner).
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { describe, it } from "node:test";
import type { DbChange, DbWatch, NbDbApi } from "../contract.js";
import { freePort } from "./ports.js";
import { Changes, DEFAULT_TIMEOUT_MS, until } from "./until.js";

/** What a database driver supports. `true` runs the scenarios that need it; a string skips them and is printed as the reason. */
export interface DbConformanceFeatures {
  /** The driver implements {@link NbDbApi.watch}. */
  watch: true | string;
  /** The harness can restart the database ({@link DbConformanceHarness.restart}); needs `watch`. */
  restart: true | string;
}

/** Where {@link DbConformanceHarness.database} points a driver instead of the database under test. */
export interface DbHarnessOptions {
  /** `remote_db_hosts` to use: the suite passes an address where nothing listens. */
  readonly hosts?: readonly string[];
  /** `nb_db_timeout_ms` to use. */
  readonly timeoutMs?: number;
}

/**
 * Describes a database driver to {@link runDbConformance} (node:test) or
 * {@link dbConformanceCases} (any runner). Scenarios share the database and use table
 * names of their own, so the database need not be empty.
 *
 * @example
 * ```ts
 * const server = await startMyDb();
 * runDbConformance({
 *   name: "my_nb_db_driver",
 *   features: { watch: "no change feed", restart: "no change feed" },
 *   database: ({ hosts = server.hosts, timeoutMs = 5000 } = {}) =>
 *     createMyDb({ ...withDefaults({}), remote_db_hosts: hosts, nb_db_timeout_ms: timeoutMs }, { logger }),
 * });
 * ```
 */
export interface DbConformanceHarness {
  /** Shown in the suite's title. */
  readonly name: string;
  readonly features: DbConformanceFeatures;
  /** A fresh driver instance, not initialised: for the database under test, or for `options.hosts`. */
  database(options?: DbHarnessOptions): NbDbApi | Promise<NbDbApi>;
  /** Stops the database and starts it again at the same address with the same data; resolves once it serves. */
  restart?(): Promise<void>;
  /** How long a scenario waits for a change before failing, in milliseconds. Default 15000; twice that around a restart. */
  readonly timeoutMs?: number;
}

/** What a {@link DbSession.watch} recorded. */
export interface WatchRecord {
  readonly watch: DbWatch;
  /** Every change, in the order the driver reported them. */
  readonly changes: DbChange[];
  /** Every resync's reason. */
  readonly resyncs: string[];
  /** Notified after each change and resync: pass it to {@link until}. */
  readonly arrived: Changes;
}

/**
 * The drivers and watches one scenario opens, closed together at its end whatever
 * happened, and table names no other scenario (or earlier run) uses.
 */
export class DbSession {
  readonly #harness: DbConformanceHarness;
  readonly #cleanups: (() => Promise<void>)[] = [];
  readonly #id = randomUUID().slice(0, 8);

  constructor(harness: DbConformanceHarness) {
    this.#harness = harness;
  }

  /** A table name unique to this session: `table("chassis")` is a prefix of `table("chassis2")`. */
  table(name: string): string {
    return `t${this.#id}-${name}`;
  }

  /** A driver of the harness, closed with the session; initialised unless `initialize` is false. */
  async database(options?: DbHarnessOptions, initialize = true): Promise<NbDbApi> {
    const db = await this.#harness.database(options);
    this.#cleanups.push(() => db.close());
    if (initialize) await db.initialize();
    return db;
  }

  /** Watches `table` of `db` (which must implement `watch`), recording what it reports; closed with the session. */
  async watch(db: NbDbApi, table: string): Promise<WatchRecord> {
    assert.ok(db.watch !== undefined, `features.watch is true but the driver at ${db.address} has no watch()`);
    const changes: DbChange[] = [];
    const resyncs: string[] = [];
    const arrived = new Changes();
    const watch = await db.watch(table, {
      change: (change) => {
        changes.push(change);
        arrived.notify();
      },
      resync: (reason) => {
        resyncs.push(reason);
        arrived.notify();
      },
    });
    this.#cleanups.push(() => watch.close());
    return { watch, changes, resyncs, arrived };
  }

  /** Closes everything, newest first; every close is tried, the first failure is thrown. */
  async close(): Promise<void> {
    const failures: unknown[] = [];
    for (const cleanup of this.#cleanups.reverse()) await cleanup().catch((err: unknown) => failures.push(err));
    this.#cleanups.length = 0;
    if (failures.length > 0) throw failures[0];
  }
}

/** Values that must come back byte for byte, each under a key that is unusual too. */
const ROUND_TRIP: Readonly<Record<string, string>> = Object.freeze({
  plain: "value",
  "key with spaces": "",
  "ключ-ü-🎉": "ünïcödé ☃ 日本語 🎉 e\u0301 \u0000 nul",
  "a/b.c{d}": JSON.stringify({ id: "chassis-1", ip: "10.0.0.1", tunnel_types: ["vxlan", "geneve"], nested: { ü: [1, 2.5, null, true] } }),
  "*?[x]": "line 1\nline 2\r\n\ttabbed \"quoted\" 'single' \\ backslash",
  long: "0123456789".repeat(10_000),
});

/** Values round-trip byte for byte; keys come back from `getAllKeys` as written. */
async function roundTrip(session: DbSession): Promise<void> {
  const db = await session.database();
  const table = session.table("values");
  for (const [key, value] of Object.entries(ROUND_TRIP)) await db.setKey(table, key, value);
  for (const [key, value] of Object.entries(ROUND_TRIP)) assert.equal(await db.getKey(table, key), value, `the value of ${key}`);
  assert.deepEqual((await db.getAllKeys(table)).sort(), Object.keys(ROUND_TRIP).sort());
}

/** A missing key, in a missing table or an existing one, is `undefined`; a missing table lists no keys. */
async function missingKey(session: DbSession): Promise<void> {
  const db = await session.database();
  const table = session.table("missing");
  assert.equal(await db.getKey(table, "nothing"), undefined);
  assert.deepEqual(await db.getAllKeys(table), []);
  await db.setKey(table, "present", "1");
  assert.equal(await db.getKey(table, "absent"), undefined);
  assert.equal(await db.getKey(table, "presen"), undefined, "a prefix of a key is not the key");
}

/** `createKey` writes only when the key is absent, says whether it did, and leaves an existing value alone. */
async function createKey(session: DbSession): Promise<void> {
  const db = await session.database();
  const table = session.table("create");
  assert.equal(await db.createKey(table, "k", "first"), true);
  assert.equal(await db.createKey(table, "k", "second"), false);
  assert.equal(await db.getKey(table, "k"), "first");
  const racers = await Promise.all(Array.from({ length: 10 }, (_, i) => db.createKey(table, "race", String(i))));
  assert.equal(racers.filter(Boolean).length, 1, `exactly one of 10 concurrent createKey wins (got ${JSON.stringify(racers)})`);
  assert.equal(await db.getKey(table, "race"), String(racers.indexOf(true)));
  await db.deleteKey(table, "k");
  assert.equal(await db.createKey(table, "k", "again"), true, "a deleted key can be created again");
  assert.equal(await db.getKey(table, "k"), "again");
}

/** `deleteKey` removes the key and says whether it existed. */
async function deleteKey(session: DbSession): Promise<void> {
  const db = await session.database();
  const table = session.table("delete");
  await db.setKey(table, "k", "v");
  await db.setKey(table, "other", "v");
  assert.equal(await db.deleteKey(table, "k"), true);
  assert.equal(await db.getKey(table, "k"), undefined);
  assert.equal(await db.deleteKey(table, "k"), false, "deleting it again");
  assert.equal(await db.deleteKey(table, "never"), false);
  assert.deepEqual(await db.getAllKeys(table), ["other"]);
}

/** `setKey` creates a key and overwrites it. */
async function setOverwrites(session: DbSession): Promise<void> {
  const db = await session.database();
  const table = session.table("set");
  await db.setKey(table, "k", "one");
  await db.setKey(table, "k", "two");
  assert.equal(await db.getKey(table, "k"), "two");
  await db.setKey(table, "k", "");
  assert.equal(await db.getKey(table, "k"), "");
  assert.deepEqual(await db.getAllKeys(table), ["k"]);
}

/** `getAllKeys` lists the table's keys and nothing else, not even a table whose name it prefixes. */
async function tableKeys(session: DbSession): Promise<void> {
  const db = await session.database();
  const [chassis, chassis2, other] = [session.table("chassis"), session.table("chassis2"), session.table("other")];
  const mine = Array.from({ length: 25 }, (_, i) => `host${i}`);
  for (const key of mine) await db.setKey(chassis, key, `{"id":"${key}"}`);
  await db.setKey(chassis2, "host0", "x");
  await db.setKey(chassis2, "only-in-2", "x");
  await db.setKey(other, "host1", "x");
  assert.deepEqual((await db.getAllKeys(chassis)).sort(), [...mine].sort());
  assert.deepEqual((await db.getAllKeys(chassis2)).sort(), ["host0", "only-in-2"]);
  assert.deepEqual(await db.getAllKeys(other), ["host1"]);
  if (db.getAllEntries !== undefined) {
    assert.equal((await db.getAllEntries(chassis)).get("host7"), '{"id":"host7"}');
    assert.equal((await db.getAllEntries(chassis)).size, mine.length);
    assert.deepEqual([...(await db.getAllEntries(chassis2))].sort(), [
      ["host0", "x"],
      ["only-in-2", "x"],
    ]);
    assert.deepEqual([...(await db.getAllEntries(other))], [["host1", "x"]]);
  }
}

/** Table names are literal: glob characters in one never match another table. */
async function literalTableNames(session: DbSession): Promise<void> {
  const db = await session.database();
  // Unescaped, the pattern of the first would miss its own keys (`\` escapes) and match the second's.
  const [glob, lookalike] = [session.table("g*[?]\\"), session.table("gX?")];
  await db.setKey(glob, "mine", "1");
  await db.setKey(lookalike, "not-mine", "2");
  assert.deepEqual(await db.getAllKeys(glob), ["mine"]);
  assert.deepEqual(await db.getAllKeys(lookalike), ["not-mine"]);
  if (db.getAllEntries !== undefined) assert.deepEqual([...(await db.getAllEntries(glob))], [["mine", "1"]]);
}

/** A watch reports create, set and delete of its table, in order, and nothing of other tables. */
async function watchOrder(session: DbSession, harness: DbConformanceHarness): Promise<void> {
  const db = await session.database();
  const [table, longer] = [session.table("watched"), session.table("watched2")];
  const record = await session.watch(db, table);
  await db.setKey(longer, "k", "not for this watch");
  assert.equal(await db.createKey(table, "k", "v1"), true);
  await db.setKey(table, "k", "v2");
  assert.equal(await db.deleteKey(table, "k"), true);
  await db.setKey(table, "k2", "v3");
  await until(() => record.changes.length >= 4, "4 changes", {
    changes: record.arrived,
    timeoutMs: harness.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    status: () => `got ${JSON.stringify(record.changes)}`,
  });
  assert.deepEqual(record.changes, [
    { action: "create", table, key: "k", value: "v1" },
    { action: "set", table, key: "k", value: "v2" },
    { action: "delete", table, key: "k" },
    { action: "create", table, key: "k2", value: "v3" },
  ]);
}

/** A closed watch reports nothing more, while another watch of the same table goes on. */
async function watchClose(session: DbSession, harness: DbConformanceHarness): Promise<void> {
  const db = await session.database();
  const table = session.table("closed");
  const [closed, open] = [await session.watch(db, table), await session.watch(db, table)];
  await db.setKey(table, "first", "1");
  const both = [closed.arrived, open.arrived];
  const timeoutMs = harness.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  await until(() => closed.changes.length === 1 && open.changes.length === 1, "the first change on both watches", {
    changes: both,
    timeoutMs,
  });
  await closed.watch.close();
  await closed.watch.close();
  await db.setKey(table, "second", "2");
  await until(() => open.changes.length === 2, "the second change on the open watch", { changes: open.arrived, timeoutMs });
  assert.equal(closed.changes.length, 1, `the closed watch reported ${JSON.stringify(closed.changes.slice(1))}`);
}

/** The database restarts: the watch goes on, and a change made afterwards arrives. */
async function watchRestart(session: DbSession, harness: DbConformanceHarness): Promise<void> {
  assert.ok(harness.restart !== undefined, "features.restart is true but the harness has no restart()");
  const db = await session.database();
  const table = session.table("restart");
  const record = await session.watch(db, table);
  const timeoutMs = 2 * (harness.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  const status = () => `changes ${JSON.stringify(record.changes)}, resyncs ${JSON.stringify(record.resyncs)}`;
  await db.setKey(table, "before", "1");
  await until(() => record.changes.length === 1, "the change before the restart", { changes: record.arrived, timeoutMs, status });
  await harness.restart();
  // Requests may fail until the driver has reconnected: the probe writes until the change arrives.
  const after = () => record.changes.some((change) => change.key === "after" && change.value === "2");
  await until(after, "a change made after the restart", {
    changes: record.arrived,
    timeoutMs,
    status,
    probe: () => (after() ? undefined : db.setKey(table, "after", "2").catch(() => undefined)),
  });
  assert.equal(await db.getKey(table, "before"), "1", "the data survived the restart");
}

/** `close()` twice is safe; a closed driver refuses requests with a coded error. */
async function closeTwice(session: DbSession): Promise<void> {
  const db = await session.database();
  const table = session.table("close");
  await db.setKey(table, "k", "v");
  await db.close();
  await db.close();
  await assert.rejects(db.getKey(table, "k"), (err: unknown) => {
    assert.ok(err instanceof Error && String((err as { code?: unknown }).code).startsWith("PUBSUB_ERR_"), String(err));
    return true;
  });
}

/** A database that is down: `initialize()` rejects with `PUBSUB_ERR_DB` within `nb_db_timeout_ms`, naming `remote_db_hosts`. */
async function unreachable(session: DbSession): Promise<void> {
  const host = `127.0.0.1:${await freePort()}`;
  const timeoutMs = 1_500;
  const db = await session.database({ hosts: [host], timeoutMs }, false);
  const started = performance.now();
  await assert.rejects(db.initialize(), (err: unknown) => {
    assert.ok(err instanceof Error, String(err));
    assert.equal((err as { code?: unknown }).code, "PUBSUB_ERR_DB", err.message);
    assert.match(err.message, /remote_db_hosts/);
    assert.ok(err.message.includes(host), `the message names ${host}: ${err.message}`);
    assert.ok(!err.message.includes("\n"), `the message is one line: ${err.message}`);
    return true;
  });
  const elapsed = performance.now() - started;
  assert.ok(elapsed < timeoutMs + 1_000, `initialize() took ${Math.round(elapsed)} ms, nb_db_timeout_ms is ${timeoutMs}`);
}

/** One database conformance scenario: what it checks, what it needs, and the check itself. */
export interface DbScenario {
  /** What it checks, in words: the test's name. */
  readonly title: string;
  /** The features it needs: skipped, with the harness's reason, when one of them is a string. */
  readonly features?: readonly (keyof DbConformanceFeatures)[];
  /** Runs the scenario; what it opens goes through `session`, which the caller closes. */
  readonly run: (session: DbSession, harness: DbConformanceHarness) => Promise<void>;
}

/** Every scenario a northbound database driver must pass, by name, in the order they run. */
export const dbScenarios = Object.freeze({
  roundTrip: { title: "values and keys round-trip byte for byte (unicode, JSON, empty, 100 KB)", run: roundTrip },
  missingKey: { title: "a missing key is undefined; a missing table has no keys", run: missingKey },
  createKey: { title: "createKey writes only when the key is absent, atomically", run: createKey },
  deleteKey: { title: "deleteKey says whether the key existed", run: deleteKey },
  setOverwrites: { title: "setKey creates and overwrites", run: setOverwrites },
  tableKeys: {
    title: "getAllKeys (and getAllEntries, where the driver has it) lists exactly the table's rows: chassis never lists chassis2's",
    run: tableKeys,
  },
  literalTableNames: { title: "table names are literal: glob characters match no other table", run: literalTableNames },
  watchOrder: { title: "watch reports create, set and delete in order, only of its table", features: ["watch"], run: watchOrder },
  watchClose: { title: "a closed watch reports nothing more", features: ["watch"], run: watchClose },
  watchRestart: { title: "the database restarts: the watch goes on", features: ["watch", "restart"], run: watchRestart },
  closeTwice: { title: "close() twice is safe; a closed driver refuses requests", run: closeTwice },
  unreachable: { title: "a database that is down: initialize() rejects with PUBSUB_ERR_DB in time", run: unreachable },
} satisfies Record<string, DbScenario>);

/** The name of a scenario in {@link dbScenarios}. */
export type DbScenarioName = keyof typeof dbScenarios;

/** One database scenario bound to one harness: a test for any runner. */
export interface DbConformanceCase {
  readonly id: DbScenarioName;
  /** What it checks, in words: the test's name. */
  readonly name: string;
  /** Why it does not run against this harness (a feature set to a string), or false. */
  readonly skip: false | string;
  /** Runs the scenario with a fresh {@link DbSession}, closed afterwards whatever happened. */
  run(): Promise<void>;
}

/**
 * The database conformance suite as plain cases, one per scenario, for any test runner:
 * loop over them and register each; skip those whose `skip` is a string. Give each a
 * generous timeout (a restart takes seconds). With node:test, {@link runDbConformance}
 * does this for you.
 *
 * @example
 * ```ts
 * import { describe, it } from "vitest";
 * import { dbConformanceCases } from "pubsub-run/testing";
 *
 * describe(`db conformance: ${harness.name}`, () => {
 *   for (const c of dbConformanceCases(harness)) {
 *     if (c.skip) it.skip(`${c.name} (${c.skip})`, () => {});
 *     else it(c.name, () => c.run(), 60_000);
 *   }
 * });
 * ```
 */
export function dbConformanceCases(harness: DbConformanceHarness): DbConformanceCase[] {
  return (Object.entries(dbScenarios) as [DbScenarioName, DbScenario][]).map(([id, scenario]) => ({
    id,
    name: scenario.title,
    skip: dbSkipReason(scenario, harness),
    run: async () => {
      const session = new DbSession(harness);
      try {
        await scenario.run(session, harness);
      } finally {
        await session.close();
      }
    },
  }));
}

/**
 * The database conformance suite on node:test: every scenario a northbound database
 * driver must pass, registered under `describe("db conformance: <harness.name>")`. Call
 * it at the top level of a test file.
 *
 * @example
 * ```ts
 * // test/db/my-db.test.mjs, run with `node --test`
 * import { runDbConformance } from "pubsub-run/testing";
 * import createMyDb from "../../src/my-db.mjs";
 *
 * runDbConformance({
 *   name: "my_nb_db_driver",
 *   features: { watch: true, restart: "the test cannot restart the server" },
 *   database: ({ hosts = ["127.0.0.1:2379"], timeoutMs = 5000 } = {}) =>
 *     createMyDb({ remote_db_hosts: hosts, nb_db_timeout_ms: timeoutMs }, { logger: console }),
 * });
 * ```
 */
export function runDbConformance(harness: DbConformanceHarness): void {
  void describe(`db conformance: ${harness.name}`, () => {
    for (const testCase of dbConformanceCases(harness)) void it(testCase.name, { skip: testCase.skip }, () => testCase.run());
  });
}

/** Why `scenario` does not run against `harness`, or false when it does. */
export function dbSkipReason(scenario: DbScenario, harness: DbConformanceHarness): false | string {
  for (const feature of scenario.features ?? []) {
    const supported = harness.features[feature];
    if (supported !== true) return supported;
  }
  return false;
}
