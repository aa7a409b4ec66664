import { SendError } from "../errors.js";

interface Pending<T> {
  item: T;
  resolve: () => void;
  reject: (err: unknown) => void;
}

/**
 * A FIFO drained by one writer. Transports that allow one write in flight (a zeromq.js
 * socket rejects a second concurrent `send` with `EBUSY`) get their writes one at a
 * time and in call order, however many callers push concurrently.
 *
 * @example
 * ```ts
 * const queue = new SendQueue<Buffer[]>((frames) => socket.send(frames));
 * await Promise.all([queue.push(a), queue.push(b)]); // a is written before b
 * await queue.close();
 * ```
 */
export class SendQueue<T> {
  readonly #write: (item: T) => Promise<void> | void;
  #items: Pending<T>[] = [];
  #head = 0;
  #draining: Promise<void> | undefined;
  #closed = false;

  constructor(write: (item: T) => Promise<void> | void) {
    this.#write = write;
  }

  /** Items accepted and not yet written. */
  get length(): number {
    return this.#items.length - this.#head;
  }

  /** Accepts an item; resolves once it was written, rejects when writing it failed or the queue is closed. */
  push(item: T): Promise<void> {
    if (this.#closed) return Promise.reject(new SendError("the publisher is closed; create a new one to send"));
    return new Promise<void>((resolve, reject) => {
      this.#items.push({ item, resolve, reject });
      this.#draining ??= this.#drain();
    });
  }

  /** Resolves when every item accepted so far was written (or failed). */
  async flush(): Promise<void> {
    while (this.#draining !== undefined) await this.#draining;
  }

  /** Refuses new items, then waits for the accepted ones to be written. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.flush();
  }

  async #drain(): Promise<void> {
    try {
      while (this.#head < this.#items.length) {
        const pending = this.#items[this.#head] as Pending<T>;
        this.#items[this.#head] = undefined as unknown as Pending<T>;
        this.#head += 1;
        try {
          await this.#write(pending.item);
          pending.resolve();
        } catch (err: unknown) {
          pending.reject(err);
        }
        if (this.#head >= 1024 && this.#head * 2 >= this.#items.length) {
          this.#items = this.#items.slice(this.#head);
          this.#head = 0;
        }
      }
      this.#items = [];
      this.#head = 0;
    } finally {
      this.#draining = undefined;
    }
  }
}
