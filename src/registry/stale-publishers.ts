import type { Logger, NbDbApi } from "../contract.js";
import { isStale, parsePublisherRow, PUBLISHER_TABLE } from "./publisher-row.js";
import { REGISTRY_MESSAGES } from "./messages.js";
import { readTable } from "./read-table.js";

/**
 * Deletes the rows of the `publisher` table whose `last_activity_timestamp` is older
 * than `timeoutMs`, except `ownId`'s, as Dragonflow's `StalePublisherMonitor`. A row
 * that is not a publisher row is left alone (and logged once).
 */
export async function removeStalePublishers(
  db: NbDbApi,
  ownId: string,
  timeoutMs: number,
  logger: Logger,
  now = Date.now(),
): Promise<number> {
  let removed = 0;
  for (const [key, value] of await readTable(db, PUBLISHER_TABLE)) {
    if (key === ownId) continue;
    const row = parsePublisherRow(value);
    if (row === undefined) {
      logger.warn({ key }, "the publisher table holds a row that is not a publisher; left alone");
      continue;
    }
    if (!isStale(row, timeoutMs, now)) continue;
    if (await db.deleteKey(PUBLISHER_TABLE, key)) {
      removed += 1;
      logger.info({ id: row.id, uri: row.uri, last_activity_timestamp: row.last_activity_timestamp }, REGISTRY_MESSAGES.staleRemoved);
    }
  }
  return removed;
}
