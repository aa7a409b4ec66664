import { SendError } from "../errors.js";

/**
 * Lets a queue write several waiting items as one: after each write, the items that
 * queued up meanwhile may go out together.
 */
export interface SendGrouping<T> {
  /**
   * How many items to write together, from the next one on (at least 1): `peek(0)` is
   * the next item, `peek(i)` the one `i` places behind it, undefined past the end.
   */
  size(peek: (offset: number) => T | undefined): number;
  /** Writes a group of two or more items, in order. */
  write(items: T[]): Promise<void> | void;
}

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
  readonly #grouping: SendGrouping<T> | undefined;
  readonly #refused: (err: unknown) => unknown;
  #items: Pending<T>[] = [];
  #head = 0;
  /** A write or a drain is under way; pushes wait in {@link #items}. */
  #busy = false;
  #idle: (() => void)[] = [];
  #closed = false;

  /**
   * @param write - writes one item; never called while another write is in flight.
   * @param grouping - when given, items waiting behind a write go out together.
   * @param refused - turns a write's failure into the error its caller gets (default: as is).
   */
  constructor(write: (item: T) => Promise<void> | void, grouping?: SendGrouping<T>, refused: (err: unknown) => unknown = (err) => err) {
    this.#write = write;
    this.#grouping = grouping;
    this.#refused = refused;
  }

  /** Items accepted and not yet written. */
  get length(): number {
    return this.#items.length - this.#head;
  }

  /** Accepts an item; resolves once it was written, rejects when writing it failed or the queue is closed. */
  push(item: T): Promise<void> {
    if (this.#closed) return Promise.reject(new SendError("the publisher is closed; create a new one to send"));
    if (!this.#busy) {
      this.#busy = true;
      return this.#writeNow(item);
    }
    return new Promise<void>((resolve, reject) => {
      this.#items.push({ item, resolve, reject });
    });
  }

  /** Resolves when every item accepted so far was written (or failed). */
  async flush(): Promise<void> {
    if (this.#busy) await new Promise<void>((resolve) => this.#idle.push(resolve));
  }

  /** Refuses new items, then waits for the accepted ones to be written. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.flush();
  }

  /**
   * The queue was idle: writes `item` at once, with no queue entry (a caller that awaits
   * each push, the common case, costs one promise besides the write's own). Items pushed
   * meanwhile wait, and are drained once it is written.
   */
  #writeNow(item: T): Promise<void> {
    let written: Promise<void>;
    try {
      written = Promise.resolve(this.#write(item));
    } catch (err: unknown) {
      written = Promise.reject(err);
    }
    return written.then(
      () => this.#next(),
      (err: unknown) => {
        this.#next();
        throw this.#refused(err);
      },
    );
  }

  #next(): void {
    if (this.#head < this.#items.length) void this.#drain();
    else this.#settle();
  }

  async #drain(): Promise<void> {
    try {
      while (this.#head < this.#items.length) {
        const count = this.#nextGroupSize();
        if (count === 1) {
          const pending = this.#items[this.#head] as Pending<T>;
          this.#items[this.#head] = undefined as unknown as Pending<T>;
          this.#head += 1;
          try {
            await this.#write(pending.item);
            pending.resolve();
          } catch (err: unknown) {
            pending.reject(this.#refused(err));
          }
        } else {
          await this.#writeGroup(count);
        }
        if (this.#head >= 1024 && this.#head * 2 >= this.#items.length) {
          this.#items = this.#items.slice(this.#head);
          this.#head = 0;
        }
      }
    } catch (err: unknown) {
      // Only a grouping that throws lands here: fail what waits rather than hang it.
      for (let i = this.#head; i < this.#items.length; i += 1) this.#items[i]?.reject(err);
    } finally {
      this.#settle();
    }
  }

  /** Nothing is waiting: the next push writes at once, and flush() returns. */
  #settle(): void {
    this.#items = [];
    this.#head = 0;
    this.#busy = false;
    const idle = this.#idle;
    this.#idle = [];
    for (const resolve of idle) resolve();
  }

  async #writeGroup(count: number): Promise<void> {
    const group = this.#items.slice(this.#head, this.#head + count);
    this.#items.fill(undefined as unknown as Pending<T>, this.#head, this.#head + count);
    this.#head += count;
    try {
      await this.#grouping?.write(group.map((pending) => pending.item));
      for (const pending of group) pending.resolve();
    } catch (err: unknown) {
      const refused = this.#refused(err);
      for (const pending of group) pending.reject(refused);
    }
  }

  #nextGroupSize(): number {
    const waiting = this.#items.length - this.#head;
    if (this.#grouping === undefined || waiting === 1) return 1;
    const head = this.#head;
    const size = this.#grouping.size((offset) => (offset < waiting ? this.#items[head + offset]?.item : undefined));
    return Math.max(1, Math.min(waiting, Math.floor(size)));
  }
}
