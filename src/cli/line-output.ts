import type { Writable } from "node:stream";

/**
 * Lines written to a stream that may be slower than the events: a pipe to a busy
 * reader. While the stream's buffer is full, {@link write} returns a promise that
 * settles on `drain`; a subscriber's handler returns it, so the subscriber stops
 * reading (the transport's queues hold the backlog, and what they cannot hold is
 * counted as missed and signalled with `sync`) instead of buffering lines in memory
 * without bound. A stream that fails (the reader went away: EPIPE) is remembered,
 * reported through {@link onFailed}, and takes no more lines.
 */
export class LineOutput {
  readonly #stream: Writable;
  #failed: Error | undefined;
  #onFailed: ((err: Error) => void) | undefined;
  #drained: Promise<void> | undefined;
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

  /** Writes `line`; a promise when the stream's buffer is full, settled once it drained or failed. */
  write(line: string): Promise<void> | undefined {
    if (this.#failed !== undefined) return undefined;
    this.#written += 1;
    if (this.#stream.write(line)) return undefined;
    this.#drained ??= new Promise<void>((resolve) => {
      const done = (): void => {
        this.#stream.off("drain", done);
        this.#stream.off("close", done);
        this.#stream.off("error", done);
        this.#drained = undefined;
        resolve();
      };
      this.#stream.on("drain", done);
      this.#stream.on("close", done);
      this.#stream.on("error", done);
    });
    return this.#drained;
  }
}
