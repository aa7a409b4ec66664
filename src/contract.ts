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
 * Receives every event a subscriber accepts, as Dragonflow's five positional arguments.
 * A callback that throws or rejects is logged and counted, and the subscriber keeps
 * receiving. A callback that returns a promise is awaited before the next event is
 * handed over (see {@link HandlerOptions.concurrency}); a callback that returns nothing
 * is called back to back, as fast as events come.
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
 * Maps table names to the type of their events' `value`, for typed events:
 * `loadFromConfig<{ lport: Port; lswitch: Switch }>()`. The default, any table with any
 * value, is what the wire carries; any object type (an `interface` too) may take its
 * place. The types are a promise the application makes about its publishers, not a
 * check: nothing validates a value at run time.
 *
 * @public
 */
export type TableMap = Record<string, unknown>;

/**
 * The `"sync"` notice as an event object: every other field `null`.
 *
 * @public
 */
export interface SyncEvent {
  readonly table: null;
  readonly key: null;
  readonly action: typeof SYNC_ACTION;
  readonly value: null;
  readonly topic: null;
}

/**
 * An event of one of the tables of `T` as an object, its `value` typed by its `table`.
 *
 * @public
 */
export type TableEvent<T extends object = TableMap> = {
  [K in keyof T & string]: {
    readonly table: K;
    readonly key: string | null;
    readonly action: string;
    readonly value: T[K];
    readonly topic: string | null;
  };
}[keyof T & string];

/**
 * What an object handler and `for await` receive: an event of a table of `T`, or the
 * `"sync"` notice. Narrowing on `table` types `value`:
 *
 * @example
 * ```ts
 * const handler: EventHandler<{ lport: Port }> = {
 *   onEvent(event) {
 *     if (event.table === null) return resync(); // action "sync"
 *     if (event.table === "lport") ports.set(event.key, event.value); // value: Port
 *   },
 * };
 * ```
 * @public
 */
export type SubscriberEvent<T extends object = TableMap> = TableEvent<T> | SyncEvent;

/**
 * The object-style handler, passed to `initialize()` instead of a positional
 * {@link EventCallback}: `onEvent` gets each event as one object. The same rules hold:
 * a returned promise is awaited, a throw or rejection is logged and counted.
 *
 * @public
 */
export interface EventHandler<T extends object = TableMap> {
  onEvent(event: SubscriberEvent<T>): void | Promise<void>;
}

/**
 * How a subscriber hands events to an asynchronous handler. A synchronous handler is
 * not affected: it is called for each event as it comes.
 *
 * @public
 */
export interface HandlerOptions {
  /**
   * How many promises of the handler may be pending at once (default 1: each one is
   * awaited before the next event is handed over). Above 1, events of one publisher
   * still wait for the previous one of that publisher (events without a publisher
   * stamp, Dragonflow's, count as one publisher), and a `"sync"` waits for every pending
   * call and is awaited alone.
   */
  readonly concurrency?: number;
  /**
   * How many events may wait for the handler (default 1000). When it is reached the
   * subscriber stops reading from its transport, whose bounded queues then hold the
   * backlog (ZeroMQ: the high-water marks; the publisher counts what overflows, and the
   * subscriber gets `"sync"`). A transport that cannot be paused (the broker drivers)
   * drops what comes while it is full, counts it (`stats.overflowed`) and gives
   * `"sync"` once there is room again.
   */
  readonly queueSize?: number;
}

/**
 * Options of {@link IterableSubscriber.events}.
 *
 * @public
 */
export interface EventsOptions extends Pick<HandlerOptions, "queueSize"> {
  /** Ends the iteration: the pending `next()` rejects with the signal's reason, and the subscriber is closed. */
  readonly signal?: AbortSignal | undefined;
  /**
   * How many events the iterator holds for the loop before it stops taking more (then
   * the subscriber's queue and the transport hold them, as for an awaited handler).
   * Default 1000.
   */
  readonly bufferSize?: number;
}

/**
 * Options of {@link SubscriberApi.daemonize}.
 *
 * @public
 */
export interface DaemonizeOptions {
  /**
   * Closes the subscriber when aborted: while starting, `daemonize()` rejects with the
   * signal's reason; once running, the subscriber stops. Already aborted: `daemonize()`
   * rejects at once and starts nothing.
   */
  readonly signal?: AbortSignal | undefined;
}

/**
 * What a publisher typed by `T` sends: an event of one of its tables, the `value` of
 * that table's type. Untyped (`T` the default {@link TableMap}), any {@link PubSubEvent}.
 *
 * @public
 */
export type EventUpdate<T extends object = TableMap> = string extends keyof T
  ? PubSubEvent
  : {
      [K in keyof T & string]: { table: K; key: string | null; action: string; value: T[K]; topic?: string | null };
    }[keyof T & string];

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
export interface PublisherApi<T extends object = TableMap> {
  /** Prepares the transport (bind or connect). Drivers may defer the work to the first send. */
  initialize(): Promise<void>;
  /**
   * Publishes one event on `topic ?? update.topic ?? "D"`.
   * @param update - the event; its `topic` field is overwritten by the resolved topic on the wire.
   * @param topic - explicit topic, overriding `update.topic`.
   */
  sendEvent(update: EventUpdate<T>, topic?: string | null): Promise<void>;
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
 * - A promise returned by the handler is awaited before the next event is handed over
 *   ({@link HandlerOptions}); while the handler is behind, the subscriber stops reading
 *   from the transport, or counts what it cannot hold and gives `"sync"`: memory stays
 *   bounded and no loss is hidden.
 * - `close()` stops receiving and releases the transport. Calling it twice is safe.
 *   Events still waiting for the handler are dropped; a handler call under way finishes.
 *
 * @example
 * ```ts
 * const subscriber = api.getSubscriber();
 * subscriber.initialize((table, key, action, value, topic) => console.log(table, key, action));
 * // or: subscriber.initialize({ onEvent: (event) => console.log(event.table, event.action) });
 * subscriber.registerListenAddress("tcp://127.0.0.1:8866");
 * subscriber.registerTopic("tenant-a");
 * await subscriber.daemonize();
 * ```
 * @public
 */
export interface SubscriberApi<T extends object = TableMap> {
  /**
   * Sets what receives every accepted event: a positional {@link EventCallback}
   * (Dragonflow's), or an {@link EventHandler} object whose `onEvent` gets each event as
   * an object. Call before {@link daemonize}; calling it again replaces the handler.
   */
  initialize(callback: EventCallback | EventHandler<T>, options?: HandlerOptions): void;
  /** Adds a publisher address to receive from. Returns true only when it was not registered yet. */
  registerListenAddress(uri: string): boolean;
  /** Removes a publisher address. Returns true only when it was registered. */
  unregisterListenAddress(uri: string): boolean;
  /** Adds a topic. Returns true only when it was not registered yet. */
  registerTopic(topic: string): boolean;
  /** Removes a topic. Returns true only when it was registered. */
  unregisterTopic(topic: string): boolean;
  /** Starts receiving. Resolves once the transport is connected and subscribed. */
  daemonize(options?: DaemonizeOptions): Promise<void>;
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
   * Optional: every row of a table, key to value, in one read where the database can
   * (Redis: one scan, then the values in bulk). Without it, a table is read as its keys,
   * then each value.
   */
  getAllEntries?(table: string): Promise<Map<string, string>>;
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
 * A subscriber whose events can be read with `for await`. Every subscriber built on
 * `SubscriberAgentBase` is one; {@link isIterable} tells.
 *
 * @public
 */
export interface IterableSubscriber<T extends object = TableMap> {
  /**
   * The subscriber's events as an async iterable, `"sync"` included (as a
   * {@link SyncEvent}). It takes the place of `initialize()`'s handler and starts the
   * subscriber (`daemonize()`) on the first `next()` if it is not running. The
   * iteration ends with `break`, `options.signal` (the loop throws the signal's
   * reason) or `close()` (after the events already buffered); ending it closes the
   * subscriber. A loop slower than the events holds them back as an awaited handler
   * does: the buffer, then the subscriber's queue, then the transport.
   *
   * @example
   * ```ts
   * for await (const event of subscriber.events({ signal })) {
   *   if (event.action === "sync") await resync();
   *   else await apply(event);
   * }
   * ```
   */
  events(options?: EventsOptions): AsyncIterableIterator<SubscriberEvent<T>>;
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
  /**
   * Events dropped because the handler was behind and the transport could not be
   * paused (also counted in `dropped`); each run of them gives `"sync"`.
   */
  overflowed: number;
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

/** True when `agent` implements {@link IterableSubscriber}. @public */
export function isIterable<T extends object = TableMap>(agent: SubscriberApi<T>): agent is SubscriberApi<T> & IterableSubscriber<T> {
  return hasMethod(agent, "events");
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
