import { createPublisherService, type LoadedService } from "../loader/load-service.js";
import { resolveConfig } from "../loader/resolve-config.js";
import type { PublisherService } from "../agents/publisher-service.js";
import type { DriverDescription, Logger } from "../contract.js";
import { UsageError } from "../errors.js";
import type { MetricsServer } from "../metrics/server.js";
import { commandLogLevel, flagLogLevel, parseCommandArgs } from "./args.js";
import { createCliLogger } from "./log.js";
import { METRICS_OPTION, metricsListen, serveMetrics } from "./metrics.js";
import { untilSignal } from "./signals.js";
import { StatsLog } from "./stats-log.js";

export const SERVICE_HELP = `Usage: pubsub-run service [--json] [--stats SECONDS] [--wait-subscribers N]
                         [--metrics HOST:PORT] [--log-level LEVEL]
                         [--config FILE] [--set key=value]... [--debug]

Runs the publisher service, one per host: it takes the events every worker process
publishes into publisher_multiproc_socket (the multiproc driver) and publishes them to
the network (pub_sub_driver, on publisher_transport://publisher_bind_address:publisher_port).
Needs pub_sub_use_multiproc: true; with false, publishers send straight to the network
and no service is needed.

Logs go to stderr: readable lines on a terminal, JSON lines with --json. One line with
the word "ready" and the addresses bound says the service is up.

Options:
      --json            log JSON lines (pino's format)
      --stats SECONDS   log the relayed and dropped counters every SECONDS seconds
                        when one of them moved (they are also logged on SIGUSR2
                        and when the service stops)
      --wait-subscribers N
                        take nothing from the workers until N subscribers of this
                        project are connected (their events wait in the workers'
                        queues meanwhile); default 0
      --metrics HOST:PORT
                        serve Prometheus metrics at http://HOST:PORT/metrics, and
                        /healthz (alive) and /readyz (relaying) (metrics_listen)
      --log-level LEVEL trace, debug, info (default), warn, error, fatal or silent
                        (log_level)
  -c, --config FILE     config file to use
      --set key=value   override an option (repeatable)
      --debug           print stack traces (of errors, and in log lines); implies --log-level debug
  -h, --help            show this help

SIGINT or SIGTERM: stop accepting, relay what was received, close both sockets,
remove the socket file, exit 0. SIGHUP: read zmq.curve.allowed_subscribers again
(connections already accepted stay; on an error the list in use is kept).

Exit codes: 0 stopped by a signal, 1 runtime failure or stopped after the network's
transport lost relayed events (a broker that never confirmed them; counted in lost),
2 bad config or a start-up error (port in use, socket path not writable,
unsupported transport).
`;

/** `pubsub-run service`: the publisher service, until SIGINT or SIGTERM. */
export async function runService(args: readonly string[]): Promise<number> {
  const { values } = parseCommandArgs("service", args, {
    json: { type: "boolean" },
    stats: { type: "string" },
    "wait-subscribers": { type: "string" },
    ...METRICS_OPTION,
  });
  if (values.help === true) {
    process.stdout.write(SERVICE_HELP);
    return 0;
  }
  const statsEvery = values.stats === undefined ? undefined : parseSeconds(values.stats);
  const waitForSubscribers = values["wait-subscribers"] === undefined ? 0 : parseCount(values["wait-subscribers"]);
  // The level of the flags until the config is read, then the config's (log_level).
  const logger = await createCliLogger({
    json: values.json === true,
    name: "pubsub-service",
    debug: values.debug,
    level: flagLogLevel(values),
  });
  // Signals are handled from the start: one during start-up stops what was set up so far.
  let service: PublisherService | undefined;
  let network: DriverDescription | undefined;
  let metrics: MetricsServer | undefined;
  let ready = false;
  const signals = untilSignal(
    async () => {
      ready = false; // /readyz: 503 while stopping
      logger.info({}, "stopping: relaying what was received, then closing");
      await service?.stop();
      await metrics?.close();
    },
    { debug: values.debug },
  );
  const startUp = async (): Promise<PublisherService | undefined> => {
    const resolved = await resolveConfig({ configPath: values.config, overrides: values.set ?? [] });
    logger.level = commandLogLevel(resolved.config, values);
    logger.debug({ file: resolved.filepath, logLevel: logger.level }, `config read from ${resolved.filepath ?? "defaults"}`);
    const metricsAt = metricsListen("service", values.metrics, resolved);
    const loaded = await createPublisherService({ resolved, logger, waitForSubscribers });
    service = loaded.service;
    network = loaded.drivers.network;
    if (signals.received !== undefined) {
      await loaded.service.stop(); // the signal came while the config and drivers loaded
      return undefined;
    }
    if (metricsAt !== undefined) {
      try {
        metrics = await serveMetrics(metricsAt, { service: loaded.service }, () => ready, logger);
      } catch (err: unknown) {
        await loaded.service.stop().catch(() => undefined);
        throw err;
      }
    }
    const addresses = serviceAddresses(loaded);
    if (waitForSubscribers > 0) {
      logger.info({ network: addresses.network, waitForSubscribers }, `waiting for ${waitForSubscribers} subscribers before taking events`);
    }
    if (!(await loaded.service.start())) return undefined;
    ready = true;
    logger.info(addresses, `ready: relaying ${addresses.inbox} -> ${addresses.network}`);
    // After "ready", so a start-up error stays the one line; at info level for now, as the
    // service's log tests count every warning line.
    for (const warning of loaded.drivers.network.warnings ?? []) logger.info({}, `warning: ${warning}`);
    return loaded.service;
  };
  let running: PublisherService | undefined;
  try {
    running = await Promise.race([startUp(), signals.signalled.then(() => undefined)]);
  } catch (err: unknown) {
    signals.dispose();
    await metrics?.close();
    throw err;
  }
  if (running === undefined) {
    const signal = await signals.signalled;
    signals.dispose();
    logger.info({ ...(service === undefined ? {} : statsFields(service)), signal }, "stopped during start-up");
    return 0;
  }

  const stats = new StatsLog(logger, () => statsFields(running));
  const onUsr2 = (): void => stats.log("SIGUSR2");
  process.on("SIGUSR2", onUsr2);
  const onHup = (): void => reloadDriverFiles(network, logger);
  process.on("SIGHUP", onHup);
  const timer = statsEvery === undefined ? undefined : setInterval(() => stats.logIfMoved(`every ${statsEvery}s`), statsEvery * 1000);
  const signal = await signals.signalled;
  signals.dispose();
  clearInterval(timer);
  process.off("SIGUSR2", onUsr2);
  process.off("SIGHUP", onHup);
  const lost = running.stats.lost ?? 0;
  if (lost > 0) {
    logger.error(
      { ...statsFields(running), signal },
      `stopped; ${lost} relayed events were lost by the network's transport (lost), exit 1`,
    );
    return 1;
  }
  logger.info({ ...statsFields(running), signal }, "stopped");
  return 0;
}

/** Where the service listens and sends, as the drivers describe it (a broker driver binds nothing: it sends to the broker). */
function serviceAddresses(loaded: LoadedService): { inbox: string; network: string } {
  return { inbox: loaded.drivers.multiproc.address, network: loaded.drivers.network.address };
}

/** SIGHUP: the network driver reads again what it reads from files (the CurveZMQ allow-list), when it can. */
function reloadDriverFiles(network: DriverDescription | undefined, logger: Logger): void {
  if (network?.reload === undefined) {
    logger.info({}, "SIGHUP: nothing to reload");
    return;
  }
  try {
    const reloaded = network.reload();
    if (reloaded.length === 0) logger.info({}, "SIGHUP: nothing to reload");
    for (const { option, entries } of reloaded) logger.info({ option, entries }, `SIGHUP: reloaded ${option}: ${entries} entries`);
  } catch (err: unknown) {
    logger.error({ err }, "SIGHUP: could not reload; what was loaded before is kept");
  }
}

function statsFields(service: PublisherService): Record<string, unknown> {
  const { relayed, failed, queued, lost, inbox, raw, queueOverflows, subscriptionResets, connections } = service.stats;
  return {
    relayed,
    failed,
    queued,
    ...(lost === undefined ? {} : { lost }),
    undecodable: inbox?.undecodable ?? 0,
    dropped: (inbox?.dropped ?? 0) + failed,
    ...(queueOverflows === undefined ? {} : { queueOverflows }),
    ...(subscriptionResets === undefined ? {} : { subscriptionResets }),
    ...(connections === undefined ? {} : { connections }),
    raw,
  };
}

function parseCount(text: string): number {
  const count = Number(text);
  if (!Number.isInteger(count) || count < 0) {
    throw new UsageError(`pubsub-run service: --wait-subscribers: must be a whole number >= 0 (got ${JSON.stringify(text)})`);
  }
  return count;
}

function parseSeconds(text: string): number {
  const seconds = Number(text);
  if (!Number.isFinite(seconds) || seconds <= 0) {
    throw new UsageError(`pubsub-run service: --stats: must be a number of seconds > 0 (got ${JSON.stringify(text)})`);
  }
  return seconds;
}
