import { within } from "../../agents/deadline.js";
import type { DbChange, DbWatch, DbWatchHandlers, Logger } from "../../contract.js";
import { reasonOf } from "../../errors.js";
import { errorSummary } from "../../logger.js";
import { request, type DbEndpoint } from "../request.js";
import type { Etcd3, IKeyValue, Watcher } from "./client.js";
import { keyIn, tablePrefix } from "./keys.js";

/** How long after etcd cancelled a watch (its history was compacted) a new one is made. */
const REWATCH_DELAY_MS = 1_000;

/**
 * Watches the prefix `/<table>/` and hands each change to `handlers` in etcd's order: a
 * put of a key's first version is `create`, a later put `set`, a delete `delete`.
 *
 * etcd3 reconnects a watch whose stream broke and resumes from the revision after the
 * last one it saw; because a resumed watch may still have missed changes (the revision
 * was compacted meanwhile, or it broke again between its "created" answer and the
 * changes), every reconnection calls `handlers.resync`, once the watch is back so that
 * the table can be read. A watch that etcd cancels (compaction) is made again from the
 * current revision, then resynced as well.
 *
 * @throws {@link DbError} when etcd does not accept the watch within `nb_db_timeout_ms`.
 */
export async function watchTable(
  client: Etcd3,
  table: string,
  handlers: DbWatchHandlers,
  endpoint: DbEndpoint,
  logger: Logger,
): Promise<DbWatch> {
  const watch = new TableWatch(client, table, handlers, endpoint, logger);
  await request(endpoint, `watch ${tablePrefix(table)}`, () => watch.started).catch(async (err: unknown) => {
    await watch.close();
    throw err;
  });
  return watch;
}

class TableWatch implements DbWatch {
  /** Resolves once etcd created the first watcher; rejects if it refused it. */
  readonly started: Promise<void>;
  readonly #client: Etcd3;
  readonly #table: string;
  readonly #handlers: DbWatchHandlers;
  readonly #endpoint: DbEndpoint;
  readonly #logger: Logger;
  #watcher: Watcher;
  /** Why changes may have been lost since the watch last ran, until it runs again. */
  #lost: string | undefined;
  #established = false;
  #closed = false;
  #rewatch: NodeJS.Timeout | undefined;

  constructor(client: Etcd3, table: string, handlers: DbWatchHandlers, endpoint: DbEndpoint, logger: Logger) {
    this.#client = client;
    this.#table = table;
    this.#handlers = handlers;
    this.#endpoint = endpoint;
    this.#logger = logger;
    this.#watcher = this.#watch();
    this.started = new Promise<void>((resolve, reject) => {
      this.#watcher.once("connected", () => resolve());
      this.#watcher.once("error", reject);
    });
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#rewatch);
    await within(
      this.#watcher.cancel().catch(() => undefined),
      this.#endpoint.timeoutMs,
    );
  }

  #watch(): Watcher {
    const watcher = this.#client.watch().prefix(tablePrefix(this.#table)).watcher();
    watcher.on("put", (kv: IKeyValue) => {
      const change = { action: kv.version === "1" ? "create" : "set", table: this.#table, key: keyIn(this.#table, kv.key) } as const;
      this.#deliver({ ...change, value: kv.value.toString("utf8") });
    });
    watcher.on("delete", (kv: IKeyValue) => this.#deliver({ action: "delete", table: this.#table, key: keyIn(this.#table, kv.key) }));
    watcher.on("disconnected", (err: unknown) => {
      if (!this.#established || this.#closed || this.#lost !== undefined) return;
      this.#lost = `the watch of ${tablePrefix(this.#table)} was disconnected (${reasonOf(err)})`;
      this.#logger.warn(
        { err: errorSummary(err), address: this.#endpoint.address, table: this.#table },
        "the etcd watch is disconnected; reconnecting",
      );
    });
    watcher.on("connected", () => {
      this.#established = true;
      const lost = this.#lost;
      if (lost === undefined || this.#closed) return;
      this.#lost = undefined;
      this.#logger.info({ address: this.#endpoint.address, table: this.#table }, "the etcd watch is back; the table is read again");
      this.#call(() => this.#handlers.resync(`${lost}; it is back, changes may have been missed`));
    });
    watcher.on("error", (err: unknown) => {
      // etcd cancelled the watcher (its start revision was compacted, or it refused it):
      // etcd3 has dropped it. Before the first "connected", watchTable reports it.
      if (!this.#established || this.#closed) return;
      this.#lost ??= `etcd cancelled the watch of ${tablePrefix(this.#table)} (${reasonOf(err)})`;
      this.#logger.warn(
        { err: errorSummary(err), address: this.#endpoint.address, table: this.#table },
        "etcd cancelled the watch; watching again",
      );
      this.#rewatch = setTimeout(() => {
        if (!this.#closed) this.#watcher = this.#watch();
      }, REWATCH_DELAY_MS);
    });
    return watcher;
  }

  #deliver(change: DbChange): void {
    if (!this.#closed) this.#call(() => this.#handlers.change(change));
  }

  /** Runs a handler; what it throws is logged, never thrown into etcd3's stream. */
  #call(handler: () => void): void {
    try {
      handler();
    } catch (err: unknown) {
      this.#logger.error({ err: errorSummary(err), table: this.#table }, "a database watch handler threw; the watch goes on");
    }
  }
}
