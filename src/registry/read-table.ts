import type { NbDbApi } from "../contract.js";

/**
 * Every row of `table`, key to value: in one read where the driver offers it
 * ({@link NbDbApi.getAllEntries}), else as Dragonflow's drivers offer it, the keys, then
 * each value (a key deleted between the two reads is left out).
 *
 * @throws {@link DbError} when the database does not answer (from the driver).
 */
export async function readTable(db: NbDbApi, table: string): Promise<Map<string, string>> {
  if (db.getAllEntries !== undefined) return db.getAllEntries(table);
  const rows = new Map<string, string>();
  for (const key of await db.getAllKeys(table)) {
    const value = await db.getKey(table, key);
    if (value !== undefined) rows.set(key, value);
  }
  return rows;
}
