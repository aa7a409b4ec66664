import { describe } from "node:test";
import { deliveryScenarios } from "./delivery.js";
import type { ConformanceHarness } from "./harness.js";
import { lifecycleScenarios } from "./lifecycle.js";

/**
 * The driver conformance suite: every scenario a pub/sub driver must pass, registered
 * with node:test under `describe(harness.name)`. Call it at the top level of a test
 * file; scenarios whose feature is a string are skipped with that reason.
 *
 * @example
 * ```ts
 * // test/my-driver.test.mjs, run with `node --test`
 * import { runConformance, freePort } from "pubsub/testing";
 * import createMyDriver from "../src/my-driver.mjs";
 *
 * runConformance({
 *   name: "my driver",
 *   features: { topicFiltering: true, fanOut: true, restart: true, garbage: "no raw access" },
 *   async endpoint() {
 *     const port = await freePort();
 *     return { api: createMyDriver({ publisher_port: port }), address: `tcp://127.0.0.1:${port}` };
 *   },
 * });
 * ```
 */
export function runConformance(harness: ConformanceHarness): void {
  describe(`conformance: ${harness.name}`, () => {
    deliveryScenarios(harness);
    lifecycleScenarios(harness);
  });
}
