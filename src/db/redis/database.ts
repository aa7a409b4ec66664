import { within } from "../../agents/deadline.js";
import type { Logger, NbDbApi } from "../../contract.js";
import { errorSummary } from "../../logger.js";
import { Connection } from "../lifecycle.js";
import type { DbOptions } from "../options.js";
import { ioredisAccess, REDIS_CREDENTIALS, type RedisAccess } from "../../drivers/redis/options.js";
import { connect, request, type DbEndpoint } from "../request.js";
import { Redis, type RedisClient } from "./client.js";
import { keyOf, keyPattern, rowKeyOf, tablePattern } from "./keys.js";

/** The driver alias, for messages. */
const DRIVER = "redis_nb_db_driver";

/** While the connection is down, it is tried again this often (at most). */
const RECONNECT_INTERVAL_MS = 1_000;

/** How many keys one SCAN call looks at. */
const SCAN_COUNT = 1_000;

/** The Redis northbound database: see the driver's entry point for the layout and the rules. */
export class RedisDatabase implements NbDbApi {
  readonly address: string;
  readonly #options: DbOptions;
  readonly #access: RedisAccess;
  readonly #endpoint: DbEndpoint;
  readonly #logger: Logger;
  readonly #connection = new Connection<RedisClient>(DRIVER);

  constructor(options: DbOptions, access: RedisAccess, logger: Logger) {
    this.#options = options;
    this.#access = access;
    this.#logger = logger;
    this.address = `${access.tls === undefined ? "redis" : "rediss"}://${options.hosts[0]}`;
    this.#endpoint = { server: "Redis server", address: this.address, timeoutMs: options.timeoutMs, credentials: REDIS_CREDENTIALS };
  }

  initialize(): Promise<void> {
    return this.#connection.open(async () => {
      const { hosts, timeoutMs } = this.#options;
      if (hosts.length > 1) {
        this.#logger.warn({ address: this.address, ignored: hosts.slice(1) }, `${DRIVER} uses the first of remote_db_hosts only`);
      }
      const client = new Redis(this.address, {
        lazyConnect: true,
        connectTimeout: timeoutMs,
        retryStrategy: () => Math.min(RECONNECT_INTERVAL_MS, timeoutMs),
        // While the connection is down requests fail at once instead of waiting in a
        // queue, and a request cut off by a drop is not sent again: a request reported
        // as failed must not be applied later (and SET NX sent twice would answer false).
        enableOfflineQueue: false,
        maxRetriesPerRequest: 0,
        autoResendUnfulfilledCommands: false,
        ...ioredisAccess(this.#access, this.#access.tls !== undefined),
      });
      let lastError: unknown;
      let up = false;
      client.on("error", (err: unknown) => {
        lastError = err;
        if (!up) return;
        up = false;
        this.#logger.warn({ err: errorSummary(err), address: this.address }, "the Redis database connection is down; reconnecting");
      });
      client.on("ready", () => {
        up = true;
      });
      try {
        await connect(this.#endpoint, async () => {
          try {
            await client.connect();
          } catch (err: unknown) {
            throw lastError ?? err;
          }
        });
      } catch (err: unknown) {
        client.disconnect();
        throw err;
      }
      return client;
    });
  }

  /**
   * The row without a topic (`{table.}key`) when there is one, else the row under any
   * topic (`{table.<topic>}key`, found by a scan of the keys); undefined when there is
   * none.
   *
   * @throws {@link DbError} when the key is stored under several topics, which Dragonflow
   * does not do either.
   */
  async getKey(table: string, key: string): Promise<string | undefined> {
    const client = this.#connection.client;
    const value = await request(this.#endpoint, `getKey ${keyOf(table, key)}`, () => client.get(keyOf(table, key)));
    if (value !== null) return value;
    const pattern = keyPattern(table, key);
    return request(this.#endpoint, `getKey ${pattern}`, async () => {
      const found = [...(await this.#scan(client, pattern))];
      if (found.length > 1) throw new Error(`the key is stored under ${found.length} topics: ${found.slice(0, 3).join(", ")}`);
      const [only] = found;
      return only === undefined ? undefined : ((await client.get(only)) ?? undefined);
    });
  }

  /** The keys of every row of `table`, whatever its topic. */
  async getAllKeys(table: string): Promise<string[]> {
    const client = this.#connection.client;
    const pattern = tablePattern(table);
    const keys = await request(this.#endpoint, `getAllKeys ${pattern}`, () => this.#scan(client, pattern));
    return [...new Set([...keys].map((key) => rowKeyOf(table, key)))];
  }

  /**
   * Every row of `table`, whatever its topic, key to value: one scan, then the values
   * `SCAN_COUNT` at a time. What the table monitors read. A key under several topics
   * keeps one of its values.
   */
  async getAllEntries(table: string): Promise<Map<string, string>> {
    const client = this.#connection.client;
    const pattern = tablePattern(table);
    return request(this.#endpoint, `getAllEntries ${pattern}`, async () => {
      const keys = [...(await this.#scan(client, pattern))];
      const rows = new Map<string, string>();
      for (let at = 0; at < keys.length; at += SCAN_COUNT) {
        const some = keys.slice(at, at + SCAN_COUNT);
        const values = await client.mget(...some);
        some.forEach((key, i) => {
          const value = values[i];
          if (value !== null && value !== undefined) rows.set(rowKeyOf(table, key), value);
        });
      }
      return rows;
    });
  }

  /** The keys `pattern` matches; SCAN may return a key twice. One request, bounded as one by the caller. */
  async #scan(client: RedisClient, pattern: string): Promise<Set<string>> {
    const found = new Set<string>();
    let cursor = "0";
    do {
      const [next, batch] = await client.scan(cursor, "MATCH", pattern, "COUNT", SCAN_COUNT);
      for (const key of batch) found.add(key);
      cursor = next;
    } while (cursor !== "0");
    return found;
  }

  async setKey(table: string, key: string, value: string): Promise<void> {
    const client = this.#connection.client;
    await request(this.#endpoint, `setKey ${keyOf(table, key)}`, () => client.set(keyOf(table, key), value));
  }

  async createKey(table: string, key: string, value: string): Promise<boolean> {
    const client = this.#connection.client;
    const answer = await request(this.#endpoint, `createKey ${keyOf(table, key)}`, () => client.set(keyOf(table, key), value, "NX"));
    return answer === "OK";
  }

  async deleteKey(table: string, key: string): Promise<boolean> {
    const client = this.#connection.client;
    const deleted = await request(this.#endpoint, `deleteKey ${keyOf(table, key)}`, () => client.del(keyOf(table, key)));
    return deleted > 0;
  }

  // No watch(): Redis pushes key changes only through keyspace notifications, which are
  // off by default (`notify-keyspace-events`) and lost while a client is disconnected.
  // Without watch, the table monitors poll (monitor_table_poll_time).

  close(): Promise<void> {
    return this.#connection.close(async (client) => {
      if (client.status === "ready")
        await within(
          client.quit().catch(() => undefined),
          this.#options.timeoutMs,
        );
      client.disconnect();
    });
  }
}
