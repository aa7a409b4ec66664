// 10. scale: one publisher to 100, 1,000 and 4,000 subscribers (PUBSUB_BENCH_SUBSCRIBERS
// picks one size; the target fleet is 10,000) in processes of up to 300 each (a network
// subscriber takes three ZeroMQ sockets per publisher, and libzmq allows 1,023 per
// process). At each size, three runs in the same process layout:
// - ours: a network publisher with default settings. The time until it counts all N
//   at start and after a SIGKILL and a restart on the same port, its RSS per
//   subscriber, then deliveries per second and events lost once all are counted;
// - raw: a plain zeromq.js PUB socket and a SUB socket per subscriber. It has no count
//   of subscribers: it sends probes until every subscriber has one, then the same;
// - service: `pubsub-run service --wait-subscribers N` with the subscribers on it and
//   one multiproc worker publishing: deliveries per second.
// Deliveries are measured on a second round of events, the first warming the processes
// up (see deliver()). PUBSUB_BENCH_CPU=1 prints CPU per delivery of that round, the
// publisher's and the subscriber processes' (all threads); PUBSUB_BENCH_PROFILE=DIR
// writes a CPU profile of it per process.
// One run per size (rounds do not apply). This file is also its child processes' script.
import { fork } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { Session } from "node:inspector/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { unpack } from "msgpackr";
import * as zmq from "zeromq";
import createZmqNetworkDriver from "../../dist/drivers/zmq.js";
import { loadFromConfig, resolveConfig } from "../../dist/index.js";
import { freePort } from "../../dist/testing.js";
import { oursAtMost, row } from "../lib/compare.mjs";
import { nowNs } from "../lib/events.mjs";
import { PubsubRun } from "../lib/pubsub-run.mjs";
import { CONFIG_PATH } from "../lib/topology.mjs";

export const name = "scale";
export const title = "scale: 100, 1,000 and 4,000 subscribers (PUBSUB_BENCH_SUBSCRIBERS picks one): ours, raw zeromq.js, the service";

const SELF = fileURLToPath(import.meta.url);
const STEPS = [100, 1_000, 4_000];
const PER_PROCESS = 300;
const TOPIC = "scale";
const PROBE = "probe";
/**
 * Events each subscriber gets per round: five times --count deliveries in all (1,000,000
 * by default), between 10 and 10,000 each, so that a round lasts seconds even at 4,000
 * subscribers and its rate is not the processes' start-up (bench/NOTES.md, "The gap at 4,000").
 */
const eventsFor = (count, subscribers) => Math.min(10_000, Math.max(10, Math.ceil((5 * count) / subscribers)));
const DEADLINE_MS = 180_000;

export function validate() {
  const text = process.env.PUBSUB_BENCH_SUBSCRIBERS;
  if (text === undefined) return undefined;
  const value = Number(text);
  return Number.isInteger(value) && value > 0
    ? undefined
    : `PUBSUB_BENCH_SUBSCRIBERS: must be a whole number > 0 (got ${JSON.stringify(text)})`;
}

const network = (port) => ({ publisher_port: port, publisher_bind_address: "127.0.0.1", publisher_transport: "tcp" });
const quiet = { debug() {}, info() {}, warn() {}, error() {} };

async function driverFor(port, cwd) {
  const { config } = await resolveConfig({ cwd, env: {}, overrides: network(port) });
  return createZmqNetworkDriver(config, { logger: quiet });
}

function rss() {
  globalThis.gc?.();
  return process.memoryUsage().rss;
}

/** CPU time of this process (all threads, µs) since `since`, a `process.cpuUsage()`. */
function cpuSince(since) {
  const { user, system } = process.cpuUsage(since);
  return user + system;
}

/** With PUBSUB_BENCH_PROFILE=DIR, starts a CPU profile (of the measured round). */
async function startProfile() {
  if (!process.env.PUBSUB_BENCH_PROFILE) return undefined;
  const session = new Session();
  session.connect();
  await session.post("Profiler.enable");
  await session.post("Profiler.start");
  return session;
}

/** Writes the profile `startProfile` began to DIR/scale-ROLE-PID.cpuprofile. */
async function stopProfile(session, role) {
  if (session === undefined) return;
  const { profile } = await session.post("Profiler.stop");
  session.disconnect();
  await writeFile(join(process.env.PUBSUB_BENCH_PROFILE, `scale-${role}-${process.pid}.cpuprofile`), JSON.stringify(profile));
}

// ---- child roles ---------------------------------------------------------------------

/** A publisher: ours (the network driver), raw (a zeromq.js PUB socket) or a multiproc worker. */
async function publisherRole({ impl, port, cwd, socket }) {
  let send;
  let whenSubscribers;
  if (impl === "ours") {
    const publisher = (await driverFor(port, cwd)).getPublisher();
    await publisher.initialize();
    send = (event) => publisher.sendEvent(event);
    whenSubscribers = (count) => publisher.whenSubscribers(count);
  } else if (impl === "worker") {
    const loaded = await loadFromConfig({
      configPath: CONFIG_PATH,
      env: {},
      subscriber: false,
      overrides: { ...network(port), pub_sub_use_multiproc: true, publisher_multiproc_socket: socket },
      logger: quiet,
    });
    send = (event) => loaded.publisher.sendEvent(event);
  } else {
    const pub = new zmq.Publisher({ linger: 0, sendHighWaterMark: 1e6 });
    await pub.bind(`tcp://127.0.0.1:${port}`);
    const topic = Buffer.from(TOPIC);
    const { pack } = await import("msgpackr");
    send = (event) => pub.send([topic, pack({ ...event, topic: TOPIC })]);
  }
  let probing = false;
  let cpu;
  let profile;
  process.on("message", async (message) => {
    if (message.type === "cpu") {
      const spent = cpuSince(cpu);
      await stopProfile(profile, `publisher-${impl}`);
      profile = undefined;
      process.send({ type: "cpu", cpu: spent });
    } else if (message.type === "when") {
      await whenSubscribers(message.count);
      process.send({ type: "counted", at: nowNs() });
    } else if (message.type === "rss") {
      process.send({ type: "rss", rss: rss() });
    } else if (message.type === "probe") {
      probing = true;
      while (probing) {
        await send({ table: PROBE, key: "p", action: "probe", value: null, topic: TOPIC });
        // Every probe goes to every subscriber: at 4,000, one each 20 ms took both cores.
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    } else if (message.type === "publish") {
      probing = false;
      if (message.measured) profile = await startProfile();
      cpu = process.cpuUsage();
      const t0 = nowNs();
      for (let i = 0; i < message.count; i += 1) await send({ table: TOPIC, key: String(i), action: "set", value: i, topic: TOPIC });
      process.send({ type: "published", t0 });
    }
  });
  process.send({ type: "ready", rss: rss() });
}

/**
 * `count` subscribers in one process, ours or raw; "probed" once each has a probe, "done"
 * once each has the round's `expect` events (with the CPU time since "expect").
 */
async function subscribersRole({ impl, port, count, cwd }) {
  let received = 0;
  let last = 0;
  let expected = Infinity;
  let before = 0;
  let target = 0;
  let cpu;
  let profile;
  // The profile is written before the report: the parent kills this process soon after.
  const report = async (type) => {
    const message = { type, received: received - before, last, cpu: cpuSince(cpu) };
    const written = profile;
    profile = undefined;
    await stopProfile(written, `subscribers-${impl}`);
    process.send(message);
  };
  const probed = new Set();
  const onEvent = (index, table) => {
    if (table === TOPIC) {
      received += 1;
      last = nowNs();
      if (received === expected) void report("done");
    } else if (table === PROBE && !probed.has(index)) {
      probed.add(index);
      if (probed.size === count) process.send({ type: "probed" });
    }
  };
  if (impl === "ours") {
    const driver = await driverFor(port, cwd);
    const subscribers = [];
    for (let i = 0; i < count; i += 1) {
      const subscriber = driver.getSubscriber();
      subscriber.initialize((table) => onEvent(i, table));
      subscriber.registerTopic(TOPIC);
      subscriber.registerListenAddress(`tcp://127.0.0.1:${port}`);
      subscribers.push(subscriber);
    }
    await Promise.all(subscribers.map((subscriber) => subscriber.daemonize()));
  } else {
    for (let i = 0; i < count; i += 1) {
      const sub = new zmq.Subscriber({ linger: 0, receiveHighWaterMark: 1e6 });
      sub.subscribe(TOPIC);
      sub.connect(`tcp://127.0.0.1:${port}`);
      void (async () => {
        for await (const [, payload] of sub) onEvent(i, unpack(payload).table);
      })();
    }
  }
  process.on("message", async (message) => {
    if (message.type === "expect") {
      before = target;
      target += message.count * count;
      cpu = process.cpuUsage();
      if (message.measured) profile = await startProfile();
      expected = target;
      if (received >= expected) void report("done");
    } else if (message.type === "report") void report("received");
  });
  process.send({ type: "ready" });
}

// ---- the parent ----------------------------------------------------------------------

/** A forked role of this file, and a wait for its next message of a type (with a deadline). */
function start(role, options) {
  const child = fork(SELF, [role, JSON.stringify(options)], { execArgv: ["--expose-gc"], stdio: ["ignore", "inherit", "inherit", "ipc"] });
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
  const next = (type, deadlineMs = DEADLINE_MS) => {
    const index = inbox.findIndex((message) => message.type === type);
    if (index >= 0) return Promise.resolve(inbox.splice(index, 1)[0]);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`scale: no ${type} from ${role} within ${deadlineMs} ms`)), deadlineMs);
      timer.unref();
      waiters.push({ type, resolve: (m) => (clearTimeout(timer), resolve(m)), reject });
    });
  };
  return { child, next, send: (message) => child.connected && child.send(message) };
}

/** Subscriber processes of up to PER_PROCESS subscribers each, `subscribers` in all. */
function startGroups(impl, subscribers, port, cwd) {
  const groups = [];
  for (let left = subscribers; left > 0; left -= PER_PROCESS)
    groups.push(start("subscribers", { impl, port, cwd, count: Math.min(PER_PROCESS, left) }));
  return groups;
}

/**
 * Has `publisher` send `events` to the groups twice, each time waiting until each group
 * has them all (or the deadline), and measures the second round: deliveries per second
 * from its first send to its last receipt, and CPU per delivery; events lost in either.
 * A fresh process runs its first events through V8's interpreter and compiles its hot
 * path meanwhile: with 50 events for each of 300 subscribers that start-up was most of
 * the gap between ours (which has more JavaScript per event to compile) and the raw
 * sockets at 4,000 subscribers (bench/NOTES.md, "Scale"); a subscriber that runs for
 * long has paid it long before.
 */
async function deliver(publisher, groups, events, subscribers) {
  const warmUp = await round(publisher, groups, events, subscribers, false);
  const measured = await round(publisher, groups, events, subscribers, true);
  return { ...measured, lost: warmUp.lost + measured.lost };
}

/** One round of {@link deliver}. */
async function round(publisher, groups, events, subscribers, measured) {
  for (const group of groups) group.send({ type: "expect", count: events, measured });
  publisher.send({ type: "publish", count: events, measured });
  const { t0 } = await publisher.next("published");
  let reports;
  try {
    reports = await Promise.all(groups.map((group) => group.next("done", 60_000)));
  } catch {
    reports = await Promise.all(
      groups.map((group) => {
        group.send({ type: "report" });
        return group.next("received");
      }),
    );
  }
  const received = reports.reduce((sum, report) => sum + report.received, 0);
  const last = Math.max(...reports.map((report) => report.last));
  publisher.send({ type: "cpu" });
  const { cpu } = await publisher.next("cpu");
  const perDelivery = (micros) => micros / Math.max(1, received);
  return {
    rate: received / (Math.max(1, last - t0) / 1e9),
    lost: subscribers * events - received,
    cpu: { publisher: perDelivery(cpu), subscribers: perDelivery(reports.reduce((sum, report) => sum + report.cpu, 0)) },
  };
}

async function oursRun(subscribers, events, port, cwd, children, progress) {
  let publisher = start("publisher", { impl: "ours", port, cwd });
  children.push(publisher);
  const { rss: before } = await publisher.next("ready");
  const groups = startGroups("ours", subscribers, port, cwd);
  children.push(...groups);
  const started = nowNs();
  publisher.send({ type: "when", count: subscribers });
  await Promise.all(groups.map((group) => group.next("ready")));
  const atStart = ((await publisher.next("counted")).at - started) / 1e6;
  publisher.send({ type: "rss" });
  const { rss: after } = await publisher.next("rss");
  progress(`ours: ${subscribers} counted at start in ${Math.round(atStart)} ms`);

  const killed = nowNs();
  publisher.child.kill("SIGKILL");
  await new Promise((resolve) => publisher.child.once("exit", resolve));
  publisher = start("publisher", { impl: "ours", port, cwd });
  children.push(publisher);
  await publisher.next("ready");
  publisher.send({ type: "when", count: subscribers });
  const afterRestart = ((await publisher.next("counted")).at - killed) / 1e6;
  progress(`ours: ${subscribers} counted again in ${Math.round(afterRestart)} ms`);
  const delivered = await deliver(publisher, groups, events, subscribers);
  return { atStart, afterRestart, rssPerSubscriber: (after - before) / subscribers / 1024, ...delivered };
}

async function rawRun(subscribers, events, port, cwd, children, progress) {
  const publisher = start("publisher", { impl: "raw", port, cwd });
  children.push(publisher);
  const { rss: before } = await publisher.next("ready");
  const groups = startGroups("raw", subscribers, port, cwd);
  children.push(...groups);
  await Promise.all(groups.map((group) => group.next("ready")));
  publisher.send({ type: "probe" });
  await Promise.all(groups.map((group) => group.next("probed")));
  publisher.send({ type: "rss" });
  const { rss: after } = await publisher.next("rss");
  progress(`raw: ${subscribers} probed`);
  const delivered = await deliver(publisher, groups, events, subscribers);
  return { rssPerSubscriber: (after - before) / subscribers / 1024, ...delivered };
}

async function serviceRun(subscribers, events, port, cwd, children, progress) {
  const socket = join(cwd, "publisher.sock");
  const settings = { ...network(port), publisher_multiproc_socket: socket };
  const service = new PubsubRun([
    "service",
    "--json",
    "--wait-subscribers",
    String(subscribers),
    "--config",
    CONFIG_PATH,
    ...Object.entries(settings).flatMap(([key, value]) => ["--set", `${key}=${value}`]),
  ]);
  children.push({ child: { kill: () => service.kill("SIGKILL") } });
  try {
    await service.waitForLine(/"msg":"waiting for/, "waiting for subscribers");
    const groups = startGroups("ours", subscribers, port, cwd);
    children.push(...groups);
    await Promise.all(groups.map((group) => group.next("ready")));
    await service.waitForLine(/"msg":"ready/, "ready", 0, DEADLINE_MS);
    progress(`service: ${subscribers} counted`);
    const worker = start("publisher", { impl: "worker", port, cwd, socket });
    children.push(worker);
    await worker.next("ready");
    return await deliver(worker, groups, events, subscribers);
  } finally {
    await service.stop();
  }
}

async function size(subscribers, count, progress) {
  const events = eventsFor(count, subscribers);
  const cwd = await mkdtemp(join(tmpdir(), "pubsub-scale-"));
  const runs = {};
  try {
    for (const [impl, once] of [
      ["ours", oursRun],
      ["raw", rawRun],
      ["service", serviceRun],
    ]) {
      const children = [];
      try {
        runs[impl] = await once(subscribers, events, await freePort(), cwd, children, progress);
      } finally {
        for (const { child } of children) child.kill("SIGKILL");
      }
    }
  } finally {
    await rm(cwd, { recursive: true, force: true });
  }
  const { ours, raw, service } = runs;
  if (process.env.PUBSUB_BENCH_CPU) {
    // The service run's publisher is the multiproc worker; the service's own CPU is not counted.
    for (const [impl, { cpu }] of Object.entries(runs))
      process.stderr.write(
        `cpu scale ${subscribers}/${impl}: ${impl === "service" ? "worker" : "publisher"} ${cpu.publisher.toFixed(2)} µs, subscriber processes ${cpu.subscribers.toFixed(2)} µs per delivery (measured round)\n`,
      );
  }
  const label = `${subscribers.toLocaleString("en-US")} subscribers`;
  const slow = { higherIsBetter: false, target: oursAtMost(30_000, "ms") };
  return [
    row(name, `${label}: all counted at start`, "ms", Math.round(ours.atStart), null, slow),
    row(name, `${label}: all counted after SIGKILL + restart`, "ms", Math.round(ours.afterRestart), null, slow),
    row(name, `${label}: deliveries, ${events} events each after as many to warm up`, "events/s", ours.rate, raw.rate),
    row(name, `${label}: events lost once counted (raw: once probed)`, "events", ours.lost, raw.lost, {
      higherIsBetter: false,
      target: { text: "= 0", test: ({ ours: lost }) => lost === 0 },
    }),
    row(name, `${label}: publisher RSS per subscriber`, "KB", ours.rssPerSubscriber, raw.rssPerSubscriber, { higherIsBetter: false }),
    row(name, `${label}: deliveries through pubsub-run service, vs raw PUB`, "events/s", service.rate, raw.rate),
    row(name, `${label}: events lost through pubsub-run service`, "events", service.lost, null, {
      higherIsBetter: false,
      target: { text: "= 0", test: ({ ours: lost }) => lost === 0 },
    }),
  ];
}

export async function run({ count, progress }) {
  const one = process.env.PUBSUB_BENCH_SUBSCRIBERS;
  const steps = one === undefined ? STEPS : [Number(one)];
  const rows = [];
  for (const subscribers of steps) rows.push(...(await size(subscribers, count, (text) => progress(`${subscribers}: ${text}`))));
  return rows;
}

const [role, roleOptions] = process.argv.slice(2);
if (role === "publisher") await publisherRole(JSON.parse(roleOptions));
else if (role === "subscribers") await subscribersRole(JSON.parse(roleOptions));
