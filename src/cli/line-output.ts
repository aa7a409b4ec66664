import type { Writable } from "node:stream";

/**
 * Lines written to a stream whose reader may go away (a pipe to `head`: EPIPE). The
 * stream's error is remembered, reported once through {@link onFailed}, and the stream
 * takes no more lines, so the command can stop and say so rather than crash.
 */
export class LineOutput {
  readonly #stream: Writable;
  #failed: Error | undefined;
  #onFailed: ((err: Error) => void) | undefined;
  #written = 0;

  constructor(stream: Writable) {
    this.#stream = stream;
    stream.on("error", (err: Error) => {
      if (this.#failed !== undefined) return;
      this.#failed = err;
      this.#onFailed?.(err);
    });
  }

  /** Lines handed to the stream. */
  get written(): number {
    return this.#written;
  }

  /** The stream's error, once it failed. */
  get failed(): Error | undefined {
    return this.#failed;
  }

  /** Calls `listener` once, when the stream fails. */
  onFailed(listener: (err: Error) => void): void {
    this.#onFailed = listener;
  }

  /** Writes `line`, unless the stream failed. */
  write(line: string): void {
    if (this.#failed !== undefined) return;
    this.#written += 1;
    this.#stream.write(line);
  }
}
