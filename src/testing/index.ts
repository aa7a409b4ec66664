/**
 * `pubsub/testing`: the driver conformance suite and its helpers, for this project's
 * drivers and third-party ones alike. Needs node:test (Node.js 20+).
 *
 * @packageDocumentation
 */
export { runConformance } from "./conformance.js";
export type { ConformanceEndpoint, ConformanceFeatures, ConformanceHarness, RawSender } from "./harness.js";
export { Collector, PROBE_TABLE, type ReceivedEvent } from "./collector.js";
export { waitForFlow } from "./flow.js";
export { freePort } from "./ports.js";
