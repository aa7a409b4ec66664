import { createStderrLogger } from "../logger.js";
import { eventsInPayload } from "./codec.js";
import { TransportError } from "../errors.js";
import {
  isDrainable,
  isLossCounting,
  isRawFrameSink,
  isRawFrameSource,
  isSubscriptionAware,
  type Logger,
  type PublisherApi,
  type PubSubEvent,
  SEND_ALL_TOPIC,
  type SubscriberApi,
  type SubscriberStats,
  SYNC_ACTION,
} from "../contract.js";

/** While relaying keeps failing, one log line per this many milliseconds. */
const FAILURE_LOG_INTERVAL_MS = 1_000;

/** Counters of a {@link PublisherService}; read them with {@link PublisherService.stats}. */
export interface PublisherServiceStats {
  /** Events the network publisher accepted (each event of a batch counts). */
  relayed: number;
  /** Events the network publisher refused (logged at most once a second; every event of a refused batch counts). */
  failed: number;
  /** Events still queued in the network publisher. */
  queued: number;
  /**
   * Events the network publisher accepted and its transport then lost (a broker that
   * never confirmed them: {@link LossCountingPublisher}); undefined when it does not
   * count them. Subscribers learn of the loss from the gap in the workers' sequences.
   */
  lost: number | undefined;
  /** The inbox's own counters (undecodable messages dropped, sync notices), when it keeps them. */
  inbox: SubscriberStats | undefined;
  /** True when events are relayed as raw frames, without decoding. */
  raw: boolean;
  /**
   * Times an event found a subscriber's queue full at the network publisher, so that
   * subscriber missed events (the ZeroMQ driver counts them); undefined when the
   * network publisher does not count them.
   */
  queueOverflows: number | undefined;
  /**
   * Times the network publisher ended every connection because its peers' distinct
   * topics passed `zmq.max_subscription_bytes` (the ZeroMQ driver counts them);
   * undefined when the network publisher does not count them.
   */
  subscriptionResets: number | undefined;
  /**
   * Subscriber connections the network publisher accepted, and those it lost (closed,
   * the subscriber's process gone, or dropped after a heartbeat timeout, with what was
   * queued for them; the ZeroMQ driver counts them); undefined when the network
   * publisher does not count them.
   */
  connections: { accepted: number; lost: number } | undefined;
  /**
   * Subscribers of this project connected to the network publisher now; undefined when
   * it does not count them ({@link isSubscriptionAware}).
   */
  subscribers: number | undefined;
  /**
   * Worker publishers whose sequences the inbox follows now; undefined when the inbox
   * does not follow them.
   */
  publishersKnown: number | undefined;
}

/** Options of {@link PublisherService}. */
export interface PublisherServiceOptions {
  /** Where the service logs relay failures. Default: stderr, warnings and up. */
  logger?: Logger;
  /** How long `stop()` may spend relaying what the inbox already received, in ms; -1: no limit. Default 5000. */
  drainTimeoutMs?: number;
  /**
   * Take nothing from the workers until this many subscribers are connected to the
   * network publisher; their events wait in their own queues meanwhile. Needs a network
   * publisher that counts its subscribers ({@link isSubscriptionAware}). Default 0.
   */
  waitForSubscribers?: number;
}

/**
 * The publisher service, one per host: it takes the events every worker process
 * publishes into the multiproc driver's subscriber (the inbox) and publishes them with
 * the network driver's publisher (the outbox). When both drivers speak the shared wire
 * format ({@link isRawFrameSource} / {@link isRawFrameSink}) the frames are relayed as
 * they came, without decoding (a batch from a batching worker goes on as a batch when
 * the network publisher batches, else one event a message); otherwise each event goes
 * through the callback and `sendEvent`. Either way the order of each worker's events is kept. A `"sync"` from the
 * inbox (its transport failed and events may have been lost) is passed on to the
 * network on the send-to-all topic, so every subscriber resynchronises.
 *
 * @example
 * ```ts
 * const service = new PublisherService(multiproc.getSubscriber(), network.getPublisher());
 * await service.start();
 * process.once("SIGTERM", () => void service.stop());
 * ```
 */
export class PublisherService {
  readonly #inbox: SubscriberApi;
  readonly #outbox: PublisherApi;
  readonly #logger: Logger;
  readonly #drainTimeoutMs: number;
  readonly #raw: boolean;
  readonly #waitForSubscribers: number;
  #requestStop: () => void = () => undefined;
  readonly #stopRequest = new Promise<"stopped">((resolve) => (this.#requestStop = () => resolve("stopped")));
  #stopRequested = false;
  #relayed = 0;
  #failed = 0;
  #accepted = 0;
  #failureLoggedAt = 0;
  #stopping: Promise<void> | undefined;
  /** Tells the inbox's sender that the network publisher accepted its frames (raw mode, when the inbox confirms). */
  #confirm: ((topic: Uint8Array, payload: Uint8Array) => void) | undefined;

  constructor(inbox: SubscriberApi, outbox: PublisherApi, options: PublisherServiceOptions = {}) {
    this.#inbox = inbox;
    this.#outbox = outbox;
    this.#logger = options.logger ?? createStderrLogger();
    this.#drainTimeoutMs = options.drainTimeoutMs ?? 5_000;
    this.#raw = isRawFrameSource(inbox) && isRawFrameSink(outbox);
    this.#waitForSubscribers = options.waitForSubscribers ?? 0;
    if (this.#waitForSubscribers > 0 && !isSubscriptionAware(outbox)) {
      throw new TransportError(
        "waiting for subscribers needs a network publisher that counts them (the ZeroMQ driver does); drop the wait",
      );
    }
  }

  /** The counters, a fresh snapshot on every read. */
  get stats(): PublisherServiceStats {
    const inbox = (this.#inbox as { stats?: SubscriberStats }).stats;
    return {
      relayed: this.#relayed,
      failed: this.#failed,
      queued: this.#accepted - this.#relayed - this.#failed,
      lost: isLossCounting(this.#outbox) ? this.#outbox.lost : undefined,
      inbox: inbox === undefined ? undefined : { ...inbox },
      raw: this.#raw,
      queueOverflows: (this.#outbox as { queueOverflows?: number }).queueOverflows,
      subscriptionResets: (this.#outbox as { subscriptionResets?: number }).subscriptionResets,
      connections: connectionCounts(this.#outbox),
      subscribers: isSubscriptionAware(this.#outbox) ? this.#outbox.subscribers : undefined,
      publishersKnown: numberOrUndefined((this.#inbox as { publishersKnown?: unknown }).publishersKnown),
    };
  }

  /**
   * Binds the network publisher, waits for subscribers when asked to, then starts taking
   * events from the inbox. Resolves true when running, false when {@link stop} was
   * called before it was (what it had set up is then released by `stop()`).
   */
  async start(): Promise<boolean> {
    await this.#outbox.initialize();
    if (this.#stopRequested) return false;
    const outbox = this.#outbox;
    if (this.#waitForSubscribers > 0 && isSubscriptionAware(outbox)) {
      const waited = await Promise.race([outbox.whenSubscribers(this.#waitForSubscribers), this.#stopRequest]);
      if (waited === "stopped") return false;
    }
    if (this.#raw && isRawFrameSource(this.#inbox) && isRawFrameSink(outbox)) {
      this.#confirm = isConfirmingInbox(this.#inbox) ? this.#inbox.confirmOnRelay() : undefined;
      this.#inbox.onRawFrames((topic, payload) => this.#track(outbox.sendFrames(topic, payload), topic, payload));
    }
    this.#inbox.initialize((table, key, action, value, topic) => {
      if (action === SYNC_ACTION && table === null) {
        this.#logger.warn({}, "the inbox lost its transport and recovered; telling every subscriber to resynchronise");
        this.#track(outbox.sendEvent({ table: null, key: null, action, value: null }, SEND_ALL_TOPIC));
        return;
      }
      const event: PubSubEvent = { table, key, action, value };
      this.#track(outbox.sendEvent(event, topic));
    });
    try {
      await this.#inbox.daemonize();
    } catch (err: unknown) {
      // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- stop() may be called while daemonize() waits
      if (this.#stopRequested) return false; // stop() closed the inbox under it
      await this.#outbox.close().catch(() => undefined);
      throw err;
    }
    return !this.#stopRequested;
  }

  /**
   * Stops accepting, relays what the inbox already received, flushes the network
   * publisher and releases both. Safe to call twice.
   */
  stop(): Promise<void> {
    this.#stopRequested = true;
    this.#requestStop();
    this.#stopping ??= this.#stop();
    return this.#stopping;
  }

  async #stop(): Promise<void> {
    const inbox = this.#inbox;
    try {
      if (isDrainable(inbox)) await inbox.drain(this.#drainTimeoutMs);
      else await inbox.close();
    } finally {
      await this.#outbox.close();
    }
  }

  #track(sent: Promise<void>, topic?: Uint8Array, payload?: Uint8Array): void {
    const events = payload === undefined ? 1 : eventsInPayload(payload);
    this.#accepted += events;
    sent.then(
      () => {
        this.#relayed += events;
        if (payload !== undefined && topic !== undefined) this.#confirm?.(topic, payload);
      },
      (err: unknown) => {
        this.#failed += events;
        const now = Date.now();
        if (now - this.#failureLoggedAt < FAILURE_LOG_INTERVAL_MS) return;
        this.#failureLoggedAt = now;
        this.#logger.error(
          { err, failed: this.#failed },
          "the network publisher refused an event (failures counted in stats.failed; logged at most once a second)",
        );
      },
    );
  }
}

/**
 * An inbox that acknowledges to its senders what the service relayed (the ZeroMQ
 * multiproc subscriber): in raw mode the service calls the returned function once the
 * network publisher accepted the frames, so a worker forgets an event only then.
 */
interface ConfirmingInbox {
  confirmOnRelay(): (topic: Uint8Array, payload: Uint8Array) => void;
}

function isConfirmingInbox(inbox: SubscriberApi): inbox is SubscriberApi & ConfirmingInbox {
  return typeof (inbox as Partial<ConfirmingInbox>).confirmOnRelay === "function";
}

/** The network publisher's connection counts, when it keeps them (`connections: { accepted, lost }`). */
function connectionCounts(outbox: PublisherApi): PublisherServiceStats["connections"] {
  const counts = (outbox as { connections?: unknown }).connections;
  if (typeof counts !== "object" || counts === null) return undefined;
  const { accepted, lost } = counts as { accepted?: unknown; lost?: unknown };
  return typeof accepted === "number" && typeof lost === "number" ? { accepted, lost } : undefined;
}

function numberOrUndefined(value: unknown): number | undefined {
  return typeof value === "number" ? value : undefined;
}
