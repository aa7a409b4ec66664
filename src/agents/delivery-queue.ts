/** One event waiting for the handler, and its lane (`null`: a barrier, the `"sync"` notice). */
interface Waiting {
  readonly table: string | null;
  readonly key: string | null;
  readonly action: string;
  readonly value: unknown;
  readonly topic: string | null;
  readonly lane: string | null;
  /** Called once the handler is done with the event (its promise settled), if given. */
  readonly done: (() => void) | undefined;
}

/**
 * Calls the handler with one event; returns the handler's promise (its rejection
 * already handled) when it returned one, else undefined.
 */
export type Call = (
  table: string | null,
  key: string | null,
  action: string,
  value: unknown,
  topic: string | null,
) => PromiseLike<unknown> | undefined;

/** Default of {@link DeliveryQueue} concurrency. */
export const DEFAULT_CONCURRENCY = 1;
/** Default of {@link DeliveryQueue} capacity. */
export const DEFAULT_QUEUE_SIZE = 1000;

/**
 * Hands events to a handler that may return promises: at most `concurrency` promises
 * pending, one per lane (a lane is a publisher: its events stay in order), a barrier
 * (lane `null`) alone; events that cannot start yet wait, in order, up to `capacity`
 * (the owner decides what happens past it: pause the transport, or drop and count).
 * While nothing is pending and nothing waits, {@link idle} is true and the owner calls
 * the handler itself: a synchronous handler costs one check per event.
 */
export class DeliveryQueue {
  readonly #call: Call;
  #concurrency = DEFAULT_CONCURRENCY;
  #capacity = DEFAULT_QUEUE_SIZE;
  #waiting: Waiting[] = [];
  #head = 0;
  #active = 0;
  #barrier = false;
  readonly #busy = new Set<string>();
  #room: { promise: Promise<void>; resolve: () => void } | undefined;
  #closed = false;

  constructor(call: Call) {
    this.#call = call;
  }

  /** Sets how many promises may be pending and how many events may wait. */
  configure(concurrency: number, capacity: number): void {
    this.#concurrency = concurrency;
    this.#capacity = capacity;
  }

  /** True when nothing is pending and nothing waits: the next event may be handed over at once. */
  get idle(): boolean {
    return this.#active === 0 && this.#head === this.#waiting.length;
  }

  /** Events waiting. */
  get size(): number {
    return this.#waiting.length - this.#head;
  }

  /** True when {@link size} reached the capacity. */
  get full(): boolean {
    return this.size >= this.#capacity;
  }

  /**
   * Counts a promise the handler returned for an event of `lane` as pending, until it
   * settles; then calls `done`.
   */
  track(pending: PromiseLike<unknown>, lane: string | null, done?: () => void): void {
    this.#active += 1;
    if (lane === null) this.#barrier = true;
    else this.#busy.add(lane);
    pending.then(() => {
      done?.();
      this.#settled(lane);
    });
  }

  /**
   * Queues one event; it is handed over as soon as its lane and the concurrency allow,
   * and `done` is called once the handler is done with it (never when the queue is
   * closed before).
   */
  push(
    table: string | null,
    key: string | null,
    action: string,
    value: unknown,
    topic: string | null,
    lane: string | null,
    done?: () => void,
  ): void {
    if (this.#closed) return;
    this.#waiting.push({ table, key, action, value, topic, lane, done });
    this.#pump();
  }

  /**
   * Undefined while there is room; when full, a promise that resolves once the queue
   * is down to half its capacity (or closed).
   */
  whenRoom(): Promise<void> | undefined {
    if (!this.full || this.#closed) return undefined;
    if (this.#room === undefined) {
      let resolve!: () => void;
      const promise = new Promise<void>((r) => (resolve = r));
      this.#room = { promise, resolve };
    }
    return this.#room.promise;
  }

  /** Drops what waits and hands nothing more over; whoever waits for room goes on. */
  close(): number {
    const dropped = this.size;
    this.#closed = true;
    this.#waiting = [];
    this.#head = 0;
    this.#freeRoom();
    return dropped;
  }

  #settled(lane: string | null): void {
    this.#active -= 1;
    if (lane === null) this.#barrier = false;
    else this.#busy.delete(lane);
    this.#pump();
  }

  #pump(): void {
    while (!this.#closed && !this.#barrier && this.#active < this.#concurrency) {
      const index = this.#next();
      if (index < 0) break;
      const item = this.#take(index);
      const pending = this.#call(item.table, item.key, item.action, item.value, item.topic);
      if (pending !== undefined) this.track(pending, item.lane, item.done);
      else item.done?.();
    }
    if (this.#room !== undefined && this.size <= this.#capacity / 2) this.#freeRoom();
  }

  /** The index of the first event that may start now, or -1. */
  #next(): number {
    for (let i = this.#head; i < this.#waiting.length; i += 1) {
      const lane = (this.#waiting[i] as Waiting).lane;
      if (lane === null) return i === this.#head && this.#active === 0 ? i : -1;
      if (!this.#busy.has(lane)) return i;
    }
    return -1;
  }

  #take(index: number): Waiting {
    const item = this.#waiting[index] as Waiting;
    if (index === this.#head) {
      this.#head += 1;
      if (this.#head === this.#waiting.length) {
        this.#waiting = [];
        this.#head = 0;
      } else if (this.#head >= 1024 && this.#head * 2 >= this.#waiting.length) {
        this.#waiting = this.#waiting.slice(this.#head);
        this.#head = 0;
      }
    } else {
      this.#waiting.splice(index, 1);
    }
    return item;
  }

  #freeRoom(): void {
    const room = this.#room;
    this.#room = undefined;
    room?.resolve();
  }
}
