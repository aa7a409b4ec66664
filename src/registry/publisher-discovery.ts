import {
  SYNC_ACTION,
  type EventCallback,
  type EventHandler,
  type IterableSubscriber,
  type Logger,
  type NbDbApi,
  type SubscriberApi,
} from "../contract.js";
import { SubscriberAgentBase } from "../agents/subscriber-base.js";
import { DbOutage } from "./db-outage.js";
import { isStale, parsePublisherRow, PUBLISHER_TABLE } from "./publisher-row.js";
import { readTable } from "./read-table.js";
import { REGISTRY_MESSAGES } from "./messages.js";

/** Options of {@link PublisherDiscovery}. */
export interface PublisherDiscoveryOptions {
  /** Addresses from `publishers`: registered always, never removed by discovery. */
  readonly staticAddresses: readonly string[];
  /** Rows older than this (`publisher_timeout`, in ms) are not connected to. */
  readonly timeoutMs: number;
  /** Milliseconds between two reads of the `publisher` table (`monitor_table_poll_time`). */
  readonly pollMs: number;
  readonly logger: Logger;
}

/**
 * Keeps a subscriber connected to the publishers the `publisher` table lists: it reads
 * the table at start and every `pollMs`, follows the table's `create`/`set`/`delete`
 * events (published by the services' monitors) as they arrive, and reads the table
 * again after a `sync`. Addresses of rows that are gone or stale are unregistered;
 * static addresses stay.
 */
export class PublisherDiscovery {
  readonly #db: NbDbApi;
  readonly #subscriber: SubscriberApi;
  readonly #options: PublisherDiscoveryOptions;
  readonly #outage: DbOutage;
  readonly #static: ReadonlySet<string>;
  /** The discovered publishers: row key -> uri. */
  readonly #discovered = new Map<string, string>();
  #timer: NodeJS.Timeout | undefined;
  #reading: Promise<void> = Promise.resolve();
  #closed = false;

  constructor(db: NbDbApi, subscriber: SubscriberApi, options: PublisherDiscoveryOptions) {
    this.#db = db;
    this.#subscriber = subscriber;
    this.#options = options;
    this.#static = new Set(options.staticAddresses);
    this.#outage = new DbOutage(options.logger, "publisher discovery");
  }

  /** The addresses discovered so far (without the static ones). */
  get addresses(): string[] {
    return [...new Set(this.#discovered.values())];
  }

  /** Connects to the database and registers every live publisher. Rejects when the database cannot be used. */
  async start(): Promise<void> {
    await this.#db.initialize();
    for (const uri of this.#static) this.#subscriber.registerListenAddress(uri);
    await this.#read(true);
    this.#timer = setInterval(() => void this.refresh(), this.#options.pollMs);
    this.#timer.unref();
  }

  /** Reads the `publisher` table again (after a read under way). */
  refresh(): Promise<void> {
    this.#reading = this.#reading.then(() => (this.#closed ? undefined : this.#read(false)));
    return this.#reading;
  }

  /** The handler to give the subscriber: follows `publisher` rows and `sync`, then calls `callback` (in the form it came in). */
  wrap(callback: EventCallback | EventHandler): EventCallback | EventHandler {
    if (typeof callback !== "function") {
      return {
        onEvent: (event) => {
          this.#see(event.table, event.key, event.action, event.value);
          return callback.onEvent(event);
        },
      };
    }
    return (table, key, action, value, topic) => {
      this.#see(table, key, action, value);
      return callback(table, key, action, value, topic);
    };
  }

  #see(table: string | null, key: string | null, action: string, value: unknown): void {
    if (action === SYNC_ACTION) void this.refresh();
    else if (table === PUBLISHER_TABLE && key !== null) this.#follow(key, action, value);
  }

  /** Stops following the table and closes the database connection. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#timer);
    await this.#reading;
    await this.#db.close();
  }

  #follow(key: string, action: string, value: unknown): void {
    if (action === "delete") {
      this.#forget(key);
      return;
    }
    if (typeof value !== "string") return;
    const row = parsePublisherRow(value);
    if (row === undefined || isStale(row, this.#options.timeoutMs, Date.now())) return;
    this.#add(key, row.uri);
  }

  async #read(first: boolean): Promise<void> {
    let rows: Map<string, string>;
    try {
      rows = new Map();
      const now = Date.now();
      for (const [key, value] of await readTable(this.#db, PUBLISHER_TABLE)) {
        const row = parsePublisherRow(value);
        if (row !== undefined && !isStale(row, this.#options.timeoutMs, now)) rows.set(key, row.uri);
      }
      this.#outage.succeeded();
    } catch (err: unknown) {
      if (first) throw err;
      this.#outage.failed(err);
      return;
    }
    for (const key of [...this.#discovered.keys()]) if (!rows.has(key)) this.#forget(key);
    for (const [key, uri] of rows) this.#add(key, uri);
  }

  #add(key: string, uri: string): void {
    const before = this.#discovered.get(key);
    if (before === uri) return;
    if (before !== undefined) this.#forget(key);
    this.#discovered.set(key, uri);
    if (this.#subscriber.registerListenAddress(uri)) this.#options.logger.info({ uri }, REGISTRY_MESSAGES.discovered);
  }

  #forget(key: string): void {
    const uri = this.#discovered.get(key);
    if (uri === undefined) return;
    this.#discovered.delete(key);
    // Another row, or the static list, may name the same address.
    if (this.#static.has(uri) || [...this.#discovered.values()].includes(uri)) return;
    if (this.#subscriber.unregisterListenAddress(uri)) this.#options.logger.info({ uri }, REGISTRY_MESSAGES.left);
  }
}

/**
 * The subscriber with discovery attached: `initialize()` wraps the callback,
 * `daemonize()` registers the publishers the table lists first, `close()` stops the
 * discovery too. Every other property, optional abilities included, is the subscriber's.
 */
export function withDiscovery<S extends SubscriberApi>(subscriber: S, discovery: PublisherDiscovery): S {
  let started: Promise<void> | undefined;
  const overrides: Partial<SubscriberApi & IterableSubscriber> = {
    initialize: (callback, options) => subscriber.initialize(discovery.wrap(callback), options),
    daemonize: async (options) => {
      options?.signal?.throwIfAborted();
      started ??= discovery.start();
      await started;
      await subscriber.daemonize(options);
    },
    close: async () => {
      await Promise.allSettled([discovery.close()]);
      await subscriber.close();
    },
  };
  if (subscriber instanceof SubscriberAgentBase) overrides.events = (options) => subscriber.events(options, wrapped);
  const wrapped = new Proxy(subscriber, {
    get(target, property) {
      if (Object.hasOwn(overrides, property)) return overrides[property as keyof SubscriberApi];
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === "function" ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
  return wrapped;
}
