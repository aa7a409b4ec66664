/** What {@link within} resolves with when the time ran out before the work settled. */
export const EXPIRED: unique symbol = Symbol("expired");

/** The type of {@link EXPIRED}. */
export type Expired = typeof EXPIRED;

/** Node's longest timer (about 24.8 days); a longer limit counts as none. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Waits for `work` at most `ms` milliseconds: resolves with what `work` resolved with,
 * rejects with what it rejected with, or resolves with {@link EXPIRED} when `ms` passed
 * first. A negative `ms` (by convention -1) means no limit: `work` itself is returned.
 * The timer is cleared as soon as `work` settles, so it never holds the process open
 * after that; `work` is not cancelled when the time runs out, and a rejection it meets
 * later is handled, never reported as unhandled.
 *
 * @example
 * ```ts
 * const outcome = await within(client.connect(), 2_000);
 * if (outcome === EXPIRED) throw new ConnectError("redis.url: no answer within 2000 ms");
 * ```
 */
export function within<T>(work: Promise<T>, ms: number): Promise<T | Expired> {
  if (ms < 0 || ms > MAX_TIMER_MS) return work;
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<Expired>((resolve) => {
    timer = setTimeout(resolve, ms, EXPIRED);
  });
  return Promise.race([work, expired]).finally(() => {
    clearTimeout(timer);
  });
}
