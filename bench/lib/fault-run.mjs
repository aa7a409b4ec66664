// One fault, end to end, with real processes: subscribers, a publisher service (or a
// broker), `publish --stdin` workers sending a steady stream; the fault is injected
// mid-stream; once it is over, the workers keep sending until every subscriber has an
// event of every worker sent after it (so a loss before is a gap it can see), then an
// end marker, and everything stops. Returns what each side counted.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, until } from "../../dist/testing.js";
import { brokerSkipReason, startNats, startRedis } from "../../test/helpers/servers.mjs";
import { END_MARK, PROBE_MARK, Subscriber, Worker } from "./fault-processes.mjs";
import { PubsubRun, WAIT_MS } from "./pubsub-run.mjs";
import { CONFIG_PATH } from "./topology.mjs";

/** Events a second each worker writes in the steady stream. */
export const RATE = 5_000;
/** Heartbeats of every ZeroMQ hop: a peer silent for HEARTBEAT_TIMEOUT_MS is dropped. */
export const HEARTBEAT_TIMEOUT_MS = 1_500;
const ZMQ_SETTINGS = {
  "zmq.heartbeat_interval_ms": 500,
  "zmq.publisher_heartbeat_interval_ms": 500,
  "zmq.heartbeat_timeout_ms": HEARTBEAT_TIMEOUT_MS,
};
const BROKERS = {
  redis: { binary: "redis-server", start: startRedis, settings: (url) => ({ pub_sub_driver: "redis_pubsub_driver", "redis.url": url }) },
  nats: {
    binary: "nats-server",
    start: startNats,
    settings: (url) => ({ pub_sub_driver: "nats_pubsub_driver", "nats.servers": JSON.stringify([url]) }),
  },
};

/** The embedded default config, then `settings` as `--set` flags. */
const flagsOf = (settings) => [
  "--config",
  CONFIG_PATH,
  ...Object.entries(settings).flatMap(([key, value]) => ["--set", `${key}=${value}`]),
];

/** Why a fault on `broker` cannot run here, or false. */
export function faultSkipReason(broker) {
  return broker === undefined ? false : brokerSkipReason(BROKERS[broker].binary);
}

/** A ZeroMQ topology: the publisher service, started (again) by `startService()`. */
async function zmqTopology(subscribers) {
  const port = await freePort();
  const dir = await mkdtemp(join(tmpdir(), "pubsub-faults-"));
  const flags = flagsOf({
    publisher_port: port,
    publisher_bind_address: "127.0.0.1",
    publisher_multiproc_socket: join(dir, "publisher.sock"),
    ...ZMQ_SETTINGS,
  });
  const topology = {
    address: `tcp://127.0.0.1:${port}`,
    flags,
    service: undefined,
    /**
     * Starts a service that takes no event before `wait` subscribers are connected (a
     * service that takes events at once relays them to no one until the subscribers
     * are back: they learn of it by a gap, or only by the "sync" of their reconnection).
     */
    async startService(wait = subscribers) {
      const service = new PubsubRun(["service", "--json", ...(wait > 0 ? ["--wait-subscribers", String(wait)] : []), ...flags]);
      topology.service = service;
      await service.waitForLine(/"msg":"ready/, "ready");
      return service;
    },
    async close() {
      await topology.service?.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
  return topology;
}

/** A redis-server or nats-server; publishers send straight to it. */
async function brokerTopology(name) {
  const broker = BROKERS[name];
  const server = await broker.start();
  return {
    address: server.url,
    flags: flagsOf({ pub_sub_use_multiproc: false, ...broker.settings(server.url) }),
    server,
    close: () => server.close(),
  };
}

/** Writes `table` events from a publisher of its own until every subscriber has one. */
async function mark(topology, subs, table) {
  const marker = new PubsubRun(["publish", "--stdin", ...topology.flags]);
  try {
    await until(() => subs.every((sub) => sub.marks.has(table)), `a ${table} event at every subscriber`, {
      changes: subs.map((sub) => sub.run.changes),
      timeoutMs: WAIT_MS,
      probe: () => marker.write(`${JSON.stringify({ table, key: table, action: "set", value: null })}\n`),
    });
    marker.end();
    await marker.exit();
  } finally {
    await marker.stop();
  }
}

/**
 * Runs `fault.inject(run)` mid-stream on a fresh topology and returns the counts:
 * per worker its exit code and report, per subscriber its tally and counters.
 * `events` per worker in the steady stream.
 */
export async function runFault(fault, { events, subscribers = 2, workers = 2, progress }) {
  const topology = fault.broker === undefined ? await zmqTopology(subscribers) : await brokerTopology(fault.broker);
  const subs = [];
  const pubs = [];
  try {
    const args = ["--publisher", topology.address, ...topology.flags];
    for (let i = 0; i < subscribers; i += 1) subs.push(new Subscriber(args));
    await Promise.all([topology.startService?.(), ...subs.map((sub) => sub.run.waitForLine(/: ready/, "ready"))]);
    // Probes until every subscriber has one: each is subscribed before the stream starts.
    await mark(topology, subs, PROBE_MARK);
    for (let i = 0; i < workers; i += 1) pubs.push(new Worker(i, topology.flags));

    progress(`${fault.name}: stream`);
    const streaming = Promise.all(pubs.map((worker) => worker.pace(events, RATE)));
    // Mid-stream: every subscriber follows the stream of every worker when the fault comes.
    const midStream = Math.ceil(events / 4);
    const followed = (sub) => pubs.every((_, i) => (sub.highest[i] ?? -1) >= midStream);
    await Promise.all(subs.map((sub) => sub.until(followed, `event ${midStream} of every worker (mid-stream)`)));
    progress(`${fault.name}: fault`);
    await fault.inject({ topology, subscribers: subs, workers: pubs });
    await streaming;

    progress(`${fault.name}: after the fault`);
    const marks = pubs.map((worker) => worker.written);
    // A worker that gave up (exited, saying what it did not send) sends nothing more.
    const after = (sub) => pubs.every((worker, i) => worker.run.done || (sub.highest[i] ?? -1) >= marks[i]);
    await until(() => subs.every(after), "an event sent after the fault at every subscriber, from every worker", {
      changes: subs.map((sub) => sub.run.changes),
      timeoutMs: WAIT_MS,
      probe: () => pubs.forEach((worker) => worker.burst(20)),
    });
    const reports = await Promise.all(pubs.map((worker) => worker.finish(WAIT_MS)));

    // An end marker, sent after every worker is done: once a subscriber has it, it has
    // everything that was going to reach it.
    await mark(topology, subs, END_MARK);
    const stats = [];
    for (const sub of subs) stats.push(await sub.stop());
    return {
      written: pubs.map((worker) => worker.written),
      reports,
      subscribers: subs.map((sub, i) => ({ delivered: sub.delivered, duplicates: sub.duplicates, syncs: sub.syncs, stats: stats[i] })),
    };
  } finally {
    await Promise.all([...pubs.map((worker) => worker.run.stop()), ...subs.map((sub) => sub.run.stop())]);
    await topology.close();
  }
}
