import * as zmq from "zeromq";
import { ConnectedListeners } from "../../agents/connected-listeners.js";
import type { ConnectionAwareSubscriber } from "../../contract.js";
import { InvalidTopicError } from "../../errors.js";
import type { SubscriberAgentOptions } from "../../agents/subscriber-base.js";
import type { CurveSubscriberKeys } from "./curve.js";
import { HELLO, isHello } from "./hello.js";
import { applySocketOptions, MAX_SUBSCRIPTION_MESSAGE_BYTES, type ZmqOptions } from "./options.js";
import { SubSocket } from "./sub-socket.js";
import type { ReceiveLoop } from "./receive-loop.js";
import { ZmqSubscriberBase } from "./subscriber.js";

/**
 * How long after a connection's "disconnect" the subscriber waits for libzmq's
 * "connect:retry" (sent at once after every loss it reconnects from) before it
 * reconnects itself.
 */
const DROPPED_CHECK_MS = 1_000;

/** What a subscriber has seen of the publisher at one address. */
interface Peer {
  /** It greeted a connection: a publisher of ours, whose second greeting tells a reconnection. */
  greets: boolean;
  /** An event came from it. */
  sent: boolean;
}

/**
 * The network subscriber: one SUB socket per registered publisher address, subscribed
 * to every registered topic. ZeroMQ's subscriptions are prefix matches; the base drops
 * what is not an exact match. A socket per publisher tells which publisher a message
 * came from, so when one of ours greets a connection a second time (it restarted, or
 * the connection timed out and came back), the callback gets `"sync"`. With `zmq.curve`
 * keys, every socket is a CURVE client of the publisher's public key.
 */
export class ZmqSubSubscriber extends ZmqSubscriberBase implements ConnectionAwareSubscriber {
  readonly #loops = new Map<string, ReceiveLoop>();
  readonly #connectedListeners = new ConnectedListeners();
  readonly #pending = new Set<Promise<void>>();
  readonly #curve: CurveSubscriberKeys | undefined;

  constructor(options: ZmqOptions, agentOptions: SubscriberAgentOptions = {}, curve?: CurveSubscriberKeys) {
    super(options, agentOptions);
    this.#curve = curve;
  }

  get sockets(): readonly zmq.Socket[] {
    return [...this.#loops.values()].flatMap((loop) => (loop.socket === undefined ? [] : [loop.socket]));
  }

  onConnected(listener: (uri: string) => void): void {
    this.#connectedListeners.add(listener);
  }

  protected async start(): Promise<void> {
    await Promise.all(this.listenAddresses.map((uri) => this.#connect(uri)));
  }

  protected async stop(): Promise<void> {
    const loops = [...this.#loops.values()];
    this.#loops.clear();
    await Promise.all(loops.map((loop) => loop.stop()));
    while (this.#pending.size > 0) await Promise.all(this.#pending);
  }

  protected onListenAddressAdded(uri: string): void {
    this.#track(this.#connect(uri));
  }

  protected onListenAddressRemoved(uri: string): void {
    const loop = this.#loops.get(uri);
    this.#loops.delete(uri);
    if (loop !== undefined) this.#track(loop.stop());
  }

  /**
   * A publisher of ours drops the connection of a peer whose subscription is longer than
   * it reads, and libzmq does not reconnect after that: such a topic is refused here.
   */
  protected override checkTopic(topic: string): void {
    const bytes = Buffer.byteLength(topic, "utf8");
    if (bytes >= MAX_SUBSCRIPTION_MESSAGE_BYTES)
      throw new InvalidTopicError(
        `zmq_pubsub_driver: a topic of ${bytes} bytes is longer than a network publisher reads in a subscription (${MAX_SUBSCRIPTION_MESSAGE_BYTES - 1}); use shorter topics`,
      );
  }

  protected onTopicAdded(topic: string): void {
    for (const socket of this.sockets) if (socket instanceof zmq.Subscriber) socket.subscribe(topic);
  }

  protected onTopicRemoved(topic: string): void {
    for (const socket of this.sockets) if (socket instanceof zmq.Subscriber) socket.unsubscribe(topic);
  }

  async #connect(uri: string): Promise<void> {
    let greeted = false;
    const peer: Peer = { greets: false, sent: false };
    const loop = this.loop(
      () => {
        greeted = false;
        return Promise.resolve(this.#open(uri, peer));
      },
      {
        take: (frames) => {
          if (!isHello(frames)) {
            peer.sent = true;
            this.take(frames);
            return;
          }
          if (greeted) this.dispatchSync();
          greeted = true;
          peer.greets = true;
          this.#connectedListeners.notify(uri, this.logger);
        },
      },
    );
    this.#loops.set(uri, loop);
    await loop.start();
  }

  #open(uri: string, peer: Peer): zmq.Subscriber {
    const socket = new SubSocket();
    applySocketOptions(socket, this.options, "subscribe");
    socket.receiveHighWaterMark = this.options.receive_high_water_mark;
    // As many subscriptions as topics registered: none is dropped (see SubSocket).
    socket.subscriptionHighWaterMark = 0;
    if (this.#curve !== undefined) {
      socket.curveServerKey = this.#curve.serverKey;
      socket.curvePublicKey = this.#curve.publicKey;
      socket.curveSecretKey = this.#curve.secretKey;
      this.#retryWhenRefused(socket, uri);
    }
    // Without a limit libzmq drops nothing for its size: no monitor is needed (it costs two
    // sockets per connection, and its events while a herd reconnects).
    if (this.options.max_message_bytes > 0) {
      this.#reconnectWhenDropped(socket, uri);
      this.#syncWhenPlainPeerReconnects(socket, peer);
    }
    socket.subscribe(HELLO);
    for (const topic of this.topics) socket.subscribe(topic);
    socket.connect(uri);
    return socket;
  }

  /**
   * libzmq does not reconnect a connection whose CURVE key the publisher refused; this
   * does, after `zmq.reconnect_interval_ms` doubling up to 5 s, so a key added to the
   * publisher's allow-list later (SIGHUP) gets in. One log line per refusal.
   */
  #retryWhenRefused(socket: zmq.Subscriber, uri: string): void {
    const first = this.options.reconnect_interval_ms;
    let delay = first;
    socket.events.on("handshake", () => (delay = first));
    socket.events.on("handshake:error:auth", () => {
      this.logger.warn(
        { publisher: uri, retryInMs: delay },
        `the publisher at ${uri} refused this subscriber's CURVE key: is zmq.curve.subscriber_public_key_file on its allowed_subscribers, and zmq.curve.publisher_public_key its key? trying again in ${delay} ms`,
      );
      const timer = setTimeout(() => {
        if (socket.closed) return;
        try {
          socket.disconnect(uri);
        } catch {
          // already gone: connect again all the same
        }
        socket.connect(uri);
      }, delay);
      timer.unref();
      delay = Math.min(delay * 2, 5_000);
    });
  }

  /**
   * libzmq drops a connection that brings a message larger than `zmq.max_message_bytes`
   * (or breaks the protocol) and does not make it again: its "disconnect" is not
   * followed by "connect:retry", as every other loss is. This makes it again, logs it,
   * and the publisher's greeting on the new connection gives the callback `"sync"`.
   */
  #reconnectWhenDropped(socket: zmq.Subscriber, uri: string): void {
    // Every event of the socket after the "disconnect" says libzmq is still at work on
    // the connection; the check runs after the event loop's next poll, so events already
    // queued (behind a busy loop) are seen first.
    let seen = 0;
    let refused = false;
    const saw = (): void => void (seen += 1);
    for (const type of ["connect:retry", "connect:delay", "connect", "close", "handshake"] as const) socket.events.on(type, saw);
    socket.events.on("handshake:error:auth", () => (refused = true));
    socket.events.on("handshake", () => (refused = false));
    socket.events.on("disconnect", () => {
      const before = ++seen;
      const check = setTimeout(() => {
        setImmediate(() => {
          // A refused CURVE key is tried again by #retryWhenRefused.
          if (seen !== before || socket.closed || refused) return;
          this.logger.warn(
            { publisher: uri, maxMessageBytes: this.options.max_message_bytes },
            `the connection to the publisher at ${uri} was dropped and libzmq does not make it again (a message larger than zmq.max_message_bytes, or one ZeroMQ cannot read): connecting again; the callback gets "sync"`,
          );
          try {
            socket.disconnect(uri);
          } catch {
            // already gone: connect again all the same
          }
          socket.connect(uri);
        });
      }, DROPPED_CHECK_MS);
      check.unref();
    });
  }

  /**
   * A publisher that greets no connection (a Dragonflow node) may have restarted, or
   * its connection timed out, while events were sent: once a lost connection to it is
   * made again, after it had sent events, the callback gets `"sync"`, as a second
   * greeting gives for ours. It reads the socket's events, which only a socket with
   * `zmq.max_message_bytes` set has.
   */
  #syncWhenPlainPeerReconnects(socket: zmq.Subscriber, peer: Peer): void {
    let lost = false;
    socket.events.on("disconnect", () => (lost = true));
    socket.events.on("handshake", () => {
      if (lost && peer.sent && !peer.greets && !socket.closed) this.dispatchSync();
      lost = false;
    });
  }

  #track(work: Promise<void>): void {
    const tracked = work
      .catch((err: unknown) => this.logger.error({ err }, "a listen address change failed"))
      .finally(() => this.#pending.delete(tracked));
    this.#pending.add(tracked);
  }
}
