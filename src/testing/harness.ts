import type { PubSubApi, PublisherApi } from "../contract.js";

/**
 * What a driver supports, for the scenarios that not every transport can pass. `true`
 * runs the scenario; a string skips it and is printed as the reason.
 */
export interface ConformanceFeatures {
  /** Subscribers deliver only registered topics. A string when the subscriber takes every topic by design. */
  topicFiltering: true | string;
  /** Every subscriber of a publisher gets every event (fan-out), as opposed to load balancing. */
  fanOut: true | string;
  /** After the peer restarts, subscribers get `"sync"` and then new events. */
  restart: true | string;
  /** The harness can put bytes on the wire ({@link ConformanceHarness.rawSender}). */
  garbage: true | string;
}

/**
 * One driver instance and the address its publishers reach. A scenario creates a fresh
 * endpoint (unique port, socket path or channel space) whenever it needs a publisher.
 */
export interface ConformanceEndpoint {
  /** The driver; scenarios take one publisher and any number of subscribers from it. */
  readonly api: PubSubApi;
  /** What a subscriber registers with `registerListenAddress` to receive this endpoint's publisher. */
  readonly address: string;
  /** Releases what the harness set up for the endpoint (servers, temp dirs). */
  close?(): Promise<void>;
}

/** Sends frames to an endpoint's subscribers without the driver's encoding. */
export interface RawSender {
  /** Sends one message. For ZeroMQ, `frames` are the message's frames; other transports may take `[topic, body]`. */
  send(frames: readonly Uint8Array[]): Promise<void>;
  /** Releases the sender. */
  close(): Promise<void>;
}

/**
 * Describes a driver to {@link runConformance} (node:test) or {@link conformanceCases} (any runner).
 *
 * @example
 * ```ts
 * runConformance({
 *   name: "my driver",
 *   features: { topicFiltering: true, fanOut: true, restart: true, garbage: "no raw access" },
 *   endpoint: async () => {
 *     const port = await freePort();
 *     const config = { ...baseConfig, publisher_port: port };
 *     return { api: await createMyDriver(config), address: `my://127.0.0.1:${port}` };
 *   },
 * });
 * ```
 */
export interface ConformanceHarness {
  /** Shown in the suite's title. */
  readonly name: string;
  readonly features: ConformanceFeatures;
  /** Creates a fresh endpoint. */
  endpoint(): Promise<ConformanceEndpoint>;
  /** A sender that writes raw frames to `endpoint`'s subscribers; needed when `features.garbage` is true. */
  rawSender?(endpoint: ConformanceEndpoint): Promise<RawSender>;
  /**
   * Restarts what `endpoint`'s subscribers are connected to, and returns the publisher to
   * use from then on. Default: close `publisher` and initialise a new one from the same
   * endpoint (the peer of a ZeroMQ subscriber is the publisher). Broker drivers restart
   * the server here.
   */
  restartPeer?(endpoint: ConformanceEndpoint, publisher: PublisherApi): Promise<PublisherApi>;
  /**
   * Topics the driver refuses with `PUBSUB_ERR_INVALID_TOPIC` because its transport
   * cannot carry them as they are (NATS: `""`, `"a.*"`, `"a b"`). The scenarios send
   * none of them, and one checks that `sendEvent` and `registerTopic` refuse each.
   * Default: none (every string is a topic).
   */
  readonly invalidTopics?: readonly string[];
  /** How long a scenario waits for events before failing, in milliseconds. Default 15000. */
  readonly timeoutMs?: number;
}
