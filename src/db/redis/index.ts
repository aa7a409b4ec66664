import type { DbDriverContext, NbDbApi, PubSubConfig } from "../../contract.js";
import { createStderrLogger } from "../../logger.js";
import { redisAccess } from "../../drivers/redis/options.js";
import { dbOptions } from "../options.js";
import { RedisDatabase } from "./database.js";

/**
 * The Redis northbound database driver, alias `redis_nb_db_driver`, built on ioredis (an
 * optional peer dependency: `npm install ioredis`). It connects to the first of
 * `remote_db_hosts` (`host:port`) as the user of `redis.username` and `redis.password`,
 * over TLS with `redis.tls` (the `redis` section the Redis pub/sub driver reads too;
 * its `url` is not used here); Redis Cluster is not supported
 * (Dragonflow's driver spreads tables over cluster nodes; this one talks to one server).
 *
 * - Layout: Dragonflow's, `{<table>.<topic>}<key>`. Rows are written without a topic
 *   (`{<table>.}<key>`) and read under any topic, as Dragonflow reads a row whose topic
 *   it is not given: `getAllKeys` and `getAllEntries` are a SCAN with
 *   `MATCH {<table>.*}*` (glob characters escaped), `getKey` reads the key without a
 *   topic, then looks for it under any.
 * - `createKey` is `SET NX`; `deleteKey` is `DEL`.
 * - No `watch`: Redis keyspace notifications are optional and lossy, so the table
 *   monitors poll this database.
 * - Every request, the first connection included, is bounded by `nb_db_timeout_ms` and
 *   fails with a `PUBSUB_ERR_DB` error naming `remote_db_hosts`, the address and the
 *   reason; while the connection is down requests fail at once and it is made again
 *   every second.
 *
 * @example
 * ```yaml
 * nb_db_class: redis_nb_db_driver
 * remote_db_hosts: ["10.0.0.7:6379"]
 * ```
 */
export default function createRedisDatabase(config: PubSubConfig, context?: Partial<DbDriverContext>): NbDbApi {
  return new RedisDatabase(dbOptions(config), redisAccess(config), context?.logger ?? createStderrLogger());
}
