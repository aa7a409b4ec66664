/**
 * A log line that is written at most once per interval: the first occurrence at once,
 * the ones after it held back and written together (by `write`, which reads what its
 * owner gathered) when the interval has passed, or at {@link flush}. The timer does not
 * keep the process alive.
 */
export class HeldBackLog {
  readonly #intervalMs: number;
  readonly #write: () => void;
  #writtenAt = -Infinity;
  #timer: NodeJS.Timeout | undefined;
  #pending = false;

  /** @param write - writes one line of what was held back, and forgets it. */
  constructor(intervalMs: number, write: () => void) {
    this.#intervalMs = intervalMs;
    this.#write = write;
  }

  /** Something to log happened: written now, or with the next line. */
  note(): void {
    this.#pending = true;
    const wait = this.#writtenAt + this.#intervalMs - Date.now();
    if (wait <= 0) {
      this.#writeNow();
      return;
    }
    if (this.#timer !== undefined) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#writeNow();
    }, wait);
    this.#timer.unref();
  }

  /** Writes what is held back now, and stops the timer (on close). */
  flush(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#pending) this.#writeNow();
  }

  #writeNow(): void {
    this.#pending = false;
    this.#writtenAt = Date.now();
    this.#write();
  }
}
