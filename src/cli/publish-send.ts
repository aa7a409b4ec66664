import { within } from "../agents/deadline.js";
import type { PublisherApi, SubscriptionAwarePublisher } from "../contract.js";
import type { ReadEvent } from "./publish-input.js";

/**
 * Events read and not yet taken by the transport before reading more input waits for
 * them: bounds memory on a long stdin, and how much one stalled peer holds up.
 */
export const MAX_IN_FLIGHT = 1024;

/** Node's longest timer; a longer stall limit counts as none (as in `within()`). */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** What an interrupted wait of {@link SendTally} resolves with. */
const STOPPED: unique symbol = Symbol("stopped");

/**
 * A bounded wait for subscribers: `opened` resolves true once `count` of them are
 * connected to `publisher`, false after `ms`. `cancel()` ends the wait (and its timer).
 */
export function subscribersWithin(
  publisher: SubscriptionAwarePublisher,
  count: number,
  ms: number,
): { opened: Promise<boolean>; cancel: () => void } {
  let cancel: () => void = () => undefined;
  const cancelled = new Promise<false>((resolve) => (cancel = () => resolve(false)));
  const came = publisher.whenSubscribers(count).then(() => true);
  const opened = within(Promise.race([came, cancelled]), ms).then((outcome) => outcome === true);
  return { opened, cancel };
}

/** What {@link holdUntilOpen} read while it waited. */
export interface Held {
  /** True when the gate opened; false when it timed out or was cancelled. */
  readonly open: boolean;
  /** The events read meanwhile, in order, not sent yet: at most {@link MAX_IN_FLIGHT}. */
  readonly events: readonly ReadEvent[];
  /** True when the input ended. */
  readonly ended: boolean;
  /** A read still under way when the gate settled: its event comes after {@link events}. */
  readonly next: Promise<IteratorResult<ReadEvent>> | undefined;
}

/**
 * Reads events from `source` and keeps them until `gate` settles, so no event goes out
 * before the subscribers are there. It keeps at most {@link MAX_IN_FLIGHT}, then stops
 * reading and only waits. An input that ends with no event does not wait.
 */
export async function holdUntilOpen(gate: Promise<boolean>, source: AsyncIterator<ReadEvent>): Promise<Held> {
  const events: ReadEvent[] = [];
  const settled = gate.then((open) => ({ open }));
  let next: Promise<IteratorResult<ReadEvent>> | undefined;
  while (events.length < MAX_IN_FLIGHT) {
    next ??= source.next();
    const first = await Promise.race([settled, next]);
    if ("open" in first) return { open: first.open, events, ended: false, next };
    next = undefined;
    if (first.done === true) return { open: events.length === 0 || (await gate), events, ended: true, next: undefined };
    events.push(first.value);
  }
  return { open: await gate, events, ended: false, next: undefined };
}

/** Why {@link SendTally.sendAll} stopped reading before the end of its input. */
export type StopCause = "stalled" | NodeJS.Signals;

/**
 * Hands events to a publisher in order without waiting for each (the publisher keeps
 * order), at most {@link MAX_IN_FLIGHT} not yet taken, and counts what became of each:
 * taken by the transport (its `sendEvent` promise resolved) or refused. It stops reading
 * when events wait and none is taken for `stallMs` (nothing takes them: no publisher
 * service, or one that stopped reading), and when {@link stop} is called (a signal).
 *
 * @example
 * ```ts
 * const tally = new SendTally(publisher, 5_000);
 * await tally.sendAll(lineEvents(process.stdin, onBad));
 * await publisher.close(); // gives up on what still waits after its linger time
 * await tally.settled();
 * if (tally.refused > 0) console.error(`${tally.refused} of ${tally.handed} not sent`);
 * ```
 */
export class SendTally {
  /** Events handed to the publisher: the events read. */
  handed = 0;
  /** Events the transport took. */
  accepted = 0;
  /** Events the publisher refused, or gave up on when it closed. */
  refused = 0;
  /** Why the first refused event (in input order) was refused. */
  firstRefusal: unknown;
  /** The stdin line of the first refused event (in input order). */
  firstRefusedLine: number | undefined;
  /** The stdin line of the last event handed. */
  lastLine: number | undefined;
  /** Why reading stopped before the end of the input; undefined when it read it all. */
  stoppedBy: StopCause | undefined;
  readonly #publisher: PublisherApi;
  readonly #stallMs: number;
  #batch: Promise<void>[] = [];
  /** Windows whose wait was interrupted: not settled yet, maybe. */
  readonly #interrupted: Promise<unknown>[] = [];
  /** Position (1-based) of the first refused event among those handed. */
  #firstRefusedAt = Infinity;
  #reading = true;
  #interrupt: ((stopped: typeof STOPPED) => void) | undefined;
  #lastTakenAt = 0;
  #watchdog: NodeJS.Timeout | undefined;

  /** @param stallMs - how long events may wait with none taken before reading stops; negative: for ever. */
  constructor(publisher: PublisherApi, stallMs = -1) {
    this.#publisher = publisher;
    this.#stallMs = stallMs > MAX_TIMER_MS ? -1 : stallMs;
  }

  /** Events handed and neither taken nor refused yet. */
  get waiting(): number {
    return this.handed - this.accepted - this.refused;
  }

  /** True when every event from the first refused one on was refused too: what was lost is a tail of the input. */
  get refusedTail(): boolean {
    return this.refused === this.handed - this.#firstRefusedAt + 1;
  }

  /**
   * Stops reading: {@link sendAll} returns at once, even from a wait for input or for
   * the window; events already handed stay with the publisher. Ignored once reading ended.
   */
  stop(cause: StopCause): void {
    if (!this.#reading) return;
    this.stoppedBy ??= cause;
    this.#interrupt?.(STOPPED);
  }

  /**
   * Sends `held`'s events (all of them: at most a window, already read), then the rest
   * of `source`, in order, until it ends or reading stops.
   */
  async sendAll(source: AsyncIterator<ReadEvent>, held?: Held): Promise<void> {
    try {
      for (const read of held?.events ?? []) await this.#send(read);
      if (held?.ended === true) return;
      let next = held?.next;
      while (this.stoppedBy === undefined) {
        const result = await this.#unlessStopped(next ?? source.next());
        next = undefined;
        if (result === STOPPED || result.done === true) return;
        await this.#send(result.value);
      }
    } finally {
      this.#reading = false;
      clearTimeout(this.#watchdog);
      this.#watchdog = undefined;
    }
  }

  /** Resolves once every handed event was taken or refused. */
  async settled(): Promise<void> {
    await Promise.all([...this.#interrupted, ...this.#batch]); // earlier windows settled before more was read
  }

  async #send({ event, line }: ReadEvent): Promise<void> {
    if (this.waiting === 0) this.#lastTakenAt = Date.now(); // the stall clock starts with the first event waiting
    this.handed += 1;
    this.lastLine = line;
    const at = this.handed;
    const outcome = this.#publisher.sendEvent(event).then(
      () => {
        this.accepted += 1;
        this.#lastTakenAt = Date.now();
      },
      (err: unknown) => {
        this.refused += 1;
        this.#lastTakenAt = Date.now();
        if (at < this.#firstRefusedAt) {
          this.#firstRefusedAt = at;
          this.firstRefusal = err;
          this.firstRefusedLine = line;
        }
      },
    );
    this.#batch.push(outcome);
    this.#watch();
    if (this.#batch.length >= MAX_IN_FLIGHT) {
      const window = Promise.all(this.#batch);
      this.#batch = [];
      if ((await this.#unlessStopped(window)) === STOPPED) this.#interrupted.push(window);
    }
  }

  /** `work`, or {@link STOPPED} as soon as {@link stop} is called. One promise per wait, nothing left behind. */
  #unlessStopped<T>(work: Promise<T>): Promise<T | typeof STOPPED> {
    if (this.stoppedBy !== undefined) {
      work.catch(() => undefined);
      return Promise.resolve(STOPPED);
    }
    return new Promise((resolve, reject) => {
      this.#interrupt = resolve;
      work.then(resolve, reject);
    });
  }

  /** Arms the stall check while reading: one timer at a time, re-armed for what is left of `stallMs`. */
  #watch(): void {
    if (this.#watchdog !== undefined || this.#stallMs < 0 || !this.#reading) return;
    this.#watchdog = setTimeout(() => this.#checkStall(), this.#stallMs);
  }

  #checkStall(): void {
    this.#watchdog = undefined;
    if (this.waiting === 0) return;
    const idle = Date.now() - this.#lastTakenAt;
    if (idle >= this.#stallMs) this.stop("stalled");
    else this.#watchdog = setTimeout(() => this.#checkStall(), this.#stallMs - idle);
  }
}
