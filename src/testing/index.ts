/**
 * `pubsub-run/testing`: the driver conformance suite and its helpers, for this project's
 * drivers and third-party ones alike. `runConformance` registers the suite with
 * node:test; `conformanceCases` hands the same scenarios to any other runner (vitest,
 * jest). Node.js 20+.
 *
 * @packageDocumentation
 */
export { conformanceCases, runConformance, type ConformanceCase } from "./conformance.js";
export { scenarios, skipReason, type Scenario, type ScenarioName } from "./scenarios.js";
export type { ConformanceEndpoint, ConformanceFeatures, ConformanceHarness, RawSender } from "./harness.js";
export { Session, type Listening, type SessionSource } from "./session.js";
export { Changes, until, type UntilOptions } from "./until.js";
export { Collector, PROBE_TABLE, type ReceivedEvent } from "./collector.js";
export { waitForFlow } from "./flow.js";
export { freePort } from "./ports.js";
export * from "./db-conformance.js";
