import cluster from "node:cluster";
import { availableParallelism } from "node:os";
import { setTimeout as delay } from "node:timers/promises";
import { EXPIRED, within } from "../agents/deadline.js";
import { isConnectionAware, type Logger, type PublisherApi, type SubscriberApi } from "../contract.js";
import type { PublisherService } from "../agents/publisher-service.js";
import { ConfigError, TransportError, UsageError } from "../errors.js";
import { DriverAgents } from "../loader/driver-agents.js";
import { loadFromConfig } from "../loader/load.js";
import { resolveConfig, type ResolvedConfig } from "../loader/resolve-config.js";
import { loadPublisherService } from "../loader/load-service.js";
import { type CommonFlags, commandLogLevel, parseCommandArgs } from "./args.js";
import { runDiscoveryDemo } from "./demo-discovery.js";
import { DemoTally } from "./demo-tally.js";
import { createCliLogger, isTerminal } from "./log.js";
import { untilSignal } from "./signals.js";

export const DEMO_HELP = `Usage: pubsub-run demo [--workers N] [--seconds S] [--rate R]
                      [--config FILE] [--set key=value]... [--debug]
       pubsub-run demo --discovery [--rate R] [--config FILE] [--set key=value]... [--debug]

The whole topology on this machine, from one config: starts the publisher service,
forks N worker processes (node:cluster) that publish sample events through the
multiproc driver (IPC), and one subscriber on the network that prints a live count of
the events it received from each worker. On Ctrl-C (or after S seconds) the workers
stop and flush, and a summary says, per worker, how many events were sent, received,
lost and out of order.

With a broker driver (Redis, NATS) and pub_sub_use_multiproc: false there is no
publisher service: each worker publishes straight to the broker.

With --discovery, the database side instead: publisher services (pubsub-run service
processes, each on its own port of 127.0.0.1) register in the publisher table and come
and go, while a subscriber that lists no publishers follows the table. Services A and B
start and the subscriber finds and receives from both; C starts and is found; B is
stopped (it deletes its row) and A killed (its row goes stale and C removes it), and the
subscriber drops each; C's events keep arriving. A line per registration, discovery and
removal, then the tally per service. The database is the configured one (nb_db_class,
remote_db_hosts; only on 127.0.0.1, as the scene deletes rows it does not know); without one, a private etcd (on free ports of 127.0.0.1, its data in a
temporary folder removed at the end) when etcd is on PATH. The scene sets
publisher_timeout 2, publisher_rate_limit_timeout 0.5, publisher_rate_limit_count 1
and monitor_table_poll_time 0.5, so that it takes seconds, not minutes.

Options:
      --workers N       worker processes (default: the number of CPU cores)
      --seconds S       stop after S seconds (default: run until Ctrl-C)
      --rate R          events per second each worker (each service with
                        --discovery) publishes (default 1000; 200 with --discovery)
      --discovery       the database side: services come and go, a subscriber follows
  -c, --config FILE     config file to use
      --set key=value   override an option (repeatable)
      --log-level LEVEL trace, debug, info (default), warn, error, fatal or silent
                        (log_level)
      --debug           print stack traces on errors; implies --log-level debug
  -h, --help            show this help

Exit codes: 0 every event arrived in order (with --discovery: each exactly once, and
every step of the scene happened), 1 some were lost, duplicated or reordered, or a
step did not happen, 2 bad usage or config (with --discovery: no database configured
and no etcd on PATH).
`;

const DEMO_OPTIONS = {
  workers: { type: "string" },
  seconds: { type: "string" },
  rate: { type: "string" },
  discovery: { type: "boolean" },
} as const;

/** Events per second each service of the discovery scene is fed, unless --rate says otherwise. */
const DISCOVERY_RATE = 200;

/** How long the subscriber may take to reach the service before the demo gives up. */
const CONNECT_TIMEOUT_MS = 10_000;
/** How long the stopped workers' last events may take to arrive. */
const SETTLE_TIMEOUT_MS = 10_000;

/** Messages between the demo's primary process and its workers. */
type ToWorker = { stop: true };
type FromWorker = { sent: number; failed: number };

/** `pubsub-run demo`: service, workers and a counting subscriber, on one machine. */
export async function runDemo(args: readonly string[]): Promise<number> {
  const { values } = parseCommandArgs("demo", args, DEMO_OPTIONS);
  if (values.help === true) {
    process.stdout.write(DEMO_HELP);
    return 0;
  }
  if (values.discovery === true) {
    for (const flag of ["workers", "seconds"] as const) {
      if (values[flag] !== undefined) {
        throw new UsageError(`pubsub-run demo: --${flag}: not used with --discovery, whose scene has its own steps; leave it out`);
      }
    }
    const rate = values.rate === undefined ? DISCOVERY_RATE : whole("--rate", values.rate, 1);
    const source = { configPath: values.config, overrides: values.set ?? [] };
    return runDiscoveryDemo({ source, rate, flags: values });
  }
  const workers = values.workers === undefined ? availableParallelism() : whole("--workers", values.workers, 1);
  const seconds = values.seconds === undefined ? undefined : whole("--seconds", values.seconds, 1);
  const rate = values.rate === undefined ? 1000 : whole("--rate", values.rate, 1);
  const source = { configPath: values.config, overrides: values.set ?? [] };
  return cluster.isWorker ? runWorker(source, rate) : runPrimary(args, values, source, workers, seconds);
}

async function runPrimary(
  args: readonly string[],
  flags: CommonFlags,
  source: { configPath: string | undefined; overrides: string[] },
  workers: number,
  seconds: number | undefined,
): Promise<number> {
  const resolved = await resolveConfig(source);
  const logger = await createCliLogger({
    json: false,
    name: "pubsub-demo",
    debug: flags.debug,
    level: commandLogLevel(resolved.config, flags),
  });
  const service = await startService(resolved, logger);
  const tally = new DemoTally();
  let subscriber: SubscriberApi | undefined;
  try {
    const pubsub = await loadFromConfig({ resolved, publisher: false, logger });
    subscriber = pubsub.subscriber as SubscriberApi;
    const redact = pubsub.drivers.network?.redact ?? ((address: string) => address);
    const publishers = pubsub.config.publishers.map(redact);
    await connect(subscriber, tally, publishers);
    const up = service === undefined ? "workers publish straight to the broker" : "service up";
    logger.info({ workers, publishers }, `ready: ${up}, subscriber connected; forking ${workers} workers`);

    cluster.setupPrimary({ args: ["demo", ...args] });
    const forked = Array.from({ length: workers }, () => cluster.fork());
    const ticker = setInterval(() => process.stdout.write(tally.progressLine(isTerminal(process.stdout))), 1000);
    const why = await stopReason(seconds);
    clearInterval(ticker);
    logger.info({ why }, "stopping: workers flush and exit");
    const reports = await Promise.all(forked.map((worker) => stopWorker(worker)));
    forked.forEach((worker, index) => tally.setSent(worker.id, reports[index] ?? { sent: 0, failed: 0 }));
    await tally.settled(SETTLE_TIMEOUT_MS);
    process.stdout.write(`${isTerminal(process.stdout) ? "\n" : ""}${tally.summary()}\n`);
    return tally.complete ? 0 : 1;
  } finally {
    // The service first: a subscriber that leaves a running service is a lost connection to it.
    await service?.stop();
    await subscriber?.close();
  }
}

/**
 * Starts the publisher service the config asks for. With `pub_sub_use_multiproc: false`
 * there is none: that works with a driver that connects to a broker (its description
 * says so), where each worker publishes straight to it, but not with one every worker
 * would bind.
 */
async function startService(resolved: ResolvedConfig, logger: Logger): Promise<PublisherService | undefined> {
  if (resolved.config.pub_sub_use_multiproc) return (await loadPublisherService({ resolved, logger })).service;
  const { description } = await new DriverAgents(resolved, logger).driver("network");
  if (description.topology === "broker") return undefined;
  const origin = resolved.origins.get("pub_sub_use_multiproc") ?? "config";
  throw new ConfigError(
    `${origin}: pub_sub_use_multiproc is false, so every demo worker would bind ${description.address} itself; ` +
      "set pub_sub_use_multiproc=true, or use a driver that connects to a broker (such as redis_pubsub_driver)",
  );
}

/** Resolves on the first SIGINT/SIGTERM, or after `seconds`, with what it was. */
async function stopReason(seconds: number | undefined): Promise<string> {
  const signals = untilSignal(() => Promise.resolve());
  const timer = new AbortController();
  const reasons: Promise<string>[] = [signals.signalled];
  if (seconds !== undefined) reasons.push(delay(seconds * 1000, `${seconds}s elapsed`, { signal: timer.signal }));
  try {
    return await Promise.race(reasons);
  } finally {
    signals.dispose();
    timer.abort();
  }
}

/** Starts the subscriber and waits until the service's publisher greeted it. */
async function connect(subscriber: SubscriberApi, tally: DemoTally, publishers: readonly string[]): Promise<void> {
  let connected: () => void = () => undefined;
  const greeted = new Promise<void>((resolve) => (connected = resolve));
  if (isConnectionAware(subscriber)) subscriber.onConnected(() => connected());
  else connected();
  subscriber.initialize((table, key, action, value) => tally.take(table, action, value));
  await subscriber.daemonize();
  if ((await within(greeted, CONNECT_TIMEOUT_MS)) === EXPIRED) {
    throw new TransportError(
      `publishers: the subscriber reached none of ${publishers.join(", ")} in ${CONNECT_TIMEOUT_MS / 1000}s; make publishers name the service's address`,
    );
  }
}

/** Asks a worker to stop and flush; resolves with what it reported (nothing, if it died). */
function stopWorker(worker: ReturnType<typeof cluster.fork>): Promise<FromWorker> {
  return new Promise((resolve) => {
    let report: FromWorker = { sent: 0, failed: 0 };
    worker.on("message", (message: FromWorker) => {
      report = message;
    });
    worker.once("exit", () => resolve(report));
    const stop: ToWorker = { stop: true };
    worker.send(stop);
  });
}

/** A worker: publishes `rate` events a second through the multiproc driver until told to stop. */
async function runWorker(source: { configPath: string | undefined; overrides: string[] }, rate: number): Promise<number> {
  // The primary coordinates shutdown: a Ctrl-C reaches every process of the terminal.
  process.on("SIGINT", () => undefined);
  process.on("SIGTERM", () => undefined);
  const id = cluster.worker?.id ?? 0;
  const pubsub = await loadFromConfig({ ...source, subscriber: false });
  const publisher = pubsub.publisher as PublisherApi;
  let seq = 0;
  let failed = 0;
  const perTick = Math.max(1, Math.round(rate / 100));
  const timer = setInterval(() => {
    for (let i = 0; i < perTick; i += 1) {
      seq += 1;
      const value = { worker: id, seq, pid: process.pid };
      publisher.sendEvent({ table: "demo", key: `worker-${id}`, action: "set", value }).catch(() => {
        failed += 1;
      });
    }
  }, 10);
  await new Promise<void>((resolve) => {
    process.on("message", (message: unknown) => {
      if ((message as Partial<ToWorker> | null)?.stop === true) resolve();
    });
    process.once("disconnect", () => resolve());
  });
  clearInterval(timer);
  await pubsub.close();
  const report: FromWorker = { sent: seq, failed };
  if (process.connected) {
    await new Promise<void>((resolve) => process.send?.(report, undefined, undefined, () => resolve()));
    process.disconnect();
  }
  return 0;
}

function whole(flag: string, text: string, min: number): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < min) {
    throw new UsageError(`pubsub-run demo: ${flag}: must be a whole number >= ${min} (got ${JSON.stringify(text)})`);
  }
  return n;
}
