import { setTimeout as sleep } from "node:timers/promises";
import type * as zmq from "zeromq";
import type { Logger } from "../../contract.js";
import { isErrnoException } from "../../errors.js";
import { HeldBackLog } from "./held-back-log.js";

/** While the limit keeps being passed, one log line per this many milliseconds. */
const RESET_LOG_INTERVAL_MS = 10_000;
/** How long a reset waits for libzmq to drop the ended connections' subscriptions. */
const DRAIN_WAIT_MS = 1_000;
/** How long a reset tries to bind the endpoint again (another process may hold it meanwhile). */
const REBIND_GIVE_UP_MS = 10_000;
const REBIND_RETRY_MS = 20;

/** Runs an unbind or a bind of the socket while nothing else uses it. */
type Exclusive = (work: () => Promise<void>) => Promise<void>;

/**
 * Bounds the subscriptions a network publisher's peers make libzmq hold
 * (`zmq.max_subscription_bytes`): the length of the distinct topics subscribed, from the
 * subscription messages the XPUB socket hands its owner (`\x01topic`, `\x00topic`).
 *
 * libzmq keeps every subscription in a trie, at about 50 bytes of memory per byte of a
 * topic no other subscription shares, and neither limits them nor says which connection
 * sent one. So the limit counts distinct topics (a topic that 4,000 subscribers hold is
 * one node path with 4,000 entries, cheap; 4,000 distinct topics of one peer are 4,000
 * paths), and once their length passes the limit it ends every connection: it unbinds
 * the endpoint (libzmq then drops the connections' subscriptions), waits until their
 * unsubscriptions have come (at most a second), and binds it again. Subscribers of this
 * project reconnect on their own and get `"sync"`. Each reset is counted in
 * {@link resets} and logged (the first, then at most one line every 10 s).
 *
 * A peer speaking raw ZMTP can send unsubscriptions for topics another of its
 * connections holds and so hide them from the count; libzmq's SUB and XSUB sockets
 * never do. With `zmq.curve` and an allow-list no unknown peer gets that far.
 */
export class SubscriptionLimit {
  readonly #socket: zmq.XPublisher;
  readonly #endpoint: string;
  readonly #limit: number;
  readonly #logger: Logger;
  readonly #topics = new Map<string, number>();
  readonly #held = new HeldBackLog(RESET_LOG_INTERVAL_MS, () => this.#log());
  #bytes = 0;
  #resets = 0;
  #unlogged = 0;
  /** What the topics held at the last reset, for the log line. */
  #passed = { topics: 0, bytes: 0 };
  #resetting: Promise<void> | undefined;
  #drained: (() => void) | undefined;
  readonly #exclusive: Exclusive;

  /**
   * @param endpoint - the endpoint the socket is bound to (unbound and bound again on a reset).
   * @param limit - `zmq.max_subscription_bytes`, greater than 0.
   * @param exclusive - runs an unbind or a bind while nothing else uses the socket
   *   (`SubscriptionCounter.exclusive`).
   */
  constructor(socket: zmq.XPublisher, endpoint: string, limit: number, logger: Logger, exclusive: Exclusive) {
    this.#exclusive = exclusive;
    this.#socket = socket;
    this.#endpoint = endpoint;
    this.#limit = limit;
    this.#logger = logger;
  }

  /** Times every connection was ended because the limit was passed. */
  get resets(): number {
    return this.#resets;
  }

  /** Resolves once no reset is under way (at once when none is). */
  async settled(): Promise<void> {
    await this.#resetting;
  }

  /** Takes one subscription message the socket handed its owner. */
  take(message: Buffer): void {
    const kind = message[0];
    if (kind !== 0 && kind !== 1) return;
    const topic = message.toString("latin1", 1); // one character a byte: its length is the topic's size
    const held = this.#topics.get(topic) ?? 0;
    if (kind === 1) {
      this.#topics.set(topic, held + 1);
      if (held === 0) this.#bytes += topic.length;
      if (this.#bytes > this.#limit && this.#resetting === undefined) {
        this.#resetting = this.#reset().finally(() => {
          this.#resetting = undefined;
        });
      }
      return;
    }
    if (held > 1) {
      this.#topics.set(topic, held - 1);
    } else if (held === 1) {
      this.#topics.delete(topic);
      this.#bytes -= topic.length;
      if (this.#topics.size === 0) this.#drained?.();
    }
  }

  /** Logs the resets held back (on close). */
  flush(): void {
    this.#held.flush();
  }

  async #reset(): Promise<void> {
    const socket = this.#socket;
    this.#resets += 1;
    this.#unlogged += 1;
    this.#passed = { topics: this.#topics.size, bytes: this.#bytes };
    this.#held.note();
    try {
      await this.#exclusive(() => socket.unbind(this.#endpoint));
      if (this.#topics.size > 0) {
        const drained = new Promise<void>((resolve) => (this.#drained = resolve));
        await Promise.race([drained, sleep(DRAIN_WAIT_MS, undefined, { ref: false })]);
        this.#drained = undefined;
      }
      // What is left is a count gone astray (a raw peer's repeated subscriptions): no connection holds it now.
      this.#topics.clear();
      this.#bytes = 0;
      await this.#rebind(socket);
    } catch (err: unknown) {
      if (socket.closed) return;
      this.#logger.error(
        { err, endpoint: this.#endpoint },
        `could not bind ${this.#endpoint} again after ending every connection (zmq.max_subscription_bytes): subscribers cannot connect to this publisher until it is restarted`,
      );
    }
  }

  async #rebind(socket: zmq.XPublisher): Promise<void> {
    const giveUpAt = Date.now() + REBIND_GIVE_UP_MS;
    for (;;) {
      try {
        await this.#exclusive(() => socket.bind(this.#endpoint));
        return;
      } catch (err: unknown) {
        // libzmq closes the listening socket in its I/O thread, after unbind() returned.
        const inUse = isErrnoException(err) && err.code === "EADDRINUSE";
        if (socket.closed || !inUse || Date.now() > giveUpAt) throw err;
      }
      await sleep(REBIND_RETRY_MS);
    }
  }

  #log(): void {
    const { topics, bytes } = this.#passed;
    this.#logger.warn(
      { subscriptionResets: this.#resets, resetsSince: this.#unlogged, topics, topicBytes: bytes, maxSubscriptionBytes: this.#limit },
      `the subscribers of this publisher held ${topics} distinct topics of ${bytes} bytes in all, more than zmq.max_subscription_bytes (${this.#limit}): every connection was ended to free the memory libzmq keeps for them (a peer flooding subscriptions?); subscribers of this project reconnect and get "sync" (counted in subscriptionResets; logged at most every 10 s)`,
    );
    this.#unlogged = 0;
  }
}
