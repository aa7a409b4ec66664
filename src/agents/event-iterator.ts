import type { EventHandler, EventsOptions, SubscriberEvent, TableMap } from "../contract.js";

/** Default of {@link EventsOptions.bufferSize}. */
export const DEFAULT_BUFFER_SIZE = 1000;

/** What the iterator needs of its subscriber. */
export interface IteratedSubscriber {
  readonly isRunning: boolean;
  daemonize(): Promise<void>;
  close(): Promise<void>;
}

interface Waiter<T extends object> {
  resolve(result: IteratorResult<SubscriberEvent<T>, undefined>): void;
  reject(reason: unknown): void;
}

const DONE: IteratorReturnResult<undefined> = Object.freeze({ value: undefined, done: true });

/**
 * A subscriber's events as an async iterator, fed as the subscriber's handler: an event
 * goes straight to a waiting `next()`, else into a buffer of `bufferSize`; once the
 * buffer is full, `onEvent` returns a promise that resolves when the loop took one, so
 * the subscriber holds further events back (its queue, then its transport). The first
 * `next()` starts the subscriber; ending the iteration closes it.
 */
export class EventIterator<T extends object = TableMap> implements AsyncIterableIterator<SubscriberEvent<T>>, EventHandler<T> {
  readonly #subscriber: IteratedSubscriber;
  readonly #size: number;
  #buffer: SubscriberEvent<T>[] = [];
  #head = 0;
  #waiter: Waiter<T> | undefined;
  #room: { promise: Promise<void>; resolve: () => void } | undefined;
  #started = false;
  #ended = false;
  #failure: { reason: unknown } | undefined;
  readonly #signal: AbortSignal | undefined;
  readonly #onAbort = (): void => this.#fail((this.#signal as AbortSignal).reason);

  constructor(subscriber: IteratedSubscriber, options: EventsOptions = {}) {
    this.#subscriber = subscriber;
    this.#size = options.bufferSize ?? DEFAULT_BUFFER_SIZE;
    if (!Number.isInteger(this.#size) || this.#size < 1) {
      throw new TypeError(`events(options): options.bufferSize must be a positive integer (got ${String(options.bufferSize)})`);
    }
    this.#signal = options.signal;
    if (this.#signal?.aborted === true) this.#fail(this.#signal.reason);
    else this.#signal?.addEventListener("abort", this.#onAbort, { once: true });
  }

  /** The handler side: takes one event from the subscriber. */
  readonly onEvent = (event: SubscriberEvent<T>): Promise<void> | undefined => {
    if (this.#ended) return undefined;
    const waiter = this.#waiter;
    if (waiter !== undefined) {
      this.#waiter = undefined;
      waiter.resolve({ value: event, done: false });
      return undefined;
    }
    this.#buffer.push(event);
    if (this.#buffer.length - this.#head < this.#size) return undefined;
    if (this.#room === undefined) {
      let resolve!: () => void;
      const promise = new Promise<void>((r) => (resolve = r));
      this.#room = { promise, resolve };
    }
    return this.#room.promise;
  };

  next(): Promise<IteratorResult<SubscriberEvent<T>, undefined>> {
    if (this.#head < this.#buffer.length) return Promise.resolve({ value: this.#shift(), done: false });
    const failure = this.#failure;
    if (failure !== undefined) {
      this.#failure = undefined;
      return Promise.reject(failure.reason);
    }
    if (this.#ended) return Promise.resolve(DONE);
    if (!this.#started) this.#start();
    return new Promise((resolve, reject) => (this.#waiter = { resolve, reject }));
  }

  async return(): Promise<IteratorResult<SubscriberEvent<T>, undefined>> {
    this.#end();
    this.#buffer = [];
    this.#head = 0;
    await this.#subscriber.close();
    return DONE;
  }

  async throw(reason?: unknown): Promise<IteratorResult<SubscriberEvent<T>, undefined>> {
    await this.return();
    throw reason;
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  /** The subscriber closed: the loop gets what is buffered, then the end. */
  closed(): void {
    this.#end();
  }

  #start(): void {
    this.#started = true;
    if (this.#subscriber.isRunning) return;
    this.#subscriber.daemonize().catch((err: unknown) => this.#fail(err));
  }

  #shift(): SubscriberEvent<T> {
    const event = this.#buffer[this.#head] as SubscriberEvent<T>;
    this.#head += 1;
    if (this.#head === this.#buffer.length) {
      this.#buffer = [];
      this.#head = 0;
    } else if (this.#head >= 1024 && this.#head * 2 >= this.#buffer.length) {
      this.#buffer = this.#buffer.slice(this.#head);
      this.#head = 0;
    }
    if (this.#room !== undefined && this.#buffer.length - this.#head < this.#size) this.#freeRoom();
    return event;
  }

  /** Ends the iteration with `reason`: the pending or next `next()` rejects with it, once; the subscriber closes. */
  #fail(reason: unknown): void {
    if (this.#ended) return;
    const waiter = this.#waiter;
    this.#waiter = undefined;
    this.#end();
    this.#buffer = [];
    this.#head = 0;
    if (waiter === undefined) this.#failure = { reason };
    else waiter.reject(reason);
    void this.#subscriber.close().catch(() => undefined);
  }

  #end(): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#signal?.removeEventListener("abort", this.#onAbort);
    this.#freeRoom();
    const waiter = this.#waiter;
    this.#waiter = undefined;
    waiter?.resolve(DONE);
  }

  #freeRoom(): void {
    const room = this.#room;
    this.#room = undefined;
    room?.resolve();
  }
}
