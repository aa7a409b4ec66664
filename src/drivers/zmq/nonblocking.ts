import { setImmediate as nextTurn } from "node:timers/promises";
import { isErrnoException } from "../../errors.js";

/**
 * Unless a socket's send or receive timeout is 0, zeromq.js asks libzmq whether the
 * socket is ready (`ZMQ_EVENTS`, about a microsecond) before every `send` and `receive`.
 * With a timeout of 0 it tries at once and fails with `EAGAIN` when it cannot, so our
 * hot paths run with 0 and fall back to a waiting call on `EAGAIN`. A timeout of 0 also
 * turns off zeromq.js's own guard against starving the event loop (a loop of awaited
 * calls that all complete at once never lets timers or signals in), so such loops
 * call {@link TurnTaker.take} between operations.
 */

/** Operations between two turns of the event loop, as zeromq.js allows itself. */
export const OPERATIONS_PER_TURN = 512;

/**
 * The longest one wait for a message lasts on a socket that may be unbound or bound
 * again while in use. zeromq.js runs `unbind()` and `bind()` on a thread of its own,
 * while a receive waiting on the main thread reads the socket's state whenever the
 * socket is signalled (the unbind itself signals it). libzmq sockets are not
 * thread-safe, and the two together can abort the process (libzmq 4.3.5, `pipe.cpp:355`,
 * seen when a service stopped). So the owner of such a socket waits in slices of this
 * length, and unbinds or binds only between two of them, while no receive is pending.
 */
export const UNBIND_WAIT_SLICE_MS = 100;

/** True for the error of a non-blocking call that could not complete: nothing queued, no room. */
export function isNothingQueued(err: unknown): boolean {
  return isErrnoException(err) && err.code === "EAGAIN";
}

/**
 * True when zeromq.js refused a call because a bind or unbind of the socket is under way
 * (`EBUSY`, thrown at once): the same call succeeds once it is done.
 */
export function isBlockedByBind(err: unknown): boolean {
  return isErrnoException(err) && err.code === "EBUSY";
}

/**
 * Runs `call` with the socket's `timeout` option at `ms` (default -1: it waits as long as
 * it takes; else it fails with `EAGAIN` after `ms`), then sets the option back to 0
 * (unless the socket was closed meanwhile).
 */
export async function waiting<T>(
  socket: { readonly closed: boolean; sendTimeout?: number; receiveTimeout?: number },
  timeout: "sendTimeout" | "receiveTimeout",
  call: () => Promise<T>,
  ms = -1,
): Promise<T> {
  socket[timeout] = ms;
  try {
    return await call();
  } finally {
    if (!socket.closed) socket[timeout] = 0;
  }
}

/** Counts operations that completed at once and says when to let the event loop turn. */
export class TurnTaker {
  #count = 0;

  /** Counts one operation; true when the caller should `await` {@link nextTurn} before the next. */
  take(): boolean {
    this.#count += 1;
    if (this.#count < OPERATIONS_PER_TURN) return false;
    this.#count = 0;
    return true;
  }

  /** The event loop turned anyway (the caller waited for the socket): start counting again. */
  reset(): void {
    this.#count = 0;
  }
}

export { nextTurn };
