// 10. scale: N subscribers (PUBSUB_BENCH_SUBSCRIBERS, default 1,000; the target fleet is
// 10,000) in processes of up to 300 each (a network subscriber takes three ZeroMQ
// sockets per publisher, and libzmq allows 1,023 per process), on one network publisher with default
// settings: the time until the publisher counts all N at start and after a SIGKILL and
// a restart on the same port, then deliveries per second and events lost once all are
// counted. One run (no raw side: the raw reference has no count of subscribers). This
// file is also its child processes' script.
import { fork } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import createZmqNetworkDriver from "../../dist/drivers/zmq.js";
import { resolveConfig } from "../../dist/index.js";
import { freePort } from "../../dist/testing.js";
import { oursAtMost, row } from "../lib/compare.mjs";

export const name = "scale";
export const title = "scale: N subscribers (PUBSUB_BENCH_SUBSCRIBERS, default 1,000) counted at start and after a SIGKILL and restart";

const SELF = fileURLToPath(import.meta.url);
const PER_PROCESS = 300;
const EVENTS = 50;
const DEADLINE_MS = 120_000;

async function driverFor(port, cwd) {
  const { config } = await resolveConfig({
    cwd,
    env: {},
    overrides: { publisher_port: port, publisher_bind_address: "127.0.0.1", publisher_transport: "tcp" },
  });
  const quiet = { debug() {}, info() {}, warn() {}, error() {} };
  return createZmqNetworkDriver(config, { logger: quiet });
}

async function publisherRole({ port, cwd }) {
  const publisher = (await driverFor(port, cwd)).getPublisher();
  await publisher.initialize();
  process.on("message", async (message) => {
    if (message.type === "when") {
      await publisher.whenSubscribers(message.count);
      process.send({ type: "counted", at: Date.now() });
    } else if (message.type === "publish") {
      const t0 = Date.now();
      for (let i = 0; i < message.count; i += 1)
        await publisher.sendEvent({ table: "scale", key: String(i), action: "set", value: i, topic: "scale" });
      process.send({ type: "published", t0 });
    }
  });
  process.send({ type: "ready" });
}

async function subscribersRole({ port, count, cwd }) {
  const driver = await driverFor(port, cwd);
  let received = 0;
  let last = 0;
  const subscribers = [];
  for (let i = 0; i < count; i += 1) {
    const subscriber = driver.getSubscriber();
    subscriber.initialize((table, key, action) => {
      if (action === "sync") return;
      received += 1;
      last = Date.now();
    });
    subscriber.registerTopic("scale");
    subscriber.registerListenAddress(`tcp://127.0.0.1:${port}`);
    subscribers.push(subscriber);
  }
  await Promise.all(subscribers.map((subscriber) => subscriber.daemonize()));
  process.on("message", (message) => {
    if (message.type === "report") process.send({ type: "received", received, last });
  });
  process.send({ type: "ready" });
}

/** A forked role of this file, and a wait for its next message of a type (with a deadline). */
function start(role, options) {
  const child = fork(SELF, [role, JSON.stringify(options)], { stdio: ["ignore", "inherit", "inherit", "ipc"] });
  const inbox = [];
  const waiters = [];
  child.on("message", (message) => {
    const index = waiters.findIndex((waiter) => waiter.type === message.type);
    if (index >= 0) waiters.splice(index, 1)[0].resolve(message);
    else inbox.push(message);
  });
  child.once("exit", (code, signal) => {
    for (const waiter of waiters.splice(0)) waiter.reject(new Error(`scale: ${role} exited (${signal ?? code}) before ${waiter.type}`));
  });
  const next = (type) => {
    const index = inbox.findIndex((message) => message.type === type);
    if (index >= 0) return Promise.resolve(inbox.splice(index, 1)[0]);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`scale: no ${type} from ${role} within ${DEADLINE_MS} ms`)), DEADLINE_MS);
      timer.unref();
      waiters.push({ type, resolve: (m) => (clearTimeout(timer), resolve(m)), reject });
    });
  };
  return { child, next };
}

export async function run({ progress }) {
  const subscribers = Math.max(1, Math.round(Number(process.env.PUBSUB_BENCH_SUBSCRIBERS ?? 1000)));
  const port = await freePort();
  const cwd = await mkdtemp(join(tmpdir(), "pubsub-scale-"));
  const children = [];
  try {
    let publisher = start("publisher", { port, cwd });
    children.push(publisher);
    await publisher.next("ready");
    const groups = [];
    for (let left = subscribers; left > 0; left -= PER_PROCESS) {
      const group = start("subscribers", { port, cwd, count: Math.min(PER_PROCESS, left) });
      children.push(group);
      groups.push(group);
    }
    const started = Date.now();
    publisher.child.send({ type: "when", count: subscribers });
    await Promise.all(groups.map((group) => group.next("ready")));
    const atStart = (await publisher.next("counted")).at - started;
    progress(`${subscribers} counted at start in ${atStart} ms`);

    const killed = Date.now();
    publisher.child.kill("SIGKILL");
    await new Promise((resolve) => publisher.child.once("exit", resolve));
    publisher = start("publisher", { port, cwd });
    children.push(publisher);
    await publisher.next("ready");
    publisher.child.send({ type: "when", count: subscribers });
    const afterRestart = (await publisher.next("counted")).at - killed;
    progress(`${subscribers} counted again in ${afterRestart} ms`);

    publisher.child.send({ type: "publish", count: EVENTS });
    const { t0 } = await publisher.next("published");
    const expected = subscribers * EVENTS;
    let received = 0;
    let last = t0;
    const deadline = Date.now() + DEADLINE_MS;
    while (received < expected && Date.now() < deadline) {
      const reports = await Promise.all(
        groups.map((group) => {
          group.child.send({ type: "report" });
          return group.next("received");
        }),
      );
      received = reports.reduce((sum, report) => sum + report.received, 0);
      last = Math.max(...reports.map((report) => report.last));
      if (received < expected) await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const label = `${subscribers.toLocaleString("en-US")} subscribers`;
    return [
      row(name, `${label}: all counted at start`, "ms", atStart, null, { higherIsBetter: false, target: oursAtMost(30_000, "ms") }),
      row(name, `${label}: all counted after SIGKILL + restart`, "ms", afterRestart, null, {
        higherIsBetter: false,
        target: oursAtMost(30_000, "ms"),
      }),
      row(name, `${label}: deliveries, ${EVENTS} events each`, "events/s", received / (Math.max(1, last - t0) / 1000), null),
      row(name, `${label}: events lost once counted`, "events", expected - received, null, {
        higherIsBetter: false,
        target: { text: "= 0", test: ({ ours }) => ours === 0 },
      }),
    ];
  } finally {
    for (const { child } of children) child.kill("SIGKILL");
    await rm(cwd, { recursive: true, force: true });
  }
}

const [role, roleOptions] = process.argv.slice(2);
if (role === "publisher") await publisherRole(JSON.parse(roleOptions));
else if (role === "subscribers") await subscribersRole(JSON.parse(roleOptions));
