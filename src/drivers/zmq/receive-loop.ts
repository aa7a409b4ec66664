import { setTimeout as delay } from "node:timers/promises";
import type * as zmq from "zeromq";
import type { Logger } from "../../contract.js";
import { within } from "../../agents/deadline.js";
import { isBlockedByBind, isNothingQueued, nextTurn, TurnTaker, waiting } from "./nonblocking.js";

/** A socket we receive multipart messages from. */
export type ReceivingSocket = zmq.Subscriber | zmq.Pull;

/** What a {@link ReceiveLoop} needs from its owner. */
export interface ReceiveLoopHooks {
  /** Creates the socket, connected or bound, every subscription applied. */
  open(): Promise<ReceivingSocket>;
  /** Called with every message received, in order. Must not throw. */
  take(frames: Buffer[]): void;
  /**
   * Undefined while the owner keeps up; else a promise the loop awaits before it
   * receives the next message, so the backlog stays in libzmq's bounded queues (the
   * high-water marks) while the event handler is behind. Optional.
   */
  backlog?(): Promise<void> | undefined;
  /** The socket failed and a new one took its place: events may have been lost. */
  recovered(): void;
  /** Releases what {@link open} set up besides the socket (files). Optional. */
  release?(socket: zmq.Socket): Promise<void>;
  /**
   * How long to wait before trying again when a new socket cannot be opened (the
   * subscribers pass `zmq.reconnect_interval_ms`); the wait doubles after each failure,
   * up to {@link MAX_RETRY_MS}.
   */
  readonly retryIntervalMs: number;
  /**
   * How long one wait for a message lasts at most before the loop waits again, in
   * milliseconds. A loop that may be drained needs it (`UNBIND_WAIT_SLICE_MS` in nonblocking.ts):
   * {@link ReceiveLoop.drain} waits for the loop to be between two waits (undefined: a
   * wait lasts until a message comes).
   */
  readonly waitSliceMs?: number | undefined;
  readonly logger: Logger;
}

/** A request of {@link ReceiveLoop.drain}: the loop stops using its socket until `resumed`. */
interface Park {
  readonly parked: () => void;
  readonly resumed: Promise<void>;
}

/** The longest wait between two attempts to open a new socket (unless the interval itself is longer). */
export const MAX_RETRY_MS = 5_000;

/**
 * One socket and the loop that receives from it, which never dies: when the socket fails
 * or is closed behind the loop's back, a new one is opened and {@link ReceiveLoopHooks.recovered}
 * is called. When the new one cannot be opened (its address is taken, its directory
 * gone), it tries again, backing off, until it opens. {@link stop} is the only way to
 * end it.
 *
 * {@link drain} unbinds only while the loop is parked between two receives, never under
 * a pending one (see `UNBIND_WAIT_SLICE_MS` in nonblocking.ts).
 */
export class ReceiveLoop {
  readonly #hooks: ReceiveLoopHooks;
  #socket: ReceivingSocket | undefined;
  #loop: Promise<void> | undefined;
  #stopping = false;
  readonly #stopped = new AbortController();
  #received = 0;
  #park: Park | undefined;

  constructor(hooks: ReceiveLoopHooks) {
    this.#hooks = hooks;
  }

  /** The live socket, undefined while stopped. */
  get socket(): ReceivingSocket | undefined {
    return this.#socket;
  }

  /** Opens the socket and starts receiving; rejects when the socket cannot be opened. */
  async start(): Promise<void> {
    const socket = await this.#hooks.open();
    if (this.#stopping) {
      socket.close();
      await this.#hooks.release?.(socket);
      return;
    }
    this.#run(socket);
  }

  /**
   * Stops accepting and delivers what already arrived, then stops: `refuse` detaches the
   * socket from its peers (unbind, disconnect) while messages already in its queue stay
   * readable; the loop keeps taking them until none came for `idleMs` (at most
   * `timeoutMs` in all; -1: no limit), then the socket is closed.
   */
  async drain(refuse: (socket: ReceivingSocket) => Promise<void>, idleMs: number, timeoutMs: number): Promise<void> {
    const socket = this.#socket;
    const loop = this.#loop;
    if (socket === undefined || loop === undefined || this.#stopping) return this.stop();
    this.#stopping = true;
    const deadline = timeoutMs < 0 ? Infinity : Date.now() + timeoutMs;
    // refuse() runs while the loop leaves the socket alone (see the class).
    let resume: () => void = () => undefined;
    const resumed = new Promise<void>((resolve) => (resume = resolve));
    const parked = new Promise<boolean>((resolve) => (this.#park = { parked: () => resolve(true), resumed }));
    const ready = await within(Promise.race([parked, loop.then(() => false)]), timeoutMs < 0 ? -1 : timeoutMs);
    if (ready !== true) {
      this.#park = undefined;
      resume();
      return this.stop();
    }
    try {
      await refuse(socket);
    } finally {
      this.#park = undefined;
      resume();
    }
    let seen = -1;
    while (seen !== this.#received && Date.now() < deadline) {
      seen = this.#received;
      await delay(Math.min(idleMs, Math.max(0, deadline - Date.now())));
    }
    await this.stop();
  }

  /** Closes the socket and waits for the loop to end. Safe to call more than once. */
  async stop(): Promise<void> {
    this.#stopping = true;
    this.#stopped.abort();
    const socket = this.#socket;
    this.#socket = undefined;
    if (socket !== undefined && !socket.closed) socket.close();
    await this.#loop;
    if (socket !== undefined) await this.#hooks.release?.(socket);
  }

  #run(socket: ReceivingSocket): void {
    this.#socket = socket;
    this.#loop = this.#receive(socket);
  }

  async #receive(socket: ReceivingSocket): Promise<void> {
    let failure: unknown;
    try {
      // Receive timeout 0: a message already queued is taken without zeromq.js's
      // readiness check; when none is, wait for the next (nonblocking.ts).
      socket.receiveTimeout = 0;
      const turns = new TurnTaker();
      let wait = false;
      while (!socket.closed) {
        const park = this.#park;
        if (park !== undefined) {
          park.parked();
          await park.resumed;
          turns.reset();
          wait = false;
          continue;
        }
        let frames: Buffer[];
        try {
          frames = await (wait ? waiting(socket, "receiveTimeout", () => socket.receive(), this.#hooks.waitSliceMs) : socket.receive());
        } catch (err: unknown) {
          // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- stop() closes the socket while a receive waits
          if (socket.closed) break;
          if (isBlockedByBind(err)) {
            // drain() is unbinding the socket: what is queued stays readable once it is done.
            await nextTurn();
            turns.reset();
            continue;
          }
          if (!isNothingQueued(err)) throw err;
          // Nothing queued: the next receive waits for a message (again, when a wait's slice ended).
          if (wait) turns.reset();
          wait = true;
          continue;
        }
        if (wait) {
          wait = false;
          turns.reset();
        }
        this.#received += 1;
        this.#hooks.take(frames);
        const backlog = this.#hooks.backlog?.();
        if (backlog !== undefined) {
          await backlog;
          turns.reset();
        } else if (turns.take()) await nextTurn();
      }
    } catch (err: unknown) {
      if (!socket.closed) failure = err;
    }
    if (this.#stopping || socket !== this.#socket) return;
    this.#hooks.logger.error({ err: failure }, "a subscriber socket failed; opening a new one");
    await this.#recover(socket);
  }

  async #recover(broken: ReceivingSocket): Promise<void> {
    this.#socket = undefined;
    if (!broken.closed) broken.close();
    await this.#hooks.release?.(broken).catch(() => undefined);
    let failures = 0;
    while (!this.#stopping) {
      let socket: ReceivingSocket;
      try {
        socket = await this.#hooks.open();
      } catch (err: unknown) {
        failures += 1;
        const retryInMs = this.#backoff(failures);
        // Once per failure streak: a socket that cannot be reopened would otherwise log
        // every few seconds for as long as the cause lasts.
        if (failures === 1) {
          this.#hooks.logger.error(
            { err, retryInMs },
            "cannot open a new subscriber socket; trying again until it opens (further failures are logged at debug level)",
          );
        } else {
          this.#hooks.logger.debug({ err, failures, retryInMs }, "still cannot open a new subscriber socket");
        }
        await delay(retryInMs, undefined, { signal: this.#stopped.signal }).catch(() => undefined);
        continue;
      }
      // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- stop() may be called while open() runs
      if (this.#stopping) {
        socket.close();
        await this.#hooks.release?.(socket);
        return;
      }
      if (failures > 0) this.#hooks.logger.warn({ failures }, `opened a new subscriber socket after ${failures} failed attempts`);
      this.#run(socket);
      this.#hooks.recovered();
      return;
    }
  }

  /** The wait after the `failures`-th failed attempt: the interval, doubled each time, capped. */
  #backoff(failures: number): number {
    const interval = this.#hooks.retryIntervalMs;
    return Math.min(interval * 2 ** Math.min(failures - 1, 30), Math.max(MAX_RETRY_MS, interval));
  }
}
