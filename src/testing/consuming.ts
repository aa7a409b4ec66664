// Consuming scenarios: awaited handlers with their concurrency, `for await` iteration,
// AbortSignal. Each is listed in the table of scenarios.ts.
import assert from "node:assert/strict";
import { isIterable, type EventsOptions, type PublisherApi, type SubscriberApi, type SubscriberEvent } from "../contract.js";
import { Collector } from "./collector.js";
import { assertNumbered, sendNumbered } from "./delivery.js";
import { waitForFlow } from "./flow.js";
import type { ConformanceEndpoint, ConformanceHarness } from "./harness.js";
import type { Session } from "./session.js";

/** Events each scenario sends: more than a socket takes in one turn, fewer than the queue holds. */
const COUNT = 2_000;
/** A queue that holds every event sent, so that no driver may lose one. */
const QUEUE_SIZE = 4 * COUNT;

/** A handler that yields to the event loop before it records each event, and counts how many calls overlap. */
function slowHandler(got: Collector): { handler: (...args: Parameters<Collector["callback"]>) => Promise<void>; maxActive(): number } {
  let active = 0;
  let maxActive = 0;
  return {
    handler: async (table, key, action, value, topic) => {
      active += 1;
      maxActive = Math.max(maxActive, active);
      await new Promise((resolve) => setImmediate(resolve));
      active -= 1;
      void got.callback(table, key, action, value, topic);
    },
    maxActive: () => maxActive,
  };
}

/**
 * An asynchronous handler is awaited: with the default concurrency one call at a time,
 * every event in order; with concurrency 2 and two publishers, at most two calls at once
 * and each publisher's events in order.
 */
export async function awaitedHandlers(session: Session): Promise<void> {
  const { publisher, subscriber, got } = await session.pair();
  const one = slowHandler(got);
  subscriber.initialize(one.handler, { queueSize: QUEUE_SIZE });
  await sendNumbered(publisher, "awaited", COUNT);
  await got.until(() => got.count("awaited") === COUNT, `${COUNT} events through an awaited handler`);
  assertNumbered(got, "awaited", COUNT);
  assert.equal(one.maxActive(), 1, "the handler's promise was not awaited before the next event");

  const first = await session.endpoint();
  const second = await session.endpoint();
  const both = new Collector(got.timeoutMs);
  const two = slowHandler(both);
  const fanIn = first.api.getSubscriber();
  session.track(fanIn);
  fanIn.initialize(two.handler, { concurrency: 2, queueSize: QUEUE_SIZE });
  for (const endpoint of [first, second]) fanIn.registerListenAddress(endpoint.address);
  await fanIn.daemonize();
  const publishers = [await session.publisher(first), await session.publisher(second)] as const;
  await Promise.all(publishers.map((p) => waitForFlow(p, [both])));
  await Promise.all([sendNumbered(publishers[0], "one", COUNT), sendNumbered(publishers[1], "two", COUNT)]);
  await both.until(() => both.count("one") === COUNT && both.count("two") === COUNT, `${COUNT} events from each publisher`);
  assertNumbered(both, "one", COUNT);
  assertNumbered(both, "two", COUNT);
  assert.ok(two.maxActive() <= 2, `concurrency 2, but ${two.maxActive()} calls overlapped`);
}

/** Reads `subscriber.events(options)` into a collector until `stop` says so or the iteration ends; resolves how it ended. */
function iterate(
  subscriber: SubscriberApi,
  got: Collector,
  options: EventsOptions,
  stop: (event: SubscriberEvent) => boolean = () => false,
): Promise<unknown> {
  assert.ok(isIterable(subscriber), "the subscriber has no events(): build it on SubscriberAgentBase");
  const events = subscriber.events(options);
  return (async () => {
    for await (const event of events) {
      assert.deepEqual(Object.keys(event).sort(), ["action", "key", "table", "topic", "value"]);
      void got.callback(event.table, event.key, event.action, event.value, event.topic);
      if (stop(event)) break;
      await new Promise((resolve) => setImmediate(resolve));
    }
    return "ended";
  })().catch((err: unknown) => err);
}

/** A subscriber of `endpoint` read by {@link iterate}, and a publisher whose events reach it. */
async function iterated(
  session: Session,
  endpoint: ConformanceEndpoint,
  got: Collector,
  options: EventsOptions,
  stop?: (event: SubscriberEvent) => boolean,
): Promise<{ subscriber: SubscriberApi; publisher: PublisherApi; ended: Promise<unknown> }> {
  const subscriber = endpoint.api.getSubscriber();
  session.track(subscriber);
  subscriber.registerListenAddress(endpoint.address);
  const ended = iterate(subscriber, got, options, stop);
  const publisher = await session.publisher(endpoint);
  await waitForFlow(publisher, [got]);
  return { subscriber, publisher, ended };
}

/**
 * `for await` over `events()`: events as objects, in order, through a small buffer that
 * holds the subscriber back; `break` ends the loop and closes the subscriber.
 */
export async function iteration(session: Session, harness: ConformanceHarness): Promise<void> {
  const endpoint = await session.endpoint();
  const got = new Collector(harness.timeoutMs);
  const last = String(COUNT - 1);
  const { subscriber, publisher, ended } = await iterated(session, endpoint, got, { bufferSize: 8, queueSize: QUEUE_SIZE }, (event) => {
    return event.table === "iterated" && event.key === last;
  });
  await sendNumbered(publisher, "iterated", COUNT);
  assert.equal(await ended, "ended");
  assertNumbered(got, "iterated", COUNT);
  assert.equal(subscriber.isRunning, false, "break did not close the subscriber");
}

/**
 * An AbortSignal: `daemonize({ signal })` with an aborted one starts nothing; aborting
 * the signal of `events({ signal })` ends the loop with its reason and closes the subscriber.
 */
export async function abort(session: Session, harness: ConformanceHarness): Promise<void> {
  const endpoint = await session.endpoint();
  const early = endpoint.api.getSubscriber();
  session.track(early);
  early.initialize(() => undefined);
  early.registerListenAddress(endpoint.address);
  const reason = new Error("aborted (expected by the test)");
  await assert.rejects(early.daemonize({ signal: AbortSignal.abort(reason) }), (err) => err === reason);
  assert.equal(early.isRunning, false);

  const controller = new AbortController();
  const got = new Collector(harness.timeoutMs);
  const { subscriber, ended } = await iterated(session, endpoint, got, { signal: controller.signal });
  controller.abort(reason);
  assert.equal(await ended, reason, "the loop did not end with the signal's reason");
  assert.equal(subscriber.isRunning, false, "the abort did not close the subscriber");
}
