/**
 * Dragonflow's etcd key layout: `/<table>/<key>`; a table is the prefix `/<table>/`, so
 * `chassis` never lists the keys of `chassis2`.
 */
export function tablePrefix(table: string): string {
  return `/${table}/`;
}

/** The etcd key of `key` in `table`. */
export function keyOf(table: string, key: string): string {
  return `${tablePrefix(table)}${key}`;
}

/** The key within `table` of an etcd key read under {@link tablePrefix}: the prefix's bytes removed. */
export function keyIn(table: string, etcdKey: Buffer): string {
  return etcdKey.subarray(Buffer.byteLength(tablePrefix(table))).toString("utf8");
}
