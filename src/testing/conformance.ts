import { describe, it } from "node:test";
import type { ConformanceHarness } from "./harness.js";
import { scenarios, skipReason, type Scenario, type ScenarioName } from "./scenarios.js";
import { Session } from "./session.js";

/** One scenario bound to one harness: a test for any runner. */
export interface ConformanceCase {
  /** The scenario's name in {@link scenarios}, e.g. `"peerRestart"`. */
  readonly id: ScenarioName;
  /** What it checks, in words: the test's name. */
  readonly name: string;
  /** Why it does not run against this harness (a feature set to a string), or false. */
  readonly skip: false | string;
  /** Runs the scenario with a fresh {@link Session}, closed afterwards whatever happened. Runs even when `skip` says not to. */
  run(): Promise<void>;
}

/**
 * The conformance suite as plain cases, one per scenario, for any test runner: loop
 * over them and register each; skip those whose `skip` is a string. Give each case a
 * generous timeout (the volume scenarios send 10,000 events; a broker restart takes a
 * few seconds). With node:test, {@link runConformance} does this for you.
 *
 * @example
 * ```ts
 * // my-driver.conformance.test.ts, with vitest (jest: the same, from "@jest/globals")
 * import { describe, it } from "vitest";
 * import { conformanceCases } from "pubsub-run/testing";
 * import { harness } from "./harness.js";
 *
 * describe(`conformance: ${harness.name}`, () => {
 *   for (const c of conformanceCases(harness)) {
 *     if (c.skip) it.skip(`${c.name} (${c.skip})`, () => {});
 *     else it(c.name, () => c.run(), 60_000);
 *   }
 * });
 * ```
 */
export function conformanceCases(harness: ConformanceHarness): ConformanceCase[] {
  return (Object.entries(scenarios) as [ScenarioName, Scenario][]).map(([id, scenario]) => ({
    id,
    name: scenario.title,
    skip: skipReason(scenario, harness),
    run: async () => {
      const session = new Session(harness);
      try {
        await scenario.run(session, harness);
      } finally {
        await session.close();
      }
    },
  }));
}

/**
 * The driver conformance suite on node:test: every scenario a pub/sub driver must pass,
 * registered under `describe("conformance: <harness.name>")`. Call it at the top level
 * of a test file; scenarios whose feature is a string are skipped with that reason.
 * Other runners loop over {@link conformanceCases} instead.
 *
 * @example
 * ```ts
 * // test/my-driver.test.mjs, run with `node --test`
 * import { runConformance, freePort } from "pubsub-run/testing";
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
  void describe(`conformance: ${harness.name}`, () => {
    for (const testCase of conformanceCases(harness)) void it(testCase.name, { skip: testCase.skip }, () => testCase.run());
  });
}
