import * as zmq from "zeromq";
import { isNothingQueued, waiting } from "./nonblocking.js";
import type { ZmqOptions } from "./options.js";
import { ZmqPublisherBase } from "./publisher.js";

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
}

/**
 * The multiproc publisher, a worker's way to the publisher service: a PUSH socket
 * connected on the first send (once the endpoint's `beforeConnect` check passed), so
 * workers may start before the service. It queues
 * nothing in libzmq before the service answers (`ZMQ_IMMEDIATE`), then at most
 * `zmq.multiproc_send_high_water_mark` events, and a send waits, as
 * long as it takes, for the service to take the event; `close()` gives up on what is
 * still waiting after `zmq.linger_ms` and rejects it, saying the service did not take
 * it. It does not know who reads the events, so it is not subscription-aware.
 *
 * @example
 * ```ts
 * const publisher = new ZmqPushPublisher({ connect: "ipc:///run/pubsub/publisher.sock", option: "publisher_multiproc_socket" }, options);
 * await publisher.initialize(); // connects nothing yet
 * await publisher.sendEvent({ table: "t", key: "k", action: "set", value: 1 });
 * ```
 */
export class ZmqPushPublisher extends ZmqPublisherBase<zmq.Push> {
  readonly #endpoint: PushEndpoint;
  #socket: zmq.Push | undefined;
  #released = false;

  constructor(endpoint: PushEndpoint, options: ZmqOptions) {
    super(options, `${endpoint.option}: no publisher service took it at ${endpoint.connect}; is 'pubsub-run service' running?`);
    this.#endpoint = endpoint;
  }

  protected async open(): Promise<void> {} // connects on the first send

  protected override write(topic: Uint8Array, payload: Uint8Array): Promise<void> {
    const check = this.#endpoint.beforeConnect;
    if (this.#socket !== undefined || check === undefined) return super.write(topic, payload);
    return check().then(() => {
      if (this.#released) throw new Error("the publisher closed before it connected");
      return super.write(topic, payload);
    });
  }

  protected sendingSocket(): zmq.Push {
    if (this.#socket !== undefined) return this.#socket;
    const socket = this.configure(new zmq.Push());
    // Its own, small queue: a queued event counts as sent, and is lost if the service dies.
    socket.sendHighWaterMark = this.options.multiproc_send_high_water_mark;
    // Queue nothing in libzmq before the service answers: a send resolves only once a
    // connection took it, so events `close()` gives up on are rejected, not dropped.
    socket.immediate = true;
    socket.connect(this.#endpoint.connect);
    this.#socket = socket;
    return socket;
  }

  /** The socket could not take the event at once (no room, or no service yet): waits for it to, as long as it takes. */
  protected async sendRefused(err: unknown, socket: zmq.Push, topic: Uint8Array, payload: Uint8Array): Promise<void> {
    if (!isNothingQueued(err) || socket.closed) throw err;
    await waiting(socket, "sendTimeout", () => socket.send([topic, payload]));
    this.eventLoopTurned();
  }

  protected release(): Promise<void> {
    this.#released = true;
    this.#socket?.close();
    this.#socket = undefined;
    return Promise.resolve();
  }
}
