import type { DriverRole, PublisherApi, SubscriberApi } from "../agents/api.js";
import { SEND_ALL_TOPIC, type EventCallback } from "../agents/event.js";
import { createStderrLogger, type Logger } from "../logger.js";
import type { PubSubConfig } from "./config.js";
import { DriverAgents } from "./driver-agents.js";
import { withOrigin } from "./origin.js";
import { resolveConfig, type ResolveConfigOptions } from "./resolve-config.js";

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

  const agents = new DriverAgents(resolved, logger);

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
      publisher = await agents.publisher(publisherRole);
      await publisher.initialize();
    }
    if (wantSubscriber) {
      subscriber = await agents.subscriber("network");
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
    throw withOrigin(err, resolved.origins);
  }

  return { config, filepath: resolved.filepath, publisher, subscriber, close };
}
