import type * as zmq from "zeromq";
import type { Logger } from "../../contract.js";
import { HeldBackLog } from "./held-back-log.js";

/** While subscriber connections keep being lost, one log line per this many milliseconds. */
const LOSS_LOG_INTERVAL_MS = 10_000;

/** A network publisher's subscriber connections, as libzmq reports them. */
export interface ConnectionCounts {
  /** Connections that completed the ZeroMQ handshake: subscribers of this project or not. */
  readonly accepted: number;
  /**
   * Of those, the ones that ended while the publisher was open: closed by the subscriber,
   * its process gone, or dropped by libzmq after `zmq.heartbeat_timeout_ms` without a
   * word from it (a stopped or unreachable subscriber). libzmq does not say which, nor how
   * many events were still queued for the connection: they are dropped, uncounted.
   */
  readonly lost: number;
}

/**
 * Counts the connections of an XPUB socket from its socket events (zeromq.js's
 * `socket.events`, libzmq's monitor) and logs each one lost: the first, then at most one
 * line every 10 s with the count since. Connection events are few, so the socket's send
 * path does not see it: the monitor is a socket of its own, read on its own.
 *
 * What libzmq tells, and what it does not: a `"disconnect"` event carries no reason
 * (a clean close, a dead process and a heartbeat timeout look the same) and no count of
 * what the connection still had queued; its address is the connection's local end (this
 * host's address and the bound port), not the subscriber's. A connection that never
 * completed the handshake (a port probe) gets a `"handshake:error:*"` event before its
 * `"disconnect"`; it is neither accepted nor lost here.
 *
 * While the socket is open a read of its events is pending, which keeps the Node.js
 * process alive, as a listening server does; closing the socket ends it.
 */
export class ConnectionWatch {
  readonly #logger: Logger;
  readonly #heartbeatTimeoutMs: number | undefined;
  readonly #reading: Promise<void>;
  #accepted = 0;
  #lost = 0;
  /** Failed handshakes whose `"disconnect"` is still to come. */
  #failedHandshakes = 0;
  #unlogged = 0;
  readonly #unloggedEndpoints = new Set<string>();
  readonly #held = new HeldBackLog(LOSS_LOG_INTERVAL_MS, () => this.#logHeldBack());

  /**
   * Starts reading `socket`'s events: before it binds, so that no connection is missed.
   * @param heartbeatTimeoutMs - `zmq.heartbeat_timeout_ms` when heartbeats are on, for the log line.
   */
  constructor(socket: zmq.XPublisher, logger: Logger, heartbeatTimeoutMs: number | undefined) {
    this.#logger = logger;
    this.#heartbeatTimeoutMs = heartbeatTimeoutMs;
    this.#reading = this.#read(socket.events);
  }

  /** The counts so far, a fresh snapshot on every read. */
  get counts(): ConnectionCounts {
    return { accepted: this.#accepted, lost: this.#lost };
  }

  /**
   * Resolves once the socket is closed and its last events are counted; logs the losses
   * the rate limit held back.
   */
  async closed(): Promise<void> {
    await this.#reading;
    this.#held.flush();
  }

  async #read(events: zmq.Observer): Promise<void> {
    try {
      for await (const event of events) this.#take(event);
    } catch {
      // The socket closed under the pending read: nothing more to count.
    }
  }

  // undefined: a read pending when the observer closed resolves with nothing (zeromq.js observer.cc).
  #take(event: zmq.Event | undefined): void {
    switch (event?.type) {
      case "handshake":
        this.#accepted += 1;
        return;
      case "handshake:error:auth":
      case "handshake:error:other":
      case "handshake:error:protocol":
        this.#failedHandshakes += 1;
        return;
      case "disconnect":
        if (this.#failedHandshakes > 0) this.#failedHandshakes -= 1;
        else this.#lose(event.address);
        return;
      default:
        return;
    }
  }

  #lose(endpoint: string): void {
    this.#lost += 1;
    this.#unlogged += 1;
    this.#unloggedEndpoints.add(endpoint);
    this.#held.note();
  }

  #logHeldBack(): void {
    if (this.#unlogged === 0) return;
    this.#logger.warn(
      {
        lost: this.#unlogged,
        connectionsLost: this.#lost,
        localEndpoints: [...this.#unloggedEndpoints],
        ...(this.#heartbeatTimeoutMs === undefined ? {} : { heartbeatTimeoutMs: this.#heartbeatTimeoutMs }),
      },
      `${this.#unlogged === 1 ? "a subscriber connection was" : `${this.#unlogged} subscriber connections were`} lost: closed by the subscriber, its process gone, or dropped after zmq.heartbeat_timeout_ms without a heartbeat (libzmq does not say which); the events queued for it are dropped, uncounted (libzmq does not say how many); a subscriber of this project that reconnects gets "sync" (counted in connections.lost; logged at most every 10 s)`,
    );
    this.#unlogged = 0;
    this.#unloggedEndpoints.clear();
  }
}
