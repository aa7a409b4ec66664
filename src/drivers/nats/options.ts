import type { ConnectionOptions } from "nats";
import type { PubSubConfig } from "../../contract.js";
import { tlsOptions } from "../broker/tls.js";
import { sectionOf } from "../section.js";

/** The `nats` section of the config. */
export type NatsSection = NonNullable<PubSubConfig["nats"]>;
type Defaulted = "servers" | "connect_timeout_ms" | "reconnect_interval_ms" | "linger_ms";

/** What the NATS publisher and subscriber need, read once from the config. */
export interface NatsDriverOptions {
  readonly section: NatsSection & Required<Pick<NatsSection, Defaulted>>;
  /** nats.js options for a connection to `servers` (one cluster): credentials, TLS, timeouts, reconnection. */
  clientOptions(servers: readonly string[]): ConnectionOptions;
}

/**
 * Reads the `nats` section (the loader validated it and filled its defaults) and reads the TLS files it names.
 *
 * @throws {@link TransportError} when a TLS file cannot be read.
 */
export function natsOptions(config: PubSubConfig): NatsDriverOptions {
  const section = sectionOf(config, "nats") as NatsDriverOptions["section"];
  const tls = section.tls === undefined ? undefined : tlsOptions(section.tls, "nats.tls");
  return {
    section,
    clientOptions(servers: readonly string[]): ConnectionOptions {
      const options: ConnectionOptions = {
        servers: [...servers],
        timeout: section.connect_timeout_ms,
        reconnect: true,
        maxReconnectAttempts: -1,
        reconnectTimeWait: section.reconnect_interval_ms,
        waitOnFirstConnect: false,
      };
      if (section.user !== undefined) options.user = section.user;
      if (section.password !== undefined) options.pass = section.password;
      if (section.token !== undefined) options.token = section.token;
      if (section.name !== undefined) options.name = section.name;
      // nats.js hands these to tls.connect (its TlsOptions type lists only some of them).
      if (tls !== undefined) options.tls = tls as NonNullable<ConnectionOptions["tls"]>;
      return options;
    },
  };
}

/** The servers of a listen address: one NATS URL, or several of one cluster separated by commas. */
export function serversOf(address: string): string[] {
  return address
    .split(",")
    .map((server) => server.trim())
    .filter((server) => server !== "");
}
