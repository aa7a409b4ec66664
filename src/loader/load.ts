import type { DriverRole, PubSubApi, PublisherApi, SubscriberApi } from "../agents/api.js";
import { SEND_ALL_TOPIC, type EventCallback } from "../agents/event.js";
import { createStderrLogger, type Logger } from "../logger.js";
import type { PubSubConfig } from "./config.js";
import { DriverShapeError } from "../errors.js";
import { loadDriverModule, type LoadedDriverModule } from "./driver-for-role.js";
import { createDriver } from "./import-driver.js";
import { resolveConfig, type ResolveConfigOptions } from "./resolve-config.js";
import { missingMethods } from "./shape.js";

const PUBLISHER_METHODS = Object.freeze(["initialize", "sendEvent", "close"]);
const SUBSCRIBER_METHODS = Object.freeze([
  "initialize",
  "registerListenAddress",
  "unregisterListenAddress",
  "registerTopic",
  "unregisterTopic",
  "daemonize",
  "close",
]);

interface CreatedDriver {
  mod: LoadedDriverModule;
  api: PubSubApi;
}

/** Checks an agent a driver returned has every method of the contract. */
function checkAgent<T>(agent: unknown, getter: string, methods: readonly string[], mod: LoadedDriverModule): T {
  const missing = missingMethods(agent, methods);
  if (missing.length > 0) {
    const what = typeof agent === "object" && agent !== null ? `an object without ${missing.join(", ")}` : String(agent);
    throw new DriverShapeError(`${mod.lookup.label}: ${getter}() of '${mod.resolved.specifier}' returned ${what}`);
  }
  return agent as T;
}

/** Options of {@link loadFromConfig}: where the config is, and what to build from it. */
export interface LoadOptions extends ResolveConfigOptions {
  /**
   * When given, the subscriber is initialised with this callback and started
   * (`daemonize()`); otherwise it is returned registered but not started.
   */
  onEvent?: EventCallback | undefined;
  /** Build a publisher. Default true. A node that only listens passes false. */
  publisher?: boolean | undefined;
  /** Build a subscriber. Default true. A process that only publishes passes false. */
  subscriber?: boolean | undefined;
  /** Where drivers and agents log. Default: stderr, warnings and up. */
  logger?: Logger | undefined;
}

/** What {@link loadFromConfig} returns: ready agents, the effective config, one `close()`. */
export interface LoadedPubSub {
  /** The effective, validated config. */
  config: PubSubConfig;
  /** The config file used, or null when defaults applied. */
  filepath: string | null;
  /**
   * The initialised publisher: from the multiproc driver when `pub_sub_use_multiproc`
   * is true (through the publisher service), else from the network driver. Null when
   * `publisher: false` was passed.
   */
  publisher: PublisherApi | null;
  /**
   * The subscriber from the network driver, registered to exactly the configured
   * `topics` and `publishers`; started when `onEvent` was given. Null when
   * `subscriber: false`.
   */
  subscriber: SubscriberApi | null;
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
 * import { loadFromConfig } from "pubsub";
 *
 * const pubsub = await loadFromConfig({
 *   onEvent: (table, key, action, value, topic) => console.log(table, key, action, topic),
 * });
 * await pubsub.publisher?.sendEvent({ table: "lport", key: "p1", action: "create", value: "{}" });
 * await pubsub.close();
 * ```
 */
export async function loadFromConfig(options: LoadOptions = {}): Promise<LoadedPubSub> {
  const resolved = await resolveConfig(options);
  const { config } = resolved;
  const logger = options.logger ?? createStderrLogger();
  const wantPublisher = options.publisher ?? true;
  const wantSubscriber = options.subscriber ?? true;
  const publisherRole: DriverRole = config.pub_sub_use_multiproc ? "multiproc" : "network";

  const drivers = new Map<DriverRole, Promise<CreatedDriver>>();
  const driver = (role: DriverRole): Promise<CreatedDriver> => {
    let pending = drivers.get(role);
    if (pending === undefined) {
      pending = loadDriverModule(resolved, role).then(async (mod) => ({
        mod,
        api: await createDriver(mod.factory, mod.resolved, mod.lookup, config, { role, logger }),
      }));
      drivers.set(role, pending);
    }
    return pending;
  };

  let publisher: PublisherApi | null = null;
  let subscriber: SubscriberApi | null = null;
  let closed = false;
  const close = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    const results = await Promise.allSettled([publisher?.close(), subscriber?.close()]);
    const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
    if (failed !== undefined) throw failed.reason;
  };

  try {
    if (wantPublisher) {
      const { mod, api } = await driver(publisherRole);
      publisher = checkAgent<PublisherApi>(api.getPublisher(), "getPublisher", PUBLISHER_METHODS, mod);
      await publisher.initialize();
    }
    if (wantSubscriber) {
      const { mod, api } = await driver("network");
      subscriber = checkAgent<SubscriberApi>(api.getSubscriber(), "getSubscriber", SUBSCRIBER_METHODS, mod);
      // Exactly the configured topics: a subscriber starts with "D", which a config may leave out.
      if (!config.topics.includes(SEND_ALL_TOPIC)) subscriber.unregisterTopic(SEND_ALL_TOPIC);
      for (const topic of config.topics) subscriber.registerTopic(topic);
      for (const uri of config.publishers) subscriber.registerListenAddress(uri);
      if (options.onEvent !== undefined) {
        subscriber.initialize(options.onEvent);
        await subscriber.daemonize();
      }
    }
  } catch (err: unknown) {
    await close().catch(() => undefined);
    throw err;
  }

  return { config, filepath: resolved.filepath, publisher, subscriber, close };
}
