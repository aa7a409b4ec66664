import { setTimeout as pause } from "node:timers/promises";
import { EXPIRED, within } from "../../agents/deadline.js";
import type { Logger } from "../../contract.js";
import { ConnectError, errorMessages, reasonOf } from "../../errors.js";
import { etcd3, type Etcd3, type IOptions } from "./client.js";
import { accessOptions, ETCD_CREDENTIALS } from "./access.js";
import type { EtcdDriverOptions } from "./options.js";

type Policy = NonNullable<NonNullable<IOptions["faultHandling"]>["global"]>;

const noListeners = (): { dispose(): void } => ({ dispose: () => undefined });

/**
 * A cockatiel policy that runs each call once. etcd3's default policies retry three
 * times at once and then open a five-second circuit breaker, which would fail every
 * request for five seconds after etcd comes back; {@link retrying} paces the attempts
 * instead, and the watch stream reconnects on its own timer.
 */
const ONCE: Policy = {
  // eslint-disable-next-line @typescript-eslint/no-deprecated -- a type-only member of cockatiel's IPolicy, never read
  _altReturn: undefined as never,
  onSuccess: noListeners,
  onFailure: noListeners,
  execute: async (fn) => fn({ signal: new AbortController().signal }),
};

/**
 * A client of the etcd cluster at `hosts` (`host:port` each, reached with
 * `options.access`: TLS, a user), connecting lazily. Every
 * request has `options.timeoutMs` to complete; watch streams have no deadline.
 */
export function createEtcdClient(hosts: readonly string[], options: EtcdDriverOptions): Etcd3 {
  return new etcd3.Etcd3({
    ...accessOptions(options.access, hosts, {
      "grpc.initial_reconnect_backoff_ms": options.reconnectIntervalMs,
      "grpc.max_reconnect_backoff_ms": options.reconnectIntervalMs,
      // A member that stops answering (SIGSTOP, a cut link) is noticed by its silence.
      // etcd refuses pings more often than every 5 s (--grpc-keepalive-min-time).
      "grpc.keepalive_time_ms": 10_000,
      "grpc.keepalive_timeout_ms": options.timeoutMs,
    }),
    dialTimeout: options.timeoutMs,
    faultHandling: { host: () => ONCE, global: ONCE },
    defaultCallOptions: (context) => (context.isStream ? {} : { deadline: Date.now() + options.timeoutMs }),
  });
}

/** How {@link retrying} goes on after a failed attempt. */
export interface RetryPlan {
  /** Pause between attempts, in milliseconds. */
  readonly intervalMs: number;
  /** Stops retrying: the attempt under way is no longer awaited and the last error is thrown. */
  readonly signal: AbortSignal;
  /** Called with each failure that will be retried. */
  readonly failed?: (err: unknown) => void;
}

/**
 * Runs `attempt` until it succeeds, again every `plan.intervalMs` after a transient
 * failure (etcd unreachable, a deadline passed, a leader election), until `plan.signal`
 * aborts. Errors etcd means (a request too large, no space, permission denied) are
 * thrown at once.
 */
export async function retrying<T>(attempt: () => Promise<T>, plan: RetryPlan): Promise<T> {
  let abort = (): void => undefined;
  const aborted = new Promise<never>((_resolve, reject) => {
    abort = () => reject(plan.signal.reason instanceof Error ? plan.signal.reason : new Error("stopped"));
  });
  aborted.catch(() => undefined);
  plan.signal.addEventListener("abort", abort, { once: true });
  try {
    for (;;) {
      plan.signal.throwIfAborted();
      try {
        return await Promise.race([attempt(), aborted]);
      } catch (err: unknown) {
        if (plan.signal.aborted || !(err instanceof Error) || !etcd3.isRecoverableError(err)) throw err;
        plan.failed?.(err);
        try {
          await pause(plan.intervalMs, undefined, { signal: plan.signal });
        } catch {
          throw err;
        }
      }
    }
  } finally {
    plan.signal.removeEventListener("abort", abort);
  }
}

/**
 * Opens a client of the cluster at `hosts` and resolves once a member answered, within
 * `nb_db_timeout_ms`.
 *
 * @param option - the config option that named the hosts (`remote_db_hosts`, `publishers`), for errors.
 * @throws {@link ConnectError} when no member answered in time.
 */
export async function connectEtcd(hosts: readonly string[], options: EtcdDriverOptions, option: string, logger: Logger): Promise<Etcd3> {
  const client = createEtcdClient(hosts, options);
  const stop = new AbortController();
  let lastError: unknown;
  const failed = (err: unknown): void => {
    lastError = err;
    logger.debug({ err, hosts }, "etcd does not answer yet; trying again");
  };
  try {
    const answered = retrying(() => client.maintenance.status(), { intervalMs: options.reconnectIntervalMs, signal: stop.signal, failed });
    if ((await within(answered, options.timeoutMs)) === EXPIRED)
      throw lastError instanceof Error ? lastError : new Error(`no answer within ${options.timeoutMs} ms`);
    return client;
  } catch (err: unknown) {
    client.close();
    throw new ConnectError(
      errorMessages.cannotConnect(
        option,
        "etcd cluster",
        `etcd://${hosts.join(",")}`,
        reasonOf(err),
        {
          option: "nb_db_timeout_ms",
          ms: options.timeoutMs,
        },
        ETCD_CREDENTIALS,
      ),
      { cause: err, option },
    );
  } finally {
    stop.abort();
  }
}
