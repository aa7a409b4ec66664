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
