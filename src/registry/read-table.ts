import type { NbDbApi } from "../contract.js";

/**
 * Every row of `table`, key to value, read as Dragonflow's drivers offer it: the keys,
 * then each value. A key deleted between the two reads is left out.
 *
 * @throws {@link DbError} when the database does not answer (from the driver).
 */
export async function readTable(db: NbDbApi, table: string): Promise<Map<string, string>> {
  const rows = new Map<string, string>();
  for (const key of await db.getAllKeys(table)) {
    const value = await db.getKey(table, key);
    if (value !== undefined) rows.set(key, value);
  }
  return rows;
}
