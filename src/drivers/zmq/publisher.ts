import type * as zmq from "zeromq";
import { PublisherAgentBase } from "../../agents/publisher-base.js";
import { nextTurn, TurnTaker } from "./nonblocking.js";
import { applySocketOptions, type ZmqOptions } from "./options.js";

/** The sockets a ZeroMQ publisher sends on. */
export type SendingSocket = zmq.XPublisher | zmq.Push;

/**
 * What the ZeroMQ publishers share: the linger time (`zmq.linger_ms`, for the
 * {@link PublisherAgentBase} flush and for the socket, so ZeroMQ keeps sending what it
 * holds), the batched wire mode, the socket options, and the send path. Sockets run
 * with a send timeout of 0 (see `nonblocking.ts`): a send that cannot complete at once
 * fails with `EAGAIN` and goes to {@link sendRefused}, and the event loop is let to turn
 * every few hundred sends that completed at once.
 */
export abstract class ZmqPublisherBase<S extends SendingSocket> extends PublisherAgentBase {
  protected readonly options: ZmqOptions;
  readonly #turns = new TurnTaker();

  /**
   * @param unsentHint - added to the error of an event that could not be sent (see {@link PublisherAgentBase}).
   * @param batched - packs waiting events into one message (default `zmq.batch`, the network's mode).
   */
  constructor(options: ZmqOptions, unsentHint?: string, batched = options.batch) {
    super({
      lingerMs: options.linger_ms,
      lingerOption: "zmq.linger_ms",
      queueSize: options.queueSize,
      // A batch never grows past what subscribers take.
      batchMaxBytes: batched ? Math.min(options.batch_max_bytes, options.max_message_bytes || Infinity) : 0,
      // Peers would drop the connection on a larger frame: refused before it is sent instead.
      maxMessageBytes: options.max_message_bytes,
      maxMessageOption: "zmq.max_message_bytes",
      ...(unsentHint === undefined ? {} : { unsentHint }),
    });
    this.options = options;
  }

  /** The socket to send on, created here by a publisher that connects lazily. */
  protected abstract sendingSocket(): S;

  /**
   * Sends an event the socket refused: `err` is `EAGAIN` when it could not take it at
   * once. Anything else, or a closed socket, is rethrown.
   */
  protected abstract sendRefused(err: unknown, socket: S, topic: Uint8Array, payload: Uint8Array): Promise<void>;

  // Not async: one promise less per event.
  protected write(topic: Uint8Array, payload: Uint8Array): Promise<void> {
    const socket = this.sendingSocket();
    if (this.#turns.take()) return nextTurn().then(() => this.#send(socket, topic, payload));
    return this.#send(socket, topic, payload);
  }

  /** The options every sending socket gets; the send timeout is 0, see the class. */
  protected configure(socket: S): S {
    applySocketOptions(socket, this.options, "send");
    socket.sendHighWaterMark = this.options.send_high_water_mark;
    socket.sendTimeout = 0;
    return socket;
  }

  /** The event loop turned while a send waited: the count of sends that completed at once starts again. */
  protected eventLoopTurned(): void {
    this.#turns.reset();
  }

  #send(socket: S, topic: Uint8Array, payload: Uint8Array): Promise<void> {
    let sent: Promise<void>;
    try {
      sent = socket.send([topic, payload]);
    } catch (err: unknown) {
      // zeromq.js throws at once on a socket closed meanwhile (the multiproc publisher
      // replaces its socket when the service goes away): the publisher decides, as for
      // a send that failed later.
      return this.sendRefused(err, socket, topic, payload);
    }
    return sent.catch((err: unknown) => this.sendRefused(err, socket, topic, payload));
  }
}
