import type { DbWatch, DbWatchHandlers, Logger, NbDbApi } from "../../contract.js";
import { Connection } from "../lifecycle.js";
import type { DbOptions } from "../options.js";
import { accessOptions, ETCD_CREDENTIALS, type EtcdAccess } from "../../drivers/etcd/access.js";
import { connect, request, type DbEndpoint } from "../request.js";
import { etcd3, type Etcd3 } from "./client.js";
import { keyIn, keyOf, tablePrefix } from "./keys.js";
import { watchTable } from "./watch.js";

/** The driver alias, for messages. */
const DRIVER = "etcd_nb_db_driver";

/** The etcd v3 northbound database: see the driver's entry point for the layout and the rules. */
export class EtcdDatabase implements NbDbApi {
  readonly address: string;
  readonly #options: DbOptions;
  readonly #access: EtcdAccess;
  readonly #endpoint: DbEndpoint;
  readonly #logger: Logger;
  readonly #connection = new Connection<Etcd3>(DRIVER);
  readonly #watches = new Set<DbWatch>();

  constructor(options: DbOptions, access: EtcdAccess, logger: Logger) {
    this.#options = options;
    this.#access = access;
    this.#logger = logger;
    this.address = `etcd://${options.hosts.join(",")}`;
    this.#endpoint = { server: "etcd server", address: this.address, timeoutMs: options.timeoutMs, credentials: ETCD_CREDENTIALS };
  }

  initialize(): Promise<void> {
    return this.#connection.open(async () => {
      const { timeoutMs } = this.#options;
      const client = new etcd3.Etcd3({
        ...accessOptions(this.#access, this.#options.hosts),
        dialTimeout: timeoutMs,
        // Streams (watches) last; every other call has a deadline.
        defaultCallOptions: (context) => (context.isStream ? {} : { deadline: Date.now() + timeoutMs }),
      });
      try {
        await connect(this.#endpoint, () => client.get("/").exec());
      } catch (err: unknown) {
        client.close();
        throw err;
      }
      return client;
    });
  }

  async getKey(table: string, key: string): Promise<string | undefined> {
    const client = this.#connection.client;
    const value = await request(this.#endpoint, `getKey ${keyOf(table, key)}`, () => client.get(keyOf(table, key)).string());
    return value ?? undefined;
  }

  async getAllKeys(table: string): Promise<string[]> {
    const client = this.#connection.client;
    const keys = await request(this.#endpoint, `getAllKeys ${tablePrefix(table)}`, () =>
      client.getAll().prefix(tablePrefix(table)).keyBuffers(),
    );
    return keys.map((key) => keyIn(table, key));
  }

  async setKey(table: string, key: string, value: string): Promise<void> {
    const client = this.#connection.client;
    await request(this.#endpoint, `setKey ${keyOf(table, key)}`, () => client.put(keyOf(table, key)).value(value).exec());
  }

  async createKey(table: string, key: string, value: string): Promise<boolean> {
    const client = this.#connection.client;
    const etcdKey = keyOf(table, key);
    // One transaction: the put runs only if the key has no version, i.e. does not exist.
    const result = await request(this.#endpoint, `createKey ${etcdKey}`, () =>
      client.if(etcdKey, "Version", "==", 0).then(client.put(etcdKey).value(value)).commit(),
    );
    return result.succeeded;
  }

  async deleteKey(table: string, key: string): Promise<boolean> {
    const client = this.#connection.client;
    const result = await request(this.#endpoint, `deleteKey ${keyOf(table, key)}`, () => client.delete().key(keyOf(table, key)).exec());
    return result.deleted !== "0";
  }

  async watch(table: string, handlers: DbWatchHandlers): Promise<DbWatch> {
    const client = this.#connection.client;
    const watch = await watchTable(client, table, handlers, this.#endpoint, this.#logger);
    this.#watches.add(watch);
    return {
      close: async () => {
        this.#watches.delete(watch);
        await watch.close();
      },
    };
  }

  close(): Promise<void> {
    return this.#connection.close(async (client) => {
      // Cancel the watches first: once the client is closed, etcd3 would try to reconnect them.
      await Promise.all([...this.#watches].map((watch) => watch.close()));
      this.#watches.clear();
      client.close();
    });
  }
}
