import { EXPIRED, within } from "../agents/deadline.js";
import type { PublisherApi, PubSubEvent, SubscriptionAwarePublisher } from "../contract.js";

/** Sends in flight before reading more input waits for them: bounds memory on a long stdin. */
const MAX_IN_FLIGHT = 1024;

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
  /** True when the gate opened; false when it timed out. */
  readonly open: boolean;
  /** The events read meanwhile, in order, not sent yet. */
  readonly events: readonly PubSubEvent[];
  /** True when the input ended. */
  readonly ended: boolean;
  /** A read still under way when the gate settled: its event comes after {@link events}. */
  readonly next: Promise<IteratorResult<PubSubEvent>> | undefined;
}

/**
 * Reads events from `source` and keeps them until `gate` settles, so no event goes out
 * before the subscribers are there. An input that ends with no event does not wait.
 */
export async function holdUntilOpen(gate: Promise<boolean>, source: AsyncIterator<PubSubEvent>): Promise<Held> {
  const events: PubSubEvent[] = [];
  const settled = gate.then((open) => ({ open }));
  let next: Promise<IteratorResult<PubSubEvent>> | undefined;
  for (;;) {
    next ??= source.next();
    const first = await Promise.race([settled, next]);
    if ("open" in first) return { open: first.open, events, ended: false, next };
    next = undefined;
    if (first.done === true) return { open: events.length === 0 || (await gate), events, ended: true, next: undefined };
    events.push(first.value);
  }
}

/**
 * Hands events to a publisher in order without waiting for each (the publisher keeps
 * order), at most {@link MAX_IN_FLIGHT} unsettled, and counts what became of them.
 * When that many wait and none settles within `stallMs` (no publisher service takes
 * them), it stops reading: {@link stalled} is then true.
 */
export class SendTally {
  /** Events handed to the publisher. */
  handed = 0;
  /** Events the transport accepted. */
  accepted = 0;
  /** Events the publisher refused. */
  refused = 0;
  /** Why the first refused event was refused. */
  firstRefusal: unknown;
  /** True when reading stopped because the events in flight were not taken within `stallMs`. */
  stalled = false;
  readonly #publisher: PublisherApi;
  readonly #stallMs: number;
  #batch: Promise<void>[] = [];

  /** @param stallMs - how long a full window of events may wait to be taken; negative: for ever. */
  constructor(publisher: PublisherApi, stallMs = -1) {
    this.#publisher = publisher;
    this.#stallMs = stallMs;
  }

  /** Events handed and neither accepted nor refused yet. */
  get waiting(): number {
    return this.handed - this.accepted - this.refused;
  }

  /** Sends `held`'s events, then the rest of `source`, in order. */
  async sendAll(source: AsyncIterator<PubSubEvent>, held?: Held): Promise<void> {
    for (const event of held?.events ?? []) {
      await this.#send(event);
      if (this.stalled) return;
    }
    if (held?.ended === true) return;
    let next = held?.next;
    for (;;) {
      const result = await (next ?? source.next());
      next = undefined;
      if (result.done === true) return;
      await this.#send(result.value);
      if (this.stalled) return;
    }
  }

  /** Resolves once every handed event was accepted or refused. */
  async settled(): Promise<void> {
    await Promise.all(this.#batch); // earlier batches settled before more was read
  }

  async #send(event: PubSubEvent): Promise<void> {
    this.handed += 1;
    const outcome = this.#publisher.sendEvent(event).then(
      () => {
        this.accepted += 1;
      },
      (err: unknown) => {
        this.refused += 1;
        this.firstRefusal ??= err;
      },
    );
    this.#batch.push(outcome);
    if (this.#batch.length >= MAX_IN_FLIGHT) {
      const batch = this.#batch;
      this.#batch = [];
      this.stalled = (await within(Promise.all(batch), this.#stallMs)) === EXPIRED;
    }
  }
}
