/**
 * The contract between pubsub and its drivers: the config type, the event, the agent
 * interfaces with the rules every driver honours, the optional abilities (detected,
 * never required) and the factory a driver module exports. It imports nothing but the
 * config type generated from the schema, so a driver that depends on it pulls in no
 * validator, no loader and no transport.
 *
 * @packageDocumentation
 */
import type { PubSubOptions } from "./config.generated.js";

export type { PubSubOptions };

// ---------------------------------------------------------------------------------------
// Config

/**
 * The effective configuration a driver factory receives: every option present (but
 * `publishers`, which is absent when the config names none: subscribers then listen at
 * the network driver's {@link DriverDescription.listenAddresses}), and in each driver's
 * section (`zmq`, `redis`, `nats`) every option that has a default filled in.
 * `resolveConfig()` and `loadFromConfig()` build it from defaults, the file, `PUBSUB_*`
 * environment variables and overrides; `withDefaults()` from an object.
 *
 * @public
 */
export type PubSubConfig = Readonly<
  Required<Omit<PubSubOptions, "publishers" | "$schema">> & Pick<PubSubOptions, "publishers" | "$schema">
>;

/**
 * The logging surface pubsub uses: a subset of pino's, so a pino logger can be passed
 * wherever a {@link Logger} is expected.
 *
 * @public
 */
export interface Logger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

// ---------------------------------------------------------------------------------------
// Events

/**
 * The send-to-all topic: every subscriber registers it, so an event published on it
 * reaches every node.
 *
 * @public
 */
export const SEND_ALL_TOPIC = "D";

/**
 * The action that tells a subscriber "you may have missed events: resynchronise".
 * It arrives with `table`, `key`, `value` and `topic` all `null`, after the transport
 * lost its connection and re-established it.
 *
 * @public
 */
export const SYNC_ACTION = "sync";

/**
 * One change to the control plane's database, as Dragonflow's `DbUpdate` carries it.
 *
 * @example
 * ```ts
 * const update: PubSubEvent = {
 *   table: "lport", key: "port-42", action: "create",
 *   value: { mac: "fa:16:3e:00:00:01" }, topic: "tenant-a",
 * };
 * ```
 * @public
 */
export interface PubSubEvent {
  /** Table (model) the change belongs to, or `null` for a `"sync"` notice. */
  table: string | null;
  /** Key of the changed row, or `null`. */
  key: string | null;
  /** What happened: `"create"`, `"set"`, `"delete"`, `"sync"`, or any driver-agnostic verb. */
  action: string;
  /** The new value, any MessagePack-encodable data (often a JSON string in Dragonflow). */
  value: unknown;
  /** Topic the event is published on, or `null` to use the default. */
  topic?: string | null;
}

/**
 * Receives every event a subscriber accepts. A callback that throws or rejects is
 * logged and the subscriber keeps receiving. The subscriber does not wait for one
 * call's promise before making the next call.
 *
 * @public
 */
export type EventCallback = (
  table: string | null,
  key: string | null,
  action: string,
  value: unknown,
  topic: string | null,
) => void | Promise<void>;

/**
 * The topic rule every publisher applies: the explicit `topic` argument, else the
 * event's own topic, else {@link SEND_ALL_TOPIC}.
 *
 * @public
 */
export function resolveTopic(update: PubSubEvent, topic?: string | null): string {
  return topic ?? update.topic ?? SEND_ALL_TOPIC;
}

// ---------------------------------------------------------------------------------------
// Agents

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
 * @public
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
 * - After a lost connection is re-established, or when a publisher's sequence on a topic
 *   shows missing events, the callback gets `(null, null, "sync", null, null)`: events
 *   may have been missed.
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
 * @public
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

// ---------------------------------------------------------------------------------------
// Drivers

/**
 * What a driver says about itself, so that the loader and `pubsub-run` need no
 * knowledge of any driver: adding a driver touches its folder and one registry line.
 *
 * @public
 */
export interface DriverDescription {
  /**
   * How the driver's publishers reach subscribers:
   * - `"bind"`: a publisher binds {@link address} and subscribers connect to it, so only
   *   one process per host can publish: workers go through the publisher service.
   * - `"broker"`: publishers and subscribers connect to a server at {@link address}, so
   *   every process may publish straight to it (`pub_sub_use_multiproc: false`).
   */
  readonly topology: "bind" | "broker";
  /** Where publishers bind or send, as logs and messages show it: no credentials. */
  readonly address: string;
  /**
   * The listen addresses a subscriber registers when the config names none in
   * `publishers`. They may hold credentials: never print them.
   */
  readonly listenAddresses: readonly string[];
  /** The option that bounds how long a publisher's `close()` flushes, and its value in ms (-1: no limit). */
  readonly linger: { readonly option: string; readonly ms: number };
  /**
   * Returns one of this driver's listen addresses as it may be printed: without the
   * credentials it may hold. Default: the address as it is.
   */
  readonly redact?: (address: string) => string;
  /**
   * The options of this driver whose values are secret, as dotted paths
   * (`["redis.password"]`): `pubsub-run check`, logs and error messages print `***` in
   * their place. Options named like a secret (`*password`, `*token`, `*secret`, ...) are
   * masked anyway, and credentials inside URLs everywhere; list here what those rules
   * would miss. Default: none.
   */
  readonly secretOptions?: readonly string[];
  /**
   * Things an operator should know about this config, one line each (the ZeroMQ driver:
   * a publisher bound beyond loopback without CurveZMQ). `check` reports them and the
   * publisher service logs them.
   */
  readonly warnings?: readonly string[];
  /**
   * Reads again what the driver reads from files (the ZeroMQ driver: the CurveZMQ
   * allow-list), on SIGHUP to the publisher service. Returns what was reloaded, none
   * when nothing is in use; throws when a file no longer reads (the old contents stay).
   */
  readonly reload?: () => readonly Reloaded[];
}

/** What {@link DriverDescription.reload} read again: the option and how many entries it now holds. @public */
export interface Reloaded {
  readonly option: string;
  readonly entries: number;
}

/**
 * What a driver module's factory returns: a source of publishers and subscribers for
 * one transport. Each call returns a new agent.
 *
 * @public
 */
export interface PubSubApi {
  /** Returns a new, uninitialised publisher. */
  getPublisher(): PublisherApi;
  /** Returns a new, uninitialised subscriber. */
  getSubscriber(): SubscriberApi;
  /**
   * What the loader and `pubsub-run` need to know about this driver for this config.
   * Optional: without it, a driver is taken to bind, has no default listen address
   * (subscribers need `publishers`) and lingers 5 s.
   */
  readonly description?: DriverDescription;
}

/** The two pub/sub layers. @public */
export type DriverRole = "network" | "multiproc";

/** What the loader passes to a driver factory besides the config. @public */
export interface DriverContext {
  /** Which layer the driver serves: the network (`pub_sub_driver`) or IPC (`pub_sub_multiproc_driver`). */
  readonly role: DriverRole;
  /** Where the driver logs. */
  readonly logger: Logger;
}

/**
 * The default export of a driver module. The config is the effective one: the driver's
 * section has its defaults filled in.
 *
 * @example
 * ```ts
 * // my-driver.mjs
 * export default function createMyDriver(config, context) {
 *   return {
 *     getPublisher: () => new MyPublisher(config),
 *     getSubscriber: () => new MySubscriber(config),
 *     description: { topology: "broker", address: "my://10.0.0.7", listenAddresses: ["my://10.0.0.7"],
 *                    linger: { option: "my.linger_ms", ms: 5000 } },
 *   };
 * }
 * ```
 * @public
 */
export type DriverFactory = (config: PubSubConfig, context: DriverContext) => PubSubApi | Promise<PubSubApi>;

// ---------------------------------------------------------------------------------------
// The database side: the part of Dragonflow's northbound database driver that the
// publisher registry, the table monitors and discovery use.

/** A change a database pushed to a {@link NbDbApi.watch} (`value` absent on `delete`). @public */
export interface DbChange {
  readonly action: "create" | "set" | "delete";
  readonly table: string;
  readonly key: string;
  readonly value?: string;
}

/** What {@link NbDbApi.watch} calls. @public */
export interface DbWatchHandlers {
  /** One change, in the database's order. */
  change(change: DbChange): void;
  /**
   * The watch lost changes (its connection dropped, the history it resumed from was
   * compacted): the watcher reads the whole table again. The driver keeps watching.
   */
  resync(reason: string): void;
}

/** A running watch. @public */
export interface DbWatch {
  /** Stops it; no handler is called after this resolves. */
  close(): Promise<void>;
}

/**
 * A northbound database driver, as Dragonflow's `DbApi`: tables of string keys to
 * string values (Dragonflow stores JSON). Every method rejects with a coded error
 * (`DbError`, `PUBSUB_ERR_DB`) naming the database and the reason, never
 * hangs past the driver's timeout.
 *
 * Rules: `getKey` of a missing key resolves `undefined` (Dragonflow raises
 * `DBKeyNotFound`); `createKey` writes only when the key is absent and says whether it
 * did; `deleteKey` says whether the key existed; `getAllKeys` lists a table in no
 * particular order; values round-trip byte for byte.
 * @public
 */
export interface NbDbApi {
  /** Connects to `remote_db_hosts`. */
  initialize(): Promise<void>;
  getKey(table: string, key: string): Promise<string | undefined>;
  getAllKeys(table: string): Promise<string[]>;
  setKey(table: string, key: string, value: string): Promise<void>;
  createKey(table: string, key: string, value: string): Promise<boolean>;
  deleteKey(table: string, key: string): Promise<boolean>;
  /**
   * Optional: pushes a table's changes as they happen, for databases that can (etcd).
   * Without it, monitors only poll.
   */
  watch?(table: string, handlers: DbWatchHandlers): Promise<DbWatch>;
  /** Closes the connection; safe to call twice. */
  close(): Promise<void>;
  /** The database's address for logs and `check`, credentials removed. */
  readonly address: string;
}

/** What the loader passes to a database driver factory besides the config. @public */
export interface DbDriverContext {
  readonly logger: Logger;
}

/**
 * The default export of a database driver module (`nb_db_class`). It reads
 * `remote_db_hosts` (`host:port` strings) and its own section of the config.
 * @public
 */
export type DbDriverFactory = (config: PubSubConfig, context: DbDriverContext) => NbDbApi | Promise<NbDbApi>;

// ---------------------------------------------------------------------------------------
// Optional abilities: detected with the guards below, never required of a driver.

/**
 * A subscriber that can stop gracefully: the publisher service's inbox implements it, so
 * that on SIGTERM events the workers already handed over are relayed, not dropped.
 * Without it the service calls `close()`.
 *
 * @public
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
 * does, from the welcome message our publishers send on every new connection; the
 * broker subscribers do once the broker confirmed their subscriptions. Tools use it to
 * say "connected" instead of guessing.
 *
 * @public
 */
export interface ConnectionAwareSubscriber {
  /**
   * Calls `listener` with the listen address each time a publisher there greets this
   * subscriber: on the first connection, and again after every reconnection.
   */
  onConnected(listener: (uri: string) => void): void;
}

/**
 * A publisher that knows how many subscribers are connected to it: the ZeroMQ network
 * publisher counts this project's subscribers from their subscriptions. The publisher
 * service uses it to hold events until subscribers are there.
 *
 * @public
 */
export interface SubscriptionAwarePublisher {
  /** Subscribers connected now. */
  readonly subscribers: number;
  /** Resolves once at least `count` subscribers are connected. */
  whenSubscribers(count: number): Promise<void>;
}

/**
 * A publisher that sends an already encoded message `[topic, payload]` as it is, in
 * order with `sendEvent` calls. With a {@link RawFrameSource} inbox, the publisher
 * service relays without decoding and re-encoding.
 *
 * @public
 */
export interface RawFrameSink {
  /** Sends `[topic, payload]` unchanged, in order with `sendEvent` calls. */
  sendFrames(topic: Uint8Array, payload: Uint8Array): Promise<void>;
}

/**
 * A subscriber that can hand over messages before decoding.
 *
 * @public
 */
export interface RawFrameSource {
  /**
   * Sends every received message to `handler` instead of decoding it for the callback.
   * Call before `daemonize()`. Messages that are not two frames, and payloads that
   * cannot be an event (the first byte starts no MessagePack map or array), are still
   * counted as undecodable and dropped by the subscriber, never handed on.
   */
  onRawFrames(handler: (topic: Uint8Array, payload: Uint8Array) => void): void;
}

/**
 * Counters a subscriber keeps. Every subscriber built on `SubscriberAgentBase` has them.
 *
 * @public
 */
export interface SubscriberStats {
  /** Events handed to the callback. */
  delivered: number;
  /** Messages dropped: undecodable, or on a topic this subscriber did not register. */
  dropped: number;
  /** The part of `dropped` that could not be decoded (garbage on the wire). */
  undecodable: number;
  /** `"sync"` notices given to the callback after a lost connection came back. */
  syncs: number;
  /** Callback calls that threw or rejected. */
  callbackErrors: number;
  /**
   * Breaks found in a publisher's sequence on a topic: events missing before the one
   * that arrived, or a publisher that started its sequence again. Each gives `"sync"`.
   */
  gaps: number;
  /** Events known to be missing from the gaps (a restart adds none: how many is unknown). */
  missed: number;
  /** Events that arrived a second time, dropped (also counted in `dropped`). */
  duplicates: number;
}

/** A subscriber that counts what it delivered and dropped. @public */
export interface StatsReportingSubscriber {
  /** The counters, live. */
  readonly stats: SubscriberStats;
}

/**
 * A publisher that counts the events it accepted (their `sendEvent` resolved) and its
 * transport then lost: the Redis publisher counts PUBLISH commands the server never
 * confirmed, the NATS publisher what its last flush could not confirm. Tools that
 * report what was sent (`pubsub-run publish`) read it after `close()`.
 *
 * @public
 */
export interface LossCountingPublisher {
  /** Events accepted, then lost by the transport, so far. */
  readonly lost: number;
}

/** True when `agent` implements {@link LossCountingPublisher}. @public */
export function isLossCounting(agent: unknown): agent is LossCountingPublisher {
  return typeof (agent as { lost?: unknown } | null)?.lost === "number";
}

/** True when `agent` implements {@link DrainableSubscriber}. @public */
export function isDrainable(agent: unknown): agent is DrainableSubscriber {
  return hasMethod(agent, "drain");
}

/** True when `agent` implements {@link ConnectionAwareSubscriber}. @public */
export function isConnectionAware(agent: unknown): agent is ConnectionAwareSubscriber {
  return hasMethod(agent, "onConnected");
}

/** True when `agent` implements {@link SubscriptionAwarePublisher}. @public */
export function isSubscriptionAware(agent: unknown): agent is SubscriptionAwarePublisher {
  return hasMethod(agent, "whenSubscribers");
}

/** True when `agent` implements {@link RawFrameSink}. @public */
export function isRawFrameSink(agent: unknown): agent is RawFrameSink {
  return hasMethod(agent, "sendFrames");
}

/** True when `agent` implements {@link RawFrameSource}. @public */
export function isRawFrameSource(agent: unknown): agent is RawFrameSource {
  return hasMethod(agent, "onRawFrames");
}

/**
 * True when `agent` keeps {@link SubscriberStats}. A shape check, not `instanceof`, so
 * it holds for agents built on another copy of this package.
 *
 * @public
 */
export function hasStats(agent: unknown): agent is StatsReportingSubscriber {
  const stats = (agent as { stats?: unknown } | null)?.stats;
  return typeof stats === "object" && stats !== null && typeof (stats as Partial<SubscriberStats>).delivered === "number";
}

function hasMethod(agent: unknown, name: string): boolean {
  return typeof agent === "object" && agent !== null && typeof (agent as Record<string, unknown>)[name] === "function";
}
