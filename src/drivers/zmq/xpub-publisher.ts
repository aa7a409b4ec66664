import * as zmq from "zeromq";
import type { Logger, SubscriptionAwarePublisher } from "../../contract.js";
import { StateError } from "../../errors.js";
import { createStderrLogger } from "../../logger.js";
import { bindExplained } from "./bind.js";
import type { CurvePublisherKeys } from "./curve.js";
import { type ConnectionCounts, ConnectionWatch } from "./connection-events.js";
import { HELLO } from "./hello.js";
import { isBlockedByBind, isNothingQueued } from "./nonblocking.js";
import { applyNetworkPublisherOptions, MAX_SUBSCRIPTION_MESSAGE_BYTES, type ZmqOptions } from "./options.js";
import { ZmqPublisherBase } from "./publisher.js";
import { tcpReleased } from "./released.js";
import { SubscriptionLimit } from "./subscription-limit.js";
import { SubscriptionCounter } from "./subscriptions.js";
import { ZapHandler } from "./zap.js";

/** Where an XPUB publisher binds. */
export interface XPubEndpoint {
  /** The endpoint to bind, e.g. `tcp://*:8866`. */
  readonly bind: string;
  /** The config option that names the endpoint, for errors. */
  readonly option: string;
  /** The config option for a local address that is not this host's (default: {@link option}). */
  readonly addressOption?: string;
  /** Runs before the bind (an IPC endpoint's directory and stale socket file). */
  readonly prepare?: () => Promise<void>;
  /** Runs once the socket is closed (an IPC endpoint's socket file). */
  readonly release?: () => Promise<void>;
  /** CurveZMQ: the publisher's secret key and the subscribers' allow-list (`zmq.curve`); plain ZMTP without it. */
  readonly curve?: CurvePublisherKeys | undefined;
}

/**
 * Subscription messages libzmq queues from each connection for the socket (ZMQ_RCVHWM).
 * libzmq moves what is queued into its subscription trie whenever the socket is used,
 * and refills the queue from the network while it does, so with a deep queue one use
 * can take in a whole flood before the owner reads a message of it (bench scenario
 * `subflood`, limit 256 KiB: 50,000 distinct topics of 256 bytes grew the process by
 * 400 to 600 MB with libzmq's 1,000, by about 20 MB with 8). A subscriber's 1,000
 * topics still take effect within about 30 ms.
 */
const SUBSCRIPTION_QUEUE = 8;

/** While subscribers' queues keep overflowing, one log line per this many milliseconds. */
const OVERFLOW_LOG_INTERVAL_MS = 10_000;

/**
 * The network publisher: an XPUB socket bound in `initialize()`, greeting every new
 * connection with the welcome message and counting this project's subscribers from
 * their subscriptions to it ({@link SubscriptionAwarePublisher}).
 *
 * A subscriber whose queue is full (`zmq.send_high_water_mark` events) cannot take
 * more; a PUB socket would drop its events without a word. The XPUB socket here is set
 * to refuse such a send instead (`ZMQ_XPUB_NODROP`); the event then goes out to the
 * subscribers that have room, and the overflow is counted in {@link queueOverflows}
 * and logged (the first, then at most every 10 s). The publisher never waits for the
 * slow subscriber. libzmq then leaves that subscriber out until it has read half its
 * queue, so it misses the events sent meanwhile too, uncounted: the counter says how
 * often a queue overflowed, not how many events were missed.
 *
 * A subscriber connection that ends (closed, its process gone, or dropped when silent
 * for `zmq.heartbeat_timeout_ms` after one of the publisher's pings, sent every
 * `zmq.publisher_heartbeat_interval_ms`, with everything queued for it) is
 * counted in {@link connections} and logged the same way; see `connection-events.ts`
 * for what libzmq does and does not tell about it. Past `zmq.max_subscription_bytes` of
 * distinct topics subscribed, every connection is ended, counted in
 * {@link subscriptionResets} and logged (`subscription-limit.ts`). With `zmq.curve` on, the socket is a
 * CURVE server; with an allow-list, a ZAP handler in a ZeroMQ context of this
 * publisher's own refuses and logs every subscriber key not on it (`zap.ts`). While
 * bound, the publisher keeps the Node.js process alive, as a listening server does,
 * until `close()`.
 *
 * @example
 * ```ts
 * const publisher = new ZmqXPubPublisher({ bind: "tcp://*:8866", option: "publisher_port" }, options);
 * await publisher.initialize();
 * await publisher.whenSubscribers(1);
 * ```
 */
export class ZmqXPubPublisher extends ZmqPublisherBase<zmq.XPublisher> implements SubscriptionAwarePublisher {
  readonly #endpoint: XPubEndpoint;
  readonly #logger: Logger;
  #socket: zmq.XPublisher | undefined;
  #bound: string | undefined;
  #counter: SubscriptionCounter | undefined;
  #zap: ZapHandler | undefined;
  #connections: ConnectionWatch | undefined;
  #limit: SubscriptionLimit | undefined;
  /** Waits in {@link whenSubscribers} before the socket is bound. */
  readonly #early: { count: number; resolve: () => void }[] = [];
  #overflows = 0;
  #overflowLoggedAt = -Infinity;

  constructor(endpoint: XPubEndpoint, options: ZmqOptions, logger: Logger = createStderrLogger()) {
    super(options);
    this.#endpoint = endpoint;
    this.#logger = logger;
  }

  /**
   * Times an event found a subscriber's queue full (`zmq.send_high_water_mark`). That
   * subscriber missed the event, and misses the ones after it until it has read half its
   * queue.
   */
  get queueOverflows(): number {
    return this.#overflows;
  }

  /**
   * Times every connection was ended because the peers' distinct topics passed
   * `zmq.max_subscription_bytes` (0 before `initialize()`).
   */
  get subscriptionResets(): number {
    return this.#limit?.resets ?? 0;
  }

  /**
   * Subscriber connections accepted and lost so far (a fresh snapshot; zeros before
   * `initialize()`, the last counts after `close()`). Counts every ZeroMQ subscriber, of
   * this project or not; a lost one's undelivered events are not counted, as libzmq
   * does not tell them.
   *
   * @example
   * ```ts
   * const { accepted, lost } = publisher.connections;
   * ```
   */
  get connections(): ConnectionCounts {
    return this.#connections?.counts ?? { accepted: 0, lost: 0 };
  }

  /**
   * Subscribers of this project connected (as of the last look, at most 50 ms ago),
   * counted from their subscriptions to the welcome message; subscribers of other
   * implementations are not counted.
   */
  get subscribers(): number {
    return this.#counter?.count ?? 0;
  }

  whenSubscribers(count: number): Promise<void> {
    if (count <= 0) return Promise.resolve();
    if (this.#counter !== undefined) return this.#counter.when(count);
    return new Promise((resolve) => this.#early.push({ count, resolve }));
  }

  /**
   * Reads `zmq.curve.allowed_subscribers` again (`pubsub-run service` does on SIGHUP);
   * connections already accepted stay.
   *
   * @returns the number of keys now allowed, or `undefined` without an allow-list in use.
   * @throws {@link TransportError} when the list is missing or malformed; the one in use is kept.
   */
  reloadAllowList(): number | undefined {
    return this.#zap?.reload();
  }

  protected async open(): Promise<void> {
    const curve = this.#endpoint.curve;
    let context: zmq.Context | undefined;
    if (curve?.allowList !== undefined) {
      context = new zmq.Context();
      this.#zap = await ZapHandler.start(context, curve.allowList, this.#logger);
    }
    const socket = this.configure(new zmq.XPublisher(context === undefined ? {} : { context }));
    applyNetworkPublisherOptions(socket, this.options);
    if (curve !== undefined) {
      socket.curveServer = true;
      socket.curveSecretKey = curve.secretKey;
      socket.zapDomain = "pubsub";
    }
    socket.maxMessageSize = Math.min(MAX_SUBSCRIPTION_MESSAGE_BYTES, this.options.max_message_bytes || Infinity);
    socket.welcomeMessage = HELLO;
    socket.verbosity = "allSubsUnsubs";
    // A full subscriber queue makes a send fail at once (EAGAIN, the send timeout is 0)
    // rather than drop silently or wait: see sendRefused.
    socket.noDrop = true;
    socket.receiveHighWaterMark = SUBSCRIPTION_QUEUE;
    const heartbeats = this.options.heartbeat_interval_ms > 0 && this.options.publisher_heartbeat_interval_ms > 0;
    this.#connections = new ConnectionWatch(socket, this.#logger, heartbeats ? this.options.heartbeat_timeout_ms : undefined);
    try {
      await this.#endpoint.prepare?.();
      await bindExplained(socket, this.#endpoint.bind, this.#endpoint.option, this.#endpoint.addressOption);
    } catch (err: unknown) {
      socket.close();
      await this.#zap?.close();
      this.#zap = undefined;
      throw err;
    }
    this.#socket = socket;
    this.#bound = socket.lastEndpoint ?? this.#endpoint.bind;
    const maxBytes = this.options.max_subscription_bytes;
    const counter = new SubscriptionCounter(socket, maxBytes > 0 ? (message) => this.#limit?.take(message) : undefined);
    this.#counter = counter;
    // The limit unbinds and binds the socket while the counter leaves it alone.
    this.#limit =
      maxBytes > 0 ? new SubscriptionLimit(socket, this.#bound, maxBytes, this.#logger, (work) => counter.exclusive(work)) : undefined;
    for (const waiter of this.#early.splice(0)) void counter.when(waiter.count).then(waiter.resolve);
  }

  protected sendingSocket(): zmq.XPublisher {
    if (this.#socket === undefined) throw new StateError("the publisher is not bound");
    return this.#socket;
  }

  /**
   * The XPUB socket refused an event because a subscriber's queue is full: sends it to
   * the subscribers with room (dropping it for the full ones), counts and logs that.
   */
  protected async sendRefused(err: unknown, socket: zmq.XPublisher, topic: Uint8Array, payload: Uint8Array): Promise<void> {
    if (isBlockedByBind(err) && this.#limit !== undefined && !socket.closed) {
      // The subscription limit is ending every connection (unbinding, binding again).
      await this.#limit.settled();
      return this.write(topic, payload);
    }
    if (!isNothingQueued(err) || socket.closed) throw err;
    setNoDrop(socket, false);
    let sent: Promise<void>;
    try {
      sent = socket.send([topic, payload]); // sent, or refused, before send() returns (no timeout)
    } finally {
      setNoDrop(socket, true);
    }
    await sent;
    this.#overflows += 1;
    const now = Date.now();
    if (now - this.#overflowLoggedAt < OVERFLOW_LOG_INTERVAL_MS) return;
    this.#overflowLoggedAt = now;
    this.#logger.warn(
      { queueOverflows: this.#overflows, sendHighWaterMark: this.options.send_high_water_mark },
      "a subscriber is not keeping up: its queue is full (zmq.send_high_water_mark), so it misses events until it has read half of it, while the others still get them (overflows counted in queueOverflows; logged at most every 10 s)",
    );
  }

  protected async release(): Promise<void> {
    const socket = this.#socket;
    this.#socket = undefined;
    // close() alone, never unbind() first: unbinding ends the connections accepted on
    // the endpoint at once, and libzmq drops what they had not written yet; a closed
    // socket keeps sending for its linger time, then lets the port go.
    const counting = this.#counter?.close();
    socket?.close();
    await counting;
    await this.#connections?.closed();
    await this.#limit?.settled();
    this.#limit?.flush();
    await this.#zap?.close();
    this.#zap = undefined;
    if (this.#bound !== undefined) await tcpReleased(this.#bound, 1_000);
    await this.#endpoint.release?.();
  }
}

/**
 * Sets `ZMQ_XPUB_NODROP` on a bound socket. libzmq applies it at once, but zeromq.js
 * warns through `process.emitWarning` that an option set after a bind takes effect only
 * at the next one, for every option not on its own list: that warning, wrong here,
 * would print twice on every overflow. It is silenced for this one synchronous call.
 */
function setNoDrop(socket: zmq.XPublisher, value: boolean): void {
  if (socket.closed) return;
  // eslint-disable-next-line @typescript-eslint/unbound-method -- put back as it was, never called detached
  const emitWarning = process.emitWarning;
  process.emitWarning = () => undefined;
  try {
    socket.noDrop = value;
  } finally {
    process.emitWarning = emitWarning;
  }
}
