import { SendError } from "../../errors.js";
import { eventsIn, stampOf } from "./stamp.js";

/**
 * Topics whose confirmed sequence the window remembers past which it forgets those with
 * nothing waiting (all of them once it is empty), so a worker that publishes on ever
 * new topics does not grow it for ever. Only a topic with messages waiting needs its
 * sequence: a topic's sequence never goes back, so a late acknowledgement confirms
 * nothing sent after it.
 */
const MAX_CONFIRMED_TOPICS = 65_536;

/** A message a worker sent and the service has not confirmed yet. */
export interface Unconfirmed {
  readonly topic: Uint8Array;
  readonly payload: Uint8Array;
  /** The topic frame as text: the key of its sequence in acknowledgements. */
  readonly key: string;
  /** The sequence of its (last) event. */
  readonly sequence: number;
  /** Events in it: 1, or a batch's count. */
  readonly events: number;
}

/**
 * The worker's replay window (`zmq.replay_window`, in events): the messages sent to the
 * publisher service and not yet confirmed, in send order. The service confirms the
 * highest sequence per topic it relayed; confirmations cover a prefix of what was sent,
 * so the window drops from its head. A message without our stamp (relayed raw frames of
 * another publisher) is not kept: it goes at most once.
 */
export class ReplayWindow {
  readonly #limit: number;
  #entries: Unconfirmed[] = [];
  #head = 0;
  #events = 0;
  readonly #confirmed = new Map<string, number>();
  /** Remembered topics past which {@link settle} forgets those with nothing waiting: {@link MAX_CONFIRMED_TOPICS} more than it kept last time. */
  #forgetPast = MAX_CONFIRMED_TOPICS;
  #waiters: (() => void)[] = [];
  /** Set by {@link close}: what waits for room gets it. */
  #closedWith: Error | undefined;

  constructor(limit: number) {
    this.#limit = Math.max(1, limit);
  }

  /** Events sent and not confirmed. */
  get events(): number {
    return this.#events;
  }

  /** Messages sent (or about to be) and not confirmed: a batch counts once. */
  get messages(): number {
    return this.#entries.length - this.#head;
  }

  /** Topics whose confirmed sequence the window remembers. */
  get rememberedTopics(): number {
    return this.#confirmed.size;
  }

  /** True while another message may be added. */
  get hasRoom(): boolean {
    return this.#events < this.#limit;
  }

  /** Keeps a message about to be sent; false when it carries no stamp of ours (not kept). */
  add(topic: Uint8Array, key: string, payload: Uint8Array): boolean {
    const stamp = stampOf(payload);
    if (stamp === undefined) return false;
    const events = eventsIn(payload);
    this.#entries.push({ topic, payload, key, sequence: stamp.sequence, events });
    this.#events += events;
    return true;
  }

  /**
   * The last `count` messages kept (single events on one topic, not sent yet) go out as
   * one: they become one message, `payload`, whose sequence is the last one's.
   */
  merge(count: number, payload: Uint8Array): void {
    const n = Math.min(count, this.#entries.length - this.#head);
    if (n < 2) return;
    const merged = this.#entries.splice(this.#entries.length - n, n);
    const last = merged[n - 1] as Unconfirmed;
    let events = 0;
    for (const entry of merged) events += entry.events;
    this.#entries.push({ topic: last.topic, payload, key: last.key, sequence: last.sequence, events });
  }

  /** The service relayed everything on topic `key` up to `sequence`; call {@link settle} after a message of them. */
  confirm(key: string, sequence: number): void {
    if (sequence > (this.#confirmed.get(key) ?? 0)) this.#confirmed.set(key, sequence);
  }

  /** Drops the confirmed messages from the head; wakes senders waiting for room or for an empty window. */
  settle(): void {
    const entries = this.#entries;
    let head = this.#head;
    while (head < entries.length) {
      const entry = entries[head] as Unconfirmed;
      if ((this.#confirmed.get(entry.key) ?? 0) < entry.sequence) break;
      this.#events -= entry.events;
      head += 1;
    }
    if (head === entries.length) {
      this.#entries = [];
      this.#head = 0;
    } else if (head >= 1024 && head * 2 >= entries.length) {
      this.#entries = entries.slice(head);
      this.#head = 0;
    } else {
      this.#head = head;
    }
    if (this.#confirmed.size > this.#forgetPast) this.#forgetSettled();
    this.#wake();
  }

  /** Forgets the topics with no message waiting; the next time comes {@link MAX_CONFIRMED_TOPICS} topics later. */
  #forgetSettled(): void {
    const waiting = new Set<string>();
    for (let i = this.#head; i < this.#entries.length; i += 1) waiting.add((this.#entries[i] as Unconfirmed).key);
    for (const key of this.#confirmed.keys()) if (!waiting.has(key)) this.#confirmed.delete(key);
    this.#forgetPast = this.#confirmed.size + MAX_CONFIRMED_TOPICS;
  }

  #wake(): void {
    if (this.#waiters.length > 0) {
      const waiters = this.#waiters;
      this.#waiters = [];
      for (const wake of waiters) wake();
    }
  }

  /** True when `payload` is the last message kept. */
  isLast(payload: Uint8Array): boolean {
    return this.#entries.length > this.#head && this.#entries[this.#entries.length - 1]?.payload === payload;
  }

  /** The unconfirmed messages, oldest first: what a new service gets again. */
  snapshot(): Unconfirmed[] {
    return this.#entries.slice(this.#head);
  }

  /**
   * Resolves once there is room (fewer than `below` events, the window's size by
   * default); rejects with `PUBSUB_ERR_SEND` after `timeoutMs` (`zmq.send_timeout_ms`;
   * -1: waits forever), naming `option`, the one that set `below`.
   */
  async room(timeoutMs: number, below = this.#limit, option = "zmq.replay_window"): Promise<void> {
    const deadline = timeoutMs < 0 ? Infinity : Date.now() + timeoutMs;
    while (this.#events >= below) {
      if (this.#closedWith !== undefined) throw this.#closedWith;
      const left = deadline - Date.now();
      if (left <= 0 || !(await this.#changed(left))) {
        throw new SendError(
          `${option}: ${this.#events} events wait for the publisher service to confirm them, and none was confirmed for ${timeoutMs} ms (zmq.send_timeout_ms); is 'pubsub-run service' running?`,
        );
      }
    }
  }

  /** The publisher closed: every wait for room ends at once, rejected with `reason`. */
  close(reason: Error): void {
    this.#closedWith = reason;
    this.#wake();
  }

  /** Resolves true once every message was confirmed, false after `timeoutMs` (-1: no limit). */
  async whenEmpty(timeoutMs: number): Promise<boolean> {
    const deadline = timeoutMs < 0 ? Infinity : Date.now() + timeoutMs;
    while (this.#events > 0) {
      const left = deadline - Date.now();
      if (left <= 0 || !(await this.#changed(left))) return false;
    }
    return true;
  }

  /** True once the window changed, false after `ms`. */
  #changed(ms: number): Promise<boolean> {
    return new Promise((resolve) => {
      const timer = Number.isFinite(ms) ? setTimeout(() => resolve(false), Math.min(ms, 2 ** 31 - 1)) : undefined;
      this.#waiters.push(() => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  }
}
