import type { Logger } from "../../contract.js";
import type { BrokerConnection } from "../broker/subscriber.js";
import type { Etcd3, IDuplexStream, IWatchRequest, IWatchResponse } from "./client.js";
import { keyOf } from "./options.js";

/** What an {@link EtcdWatches} reports to its subscriber. */
export interface WatchHandlers {
  /** A PUT on a watched key: the topic and the value, in the key's revision order. */
  put(topic: string, value: Uint8Array): void;
  /** The watch stream was lost and every watch is in place again: events may have been missed. */
  restored(): void;
  /** The history a topic's watch had to resume from was compacted: its watch starts again from now, in place. */
  compacted(topic: string): void;
  readonly logger: Logger;
}

type WatchStream = IDuplexStream<IWatchRequest, IWatchResponse>;

/** One registered topic's watch on the key `/pubsub/<topic>`. */
interface TopicWatch {
  readonly topic: string;
  readonly key: Buffer;
  /** The revision to watch from: the one after the last seen; undefined: from now. */
  next: bigint | undefined;
  /** Its id on the current stream, once etcd created it. */
  id: string | undefined;
  /** `subscribe()` calls waiting for etcd to create it. */
  waiters: (() => void)[];
  /** Its history was compacted: say so once it is watched again. */
  compacted: boolean;
}

/**
 * One subscriber's watches on one etcd cluster, over one gRPC watch stream: a watch per
 * registered topic, each on its exact key. etcd sends every revision of a watched key,
 * in order, as long as its history holds it, so each watch remembers the revision after
 * the last one it saw. When the stream is lost it is opened again every
 * `reconnectIntervalMs`, each watch resumes from its revision, and once all are in
 * place {@link WatchHandlers.restored} is called; a watch whose revision was compacted
 * meanwhile starts again from now, with {@link WatchHandlers.compacted}.
 *
 * Watches are created one at a time, so each "created" answer is matched to its request
 * whatever the server's version.
 */
export class EtcdWatches implements BrokerConnection {
  readonly #client: Etcd3;
  readonly #handlers: WatchHandlers;
  readonly #reconnectIntervalMs: number;
  readonly #watches = new Map<string, TopicWatch>();
  readonly #byId = new Map<string, TopicWatch>();
  /** Cancel requests sent on the current stream, by watch id. */
  readonly #cancelling = new Map<string, () => void>();
  #stream: WatchStream | undefined;
  /** Watches to create on the current stream, in order. */
  #queue: TopicWatch[] = [];
  /** The watch whose create request awaits its answer. */
  #creating: TopicWatch | undefined;
  /** The stream was lost since the last time every watch was in place. */
  #lost = false;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(client: Etcd3, handlers: WatchHandlers, reconnectIntervalMs: number) {
    this.#client = client;
    this.#handlers = handlers;
    this.#reconnectIntervalMs = reconnectIntervalMs;
  }

  /** Opens the watch stream. */
  async open(): Promise<void> {
    const stream = await this.#client.watchClient.watch();
    if (this.#closed) {
      stream.cancel();
      return;
    }
    this.#stream = stream;
    stream.on("data", (response) => this.#answer(stream, response));
    stream.on("error", (err) => this.#lose(stream, err));
    stream.on("end", () => this.#lose(stream, new Error("etcd ended the watch stream")));
    this.#queue = [...this.#watches.values()];
    this.#createNext();
  }

  subscribe(topic: string): Promise<void> {
    if (this.#closed || this.#watches.has(topic)) return Promise.resolve();
    const watch: TopicWatch = {
      topic,
      key: keyOf(Buffer.from(topic, "utf8")),
      next: undefined,
      id: undefined,
      waiters: [],
      compacted: false,
    };
    this.#watches.set(topic, watch);
    const created = new Promise<void>((resolve) => watch.waiters.push(resolve));
    if (this.#stream !== undefined) {
      this.#queue.push(watch);
      this.#createNext();
    }
    return created;
  }

  async subscribeAll(topics: readonly string[]): Promise<void> {
    await Promise.all(topics.map((topic) => this.subscribe(topic)));
  }

  unsubscribe(topic: string): Promise<void> {
    const watch = this.#watches.get(topic);
    if (watch === undefined) return Promise.resolve();
    this.#watches.delete(topic);
    this.#settle(watch);
    const { id } = watch;
    const stream = this.#stream;
    // A watch being created is cancelled once etcd says which id it got (see #answer).
    if (id === undefined || stream === undefined) return Promise.resolve();
    this.#byId.delete(id);
    return new Promise<void>((resolve) => {
      this.#cancelling.set(id, resolve);
      stream.write({ cancel_request: { watch_id: id } });
    });
  }

  close(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#stream?.cancel();
    this.#stream = undefined;
    for (const watch of this.#watches.values()) this.#settle(watch);
    this.#settleCancels();
    this.#client.close();
    return Promise.resolve();
  }

  #answer(stream: WatchStream, response: IWatchResponse): void {
    if (stream !== this.#stream) return;
    if (response.created) {
      this.#created(stream, response);
      return;
    }
    const watch = this.#byId.get(response.watch_id);
    if (response.canceled) {
      this.#byId.delete(response.watch_id);
      const cancelled = this.#cancelling.get(response.watch_id);
      this.#cancelling.delete(response.watch_id);
      cancelled?.();
      if (watch !== undefined) this.#cancelled(watch, response);
      return;
    }
    if (watch === undefined) return; // unsubscribed: its last events are not delivered
    if (response.events.length === 0) {
      // A progress notice: every later event of this watch has a higher revision.
      const progress = BigInt(response.header.revision) + 1n;
      if (watch.next === undefined || progress > watch.next) watch.next = progress;
      return;
    }
    for (const event of response.events) {
      watch.next = BigInt(event.kv.mod_revision) + 1n;
      if (event.type === "Put") this.#handlers.put(watch.topic, event.kv.value);
    }
  }

  #created(stream: WatchStream, response: IWatchResponse): void {
    const watch = this.#creating;
    this.#creating = undefined;
    if (watch !== undefined) {
      if (response.canceled) {
        // Refused (permission denied, a bad revision): tried again on the next stream.
        this.#handlers.logger.error(
          { topic: watch.topic, reason: response.cancel_reason },
          "etcd refused to watch a topic's key; trying again after the next reconnection",
        );
        this.#settle(watch);
      } else if (this.#watches.get(watch.topic) !== watch) {
        stream.write({ cancel_request: { watch_id: response.watch_id } }); // unsubscribed meanwhile
      } else {
        watch.id = response.watch_id;
        this.#byId.set(watch.id, watch);
        watch.next ??= BigInt(response.header.revision) + 1n;
        this.#settle(watch);
        if (watch.compacted) {
          watch.compacted = false;
          this.#handlers.compacted(watch.topic);
        }
      }
    }
    this.#createNext();
    if (this.#lost && this.#allWatched()) {
      this.#lost = false;
      this.#handlers.restored();
    }
  }

  /** Every registered topic is watched on the current stream. */
  #allWatched(): boolean {
    return this.#creating === undefined && [...this.#watches.values()].every((watch) => watch.id !== undefined);
  }

  #cancelled(watch: TopicWatch, response: IWatchResponse): void {
    watch.id = undefined;
    if (response.compact_revision === "0" || response.compact_revision === "") {
      this.#handlers.logger.error(
        { topic: watch.topic, reason: response.cancel_reason },
        "etcd cancelled a topic's watch; watching it again after the next reconnection",
      );
      return;
    }
    this.#handlers.logger.warn(
      { topic: watch.topic, from: String(watch.next), compactedTo: response.compact_revision },
      "etcd compacted the history of a topic before the subscriber read it: events are lost; watching from now and resynchronising",
    );
    watch.next = undefined;
    watch.compacted = true;
    this.#queue.push(watch);
    this.#createNext();
  }

  #createNext(): void {
    const stream = this.#stream;
    if (stream === undefined || this.#creating !== undefined) return;
    let watch = this.#queue.shift();
    while (watch !== undefined && (this.#watches.get(watch.topic) !== watch || watch.id !== undefined)) watch = this.#queue.shift();
    if (watch === undefined) return;
    this.#creating = watch;
    const request: IWatchRequest["create_request"] = { key: watch.key, progress_notify: true };
    if (watch.next !== undefined) request.start_revision = watch.next.toString();
    stream.write({ create_request: request });
  }

  #lose(stream: WatchStream, err: unknown): void {
    if (stream !== this.#stream || this.#closed) return;
    this.#stream = undefined;
    stream.cancel();
    if (!this.#lost) this.#handlers.logger.warn({ err }, "the etcd watch stream is down; reconnecting");
    this.#lost = true;
    this.#byId.clear();
    this.#queue = [];
    this.#creating = undefined;
    for (const watch of this.#watches.values()) watch.id = undefined;
    this.#settleCancels(); // their watches went with the stream
    this.#reconnectLater();
  }

  #reconnectLater(): void {
    this.#timer = setTimeout(() => {
      this.open().catch((err: unknown) => {
        this.#handlers.logger.debug({ err }, "cannot open an etcd watch stream yet");
        if (!this.#closed) this.#reconnectLater();
      });
    }, this.#reconnectIntervalMs);
  }

  #settle(watch: TopicWatch): void {
    for (const resolve of watch.waiters.splice(0)) resolve();
  }

  #settleCancels(): void {
    for (const resolve of this.#cancelling.values()) resolve();
    this.#cancelling.clear();
  }
}
