/**
 * pubsub: pluggable publish-subscribe infrastructure for Node.js.
 *
 * The package root holds what applications and driver authors use: the loader, the
 * contract (`contract.ts`), the agent bases, the publisher service, the logger and the
 * coded errors. The wire codec is in `pubsub-run/wire`, the conformance suite in
 * `pubsub-run/testing`.
 *
 * @packageDocumentation
 */
export * from "./contract.js";
export * from "./errors.js";
export { loadFromConfig, type LoadOptions, type LoadedPubSub } from "./loader/load.js";
export { createPublisherService, loadPublisherService, type LoadServiceOptions, type LoadedService } from "./loader/load-service.js";
export { resolveConfig, withDefaults, type ResolveConfigOptions, type ResolvedConfig } from "./loader/resolve-config.js";
export { configSchema, optionNames } from "./loader/schema.js";
export { BUILTIN_DB_DRIVERS, BUILTIN_DRIVERS } from "./loader/drivers.js";
export { publisherUuid, uuid5 } from "./registry/publisher-id.js";
export { registeredUri } from "./registry/service-database.js";
export { TableMonitor, type TableMonitorOptions } from "./registry/table-monitor.js";
export { SEARCH_PLACES } from "./loader/find.js";
export { envVarName, ENV_PREFIX } from "./loader/layers.js";
export { PublisherService, type PublisherServiceOptions, type PublisherServiceStats } from "./agents/publisher-service.js";
export { PublisherAgentBase, type PublisherAgentOptions } from "./agents/publisher-base.js";
export { SubscriberAgentBase, type SubscriberAgentOptions } from "./agents/subscriber-base.js";
export { createLogger, createStderrLogger, isLogLevel, LOG_LEVELS, type LoggerOptions, type LogLevel } from "./logger.js";
export { createMetricsRegistry, type MetricsRegistryOptions, type MetricsSources } from "./metrics/registry.js";
export { startMetricsServer, type MetricsServer, type MetricsServerOptions } from "./metrics/server.js";
export { parseListenAddress, type ListenAddress } from "./metrics/listen.js";
