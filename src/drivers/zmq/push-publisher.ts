import { setImmediate } from "node:timers";
import * as zmq from "zeromq";
import { encodeBatch, isSingleEventPayload } from "../../agents/codec.js";
import { SendError } from "../../errors.js";
import { isNothingQueued, OPERATIONS_PER_TURN, waiting } from "./nonblocking.js";
import type { ZmqOptions } from "./options.js";
import { ZmqPublisherBase } from "./publisher.js";
import { ReplayWindow } from "./replay-window.js";
import { eventsIn, sequenceOfFrame } from "./stamp.js";

/** Where a PUSH publisher connects. */
export interface PushEndpoint {
  /** The endpoint to connect to, e.g. `ipc:///run/pubsub/publisher.sock`. */
  readonly connect: string;
  /** The config option that names the endpoint, for errors. */
  readonly option: string;
  /**
   * Runs before the first connect, and again before each send until it passes: a
   * rejection (who owns the socket's folder, say) fails the send and connects nothing.
   */
  readonly beforeConnect?: () => Promise<void>;
  /**
   * Where the service acknowledges what it relayed, e.g.
   * `ipc:///run/pubsub/publisher.sock.ack`; without it nothing is kept for replay and
   * events go at most once.
   */
  readonly acknowledgements?: string;
}

const RESOLVED = Promise.resolve();
/**
 * Events a batching worker sends before the service confirmed them, per message of
 * `zmq.multiproc_send_high_water_mark`: 16,384 by default, more than a worker sends at
 * full speed while the service's acknowledgements (every 2 ms, later on a busy machine)
 * are on their way.
 */
const EARLY_EVENTS_PER_MESSAGE = 16;

/** The events gathered in this turn of the event loop: on one topic, each already in the replay window. */
interface Gathered {
  readonly topic: Uint8Array;
  readonly key: string;
  readonly payloads: Uint8Array[];
  bytes: number;
}

/**
 * The multiproc publisher, a worker's way to the publisher service: a PUSH socket
 * connected on the first send (once the endpoint's `beforeConnect` check passed), so
 * workers may start before the service. It queues nothing in libzmq before the service
 * answers (`ZMQ_IMMEDIATE`), then at most `zmq.multiproc_send_high_water_mark` events.
 *
 * The hop is acknowledged: every event sent stays in a replay window
 * (`zmq.replay_window` events) until the service says the network publisher accepted
 * it (a SUB socket on the service's `.ack` endpoint; see `AckSender`). When the
 * connection to the service ends (it was killed, or stopped), the PUSH socket is
 * replaced and, before any new event, everything not confirmed is sent again, in
 * order, to the next service; the service drops what it already took. `sendEvent`
 * resolves once the event is in the window and handed to the socket (the
 * acknowledgement stays off the per-event path); a full window makes it wait, at most
 * `zmq.send_timeout_ms`, then reject with `PUBSUB_ERR_SEND`.
 *
 * The hop is batched (`zmq.multiproc_batch`, on by default): the events given in one
 * turn of the event loop on one topic go out as one message (a MessagePack array, up to
 * `zmq.batch_max_bytes`), sent when the turn ends, so a loop of awaited `sendEvent`s
 * costs one socket send per turn rather than per event. Such an event's `sendEvent`
 * resolves once it is in the window, without waiting for the turn to end, but only while
 * the socket is sure to take the batch at once (the service answered, no send waits, and
 * fewer messages are unconfirmed than half of `zmq.multiproc_send_high_water_mark`, so
 * libzmq's queue cannot be full). Otherwise it resolves once handed to the socket, as
 * without batching. Once the service answered, at most 16 times
 * `zmq.multiproc_send_high_water_mark` events go unconfirmed: past that `sendEvent`
 * waits for confirmations (at most `zmq.send_timeout_ms`), so a service that stops
 * reading is noticed soon. Every 512 events the caller waits for the turn (the event loop
 * is not starved). `close()` waits up to
 * `zmq.linger_ms` for the window to empty, then counts what was sent and never
 * confirmed in {@link lost} (a `LossCountingPublisher`: `pubsub-run publish` reports it
 * and exits 1). It does not know who reads the events, so it is not subscription-aware.
 *
 * @example
 * ```ts
 * const publisher = new ZmqPushPublisher({ connect: "ipc:///run/pubsub/publisher.sock", option: "publisher_multiproc_socket" }, options);
 * await publisher.initialize(); // connects nothing yet
 * await publisher.sendEvent({ table: "t", key: "k", action: "set", value: 1 });
 * await publisher.close();
 * if (publisher.lost > 0) console.error(`${publisher.lost} events never confirmed by the service`);
 * ```
 */
export class ZmqPushPublisher extends ZmqPublisherBase<zmq.Push> {
  readonly #endpoint: PushEndpoint;
  readonly #unsentHint: string;
  readonly #window: ReplayWindow | undefined;
  readonly #keys = new WeakMap<Uint8Array, string>();
  #socket: zmq.Push | undefined;
  #acks: zmq.Subscriber | undefined;
  #replaying: Promise<void> | undefined;
  /** A message in the window whose send waits for the socket: not handed over yet. */
  #waitingSend: Uint8Array | undefined;
  #lost = 0;
  #released = false;
  /** The most payload bytes of a batch; 0: no batching (`zmq.multiproc_batch` and `zmq.batch` off, or no window). */
  readonly #batchMaxBytes: number;
  /** Half of libzmq's queue, in messages: unconfirmed messages below it leave room for one more (Infinity: no limit). */
  readonly #roomyBelow: number;
  /**
   * Unconfirmed events past which, once the service answered, `sendEvent` waits for its
   * confirmations ({@link EARLY_EVENTS_PER_MESSAGE} times
   * `zmq.multiproc_send_high_water_mark`; Infinity for 0), so a service that stops
   * reading is noticed after about that many events.
   */
  readonly #earlyEvents: number;
  #gathered: Gathered | undefined;
  /** Resolves once this turn's batch was handed on, at the end of the turn. */
  #turnEnd: Promise<void> | undefined;
  /** Events resolved before their batch went out, since the event loop last turned. */
  #earlyInTurn = 0;
  /** The last send on the socket, while under way: the next one waits for it. */
  #tail: Promise<void> | undefined;
  /** The current socket took a send: the service answered. */
  #ready = false;
  /** One more each time the socket is replaced. */
  #generation = 0;

  constructor(endpoint: PushEndpoint, options: ZmqOptions) {
    const batched = options.multiproc_batch || options.batch;
    const unsentHint = `${endpoint.option}: no publisher service took it at ${endpoint.connect}; is 'pubsub-run service' running?`;
    super(options, unsentHint, batched);
    this.#unsentHint = unsentHint;
    this.#endpoint = endpoint;
    this.#window = endpoint.acknowledgements === undefined ? undefined : new ReplayWindow(options.replay_window);
    this.#batchMaxBytes =
      batched && this.#window !== undefined ? Math.min(options.batch_max_bytes, options.max_message_bytes || Infinity) : 0;
    const highWaterMark = options.multiproc_send_high_water_mark;
    this.#roomyBelow = highWaterMark === 0 ? Infinity : Math.floor(highWaterMark / 2);
    this.#earlyEvents = highWaterMark === 0 ? Infinity : highWaterMark * EARLY_EVENTS_PER_MESSAGE;
  }

  /** Events sent to the service and not confirmed yet (0 without acknowledgements). */
  get unconfirmed(): number {
    return this.#window?.events ?? 0;
  }

  /**
   * Events whose `sendEvent` resolved and that the service never confirmed when
   * `close()` gave up on them (`zmq.linger_ms`): maybe lost. See `LossCountingPublisher`.
   */
  get lost(): number {
    return this.#lost;
  }

  protected async open(): Promise<void> {} // connects on the first send

  protected override write(topic: Uint8Array, payload: Uint8Array): Promise<void> {
    if (this.#replaying !== undefined) return this.#replaying.then(() => this.write(topic, payload));
    const window = this.#window;
    if (window !== undefined && !window.hasRoom) {
      this.#flush().catch(() => undefined); // what waits for room may be in it
      return window.room(this.options.send_timeout_ms).then(() => this.write(topic, payload));
    }
    const check = this.#endpoint.beforeConnect;
    if (this.#socket !== undefined || check === undefined) return this.#take(topic, payload);
    return check().then(() => {
      if (this.#released) throw new Error("the publisher closed before it connected");
      return this.#replaying === undefined ? this.#take(topic, payload) : this.write(topic, payload);
    });
  }

  /** Gathers the event into this turn's batch, or sends it now (see the class). */
  #take(topic: Uint8Array, payload: Uint8Array): Promise<void> {
    const window = this.#window;
    if (window === undefined || this.#batchMaxBytes === 0 || payload.length > this.#batchMaxBytes || !isSingleEventPayload(payload)) {
      this.#flush().catch(() => undefined);
      return this.#sendKept(topic, payload);
    }
    if (this.#ready && window.events >= this.#earlyEvents) {
      // The service is behind: batching goes on once it confirmed some.
      this.#flush().catch(() => undefined);
      const option = "zmq.multiproc_send_high_water_mark";
      return window.room(this.options.send_timeout_ms, this.#earlyEvents, option).then(() => this.write(topic, payload));
    }
    const key = this.#keyOf(topic);
    let gathered = this.#gathered;
    if (gathered !== undefined && (gathered.key !== key || gathered.bytes + payload.length > this.#batchMaxBytes)) {
      this.#flush().catch(() => undefined); // its events resolved: they are in the window
      gathered = undefined;
    }
    const unconfirmed = window.messages - (gathered?.payloads.length ?? 0) + 1; // the batch counts once
    const early = this.#ready && this.#waitingSend === undefined && unconfirmed < this.#roomyBelow;
    if (!window.add(topic, key, payload)) {
      this.#flush().catch(() => undefined);
      return this.#send(topic, payload); // not ours to keep: alone, at most once
    }
    gathered ??= this.#gathered = { topic, key, payloads: [], bytes: 0 };
    gathered.payloads.push(payload);
    gathered.bytes += payload.length;
    if (!early) return this.#flush();
    const turnEnd = (this.#turnEnd ??= this.#endOfTurn());
    this.#earlyInTurn += 1;
    if (this.#earlyInTurn < OPERATIONS_PER_TURN) return RESOLVED;
    this.#earlyInTurn = 0;
    return turnEnd;
  }

  /** Resolves at the end of this turn, once the batch gathered in it was handed on (its events are in the window either way). */
  #endOfTurn(): Promise<void> {
    return new Promise((resolve) => {
      setImmediate(() => {
        this.#turnEnd = undefined;
        this.#earlyInTurn = 0;
        this.#flush().catch(() => undefined);
        resolve();
      });
    });
  }

  /** Sends the gathered batch (a single event alone); resolves once the socket took it. */
  #flush(): Promise<void> {
    const gathered = this.#gathered;
    if (gathered === undefined || this.#released) return this.#tail ?? RESOLVED;
    this.#gathered = undefined;
    const { payloads } = gathered;
    const payload = payloads.length === 1 ? (payloads[0] as Uint8Array) : encodeBatch(payloads);
    this.#window?.merge(payloads.length, payload);
    return this.#send(gathered.topic, payload);
  }

  /** Sends after the send under way, if any: zeromq.js takes one at a time. */
  #send(topic: Uint8Array, payload: Uint8Array): Promise<void> {
    const previous = this.#tail;
    const generation = this.#generation;
    // Behind a send to a service that went away: the message is in the window, and the
    // replay to the next one sends it (on the new socket, one send at a time).
    const next = (): Promise<void> => (this.#generation === generation ? super.write(topic, payload) : RESOLVED);
    const sent = previous === undefined ? next() : previous.then(next, next);
    const tail = sent.then(() => {
      if (this.#generation === generation) this.#ready = true;
    });
    this.#tail = tail;
    const settled = (): void => {
      if (this.#tail === tail) this.#tail = undefined;
    };
    tail.then(settled, settled);
    return sent;
  }

  protected sendingSocket(): zmq.Push {
    if (this.#socket !== undefined) return this.#socket;
    const socket = this.configure(new zmq.Push());
    // Its own, small queue: what it holds is in the replay window too.
    socket.sendHighWaterMark = this.options.multiproc_send_high_water_mark;
    // Queue nothing in libzmq before the service answers: a send resolves only once a
    // connection took it.
    socket.immediate = true;
    if (this.#window !== undefined) {
      socket.events.on("disconnect", () => this.#connectionLost(socket));
      this.#listen();
    }
    socket.connect(this.#endpoint.connect);
    this.#socket = socket;
    return socket;
  }

  /** The socket could not take the event at once (no room, or no service yet): waits for it to, as long as it takes. */
  protected async sendRefused(err: unknown, socket: zmq.Push, topic: Uint8Array, payload: Uint8Array): Promise<void> {
    if (this.#replaced(socket)) return; // it is in the window: the replay sends it
    if (!isNothingQueued(err) || socket.closed) throw err;
    this.#waitingSend = payload;
    try {
      await waiting(socket, "sendTimeout", () => socket.send([topic, payload]));
    } catch (failed: unknown) {
      if (!this.#replaced(socket)) throw failed;
    } finally {
      if (this.#waitingSend === payload) this.#waitingSend = undefined;
    }
    this.eventLoopTurned();
  }

  protected async release(remainingMs: number): Promise<void> {
    this.#flush().catch(() => undefined); // events resolved in this turn: sent before the wait
    const window = this.#window;
    const confirmed = window === undefined || remainingMs === 0 ? window?.events === 0 : await window.whenEmpty(remainingMs);
    this.#released = true;
    window?.close(
      new SendError(
        `the publisher closed before this event could be sent (zmq.linger_ms of ${this.options.linger_ms} ms expired); ${this.#unsentHint}`,
      ),
    );
    this.#socket?.close();
    this.#socket = undefined;
    this.#acks?.close();
    this.#acks = undefined;
    if (window !== undefined && !confirmed) {
      // A new message whose send still waited was never handed over: its caller gets the
      // rejection. One being sent again (a replay) was handed over before: it counts.
      const waitingSend = this.#replaying === undefined ? this.#waitingSend : undefined;
      this.#lost += window.events - (waitingSend !== undefined && window.isLast(waitingSend) ? eventsIn(waitingSend) : 0);
    }
  }

  /** Keeps the message in the window, then sends it. */
  #sendKept(topic: Uint8Array, payload: Uint8Array): Promise<void> {
    this.#window?.add(topic, this.#keyOf(topic), payload);
    return this.#send(topic, payload);
  }

  /** True when `socket` was replaced (the service went away) while the publisher is open. */
  #replaced(socket: zmq.Push): boolean {
    return this.#window !== undefined && !this.#released && socket !== this.#socket;
  }

  /** The connection to the service ended: a new socket, and what was not confirmed goes again first. */
  #connectionLost(socket: zmq.Push): void {
    if (this.#released || socket !== this.#socket) return;
    socket.linger = 0; // what it still holds is in the window
    socket.close();
    this.#socket = undefined;
    this.#gathered = undefined; // in the window: the replay sends it
    this.#ready = false;
    this.#generation += 1;
    const replay = this.#replay();
    this.#replaying = replay;
    void replay.finally(() => {
      if (this.#replaying === replay) this.#replaying = undefined;
    });
  }

  async #replay(): Promise<void> {
    const socket = this.sendingSocket();
    for (const message of this.#window?.snapshot() ?? []) {
      if (this.#socket !== socket) return; // lost again: that replay sends it all
      try {
        await super.write(message.topic, message.payload);
      } catch {
        return; // closed under it: close() reports what was not confirmed
      }
      this.#ready = true;
    }
  }

  /** Reads acknowledgements: `[publisher id, topic, sequence, topic, sequence, ...]`. */
  #listen(): void {
    if (this.#acks !== undefined || this.#endpoint.acknowledgements === undefined) return;
    const acks = new zmq.Subscriber();
    acks.linger = 0;
    acks.reconnectInterval = this.options.reconnect_interval_ms;
    acks.connect(this.#endpoint.acknowledgements);
    acks.subscribe(this.publisherId);
    this.#acks = acks;
    void this.#readAcks(acks);
  }

  async #readAcks(acks: zmq.Subscriber): Promise<void> {
    const window = this.#window;
    if (window === undefined) return;
    try {
      for await (const frames of acks) {
        for (let i = 1; i + 1 < frames.length; i += 2) {
          const sequence = sequenceOfFrame(frames[i + 1] as Buffer);
          if (sequence !== undefined) window.confirm((frames[i] as Buffer).toString("latin1"), sequence);
        }
        window.settle();
      }
    } catch {
      // closed by release(): what was not confirmed is reported there
    }
  }

  #keyOf(topic: Uint8Array): string {
    let key = this.#keys.get(topic);
    if (key === undefined) {
      key = Buffer.from(topic.buffer, topic.byteOffset, topic.length).toString("latin1");
      this.#keys.set(topic, key);
    }
    return key;
  }
}
