import type pino from "pino";

/**
 * The service's stats lines: {@link log} writes one whatever happened (SIGUSR2),
 * {@link logIfMoved} only when a counter moved since the last line (or since the start),
 * so `--stats` is silent while the service idles (at `trace` level it says it skipped one).
 */
export class StatsLog {
  readonly #logger: pino.Logger;
  readonly #read: () => Record<string, unknown>;
  #last: string;

  constructor(logger: pino.Logger, read: () => Record<string, unknown>) {
    this.#logger = logger;
    this.#read = read;
    this.#last = JSON.stringify(read()); // the counters at start: an idle service logs nothing
  }

  log(why: string): void {
    const fields = this.#read();
    this.#last = JSON.stringify(fields);
    this.#logger.info(fields, `stats (${why})`);
  }

  logIfMoved(why: string): void {
    const fields = this.#read();
    if (JSON.stringify(fields) === this.#last) {
      this.#logger.trace({}, `stats (${why}): no counter moved; nothing logged`);
      return;
    }
    this.log(why);
  }
}
