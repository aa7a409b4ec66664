import { PublisherService, type PublisherServiceOptions } from "../agents/publisher-service.js";
import { ConfigError } from "../errors.js";
import { createLogger } from "../logger.js";
import type { DriverDescription, DriverRole, Logger, PubSubConfig } from "../contract.js";
import { registeredUri, ServiceDatabase } from "../registry/service-database.js";
import { createDatabase } from "./database.js";
import { DriverAgents } from "./driver-agents.js";
import { explainingOrigin } from "./origin.js";
import { resolveConfig, type ResolveConfigOptions, type ResolvedConfig } from "./resolve-config.js";
import type { Origins } from "./validate.js";

/** Options of {@link loadPublisherService}. */
export interface LoadServiceOptions extends ResolveConfigOptions, Pick<PublisherServiceOptions, "drainTimeoutMs" | "waitForSubscribers"> {
  /** A config already resolved with `resolveConfig()`: used as it is, instead of finding one. */
  resolved?: ResolvedConfig | undefined;
  /** Where the drivers and the service log. Default: JSON lines on stderr (pino), at the config's `log_level`. */
  logger?: Logger | undefined;
}

/** What {@link loadPublisherService} returns: the running service and where it listens. */
export interface LoadedService {
  /** The effective, validated config. */
  config: PubSubConfig;
  /**
   * What the two drivers say about themselves: `multiproc`, the inbox the workers
   * publish into; `network`, where the service publishes.
   */
  drivers: Readonly<Record<DriverRole, DriverDescription>>;
  /** The config file used, or null when defaults applied. */
  filepath: string | null;
  /** The service: running when {@link loadPublisherService} returns it; `stop()` it. */
  service: PublisherService;
}

/**
 * Starts the publisher service the config describes: the multiproc driver's subscriber
 * (bound to `publisher_multiproc_socket`) relays into the network driver's publisher
 * (bound to `publisher_transport://publisher_bind_address:publisher_port`).
 *
 * @throws {@link ConfigError} when `pub_sub_use_multiproc` is false (publishers then
 * send straight to the network and no service is needed); the drivers' errors (port in
 * use, socket path not writable, unsupported transport), led by where the option's
 * value came from (`pubsub.config.yaml: publisher_port: cannot bind ...`).
 *
 * @example
 * ```ts
 * const { service } = await loadPublisherService({ configPath: "pubsub.config.yaml" });
 * process.once("SIGTERM", () => void service.stop());
 * ```
 */
export async function loadPublisherService(options: LoadServiceOptions = {}): Promise<LoadedService> {
  const loaded = await createPublisherService(options);
  await loaded.service.start();
  return loaded;
}

/**
 * Like {@link loadPublisherService}, without starting the service: install signal
 * handlers that call `service.stop()`, then `await service.start()`. The errors of
 * `start()` are led by their option's origin too.
 */
export async function createPublisherService(options: LoadServiceOptions = {}): Promise<LoadedService> {
  const resolved = options.resolved ?? (await resolveConfig(options));
  const { config } = resolved;
  if (!config.pub_sub_use_multiproc) {
    const origin = resolved.origins.get("pub_sub_use_multiproc") ?? "config";
    throw new ConfigError(
      `${origin}: pub_sub_use_multiproc is false: publishers send straight to the network, so no publisher service is needed; set pub_sub_use_multiproc=true to run one`,
    );
  }
  const logger = options.logger ?? createLogger({ level: config.log_level });
  const agents = new DriverAgents(resolved, logger);
  const inbox = await agents.subscriber("multiproc");
  const outbox = await agents.publisher("network");
  const network = (await agents.driver("network")).description;
  let database: ServiceDatabase | undefined;
  if (config.nb_db_class !== "") {
    checkRefreshPeriod(resolved);
    const db = await createDatabase(resolved, logger, "nb_db_class");
    const uri = network.topology === "bind" ? registeredUri(config) : (network.listenAddresses[0] ?? network.address);
    database = new ServiceDatabase(db, config, uri, (event) => outbox.sendEvent(event), logger);
  }
  const service = new ConfiguredPublisherService(resolved.origins, database, inbox, outbox, {
    logger,
    ...(options.drainTimeoutMs === undefined ? {} : { drainTimeoutMs: options.drainTimeoutMs }),
    ...(options.waitForSubscribers === undefined ? {} : { waitForSubscribers: options.waitForSubscribers }),
  });
  const drivers = { multiproc: (await agents.driver("multiproc")).description, network };
  return { config, filepath: resolved.filepath, drivers, service };
}

/**
 * The service refreshes its row every `publisher_rate_limit_timeout /
 * publisher_rate_limit_count` seconds: that must be shorter than `publisher_timeout`, or
 * the other services remove an idle, live one as stale.
 */
function checkRefreshPeriod({ config, origins }: ResolvedConfig): void {
  const refresh = config.publisher_rate_limit_timeout / config.publisher_rate_limit_count;
  if (refresh < config.publisher_timeout) return;
  const origin = origins.get("publisher_rate_limit_timeout") ?? origins.get("publisher_timeout") ?? "config";
  throw new ConfigError(
    `${origin}: publisher_rate_limit_timeout / publisher_rate_limit_count (${refresh} s) must be shorter than publisher_timeout (${config.publisher_timeout} s), or an idle service is removed as stale; lower publisher_rate_limit_timeout or raise publisher_timeout`,
    { option: "publisher_rate_limit_timeout" },
  );
}

/**
 * The service as the config built it: a driver's error on start names where its option
 * came from; with `nb_db_class`, it registers in the `publisher` table and runs the
 * table monitors once relaying works, and leaves the table before it stops relaying.
 */
class ConfiguredPublisherService extends PublisherService {
  readonly #origins: Origins;
  readonly #database: ServiceDatabase | undefined;

  constructor(origins: Origins, database: ServiceDatabase | undefined, ...args: ConstructorParameters<typeof PublisherService>) {
    super(...args);
    this.#origins = origins;
    this.#database = database;
  }

  override start(): Promise<boolean> {
    return explainingOrigin(this.#origins, async () => {
      const started = await super.start();
      if (started && this.#database !== undefined) {
        try {
          await this.#database.start();
        } catch (err: unknown) {
          await super.stop();
          throw err;
        }
      }
      return started;
    });
  }

  override async stop(): Promise<void> {
    await this.#database?.stop();
    await super.stop();
  }
}
