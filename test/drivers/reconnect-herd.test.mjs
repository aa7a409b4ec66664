// A herd of subscribers (in processes of their own) on one network publisher that is
// killed with SIGKILL and started again on the same port: every subscriber reconnects,
// gets exactly one "sync", and receives what is published once it is counted again.
// This file is also the child processes' script: forked with a role, it runs that role.
import { fork } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import createZmqNetworkDriver from "../../dist/drivers/zmq.js";
import { resolveConfig } from "../../dist/index.js";

const SELF = fileURLToPath(import.meta.url);
const [role, roleOptions] = process.argv.slice(2);

/**
 * The driver for a publisher at `port` on 127.0.0.1, the schema's defaults otherwise
 * (`cwd` an empty directory, so no config file of the machine is found).
 */
async function driverFor(port, cwd) {
  const { config } = await resolveConfig({
    cwd,
    env: {},
    overrides: { publisher_port: port, publisher_bind_address: "127.0.0.1", publisher_transport: "tcp", zmq: { linger_ms: 0 } },
  });
  const quiet = { debug() {}, info() {}, warn() {}, error() {} };
  return createZmqNetworkDriver(config, { logger: quiet });
}

/** Child: one network publisher; counts subscribers and publishes on request. */
async function publisherRole({ port, cwd }) {
  const publisher = (await driverFor(port, cwd)).getPublisher();
  await publisher.initialize();
  process.on("message", async (message) => {
    if (message.type === "when") {
      await publisher.whenSubscribers(message.count);
      process.send({ type: "counted", subscribers: publisher.subscribers });
    } else if (message.type === "publish") {
      for (let i = 0; i < message.count; i += 1) {
        await publisher.sendEvent({ table: "herd", key: `${message.tag}-${i}`, action: "set", value: i, topic: "herd" });
      }
      process.send({ type: "published" });
    }
  });
  process.send({ type: "ready" });
}

/** Child: `count` subscribers; reports, whenever it changed, what they received. */
async function subscribersRole({ port, count, cwd }) {
  const driver = await driverFor(port, cwd);
  const states = [];
  let reporting = false;
  const report = () => {
    if (reporting) return;
    reporting = true;
    setImmediate(() => {
      reporting = false;
      const keys = {};
      for (const state of states) for (const key of state.keys) keys[key] = (keys[key] ?? 0) + 1;
      process.send({
        type: "status",
        connected: states.filter((state) => state.connected).length,
        syncs: states.map((state) => state.syncs),
        duplicates: states.reduce((sum, state) => sum + state.duplicates, 0),
        keys,
      });
    });
  };
  const subscribers = [];
  for (let i = 0; i < count; i += 1) {
    const state = { connected: false, syncs: 0, keys: new Set(), duplicates: 0 };
    states.push(state);
    const subscriber = driver.getSubscriber();
    subscriber.onConnected(() => {
      state.connected = true;
      report();
    });
    subscriber.initialize((table, key, action) => {
      if (action === "sync") state.syncs += 1;
      else if (state.keys.has(key)) state.duplicates += 1;
      else state.keys.add(key);
      report();
    });
    subscriber.registerTopic("herd");
    subscriber.registerListenAddress(`tcp://127.0.0.1:${port}`);
    subscribers.push(subscriber);
  }
  await Promise.all(subscribers.map((subscriber) => subscriber.daemonize()));
  process.send({ type: "ready" });
  report();
}

if (role === "publisher") await publisherRole(JSON.parse(roleOptions));
else if (role === "subscribers") await subscribersRole(JSON.parse(roleOptions));
else await runTests();

async function runTests() {
  const assert = (await import("node:assert/strict")).default;
  const { after, describe, it } = await import("node:test");
  const { Changes, freePort, until } = await import("../../dist/testing.js");

  const PROCESSES = 3;
  const PER_PROCESS = 100;
  const TOTAL = PROCESSES * PER_PROCESS;
  const EVENTS = 20;
  const TIMEOUT = { timeoutMs: 20_000 };
  const children = new Set();
  const cwd = await mkdtemp(join(tmpdir(), "pubsub-herd-"));
  after(async () => {
    for (const child of children) child.kill("SIGKILL");
    await rm(cwd, { recursive: true, force: true });
  });

  /** A forked role: its last status, its other messages by type, and a wait for the next of a type. */
  function start(childRole, options) {
    const child = fork(SELF, [childRole, JSON.stringify(options)], { stdio: ["ignore", "inherit", "inherit", "ipc"] });
    children.add(child);
    const changes = new Changes();
    const inbox = [];
    let exited = false;
    const handle = { child, changes, next: undefined, status: undefined };
    child.on("message", (message) => {
      if (message.type === "status") handle.status = message;
      else inbox.push(message);
      changes.notify();
    });
    child.once("exit", () => {
      exited = true;
      children.delete(child);
      changes.notify();
    });
    const next = async (type) => {
      let found;
      await until(
        () => {
          const index = inbox.findIndex((message) => message.type === type);
          if (index >= 0) [found] = inbox.splice(index, 1);
          else if (exited) throw new Error(`the ${childRole} process exited before sending ${type}`);
          return index >= 0;
        },
        `${type} from the ${childRole} process`,
        { changes, ...TIMEOUT },
      );
      return found;
    };
    handle.next = next;
    return handle;
  }

  describe("zmq_pubsub_driver: a herd of subscribers and a publisher killed with SIGKILL", () => {
    it(`${TOTAL} subscribers in ${PROCESSES} processes: all counted again after the restart, one sync each, then every event`, async () => {
      const port = await freePort();
      const groups = [];
      let publisher = start("publisher", { port, cwd });
      await publisher.next("ready");
      for (let i = 0; i < PROCESSES; i += 1) {
        const group = start("subscribers", { port, count: PER_PROCESS, cwd });
        groups.push(group);
      }
      const watchers = groups.map((group) => group.changes);
      await Promise.all(groups.map((group) => group.next("ready")));
      const statuses = () => groups.map((group) => group.status);
      const sum = (pick) => statuses().reduce((total, status) => total + (status === undefined ? 0 : pick(status)), 0);
      const received = (tag) =>
        sum((status) => Object.entries(status.keys).reduce((n, [key, c]) => (key.startsWith(`${tag}-`) ? n + c : n), 0));
      const syncCounts = () => statuses().flatMap((status) => status?.syncs ?? []);
      const seen = () =>
        `connected ${sum((s) => s.connected)}, syncs ${JSON.stringify(histogram(syncCounts()))}, events ${received("before")} before, ${received("after")} after`;
      const wait = (condition, what) => until(condition, what, { changes: watchers, status: seen, ...TIMEOUT });

      publisher.child.send({ type: "when", count: TOTAL });
      await publisher.next("counted");
      await wait(() => sum((s) => s.connected) === TOTAL, `all ${TOTAL} subscribers connected`);
      publisher.child.send({ type: "publish", tag: "before", count: EVENTS });
      await publisher.next("published");
      await wait(() => received("before") === TOTAL * EVENTS, "every event before the restart");

      publisher.child.kill("SIGKILL");
      await until(new Promise((resolve) => publisher.child.once("exit", resolve)), "the killed publisher to exit", TIMEOUT);
      publisher = start("publisher", { port, cwd });
      await publisher.next("ready");
      publisher.child.send({ type: "when", count: TOTAL });
      const counted = await publisher.next("counted");
      assert.equal(counted.subscribers, TOTAL);
      await wait(() => syncCounts().length === TOTAL && syncCounts().every((n) => n >= 1), "a sync at every subscriber");

      publisher.child.send({ type: "publish", tag: "after", count: EVENTS });
      await publisher.next("published");
      await wait(() => received("after") === TOTAL * EVENTS, "every event after the restart, at every subscriber");

      assert.deepEqual(histogram(syncCounts()), { 1: TOTAL }, "exactly one sync per subscriber");
      assert.equal(
        sum((s) => s.duplicates),
        0,
        "no event twice",
      );
      assert.equal(received("before"), TOTAL * EVENTS);
    });
  });
}

/** How many subscribers saw each number of syncs. */
function histogram(counts) {
  const result = {};
  for (const count of counts) result[count] = (result[count] ?? 0) + 1;
  return result;
}
