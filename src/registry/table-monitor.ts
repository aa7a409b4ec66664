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

/** A change that could not be published, and why. */
interface Unpublished {
  readonly action: "create" | "set" | "delete";
  readonly key: string;
  readonly err: unknown;
}

/**
 * Publishes a table's changes, as Dragonflow's `TableMonitor`: the table is read every
 * `pollMs` and compared with the previous read; each row that appeared is published as
 * `create`, each changed one as `set`, each gone one as `delete` (value null), with the
 * table's name as `table` and the row's key as `key`, on the send-to-all topic. The first
 * read, at start, publishes every row as `create`. Where the database can watch
 * ({@link NbDbApi.watch}), changes are published as they happen and the reads remain as
 * the fallback; a watch that lost changes triggers a read at once. A change that could
 * not be published (the publisher is closed, or its transport refused it) is published
 * again at the next read.
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
      const failures: Unpublished[] = [];
      for (const [key, value] of fresh) {
        const before = old.get(key);
        if (before !== value) await this.#send(before === undefined ? "create" : "set", key, value, before, failures);
      }
      for (const [key, before] of old) if (!fresh.has(key)) await this.#send("delete", key, null, before, failures);
      this.#report(failures);
    } catch (err: unknown) {
      this.#outage.failed(err);
    }
  }

  async #apply(change: DbChange): Promise<void> {
    const before = this.#cache.get(change.key);
    if (change.action === "delete") {
      if (before === undefined) return;
      this.#cache.delete(change.key);
      const failures: Unpublished[] = [];
      await this.#send("delete", change.key, null, before, failures);
      this.#report(failures);
      return;
    }
    const value = change.value ?? "";
    if (before === value) return;
    this.#cache.set(change.key, value);
    const failures: Unpublished[] = [];
    await this.#send(before === undefined ? "create" : "set", change.key, value, before, failures);
    this.#report(failures);
  }

  /**
   * Publishes a change the cache already holds. One that cannot be published is put
   * back as it was before (`before`, undefined for a row that was not there), so the
   * next read of the table finds the difference again and publishes it then.
   */
  async #send(
    action: Unpublished["action"],
    key: string,
    value: string | null,
    before: string | undefined,
    failures: Unpublished[],
  ): Promise<void> {
    try {
      await this.#publish({ table: this.#table, key, action, value });
    } catch (err: unknown) {
      if (this.#cache.get(key) === (value ?? undefined)) {
        if (before === undefined) this.#cache.delete(key);
        else this.#cache.set(key, before);
      }
      failures.push({ action, key, err });
    }
  }

  /** One line for the changes of one read (or one watched change) that could not be published. */
  #report(failures: readonly Unpublished[]): void {
    const [first] = failures;
    if (first === undefined) return;
    this.#options.logger.error(
      { err: first.err, table: this.#table, key: first.key, action: first.action, unpublished: failures.length },
      `could not publish ${failures.length === 1 ? "a change" : `${failures.length} changes`} of the table; the next read of the table publishes ${failures.length === 1 ? "it" : "them"} again (monitor_table_poll_time)`,
    );
  }
}
