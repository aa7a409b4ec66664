/**
 * pubsub: pluggable publish-subscribe infrastructure for Node.js.
 *
 * @packageDocumentation
 */
export { loadFromConfig, type LoadOptions, type LoadedPubSub } from "./loader/load.js";
export { createPublisherService, loadPublisherService, type LoadServiceOptions, type LoadedService } from "./loader/service.js";
export { resolveConfig, type ResolveConfigOptions, type ResolvedConfig } from "./loader/resolve-config.js";
export type { PubSubConfig, PubSubOptions } from "./loader/config.js";
export { configSchema, optionNames } from "./loader/schema.js";
export { BUILTIN_DRIVERS } from "./loader/registry.js";
export { SEARCH_PLACES } from "./loader/find.js";
export { envVarName, ENV_PREFIX } from "./loader/layers.js";
export type {
  DriverContext,
  DriverFactory,
  DriverRole,
  ConnectionAwareSubscriber,
  DrainableSubscriber,
  PubSubApi,
  PublisherApi,
  SubscriptionAwarePublisher,
  SubscriberApi,
} from "./agents/api.js";
export { PublisherService, type PublisherServiceOptions, type PublisherServiceStats } from "./agents/publisher-service.js";
export { PublisherAgentBase, type PublisherAgentOptions } from "./agents/publisher-base.js";
export { SubscriberAgentBase, type SubscriberAgentOptions, type SubscriberStats } from "./agents/subscriber-base.js";
export { SEND_ALL_TOPIC, SYNC_ACTION, resolveTopic, type EventCallback, type PubSubEvent } from "./agents/event.js";
export { createStderrLogger, type Logger, type LogLevel } from "./logger.js";
export * from "./errors.js";
export { encodeEvent, decodeEvent, decodeEvents, encodeBatch, encodeTopic, decodeTopic } from "./agents/codec.js";
export { SendQueue } from "./agents/send-queue.js";
export { isConnectionAware, isDrainable, isSubscriptionAware } from "./agents/api.js";
export { isRawFrameSink, isRawFrameSource, type RawFrameSink, type RawFrameSource } from "./agents/raw-frames.js";
