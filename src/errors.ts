import { inspect } from "node:util";

/**
 * Every failure pubsub reports is an instance of one of these classes, each with a
 * stable `code`. Match on `code` (or `instanceof`), never on message text.
 *
 * Every code is documented in the README's "Error codes" table; a test keeps the two
 * in step.
 *
 * @example
 * ```ts
 * try {
 *   await loadFromConfig();
 * } catch (err) {
 *   if (err instanceof PubSubError && err.code === "PUBSUB_ERR_CONFIG") process.exit(2);
 *   throw err;
 * }
 * ```
 */
export abstract class PubSubError extends Error {
  /** Stable machine-readable code, `PUBSUB_ERR_...`. */
  abstract readonly code: string;
  /**
   * True when the error is the caller's input (config, flags, driver name): the CLI
   * exits with 2 for these and with 1 for runtime failures.
   */
  readonly isUsageError: boolean = false;
  /**
   * The config option whose value is at fault (`publisher_port`, `zmq.linger_ms`), when
   * there is one. A driver's message starts with the option's name; the loader, which
   * knows where the value came from, puts that in front: `PUBSUB_PUBLISHER_PORT:
   * publisher_port: cannot bind ...`.
   */
  readonly option: string | undefined;

  constructor(message: string, options: PubSubErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.option = options.option;
  }
}

/** What every {@link PubSubError} constructor takes besides the message. */
export interface PubSubErrorOptions {
  /** The error this one wraps. */
  cause?: unknown;
  /** The config option whose value is at fault; see {@link PubSubError.option}. */
  option?: string | undefined;
}

/** A config option has a wrong type, range or name. */
export class ConfigError extends PubSubError {
  readonly code = "PUBSUB_ERR_CONFIG";
  override readonly isUsageError = true;
  /** Every problem found, one line each; the message is the first. */
  readonly problems: readonly string[];

  constructor(message: string, options: PubSubErrorOptions & { problems?: readonly string[] } = {}) {
    super(message, options);
    this.problems = options.problems ?? [message];
  }
}

/** A config file could not be parsed (YAML, JSON or INI syntax). */
export class ConfigSyntaxError extends PubSubError {
  readonly code = "PUBSUB_ERR_CONFIG_SYNTAX";
  override readonly isUsageError = true;
}

/** An explicitly named config file does not exist or cannot be read. */
export class ConfigNotFoundError extends PubSubError {
  readonly code = "PUBSUB_ERR_CONFIG_NOT_FOUND";
  override readonly isUsageError = true;
}

/** A driver name is neither a known alias, a path, nor an installed package. */
export class UnknownDriverError extends PubSubError {
  readonly code = "PUBSUB_ERR_UNKNOWN_DRIVER";
  override readonly isUsageError = true;
}

/** A driver module path or package does not exist. */
export class DriverNotFoundError extends PubSubError {
  readonly code = "PUBSUB_ERR_DRIVER_NOT_FOUND";
  override readonly isUsageError = true;
}

/** A driver module exists but importing it failed (it threw, or a package it needs is missing). */
export class DriverLoadError extends PubSubError {
  readonly code = "PUBSUB_ERR_DRIVER_LOAD";
  override readonly isUsageError = true;
}

/** A driver module's default export, or what its factory returned, has the wrong shape. */
export class DriverShapeError extends PubSubError {
  readonly code = "PUBSUB_ERR_DRIVER_SHAPE";
  override readonly isUsageError = true;
}

/** A driver factory threw or rejected; the original error is the `cause`. */
export class DriverFactoryError extends PubSubError {
  readonly code = "PUBSUB_ERR_DRIVER_FACTORY";
}

/** A command-line invocation is malformed (unknown flag, missing value). */
export class UsageError extends PubSubError {
  readonly code = "PUBSUB_ERR_USAGE";
  override readonly isUsageError = true;
}

/**
 * Narrows an unknown caught value to a {@link PubSubError}. It checks the shape (an
 * `Error` with a `PUBSUB_ERR_` code), not the class, because the ESM and CommonJS builds
 * of this package, and driver modules loaded from either, each hold their own copy of
 * the classes.
 */
export function isPubSubError(value: unknown): value is PubSubError {
  if (value instanceof PubSubError) return true;
  if (!(value instanceof Error)) return false;
  const code = (value as { code?: unknown }).code;
  return typeof code === "string" && code.startsWith("PUBSUB_ERR_");
}

/**
 * Every error code, the class that carries it and what it means: the one table of codes.
 * A test checks it both ways against the classes this module exports and against the
 * README's "Error codes" table, row for row.
 */
export const ERROR_CODES: Readonly<Record<string, { readonly className: string; readonly meaning: string }>> = Object.freeze({
  PUBSUB_ERR_CONFIG: { className: "ConfigError", meaning: "an option has a wrong type, range or name; `problems` lists every one" },
  PUBSUB_ERR_CONFIG_SYNTAX: {
    className: "ConfigSyntaxError",
    meaning: "a config file is not valid YAML, JSON or INI (file and line named)",
  },
  PUBSUB_ERR_CONFIG_NOT_FOUND: {
    className: "ConfigNotFoundError",
    meaning: "an explicitly named config file does not exist or cannot be read",
  },
  PUBSUB_ERR_UNKNOWN_DRIVER: { className: "UnknownDriverError", meaning: "a driver name is no known alias, path or installed package" },
  PUBSUB_ERR_DRIVER_NOT_FOUND: { className: "DriverNotFoundError", meaning: "a driver module path or package does not exist" },
  PUBSUB_ERR_DRIVER_LOAD: {
    className: "DriverLoadError",
    meaning: "importing a driver module failed (it threw, or a package it needs is missing)",
  },
  PUBSUB_ERR_DRIVER_SHAPE: {
    className: "DriverShapeError",
    meaning: "a driver module, its factory's result (agents, description) or an agent has the wrong shape",
  },
  PUBSUB_ERR_DRIVER_FACTORY: { className: "DriverFactoryError", meaning: "a driver factory threw; the original error is `cause`" },
  PUBSUB_ERR_USAGE: { className: "UsageError", meaning: "a command line is malformed (unknown flag or command, missing value)" },
  PUBSUB_ERR_STATE: {
    className: "StateError",
    meaning: "an agent was used out of order (started before `initialize`, used after `close`)",
  },
  PUBSUB_ERR_WIRE_FORMAT: {
    className: "WireFormatError",
    meaning: "a received message is not an event (not MessagePack, not a map, no `action`); subscribers count and drop these",
  },
  PUBSUB_ERR_TRANSPORT: {
    className: "TransportError",
    meaning: "a transport or endpoint cannot be used: unsupported transport, port in use, socket path not writable",
  },
  PUBSUB_ERR_SEND: {
    className: "SendError",
    meaning:
      "an event was not sent: the publisher is closed, `close()` gave up after its linger time, the transport refused it, or the value cannot be encoded",
  },
  PUBSUB_ERR_INVALID_TOPIC: {
    className: "InvalidTopicError",
    meaning:
      "a topic the transport cannot carry as it is: a NATS subject that is empty or holds whitespace, `*`, `>` or an empty token; refused by `sendEvent` and `registerTopic`",
  },
  PUBSUB_ERR_CONNECT: {
    className: "ConnectError",
    meaning:
      "a broker (Redis, NATS, etcd) could not be reached, or refused the connection, within its `connect_timeout_ms` (etcd: `nb_db_timeout_ms`) when a publisher initialised or a subscriber started; later outages are reconnected, not thrown",
  },
  PUBSUB_ERR_DB: {
    className: "DbError",
    meaning:
      "a northbound database (`nb_db_class`, `remote_db_hosts`) could not be reached, or refused or failed a read or write, within its timeout",
  },
});

/**
 * The wording of the failures that recur across the code: one template each, so every
 * "not installed" says how to install, every bind and connect failure names the option
 * and the address the same way.
 */
export const errorMessages = Object.freeze({
  /** `who` needs a package that is not installed. */
  packageMissing: (who: string, pkg: string): string =>
    `${who} needs the package '${pkg}', which is not installed; install it with: npm install ${pkg}`,
  /** A package `who` needs is installed but failed to load. */
  packageBroken: (who: string, pkg: string, reason: string): string =>
    `${who}: the package '${pkg}' failed to load (${reason}); reinstall it with: npm install ${pkg}`,
  /** The endpoint an option chose cannot be bound; `fix` says what to change. */
  cannotBind: (option: string, endpoint: string, fix: string): string => `${option}: cannot bind ${endpoint}: ${fix}`,
  /** A server an option names cannot be reached; `timeout` is the option that bounded the wait and its value. */
  cannotConnect: (
    option: string,
    server: string,
    address: string,
    reason: string,
    timeout: { option: string; ms: number },
    credentials = "credentials",
  ): string =>
    `${option}: cannot connect to the ${server} at ${address}: ${reason}; check that it runs and the address and ${credentials} are right (${timeout.option} is ${timeout.ms})`,
  /** An option's value is wrong: where it came from, the option, what is wrong, the value. */
  badOption: (origin: string, option: string, problem: string, got: string): string => `${origin}: ${option}: ${problem} (got ${got})`,
});

/**
 * A caught error as a message quotes it: its system code (when the message lacks it)
 * and its message, e.g. `ECONNREFUSED connect ECONNREFUSED 127.0.0.1:6379`.
 */
export function reasonOf(err: unknown): string {
  if (!(err instanceof Error)) return typeof err === "string" ? err : inspect(err, { breakLength: Infinity });
  const code = (err as { code?: unknown }).code;
  return typeof code === "string" && !err.message.includes(code) ? `${code} ${err.message}` : err.message;
}

/** Narrows an unknown caught value to a Node.js system error carrying a `code`. */
export function isErrnoException(value: unknown): value is NodeJS.ErrnoException {
  return value instanceof Error && typeof (value as NodeJS.ErrnoException).code === "string";
}

/** An agent was used out of order: `daemonize()` before `initialize()`, a send after `close()`. */
export class StateError extends PubSubError {
  readonly code = "PUBSUB_ERR_STATE";
}

/** A message on the wire is not an event: not MessagePack, not a map, or missing `action`. */
export class WireFormatError extends PubSubError {
  readonly code = "PUBSUB_ERR_WIRE_FORMAT";
}

/**
 * The configured transport or endpoint cannot be used: an unsupported transport, or an
 * address that cannot be bound (port in use, socket path not writable). Exit code 2 from
 * the CLI, because the fix is in the config.
 */
export class TransportError extends PubSubError {
  readonly code = "PUBSUB_ERR_TRANSPORT";
  override readonly isUsageError = true;
}

/** An event could not be accepted for sending: the publisher is closed, or the value cannot be encoded. */
export class SendError extends PubSubError {
  readonly code = "PUBSUB_ERR_SEND";
}

/**
 * A topic the transport cannot carry as it is: a NATS subject may not be empty, contain
 * whitespace, the wildcards `*` and `>`, or empty tokens (`a..b`). Refused rather than
 * changed, so no subscriber ever receives more than the topics it registered.
 */
export class InvalidTopicError extends PubSubError {
  readonly code = "PUBSUB_ERR_INVALID_TOPIC";
  override readonly isUsageError = true;
}

/**
 * A broker could not be reached in time, or refused the connection (authentication,
 * TLS): the first connection of a broker driver's publisher or subscriber failed. Later
 * outages are not errors: the driver reconnects and subscribers get `"sync"`.
 */
export class ConnectError extends PubSubError {
  readonly code = "PUBSUB_ERR_CONNECT";
}

/**
 * A northbound database operation failed: the database named by `nb_db_class` and
 * `remote_db_hosts` could not be reached in time, refused the request, or answered with
 * an error. The publisher registry and the table monitors log these and try again at
 * their next period; `initialize()` of a database driver throws them.
 */
export class DbError extends PubSubError {
  readonly code = "PUBSUB_ERR_DB";
}
