import type { DbDriverContext, NbDbApi, PubSubConfig } from "../../contract.js";
import { createStderrLogger } from "../../logger.js";
import { etcdAccess } from "../../drivers/etcd/access.js";
import { dbOptions } from "../options.js";
import { EtcdDatabase } from "./database.js";

/**
 * The etcd v3 northbound database driver, alias `etcd_nb_db_driver`, built on the npm
 * package etcd3 (an optional peer dependency: `npm install etcd3`). It talks gRPC to the
 * members named by `remote_db_hosts` (`host:port`), as Dragonflow's etcd driver: over TLS
 * with `etcd.tls`, as a user with `etcd.username` and `etcd.password` (the `etcd`
 * section the etcd pub/sub driver reads too).
 *
 * - Layout: Dragonflow's, the key `/<table>/<key>`; `getAllKeys` is one range read of
 *   the prefix `/<table>/` (so `chassis` never lists `chassis2`).
 * - `createKey` is one transaction: it puts only if the key's version is 0 (absent).
 * - `watch` follows the prefix: a put of a key's first version is `create`, later puts
 *   are `set`, deletes `delete`, in etcd's order. After the watch reconnected, or etcd
 *   cancelled it (compaction), `resync` is called: changes may have been missed.
 * - Every request, the first connection included, is bounded by `nb_db_timeout_ms` and
 *   fails with a `PUBSUB_ERR_DB` error naming `remote_db_hosts`, the address and the reason.
 *
 * @example
 * ```yaml
 * nb_db_class: etcd_nb_db_driver
 * remote_db_hosts: ["10.0.0.7:2379", "10.0.0.8:2379"]
 * nb_db_timeout_ms: 5000
 * ```
 */
export default function createEtcdDatabase(config: PubSubConfig, context?: Partial<DbDriverContext>): NbDbApi {
  return new EtcdDatabase(dbOptions(config), etcdAccess(config), context?.logger ?? createStderrLogger());
}
