import * as zmq from "zeromq";
import type { PublisherApi } from "../../agents/api.js";
import { encodeEvent, encodeTopic } from "../../agents/codec.js";
import { resolveTopic, type PubSubEvent } from "../../agents/event.js";
import type { RawFrameSink } from "../../agents/raw-frames.js";
import { SendQueue } from "../../agents/send-queue.js";
import { SendError, StateError } from "../../errors.js";
import { bindExplained } from "./bind.js";
import { HELLO } from "./hello.js";
import { applySocketOptions, type ZmqOptions } from "./options.js";
import { tcpReleased } from "./released.js";

type Frames = [Uint8Array, Uint8Array];

/** How a publisher reaches its peers. */
export type PublisherEndpoint =
  /** Bind an XPUB socket in `initialize()` (the network publisher); `option` names the config option for errors. */
  | { readonly socket: "pub"; readonly bind: string; readonly option: string; readonly prepare?: () => Promise<void>; readonly release?: () => Promise<void> }
  /** Connect a PUSH socket on the first send (the multiproc publisher); the peer may start later. */
  | { readonly socket: "push"; readonly connect: string };

/**
 * The ZeroMQ publisher: an XPUB socket bound to the network endpoint, or a PUSH socket
 * connected lazily to the publisher service's IPC socket. Sends go through one
 * {@link SendQueue}, so concurrent `sendEvent` calls keep their order; `close()` drains
 * the queue, then closes the socket with the configured linger, so ZeroMQ keeps sending
 * what it holds for up to `zmq.linger_ms`.
 */
export class ZmqPublisher implements PublisherApi, RawFrameSink {
  readonly #endpoint: PublisherEndpoint;
  readonly #options: ZmqOptions;
  readonly #queue: SendQueue<Frames>;
  readonly #topics = new Map<string, Uint8Array>();
  #socket: zmq.XPublisher | zmq.Push | undefined;
  #bound: string | undefined;
  #subscriptions: Promise<void> | undefined;
  #initialized = false;
  #closed = false;
  #released = false;

  constructor(endpoint: PublisherEndpoint, options: ZmqOptions) {
    this.#endpoint = endpoint;
    this.#options = options;
    this.#queue = new SendQueue<Frames>((frames) => this.#send(frames));
  }

  async initialize(): Promise<void> {
    if (this.#closed) throw new StateError("initialize(): the publisher is closed");
    if (this.#initialized) return;
    if (this.#endpoint.socket === "pub") {
      const socket = new zmq.XPublisher();
      applySocketOptions(socket, this.#options, "send");
      socket.sendHighWaterMark = this.#options.send_high_water_mark;
      socket.welcomeMessage = HELLO;
      try {
        await this.#endpoint.prepare?.();
        await bindExplained(socket, this.#endpoint.bind, this.#endpoint.option);
      } catch (err: unknown) {
        socket.close();
        throw err;
      }
      this.#socket = socket;
      this.#bound = socket.lastEndpoint ?? this.#endpoint.bind;
      this.#subscriptions = drain(socket);
    }
    this.#initialized = true;
  }

  sendEvent(update: PubSubEvent, topic?: string | null): Promise<void> {
    if (!this.#initialized && !this.#closed) {
      return Promise.reject(new StateError("sendEvent(): call initialize() first"));
    }
    try {
      const onTopic = resolveTopic(update, topic);
      return this.#queue.push([this.#topicFrame(onTopic), encodeEvent(update, onTopic)]);
    } catch (err: unknown) {
      return Promise.reject(err);
    }
  }

  sendFrames(topic: Uint8Array, payload: Uint8Array): Promise<void> {
    if (!this.#initialized && !this.#closed) {
      return Promise.reject(new StateError("sendFrames(): call initialize() first"));
    }
    return this.#queue.push([topic, payload]);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#drainWithin(this.#options.linger_ms);
    this.#released = true;
    const socket = this.#socket;
    this.#socket = undefined;
    if (socket !== undefined) {
      if (this.#bound !== undefined) await socket.unbind(this.#bound).catch(() => undefined);
      socket.close();
    }
    await this.#queue.flush();
    await this.#subscriptions;
    if (this.#endpoint.socket === "pub") {
      if (this.#bound !== undefined) await tcpReleased(this.#bound, 1_000);
      await this.#endpoint.release?.();
    }
  }

  /** Waits for the queue to drain, at most `linger` ms (-1: forever); a peer that never comes cannot hang `close()`. */
  async #drainWithin(linger: number): Promise<void> {
    if (linger < 0) return this.#queue.close();
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, linger);
    });
    try {
      await Promise.race([this.#queue.close(), expired]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Writes one message; a socket error becomes a {@link SendError} that keeps it as `cause`. */
  async #send(frames: Frames): Promise<void> {
    const socket = this.#connected();
    try {
      await socket.send(frames);
    } catch (err: unknown) {
      const reason = err instanceof Error ? err.message : String(err);
      const why = socket.closed ? "the publisher closed before this event could be sent (zmq.linger_ms expired)" : `the socket refused it: ${reason}`;
      throw new SendError(why, { cause: err });
    }
  }

  #connected(): zmq.XPublisher | zmq.Push {
    if (this.#socket !== undefined) return this.#socket;
    if (this.#released) throw new SendError("the publisher closed before this event could be sent (zmq.linger_ms expired)");
    if (this.#endpoint.socket !== "push") throw new StateError("the publisher is not bound");
    const socket = new zmq.Push();
    applySocketOptions(socket, this.#options, "send");
    socket.sendHighWaterMark = this.#options.send_high_water_mark;
    socket.connect(this.#endpoint.connect);
    this.#socket = socket;
    return socket;
  }

  #topicFrame(topic: string): Uint8Array {
    let frame = this.#topics.get(topic);
    if (frame === undefined) {
      frame = encodeTopic(topic);
      if (this.#topics.size < 1024) this.#topics.set(topic, frame);
    }
    return frame;
  }
}

/**
 * Reads and discards the subscription messages an XPUB socket queues for its owner:
 * the socket keeps them until they are read. The loop ends when the socket closes.
 */
async function drain(socket: zmq.XPublisher): Promise<void> {
  try {
    for await (const _ of socket);
  } catch {
    // Closed: nothing left to read.
  }
}
