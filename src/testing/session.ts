import type { PublisherApi, SubscriberApi } from "../contract.js";
import { Collector } from "./collector.js";
import { waitForFlow } from "./flow.js";
import type { ConformanceEndpoint, ConformanceHarness } from "./harness.js";

/** A subscriber and what its callback collected. */
export interface Listening {
  readonly subscriber: SubscriberApi;
  readonly got: Collector;
}

/** Where a {@link Session} takes endpoints from: a conformance harness, or just its `endpoint()`. */
export type SessionSource = Partial<Pick<ConformanceHarness, "endpoint" | "timeoutMs">>;

/**
 * The agents one test opens, closed together at its end whatever happened, so a failing
 * test leaves no socket behind for the next. Every conformance scenario gets a fresh one;
 * a driver's own tests use it the same way, with endpoints from a harness or built by hand.
 *
 * @example
 * ```ts
 * const session = new Session({ endpoint: async () => ({ api: createMyDriver(config), address }) });
 * try {
 *   const { publisher, got } = await session.pair(); // events already flowing on "D"
 *   await publisher.sendEvent({ table: "t", key: "k", action: "set", value: 1 });
 *   await got.until(() => got.count("t") === 1, "the event");
 * } finally {
 *   await session.close();
 * }
 * // Agents of an endpoint made elsewhere need no harness:
 * const { subscriber } = await new Session().subscriber({ api, address }, []);
 * ```
 */
export class Session {
  readonly #source: SessionSource;
  readonly #cleanups: (() => Promise<void>)[] = [];

  constructor(source: SessionSource = {}) {
    this.#source = source;
  }

  /** A fresh endpoint of the harness, closed with the session. */
  async endpoint(): Promise<ConformanceEndpoint> {
    if (this.#source.endpoint === undefined)
      throw new TypeError("Session.endpoint(): this session was created without an endpoint() to call");
    const endpoint = await this.#source.endpoint();
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
    const got = new Collector(this.#source.timeoutMs);
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

  /** Closes `agent` with the session (again, if the test closed it: `close()` must be idempotent). */
  track(agent: { close(): Promise<void> | void }): void {
    this.#cleanups.push(async () => agent.close());
  }

  /** Closes everything, newest first; every close is tried, the first failure is thrown. */
  async close(): Promise<void> {
    const failures: unknown[] = [];
    for (const cleanup of this.#cleanups.reverse()) await cleanup().catch((err: unknown) => failures.push(err));
    this.#cleanups.length = 0;
    if (failures.length > 0) throw failures[0];
  }
}
