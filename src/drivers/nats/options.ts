import { publisherQueueSize } from "../../agents/publisher-base.js";
import type { ConnectionOptions } from "nats";
import type { PubSubConfig } from "../../contract.js";
import { TransportError } from "../../errors.js";
import { tlsOptions } from "../broker/tls.js";
import { sectionOf } from "../section.js";

/** The `nats` section of the config. */
export type NatsSection = NonNullable<PubSubConfig["nats"]>;
type Defaulted = "servers" | "connect_timeout_ms" | "reconnect_interval_ms" | "linger_ms" | "max_message_bytes";

/** What the NATS publisher and subscriber need, read once from the config. */
export interface NatsDriverOptions {
  readonly section: NatsSection & Required<Pick<NatsSection, Defaulted>>;
  /** `publisher_queue_size`: see `PublisherAgentOptions.queueSize`. */
  readonly queueSize: number;
  /**
   * nats.js options for a connection to `servers` (one cluster): credentials, TLS,
   * timeouts, reconnection. Credentials in the URLs (`nats://user:pass@host`,
   * `nats://token@host`) win over `nats.user`, `nats.password` and `nats.token`.
   *
   * @throws {@link TransportError} when servers of the cluster hold different credentials.
   */
  clientOptions(servers: readonly string[]): ConnectionOptions;
}

/**
 * Reads the `nats` section (the loader validated it and filled its defaults) and reads the TLS files it names.
 *
 * @throws {@link TransportError} when a TLS file cannot be read, or the servers hold different credentials.
 */
export function natsOptions(config: PubSubConfig): NatsDriverOptions {
  const section = sectionOf(config, "nats") as NatsDriverOptions["section"];
  const tls = section.tls === undefined ? undefined : tlsOptions(section.tls, "nats.tls");
  try {
    splitCredentials(section.servers);
  } catch (err: unknown) {
    throw err instanceof TransportError ? new TransportError(`nats.servers: ${err.message}`) : err;
  }
  return {
    section,
    queueSize: publisherQueueSize(config),
    clientOptions(servers: readonly string[]): ConnectionOptions {
      const { hosts, credentials } = splitCredentials(servers);
      const options: ConnectionOptions = {
        servers: hosts,
        timeout: section.connect_timeout_ms,
        reconnect: true,
        maxReconnectAttempts: -1,
        reconnectTimeWait: section.reconnect_interval_ms,
        waitOnFirstConnect: false,
      };
      if (credentials !== undefined) {
        Object.assign(options, credentials);
      } else {
        if (section.user !== undefined) options.user = section.user;
        if (section.password !== undefined) options.pass = section.password;
        if (section.token !== undefined) options.token = section.token;
      }
      if (section.name !== undefined) options.name = section.name;
      // nats.js hands these to tls.connect (its TlsOptions type lists only some of them).
      if (tls !== undefined) options.tls = tls as NonNullable<ConnectionOptions["tls"]>;
      return options;
    },
  };
}

/** How an error about connecting names the options that authenticate to the servers. */
export const NATS_CREDENTIALS = "credentials (nats.user and nats.password, or nats.token, and nats.tls)";

type Credentials = Pick<ConnectionOptions, "user" | "pass" | "token">;

/**
 * The servers without the credentials of their user part, which nats.js ignores, and
 * those credentials: `user:pass` gives a user and password, a user part without `:` a
 * token.
 *
 * @throws {@link TransportError} when servers hold different credentials (nats.js
 * uses one set per connection); it names no credential.
 */
function splitCredentials(servers: readonly string[]): { hosts: string[]; credentials: Credentials | undefined } {
  let credentials: Credentials | undefined;
  let userPart: string | undefined;
  const hosts = servers.map((server) => {
    const match = /^([a-z][a-z0-9+.-]*:\/\/)?([^/?#@]*)@(.*)$/i.exec(server);
    if (match === null) return server;
    const [, scheme = "", user = "", rest = ""] = match;
    if (userPart !== undefined && userPart !== user) {
      throw new TransportError(
        "the servers of one cluster hold different credentials in their URLs, and nats.js uses one set per connection: " +
          "give them all the same, or none and set nats.user and nats.password (or nats.token)",
      );
    }
    userPart = user;
    const colon = user.indexOf(":");
    credentials =
      colon >= 0
        ? { user: decodeURIComponent(user.slice(0, colon)), pass: decodeURIComponent(user.slice(colon + 1)) }
        : { token: decodeURIComponent(user) };
    return `${scheme}${rest}`;
  });
  return { hosts, credentials };
}

/** The servers of a listen address: one NATS URL, or several of one cluster separated by commas. */
export function serversOf(address: string): string[] {
  return address
    .split(",")
    .map((server) => server.trim())
    .filter((server) => server !== "");
}
