import { EXPIRED, within } from "../../agents/deadline.js";
import { ConnectError, errorMessages, reasonOf } from "../../errors.js";
import type { Logger } from "../../contract.js";
import { withoutCredentials } from "../../secrets.js";
import { Redis, type RedisClient } from "./client.js";
import { REDIS_CREDENTIALS, type RedisDriverOptions } from "./options.js";

/** While a connection stays down, one log line per this many milliseconds. */
const OUTAGE_LOG_INTERVAL_MS = 10_000;

/**
 * Opens a connection to the Redis server at `url` and resolves once it is ready. After
 * that, a lost connection is made again every `redis.reconnect_interval_ms`, for ever;
 * outages are logged (once per burst), never thrown.
 *
 * @param option - the config option that named `url` (`redis.url`, `publishers`), for errors.
 * @throws {@link ConnectError} when the server cannot be reached or refuses the
 * connection within `redis.connect_timeout_ms`.
 */
export async function connectRedis(url: string, options: RedisDriverOptions, option: string, logger: Logger): Promise<RedisClient> {
  const client = new Redis(url, options.clientOptions(url));
  let lastError: unknown;
  let loggedAt = 0;
  let connected = false;
  client.on("error", (err: unknown) => {
    lastError = err;
    const now = Date.now();
    if (!connected || now - loggedAt < OUTAGE_LOG_INTERVAL_MS) return;
    loggedAt = now;
    logger.warn({ err, url: withoutCredentials(url) }, "the Redis connection is down; reconnecting");
  });
  const timeoutMs = options.section.connect_timeout_ms;
  try {
    if ((await within(client.connect(), timeoutMs)) === EXPIRED) throw new Error(`no answer within ${timeoutMs} ms`);
    connected = true;
    return client;
  } catch (err: unknown) {
    client.disconnect();
    const cause = lastError ?? err;
    throw new ConnectError(
      errorMessages.cannotConnect(
        option,
        "Redis server",
        withoutCredentials(url),
        reasonOf(cause),
        { option: "redis.connect_timeout_ms", ms: timeoutMs },
        REDIS_CREDENTIALS,
      ),
      { cause },
    );
  }
}

/**
 * Closes a connection: QUIT, so the server sees a clean goodbye, within `timeoutMs`; a
 * dead connection, or a server that does not answer in time, is dropped.
 */
export async function closeRedis(client: RedisClient, timeoutMs: number): Promise<void> {
  if (client.status === "end") return;
  if (client.status !== "ready") {
    client.disconnect();
    return;
  }
  try {
    await within(client.quit(), timeoutMs);
  } catch {
    // the connection failed while quitting: dropped below
  } finally {
    if ((client.status as string) !== "end") client.disconnect();
  }
}
