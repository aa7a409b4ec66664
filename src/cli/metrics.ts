import type { Logger } from "../contract.js";
import { ConfigError, errorMessages, UsageError } from "../errors.js";
import type { ResolvedConfig } from "../loader/resolve-config.js";
import { originOf } from "../loader/validate.js";
import { parseListenAddress, type ListenAddress } from "../metrics/listen.js";
import { createMetricsRegistry, type MetricsSources } from "../metrics/registry.js";
import { startMetricsServer, type MetricsServer } from "../metrics/server.js";

/** The `--metrics HOST:PORT` flag of `service` and `subscribe`. */
export const METRICS_OPTION = { metrics: { type: "string" } } as const;

/** Where to serve metrics, and the flag or option that said so; undefined when neither asks. */
export interface MetricsListen {
  listen: ListenAddress;
  option: string;
}

/**
 * The metrics address: `--metrics` when given, else the config's `metrics_listen`
 * (empty: none).
 *
 * @throws {@link UsageError} for a bad `--metrics`; {@link ConfigError} for a bad `metrics_listen`.
 */
export function metricsListen(command: string, flag: string | undefined, resolved: ResolvedConfig): MetricsListen | undefined {
  if (flag !== undefined) {
    const parsed = parseListenAddress(flag);
    if (typeof parsed === "string") throw new UsageError(`pubsub-run ${command}: --metrics: ${parsed}`);
    return { listen: parsed, option: "--metrics" };
  }
  const text = resolved.config.metrics_listen;
  if (text === "") return undefined;
  const origin = originOf(resolved.origins, ["metrics_listen"]) ?? "config";
  const parsed = parseListenAddress(text);
  if (typeof parsed === "string") {
    throw new ConfigError(errorMessages.badOption(origin, "metrics_listen", parsed.replace(/ \(got .*\)$/, ""), JSON.stringify(text)), {
      option: "metrics_listen",
    });
  }
  return { listen: parsed, option: `${origin}: metrics_listen` };
}

/** Starts the metrics listener of a command: `/metrics` from `sources`, `/healthz`, `/readyz` from `ready`. */
export async function serveMetrics(
  where: MetricsListen,
  sources: MetricsSources,
  ready: () => boolean,
  logger: Logger,
): Promise<MetricsServer> {
  const registry = createMetricsRegistry(sources);
  const server = await startMetricsServer({ listen: where.listen, registry, ready, option: where.option, logger });
  logger.info({ metrics: `http://${server.address}` }, `metrics: http://${server.address}/metrics (also /healthz, /readyz)`);
  return server;
}
