import type { ConnectionAwareSubscriber, Logger } from "../../contract.js";
import { ConnectedListeners } from "../../agents/connected-listeners.js";
import { SubscriberAgentBase, type SubscriberAgentOptions } from "../../agents/subscriber-base.js";
import { WireFormatError } from "../../errors.js";

/** One subscriber's connection to one broker (one listen address). */
export interface BrokerConnection {
  /** Subscribes to `topic`; nothing happens when it is subscribed already. */
  subscribe(topic: string): Promise<void>;
  /** Unsubscribes from `topic`; nothing happens when it is not subscribed. */
  unsubscribe(topic: string): Promise<void>;
  /** Subscribes to every one of `topics`; resolves once the broker confirmed them all. */
  subscribeAll(topics: readonly string[]): Promise<void>;
  /** Closes the connection. */
  close(): Promise<void>;
}

/** What a {@link BrokerConnection} reports to its subscriber. */
export interface BrokerLink {
  /** The subscriber's topics now: what a new connection subscribes to. */
  readonly topics: readonly string[];
  /** One message as it came: the topic (channel or subject, prefix removed) and the body. */
  message(topic: string | Uint8Array, payload: Uint8Array): void;
  /**
   * The connection was lost and made again, and every subscription is back in place:
   * events published meanwhile were missed. Call it only once the broker confirmed the
   * subscriptions, so that nothing published after the `"sync"` is missed.
   */
  restored(): void;
  readonly logger: Logger;
}

/** The largest message a broker subscriber takes, and the option that sets it. */
export interface MessageLimit {
  /** In bytes; 0: no limit. */
  readonly maxBytes: number;
  /** Named in the log line of a message dropped for its size (`redis.max_message_bytes`). */
  readonly option: string;
}

/**
 * The shared part of the broker subscribers (Redis, NATS): a listen address names a
 * broker (for NATS, one cluster), each gets one connection subscribed to every
 * registered topic, and a connection that comes back after an outage gives the callback
 * `"sync"`. `daemonize()` resolves once every listen address is connected and
 * subscribed, and fails with `PUBSUB_ERR_CONNECT` when one cannot be reached. A
 * message larger than its {@link MessageLimit}, when it has one, is dropped unread, counted as
 * undecodable, logged, and gives the callback `"sync"`: it was most likely an event.
 */
export abstract class BrokerSubscriberBase extends SubscriberAgentBase implements ConnectionAwareSubscriber {
  readonly #connections = new Map<string, Promise<BrokerConnection>>();
  readonly #connectedListeners = new ConnectedListeners();
  readonly #pending = new Set<Promise<void>>();
  /** {@link MessageLimit.maxBytes}; Infinity for no limit. */
  readonly #maxBytes: number;
  readonly #maxBytesOption: string;

  /** @param limit - none for a broker that bounds every message itself (etcd's `--max-request-bytes`). */
  constructor(agentOptions: SubscriberAgentOptions, limit?: MessageLimit) {
    super(agentOptions);
    this.#maxBytes = limit?.maxBytes || Infinity;
    this.#maxBytesOption = limit?.option ?? "the message size limit";
  }

  /**
   * Connects to the broker at `uri`, subscribed to nothing yet (the base then subscribes
   * it to `link.topics`, and closes it when that fails).
   *
   * @throws {@link ConnectError} when the broker cannot be reached in time.
   */
  protected abstract connect(uri: string, link: BrokerLink): Promise<BrokerConnection>;

  onConnected(listener: (uri: string) => void): void {
    this.#connectedListeners.add(listener);
  }

  protected async start(): Promise<void> {
    const results = await Promise.allSettled(this.listenAddresses.map((uri) => this.#open(uri)));
    const failed = results.find((result): result is PromiseRejectedResult => result.status === "rejected");
    if (failed !== undefined) {
      await this.stop();
      throw failed.reason;
    }
  }

  protected async stop(): Promise<void> {
    const connections = [...this.#connections.values()];
    this.#connections.clear();
    await Promise.all(
      connections.map((opening) =>
        opening.then(
          (connection) => connection.close(),
          () => undefined,
        ),
      ),
    );
    while (this.#pending.size > 0) await Promise.all(this.#pending);
  }

  protected onListenAddressAdded(uri: string): void {
    this.#track(
      this.#open(uri).then(
        () => undefined,
        (err: unknown) => {
          this.logger.error({ err, uri }, "cannot connect to a listen address; unregister and register it again to retry");
        },
      ),
    );
  }

  protected onListenAddressRemoved(uri: string): void {
    const opening = this.#connections.get(uri);
    this.#connections.delete(uri);
    if (opening !== undefined)
      this.#track(
        opening.then(
          (connection) => connection.close(),
          () => undefined,
        ),
      );
  }

  protected onTopicAdded(topic: string): void {
    this.#onEachConnection((connection) => connection.subscribe(topic), "cannot subscribe to a topic");
  }

  protected onTopicRemoved(topic: string): void {
    this.#onEachConnection((connection) => connection.unsubscribe(topic), "cannot unsubscribe from a topic");
  }

  #open(uri: string): Promise<BrokerConnection> {
    const topics = (): readonly string[] => this.topics;
    // Once the address is unregistered (or the subscriber stopped), whatever its
    // connection still hands over before it closes is not delivered.
    const current = (): boolean => this.#connections.get(uri) === opening;
    const link: BrokerLink = {
      get topics() {
        return topics();
      },
      message: (topic, payload) => {
        if (!current()) return;
        if (payload.length > this.#maxBytes) this.#dropTooLarge(payload.length);
        else this.receive(topic, payload);
      },
      restored: () => {
        if (!current()) return;
        this.dispatchSync();
        this.#connectedListeners.notify(uri, this.logger);
      },
      logger: this.logger,
    };
    const opening = this.#connectSubscribed(uri, link);
    this.#connections.set(uri, opening);
    return opening.then(
      (connection) => {
        this.#connectedListeners.notify(uri, this.logger);
        return connection;
      },
      (err: unknown) => {
        if (this.#connections.get(uri) === opening) this.#connections.delete(uri);
        throw err;
      },
    );
  }

  async #connectSubscribed(uri: string, link: BrokerLink): Promise<BrokerConnection> {
    const connection = await this.connect(uri, link);
    try {
      await connection.subscribeAll(link.topics);
    } catch (err: unknown) {
      await connection.close();
      throw err;
    }
    return connection;
  }

  #dropTooLarge(bytes: number): void {
    const option = this.#maxBytesOption;
    this.dropUndecodable(
      new WireFormatError(
        `a message of ${bytes} bytes is larger than ${option} (${this.#maxBytes}); the callback gets "sync". Raise ${option} on publishers and subscribers alike to take it`,
      ),
    );
    this.syncSoon();
  }

  #onEachConnection(work: (connection: BrokerConnection) => Promise<void>, failure: string): void {
    for (const [uri, opening] of this.#connections) {
      this.#track(opening.then(work, () => undefined).catch((err: unknown) => this.logger.error({ err, uri }, failure)));
    }
  }

  #track(work: Promise<void>): void {
    const tracked = work.finally(() => this.#pending.delete(tracked));
    this.#pending.add(tracked);
  }
}
