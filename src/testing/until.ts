import { EXPIRED, within } from "../agents/deadline.js";

/** How long {@link until} waits unless told otherwise, in milliseconds. */
export const DEFAULT_TIMEOUT_MS = 15_000;

/** How often {@link UntilOptions.probe} is sent again while the wait goes on. */
const PROBE_INTERVAL_MS = 20;

/**
 * Tells waiters that what they test may have changed. Whatever records arrivals (a
 * {@link Collector}, a raw socket's reader, a child process's lines) calls
 * {@link Changes.notify} after each one, and every {@link until} watching it checks its
 * condition again: nothing is polled.
 */
export class Changes {
  readonly #listeners = new Set<() => void>();

  /** Call after every change. */
  notify(): void {
    for (const listener of this.#listeners) listener();
  }

  /** Calls `listener` on every {@link notify} until the returned function is called. */
  watch(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
}

/** How {@link until} waits. */
export interface UntilOptions {
  /** What tells a condition to check again (one or several); a condition needs it. */
  readonly changes?: Changes | readonly Changes[];
  /** The deadline in milliseconds; -1 for none. Default 15000. */
  readonly timeoutMs?: number;
  /** What was seen meanwhile, appended to the timeout's error. */
  readonly status?: () => string;
  /**
   * Sent at once and every 20 ms while the wait goes on: a message whose arrival is what
   * is awaited (ZeroMQ's "slow joiner" drops what is sent before a subscription is in
   * place). A probe that throws or rejects fails the wait; it is stopped when the wait ends.
   */
  readonly probe?: () => unknown;
}

/**
 * Waits, with a deadline, for a condition (checked at once and on every
 * {@link Changes.notify} of `options.changes`) or for a promise. The one way tests of
 * this package wait: for a handshake or a first message, never for a timer. Fails after
 * `timeoutMs` with `timed out after <ms> ms waiting for <what>; <status>`; a condition
 * that throws fails the wait with its error (e.g. "the process exited first").
 *
 * @example
 * ```ts
 * const arrived = new Changes();
 * socket.on("message", (message) => { messages.push(message); arrived.notify(); });
 * await until(() => messages.length === 3, "3 messages", { changes: arrived });
 * // A promise, with probes sent until it settles:
 * const [topic] = await until(rawSub.receive(), "a first message", { probe: () => publisher.sendEvent(warmUp) });
 * ```
 */
export function until(
  condition: () => boolean,
  what: string,
  options: UntilOptions & { readonly changes: Changes | readonly Changes[] },
): Promise<void>;
export function until<T>(settles: PromiseLike<T>, what: string, options?: UntilOptions): Promise<T>;
export async function until<T>(target: (() => boolean) | PromiseLike<T>, what: string, options: UntilOptions = {}): Promise<T | void> {
  const { timeoutMs = DEFAULT_TIMEOUT_MS, status, probe } = options;
  if (typeof target === "function" && target()) return;
  const stops: (() => void)[] = [];
  try {
    const waited: Promise<T | void> = typeof target === "function" ? holds(target, options.changes, stops) : Promise.resolve(target);
    const outcome = await within(probe === undefined ? waited : Promise.race([waited, probing(probe, stops)]), timeoutMs);
    if (outcome === EXPIRED)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${status === undefined ? "" : `; ${status()}`}`);
    return outcome;
  } finally {
    for (const stop of stops) stop();
  }
}

function holds(condition: () => boolean, changes: UntilOptions["changes"], stops: (() => void)[]): Promise<void> {
  if (changes === undefined) throw new TypeError("until: a condition needs options.changes, the notifier of what it tests");
  return new Promise<void>((resolve, reject) => {
    const check = () => {
      try {
        if (condition()) resolve();
      } catch (err: unknown) {
        reject(err);
      }
    };
    const sources: readonly Changes[] = changes instanceof Changes ? [changes] : changes;
    for (const source of sources) stops.push(source.watch(check));
  });
}

/** Never resolves; rejects with the first probe's failure. */
function probing(probe: () => unknown, stops: (() => void)[]): Promise<never> {
  return new Promise<never>((_resolve, reject) => {
    const send = () => {
      try {
        Promise.resolve(probe()).catch(reject);
      } catch (err: unknown) {
        reject(err);
      }
    };
    send();
    const timer = setInterval(send, PROBE_INTERVAL_MS);
    stops.push(() => clearInterval(timer));
  });
}
