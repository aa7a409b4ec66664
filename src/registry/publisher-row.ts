/** The table the publisher services register in, as Dragonflow's `core.Publisher`. */
export const PUBLISHER_TABLE = "publisher";

/** A row of the `publisher` table, as Dragonflow stores it (JSON). */
export interface PublisherRow {
  readonly id: string;
  /** Where subscribers connect: `tcp://10.0.0.5:8866`. */
  readonly uri: string;
  /** When the service last said it is alive, in seconds since the epoch (Python's `time.time()`). */
  readonly last_activity_timestamp: number;
}

/** The row's JSON, as the database stores it. */
export function formatPublisherRow(row: PublisherRow): string {
  return JSON.stringify({ id: row.id, uri: row.uri, last_activity_timestamp: row.last_activity_timestamp });
}

/** A row read back, or undefined when the value is not one (logged by the caller). */
export function parsePublisherRow(value: string): PublisherRow | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    return undefined;
  }
  if (typeof parsed !== "object" || parsed === null) return undefined;
  const { id, uri, last_activity_timestamp: at } = parsed as Record<string, unknown>;
  if (typeof id !== "string" || typeof uri !== "string" || typeof at !== "number" || !Number.isFinite(at)) return undefined;
  return { id, uri, last_activity_timestamp: at };
}

/** True when the row's last activity is more than `timeoutMs` before `nowMs`. */
export function isStale(row: PublisherRow, timeoutMs: number, nowMs: number): boolean {
  return row.last_activity_timestamp * 1000 < nowMs - timeoutMs;
}
