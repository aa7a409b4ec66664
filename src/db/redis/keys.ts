/**
 * Dragonflow's Redis key layout without topics: `{<table>.}<key>` (the braces make the
 * table a Redis Cluster hash tag; this driver does not support cluster mode).
 */
export function tablePrefix(table: string): string {
  return `{${table}.}`;
}

/** The Redis key of `key` in `table`. */
export function keyOf(table: string, key: string): string {
  return `${tablePrefix(table)}${key}`;
}

/** The SCAN MATCH pattern of every key of `table`: its prefix with glob characters escaped, then `*`. */
export function tablePattern(table: string): string {
  return `${tablePrefix(table).replace(/[\\*?[\]^]/g, "\\$&")}*`;
}
