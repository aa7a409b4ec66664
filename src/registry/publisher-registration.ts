import type { Logger, NbDbApi } from "../contract.js";
import { DbOutage } from "./db-outage.js";
import { formatPublisherRow, PUBLISHER_TABLE } from "./publisher-row.js";
import { REGISTRY_MESSAGES } from "./messages.js";

/** Options of {@link PublisherRegistration}. */
export interface PublisherRegistrationOptions {
  /** The row's id: {@link publisherUuid}. */
  readonly id: string;
  /** Where subscribers connect to this service. */
  readonly uri: string;
  /** How often the row is refreshed, in ms: `publisher_rate_limit_timeout / publisher_rate_limit_count`. */
  readonly refreshMs: number;
  readonly logger: Logger;
  /** The clock, in ms since the epoch. */
  readonly now?: () => number;
}

/**
 * The publisher service's row in the `publisher` table (`id`, `uri`,
 * `last_activity_timestamp`): written at start, its timestamp refreshed every
 * `refreshMs` whether events flow or not (so an idle, live service is never taken for a
 * stale one), written again when someone deleted it, deleted on a graceful stop.
 */
export class PublisherRegistration {
  readonly #db: NbDbApi;
  readonly #options: PublisherRegistrationOptions;
  readonly #now: () => number;
  readonly #outage: DbOutage;
  #timer: NodeJS.Timeout | undefined;
  #refreshing: Promise<void> = Promise.resolve();
  #stopped = false;

  constructor(db: NbDbApi, options: PublisherRegistrationOptions) {
    this.#db = db;
    this.#options = options;
    this.#now = options.now ?? Date.now;
    this.#outage = new DbOutage(options.logger, `the publisher registration (${PUBLISHER_TABLE}/${options.id})`);
  }

  /** Writes the row, then keeps it fresh. Rejects when the first write fails. */
  async start(): Promise<void> {
    await this.#write();
    this.#options.logger.info({ id: this.#options.id, uri: this.#options.uri }, REGISTRY_MESSAGES.registered);
    this.#timer = setInterval(() => {
      this.#refreshing = this.#refresh();
    }, this.#options.refreshMs);
    this.#timer.unref();
  }

  /** Stops refreshing and deletes the row (a failure is logged: the row then goes stale). */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    clearInterval(this.#timer);
    await this.#refreshing;
    try {
      await this.#db.deleteKey(PUBLISHER_TABLE, this.#options.id);
    } catch (err: unknown) {
      this.#options.logger.warn(
        { err },
        "could not remove this service from the publisher table; its row goes stale after publisher_timeout",
      );
    }
  }

  async #refresh(): Promise<void> {
    try {
      if ((await this.#db.getKey(PUBLISHER_TABLE, this.#options.id)) === undefined) {
        this.#options.logger.warn({ id: this.#options.id }, "this service's row was removed from the publisher table; registering again");
      }
      if (this.#stopped) return;
      await this.#write();
      this.#outage.succeeded();
    } catch (err: unknown) {
      this.#outage.failed(err);
    }
  }

  #write(): Promise<void> {
    const row = { id: this.#options.id, uri: this.#options.uri, last_activity_timestamp: this.#now() / 1000 };
    return this.#db.setKey(PUBLISHER_TABLE, this.#options.id, formatPublisherRow(row));
  }
}
