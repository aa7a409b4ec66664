import * as zmq from "zeromq";
import type { SubscriptionAwarePublisher } from "../../agents/api.js";
import { PublisherAgentBase } from "../../agents/publisher-base.js";
import { StateError } from "../../errors.js";
import { createStderrLogger, type Logger } from "../../logger.js";
import { bindExplained } from "./bind.js";
import { HELLO } from "./hello.js";
import { isNothingQueued, nextTurn, TurnTaker, waiting } from "./nonblocking.js";
import { applySocketOptions, type ZmqOptions } from "./options.js";
import { tcpReleased } from "./released.js";
import { SubscriptionCounter } from "./subscriptions.js";

/** How a publisher reaches its peers. */
export type PublisherEndpoint =
  /**
   * Bind an XPUB socket in `initialize()` (the network publisher); `option` names the
   * config option for errors, `addressOption` the one for a local address that is not
   * this host's (default: `option`).
   */
  | {
      readonly socket: "pub";
      readonly bind: string;
      readonly option: string;
      readonly addressOption?: string;
      readonly prepare?: () => Promise<void>;
      readonly release?: () => Promise<void>;
    }
  /** Connect a PUSH socket on the first send (the multiproc publisher); the peer may start later. `option` names the config option for errors. */
  | { readonly socket: "push"; readonly connect: string; readonly option: string };

/** While subscribers' queues keep overflowing, one log line per this many milliseconds. */
const OVERFLOW_LOG_INTERVAL_MS = 10_000;

/**
 * The ZeroMQ publisher: an XPUB socket bound to the network endpoint, or a PUSH socket
 * connected lazily to the publisher service's IPC socket. {@link PublisherAgentBase}
 * keeps the order and the `close()` flush (bounded by `zmq.linger_ms`); the socket
 * itself also lingers `zmq.linger_ms`, so ZeroMQ keeps sending what it holds.
 *
 * A subscriber whose queue is full (`zmq.send_high_water_mark` events) cannot take
 * more; a PUB socket would drop its events without a word. The XPUB socket here is set
 * to refuse such a send instead (`ZMQ_XPUB_NODROP`); the event then goes out to the
 * subscribers that have room, and the overflow is counted in {@link queueOverflows}
 * and logged (the first, then at most every 10 s). The publisher never waits for the
 * slow subscriber. libzmq then leaves that subscriber out until it has read half its
 * queue, so it misses the events sent meanwhile too, uncounted: the counter says how
 * often a queue overflowed, not how many events were missed.
 */
export class ZmqPublisher extends PublisherAgentBase implements SubscriptionAwarePublisher {
  readonly #endpoint: PublisherEndpoint;
  readonly #options: ZmqOptions;
  #socket: zmq.XPublisher | zmq.Push | undefined;
  #bound: string | undefined;
  #counter: SubscriptionCounter | undefined;
  /** Waits in {@link whenSubscribers} before the socket is bound. */
  readonly #early: { count: number; resolve: () => void }[] = [];
  readonly #logger: Logger;
  readonly #turns = new TurnTaker();
  #overflows = 0;
  #overflowLoggedAt = -Infinity;

  constructor(endpoint: PublisherEndpoint, options: ZmqOptions, logger: Logger = createStderrLogger()) {
    super({
      lingerMs: options.linger_ms,
      lingerOption: "zmq.linger_ms",
      batchMaxBytes: options.batch ? options.batch_max_bytes : 0,
      ...(endpoint.socket === "push"
        ? { unsentHint: `${endpoint.option}: no publisher service took it at ${endpoint.connect}; is 'pubsub-run service' running?` }
        : {}),
    });
    this.#endpoint = endpoint;
    this.#options = options;
    this.#logger = logger;
  }

  /**
   * Times an event found a subscriber's queue full (`zmq.send_high_water_mark`). That
   * subscriber missed the event, and misses the ones after it until it has read half its
   * queue. Always 0 for a PUSH publisher, which waits for room instead.
   */
  get queueOverflows(): number {
    return this.#overflows;
  }

  /**
   * Subscribers of this project connected (as of the last look, at most 50 ms ago),
   * counted from their subscriptions to the welcome message; subscribers of other
   * implementations are not counted. Always 0 for a PUSH publisher.
   */
  get subscribers(): number {
    return this.#counter?.count ?? 0;
  }

  whenSubscribers(count: number): Promise<void> {
    if (count <= 0) return Promise.resolve();
    if (this.#endpoint.socket === "push") return new Promise(() => undefined); // PUSH counts nobody
    if (this.#counter !== undefined) return this.#counter.when(count);
    return new Promise((resolve) => this.#early.push({ count, resolve }));
  }

  protected async open(): Promise<void> {
    if (this.#endpoint.socket !== "pub") return; // PUSH connects on the first write
    const socket = new zmq.XPublisher();
    applySocketOptions(socket, this.#options, "send");
    socket.sendHighWaterMark = this.#options.send_high_water_mark;
    socket.welcomeMessage = HELLO;
    socket.verbosity = "allSubsUnsubs";
    // A full subscriber queue makes a send fail at once (EAGAIN) rather than drop
    // silently or wait: see #sendPast. No timeout also spares zeromq.js a readiness
    // check per send (nonblocking.ts).
    socket.noDrop = true;
    socket.sendTimeout = 0;
    try {
      await this.#endpoint.prepare?.();
      await bindExplained(socket, this.#endpoint.bind, this.#endpoint.option, this.#endpoint.addressOption);
    } catch (err: unknown) {
      socket.close();
      throw err;
    }
    this.#socket = socket;
    this.#bound = socket.lastEndpoint ?? this.#endpoint.bind;
    const counter = new SubscriptionCounter(socket);
    this.#counter = counter;
    for (const waiter of this.#early.splice(0)) void counter.when(waiter.count).then(waiter.resolve);
  }

  // Not async: one promise less per event. The socket's send timeout is 0 (see
  // nonblocking.ts): a send that cannot complete at once fails with EAGAIN and is
  // handled by #sendPast (XPUB: a full subscriber queue) or #sendWaiting (PUSH: no
  // room, or no service yet).
  protected write(topic: Uint8Array, payload: Uint8Array): Promise<void> {
    const socket = this.#connected();
    if (this.#turns.take()) return nextTurn().then(() => this.#send(socket, topic, payload));
    return this.#send(socket, topic, payload);
  }

  #send(socket: zmq.XPublisher | zmq.Push, topic: Uint8Array, payload: Uint8Array): Promise<void> {
    const sent = socket.send([topic, payload]);
    return socket instanceof zmq.XPublisher
      ? sent.catch((err: unknown) => this.#sendPast(err, socket, topic, payload))
      : sent.catch((err: unknown) => this.#sendWaiting(err, socket, topic, payload));
  }

  /** The PUSH socket could not take the event at once: waits for it to, as long as it takes. */
  async #sendWaiting(err: unknown, socket: zmq.Push, topic: Uint8Array, payload: Uint8Array): Promise<void> {
    if (!isNothingQueued(err) || socket.closed) throw err;
    await waiting(socket, "sendTimeout", () => socket.send([topic, payload]));
    this.#turns.reset();
  }

  /**
   * The XPUB socket refused an event because a subscriber's queue is full: sends it to
   * the subscribers with room (dropping it for the full ones), counts and logs that.
   */
  async #sendPast(err: unknown, socket: zmq.XPublisher, topic: Uint8Array, payload: Uint8Array): Promise<void> {
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
      { queueOverflows: this.#overflows, sendHighWaterMark: this.#options.send_high_water_mark },
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
    if (this.#endpoint.socket === "pub") {
      if (this.#bound !== undefined) await tcpReleased(this.#bound, 1_000);
      await this.#endpoint.release?.();
    }
  }

  #connected(): zmq.XPublisher | zmq.Push {
    if (this.#socket !== undefined) return this.#socket;
    if (this.#endpoint.socket !== "push") throw new StateError("the publisher is not bound");
    const socket = new zmq.Push();
    applySocketOptions(socket, this.#options, "send");
    socket.sendHighWaterMark = this.#options.send_high_water_mark;
    // Queue nothing in libzmq before the service answers: a send resolves only once a
    // connection took it, so events `close()` gives up on are rejected, not dropped.
    socket.immediate = true;
    socket.sendTimeout = 0; // see #sendWaiting
    socket.connect(this.#endpoint.connect);
    this.#socket = socket;
    return socket;
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
  const emitWarning = process.emitWarning;
  process.emitWarning = (() => undefined) as typeof process.emitWarning;
  try {
    socket.noDrop = value;
  } finally {
    process.emitWarning = emitWarning;
  }
}
