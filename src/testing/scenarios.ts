import {
  addressesWhileRunning,
  concurrentOrder,
  exactTopics,
  fanIn,
  fanOut,
  invalidTopicsRefused,
  roundTrip,
  topicRule,
  topicsWhileRunning,
  volume,
} from "./delivery.js";
import { abort, awaitedHandlers, iteration } from "./consuming.js";
import type { ConformanceFeatures, ConformanceHarness } from "./harness.js";
import { closeFlushes, closeTwice, failingCallback, garbage, peerRestart, startBeforeInitialize } from "./lifecycle.js";
import type { Session } from "./session.js";

/** One conformance scenario: what it checks, what it needs, and the check itself. */
export interface Scenario {
  /** What it checks, in words: the test's name. */
  readonly title: string;
  /** The feature it needs: skipped, with the harness's reason, when `harness.features[feature]` is a string. */
  readonly feature?: keyof ConformanceFeatures;
  /** Why it cannot run against `harness` beyond its feature, or undefined when it can. */
  readonly unsupported?: (harness: ConformanceHarness) => string | undefined;
  /** Runs the scenario; what it opens goes through `session`, which the caller closes. */
  readonly run: (session: Session, harness: ConformanceHarness) => Promise<void>;
}

/**
 * Every scenario a pub/sub driver must pass, by name, in the order they run: the one
 * table that {@link runConformance} and {@link conformanceCases} go through. Each runs
 * alone with a fresh {@link Session}:
 *
 * @example
 * ```ts
 * const session = new Session(harness);
 * try {
 *   await scenarios.peerRestart.run(session, harness);
 * } finally {
 *   await session.close();
 * }
 * ```
 */
export const scenarios = Object.freeze({
  roundTrip: { title: "round trip keeps every field type", run: roundTrip },
  topicRule: { title: "the topic rule: explicit topic, else the event's, else D", run: topicRule },
  exactTopics: { title: "topics match exactly: D never sees Dx, a never sees ab", feature: "topicFiltering", run: exactTopics },
  invalidTopicsRefused: {
    title: "topics the transport cannot carry are refused with PUBSUB_ERR_INVALID_TOPIC",
    unsupported: (harness) =>
      (harness.invalidTopics ?? []).length > 0 ? undefined : "the driver carries every topic (harness.invalidTopics is empty)",
    run: invalidTopicsRefused,
  },
  topicsWhileRunning: { title: "topics registered and unregistered while running", feature: "topicFiltering", run: topicsWhileRunning },
  addressesWhileRunning: { title: "listen addresses registered and unregistered while running", run: addressesWhileRunning },
  fanIn: { title: "two publishers into one subscriber, each in order", run: fanIn },
  fanOut: { title: "one publisher to many subscribers, each gets every event", feature: "fanOut", run: fanOut },
  concurrentOrder: { title: "concurrent sendEvent calls keep their order", run: concurrentOrder },
  volume: { title: "10,000 events, none lost", run: volume },
  closeFlushes: { title: "close() flushes every accepted event", run: closeFlushes },
  closeTwice: { title: "close() twice is safe; a closed publisher refuses events", run: closeTwice },
  startBeforeInitialize: { title: "a subscriber refuses to start before initialize()", run: startBeforeInitialize },
  failingCallback: { title: "a callback that throws or rejects does not stop the subscriber", run: failingCallback },
  awaitedHandlers: { title: "an async handler is awaited: in order, concurrency bounded per publisher", run: awaitedHandlers },
  iteration: { title: "for await over events(): objects in order, a small buffer, break closes", run: iteration },
  abort: { title: "an AbortSignal stops daemonize() and ends events()", run: abort },
  garbage: { title: "garbage on the wire is dropped and the subscriber keeps receiving", feature: "garbage", run: garbage },
  peerRestart: { title: "the peer restarts: sync, then events flow again", feature: "restart", run: peerRestart },
} satisfies Record<string, Scenario>);

/** The name of a scenario in {@link scenarios}. */
export type ScenarioName = keyof typeof scenarios;

/** Why `scenario` does not run against `harness`, or false when it does. */
export function skipReason(scenario: Scenario, harness: ConformanceHarness): false | string {
  const feature = scenario.feature === undefined ? true : harness.features[scenario.feature];
  if (feature !== true) return feature;
  return scenario.unsupported?.(harness) ?? false;
}
