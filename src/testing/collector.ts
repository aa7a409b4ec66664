import type { EventCallback } from "../contract.js";
import { Changes, DEFAULT_TIMEOUT_MS, until } from "./until.js";

/** One event as a subscriber's callback received it. */
export interface ReceivedEvent {
  table: string | null;
  key: string | null;
  action: string;
  value: unknown;
  topic: string | null;
}

/**
 * Records what a subscriber's callback receives and lets a test wait for a condition on
 * it, through {@link until}: checked on every arrival, bounded by a deadline that fails
 * naming what was awaited and what arrived.
 *
 * @example
 * ```ts
 * const got = new Collector();
 * subscriber.initialize(got.callback);
 * await got.until(() => got.count("lport") === 10, "10 lport events");
 * ```
 */
export class Collector {
  /** Every event received, probes included, in arrival order. */
  readonly events: ReceivedEvent[] = [];
  /** How long {@link until} waits before failing, in milliseconds. */
  timeoutMs: number;
  /** Notified on every arrival: pass it to {@link until} to wait on several collectors at once. */
  readonly changes = new Changes();
  /** Events per table (`null` for none), so {@link count} stays cheap inside {@link until} tests. */
  readonly #counts = new Map<string | null, number>();
  #plain = 0;

  constructor(timeoutMs = DEFAULT_TIMEOUT_MS) {
    this.timeoutMs = timeoutMs;
  }

  /** The callback to pass to `subscriber.initialize`. */
  readonly callback: EventCallback = (table, key, action, value, topic) => {
    this.events.push({ table, key, action, value, topic });
    this.#counts.set(table, (this.#counts.get(table) ?? 0) + 1);
    if (table !== PROBE_TABLE && action !== "sync") this.#plain += 1;
    this.changes.notify();
  };

  /** Events of `table` (all but probes and `"sync"` notices when omitted). */
  of(table?: string): ReceivedEvent[] {
    return this.events.filter((event) =>
      table === undefined ? event.table !== PROBE_TABLE && event.action !== "sync" : event.table === table,
    );
  }

  /** How many events of `table` arrived. */
  count(table?: string): number {
    return table === undefined ? this.#plain : (this.#counts.get(table) ?? 0);
  }

  /** How many `"sync"` notices arrived. */
  get syncs(): number {
    return this.events.filter((event) => event.action === "sync").length;
  }

  /** Resolves once `test()` holds; rejects after {@link timeoutMs} naming `what`. */
  until(test: () => boolean, what: string): Promise<void> {
    return until(test, what, { changes: this.changes, timeoutMs: this.timeoutMs, status: () => this.status() });
  }

  /** What arrived so far, for a failure message. */
  status(): string {
    return `${this.events.length} events arrived (${this.syncs} sync)`;
  }
}

/** The table of the events {@link waitForFlow} sends to find out that a path delivers. */
export const PROBE_TABLE = "__conformance_probe__";
