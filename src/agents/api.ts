import type { PubSubConfig } from "../loader/config.js";
import type { Logger } from "../logger.js";
import type { EventCallback, PubSubEvent } from "./event.js";

/**
 * Sends events. Obtained from {@link PubSubApi.getPublisher}.
 *
 * Rules every driver honours:
 * - `sendEvent` may be called concurrently (without awaiting the previous call); events
 *   from one publisher are sent in the order `sendEvent` was called.
 * - The promise of `sendEvent` resolves when the transport accepted the event (queued
 *   for sending), not when a subscriber received it. It rejects when the event cannot
 *   be accepted (publisher closed, event not encodable); nothing is dropped silently.
 * - `close()` flushes every event accepted before it was called (bounded by the
 *   driver's linger timeout), then releases the transport. Calling it twice is safe.
 *
 * @example
 * ```ts
 * const publisher = api.getPublisher();
 * await publisher.initialize();
 * await publisher.sendEvent({ table: "lport", key: "p1", action: "create", value: "{}" });
 * await publisher.close();
 * ```
 */
export interface PublisherApi {
  /** Prepares the transport (bind or connect). Drivers may defer the work to the first send. */
  initialize(): Promise<void>;
  /**
   * Publishes one event on `topic ?? update.topic ?? "D"`.
   * @param update - the event; its `topic` field is overwritten by the resolved topic on the wire.
   * @param topic - explicit topic, overriding `update.topic`.
   */
  sendEvent(update: PubSubEvent, topic?: string | null): Promise<void>;
  /** Flushes accepted events, then releases the transport. Idempotent. */
  close(): Promise<void>;
}

/**
 * Receives events. Obtained from {@link PubSubApi.getSubscriber}.
 *
 * Rules every driver honours:
 * - Topics match exactly: a subscriber of `"D"` never sees `"Dx"`.
 * - Events from one publisher reach the callback in the order they were sent.
 * - Listen addresses and topics may be registered and unregistered while running.
 * - Undecodable input is counted, logged and dropped; the subscriber keeps running.
 * - After a lost connection is re-established the callback gets
 *   `(null, null, "sync", null, null)`: events may have been missed.
 * - `close()` stops receiving and releases the transport. Calling it twice is safe.
 *
 * @example
 * ```ts
 * const subscriber = api.getSubscriber();
 * subscriber.initialize((table, key, action, value, topic) => console.log(table, key, action));
 * subscriber.registerListenAddress("tcp://127.0.0.1:8866");
 * subscriber.registerTopic("tenant-a");
 * await subscriber.daemonize();
 * ```
 */
export interface SubscriberApi {
  /** Sets the callback that receives every accepted event. Call before {@link daemonize}. */
  initialize(callback: EventCallback): void;
  /** Adds a publisher address to receive from. Returns true only when it was not registered yet. */
  registerListenAddress(uri: string): boolean;
  /** Removes a publisher address. Returns true only when it was registered. */
  unregisterListenAddress(uri: string): boolean;
  /** Adds a topic. Returns true only when it was not registered yet. */
  registerTopic(topic: string): boolean;
  /** Removes a topic. Returns true only when it was registered. */
  unregisterTopic(topic: string): boolean;
  /** Starts receiving. Resolves once the transport is connected and subscribed. */
  daemonize(): Promise<void>;
  /** True between a successful {@link daemonize} and {@link close}. */
  readonly isRunning: boolean;
  /** Stops receiving and releases the transport. Idempotent. */
  close(): Promise<void>;
}

/**
 * A subscriber that can stop gracefully: the publisher service's inbox implements it, so
 * that on SIGTERM events the workers already handed over are relayed, not dropped.
 * Optional for drivers; without it the service calls `close()`.
 */
export interface DrainableSubscriber {
  /**
   * Stops accepting new messages (peers are detached and keep what they have not sent
   * yet), delivers the messages already received, then closes, like `close()`.
   * @param timeoutMs - the longest it may take; -1 waits for every received message.
   */
  drain(timeoutMs: number): Promise<void>;
}

/**
 * A subscriber that can tell when a publisher answered: the ZeroMQ network subscriber
 * does, from the welcome message our publishers send on every new connection. Optional
 * for drivers; tools use it to say "connected" instead of guessing.
 */
export interface ConnectionAwareSubscriber {
  /**
   * Calls `listener` with the listen address each time a publisher there greets this
   * subscriber: on the first connection, and again after every reconnection.
   */
  onConnected(listener: (uri: string) => void): void;
}

/** True when `agent` implements {@link ConnectionAwareSubscriber}. */
export function isConnectionAware(agent: unknown): agent is ConnectionAwareSubscriber {
  return typeof (agent as Partial<ConnectionAwareSubscriber> | null)?.onConnected === "function";
}

/**
 * A publisher that knows how many subscribers are connected to it: the ZeroMQ network
 * publisher counts this project's subscribers from their subscriptions. Optional for
 * drivers; the publisher service uses it to hold events until subscribers are there.
 */
export interface SubscriptionAwarePublisher {
  /** Subscribers connected now. */
  readonly subscribers: number;
  /** Resolves once at least `count` subscribers are connected. */
  whenSubscribers(count: number): Promise<void>;
}

/** True when `agent` implements {@link SubscriptionAwarePublisher}. */
export function isSubscriptionAware(agent: unknown): agent is SubscriptionAwarePublisher {
  return typeof (agent as Partial<SubscriptionAwarePublisher> | null)?.whenSubscribers === "function";
}

/** True when `agent` implements {@link DrainableSubscriber}. */
export function isDrainable(agent: unknown): agent is DrainableSubscriber {
  return typeof (agent as Partial<DrainableSubscriber> | null)?.drain === "function";
}

/**
 * What a driver module's factory returns: a source of publishers and subscribers for
 * one transport. Each call returns a new agent.
 */
export interface PubSubApi {
  /** Returns a new, uninitialised publisher. */
  getPublisher(): PublisherApi;
  /** Returns a new, uninitialised subscriber. */
  getSubscriber(): SubscriberApi;
}

/** What the loader passes to a driver factory besides the config. */
export interface DriverContext {
  /** Which layer the driver serves: the network (`pub_sub_driver`) or IPC (`pub_sub_multiproc_driver`). */
  readonly role: DriverRole;
  /** Where the driver logs. */
  readonly logger: Logger;
}

/** The two pub/sub layers. */
export type DriverRole = "network" | "multiproc";

/**
 * The default export of a driver module.
 *
 * @example
 * ```ts
 * // my-driver.mjs
 * export default function createMyDriver(config, context) {
 *   return { getPublisher: () => new MyPublisher(config), getSubscriber: () => new MySubscriber(config) };
 * }
 * ```
 */
export type DriverFactory = (
  config: PubSubConfig,
  context: DriverContext,
) => PubSubApi | Promise<PubSubApi>;
