import type * as zmq from "zeromq";
import { isHelloSubscription } from "./hello.js";
import { isNothingQueued, nextTurn, TurnTaker, UNBIND_WAIT_SLICE_MS } from "./nonblocking.js";

/** How often an idle publisher's socket is looked at, in milliseconds. */
const LOOK_INTERVAL_MS = 50;

interface Waiter {
  count: number;
  resolve: () => void;
}

/**
 * Counts our subscribers of an XPUB socket, from the subscriptions to the welcome
 * message that the socket queues for its owner.
 *
 * It keeps no receive pending on the socket: a pending receive makes zeromq.js wake for
 * every state change of the socket, which costs about 0.6 µs per send (a sixth of a
 * publisher's CPU per event, measured by the benchmark). Instead it takes what is queued,
 * without waiting, every {@link LOOK_INTERVAL_MS}; that look is also what lets libzmq
 * attach new connections on a publisher that sends nothing, and greet them with the
 * welcome message (a subscriber of a restarted, idle publisher service learns of the
 * restart within one look). It waits for messages only while someone waits in
 * {@link when}. A look takes everything queued, letting the event loop turn every few
 * hundred messages, so while a peer floods the socket with subscriptions the owner
 * keeps reading them until none is left; each one also goes to `observe` (the
 * subscription limit, `subscription-limit.ts`).
 */
export class SubscriptionCounter {
  readonly #socket: zmq.XPublisher;
  readonly #waiters = new Set<Waiter>();
  readonly #timer: NodeJS.Timeout;
  #reading: Promise<void> | undefined;
  #count = 0;
  #closed = false;
  #paused = 0;
  readonly #observe: ((message: Buffer) => void) | undefined;

  /** @param observe - called with every subscription message the socket hands its owner. */
  constructor(socket: zmq.XPublisher, observe?: (message: Buffer) => void) {
    this.#socket = socket;
    this.#observe = observe;
    this.#timer = setInterval(() => this.#read(), LOOK_INTERVAL_MS);
    this.#timer.unref();
    this.#read();
  }

  /** Our subscribers connected, as of the last look. */
  get count(): number {
    return this.#count;
  }

  /** Resolves once at least `count` of our subscribers are connected. */
  when(count: number): Promise<void> {
    if (this.#count >= count) return Promise.resolve();
    const waited = new Promise<void>((resolve) => this.#waiters.add({ count, resolve }));
    this.#read();
    return waited;
  }

  /**
   * Runs `work` (an unbind or a bind of the socket) while the counter leaves the socket
   * alone (see {@link UNBIND_WAIT_SLICE_MS}), and resolves with its outcome: the read
   * under way ends first, within one slice.
   */
  async exclusive<T>(work: () => Promise<T>): Promise<T> {
    this.#paused += 1;
    try {
      await this.#reading;
      return await work();
    } finally {
      this.#paused -= 1;
      this.#read();
    }
  }

  /** Stops looking; the socket's close ends a receive still pending. */
  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#timer);
    await this.#reading;
  }

  #read(): void {
    if (this.#reading !== undefined || this.#closed || this.#paused > 0) return;
    this.#reading = this.#readQueued().finally(() => {
      this.#reading = undefined;
    });
  }

  async #readQueued(): Promise<void> {
    const socket = this.#socket;
    try {
      socket.receiveTimeout = 0;
      const turns = new TurnTaker();
      while (this.#paused === 0) {
        if (turns.take()) await nextTurn();
        let message: Buffer | undefined;
        try {
          [message] = await socket.receive();
        } catch (err: unknown) {
          if (isNothingQueued(err)) break;
          throw err;
        }
        this.#take(message);
      }
      this.#answer();
      socket.receiveTimeout = UNBIND_WAIT_SLICE_MS;
      while (this.#waiters.size > 0 && !this.#closed && this.#paused === 0) {
        let message: Buffer | undefined;
        try {
          [message] = await socket.receive();
        } catch (err: unknown) {
          if (isNothingQueued(err)) continue; // the slice ended: wait again, unless paused
          throw err;
        }
        this.#take(message);
        this.#answer();
      }
    } catch {
      // The socket closed: nothing left to read.
    }
  }

  #take(message: Buffer | undefined): void {
    if (message === undefined) return;
    this.#observe?.(message);
    const change = isHelloSubscription(message);
    this.#count = Math.max(0, this.#count + change);
  }

  #answer(): void {
    for (const waiter of this.#waiters) {
      if (this.#count < waiter.count) continue;
      this.#waiters.delete(waiter);
      waiter.resolve();
    }
  }
}
