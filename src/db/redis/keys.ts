/**
 * Dragonflow's Redis key layout: `{<table>.<topic>}<key>`, the topic empty for rows
 * that have none (`{chassis.}host1`) and a project id for those that do
 * (`{lport.<project>}<id>`). The braces make the table and topic a Redis Cluster hash
 * tag; this driver does not support cluster mode. It writes the layout without a topic,
 * and reads a table's rows under any topic, as Dragonflow's driver reads a row whose
 * topic it is not given.
 */
function tablePrefix(table: string): string {
  return `{${table}.}`;
}

/** The Redis key of `key` in `table`, without a topic: where this driver writes. */
export function keyOf(table: string, key: string): string {
  return `${tablePrefix(table)}${key}`;
}

/** `text` with Redis's glob characters escaped, to match itself only. */
function literal(text: string): string {
  return text.replace(/[\\*?[\]^]/g, "\\$&");
}

/** The SCAN MATCH pattern of every key of `table`, whatever its topic: `{<table>.*}*`. */
export function tablePattern(table: string): string {
  return `{${literal(table)}.*}*`;
}

/** The SCAN MATCH pattern of `key` in `table` under any topic: `{<table>.*}<key>`. */
export function keyPattern(table: string, key: string): string {
  return `{${literal(table)}.*}${literal(key)}`;
}

/** The row's key in a Redis key of `table` (`{<table>.<topic>}<key>`): what follows the hash tag's `}`. */
export function rowKeyOf(table: string, redisKey: string): string {
  return redisKey.slice(redisKey.indexOf("}", table.length + 2) + 1);
}
