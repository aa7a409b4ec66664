import { StateError, WireFormatError } from "../errors.js";
import { createStderrLogger } from "../logger.js";
import {
  type DaemonizeOptions,
  type EventCallback,
  type EventHandler,
  type EventsOptions,
  type HandlerOptions,
  type IterableSubscriber,
  type Logger,
  type PubSubEvent,
  SEND_ALL_TOPIC,
  SYNC_ACTION,
  type SubscriberApi,
  type SubscriberStats,
} from "../contract.js";
import { isEventPayload, PayloadDecoder, TopicDecoder, type WireEvent } from "./codec.js";
import { DEFAULT_CONCURRENCY, DEFAULT_QUEUE_SIZE, DeliveryQueue } from "./delivery-queue.js";
import { EventIterator } from "./event-iterator.js";
import { DUPLICATE, SequenceTracker } from "./sequence-tracker.js";

/** The handler as the base calls it: positional, whichever form it was given in. */
type Handler = (table: string | null, key: string | null, action: string, value: unknown, topic: string | null) => unknown;

/** While undecodable messages keep coming, one log line per this many milliseconds. */
const BURST_LOG_INTERVAL_MS = 10_000;
/** While gaps keep being found, one log line per this many milliseconds. */
const GAP_LOG_INTERVAL_MS = 10_000;
/** While events overflow the queue, one log line per this many milliseconds. */
const OVERFLOW_LOG_INTERVAL_MS = 10_000;
/**
 * Gaps found this soon after a `"sync"` was given share one more, given when this time
 * is over: after an outage every publisher and topic shows its gap at once, and the
 * application resynchronises twice, not once per stream. The second one is needed: an
 * event missed after the application's first read of the database would otherwise go
 * unnoticed.
 */
export const SYNC_COVERS_MS = 1_000;
/** Default of {@link SubscriberAgentOptions.forgetPublishersAfterMs}: 10 minutes. */
const FORGET_PUBLISHERS_AFTER_MS = 600_000;
/** Default of {@link SubscriberAgentOptions.maxPublishers}. */
const MAX_PUBLISHERS = 10_000;

/** Options every subscriber built on {@link SubscriberAgentBase} accepts. */
export interface SubscriberAgentOptions {
  /** Where to log dropped messages and callback failures. Default: stderr, warnings and up. */
  logger?: Logger;
  /**
   * A publisher whose sequence this subscriber follows is forgotten after about this
   * long without an event from it, in milliseconds (its next event then counts as its
   * first, never as a gap). Default 600000 (10 minutes).
   */
  forgetPublishersAfterMs?: number;
  /** The most publishers whose sequences are followed at once. Default 10000. */
  maxPublishers?: number;
}

/**
 * The shared part of every subscriber: it keeps the topic and listen-address lists,
 * enforces exact topic matching, guards the callback and counts what it drops, so a
 * driver only moves bytes.
 *
 * A driver implements {@link start} and {@link stop} and the four `on...` hooks, which
 * the base calls only while the subscriber runs and only when a list really changed.
 * The send-to-all topic `"D"` is registered from the start, as in Dragonflow.
 *
 * Events go to the handler through a {@link DeliveryQueue}: a synchronous handler is
 * called as each event comes; one that returns a promise is awaited (see
 * {@link HandlerOptions}). A driver that can stop reading its transport overrides
 * {@link pausesTransport} and waits on {@link backlog} before reading more; for the
 * others, what comes while the queue is full is dropped, counted (`overflowed`) and
 * followed by `"sync"`.
 *
 * @example
 * ```ts
 * class MySubscriber extends SubscriberAgentBase {
 *   protected async start() { for (const uri of this.listenAddresses) connect(uri); }
 *   protected async stop() { disconnectAll(); }
 *   protected onListenAddressAdded(uri: string) { connect(uri); }
 *   protected onListenAddressRemoved(uri: string) { disconnect(uri); }
 *   protected onTopicAdded(topic: string) { subscribe(topic); }
 *   protected onTopicRemoved(topic: string) { unsubscribe(topic); }
 * }
 * ```
 */
export abstract class SubscriberAgentBase implements SubscriberApi, IterableSubscriber, AsyncDisposable {
  readonly #topics = new Set<string>([SEND_ALL_TOPIC]);
  readonly #addresses = new Set<string>();
  #handler: Handler | undefined;
  #iterator: EventIterator | undefined;
  readonly #queue = new DeliveryQueue((table, key, action, value, topic) => this.#call(table, key, action, value, topic));
  #overflowing = false;
  #overflowLoggedAt = -Infinity;
  #starting: Promise<void> | undefined;
  /** Removes the abort listeners of `daemonize({ signal })` calls when the subscriber closes. */
  readonly #unlisten: (() => void)[] = [];
  #running = false;
  #closed = false;
  /** Where this subscriber logs. */
  protected readonly logger: Logger;
  /** Counters of delivered and dropped events; the object is live, not a copy. */
  readonly stats: SubscriberStats = {
    delivered: 0,
    dropped: 0,
    undecodable: 0,
    syncs: 0,
    callbackErrors: 0,
    gaps: 0,
    missed: 0,
    duplicates: 0,
    overflowed: 0,
  };
  readonly #topicDecoder = new TopicDecoder();
  readonly #payloadDecoder = new PayloadDecoder();
  readonly #sequences: SequenceTracker;
  #sweeper: NodeJS.Timeout | undefined;
  #burst = 0;
  #burstLoggedAt = 0;
  #syncedAt = -Infinity;
  /** The `"sync"` due when {@link SYNC_COVERS_MS} after the last one is over, for gaps found meanwhile. */
  #syncDue: NodeJS.Timeout | undefined;
  #gapLoggedAt = -Infinity;

  constructor(options: SubscriberAgentOptions = {}) {
    this.logger = options.logger ?? createStderrLogger();
    this.#sequences = new SequenceTracker({
      forgetAfterMs: options.forgetPublishersAfterMs ?? FORGET_PUBLISHERS_AFTER_MS,
      maxPublishers: options.maxPublishers ?? MAX_PUBLISHERS,
    });
  }

  /** The registered topics, in registration order. */
  get topics(): readonly string[] {
    return [...this.#topics];
  }

  /** The registered listen addresses, in registration order. */
  get listenAddresses(): readonly string[] {
    return [...this.#addresses];
  }

  get isRunning(): boolean {
    return this.#running;
  }

  /** Publishers whose sequences this subscriber follows now (bounded by `maxPublishers`). */
  get publishersKnown(): number {
    return this.#sequences.size;
  }

  initialize(callback: EventCallback | EventHandler, options: HandlerOptions = {}): void {
    const concurrency = positiveInteger(options.concurrency, DEFAULT_CONCURRENCY, "concurrency");
    const queueSize = positiveInteger(options.queueSize, DEFAULT_QUEUE_SIZE, "queueSize");
    if (typeof callback === "function") {
      this.#handler = callback;
    } else if (typeof (callback as Partial<EventHandler> | null)?.onEvent === "function") {
      const handler = callback;
      this.#handler = (table, key, action, value, topic) => handler.onEvent({ table, key, action, value, topic } as SubscriberEventLike);
    } else {
      throw new TypeError(
        `initialize(callback): callback must be a function or an object with an onEvent method (got ${describe(callback)})`,
      );
    }
    this.#queue.configure(concurrency, queueSize);
  }

  /**
   * The events as an async iterable; see {@link IterableSubscriber.events}. It replaces
   * the handler `initialize()` set and ends an earlier iteration; an `initialize()`
   * afterwards takes the events from it.
   *
   * @param owner - @internal the agent the iterator starts, closes and initialises: a
   *   wrapper of this subscriber (discovery) passes itself.
   */
  events(options: EventsOptions = {}, owner: SubscriberApi = this): EventIterator {
    const iterator = new EventIterator(owner, options);
    owner.initialize(iterator, options.queueSize === undefined ? {} : { queueSize: options.queueSize });
    this.#iterator?.closed();
    this.#iterator = iterator;
    if (this.#closed) iterator.closed();
    return iterator;
  }

  registerListenAddress(uri: string): boolean {
    return this.#add(this.#addresses, uri, (u) => this.onListenAddressAdded(u));
  }

  unregisterListenAddress(uri: string): boolean {
    return this.#remove(this.#addresses, uri, (u) => this.onListenAddressRemoved(u));
  }

  registerTopic(topic: string): boolean {
    this.checkTopic(topic);
    return this.#add(this.#topics, topic, (t) => this.onTopicAdded(t));
  }

  unregisterTopic(topic: string): boolean {
    return this.#remove(this.#topics, topic, (t) => this.onTopicRemoved(t));
  }

  async daemonize(options: DaemonizeOptions = {}): Promise<void> {
    const { signal } = options;
    signal?.throwIfAborted();
    if (this.#closed) throw new StateError("daemonize(): the subscriber is closed");
    if (this.#handler === undefined) {
      throw new StateError("daemonize(): call initialize(callback) first");
    }
    if (signal !== undefined) {
      const onAbort = (): void => void this.close().catch((err: unknown) => this.logger.error({ err }, "closing on abort failed"));
      signal.addEventListener("abort", onAbort, { once: true });
      this.#unlisten.push(() => signal.removeEventListener("abort", onAbort));
      try {
        await this.#start();
      } catch (err: unknown) {
        signal.removeEventListener("abort", onAbort);
        throw signal.aborted ? signal.reason : err;
      }
      if (signal.aborted) throw signal.reason;
      return;
    }
    await this.#start();
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#running = false;
    clearInterval(this.#sweeper);
    clearTimeout(this.#syncDue);
    const unhandled = this.#queue.close();
    if (unhandled > 0) {
      this.stats.dropped += unhandled;
      this.logger.warn(
        { unhandled, dropped: this.stats.dropped },
        `closed with ${unhandled} events still queued for the handler: dropped (counted in dropped)`,
      );
    }
    this.#iterator?.closed();
    for (const unlisten of this.#unlisten.splice(0)) unlisten();
    await this.#starting?.catch(() => undefined);
    await this.stop();
  }

  /** Closes the subscriber: `await using subscriber = api.getSubscriber()`. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  /** Starts once, however many callers wait for it. */
  #start(): Promise<void> {
    if (this.#running) return Promise.resolve();
    this.#starting ??= (async () => {
      try {
        await this.start();
      } finally {
        this.#starting = undefined;
      }
      if (this.#closed) {
        // close() waited for this start: it stops the transport.
        throw new StateError("daemonize(): the subscriber was closed while it started");
      }
      this.#running = true;
      this.#sweeper = setInterval(() => this.#sequences.sweep(), this.#sequences.sweepIntervalMs);
      this.#sweeper.unref();
    })();
    return this.#starting;
  }

  /**
   * True when the driver stops reading from its transport while {@link backlog} says
   * so: then a full queue never drops. False by default: what comes while the queue is
   * full is dropped, counted and followed by `"sync"`.
   */
  protected get pausesTransport(): boolean {
    return false;
  }

  /**
   * Undefined while the handler keeps up; while the queue of events waiting for it is
   * full, a promise that resolves once there is room (or the subscriber closed). A
   * driver that {@link pausesTransport} awaits it before reading the next message.
   */
  protected backlog(): Promise<void> | undefined {
    return this.#queue.whenRoom();
  }

  /** Opens the transport, connects every listen address and subscribes every topic. */
  protected abstract start(): Promise<void>;
  /** Stops receiving and releases the transport. Called once. */
  protected abstract stop(): Promise<void>;
  /** A listen address was added while running. */
  protected abstract onListenAddressAdded(uri: string): void;
  /** A listen address was removed while running. */
  protected abstract onListenAddressRemoved(uri: string): void;
  /** A topic was added while running. */
  protected abstract onTopicAdded(topic: string): void;
  /** A topic was removed while running. */
  protected abstract onTopicRemoved(topic: string): void;

  /**
   * Refuses a topic the transport cannot subscribe to exactly (a NATS subject cannot
   * hold wildcards), so `registerTopic` throws at once. By default every topic is fine.
   *
   * @throws a coded error (`PUBSUB_ERR_INVALID_TOPIC`) saying what is wrong.
   */
  protected checkTopic(_topic: string): void {}

  /** True when `topic` is registered: the exact-match rule. */
  protected acceptsTopic(topic: string): boolean {
    return this.#topics.has(topic);
  }

  /**
   * Hands one event to the callback when its topic is registered (exact match), else
   * counts it as dropped. A callback that throws or rejects is logged and counted; it
   * never stops the caller's receive loop.
   */
  protected dispatch(event: PubSubEvent): void {
    const topic = event.topic ?? null;
    if (topic !== null && !this.acceptsTopic(topic)) {
      this.stats.dropped += 1;
      return;
    }
    this.#deliver(event.table, event.key, event.action, event.value, topic, "");
  }

  /**
   * Takes one message as it came off the wire: the topic (frame or channel) and the
   * MessagePack payload. Messages on topics not registered are dropped before decoding;
   * undecodable ones are counted and dropped (see {@link dropUndecodable}); the rest go
   * to the callback with the topic they arrived on. A batched payload (an array of
   * events) delivers each of its events in order; a bad item is dropped alone.
   * `handled`, when given, is called once the handler is done with every event of the
   * message (a promise it returned settled), or at once when none is delivered; never
   * for events still queued when the subscriber closes.
   */
  protected receive(topic: string | Uint8Array, payload: Uint8Array, handled?: () => void): void {
    let decoded: WireEvent | (WireEvent | WireFormatError)[];
    let onTopic: string;
    try {
      onTopic = typeof topic === "string" ? topic : this.#topicDecoder.decode(topic);
      if (!this.acceptsTopic(onTopic)) {
        this.stats.dropped += 1;
        handled?.();
        return;
      }
      decoded = this.#payloadDecoder.decode(payload);
    } catch (err: unknown) {
      this.dropUndecodable(err);
      handled?.();
      return;
    }
    if (!Array.isArray(decoded)) {
      this.#endBurst();
      if (this.#inSequence(decoded, onTopic))
        this.#deliver(decoded.table, decoded.key, decoded.action, decoded.value, onTopic, decoded.publisherId ?? "", handled);
      else handled?.();
      return;
    }
    // A batch is handled once each of its events delivered is (one hold more until all are handed over).
    let holds = 1;
    const one = handled === undefined ? undefined : () => (holds -= 1) === 0 && handled();
    for (const event of decoded) {
      if (event instanceof WireFormatError) {
        this.dropUndecodable(event);
        continue;
      }
      this.#endBurst();
      if (!this.#inSequence(event, onTopic)) continue;
      holds += 1;
      this.#deliver(event.table, event.key, event.action, event.value, onTopic, event.publisherId ?? "", one);
    }
    one?.();
  }

  /**
   * Follows the stamp of an event (publisher id, sequence on its topic): a gap or a
   * restart is counted (`gaps`, `missed`) and gives the callback one `"sync"`, before
   * the event, or, when one was given less than {@link SYNC_COVERS_MS} ago, one when
   * that time is over (one for all the gaps found meanwhile); a duplicate
   * is counted and dropped (false). Unstamped events (Dragonflow's) pass as they are.
   */
  #inSequence(event: WireEvent, topic: string): boolean {
    if (event.publisherId === undefined || event.sequence === undefined) return true;
    const verdict = this.#sequences.take(event.publisherId, topic, event.sequence);
    if (verdict === 0) return true;
    if (verdict === DUPLICATE) {
      this.stats.dropped += 1;
      this.stats.duplicates += 1;
      return false;
    }
    this.stats.gaps += 1;
    if (verdict > 0) this.stats.missed += verdict;
    const now = Date.now();
    if (now - this.#gapLoggedAt >= GAP_LOG_INTERVAL_MS) {
      this.#gapLoggedAt = now;
      this.logger.warn(
        {
          publisherId: event.publisherId,
          topic,
          missed: verdict > 0 ? verdict : "unknown (the publisher restarted)",
          gaps: this.stats.gaps,
        },
        "events from a publisher are missing; the subscriber resynchronises (gaps and missed events counted; logged at most every 10 s)",
      );
    }
    this.syncSoon(now);
    return true;
  }

  /**
   * Events were missed: the callback gets `"sync"` now, or, when one was given less than
   * {@link SYNC_COVERS_MS} ago, one when that time is over (one for everything missed
   * meanwhile), so a burst of losses gives the application two resyncs, not one each.
   */
  protected syncSoon(now = Date.now()): void {
    if (now - this.#syncedAt >= SYNC_COVERS_MS) this.dispatchSync();
    else this.#syncWhenDue(now);
  }

  /** A gap found less than {@link SYNC_COVERS_MS} after the last `"sync"`: one more when that time is over. */
  #syncWhenDue(now: number): void {
    if (this.#syncDue !== undefined) return;
    this.#syncDue = setTimeout(
      () => {
        this.#syncDue = undefined;
        if (!this.#closed) this.dispatchSync();
      },
      Math.max(0, this.#syncedAt + SYNC_COVERS_MS - now),
    );
  }

  /**
   * For drivers that hand messages on without decoding them (the publisher service's
   * raw relay): true when `payload` can be an event, by its first byte (a MessagePack
   * map, or an array: a batch). Otherwise the message is counted and dropped as
   * undecodable (see {@link dropUndecodable}) and the caller must not pass it on.
   */
  protected acceptRaw(payload: Uint8Array): boolean {
    if (!isEventPayload(payload)) {
      this.dropUndecodable(
        new WireFormatError(`payload is not a MessagePack map or array (${payload.length} bytes, first byte ${hexByte(payload[0])})`),
      );
      return false;
    }
    this.#endBurst();
    return true;
  }

  /**
   * Counts and drops a message that is not an event (wrong frame count, bad MessagePack,
   * no action). The first of a burst is logged with the reason; the rest of the burst
   * only counted, and the burst's total is logged when a good message follows.
   */
  protected dropUndecodable(reason: unknown): void {
    this.stats.dropped += 1;
    this.stats.undecodable += 1;
    this.#burst += 1;
    const now = Date.now();
    if (this.#burst === 1 || now - this.#burstLoggedAt >= BURST_LOG_INTERVAL_MS) {
      this.#burstLoggedAt = now;
      this.logger.warn(
        { err: reason, undecodable: this.stats.undecodable },
        "dropped an undecodable message; the subscriber keeps receiving (the rest of this burst is counted, not logged)",
      );
    }
  }

  /** Tells the application it may have missed events: `(null, null, "sync", null, null)`. */
  protected dispatchSync(): void {
    clearTimeout(this.#syncDue); // this one comes after the gaps it waited for
    this.#syncDue = undefined;
    this.#syncedAt = Date.now();
    this.stats.syncs += 1;
    this.#deliver(null, null, SYNC_ACTION, null, null, null);
  }

  #endBurst(): void {
    if (this.#burst === 0) return;
    if (this.#burst > 1) this.logger.warn({ dropped: this.#burst }, "a burst of undecodable messages ended");
    this.#burst = 0;
  }

  /**
   * Hands one event over at once when nothing is pending, else queues it on `lane` (a
   * publisher; `null`: the `"sync"` barrier). Past the queue's capacity, a driver that
   * cannot pause its transport loses the event: counted, and `"sync"` follows.
   */
  #deliver(
    table: string | null,
    key: string | null,
    action: string,
    value: unknown,
    topic: string | null,
    lane: string | null,
    done?: () => void,
  ): void {
    const queue = this.#queue;
    if (queue.idle) {
      const pending = this.#call(table, key, action, value, topic);
      if (pending !== undefined) queue.track(pending, lane, done);
      else done?.();
      return;
    }
    if (!this.pausesTransport) {
      if (queue.full) {
        this.#overflow();
        done?.();
        return;
      }
      if (this.#overflowing) {
        this.#overflowing = false;
        this.dispatchSync();
      }
    }
    queue.push(table, key, action, value, topic, lane, done);
  }

  /** One event more than the queue holds, from a transport that cannot be paused. */
  #overflow(): void {
    this.stats.dropped += 1;
    this.stats.overflowed += 1;
    const now = Date.now();
    if (now - this.#overflowLoggedAt >= OVERFLOW_LOG_INTERVAL_MS) {
      this.#overflowLoggedAt = now;
      this.logger.warn(
        { overflowed: this.stats.overflowed },
        "the event handler is behind and the queue is full: events are dropped and the subscriber resynchronises (counted in overflowed; logged at most every 10 s)",
      );
    }
    if (this.#overflowing) return;
    this.#overflowing = true;
    void this.#queue.whenRoom()?.then(() => {
      if (!this.#overflowing || this.#closed) return;
      this.#overflowing = false;
      this.dispatchSync();
    });
  }

  /** Calls the handler; returns its promise, failures handled, when it returned one. */
  #call(table: string | null, key: string | null, action: string, value: unknown, topic: string | null): PromiseLike<unknown> | undefined {
    const handler = this.#handler;
    if (handler === undefined) return undefined;
    this.stats.delivered += 1;
    try {
      const result: unknown = handler(table, key, action, value, topic);
      if (isPromiseLike(result)) return result.then(undefined, (err: unknown) => this.#callbackFailed(err, table, key, action));
    } catch (err: unknown) {
      this.#callbackFailed(err, table, key, action);
    }
    return undefined;
  }

  #callbackFailed(err: unknown, table: string | null, key: string | null, action: string): void {
    this.stats.callbackErrors += 1;
    this.logger.error({ err, table, key, action }, "event callback failed; the subscriber keeps receiving");
  }

  #add(set: Set<string>, item: string, hook: (item: string) => void): boolean {
    if (set.has(item)) return false;
    set.add(item);
    if (this.#running) hook(item);
    return true;
  }

  #remove(set: Set<string>, item: string, hook: (item: string) => void): boolean {
    if (!set.delete(item)) return false;
    if (this.#running) hook(item);
    return true;
  }
}

/** The object an {@link EventHandler} receives, before its table is known to the types. */
type SubscriberEventLike = Parameters<EventHandler["onEvent"]>[0];

function describe(value: unknown): string {
  return value === null ? "null" : typeof value;
}

function positiveInteger(value: number | undefined, fallback: number, option: string): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 1) {
    throw new TypeError(`initialize(callback, options): options.${option} must be a positive integer (got ${String(value)})`);
  }
  return value;
}

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as { then?: unknown } | null)?.then === "function";
}

function hexByte(byte: number | undefined): string {
  return byte === undefined ? "none" : `0x${byte.toString(16).padStart(2, "0")}`;
}
