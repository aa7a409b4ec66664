import { inspect } from "node:util";
import pino from "pino";
import type { Logger } from "./contract.js";
import { printableCommand } from "./secrets.js";

/** The log levels, lowest first; `silent` logs nothing. They are pino's. */
export const LOG_LEVELS = ["trace", "debug", "info", "warn", "error", "fatal", "silent"] as const;
/** A log level (see {@link LOG_LEVELS}); the `log_level` option takes one. */
export type LogLevel = (typeof LOG_LEVELS)[number];

/** True when `value` is one of {@link LOG_LEVELS}. */
export function isLogLevel(value: unknown): value is LogLevel {
  return (LOG_LEVELS as readonly unknown[]).includes(value);
}

/** The more verbose of two levels: `moreVerbose("info", "debug")` is `"debug"`. */
export function moreVerbose(a: LogLevel, b: LogLevel): LogLevel {
  return LOG_LEVELS.indexOf(a) <= LOG_LEVELS.indexOf(b) ? a : b;
}

/** Options of {@link createLogger}. */
export interface LoggerOptions {
  /** Lowest level logged. Default `"info"`. */
  level?: LogLevel | undefined;
  /** The `name` field of every record. Default `"pubsub"`. */
  name?: string | undefined;
  /** Log an `err` field whole, with its stack; else as `{code, message}` on the record's one line. */
  debug?: boolean | undefined;
}

/**
 * The pino options pubsub's loggers share: the level, the name, the process id, and the
 * `err` serializer (a one-line {@link errorSummary}, or {@link wholeError} with `debug`).
 */
export function loggerOptions(options: LoggerOptions = {}): pino.LoggerOptions {
  return {
    name: options.name ?? "pubsub",
    level: options.level ?? "info",
    base: { pid: process.pid },
    serializers: { err: options.debug === true ? wholeError : errorSummary },
  };
}

/**
 * A pino logger writing JSON lines to stderr, synchronously (nothing is lost when the
 * process exits right after a line). It is pino's own, so it has `trace` and `fatal`
 * too and its `level` can be changed while it runs.
 *
 * @example
 * ```ts
 * const logger = createLogger({ level: "debug" });
 * const pubsub = await loadFromConfig({ logger });
 * ```
 */
export function createLogger(options: LoggerOptions = {}): pino.Logger {
  return pino(loggerOptions(options), pino.destination({ fd: 2, sync: true }));
}

/**
 * The logger pubsub uses when the application gives none: JSON lines (pino's format) on
 * stderr, warnings and up unless told otherwise. `loadFromConfig()` uses the config's
 * `log_level` instead.
 */
export function createStderrLogger(level: LogLevel = "warn"): Logger {
  return createLogger({ level });
}

/**
 * An error as a `--debug` log field: pino's whole error (type, message, stack, its own
 * fields), but a client library's command in it ({@link printableCommand}: its arguments
 * may hold a password) by its name alone, in the errors it holds too.
 */
export function wholeError(err: unknown): unknown {
  const serialized: unknown = pino.stdSerializers.err(err as Error);
  // Not an error: returned as it is, and left alone.
  if (serialized !== err && typeof serialized === "object" && serialized !== null)
    maskCommands(serialized, Object.getPrototypeOf(serialized), 0);
  return serialized;
}

/**
 * Replaces the `command` of a serialized error, and of the serialized errors in its
 * fields (those of `prototype`: pino's copies, never the caller's objects), with its
 * printable form.
 */
function maskCommands(serialized: object, prototype: unknown, depth: number): void {
  const fields = serialized as Record<string, unknown>;
  if (Object.hasOwn(fields, "command")) fields["command"] = printableCommand(fields["command"]);
  if (depth >= 8) return;
  for (const value of Object.values(fields)) {
    for (const item of Array.isArray(value) ? (value as unknown[]) : [value]) {
      if (typeof item === "object" && item !== null && Object.getPrototypeOf(item) === prototype) maskCommands(item, prototype, depth + 1);
    }
  }
}

/**
 * An error as a log field on one line: its `code` (when it has one) and its message
 * followed by its causes' messages. Anything that is not an `Error` is returned as is.
 *
 * @example
 * ```ts
 * errorSummary(new WireFormatError("payload is not MessagePack (5 bytes)", { cause }));
 * // { code: "PUBSUB_ERR_WIRE_FORMAT", message: "payload is not MessagePack (5 bytes): Unexpected end of buffer" }
 * ```
 */
export function errorSummary(err: unknown): unknown {
  if (!(err instanceof Error)) return err;
  const code = (err as { code?: unknown }).code;
  let message = err.message;
  for (let cause: unknown = err.cause, depth = 0; cause !== undefined && depth < 8; depth += 1) {
    const text = cause instanceof Error ? cause.message : inspect(cause, { breakLength: Infinity });
    if (!message.includes(text)) message += `: ${text}`;
    cause = cause instanceof Error ? cause.cause : undefined;
  }
  return typeof code === "string" || typeof code === "number" ? { code, message } : { message };
}
