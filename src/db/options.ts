import type { PubSubConfig } from "../contract.js";
import { ConfigError } from "../errors.js";

/** What every database driver reads from the config: `remote_db_hosts` and `nb_db_timeout_ms`. */
export interface DbOptions {
  /** `host:port` strings, at least one. */
  readonly hosts: readonly [string, ...string[]];
  /** The longest one request (connect, read, write) may take, in milliseconds. */
  readonly timeoutMs: number;
}

/**
 * Reads the database options (the loader validated them and filled their defaults). A
 * config built by hand, without the loader, may lack them: that is a programming error,
 * named with its fix.
 *
 * @throws {@link ConfigError} when an option is missing or has the wrong type.
 */
export function dbOptions(config: PubSubConfig): DbOptions {
  const hosts: unknown = config.remote_db_hosts;
  const timeoutMs: unknown = config.nb_db_timeout_ms;
  if (!Array.isArray(hosts) || hosts.length === 0 || !hosts.every((host) => typeof host === "string")) {
    throw missing("remote_db_hosts", hosts);
  }
  if (typeof timeoutMs !== "number" || !Number.isInteger(timeoutMs) || timeoutMs < 1) throw missing("nb_db_timeout_ms", timeoutMs);
  return { hosts: hosts as unknown as DbOptions["hosts"], timeoutMs };
}

function missing(option: string, got: unknown): ConfigError {
  const what = got === undefined ? "missing from the config the driver received" : `invalid (got ${JSON.stringify(got)})`;
  return new ConfigError(
    `${option}: ${what}; build the config with resolveConfig() or withDefaults(), which validate it and fill every default`,
    { option },
  );
}
