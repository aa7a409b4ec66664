import {
  type DriverDescription,
  type DriverRole,
  type EventCallback,
  type EventHandler,
  type EventsOptions,
  isIterable,
  type Logger,
  type PubSubConfig,
  type PublisherApi,
  SEND_ALL_TOPIC,
  type SubscriberApi,
  type SubscriberEvent,
  type TableMap,
} from "../contract.js";
import { ConfigError, StateError } from "../errors.js";
import { createLogger } from "../logger.js";
import { PublisherDiscovery, withDiscovery } from "../registry/publisher-discovery.js";
import { createDatabase } from "./database.js";
import { DriverAgents } from "./driver-agents.js";
import { withOrigin } from "./origin.js";
import type { Origins } from "./validate.js";
import { resolveConfig, type ResolveConfigOptions, type ResolvedConfig } from "./resolve-config.js";

/** Options of {@link loadFromConfig}: where the config is, and what to build from it. */
export interface LoadOptions<T extends object = TableMap> extends ResolveConfigOptions {
  /**
   * A config already resolved with `resolveConfig()`: used as it is, instead of
   * finding and resolving one from the other options.
   */
  resolved?: ResolvedConfig | undefined;
  /**
   * When given, the subscriber is initialised with this callback (positional, as
   * Dragonflow's) or handler object (`{ onEvent(event) }`) and started (`daemonize()`),
   * with the config's `subscriber_concurrency` and `subscriber_queue_size`; otherwise it
   * is returned registered but not started.
   */
  onEvent?: EventCallback | EventHandler<T> | undefined;
  /**
   * Aborting it while loading rejects with the signal's reason (what was built is
   * closed); aborting it later closes the agents, as {@link LoadedPubSub.close} does.
   */
  signal?: AbortSignal | undefined;
  /** Build a publisher. Default true. A node that only listens passes false. */
  publisher?: boolean | undefined;
  /** Build a subscriber. Default true. A process that only publishes passes false. */
  subscriber?: boolean | undefined;
  /** Where drivers and agents log. Default: JSON lines on stderr (pino), at the config's `log_level`. */
  logger?: Logger | undefined;
}

/**
 * What {@link loadFromConfig} returns: ready agents, the effective config, one `close()`
 * (also as `await using pubsub = await loadFromConfig()`).
 */
export interface LoadedPubSub<T extends object = TableMap> extends AsyncDisposable {
  /**
   * The effective, validated config. `publishers` is filled in: when the config names
   * none, with the network driver's default listen addresses (none with
   * `discover_publishers`: the publisher table lists them).
   */
  config: PubSubConfig & { readonly publishers: string[] };
  /** The config file used, or null when defaults applied. */
  filepath: string | null;
  /** What the drivers in use say about themselves, by role (only the roles loaded). */
  drivers: Readonly<Partial<Record<DriverRole, DriverDescription>>>;
  /**
   * The initialised publisher: from the multiproc driver when `pub_sub_use_multiproc`
   * is true (through the publisher service), else from the network driver. Null when
   * `publisher: false` was passed.
   */
  publisher: PublisherApi<T> | null;
  /**
   * The subscriber from the network driver, registered to exactly the configured
   * `topics` and `publishers`; started when `onEvent` was given. With
   * `discover_publishers`, it also connects to every publisher the `publisher` table
   * lists when it starts, and follows the table while it runs. Null when
   * `subscriber: false`.
   */
  subscriber: SubscriberApi<T> | null;
  /**
   * The subscriber's events for `for await`, started on the first `next()` (see
   * `SubscriberAgentBase.events()`); ending the loop closes the subscriber.
   *
   * @throws {@link StateError} when there is no subscriber (`subscriber: false`), it
   *   was started with `onEvent`, or its driver's subscriber cannot iterate.
   */
  events(options?: EventsOptions): AsyncIterableIterator<SubscriberEvent<T>>;
  /** Closes the publisher (flushing it) and the subscriber. Safe to call twice. */
  close(): Promise<void>;
}

/**
 * Finds and validates the config, imports the drivers it names and returns ready
 * agents. Errors are coded {@link PubSubError}s whose one-line message names the file,
 * the option and the fix.
 *
 * @example
 * ```ts
 * import { loadFromConfig } from "pubsub-run";
 *
 * const pubsub = await loadFromConfig({
 *   onEvent: (table, key, action, value, topic) => console.log(table, key, action, topic),
 * });
 * await pubsub.publisher?.sendEvent({ table: "lport", key: "p1", action: "create", value: "{}" });
 * await pubsub.close();
 *
 * // Typed tables, iteration, cancellation:
 * await using typed = await loadFromConfig<{ lport: Port }>({ signal });
 * for await (const event of typed.events({ signal })) {
 *   if (event.table === "lport") console.log(event.value.mac); // value: Port
 * }
 * ```
 */
export async function loadFromConfig<T extends object = TableMap>(options: LoadOptions<T> = {}): Promise<LoadedPubSub<T>> {
  const { signal } = options;
  signal?.throwIfAborted();
  const resolved = options.resolved ?? (await resolveConfig(options));
  const { config } = resolved;
  const logger = options.logger ?? createLogger({ level: config.log_level });
  for (const warning of resolved.warnings) logger.warn({}, warning);
  const wantPublisher = options.publisher ?? true;
  const wantSubscriber = options.subscriber ?? true;
  const publisherRole: DriverRole = config.pub_sub_use_multiproc ? "multiproc" : "network";

  const agents = new DriverAgents(resolved, logger);

  let publisher: PublisherApi | null = null;
  let subscriber: SubscriberApi | null = null;
  let closed = false;
  const onAbort = (): void => void close().catch((err: unknown) => logger.error({ err }, "closing on abort failed"));
  const close = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    signal?.removeEventListener("abort", onAbort);
    const results = await Promise.allSettled([publisher?.close(), subscriber?.close()]);
    const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
    if (failed !== undefined) throw failed.reason;
  };

  const drivers: Partial<Record<DriverRole, DriverDescription>> = {};
  let publishers: string[] = config.publishers ?? [];
  signal?.addEventListener("abort", onAbort, { once: true });
  try {
    signal?.throwIfAborted();
    if (wantPublisher) {
      drivers[publisherRole] = (await agents.driver(publisherRole)).description;
      publisher = await agents.publisher(publisherRole);
      await publisher.initialize();
    }
    if (wantSubscriber) {
      subscriber = await agents.subscriber("network");
      const network = (await agents.driver("network")).description;
      drivers.network = network;
      // With discovery the publisher table lists the publishers; `publishers` only adds to it.
      publishers = config.discover_publishers ? (config.publishers ?? []) : listenAddresses(config, network, resolved.origins);
      // Exactly the configured topics: a subscriber starts with "D", which a config may leave out.
      if (!config.topics.includes(SEND_ALL_TOPIC)) subscriber.unregisterTopic(SEND_ALL_TOPIC);
      for (const topic of config.topics) subscriber.registerTopic(topic);
      for (const uri of publishers) subscriber.registerListenAddress(uri);
      if (config.discover_publishers) {
        const db = await createDatabase(resolved, logger, "discover_publishers");
        const discovery = new PublisherDiscovery(db, subscriber, {
          staticAddresses: publishers,
          timeoutMs: config.publisher_timeout * 1000,
          pollMs: config.monitor_table_poll_time * 1000,
          logger,
        });
        subscriber = withDiscovery(subscriber, discovery);
      }
      if (options.onEvent !== undefined) {
        subscriber.initialize(options.onEvent as EventCallback | EventHandler, {
          concurrency: config.subscriber_concurrency,
          queueSize: config.subscriber_queue_size,
        });
        await subscriber.daemonize();
      }
    }
    signal?.throwIfAborted();
  } catch (err: unknown) {
    await close().catch(() => undefined);
    throw signal?.aborted === true ? signal.reason : withOrigin(err, resolved.origins);
  }

  const events = (eventsOptions: EventsOptions = {}): AsyncIterableIterator<SubscriberEvent<T>> => {
    if (subscriber === null) throw new StateError("events(): loadFromConfig() was called with subscriber: false");
    if (options.onEvent !== undefined)
      throw new StateError("events(): the subscriber was started with onEvent; leave onEvent out to iterate");
    if (!isIterable(subscriber)) {
      throw new StateError(
        `events(): the subscriber of pub_sub_driver '${config.pub_sub_driver}' cannot iterate; build it on SubscriberAgentBase`,
      );
    }
    return subscriber.events({ queueSize: config.subscriber_queue_size, ...eventsOptions }) as AsyncIterableIterator<SubscriberEvent<T>>;
  };

  return {
    config: Object.freeze({ ...config, publishers }),
    filepath: resolved.filepath,
    drivers,
    publisher: publisher as PublisherApi<T> | null,
    subscriber: subscriber as SubscriberApi<T> | null,
    events,
    close,
    [Symbol.asyncDispose]: close,
  };
}

/**
 * The addresses a subscriber listens at: `publishers` when the config names them, else
 * the network driver's default listen addresses.
 *
 * @throws {@link ConfigError} when there are neither.
 */
export function listenAddresses(config: PubSubConfig, network: DriverDescription, origins: Origins): string[] {
  if (config.publishers !== undefined) return config.publishers;
  if (network.listenAddresses.length > 0) return [...network.listenAddresses];
  const origin = origins.get("pub_sub_driver") ?? "config";
  throw new ConfigError(
    `${origin}: publishers: not set, and pub_sub_driver '${config.pub_sub_driver}' names no default listen address; set publishers to the addresses its subscribers connect to`,
  );
}
