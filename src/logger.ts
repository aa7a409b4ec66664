import { inspect } from "node:util";
import type { Logger } from "./contract.js";

const LEVELS = ["debug", "info", "warn", "error", "silent"] as const;
/** A log level, lowest first; `silent` logs nothing. */
export type LogLevel = (typeof LEVELS)[number];

/**
 * A logger writing one line per record to stderr, for use when the application gives
 * none: `level msg {fields}`.
 */
export function createStderrLogger(level: LogLevel = "warn"): Logger {
  const threshold = LEVELS.indexOf(level);
  const write = (lvl: LogLevel) => (obj: object, msg?: string) => {
    if (LEVELS.indexOf(lvl) < threshold) return;
    const fields = Object.keys(obj).length > 0 ? ` ${safeJson(obj)}` : "";
    process.stderr.write(`pubsub ${lvl}: ${msg ?? ""}${fields}\n`);
  };
  return { debug: write("debug"), info: write("info"), warn: write("warn"), error: write("error") };
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

function safeJson(obj: object): string {
  try {
    return JSON.stringify(obj, (_key, value: unknown) => (value instanceof Error ? errorSummary(value) : value));
  } catch {
    return inspect(obj, { breakLength: Infinity });
  }
}
