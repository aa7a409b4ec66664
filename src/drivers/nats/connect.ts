import { ConnectError, errorMessages, reasonOf } from "../../errors.js";
import type { Logger } from "../../contract.js";
import { withoutCredentials } from "../../secrets.js";
import { nats, type NatsConnection } from "./client.js";
import { NATS_CREDENTIALS, type NatsDriverOptions } from "./options.js";

/** Status changes of a connection after it was made. */
export interface NatsStatusHandlers {
  /** The connection is back (the client re-subscribed on its own). */
  reconnected?(): void;
}

/**
 * Connects to one of `servers` (one cluster) and resolves once connected. After that,
 * nats.js reconnects every `nats.reconnect_interval_ms`, for ever; outages are logged,
 * never thrown, and `handlers.reconnected` is called each time the connection is back.
 *
 * @param option - the config option that named the servers (`nats.servers`, `publishers`), for errors.
 * @throws {@link ConnectError} when no server can be reached, or one refuses the
 * connection, within `nats.connect_timeout_ms`.
 */
export async function connectNats(
  servers: readonly string[],
  options: NatsDriverOptions,
  option: string,
  logger: Logger,
  handlers: NatsStatusHandlers = {},
): Promise<NatsConnection> {
  let connection: NatsConnection;
  try {
    connection = await nats.connect(options.clientOptions(servers));
  } catch (err: unknown) {
    throw new ConnectError(
      errorMessages.cannotConnect(
        option,
        "NATS server",
        withoutCredentials(servers.join(", ")),
        reasonOf(err),
        { option: "nats.connect_timeout_ms", ms: options.section.connect_timeout_ms },
        NATS_CREDENTIALS,
      ),
      { cause: err },
    );
  }
  void watch(connection, servers, logger, handlers);
  return connection;
}

async function watch(connection: NatsConnection, servers: readonly string[], logger: Logger, handlers: NatsStatusHandlers): Promise<void> {
  for await (const status of connection.status()) {
    if (status.type === nats.Events.Disconnect) {
      logger.warn(
        { server: withoutCredentials(serverOf(status.data)), servers: withoutCredentials(servers.join(", ")) },
        "the NATS connection is down; reconnecting",
      );
    } else if (status.type === nats.Events.Reconnect) {
      logger.info({ server: withoutCredentials(serverOf(status.data)) }, "the NATS connection is back");
      handlers.reconnected?.();
    } else if (status.type === nats.Events.Error) {
      logger.error({ err: status.data, servers: withoutCredentials(servers.join(", ")) }, "the NATS server reported an error");
    }
  }
}

/**
 * Resolves "flushed" once the server answered a ping, so it has everything sent before,
 * or "closed" when the connection closed first: nats.js leaves a ping it sent pending
 * for ever when the connection is closed meanwhile. Rejects when the connection drops.
 */
export function flushed(connection: NatsConnection): Promise<"flushed" | "closed"> {
  if (connection.isClosed()) return Promise.resolve("closed");
  return Promise.race([connection.flush().then(() => "flushed" as const), connection.closed().then(() => "closed" as const)]);
}

/** The server a Disconnect or Reconnect status names (nats.js gives its address as a string). */
function serverOf(data: string | number | object): string {
  return typeof data === "object" ? JSON.stringify(data) : String(data);
}
