import type { DbChange, DbWatch, Logger, NbDbApi, PubSubEvent } from "../contract.js";
import { DbOutage } from "./db-outage.js";
import { readTable } from "./read-table.js";

/** Options of {@link TableMonitor}. */
export interface TableMonitorOptions {
  /** Milliseconds between two reads of the table (`monitor_table_poll_time`). */
  readonly pollMs: number;
  readonly logger: Logger;
  /** Runs before each read: the `publisher` table's monitor removes stale rows there. */
  readonly beforePoll?: () => Promise<void>;
}

/**
 * Publishes a table's changes, as Dragonflow's `TableMonitor`: the table is read every
 * `pollMs` and compared with the previous read; each row that appeared is published as
 * `create`, each changed one as `set`, each gone one as `delete` (value null), with the
 * table's name as `table` and the row's key as `key`, on the send-to-all topic. The first
 * read, at start, publishes every row as `create`. Where the database can watch
 * ({@link NbDbApi.watch}), changes are published as they happen and the reads remain as
 * the fallback; a watch that lost changes triggers a read at once.
 */
export class TableMonitor {
  readonly #db: NbDbApi;
  readonly #table: string;
  readonly #publish: (event: PubSubEvent) => Promise<void>;
  readonly #options: TableMonitorOptions;
  readonly #outage: DbOutage;
  #cache = new Map<string, string>();
  /** Reads and watch changes take turns: one at a time, in arrival order. */
  #turn: Promise<void> = Promise.resolve();
  #timer: NodeJS.Timeout | undefined;
  #watch: DbWatch | undefined;
  #stopped = false;

  constructor(db: NbDbApi, table: string, publish: (event: PubSubEvent) => Promise<void>, options: TableMonitorOptions) {
    this.#db = db;
    this.#table = table;
    this.#publish = publish;
    this.#options = options;
    this.#outage = new DbOutage(options.logger, `the table monitor of ${table}`);
  }

  /** The rows as last read or watched. */
  get rows(): ReadonlyMap<string, string> {
    return this.#cache;
  }

  /** Starts watching (where the database can), reads the table once, then every `pollMs`. */
  async start(): Promise<void> {
    if (this.#db.watch !== undefined) {
      try {
        this.#watch = await this.#db.watch(this.#table, {
          change: (change) => {
            void this.#enqueue(() => this.#apply(change));
          },
          resync: (reason) => {
            this.#options.logger.warn({ table: this.#table, reason }, "the database watch may have lost changes; reading the table again");
            void this.poll();
          },
        });
      } catch (err: unknown) {
        this.#options.logger.warn({ err, table: this.#table }, "could not watch the table; polling only");
      }
    }
    await this.poll();
    this.#schedule();
  }

  /** Reads the table now (after what is under way), publishing what changed. */
  poll(): Promise<void> {
    return this.#enqueue(() => this.#pollOnce());
  }

  /** Stops reading and watching; what is under way finishes first. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#watch?.close().catch(() => undefined);
    await this.#turn;
  }

  #schedule(): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => {
      void this.poll().then(() => this.#schedule());
    }, this.#options.pollMs);
    this.#timer.unref();
  }

  #enqueue(work: () => Promise<void>): Promise<void> {
    this.#turn = this.#turn.then(() => (this.#stopped ? undefined : work()));
    return this.#turn;
  }

  async #pollOnce(): Promise<void> {
    try {
      await this.#options.beforePoll?.();
      const fresh = await readTable(this.#db, this.#table);
      this.#outage.succeeded();
      const old = this.#cache;
      this.#cache = fresh;
      for (const [key, value] of fresh) {
        const before = old.get(key);
        if (before === undefined) await this.#send("create", key, value);
        else if (before !== value) await this.#send("set", key, value);
      }
      for (const key of old.keys()) if (!fresh.has(key)) await this.#send("delete", key, null);
    } catch (err: unknown) {
      this.#outage.failed(err);
    }
  }

  async #apply(change: DbChange): Promise<void> {
    const before = this.#cache.get(change.key);
    if (change.action === "delete") {
      if (before === undefined) return;
      this.#cache.delete(change.key);
      await this.#send("delete", change.key, null);
      return;
    }
    const value = change.value ?? "";
    if (before === value) return;
    this.#cache.set(change.key, value);
    await this.#send(before === undefined ? "create" : "set", change.key, value);
  }

  async #send(action: "create" | "set" | "delete", key: string, value: string | null): Promise<void> {
    try {
      await this.#publish({ table: this.#table, key, action, value });
    } catch (err: unknown) {
      this.#options.logger.error({ err, table: this.#table, key, action }, "could not publish a table change");
    }
  }
}
