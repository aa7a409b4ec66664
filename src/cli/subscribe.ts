import { loadFromConfig } from "../loader/load.js";
import { resolveConfig } from "../loader/resolve-config.js";
import { UsageError } from "../errors.js";
import { hasStats, isConnectionAware, type SubscriberApi, type SubscriberStats, SYNC_ACTION } from "../contract.js";
import type { MetricsServer } from "../metrics/server.js";
import { commandLogLevel, parseCommandArgs } from "./args.js";
import { LineOutput } from "./line-output.js";
import { createCliLogger } from "./log.js";
import { METRICS_OPTION, metricsListen, serveMetrics } from "./metrics.js";
import { untilSignal } from "./signals.js";

export const SUBSCRIBE_HELP = `Usage: pubsub-run subscribe [--topic T]... [--publisher URI]... [--count N]
                           [--metrics HOST:PORT] [--log-level LEVEL]
                           [--config FILE] [--set key=value]... [--debug]

Connects to the publishers and prints each event as one JSON line on stdout:
{"table":...,"key":...,"action":...,"value":...,"topic":...}. A line with
"action":"sync" means events may have been missed (the connection was re-established,
or a publisher's sequence showed a gap). A line on stderr says when the subscriber is
ready; another, when it stops, gives its counters (delivered, syncs, gaps, missed,
duplicates, dropped, undecodable, callbackErrors).

Options:
      --topic T         topic to receive (repeatable; default: the config's topics, D)
      --publisher URI   publisher to connect to (repeatable; default: the config's
                        publishers, tcp://127.0.0.1:<publisher_port>)
      --count N         exit 0 after N events (sync notices are not counted)
      --metrics HOST:PORT
                        serve Prometheus metrics at http://HOST:PORT/metrics, and
                        /healthz (alive) and /readyz (a publisher greeted this
                        subscriber) (metrics_listen)
  -c, --config FILE     config file to use
      --set key=value   override an option (repeatable)
      --log-level LEVEL trace, debug, info (default), warn, error, fatal or silent
                        (log_level)
      --debug           print stack traces on errors; implies --log-level debug
  -h, --help            show this help

Stops cleanly on SIGINT or SIGTERM (exit 0); exits 1 when stdout fails (the reader
went away).
`;

/** `pubsub-run subscribe`: print events as JSON lines. */
export async function runSubscribe(args: readonly string[]): Promise<number> {
  const { values } = parseCommandArgs("subscribe", args, {
    topic: { type: "string", multiple: true },
    publisher: { type: "string", multiple: true },
    count: { type: "string" },
    ...METRICS_OPTION,
  });
  if (values.help === true) {
    process.stdout.write(SUBSCRIBE_HELP);
    return 0;
  }
  const count = values.count === undefined ? undefined : parseCount(values.count);
  const overrides: Record<string, unknown> = {};
  if (values.topic !== undefined) overrides["topics"] = values.topic;
  if (values.publisher !== undefined) overrides["publishers"] = values.publisher;

  let seen = 0;
  let finish: () => void = () => undefined;
  const done = new Promise<void>((resolve) => (finish = resolve));
  const out = new LineOutput(process.stdout);
  out.onFailed(() => finish());
  const resolved = await resolveConfig({
    configPath: values.config,
    overrides: [...(values.set ?? []), ...Object.entries(overrides).map(([k, v]) => `${k}=${JSON.stringify(v)}`)],
  });
  const metricsAt = metricsListen("subscribe", values.metrics, resolved);
  // Info by default: with discover_publishers, the publishers found and lost are worth a line each.
  const logger = await createCliLogger({
    json: false,
    name: "pubsub-subscribe",
    debug: values.debug,
    level: commandLogLevel(resolved.config, values),
  });
  const pubsub = await loadFromConfig({ resolved, publisher: false, logger });
  const subscriber = pubsub.subscriber as SubscriberApi;
  const redact = pubsub.drivers.network?.redact ?? ((address: string) => address);
  // Ready for /readyz once a publisher greeted it; a subscriber that cannot tell, once it runs.
  let greeted = false;
  if (isConnectionAware(subscriber)) {
    subscriber.onConnected((uri) => {
      greeted = true;
      process.stderr.write(`pubsub-run subscribe: connected to ${redact(uri)}\n`);
    });
  }
  let metrics: MetricsServer | undefined;
  if (metricsAt !== undefined) {
    const ready = isConnectionAware(subscriber) ? () => greeted : () => subscriber.isRunning;
    try {
      metrics = await serveMetrics(metricsAt, { subscriber }, ready, logger);
    } catch (err: unknown) {
      await pubsub.close();
      throw err;
    }
  }
  const closeAll = async (): Promise<void> => {
    greeted = false; // /readyz: 503 while closing
    await pubsub.close();
    await metrics?.close();
  };
  subscriber.initialize((table, key, action, value, topic) => {
    if (count !== undefined && seen >= count) return;
    out.write(`${eventLine({ table, key, action, value, topic })}\n`);
    if (action === SYNC_ACTION && table === null) return;
    seen += 1;
    if (count !== undefined && seen >= count) finish();
  });
  try {
    await subscriber.daemonize();
  } catch (err: unknown) {
    await closeAll();
    throw err;
  }
  const signals = untilSignal(closeAll, { debug: values.debug });
  const { config } = pubsub;
  process.stderr.write(
    `pubsub-run subscribe: ready; topics ${config.topics.join(", ")}; publishers ${config.publishers.map(redact).join(", ")}\n`,
  );
  await Promise.race([done, signals.signalled]);
  signals.dispose();
  await closeAll();
  if (hasStats(subscriber)) process.stderr.write(`pubsub-run subscribe: stopped; ${statsLine(subscriber.stats)}\n`);
  const failed = out.failed;
  if (failed === undefined) return 0;
  const code = (failed as NodeJS.ErrnoException).code ?? failed.message;
  process.stderr.write(`pubsub-run subscribe: stdout failed (${code}) after ${out.written} lines: the reader went away; stopped\n`);
  return 1;
}

/** The subscriber's counters as the last stderr line shows them: `delivered 10, syncs 1, gaps 1, missed 3, ...`. */
function statsLine(stats: SubscriberStats): string {
  const { delivered, syncs, gaps, missed, duplicates, dropped, undecodable, callbackErrors } = stats;
  return Object.entries({ delivered, syncs, gaps, missed, duplicates, dropped, undecodable, callbackErrors })
    .map(([name, value]) => `${name} ${value}`)
    .join(", ");
}

/** One event as a JSON line; integers too big for a double (BigInt) are written as strings. */
function eventLine(event: Record<string, unknown>): string {
  return JSON.stringify(event, (_key, value: unknown) => (typeof value === "bigint" ? value.toString() : value));
}

function parseCount(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) {
    throw new UsageError(`pubsub-run subscribe: --count: must be a whole number >= 1 (got ${JSON.stringify(text)})`);
  }
  return n;
}
