import type { PublisherApi, SubscriberApi } from "../agents/api.js";
import { Collector } from "./collector.js";
import { waitForFlow } from "./flow.js";
import type { ConformanceEndpoint, ConformanceHarness } from "./harness.js";

/** A subscriber and what its callback collected. */
export interface Listening {
  readonly subscriber: SubscriberApi;
  readonly got: Collector;
}

/**
 * The agents one scenario opens, closed together at its end whatever happened, so a
 * failing scenario leaves no socket behind for the next.
 */
export class Session {
  readonly #harness: ConformanceHarness;
  readonly #cleanups: (() => Promise<void>)[] = [];

  constructor(harness: ConformanceHarness) {
    this.#harness = harness;
  }

  /** A fresh endpoint of the harness. */
  async endpoint(): Promise<ConformanceEndpoint> {
    const endpoint = await this.#harness.endpoint();
    if (endpoint.close !== undefined) this.#cleanups.push(() => endpoint.close?.() ?? Promise.resolve());
    return endpoint;
  }

  /** An initialised publisher of `endpoint`. */
  async publisher(endpoint: ConformanceEndpoint): Promise<PublisherApi> {
    const publisher = endpoint.api.getPublisher();
    this.track(publisher);
    await publisher.initialize();
    return publisher;
  }

  /** A running subscriber of `endpoint`'s driver, registered to `addresses` and `topics`. */
  async subscriber(
    endpoint: ConformanceEndpoint,
    addresses: readonly string[] = [endpoint.address],
    topics: readonly string[] = [],
  ): Promise<Listening> {
    const got = new Collector(this.#harness.timeoutMs);
    const subscriber = endpoint.api.getSubscriber();
    this.track(subscriber);
    subscriber.initialize(got.callback);
    for (const address of addresses) subscriber.registerListenAddress(address);
    for (const topic of topics) subscriber.registerTopic(topic);
    await subscriber.daemonize();
    return { subscriber, got };
  }

  /** A publisher and one subscriber on a fresh endpoint, events flowing on `"D"`. */
  async pair(topics: readonly string[] = []): Promise<{ endpoint: ConformanceEndpoint; publisher: PublisherApi } & Listening> {
    const endpoint = await this.endpoint();
    const listening = await this.subscriber(endpoint, [endpoint.address], topics);
    const publisher = await this.publisher(endpoint);
    await waitForFlow(publisher, [listening.got]);
    return { endpoint, publisher, ...listening };
  }

  /** Closes `agent` at the end of the scenario (again: `close()` must be idempotent). */
  track(agent: { close(): Promise<void> }): void {
    this.#cleanups.push(() => agent.close());
  }

  /** Closes everything, newest first. */
  async close(): Promise<void> {
    const failures: unknown[] = [];
    for (const cleanup of this.#cleanups.reverse()) await cleanup().catch((err: unknown) => failures.push(err));
    this.#cleanups.length = 0;
    if (failures.length > 0) throw failures[0];
  }
}
