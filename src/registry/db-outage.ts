import type { Logger } from "../contract.js";

/**
 * Logs a database that keeps failing once, when it starts failing, and once more when
 * it works again, so a database down for an hour costs two log lines, not one per poll.
 */
export class DbOutage {
  readonly #logger: Logger;
  readonly #what: string;
  #failures = 0;

  /** @param what - what was being done, for the log: `the table monitor of chassis`. */
  constructor(logger: Logger, what: string) {
    this.#logger = logger;
    this.#what = what;
  }

  /** Call when an attempt failed. */
  failed(err: unknown): void {
    this.#failures += 1;
    if (this.#failures === 1) this.#logger.error({ err }, `${this.#what}: the database failed; trying again at the next period`);
  }

  /** Call when an attempt succeeded. */
  succeeded(): void {
    if (this.#failures > 0) this.#logger.info({ failures: this.#failures }, `${this.#what}: the database works again`);
    this.#failures = 0;
  }
}
