import { setTimeout as delay } from "node:timers/promises";
import type * as zmq from "zeromq";
import type { Logger } from "../../logger.js";

/** A socket we receive multipart messages from. */
export type ReceivingSocket = zmq.Socket & AsyncIterable<Buffer[]>;

/** What a {@link ReceiveLoop} needs from its owner. */
export interface ReceiveLoopHooks {
  /** Creates the socket, connected or bound, every subscription applied. */
  open(): Promise<ReceivingSocket>;
  /** Called with every message received, in order. Must not throw. */
  take(frames: Buffer[]): void;
  /** The socket failed and a new one took its place: events may have been lost. */
  recovered(): void;
  /** Releases what {@link open} set up besides the socket (files). Optional. */
  release?(socket: zmq.Socket): Promise<void>;
  readonly logger: Logger;
}

/**
 * One socket and the loop that receives from it, which never dies: when the socket fails
 * or is closed behind the loop's back, a new one is opened and {@link ReceiveLoopHooks.recovered}
 * is called. {@link stop} is the only way to end it.
 */
export class ReceiveLoop {
  readonly #hooks: ReceiveLoopHooks;
  #socket: ReceivingSocket | undefined;
  #loop: Promise<void> | undefined;
  #stopping = false;
  #received = 0;

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
    if (socket === undefined || this.#stopping) return this.stop();
    this.#stopping = true;
    await refuse(socket);
    const deadline = timeoutMs < 0 ? Infinity : Date.now() + timeoutMs;
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
      for await (const frames of socket) {
        this.#received += 1;
        this.#hooks.take(frames);
      }
    } catch (err: unknown) {
      failure = err;
    }
    if (this.#stopping || socket !== this.#socket) return;
    this.#hooks.logger.error({ err: failure }, "a subscriber socket failed; opening a new one");
    await this.#recover(socket);
  }

  async #recover(broken: ReceivingSocket): Promise<void> {
    if (!broken.closed) broken.close();
    await this.#hooks.release?.(broken).catch(() => undefined);
    try {
      const socket = await this.#hooks.open();
      if (this.#stopping) {
        socket.close();
        await this.#hooks.release?.(socket);
        return;
      }
      this.#run(socket);
      this.#hooks.recovered();
    } catch (err: unknown) {
      this.#socket = undefined;
      this.#hooks.logger.error({ err }, "cannot open a new subscriber socket; this one stays stopped");
    }
  }
}
